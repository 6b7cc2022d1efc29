"""Build hook: the wheel carries compiled translation catalogs.

The ``.mo`` files are build output (not committed), so ``build_py`` compiles every ``.po`` catalog
into the build directory; a wheel built from a clean checkout then serves the Chinese interface.
Everything else about the package is declared in ``pyproject.toml``.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "portal" / "translations"


class BuildPyWithCatalogs(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
            relative = po_path.relative_to(TRANSLATIONS.parent.parent).with_suffix(".mo")
            target = Path(self.build_lib) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as source:
                catalog = read_po(source)
            with target.open("wb") as output:
                write_mo(output, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogs})

"""A wheel built from a clean checkout serves the Chinese interface, and core modules never import
the blueprints or the benchmarks."""
import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _clean_checkout(target: Path) -> None:
    """The files git tracks (plus new, not ignored ones): what a clone has, without built catalogs."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_a_wheel_from_a_clean_checkout_serves_chinese(tmp_path):
    checkout, dist, venv = tmp_path / "checkout", tmp_path / "dist", tmp_path / "venv"
    _clean_checkout(checkout)
    assert not list(checkout.glob("portal/translations/*/LC_MESSAGES/*.mo"))
    # Offline: the build uses this environment's setuptools, wheel and Babel.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(checkout)],
        check=True, capture_output=True,
    )
    (wheel,) = dist.glob("portal-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )
    # The portal from the wheel alone; its dependencies from this environment (a path entry, so
    # this environment's editable install of the portal is not picked up).
    shutil.unpack_archive(wheel, site_packages, format="zip")
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = textwrap.dedent(
        """
        import pathlib, sys, tempfile
        import portal
        assert "site-packages" in portal.__file__, portal.__file__
        from portal import create_app
        from portal.extensions import db
        from portal.models import User
        instance = tempfile.mkdtemp()
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/portal.db", "SECRET_KEY": "x"}, instance_path=instance)
        with app.app_context():
            db.create_all()
            db.session.add(User(username="admin", display_name="管理员", role="admin", password_hash="-"))
            db.session.commit()
        body = app.test_client().get("/login").get_data(as_text=True)
        print("登录" in body, "Log in" in body)
        """
    )
    result = subprocess.run([python, "-c", script], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


# --- import direction ---------------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_import_neither_blueprints_nor_benchmarks():
    """Everything under ``portal/`` outside ``portal/blueprints/`` (imports inside functions too)."""
    core = [path for path in (ROOT / "portal").rglob("*.py") if "blueprints" not in path.relative_to(ROOT / "portal").parts]
    assert len(core) > 10
    offenders = {}
    for path in core:
        if path.name == "__init__.py" and path.parent == ROOT / "portal":
            allowed = {"portal.blueprints"}  # the factory registers the blueprints
        else:
            allowed = set()
        bad = sorted(
            name for name in _imported_modules(path)
            if (name == "bench" or name.startswith("bench.") or name.startswith("portal.blueprints")) and name not in allowed
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}

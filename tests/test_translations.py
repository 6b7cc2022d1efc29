"""Every string of the interface has a Chinese translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            # The same English word with two meanings (a lost order, a lost customer) has a context.
            "pgettext": ((1, "c"), 2), "_lp": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}


def _source_messages() -> set[tuple[str | None, str]]:
    """(context, message id) of every string of the interface."""
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT / "portal"), METHODS, keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_every_interface_string_is_translated_to_chinese():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (message.context, message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    source = _source_messages()
    assert (None, "Log in") in source and (None, "Customers") in source  # templates and Python both read
    assert ("customer stage", "Lost") in source  # and the strings with a context
    missing = sorted(source - translated, key=lambda item: (item[0] or "", item[1]))
    assert missing == [], "untranslated: " + "; ".join(f"{context + ': ' if context else ''}{message}" for context, message in missing[:20])


def test_catalog_placeholders_match():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_translations_format_like_their_source():
    """Templates always %-format a message, so a translation with a stray % (like "回款 %") breaks
    the page while its English source works."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    broken = []
    for message in catalog:
        if not message.id or message.pluralizable:
            continue
        try:
            message.id % {}
        except (ValueError, KeyError, TypeError):
            continue  # takes variables: checked by the placeholder test
        try:
            message.string % {}
        except (ValueError, KeyError, TypeError):
            broken.append(message.id)
    assert broken == []

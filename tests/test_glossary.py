"""One word per meaning: the glossary beside the translations gives each meaning its Chinese term
(丢单 a lost order, 流失 a lost customer, 回款额 money collected, 回款率 collected ÷ deal amount…), and
the compiled catalog the portal runs with keeps to it."""
import csv
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal/translations"
GLOSSARY = TRANSLATIONS / "glossary.csv"
CATALOG = TRANSLATIONS / "zh_Hans_CN/LC_MESSAGES/messages.po"


def _glossary() -> list[dict]:
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def conflicts(entries: list[dict], translate) -> list[str]:
    """Each glossary key whose translation lacks its own term, or holds a term the glossary gives to
    another meaning (a term inside its own, like 成交 in 成交率, is no conflict)."""
    terms_of = {}
    for entry in entries:
        terms_of.setdefault(entry["meaning"], set()).add(entry["zh"])
    problems = []
    for entry in entries:
        key, context, own = entry["english"], entry["context"] or None, entry["zh"]
        text = translate(context, key)
        if own not in text:
            problems.append(f"{key!r} is {text!r}, not {own}")
        for meaning, terms in terms_of.items():
            if meaning == entry["meaning"]:
                continue
            for term in terms:
                if term in text and term not in own and not any(term in mine for mine in terms_of[entry["meaning"]]):
                    problems.append(f"{key!r} is {text!r}: {term} means {meaning}")
    return problems


@pytest.fixture(scope="module")
def compiled():
    mo = CATALOG.with_suffix(".mo")
    assert mo.exists(), "compile the catalog: pybabel compile -d portal/translations"
    return Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"])


def test_the_glossary_covers_the_words_of_the_reports():
    entries = _glossary()
    keys = {(entry["context"], entry["english"]) for entry in entries}
    for key in ("Collected", "Collection rate", "Lost", "Lost customers", "Won", "Deal amount", "Close rate", "Lost-order rate"):
        assert ("", key) in keys, key
    assert ("customer stage", "Lost") in keys
    assert all(entry["zh"] and entry["meaning"] and entry["used_in"] for entry in entries)


def test_the_compiled_catalog_keeps_one_word_per_meaning(compiled):
    def translate(context, key):
        return compiled.upgettext(context, key) if context else compiled.ugettext(key)

    assert conflicts(_glossary(), translate) == []


def test_a_word_given_to_another_meaning_is_caught():
    entries = _glossary()
    wrong = {(None, "Collected"): "回款率", (None, "Lost"): "流失", ("customer stage", "Lost"): "丢单"}

    def translate(context, key):
        return wrong.get((context, key)) or next(e["zh"] for e in entries if e["english"] == key and (e["context"] or None) == context)

    problems = conflicts(entries, translate)
    assert any("'Collected'" in problem and "回款率" in problem for problem in problems)
    assert any("'Lost' is '流失'" in problem for problem in problems)
    assert any("'Lost' is '丢单'" in problem for problem in problems)
    assert len(problems) == 6  # each wrong word: its own term missing, and another meaning's term there


LOST_ORDER = re.compile(r"lost[- ]orders?|orders? (was |were )?lost|quotes? .*lost|record as lost", re.I)
LOST_CUSTOMER = re.compile(r"lost customers?|customers? (is |was |be |becomes )?(marked )?lost|as a customer", re.I)


def test_the_whole_catalog_uses_the_words_of_the_glossary():
    """Strings beyond the glossary's keys: a lost order is never 流失, a lost customer never 丢单,
    money collected never 回款率 (a rate), and 回款率 only for a rate."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else " ".join(message.id)
        chinese = message.string if isinstance(message.string, str) else " ".join(message.string)
        if message.context == "customer stage":
            continue
        if LOST_ORDER.search(english) and not LOST_CUSTOMER.search(english) and "losses" not in english and "流失" in chinese:
            wrong.append((english, chinese))
        if LOST_CUSTOMER.search(english) and not LOST_ORDER.search(english) and "丢单" in chinese:
            wrong.append((english, chinese))
        if "回款率" in chinese and "rate" not in english.lower():
            wrong.append((english, chinese))
    assert wrong == []

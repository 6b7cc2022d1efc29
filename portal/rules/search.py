"""How the header's search box reads what was typed, as plain functions."""
import re
import unicodedata
from dataclasses import dataclass

# <letters><year>-<sequence>[-R<revision>][-S<delivery>], each part but the sequence optional:
# BJ2026-0004, bj2026-0004-r2, HT2026-0001-S2, 2026-0004, 0004, 4.
_NUMBER = re.compile(
    r"(?P<prefix>[a-z]*)\s*(?:(?P<year>\d{4})\s*-\s*)?(?P<sequence>\d{1,6})(?:\s*-\s*r(?P<revision>\d{1,3}))?"
    r"(?:\s*-\s*s\d{1,3})?"
)
_PHONE = re.compile(r"[\d\s+\-()]+")
MIN_PHONE_DIGITS = 4
MAX_QUERY = 100


@dataclass(frozen=True)
class NumberQuery:
    """A quote or contract number as typed: the prefix (upper case, may be empty), the year when
    given, the sequence, the quote revision when given."""

    prefix: str
    year: int | None
    sequence: int
    revision: int | None


def fold(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, outer spaces removed, at most
    ``MAX_QUERY`` characters."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()[:MAX_QUERY]


def number_query(text: str) -> NumberQuery | None:
    """The number ``text`` names, or None when it is not shaped like one.

    ``<prefix><year>-<sequence>`` with an optional ``-R<revision>`` (quotes) or ``-S<n>`` (a
    delivery note, which names its contract); the prefix and the year may be left out: "0004" and
    "4" name sequence 4 of any year, "2026-0004" sequence 4 of 2026. The sequence must be above 0.
    """
    match = _NUMBER.fullmatch(fold(text))
    if not match:
        return None
    sequence = int(match["sequence"])
    if sequence == 0:
        return None
    return NumberQuery(
        prefix=match["prefix"].upper(),
        year=int(match["year"]) if match["year"] else None,
        sequence=sequence,
        revision=int(match["revision"]) if match["revision"] else None,
    )


def phone_fragment(text: str) -> str | None:
    """The digits of ``text`` when it is made only of digits and phone punctuation and has at least
    ``MIN_PHONE_DIGITS`` of them (a shorter run of digits matches too many numbers to be useful)."""
    folded = fold(text)
    if not folded or not _PHONE.fullmatch(folded):
        return None
    digits = re.sub(r"\D", "", folded)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def searches_names(text: str) -> bool:
    """Whether ``text`` is looked for in names (customers, contacts, products): anything but a bare
    number shorter than a phone fragment, which would match nearly every record."""
    folded = fold(text)
    if not folded:
        return False
    if _PHONE.fullmatch(folded):
        return phone_fragment(folded) is not None
    return True

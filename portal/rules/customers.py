"""Customer keys used for duplicate matching and search."""
import re
import unicodedata
from functools import lru_cache

# Longest first, so 有限责任公司 is removed whole rather than leaving 有限责任.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "分公司",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd.",
    "co.ltd",
    "company",
    "limited",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
)
_SPACES = re.compile(r"[\s\u3000·.,，。()（）\-_/]+")
_NON_DIGITS = re.compile(r"\D+")
# A word character that is not "_": exactly the characters ``str.isalnum`` accepts.
_ALNUM_RUN = re.compile(r"[^\W_]+")
_COMPACT_SUFFIXES = tuple(_SPACES.sub("", suffix) for suffix in COMPANY_SUFFIXES)


# Both are pure and an import asks them several times per row (its checks, duplicate matching in
# the database and within the file, the insert): remembered for the rows of a large import.
@lru_cache(maxsize=20_000)
def normalise_name(name: str) -> str:
    """The key two spellings of one company share.

    NFKC folds full-width letters, digits and brackets to half-width; then lower case, spaces and
    punctuation removed, and one company suffix (有限公司, 公司, Co., Ltd. …) dropped from the end.
    ``normalise_name("ＡＢＣ 水果有限公司") == normalise_name("abc水果") == "abc水果"``.
    """
    key = unicodedata.normalize("NFKC", name or "").lower().strip()
    key = _SPACES.sub("", key)
    for compact in _COMPACT_SUFFIXES:
        if key.endswith(compact) and len(key) > len(compact):
            key = key[: -len(compact)]
            break
    return key


@lru_cache(maxsize=20_000)
def phone_digits(phone: str) -> str:
    """Digits only, without a leading +86/0086 country code: ``"+86 138-0013-8000"`` → ``"13800138000"``."""
    if not phone:
        return ""
    # Full-width digits need folding first; plain ASCII (nearly every stored phone) does not.
    digits = _NON_DIGITS.sub("", phone if phone.isascii() else unicodedata.normalize("NFKC", phone))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def search_text_for(customer) -> str:
    """Name, contact names and every phone digits in one lower-cased string for substring search."""
    parts = [customer.name, customer.phone_key, customer.mobile_key, customer.email, customer.wechat]
    for contact in customer.contacts:
        if contact.archived_at is None:
            parts += [contact.name, phone_digits(contact.phone), phone_digits(contact.mobile)]
    text = " ".join(part for part in parts if part)
    return unicodedata.normalize("NFKC", text).lower()


def character_runs(text: str) -> list[str]:
    """Maximal runs of letters and digits in ``text`` (CJK characters count as letters)."""
    return _ALNUM_RUN.findall(text)


def bigrams(run: str) -> list[str]:
    """Each pair of neighbouring characters of ``run``, in order (none for a single character)."""
    return [run[index : index + 2] for index in range(len(run) - 1)]


def text_grams(search_text: str) -> str:
    """The search index's form of ``search_text`` (``portal/search.py``): the bigrams of each run
    of letters and digits, in order, space-separated."""
    return " ".join(gram for run in character_runs(search_text) for gram in bigrams(run))


def refresh_keys(customer) -> None:
    """Recompute the derived columns after the name, phones or contacts changed."""
    customer.name_key = normalise_name(customer.name)
    customer.phone_key = phone_digits(customer.phone)
    customer.mobile_key = phone_digits(customer.mobile)
    customer.email = (customer.email or "").strip().lower()
    customer.search_text = search_text_for(customer)
    customer.search_grams = text_grams(customer.search_text)

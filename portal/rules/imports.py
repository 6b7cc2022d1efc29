"""Customer import rules as plain functions: the template's columns, and each cell read into a value
or a precise error (column and message) — stage and grade words, phones with full-width digits and
spaces, dates written several ways."""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from portal.importing import cell_text

# Template columns (Chinese header, field, required), the customers sheet then the contacts sheet.
CUSTOMER_COLUMNS = [
    ("客户名称", "name", True), ("客户类型", "customer_type", False), ("来源", "source", False), ("地区", "region", False),
    ("地址", "address", False), ("电话", "phone", False), ("手机", "mobile", False), ("邮箱", "email", False),
    ("微信", "wechat", False), ("阶段", "stage", False), ("意向等级", "intention_grade", False), ("负责人", "owner", False),
    ("备注", "notes", False),
]
CONTACT_COLUMNS = [
    ("客户名称", "customer", True), ("联系人", "name", True), ("职务", "title", False), ("电话", "phone", False),
    ("手机", "mobile", False), ("邮箱", "email", False), ("生日", "birthday", False), ("备注", "notes", False),
]
CUSTOMER_SHEET, CONTACT_SHEET = "客户", "联系人"
LIMITS = {"name": 200, "region": 100, "address": 300, "phone": 40, "mobile": 40, "email": 200, "wechat": 100,
          "notes": 5000, "title": 60}
STAGE_WORDS = {
    "potential": ("潜在", "潜在客户", "potential"), "intended": ("意向", "意向客户", "intended"),
    "signed": ("成交", "成交客户", "已成交", "signed"), "lost": ("流失", "流失客户", "lost"),
}
_PHONE = re.compile(r"^\+?[\d\-()]{5,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_stage(text: str) -> str | None:
    """A stage from its word (潜在, 意向客户, 成交…, or the English key); None when unknown."""
    word = text.strip().lower()
    for stage, words in STAGE_WORDS.items():
        if word in words:
            return stage
    return None


def parse_phone(text: str) -> str | None:
    """A phone as typed but in half width without spaces (１３８ ００１３ ８０００ → 13800138000);
    None when it is not a phone."""
    phone = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return phone if _PHONE.match(phone) else None


def parse_date(value) -> date | None:
    """A date from a date cell or text in the usual ways (2026-01-05, 2026/1/5, 2026.1.5,
    2026年1月5日, 20260105); None when it is none of them."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return day if date(1900, 1, 1) <= day <= date(2999, 12, 31) else None
    return None


@dataclass
class RowResult:
    row: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # (column header, message)

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))


def read_text(result: RowResult, raw: dict, header: str, key: str, required: bool, messages: dict) -> str:
    text = cell_text(raw.get(header))
    if required and not text:
        result.error(header, messages["required"])
    elif key in LIMITS and len(text) > LIMITS[key]:
        result.error(header, messages["too_long"] % {"max": LIMITS[key]})
    return text


def check_customer_row(number: int, raw: dict, *, lookups: dict, grades: set, owners: dict, default_owner_id: int,
                       messages: dict) -> RowResult:
    """One customers-sheet row: required name, known type/source/stage/grade/owner, phones and
    e-mail that look like them, lengths within the columns. ``owners`` maps the names the importer
    may use (username or display name) to user ids — anyone else is an error."""
    result = RowResult(number)
    values = {}
    for header, key, required in CUSTOMER_COLUMNS:
        values[key] = read_text(result, raw, header, key, required, messages)
    for key, header in (("phone", "电话"), ("mobile", "手机")):
        if values[key]:
            phone = parse_phone(values[key])
            if phone is None:
                result.error(header, messages["phone"])
            values[key] = phone or ""
    if values["email"] and not _EMAIL.match(values["email"]):
        result.error("邮箱", messages["email"])
    values["email"] = values["email"].lower()
    for key, header, kind in (("customer_type", "客户类型", "customer_type"), ("source", "来源", "source")):
        name = values.pop(key)
        values[f"{key}_id"] = None
        if name:
            if name not in lookups[kind]:
                result.error(header, messages["unknown"] % {"value": name})
            else:
                values[f"{key}_id"] = lookups[kind][name]
    stage_text = values["stage"]
    values["stage"] = parse_stage(stage_text) if stage_text else "potential"
    if values["stage"] is None:
        result.error("阶段", messages["unknown"] % {"value": stage_text})
    grade = values["intention_grade"].upper()
    if grade and grade not in grades:
        result.error("意向等级", messages["unknown"] % {"value": values["intention_grade"]})
    values["intention_grade"] = grade or None
    owner = values.pop("owner")
    if owner:
        if owner not in owners:
            result.error("负责人", messages["owner"] % {"value": owner})
        values["owner_id"] = owners.get(owner)
    else:
        values["owner_id"] = default_owner_id
    result.values = values
    return result


def check_contact_row(number: int, raw: dict, *, messages: dict) -> RowResult:
    """One contacts-sheet row: the customer's name (as on the customers sheet), the contact's name,
    phones, e-mail and a birthday in any of the usual date forms."""
    result = RowResult(number)
    values = {}
    for header, key, required in CONTACT_COLUMNS:
        if key == "birthday":
            continue
        values[key] = read_text(result, raw, header, key, required, messages)
    for key, header in (("phone", "电话"), ("mobile", "手机")):
        if values[key]:
            phone = parse_phone(values[key])
            if phone is None:
                result.error(header, messages["phone"])
            values[key] = phone or ""
    if values["email"] and not _EMAIL.match(values["email"]):
        result.error("邮箱", messages["email"])
    values["birthday"] = None
    if cell_text(raw.get("生日")):
        values["birthday"] = parse_date(raw.get("生日"))
        if values["birthday"] is None:
            result.error("生日", messages["date"])
    result.values = values
    return result

"""Company settings (系统设置) that areas declare and an administrator edits on one page.

An area registers each setting it reads — key, label, kind, default and range — with
``register_setting``; ``get_setting`` returns the stored value converted to its kind, or the
default while nobody has changed it. Values are kept as text in ``CompanySetting`` rows, so a new
setting needs no migration, and every change is in the audit trail.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models.settings import CompanySetting

# "image": an uploaded file (the company logo) whose stored name is the value; it has its own
# upload form, so the settings form leaves it out.
KINDS = ("text", "textarea", "int", "decimal", "image")


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    label: object
    kind: str = "text"
    default: object = ""
    group: object = _l("Company")
    minimum: object = None
    maximum: object = None
    max_length: int = 200
    hint: object = None

    def parse(self, text: str):
        """The stored text as this setting's kind; a value that no longer parses gives the default."""
        try:
            if self.kind == "int":
                return int(text)
            if self.kind == "decimal":
                return Decimal(text)
        except (ValueError, InvalidOperation):
            return self.default
        return text

    def to_text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            # 13, 13.0 and 13.0000 are one value: store it one way.
            return format(value.normalize(), "f")
        return str(value)


SETTINGS: dict[str, SettingDefinition] = {}
# Group labels in the order their sections appear on the settings page.
GROUP_ORDER: list = []


def register_setting(definition: SettingDefinition) -> SettingDefinition:
    """Declare a setting (once per key; a second declaration of the same key is ignored)."""
    assert definition.kind in KINDS, definition.kind
    if definition.key not in SETTINGS:
        SETTINGS[definition.key] = definition
        # Groups are compared by identity: an area declares its group label once and reuses it.
        if not any(group is definition.group for group in GROUP_ORDER):
            GROUP_ORDER.append(definition.group)
    return SETTINGS[definition.key]


def _stored_values() -> dict[str, str]:
    """Every stored setting, read once per request (settings are few and read often)."""
    cache = g.get("_company_settings") if has_request_context() else None
    if cache is None:
        cache = dict(db.session.execute(select(CompanySetting.key, CompanySetting.value)).all())
        if has_request_context():
            g._company_settings = cache
    return cache


def forget_cached_settings() -> None:
    if has_request_context():
        g.pop("_company_settings", None)


def get_setting(key: str):
    """The setting's current value in its kind (``int``, ``Decimal`` or ``str``)."""
    definition = SETTINGS[key]
    stored = _stored_values().get(key)
    return definition.default if stored is None else definition.parse(stored)


def setting_rows() -> dict[str, CompanySetting]:
    return {row.key: row for row in db.session.scalars(select(CompanySetting))}


def set_setting(key: str, value) -> None:
    """Store ``value`` for ``key`` (the caller commits); the audit trail records old → new."""
    definition = SETTINGS[key]
    text = definition.to_text(value)
    row = db.session.scalar(select(CompanySetting).where(CompanySetting.key == key))
    if row is None:
        if text == definition.to_text(definition.default):
            return
        db.session.add(CompanySetting(key=key, value=text))
    elif row.value != text:
        row.value = text
    forget_cached_settings()


COMPANY = _l("Company")
register_setting(SettingDefinition("company.name", _l("Company name"), default="", group=COMPANY))
register_setting(SettingDefinition("company.address", _l("Company address"), default="", group=COMPANY, max_length=300))
register_setting(SettingDefinition("company.phone", _l("Company phone"), default="", group=COMPANY, max_length=60))
register_setting(SettingDefinition("company.tax_number", _l("Tax number"), default="", group=COMPANY, max_length=40))
register_setting(
    SettingDefinition(
        "company.bank", _l("Bank and account"), kind="textarea", default="", group=COMPANY, max_length=500,
        hint=_l("Printed on quotes, contracts and delivery notes: bank name, account name and number."),
    )
)
register_setting(SettingDefinition("company.logo", _l("Logo"), kind="image", default="", group=COMPANY, max_length=80))


def company_details() -> dict:
    """The company's letterhead as printed on quotes, contracts and delivery notes: name, address,
    phone, tax number, bank and the logo's stored file name ("" without a logo)."""
    return {key: get_setting(f"company.{key}") for key in ("name", "address", "phone", "tax_number", "bank", "logo")}


def form_settings() -> list[SettingDefinition]:
    """The settings the settings form edits (every kind but uploaded images)."""
    return [definition for definition in SETTINGS.values() if definition.kind != "image"]

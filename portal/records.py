"""Look up audited models by their table name (used by the archive and history pages)."""
from typing import Callable

from portal.access import Area
from portal.extensions import db

# model -> function(record) run after an admin restores one of its records.
_RESTORE_HOOKS: dict[type, Callable] = {}


def on_restore(model: type):
    """Register what must follow when a record of ``model`` comes back from the archive."""

    def decorator(hook: Callable) -> Callable:
        _RESTORE_HOOKS[model] = hook
        return hook

    return decorator


def run_restore_hook(record) -> None:
    hook = _RESTORE_HOOKS.get(type(record))
    if hook is not None:
        hook(record)


def audited_models() -> list[type]:
    return sorted(
        (mapper.class_ for mapper in db.Model.registry.mappers if getattr(mapper.class_, "__audited__", False)),
        key=lambda model: model.__tablename__,
    )


def archivable_models() -> list[type]:
    return [model for model in audited_models() if hasattr(model, "archived_at")]


def model_for_record_type(record_type: str):
    for model in audited_models():
        if model.__tablename__ == record_type:
            return model
    return None


def access_area_of(model) -> Area:
    """Which access area a model's records belong to (administration unless it says otherwise)."""
    return getattr(model, "__access_area__", Area.ADMINISTRATION)

"""Look up audited models by their table name (used by the archive and history pages)."""
from portal.access import Area
from portal.extensions import db


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

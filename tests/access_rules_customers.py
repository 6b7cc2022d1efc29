"""Access rules of the customer register and the lists of values."""
from access_matrix import ADMIN_ONLY, CUSTOMER_SCOPED, OK, Rule
from customer_factories import new_customer

from portal.extensions import db
from portal.models import LookupKind, LookupValue

CUSTOMER_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
HEADS_AND_ADMIN = {"sales": 403, "head": OK, "hr": 403, "admin": OK}


def _customer_records(world, scope, records):
    owner = {"own": world.actor, "same_department": world.colleague, "other_department": world.outsider}[scope]
    records.customer = new_customer(owner, name=f"{scope}客户", contacts=["联系人"])
    records.contact = records.customer.contacts[0]
    records.lookup = LookupValue(kind=LookupKind.SOURCE.value, name=f"来源{scope}", position=0)
    db.session.add(records.lookup)
    db.session.commit()


def _customer(records):
    return {"customer_id": records.customer.id}


def _contact(records):
    return {"customer_id": records.customer.id, "contact_id": records.contact.id}


RECORD_BUILDERS = [_customer_records]

RULES = [
    Rule("customers.index", CUSTOMER_ROLES),
    Rule("customers.new", CUSTOMER_ROLES),
    Rule("customers.export", CUSTOMER_ROLES),
    Rule("customers.handover", HEADS_AND_ADMIN),
    Rule("customers.detail", CUSTOMER_SCOPED, url_args=_customer),
    # The other areas' sections the customer page loads once shown follow the customer's scope.
    Rule("customers.panels", CUSTOMER_SCOPED, url_args=_customer),
    Rule("customers.edit", CUSTOMER_SCOPED, url_args=_customer),
    Rule("customers.edit", CUSTOMER_SCOPED, url_args=_customer, method="POST", data={"name": "新名称"}),
    Rule("customers.archive", CUSTOMER_SCOPED, url_args=_customer),
    Rule("customers.archive", CUSTOMER_SCOPED, url_args=_customer, method="POST"),
    Rule("customers.contact_new", CUSTOMER_SCOPED, url_args=_customer),
    Rule("customers.contact_new", CUSTOMER_SCOPED, url_args=_customer, method="POST", data={"name": "新联系人"}),
    Rule("customers.contact_edit", CUSTOMER_SCOPED, url_args=_contact),
    Rule("customers.contact_archive", CUSTOMER_SCOPED, url_args=_contact),
    Rule("customers.contact_archive", CUSTOMER_SCOPED, url_args=_contact, method="POST"),
    Rule("customers.merge", ADMIN_ONLY, url_args=_customer),
    # A customer's history follows the customer's scope.
    Rule("audit.history", CUSTOMER_SCOPED, url_args=lambda r: {"record_type": "customers", "record_id": r.customer.id}),
    Rule("lists.index", ADMIN_ONLY),
    Rule("lists.add", ADMIN_ONLY, url_args=lambda r: {"kind": LookupKind.SOURCE.value}, method="POST",
         data={"source-name": "展会"}),
    Rule("lists.edit", ADMIN_ONLY, url_args=lambda r: {"value_id": r.lookup.id}),
    Rule("lists.move", ADMIN_ONLY, url_args=lambda r: {"value_id": r.lookup.id}, method="POST",
         data={"direction": "up"}),
    Rule("lists.archive", ADMIN_ONLY, url_args=lambda r: {"value_id": r.lookup.id}),
]

"""Access rules of the customer pool."""
from access_matrix import CUSTOMER_SCOPED, OK, Rule

from portal.database import utcnow
from portal.extensions import db

POOL_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
ADMIN_ONLY = {"sales": 403, "head": 403, "hr": 403, "admin": OK}
# A pool customer is seen by its department (sales and head) and the administrator.
POOL_SCOPED = {
    "sales": {"own": OK, "same_department": OK, "other_department": 404},
    "head": {"own": OK, "same_department": OK, "other_department": 404},
    "hr": {"own": 403, "same_department": 403, "other_department": 403},
    "admin": {"own": OK, "same_department": OK, "other_department": OK},
}
ASSIGN = {**POOL_SCOPED, "sales": {"own": 403, "same_department": 403, "other_department": 403}}
LOCK = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}


def _pool_records(world, scope, records):
    from customer_factories import new_customer

    records.pool_customer = new_customer(records.user, name=f"公海客户{scope}")
    records.pool_customer.pool_since = utcnow()
    db.session.commit()


RECORD_BUILDERS = [_pool_records]

RULES = [
    Rule("pool.index", POOL_ROLES),
    Rule("pool.rules", ADMIN_ONLY),
    Rule("pool.rules", ADMIN_ONLY, method="POST", data={"grade:A": "30"}),
    Rule("pool.recycle", ADMIN_ONLY, method="POST"),
    Rule("pool.claim", POOL_SCOPED, url_args=lambda r: {"customer_id": r.pool_customer.id}, method="POST"),
    Rule("pool.assign", ASSIGN, url_args=lambda r: {"customer_id": r.pool_customer.id}, method="POST", data={"user_id": "0"}),
    Rule("pool.lock", LOCK, url_args=lambda r: {"customer_id": r.customer.id}, method="POST"),
]

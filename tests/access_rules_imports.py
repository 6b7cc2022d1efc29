"""Access rules of the customer import."""
from access_matrix import OK, Rule

from portal.extensions import db
from portal.models import ImportJob

IMPORT_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
# A job is its importer's (and the administrator's): anyone else gets 404.
JOB = {
    "sales": {"own": OK, "same_department": 404, "other_department": 404},
    "head": {"own": OK, "same_department": 404, "other_department": 404},
    "hr": {"own": 403, "same_department": 403, "other_department": 403},
    "admin": {"own": OK, "same_department": OK, "other_department": OK},
}


def _import_records(world, scope, records):
    records.import_job = ImportJob(user_id=records.user.id, stored_file="none.xlsx", status="failed", message="测试")
    db.session.add(records.import_job)
    db.session.commit()


RECORD_BUILDERS = [_import_records]

RULES = [
    Rule("customers.import_start", IMPORT_ROLES),
    Rule("customers.import_template", IMPORT_ROLES),
    Rule("customers.import_job", JOB, url_args=lambda r: {"job_id": r.import_job.id}),
    Rule("customers.import_commit", JOB, url_args=lambda r: {"job_id": r.import_job.id}, method="POST"),
    Rule("customers.import_again", JOB, url_args=lambda r: {"job_id": r.import_job.id}, method="POST"),
]

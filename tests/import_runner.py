"""One step of a customer import in a process of its own, against the test database, stopped in the
middle for the test to kill the process:

    python tests/import_runner.py CONFIG_JSON INSTANCE check USER_ID WORKBOOK MARKER
    python tests/import_runner.py CONFIG_JSON INSTANCE write USER_ID JOB_ID MARKER

``check`` uploads the workbook through the route and stops when half its rows are checked;
``write`` confirms the checked job through the route and stops inside the write's transaction,
after the new customers are inserted and before it commits. Either writes MARKER once stopped.
"""
import json
import sys
import time
from pathlib import Path

STOP_AFTER_CHECKED_ROWS = 5000


def main(config_json, instance, step, user_id, target, marker):
    from portal import create_app, jobs
    from portal.blueprints.customers import imports
    from portal.extensions import db
    from portal.models import User

    def stop_here(*_args, **_kwargs):
        Path(marker).write_text("stopped")
        while True:  # until the test kills this process
            time.sleep(1)

    if step == "check":
        check_row, checked = imports.check_customer_row, []

        def check_then_stop(*args, **kwargs):
            checked.append(1)
            if len(checked) == STOP_AFTER_CHECKED_ROWS:
                stop_here()
            return check_row(*args, **kwargs)

        imports.check_customer_row = check_then_stop
    else:
        imports._merge_rows = stop_here  # called inside the write's transaction, after the inserts

    app = create_app(json.loads(config_json), instance_path=instance)
    client = app.test_client()
    with app.app_context():
        token = db.session.get(User, int(user_id)).session_token
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    if step == "check":
        with open(target, "rb") as handle:
            response = client.post("/customers/import", data={"workbook": (handle, "big.xlsx")}, content_type="multipart/form-data")
    else:
        response = client.post(f"/customers/import/{target}/commit")
    assert response.status_code == 303, response.status_code
    jobs.wait_for_all(600)
    sys.exit("the import finished without stopping")


if __name__ == "__main__":
    main(*sys.argv[1:])

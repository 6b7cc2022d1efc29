"""Customer import (导入客户): the template, checking an uploaded workbook into a preview (every row's
problems, possible duplicates in the database and within the file), and committing the valid rows
in one transaction — both in the background, with the job row as the progress and the result.

A run stamps the job row with its owner and a heartbeat (``portal.jobs``); a job still checking or
importing whose heartbeat is stale was interrupted with its process, is marked so when read, and
runs again from the kept workbook (the check) or the kept checked rows and choices (the write).
Every write of a run is conditional on the row still being its own, and the write's one
transaction ends by moving the job from importing to done: a write that committed never runs again.

Who may import for whom: the administrator for anyone, a head for their department, a salesperson
for themselves (an owner outside that scope is a row error).
"""
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, or_, select, update

from portal import jobs
from portal.audit import acting_as, record_bulk_changes
from portal.blueprints.customers.queries import DuplicateIndex
from portal.database import utcnow
from portal.extensions import db
from portal.importing import WorkbookError, cell_text, open_workbook, read_sheet
from portal.models import Contact, Customer, GradePolicy, ImportJob, LookupKind, LookupValue, Role, User
from portal.rules.customers import normalise_name, phone_digits, search_text_for, text_grams
from portal.rules.imports import (
    CONTACT_COLUMNS, CONTACT_SHEET, CUSTOMER_COLUMNS, CUSTOMER_SHEET, STAGE_WORDS, check_contact_row, check_customer_row,
)

MAX_ROWS = 100_000
MAX_ERRORS_KEPT = 1000
PROGRESS_EVERY = 500
WORKING = ("checking", "importing")


def row_messages() -> dict:
    return {
        "required": _("This column is required."),
        "too_long": _("At most %(max)d characters."),
        "phone": _("Not a phone number."),
        "email": _("Not an e-mail address."),
        "unknown": _("“%(value)s” is not one of the choices."),
        "owner": _("“%(value)s” is not someone you may import customers for."),
        "date": _("Not a date (write 2026-01-05)."),
        "no_customer": _("No row of the customers sheet has this customer name."),
    }


def owner_choices(user) -> list[User]:
    """Whom ``user`` may import customers for."""
    if user.role == Role.ADMIN:
        stmt = select(User).where(User.role.in_([Role.SALES.value, Role.HEAD.value]), User.department_id.is_not(None), User.active.is_(True))
    elif user.role == Role.HEAD:
        stmt = select(User).where(User.department_id == user.department_id, User.role.in_([Role.SALES.value, Role.HEAD.value]),
                                  User.active.is_(True))
    else:
        stmt = select(User).where(User.id == user.id)
    return list(db.session.scalars(stmt.order_by(User.display_name)))


def _lookups() -> dict:
    lookups = {"customer_type": {}, "source": {}}
    kinds = {LookupKind.CUSTOMER_TYPE.value: "customer_type", LookupKind.SOURCE.value: "source"}
    for kind, name, entry_id in db.session.execute(
        select(LookupValue.kind, LookupValue.name, LookupValue.id).where(LookupValue.kind.in_(list(kinds)), LookupValue.archived_at.is_(None))
    ):
        lookups[kinds[kind]][name] = entry_id
    return lookups


# --- the template -------------------------------------------------------------------------------


def template_workbook(user) -> bytes:
    """The template: Chinese headers (required ones starred), an example row, drop-downs for stage,
    grade, source, type and owner (their lists on a hidden sheet), and the contacts sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = CUSTOMER_SHEET
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    owners = owner_choices(user)
    lookups = _lookups()
    grades = sorted(db.session.scalars(select(GradePolicy.grade)))
    choices = {
        "阶段": [words[0] for words in STAGE_WORDS.values()],
        "意向等级": grades,
        "来源": list(lookups["source"]),
        "客户类型": list(lookups["customer_type"]),
        "负责人": [owner.username for owner in owners],
    }
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8E8E8")
    for column, (header, _key, required) in enumerate(CUSTOMER_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=header + ("*" if required else ""))
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[cell.column_letter].width = 16 if header not in ("客户名称", "地址", "备注") else 30
    example = {"客户名称": "示例：华联超市（可删除本行）", "地区": "上海", "手机": "13800138000", "阶段": "潜在", "意向等级": grades[0] if grades else "",
               "负责人": owners[0].username if owners else "", "备注": "示例行"}
    for column, (header, _key, _required) in enumerate(CUSTOMER_COLUMNS, start=1):
        sheet.cell(row=2, column=column, value=example.get(header))
    for list_column, (header, values) in enumerate(choices.items(), start=1):
        for row, value in enumerate(values, start=1):
            lists.cell(row=row, column=list_column, value=value)
        if not values:
            continue
        letter = lists.cell(row=1, column=list_column).column_letter
        validation = DataValidation(type="list", formula1=f"'选项'!${letter}$1:${letter}${len(values)}", allow_blank=True)
        target = next(column for column, (name, _k, _r) in enumerate(CUSTOMER_COLUMNS, start=1) if name == header)
        target_letter = sheet.cell(row=1, column=target).column_letter
        validation.add(f"{target_letter}2:{target_letter}10001")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    contacts = book.create_sheet(CONTACT_SHEET, 1)
    for column, (header, _key, required) in enumerate(CONTACT_COLUMNS, start=1):
        cell = contacts.cell(row=1, column=column, value=header + ("*" if required else ""))
        cell.font, cell.fill = bold, fill
        contacts.column_dimensions[cell.column_letter].width = 18
    for column, value in enumerate(["示例：华联超市（可删除本行）", "王经理", "采购经理", "", "13900139000", "", "1980-05-20", ""], start=1):
        contacts.cell(row=2, column=column, value=value)
    contacts.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- checking -----------------------------------------------------------------------------------


def _update(job_id: int, owner: str, **fields) -> None:
    """Write progress (and the heartbeat) in its own short transaction, while the job is still this
    run's; ``JobLost`` when it is not."""
    result = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.owner == owner, ImportJob.status.in_(WORKING))
        .values(heartbeat_at=utcnow(), **fields).execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        raise jobs.JobLost(f"import job {job_id} is no longer run by {owner}")


def fail_job(job_id: int, owner: str, message: str) -> None:
    """Record why the run ``owner`` stopped (nothing of it is written)."""
    db.session.rollback()
    _update(job_id, owner, status="failed", message=message[:300], finished_at=utcnow())


def heartbeat(job_id: int, owner: str, step: str) -> jobs.Heartbeat:
    return jobs.Heartbeat(ImportJob.__table__, job_id, owner, (step,))


def looks_interrupted(job: ImportJob) -> bool:
    """Still checking or importing, with no heartbeat within JOB_STALE_AFTER_SECONDS."""
    cutoff = utcnow() - timedelta(seconds=jobs.stale_after_seconds())
    return job.status in WORKING and (job.heartbeat_at is None or job.heartbeat_at < cutoff)


def mark_interrupted(job_ids: list[int] | None = None) -> int:
    """Mark the jobs (all, or ``job_ids``) still checking or importing whose heartbeat is older than
    JOB_STALE_AFTER_SECONDS as interrupted, remembering the step; one conditional update in a
    transaction of its own, so a job that finished (or beat) meanwhile is left as it is."""
    table = ImportJob.__table__
    now = utcnow()
    cutoff = now - timedelta(seconds=jobs.stale_after_seconds())
    statement = update(table).where(table.c.status.in_(WORKING), or_(table.c.heartbeat_at.is_(None), table.c.heartbeat_at < cutoff))
    if job_ids is not None:
        statement = statement.where(table.c.id.in_(job_ids))
    with jobs.own_transaction() as connection:
        return connection.execute(statement.values(status="interrupted", interrupted_step=table.c.status, finished_at=now)).rowcount


def claim(job_id: int, from_status: str, to_status: str, owner: str, **fields) -> bool:
    """Move the job from ``from_status`` to ``to_status`` for the run ``owner`` in one conditional
    update: of two requests (two clicks, two people) only one gets True."""
    result = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == from_status)
        .values(status=to_status, owner=owner, heartbeat_at=utcnow(), **fields).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def workbook_message(code: str, limit_mb: int) -> str:
    return {
        "empty": _("The file is empty."),
        "too_large": _("The file is larger than %(limit)d MB.", limit=limit_mb),
        "xls": _("This is an old .xls workbook. Save it as .xlsx (Excel 2007 or later) and upload that."),
        "not_xlsx": _("This is not an .xlsx workbook. Download the template and fill it in."),
        "bomb": _("The workbook would unpack to far more data than it holds; it was refused without opening."),
        "macros": _("The workbook contains macros; save it as a plain .xlsx without macros."),
        "unreadable": _("The workbook could not be read; it may be damaged."),
        "too_many_rows": _("The workbook has more than %(max)d rows.", max=MAX_ROWS),
    }[code]


def _rows_of(book, messages, progress=None):
    """The two sheets' rows, or a failure message about the headers."""
    names = {name.strip(): name for name in book.sheetnames}
    if CUSTOMER_SHEET not in names:
        first = book.sheetnames[0]
        customer_sheet = book[first]
    else:
        customer_sheet = book[names[CUSTOMER_SHEET]]
    known = {header for header, _key, _required in CUSTOMER_COLUMNS}
    customers = read_sheet(customer_sheet, known, MAX_ROWS, progress)
    if "客户名称" not in customers.headers:
        return None, None, _("The first sheet has no “客户名称” header. Use the template's header row.")
    unknown = [header for header in customers.headers if header not in known]
    if unknown:
        return None, None, _("Unknown columns: %(columns)s. Use the template's header row.", columns="、".join(unknown[:10]))
    contacts = None
    if CONTACT_SHEET in names:
        contacts = read_sheet(book[names[CONTACT_SHEET]], {h for h, _k, _r in CONTACT_COLUMNS}, MAX_ROWS, progress)
        unknown = [header for header in contacts.headers if header not in {h for h, _k, _r in CONTACT_COLUMNS}]
        if unknown:
            return None, None, _("Unknown columns on the contacts sheet: %(columns)s.", columns="、".join(unknown[:10]))
    return customers, contacts, None


def check_import(job_id: int, data: bytes, user_id: int, language: str, max_bytes: int, owner: str) -> dict | None:
    """Read and check the workbook as the run ``owner``; store the preview on the job (status
    ready) and return the checked rows (kept for the commit), or record the failure. The kept
    workbook is removed once the check has ended either way."""
    beat = heartbeat(job_id, owner, "checking")
    with force_locale(language):
        messages = row_messages()
        book = None
        try:
            book = open_workbook(data, max_bytes)
            customers, contacts, problem = _rows_of(book, messages, beat)
        except WorkbookError as error:
            fail_job(job_id, owner, workbook_message(str(error), max_bytes // (1024 * 1024)))
            remove_upload(job_id)
            return None
        finally:
            if book is not None:
                book.close()  # read-only workbooks keep their archive open until closed
        if problem:
            fail_job(job_id, owner, problem)
            remove_upload(job_id)
            return None
        user = db.session.get(User, user_id)
        owners = {}
        for choice in owner_choices(user):
            owners[choice.username] = choice.id
            owners.setdefault(choice.display_name, choice.id)
        default_owner = user.id if user.role != Role.ADMIN else None
        lookups, grades = _lookups(), set(db.session.scalars(select(GradePolicy.grade)))
        db.session.commit()  # end the read transaction before the long work
        _update(job_id, owner, total_rows=len(customers.rows) + (len(contacts.rows) if contacts else 0))
        checked, errors, duplicates = [], [], []
        for position, (number, raw) in enumerate(customers.rows, start=1):
            beat()
            result = check_customer_row(number, raw, lookups=lookups, grades=grades, owners=owners,
                                        default_owner_id=default_owner, messages=messages)
            if result.values.get("owner_id") is None and not result.errors:
                result.error("负责人", messages["required"])
            for column, message in result.errors:
                errors.append({"sheet": CUSTOMER_SHEET, "row": number, "column": column, "message": message})
            if not result.errors:
                checked.append((number, result.values))
            if position % PROGRESS_EVERY == 0:
                _update(job_id, owner, done_rows=position)
        # Duplicates of the valid rows, by their checked values: in the database, then in the file.
        index = DuplicateIndex((values["name"], (values["phone"], values["mobile"]), values["email"]) for _number, values in checked)
        db.session.commit()  # the matching reads no more
        seen = DuplicateIndexInFile()
        for number, values in checked:
            beat()
            phones = [values["phone"], values["mobile"]]
            matches = [{"id": customer_id, "name": index.names.get(customer_id, ""), "reasons": reasons}
                       for customer_id, reasons in index.matches(values["name"], phones, values["email"])][:5]
            same_as = seen.first_row(values["name"], phones, values["email"])
            if matches or same_as:
                duplicates.append({"row": number, "name": values["name"], "matches": matches, "same_as_row": same_as})
            seen.add(number, values["name"], phones, values["email"])
        valid_names = {values["name"] for _number, values in checked}
        contact_rows = []
        for number, raw in (contacts.rows if contacts else []):
            beat()
            result = check_contact_row(number, raw, messages=messages)
            if not result.errors and result.values["customer"] not in valid_names:
                result.error("客户名称", messages["no_customer"])
            for column, message in result.errors:
                errors.append({"sheet": CONTACT_SHEET, "row": number, "column": column, "message": message})
            if not result.errors:
                contact_rows.append((number, result.values))
        payload = {"customers": checked, "contacts": contact_rows}
        save_checked(job_id, payload)
        _update(job_id, owner, status="ready", done_rows=len(customers.rows) + len(contact_rows), valid_rows=len(checked),
                errors=errors[:MAX_ERRORS_KEPT], error_count=len(errors), duplicates=duplicates, finished_at=utcnow())
        remove_upload(job_id)
        return payload


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _checked_path(job_id: int) -> Path:
    return _folder() / f"job-{job_id}.json"


def _upload_path(job_id: int) -> Path:
    return _folder() / f"job-{job_id}.xlsx"


def keep_upload(job_id: int, data: bytes) -> None:
    """Keep the uploaded workbook until its check has ended, so an interrupted check runs again."""
    _upload_path(job_id).write_bytes(data)


def kept_upload(job_id: int) -> bytes:
    return _upload_path(job_id).read_bytes()


def remove_upload(job_id: int) -> None:
    _upload_path(job_id).unlink(missing_ok=True)


def save_checked(job_id: int, payload: dict) -> None:
    """Keep the checked rows until the importer commits them (dates as ISO text)."""

    def encode(value):
        return value.isoformat() if hasattr(value, "isoformat") else value

    rows = {
        "customers": [[number, {k: encode(v) for k, v in values.items()}] for number, values in payload["customers"]],
        "contacts": [[number, {k: encode(v) for k, v in values.items()}] for number, values in payload["contacts"]],
    }
    _checked_path(job_id).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def load_checked(job_id: int) -> dict:
    rows = json.loads(_checked_path(job_id).read_text(encoding="utf-8"))
    for _number, values in rows["contacts"]:
        values["birthday"] = date.fromisoformat(values["birthday"]) if values.get("birthday") else None
    return {"customers": [tuple(item) for item in rows["customers"]], "contacts": [tuple(item) for item in rows["contacts"]]}


class DuplicateIndexInFile:
    """Rows of this file that look alike (the same rules as ``DuplicateIndex``): the first such row."""

    def __init__(self):
        self.by_key: dict[str, int] = {}

    def _keys(self, name, phones, email):
        keys = [f"n:{normalise_name(name)}"] if name else []
        keys += [f"p:{digits}" for digits in (phone_digits(p) for p in phones if p) if len(digits) >= 7]
        if email:
            keys.append(f"e:{email.lower()}")
        return keys

    def first_row(self, name, phones, email) -> int | None:
        rows = [self.by_key[key] for key in self._keys(name, phones, email) if key in self.by_key]
        return min(rows) if rows else None

    def add(self, row, name, phones, email) -> None:
        for key in self._keys(name, phones, email):
            self.by_key.setdefault(key, row)


# --- committing ---------------------------------------------------------------------------------


def commit_import(job_id: int, checked: dict, decisions: dict, user_id: int, language: str, owner: str) -> None:
    """Write the valid rows in one transaction: new customers (with their contacts), merges into the
    chosen existing customer (empty fields filled, contacts added), skipped duplicates left out.
    ``decisions``: row number → "skip" or the id of the customer to merge into. All or nothing."""
    with force_locale(language):
        _commit(job_id, checked, decisions, user_id, owner)


def _commit(job_id: int, checked: dict, decisions: dict, user_id: int, owner: str) -> None:
    beat = heartbeat(job_id, owner, "importing")
    try:
        beat(force=True)
        created, merged, skipped, contacts = write_rows(checked, decisions, user_id, beat)
        # The same transaction moves the job from importing to done, if it is still this run's:
        # a write that committed is never done again, and a run given up for dead writes nothing.
        finished = db.session.execute(
            update(ImportJob).where(ImportJob.id == job_id, ImportJob.owner == owner, ImportJob.status == "importing")
            .values(status="done", finished_at=utcnow(), heartbeat_at=utcnow(), created=created, merged=merged, skipped=skipped,
                    contacts=contacts).execution_options(synchronize_session=False)
        )
        if finished.rowcount != 1:
            raise jobs.JobLost(f"import job {job_id} is no longer run by {owner}")
        db.session.commit()
    except jobs.JobLost:
        db.session.rollback()
        raise
    except Exception as error:  # nothing half-written: the one transaction is rolled back
        db.session.rollback()
        fail_job(job_id, owner, _("Nothing was imported: %(error)s", error=str(error)[:200]))


def write_rows(checked: dict, decisions: dict, user_id: int, beat=None) -> tuple[int, int, int, int]:
    """The writing itself, inside the caller's transaction: (created, merged, skipped, contacts).
    ``beat()``, when given, is called as rows are prepared (the run's heartbeat)."""
    beat = beat or (lambda: None)
    now = utcnow()
    departments = dict(db.session.execute(select(User.id, User.department_id)).all())
    contacts_by_customer: dict[str, list] = {}
    for _number, values in checked["contacts"]:
        contacts_by_customer.setdefault(values["customer"], []).append(values)
    new_rows, merges, skipped = [], [], 0
    for number, values in checked["customers"]:
        decision = decisions.get(number, "new")
        if decision == "skip":
            skipped += 1
        elif decision == "new":
            new_rows.append(values)
        else:
            merges.append((int(decision), values))
    created_ids = _insert_customers(new_rows, contacts_by_customer, departments, now, beat)
    merged = _merge_rows(merges, contacts_by_customer, beat)
    with acting_as(db.session, user_id):
        record_bulk_changes(db.session, "customers", [(customer_id, name, 1, {"name": [None, name]}) for customer_id, name in created_ids], "import")
    contact_count = sum(len(contacts_by_customer.get(values["name"], [])) for values in new_rows) + merged[1]
    return len(created_ids), merged[0], skipped, contact_count


def _insert_customers(rows: list, contacts_by_customer: dict, departments: dict, now: datetime, beat) -> list[tuple[int, str]]:
    """Insert the new customers and their contacts with executemany; their keys and search text are
    computed here as ``refresh_keys`` would. Returns (id, name) of each."""
    if not rows:
        return []
    table = Customer.__table__
    records = []
    for values in rows:
        beat()
        contacts = [SimpleNamespace(name=c["name"], phone=c["phone"], mobile=c["mobile"], archived_at=None)
                    for c in contacts_by_customer.get(values["name"], [])]
        probe = SimpleNamespace(name=values["name"], phone_key=phone_digits(values["phone"]), mobile_key=phone_digits(values["mobile"]),
                                email=values["email"], wechat=values["wechat"], contacts=contacts)
        search_text = search_text_for(probe)
        records.append({
            "name": values["name"], "name_key": normalise_name(values["name"]), "customer_type_id": values["customer_type_id"],
            "source_id": values["source_id"], "region": values["region"], "address": values["address"], "phone": values["phone"],
            "mobile": values["mobile"], "phone_key": probe.phone_key, "mobile_key": probe.mobile_key, "email": values["email"],
            "wechat": values["wechat"], "stage": values["stage"], "intention_grade": values["intention_grade"], "value_grade": None,
            "owner_id": values["owner_id"], "department_id": departments[values["owner_id"]], "notes": values["notes"],
            "next_follow_up_on": None, "last_follow_up_at": None, "search_text": search_text, "search_grams": text_grams(search_text),
            "pool_since": None, "owned_since": now, "locked": False, "archived_at": None, "version": 1, "created_at": now, "updated_at": now,
        })
    for record, customer_id in zip(records, _new_ids(table, len(records))):
        record["id"] = customer_id
    db.session.execute(table.insert(), records)
    contact_records = []
    for record, values in zip(records, rows):
        for contact in contacts_by_customer.get(values["name"], []):
            birthday = contact["birthday"]
            contact_records.append({
                "customer_id": record["id"], "name": contact["name"], "title": contact["title"], "phone": contact["phone"],
                "mobile": contact["mobile"], "phone_key": phone_digits(contact["phone"]), "mobile_key": phone_digits(contact["mobile"]),
                "email": contact["email"], "birthday": birthday,
                "birthday_md": birthday.month * 100 + birthday.day if birthday else None, "notes": contact["notes"],
                "archived_at": None, "version": 1, "created_at": now, "updated_at": now,
            })
    if contact_records:
        db.session.execute(Contact.__table__.insert(), contact_records)
    return [(record["id"], record["name"]) for record in records]


def _new_ids(table, count: int) -> list[int]:
    """Ids for ``count`` rows about to be inserted into ``table`` in one executemany.

    PostgreSQL hands them out from the table's sequence. SQLite would answer an insert that must
    return ids in the order of its rows one row at a time (10,000 statements for 10,000 rows); the
    import's transaction holds SQLite's write lock (``BEGIN IMMEDIATE``), so the ids after the
    largest one are free and are given explicitly."""
    if db.engine.dialect.name == "postgresql":
        sequence = db.session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        return list(db.session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))
    first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


FILLABLE = ("customer_type_id", "source_id", "region", "address", "phone", "mobile", "email", "wechat", "intention_grade")


def _merge_rows(merges: list, contacts_by_customer: dict, beat) -> tuple[int, int]:
    """Fill the chosen customers' empty fields from the rows and add the rows' contacts (through the
    ORM: each change in the customer's history). Returns (customers merged, contacts added)."""
    from portal.rules.customers import refresh_keys

    added = 0
    for customer_id, values in merges:
        beat()
        customer = db.session.get(Customer, customer_id)
        if customer is None or customer.archived_at is not None:
            raise ValueError(f"customer #{customer_id} is gone")
        for field in FILLABLE:
            if not getattr(customer, field) and values.get(field):
                setattr(customer, field, values[field])
        if values["notes"]:
            customer.notes = "\n\n".join(part for part in (customer.notes, values["notes"]) if part)
        for contact in contacts_by_customer.get(values["name"], []):
            customer.contacts.append(Contact(name=contact["name"], title=contact["title"], phone=contact["phone"],
                                             mobile=contact["mobile"], email=contact["email"], birthday=contact["birthday"],
                                             birthday_md=contact["birthday"].month * 100 + contact["birthday"].day if contact["birthday"] else None,
                                             notes=contact["notes"]))
            added += 1
        refresh_keys(customer)
    db.session.flush()
    return len(merges), added

"""Customer import through the routes and the background job: the template, good, mixed and hostile
files, duplicates (skip, merge, within the file), scope of owners, all-or-nothing, and the reload."""
import io
import os
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from conftest import login_as
from customer_factories import new_customer
from followups_factories import make_team
from portal import jobs
from portal.extensions import db
from portal.models import AuditEntry, Contact, Customer, ImportJob
from portal.rules.imports import CONTACT_COLUMNS, CUSTOMER_COLUMNS

HEADERS = [header for header, _key, _required in CUSTOMER_COLUMNS]
CONTACT_HEADERS = [header for header, _key, _required in CONTACT_COLUMNS]


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def workbook(rows, contacts=None, headers=HEADERS) -> bytes:
    """A workbook like the template: ``rows`` are dicts by Chinese header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed with a leading "=" (Excel's '=…), not a formula
    if contacts is not None:
        other = book.create_sheet("联系人")
        other.append(CONTACT_HEADERS)
        for row in contacts:
            other.append([row.get(header) for header in CONTACT_HEADERS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name="customers.xlsx") -> ImportJob:
    response = client.post("/customers/import", data={"workbook": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    # The test client spools a large body to a temporary file it never closes.
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return finish(int(response.headers["Location"].rstrip("/").split("/")[-1]))


def finish(job_id: int) -> ImportJob:
    db.session.commit()  # this thread's transaction must not hold the writers' gate
    assert jobs.wait_for_all(60)
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def commit(client, job: ImportJob, **decisions) -> ImportJob:
    response = client.post(f"/customers/import/{job.id}/commit", data={f"row-{row}": value for row, value in decisions.items()})
    assert response.status_code == 303
    return finish(job.id)


def _count(model=Customer) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_template_has_headers_an_example_and_drop_downs(client, team):
    login_as(client, team["head"])
    response = client.get("/customers/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["客户"]
    assert [cell.value.rstrip("*") for cell in sheet[1]] == HEADERS and "示例" in sheet["A2"].value
    assert book["联系人"]["B1"].value == "联系人*"
    ranges = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    owner_column = "ABCDEFGHIJKLM"[HEADERS.index("负责人")]
    assert owner_column in ranges and "选项" in ranges[owner_column]
    owners = [row[4] for row in book["选项"].iter_rows(values_only=True) if row[4]]
    assert team["sales"].username in owners and team["outsider"].username not in owners


def test_a_good_file_with_contacts_is_previewed_then_imported(client, team):
    login_as(client, team["sales"])
    data = workbook(
        [{"客户名称": "鲜果超市", "手机": "１３８ ００１３ ８０００", "阶段": "意向", "意向等级": "a", "地区": "上海"},
         {"客户名称": "绿叶餐厅", "电话": "021-66668888", "邮箱": "BUY@lvye.cn"}],
        contacts=[{"客户名称": "鲜果超市", "联系人": "王经理", "手机": "13900139000", "生日": "1980/5/20"},
                  {"客户名称": "绿叶餐厅", "联系人": "李厨师长", "生日": datetime(1975, 1, 2)}],
    )
    job = upload(client, data)
    assert job.status == "ready" and job.valid_rows == 2 and job.error_count == 0 and _count() == 0
    page = client.get(f"/customers/import/{job.id}").get_data(as_text=True)
    assert "Import 2 rows" in page
    job = commit(client, job)
    assert (job.status, job.created, job.contacts) == ("done", 2, 2)
    fresh = db.session.scalar(select(Customer).where(Customer.name == "鲜果超市"))
    assert (fresh.mobile, fresh.stage, fresh.intention_grade, fresh.owner_id) == ("13800138000", "intended", "A", team["sales"].id)
    assert fresh.contacts[0].birthday == date(1980, 5, 20) and fresh.contacts[0].birthday_md == 520
    assert fresh.contacts[0].mobile_key == "13900139000"  # found by the next import's duplicate matching
    assert db.session.scalar(select(Customer.email).where(Customer.name == "绿叶餐厅")) == "buy@lvye.cn"
    # Searchable at once, and in the history.
    assert "鲜果超市" in client.get("/customers/?q=果超").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import")) == 2
    # The result survives a reload.
    assert "2 new customers" in client.get(f"/customers/import/{job.id}").get_data(as_text=True)


def test_a_mixed_file_lists_each_problem_and_imports_only_valid_rows(client, team):
    login_as(client, team["sales"])
    data = workbook([
        {"客户名称": "好客户"},
        {"客户名称": "", "手机": "13800000000"},
        {"客户名称": "坏电话", "手机": "call me"},
        {"客户名称": "坏阶段", "阶段": "火星"},
        {"客户名称": "别人的", "负责人": team["outsider"].username},
        {"客户名称": "坏邮箱", "邮箱": "not-an-address"},
    ], contacts=[{"客户名称": "不存在", "联系人": "张三"}, {"客户名称": "好客户", "联系人": "李四", "生日": "去年"}])
    job = upload(client, data)
    problems = {(e["sheet"], e["row"], e["column"]) for e in job.errors}
    assert {("客户", 3, "客户名称"), ("客户", 4, "手机"), ("客户", 5, "阶段"), ("客户", 6, "负责人"), ("客户", 7, "邮箱"),
            ("联系人", 2, "客户名称"), ("联系人", 3, "生日")} == problems
    page = client.get(f"/customers/import/{job.id}").get_data(as_text=True)
    assert "is not someone you may import customers for" in page and "This column is required." in page
    job = commit(client, job)
    assert job.created == 1 and [c.name for c in db.session.scalars(select(Customer))] == ["好客户"]


def test_duplicates_in_the_database_and_in_the_file(client, team):
    existing = new_customer(team["sales"], name="华联超市有限公司", mobile="13800138000")
    login_as(client, team["sales"])
    data = workbook([
        {"客户名称": "华联超市", "地址": "新地址 1 号", "邮箱": "hl@example.com"},    # same name key: merge
        {"客户名称": "另一家", "手机": "13800138000"},                               # same phone: skip
        {"客户名称": "新客户甲", "手机": "13711112222"},
        {"客户名称": "新客户甲（重复行）", "手机": "137 1111 2222"},                  # same as row 4 of the file
    ], contacts=[{"客户名称": "华联超市", "联系人": "新联系人"}])
    job = upload(client, data)
    rows = {d["row"]: d for d in job.duplicates}
    assert rows[2]["matches"][0]["id"] == existing.id and rows[2]["matches"][0]["reasons"] == ["name"]
    assert rows[3]["matches"][0]["reasons"] == ["phone"] and rows[5]["same_as_row"] == 4
    job = commit(client, job, **{"2": str(existing.id), "3": "skip", "5": "skip"})
    assert (job.created, job.merged, job.skipped) == (1, 1, 2)
    merged = db.session.get(Customer, existing.id)
    assert merged.address == "新地址 1 号" and merged.email == "hl@example.com" and [c.name for c in merged.contacts] == ["新联系人"]
    assert _count() == 2


def test_a_salesperson_may_not_merge_into_a_customer_not_offered(client, team):
    stranger = new_customer(team["outsider"], name="外部客户")
    new_customer(team["sales"], name="我的客户")
    login_as(client, team["sales"])
    job = upload(client, workbook([{"客户名称": "我的客户"}]))
    job = commit(client, job, **{"2": str(stranger.id)})  # not among the matches: skipped
    assert job.merged == 0 and job.skipped == 1 and db.session.get(Customer, stranger.id).notes == ""


def test_a_head_imports_for_the_department_and_the_admin_for_anyone(client, team):
    login_as(client, team["head"])
    job = upload(client, workbook([{"客户名称": "部门客户", "负责人": team["colleague"].display_name},
                                   {"客户名称": "外部门", "负责人": team["outsider"].username}]))
    assert {e["row"] for e in job.errors} == {3}
    commit(client, job)
    assert db.session.scalar(select(Customer.owner_id).where(Customer.name == "部门客户")) == team["colleague"].id
    login_as(client, team["admin"])
    job = upload(client, workbook([{"客户名称": "无负责人"}, {"客户名称": "外部门", "负责人": team["outsider"].username}]))
    assert [e["column"] for e in job.errors] == ["负责人"]  # the administrator names the owner
    job = commit(client, job)
    assert db.session.scalar(select(Customer.department_id).where(Customer.name == "外部门")) == team["veg"].id


def test_another_users_job_is_not_found(client, team):
    login_as(client, team["sales"])
    job = upload(client, workbook([{"客户名称": "甲"}]))
    login_as(client, team["colleague"])
    assert client.get(f"/customers/import/{job.id}").status_code == 404
    assert client.post(f"/customers/import/{job.id}/commit").status_code == 404


def _zip(parts: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx_with(extra: dict) -> bytes:
    """A real workbook with parts added or replaced."""
    original = zipfile.ZipFile(io.BytesIO(workbook([{"客户名称": "甲"}])))
    parts = {name: original.read(name) for name in original.namelist()}
    parts.update(extra)
    return _zip(parts)


ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>')


@pytest.mark.parametrize("name, data, message", [
    ("customers.xlsx", "客户名称,手机\n甲,138\n".encode("utf-8"), "not an .xlsx workbook"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old .xls workbook"),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an .xlsx workbook"),
    ("empty.xlsx", b"", "The file is empty."),
    ("bomb.xlsx", _zip({"[Content_Types].xml": b"<x/>", "xl/worksheets/sheet1.xml": b"0" * (300 * 1024 * 1024)}), "far more data"),
    ("macros.xlsx", _xlsx_with({"xl/vbaProject.bin": b"\x00" * 100}), "contains macros"),
    ("entities.xlsx", _xlsx_with({"xl/sharedStrings.xml": ENTITY_BOMB}), "could not be read"),
])
def test_hostile_files_are_refused_with_a_message_and_nothing_written(client, team, name, data, message):
    login_as(client, team["sales"])
    response = client.post("/customers/import", data={"workbook": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    if response.status_code == 422:
        page = response.get_data(as_text=True)
    else:
        job = finish(int(response.headers["Location"].rstrip("/").split("/")[-1]))
        assert job.status == "failed"
        page = client.get(f"/customers/import/{job.id}").get_data(as_text=True)
    assert message in page and _count() == 0


def test_a_file_over_the_size_limit(client, team):
    from portal.company_settings import set_setting

    set_setting("imports.max_mb", 1)
    db.session.commit()
    login_as(client, team["sales"])
    job = upload(client, _xlsx_with({"docProps/padding.bin": os.urandom(1_300_000)}))
    assert job.status == "failed" and "larger than 1 MB" in job.message


@pytest.mark.parametrize("headers, message", [(["名称", "电话"], "no “客户名称” header"), (HEADERS + ["邮编"], "Unknown columns: 邮编")])
def test_a_sheet_without_the_template_header(client, team, headers, message):
    login_as(client, team["sales"])
    job = upload(client, workbook([{"客户名称": "甲"}], headers=headers))
    assert job.status == "failed" and message in job.message


def test_a_hundred_thousand_empty_rows_end_the_sheet(client, team):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["甲"] + [None] * (len(HEADERS) - 1))
    sheet.cell(row=100_002, column=1, value=" ")  # "used" down to row 100,002, all blank
    buffer = io.BytesIO()
    book.save(buffer)
    login_as(client, team["sales"])
    job = upload(client, buffer.getvalue())
    assert job.status == "ready" and job.valid_rows == 1


def test_formulas_are_read_as_values_never_evaluated(client, team):
    login_as(client, team["sales"])
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["公式客户"] + [None] * (len(HEADERS) - 2) + ["=1+1"])  # a real formula, no cached value
    buffer = io.BytesIO()
    book.save(buffer)
    job = commit(client, upload(client, buffer.getvalue()))
    assert db.session.scalar(select(Customer.notes).where(Customer.name == "公式客户")) == ""  # never computed to 2
    job = upload(client, workbook([{"客户名称": '=HYPERLINK("http://x","y")', "备注": "+1+1"}]))
    commit(client, job)
    customer = db.session.scalar(select(Customer).where(Customer.notes == "+1+1"))
    assert customer.name == '=HYPERLINK("http://x","y")'
    # …and exported back as text, not as a formula.
    login_as(client, team["sales"])
    sheet = load_workbook(io.BytesIO(client.get("/customers/export").data)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value == '=HYPERLINK("http://x","y")']
    assert cells and cells[0].data_type == "s"


def test_the_commit_is_all_or_nothing(client, team, monkeypatch):
    login_as(client, team["sales"])
    job = upload(client, workbook([{"客户名称": "甲"}, {"客户名称": "乙"}], contacts=[{"客户名称": "乙", "联系人": "张三"}]))
    from portal.blueprints.customers import imports

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_merge_rows", broken)
    job = commit(client, job)
    assert job.status == "failed" and "Nothing was imported" in job.message
    assert _count() == 0 and _count(Contact) == 0


def test_the_bulk_duplicate_matching_agrees_with_the_customer_forms(team):
    """The import's matching gives the same customers and reasons as the one the customer form uses."""
    from portal.blueprints.customers.queries import DuplicateIndex, find_duplicates

    new_customer(team["sales"], name="ＡＢＣ水果有限公司", mobile="13800138000", email="abc@x.cn")
    new_customer(team["outsider"], name="别家", contacts=[Contact(name="王", mobile="+86 139-0013-9000")])
    new_customer(team["colleague"], name="abc水果", phone="021-66668888")
    probes = [("abc水果", ["13900139000"], ""), ("新名字", ["１３８００１３８０００"], ""), ("无关", [], "ABC@x.cn"),
              ("无关", ["021 6666 8888"], ""), ("完全不同", ["12345"], "")]
    index = DuplicateIndex(probes)
    for name, phones, email in probes:
        expected = [(match.customer.id, match.reasons) for match in find_duplicates(name, phones, email)]
        assert index.matches(name, phones, email) == expected, name

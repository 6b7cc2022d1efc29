"""Documents that leave the company — the quote, the sales contract, the delivery note — as PDFs
and print views: the letterhead from the settings (name, tax number, bank, logo), the customer,
the totals, the amount in capitals (大写) once and the title once, in either language."""
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import login_as
from contracts_factories import make_contract, make_delivery
from customer_factories import new_customer
from followups_factories import make_team
from portal.company_settings import get_setting, set_setting
from portal.extensions import db
from portal.models import Contact
from portal.rules.followups import company_today
from quotes_factories import make_quote

COMPANY = {
    "company.name": "深圳鲜果供应链有限公司",
    "company.address": "深圳市福田区农产品批发市场 8 号",
    "company.phone": "0755-83330000",
    "company.tax_number": "91440300MA5F000X1Y",
    "company.bank": "招商银行深圳分行\n户名：深圳鲜果供应链有限公司\n账号：7559 0000 1234 567",
}
TERMS = "一、质量标准：按国家一级果标准验收。\n二、争议解决：协商不成的，向供方所在地人民法院起诉。"


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def company():
    for key, value in COMPANY.items():
        set_setting(key, value)
    set_setting("contract.terms", TERMS)
    db.session.commit()


@pytest.fixture
def customer(team):
    return new_customer(team["sales"], name="华联超市", address="上海市静安区南京西路 1 号", phone="021-62220000",
                        contacts=[Contact(name="王经理", mobile="13800000001")])


@pytest.fixture
def chinese(client, team):
    """The salesperson reads the portal in Chinese (the company's default)."""
    team["sales"].language = "zh_CN"
    db.session.commit()
    login_as(client, team["sales"])
    return team["sales"]


@pytest.fixture
def english(client, team):
    login_as(client, team["sales"])
    return team["sales"]


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_in_order(text: str, *parts: str) -> None:
    """Each part appears in ``text``, after the one before it."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position} in:\n{text}"
        position = found + len(part)


def _contract(customer):
    today = company_today()
    contract = make_contract(
        customer, lines=[("阳光玫瑰葡萄", "7", "260.00")], signed_on=today - timedelta(days=2),
        plan=[(today + timedelta(days=10), "1000.00"), (today + timedelta(days=40), "1056.60")],
        usage="门店零售", delivery_terms="供方送货到门", payment_terms="分两期付款",
        contact_id=customer.contacts[0].id,
    )
    make_delivery(contract, address="上海市浦东新区 1 号")
    return contract


# --- the quote ----------------------------------------------------------------------------------


def test_the_quote_pdf_reads_letterhead_customer_totals_and_capitals_once(client, company, customer, chinese):
    quote = make_quote(customer, lines=[("苹果", "10", "100.00", "0")])
    text = pdf_text(client.get(f"/quotes/{quote.id}/pdf"))
    assert_in_order(text, COMPANY["company.name"], "0755-83330000", "税号", COMPANY["company.tax_number"],
                    "开户行及账号", "7559 0000 1234 567", "报价单", quote.number, "华联超市", "苹果",
                    "1,000.00", "130.00", "¥1,130.00", "大写", "壹仟壹佰叁拾元整")
    assert text.count("报价单") == 1 and text.count("大写") == 1


def test_the_quote_print_view_prints_its_title_and_capitals_label_once(client, company, customer, chinese):
    quote = make_quote(customer, lines=[("苹果", "10", "100.00", "0")])
    page = client.get(f"/quotes/{quote.id}/print").get_data(as_text=True)
    assert_in_order(page, COMPANY["company.name"], COMPANY["company.tax_number"], "报价单", "华联超市",
                    "1,130.00", "大写", "壹仟壹佰叁拾元整")
    assert page.count("报价单") == 1 and page.count("大写") == 1 and "报价单 报价单" not in page


def test_in_english_the_titles_keep_their_chinese_once(client, company, customer, english):
    quote = make_quote(customer, lines=[("苹果", "10", "100.00", "0")])
    text = pdf_text(client.get(f"/quotes/{quote.id}/pdf"))
    assert_in_order(text, COMPANY["company.name"], "Tax number", COMPANY["company.tax_number"], "Quotation 报价单",
                    "华联超市", "In words 大写", "壹仟壹佰叁拾元整")
    assert text.count("报价单") == 1 and text.count("大写") == 1


def test_without_company_details_the_letterhead_is_only_the_title(client, customer, chinese):
    quote = make_quote(customer, lines=[("苹果", "1", "5.00", "0")])
    text = pdf_text(client.get(f"/quotes/{quote.id}/pdf"))
    assert "税号" not in text and "开户行" not in text and text.count("报价单") == 1


# --- the sales contract -------------------------------------------------------------------------


def test_the_contract_pdf_has_both_parties_amounts_plan_delivery_and_terms(client, company, customer, chinese):
    contract = _contract(customer)
    text = pdf_text(client.get(f"/contracts/{contract.id}/document/pdf"))
    assert_in_order(
        text, COMPANY["company.name"], COMPANY["company.tax_number"], "7559 0000 1234 567", "销售合同", contract.number,
        "供方", "需方", "华联超市", "上海市静安区南京西路 1 号", "021-62220000", "王经理 13800000001",
        "阳光玫瑰葡萄", "1,820.00", "236.60", "¥2,056.60", "大写", "贰仟零伍拾陆元陆角",
        "付款计划", "1,000.00", "1,056.60", "分两期付款", "供方送货到门", "上海市浦东新区 1 号", "门店零售",
        "合同条款", "一、质量标准", "二、争议解决", "需方（盖章）",
    )
    assert text.count("销售合同") == 1 and text.count("大写") == 1


def test_the_contract_print_view_matches_and_the_contract_page_links_it(client, company, customer, chinese):
    contract = _contract(customer)
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert f"/contracts/{contract.id}/document" in detail and f"/contracts/{contract.id}/document/pdf" in detail
    page = client.get(f"/contracts/{contract.id}/document").get_data(as_text=True)
    assert_in_order(page, COMPANY["company.name"], COMPANY["company.tax_number"], "销售合同", "华联超市",
                    "¥2,056.60", "大写", "贰仟零伍拾陆元陆角", "付款计划", "门店零售", "一、质量标准")
    assert page.count("销售合同") == 2  # the window's title and the document's, once each
    assert page.count("大写") == 1 and "<nav" not in page


def test_a_contract_document_without_plan_or_terms_leaves_them_out(client, customer, chinese):
    contract = make_contract(customer, lines=[("苹果", "1", "10.00")])
    text = pdf_text(client.get(f"/contracts/{contract.id}/document/pdf"))
    assert "付款计划" not in text and "合同条款" not in text and "上海市静安区南京西路 1 号" in text


def test_another_salespersons_contract_document_is_not_found(client, team, company, customer):
    contract = _contract(customer)
    login_as(client, team["outsider"])
    assert client.get(f"/contracts/{contract.id}/document").status_code == 404
    assert client.get(f"/contracts/{contract.id}/document/pdf").status_code == 404


# --- the delivery note --------------------------------------------------------------------------


def test_the_delivery_note_pdf_has_the_letterhead_and_no_prices(client, company, customer, chinese):
    contract = _contract(customer)
    delivery = contract_delivery = make_delivery(contract, quantities={1: 3}, address="杭州市西湖区 2 号")
    text = pdf_text(client.get(f"/contracts/{contract.id}/deliveries/{contract_delivery.id}/pdf"))
    assert_in_order(text, COMPANY["company.name"], COMPANY["company.tax_number"], "送货单", f"{contract.number}-S{delivery.sequence}",
                    "华联超市", "杭州市西湖区 2 号", "阳光玫瑰葡萄", "3")
    assert text.count("送货单") == 1 and "大写" not in text and "260" not in text and "2,056.60" not in text
    page = client.get(f"/contracts/{contract.id}/deliveries/{delivery.id}/note").get_data(as_text=True)
    assert page.count("送货单") == 2 and COMPANY["company.tax_number"] in page  # window title and document title


# --- the settings: tax number and logo ----------------------------------------------------------


def _png(size=(120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def _stored_logos(app) -> set:
    folder = Path(app.instance_path) / "uploads" / "company"
    return set(folder.iterdir()) if folder.exists() else set()


def _upload(client, content: bytes, name: str = "logo.png"):
    return client.post("/settings/logo", data={"logo": (io.BytesIO(content), name)}, content_type="multipart/form-data",
                       follow_redirects=True)


def test_the_tax_number_follows_the_phone_on_the_settings_page(client, team):
    login_as(client, team["admin"])
    page = client.get("/settings/company").get_data(as_text=True)
    assert_in_order(page, 'name="company__phone"', 'name="company__tax_number"', 'name="company__bank"')
    assert 'name="company__logo"' not in page


def test_an_uploaded_logo_prints_on_every_document(app, client, team, company, customer):
    login_as(client, team["admin"])
    page = _upload(client, _png()).get_data(as_text=True)
    assert "Logo uploaded." in page
    stored = get_setting("company.logo")
    path = Path(app.instance_path) / "uploads" / "company" / stored
    assert path.read_bytes() == _png() and "static" not in str(path)
    login_as(client, team["sales"])
    logo = client.get("/settings/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.headers["X-Content-Type-Options"] == "nosniff"
    contract = _contract(customer)
    quote = make_quote(customer, lines=[("苹果", "1", "5.00", "0")])
    for url in (f"/quotes/{quote.id}/pdf", f"/contracts/{contract.id}/document/pdf"):
        reader = PdfReader(io.BytesIO(client.get(url).data))
        assert len(reader.pages[0].images) == 1, url
    assert "/settings/logo" in client.get(f"/quotes/{quote.id}/print").get_data(as_text=True)


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4\n" + b"0" * 100, "Only a PNG or JPEG picture can be a logo."),
    (b"MZ\x90\x00" + b"\x00" * 100, "Only a PNG or JPEG picture can be a logo."),
    (b"\x89PNG\r\n\x1a\n" + b"broken" * 20, "This file is not a readable PNG or JPEG picture."),
    (b"", "The file is empty."),
])
def test_anything_but_a_readable_png_or_jpeg_is_refused(app, client, team, content, message):
    login_as(client, team["admin"])
    before = _stored_logos(app)
    page = _upload(client, content).get_data(as_text=True)
    assert message in page and get_setting("company.logo") == "" and _stored_logos(app) == before


def test_a_logo_over_the_size_limit_is_refused(app, client, team):
    login_as(client, team["admin"])
    before = _stored_logos(app)
    big = _png() + b"\x00" * (1024 * 1024)
    assert "The logo is larger than 1024 KB." in _upload(client, big).get_data(as_text=True)
    assert get_setting("company.logo") == "" and _stored_logos(app) == before


def test_a_picture_too_many_pixels_wide_is_refused(app, client, team):
    login_as(client, team["admin"])
    buffer = io.BytesIO()
    Image.new("1", (4100, 10)).save(buffer, "PNG")
    assert "larger than 4000 pixels a side" in _upload(client, buffer.getvalue()).get_data(as_text=True)
    assert get_setting("company.logo") == ""


def test_removing_the_logo_prints_documents_without_it(client, team, customer):
    login_as(client, team["admin"])
    _upload(client, _png())
    assert client.get("/settings/logo").status_code == 200
    client.post("/settings/logo/remove")
    assert get_setting("company.logo") == "" and client.get("/settings/logo").status_code == 404
    quote = make_quote(customer, lines=[("苹果", "1", "5.00", "0")])
    reader = PdfReader(io.BytesIO(client.get(f"/quotes/{quote.id}/pdf").data))
    assert len(reader.pages[0].images) == 0

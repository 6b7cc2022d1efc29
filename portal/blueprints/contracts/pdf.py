"""The contract (销售合同) and the delivery note (送货单) as PDFs: the same content as their print views."""
from flask_babel import gettext as _

from portal.letterhead import bilingual
from portal.printing import PortalPdf
from portal.rendering import day, money, quantity


def delivery_note_pdf(contract, delivery, number: str, company: dict) -> bytes:
    pdf = PortalPdf(title=number)
    pdf.letterhead(company, bilingual(_("Delivery note"), "送货单"))
    pdf.grid(
        [
            [_("Number"), number, _("Planned delivery date"), day(delivery.planned_on)],
            [_("Customer"), contract.customer.name, _("Contract"), contract.number],
            [_("Receiving contact"), delivery.receiver, _("Receiver's phone"), delivery.receiver_phone],
            [_("Delivery address"), delivery.address, _("Salesperson"), contract.owner.display_name],
        ],
        widths=(26, 68, 32, 60),
        heading=False,
    )
    rows = [["#", _("Item"), _("Model / specification"), _("Quantity"), _("Unit")]]
    for position, item in enumerate(delivery.lines, start=1):
        line = item.contract_line
        rows.append([position, line.name, line.spec, quantity(item.quantity), line.unit])
    pdf.grid(rows, widths=(10, 60, 66, 28, 22))
    if delivery.notes:
        pdf.paragraph(f'{_("Notes")}：{delivery.notes}')
    pdf.signatures(_("Delivered by"), _("Received in good order by"))
    return pdf.document()


def contact_line(contact) -> str:
    """The buyer's contact person as printed: name and a phone number, or "" without one."""
    if contact is None:
        return ""
    return " ".join(part for part in (contact.name, contact.mobile or contact.phone) if part)


def contract_pdf(contract, company: dict, lines, instalments, delivery_addresses, capitals: str, terms: str,
                 buyer_contact: str) -> bytes:
    customer = contract.customer
    pdf = PortalPdf(title=contract.number)
    pdf.letterhead(company, bilingual(_("Sales contract"), "销售合同"))
    pdf.grid([[_("Number"), contract.number, _("Signed on"), day(contract.signed_on)]], widths=(22, 72, 22, 70), heading=False)
    pdf.grid(
        [
            ["", _("Supplier"), _("Buyer")],
            [_("Name"), company["name"], customer.name],
            [_("Address"), company["address"], customer.address],
            [_("Phone"), company["phone"], customer.phone or customer.mobile],
            [_("Contact person"), contract.owner.display_name, buyer_contact],
        ],
        widths=(26, 80, 80),
    )
    pdf.priced_lines(lines, contract, capitals)
    if instalments:
        pdf.gap(2)
        pdf.paragraph(_("Payment plan"), size=11)
        rows = [["#", _("Due on"), _("Amount")]]
        rows += [[number, day(item.due_on), money(item.amount)] for number, item in enumerate(instalments, start=1)]
        pdf.grid(rows, widths=(10, 60, 50))
    pdf.gap(2)
    pdf.paragraph(f'{_("Payment terms")}：{contract.payment_terms or "—"}')
    pdf.paragraph(f'{_("Delivery terms")}：{contract.delivery_terms or "—"}')
    pdf.paragraph(f'{_("Delivery address")}：{"；".join(delivery_addresses) or "—"}')
    pdf.paragraph(f'{_("Usage / purpose")}：{contract.usage or "—"}')
    if contract.notes:
        pdf.paragraph(f'{_("Notes")}：{contract.notes}')
    if terms:
        pdf.gap(2)
        pdf.paragraph(_("Contract terms"), size=11)
        pdf.paragraph(terms, size=9)
    pdf.signatures(_("Supplier (seal)"), _("Buyer (seal)"))
    return pdf.document()

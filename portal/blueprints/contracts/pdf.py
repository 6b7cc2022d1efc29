"""The delivery note (送货单) as a PDF: the same content as its print view, for the warehouse."""
from flask_babel import gettext as _

from portal.printing import PortalPdf
from portal.rendering import day, quantity


def delivery_note_pdf(contract, delivery, number: str, company: dict) -> bytes:
    pdf = PortalPdf(title=number)
    pdf.centred(company["name"] or _("Delivery note"), size=15)
    if company["address"] or company["phone"]:
        pdf.centred(" · ".join(part for part in (company["address"], company["phone"] and f'{_("Tel.")} {company["phone"]}') if part), size=9)
    pdf.gap(2)
    pdf.centred(f'{_("Delivery note")} 送货单', size=13)
    pdf.gap(3)
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
    pdf.gap(10)
    pdf.grid(
        [[_("Delivered by"), _("Received in good order by")],
         [f'{_("Signature")}：\n\n{_("Date")}：', f'{_("Signature")}：\n\n{_("Date")}：']],
        widths=(93, 93),
    )
    return pdf.document()

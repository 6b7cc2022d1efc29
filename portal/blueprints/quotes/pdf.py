"""The quote as a PDF: the same content as the print view, laid out for A4."""
from flask_babel import gettext as _

from portal.printing import PortalPdf
from portal.rendering import day, money, quantity


def quote_pdf(quote, lines, company: dict, capitals: str) -> bytes:
    pdf = PortalPdf(title=quote.number)
    pdf.centred(company["name"] or _("Quote"), size=15)
    if company["address"] or company["phone"]:
        pdf.centred(" · ".join(part for part in (company["address"], company["phone"] and f'{_("Tel.")} {company["phone"]}') if part), size=9)
    pdf.gap(2)
    pdf.centred(f'{_("Quotation")} 报价单', size=13)
    pdf.gap(3)
    pdf.grid(
        [
            [_("Number"), quote.number, _("Date"), day(quote.quote_date)],
            [_("Customer"), quote.customer.name, _("Valid until"), day(quote.valid_until)],
            [_("Contact person"), quote.contact.name if quote.contact else "", _("Salesperson"), quote.owner.display_name],
        ],
        widths=(22, 72, 22, 70),
        heading=False,
    )
    rows = [["#", _("Item"), _("Model / specification"), _("Quantity"), _("Unit"), _("Unit price"), _("Discount") + " %", _("Amount")]]
    for number, line in enumerate(lines, start=1):
        rows.append([number, line.name, line.spec, quantity(line.quantity), line.unit, money(line.unit_price),
                     quantity(line.discount_percent), money(line.amount)])
    rows.append(["", _("Amount without tax"), "", "", "", "", "", money(quote.amount_net)])
    rows.append(["", _("Tax (%(rate)s %%)", rate=quantity(quote.tax_rate)), "", "", "", "", "", money(quote.amount_tax)])
    rows.append(["", _("Amount with tax"), "", "", "", "", "", "¥" + money(quote.amount_gross)])
    pdf.grid(rows, widths=(8, 40, 38, 18, 12, 24, 16, 30))
    pdf.paragraph(f'{_("In words")} 大写：{capitals}', size=11)
    pdf.gap(2)
    pdf.paragraph(f'{_("Delivery terms")}：{quote.delivery_terms or "—"}')
    pdf.paragraph(f'{_("Payment terms")}：{quote.payment_terms or "—"}')
    if quote.notes:
        pdf.paragraph(f'{_("Notes")}：{quote.notes}')
    if company["tax_number"]:
        pdf.paragraph(f'{_("Tax number")}：{company["tax_number"]}')
    if company["bank"]:
        pdf.paragraph(f'{_("Bank and account")}：{company["bank"]}')
    pdf.gap(10)
    pdf.grid(
        [[_("Supplier (seal)"), _("Customer (seal)")],
         [f'{_("Signature")}：\n\n{_("Date")}：', f'{_("Signature")}：\n\n{_("Date")}：']],
        widths=(93, 93),
    )
    return pdf.document()

"""The quote as a PDF: the same content as the print view, laid out for A4."""
from flask_babel import gettext as _

from portal.letterhead import bilingual
from portal.printing import PortalPdf
from portal.rendering import day


def quote_pdf(quote, lines, company: dict, capitals: str) -> bytes:
    pdf = PortalPdf(title=quote.number)
    pdf.letterhead(company, bilingual(_("Quotation"), "报价单"))
    pdf.grid(
        [
            [_("Number"), quote.number, _("Date"), day(quote.quote_date)],
            [_("Customer"), quote.customer.name, _("Valid until"), day(quote.valid_until)],
            [_("Contact person"), quote.contact.name if quote.contact else "", _("Salesperson"), quote.owner.display_name],
        ],
        widths=(22, 72, 22, 70),
        heading=False,
    )
    pdf.priced_lines(lines, quote, capitals)
    pdf.gap(2)
    pdf.paragraph(f'{_("Delivery terms")}：{quote.delivery_terms or "—"}')
    pdf.paragraph(f'{_("Payment terms")}：{quote.payment_terms or "—"}')
    if quote.notes:
        pdf.paragraph(f'{_("Notes")}：{quote.notes}')
    pdf.signatures(_("Supplier (seal)"), _("Customer (seal)"))
    return pdf.document()

"""PDF documents (a quote, a contract, a delivery note) whose Chinese text shows on any machine.

fpdf2 writes the PDF; the fonts come with the portal (``portal/static/fonts``) and each document
embeds only the subset of glyphs it uses: DejaVu Sans for Latin letters, digits and signs, Droid
Sans Fallback for Chinese. A one-page quote takes about 0.3 s, most of it reading the fonts.
The HTML print views stay the on-screen and browser-print form of the same documents.
"""
import io
from pathlib import Path

from flask import send_file
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from portal.letterhead import bilingual, logo_path
from portal.rendering import money, quantity

FONTS = Path(__file__).resolve().parent / "static" / "fonts"
LATIN, CJK = "latin", "cjk"
# The logo's box at the left of the letterhead, in millimetres.
LOGO_WIDTH, LOGO_HEIGHT = 36, 16


def letterhead_lines(company: dict) -> list[str]:
    """The letterhead's small print under the company name: address and phone, tax number, bank
    and account (its lines joined), each line only when the settings hold something for it."""
    lines = []
    contact = [company.get("address") or "", company.get("phone") and f'{_("Tel.")} {company["phone"]}']
    if any(contact):
        lines.append(" · ".join(part for part in contact if part))
    if company.get("tax_number"):
        lines.append(f'{_("Tax number")}：{company["tax_number"]}')
    if company.get("bank"):
        bank = " ".join(part.strip() for part in company["bank"].splitlines() if part.strip())
        lines.append(f'{_("Bank and account")}：{bank}')
    return lines


class PortalPdf(FPDF):
    """An A4 page with the portal's fonts and a few building blocks for business documents."""

    def __init__(self, title: str = ""):
        super().__init__(format="A4")
        self.add_font(LATIN, fname=str(FONTS / "DejaVuSans.ttf"))
        self.add_font(CJK, fname=str(FONTS / "DroidSansFallback.ttf"))
        self.set_fallback_fonts([CJK])
        self.set_margins(12, 15, 12)
        self.set_auto_page_break(True, margin=15)
        self.set_title(title)
        self.add_page()
        self.set_font(LATIN, size=10)

    def letterhead(self, company: dict, title: str) -> None:
        """The company's letterhead (``company_details()``), the logo at the left, then the
        document's title once; the same lines as the print views' ``letterhead`` macro."""
        top, margins = self.get_y(), (self.l_margin, self.t_margin, self.r_margin)
        logo = logo_path(company.get("logo"))
        if logo is not None:
            self.image(str(logo), x=self.l_margin, y=top, w=LOGO_WIDTH, h=LOGO_HEIGHT, keep_aspect_ratio=True)
            # The text centres between the logo and an equal space at the right.
            self.set_margins(margins[0] + LOGO_WIDTH + 2, margins[1], margins[2] + LOGO_WIDTH + 2)
            self.set_x(self.l_margin)
        if company.get("name"):
            self.centred(company["name"], size=15)
        for line in letterhead_lines(company):
            self.centred(line, size=9)
        if logo is not None:
            self.set_margins(*margins)
            self.set_y(max(self.get_y(), top + LOGO_HEIGHT))
        self.gap(2)
        self.centred(title, size=13)
        self.gap(3)

    def priced_lines(self, lines, record, capitals: str) -> None:
        """A quote's or contract's lines, the totals of ``record`` (tax_rate, amount_net/_tax/_gross)
        and the amount in Chinese capitals (大写), its label once in either language."""
        rows = [["#", _("Item"), _("Model / specification"), _("Quantity"), _("Unit"), _("Unit price"),
                 _("Discount") + " %", _("Amount")]]
        for number, line in enumerate(lines, start=1):
            rows.append([number, line.name, line.spec, quantity(line.quantity), line.unit, money(line.unit_price),
                         quantity(line.discount_percent), money(line.amount)])
        rows.append(["", _("Amount without tax"), "", "", "", "", "", money(record.amount_net)])
        rows.append(["", _("Tax (%(rate)s %%)", rate=quantity(record.tax_rate)), "", "", "", "", "", money(record.amount_tax)])
        rows.append(["", _("Amount with tax"), "", "", "", "", "", "¥" + money(record.amount_gross)])
        self.grid(rows, widths=(8, 40, 38, 18, 12, 24, 16, 30))
        self.paragraph(f'{bilingual(_("In words"), "大写")}：{capitals}', size=11)

    def signatures(self, left: str, right: str) -> None:
        """Two signature blocks side by side, under the headings given."""
        self.gap(10)
        blank = f'{_("Signature")}：\n\n{_("Date")}：'
        self.grid([[left, right], [blank, blank]], widths=(93, 93))

    def centred(self, text: str, size: float = 10) -> None:
        self.set_font(LATIN, size=size)
        self.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(LATIN, size=10)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.set_font(LATIN, size=size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")

    def gap(self, millimetres: float = 3) -> None:
        self.ln(millimetres)

    def grid(self, rows, widths, heading: bool = True, align=None) -> None:
        """A bordered table; ``rows`` are lists of strings, the first the heading when ``heading``."""
        with self.table(
            col_widths=widths,
            first_row_as_headings=heading,
            headings_style=FontFace(fill_color=(235, 235, 235)),
            text_align=align or "LEFT",
            line_height=5.5,
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(str(value))
        self.gap(2)

    def document(self) -> bytes:
        return bytes(self.output())


def pdf_response(data: bytes, filename: str):
    """A PDF download; the file name may be Chinese (sent as RFC 5987 ``filename*``)."""
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename)

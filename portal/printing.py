"""PDF documents (a quote, later a delivery note) whose Chinese text shows on any machine.

fpdf2 writes the PDF; the fonts come with the portal (``portal/static/fonts``) and each document
embeds only the subset of glyphs it uses: DejaVu Sans for Latin letters, digits and signs, Droid
Sans Fallback for Chinese. A one-page quote takes about 0.3 s, most of it reading the fonts.
The HTML print views stay the on-screen and browser-print form of the same documents.
"""
import io
from pathlib import Path

from flask import send_file
from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parent / "static" / "fonts"
LATIN, CJK = "latin", "cjk"


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

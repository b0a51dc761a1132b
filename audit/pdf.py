"""The readable register extract as a PDF file (fpdf2: pure Python, maintained, no
system libraries). Same content and words as the printable page (`presentation`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .presentation import ReadableExtract


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1 (Swedish included); anything else is replaced
    # rather than failing the whole extract.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def render(extract: ReadableExtract) -> bytes:
    # Imported here: fpdf2 costs about 0.35 s of CPU to import, paid by every process
    # that loads the URLconf (the audit views import this module); only a PDF needs it.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, size * 0.5 + 2, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def line(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(width, 5, _latin1(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width, 5, _latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")

    heading(_("Register extract: what social services hold about you"), 16)
    line(_("Produced"), extract.produced_at)
    line(_("We have held data about you since"), extract.since or "-")
    pdf.ln(3)
    heading(_("What we hold"), 13)
    for topic in extract.topics:
        heading(topic.title, 11)
        for row in topic.rows:
            for label, value in row:
                line(label, value)
            pdf.ln(2)
    heading(_("Who has read your data"), 13)
    pdf.set_font("Helvetica", "", 10)
    for read in extract.reads:
        pdf.multi_cell(
            width,
            5,
            _latin1(
                f"{read['at']}  {read['who']}"
                + (f", {read['posts']}" if read["posts"] else "")
                + f"  ({read['how']})"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())

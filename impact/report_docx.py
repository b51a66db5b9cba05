"""The report as an editable Word document (python-docx): the same sections, tables and charts as
the PDF (charts as high-resolution PNG), real headings for Word's table of contents, and after each
section a place for the committee's comments, which the coordinator fills in before sending."""

from __future__ import annotations

import io
import re

from impact import fmt, report_charts
from impact.report import EXACT_MARK, Report, Table, cell_text
from impact.report_pdf import NUMERIC, chart_alt

_BOLD = re.compile(r"(\*\*.+?\*\*)")
BLUE = (0x0B, 0x4F, 0x7C)


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC) in `paragraph`, computed by Word when it opens the file."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _markdown(paragraph, text: str) -> None:
    for part in _BOLD.split(text):
        if part.startswith("**") and part.endswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        elif part:
            paragraph.add_run(part)


def _table(doc, table: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    columns = [str(c) for c in table.data.columns]
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style = "Light List Accent 1"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    kinds0 = [table.kind(0, c) if len(table.data) else table.kinds.get(c, "text") for c in columns]
    for cell, name, kind in zip(grid.rows[0].cells, columns, kinds0, strict=True):
        cell.text = name
        if kind in NUMERIC:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _repeat_header(grid.rows[0])
    for i, values in enumerate(table.data.itertuples(index=False)):
        cells = grid.add_row().cells
        for cell, col, value in zip(cells, columns, values, strict=True):
            kind = table.kind(i, col)
            cell.text = cell_text(value, kind)
            if kind in NUMERIC and col != columns[0]:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)


def _comments(doc) -> None:
    doc.add_heading("Commentaires du comité", level=3)
    doc.add_paragraph("(à compléter)")


def document(report: Report, images: dict[str, bytes] | None = None) -> bytes:
    """The .docx bytes; `images` holds each table's chart as PNG (by key)."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt, RGBColor

    images = images or {}
    doc = Document()
    doc.core_properties.title = f"{report.title} — {report.cite}"
    doc.core_properties.author = report.cite
    doc.core_properties.language = "fr-FR"
    normal = doc.styles["Normal"]
    normal.font.name = "Liberation Sans"
    normal.font.size = Pt(10)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    normal.element.get_or_add_rPr().append(lang)
    update = OxmlElement("w:updateFields")   # Word fills in the table of contents when it opens the file
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    header = section.header.paragraphs[0]
    header.text = f"{report.title} · {report.cite}"
    if report.exact:
        mark = header.add_run(f"   {EXACT_MARK}")
        mark.bold = True
        mark.font.color.rgb = RGBColor(0x8B, 0, 0)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" sur ")
    _field(footer, "NUMPAGES", "1")

    # cover
    cite = doc.add_paragraph()
    run = cite.add_run(report.cite)
    run.font.size, run.font.color.rgb = Pt(14), RGBColor(*BLUE)
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(f"Période : {report.period}").runs[0].font.size = Pt(13)
    if report.exact:
        run = doc.add_paragraph().add_run(f"{EXACT_MARK} : ne pas diffuser.")
        run.bold, run.font.color.rgb = True, RGBColor(0x8B, 0, 0)
    doc.add_heading("Filtres", level=2)
    for line in report.filters or ["Aucun filtre : toutes les actions, tous les publics."]:
        doc.add_paragraph(line, style="List Bullet" if report.filters else None)
    doc.add_paragraph(f"Document produit le {fmt.date(report.produced_on)}.")
    doc.add_heading("Fraîcheur des données", level=2)
    for label, when in report.freshness:
        doc.add_paragraph(f"{label} : dernier import le {fmt.date(when)}" if when else f"{label} : aucun import",
                          style="List Bullet")
    if report.rule_note:
        doc.add_paragraph(report.rule_note).runs[0].font.size = Pt(8.5)

    doc.add_page_break()
    doc.add_heading("Sommaire", level=1)
    _field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u',
           "Le sommaire se met à jour à l'ouverture (sinon : clic droit, « Mettre à jour les champs »).")

    for part in report.sections:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        doc.add_heading(part.title, level=1)
        for text in part.paragraphs:
            doc.add_paragraph(text)
        for table in part.tables:
            if table.title != part.title:
                doc.add_heading(table.title, level=2)
            if table.key in images:
                picture = doc.add_picture(io.BytesIO(images[table.key]), width=Cm(17))
                picture._inline.docPr.set("descr", chart_alt(table))
            _table(doc, table)
            if table.note:
                doc.add_paragraph(table.note).runs[0].font.size = Pt(8.5)
        if part.key == "chiffres_cles" and report.rule_note:
            doc.add_paragraph(report.rule_note).runs[0].font.size = Pt(8.5)
        _comments(doc)

    doc.add_section(WD_SECTION.NEW_PAGE)
    doc.add_heading("Méthodologie", level=1)
    for title, text in report.methodology:
        doc.add_heading(title, level=3)
        _markdown(doc.add_paragraph(), text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx(report: Report) -> bytes:
    """The report as a Word document; ReportToolsMissing when Chromium (charts) is missing."""
    report_charts.require_tools(word=True)
    with_charts = [t for t in report.tables if t.chart]
    images = report_charts.render([t.chart for t in with_charts], "png")
    return document(report, {t.key: image for t, image in zip(with_charts, images, strict=True)})

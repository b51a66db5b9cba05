"""The report as a printable, tagged PDF (PDF/UA): HTML and CSS (impact/templates/report.css) laid
out by WeasyPrint, the charts drawn as SVG by kaleido (vector: crisp at any zoom)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from impact import fmt, report_charts
from impact.report import EXACT_MARK, Report, Table, cell_text

CSS = Path(__file__).resolve().parent / "templates" / "report.css"
PDF_VARIANT = "pdf/ua-1"   # tagged for screen readers
NUMERIC = {"count", "number", "money", "percent", "decimal", "ratio"}
SHORT_TABLE = 25   # rows: a shorter table is kept on one page
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def markdown_html(text: str) -> str:
    """The methodology's light Markdown (**bold**) as HTML, everything else escaped."""
    return _BOLD.sub(r"<strong>\1</strong>", _e(text))


def chart_alt(table: Table) -> str:
    return f"Graphique : {table.title}. Ses chiffres sont dans le tableau qui le suit."


def table_html(table: Table) -> str:
    columns = [str(c) for c in table.data.columns]
    first_kinds = [table.kind(0, c) if len(table.data) else table.kinds.get(c, "text") for c in columns]
    head = "".join(f'<th scope="col" class="{"num" if k in NUMERIC else "text"}">{_e(c)}</th>'
                   for c, k in zip(columns, first_kinds, strict=True))
    rows = []
    for i, values in enumerate(table.data.itertuples(index=False)):
        cells = []
        for j, (col, value) in enumerate(zip(columns, values, strict=True)):
            kind = table.kind(i, col)
            text = _e(cell_text(value, kind))
            if j == 0:
                cells.append(f'<th scope="row" class="text">{text}</th>' if table.row_kinds else f"<td>{text}</td>")
            else:
                cells.append(f'<td class="{"num" if kind in NUMERIC else "text"}">{text}</td>')
        total = ' class="total"' if values and str(values[0]) == "Total" else ""
        rows.append(f"<tr{total}>{''.join(cells)}</tr>")
    classes = (["key"] if table.row_kinds else []) + (["short"] if len(table.data) <= SHORT_TABLE else [])
    css_class = f' class="{" ".join(classes)}"' if classes else ""
    return (f"<table{css_class}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def to_html(report: Report, charts: dict[str, bytes] | None = None) -> str:
    """The whole report as one HTML document; `charts` holds each table's chart as SVG (by key)."""
    charts = charts or {}
    parts = [f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
             f"<title>{_e(report.title)} — {_e(report.cite)}</title>"
             f'<meta name="author" content="{_e(report.cite)}">'
             f'<meta name="description" content="{_e(report.title)}, {_e(report.period)}">'
             f"<style>{CSS.read_text(encoding='utf-8')}"]
    if report.exact:
        parts.append(f'@page {{ @top-center {{ content: "{EXACT_MARK}"; color: #8b0000; font-weight: bold; '
                     'font-size: 8.5pt; }} }}')
    parts.append("</style></head><body>")

    # cover
    title = re.sub(r"(\S+–\S+)", r'<span class="nowrap">\1</span>', _e(report.title))   # 2022–2024 on one line
    parts.append(f'<section class="cover"><p class="cite">{_e(report.cite)}</p><h1>{title}</h1>'
                 f'<p class="period">Période : {_e(report.period)}</p>')
    if report.exact:
        parts.append(f'<p class="exact-mark">{_e(EXACT_MARK)} : ne pas diffuser.</p>')
    parts.append("<h2>Filtres</h2>")
    if report.filters:
        parts.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in report.filters) + "</ul>")
    else:
        parts.append("<p>Aucun filtre : toutes les actions, tous les publics.</p>")
    parts.append(f"<p>Document produit le {fmt.date(report.produced_on)}.</p>")
    parts.append('<h2>Fraîcheur des données</h2><table><thead><tr><th scope="col">Fichier</th>'
                 '<th scope="col">Dernier import</th></tr></thead><tbody>')
    for label, when in report.freshness:
        parts.append(f"<tr><td>{_e(label)}</td><td>{_e(fmt.date(when) if when else 'aucun import')}</td></tr>")
    parts.append("</tbody></table>")
    if report.rule_note:
        parts.append(f'<p class="rule">{_e(report.rule_note)}</p>')
    parts.append("</section>")

    # table of contents
    parts.append('<nav class="toc"><h2>Sommaire</h2><ol>')
    for section in report.sections:
        parts.append(f'<li class="section"><a href="#s-{section.key}">{_e(section.title)}</a></li>')
        for table in section.tables:
            if table.title != section.title:
                parts.append(f'<li class="table"><a href="#t-{table.key}">{_e(table.title)}</a></li>')
    parts.append('<li class="section"><a href="#s-methodologie">Méthodologie</a></li></ol></nav>')

    for section in report.sections:
        parts.append(f'<section id="s-{section.key}"><h2>{_e(section.title)}</h2>')
        parts += [f"<p>{_e(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            if table.title != section.title:
                parts.append(f'<h3 id="t-{table.key}">{_e(table.title)}</h3>')
            if table.key in charts:
                image = base64.b64encode(charts[table.key]).decode("ascii")
                parts.append(f'<figure><img alt="{_e(chart_alt(table))}" '
                             f'src="data:image/svg+xml;base64,{image}"></figure>')
            parts.append(table_html(table))
            if table.note:
                parts.append(f'<p class="note">{_e(table.note)}</p>')
        if section.key == "chiffres_cles" and report.rule_note:
            parts.append(f'<p class="note">{_e(report.rule_note)}</p>')
        parts.append("</section>")

    parts.append('<section id="s-methodologie" class="methodology"><h2>Méthodologie</h2>')
    for title, text in report.methodology:
        parts.append(f"<h3>{_e(title)}</h3><p>{markdown_html(text)}</p>")
    parts.append("</section></body></html>")
    return "".join(parts)


def pdf(report: Report) -> bytes:
    """The report as PDF bytes (tagged, A4); ReportToolsMissing when Chromium or Pango is missing."""
    report_charts.require_tools()
    import weasyprint

    with_charts = [t for t in report.tables if t.chart]
    images = report_charts.render([t.chart for t in with_charts], "svg")
    document = to_html(report, {t.key: image for t, image in zip(with_charts, images, strict=True)})
    return weasyprint.HTML(string=document, base_url=str(CSS.parent)).write_pdf(pdf_variant=PDF_VARIANT)

"""The revue de projet: the Rapport page, the PDF, the Word document, the workbook and the indicators
file show the same figures, under the readers' small-count rule unless an exact version is asked for.

PDF and Word renderings start Chromium (kaleido) and WeasyPrint: the module renders one PDF and one
Word document, shared by the tests that read them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from impact import cli, indicators, report, report_charts, report_docx, report_pdf, spreadsheets
from impact.filters import Filters
from impact.settings import load_settings
from impact.store import Store
from tests import fixtures

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2025, 6, 30)
SETTINGS = load_settings()
# The selection every output is read under: 2023, two of the three actions.
SELECTION = Filters(dt.date(2023, 1, 1), dt.date(2023, 12, 31), actions=("A1", "A2"))
QUERY = {"annee": "2023", "action": "A1,A2"}
COUNT_KINDS = {"count"}
# Each key figure's place in the indicators file.
JSON_PATHS = {
    "Participations": ("participation", "participations"),
    "Participants distincts": ("participation", "participants"),
    "Séances": ("participation", "seances"),
    "Actions avec activité": ("participation", "actions_actives"),
    "Parcours (2 actions ou plus)": ("participation", "parcours"),
    "Jeunes 16-25 ans distincts": ("tranche_prioritaire", "jeunes"),
    "Part des 16-25 ans": ("tranche_prioritaire", "part_des_participants"),
    "Jeunes 16-25 ans habitant le QPV": ("tranche_prioritaire", "jeunes_qpv"),
    "Taux de couverture des 16-25 ans du QPV": ("tranche_prioritaire", "taux_couverture"),
    "Enveloppe État": ("budget_etat", "enveloppe"),
    "Programmé État": ("budget_etat", "programme"),
    "Engagé État": ("budget_etat", "engage"),
    "Payé État": ("budget_etat", "paye"),
    "Reste à payer": ("budget_etat", "reste_a_payer"),
    "Taux de programmation": ("budget_etat", "taux_programmation"),
    "Taux d'exécution": ("budget_etat", "taux_execution"),
    "Effet levier (€ autres financeurs par € État)": ("effet_levier", "levier"),
}


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.duckdb"
    with Store(path).connect() as con:
        fixtures.build_participation_store(con)
    return path


@pytest.fixture(scope="module")
def gathered(built_db):
    with Store(built_db).connect() as con:
        return report.gather(con, SELECTION, SETTINGS, TODAY)


@pytest.fixture(scope="module")
def readers(gathered) -> report.Report:
    return report.build(gathered, SETTINGS)


# The tests that read the PDF run in one process (pytest-xdist), which renders it once.
READS_THE_PDF = pytest.mark.xdist_group("rapport-pdf")


@pytest.fixture(scope="module")
def pdf_text(readers) -> str:
    """The readers' PDF, rendered once for the module, as pypdf extracts its text."""
    import pypdf

    data = report_pdf.pdf(readers)
    assert data.startswith(b"%PDF-")
    pdf = pypdf.PdfReader(io.BytesIO(data))
    assert pdf.root_object["/MarkInfo"]["/Marked"]          # tagged for screen readers
    assert pdf.root_object["/Lang"] == "fr"
    return "\n".join(page.extract_text() for page in pdf.pages)


def _same_space(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _page(db: Path, monkeypatch, coordinator: bool = False) -> AppTest:
    monkeypatch.setenv("IMPACT_DB", str(db))
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    for k, v in QUERY.items():
        at.query_params[k] = v
    at.session_state["role"] = "coordinateur" if coordinator else "comite"
    at.switch_page("pages/rapport.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return fixtures.prepare_report(at)


def _key_figures_on_page(at: AppTest) -> dict[str, str]:
    table = next(df.value for df in at.dataframe if "Indicateur" in df.value.columns)
    assert list(table.columns) == ["Indicateur", "2023", "2022"]
    return dict(zip(table["Indicateur"], table["2023"], strict=True))


# --- one selection, four outputs ------------------------------------------------------------------

@READS_THE_PDF
def test_page_pdf_workbook_and_indicators_show_the_same_figures(built_db, monkeypatch, readers, gathered, pdf_text):
    shown = _key_figures_on_page(_page(built_db, monkeypatch))
    # known by construction (tests/fixtures.build_participation_store): A1 and A2 in 2023 hold 16
    # participations of 5 people, 9 sessions; readers see 15 and 5, the parcours (3) hidden
    assert shown["Participations"] == "15" and shown["Participants distincts"] == "5"
    assert shown["Séances"] == "9" and shown["Parcours (2 actions ou plus)"] == "< 5"
    assert _same_space(shown["Programmé État"]) == "12 000,00 €"

    text = _same_space(pdf_text)
    for label, value in shown.items():
        assert f"{label} {_same_space(value)} " in text, (label, value)
    assert "Période : du 01/01/2023 au 31/12/2023" in text
    assert "Actions : Atelier rap, Boxe éducative" in text

    book = openpyxl.load_workbook(io.BytesIO(report.workbook(readers)))
    assert book.sheetnames[0] == "Sélection"
    cover = {row[0]: row[1] for row in book["Sélection"].iter_rows(min_row=2, values_only=True)}
    assert cover["Filtres"] == "Actions : Atelier rap, Boxe éducative"
    assert cover["Période"] == "du 01/01/2023 au 31/12/2023"
    sheet = book["Chiffres clés"]
    kinds = dict(zip([label for label, _, _ in report.KEY_ROWS], [k for _, k, _ in report.KEY_ROWS], strict=True))
    for label, value, _ in sheet.iter_rows(min_row=2, values_only=True):
        kind = kinds[label.replace("16-25 ans", "{focus}")]
        assert _same_space(report.cell_text(value, kind)) == _same_space(shown[label]), label

    doc = json.loads(indicators.to_json(indicators.document(gathered, SETTINGS)))
    for label, (part, field) in JSON_PATHS.items():
        value = doc[part][field]
        kind = kinds[label.replace("16-25 ans", "{focus}")]
        expected = shown[label]
        if value is None:
            assert expected in ("< 5", "masqué", "—"), (label, expected)
        else:
            assert _same_space(report.cell_text(value, kind)) == _same_space(expected), label
    assert doc["filtres"]["actions"] == ["A1", "A2"]
    assert doc["periode"] == {"debut": "2023-01-01", "fin": "2023-12-31", "annee": 2023}


@READS_THE_PDF
def test_every_table_of_the_report_is_in_the_pdf(readers, pdf_text):
    text = _same_space(pdf_text)
    for table in readers.tables:
        assert table.title in text
        for i, row in enumerate(table.data.itertuples(index=False)):
            line = " ".join(_same_space(report.cell_text(v, table.kind(i, c)))
                            for c, v in zip(table.data.columns, row, strict=True))
            assert line in text, (table.key, line)


# --- the readers' rule --------------------------------------------------------------------------

def _json_counts(value, path=""):
    """Every count of people or participations in the indicators file (documented count keys)."""
    count_keys = {"participations", "participations_sans_identite", "participants", "parcours", "jeunes",
                  "jeunes_qpv"}
    if isinstance(value, dict):
        for k, v in value.items():
            if k in count_keys and not isinstance(v, (dict, list)):
                yield f"{path}.{k}", v
            else:
                yield from _json_counts(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_counts(v, f"{path}[{i}]")


@READS_THE_PDF
def test_a_readers_report_holds_no_count_from_1_to_4(readers, gathered, pdf_text):
    # the store is full of small counts: exact, A2 has 3 participants, the head count of A1 is 3…
    exact = report.build(gathered, SETTINGS, exact=True)
    assert exact.table("participation_par_action").data["Participants distincts"].tolist() == [4, 3]
    for table in readers.tables:
        for i, row in enumerate(table.data.itertuples(index=False)):
            for column, value in zip(table.data.columns, row, strict=True):
                if table.kind(i, column) in COUNT_KINDS:
                    assert value in (0, "< 5") or (isinstance(value, int) and value % 5 == 0), \
                        (table.key, column, value)
    # …the PDF holds each table row as built above (previous test), and no sentence gives one
    assert not re.search(r"(?<![\d,/])[1-4] (participations?|participants?|jeunes|personnes)\b",
                         _same_space(pdf_text))
    assert "Dont < 5 participations comptées par effectif" in _same_space(pdf_text)
    doc = indicators.document(gathered, SETTINGS)
    counts = list(_json_counts(doc))
    assert counts and not [(p, v) for p, v in counts if v is not None and 1 <= v <= 4]
    assert doc["petits_effectifs"] == {"appliquee": True, "seuil": 5, "arrondi": 5}
    assert not readers.exact and "Document interne" not in pdf_text


def test_an_exact_version_says_so_on_every_page(gathered):
    exact = report.build(gathered, SETTINGS, exact=True)
    html = report_pdf.to_html(exact)
    assert '@page { @top-center { content: "Document interne — effectifs exacts"' in html
    assert "Document interne — effectifs exacts : ne pas diffuser." in html
    doc = indicators.document(gathered, SETTINGS, exact=True)
    assert doc["petits_effectifs"]["appliquee"] is False
    assert doc["participation"]["participations"] == 16
    import docx

    word = docx.Document(io.BytesIO(report_docx.document(exact)))
    assert "Document interne — effectifs exacts" in word.sections[0].header.paragraphs[0].text


# --- the workbook ---------------------------------------------------------------------------------

def test_workbook_sheets_numbers_and_no_formula(tmp_path):
    with Store(tmp_path / "f.duckdb").connect() as con:
        fixtures.build_participation_store(con)
        fixtures.action(con, "EVIL", "=HYPERLINK(\"http://x\";\"clic\")", porteur="@porteur")
        fixtures.attendance(con, [{"date": "2023-05-02", "action": "EVIL", "nombre": 30}])
        gathered = report.gather(con, Filters(dt.date(2023, 1, 1), dt.date(2023, 12, 31)), SETTINGS, TODAY)
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(report.build(gathered, SETTINGS))))
    assert book.sheetnames[:3] == ["Sélection", "Chiffres clés", "Participation par action"]
    assert "Parcours nombre d'actions suivi" in book.sheetnames   # no « : », 31 characters at most
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "@", "+"))]
    actions = book["Participation par action"]
    header = [c.value for c in actions[1]]
    evil = next(row for row in actions.iter_rows(min_row=2) if str(row[0].value).startswith("'="))
    cell = evil[header.index("Participations")]
    assert cell.value == 30 and cell.number_format == "#,##0"
    money = book["Crédits de l'État par année de"]
    assert any(c.number_format == '#,##0.00 "€"' for row in money.iter_rows(min_row=2) for c in row)
    key = book["Chiffres clés"]
    rate = next(row for row in key.iter_rows(min_row=2) if row[0].value == "Taux d'exécution")
    assert rate[1].number_format == "0.0%"


def test_sheet_names_excel_accepts():
    assert spreadsheets.sheet_names(["A: b/c", "x" * 40, "x" * 40, "Sélection"]) == [
        "A b c", "x" * 31, "x" * 27 + " (2)", "Sélection"]


# --- periods --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("year", "today", "expected"), [
    (2023, TODAY, ("2023-01-01", "2023-12-31", "Revue de projet 2023", ["2023", "2022"])),
    (2022, TODAY, ("2022-01-01", "2022-12-31", "Revue de projet 2022", ["2022"])),
    (None, TODAY, ("2022-01-01", "2024-12-31", "Revue de projet — convention 2022–2024",
                   ["2022–2024", "2022", "2023", "2024"])),
    (None, dt.date(2023, 6, 30), ("2022-01-01", "2023-06-30",
                                  "Revue de projet de la convention, du 01/01/2022 au 30/06/2023",
                                  ["du 01/01/2022 au 30/06/2023", "2022", "du 01/01/2023 au 30/06/2023"])),
])
def test_report_periods(year, today, expected):
    filters = report.year_filters(SETTINGS, year, today)
    start, end, title, periods = expected
    assert (filters.date_from.isoformat(), filters.date_to.isoformat()) == (start, end)
    assert report.report_title(filters, SETTINGS) == title
    assert [label for label, _ in report.comparison_periods(filters, SETTINGS)] == periods


def test_a_year_outside_the_convention_is_refused():
    with pytest.raises(report.ReportPeriodError, match="L'année 2030 n'est pas une année de la convention"):
        report.year_filters(SETTINGS, 2030, TODAY)


def test_freshness_gives_each_kind_its_latest_import(readers):
    assert [label for label, _ in readers.freshness] == ["Référentiel des actions", "Programmation budgétaire",
                                                          "Dépenses", "Présences"]
    assert all(when is not None for _, when in readers.freshness)


# --- command line ---------------------------------------------------------------------------------

def test_command_line_indicators(built_db, capsys):
    assert cli.main(["indicators", "--year", "2023", "--db", str(built_db)], today=TODAY) == cli.OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == indicators.SCHEMA_VERSION and doc["participation"]["participations"] == 25
    assert cli.main(["indicators", "--format", "csv", "--exact", "--db", str(built_db)], today=TODAY) == cli.OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rubrique,cle,mesure,valeur"
    assert "participation,,participations,29" in lines
    assert "par_action,A1,participants,4" in lines


@pytest.mark.parametrize(("args", "message"), [
    (["report", "--year", "2030", "--out", "{tmp}/r.pdf"], "L'année 2030 n'est pas une année de la convention"),
    (["report", "--out", "{tmp}/r.txt"], "doit finir par .pdf"),
    (["report", "--out", "{tmp}/absent/r.pdf"], "n'existe pas"),
    (["indicators", "--year", "1999"], "L'année 1999 n'est pas une année de la convention"),
])
def test_command_line_usage_errors(built_db, tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert cli.main([*args, "--db", str(built_db)], today=TODAY) == cli.USAGE
    assert message in capsys.readouterr().err


def test_command_line_says_what_the_report_lacks(built_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(report_charts, "browser_path", lambda: None)
    assert cli.main(["report", "--out", str(tmp_path / "r.pdf"), "--db", str(built_db)], today=TODAY) == cli.USAGE
    err = capsys.readouterr().err
    assert "il manque le navigateur Chromium" in err and "apt-get install chromium" in err
    assert not (tmp_path / "r.pdf").exists()


def test_command_line_writes_the_word_document(built_db, tmp_path, capsys):
    import docx

    out = tmp_path / "revue.docx"
    assert cli.main(["report", "--year", "2023", "--out", str(out), "--db", str(built_db)], today=TODAY) == cli.OK
    assert "Revue de projet 2023 écrite dans" in capsys.readouterr().err
    word = docx.Document(str(out))
    texts = [p.text for p in word.paragraphs]
    assert "Revue de projet 2023" in texts and "Commentaires du comité" in texts
    assert len(word.inline_shapes) >= 5                                  # the charts, as pictures
    assert all(s._inline.docPr.get("descr", "").startswith("Graphique : ") for s in word.inline_shapes)
    key = word.tables[0]
    assert [c.text for c in key.rows[0].cells] == ["Indicateur", "2023", "2022"]
    assert [c.text for c in key.rows[1].cells] == ["Participations", "25", "0"]


# --- the page -------------------------------------------------------------------------------------

def test_page_prepares_the_report_when_asked_then_keeps_it(built_db, tmp_path, monkeypatch):
    db = tmp_path / "report.duckdb"
    shutil.copy(built_db, db)
    monkeypatch.setenv("IMPACT_DB", str(db))
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    for k, v in QUERY.items():
        at.query_params[k] = v
    at.session_state["role"] = "comite"
    at.run()
    at.switch_page("pages/rapport.py").run()
    assert not at.exception
    # nothing computed before it is asked: an invitation, one button, no figure and no file
    assert any("Préparez-la" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Préparer la revue de projet"]
    assert not at.dataframe and not at.get("download_button")
    fixtures.prepare_report(at)
    assert _key_figures_on_page(at)["Participations"] == "15"
    assert not at.info and "Préparer la revue de projet" not in [b.label for b in at.button]
    assert [b.label for b in at.get("download_button")][:1] == ["Exporter tout (.xlsx)"]
    at.run()   # the same selection and data: shown at once
    assert _key_figures_on_page(at)["Participations"] == "15"
    with Store(db).connect() as con:   # the data change (an import): the report is prepared again
        fixtures.action(con, "A9", "Nouvelle action")
    at.run()
    assert [b.label for b in at.button] == ["Préparer la revue de projet"] and not at.dataframe


def test_page_exact_version_for_a_coordinator_only(built_db, monkeypatch):
    reader = _page(built_db, monkeypatch)
    assert not [t for t in reader.toggle if "effectifs exacts" in t.label]
    at = _page(built_db, monkeypatch, coordinator=True)
    assert _key_figures_on_page(at)["Participations"] == "15"      # the readers' rule by default
    at.toggle(key="report_exact").set_value(True).run()
    assert _key_figures_on_page(at)["Participations"] == "16"
    assert any("Document interne — effectifs exacts" in w.value for w in at.warning)


def test_page_says_what_the_report_lacks(built_db, monkeypatch):
    monkeypatch.setattr(report_charts, "browser_path", lambda: None)
    at = _page(built_db, monkeypatch)
    assert any("le navigateur Chromium" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label.startswith("Préparer")]
    buttons = at.get("download_button")
    assert [b.label for b in buttons] == ["Exporter tout (.xlsx)", "Indicateurs (JSON)", "Indicateurs (CSV)"]
    # written with the page: a download written on click is lost when the page runs again first
    assert not any(b.proto.HasField("deferred_file_id") for b in buttons) and all(b.proto.url for b in buttons)


# --- the indicators file's documentation ----------------------------------------------------------

def _keys(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}{k}"
            yield from _keys(v, f"{path}{k}.")
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from _keys(value[0], f"{path[:-1]}[].")


def test_every_key_of_the_indicators_file_is_documented(gathered):
    documented = (ROOT / "docs" / "indicateurs.md").read_text(encoding="utf-8")
    assert f"version {indicators.SCHEMA_VERSION}" in documented
    missing = [k for k in _keys(indicators.document(gathered, SETTINGS)) if f"`{k}`" not in documented]
    assert not missing, f"keys missing from docs/indicateurs.md: {missing}"

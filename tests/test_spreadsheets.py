"""Downloads from the pages: a French spreadsheet reads every number as a number (decimal comma,
money to the cent, shares as percentages, months and dates as dates), masked cells stay text and
formulas stay neutralised. The files are read back as bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from impact import budget, participation, spreadsheets

FRAME = pd.DataFrame({
    "Action": ["=HYPERLINK(\"http://x\")", "Café"],
    "Mois": [pd.Timestamp("2023-04-01"), pd.Timestamp("2024-11-01")],
    "Date": [dt.date(2023, 12, 31), dt.date(2024, 1, 2)],
    "Reste à payer": [6305.940000000002, 1000.0],
    "Taux d'exécution": [0.9638628080229226, 1.2],
    "Participations": pd.Series([743, "< 5"], dtype=object),
    "Présence moyenne par séance": pd.Series([15.8, "masqué"], dtype=object),
    "Séances": [47, 1234],
    "Part": [0.68181818, 0.31818182],
})


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_cells_are_french_numbers():
    header, first, second = _csv_rows(spreadsheets.french_csv(FRAME))
    assert header == list(FRAME.columns)
    assert first == ["'=HYPERLINK(\"http://x\")", "2023-04", "31/12/2023", "6305,94", "96,39%", "743", "15,8",
                     "47", "68,18%"]
    assert second == ["Café", "2024-11", "02/01/2024", "1000,00", "120%", "< 5", "masqué", "1234", "31,82%"]


def test_xlsx_cells_are_numbers_and_dates_with_formats():
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx(FRAME))).active
    rows = list(sheet.iter_rows(min_row=1, max_row=3))
    assert [c.value for c in rows[0]] == list(FRAME.columns)
    cells = {h: (rows[1][i], rows[2][i]) for i, h in enumerate(FRAME.columns)}
    assert cells["Action"][0].value == "'=HYPERLINK(\"http://x\")"
    month = cells["Mois"][0]
    assert month.value == dt.datetime(2023, 4, 1) and month.number_format == "mm/yyyy"
    assert cells["Date"][0].value == dt.datetime(2023, 12, 31) and cells["Date"][0].number_format == "dd/mm/yyyy"
    money = cells["Reste à payer"][0]
    assert money.value == 6305.94 and money.number_format == '#,##0.00 "€"'
    rate = cells["Taux d'exécution"][0]
    assert rate.value == pytest.approx(0.9638628) and rate.number_format == "0.0%"
    assert cells["Participations"][0].value == 743 and isinstance(cells["Participations"][0].value, int)
    assert cells["Participations"][1].value == "< 5" and cells["Participations"][1].data_type == "s"
    assert cells["Présence moyenne par séance"][0].value == 15.8
    assert cells["Présence moyenne par séance"][0].number_format == "#,##0.00"
    assert cells["Présence moyenne par séance"][1].value == "masqué"
    assert cells["Séances"][1].value == 1234 and cells["Séances"][1].number_format == "#,##0"
    assert cells["Part"][0].number_format == "0.0%"


def test_xlsx_empty_cells_and_other_values():
    """Missing values (None, NaN, NaT, pd.NA) leave the cell empty; a time of day is kept; a text
    that looks like a link or a number stays text."""
    frame = pd.DataFrame({
        "Participations": pd.array([3, None], dtype="Int64"),
        "Importé le": [pd.Timestamp("2024-01-02 10:30", tz="Europe/Paris"), pd.NaT],
        "Fichier": ["http://x", "0123"],
        "Reste à payer": [float("nan"), 2.5],
    })
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx(frame))).active
    first, second = ([c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=3))
    assert first == [3, dt.datetime(2024, 1, 2, 10, 30), "http://x", None]
    assert second == [None, None, "0123", 2.5]


def test_writing_a_workbook_opens_no_file():
    """The .xlsx is built in memory: no cell, a coordinator's exact counts included, goes through a
    temporary file. Python's audit hook sees every file opened while the workbook is written (a hook
    cannot be removed: it stays, inert, for the rest of the process)."""
    import sys

    opened: list[str] = []
    watching = [True]

    def hook(event: str, args: tuple) -> None:
        if watching[0] and event in ("open", "os.open", "tempfile.mkstemp", "tempfile.mkdtemp"):
            opened.append(f"{event} {args[0]!r}")

    spreadsheets.workbook([spreadsheets.Sheet("Échauffement", FRAME)])   # the library imported first
    sys.addaudithook(hook)
    try:
        data = spreadsheets.workbook([spreadsheets.Sheet("Années", FRAME), spreadsheets.Sheet("Actions", FRAME)])
    finally:
        watching[0] = False
    assert data.startswith(b"PK") and not opened, opened


def _numeric_headers() -> dict[str, str]:
    """Every numeric header the pages download, with its kind as the core declares it."""
    kinds = {"count": "number", "decimal": "decimal", "percent": "percent", "month": "month"}
    expected = {label: kinds[kind] for label, kind in participation.COLUMNS.values() if kind in kinds}
    for label in budget.YEAR_MONEY + budget.ACTION_MONEY:
        expected[label] = "money"
    for label in budget.YEAR_PERCENTS:
        expected[label] = "percent"
    for mapping in (budget.THEME_COLUMNS, budget.PORTEUR_COLUMNS, budget.COST_COLUMNS, budget.PACE_COLUMNS):
        for key, label in mapping.items():
            if key in ("programme", "engage", "paye", "reste_a_payer", "programme_etat", "paye_etat", "paye_mois",
                       "paye_cumule", "rythme_lineaire", "projection", "enveloppe", "cout_participant",
                       "cout_participation"):
                expected[label] = "money"
            elif key.startswith("taux"):
                expected[label] = "percent"
            elif key == "mois":
                expected[label] = "month"
    expected.update({"Effet levier (€ autres financeurs par € État)": "decimal", "Part du programmé": "percent",
                     "Programmé 2023": "money", "Total programmé": "money", "Total payé": "money",
                     "Enveloppe État": "money", "Programmé / enveloppe": "percent", "Payé / enveloppe": "percent",
                     "Payé dans le mois": "money", "Payé cumulé": "money", "Enveloppe cumulée": "money"})
    return expected


def test_every_numeric_header_of_the_pages_gets_its_kind():
    kinds = {h: (spreadsheets.column_kind(h), k) for h, k in _numeric_headers().items()}
    wrong = {h: pair for h, pair in kinds.items() if pair[0] != pair[1]}
    assert not wrong, wrong

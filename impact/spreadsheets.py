"""Downloads from the pages: CSV that opens right in French Excel, and .xlsx, numbers as numbers.

Text cells that a spreadsheet would take for a formula (=, +, -, @ first) are neutralised
with a leading apostrophe, so a partner's `=HYPERLINK(...)` never runs on a reader's machine.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"-?\d+([.,]\d+)?")


def neutralise(value):
    """Prefix a text cell that a spreadsheet would run as a formula (a plain "-20" stays)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _neutralised(df: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


# What a download's column holds, told from its French header (the pages name their columns for
# readers; the kinds below cover every numeric header they use, checked by tests/test_spreadsheets.py).
# A share first: « Taux d'exécution », « Part du programmé », « Programmé / enveloppe ».
_PERCENT = re.compile(r"^(taux|part)\b|/ ?enveloppe|%", re.IGNORECASE)
_DECIMAL = re.compile(r"levier|moyenne", re.IGNORECASE)
_MONEY = re.compile(r"€|montant|programmé|engagé|payé|reste à payer|enveloppe|coût|rythme linéaire|projection",
                    re.IGNORECASE)
_MONTH = re.compile(r"^mois\b", re.IGNORECASE)

XLSX_FORMATS = {"money": '#,##0.00 "€"', "percent": "0.0%", "decimal": "#,##0.00", "count": "#,##0",
                "month": "mm/yyyy", "date": "dd/mm/yyyy"}


def column_kind(header: str) -> str:
    """'month', 'percent', 'decimal', 'money' or 'number' (whatever the values: text cells such as
    "< 5" stay text in every kind)."""
    if _MONTH.search(header):
        return "month"
    if _PERCENT.search(header):
        return "percent"
    if _DECIMAL.search(header):
        return "decimal"
    if _MONEY.search(header):
        return "money"
    return "number"


def _is_number(value) -> bool:
    import numbers
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and value == value


def _is_date(value) -> bool:
    return hasattr(value, "strftime") and value == value   # date, datetime, Timestamp (not NaT)


def _csv_cell(value, kind: str):
    """A cell as French Excel reads it: 1234,5 / 6305,94 / 58,17% / 2023-04 / 31/12/2023."""
    if _is_date(value):
        return value.strftime("%Y-%m" if kind == "month" else "%d/%m/%Y")
    if not _is_number(value):
        return value
    if kind == "money":
        text = f"{float(value):.2f}"
    elif kind == "percent":
        text = f"{float(value) * 100:.2f}".rstrip("0").rstrip(".") + "%"
    elif float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def french_csv(df: pd.DataFrame) -> bytes:
    """`;` separator, decimal comma in every number, money to the cent, shares as percentages, months
    as 2023-04, dates as 31/12/2023, masked cells as text; UTF-8 with BOM, CRLF."""
    out = _neutralised(df).astype(object)
    for col in out.columns:
        kind = column_kind(str(col))
        out[col] = out[col].map(lambda v, kind=kind: _csv_cell(v, kind))
    text = out.to_csv(sep=";", index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def _xlsx_value(value, kind: str):
    import datetime as dt

    import pandas as pd
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value is pd.NA:
        return None   # an empty cell
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if _is_date(value):
        return value.replace(day=1) if kind == "month" else value
    if _is_number(value):
        if kind == "money":
            return round(float(value), 2)
        return int(value) if float(value).is_integer() else float(value)
    return value


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name, its table, and (optionally) each cell's kind as
    `kind(row index, column)` ('month', 'percent', 'decimal', 'money' or 'number') when the column's
    French header does not tell it (a table whose rows hold figures of different kinds)."""
    name: str
    frame: pd.DataFrame
    kind: Callable[[int, str], str] | None = None


_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_names(names: list[str]) -> list[str]:
    """Names Excel accepts: no \\ / ? * [ ] :, at most 31 characters, each different."""
    out: list[str] = []
    for name in names:
        base = " ".join(_SHEET_NAME_FORBIDDEN.sub(" ", name).split())[:31].strip() or "Feuille"
        candidate, n = base, 2
        while candidate.lower() in (o.lower() for o in out):
            suffix = f" ({n})"
            candidate, n = base[:31 - len(suffix)].rstrip() + suffix, n + 1
        out.append(candidate)
    return out


def xlsx(df: pd.DataFrame, sheet: str = "Données") -> bytes:
    """A sheet whose numbers are numbers (€, % and count formats), months and dates real dates
    (mm/aaaa, jj/mm/aaaa), masked cells text; formulas neutralised."""
    return workbook([Sheet(sheet, df)])


def workbook(sheets: list[Sheet]) -> bytes:
    """Several sheets in one .xlsx, each written as `xlsx` writes one. XlsxWriter builds the file in
    memory: no cell is ever written to a temporary file (a coordinator's exact counts included)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    formats = {"header": book.add_format({"bold": True}),
               **{kind: book.add_format({"num_format": code}) for kind, code in XLSX_FORMATS.items()}}
    for sheet, name in zip(sheets, sheet_names([s.name for s in sheets]), strict=True):
        _write_sheet(book.add_worksheet(name), sheet, formats)
    book.close()
    return buf.getvalue()


def _write_sheet(ws, sheet: Sheet, formats: dict) -> None:
    out = _neutralised(sheet.frame).astype(object)
    columns = [str(col) for col in out.columns]
    header_kinds = [column_kind(col) for col in columns]
    for c, col in enumerate(columns):
        ws.write_string(0, c, col, formats["header"])
    for i, row in enumerate(out.itertuples(index=False)):
        kinds = [sheet.kind(i, col) for col in columns] if sheet.kind else header_kinds
        for c, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            value = _xlsx_value(value, kind)
            if value is None:
                continue
            if _is_date(value):
                ws.write_datetime(i + 1, c, value, formats["month" if kind == "month" else "date"])
            elif _is_number(value) and math.isfinite(value):
                fmt_kind = kind if kind in ("money", "percent", "decimal") else "count"
                if fmt_kind == "count" and not float(value).is_integer():
                    fmt_kind = "decimal"
                ws.write_number(i + 1, c, value, formats[fmt_kind])
            elif isinstance(value, bool):
                ws.write_boolean(i + 1, c, value)
            else:
                ws.write_string(i + 1, c, str(value))

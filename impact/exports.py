"""Downloads: CSV that opens right in French Excel, and .xlsx.

Text cells that a spreadsheet would take for a formula (=, +, -, @ first) are neutralised
with a leading apostrophe, so a partner's `=HYPERLINK(...)` never runs on a reader's machine.
"""

from __future__ import annotations

import io
import re
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


def french_csv(df: pd.DataFrame) -> bytes:
    """`;` separator, decimal comma, dates as 31/12/2023, UTF-8 with BOM, CRLF."""
    import pandas as pd
    out = _neutralised(df)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%d/%m/%Y")
        elif out[col].map(lambda v: hasattr(v, "strftime")).any():
            out[col] = out[col].map(lambda v: v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v)
    text = out.to_csv(sep=";", index=False, decimal=",", lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def xlsx(df: pd.DataFrame, sheet: str = "Données") -> bytes:
    import pandas as pd
    buf = io.BytesIO()
    out = _neutralised(df)
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()

"""French formats for what the user reads: 1 234,50 €, 31/12/2023, 12,5 %."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

NBSP = "\u202f"  # narrow no-break space, the French thousands separator
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "NaT")


def number(value, decimals: int = 0) -> str:
    """>>> number(1234.5, 2)
    '1 234,50'  (with narrow no-break spaces)"""
    if _missing(value):
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def integer(value) -> str:
    return number(value, 0)


# Money, one form per kind of figure, the same on every page:
# - key figures (metrics) and amounts in a sentence: whole euros (`whole_euros`, 686 102 €);
# - table cells, downloads and a chart's hover (the exact amount): cents (`euros(v, cents=True)`);
# - unit costs (per participant, per young person): cents;
# - labels written on bars: short (1,2 M€, 168 k€: impact.charts.budget.short_euros).
def euros(value, cents: bool | None = None) -> str:
    """300 000 € for whole amounts, 12 345,67 € otherwise (or as `cents` says)."""
    if _missing(value):
        return "—"
    v = float(value)
    if cents is None:
        cents = round(v, 2) != round(v)
    return f"{number(v, 2 if cents else 0)}\u00a0€"


def whole_euros(value) -> str:
    """Metrics in whole euros (300 000 €; the tables beside them give the cents)."""
    return euros(value, cents=False)


def percent(value, decimals: int = 1) -> str:
    """A ratio (0.125) as 12,5 %."""
    if _missing(value):
        return "—"
    return f"{number(float(value) * 100, decimals)}\u00a0%"


def date(value) -> str:
    if _missing(value):
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def month(value) -> str:
    """A month as « mars 2023 »."""
    if _missing(value):
        return "—"
    return f"{MONTHS[value.month - 1]} {value.year}"


# The characters that start Markdown (or Streamlit's own :colour[…], :emoji: and $formula$) inside a
# line; a backslash makes each literal. Punctuation that only counts at a line's start (# - + 1.)
# is escaped there.
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>~$:|!&"})
_LINE_START = re.compile(r"^(\s*\d*)([#>+-]|(?<=\d)[.)])")


def markdown_text(value) -> str:
    """Text from a partner's file or the store (a title, a porteur, a file name, a header), made
    literal for st.markdown and the other Streamlit elements that read Markdown: `![x](http://…)`
    shows as written instead of fetching an image, `**gras**` keeps its stars, `:red[x]` and `$x$`
    are not styled. Line breaks become spaces (one line stays one line).

    >>> markdown_text("**gras**")
    '\\\\*\\\\*gras\\\\*\\\\*'
    """
    text = " ".join(("" if _missing(value) else str(value)).splitlines())
    text = text.translate(_MARKDOWN_ESCAPES)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def french_frame(df: pd.DataFrame, counts: tuple[str, ...] = (), percents: tuple[str, ...] = (),
                 decimals: tuple[str, ...] = (), months: tuple[str, ...] = (), dates: tuple[str, ...] = (),
                 money: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy as French text for display; masked cells ("< 5", "masqué") stay as they are."""
    out = df.copy()

    def keep_text(f):
        return lambda v: v if isinstance(v, str) else f(v)
    for cols, f in ((counts, integer), (percents, percent), (decimals, lambda v: number(v, 1)),
                    (months, month), (dates, date), (money, lambda v: euros(v, cents=True))):
        for c in cols:
            out[c] = out[c].map(keep_text(f)).astype(object)
    return out

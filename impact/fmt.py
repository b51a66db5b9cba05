"""French formats for what the user reads: 1 234,50 €, 31/12/2023, 12,5 %."""

from __future__ import annotations

import datetime as dt
import math

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

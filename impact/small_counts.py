"""The small-count rule: what a viewer may see of counts of people or participations.

Coordinators and administrators see exact counts. Everyone else (and every report made to be
sent) sees, as statistics offices publish them:
- a count from 1 to `threshold` - 1 as « < 5 » (the threshold's value);
- every other count rounded down to a multiple of `base` (0 stays 0): a shown 10 is 10 to 14;
- figures derived from counts (averages, shares, costs per person) computed from the rounded
  counts, and shown only where their count is shown.
Rounding every count, not only hiding the small ones, is what keeps a hidden count hidden when a
reader subtracts one table's total from another, or compares two links that differ by one filter.
Rounding down rather than to the nearest multiple: with the nearest, a total of 8 reads 10 (8 to
12), and two hidden parts of it (1 to 4 each) can then only be 4 and 4; rounded down it reads 5
(5 to 9) and each part keeps several possible values. (Five hidden parts of a total of exactly 20
would still be pinned at 4: no fixed rounding closes every such case.)

Every page, chart label, table and download goes through `CountRule`; the settings give the
threshold and the base (`[confidentialite]` in data/convention.toml).

>>> rule = CountRule(exact=False)
>>> rule.value(3), rule.value(7), rule.value(12), rule.value(0), rule.text(1234)
(None, 5, 10, 0, '1\u202f230')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from impact import fmt

if TYPE_CHECKING:
    import pandas as pd

    from impact.settings import Settings

MASKED = "masqué"   # a derived figure (share, average, cost) whose count is hidden


def _column(values: list, like: pd.Series) -> pd.Series:
    """A column of mixed numbers and text (« masqué »), kept as Python objects, on `like`'s index."""
    import pandas as pd

    return pd.Series(values, index=like.index, dtype=object)


def _one_decimal(numerator, denominator) -> float:
    """numerator ÷ denominator to one decimal, half up as a reader rounds (503 / 20 = 25,2, where
    binary floating point would give 25,1)."""
    from decimal import ROUND_HALF_UP, Decimal

    return float((Decimal(int(numerator)) / Decimal(int(denominator))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _missing(n) -> bool:
    return n is None or (isinstance(n, float) and math.isnan(n)) or str(n) in ("nan", "NaT", "<NA>")


@dataclass(frozen=True)
class CountRule:
    exact: bool
    threshold: int = 5
    base: int = 5

    @classmethod
    def of(cls, settings: Settings, exact: bool) -> CountRule:
        """The rule of the convention's settings, for a viewer who may see exact counts or not (a
        settings file may also turn the rule off altogether)."""
        return cls(exact=exact or not settings.hide_small_counts, threshold=settings.small_count_threshold,
                   base=settings.rounding_base)

    @property
    def hidden(self) -> str:
        """How a hidden count reads: « < 5 »."""
        return f"< {self.threshold}"

    def value(self, n) -> int | None:
        """The count as this viewer sees it: exact, or rounded down to the base; None when hidden."""
        if _missing(n):
            return None
        n = int(n)
        if self.exact or n == 0:
            return n
        if 0 < n < self.threshold:
            return None
        return self.base * (n // self.base)

    def shown(self, n) -> int | str:
        """The count as a table cell: a whole number, or « < 5 » (text) when hidden."""
        v = self.value(n)
        return self.hidden if v is None and not _missing(n) else v

    def text(self, n) -> str:
        """The count as French text: « 1 235 », « < 5 », or « — » when there is none."""
        if _missing(n):
            return "—"
        v = self.value(n)
        return self.hidden if v is None else fmt.integer(v)

    def derived(self, count, compute):
        """A figure computed from a count as this viewer sees it (`compute(shown count)`): None when
        there is no count or the result is undefined, « masqué » when the count is hidden."""
        shown = self.value(count)
        if shown is None:
            return None if _missing(count) else MASKED
        try:
            return compute(shown)
        except ZeroDivisionError:
            return None

    def share(self, part, whole) -> float | str | None:
        """part ÷ whole, both counts, from their shown values (« masqué » when either is hidden)."""
        shown_whole = self.value(whole)
        if shown_whole is None:
            return None if _missing(whole) else MASKED
        return self.derived(part, lambda v: v / shown_whole if shown_whole else None)

    def derived_text(self, value, formatter) -> str:
        """A derived figure as French text: « masqué », « — » when there is none, else `formatter(value)`."""
        if value is None:
            return "—"
        return value if isinstance(value, str) else formatter(value)

    def table(self, df: pd.DataFrame, counts: list[str], shares: dict[str, str] | None = None,
              per: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
        """A copy of `df` as this viewer sees it: `counts` columns shown (rounded, « < 5 »);
        `shares` {column: count column}: each count's part of that column's total, from the shown
        counts; `per` {column: (count column, divisor column)}: the shown count ÷ the divisor (an
        average per session, to one decimal as it is shown). A derived cell whose count is hidden
        reads « masqué »."""
        out = df.copy()
        for col, count in (shares or {}).items():
            total = df[count].sum() if len(df) else 0
            out[col] = _column([self.share(n, total) for n in df[count]], df[count])
        for col, (count, divisor) in (per or {}).items():
            out[col] = _column([self.derived(n, lambda v, d=d: _one_decimal(v, d) if d else None)
                                for n, d in zip(df[count], df[divisor], strict=True)], df[count])
        for col in counts:
            out[col] = df[col].map(self.shown).astype(object)
        return out

    def note(self) -> str | None:
        """The caption that tells a reader how counts are shown; None for exact counts."""
        if self.exact:
            return None
        return (f"Confidentialité : les effectifs de 1 à {self.threshold - 1} sont affichés « {self.hidden} » et "
                f"les autres sont arrondis à {self.base} près (au multiple de {self.base} inférieur) ; parts, "
                "moyennes et coûts sont calculés sur les effectifs arrondis.")

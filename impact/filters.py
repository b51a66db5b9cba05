"""The shared filters of every page, as one value object that binds into SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

LIST_FIELDS = ("actions", "themes", "porteurs", "bands", "sexes", "qpvs", "publics")


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    actions: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    porteurs: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()     # F, M, NR
    qpvs: tuple[str, ...] = ()      # oui, non, NR
    publics: tuple[str, ...] = ()   # jeune, parent, professionnel
    extra: tuple[tuple[str, object], ...] = field(default=())

    @classmethod
    def for_period(cls, start: dt.date, end: dt.date, **kw) -> Filters:
        return cls(date_from=start, date_to=end, **{k: tuple(v) for k, v in kw.items()})

    def params(self) -> dict:
        """Parameters for the table macros: empty lists mean 'everything'."""
        out: dict = {"date_from": self.date_from, "date_to": self.date_to}
        for f in fields(self):
            if f.name in LIST_FIELDS:
                out[f.name] = list(getattr(self, f.name))
        out.update(dict(self.extra))
        return out

    def with_(self, **kw) -> Filters:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for k, v in kw.items():
            values[k] = tuple(v) if k in LIST_FIELDS else v
        return Filters(**values)

    def months(self, today: dt.date | None = None) -> list[dt.date]:
        """The first day of every month of the period, up to the current month: a chart by month
        shows the months without activity too, not the ones still to come.

        >>> Filters(dt.date(2023, 11, 15), dt.date(2024, 2, 1)).months(dt.date(2030, 1, 1))[-2:]
        [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)]
        """
        last = min(self.date_to, today or dt.date.today())
        out, month = [], dt.date(self.date_from.year, self.date_from.month, 1)
        while month <= last:
            out.append(month)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return out

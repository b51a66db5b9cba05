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

"""Demonstration data: the 2022–2024 programme of the cité éducative, as partners export it.

`write_demo_files` writes four CSV files (actions, budget, spending, attendance) in the
formats partners really send (Windows-1252 with an Excel `sep=;` line, French amounts, UTF-8
with BOM, day-first dates, head-count rows...). Everything is drawn from a fixed seed, so the
files are byte-for-byte identical from one run to the next. Every person is fictional: first
and last names are drawn from small lists and combined at random.

`load_demo` loads them through the importer, like any partner file, marked « démonstration ».
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from impact.settings import ROOT, Settings

DEMO_DIR = ROOT / "data" / "demo"
IMPORTED_BY = "démonstration"
SEED = 20220110  # the day the convention was signed
KIND_ORDER = ("actions", "budget", "spending", "attendance")
FILE_NAMES = {
    "actions": "referentiel_actions.csv",
    "budget": "programmation_budgetaire.csv",
    "spending": "depenses.csv",
    "attendance": "presences.csv",
}

NNBSP = "\u202f"  # narrow no-break space, as accounting software writes thousands

CITY, CAF, REGION = "Ville de Metz", "CAF de la Moselle", "Région Grand Est"


class DemoRejected(RuntimeError):
    """The importer refused demonstration rows: the demo and the contract disagree."""


# --- the programme -----------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    code: str
    intitule: str
    porteur: str
    axe: str
    public_cible: str
    debut: int
    fin: int
    partenaires: str = ""


CMA = "Chambre des Métiers et de l’Artisanat (CMA)"
ACTIONS = [
    Action("PSY-HDB", "Point d’écoute psychologue du lundi – collège Les Hauts de Blémont",
           "Collège Les Hauts de Blémont", "Santé", "11-15", 2022, 2024),
    Action("PSY-PV", "Point d’écoute psychologue du lundi – collège Paul Valery",
           "Collège Paul Valery", "Santé", "11-15", 2022, 2024),
    Action("NUM-FAM", "Ateliers numériques en famille", "Centre social CASSIS", "Numérique", "6-10",
           2022, 2024),
    Action("SPORT-ETE", "Tournois sportifs de l’été", "Borny Sport Solidarité", "Sport", "11-15",
           2022, 2024, "Ville de Metz"),
    Action("RAP", "Parcours d’insertion par le rap : album collectif", "Bouche à Oreille",
           "Insertion professionnelle", "16-25", 2023, 2024, "Apsis, Cité Musicale"),
    Action("ROBOT", "Semaine de la robotique", "Centre social CASSIS", "Numérique", "11-15", 2023, 2024,
           "Agora, ENIM, CRENIM, ENSAM"),
    Action("CMA-MER", "Forum permanent des métiers : mercredis des métiers", CMA,
           "Insertion professionnelle", "16-25", 2023, 2024),
    Action("CMA-CFA", "Forum permanent des métiers : immersion en CFA", CMA,
           "Insertion professionnelle", "16-25", 2023, 2024),
    Action("CMA-STA", "Forum permanent des métiers : stage d’immersion en entreprise", CMA,
           "Insertion professionnelle", "16-25", 2023, 2024),
    Action("CMA-ATE", "Forum permanent des métiers : atelier de préparation à la recherche "
           "d’entreprise d’accueil", CMA, "Insertion professionnelle", "16-25", 2023, 2024),
    Action("SORTIES", "Sorties culturelles en famille pendant les vacances", "Centre social CASSIS",
           "Culture", "", 2023, 2024, "CAF de la Moselle"),
    Action("AUTODEF", "Séances de self-défense", "Borny Sport Solidarité", "Sport", "16-25", 2023, 2024),
    Action("VELO", "Atelier vélo électrique", "MJC de Borny", "Sport", "11-15", 2023, 2024),
    Action("COLLOQUE", "Colloque de la coéducation", "Ma Famille Comme Unique", "Parentalité", "",
           2023, 2023),
    Action("CAFE-PAR", "Café des parents", "Ma Famille Comme Unique", "Parentalité", "", 2024, 2024),
]
BY_CODE = {a.code: a for a in ACTIONS}

# Programmed amounts: {(year, code): {funder: amount}}; "ETAT" is the convention's State funder.
STATE = "ETAT"
BUDGET: dict[tuple[int, str], dict[str, int]] = {
    (2022, "PSY-HDB"): {STATE: 32_000}, (2022, "PSY-PV"): {STATE: 32_000},
    (2022, "NUM-FAM"): {STATE: 48_500, CAF: 10_000}, (2022, "SPORT-ETE"): {STATE: 62_000, CITY: 15_000},
    (2023, "PSY-HDB"): {STATE: 33_000}, (2023, "PSY-PV"): {STATE: 33_000},
    (2023, "NUM-FAM"): {STATE: 30_000, CAF: 8_000}, (2023, "SPORT-ETE"): {STATE: 40_000, CITY: 12_000},
    (2023, "RAP"): {STATE: 42_000, REGION: 8_000}, (2023, "ROBOT"): {STATE: 18_500},
    (2023, "CMA-MER"): {STATE: 20_000, REGION: 10_000}, (2023, "CMA-CFA"): {STATE: 12_000},
    (2023, "CMA-STA"): {STATE: 14_000}, (2023, "CMA-ATE"): {STATE: 9_000},
    (2023, "SORTIES"): {STATE: 26_000, CAF: 6_000}, (2023, "AUTODEF"): {STATE: 8_500, CITY: 3_000},
    (2023, "VELO"): {STATE: 6_000}, (2023, "COLLOQUE"): {STATE: 5_500},
    (2024, "PSY-HDB"): {STATE: 34_000}, (2024, "PSY-PV"): {STATE: 34_000},
    (2024, "NUM-FAM"): {STATE: 28_000, CAF: 8_000}, (2024, "SPORT-ETE"): {STATE: 38_000, CITY: 12_000},
    (2024, "RAP"): {STATE: 40_000}, (2024, "ROBOT"): {STATE: 19_000},
    (2024, "CMA-MER"): {STATE: 21_000, REGION: 10_000}, (2024, "CMA-CFA"): {STATE: 12_500},
    (2024, "CMA-STA"): {STATE: 14_500}, (2024, "CMA-ATE"): {STATE: 9_500},
    (2024, "SORTIES"): {STATE: 27_000, CAF: 6_000}, (2024, "AUTODEF"): {STATE: 9_000},
    (2024, "VELO"): {STATE: 7_000}, (2024, "CAFE-PAR"): {STATE: 4_500, CAF: 2_500},
}

# School holidays of zone B (Nancy-Metz), and Mondays that are public holidays.
HOLIDAYS = [(dt.date(*a), dt.date(*b)) for a, b in [
    ((2021, 12, 18), (2022, 1, 2)), ((2022, 2, 12), (2022, 2, 27)), ((2022, 4, 16), (2022, 5, 1)),
    ((2022, 7, 7), (2022, 8, 31)), ((2022, 10, 22), (2022, 11, 6)), ((2022, 12, 17), (2023, 1, 2)),
    ((2023, 2, 11), (2023, 2, 26)), ((2023, 4, 15), (2023, 5, 1)), ((2023, 7, 8), (2023, 9, 3)),
    ((2023, 10, 21), (2023, 11, 5)), ((2023, 12, 23), (2024, 1, 7)), ((2024, 2, 24), (2024, 3, 10)),
    ((2024, 4, 20), (2024, 5, 5)), ((2024, 7, 6), (2024, 9, 1)), ((2024, 10, 19), (2024, 11, 3)),
    ((2024, 12, 21), (2025, 1, 5)),
]]
BANK_HOLIDAYS = {dt.date(2022, 6, 6), dt.date(2023, 4, 10), dt.date(2023, 5, 1), dt.date(2023, 5, 8),
                 dt.date(2023, 5, 29), dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 5, 8),
                 dt.date(2024, 5, 20), dt.date(2022, 11, 11), dt.date(2024, 11, 11)}

TRIPS = {  # cultural family outings, during the holidays
    2023: [("Strasbourg", dt.date(2023, 2, 22)), ("Versailles", dt.date(2023, 4, 26)),
           ("Paris", dt.date(2023, 7, 19)), ("Verdun", dt.date(2023, 8, 23)),
           ("Nancy", dt.date(2023, 10, 25))],
    2024: [("Verdun", dt.date(2024, 2, 28)), ("Paris", dt.date(2024, 4, 24)),
           ("Strasbourg", dt.date(2024, 7, 17)), ("Versailles", dt.date(2024, 8, 21)),
           ("Nancy", dt.date(2024, 10, 23))],
}
COLLOQUE_DAY = dt.date(2023, 5, 30)

# Small lists of common names: their random combinations are fictional people.
FIRST_F = ["Léa", "Inès", "Chloé", "Manon", "Sarah", "Yasmine", "Amina", "Emma", "Jade", "Camille",
           "Lina", "Maëlys", "Zoé", "Anaïs", "Océane", "Fatoumata", "Aïcha", "Elif", "Meryem", "Louna",
           "Noémie", "Héloïse", "Salomé", "Kenza", "Rania", "Nour", "Clémence", "Justine", "Maya", "Awa"]
FIRST_M = ["Mehdi", "Yanis", "Lucas", "Nathan", "Enzo", "Rayan", "Adam", "Hugo", "Théo", "Ilyes",
           "Kylian", "Mamadou", "Moussa", "Bilal", "Samir", "Noah", "Louis", "Maël", "Loïc", "Jérémy",
           "Benoît", "Ethan", "Amine", "Ismaël", "Emir", "Yusuf", "Kévin", "Dylan", "Sofiane", "Thomas"]
LAST = ["Schmitt", "Müller", "Weber", "Klein", "Becker", "Hoffmann", "Lefèvre", "Girard", "Mercier",
        "Bernard", "Laurent", "Benali", "Haddad", "Bouzid", "Mansouri", "Diallo", "Traoré", "Camara",
        "N’Diaye", "Kaya", "Yilmaz", "Demir", "Petitjean", "Thiébaut", "Marchal", "François", "Ferreira",
        "Da Costa", "Lopes", "Rossi", "Kowalski", "Nowak", "Gauthier", "Masson", "Noël", "Benhamou",
        "Zimmermann", "Lambert", "Chevalier", "Ouattara", "Belkacem", "Aubertin"]


@dataclass(frozen=True)
class Person:
    nom: str
    prenom: str
    born: dt.date
    sexe: str    # F, M, or "" when the structure did not write it
    qpv: str     # oui, non, or ""
    weight: float  # how likely this young person joins an action (parcours)


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _in_holidays(day: dt.date) -> bool:
    return any(a <= day <= b for a, b in HOLIDAYS)


def _weekdays(start: dt.date, end: dt.date, weekday: int, term_only: bool = True) -> list[dt.date]:
    """Every `weekday` (0 = Monday) from start to end, outside holidays when term_only."""
    day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    out = []
    while day <= end:
        if day not in BANK_HOLIDAYS and not (term_only and _in_holidays(day)):
            out.append(day)
        day += dt.timedelta(days=7)
    return out


def _build_pool(rng: random.Random) -> list[Person]:
    """About 430 fictional young people: many 16–25, collégiens, and children."""
    segments = [(170, dt.date(1999, 1, 1), dt.date(2007, 12, 31)),
                (150, dt.date(2008, 1, 1), dt.date(2012, 8, 31)),
                (110, dt.date(2012, 9, 1), dt.date(2017, 6, 30))]
    pool: list[Person] = []
    seen: set[tuple[str, str, dt.date]] = set()
    target = 0
    for size, lo, hi in segments:
        target += size
        span = (hi - lo).days
        while len(pool) < target:
            sexe = rng.choice("FM")
            prenom = rng.choice(FIRST_F if sexe == "F" else FIRST_M)
            nom = rng.choice(LAST)
            born = lo + dt.timedelta(days=rng.randrange(span))
            key = (_ascii(nom).lower(), _ascii(prenom).lower(), born)
            if key in seen:
                continue
            seen.add(key)
            written_sexe = "" if rng.random() < 0.03 else sexe
            q = rng.random()
            qpv = "oui" if q < 0.78 else "non" if q < 0.95 else ""
            pool.append(Person(nom, prenom, born, written_sexe, qpv, 0.3 + rng.expovariate(1.0)))
    return pool


def _cohort(rng: random.Random, pool: list[Person], day: dt.date, ages: tuple[int, int], size: int,
            favour_f: bool = False, exclude: tuple[Person, ...] = ()) -> list[Person]:
    """A weighted sample (without replacement) of people of the right age at `day`."""
    eligible = [p for p in pool if ages[0] <= _age(p.born, day) <= ages[1] and p not in exclude]
    keyed = []
    for p in eligible:
        w = p.weight * (3.0 if favour_f and p.sexe == "F" else 1.0)
        keyed.append((rng.random() ** (1.0 / w), p))
    keyed.sort(key=lambda kp: kp[0], reverse=True)
    return [p for _, p in keyed[:size]]


# --- attendance ----------------------------------------------------------------------------

@dataclass
class Attendance:
    rows: list[list[str]] = field(default_factory=list)

    def named(self, day: dt.date, code: str, p: Person, style: str = "") -> None:
        nom, prenom, sexe = p.nom, p.prenom, p.sexe
        if style == "caps":  # some structures type family names in capitals, without accents
            nom = _ascii(nom).upper()
            sexe = {"F": "Fille", "M": "Garçon"}.get(sexe, "")
        self.rows.append([_d(day), code, nom, prenom, _d(p.born), sexe, p.qpv, "", "", ""])

    def count(self, day: dt.date, code: str, tranche: str, sexe: str, qpv: str, nombre: int,
              public: str = "jeune") -> None:
        if nombre >= 1:
            self.rows.append([_d(day), code, "", "", "", sexe, qpv, tranche, str(nombre), public])


def _sessions_named(rng, out: Attendance, code: str, days: list[dt.date], cohort: list[Person],
                    presence: float, style: str = "") -> None:
    for day in days:
        for p in cohort:
            if rng.random() < presence:
                out.named(day, code, p, style)


def _attendance(rng: random.Random, pool: list[Person]) -> list[list[str]]:
    out = Attendance()
    # Psychologist listening point, every Monday in both collèges: head counts only (confidential).
    for code in ("PSY-HDB", "PSY-PV"):
        for day in _weekdays(dt.date(2022, 3, 7), dt.date(2024, 12, 16), 0):
            out.count(day, code, "11-15", "F", "", rng.randint(0, 5))
            out.count(day, code, "11-15", "M", "", rng.randint(0, 3))
            if rng.random() < 0.15:
                out.count(day, code, "16-25", "F", "", 1)
    # Family digital workshops, two Saturdays a month in term time; parents counted.
    for year in (2022, 2023, 2024):
        days = _weekdays(dt.date(year, 1, 8), dt.date(year, 12, 14), 5)[::2]
        kids = _cohort(rng, pool, days[0], (6, 12), 18)
        for day in days:
            for p in kids:
                if rng.random() < 0.55:
                    out.named(day, "NUM-FAM", p)
            out.count(day, "NUM-FAM", "26 et plus", "F", "oui", rng.randint(3, 7), "parent")
            out.count(day, "NUM-FAM", "26 et plus", "M", "oui", rng.randint(0, 3), "parent")
    # Summer sports tournaments, two weeks of July; the club types names in capitals.
    for year in (2022, 2023, 2024):
        mondays = _weekdays(dt.date(year, 7, 8), dt.date(year, 7, 21), 0, False)
        days = [d + dt.timedelta(days=k) for d in mondays for k in (0, 1, 2, 3)]
        days = [d for d in days if (d.month, d.day) != (7, 14)]
        group = _cohort(rng, pool, days[0], (11, 20), 60)
        _sessions_named(rng, out, "SPORT-ETE", days, group, 0.45, style="caps")
    # Rap album insertion path: a season of weekly Tuesday sessions, then a second season.
    rap23 = _cohort(rng, pool, dt.date(2023, 1, 10), (16, 25), 12)
    _sessions_named(rng, out, "RAP", _weekdays(dt.date(2023, 1, 10), dt.date(2023, 6, 27), 1), rap23, 0.8)
    rap24 = rap23[:5] + _cohort(rng, pool, dt.date(2024, 2, 6), (16, 25), 5, exclude=tuple(rap23))
    _sessions_named(rng, out, "RAP", _weekdays(dt.date(2024, 2, 6), dt.date(2024, 6, 25), 1), rap24, 0.8)
    # Robotics week at the social centre, in the autumn then the winter holidays.
    for start in (dt.date(2023, 10, 23), dt.date(2024, 3, 4)):
        group = _cohort(rng, pool, start, (11, 18), 20)
        _sessions_named(rng, out, "ROBOT", [start + dt.timedelta(days=k) for k in range(5)], group, 0.85)
    # CMA permanent trades forum for 16–25, March to October, four sub-actions.
    for year in (2023, 2024):
        months = [3, 4, 5, 6, 7, 9, 10]
        forum = _cohort(rng, pool, dt.date(year, 3, 1), (16, 24), 35)
        wednesdays = [d for d in _weekdays(dt.date(year, 3, 1), dt.date(year, 10, 18), 2, False)
                      if d.month in months][::2]
        _sessions_named(rng, out, "CMA-MER", wednesdays, forum, 0.3, style="caps")
        for m in months:
            cfa_day = _weekdays(dt.date(year, m, 5), dt.date(year, m, 28), 3, False)[0]
            for p in rng.sample(forum, 6):
                out.named(cfa_day, "CMA-CFA", p, style="caps")
            atelier = _weekdays(dt.date(year, m, 12), dt.date(year, m, 28), 1, False)[0]
            for p in rng.sample(forum, 8):
                out.named(atelier, "CMA-ATE", p, style="caps")
            if m != 7:
                monday = _weekdays(dt.date(year, m, 15), dt.date(year, m, 28), 0, False)[0]
                for p in rng.sample(forum, rng.randint(1, 2)):
                    for k in range(5):
                        out.named(monday + dt.timedelta(days=k), "CMA-STA", p, style="caps")
    # Cultural family outings: children named, parents counted.
    for trips in TRIPS.values():
        for _, day in trips:
            for p in _cohort(rng, pool, day, (6, 17), 22):
                out.named(day, "SORTIES", p)
            out.count(day, "SORTIES", "26 et plus", "F", "oui", rng.randint(6, 10), "parent")
            out.count(day, "SORTIES", "26 et plus", "M", "oui", rng.randint(2, 5), "parent")
    # Self-defence sessions on Saturdays, mostly young women.
    group = _cohort(rng, pool, dt.date(2023, 9, 16), (13, 25), 14, favour_f=True)
    days = _weekdays(dt.date(2023, 9, 16), dt.date(2024, 6, 29), 5)
    _sessions_named(rng, out, "AUTODEF", days, group, 0.7)
    group = group[:8] + _cohort(rng, pool, dt.date(2024, 9, 14), (13, 25), 6, True, tuple(group))
    days = _weekdays(dt.date(2024, 9, 14), dt.date(2024, 12, 14), 5)
    _sessions_named(rng, out, "AUTODEF", days, group, 0.7)
    # E-bike workshop at the MJC, on Wednesdays.
    for start, end in ((dt.date(2023, 9, 13), dt.date(2023, 12, 13)),
                       (dt.date(2024, 3, 13), dt.date(2024, 6, 26)),
                       (dt.date(2024, 9, 11), dt.date(2024, 11, 27))):
        group = _cohort(rng, pool, start, (12, 20), 9)
        _sessions_named(rng, out, "VELO", _weekdays(start, end, 2), group, 0.75)
    # Co-education colloquium: parents and professionals counted at the door.
    for tranche, sexe, qpv, n, public in [
            ("26 et plus", "F", "oui", 31, "parent"), ("26 et plus", "F", "non", 7, "parent"),
            ("26 et plus", "M", "oui", 12, "parent"), ("26 et plus", "", "", 3, "parent"),
            ("26 et plus", "F", "", 29, "professionnel"), ("26 et plus", "M", "", 11, "professionnel"),
            ("16-25", "F", "oui", 4, "jeune"), ("16-25", "M", "oui", 2, "jeune")]:
        out.count(COLLOQUE_DAY, "COLLOQUE", tranche, sexe, qpv, n, public)
    # Parents' café, one Friday a month in 2024.
    for m in (1, 3, 4, 5, 6, 9, 10, 11, 12):
        friday = _weekdays(dt.date(2024, m, 1), dt.date(2024, m, 28), 4)
        if friday:
            out.count(friday[0], "CAFE-PAR", "26 et plus", "F", "oui", rng.randint(6, 10), "parent")
            out.count(friday[0], "CAFE-PAR", "26 et plus", "M", "oui", rng.randint(1, 3), "parent")
    # Exports come sorted by date, then action.
    return sorted(out.rows, key=lambda r: (r[0][6:], r[0][3:5], r[0][:2], r[1]))


# --- budget and spending -------------------------------------------------------------------

@dataclass
class Expense:
    code: str
    exercice: int
    funder: str
    libelle: str
    fournisseur: str
    amount: float
    committed: dt.date
    payments: list[tuple[dt.date, float]]
    group: str = ""  # expenses sharing a group are one mandate split across actions


def _calendar(code: str, year: int) -> tuple[dt.date, dt.date]:
    """First and last day of an action's activity in a year (roughly, for the money)."""
    psy = ((3, 7) if year == 2022 else (1, 9), (12, 16))
    spans = {
        "PSY-HDB": psy, "PSY-PV": psy,
        "NUM-FAM": ((1, 8), (12, 14)), "SPORT-ETE": ((7, 8), (7, 21)),
        "RAP": ((1, 10), (6, 27)) if year == 2023 else ((2, 6), (6, 25)),
        "ROBOT": ((10, 23), (10, 27)) if year == 2023 else ((3, 4), (3, 8)),
        "SORTIES": ((2, 22), (10, 25)) if year == 2023 else ((2, 28), (10, 23)),
        "AUTODEF": ((9, 16), (12, 16)) if year == 2023 else ((1, 13), (12, 14)),
        "VELO": ((9, 13), (12, 13)) if year == 2023 else ((3, 13), (11, 27)),
        "COLLOQUE": ((5, 30), (5, 30)), "CAFE-PAR": ((1, 5), (12, 6)),
    }
    first, last = spans.get(code, ((3, 1), (10, 18)))  # the CMA forum runs March to October
    return dt.date(year, *first), dt.date(year, *last)


def _cents(x: float) -> float:
    return round(x + 1e-9, 2)


def _expenses(rng: random.Random) -> list[Expense]:
    out: list[Expense] = []
    limit = dt.date(2024, 12, 20)  # nothing paid after this: the rest is still committed only
    for (year, code), funders in BUDGET.items():
        action = BY_CODE[code]
        first, last = _calendar(code, year)
        for funder, programmed in funders.items():
            # Commitments rarely use the whole programmed amount.
            committed_total = programmed if funder != STATE else _cents(programmed * rng.uniform(0.93, 1.0))
            commit_day = max(dt.date(year, 1, 16), first - dt.timedelta(days=rng.randint(15, 40)))
            group = f"CMA{year}{funder}" if code.startswith("CMA") else ""
            if group:  # one commitment for the whole forum, split across its four sub-actions
                commit_day = dt.date(year, 2, 10)
            if code.startswith("PSY") and funder == STATE:
                # Psychologist's sessions invoiced each month, paid the following month.
                months = sorted({d.month for d in _weekdays(first, last, 0)})
                share = _cents(committed_total / len(months))
                pays = []
                for i, m in enumerate(months):
                    last_month = i == len(months) - 1
                    amount = _cents(committed_total - share * i) if last_month else share
                    pay_day = (dt.date(year, m, 28) + dt.timedelta(days=rng.randint(8, 20)))
                    pays.append((pay_day, amount))
                out.append(Expense(code, year, funder, f"Vacations psychologue – année {year}",
                                   "Association Écoute Ados Moselle", committed_total, commit_day, pays))
                continue
            if code == "SORTIES" and funder == STATE:
                per_trip = _cents(committed_total / len(TRIPS[year]))
                for town, day in TRIPS[year]:
                    transport = _cents(per_trip * rng.uniform(0.55, 0.7))
                    tickets = _cents(per_trip - transport)
                    commit = day - dt.timedelta(days=rng.randint(20, 35))
                    out.append(Expense(code, year, funder, f"Transport en autocar – sortie à {town}",
                                       "Autocars du Pays Messin", transport, commit,
                                       [(day + dt.timedelta(days=rng.randint(15, 30)), transport)]))
                    out.append(Expense(code, year, funder, f"Billetterie et visites – sortie à {town}",
                                       f"Office de tourisme de {town}", tickets, commit,
                                       [(day + dt.timedelta(days=rng.randint(10, 25)), tickets)]))
                continue
            if code in ("ROBOT", "VELO") and funder == STATE:
                material = _cents(committed_total * rng.uniform(0.3, 0.4))
                label = ("Kits robotiques et cartes programmables" if code == "ROBOT"
                         else "Vélos à assistance électrique et outillage")
                shop = "Lorraine Robotique Éducation" if code == "ROBOT" else "Cycles de l’Est"
                out.append(Expense(code, year, funder, label, shop, material, commit_day,
                                   [(commit_day + dt.timedelta(days=rng.randint(20, 40)), material)]))
                committed_total = _cents(committed_total - material)
            # A subsidy to the porteur: an advance when the action starts, the balance after it ends.
            advance = _cents(committed_total * (0.5 if funder == STATE else 0.7))
            balance = _cents(committed_total - advance)
            pays = [(commit_day + dt.timedelta(days=rng.randint(12, 30)), advance),
                    (last + dt.timedelta(days=rng.randint(25, 80)), balance)]
            libelle = f"Subvention {year} – acompte puis solde"
            if group:
                pays = [(dt.date(year, 3, 24), advance), (dt.date(year, 12, 12) if year == 2023
                                                          else dt.date(year, 12, 27), balance)]
            out.append(Expense(code, year, funder, libelle, action.porteur, committed_total, commit_day,
                               pays, group))
    for e in out:
        e.payments = [(d, a) for d, a in e.payments if d <= limit]
    return out


def _amount(x: float, sep: str = " ", euro: bool = True) -> str:
    """French amounts as partners write them: '30 000,00 €', '1 234,50' (narrow no-break space).

    >>> _amount(30000)
    '30 000,00 €'
    """
    whole, cents = f"{abs(x):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ("-" if x < 0 else "") + f"{sep.join(groups)},{cents}"
    return text + (" €" if euro else "")


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _spending_rows(rng: random.Random, expenses: list[Expense], state_funder: str) -> list[list[str]]:
    raw = []  # (date, exercice, code, amount, funder, statut, libelle, fournisseur, group)
    for e in expenses:
        funder = state_funder if e.funder == STATE else e.funder
        raw.append((e.committed, e.exercice, e.code, e.amount, funder, "engagé", e.libelle, e.fournisseur,
                    e.group))
        for day, amount in e.payments:
            raw.append((day, e.exercice, e.code, amount, funder, "payé", e.libelle, e.fournisseur, e.group))
    # Two credit notes: tickets refunded after a cancelled visit, a faulty battery sent back.
    raw.append((dt.date(2023, 5, 22), 2023, "SORTIES", -318.00, state_funder, "avoir",
                "Avoir – annulation partielle de la visite guidée de Versailles",
                "Office de tourisme de Versailles", ""))
    raw.append((dt.date(2024, 6, 14), 2024, "VELO", -289.90, state_funder, "avoir",
                "Avoir – batterie défectueuse retournée", "Cycles de l’Est", ""))
    raw.sort(key=lambda r: (r[0], r[2], r[5], r[3]))
    rows, numbers, counters = [], {}, {}
    for i, (day, ex, code, amount, funder, statut, libelle, fournisseur, group) in enumerate(raw):
        prefix = {"engagé": "EJ", "payé": "MDT", "avoir": "AV"}[statut]
        key = (prefix, day, fournisseur, group) if group else (prefix, i)
        if key not in numbers:
            counters[(prefix, day.year)] = counters.get((prefix, day.year), 0) + 1
            numbers[key] = f"{prefix}-{day.year}-{counters[(prefix, day.year)]:04d}"
        # Mandates are written "Mandaté" by the finance office's software, and a credit note
        # once without its minus sign (the importer stores every avoir negative).
        written_statut = "Mandaté" if statut == "payé" and day.year == 2022 else statut
        written_amount = abs(amount) if statut == "avoir" and day.year == 2024 else amount
        # The finance office writes the rap path by its title, not its code.
        action = BY_CODE[code].intitule.replace("’", "'") if code == "RAP" else code
        rows.append([_d(day), str(ex), action, libelle, fournisseur, numbers[key],
                     _amount(written_amount, NNBSP, euro=rng.random() < 0.7),
                     funder, written_statut])
    return rows


# --- writing -------------------------------------------------------------------------------

def _csv_text(header: list[str], rows: list[list[str]], sep: str = ";", newline: str = "\r\n",
              excel_sep_line: bool = False) -> str:
    buf = io.StringIO()
    if excel_sep_line:
        buf.write(f"sep={sep}{newline}")
    writer = csv.writer(buf, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def demo_tables(settings: Settings) -> dict[str, tuple[list[str], list[list[str]]]]:
    """{kind: (header, rows)} of the demonstration files, as text cells."""
    rng = random.Random(SEED)
    pool = _build_pool(rng)
    actions = [[a.code, a.intitule, a.porteur, a.axe, a.public_cible, str(a.debut), str(a.fin), a.partenaires]
               for a in ACTIONS]
    budget = []
    for (year, code), funders in BUDGET.items():
        for funder, amount in funders.items():
            name = settings.state_funder if funder == STATE else funder
            budget.append([str(year), code, name, _amount(amount)])
    attendance = _attendance(rng, pool)
    spending = _spending_rows(rng, _expenses(rng), settings.state_funder)
    return {
        "actions": (["Code", "Intitulé", "Porteur", "Thématique", "Public cible", "Année début",
                     "Année fin", "Partenaires"], actions),
        "budget": (["Année", "Code action", "Financeur", "Montant programmé"], budget),
        "spending": (["Date", "Exercice", "Code action", "Objet", "Fournisseur", "N° pièce", "Montant TTC",
                      "Financeur", "Statut"], spending),
        "attendance": (["Date de la séance", "Code action", "Nom", "Prénom", "Né(e) le", "Sexe", "QPV",
                        "Tranche d'âge", "Nombre", "Public"], attendance),
    }


def demo_bytes(settings: Settings) -> dict[str, bytes]:
    """The files' exact bytes, each in the format its kind of partner uses."""
    t = demo_tables(settings)
    return {
        # Excel on Windows, "CSV (séparateur: point-virgule)", with the sep= hint line.
        "actions": _csv_text(*t["actions"], excel_sep_line=True).encode("cp1252"),
        # A spreadsheet saved as UTF-8, Unix line ends.
        "budget": _csv_text(*t["budget"], newline="\n").encode("utf-8"),
        # The finance office's accounting export: UTF-8 with BOM.
        "spending": ("\ufeff" + _csv_text(*t["spending"])).encode("utf-8"),
        # The structures' attendance sheets, saved from Excel.
        "attendance": _csv_text(*t["attendance"]).encode("cp1252"),
    }


def write_demo_files(folder: Path, settings: Settings) -> dict[str, Path]:
    """Write the four demonstration files into `folder`; return {kind: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, data in demo_bytes(settings).items():
        path = folder / FILE_NAMES[kind]
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths[kind] = path
    return paths


def load_demo(con, settings: Settings, key: bytes, folder: Path | None = None,
              progress: Callable[[float, str], None] | None = None) -> list:
    """Write the demonstration files if needed and import them, in dependency order.

    `progress(fraction, message)` is called before each file. Raises DemoRejected if the
    importer refuses any row (the demonstration must load cleanly).
    """
    from impact import ingest  # imported here: the importer is heavier than this module

    paths = write_demo_files(Path(folder) if folder else DEMO_DIR, settings)
    reports = []
    for i, kind in enumerate(KIND_ORDER):
        if progress:
            progress(i / len(KIND_ORDER), f"Import de démonstration : {paths[kind].name}")
        report = ingest.import_file(con, kind, paths[kind], settings=settings, key=key,
                                    imported_by=IMPORTED_BY)
        if report.rejected:
            raise DemoRejected(f"{paths[kind].name}: {len(report.rejected)} problème(s), "
                               f"par exemple {report.rejected[:3]}")
        reports.append(report)
    if progress:
        progress(1.0, "Données de démonstration chargées.")
    return reports

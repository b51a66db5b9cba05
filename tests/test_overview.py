"""Vue d'ensemble: the queries on a small store whose answers are known by construction, the
display helpers and charts, and the page itself on the demonstration data (figures checked
against an independent pandas reading of the demonstration CSVs)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact import demo, fmt, overview, privacy
from impact.charts.overview import monthly_participation_chart, state_paid_cumulative_chart
from impact.filters import Filters
from impact.settings import load_settings
from impact.small_counts import CountRule
from impact.store import Store
from tests import fixtures

DASHBOARD = "../dashboard.py"
PAGE = "pages/overview.py"
STATE = "État - cité éducative"


# --- a small store, answers known by construction ---------------------------------------------

@pytest.fixture
def small(con):
    """Three named people, two head counts, State money over two years (see the expectations)."""
    fixtures.action(con, "SPORT", "Tournoi", porteur="Club", axe="Sport")
    fixtures.action(con, "CULT", "Sortie", porteur="Centre", axe="Culture")
    fixtures.action(con, "IDLE", "Sans activité", porteur="Centre", axe="Santé")
    fixtures.attendance(con, [
        # p1 is 16-25 at first, 26 in 2024; p2 stays 11-15; p3 turns 16 between two sessions.
        {"date": "2023-03-15", "action": "SPORT", "person": "p1", "tranche": "16-25"},
        {"date": "2023-04-12", "action": "CULT", "person": "p1", "tranche": "16-25"},
        {"date": "2024-01-10", "action": "SPORT", "person": "p1", "tranche": "26 et plus"},
        {"date": "2023-03-15", "action": "SPORT", "person": "p2", "tranche": "11-15"},
        {"date": "2023-03-22", "action": "SPORT", "person": "p2", "tranche": "11-15"},
        {"date": "2023-04-12", "action": "CULT", "person": "p3", "tranche": "11-15"},
        {"date": "2023-09-01", "action": "CULT", "person": "p3", "tranche": "16-25"},
        {"date": "2023-03-15", "action": "SPORT", "tranche": "16-25", "sexe": "F", "nombre": 10},
        {"date": "2023-05-20", "action": "CULT", "tranche": "26 et plus", "nombre": 4, "public": "parent"},
    ])
    fixtures.budget(con, [
        (2023, "SPORT", STATE, 2000), (2023, "CULT", STATE, 500),
        (2024, "SPORT", "Etat - Cité Educative", 1000),      # another spelling of the State
        (2023, "SPORT", "Ville de Metz", 700),                # not the State
    ])
    fixtures.budget(con, [(2023, "CULT", STATE, 800, 500)])  # revised: 800 replaces 500
    fixtures.spending(con, [
        {"date": "2023-02-01", "action": "SPORT", "montant": 1500, "statut": "engagé"},
        {"date": "2023-04-10", "action": "SPORT", "montant": 600, "statut": "payé"},
        {"date": "2024-02-15", "action": "SPORT", "montant": 700, "statut": "payé", "exercice": 2023},
        {"date": "2023-06-01", "action": "CULT", "montant": -50, "statut": "avoir"},
        {"date": "2024-03-01", "action": "SPORT", "montant": 900, "statut": "engagé"},
        {"date": "2024-05-01", "action": "SPORT", "montant": 400, "statut": "payé"},
        {"date": "2023-04-10", "action": "SPORT", "montant": 999, "statut": "payé",
         "financeur": "Ville de Metz"},
    ])
    return con


def _filters(settings, **kw) -> Filters:
    return Filters(settings.start, settings.end).with_(**kw)


@pytest.mark.parametrize("kw, expected", [
    ({}, dict(participations=21, headcount_participations=14, participants=3, focus_participants=1,
              actions=2)),
    ({"themes": ["Sport"]}, dict(participations=14, headcount_participations=10, participants=2,
                                 focus_participants=1, actions=1)),
    # the band filter keeps p3's 16-25 session only: in the selection, p3 is first seen at 16-25
    ({"bands": ["16-25"]}, dict(participations=13, headcount_participations=10, participants=2,
                                focus_participants=2, actions=2)),
    ({"date_from": dt.date(2024, 1, 1)}, dict(participations=1, headcount_participations=0,
                                              participants=1, focus_participants=0, actions=1)),
    ({"publics": ["parent"]}, dict(participations=4, headcount_participations=4, participants=0,
                                   focus_participants=0, actions=1)),
    ({"actions": ["IDLE"]}, dict(participations=0, headcount_participations=0, participants=0,
                                 focus_participants=0, actions=0)),
])
def test_participation_figures(small, settings, kw, expected):
    got = overview.participation_figures(small, _filters(settings, **kw), settings)
    assert {k: got[k] for k in expected} == expected
    share = expected["focus_participants"] / expected["participants"] if expected["participants"] else None
    assert got["focus_share"] == share


def test_monthly_participation(small, settings):
    """Every month of the period, those without a session at 0 (no « août 2023 » missing)."""
    got = overview.monthly_participation(small, _filters(settings), settings)
    months = [(m.isoformat()[:7], p, n) for m, p, n in got.itertuples(index=False)]
    assert len(months) == 36 and months[0][0] == "2022-01" and months[-1][0] == "2024-12"
    assert [m for m in months if m[1]] == [
        ("2023-03", 13, 2), ("2023-04", 2, 2), ("2023-05", 4, 0), ("2023-09", 1, 1), ("2024-01", 1, 1)]
    assert ("2023-08", 0, 0) in months


@pytest.mark.parametrize("kw, expected", [
    ({}, [(2022, 0, 0, 0), (2023, 2800, 1500, 1250), (2024, 1000, 900, 400)]),
    ({"themes": ["Sport"]}, [(2022, 0, 0, 0), (2023, 2000, 1500, 1300), (2024, 1000, 900, 400)]),
    ({"date_from": dt.date(2023, 1, 1), "date_to": dt.date(2023, 12, 31)}, [(2023, 2800, 1500, 1250)]),
    # people filters do not apply to money
    ({"bands": ["0-2"]}, [(2022, 0, 0, 0), (2023, 2800, 1500, 1250), (2024, 1000, 900, 400)]),
])
def test_state_envelope_by_year(small, settings, kw, expected):
    got = overview.state_envelope_by_year(small, _filters(settings, **kw), settings)
    assert [(r.exercice, r.programme, r.engage, r.paye) for r in got.itertuples()] == expected
    assert (got["enveloppe"] == settings.state_envelope_per_year).all()
    per_year = settings.state_envelope_per_year
    assert got["part_paye"].tolist() == pytest.approx([e[3] / per_year for e in expected])
    totals = overview.state_envelope_totals(got)
    assert totals["enveloppe"] == settings.state_envelope_per_year * len(expected)
    assert totals["paye"] == sum(e[3] for e in expected)
    assert totals["part_programme"] == pytest.approx(sum(e[1] for e in expected) / totals["enveloppe"])


def test_state_paid_cumulative_whole_convention(small, settings):
    got = overview.state_paid_cumulative(small, _filters(settings), settings)
    months = [m.isoformat()[:7] for m in got["month"]]
    assert months[0] == "2022-01" and months[-1] == "2024-12" and len(months) == 36
    paid = dict(zip(months, got["paid"], strict=True))
    assert {m: v for m, v in paid.items() if v} == {"2023-04": 600, "2023-06": -50, "2024-02": 700,
                                                   "2024-05": 400}
    assert got["cumulative_paid"].iloc[-1] == 1650
    assert dict(zip(months, got["cumulative_paid"], strict=True))["2023-05"] == 600
    envelope = dict(zip(months, got["cumulative_envelope"], strict=True))
    assert (envelope["2022-12"], envelope["2023-01"], envelope["2024-12"]) == (300_000, 600_000, 900_000)


def test_state_paid_cumulative_one_year_runs_into_late_payments(small, settings):
    one_year = _filters(settings, date_from=dt.date(2023, 1, 1), date_to=dt.date(2023, 12, 31))
    got = overview.state_paid_cumulative(small, one_year, settings)
    months = [m.isoformat()[:7] for m in got["month"]]
    assert months[0] == "2023-01" and months[-1] == "2024-02"  # the 2023 balance paid in February 2024
    assert got["cumulative_paid"].iloc[-1] == 1250
    assert set(got["cumulative_envelope"]) == {300_000}


def test_overview_bundles_everything(small, settings):
    got = overview.overview(small, _filters(settings), settings)
    assert got["participation"]["participations"] == 21
    assert got["state_totals"]["engage"] == 2400
    assert len(got["monthly"]) == 36 and len(got["state_paid"]) == 36
    assert overview.has_money(got["state_by_year"])
    assert not overview.has_money(overview.state_envelope_by_year(
        small, _filters(settings, actions=["IDLE"]), settings))


# --- display helpers and charts -------------------------------------------------------------

def _monthly_frame() -> pd.DataFrame:
    return pd.DataFrame({"month": [dt.date(2023, 3, 1), dt.date(2023, 4, 1)],
                         "participations": [13, 4], "participants": [2, 0]})


@pytest.mark.parametrize("exact, bars, labels, people, hidden", [
    # a hidden count gets no bar (not one of height 0), and « < 5 » written at the foot of its month
    (False, [10, None], ["10", ""], ["< 5", "0"], ["< 5"]),
    (True, [13, 4], ["13", "4"], ["2", "0"], []),
])
def test_monthly_chart_hides_small_counts(exact, bars, labels, people, hidden):
    shown = overview.monthly_display(_monthly_frame(), CountRule(exact))
    table = overview.monthly_table(shown)
    assert table["Mois"].tolist() == ["mars 2023", "avril 2023"]
    assert table["Participations"].tolist() == ["10", "< 5"] if not exact else ["13", "4"]
    assert table["Participants distincts (du mois)"].tolist() == people
    fig = monthly_participation_chart(shown)
    bar = fig.data[0]
    assert list(bar.y) == bars and list(bar.text) == labels
    texts = [t for t in fig.data[1:] if t.mode == "text"]
    assert [x for t in texts for x in t.text] == hidden
    if hidden:
        assert list(texts[0].y) == [0] and str(texts[0].x[0])[:7] == "2023-04"


def test_paid_chart_shows_both_series_by_name():
    paid = pd.DataFrame({"month": [dt.date(2023, 1, 1), dt.date(2023, 2, 1)], "paid": [0.0, 1250.5],
                         "cumulative_paid": [0.0, 1250.5], "cumulative_envelope": [300_000.0, 300_000.0]})
    fig = state_paid_cumulative_chart(paid)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["Payé cumulé (net des avoirs)"].y) == [0.0, 1250.5]
    assert list(by_name["Enveloppe État cumulée"].y) == [300_000.0, 300_000.0]
    assert by_name["Enveloppe État cumulée"].line.dash == "dash"   # not told apart by colour alone
    assert fig.layout.annotations[0].text == fmt.whole_euros(1250.5)   # a label: whole euros
    assert by_name["Payé cumulé (net des avoirs)"].customdata[1][1] == "1\u202f250,50\u00a0€"   # hover: exact


# --- the page, on the demonstration data ------------------------------------------------------

def _norm(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.sub(r"[\s\-'’]", "", text)


def _euros(text: str) -> float:
    return float(re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", "."))


@pytest.fixture(scope="module")
def demo_expected():
    """The page's figures computed straight from the demonstration CSVs with pandas."""
    settings = load_settings()
    files = {kind: demo.DEMO_DIR / name for kind, name in demo.FILE_NAMES.items()}
    att = pd.read_csv(files["attendance"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    att["nombre"] = att["Nombre"].replace("", "1").astype(int)
    att["day"] = pd.to_datetime(att["Date de la séance"], format="%d/%m/%Y")
    named = att[att["Nom"] != ""].copy()
    named["who"] = named["Nom"].map(_norm) + "|" + named["Prénom"].map(_norm) + "|" + named["Né(e) le"]
    first = named.sort_values(["day", "Code action"]).groupby("who").head(1)
    born = pd.to_datetime(first["Né(e) le"], format="%d/%m/%Y")
    day = first["day"]
    before_birthday = (day.dt.month * 100 + day.dt.day) < (born.dt.month * 100 + born.dt.day)
    age = first["day"].dt.year - born.dt.year - before_birthday.astype(int)

    budget = pd.read_csv(files["budget"], sep=";", encoding="utf-8", dtype=str)
    budget = budget[budget["Financeur"].str.lower() == settings.state_funder.lower()]
    spending = pd.read_csv(files["spending"], sep=";", encoding="utf-8-sig", dtype=str)
    spending = spending[spending["Financeur"].str.lower() == settings.state_funder.lower()].copy()
    spending["amount"] = spending["Montant TTC"].map(_euros)
    status = spending["Statut"].str.lower().replace({"mandaté": "payé", "réglé": "payé"})
    credit_notes = spending.loc[status == "avoir", "amount"].abs().sum()   # written with or without "-"
    paid = spending.loc[status == "payé", "amount"].sum() - credit_notes
    by_year_2023 = budget[budget["Année"] == "2023"]["Montant programmé"].map(_euros).sum()
    att_2023 = att[att["day"].dt.year == 2023]
    return {
        "participations": int(att["nombre"].sum()),
        "participants": int(named["who"].nunique()),
        "focus_share": float(((age >= 16) & (age <= 25)).mean()),
        "actions": int(att["Code action"].nunique()),
        "headcount": int(att.loc[att["Nom"] == "", "nombre"].sum()),
        "programme": float(budget["Montant programmé"].map(_euros).sum()),
        "engage": float(spending.loc[status == "engagé", "amount"].sum()),
        "paye": float(paid),
        "programme_2023": float(by_year_2023),
        "participations_2023": int(att_2023["nombre"].sum()),
        "monthly_sum": int(att["nombre"].sum()),
    }


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    settings = load_settings()
    path = tmp_path_factory.mktemp("overview") / "demo.duckdb"
    key = privacy.load_or_create_secret(privacy.secret_path(path))
    with Store(path).connect() as con:
        demo.load_demo(con, settings, key, folder=tmp_path_factory.mktemp("demo_files"))
    return path


def _app(monkeypatch, db: Path, role: str = "comite") -> AppTest:
    monkeypatch.setenv("IMPACT_DB", str(db))
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.session_state["role"] = role
    at.run()   # the overview is the dashboard's first page
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def _figure(at, i: int) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def _values(array) -> np.ndarray:
    """A plotly array from the JSON spec: a list, or base64 with a dtype."""
    if isinstance(array, dict):
        import base64
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.array(array, dtype=float)


def test_page_shows_the_demonstration_figures(monkeypatch, demo_db, demo_expected):
    exp = demo_expected
    at = _app(monkeypatch, demo_db, role="coordinateur")
    m = _metrics(at)
    assert m["Participations"][0] == fmt.integer(exp["participations"])
    assert m["Participants distincts"][0] == fmt.integer(exp["participants"])
    assert m["Part des 16-25 ans"][0] == fmt.percent(exp["focus_share"])
    assert m["Actions avec activité"][0] == fmt.integer(exp["actions"])
    assert m["Enveloppe État 2022–2024"][0] == "900\u202f000\u00a0€"
    # key figures in whole euros, as on the money pages
    assert m["Programmé"][0] == fmt.whole_euros(exp["programme"])
    assert m["Engagé"][0] == fmt.whole_euros(exp["engage"])
    assert m["Payé"][0] == fmt.whole_euros(exp["paye"])
    assert m["Payé"][1] == f"{fmt.percent(exp['paye'] / 900_000)} de l'enveloppe"
    captions = " ".join(c.value for c in at.caption)
    assert f"Dont {fmt.integer(exp['headcount'])} participations comptées par effectif" in captions

    monthly, money = _figure(at, 0), _figure(at, 1)
    assert _values(monthly["data"][0]["y"]).sum() == exp["monthly_sum"]
    paid = next(t for t in money["data"] if t["name"].startswith("Payé cumulé"))
    assert _values(paid["y"])[-1] == pytest.approx(exp["paye"])
    envelope = next(t for t in money["data"] if t["name"].startswith("Enveloppe"))
    assert _values(envelope["y"]).max() == 900_000
    by_year = at.dataframe[1].value
    assert by_year["Exercice"].tolist() == ["2022", "2023", "2024"]
    assert by_year["Enveloppe État"].tolist() == ["300\u202f000,00\u00a0€"] * 3


def test_page_applies_the_year_filter(monkeypatch, demo_db, demo_expected):
    at = _app(monkeypatch, demo_db)
    at.sidebar.selectbox[0].set_value("2023").run()
    assert not at.exception
    m = _metrics(at)
    # a reader: every count rounded to 5
    assert m["Participations"][0] == CountRule(exact=False).text(demo_expected["participations_2023"])
    assert m["Enveloppe État 2023"][0] == "300\u202f000\u00a0€"
    assert m["Programmé"][0] == fmt.euros(demo_expected["programme_2023"])


def test_page_hides_small_counts_from_readers(monkeypatch, tmp_path, small, settings):
    small.close()
    db = tmp_path / "test.duckdb"
    at = _app(monkeypatch, db)
    m = _metrics(at)
    assert m["Participations"][0] == "20"   # 21, rounded down to 5
    assert m["Participants distincts"][0] == "< 5"
    assert m["Part des 16-25 ans"][0] == "masqué"
    assert m["Programmé"][0] == fmt.euros(3800)
    at.session_state["role"] = "coordinateur"
    at.run()
    m = _metrics(at)
    assert m["Participants distincts"][0] == "3"
    assert m["Part des 16-25 ans"][0] == fmt.percent(1 / 3)


def test_page_on_an_empty_store_points_to_the_import_page(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "empty.duckdb")
    assert not at.metric
    assert any("Import de données" in i.value for i in at.info)
    assert not at.get("plotly_chart")

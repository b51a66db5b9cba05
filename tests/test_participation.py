"""Participation queries and indicators on a store whose answers are known by construction.

The store (see `build_participation_store`): three actions in 2023; p1 takes two actions,
p2 changes band between sessions (11-15 then 16-25), p3 leaves sex and QPV blank, p4 and p5
are parcours too; two head-count rows (3 young people, 12 parents) carry no identity.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from impact import participation as p
from impact import queries
from impact.filters import Filters
from tests import fixtures
from tests.fixtures import build_participation_store

D = dt.date


@pytest.fixture
def built(con):
    build_participation_store(con)
    return con


@pytest.fixture
def everything(settings):
    return Filters(settings.start, settings.end)


def test_totals(built, everything):
    assert p.totals(built, everything) == {
        "participations": 29, "headcount_participations": 15, "participants": 5,
        "sessions": 10, "actions": 3, "parcours": 3}


def test_by_action(built, everything):
    df = p.participation_overview(built, everything)["by_action"].set_index("action_code")
    assert df.index.tolist() == ["A3", "A1", "A2"]   # most participations first
    expected = {  # participations, participants, head counts, sessions, average
        "A1": (9, 4, 3, 3, 3.0),
        "A2": (7, 3, 0, 6, 1.2),
        "A3": (13, 1, 12, 1, 13.0),
    }
    cols = ["participations", "participants", "headcount_participations", "sessions", "average_per_session"]
    for code, values in expected.items():
        assert tuple(df.loc[code, cols]) == pytest.approx(values), code
    assert df.loc["A3", "axe"] == "Non renseignée"


def test_regularity(built, everything):
    df = p.participation_overview(built, everything)["regularity"]
    assert df["action_code"].tolist() == ["A1", "A2", "A3"]   # most participants first
    got = {r.action_code: (r.participants, r.once, r.two_to_four, r.five_or_more) for r in df.itertuples()}
    # p1 came 3 times to A1, p3 p4 p5 once; p2 5 times to A2, p1 and p5 once; p4 once to A3
    assert got == {"A1": (4, 3, 1, 0), "A2": (3, 2, 0, 1), "A3": (1, 1, 0, 0)}
    parents = everything.with_(publics=["parent"])
    assert p.participation_overview(built, parents)["regularity"].empty   # head counts only


def test_by_month_stacks_by_theme(built, everything):
    df = p.participation_overview(built, everything)["by_month"]
    got = {(r.month.month, r.axe): (r.participations, r.participants) for r in df.itertuples()}
    assert got == {(1, "Culture"): (8, 4), (1, "Sport"): (1, 1), (2, "Culture"): (1, 1), (2, "Sport"): (2, 2),
                   (2, "Non renseignée"): (13, 1), (3, "Sport"): (4, 1)}
    assert df["participations"].sum() == 29


def test_distinct_people_is_count_distinct(built, everything):
    """The macro behind the distinct counts gives count(distinct person) for every group, a group of
    head-count rows only (0) and an empty selection (0) included."""
    sql = """select {group}, distinct_people(person) as macro, count(distinct person) as plain
             from attendance_f($date_from, $date_to, [], [], [], [], [], [], []) group by all"""
    params = {"date_from": everything.date_from, "date_to": everything.date_to}
    for group in ("action_code", "axe", "date", "public", "tranche, sexe"):
        df = built.execute(sql.format(group=group), params).df()
        assert len(df) > 1 and df["macro"].tolist() == df["plain"].tolist(), group
    headcount = built.execute(sql.format(group="person is null"), params).df().set_index("(person IS NULL)")
    assert headcount.loc[True, "macro"] == 0 and headcount.loc[False, "macro"] == 5
    nobody = {"date_from": D(2030, 1, 1), "date_to": D(2030, 12, 31)}
    assert built.execute("select distinct_people(person) from attendance_f($date_from, $date_to, [], [], [], [], "
                         "[], [], [])", nobody).fetchone() == (0,)


def test_by_porteur(built, everything):
    df = p.participation_overview(built, everything)["by_porteur"].set_index("porteur")
    cols = ["actions", "sessions", "participations", "participants"]
    assert df.loc["Asso Rap", cols].tolist() == [1, 3, 9, 4]
    assert df.loc["Club Boxe", ["sessions", "participations", "participants"]].tolist() == [6, 7, 3]
    assert df.loc["Centre social", ["participations", "participants"]].tolist() == [13, 1]


def test_bands_use_first_participation_for_people_and_session_band_for_participations(built, everything,
                                                                                        settings):
    bands = p.publics_overview(built, everything, settings)["bands"]
    assert bands["tranche"].tolist() == ["16-25", "11-15", "26 et plus"]   # 16-25 first
    got = {r.tranche: (r.participations, r.participants, r.headcount_participations)
           for r in bands.itertuples()}
    # p2 came once at 15 then four times at 16: one 11-15 person, five 16-25 participations
    assert got == {"16-25": (16, 4, 3), "11-15": (1, 1, 0), "26 et plus": (12, 0, 12)}


def test_band_filter_changes_the_first_participation(built, everything, settings):
    bands = p.publics_overview(built, everything.with_(bands=["16-25"]), settings)["bands"]
    assert bands.set_index("tranche").loc["16-25", "participants"] == 5   # p2's first 16-25 session


def test_focus_figures(built, everything, settings):
    data = p.publics_overview(built, everything, settings)
    focus = data["focus"]
    assert focus["young_people"] == 4 and focus["all_participants"] == 5
    assert focus["share_of_participants"] == pytest.approx(0.8)
    assert focus["young_qpv"] == 3
    assert focus["coverage"] == pytest.approx(3 / settings.focus_population)
    assert focus["parcours"] == 3 and focus["headcount_participations"] == 3
    sex = dict(zip(data["sex"]["categorie"], data["sex"]["people"], strict=True))
    assert sex == {"Filles / femmes": 2, "Garçons / hommes": 1, "Non renseigné": 1}
    qpv = dict(zip(data["qpv"]["categorie"], data["qpv"]["people"], strict=True))
    assert qpv == {"Habitant du QPV": 3, "Hors QPV": 0, "Non renseigné": 1}   # blanks shown, not dropped
    assert data["qpv"]["share"].sum() == pytest.approx(1.0)


def test_focus_actions_parcours_and_months(built, everything, settings):
    data = p.publics_overview(built, everything, settings)
    actions = {r.action_code: (r.young_people, r.participations) for r in data["actions"].itertuples()}
    assert actions == {"A1": (4, 6), "A2": (2, 2), "A3": (1, 1)}
    counts = dict(zip(data["parcours_counts"]["label"], data["parcours_counts"]["people"], strict=True))
    assert counts == {"1 action": 1, "2 actions": 3, "3 actions": 0, "4 actions ou plus": 0}
    assert data["combinations"].values.tolist() == [["Atelier rap + Boxe éducative", 2],
                                                     ["Atelier rap + Café des parents", 1]]
    months = {(r.month.year, r.month.month): (r.young_people, r.newcomers, r.focus_participations)
              for r in data["by_month"].itertuples()}
    assert len(months) == 36   # every month of the convention, the quiet ones at 0
    assert {k: v for k, v in months.items() if any(v)} == {(2023, 1): (4, 4, 8), (2023, 2): (3, 0, 4),
                                                           (2023, 3): (0, 0, 4)}
    assert months[(2023, 8)] == (0, 0, 0)


def test_first_participation_rules(con, everything, settings):
    """Same day: the first action code gives the band; a blank sex or QPV falls back to the
    first participation that gives it; a late person id still counts (bitstring bounds)."""
    fixtures.action(con, "B1", "Boxe")
    fixtures.action(con, "B2", "Atelier")
    fixtures.attendance(con, [
        # q1: same day in two actions; B1 (first code) says 11-15, B2 says 16-25
        {"date": D(2023, 5, 2), "action": "B2", "person": "ps_q1", "tranche": "16-25", "sexe": "NR"},
        {"date": D(2023, 5, 2), "action": "B1", "person": "ps_q1", "tranche": "11-15", "sexe": "NR",
         "qpv": None},
        {"date": D(2023, 6, 6), "action": "B1", "person": "ps_q1", "tranche": "11-15", "sexe": "F",
         "qpv": False},
        {"date": D(2023, 7, 4), "action": "B2", "person": "ps_q1", "tranche": "11-15", "sexe": "M",
         "qpv": True},
        # q2: sex and QPV known from the start, 16-25
        {"date": D(2023, 5, 9), "action": "B2", "person": "ps_q2", "tranche": "16-25", "sexe": "M",
         "qpv": True},
    ])
    for i in range(300):   # many people imported later: the last ids are large
        fixtures.attendance(con, [{"date": D(2023, 8, 1), "action": "B1", "person": f"ps_late{i}",
                                   "tranche": "26 et plus", "public": "parent"}])
    data = p.publics_overview(con, everything, settings)
    bands = data["bands"].set_index("tranche")["participants"].to_dict()
    assert bands == {"16-25": 1, "11-15": 1, "26 et plus": 300}
    # the page's working table (temporary, on this connection)
    first = con.execute("select p.person, tranche, sexe, qpv from selection_people as w "
                        "join people as p on p.id = w.person where p.person like 'ps_q%' order by 1").fetchall()
    assert first == [("ps_q1", "11-15", "F", False), ("ps_q2", "16-25", "M", True)]
    params = everything.params()
    queries.run(con, "selection_people", params)
    profile = queries.run(con, "people_profile", params)
    assert profile.values.tolist() == [["11-15", "F", "non", 1], ["16-25", "M", "oui", 1],
                                       ["26 et plus", "NR", "NR", 300]]
    assert p.totals(con, everything)["participants"] == 302


@pytest.mark.parametrize(("change", "participations", "participants"), [
    ({"date_to": D(2023, 1, 31)}, 9, 5),
    ({"actions": ["A1", "A3"]}, 22, 4),
    ({"themes": ["Non renseignée"]}, 13, 1),
    ({"porteurs": ["Club Boxe"]}, 7, 3),
    ({"sexes": ["F"]}, 9, 2),
    ({"qpvs": ["NR"]}, 13, 1),
    ({"publics": ["parent"]}, 12, 0),
    ({"themes": ["Santé"]}, 0, 0),
])
def test_sidebar_filters_apply(built, everything, change, participations, participants):
    totals = p.totals(built, everything.with_(**change))
    assert (totals["participations"], totals["participants"]) == (participations, participants)


def test_action_sheet(built, everything, settings):
    def threshold() -> int:
        return built.execute("select current_setting('perfect_ht_threshold')").fetchall()[0][0]

    before = threshold()
    sheet = p.action_sheet(built, everything, "A1", settings)
    assert threshold() == before   # one action groups with hash tables, then the setting is back
    assert sheet["info"]["porteur"] == "Asso Rap"
    assert p.years_label(sheet["info"]) == "2022 à 2024"
    f = sheet["figures"]
    assert (f["participations"], f["participants"], f["sessions"]) == (9, 4, 3)
    assert f["headcount_participations"] == 3
    assert sheet["regularity"]["people"].tolist() == [3, 1, 0]
    assert sheet["bands"].values.tolist() == [["16-25", 4]]
    assert dict(zip(sheet["sex"]["categorie"], sheet["sex"]["people"], strict=True)) == {
        "Filles / femmes": 2, "Garçons / hommes": 1, "Non renseigné": 1}
    sessions = sheet["sessions"]
    assert [d.date() for d in sessions["date"]] == [D(2023, 1, 10), D(2023, 1, 17), D(2023, 2, 7)]
    assert sessions["participations"].tolist() == [3, 5, 1]
    assert sessions["headcount_participations"].tolist() == [0, 3, 0]
    # programme: the revised State line (12 000) + the city (5 000); paid: 6 000 − 500 + 1 000 (exercice 2023)
    money = sheet["money"]
    assert (money["programme"], money["engage"], money["paye"]) == (17000, 8000, 6500)
    assert money["cost_per_participant"] == pytest.approx(6500 / 4)
    assert money["cost_per_participation"] == pytest.approx(6500 / 9)
    by_month = sheet["by_month"]
    assert len(by_month) == 36 and by_month["participations"].sum() == 9
    assert [m.month for m in by_month[by_month["participations"] > 0]["month"]] == [1, 2]


def test_action_sheet_of_an_action_without_money_or_people(built, settings):
    sheet = p.action_sheet(built, Filters(settings.start, settings.end), "A3", settings)
    assert sheet["money"] == {"programme": 0.0, "engage": 0.0, "paye": 0.0, "cost_per_participant": None,
                              "cost_per_participation": None}
    assert p.years_label(sheet["info"]) == "non renseignées"


def test_people_profile_query(built, everything):
    params = everything.params()
    queries.run(built, "selection_people", params)
    df = queries.run(built, "people_profile", params)
    assert df["people"].sum() == 5
    teen = df[df["tranche"] == "11-15"]
    assert teen[["sexe", "qpv_label", "people"]].values.tolist() == [["M", "non", 1]]


@pytest.mark.parametrize(("asked", "sidebar", "expected"), [
    ("A2", (), "A2"), (None, ("A3",), "A3"), ("ZZ", ("A3",), "A3"), (None, (), "A1"), ("ZZ", ("YY",), "A1"),
])
def test_default_action(settings, asked, sidebar, expected):
    filters = Filters(settings.start, settings.end, actions=sidebar)
    assert p.default_action(["A1", "A2", "A3"], filters, asked) == expected


@pytest.mark.parametrize(("params", "url", "expected"), [
    ({"code": "A2"}, None, "A2"),
    ({}, "http://x/fiche-action?code=A3&annee=2023", "A3"),
    ({}, "http://x/fiche-action", None),
])
def test_url_code(params, url, expected):
    class Context:
        pass
    ctx = Context()
    ctx.url = url
    assert p.url_code(params, ctx) == expected


@pytest.mark.parametrize(("band", "label"), [("16-25", "16-25 ans"), ("26 et plus", "26 ans et plus"),
                                             ("âge inconnu", "Âge inconnu")])
def test_band_label(band, label):
    assert p.band_label(band) == label


def test_methodology_defines_every_indicator_from_the_settings(settings):
    sections = dict(p.methodology(settings))
    for title in ("Participations", "Participants distincts", "Parcours", "Taux de couverture des 16-25 ans",
                  "Enveloppe de l'État", "Programmé, engagé, payé", "Effet levier", "Petits effectifs",
                  "Tranches d'âge et calcul de l'âge", "Sources et traçabilité"):
        assert title in sections
    text = " ".join(sections.values())
    from impact import fmt
    assert fmt.euros(settings.state_envelope_per_year) in sections["Enveloppe de l'État"]
    assert fmt.euros(settings.state_envelope_total) in sections["Enveloppe de l'État"]
    assert fmt.integer(settings.focus_population) in sections["Taux de couverture des 16-25 ans"]
    assert settings.focus_population_source in sections["Taux de couverture des 16-25 ans"]
    assert "première participation" in text and "« < 5 »" in text and "avoir" in text


def test_charts_with_many_actions_draw_the_first_25_and_say_so():
    """At national scale a page has hundreds of actions: the bars stay readable, the table has all."""

    from impact.charts import budget as money_charts
    from impact.charts import participation as charts

    n = 40
    by_action = pd.DataFrame({"intitule": [f"Action {i:02d}" for i in range(n)],
                              "participations": list(range(n, 0, -1)), "participants": list(range(n, 0, -1))})
    fig = charts.participation_by_action_chart(by_action)
    assert [list(trace.y) for trace in fig.data] == [[f"Action {i:02d}" for i in range(25)]] * 2
    assert "25 premières lignes sur 40" in fig.layout.title.text
    long = p.regularity_long(by_action.assign(once=1, two_to_four=2, five_or_more=3))
    fig = charts.regularity_chart(long)
    assert {y for trace in fig.data for y in trace.y} == {f"Action {i:02d}" for i in range(25)}
    assert "sur 40" in fig.layout.title.text
    few = charts.participation_by_action_chart(by_action.head(5))
    assert len(few.data[0].y) == 5 and "premières" not in few.layout.title.text
    amounts = pd.DataFrame({"intitule": [f"A{i}" for i in range(n)], "programme": 1.0, "engage": 1.0, "paye": 1.0})
    fig = money_charts.amounts_chart(amounts, "intitule", "Par action")
    assert len(fig.data[0].y) == 25 and "25 premières lignes sur 40" in fig.layout.title.text


def test_horizontal_bars_leave_room_for_their_labels():
    """The number written after the longest bar (« 100,0 % », « 1 234 ») stays inside the chart: the
    value axis reaches beyond the longest bar; a masked cell (« < 5 ») is drawn flat."""

    from impact.charts import participation as charts

    shares = pd.DataFrame({"categorie": ["Filles / femmes", "Garçons / hommes", "Non renseigné"],
                           "share": [1.0, 0.0, 0.0]})
    fig = charts.shares_chart(shares, "Sexe des 16-25 ans")
    assert list(fig.data[0].text) == ["100,0\u00a0%", "0,0\u00a0%", "0,0\u00a0%"]
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 1.1
    counts = pd.DataFrame({"intitule": ["A", "B"], "participations": [1234, "< 5"], "participants": [40, 12]})
    fig = charts.participation_by_action_chart(counts)
    assert fig.layout.xaxis.range[1] > 1234 * 1.1


# --- First participation ------------------------------------------------------------------

def _add_first_participation_cases(con) -> None:
    """Two more actions where the first participation needs care: same day in two actions (the
    first code gives the band), sex and QPV blank first, then known."""
    fixtures.action(con, "B1", "Boxe", axe="Sport")
    fixtures.action(con, "B2", "Atelier", axe="Culture")
    fixtures.attendance(con, [
        {"date": D(2023, 5, 2), "action": "B2", "person": "ps_q1", "tranche": "16-25", "sexe": "NR"},
        {"date": D(2023, 5, 2), "action": "B1", "person": "ps_q1", "tranche": "11-15", "sexe": "NR"},
        {"date": D(2023, 6, 6), "action": "B1", "person": "ps_q1", "tranche": "11-15", "sexe": "F", "qpv": False},
        {"date": D(2023, 7, 4), "action": "B2", "person": "ps_q1", "tranche": "11-15", "sexe": "M", "qpv": True},
        # q3, 16-25: sex and QPV known first in B1 (F, not QPV), later otherwise in B2
        {"date": D(2023, 5, 2), "action": "B2", "person": "ps_q3", "tranche": "16-25", "sexe": "NR"},
        {"date": D(2023, 6, 6), "action": "B1", "person": "ps_q3", "tranche": "16-25", "sexe": "F", "qpv": False},
        {"date": D(2023, 7, 4), "action": "B2", "person": "ps_q3", "tranche": "16-25", "sexe": "M", "qpv": True},
        # q4: one day, three actions, two bands: the first code (A1) gives the band
        {"date": D(2023, 4, 4), "action": "B2", "person": "ps_q4", "tranche": "11-15", "sexe": "F", "qpv": True},
        {"date": D(2023, 4, 4), "action": "B1", "person": "ps_q4", "tranche": "16-25", "sexe": "F", "qpv": True},
        {"date": D(2023, 4, 4), "action": "A1", "person": "ps_q4", "tranche": "11-15", "sexe": "F", "qpv": True},
    ])


def _first(con, filters: Filters) -> dict:
    queries.run(con, "selection_people", filters.params())
    rows = con.execute("""select p.person, s.tranche, s.sexe, s.qpv, s.first_date::varchar
        from selection_people as s join people as p on p.id = s.person
        where p.person like 'ps_q%' order by 1""").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_first_participation_is_the_earliest_date_then_action_code(built, everything):
    _add_first_participation_cases(built)
    assert _first(built, everything) == {
        "ps_q1": ("11-15", "F", False, "2023-05-02"),    # B1 before B2 on 2 May; sex and QPV known in June
        "ps_q3": ("16-25", "F", False, "2023-05-02"),
        "ps_q4": ("11-15", "F", True, "2023-04-04"),     # A1 before B1 and B2 on the same day
    }
    # within a selection: without B1, q1's first row is B2's, q4's A1's still
    assert _first(built, everything.with_(actions=["A1", "B2"])) == {
        "ps_q1": ("16-25", "M", True, "2023-05-02"),
        "ps_q3": ("16-25", "M", True, "2023-05-02"),
        "ps_q4": ("11-15", "F", True, "2023-04-04"),
    }
    # the period moves the first participation too
    later = everything.with_(date_from=D(2023, 6, 1))
    assert _first(built, later)["ps_q1"] == ("11-15", "F", False, "2023-06-06")


def test_every_page_counts_people_by_their_first_participation(built, everything, settings):
    """Publics, the action sheet and Vue d'ensemble read the one definition: the same bands."""
    from impact import overview

    _add_first_participation_cases(built)
    publics = p.publics_overview(built, everything, settings)
    bands = publics["bands"].set_index("tranche")["participants"].to_dict()
    queries.run(built, "selection_people", everything.params())
    expected = dict(built.execute("select tranche, count(*) from selection_people group by 1").fetchall())
    assert {k: v for k, v in bands.items() if v} == expected
    assert overview.overview(built, everything, settings)["participation"]["focus_participants"] == expected["16-25"]
    assert publics["focus"]["young_people"] == expected["16-25"]


def test_a_convention_of_eight_years_is_counted_month_by_month(con, tmp_path):
    """No limit on the length of a convention: eight years, a session in the first and the last month."""
    from impact.settings import load_settings

    text = (Path(__file__).resolve().parent.parent / "data" / "convention.toml").read_text(encoding="utf-8")
    path = tmp_path / "convention.toml"
    path.write_text(text.replace("fin = 2024-12-31", "fin = 2029-12-31"), encoding="utf-8")
    long = load_settings(path)
    assert long.years == list(range(2022, 2030))
    fixtures.action(con, "A1", "Atelier rap")
    fixtures.attendance(con, [
        {"date": D(2022, 1, 4), "action": "A1", "person": "ps_old", "tranche": "16-25"},
        {"date": D(2029, 12, 4), "action": "A1", "person": "ps_new", "tranche": "16-25"},
    ])
    whole = Filters(long.start, long.end)
    assert p.totals(con, whole)["participants"] == 2
    months = p.participation_overview(con, whole)["by_month"]
    assert [str(m)[:7] for m in months["month"]] == ["2022-01", "2029-12"]
    assert p.publics_overview(con, whole, long)["focus"]["young_people"] == 2


def test_only_the_most_common_combinations_are_spelled_out(con, everything, settings):
    """A national year has tens of thousands of combinations of actions, most of one person: the
    page shows the 15 most common, the counts of parcours still count everyone."""
    import itertools

    codes = [f"C{i}" for i in range(1, 9)]
    for code in codes:
        fixtures.action(con, code, f"Action {code}")
    sets = list(itertools.combinations(codes, 2))[:20]          # 20 combinations of two actions
    people = [sets[0]] * 3 + [sets[1]] * 2 + sets[2:]             # 3, 2, then 18 of one person
    fixtures.attendance(con, [{"date": D(2023, 3, 1), "action": code, "person": f"ps_{i}", "tranche": "16-25"}
                              for i, pair in enumerate(people) for code in pair])
    data = p.publics_overview(con, everything, settings)
    combinations = data["combinations"]
    assert len(combinations) == p.COMBINATIONS_SHOWN == 15
    assert combinations["people"].tolist() == [3, 2] + [1] * 13
    assert combinations["combination"].iloc[0] == "Action C1 + Action C2"
    assert data["focus"]["parcours"] == len(people) == 23

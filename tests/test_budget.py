"""Budget definitions and points of attention on a built store whose answers are known by construction.

The store: `tests.fixtures.build_money_store`.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from impact import budget, queries
from impact.charts import budget as charts
from impact.filters import Filters
from impact.small_counts import MASKED, CountRule
from tests import fixtures
from tests.fixtures import build_money_store, undo

STATE = "État - cité éducative"
AFTER_END = dt.date(2026, 11, 28)   # the convention is over: progress is measured at its end


@pytest.fixture
def money(con):
    ids = build_money_store(con)
    undo(con, ids["revision"])
    return ids


def whole(settings, **kw) -> Filters:
    return Filters.for_period(settings.start, settings.end, **kw)


# --- per year -----------------------------------------------------------------------------------

def test_years_after_the_revision_is_undone(con, money, settings):
    view = budget.committee_view(con, whole(settings), settings, AFTER_END)
    years = view["years"].set_index("annee")
    assert list(years.index) == [2022, 2023, 2024]
    assert (years["enveloppe"] == 300000).all()
    assert years["programme"].tolist() == [18000, 26000, 12000]
    assert years["engage"].tolist() == [2000, 0, 0]
    # 2022: 9 000 + 2 500 (late, exercice 2022) - 500 (credit note) + 2 000 (A2)
    # 2023: 15 000 + 1 000 (late) + 5 000 + 700 · 2024: 1 000 (dated 2023) + 3 000
    assert years["paye"].tolist() == pytest.approx([13000, 21700, 4000])
    assert years["reste_a_payer"].tolist() == pytest.approx([5000, 4300, 8000])
    assert years.loc[2022, "taux_programmation"] == pytest.approx(18000 / 300000)
    assert years.loc[2023, "taux_execution"] == pytest.approx(21700 / 26000)
    t = view["totals"]
    assert (t["enveloppe"], t["programme"], t["engage"]) == (900000, 56000, 2000)
    assert t["paye"] == pytest.approx(38700)
    assert t["reste_a_payer"] == pytest.approx(17300)
    assert t["non_programme"] == pytest.approx(844000)


def test_the_newer_budget_version_wins_until_it_is_undone(con, settings):
    ids = build_money_store(con)
    before = budget.committee_view(con, whole(settings), settings, AFTER_END)
    assert before["years"].set_index("annee").loc[2023, "programme"] == 30000   # 24 000 + 6 000
    rows = budget.state_view(con, whole(settings), settings, AFTER_END)["budget_rows"]
    revised = rows[(rows["code"] == "A1") & (rows["annee"] == 2023)]
    assert revised[["montant", "montant_remplace", "batch_id"]].values.tolist() == [[24000, 20000,
                                                                                      ids["revision"]]]
    undo(con, ids["revision"])
    after = budget.committee_view(con, whole(settings), settings, AFTER_END)
    assert after["years"].set_index("annee").loc[2023, "programme"] == 26000


def test_years_table_has_a_total_row_with_recomputed_rates(con, money, settings):
    view = budget.committee_view(con, whole(settings), settings, AFTER_END)
    table = budget.years_table(view["years"])
    assert table["Année"].tolist() == ["2022", "2023", "2024", "Total"]
    total = table.iloc[-1]
    assert total["Programmé État"] == 56000
    assert total["Taux d'exécution"] == pytest.approx(38700 / 56000)
    assert total["Taux de programmation"] == pytest.approx(56000 / 900000)


@pytest.mark.parametrize(("kw", "programme", "paye", "envelope"), [
    ({}, 56000, 38700, 900000),
    ({"themes": ["Santé"]}, 14000, 7000, 900000),
    ({"porteurs": ["P1"]}, 42000, 31000, 900000),
    ({"actions": ["A5"]}, 0, 700, 900000),
])
def test_action_filters(con, money, settings, kw, programme, paye, envelope):
    t = budget.committee_view(con, whole(settings, **kw), settings, AFTER_END)["totals"]
    assert (t["programme"], t["paye"], t["enveloppe"]) == (programme, pytest.approx(paye), envelope)


@pytest.mark.parametrize(("year", "programme", "paye"), [(2022, 18000, 13000), (2023, 26000, 21700),
                                                         (2024, 12000, 4000)])
def test_a_year_filter_selects_the_exercice_not_the_date(con, money, settings, year, programme, paye):
    f = Filters(dt.date(year, 1, 1), dt.date(year, 12, 31))
    t = budget.committee_view(con, f, settings, AFTER_END)["totals"]
    assert (t["enveloppe"], t["programme"], t["paye"]) == (300000, programme, pytest.approx(paye))


# --- funders ---------------------------------------------------------------------------------------

def test_funders_and_leverage(con, money, settings):
    view = budget.committee_view(con, whole(settings), settings, AFTER_END)
    f = view["funders"]
    by_group = f.groupby("groupe")[["programme", "paye"]].sum()
    assert by_group.loc["État", "programme"] == 56000
    assert by_group.loc["Ville de Metz"].tolist() == [5000, 5000]
    assert by_group.loc["CAF", "programme"] == 3000
    assert by_group.loc["Région", "programme"] == 2000
    assert view["leverage"]["levier"] == pytest.approx(10000 / 56000)
    table = budget.funders_table(f)
    assert table["Financeur"].tolist() == ["État", "Ville de Metz", "CAF", "Région"]
    assert table["Total programmé"].tolist() == [56000, 5000, 3000, 2000]
    assert table["Part du programmé"].sum() == pytest.approx(1)
    actions = view["actions"].set_index("code")
    assert actions.loc["A1", "levier"] == pytest.approx(8000 / 30000)
    assert math.isnan(actions.loc["A5", "levier"])


@pytest.mark.parametrize(("financeur", "group"), [
    ("État - cité éducative", "État"),
    ("ETAT - Cité Educative", "État"),
    ("Etat cite educative", "État"),
    ("Ville de Metz", "Ville de Metz"),
    ("Mairie de Metz", "Ville de Metz"),
    ("CAF de la Moselle", "CAF"),
    ("Caisse d'allocations familiales", "CAF"),
    ("Région Grand Est", "Région"),
    ("Fondation de France", "Autres financeurs"),
    ("État - droit commun", "Autres financeurs"),
])
def test_funder_groups(con, settings, financeur, group):
    fixtures.action(con, "X")
    fixtures.budget(con, [(2023, "X", financeur, 100)])
    yf = budget.year_funder(con, whole(settings), settings, AFTER_END)
    assert yf["groupe"].tolist() == [group]


# --- per action and thématique ---------------------------------------------------------------------

def test_actions_sorted_by_gap(con, money, settings):
    actions = budget.committee_view(con, whole(settings), settings, AFTER_END)["actions"]
    assert actions["code"].tolist() == ["A3", "A2", "A1", "A5"]
    a1 = actions.set_index("code").loc["A1"]
    assert (a1["programme"], a1["programme_etat"], a1["engage"]) == (38000, 30000, 2000)
    assert (a1["paye"], a1["paye_etat"], a1["reste_a_payer"]) == (32000, 27000, 6000)
    assert budget.actions_table(actions)["Fiche action"].tolist()[0] == "fiche-action?code=A3"


def test_themes_sorted_by_gap(con, money, settings):
    themes = budget.committee_view(con, whole(settings), settings, AFTER_END)["themes"]
    assert themes["axe"].tolist() == ["Culture", "Santé", "Insertion professionnelle", "Sport"]
    assert themes["reste_a_payer"].tolist() == [10000, 7000, 6000, -700]


def test_porteurs_of_state_money(con, money, settings):
    porteurs = budget.state_view(con, whole(settings), settings, AFTER_END)["porteurs"]
    assert porteurs["porteur"].tolist() == ["P1", "P2", "P3"]
    assert porteurs[["programme", "engage", "paye"]].values.tolist() == [
        [42000, 2000, 31000], [14000, 0, 7000], [0, 0, 700]]


# --- costs ---------------------------------------------------------------------------------------------

def _costs(con, settings, filters=None):
    filters = filters or whole(settings)
    view = budget.committee_view(con, filters, settings, AFTER_END)
    return budget.costs(view["actions"], view["participations"]).set_index("code")


def test_cost_per_participant_and_participation(con, money, settings):
    cost = _costs(con, settings)
    assert sorted(cost.index) == ["A1", "A2", "A3", "A4", "A5"]
    assert cost.loc["A1", ["participants", "participations"]].tolist() == [6, 17]
    assert cost.loc["A1", "cout_participant"] == pytest.approx(32000 / 6)
    assert cost.loc["A1", "cout_participation"] == pytest.approx(32000 / 17)
    assert cost.loc["A3", "participants"] == 0 and math.isnan(cost.loc["A3", "cout_participant"])
    assert cost.loc["A3", "cout_participation"] == pytest.approx(200)
    assert cost.loc["A4", ["paye", "participants"]].tolist() == [0, 1]
    assert math.isnan(cost.loc["A5", "cout_participant"])


def test_costs_follow_the_selected_years(con, money, settings):
    cost = _costs(con, settings, Filters(dt.date(2023, 1, 1), dt.date(2023, 12, 31)))
    # 2023 only: A1 paid 16 000 on its 2023 exercice; one named person and a head count of 10
    assert cost.loc["A1", ["paye", "participants", "participations"]].tolist() == [16000, 1, 11]


@pytest.mark.parametrize(("exact", "a2_people", "a2_cost", "a1_people"),
                         [(True, 2, 3500.0, 6), (False, "< 5", MASKED, 5)])
def test_small_counts_hide_the_count_and_its_cost(con, money, settings, exact, a2_people, a2_cost, a1_people):
    table = budget.costs_table(_costs(con, settings).reset_index(), CountRule(exact)).set_index("Code")
    assert table.loc["A2", "Participants distincts"] == a2_people
    assert table.loc["A2", "Coût par participant"] == a2_cost
    # a reader's cost comes from the rounded count (6 → 5): paid ÷ cost gives no exact count back
    assert table.loc["A1", "Participants distincts"] == a1_people
    assert table.loc["A1", "Coût par participant"] == pytest.approx(32000 / a1_people)


# --- pace ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("filters", "today", "reference", "window", "pace", "final"), [
    # over: nothing is projected, the figure is what was paid (no payment in the last six months)
    (None, AFTER_END, dt.date(2024, 12, 1), 6, 0.0, 38700),
    # running: the six months up to today (12/2023–05/2024: 1 000 + 3 000), seven months to go
    (None, dt.date(2024, 5, 15), dt.date(2024, 5, 1), 6, 4000 / 6, 38700 + 7 * 4000 / 6),
    # three months of data only: 9 000 over January–March 2022, nine months to go
    ((dt.date(2022, 1, 1), dt.date(2022, 12, 31)), dt.date(2022, 3, 20), dt.date(2022, 3, 1), 3,
     3000, 9000 + 9 * 3000),
])
def test_pace_and_projection(con, money, settings, filters, today, reference, window, pace, final):
    f = Filters(*filters) if filters else whole(settings)
    view = budget.committee_view(con, f, settings, today)
    p = view["projection"]
    assert p["reference"] == reference
    assert p["fenetre_mois"] == window
    assert p["rythme_mensuel"] == pytest.approx(pace)
    assert p["projection_fin"] == pytest.approx(final)
    assert p["non_depense"] == pytest.approx(p["enveloppe"] - final)
    assert p["part_non_depensee"] == pytest.approx((p["enveloppe"] - final) / p["enveloppe"])


def test_pace_months_and_linear_line(con, money, settings):
    df = budget.committee_view(con, whole(settings), settings, AFTER_END)["pace"]
    assert len(df) == 36
    assert df["mois"].iloc[0] == dt.date(2022, 1, 1) and df["mois"].iloc[-1] == dt.date(2024, 12, 1)
    assert df["paye_cumule"].iloc[-1] == pytest.approx(38700)
    assert df.set_index("mois").loc[dt.date(2022, 6, 1), "paye_mois"] == -500   # the credit note
    assert df["rythme_lineaire"].iloc[11] == pytest.approx(300000)
    assert df["rythme_lineaire"].iloc[-1] == pytest.approx(900000)
    assert df["projection"].isna().all()   # the convention is over: nothing is projected
    running = budget.committee_view(con, whole(settings), settings, dt.date(2024, 5, 15))["pace"]
    projected = running.dropna(subset=["projection"])
    assert projected["mois"].iloc[0] == dt.date(2024, 5, 1)
    assert projected["projection"].iloc[-1] == pytest.approx(38700 + 7 * 4000 / 6)


@pytest.mark.parametrize(("today", "filters", "paid", "unspent", "sentence"), [
    (AFTER_END, None, "Payé en fin de convention", "Non dépensé", "Période terminée : 861\u202f300\u00a0€"),
    (dt.date(2024, 5, 15), None, "Payé projeté en fin de convention", "Non dépensé projeté",
     "Projection au rythme moyen des 6 mois jusqu'à mai 2024"),
    (AFTER_END, (dt.date(2023, 1, 1), dt.date(2023, 12, 31)), "Payé à fin 2023", "Non dépensé", "Période terminée"),
])
def test_end_of_period_figures_are_a_projection_only_while_it_runs(con, money, settings, today, filters, paid,
                                                                    unspent, sentence):
    f = Filters(*filters) if filters else whole(settings)
    words = budget.pace_words(budget.committee_view(con, f, settings, today)["projection"], f, settings)
    assert (words["paid"], words["unspent"]) == (paid, unspent)
    assert words["sentence"].startswith(sentence), words["sentence"]
    assert ("projet" in words["paid"]) is (today < settings.end)


def test_a_late_payment_extends_the_axis_of_its_exercice(con, money, settings):
    df = budget.committee_view(con, Filters(dt.date(2022, 1, 1), dt.date(2022, 12, 31)), settings,
                               AFTER_END)["pace"]
    assert df["mois"].iloc[-1] == dt.date(2023, 1, 1)   # the 2 500 € paid in January 2023 for 2022
    assert df["paye_cumule"].iloc[-1] == pytest.approx(13000)


# --- points of attention ---------------------------------------------------------------------------------

def test_points_of_attention(con, money, settings):
    points = budget.committee_view(con, whole(settings), settings, AFTER_END)["attention"]
    found = [(k, c, None if pd.isna(a) else int(a)) for k, c, a in
             zip(points["kind"], points["code"], points["annee"], strict=True)]
    assert found == [
        ("paye_superieur", "A1", 2022),       # all funders: 16 000 paid for 15 000 programmed
        ("sous_consommation", "A2", 2022),    # no period: 2 000 of 8 000 in 2022, year over
        ("sous_consommation", "A3", None),    # 4 000 of 14 000 over its 2024 period
        ("sans_programmation", "A5", 2023),
        ("sans_presence", "A5", None),
        ("presence_sans_depense", "A4", None),
        ("hors_periode", "A3", None),          # 1 000 dated 2023 for a 2024 action
    ]
    over = points.iloc[0]
    assert (over["programme"], over["paye"]) == (15000, 16000)
    late = points[points["kind"] == "hors_periode"].iloc[0]
    assert (late["lignes"], late["montant"]) == (1, 1000)


@pytest.mark.parametrize(("today", "expected"), [
    # three quarters of 2024 are not over on 30/09/2024 (274 of 366 days): A3 is not flagged yet
    (dt.date(2024, 9, 30), {("A2", 2022)}),
    (dt.date(2024, 10, 1), {("A2", 2022), ("A3", None)}),
    # in mid-2022 A2's 2022 programme has time left
    (dt.date(2022, 6, 30), set()),
])
def test_under_use_waits_for_three_quarters_of_the_period(con, money, settings, today, expected):
    points = budget.committee_view(con, whole(settings), settings, today)["attention"]
    under = points[points["kind"] == "sous_consommation"]
    assert {(c, None if pd.isna(a) else int(a)) for c, a in zip(under["code"], under["annee"],
                                                                 strict=True)} == expected


def test_attention_table_is_french_and_linked(con, money, settings):
    points = budget.committee_view(con, whole(settings), settings, AFTER_END)["attention"]
    table = budget.attention_table(points, CountRule(exact=False))
    assert table.columns.tolist() == ["Point d'attention", "Action", "Détail", "Fiche action", "Code",
                                      "Porteur"]
    assert table.loc[0, "Point d'attention"] == "Payé au-delà du programmé"
    assert table.loc[0, "Détail"] == ("Exercice 2022 : 16\u202f000\u00a0€ payés pour 15\u202f000\u00a0€ "
                                      "programmés (dépassement de 1\u202f000\u00a0€)")
    assert table.loc[0, "Fiche action"] == "fiche-action?code=A1"
    no_money = table[table["Code"] == "A4"].iloc[0]
    assert no_money["Détail"].startswith("< 5")
    exact = budget.attention_table(points, CountRule(exact=True))
    assert exact[exact["Code"] == "A4"].iloc[0]["Détail"].startswith("1 participation")


def test_action_link_is_url_encoded():
    assert budget.action_link("CMA MER/2") == "fiche-action?code=CMA%20MER%2F2"


# --- State page ----------------------------------------------------------------------------------------

def test_at_risk(con, money, settings):
    risk = budget.state_view(con, whole(settings), settings, AFTER_END)["at_risk"]
    assert risk["code"].tolist() == ["A3", "A2", "A1"]   # then by State money left to pay
    # the Budget page's rule on the State's credits: A2 paid 2 000 of its 8 000 of 2022 (a year
    # without action years of its own), A3 4 000 of 12 000 over its 2024 period
    assert risk["a_risque"].tolist() == [True, True, False]
    assert risk.set_index("code").loc["A3", "reste_a_payer_etat"] == 8000


@pytest.mark.parametrize(("kw", "count", "amounts"), [
    ({}, 11, {"engagé": 2000, "payé": 39200, "avoir": -500}),
    ({"all_funders": True}, 12, {"engagé": 2000, "payé": 44200, "avoir": -500}),
    ({"statuts": ("avoir",)}, 1, {"avoir": -500}),
    ({"search": "studio"}, 2, {"payé": 9000, "avoir": -500}),
    ({"search": "M-9"}, 1, {"payé": 700}),
])
def test_spending_list(con, money, settings, kw, count, amounts):
    listing = budget.state_spending(con, whole(settings), settings, **kw)
    assert listing["count"] == count == len(listing["rows"])
    assert listing["amounts"] == pytest.approx(amounts)


def test_spending_list_traces_each_row_to_its_import(con, money, settings):
    listing = budget.state_spending(con, whole(settings), settings, search="AV-1")
    row = budget.spending_table(listing["rows"]).iloc[0]
    assert (row["Lot n°"], row["Fichier importé"], row["Ligne du fichier"]) == (money["spending"],
                                                                              "depenses_2024.csv", 4)
    assert (row["Montant"], row["Statut"], row["Exercice"]) == (-500, "avoir", 2022)


def test_spending_list_is_cut_at_the_limit_newest_first(con, money, settings):
    listing = budget.state_spending(con, whole(settings), settings, limit=3)
    assert listing["count"] == 11
    assert listing["rows"]["piece"].tolist() == ["M-8", "M-4", "M-7"]


def test_sources_name_the_imports(con, money, settings):
    sources = budget.state_view(con, whole(settings), settings, AFTER_END)["sources"]
    assert sources[["batch_id", "kind", "lignes"]].values.tolist() == [
        [money["budget"], "budget", 8], [money["spending"], "spending", 12]]


# --- empty store, every query, charts -------------------------------------------------------------------

def test_empty_store(con, settings):
    view = budget.committee_view(con, whole(settings), settings, AFTER_END)
    assert not view["has_money"]
    assert view["totals"]["programme"] == 0 and view["totals"]["enveloppe"] == 900000
    assert view["attention"].empty
    assert view["projection"]["reference"] is None
    assert not budget.state_view(con, whole(settings), settings, AFTER_END)["has_money"]


def test_every_budget_query_runs_on_the_built_store(con, money, settings):
    names = [n for n, (file, _) in queries.all_queries().items() if file == "budget.sql"]
    params = budget._params(whole(settings), settings, AFTER_END) | {
        "statuts": [], "search": "", "all_funders": False, "limit": 10, "state_only": False,
        "focus_band": settings.focus_band}
    queries.run(con, "selection_people", params)
    for name in names:
        assert not queries.run(con, name, params).empty, name


@pytest.mark.parametrize(("value", "label"), [
    (8500, "8\u202f500\u00a0€"), (9999.6, "10\u202f000\u00a0€"), (12345.67, "12\u00a0k€"),
    (168194.06, "168\u00a0k€"), (-20000, "-20\u00a0k€"), (1250000, "1,2\u00a0M€"),
])
def test_short_bar_labels(value, label):
    assert charts.short_euros(value) == label


def test_charts_plot_the_table_figures(con, money, settings):
    view = budget.committee_view(con, whole(settings), settings, AFTER_END)
    fig = charts.years_chart(view["years"])
    assert [t.name for t in fig.data] == ["Enveloppe", "Programmé", "Engagé", "Payé"]
    assert list(fig.data[3].y) == pytest.approx([13000, 21700, 4000])
    assert fig.data[1].text[0] == "18\u00a0k€"                       # the label on the bar
    assert fig.data[1].customdata[0] == "18\u202f000,00\u00a0€"       # the exact amount on hover, as in the table
    pace = charts.pace_chart(view["pace"])
    assert not [t for t in pace.data if t.name.startswith("Projection")]   # over: nothing projected
    assert {t.line.dash for t in pace.data} == {"dot", "dash", None}
    running = charts.pace_chart(budget.committee_view(con, whole(settings), settings, dt.date(2024, 5, 15))["pace"])
    assert [t.name for t in running.data][-1].startswith("Projection")
    assert {t.line.dash for t in running.data} == {"dot", "dash", None, "longdash"}
    funders = charts.funders_chart(view["funders"])
    assert [t.name for t in funders.data] == ["État", "Ville de Metz", "CAF", "Région"]
    actions = charts.amounts_chart(view["actions"], "intitule", "t")
    assert [t.name for t in actions.data] == ["Payé", "Engagé", "Programmé"]
    assert list(actions.data[0].y)[-1] == "Culture"   # the biggest gap is drawn on top
    assert list(actions.data[0].x)[-1] == 4000

"""The Budget and « Utilisation des fonds de l'État » pages in AppTest, on the built store of
test_budget.py (answers known by construction; the convention is over, so progress is measured
at its end and the pace projection starts from the last State payment, March 2024)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from impact import budget
from impact.store import Store
from tests.fixtures import build_money_store, undo

NB = "\u202f"      # thousands separator
EUR = "\u00a0€"


def euros(text: str) -> str:
    """'56 000 €' written with plain spaces → the French typography the page uses."""
    return text.replace(" €", EUR).replace(" ", NB)


@pytest.fixture
def money_db(tmp_path, monkeypatch):
    store = Store(tmp_path / "money.duckdb", wait_seconds=5)
    with store.connect() as con:
        ids = build_money_store(con)
        undo(con, ids["revision"])
    monkeypatch.setenv("IMPACT_DB", str(store.path))
    return ids


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "empty.duckdb"))


def open_page(page: str, role: str | None = None, year: str | None = None) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    if role:
        at.session_state["role"] = role
    if year:   # chosen in the sidebar of the first page, then kept in the session
        at.run()
        at.selectbox(key="f_year").set_value(year).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a column « {column} »")


# --- Budget -------------------------------------------------------------------------------------

def test_budget_page_figures(money_db):
    at = open_page("pages/budget.py")
    assert at.title[0].value == "Budget"
    m = metrics(at)
    assert m["Enveloppe État"] == euros("900 000 €")
    assert m["Programmé État"] == euros("56 000 €")
    assert m["Engagé État"] == euros("2 000 €")
    assert m["Payé État"] == euros("38 700 €")
    assert m["Reste à payer"] == euros("17 300 €")
    # the convention is over: what was paid, not a projection; 900 000 − 38 700
    assert m["Payé en fin de convention"] == euros("38 700 €")
    assert m["Non dépensé"] == euros("861 300 €")
    assert not [label for label in m if "projeté" in label]
    assert m["Effet levier (par euro de l'État)"] == "0,18\u00a0€"   # (5 000 + 3 000 + 2 000) / 56 000
    years = table_with(at, "Taux de programmation")
    assert years["Année"].tolist() == ["2022", "2023", "2024", "Total"]
    assert years["Payé État"].tolist() == [euros(v) for v in ("13 000,00 €", "21 700,00 €", "4 000,00 €",
                                                               "38 700,00 €")]
    actions = table_with(at, "Effet levier (€ autres financeurs par € État)")
    assert actions["Code"].tolist() == ["A3", "A2", "A1", "A5"]
    assert actions["Fiche action"].tolist()[0] == "fiche-action?code=A3"


def test_budget_page_points_of_attention(money_db):
    points = table_with(open_page("pages/budget.py"), "Point d'attention")
    assert list(zip(points["Point d'attention"], points["Code"], strict=True)) == [
        ("Payé au-delà du programmé", "A1"),
        ("Moins de la moitié du programme payée aux trois quarts de la période", "A2"),
        ("Moins de la moitié du programme payée aux trois quarts de la période", "A3"),
        ("Dépenses sans programmation sur l'exercice", "A5"),
        ("Dépenses sans aucune présence enregistrée", "A5"),
        ("Présences sans aucune dépense", "A4"),
        ("Dépenses datées hors des années de l'action", "A3"),
    ]
    assert set(points["Fiche action"]) == {f"fiche-action?code=A{i}" for i in (1, 2, 3, 4, 5)}


@pytest.mark.parametrize(("role", "a2_people", "a2_cost", "a1"), [
    ("comite", "< 5", "masqué", ("5", euros("6 400,00 €"), euros("2 133,33 €"))),   # 6 and 17, rounded
    ("coordinateur", "2", euros("3 500,00 €"), ("6", euros("5 333,33 €"), euros("1 882,35 €"))),
])
def test_budget_page_costs_and_small_counts(money_db, role, a2_people, a2_cost, a1):
    costs = table_with(open_page("pages/budget.py", role=role), "Coût par participant").set_index("Code")
    assert costs.loc["A2", "Participants distincts"] == a2_people
    assert costs.loc["A2", "Coût par participant"] == a2_cost
    assert tuple(costs.loc["A1", ["Participants distincts", "Coût par participant",
                                  "Coût par participation"]]) == a1


def test_budget_page_year_filter(money_db):
    m = metrics(open_page("pages/budget.py", year="2023"))
    assert m["Enveloppe État"] == euros("300 000 €")
    assert m["Programmé État"] == euros("26 000 €")
    assert m["Payé État"] == euros("21 700 €")


@pytest.mark.parametrize(("page", "label"), [("pages/budget.py", "Programmé État"),
                                             ("pages/fonds-etat.py", "Programmé")])
def test_theme_filter(money_db, page, label):
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    at.multiselect(key="f_themes").set_value(["Santé"]).run()
    at.switch_page(page).run()
    m = metrics(at)
    assert m[label] == euros("14 000 €")       # A2 only: 8 000 + 6 000
    assert m[label.replace("Programmé", "Payé")] == euros("7 000 €")
    assert any("l'enveloppe et le rythme linéaire restent" in c.value for c in at.caption)


def test_budget_page_charts_carry_the_figures(money_db):
    at = open_page("pages/budget.py")
    charts = at.get("plotly_chart")
    assert len(charts) >= 5
    spec = json.loads(charts[0].proto.spec)
    assert [t["name"] for t in spec["data"]] == ["Enveloppe", "Programmé", "Engagé", "Payé"]
    assert spec["data"][3]["customdata"] == [euros(v) for v in ("13 000,00 €", "21 700,00 €", "4 000,00 €")]
    assert spec["data"][3]["text"] == ["13\u00a0k€", "22\u00a0k€", euros("4 000 €")]


# --- Utilisation des fonds de l'État -----------------------------------------------------------------

def test_state_page_figures(money_db):
    at = open_page("pages/fonds-etat.py")
    assert at.title[0].value == "Utilisation des fonds de l'État"
    m = metrics(at)
    assert m["Enveloppe"] == euros("900 000 €")
    assert m["Programmé"] == euros("56 000 €")
    assert m["Payé"] == euros("38 700 €")
    assert m["Enveloppe non programmée"] == euros("844 000 €")
    assert m["Non dépensé"] == euros("861 300 €")
    porteurs = table_with(at, "Porteur")
    assert porteurs["Porteur"].tolist()[:2] == ["P1", "P2"]
    risk = table_with(at, "À risque")
    assert risk.iloc[0][["Code", "À risque", "Reste à payer"]].tolist() == ["A3", "oui", euros("8 000,00 €")]
    expenses = table_with(at, "Fournisseur")
    assert len(expenses) == 11
    assert set(expenses["Fichier importé"]) == {"depenses_2024.csv"}
    programme = table_with(at, "Montant programmé")
    assert len(programme) == 5


def test_state_page_expense_filters(money_db):
    at = open_page("pages/fonds-etat.py")
    at.multiselect(key="sf_statuts").set_value(["avoir"]).run()
    expenses = table_with(at, "Fournisseur")
    assert expenses[["Pièce", "Montant", "Date", "Ligne du fichier"]].values.tolist() == [
        ["AV-1", euros("-500,00 €"), "01/06/2022", 4]]
    at.multiselect(key="sf_statuts").set_value([]).run()
    at.checkbox(key="sf_all_funders").check().run()
    assert len(table_with(at, "Fournisseur")) == 12
    at.text_input(key="sf_search").input("rien de tel").run()
    assert any("Aucune dépense ne correspond" in i.value for i in at.info)


@pytest.mark.parametrize("page", ["pages/budget.py", "pages/fonds-etat.py"])
def test_pages_on_an_empty_store(empty_db, page):
    at = open_page(page)
    assert not at.metric
    assert any("Aucune programmation" in i.value for i in at.info)


def test_the_key_columns_of_long_lists_come_first(money_db):
    """At 1440 px the expense list showed neither the import nor the line it came from: they come
    right after the amount, the long texts after them, on a medium width."""
    at = open_page("pages/fonds-etat.py")
    expenses = table_with(at, "Pièce")
    assert expenses.columns.tolist()[:7] == ["Date", "Montant", "Statut", "Exercice", "Code", "Lot n°",
                                             "Ligne du fichier"]
    programme = table_with(at, "Montant programmé")
    assert programme.columns.tolist()[:6] == ["Année", "Code", "Montant programmé", "Montant remplacé", "Lot n°",
                                              "Ligne du fichier"]
    widths = {}
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns)
        widths.update({name: c.get("width") for name, c in config.items()})
    assert widths.get("Action") == "medium" and widths.get("Fichier importé") == "medium"


# --- one rule, one form: the two money pages agree ----------------------------------------------------

def test_both_money_pages_state_the_one_under_use_rule(demo_db):
    """Budget said « Aucun point d'attention » where the State's page said « 1 action(s) à risque »:
    the same rule now, each page saying which funders it counts, the Budget page giving the
    State's count too."""
    budget_page = open_page("pages/budget.py")
    state_page = open_page("pages/fonds-etat.py")
    risk = table_with(state_page, "À risque")
    n = int((risk["À risque"] == "oui").sum())
    budget_text = " ".join(c.value for c in budget_page.caption)
    state_text = " ".join(c.value for c in state_page.caption)
    assert f"Sur les seuls crédits de l'État, la même règle donne {n} action(s) à risque" in budget_text
    assert f"{n} action(s) à risque sur les seuls crédits de l'État" in state_text
    assert budget.UNDER_USE_RULE in budget_text and budget.UNDER_USE_RULE in state_text
    assert "tous financeurs confondus" in budget_text and "tous financeurs confondus" in state_text


def test_money_reads_the_same_on_every_page(demo_db):
    """Key figures in whole euros everywhere (the tables give the cents)."""
    overview = metrics(open_page("pages/overview.py"))
    state = metrics(open_page("pages/fonds-etat.py"))
    budget_m = metrics(open_page("pages/budget.py"))
    assert overview["Payé"] == state["Payé"] == budget_m["Payé État"]
    assert overview["Programmé"] == state["Programmé"] == budget_m["Programmé État"]
    assert "," not in overview["Payé"]
    sheet = metrics(open_page("pages/fiche-action.py"))
    assert all("," not in sheet[k] for k in ("Programmé", "Engagé", "Payé"))


@pytest.fixture
def people_db(tmp_path, monkeypatch):
    from tests.fixtures import build_participation_store

    store = Store(tmp_path / "people.duckdb", wait_seconds=5)
    with store.connect() as con:
        build_participation_store(con)
    monkeypatch.setenv("IMPACT_DB", str(store.path))


@pytest.mark.parametrize(("role", "young", "qpv", "per_young"), [
    # A1, the only action the State funds: four young people of 16-25 (three in the QPV), 6 500 € paid
    ("coordinateur", "4", "75,0\u00a0%", euros("1 625,00 €")),
    ("etat", "< 5", "masqué", "masqué"),   # a State representative: rounded counts
])
def test_the_state_page_says_for_whom(people_db, role, young, qpv, per_young):
    at = open_page("pages/fonds-etat.py", role=role)
    m = metrics(at)
    assert m["Jeunes 16-25 ans distincts"] == young
    assert m["Part habitant le QPV"] == qpv
    assert m["Payé État par jeune 16-25 ans"] == per_young
    whom = table_with(at, "Payé État par jeune 16-25 ans")
    assert whom["Code"].tolist() == ["Total", "A1"]
    assert whom["Jeunes 16-25 ans distincts"].tolist() == [young, young]
    assert whom["Payé État"].tolist() == [euros("6 500,00 €")] * 2

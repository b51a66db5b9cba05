"""The four pages in AppTest, on a store built by hand: what they show to a coordinator
(exact counts) and to a reader ("< 5"), and what an empty selection says."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from impact import fmt
from impact.store import Store
from tests.fixtures import build_participation_store

L = "< 5"


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    path = tmp_path / "pages.duckdb"
    with Store(path).connect() as con:
        build_participation_store(con)
    monkeypatch.setenv("IMPACT_DB", str(path))
    return path


def run_page(page: str, coordinator: bool = False, query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.session_state["role"] = "coordinateur" if coordinator else "comite"
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def column(at: AppTest, i: int, name: str) -> list:
    return at.dataframe[i].value[name].tolist()


def test_participation_page_for_a_coordinator(app_db):
    at = run_page("pages/participation.py", coordinator=True)
    assert metrics(at) == {"Participations": "29", "Participants distincts": "5", "Séances": "10",
                           "Présence moyenne par séance": "2,9", "Parcours, tous âges": "3"}
    assert column(at, 0, "Action") == ["Café des parents", "Atelier rap", "Boxe éducative"]
    assert column(at, 0, "Participations") == ["13", "9", "7"]
    assert column(at, 0, "Participants distincts") == ["1", "4", "3"]
    assert column(at, 1, "Séances") == ["1", "3", "6"]
    assert column(at, 1, "Présence moyenne par séance") == ["13,0", "3,0", "1,2"]
    assert column(at, 3, "Porteur") == ["Centre social", "Asso Rap", "Club Boxe"]
    # regularity: most participants first
    assert column(at, 4, "Action") == ["Atelier rap", "Boxe éducative", "Café des parents"]
    assert column(at, 4, "Venus une fois") == ["3", "2", "1"]
    assert column(at, 4, "5 fois ou plus") == ["0", "1", "0"]
    assert any("15 participations" in c.value for c in at.caption)   # head counts said so
    assert len(at.get("plotly_chart")) == 5


def test_participation_page_for_a_reader_hides_small_counts(app_db):
    at = run_page("pages/participation.py")
    m = metrics(at)
    assert m["Participations"] == "25" and m["Parcours, tous âges"] == L   # 29 rounded down
    assert column(at, 0, "Participants distincts") == [L, L, L]
    assert column(at, 0, "Participations") == ["10", "5", "5"]   # 13, 9, 7
    months = at.dataframe[2].value
    jan = months[months["Mois"] == "janvier 2023"].set_index("Thématique")
    assert jan.loc["Sport", "Participations"] == L
    assert jan.loc["Culture", "Participations"] == "5"   # 8
    assert any("« < 5 »" in c.value and "arrondis à 5 près" in c.value for c in at.caption)


def test_participation_page_with_an_empty_selection(app_db):
    at = run_page("pages/participation.py", query={"theme": "Culture", "public": "parent"})
    assert any("Aucune donnée pour cette sélection" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_publics_page_for_a_coordinator(app_db):
    at = run_page("pages/publics.py", coordinator=True)
    m = metrics(at)
    assert m["Jeunes de 16 à 25 ans distincts"] == "4"
    assert m["Part des participants distincts"] == fmt.percent(0.8)
    assert m["Taux de couverture des 16-25 ans du QPV"] == fmt.percent(3 / 1610)
    assert m["Parcours des 16-25 ans"] == "3"
    assert column(at, 0, "Tranche d'âge") == ["16-25 ans", "11-15 ans", "26 ans et plus"]
    assert column(at, 0, "Participants distincts") == ["4", "1", "0"]
    assert column(at, 1, "Catégorie") == ["Filles / femmes", "Garçons / hommes", "Non renseigné"]
    assert column(at, 1, "Personnes distinctes") == ["2", "1", "1"]
    assert column(at, 2, "Personnes distinctes") == ["3", "0", "1"]
    assert column(at, 5, "Combinaison d'actions") == ["Atelier rap + Boxe éducative",
                                                      "Atelier rap + Café des parents"]
    assert any("1\u202f610" in c.value for c in at.caption)   # the population estimate and its source


def test_publics_page_for_a_reader(app_db):
    at = run_page("pages/publics.py")
    m = metrics(at)
    assert m["Jeunes de 16 à 25 ans distincts"] == L
    assert m["Part des participants distincts"] == "masqué"
    assert column(at, 1, "Personnes distinctes") == [L, L, L]
    assert column(at, 1, "Part") == ["masqué"] * 3


def test_publics_page_with_no_young_people(app_db):
    at = run_page("pages/publics.py", query={"public": "parent"})
    assert any("Aucun jeune de 16 à 25 ans" in i.value for i in at.info)


def test_action_page_defaults_to_the_first_action_and_follows_the_choice(app_db):
    at = run_page("pages/fiche-action.py", coordinator=True)
    assert at.selectbox(key="action_code").value == "A1"
    m = metrics(at)
    assert (m["Participations"], m["Participants distincts"], m["Séances"]) == ("9", "4", "3")
    assert m["Programmé"] == fmt.euros(17000) and m["Payé"] == fmt.euros(6500)
    assert m["Engagé"] == fmt.euros(8000)
    assert m["Coût par participant"] == fmt.euros(1625, cents=True)
    assert any("Asso Rap" in md.value for md in at.markdown)
    assert at.query_params["code"] == "A1"
    sessions = at.dataframe[-1].value
    assert sessions["Date"].tolist() == ["10/01/2023", "17/01/2023", "07/02/2023"]
    at.selectbox(key="action_code").set_value("A2").run()
    assert metrics(at)["Participations"] == "7"
    assert at.query_params["code"] == "A2"


def test_action_page_starts_from_the_sidebar_action(app_db):
    at = run_page("pages/fiche-action.py", coordinator=True, query={"action": "A3"})
    assert at.selectbox(key="action_code").value == "A3"
    assert metrics(at)["Participations"] == "13"


def test_action_page_for_a_reader(app_db):
    at = run_page("pages/fiche-action.py")
    m = metrics(at)
    assert m["Participants distincts"] == L and m["Participations"] == "5"   # 9, rounded down
    assert m["Coût par participant"] == "masqué"
    assert m["Coût par participation"] == fmt.euros(6500 / 5, cents=True)   # from the rounded count


def test_action_page_with_an_empty_selection(app_db):
    at = run_page("pages/fiche-action.py", query={"public": "parent"})
    assert any("Aucune participation pour cette action" in i.value for i in at.info)


def test_methodology_page(app_db, settings):
    at = run_page("pages/methodologie.py")
    text = " ".join(md.value for md in at.markdown)
    assert fmt.euros(settings.state_envelope_total) in text
    assert settings.focus_population_source in text
    assert "Taux de couverture des 16-25 ans" in [h.value for h in at.header]


def _figures(at: AppTest) -> dict[str, dict]:
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {f["layout"]["title"]["text"].split(" — ")[0]: f for f in figures}


def _numbers(values) -> list:
    """A trace's numbers as plotted (Plotly may pack them as base64 arrays)."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def test_a_hidden_count_is_no_bar_but_its_label(app_db):
    """For a reader, « < 5 » is written where the bar would be, in its series' slot: never a bar
    of height 0, which reads as nobody."""
    at = run_page("pages/participation.py")
    fig = _figures(at)["Participations et participants distincts par action"]
    bars = {t["name"]: t for t in fig["data"] if t["type"] == "bar"}
    participants = bars["Participants distincts"]
    assert all(v is None or v != v for v in _numbers(participants["x"])), participants["x"]   # all hidden
    labels = [t for t in fig["data"] if t.get("mode") == "text"]
    assert labels and {tuple(t["text"]) for t in labels} == {("< 5", "< 5", "< 5")}
    assert labels[0]["offsetgroup"] == participants["offsetgroup"] and fig["layout"]["scattermode"] == "group"
    # the coordinator sees the bars themselves
    exact = _figures(run_page("pages/participation.py", coordinator=True))
    fig = exact["Participations et participants distincts par action"]
    assert not [t for t in fig["data"] if t.get("mode") == "text"]


def test_month_axes_show_every_month_of_the_period(app_db):
    at = run_page("pages/participation.py", coordinator=True)
    axis = _figures(at)["Participations par mois et par thématique"]["layout"]["xaxis"]["categoryarray"]
    assert len(axis) == 36 and axis[0] == "janvier 2022" and "août 2023" in axis   # no session in August
    at = run_page("pages/publics.py", coordinator=True)
    line = _figures(at)["Jeunes de 16 à 25 ans, mois par mois"]["data"][0]
    assert len(line["x"]) == 36 and "août 2023" in line["x"]


def test_action_names_are_written_above_their_bars(app_db):
    """A long title beside its bar took half a phone's width: it is written above the bars, across
    the chart, and the axis carries no label."""
    at = run_page("pages/participation.py", coordinator=True)
    fig = _figures(at)["Participations et participants distincts par action"]
    assert fig["layout"]["yaxis"]["showticklabels"] is False
    names = [a["text"] for a in fig["layout"]["annotations"]]
    assert names == ["Café des parents", "Atelier rap", "Boxe éducative"]
    assert all(a["xanchor"] == "left" and a["x"] == 0 for a in fig["layout"]["annotations"])


def test_parcours_of_every_age_and_of_the_focus_band_are_named_apart(app_db):
    everyone = metrics(run_page("pages/participation.py", coordinator=True))
    focus = metrics(run_page("pages/publics.py", coordinator=True))
    (all_ages,) = [k for k in everyone if k.startswith("Parcours")]
    (focus_band,) = [k for k in focus if k.startswith("Parcours")]
    assert all_ages != focus_band and "16-25 ans" in focus_band and "tous âges" in all_ages

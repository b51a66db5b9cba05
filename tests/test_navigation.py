"""Navigation, shared filters in the URL, and the demonstration banner (AppTest)."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from impact.store import Store
from tests import fixtures

PAGES = {
    "pages/overview.py": "Vue d'ensemble",
    "pages/participation.py": "Participation",
    "pages/publics.py": "Publics et âges",
    "pages/fiche-action.py": "Fiche action",
    "pages/rapport.py": "Rapport",
    "pages/budget.py": "Budget",
    "pages/fonds-etat.py": "Utilisation des fonds de l'État",
    "pages/import.py": "Import de données",
    "pages/historique.py": "Historique des imports",
    "pages/methodologie.py": "Méthodologie",
}


def _seed(path, imported_by="test"):
    with Store(path).connect() as con:
        bid = fixtures.batch(con, "actions", imported_by=imported_by)
        fixtures.action(con, "A1", "Atelier vélo", porteur="MJC", axe="Sport", batch_id=bid)
        fixtures.action(con, "A2", "Forum des métiers", porteur="CMA", axe="Insertion professionnelle",
                        batch_id=bid)
        att = fixtures.batch(con, "attendance", imported_by=imported_by)
        fixtures.attendance(con, [
            {"date": "2023-03-01", "action": "A1", "person": "ps_a", "tranche": "16-25", "sexe": "F"},
            {"date": "2023-03-02", "action": "A2", "person": "ps_b", "tranche": "11-15", "sexe": "M"},
        ], batch_id=att)


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "nav.duckdb"
    monkeypatch.setenv("IMPACT_DB", str(path))
    return path


def test_every_page_is_reachable_and_titled(db):
    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    for page, title in PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == title, page


def test_filters_persist_across_pages_and_live_in_the_url(db):
    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    at.sidebar.selectbox(key="f_year").set_value("2023").run()
    at.sidebar.multiselect(key="f_themes").set_value(["Sport"]).run()
    assert at.query_params["annee"] == "2023" and at.query_params["theme"] == "Sport"
    filters = at.session_state["filters"]
    assert filters.themes == ("Sport",)
    assert (filters.date_from.isoformat(), filters.date_to.isoformat()) == ("2023-01-01", "2023-12-31")
    # the « Période » field shows the chosen year, not the whole convention, and the link says it once
    assert at.sidebar.date_input(key="f_period").value == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert "du" not in at.query_params and "au" not in at.query_params
    # AppTest runs only the page file after switch_page; the pages read the filters kept in the
    # session (the browser test checks the sidebar and the URL across real page changes).
    at.switch_page("pages/participation.py").run()
    assert at.session_state["filters"].themes == ("Sport",)
    assert at.query_params["theme"] == "Sport"


def test_a_shared_link_opens_with_its_filters(db):
    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.query_params["annee"] = "2023"
    at.query_params["action"] = "A2,NOPE"
    at.run()
    assert at.sidebar.selectbox(key="f_year").value == "2023"
    assert at.sidebar.date_input(key="f_period").value == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert at.sidebar.multiselect(key="f_actions").value == ["A2"]  # unknown values are dropped


def test_the_period_field_follows_the_convention_year(db):
    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    period = at.sidebar.date_input(key="f_period")
    assert period.value == (dt.date(2022, 1, 1), dt.date(2024, 12, 31))
    at.sidebar.selectbox(key="f_year").set_value("2024").run()
    assert at.sidebar.date_input(key="f_period").value == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    # a period within the year keeps it; one that reaches outside it puts the year back to « all »
    at.sidebar.date_input(key="f_period").set_value((dt.date(2024, 3, 1), dt.date(2024, 6, 30))).run()
    assert at.sidebar.selectbox(key="f_year").value == "2024"
    assert at.query_params["du"] == "2024-03-01"
    at.sidebar.date_input(key="f_period").set_value((dt.date(2023, 9, 1), dt.date(2024, 6, 30))).run()
    assert at.sidebar.selectbox(key="f_year").value == "Toute la convention"
    filters = at.session_state["filters"]
    assert (filters.date_from, filters.date_to) == (dt.date(2023, 9, 1), dt.date(2024, 6, 30))
    at.sidebar.selectbox(key="f_year").set_value("2022").run()
    at.sidebar.selectbox(key="f_year").set_value("Toute la convention").run()
    assert at.sidebar.date_input(key="f_period").value == (dt.date(2022, 1, 1), dt.date(2024, 12, 31))


@pytest.mark.parametrize("imported_by, banner", [("démonstration", True), ("coordinateur", False)])
def test_demonstration_banner_only_with_demonstration_data(db, imported_by, banner):
    _seed(db, imported_by=imported_by)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    shown = any("Données de démonstration" in w.value for w in at.warning)
    assert shown is banner


def test_page_parameters_survive_the_filters_rewriting_the_url(db):
    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.query_params["code"] = "A2"
    at.query_params["annee"] = "2023"
    at.run()
    assert at.query_params["code"] == "A2" and at.query_params["annee"] == "2023"
    at.sidebar.selectbox(key="f_year").set_value("Toute la convention").run()
    assert at.query_params["code"] == "A2" and "annee" not in at.query_params


def test_a_computation_is_cached_until_the_data_changes(db, monkeypatch, settings):
    import datetime as dt

    from impact import participation, session
    from impact.filters import Filters

    _seed(db)
    default = Filters(settings.start, settings.end)
    assert session.compute(participation.participation_overview, default)["totals"]["participations"] == 2

    def no_connection(self):
        raise AssertionError("the view should come from the cache")

    monkeypatch.setattr(Store, "connect", no_connection)
    cached = session.compute(participation.participation_overview, default)
    assert cached["totals"]["participations"] == 2
    with pytest.raises(AssertionError, match="from the cache"):  # another view is computed
        session.compute(participation.participation_overview, default.with_(date_to=dt.date(2023, 12, 31)))


def test_after_a_page_has_run_the_loaded_libraries_leave_the_garbage_collection(db):
    """Streamlit collects garbage after every run of a page; the objects of the libraries loaded by
    the first run are frozen once, so that each collection skips them."""
    import gc

    from impact import session

    _seed(db)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    assert session._loaded_objects_frozen
    frozen = gc.get_freeze_count()
    assert frozen > 50_000   # streamlit, pandas, duckdb and plotly: some 150 000 objects
    at.switch_page("pages/participation.py").run()
    assert not at.exception
    assert gc.get_freeze_count() <= frozen   # frozen once per process, not at every run

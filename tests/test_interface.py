"""The interface in French and in order, on the demonstration store (AppTest): what Streamlit and
Plotly would write in English is either turned off or rewritten, headings never skip a level.

What only a browser shows (the document's language, Streamlit's accessible names, axe-core's
audit) is in tests/test_browser.py.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from impact import interface_language
from tests import fixtures

PAGES = ["pages/overview.py", "pages/participation.py", "pages/publics.py", "pages/fiche-action.py",
         "pages/rapport.py", "pages/budget.py", "pages/fonds-etat.py", "pages/import.py", "pages/historique.py",
         "pages/methodologie.py", "pages/comptes.py"]


open_page = fixtures.open_page


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/fonds-etat.py"])
def test_no_select_all_in_any_multiselect(demo_db, page):
    """Streamlit's « Select all » entry is English, and choosing every action is choosing none.
    (The sidebar's filters are drawn on every page; Utilisation des fonds de l'État has its own.)"""
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    boxes = list(at.multiselect)
    assert len(boxes) >= (7 if page == "pages/overview.py" else 1)
    assert all(not box.proto.select_all for box in boxes), [b.label for b in boxes if b.proto.select_all]


@pytest.mark.parametrize("page", PAGES)
def test_headings_never_skip_a_level(demo_db, page):
    """One h1 (the title), then h2 sections, h3 inside them: a screen reader's outline."""
    at = open_page(page, role="coordinateur")
    levels = {"title": 1, "header": 2, "subheader": 3}
    order = [levels[node.type] for node in _walk(at.main) if node.type in levels]
    assert order and order[0] == 1 and order.count(1) == 1, order
    jumps = [(a, b) for a, b in zip(order, order[1:], strict=False) if b > a + 1]
    assert not jumps, order


def _walk(node):
    """Every element under `node`, in the order drawn (containers' contents in place)."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def test_the_french_script_is_on_every_page(demo_db):
    at = open_page("pages/overview.py")
    scripts = [el.proto.body for el in at.sidebar.get("html")]
    assert any("document.documentElement.lang = 'fr'" in body for body in scripts)
    script = interface_language.french_page_script()
    for english in ("Help for", "Fullscreen", "Page not found", "Upload", "Choose date range"):
        assert english in script   # each has its French text in the script's dictionary


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/participation.py", "pages/budget.py",
                                  "pages/fonds-etat.py"])
def test_charts_name_their_one_button_in_french(demo_db, page):
    at = open_page(page)
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        config = json.loads(chart.proto.config)
        assert config["locale"] == "fr" and config["displaylogo"] is False
        assert config["locales"]["fr"]["dictionary"]["Download plot as a PNG"].startswith("Télécharger")
        assert {"zoom2d", "pan2d", "autoScale2d", "resetScale2d"} <= set(config["modeBarButtonsToRemove"])

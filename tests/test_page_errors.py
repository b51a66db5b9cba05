"""Errors at the edge: an unexpected error on a page shows a French message with a short reference,
the server log gets the same reference with the traceback, and the reader never sees a traceback.

AppTest runs dashboard.py (and so its error handling) for the first page it opens, the overview;
after `switch_page` it runs the page file alone, where an error is raised to the test as before.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from google.protobuf import text_format
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.testing.v1 import AppTest

from impact import overview, page_errors
from impact.store import Store, StoreBusy, StoreUnusable
from tests import fixtures

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path, monkeypatch, settings):
    fixtures.small_cite_store(tmp_path / "errors.duckdb", monkeypatch, settings.state_funder, "Ville de Metz",
                              "16-25", "11-15")


def _fail(*args, **kwargs):
    raise RuntimeError("détail interne : SELECT secret FROM attendance")


@pytest.mark.page_error
def test_an_unexpected_error_shows_a_french_message_and_logs_the_same_reference(db, monkeypatch, caplog):
    monkeypatch.setattr(overview, "overview", _fail)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1
    shown = at.error[0].value
    assert shown.startswith("Une erreur inattendue empêche d'afficher cette page.")
    reference = re.search(r"\*\*([0-9a-f]{8})\*\*", shown).group(1)
    # nothing of the error itself reaches the reader
    texts = [text_format.MessageToString(n.proto, as_utf8=True) for n in [*at.main, *at.sidebar]
             if getattr(n, "proto", None) is not None]
    assert not any("secret" in t or "Traceback" in t or "RuntimeError" in t for t in texts)
    # the log has the reference, the page and the traceback
    records = [r for r in caplog.records if r.name == page_errors.LOGGER_NAME]
    assert len(records) == 1
    assert records[0].getMessage() == f"unexpected error on page Vue d'ensemble, reference {reference}"
    assert records[0].exc_info[0] is RuntimeError
    assert "SELECT secret" in caplog.text and "Traceback" in caplog.text


def test_a_page_that_stops_is_not_an_error(tmp_path, monkeypatch):
    """An empty store: the overview says so and calls st.stop(), which passes through."""
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("Aucune donnée n'a encore été importée" in i.value for i in at.info)


@pytest.mark.parametrize("control", [StopException(), RerunException(None)])
def test_streamlit_control_flow_passes_through_untouched(control, caplog):
    with pytest.raises(type(control)):
        with page_errors.reported("test"):
            raise control
    assert not [r for r in caplog.records if r.name == page_errors.LOGGER_NAME]


def test_references_are_short_and_differ():
    refs = {page_errors.new_reference() for _ in range(50)}
    assert len(refs) == 50 and all(re.fullmatch(r"[0-9a-f]{8}", r) for r in refs)


def test_streamlit_never_shows_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.parametrize(("problem", "said"), [
    (StoreBusy("base"), "en cours de mise à jour par un import"),
    (StoreUnusable("La base est abîmée, restaurez-la."), "La base est abîmée, restaurez-la."),
])
def test_a_store_problem_stops_the_page_with_a_french_message(db, monkeypatch, problem, said):
    def refused(self):
        raise problem
    monkeypatch.setattr(Store, "connect", refused)
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.session_state["role"] = "comite"
    at.run()
    assert not at.exception and not at.metric
    assert any(said in m.value for m in [*at.warning, *at.error]), [m.value for m in [*at.warning, *at.error]]


def _write_through_a_busy_store():
    from impact import session

    session.run_write(lambda con: con.execute("select 1"))
    import streamlit as st
    st.write("écrit")


def test_a_write_on_a_busy_store_says_nothing_was_changed(db, monkeypatch):
    def busy(self):
        raise StoreBusy("base")
    monkeypatch.setattr(Store, "connect", busy)
    at = AppTest.from_function(_write_through_a_busy_store, default_timeout=60).run()
    assert not at.exception and not at.markdown
    assert [e.value for e in at.error] == ["La base de données est occupée par un autre import (ligne de commande). "
                                           "Réessayez dans quelques instants : rien n'a été modifié."]

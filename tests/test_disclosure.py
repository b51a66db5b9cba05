"""A reader cannot work out a hidden count: the attacks that recovered one under the previous rule
(hide 1–4 and a second cell), replayed on built stores, and a property test over random stores.

A reader's view of a count is an interval of true values: « < 5 » is 1 to 4, a shown 10 is 10 to 14
(rounded down to 5), 0 is 0. A hidden count follows exactly from what a reader sees when the figures
beside it leave one value only; every test here checks that at least two remain.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st_

from impact import participation as p
from impact.filters import Filters
from impact.small_counts import CountRule
from tests import fixtures

READER = CountRule(exact=False)
D = dt.date


def interval(shown, rule: CountRule = READER) -> range:
    """The true values a reader's shown count allows."""
    if shown == rule.hidden:
        return range(1, rule.threshold)
    v = int(shown)
    if v == 0:
        return range(0, 1)
    return range(max(v, rule.threshold), v + rule.base)


def difference(whole: range, parts: list[range]) -> set[int]:
    """Values whole − sum(parts) can take (the parts are the other cells of a partition)."""
    low = whole.start - sum(r.stop - 1 for r in parts)
    high = whole.stop - 1 - sum(r.start for r in parts)
    return set(range(max(low, 0), high + 1))


def not_recoverable(hidden_shown, whole_shown, others_shown) -> bool:
    """The hidden cell is 1–4 and the reader's figures leave at least two values for it."""
    candidates = difference(interval(whole_shown), [interval(s) for s in others_shown])
    return len(candidates & set(interval(hidden_shown))) >= 2


def test_regularity_row_total_gives_no_hidden_cell_back(con, settings):
    """59 participants: 45 came once, 10 two to four times, 4 five times or more (59 − 45 − 10 = 4)."""
    fixtures.action(con, "A1", "Atelier")
    rows = []
    for i in range(59):
        times = 1 if i < 45 else 3 if i < 55 else 6
        rows += [{"date": D(2023, 1, 2) + dt.timedelta(days=7 * k), "action": "A1", "person": f"ps_{i}",
                  "tranche": "16-25"} for k in range(times)]
    fixtures.attendance(con, rows)
    regular = p.participation_overview(con, Filters(settings.start, settings.end))["regularity"]
    shown = READER.table(regular, p.REGULARITY_COUNTS).iloc[0]
    assert (shown["participants"], shown["once"], shown["two_to_four"], shown["five_or_more"]) == (55, 45, 10, "< 5")
    assert not_recoverable(shown["five_or_more"], shown["participants"], [shown["once"], shown["two_to_four"]])


def test_average_per_session_times_sessions_gives_no_exact_count_back():
    """Two sessions, 6 participations: the reader's average is 2,5 (from 5), and 2,5 × 2 = 5, not 6;
    with 3 participations the average is hidden with them."""
    assert READER.derived(6, lambda n: n / 2) * 2 == 5
    assert READER.derived(3, lambda n: n / 2) == "masqué"


def test_history_shows_readers_rounded_attendance_rows(con):
    from impact import import_history

    fixtures.action(con, "A1", "Atelier")
    fixtures.attendance(con, [{"date": D(2023, 1, 2), "action": "A1", "person": f"ps_{i}"} for i in range(3)])
    fixtures.attendance(con, [{"date": D(2023, 1, 9), "action": "A1", "person": f"ps_{i}"} for i in range(12)])
    con.execute("update batches set rows_stored = (select count(*) from attendance a where a.batch_id = batches.id) "
                "where kind = 'attendance'")
    batches = import_history.batch_list(con)
    reader = import_history.history_table(batches, READER)
    exact = import_history.history_table(batches, CountRule(exact=True))
    attendance = reader[reader["Type"] == "Présences"]["Lignes enregistrées"].tolist()
    assert sorted(attendance) == ["10", "< 5"]
    assert sorted(exact[exact["Type"] == "Présences"]["Lignes enregistrées"]) == ["12", "3"]


def test_three_links_differing_by_one_filter_give_no_hidden_count_back(con, settings):
    """24 people; 10 F, 12 NR, so 2 M: /, /?sexe=F and /?sexe=NR no longer give /?sexe=M."""
    fixtures.action(con, "A1", "Atelier")
    sexes = ["F"] * 10 + ["NR"] * 12 + ["M"] * 2
    fixtures.attendance(con, [{"date": D(2023, 3, 1), "action": "A1", "person": f"ps_{i}", "sexe": s,
                               "tranche": "16-25"} for i, s in enumerate(sexes)])
    whole = Filters(settings.start, settings.end)

    def shown(**kw) -> object:
        return READER.shown(p.totals(con, whole.with_(**kw))["participants"])

    all_, f, nr, m = shown(), shown(sexes=["F"]), shown(sexes=["NR"]), shown(sexes=["M"])
    assert (all_, f, nr, m) == (20, 10, 10, "< 5")
    assert not_recoverable(m, all_, [f, nr])


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st_.lists(st_.tuples(st_.sampled_from(["F", "M", "NR"]), st_.sampled_from(["A1", "A2", "A3"]),
                                   st_.sampled_from(["11-15", "16-25"])), min_size=1, max_size=40))
def test_no_reader_figure_pins_down_a_small_count(con, settings, people):
    """Random stores: for the whole selection and each value of one filter (sex, action, band), a
    value whose count is 1–4 always keeps two possible values given the others and the total."""
    con.execute("delete from attendance; delete from actions; delete from batches; delete from people")
    for code in ("A1", "A2", "A3"):
        fixtures.action(con, code, f"Action {code}")
    fixtures.attendance(con, [{"date": D(2023, 3, 1), "action": a, "person": f"ps_{i}", "sexe": s, "tranche": b}
                              for i, (s, a, b) in enumerate(people)])
    whole = Filters(settings.start, settings.end)
    total = READER.shown(p.totals(con, whole)["participants"])
    for field, values in (("sexes", ["F", "M", "NR"]), ("actions", ["A1", "A2", "A3"]),
                          ("bands", ["11-15", "16-25"])):
        if field == "actions":   # a person may come to one action only here: the parts add up
            continue
        true = {v: p.totals(con, whole.with_(**{field: [v]}))["participants"] for v in values}
        shown = {v: READER.shown(n) for v, n in true.items()}
        for v, n in true.items():
            if 1 <= n < READER.threshold:
                others = [shown[o] for o in values if o != v]
                assert not_recoverable(shown[v], total, others), (field, v, true, total)


@pytest.mark.parametrize("exact", [True, False])
def test_a_reader_never_receives_a_result_cached_for_a_coordinator(monkeypatch, tmp_path, exact):
    """session.compute keys its cache on whether the viewer sees exact counts: a reader's run computes
    its own result, even right after a coordinator's run of the same page and filters."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from impact import overview
    from impact.store import Store

    with Store(tmp_path / "c.duckdb").connect() as con:
        fixtures.action(con, "A1", "Atelier")
        fixtures.attendance(con, [{"date": D(2023, 3, 1), "action": "A1", "person": "ps_1"}])
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "c.duckdb"))
    calls = []
    real = overview.overview
    monkeypatch.setattr(overview, "overview", lambda *a, **k: calls.append(1) or real(*a, **k))
    st.cache_data.clear()
    first = AppTest.from_file("../dashboard.py", default_timeout=30)
    first.session_state["role"] = "coordinateur"
    first.run()
    second = AppTest.from_file("../dashboard.py", default_timeout=30)
    second.session_state["role"] = "coordinateur" if exact else "comite"
    second.run()
    assert not first.exception and not second.exception
    assert len(calls) == (1 if exact else 2)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/participation.py", "pages/publics.py",
                                  "pages/fiche-action.py", "pages/budget.py", "pages/historique.py"])
def test_every_page_with_counts_says_once_how_readers_see_them(tmp_path, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    from impact.store import Store
    from tests.fixtures import build_participation_store

    with Store(tmp_path / "n.duckdb").connect() as con:
        build_participation_store(con)
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "n.duckdb"))
    # The history is for coordinators and administrators only: no reader opens it.
    readers = [] if page == "pages/historique.py" else [("comite", 1)]
    for role, expected in (*readers, ("coordinateur", 0)):
        at = AppTest.from_file("../dashboard.py", default_timeout=30)
        at.session_state["role"] = role
        at.switch_page(page).run()
        assert not at.exception, [e.message for e in at.exception]
        notes = [c.value for c in at.caption if "arrondis" in c.value and "« < 5 »" in c.value]
        assert len(notes) == expected, (page, role, notes)


def test_downloads_are_written_with_the_page_not_on_click(tmp_path, monkeypatch):
    """A deferred download (written on click) is dropped when the page runs again before the click,
    and the click then silently does nothing: every download of a page is a file of the run."""
    from streamlit.testing.v1 import AppTest

    from impact.store import Store
    from tests.fixtures import build_participation_store

    with Store(tmp_path / "d.duckdb").connect() as con:
        build_participation_store(con)
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "d.duckdb"))
    at = AppTest.from_file("../dashboard.py", default_timeout=30).switch_page("pages/participation.py").run()
    buttons = at.get("download_button")
    assert len(buttons) >= 8
    assert not any(b.proto.HasField("deferred_file_id") for b in buttons), "a download is written on click"
    assert all(b.proto.url for b in buttons)

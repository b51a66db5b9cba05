"""Store, migrations, query loader, French formats, filters and downloads."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from impact import fmt, queries, spreadsheets
from impact.filters import Filters
from impact.store import REQUEST_POLL_SECONDS, SCHEMA_VERSION, Store, StoreBusy, StoreUnusable, migrate
from tests import fixtures

ROOT = Path(__file__).resolve().parent.parent


def test_fresh_store_is_migrated_to_current_version(store):
    with store.connect() as con:
        assert con.execute("select max(version) from schema_version").fetchall()[0][0] == SCHEMA_VERSION
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"batches", "actions", "budget", "spending", "attendance", "batch_duplicates"} <= tables


def test_migrate_is_idempotent_and_keeps_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    con.execute("insert into meta values ('k', 'v')")
    migrate(con)
    assert con.execute("select count(*) from schema_version").fetchall()[0][0] == SCHEMA_VERSION
    assert con.execute("select value from meta").fetchall() == [("v",)]
    con.close()


def store_at_version(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A store file migrated up to `version` only, as an older release left it."""
    from impact import store as store_module

    con = duckdb.connect(str(path))
    con.execute("create table schema_version (version integer not null)")
    for done in range(version):
        con.execute(store_module.MIGRATIONS[done])
        con.execute("insert into schema_version values ($v)", {"v": done + 1})
    return con


def test_migration_11_drops_the_summaries_of_a_store_at_version_10(tmp_path):
    """A store left at version 10 loses its summary tables and id columns, and keeps its rows."""
    con = store_at_version(tmp_path / "v10.duckdb", 10)
    con.execute("""insert into attendance (batch_id, line, date, action_code, person, tranche, sexe, nombre,
        public, person_id, action_id, pair_id, band_id) values
        (1, 2, '2023-04-03', 'RAP', 'ps_a', '16-25', 'F', 1, 'jeune', 1, 1, 1, 1)""")
    con.execute("insert into meta values ('pairs_origin', '2023-04-01')")
    migrate(con)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert not tables & {"attendance_cells", "attendance_pairs", "attendance_pair_years", "attendance_sessions",
                         "attendance_person_years", "attendance_values", "pairs", "action_ids", "band_ids"}
    columns = [r[0] for r in con.execute("select column_name from duckdb_columns() "
                                         "where table_name = 'attendance'").fetchall()]
    assert "pair_id" not in columns and "person_id" in columns
    assert con.execute("select action_code, person, person_id from attendance").fetchall() == [("RAP", "ps_a", 1)]
    assert con.execute("select count(*) from meta").fetchall() == [(0,)]
    con.close()


def test_a_store_written_by_the_previous_release_opens_with_its_figures(tmp_path, settings):
    """The demonstration store written by the release with stored pairs (schema 10, a fixture)
    opens in this code, migrated, with the figures that release showed on its pages."""
    import gzip
    import shutil

    from impact import overview, participation
    from impact.filters import Filters

    source = ROOT / "tests" / "data" / "store-bf7d0b5"
    with gzip.open(source / "impact.duckdb.gz") as packed, open(tmp_path / "impact.duckdb", "wb") as out:
        shutil.copyfileobj(packed, out)
    shutil.copy(source / "impact.secret", tmp_path / "impact.secret")
    store = Store(tmp_path / "impact.duckdb")
    everything = Filters(settings.start, settings.end)
    with store.connect() as con:
        assert con.execute("select max(version) from schema_version").fetchall() == [(SCHEMA_VERSION,)]
        totals = participation.totals(con, everything)
        focus = participation.publics_overview(con, everything, settings)["focus"]
        state = overview.overview(con, everything, settings)["state_totals"]
    # figures shown by the release at bf7d0b5 on this store (Participation, Publics, Vue d'ensemble)
    assert (totals["participations"], totals["participants"], totals["sessions"]) == (4430, 277, 512)
    assert (focus["young_people"], focus["young_qpv"]) == (102, 76)
    assert (state["programme"], round(state["paye"], 2)) == (770000.0, 686102.03)


def test_derived_tables_are_rebuilt_when_the_store_opens_if_built_otherwise(tmp_path, monkeypatch):
    """The current versions are tables (queries/derived.sql). The first opening rebuilds them when
    other definitions, another schema, or other imports of actions and budget than those in force
    built them; otherwise it keeps them. (Imports and undos rebuild them too: tests/test_duplicates.py,
    tests/test_history.py.)"""
    from impact import store as store_module

    path = tmp_path / "impact.duckdb"

    def title_after_opening() -> str:
        with Store(path).connect() as con:
            return con.execute("select intitule from actions_current").fetchall()[0][0]

    def stale(con) -> None:
        con.execute("update actions_current set intitule = 'périmé'")

    with Store(path).connect() as con:
        fixtures.action(con, "RAP", "Rap")
        fixtures.action(con, "RAP", "Rap et insertion", batch_id=fixtures.batch(con, "actions"))
        assert con.execute("select intitule from actions_current").fetchall() == [("Rap et insertion",)]
        stale(con)   # built by these definitions from these imports: kept as it is
    assert title_after_opening() == "périmé"
    with Store(path).connect() as con:   # other definitions built them
        store_module.set_meta(con, "derived_from", "autre " + store_module.get_meta(con, "derived_from"))
    assert title_after_opening() == "Rap et insertion"

    with Store(path).connect() as con:   # an older release, put back, imports a third version
        third = fixtures.batch(con, "actions")
        con.execute("insert into actions values ($b, 2, 'RAP', 'rap', 'Rap 3', 'rap 3', null, null, null, null, null)",
                    {"b": third})
        stale(con)
    assert title_after_opening() == "Rap 3"
    with Store(path).connect() as con:   # ... then undoes it
        con.execute("delete from actions where batch_id = $b", {"b": third})
        con.execute("update batches set status = 'undone' where id = $b", {"b": third})
    assert title_after_opening() == "Rap et insertion"

    with Store(path).connect() as con:
        stale(con)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", store_module.SCHEMA_VERSION + 1)   # a new migration
    monkeypatch.setattr(store_module, "migrate", lambda con: None)
    assert title_after_opening() == "Rap et insertion"


def test_data_version_changes_when_the_file_is_written(store):
    with store.connect():
        pass
    before = store.data_version()
    with store.connect() as con:
        fixtures.action(con, "A1")
    assert store.data_version() != before


@contextlib.contextmanager
def _held_by_another_process(path: Path):
    """A store file at `path`, held open by another process until the block ends."""
    Store(path).connect().__enter__().close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_store_waits_then_gives_up_when_another_process_holds_the_file(tmp_path):
    path = tmp_path / "locked.duckdb"
    with _held_by_another_process(path):
        waits = []
        with pytest.raises(StoreBusy):
            with Store(path, wait_seconds=0.5, on_wait=waits.append).connect():
                pass
        assert waits, "the caller is told that it waits"
    with Store(path, wait_seconds=5).connect() as con:  # free again
        assert con.execute("select 1").fetchall() == [(1,)]


def test_a_lock_is_recognised_by_the_type_of_the_error_and_the_lock_itself(tmp_path):
    """DuckDB 2.0 raises duckdb.IOException when another process holds the file, and the same type
    for a truncated store, a missing folder or a file that is not a store: only the first is a
    lock, and the file's lock says so. An error of another type is never one, whatever its
    message says."""
    from impact.store import _is_lock_error

    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('ready', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(duckdb.IOException) as held:
            duckdb.connect(str(path), read_only=True)
        assert _is_lock_error(held.value, path)
        assert not _is_lock_error(duckdb.BinderException("Could not set lock on file"), path)
    finally:
        holder.kill()
        holder.wait()
    assert not _is_lock_error(held.value, path)   # released: whatever failed, it is not a lock now

    truncated = tmp_path / "truncated.duckdb"
    con = duckdb.connect(str(truncated))
    con.execute("create table t as select range as x from range(100000)")
    con.close()
    truncated.write_bytes(truncated.read_bytes()[:5000])
    csv = tmp_path / "presences.duckdb"   # a CSV under a store's name
    csv.write_text("date;action\n01/02/2023;RAP\n", encoding="utf-8")
    missing = tmp_path / "no" / "such.duckdb"
    for other in (truncated, csv, missing):
        with pytest.raises(duckdb.IOException) as failed:
            duckdb.connect(str(other))
        assert not _is_lock_error(failed.value, other), other.name


def test_a_file_that_is_not_a_store_fails_at_once_instead_of_waiting(tmp_path):
    csv = tmp_path / "presences.duckdb"   # a CSV under a store's name
    csv.write_text("date;action\n01/02/2023;RAP\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(StoreUnusable, match="n'est pas une base du tableau de bord"):
        with Store(csv, wait_seconds=10).connect():
            pass
    assert time.monotonic() - started < 2


WRITER = """
import sys, duckdb
sys.path.insert(0, sys.argv[2])
from impact.store import Store
with Store(sys.argv[1], wait_seconds=20).connect() as con:
    con.execute("insert into meta values ('written by', 'another process')")
print("done", flush=True)
"""


def test_a_held_store_keeps_the_database_open_between_units_of_work(tmp_path):
    """The dashboard's store keeps one database open: each unit of work reads through its own
    cursor (its own temporary tables), and another process cannot open the file meanwhile."""
    store = Store(tmp_path / "held.duckdb", keep_open=True)
    with store.connect() as con:
        con.execute("create temp table mine as select 1 as x")
        con.execute("insert into meta values ('k', 'v')")
    held = store._held
    with store.connect() as con:
        assert store._held is held
        assert con.execute("select count(*) from duckdb_tables() where table_name = 'mine'").fetchall() == [(0,)]
        assert con.execute("select value from meta where key = 'k'").fetchall() == [("v",)]
        assert "macro" in con.execute("select function_type from duckdb_functions() "
                                      "where function_name = 'attendance_f'").fetchall()[0][0]
    probe = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(store.path)!r})"],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()
    store.release()


def test_a_held_store_hands_a_cursor_on_only_after_a_clean_unit_of_work(tmp_path):
    """A cursor whose unit of work ended cleanly serves the next one (its macros are made once); a
    cursor that made temporary tables (an import's hold names), or whose unit of work failed, is closed."""
    store = Store(tmp_path / "cursors.duckdb", keep_open=True)
    with store.connect() as first:
        first.execute("select 1").fetchall()
    with store.connect() as second:
        assert second is first
        second.execute("create temp table mine as select 'Dupont' as nom")
    with pytest.raises(duckdb.Error):
        with store.connect() as third:
            assert third is not second   # closed with its temporary table
            assert third.execute("select count(*) from duckdb_tables() where temporary").fetchall() == [(0,)]
            third.execute("begin transaction")
            third.execute("select * from no_such_table")
    with store.connect() as fourth:
        assert fourth is not third   # the failed one, its transaction left open, was not kept
        assert fourth.execute("select count(*) from attendance_f(date '2020-01-01', date '2030-12-31', "
                              "[], [], [], [], [], [], [])").fetchall() == [(0,)]
    store.release()
    assert not store._ready_cursors


def test_a_held_store_lets_the_database_go_when_another_process_asks(tmp_path):
    """A process that finds the file held leaves a request beside it; the dashboard closes the
    database after its current unit of work, the process writes, the request goes, and the
    dashboard's next unit of work opens the database again and reads what was written."""
    store = Store(tmp_path / "asked.duckdb", keep_open=True)
    with store.connect() as con:
        con.execute("select 1")
    started = time.monotonic()
    writer = subprocess.run([sys.executable, "-c", WRITER, str(store.path), str(ROOT)],
                            capture_output=True, text=True, timeout=60)
    assert writer.returncode == 0 and writer.stdout.strip() == "done", writer.stderr
    assert time.monotonic() - started < 15
    assert not store.request_path.exists()
    with store.connect() as con:
        assert con.execute("select value from meta where key = 'written by'").fetchall() == [
            ("another process",)]
    store.release()


def test_units_of_work_of_a_held_store_wait_side_by_side(tmp_path):
    """While another process holds the file, the dashboard's units of work wait for it at the same
    time, each for its own bounded time, not one after the other."""
    import threading

    path = tmp_path / "busy.duckdb"
    with _held_by_another_process(path):
        store = Store(path, wait_seconds=1.5, keep_open=True)
        outcomes: list[str] = []

        def unit() -> None:
            try:
                with store.connect():
                    outcomes.append("opened")
            except StoreBusy:
                outcomes.append("busy")

        started = time.monotonic()
        threads = [threading.Thread(target=unit) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes == ["busy"] * 3
        assert time.monotonic() - started < 4   # side by side: about 1.5 s, not 3 × 1.5 s


def test_a_held_store_lets_the_database_go_when_idle(tmp_path):
    store = Store(tmp_path / "idle.duckdb", keep_open=True, idle_seconds=0.3)
    with store.connect() as con:
        con.execute("select 1")
    deadline = time.monotonic() + 10
    while store._held is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store._held is None
    duckdb.connect(str(store.path)).close()   # free for anyone, nobody had to ask


def test_the_app_lets_its_held_store_go_when_streamlit_drops_it(tmp_path, monkeypatch):
    """session.get_store is cached by Streamlit; when that cache is cleared, the dropped store closes
    its database at once (not after the idle delay), or at the end of a unit of work still running,
    and its watching thread ends."""
    import threading

    import streamlit as st

    from impact import session

    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "app.duckdb"))
    st.cache_resource.clear()
    store = session.get_store()
    with store.connect() as con:
        con.execute("select 1")
    assert store._held is not None
    st.cache_resource.clear()
    assert store._held is None and session.get_store() is not store
    duckdb.connect(str(store.path)).close()   # nobody holds the file any more

    running = session.get_store()
    with running.connect() as con:   # a unit of work still running when the cache is cleared
        st.cache_resource.clear()
        assert running._held is not None
        con.execute("select 1")
    deadline = time.monotonic() + 5
    while running._held is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running._held is None
    time.sleep(2 * REQUEST_POLL_SECONDS)
    assert not [t for t in threading.enumerate() if t.name == "store-app.duckdb"]


def test_query_files_parse_and_unknown_query_is_named():
    found = queries.all_queries()
    assert "filter_actions" in found and found["filter_actions"][0] == "reference.sql"
    with pytest.raises(queries.UnknownQuery, match="no_such_query"):
        queries.get("no_such_query")


def test_run_binds_only_used_parameters_and_requires_the_others(con):
    fixtures.action(con, "A1", "Atelier", axe="Sport")
    frame = queries.run(con, "filter_actions", {"unused": 1})
    assert frame["code"].tolist() == ["A1"]
    with pytest.raises(TypeError, match="batch_id"):
        queries.run(con, "batch_one", {})


def test_reference_queries(con, settings):
    from impact import reference
    fixtures.action(con, "A1", "Atelier", porteur="MJC", axe="Numérique")
    fixtures.attendance(con, [
        {"date": "2023-01-05", "action": "A1", "person": "ps_1", "tranche": "16-25", "sexe": "F",
         "qpv": True},
        {"date": "2023-01-05", "action": "A1", "nombre": 3, "tranche": "11-15", "sexe": "NR"},
    ])
    options, labels = reference.filter_options(con, settings)
    assert options["f_actions"] == ["A1"] and labels == {"A1": "Atelier"}
    assert options["f_bands"] == ["16-25", "11-15"]  # the focus band first
    assert options["f_sexes"] == ["F", "NR"] and options["f_qpvs"] == ["oui", "NR"]
    status = reference.data_status(con)
    assert status["active_batches"] == 2 and status["real_batches"] == 2


@pytest.mark.parametrize("value, expected", [
    (1234.5, "1\u202f234,50\u00a0€"),
    (300000, "300\u202f000\u00a0€"),
    (12345.67, "12\u202f345,67\u00a0€"),
    (0, "0\u00a0€"),
    (None, "—"),
])
def test_euros(value, expected):
    assert fmt.euros(value) == expected


@pytest.mark.parametrize("func, value, expected", [
    (fmt.integer, 1234567, "1\u202f234\u202f567"),
    (fmt.percent, 0.125, "12,5\u00a0%"),
    (fmt.date, dt.date(2023, 12, 31), "31/12/2023"),
    (fmt.date, "2023-01-02", "02/01/2023"),
    (fmt.month, dt.date(2023, 3, 1), "mars 2023"),
    (fmt.number, float("nan"), "—"),
])
def test_french_formats(func, value, expected):
    assert func(value) == expected


def test_filters_bind_as_lists():
    f = Filters(dt.date(2022, 1, 1), dt.date(2022, 12, 31), actions=("A",))
    p = f.params()
    assert p["actions"] == ["A"] and p["themes"] == [] and p["date_to"] == dt.date(2022, 12, 31)
    assert f.with_(bands=["16-25"]).bands == ("16-25",)


def test_french_csv_opens_in_excel_and_neutralises_formulas():
    frame = pd.DataFrame({"libellé": ["=HYPERLINK(\"http://x\")", "Café"], "montant": [1234.5, -2.0],
                          "date": [dt.date(2023, 12, 31), dt.date(2024, 1, 2)]})
    raw = spreadsheets.french_csv(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "libellé;montant;date"
    assert "'=HYPERLINK" in text and "1234,50" in text and "31/12/2023" in text and "-2,00" in text


def test_xlsx_download_neutralises_formulas():
    frame = pd.DataFrame({"libellé": ["=1+1", "ok"], "n": [1, 2]})
    back = pd.read_excel(__import__("io").BytesIO(spreadsheets.xlsx(frame)), engine="calamine")
    assert back["libellé"].tolist() == ["'=1+1", "ok"]


def test_settings_file_is_self_describing(settings):
    assert settings.name == "Cité éducative de Metz Borny"
    assert settings.signature_date == dt.date(2022, 1, 10)
    assert settings.years == [2022, 2023, 2024]
    assert settings.state_envelope_total == 900_000
    assert settings.ordered_bands[0] == "16-25" and settings.ordered_bands[-1] == "âge inconnu"
    assert settings.focus_population > 0 and "10 244" in settings.focus_population_source


def test_another_cite_edits_the_settings_file_alone(tmp_path):
    from impact.settings import load_settings
    text = (ROOT / "data" / "convention.toml").read_text(encoding="utf-8")
    text = text.replace("Metz Borny", "Exemple").replace("fin = 2024-12-31", "fin = 2025-12-31")
    path = tmp_path / "autre.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    other = load_settings(path)
    assert other.name == "Cité éducative de Exemple" and other.years == [2022, 2023, 2024, 2025]
    assert other.state_envelope_total == 1_200_000


@pytest.mark.parametrize("fin, accepted", [
    ("2026-12-31", True), ("2029-12-31", True), ("2021-12-31", False)])
def test_a_convention_ends_after_it_starts_and_may_last_any_number_of_years(tmp_path, fin, accepted):
    """A convention of 3, 5 or 8 years is accepted; one that ends before it starts is refused in French."""
    from impact.settings import load_settings
    text = (ROOT / "data" / "convention.toml").read_text(encoding="utf-8").replace(
        "fin = 2024-12-31", f"fin = {fin}")
    path = tmp_path / "convention.toml"
    path.write_text(text, encoding="utf-8")
    if accepted:
        assert len(load_settings(path).years) == int(fin[:4]) - 2021
    else:
        with pytest.raises(ValueError, match="doit finir après son début"):
            load_settings(path)


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+33 6 12", "'+33 6 12"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-20", "-20"),
    ("-12,50", "-12,50"),
    ("- fournitures", "'- fournitures"),
    ("Café", "Café"),
    (12, 12),
])
def test_neutralise_only_what_a_spreadsheet_would_run(value, expected):
    assert spreadsheets.neutralise(value) == expected

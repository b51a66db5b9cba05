"""Store, migrations, query loader, French formats, filters and exports."""

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

from impact import exports, fmt, queries
from impact.filters import Filters
from impact.store import SCHEMA_VERSION, Store, StoreBusy, migrate
from tests import builders

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


def test_migration_3_lists_the_people_values_of_a_store_with_attendance(tmp_path):
    """A store at version 2 with attendance gets the sidebar's values from its rows."""
    con = store_at_version(tmp_path / "v2.duckdb", 2)
    con.execute("insert into attendance (batch_id, line, date, action_code, person, tranche, sexe, qpv, nombre, "
                "public) values (1, 2, date '2023-04-03', 'RAP', null, '16-25', 'F', null, 3, 'jeune')")
    migrate(con)
    assert sorted(con.execute("select dimension, value from attendance_values").fetchall()) == [
        ("f_bands", "16-25"), ("f_publics", "jeune"), ("f_qpvs", "NR"), ("f_sexes", "F")]
    con.close()


def test_migration_4_numbers_the_actions_and_pairs_of_a_store_with_attendance(tmp_path):
    """A store at version 3 gets an id per action code and per (action, person) pair on its rows."""
    con = store_at_version(tmp_path / "v3.duckdb", 3)
    con.execute("insert into people values (1, 'p1'), (2, 'p2')")
    con.execute("""insert into attendance (batch_id, line, date, action_code, person, person_id, tranche,
            sexe, qpv, nombre, public) values
        (1, 2, date '2023-04-03', 'RAP', 'p1', 1, '16-25', 'F', null, 1, 'jeune'),
        (1, 3, date '2023-04-10', 'RAP', 'p1', 1, '16-25', 'F', null, 1, 'jeune'),
        (1, 4, date '2023-04-10', 'SPORT', 'p1', 1, '16-25', 'F', null, 1, 'jeune'),
        (1, 5, date '2023-04-10', 'RAP', 'p2', 2, '16-25', 'M', null, 1, 'jeune'),
        (1, 6, date '2023-04-11', 'SPORT', null, null, '16-25', 'NR', null, 7, 'jeune')""")
    migrate(con)
    assert con.execute("select code from action_ids order by id").fetchall() == [("RAP",), ("SPORT",)]
    rows = con.execute("""select a.line, k.code, a.pair_id, p.person_id
        from attendance a join action_ids k on k.id = a.action_id
        left join pairs p on p.id = a.pair_id and p.action_id = a.action_id order by a.line""").fetchall()
    assert [(line, code, person) for line, code, _, person in rows] == [
        (2, "RAP", 1), (3, "RAP", 1), (4, "SPORT", 1), (5, "RAP", 2), (6, "SPORT", None)]
    pair = {line: pair_id for line, _, pair_id, _ in rows}
    assert pair[2] == pair[3] and len({pair[2], pair[4], pair[5]}) == 3 and pair[6] is None
    con.close()


def test_migration_5_numbers_the_age_bands_of_a_store_with_attendance(tmp_path):
    """A store at version 4 gets an id per age band on its rows (the band at first participation
    is read from those ids)."""
    con = store_at_version(tmp_path / "v4.duckdb", 4)
    con.execute("insert into action_ids values (1, 'RAP')")
    con.execute("""insert into attendance (batch_id, line, date, action_code, action_id, person, tranche, sexe,
            qpv, nombre, public) values
        (1, 2, date '2023-04-03', 'RAP', 1, null, '16-25', 'F', null, 3, 'jeune'),
        (1, 3, date '2023-04-03', 'RAP', 1, null, '26 et plus', 'F', null, 2, 'parent'),
        (1, 4, date '2023-04-10', 'RAP', 1, null, '16-25', 'M', null, 1, 'jeune')""")
    migrate(con)
    assert con.execute("select tranche from band_ids order by id").fetchall() == [("16-25",), ("26 et plus",)]
    rows = con.execute("""select a.line, b.tranche from attendance a join band_ids b on b.id = a.band_id
        where b.tranche = a.tranche order by a.line""").fetchall()
    assert [line for line, _ in rows] == [2, 3, 4]
    con.close()


def test_migration_6_sums_the_attendance_of_a_store_into_cells(tmp_path):
    """A store at version 5 gets its participations per (batch, day, action, people profile), head
    counts apart, with the number of rows: the sums the pages read."""
    con = store_at_version(tmp_path / "v5.duckdb", 5)
    con.execute("insert into action_ids values (1, 'RAP')")
    con.execute("insert into band_ids values (1, '16-25'), (2, '26 et plus')")
    con.execute("""insert into attendance (batch_id, line, date, action_code, action_id, person, person_id,
            tranche, band_id, sexe, qpv, nombre, public) values
        (1, 2, date '2023-04-03', 'RAP', 1, 'p1', 1, '16-25', 1, 'F', true, 1, 'jeune'),
        (1, 3, date '2023-04-03', 'RAP', 1, 'p2', 2, '16-25', 1, 'F', true, 1, 'jeune'),
        (1, 4, date '2023-04-03', 'RAP', 1, null, null, '16-25', 1, 'F', true, 6, 'jeune'),
        (2, 2, date '2023-04-03', 'RAP', 1, 'p3', 3, '16-25', 1, 'F', true, 1, 'jeune'),
        (1, 5, date '2023-04-10', 'RAP', 1, 'p1', 1, '16-25', 1, 'F', null, 1, 'jeune'),
        (1, 6, date '2023-04-10', 'RAP', 1, null, null, '26 et plus', 2, 'NR', false, 4, 'professionnel')""")
    migrate(con)
    con.execute(queries.load_script("macros"))
    assert con.execute("""select batch_id, date::varchar, action_id, tranche, sexe, qpv, public, headcount,
            participations, row_count
        from attendance_cells join profiles using (profile) order by all""").fetchall() == [
        (1, "2023-04-03", 1, "16-25", "F", True, "jeune", False, 2, 2),
        (1, "2023-04-03", 1, "16-25", "F", True, "jeune", True, 6, 1),
        (1, "2023-04-10", 1, "16-25", "F", None, "jeune", False, 1, 1),
        (1, "2023-04-10", 1, "26 et plus", "NR", False, "professionnel", True, 4, 1),
        (2, "2023-04-03", 1, "16-25", "F", True, "jeune", False, 1, 1)]
    con.close()


def test_migration_10_sums_the_cells_of_a_store_into_sessions(tmp_path):
    """A store at version 9 gets its participations per session (day, action), head counts apart."""
    con = store_at_version(tmp_path / "v9.duckdb", 9)
    con.execute("""insert into attendance_cells values
        (1, date '2023-04-03', 1, 128, false, 2, 2), (1, date '2023-04-03', 1, 129, true, 6, 1),
        (2, date '2023-04-03', 1, 128, false, 1, 1), (1, date '2023-04-10', 2, 128, false, 1, 1)""")
    migrate(con)
    assert con.execute("select date::varchar, * exclude (date) from attendance_sessions order by all").fetchall() == [
        ("2023-04-03", 1, 9, 6), ("2023-04-10", 2, 1, 0)]
    con.close()


def test_migrations_7_to_9_store_the_pairs_of_a_store_with_attendance(tmp_path):
    """A store at version 6 gets one row per (action, person) pair of its named rows, and per pair,
    calendar year and people profile: times, the first participation's day and band, sex and QPV,
    the months as bits from the first month of the named rows; a pair keeps its one profile, and
    whether some year has several; then per person, year and profile."""
    con = store_at_version(tmp_path / "v6.duckdb", 6)
    con.execute("insert into action_ids values (1, 'RAP'), (2, 'BOXE')")
    con.execute("insert into band_ids values (1, '11-15'), (2, '16-25')")
    con.execute("insert into pairs values (1, 1, 1), (2, 2, 1)")
    con.execute("""insert into attendance (batch_id, line, date, action_code, action_id, person, person_id,
            pair_id, tranche, band_id, sexe, qpv, nombre, public) values
        (1, 2, date '2023-04-03', 'RAP', 1, 'p1', 1, 1, '11-15', 1, 'NR', null, 1, 'jeune'),
        (1, 3, date '2023-06-12', 'RAP', 1, 'p1', 1, 1, '16-25', 2, 'F', false, 1, 'jeune'),
        (2, 2, date '2023-06-19', 'RAP', 1, 'p1', 1, 1, '16-25', 2, 'M', true, 1, 'jeune'),
        (1, 4, date '2023-05-02', 'BOXE', 2, 'p1', 1, 2, '16-25', 2, 'M', true, 1, 'jeune'),
        (1, 5, date '2023-04-03', 'RAP', 1, null, null, null, '16-25', 2, 'F', true, 6, 'jeune')""")
    migrate(con)

    def day(iso: str) -> int:
        return (dt.date.fromisoformat(iso) - dt.date(1970, 1, 1)).days

    assert con.execute("select key, value from meta order by key").fetchall() == [
        ("named_first", "2023-04-03"), ("named_last", "2023-06-19"), ("pairs_origin", "2023-04-01")]
    # profiles: band id * 64 + sex (F 0, M 1, NR 2) * 16 + QPV (no 0, yes 1, NR 2) * 4 + public (jeune 0)
    assert con.execute("select * from attendance_pairs order by pair_id").fetchall() == [
        (1, 1, 1, 3, day("2023-04-03") * 1024 + 1,
         day("2023-06-12") * 4 + 0, day("2023-06-12") * 2 + 0, 0b101, None, True),
        (2, 2, 1, 1, day("2023-05-02") * 1024 + 2,
         day("2023-05-02") * 4 + 1, day("2023-05-02") * 2 + 1, 0b10, 2 * 64 + 16 + 4, False)]
    assert con.execute("select * from attendance_pair_years order by pair_id, profile").fetchall() == [
        (1, 1, 1, 2023, 64 + 32 + 8, 1, day("2023-04-03") * 1024 + 1, None, None, 0b1),
        (1, 1, 1, 2023, 128, 1, day("2023-06-12") * 1024 + 2, day("2023-06-12") * 4, day("2023-06-12") * 2, 0b100),
        (1, 1, 1, 2023, 128 + 16 + 4, 1, day("2023-06-19") * 1024 + 2, day("2023-06-19") * 4 + 1,
         day("2023-06-19") * 2 + 1, 0b100),
        (2, 2, 1, 2023, 128 + 16 + 4, 1, day("2023-05-02") * 1024 + 2, day("2023-05-02") * 4 + 1,
         day("2023-05-02") * 2 + 1, 0b10)]
    # migration 9: per person, year and profile, the first participation with its action (the
    # profile 16-25, M, QPV: BOXE on 2 May before RAP on 19 June) and the months of both
    assert con.execute("select * from attendance_person_years order by profile").fetchall() == [
        (1, 2023, 64 + 32 + 8, day("2023-04-03") * 1024 + 1, 1, None, None, None, None, 0b1),
        (1, 2023, 128, day("2023-06-12") * 1024 + 2, 1, day("2023-06-12") * 4, 1, day("2023-06-12") * 2, 1, 0b100),
        (1, 2023, 128 + 16 + 4, day("2023-05-02") * 1024 + 2, 2, day("2023-05-02") * 4 + 1, 2,
         day("2023-05-02") * 2 + 1, 2, 0b110)]
    con.close()


def test_data_version_changes_when_the_file_is_written(store):
    with store.connect():
        pass
    before = store.data_version()
    with store.connect() as con:
        builders.action(con, "A1")
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


def test_hashed_groups_lowers_the_setting_for_its_own_connection_only(tmp_path):
    """One unit of work grouping with hash tables leaves the other cursors of the held database
    their direct-address tables, and gets the store's setting back afterwards."""
    from impact.store import PERFECT_HASH_BITS, hashed_groups

    store = Store(tmp_path / "hashed.duckdb", keep_open=True)

    def threshold(con) -> int:
        return con.execute("select current_setting('perfect_ht_threshold')").fetchall()[0][0]

    with store.connect() as a, store.connect() as b:
        with hashed_groups(a):
            assert (threshold(a), threshold(b)) == (12, PERFECT_HASH_BITS)
        assert threshold(a) == threshold(b) == PERFECT_HASH_BITS
    store.release()


@pytest.mark.parametrize("text, error", [
    ("select 1", "no '-- name: ...' block"),
    ("-- name: a\nselect 1", "has no one-line description"),
    ("-- name: a\n-- desc\n", "has no SQL"),
    ("-- name: a\n-- d\nselect 1;\n-- name: a\n-- d\nselect 2", "defined twice"),
])
def test_malformed_query_files_fail_loudly_naming_the_file(tmp_path, text, error):
    path = tmp_path / "broken.sql"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(queries.QueryFileError, match=f"broken.sql.*{error}"):
        queries.parse_query_file(path)


def test_query_files_parse_and_unknown_query_is_named():
    found = queries.all_queries()
    assert "filter_actions" in found and found["filter_actions"][0] == "reference.sql"
    with pytest.raises(queries.UnknownQuery, match="no_such_query"):
        queries.get("no_such_query")


def test_run_binds_only_used_parameters_and_requires_the_others(con):
    builders.action(con, "A1", "Atelier", axe="Sport")
    frame = queries.run(con, "filter_actions", {"unused": 1})
    assert frame["code"].tolist() == ["A1"]
    with pytest.raises(TypeError, match="batch_id"):
        queries.run(con, "batch_one", {})


def test_reference_queries(con, settings):
    from impact import reference
    builders.action(con, "A1", "Atelier", porteur="MJC", axe="Numérique")
    builders.attendance(con, [
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
    raw = exports.french_csv(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "libellé;montant;date"
    assert "'=HYPERLINK" in text and "1234,5" in text and "31/12/2023" in text and "-2,0" in text


def test_xlsx_download_neutralises_formulas():
    frame = pd.DataFrame({"libellé": ["=1+1", "ok"], "n": [1, 2]})
    back = pd.read_excel(__import__("io").BytesIO(exports.xlsx(frame)), engine="calamine")
    assert back["libellé"].tolist() == ["'=1+1", "ok"]


def test_settings_file_is_self_describing(settings):
    assert settings.name == "Cité éducative de Metz Borny"
    assert settings.signature_date == dt.date(2022, 1, 10)
    assert settings.years == [2022, 2023, 2024]
    assert settings.state_envelope_total == 900_000
    assert settings.ordered_bands[0] == "16-25" and settings.ordered_bands[-1] == "âge inconnu"
    assert settings.population_16_25 > 0 and "10 244" in settings.population_16_25_source


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
    ("2026-12-31", True), ("2027-01-31", False), ("2021-12-31", False)])
def test_a_convention_lasts_five_years_at_most(tmp_path, fin, accepted):
    """A convention ends after it starts and lasts 60 months at most (its months are the bits of
    one whole number in the month-by-month counts); the settings file says so in French."""
    from impact.settings import load_settings
    text = (ROOT / "data" / "convention.toml").read_text(encoding="utf-8").replace(
        "fin = 2024-12-31", f"fin = {fin}")
    path = tmp_path / "convention.toml"
    path.write_text(text, encoding="utf-8")
    if accepted:
        assert len(load_settings(path).years) == 5
    else:
        with pytest.raises(ValueError, match="doit finir après son début et durer 60 mois au plus"):
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
    assert exports.neutralise(value) == expected

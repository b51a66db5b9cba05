"""The DuckDB store: schema, migrations, short-lived connections and import batches.

DuckDB locks a database file against every other process while a connection is open.
The command line opens one for each unit of work and closes it. The dashboard keeps the database
open between units of work (`keep_open`): each one reads through its own cursor, and DuckDB's
cache of the file's blocks stays warm from page to page. It lets the database go after some idle
minutes, or as soon as another process asks for it: a process that finds the file locked leaves
a request file beside it (`<base>.demande`) while it waits and retries for a bounded time
(`StoreBusy` when it gives up).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from impact.queries import load_script

SCHEMA_VERSION = 10
PERFECT_HASH_BITS = 22
KINDS = ("actions", "budget", "spending", "attendance")

# The values present in attendance for each people filter (the sidebar's choices): `source` is the
# attendance table (migration 3), then the cells' profiles (see CELLS_SQL).
PEOPLE_VALUES_SQL = """
    delete from attendance_values;
    insert into attendance_values
    with present as (select distinct tranche, sexe, qpv, public from {source})
    select distinct 'f_bands', tranche from present
    union select distinct 'f_sexes', sexe from present
    union select distinct 'f_qpvs', case when qpv then 'oui' when not qpv then 'non' else 'NR' end from present
    union select distinct 'f_publics', public from present;
"""

# Whole-number ids for the values of an attendance column: {dictionary: (its value column, the
# attendance column, the attendance column of the id)}. The values of `source` (a table chosen by
# code) that have no id yet get the next ones; ids are never reused.
DICTIONARIES = {"action_ids": ("code", "action_code", "action_id"),
                "band_ids": ("tranche", "tranche", "band_id")}
DICTIONARY_IDS_SQL = """
    insert into {dictionary}
    select (select coalesce(max(id), 0) from {dictionary}) + row_number() over (order by v), v
    from (select distinct {column} as v from {source} except select {key} from {dictionary});
"""
# The ids of attendance rows written without them (a migration, rows written directly in SQL).
IDS_ON_ROWS_SQL = """
    update attendance set {id_column} = d.id from {dictionary} as d
    where attendance.{id_column} is null and d.{key} = attendance.{column};
"""


def _dictionary_sql(template: str, dictionary: str, source: str = "attendance") -> str:
    key, column, id_column = DICTIONARIES[dictionary]
    return template.format(dictionary=dictionary, key=key, column=column, id_column=id_column,
                           source=source)


# Ids for the (action, person) pairs of the attendance rows that have none yet (a batch's rows,
# all of them in a migration), then those ids written on the rows. Whole numbers only.
NEW_PAIRS_SQL = """
    insert into pairs
    select (select coalesce(max(id), 0) from pairs) + row_number() over (), action_id, person_id
    from (
        select distinct action_id, person_id from attendance
        where pair_id is null and person_id is not null {and_batch}
        except select action_id, person_id from pairs
    );
"""
PAIR_IDS_ON_ROWS_SQL = """
    update attendance set pair_id = p.id from pairs as p
    where attendance.pair_id is null {and_batch}
        and p.action_id = attendance.action_id and p.person_id = attendance.person_id;
"""

# An attendance row's people profile: one small whole number for its band, sex, QPV residence and
# public (decoded by the view `profiles`, queries/macros.sql), as the cells and the stored pairs keep it.
PROFILE_SQL = """band_id * 64
            + (case sexe when 'F' then 0 when 'M' then 1 else 2 end) * 16
            + (case when qpv then 1 when not qpv then 0 else 2 end) * 4
            + (case public when 'jeune' then 0 when 'parent' then 1 when 'professionnel' then 2 else 3 end)"""

# The participations of attendance rows per (batch, day, action, people profile), head counts
# apart, with the number of rows: every sum the pages show (per session, band, month) reads these
# cells, about ten times fewer than the rows. The profile is one small whole number for the band,
# sex, QPV residence and public (decoded by the view `profiles`, queries/macros.sql): narrow cells
# cost an import little to write. `where` limits the rows to some batches.
CELLS_SQL = """
    insert into attendance_cells
    select batch_id, date, action_id, {profile} as profile,
        person_id is null as headcount,
        sum(nombre)::integer as participations, count(*)::integer as row_count
    from attendance
    {where}
    group by all;
""".replace("{profile}", PROFILE_SQL)

# The participations per session (day, action), head counts apart, from the cells: the pages read
# these when no people filter applies (macro sessions_f, queries/macros.sql): 27 000 sessions
# instead of 1.3 M cells at national scale. Rebuilt whole with the cells (a few hundredths of a
# second at that scale).
SESSIONS_SQL = """
    delete from attendance_sessions;
    insert into attendance_sessions
    select date, action_id, sum(participations)::bigint,
        coalesce(sum(participations) filter (where headcount), 0)::bigint
    from attendance_cells
    group by date, action_id;
"""
SESSIONS_TABLE_SQL = """
    create table attendance_sessions (
        date date not null,
        action_id integer not null,
        participations bigint not null,            -- sum of nombre
        headcount_participations bigint not null   -- of which head-count rows
    );
"""

# The named rows per (action, person) pair, kept so that the pages read 1.5 M pairs (4 M pair-years)
# instead of 10 M rows at national scale. Two tables:
# - attendance_pair_years: one row per (pair, calendar year, people profile) with what the pages
#   need of those rows (times, first participation, months). A person's profile seldom changes
#   within a year, so a year's rows are nearly one per pair.
# - attendance_pairs: one row per pair, the sum of its pair-years, with its profile when it has
#   only one (null: mixed) and whether some year has several (`mixed_year`): the pages add up the
#   pair-years of those pairs only.
# A selection that holds every named row of the whole period or of the calendar years it meets,
# with any people filter, reads them (macro pairs_f, queries/macros.sql); other periods read the rows.
# The first participation's day and band, sex and QPV travel as one whole number each: the day of
# the first row (with a known sex, a known QPV residence) times 1024 (4, 2) plus the band id (the
# sex, the QPV): dates are unique within a pair, as a person comes once per session; band ids stay
# below 1024 (one per band label ever met). Months are bits counted from the first month of the
# named rows (meta 'pairs_origin'), set only while they span at most 63 months (a BIGINT's bits);
# without it the tables stay empty and the pages read the rows. Few and narrow columns: an import
# writes the rows of the pairs it touches.
PAIRS_ORIGIN_SQL = """
    delete from meta where key = 'pairs_origin';
    insert into meta
    select 'pairs_origin', strftime(date_trunc('month', min(date)), '%Y-%m-%d')
    from attendance
    where person_id is not null
    having count(*) > 0
        and (year(max(date)) - year(min(date))) * 12 + month(max(date)) - month(min(date)) < 63;
"""
PAIR_YEARS_SQL = """
    insert into attendance_pair_years
    select pair_id, action_id, person_id, year(date)::smallint, {profile},
        count(*)::integer,
        min(d * 1024 + band_id),
        min(case sexe when 'F' then d * 4 when 'M' then d * 4 + 1 end),
        min(case when qpv is not null then d * 2 + qpv::integer end),
        bit_or(1::bigint << ((year(date) - year(origin)) * 12 + month(date) - month(origin)))
    from (
        select *, (date - date '1970-01-01')::integer as d
        from attendance
        where person_id is not null and pair_id is not null {and_pairs}
    ), (select value::date as origin from meta where key = 'pairs_origin')
    group by all;
""".replace("{profile}", PROFILE_SQL)
# The pairs from their pair-years.
PAIRS_SQL = """
    insert into attendance_pairs
    select pair_id, action_id, person_id, sum(times)::integer,
        min(first_band), min(first_sex), min(first_qpv), bit_or(months),
        case when min(profile) = max(profile) then min(profile) end,
        count(*) > bit_count(bit_or(1::bigint << (year % 64)))   -- more pair-years than years
    from attendance_pair_years
    where true {and_pairs}
    group by pair_id, action_id, person_id;   -- one pair: one action and person (cheaper than any_value)
"""
# The people per (person, calendar year, people profile), from their pair-years: the first
# participation (first day, then first action code, as the pages order them) with its action's id,
# for the band, the known sex and the known QPV residence; and the months. A selection of every
# action reads these (macro person_rows, queries/macros.sql): 180 000 rows instead of 1.5 M pairs at
# national scale. The action's id, not its rank: ranks move when a new code comes, codes' order
# does not.
PERSON_YEARS_SQL = """
    insert into attendance_person_years
    select person_id, year, profile,
        arg_min(first_band, band_key), arg_min(action_id, band_key),
        arg_min(first_sex, sex_key), arg_min(action_id, sex_key),
        arg_min(first_qpv, qpv_key), arg_min(action_id, qpv_key),
        bit_or(months)
    from (
        select y.*,
            ((first_band::bigint >> 10) << 20) | r.code_rank as band_key,
            ((first_sex::bigint >> 2) << 20) | r.code_rank as sex_key,   -- null without a known sex
            ((first_qpv::bigint >> 1) << 20) | r.code_rank as qpv_key
        from attendance_pair_years as y
        join (select id as action_id, row_number() over (order by code) as code_rank from action_ids) as r
            using (action_id)
        where true {and_persons}
    )
    group by person_id, year, profile;
"""
# The pairs an import (its batch's rows) or an undo (noted before its rows go) changes.
CHANGED_PAIRS = {"batch": "select pair_id from attendance where batch_id = $b",
                 "noted": "select pair_id from changed_pairs"}
# The people of these pairs (pair ids are never reused: `pairs` keeps them after an undo).
PERSONS_OF_PAIRS = "select person_id from pairs where id in ({pairs})"
DELETE_PAIRS_SQL = ("delete from attendance_pairs where pair_id in ({pairs})",
                    "delete from attendance_pair_years where pair_id in ({pairs})",
                    "delete from attendance_person_years where person_id in (" + PERSONS_OF_PAIRS + ")")
NAMED_DAYS_SQL = """
    delete from meta where key in ('named_first', 'named_last');
    insert into meta
    select unnest(['named_first', 'named_last']), unnest([min(date)::varchar, max(date)::varchar])
    from attendance
    where person_id is not null
    having count(*) > 0;
"""
PAIRS_TABLE_SQL = """
    create table attendance_pairs (
        pair_id integer not null,
        action_id integer not null,
        person_id integer not null,
        times integer not null,        -- named rows: the sessions the person came to
        first_band integer not null,   -- day of the first row * 1024 + its band id
        first_sex integer,             -- day of the first row with a known sex * 4 + 0 (F) or 1 (M)
        first_qpv integer,             -- day of the first row with a known QPV * 2 + 1 (yes) or 0 (no)
        months bigint not null         -- bit k: a row in the k-th month from meta 'pairs_origin'
    );
"""
PAIR_YEARS_TABLE_SQL = """
    alter table attendance_pairs add column profile usmallint;   -- the pair's one profile, or null
    alter table attendance_pairs add column mixed_year boolean;  -- several profiles in some year
    create table attendance_pair_years (
        pair_id integer not null,
        action_id integer not null,
        person_id integer not null,
        year smallint not null,
        profile usmallint not null,    -- band, sex, QPV, public (view profiles), as the cells
        times integer not null,        -- then as attendance_pairs, for these rows
        first_band integer not null,
        first_sex integer,
        first_qpv integer,
        months bigint not null
    );
"""
PERSON_YEARS_TABLE_SQL = """
    create table attendance_person_years (
        person_id integer not null,
        year smallint not null,
        profile usmallint not null,
        first_band integer not null,   -- as attendance_pairs, for the first participation
        band_action integer not null,  -- its action's id
        first_sex integer,             -- as attendance_pairs, for the first with a known sex
        sex_action integer,
        first_qpv integer,             -- as attendance_pairs, for the first with a known QPV
        qpv_action integer,
        months bigint not null
    );
"""


def _fill_pairs_sql(pairs: str | None = None) -> tuple[str, str, str]:
    """The pair-years of these pairs (a query of pair ids; None: all) from the rows, the pairs from
    them, then their people's person-years: three statements (each may bind parameters)."""
    and_pairs = f"and pair_id in ({pairs})" if pairs else ""
    and_persons = f"and person_id in ({PERSONS_OF_PAIRS.format(pairs=pairs)})" if pairs else ""
    return (PAIR_YEARS_SQL.format(and_pairs=and_pairs), PAIRS_SQL.format(and_pairs=and_pairs),
            PERSON_YEARS_SQL.format(and_persons=and_persons))


# Each migration takes a database from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    create table batches (
        id integer primary key,
        kind varchar not null,
        file_name varchar,
        sha256 varchar,
        imported_by varchar,
        imported_at timestamp not null,
        rows_read integer not null default 0,
        rows_stored integer not null default 0,
        duplicates integer not null default 0,
        replaced integer not null default 0,
        warnings integer not null default 0,
        rejected integer not null default 0,
        status varchar not null default 'active',   -- active | undone
        undone_at timestamp,
        details json                               -- replacements and warnings, for the history
    );
    -- Versions of each action: the current one is the newest still brought by an active batch.
    create table actions (
        batch_id integer not null,
        line integer,                -- row number in the source file, as Excel shows it
        code varchar not null,
        code_key varchar not null,   -- normalised code
        intitule varchar not null,
        intitule_key varchar not null,
        porteur varchar,
        axe varchar,
        public_cible varchar,
        annee_debut smallint,
        annee_fin smallint
    );
    create table budget (
        batch_id integer not null,
        line integer,
        annee smallint not null,
        action_code varchar not null,
        financeur varchar not null,
        financeur_key varchar not null,
        montant decimal(14, 2) not null,
        previous_montant decimal(14, 2)   -- the amount this version replaced, if any
    );
    create table spending (
        batch_id integer not null,
        line integer,
        date date not null,
        exercice smallint not null,
        action_code varchar not null,
        montant decimal(14, 2) not null,  -- credit notes (avoir) are stored negative
        financeur varchar not null,
        financeur_key varchar not null,
        statut varchar not null,          -- engagé | payé | avoir
        libelle varchar,
        fournisseur varchar,
        piece varchar
    );
    create table attendance (
        batch_id integer not null,
        line integer,
        date date not null,
        action_code varchar not null,
        person varchar,                   -- pseudonym; null on a head-count row
        age smallint,                     -- age at the session, when known
        tranche varchar not null,         -- age band at the session (computed at import)
        sexe varchar not null,            -- F | M | NR
        qpv boolean,                      -- null: non renseigné
        nombre integer not null,
        public varchar not null           -- jeune | parent | professionnel
    );
    -- Rows a batch contained that were already stored by another batch: undoing the batch
    -- that stored them hands them over to one of these instead of deleting them.
    create table batch_duplicates (
        batch_id integer not null,
        kind varchar not null,
        line integer,
        orig_batch_id integer not null,
        orig_line integer
    );
    create table meta (key varchar primary key, value varchar);
    """,
    # 2: a dense whole-number id per pseudonym, so that distinct counts over millions of rows
    # compare integers instead of text (several times faster at national scale).
    """
    create table people (id integer primary key, person varchar not null unique);
    alter table attendance add column person_id integer;
    insert into people
        select row_number() over (order by person), person
        from (select distinct person from attendance where person is not null);
    update attendance set person_id = p.id from people p where attendance.person = p.person;
    """,
    # 3: the values present in attendance for the people filters of the sidebar (band, sex, QPV,
    # public), rebuilt with every attendance import and undo: the sidebar reads a few rows
    # instead of scanning millions.
    """
    create table attendance_values (dimension varchar not null, value varchar not null);
    """ + PEOPLE_VALUES_SQL.format(source="attendance"),
    # 4: a whole-number id per action code met in attendance and per (action, person) pair, kept
    # on each row: counts per pair (regularity, a young person's actions) then group on one small
    # integer whose bounds DuckDB knows, which it counts in a direct-address table (several times
    # faster than hashing two columns). Ids are never reused: undoing an import leaves them.
    """
    create table action_ids (id integer primary key, code varchar not null unique);
    create table pairs (id integer not null, action_id integer not null, person_id integer not null);
    alter table attendance add column action_id integer;
    alter table attendance add column pair_id integer;
    """ + _dictionary_sql(DICTIONARY_IDS_SQL, "action_ids") + _dictionary_sql(IDS_ON_ROWS_SQL, "action_ids")
    + NEW_PAIRS_SQL.format(and_batch="") + PAIR_IDS_ON_ROWS_SQL.format(and_batch=""),
    # 5: a whole-number id per age band on each attendance row: "the band at first participation"
    # is then the low bits of one whole-number minimum per person (no text compared per row).
    """
    create table band_ids (id integer primary key, tranche varchar not null unique);
    alter table attendance add column band_id integer;
    """ + _dictionary_sql(DICTIONARY_IDS_SQL, "band_ids") + _dictionary_sql(IDS_ON_ROWS_SQL, "band_ids"),
    # 6: the participations per (batch, day, action, people profile): the sums of the pages read
    # these cells instead of every attendance row (see CELLS_SQL).
    """
    create table attendance_cells (
        batch_id integer not null,
        date date not null,
        action_id integer not null,
        profile usmallint not null,       -- band, sex, QPV, public (view profiles)
        headcount boolean not null,       -- head-count rows (no person) apart from named rows
        participations integer not null,  -- sum of nombre
        row_count integer not null        -- rows; named rows: one per person and session
    );
    """ + CELLS_SQL.format(where=""),
    # 7: the named rows per (action, person) pair (filled by migration 8), and the first and last
    # days of the named rows (see refresh_pairs).
    PAIRS_TABLE_SQL + PAIRS_ORIGIN_SQL + NAMED_DAYS_SQL,
    # 8: the pairs per calendar year and people profile (see PAIR_YEARS_SQL), and the pairs from them.
    PAIR_YEARS_TABLE_SQL + "delete from attendance_pairs;" + "".join(_fill_pairs_sql()[:2]),
    # 9: the people per calendar year and people profile (see PERSON_YEARS_SQL).
    PERSON_YEARS_TABLE_SQL + _fill_pairs_sql()[2],
    # 10: the participations per session (see SESSIONS_SQL).
    SESSIONS_TABLE_SQL + SESSIONS_SQL,
]


class StoreBusy(Exception):
    """The database file stayed locked by another process for longer than we wait."""


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration at a time, each in a transaction."""
    con.execute("create table if not exists schema_version (version integer not null)")
    row = con.execute("select max(version) from schema_version").fetchall()[0][0]
    current = row or 0
    for version in range(current, SCHEMA_VERSION):
        con.execute("begin transaction")
        try:
            con.execute(MIGRATIONS[version])
            con.execute("insert into schema_version values ($v)", {"v": version + 1})
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


# How long the dashboard keeps the database open with no unit of work; how often it looks for a
# request from another process; how old a request may be (a request file left by a process that
# died is ignored after that).
HELD_IDLE_SECONDS = 300.0
REQUEST_POLL_SECONDS = 0.2
REQUEST_MAX_AGE_SECONDS = 600.0


class Store:
    """Where the database lives, and how to open it safely. Cheap to create; thread-safe."""

    def __init__(self, path: str | os.PathLike, wait_seconds: float = 60.0,
                 on_wait: Callable[[float], None] | None = None, memory_limit: str = "1GB",
                 keep_open: bool = False, idle_seconds: float = HELD_IDLE_SECONDS):
        self.path = Path(path)
        self.keep_open = keep_open
        self.idle_seconds = idle_seconds
        self._held: duckdb.DuckDBPyConnection | None = None   # the open database (keep_open)
        self._held_lock = threading.Lock()
        self._users = 0          # units of work reading through the held database now
        self._last_used = 0.0
        # DuckDB spills to disk beyond this; the spill folder is outside the database folder,
        # since an import's working tables hold names until they are hashed.
        # Group keys whose bounds span at most 2^22 values (person ids, pair ids) are counted in a
        # direct-address table instead of a hash table (DuckDB's default stops at 2^12): at most
        # 4 M slots, tens of MB, for counts per person or per pair several times faster.
        self.config = {"memory_limit": memory_limit,
                       "temp_directory": str(Path(tempfile.gettempdir()) / "impact-duckdb-spill"),
                       "perfect_ht_threshold": PERFECT_HASH_BITS}
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self._lock = threading.Lock()
        self._ready = False

    def _connect_once(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), config=self.config)
        if not self._ready:
            with self._lock:
                if not self._ready:
                    migrate(con)
                    self._ready = True
        con.execute(load_script("macros"))
        return con

    @property
    def request_path(self) -> Path:
        """The file a process leaves beside the database while it waits for it."""
        return self.path.with_name(self.path.name + ".demande")

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A new connection, retried while another process holds the file; while it waits, the
        request file asks a dashboard that holds the database to let it go."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.1
        asked = False
        try:
            while True:
                try:
                    return self._connect_once()
                except duckdb.Error as exc:
                    if not _is_lock_error(exc):
                        raise
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise StoreBusy(str(self.path)) from exc
                    self.request_path.touch()
                    asked = True
                    if self.on_wait:
                        self.on_wait(remaining)
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, 1.0)
        finally:
            if asked:
                self.request_path.unlink(missing_ok=True)

    def _asked(self) -> bool:
        """Whether another process asks for the database (a recent request file)."""
        try:
            age = time.time() - self.request_path.stat().st_mtime
        except FileNotFoundError:
            return False
        return age < REQUEST_MAX_AGE_SECONDS

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work: a new one, or with `keep_open` a cursor of the held
        database (its own temporary tables, the same cache of blocks)."""
        if not self.keep_open:
            con = self._open()
            try:
                yield con
            finally:
                con.close()
            return
        con = self._held_cursor()
        try:
            con.execute(load_script("macros"))
            yield con
        finally:
            con.close()
            with self._held_lock:
                self._users -= 1
                self._last_used = time.monotonic()

    def _held_cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the held database, opened first if need be. The opening (which may wait for
        another process) happens outside the lock, so that units of work wait side by side."""
        opened = None
        while True:
            with self._held_lock:
                if self._held is None and opened is not None:
                    self._held, opened = opened, None
                    threading.Thread(target=self._release_when_idle_or_asked, daemon=True,
                                     name=f"store-{self.path.name}").start()
                if self._held is not None:
                    if opened is not None:   # another unit of work opened it meanwhile
                        opened.close()
                    cursor = self._held.cursor()
                    self._users += 1
                    return cursor
            opened = self._open()

    def _release_when_idle_or_asked(self) -> None:
        """Close the held database once no unit of work uses it and another process asks for it,
        or it has been idle for `idle_seconds`."""
        while True:
            time.sleep(REQUEST_POLL_SECONDS)
            with self._held_lock:
                if self._held is None:
                    return
                idle = time.monotonic() - self._last_used > self.idle_seconds
                if self._users == 0 and (idle or self._asked()):
                    self.release()
                    return

    def release(self) -> None:
        """Close the held database now (callers hold `_held_lock`, or no unit of work runs)."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def data_version(self) -> tuple:
        """A token that changes whenever the database file is written (by any process)."""
        parts = []
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = p.stat()
                parts.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                parts.append(None)
        return tuple(parts)


def after_direct_attendance_rows(con: duckdb.DuckDBPyConnection) -> None:
    """What an import does for its attendance rows, for rows written directly in SQL (test and
    benchmark stores): number the new pseudonyms, actions, bands and pairs, then rebuild the cells,
    the sidebar's values and the stored pairs."""
    assign_person_ids(con, "attendance")
    con.execute("update attendance set person_id = p.id from people p "
                "where attendance.person = p.person and attendance.person_id is null")
    assign_dictionary_ids(con, "attendance")
    for dictionary in DICTIONARIES:
        con.execute(_dictionary_sql(IDS_ON_ROWS_SQL, dictionary))
    con.execute(NEW_PAIRS_SQL.format(and_batch="") + PAIR_IDS_ON_ROWS_SQL.format(and_batch=""))
    refresh_cells(con)
    refresh_pairs(con)


def refresh_cells(con: duckdb.DuckDBPyConnection, batch_ids: list[int] | None = None) -> None:
    """Rebuild the cells of these batches (None: of every batch) from their attendance rows (after
    an import, an undo that deleted a batch's rows and handed some over to other batches, rows
    written directly); then the sessions and the sidebar's values."""
    if batch_ids is None:
        con.execute("delete from attendance_cells")
        con.execute(CELLS_SQL.format(where=""))
    else:
        con.execute("delete from attendance_cells where list_contains($b, batch_id)", {"b": batch_ids})
        con.execute(CELLS_SQL.format(where="where list_contains($b, batch_id)"), {"b": batch_ids})
    con.execute(SESSIONS_SQL)
    refresh_people_values(con)


def note_changed_pairs(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Remember the pairs of a batch's rows (temporary table changed_pairs) before an undo deletes
    them, for refresh_pairs(noted=True)."""
    con.execute("""create or replace temp table changed_pairs as
        select distinct pair_id from attendance where batch_id = $b and pair_id is not null""", {"b": batch_id})


def refresh_pairs(con: duckdb.DuckDBPyConnection, batch_id: int | None = None, noted: bool = False) -> None:
    """Rebuild the stored pairs (see PAIRS_SQL): those of a batch's rows just imported (`batch_id`)
    or noted by note_changed_pairs (`noted`), when the named rows still fit the months' origin;
    else all of them, from a new origin. Then the first and last days of the named rows (meta
    'named_first', 'named_last'), which tell whether a selection covers them all."""
    first, last = con.execute("select min(date), max(date) from attendance where person_id is not null").fetchall()[0]
    for key, day in (("named_first", first), ("named_last", last)):
        set_meta(con, key, day.isoformat() if day else None)
    origin = get_meta(con, "pairs_origin")
    start = dt.date.fromisoformat(origin) if origin else None
    if (batch_id is not None or noted) and start is not None and (
            first is None or (first >= start and (last.year - start.year) * 12 + last.month - start.month < 63)):
        changed, params = (CHANGED_PAIRS["noted"], {}) if noted else (CHANGED_PAIRS["batch"], {"b": batch_id})
        deletes = [sql.format(pairs=changed) for sql in DELETE_PAIRS_SQL]
        for sql in (*deletes, *_fill_pairs_sql(changed)):
            con.execute(sql, params)
        return
    con.execute(PAIRS_ORIGIN_SQL)
    fill_pairs(con)


def fill_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every stored pair, pair-year and person-year from the rows, with the months' origin in
    meta."""
    con.execute("delete from attendance_pairs; delete from attendance_pair_years; "
                "delete from attendance_person_years;")
    for sql in _fill_pairs_sql():
        con.execute(sql)


def refresh_people_values(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the values present in attendance for the people filters, from the cells."""
    con.execute(PEOPLE_VALUES_SQL.format(
        source="(select p.* from (select distinct profile from attendance_cells) join profiles as p using (profile))"))


def assign_person_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give each pseudonym of `table`.person (an identifier chosen by code) that has no id yet
    the next ids in `people`."""
    con.execute(f"""
        insert into people
        select (select coalesce(max(id), 0) from people) + row_number() over (order by person), person
        from (select distinct person from {table} where person is not null
              except select person from people)""")


def assign_dictionary_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give each action code and age band of `table` (an identifier chosen by code) that has none
    yet the next id in its dictionary."""
    for dictionary in DICTIONARIES:
        con.execute(_dictionary_sql(DICTIONARY_IDS_SQL, dictionary, table))


def assign_pair_ids(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Number the new (action, person) pairs of a batch's attendance rows and write the ids on them."""
    for sql in (NEW_PAIRS_SQL, PAIR_IDS_ON_ROWS_SQL):
        con.execute(sql.format(and_batch="and batch_id = $b"), {"b": batch_id})


@contextlib.contextmanager
def hashed_groups(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Group with hash tables only, for queries over a small part of the rows (one action): a
    direct-address table is as large as the ids' range, whatever the rows, and setting it up
    then costs more than hashing the few groups. The setting is this connection's own (other
    cursors of a held database keep the store's), and goes back to the store's afterwards."""
    con.execute("set perfect_ht_threshold = 12")   # DuckDB's own default
    try:
        yield
    finally:
        con.execute("reset perfect_ht_threshold")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no import has stored anything yet."""
    return con.execute("select count(*) from batches where status = 'active'").fetchall()[0][0] == 0


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("select value from meta where key = $k", {"k": key}).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str | None) -> None:
    con.execute("delete from meta where key = $k", {"k": key})
    if value is not None:
        con.execute("insert into meta values ($k, $v)", {"k": key, "v": value})

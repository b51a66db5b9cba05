"""The DuckDB store: schema, migrations, short-lived connections and import batches.

DuckDB locks a database file against every other process while a connection is open.
The command line opens one for each unit of work and closes it. The dashboard keeps the database
open between units of work (`keep_open`): each one reads through its own cursor (one that ended
cleanly without making temporary tables is handed to the next unit of work), and DuckDB's cache of
the file's blocks stays warm from page to page. It lets the database go after some idle
minutes, or as soon as another process asks for it: a process that finds the file locked leaves
a request file beside it (`<base>.demande`) while it waits and retries for a bounded time
(`StoreBusy` when it gives up).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from impact.queries import load_script

SCHEMA_VERSION = 12
KINDS = ("actions", "budget", "spending", "attendance")


# Each migration takes a database from version i to i + 1. Their text is frozen: a released
# migration never changes. Migrations 3 to 10 created summary tables and id columns that an
# earlier design kept beside the rows; migration 11 drops them all, so from version 3 on only
# their structure is replayed here (what they filled is dropped anyway).
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
    # 3 to 10: summary tables and id columns of an earlier design (dropped by 11).
    "create table attendance_values (dimension varchar not null, value varchar not null);",
    """
    create table action_ids (id integer primary key, code varchar not null unique);
    create table pairs (id integer not null, action_id integer not null, person_id integer not null);
    alter table attendance add column action_id integer;
    alter table attendance add column pair_id integer;
    """,
    """
    create table band_ids (id integer primary key, tranche varchar not null unique);
    alter table attendance add column band_id integer;
    """,
    "create table attendance_cells (batch_id integer);",
    "create table attendance_pairs (pair_id integer);",
    "create table attendance_pair_years (pair_id integer);",
    "create table attendance_person_years (person_id integer);",
    "create table attendance_sessions (date date);",
    # 11: the pages count on the rows themselves: no summary table, no id but the person's.
    """
    drop table attendance_values;
    drop table action_ids;
    drop table pairs;
    drop table band_ids;
    drop table attendance_cells;
    drop table attendance_pairs;
    drop table attendance_pair_years;
    drop table attendance_person_years;
    drop table attendance_sessions;
    alter table attendance drop column action_id;
    alter table attendance drop column pair_id;
    alter table attendance drop column band_id;
    delete from meta where key in ('pairs_origin', 'named_first', 'named_last');
    """,
    # 12: named accounts (local sign-in), the audit of sign-ins and changes, who undid a batch.
    """
    create table accounts (
        email varchar primary key,        -- lower case
        role varchar not null,            -- coordinateur | comite | etat | admin
        password_hash varchar not null,   -- argon2id, never the password itself
        state varchar not null,           -- active | disabled
        created_at timestamp not null,
        changed_at timestamp not null
    );
    create table audit (
        id integer primary key,
        happened_at timestamp not null,
        actor varchar not null,           -- an account's e-mail, or the system user of the command line
        role varchar,
        event varchar not null,           -- sign_in, sign_in_failed, sign_in_locked, sign_out, import, undo, account_*
        target varchar,                   -- the account or the batch concerned
        client varchar,                   -- where a sign-in came from ('local': this machine)
        detail varchar
    );
    alter table batches add column undone_by varchar;
    """,
]


class StoreBusy(Exception):
    """The database file stayed locked by another process for longer than we wait."""


class StoreUnusable(Exception):
    """The path given for the database is not a store we can open (a folder, another kind of
    file, a damaged store, a place we cannot write); `str(exc)` is one French sentence."""


# A DuckDB database file holds these bytes at this offset (its header's magic number).
DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8


def check_store_path(path: Path) -> None:
    """Refuse, in French, a path that is not a store before DuckDB opens it: DuckDB would take a
    CSV file for an empty database (and store nothing in it), or fail on a folder with a
    traceback. A path that does not exist yet is fine: the store is created there."""
    hint = "Indiquez le fichier de la base avec --db ou IMPACT_DB (par exemple data/impact.duckdb)."
    if path.is_dir():
        raise StoreUnusable(f"{path} est un dossier, pas une base de données. {hint}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreUnusable(f"La base {path} ne peut pas être lue ({exc.strerror}). {hint}") from exc
    if head and head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise StoreUnusable(
            f"{path} n'est pas une base du tableau de bord (ce fichier existe et n'est pas une base "
            f"DuckDB) : rien n'y a été écrit. {hint} Une base qui n'existe pas encore est créée.")


# DuckDB's temporary files (what does not fit in memory) go to a folder of this process's own,
# private (0700) and removed at exit: an import's working tables hold names until they are
# hashed. The folders of processes that died without removing theirs (killed) are removed when
# the next process makes its own.
_TEMP_PREFIX = f"impact-duckdb-{os.getuid()}-"
_TEMP_DIRS: dict[str, str] = {}
_TEMP_LOCK = threading.Lock()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_temp_dirs(parent: Path) -> None:
    pattern = re.compile(re.escape(_TEMP_PREFIX) + r"(\d+)-")
    for entry in parent.glob(_TEMP_PREFIX + "*"):
        m = pattern.match(entry.name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def private_temp_directory() -> str:
    """This process's folder for DuckDB's temporary files, in the system's temporary folder
    (mode 0700, new and empty, removed at exit)."""
    parent = tempfile.gettempdir()
    with _TEMP_LOCK:
        folder = _TEMP_DIRS.get(parent)
        if folder is None or not os.path.isdir(folder):
            _remove_dead_temp_dirs(Path(parent))
            folder = tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=parent)
            if not _TEMP_DIRS:
                atexit.register(_remove_temp_dirs)
            _TEMP_DIRS[parent] = folder
        return folder


def _remove_temp_dirs() -> None:
    for folder in _TEMP_DIRS.values():
        shutil.rmtree(folder, ignore_errors=True)


def _is_lock_error(exc: Exception, path: Path) -> bool:
    """Whether opening `path` failed because another process holds it. DuckDB 2.0 raises
    duckdb.IOException then, and the same type for a truncated or unreadable store: the lock
    itself tells them apart (DuckDB holds an fcntl lock over the whole file). A connection that
    this process already holds never gets here: DuckDB shares it, or raises ConnectionException."""
    if not isinstance(exc, duckdb.IOException):
        return False
    return _locked_by_another_process(path)


def _locked_by_another_process(path: Path) -> bool:
    """Whether another process holds a lock on `path`. Only for a file this process does not hold:
    closing any descriptor of a file drops every fcntl lock the process has on it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:   # EAGAIN / EACCES: held elsewhere
        return True
    finally:
        os.close(fd)   # releases the probe's own lock, if it got it
    return False


def _check_is_ours(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB file that holds tables but not ours belongs to another program: never migrate it."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database()").fetchall()}
    if tables and "schema_version" not in tables:
        raise StoreUnusable(
            f"{path} est une base DuckDB d'un autre programme (tables : {', '.join(sorted(tables)[:5])}) : "
            "elle n'a pas été modifiée. Indiquez la base du tableau de bord avec --db ou IMPACT_DB.")


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
        # Cursors of the held database, their macros made, whose unit of work ended cleanly without
        # temporary tables: the next unit of work takes one instead of making the macros again (7 ms).
        self._ready_cursors: list[duckdb.DuckDBPyConnection] = []
        # DuckDB spills to disk beyond this, in this process's private folder (see
        # private_temp_directory), set at each opening.
        self.config = {"memory_limit": memory_limit}
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self._lock = threading.Lock()
        self._ready = False
        self._stopped_holding = False   # stop_holding(): no longer the app's store

    def _connect_once(self) -> duckdb.DuckDBPyConnection:
        check_store_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnusable(f"Le dossier de la base ({self.path.parent}) ne peut pas être créé "
                                f"({exc.strerror}) : indiquez un autre chemin avec --db ou IMPACT_DB.") from exc
        config = {**self.config, "temp_directory": private_temp_directory()}
        try:
            con = duckdb.connect(str(self.path), config=config)
        except duckdb.Error as exc:
            if _is_lock_error(exc, self.path):
                raise
            raise StoreUnusable(
                f"La base {self.path} ne peut pas être ouverte : le fichier est abîmé, tronqué ou "
                f"inaccessible ({str(exc).splitlines()[0][:200]}). Restaurez-la depuis une sauvegarde, "
                "ou indiquez une autre base avec --db ou IMPACT_DB.") from exc
        try:
            if not self._ready:
                with self._lock:
                    if not self._ready:
                        _check_is_ours(con, self.path)
                        prepare(con)
                        self._ready = True
            if not self.keep_open:   # a held database is read through cursors, which create their own
                con.execute(load_script("macros"))
        except BaseException:
            con.close()
            raise
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
                    if not _is_lock_error(exc, self.path):
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
        con, held, fresh = self._held_cursor()
        clean = False
        try:
            if fresh:
                con.execute(load_script("macros"))
            yield con
            # Each unit of work starts without the last one's temporary tables (an import's hold names):
            # a cursor that made some is closed, which discards them.
            clean = not _has_temporary_tables(con)
        finally:
            with self._held_lock:
                self._users -= 1
                self._last_used = time.monotonic()
                # kept only after a unit of work that ended without an error (no transaction left open),
                # and while the same database is held
                if clean and held is self._held:
                    self._ready_cursors.append(con)
                    con = None
            if con is not None:
                con.close()

    def _held_cursor(self) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, bool]:
        """A cursor of the held database, that database, and whether the cursor is new (without the
        macros); opened first if need be. The opening (which may wait for another process) happens
        outside the lock, so that units of work wait side by side."""
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
                    self._users += 1
                    if self._ready_cursors:
                        return self._ready_cursors.pop(), self._held, False
                    return self._held.cursor(), self._held, True
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
                if self._users == 0 and (idle or self._stopped_holding or self._asked()):
                    self.release()
                    return

    def stop_holding(self) -> None:
        """The app no longer uses this store (Streamlit dropped it from its cache): close the held
        database now, or as soon as the units of work still running end, instead of after the idle
        delay. A unit of work that starts later still works; the database is let go after it."""
        with self._held_lock:
            self._stopped_holding = True
            if self._users == 0:
                self.release()

    def release(self) -> None:
        """Close the held database now (callers hold `_held_lock`, or no unit of work runs)."""
        if self._held is not None:
            for cursor in self._ready_cursors:
                cursor.close()
            self._ready_cursors.clear()
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


def _has_temporary_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a unit of work created temporary tables (the macros' temporary views do not count)."""
    return con.execute("select count(*) from duckdb_tables() where temporary").fetchall()[0][0] > 0


# One unit of work that changes the stored rows at a time in this process (an import, an undo, an
# erasure), held until its commit: two that overlapped would both rebuild the derived tables, and
# DuckDB would refuse the second one's commit (a write-write conflict).
WRITE_LOCK = threading.RLock()
# The kinds of import whose current versions are derived tables (queries/derived.sql).
DERIVED_KINDS = ("actions", "budget")


@contextlib.contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block as one transaction that changes the stored rows, holding WRITE_LOCK until its
    commit; on any error, rolled back and the error raised again."""
    with WRITE_LOCK:
        con.execute("begin transaction")
        try:
            yield
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def rebuild_derived(con: duckdb.DuckDBPyConnection, people: bool = True) -> None:
    """Rebuild the tables derived from the stored rows, inside the caller's transaction: the current
    versions of actions and programme lines (queries/derived.sql, a few hundred rows, rebuilt whole),
    noting what they were built from (see prepare); with `people`, the whole-number ids of new
    pseudonyms (after rows written directly in SQL) and the people no row names any more, forgotten
    (a scan of the attendance, which an import of actions or budget skips: it names nobody)."""
    if people:
        assign_person_ids(con, "attendance")
        con.execute("update attendance set person_id = p.id from people p "
                    "where attendance.person = p.person and attendance.person_id is null")
        con.execute("delete from people where id not in (select person_id from attendance where person_id is not null)")
    con.execute(load_script("derived"))
    set_meta(con, "derived_from", _derived_from(con))


def _derived_from(con: duckdb.DuckDBPyConnection) -> str:
    """What the derived tables are built from: this code's definitions and schema version, and the
    imports of actions and budget (how many, the newest, how many in force)."""
    definitions = hashlib.sha256(f"{SCHEMA_VERSION}\n{load_script('derived')}".encode()).hexdigest()[:16]
    imports = con.execute("select count(*), max(id), count(*) filter (where status = 'active') from batches "
                          "where list_contains($kinds, kind)", {"kinds": list(DERIVED_KINDS)}).fetchall()[0]
    return f"{definitions} {imports}"


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a store up to this code: migrate it, then rebuild its derived tables unless they were
    built by these definitions and schema from the imports in force. They are rebuilt for a store
    written before they existed or before a definition or migration changed, and for one where
    another release (an older one put back) imported or undid actions or budget."""
    migrate(con)
    if get_meta(con, "derived_from") == _derived_from(con):
        return
    with write_transaction(con):
        rebuild_derived(con)


def assign_person_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give each pseudonym of `table`.person (an identifier chosen by code) that has no id yet
    the next ids in `people`."""
    con.execute(f"""
        insert into people
        select (select coalesce(max(id), 0) from people) + row_number() over (order by person), person
        from (select distinct person from {table} where person is not null
              except select person from people)""")


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

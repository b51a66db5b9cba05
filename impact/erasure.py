"""Erasing attendance: one young person's rows on request (RGPD, droit à l'effacement), and the
rows kept longer than the retention setting. Both are recorded without the name nor the pseudonym.

The person is found by the pseudonym the import computes (ingest.pseudonym). Their rows go, with
the duplicates noted against them; then every derived table is rebuilt (store.rebuild_derived, which
also forgets the pseudonyms no row names any more).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from impact.settings import Settings
from impact.store import rebuild_derived, write_transaction

ERASURES_SQL = """
    create table if not exists erasures (
        id integer primary key,
        kind varchar not null,            -- 'effacement' (one person) or 'purge' (retention)
        done_at timestamp not null,
        rows_deleted integer not null,
        author varchar not null,
        note varchar not null             -- never a name nor a pseudonym
    )"""


@dataclass(frozen=True)
class PersonRows:
    """What erasing one person would delete (no name, no pseudonym: safe to print)."""
    rows: int
    first: dt.date | None
    last: dt.date | None
    actions: int


def person_rows(con: duckdb.DuckDBPyConnection, person: str) -> PersonRows:
    rows, first, last, actions = con.execute(
        "select count(*), min(date), max(date), count(distinct action_code) from attendance where person = $p",
        {"p": person}).fetchall()[0]
    return PersonRows(int(rows), first, last, int(actions))


# The rows an erasure deletes: one person's (forget), or those older than a date (purge).
ERASED_ROWS = {"person": "person = $p", "older": "date <= $d"}


def _delete_rows(con: duckdb.DuckDBPyConnection, which: str, params: dict) -> int:
    """Delete the attendance rows `which` names in ERASED_ROWS (with what points at them), then
    rebuild the derived tables. Inside the caller's transaction."""
    where = ERASED_ROWS[which]
    con.execute("create or replace temp table erased as select batch_id, line, person from attendance where "
                + where, params)
    deleted = con.execute("select count(*) from erased").fetchall()[0][0]
    con.execute("""delete from batch_duplicates d using erased e
        where d.kind = 'attendance' and d.orig_batch_id = e.batch_id and d.orig_line = e.line""")
    con.execute("delete from attendance where " + where, params)
    con.execute("drop table erased")
    rebuild_derived(con)
    return int(deleted)


def _record(con: duckdb.DuckDBPyConnection, kind: str, rows: int, author: str, note: str) -> None:
    con.execute(ERASURES_SQL)
    con.execute("""insert into erasures
        select coalesce(max(id), 0) + 1, $kind, now()::timestamp, $rows, $author, $note from erasures""",
                {"kind": kind, "rows": rows, "author": author, "note": note})


def forget_person(con: duckdb.DuckDBPyConnection, person: str, author: str) -> int:
    """Delete every attendance row of `person` (a pseudonym), in one transaction; the number deleted."""
    with write_transaction(con):
        deleted = _delete_rows(con, "person", {"p": person})
        _record(con, "effacement", deleted, author, "présences d'une personne, à sa demande")
    return deleted


def purge_limit(settings: Settings, today: dt.date) -> dt.date | None:
    """The day up to which attendance rows are past their retention, None while none is: every
    row of the convention goes once `retention_years` have passed since its end."""
    return settings.end if today > settings.retention_end else None


def rows_to_purge(con: duckdb.DuckDBPyConnection, settings: Settings, today: dt.date) -> int:
    limit = purge_limit(settings, today)
    if limit is None:
        return 0
    return con.execute("select count(*) from attendance where date <= $d", {"d": limit}).fetchall()[0][0]


def purge(con: duckdb.DuckDBPyConnection, settings: Settings, today: dt.date, author: str) -> int:
    """Delete the attendance rows past their retention (see purge_limit); the number deleted."""
    limit = purge_limit(settings, today)
    if limit is None:
        return 0
    with write_transaction(con):
        deleted = _delete_rows(con, "older", {"d": limit})
        _record(con, "purge", deleted, author,
                f"présences jusqu'au {limit:%d/%m/%Y}, conservées {settings.retention_years} ans "
                f"après la fin de la convention")
    return deleted


def erasure_list(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(id, kind, done_at, rows_deleted, author, note) of every erasure, oldest first."""
    con.execute(ERASURES_SQL)
    return con.execute("select id, kind, done_at, rows_deleted, author, note from erasures order by id").fetchall()

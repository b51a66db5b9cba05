"""Named SQL queries, loaded once from queries/*.sql.

A file holds one or more blocks, each introduced aiosql-style::

    -- name: participation_by_action
    -- Participations and distinct participants per action.
    select ...

Values are always bound (`$name`); a parameter the query does not use is not passed.
`macros.sql`, `derived.sql` and `parsing.sql` are not query files but scripts: the macros run on every
connection, the derived tables' definitions by store.rebuild_derived, the parsing macros by an import.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas costs 0.3 s to import: the command line mostly does without it
    import pandas as pd


QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
SCRIPTS = {"derived", "macros", "parsing"}
_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


class QueryFileError(Exception):
    """A query file is malformed (no name, no description, no body, a name used twice)."""


class UnknownQuery(KeyError):
    """No query of that name in queries/."""


def parse_query_file(path: Path) -> dict[str, str]:
    """Split one file into {name: sql}; raise QueryFileError naming the file when malformed."""
    text = path.read_text(encoding="utf-8")
    parts = _NAME.split(text)
    if len(parts) < 3:
        raise QueryFileError(f"{path.name}: no '-- name: ...' block")
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = body.strip().splitlines()
        if not lines or not lines[0].startswith("--"):
            raise QueryFileError(f"{path.name}: query '{name}' has no one-line description")
        sql = "\n".join(lines[1:]).strip().rstrip(";")
        if not sql:
            raise QueryFileError(f"{path.name}: query '{name}' has no SQL")
        if name in out:
            raise QueryFileError(f"{path.name}: query '{name}' is defined twice")
        out[name] = sql
    return out


@cache
def all_queries(directory: Path = QUERY_DIR) -> dict[str, tuple[str, str]]:
    """{name: (file name, sql)} for every named query under `directory`."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(directory.glob("*.sql")):
        if path.stem in SCRIPTS:
            continue
        for name, sql in parse_query_file(path).items():
            if name in found:
                raise QueryFileError(f"{path.name}: query '{name}' already defined in {found[name][0]}")
            found[name] = (path.name, sql)
    return found


def get(name: str) -> str:
    try:
        return all_queries()[name][1]
    except KeyError:
        raise UnknownQuery(f"no query named '{name}' in {QUERY_DIR}") from None


@cache
def load_script(stem: str) -> str:
    return (QUERY_DIR / f"{stem}.sql").read_text(encoding="utf-8")


def parameters(sql: str) -> set[str]:
    return set(_PARAM.findall(sql))


def execute(con, name: str, params: dict | None = None):
    """Execute the named query with the parameters it uses; return the cursor."""
    sql = get(name)
    used = parameters(sql)
    bound = {k: v for k, v in (params or {}).items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise TypeError(f"query '{name}' needs parameters: {', '.join(sorted(missing))}")
    return con.execute(sql, bound)


def run(con, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run the named query with the parameters it uses; return a DataFrame."""
    return execute(con, name, params).df()


def first_row(con, name: str, params: dict | None = None) -> dict:
    """The first row of the named query as {column: Python value} (lists stay lists)."""
    cursor = execute(con, name, params)
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row, strict=True))

"""The canonical export of what is stored: UTF-8, `,`, LF, ISO dates, `.` decimals.

Importing an export into an empty database gives the same export back (backup and restore;
the pseudonym secret is not in it: back it up with the database).
"""

from __future__ import annotations

import csv
import io
import re
from typing import TextIO

from impact import queries
from impact.spreadsheets import neutralise

BATCH_ROWS = 200_000
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _cell(value):
    """Empty for NULL; text a spreadsheet would run as a formula gets a leading apostrophe
    (a negative amount such as -50.00 is a number, left as it is)."""
    if value is None:
        return ""
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return value
    return neutralise(value)


def write_export(con, kind: str, out: TextIO) -> int:
    """Write the canonical CSV of `kind` to `out`, streaming; return the number of rows."""
    sql = queries.get(f"export_{kind}")
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    writer = csv.writer(out, delimiter=",", lineterminator="\n")
    writer.writerow(names)
    count = 0
    while True:
        rows = cur.fetchmany(BATCH_ROWS)
        if not rows:
            break
        writer.writerows([[_cell(v) for v in row] for row in rows])
        count += len(rows)
    return count


def export_text(con, kind: str) -> str:
    buf = io.StringIO()
    write_export(con, kind, buf)
    return buf.getvalue()

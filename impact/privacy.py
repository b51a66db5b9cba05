"""Pseudonyms and the small-count rule.

Names are never stored: a person becomes an HMAC-SHA256 of their normalised identity under
a secret kept beside the database (created at first use, mode 600, never printed).
Figures shown to people who are not coordinators hide counts from 1 to 4 ("< 5").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


SMALL = "< 5"


def secret_path(db_path: str | os.PathLike) -> Path:
    """The secret lives beside the database (IMPACT_SECRET overrides), never in git."""
    env = os.environ.get("IMPACT_SECRET")
    if env:
        return Path(env)
    p = Path(db_path)
    return p.with_name(p.stem + ".secret")


def load_or_create_secret(path: str | os.PathLike) -> bytes:
    """Read the pseudonym key, creating it (32 random bytes, mode 600) on first use."""
    path = Path(path)
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC-SHA256 inner and outer padded keys, so that SQL can compute the HMAC:
    sha256(opad || unhex(sha256(ipad || message)))."""
    if len(key) > 64:
        import hashlib
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def small_count_mask(df: pd.DataFrame, columns: list[str], threshold: int = 5, total_row: bool = False,
                     by: list[str] | None = None) -> pd.DataFrame:
    """Which cells of `columns` a reader must not see: True where hidden.

    Primary: counts from 1 to threshold-1. Secondary: where exactly one cell of a column is
    hidden (within each group of `by` columns, when given: a stacked bar shows its group's
    total), the smallest other non-zero cell is hidden too, so that a total shown elsewhere
    does not give the hidden one back by subtraction. With `total_row`, the last row is that
    total: it is hidden itself when small, and it counts as shown for the rule above.
    """
    import pandas as pd
    hidden = pd.DataFrame(False, index=df.index, columns=list(columns))
    body_index = df.index[:-1] if total_row and len(df) else df.index
    groups = ([body_index] if not by else
              [g.index for _, g in df.loc[body_index].groupby(by, sort=False, dropna=False)])
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce")
        small_all = (values >= 1) & (values < threshold)
        hidden[col] = small_all
        for idx in groups:
            body = values.loc[idx]
            small = small_all.loc[idx]
            if small.sum() == 1 and len(body) > 1:
                candidates = body[~small & (body > 0)]
                if len(candidates):
                    hidden.loc[candidates.idxmin(), col] = True
    return hidden


def mask_small_counts(df: pd.DataFrame, columns: list[str], threshold: int = 5,
                      total_row: bool = False, by: list[str] | None = None) -> pd.DataFrame:
    """Replace counts from 1 to threshold-1 by "< 5" in `columns` (as text).

    Secondary suppression as `small_count_mask` says: when exactly one cell of a column (or of
    a group of `by` columns) is hidden, the smallest other non-zero cell is hidden too; a small
    total row is hidden as well.
    """
    import pandas as pd
    hidden = small_count_mask(df, columns, threshold=threshold, total_row=total_row, by=by)
    out = df.copy()
    label = f"< {threshold}"
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        text = values.map(lambda v: "—" if pd.isna(v) else f"{int(v)}").astype(object)
        out[col] = text.where(~hidden[col], label)
    return out

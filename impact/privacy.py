"""Pseudonyms and the small-count rule.

Names are never stored: a person becomes an HMAC-SHA256 of their normalised identity under
a secret kept beside the database (created at first use, mode 600, never printed).
The small-count rule is in impact.small_counts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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

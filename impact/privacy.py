"""Pseudonyms and the small-count rule.

Names are never stored: a person becomes an HMAC-SHA256 of their normalised identity under
a secret kept beside the database (created at first use, mode 600, never printed).
The small-count rule is in impact.small_counts.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def secret_path(db_path: str | os.PathLike) -> Path:
    """The secret lives beside the database (IMPACT_SECRET overrides), never in git."""
    env = os.environ.get("IMPACT_SECRET")
    if env:
        return Path(env)
    p = Path(db_path)
    return p.with_name(p.stem + ".secret")


SECRET_BYTES = 32


class SecretProblem(Exception):
    """The pseudonym secret cannot be used as it is; `str(exc)` says in French what to do."""


def _restore_hint(path: Path) -> str:
    return (f"Remettez à sa place ({path}) la copie sauvegardée avec la base : ne le remplacez pas par un "
            "nouveau secret, les personnes déjà importées ne seraient plus reconnues. Pour une base neuve, "
            "sans aucun import, supprimez ce fichier : un nouveau secret sera créé.")


def read_secret(path: str | os.PathLike) -> bytes | None:
    """The pseudonym key stored at `path` (64 hexadecimal digits), None when there is none yet.
    Raise SecretProblem when it is not one a store may use: not a plain file, readable by
    others than its owner, or not 32 random bytes."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretProblem(f"Le secret des pseudonymes {path} ne peut pas être lu ({exc.strerror}).") from exc
    if not path.is_file():
        raise SecretProblem(f"Le secret des pseudonymes {path} n'est pas un fichier. {_restore_hint(path)}")
    if st.st_mode & 0o077:
        raise SecretProblem(
            f"Le secret des pseudonymes {path} est lisible par d'autres que son propriétaire (droits "
            f"{st.st_mode & 0o777:o}) : n'importe qui pourrait recalculer les pseudonymes à partir d'une "
            f"liste de noms. Rendez-le privé (chmod 600 {path}), puis recommencez.")
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretProblem(f"Le secret des pseudonymes {path} est illisible. {_restore_hint(path)}") from exc
    if not text:
        raise SecretProblem(f"Le secret des pseudonymes {path} est vide. {_restore_hint(path)}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = None
    if key is None or len(key) != SECRET_BYTES:
        raise SecretProblem(
            f"Le secret des pseudonymes {path} n'est pas valide ({2 * SECRET_BYTES} chiffres hexadécimaux "
            f"attendus, soit {SECRET_BYTES} octets). {_restore_hint(path)}")
    # 32 random bytes hold about 30 different values; fewer than 16 is a made-up key (zeros...).
    if len(set(key)) < 16:
        raise SecretProblem(
            f"Le secret des pseudonymes {path} n'est pas aléatoire (ses octets se répètent). "
            f"{_restore_hint(path)}")
    return key


def load_or_create_secret(path: str | os.PathLike) -> bytes:
    """Read the pseudonym key (see read_secret), or create it on first use: 32 random bytes,
    written mode 600 to a new file beside it, then linked into place only if no secret exists
    (an existing secret is never replaced, even by a process creating one at the same moment)."""
    path = Path(path)
    key = read_secret(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)   # mode 600
    except OSError as exc:
        raise SecretProblem(f"Le secret des pseudonymes ne peut pas être créé dans {path.parent} "
                            f"({exc.strerror}).") from exc
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(SECRET_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)   # fails if the path exists: never overwrites
        except FileExistsError:
            pass                 # another process created it first: use theirs
    finally:
        os.unlink(tmp)
    key = read_secret(path)
    if key is None:
        raise SecretProblem(f"Le secret des pseudonymes {path} a disparu pendant sa création : recommencez.")
    return key


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC-SHA256 inner and outer padded keys, so that SQL can compute the HMAC:
    sha256(opad || unhex(sha256(ipad || message)))."""
    if len(key) > 64:
        import hashlib
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)

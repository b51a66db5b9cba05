"""Backup and restore: the store and its pseudonym secret, together, in one folder.

A backup is taken while the dashboard runs: the store is opened like any command-line unit of work
(the dashboard lets it go when asked, see impact.store), checkpointed, and its file copied while
this process holds DuckDB's lock, so that nothing writes during the copy. Without the secret the
pseudonyms of a restored store could not be matched again: both always travel together, with a
manifest of their SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

from impact import privacy
from impact.store import SCHEMA_VERSION, Store, StoreUnusable

STORE_FILE, SECRET_FILE, MANIFEST_FILE = "impact.duckdb", "impact.secret", "sauvegarde.json"


class BackupProblem(Exception):
    """A backup or a restore that cannot be done; `str(exc)` is French and says what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(store: Store, folder: Path) -> dict:
    """Copy the store and its secret into `folder` (new or empty, made private); the manifest."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupProblem(f"{folder} existe déjà et n'est pas un dossier vide : indiquez un nouveau dossier "
                            "(par exemple sauvegardes/2026-12-06).")
    if not store.path.exists():
        raise BackupProblem(f"La base {store.path} n'existe pas : rien à sauvegarder.")
    secret = privacy.secret_path(store.path)
    if privacy.read_secret(secret) is None:
        raise BackupProblem(f"Le secret des pseudonymes ({secret}) est introuvable : une sauvegarde sans lui ne "
                            "permettrait pas de reconnaître les personnes déjà importées. Remettez-le à sa place.")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    with store.connect() as con:
        con.execute("checkpoint")
        shutil.copyfile(store.path, folder / STORE_FILE)
    fd = os.open(folder / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret.read_bytes())
    manifest = {"date": dt.datetime.now().isoformat(timespec="seconds"), "base": str(store.path),
                "version_du_schema": SCHEMA_VERSION,
                "sha256": {STORE_FILE: _sha256(folder / STORE_FILE), SECRET_FILE: _sha256(folder / SECRET_FILE)}}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def restore(folder: Path, store_path: Path, replace: bool = False) -> dict:
    """Put the backup in `folder` in place of the store at `store_path` and its secret. An existing
    store or a different secret is replaced only with `replace`. Returns the manifest."""
    folder, store_path = Path(folder), Path(store_path)
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupProblem(f"{folder} n'est pas une sauvegarde du tableau de bord ({MANIFEST_FILE} manque ou "
                            "est illisible).") from exc
    for name in (STORE_FILE, SECRET_FILE):
        if not (folder / name).is_file() or _sha256(folder / name) != manifest.get("sha256", {}).get(name):
            raise BackupProblem(f"La sauvegarde {folder} est incomplète ou modifiée : {name} manque ou ne "
                                "correspond pas à son empreinte. Utilisez une autre sauvegarde.")
    secret_path = privacy.secret_path(store_path)
    new_secret = (folder / SECRET_FILE).read_bytes()
    if not replace:
        if store_path.exists():
            raise BackupProblem(f"La base {store_path} existe déjà : ajoutez --replace pour la remplacer par la "
                                "sauvegarde (tout ce qui a été importé depuis sera perdu).")
        if secret_path.exists() and secret_path.read_bytes().strip() != new_secret.strip():
            raise BackupProblem(f"Un autre secret des pseudonymes existe déjà ({secret_path}) : ajoutez --replace "
                                "pour le remplacer par celui de la sauvegarde.")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    staged = store_path.with_name(f".{store_path.name}.restauration")
    staged.unlink(missing_ok=True)
    shutil.copyfile(folder / STORE_FILE, staged)
    try:
        with Store(staged).connect() as con:   # checks it is a store of ours, brings its schema up to date
            con.execute("checkpoint")
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    staged.with_name(staged.name + ".wal").unlink(missing_ok=True)
    if store_path.exists():
        try:
            # Ask a running dashboard to let the store go, and hold it while the file is swapped.
            with Store(store_path, wait_seconds=120).connect():
                os.replace(staged, store_path)
        except StoreUnusable:   # a damaged store: nobody can hold it
            os.replace(staged, store_path)
    else:
        os.replace(staged, store_path)
    _write_private(secret_path, new_secret)
    return manifest


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.restauration")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)

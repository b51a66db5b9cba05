"""Hostile command lines: one French line on stderr, the documented status, never a traceback,
and nothing said to be stored that cannot be read back by another process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from impact import cli
from tests.fixtures import ACTIONS

ROOT = Path(__file__).resolve().parent.parent
GOOD = "date;action;montant\n03/04/2023;RAP;10\n"
BAD = "date;action;montant\n03/04/2023;RAP;10\n31/02/2023;RAP;20\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    monkeypatch.delenv("IMPACT_DB", raising=False)
    monkeypatch.delenv("IMPACT_SETTINGS", raising=False)
    (tmp_path / "actions.csv").write_text(ACTIONS)
    (tmp_path / "good.csv").write_text(GOOD)
    (tmp_path / "bad.csv").write_text(BAD)
    return tmp_path


def one_line(capsys, argv: list[str], status: int, said: str) -> str:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == status, (out, err)
    assert "enregistré" not in out and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], err
    return lines[0]


def test_a_csv_file_given_as_the_store_is_refused_and_left_as_it_was(env, capsys):
    target = env / "x.csv"
    target.write_text("a;b\n1;2\n")
    one_line(capsys, ["import", "actions", str(env / "actions.csv"), "--db", str(target)], 2,
             "n'est pas une base du tableau de bord")
    assert target.read_text() == "a;b\n1;2\n"
    one_line(capsys, ["batches", "--db", str(target)], 2, "n'est pas une base DuckDB")


def test_a_truncated_store_is_refused(env, capsys):
    db = env / "impact.duckdb"
    assert cli.main(["import", "actions", str(env / "actions.csv"), "--db", str(db)]) == 0
    capsys.readouterr()
    db.write_bytes(db.read_bytes()[:5000])
    Path(str(db) + ".wal").unlink(missing_ok=True)
    one_line(capsys, ["batches", "--db", str(db)], 2, "abîmé, tronqué ou inaccessible")


def test_another_programs_duckdb_file_is_not_touched(env, capsys):
    other = env / "autre.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table clients (nom varchar)")
    con.close()
    before = other.read_bytes()
    one_line(capsys, ["import", "actions", str(env / "actions.csv"), "--db", str(other)], 2,
             "base DuckDB d'un autre programme (tables : clients)")
    assert other.read_bytes() == before


@pytest.mark.parametrize(("db", "said"), [
    ("FOLDER", "est un dossier, pas une base"),
    ("/proc/x", "ne peut pas être ouverte"),
    ("/proc/x/y/impact.duckdb", "ne peut pas être créé"),
])
def test_a_path_that_cannot_be_a_store(env, capsys, db, said):
    db = str(env) if db == "FOLDER" else db
    one_line(capsys, ["batches", "--db", db], 2, said)


def test_export_out_on_a_folder(env, capsys):
    db = env / "impact.duckdb"
    one_line(capsys, ["export", "actions", "--db", str(db), "--out", str(env)], 2, "est un dossier")
    one_line(capsys, ["export", "actions", "--db", str(db), "--out", str(env / "nope" / "a.csv")], 2,
             "n'existe pas")


def test_a_missing_settings_file(env, capsys):
    one_line(capsys, ["--settings", str(env / "absent.toml"), "batches", "--db", str(env / "i.duckdb")], 2,
             "Fichier de paramètres introuvable")
    (env / "broken.toml").write_text("[cite]\nnom = 'x'\n")
    one_line(capsys, ["--settings", str(env / "broken.toml"), "batches", "--db", str(env / "i.duckdb")], 2,
             "illisible")


def test_rejected_out_is_checked_before_anything_is_stored(env, capsys):
    db = env / "impact.duckdb"
    assert cli.main(["import", "actions", str(env / "actions.csv"), "--db", str(db)]) == 0
    capsys.readouterr()
    one_line(capsys, ["import", "spending", str(env / "bad.csv"), "--db", str(db), "--accept-valid",
                      "--rejected-out", str(env)], 2, "--rejected-out : ")
    assert cli.main(["batches", "--db", str(db)]) == 0
    assert "spending" not in capsys.readouterr().out


def _python(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_")}
    return subprocess.run([sys.executable, "-m", "impact", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**env, **(env_extra or {})}, timeout=120)


def test_what_is_said_stored_is_read_back_by_another_process(env):
    db = env / "base" / "impact.duckdb"
    done = _python("import", "actions", str(env / "actions.csv"), "--db", str(db))
    assert done.returncode == 0 and "enregistré : import n° 1" in done.stdout, done.stderr
    done = _python("import", "spending", str(env / "good.csv"), "--db", str(db))
    assert done.returncode == 0 and "enregistré : import n° 2" in done.stdout, done.stderr
    listed = _python("batches", "--db", str(db))
    assert "n°    1" in listed.stdout and "n°    2" in listed.stdout
    exported = _python("export", "spending", "--db", str(db))
    assert exported.stdout.splitlines()[1].startswith("2023-04-03,2023,RAP,10.00,"), exported.stdout

"""Command line: exit codes, --json, --dry-run, --rejected-out, batches, undo, export, waiting.

Most cases run in-process through impact.cli.main; a few run `python -m impact` for real.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from impact import cli
from tests.fixtures import ACTIONS

ROOT = Path(__file__).resolve().parent.parent
JSON_KEYS = ["kind", "file", "batch", "rows_read", "rows_stored", "duplicates", "replaced", "warnings",
             "rejected"]
GOOD = "date;action;montant;objet\n03/04/2023;RAP;10;car\n04/04/2023;RAP;20;bus\n"
BAD = "date;action;montant;objet\n03/04/2023;RAP;10;car\n31/02/2023;RAP;20;bus\n"
ALL_BAD = "date;action;montant\n31/02/2023;RAP;20\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A database in tmp_path with the actions loaded; files written there by name."""
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    monkeypatch.delenv("IMPACT_DB", raising=False)
    db = tmp_path / "base" / "impact.duckdb"

    def write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(path)

    assert cli.main(["import", "actions", write("actions.csv", ACTIONS), "--db", str(db)]) == 0
    return db, write


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize(("files", "extra", "status"), [
    (["GOOD"], [], 0),
    (["GOOD", "GOOD"], [], 0),                 # the second is all duplicates: still 0
    (["BAD"], [], 1),
    (["BAD"], ["--accept-valid"], 0),
    (["ALL_BAD"], ["--accept-valid"], 1),
    (["MISSING_COLUMN"], [], 1),
    (["BINARY"], [], 1),
    (["EMPTY"], [], 1),
    (["GOOD", "BAD"], [], 1),                  # several files: the worst status
    (["GOOD", "NO_SUCH_FILE"], [], 2),
])
def test_import_exit_codes(env, capsys, files, extra, status):
    db, write = env
    contents = {"GOOD": GOOD, "BAD": BAD, "ALL_BAD": ALL_BAD, "MISSING_COLUMN": "date;montant\n03/04/2023;1\n",
                "BINARY": bytes(range(256)), "EMPTY": b""}
    paths = [write(f"{name.lower()}-{i}.csv", contents[name]) if name in contents else "/nope/absent.csv"
             for i, name in enumerate(files)]
    code, out, err = run(["import", "spending", *paths, "--db", str(db), *extra], capsys)
    assert code == status, (out, err)
    if status == 2:
        assert "introuvable" in err


def test_unknown_kind_is_a_usage_error(env, capsys):
    db, write = env
    code, _, err = run(["import", "factures", write("a.csv", GOOD), "--db", str(db)], capsys)
    assert code == 2 and "Type de fichier inconnu" in err


def test_usage_error_from_argparse_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["import"])
    assert info.value.code == 2
    assert "Erreur d'utilisation" in capsys.readouterr().err


def test_json_one_object_per_file_with_the_exact_keys(env, capsys):
    db, write = env
    paths = [write("good.csv", GOOD), write("bad.csv", BAD), write("nocol.csv", "date;montant\n03/04/2023;1\n")]
    code, out, _ = run(["import", "spending", *paths, "--db", str(db), "--json"], capsys)
    assert code == 1
    objects = json_lines(out)
    assert len(objects) == 3 and all(list(o) == JSON_KEYS for o in objects)
    good, bad, nocol = objects
    assert (good["file"], good["batch"], good["rows_read"], good["rows_stored"]) == ("good.csv", 2, 2, 2)
    assert (bad["batch"], bad["rows_read"], bad["rows_stored"]) == (None, 2, 0)
    assert bad["rejected"] == [{"line": 3, "column": "date", "value": "31/02/2023",
                                "message": bad["rejected"][0]["message"]}]
    assert "impossible" in bad["rejected"][0]["message"]
    assert nocol["batch"] is None and nocol["rejected"][0]["line"] is None
    assert "action" in nocol["rejected"][0]["message"]
    assert len(out.splitlines()) == 3


def test_dry_run_batch_null_and_counts_say_what_would_happen(env, capsys):
    db, write = env
    assert run(["import", "spending", write("g.csv", GOOD), "--db", str(db)], capsys)[0] == 0
    text = GOOD + "05/04/2023;RAP;30;train\n"
    code, out, _ = run(["import", "spending", write("g2.csv", text), "--db", str(db), "--dry-run", "--json"],
                       capsys)
    obj = json_lines(out)[0]
    assert code == 0
    assert (obj["batch"], obj["rows_read"], obj["rows_stored"], obj["duplicates"]) == (None, 3, 1, 2)
    code, out, _ = run(["batches", "--db", str(db)], capsys)
    assert "g2.csv" not in out and "g.csv" in out


def test_rejected_out_writes_french_excel_csv(env, capsys, tmp_path):
    db, write = env
    target = tmp_path / "rejets.csv"
    code, out, _ = run(["import", "spending", write("bad.csv", BAD), "--db", str(db), "--rejected-out",
                        str(target)], capsys)
    assert code == 1 and "rien n'a été enregistré" in out
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    frame = pd.read_csv(io.BytesIO(raw), sep=";", dtype=str, encoding="utf-8-sig")
    assert frame.columns.tolist() == ["ligne d'origine", "date", "action", "montant", "objet", "motif du rejet"]
    assert frame.values.tolist()[0][:5] == ["3", "31/02/2023", "RAP", "20", "bus"]


def test_a_birth_date_is_never_printed(env, capsys):
    db, write = env
    text = "date;action;nom;prénom;date de naissance\n03/04/2023;RAP;Dupont;Léa;31/02/2010\n"
    for extra in ([], ["--json"]):
        code, out, err = run(["import", "attendance", write("p.csv", text), "--db", str(db), *extra], capsys)
        assert code == 1 and "n'existe pas dans ce mois" in out
        assert "31/02/2010" not in out + err and "Dupont" not in out + err


def test_batches_and_undo(env, capsys):
    db, write = env
    run(["import", "spending", write("g.csv", GOOD), "--db", str(db)], capsys)
    code, out, _ = run(["batches", "--db", str(db)], capsys)
    assert code == 0 and "g.csv" in out and "actions.csv" in out and "actif" in out
    assert run(["undo", "2", "--db", str(db)], capsys)[:2] == (
        0, "Import n° 2 (g.csv) annulé : 2 lignes retirées.\n")
    code, _, err = run(["undo", "2", "--db", str(db)], capsys)
    assert code == 1 and "déjà annulé" in err
    code, _, err = run(["undo", "99", "--db", str(db)], capsys)
    assert code == 1 and "Aucun import" in err
    run(["import", "spending", write("g.csv", GOOD), "--db", str(db)], capsys)
    code, _, err = run(["undo", "1", "--db", str(db)], capsys)
    assert code == 1 and "RAP" in err


def test_export_to_file_and_stdout(env, capsys, tmp_path):
    db, write = env
    out_file = tmp_path / "actions-export.csv"
    code, out, err = run(["export", "actions", "--db", str(db), "--out", str(out_file)], capsys)
    assert code == 0 and "4 lignes écrites" in err
    code, out, _ = run(["export", "actions", "--db", str(db)], capsys)
    assert out == out_file.read_text(encoding="utf-8")
    assert out.startswith("code,intitule,porteur,axe,public_cible,annee_debut,annee_fin\n")


def test_secret_is_created_mode_600_and_never_printed(env, capsys):
    db, write = env
    secret = db.with_name("impact.secret")
    assert secret.exists() and (secret.stat().st_mode & 0o777) == 0o600
    value = secret.read_text().strip()
    names = write("p.csv", "date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n")
    code, out, err = run(["import", "attendance", names, "--db", str(db)], capsys)
    assert code == 0
    code2, out2, err2 = run(["export", "attendance", "--db", str(db)], capsys)
    for text in (out, err, out2, err2):
        assert value not in text


# --- the real command ----------------------------------------------------------------------

def _python_m(args: list[str], env_extra: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env_extra or {})}
    environment.pop("IMPACT_SECRET", None)
    return subprocess.run([sys.executable, "-m", "impact", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=environment)


def test_subprocess_import_json_export_and_usage(tmp_path):
    db = tmp_path / "impact.duckdb"
    (tmp_path / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD, encoding="utf-8")
    done = _python_m(["import", "actions", str(tmp_path / "actions.csv"), "--json"], {"IMPACT_DB": str(db)})
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)) == JSON_KEYS
    done = _python_m(["import", "spending", str(tmp_path / "bad.csv"), "--db", str(db)])
    assert done.returncode == 1 and "ligne 3" in done.stdout and "Traceback" not in done.stderr
    done = _python_m(["import", "spending", str(tmp_path / "absent.csv"), "--db", str(db)])
    assert done.returncode == 2
    done = _python_m(["export", "actions", "--db", str(db)])
    assert done.returncode == 0 and done.stdout.count("\n") == 5


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_import_waits_while_another_process_holds_the_database(tmp_path):
    db = tmp_path / "impact.duckdb"
    (tmp_path / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    assert _python_m(["import", "actions", str(tmp_path / "actions.csv"), "--db", str(db)]).returncode == 0
    (tmp_path / "g.csv").write_text(GOOD, encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        done = _python_m(["import", "spending", str(tmp_path / "g.csv"), "--db", str(db)])
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    assert "utilisée par un autre processus" in done.stderr
    assert "enregistré : import n° 2" in done.stdout
    assert waited > 1


def test_json_warnings_and_rejected_out_for_several_files(env, capsys, tmp_path):
    db, write = env
    first = write("m1.csv", "date;action;montant;pièce\n03/04/2023;RAP;10;M-1\n")
    second = write("m2.csv", "date;action;montant;pièce\n03/04/2023;RAP;12;M-1\n")
    bad = write("bad.csv", BAD)
    target = tmp_path / "rejets.csv"
    code, out, _ = run(["import", "spending", first, second, bad, "--db", str(db), "--json",
                        "--rejected-out", str(target)], capsys)
    assert code == 1
    one, two, three = json_lines(out)
    assert one["warnings"] == [] and two["batch"] == 3
    assert [(w["line"], w["column"], w["value"]) for w in two["warnings"]] == [(2, "piece", "M-1")]
    assert three["batch"] is None
    assert sorted(p.name for p in tmp_path.glob("rejets*.csv")) == ["rejets-3.csv"]

"""Kill -9 during imports of named attendance rows, then look for the names in every file.

    .venv/bin/python bench/kill_import.py                 # 20 kills on a 300 000-row import
    .venv/bin/python bench/kill_import.py --rows 50000 --kills 5

Writes an attendance file as Excel on Windows saves it (Windows-1252, `;`, CRLF) whose names,
first names and birth dates are easy to search for, imports the référentiel, then starts
`python -m impact import attendance FILE` again and again with its own temporary folder (TMPDIR)
and kills it (SIGKILL) at a random moment of the import. After each kill, every file under that
temporary folder and beside the store is searched for the names and birth dates, in UTF-8,
Windows-1252 and UTF-16, as written, in lower and in upper case. Prints n/kills clean.
The test suite runs the small version (tests/test_privacy_store.py).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Words no other file holds: each name and first name starts with one of them.
LAST_MARK, FIRST_MARK = "Kerbrazélieu", "Zéphyrinoë"
BIRTHS = ["14/03/2013", "02/11/2009", "29/07/2011", "05/01/2012"]
ACTIONS = "code;intitulé;porteur\nRAP;Parcours rap;Association Hip-Hop Borny\nFOOT;Futsal;Borny Sports\n"


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """(référentiel, attendance file of `rows` named rows) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    actions = folder / "actions.csv"
    actions.write_text(ACTIONS, encoding="utf-8")
    attendance = folder / "presences.csv"
    rng = random.Random(7)
    lines = ["Date;Action;Nom;Prénom;Date de naissance;Sexe"]
    for i in range(rows):
        day = f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2022 + i % 3}"
        person = rng.randrange(max(rows // 10, 1))
        lines.append(f"{day};{'RAP' if i % 2 else 'FOOT'};{LAST_MARK}{person};{FIRST_MARK}{person % 97};"
                     f"{BIRTHS[person % len(BIRTHS)]};{'F' if person % 2 else 'M'}")
    attendance.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return actions, attendance


def needles() -> list[bytes]:
    iso = ["-".join(reversed(b.split("/"))) for b in BIRTHS]
    words = [LAST_MARK, FIRST_MARK, *BIRTHS, *iso]
    found = set()
    for word in words:
        for variant in (word, word.lower(), word.upper()):
            for encoding in ("utf-8", "cp1252", "utf-16-le"):
                found.add(variant.encode(encoding))
    return sorted(found)


def leaks(folders: list[Path], searched: list[bytes]) -> list[str]:
    """The files under `folders` that hold one of `searched` (as `path: needle`)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            for needle in searched:
                if needle in content:
                    found.append(f"{path}: {needle!r}")
                    break
    return found


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPACT_")}
    return {**env, "TMPDIR": str(tmp)}


def kill_runs(work: Path, rows: int, kills: int, seed: int = 1) -> list[list[str]]:
    """One list of leaks per kill (an empty list: clean)."""
    data, tmp, base = work / "input", work / "tmp", work / "base"
    tmp.mkdir(parents=True, exist_ok=True)
    actions, attendance = write_files(data, rows)
    db = base / "impact.duckdb"
    python = [sys.executable, "-m", "impact"]
    subprocess.run([*python, "import", "actions", str(actions), "--db", str(db)], cwd=ROOT, env=_env(tmp),
                   check=True, capture_output=True, timeout=300)
    # How long a whole import takes here: the kills fall anywhere in it.
    start = time.monotonic()
    subprocess.run([*python, "import", "attendance", str(attendance), "--db", str(db), "--dry-run"], cwd=ROOT,
                   env=_env(tmp), check=True, capture_output=True, timeout=600)
    duration = time.monotonic() - start
    rng = random.Random(seed)
    searched = needles()
    results = []
    for _ in range(kills):
        proc = subprocess.Popen([*python, "import", "attendance", str(attendance), "--db", str(db)], cwd=ROOT,
                                env=_env(tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        results.append(leaks([tmp, base], searched))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--work", default=str(ROOT / "bench" / "output" / "kill-import"))
    args = parser.parse_args()
    import shutil

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    results = kill_runs(work, args.rows, args.kills)
    for i, found in enumerate(results, 1):
        print(f"kill {i:>2}: {'propre' if not found else 'NOMS TROUVÉS : ' + '; '.join(found[:3])}")
    clean = sum(1 for found in results if not found)
    print(f"{clean}/{len(results)} clean ({args.rows} rows per import)")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if clean == len(results) else 1)


if __name__ == "__main__":
    main()

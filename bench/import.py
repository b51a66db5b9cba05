"""Import benchmark: a large attendance file in Excel's French format, through the command line.

    .venv/bin/python bench/import.py               # 1 000 000 rows
    .venv/bin/python bench/import.py --rows 10000000

Writes a file as Excel on Windows saves it (Windows-1252, `;`, CRLF, day-first dates, names,
first names and birth dates), then times, in the same run:
- the full import: `python -m impact import attendance FILE --db ...` in a fresh database
  that already holds the référentiel (wall time and the child's peak memory);
- the floor: DuckDB's own typed read_csv of the same rows (UTF-8 copy) into a table;
both three times, alternately (once at 10M rows), compared by their medians.
Prints a table beside the targets (1M: ≤ 5 s, ≤ 1 GB, ≤ 10× the floor; 10M: ≤ 2 GB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from impact.settings import load_settings  # noqa: E402

OUT = ROOT / "bench" / "output"
N_ACTIONS = 200
FIRST_NAMES = ["Inès", "Léo", "Chloé", "Noé", "Maëlys", "Rayan", "Zoé", "Adèle", "Loïc", "Héloïse",
               "Yanis", "Océane", "Jérémy", "Anaïs", "Mathéo", "Lina", "Aïcha", "Kévin", "Sofiane", "Éva"]
LAST_NAMES = ["Da Silva", "O’Brien", "Lefèvre", "Benali", "Müller", "N’Diaye", "Dupré", "Kowalski",
              "Gérard", "Ben Saïd", "Œuvray", "Martin", "Nguyen", "Rossi", "Haddad", "François",
              "L’Hôte", "Schmitt", "Traoré", "Bœuf"]

ROWS_SQL = """
copy (
    with people as (
        select i as pid,
            $last[1 + (hash(i, 'n') % 20)::bigint] || case when i >= 400 then ' ' || (i // 400) else '' end
                as nom,
            $first[1 + (hash(i, 'p') % 20)::bigint] as prenom,
            $first_day - 365 * 3 - (hash(i, 'b') % (365 * 25))::int as naissance,
            nullif(['F', 'M', 'Fille', 'Garçon', ''][1 + (hash(i, 's') % 5)::bigint], '') as sexe,
            nullif(['oui', 'non', 'x', ''][1 + (hash(i, 'q') % 4)::bigint], '') as qpv
        from range($n_people) t(i)
    )
    select strftime($first_day + (hash(i, 1) % $n_days)::int, '%d/%m/%Y') as "Date",
        'Action ' || (1 + hash(i, 2) % $n_actions) || ' – atelier' as "Action",
        p.nom as "Nom", p.prenom as "Prénom",
        strftime(p.naissance, '%d/%m/%Y') as "Date de naissance",
        p.sexe as "Sexe", p.qpv as "QPV"
    from range($rows) t(i) join people p on p.pid = hash(i, 3) % $n_people
) to '{path}' (header, delimiter ';', quote '"')
"""

FLOOR_SQL = """
create table floor as
select * from read_csv($path, delim = ';', header = true, dateformat = '%d/%m/%Y',
    columns = {'Date': 'date', 'Action': 'varchar', 'Nom': 'varchar', 'Prénom': 'varchar',
               'Date de naissance': 'date', 'Sexe': 'varchar', 'QPV': 'varchar'})
"""


def write_files(rows: int, folder: Path) -> tuple[Path, Path, Path]:
    """(actions file, attendance in UTF-8 for the floor, the same attendance in Windows-1252)."""
    settings = load_settings()
    # Sessions stay inside the convention and before today: the importer refuses future dates.
    last_day = min(settings.end, dt.date.today())
    folder.mkdir(parents=True, exist_ok=True)
    actions = folder / "actions.csv"
    with open(actions, "w", encoding="utf-8", newline="") as fh:
        fh.write("code;intitulé;porteur;axe\n")
        for i in range(1, N_ACTIONS + 1):
            fh.write(f"A{i:03d};Action {i} – atelier;Structure {1 + i % 25};Culture\n")
    utf8 = folder / f"presences_{rows}_utf8.csv"
    cp1252 = folder / f"presences_{rows}_excel.csv"
    con = duckdb.connect()
    con.execute(ROWS_SQL.replace("{path}", str(utf8)), {
        "last": LAST_NAMES, "first": FIRST_NAMES, "first_day": settings.start,
        "n_days": (last_day - settings.start).days + 1, "n_actions": N_ACTIONS,
        "n_people": max(1000, rows // 20), "rows": rows,
    })
    con.close()
    # Excel writes Windows-1252 with CRLF line ends.
    with open(utf8, encoding="utf-8", newline="") as src, open(cp1252, "wb") as dst:
        while chunk := src.read(1 << 24):
            dst.write(chunk.replace("\n", "\r\n").encode("cp1252"))
    return actions, utf8, cp1252


TIME = "/usr/bin/time"


def cli(*args: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak memory in MB, result) of `python -m impact ARGS`.

    The peak comes from /usr/bin/time (%M) when it is installed: a child's ru_maxrss read here
    would include this process's own peak (Linux keeps it across fork and exec)."""
    command = [sys.executable, "-m", "impact", *args]
    if os.access(TIME, os.X_OK):
        command = [TIME, "-f", "MAXRSS_KB=%M", *command]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    marks = [line for line in done.stderr.splitlines() if line.startswith("MAXRSS_KB=")]
    if marks:
        peak = int(marks[-1].split("=")[1]) / 1024
    else:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # an upper bound
    return seconds, peak, done


def floor_seconds(utf8: Path) -> float:
    con = duckdb.connect()
    try:
        t0 = time.perf_counter()
        con.execute(FLOOR_SQL, {"path": str(utf8)})
        return time.perf_counter() - t0
    finally:
        con.close()


def fr(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="garder les fichiers générés")
    parser.add_argument("--repeat", type=int, default=None,
                        help="nombre de mesures de l'import et du plancher (médiane ; par défaut 3, 1 à 10 M lignes)")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.rows <= 1_000_000 else 1
    folder = OUT / "import"
    t0 = time.perf_counter()
    actions, utf8, cp1252 = write_files(args.rows, folder)
    print(f"# Import de {args.rows:,} présences".replace(",", " "))
    print(f"fichier : {cp1252} ({cp1252.stat().st_size / 1e6:.0f} Mo, Windows-1252, « ; », "
          f"généré en {fr(time.perf_counter() - t0, 1)} s)")

    db = folder / "import_bench.duckdb"
    # Alternate the import and the floor, `--repeat` times each, and compare medians: on a shared
    # 2-core machine a single run of either varies by a third.
    runs, floors = [], []
    for _ in range(args.repeat):
        for p in (db, db.with_name(db.name + ".wal"), db.with_suffix(".secret")):
            p.unlink(missing_ok=True)
        _, _, ref = cli("import", "actions", str(actions), "--db", str(db))
        if ref.returncode != 0:
            sys.exit(f"import du référentiel impossible :\n{ref.stdout}\n{ref.stderr}")
        runs.append(cli("import", "attendance", str(cp1252), "--db", str(db), "--json"))
        floors.append(floor_seconds(utf8))
    times = sorted(r[0] for r in runs)
    seconds, floor = statistics.median(times), statistics.median(floors)
    peak_mb = max(r[1] for r in runs)
    done = runs[-1][2]
    if args.repeat > 1:
        print(f"imports : {' ; '.join(fr(t) for t in times)} s — planchers : "
              f"{' ; '.join(fr(f) for f in sorted(floors))} s (médianes ci-dessous)")

    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {}
    stored = result.get("rows_stored", "?")
    rejected = len(result.get("rejected") or [])
    print(f"statut de sortie : {done.returncode} ; lignes lues : {result.get('rows_read', '?')} ; "
          f"enregistrées : {stored} ; doublons : {result.get('duplicates', '?')} ; rejets : {rejected}")
    if done.returncode != 0:
        print((done.stderr or done.stdout).strip()[-1500:])

    big = args.rows > 1_000_000
    max_mb = 2048 if big else 1024
    print(f"\n{'mesure':<40} {'valeur':>10} {'cible':>14} {'atteinte':>9}")
    rows = [("import complet (s)", fr(seconds), "—" if big else "≤ 5", big or seconds <= 5),
            ("mémoire de pointe de l'import (Mo)", f"{peak_mb:.0f}", f"≤ {max_mb}", peak_mb <= max_mb),
            ("plancher DuckDB read_csv typé (s)", fr(floor), "", True),
            ("rapport import / plancher", fr(seconds / floor, 1) + "×", "—" if big else "≤ 10×",
             big or seconds / floor <= 10)]
    for label, value, target, met in rows:
        verdict = ("oui" if met else "NON") if target not in ("", "—") else ""
        print(f"{label:<40} {value:>10} {target:>14} {verdict:>9}")
    print(f"débit : {args.rows / seconds:,.0f} lignes/s".replace(",", " "))
    if not args.keep:
        for p in (utf8, cp1252, db, db.with_name(db.name + ".wal"), db.with_suffix(".secret")):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

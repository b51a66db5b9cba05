"""Report benchmark: how long the revue de projet of one year of the demonstration data takes.

    .venv/bin/python bench/report.py [--year 2023] [--repeat 3]

Loads the demonstration data into a temporary database, then times, as a user runs it,
`python -m impact report --year YEAR --out rapport.pdf` (interpreter, imports, figures, charts drawn by
Chromium, layout by WeasyPrint), the same for the Word document, and the parts of one PDF in this
process. Target: under 15 s for the PDF on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 15


def _command(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "impact", *args], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"python -m impact {' '.join(args)} a échoué :\n{done.stderr}")
    return elapsed


def _parts(db: Path, year: int) -> dict[str, float]:
    import datetime as dt

    from impact import report, report_charts, report_pdf
    from impact.settings import load_settings
    from impact.store import Store

    settings, today = load_settings(), dt.date.today()
    times = {}
    started = time.perf_counter()
    with Store(db).connect() as con:
        gathered = report.gather(con, report.year_filters(settings, year, today), settings, today)
    times["chiffres (requêtes des pages)"] = time.perf_counter() - started
    started = time.perf_counter()
    content = report.build(gathered, settings)
    times["mise en forme, règle des petits effectifs"] = time.perf_counter() - started
    started = time.perf_counter()
    charts = [t for t in content.tables if t.chart]
    images = report_charts.render([t.chart for t in charts], "svg")
    times[f"graphiques ({len(charts)}, Chromium)"] = time.perf_counter() - started
    started = time.perf_counter()
    import weasyprint

    html = report_pdf.to_html(content, {t.key: i for t, i in zip(charts, images, strict=True)})
    weasyprint.HTML(string=html).write_pdf(pdf_variant=report_pdf.PDF_VARIANT)
    times["mise en page PDF (WeasyPrint)"] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        _command(["demo", "--db", str(db)])
        pdf = [_command(["report", "--year", str(args.year), "--out", f"{tmp}/r.pdf", "--db", str(db)])
               for _ in range(args.repeat)]
        word = [_command(["report", "--year", str(args.year), "--out", f"{tmp}/r.docx", "--db", str(db)])
                for _ in range(args.repeat)]
        parts = _parts(db, args.year)
        pages = len(__import__("pypdf").PdfReader(f"{tmp}/r.pdf").pages)
    median = statistics.median(pdf)
    print(f"Revue de projet {args.year}, données de démonstration ({pages} pages), médiane de {args.repeat} :")
    print(f"  python -m impact report --out rapport.pdf   {median:6.1f} s  (cible < {TARGET_SECONDS} s : "
          f"{'atteinte' if median < TARGET_SECONDS else 'MANQUÉE'})")
    print(f"  python -m impact report --out rapport.docx  {statistics.median(word):6.1f} s")
    print("  dans un processus déjà lancé :")
    for name, seconds in parts.items():
        print(f"    {name:<45} {seconds:6.2f} s")


if __name__ == "__main__":
    main()

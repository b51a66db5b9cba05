"""Browser benchmark: what a committee member waits for when opening a shared link, at national scale.

    .venv/bin/python bench/browser.py [--db bench/output/national.duckdb]

Starts the dashboard on the national store twice, on a free port:
- cold: the background warm-up turned off (IMPACT_WARM_CACHE=0), nothing computed yet;
- warmed: as `make run` does, the default views computed in the background after the start
  (the benchmark waits for them before opening pages).
Each page is opened by its address in a headless Chromium (a full load, as a shared link does)
and timed until its title is drawn and until the script has finished and every element is
drawn. The first line (Méthodologie, which reads no data) is the cost of loading the
application itself in the browser; the others include it. Prints a table; times no test.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PAGES = ["methodologie", "", "participation", "publics", "fiche-action", "budget", "fonds-etat"]
SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid=stSkeleton], [data-testid=stSkeletonElement]');
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def serve(db: Path, warm: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "IMPACT_DB": str(db), "IMPACT_WARM_CACHE": "1" if warm else "0"}
    proc = subprocess.Popen([python(), "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    sys.exit("le tableau de bord n'a pas démarré")


def open_pages(url: str, before: float = 0.0) -> list[tuple[str, float, float]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        if before:
            # the first visit starts the warm-up: let it finish before timing
            page.goto(url)
            page.wait_for_function(SETTLED)
            time.sleep(before)
        for path in PAGES:
            t0 = time.perf_counter()
            page.goto(f"{url}/{path}")
            page.locator("[data-testid=stMain] h1").first.wait_for()
            title = time.perf_counter() - t0
            page.wait_for_function(SETTLED)
            done = time.perf_counter() - t0
            page.wait_for_timeout(250)   # a late element may replace its placeholder
            page.wait_for_function(SETTLED)
            rows.append((path or "(vue d'ensemble)", title, done))
        browser.close()
    return rows


def fr(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "output" / "national.duckdb")
    parser.add_argument("--settle", type=float, default=20.0,
                        help="secondes laissées au calcul en arrière-plan avant la mesure « préparée »")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} manque : lancez d'abord bench/make_national.py --db {args.db}")
    results = {}
    for label, warm in (("à froid", False), ("préparé", True)):
        proc, url = serve(args.db, warm)
        try:
            results[label] = open_pages(url, before=args.settle if warm else 0.0)
        finally:
            proc.terminate()
            proc.wait()
    print(f"# Pages ouvertes par leur adresse dans Chromium — {args.db}")
    print("(secondes depuis la demande de la page ; chaque ouverture recharge l'application, "
          "Méthodologie donne ce coût seul)")
    print(f"{'page':<18} {'froid : titre':>14} {'froid : complète':>17} {'préparé : titre':>16} "
          f"{'préparé : complète':>19}")
    for (path, t1, d1), (_, t2, d2) in zip(results["à froid"], results["préparé"], strict=True):
        print(f"{path:<18} {fr(t1):>14} {fr(d1):>17} {fr(t2):>16} {fr(d2):>19}")


if __name__ == "__main__":
    main()

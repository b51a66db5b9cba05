"""Start-up benchmark: `make run` from a fresh clone to the first page drawn in a browser.

    .venv/bin/python bench/startup.py [--reuse-venv]

Clones the repository (committed files only) into a temporary folder, runs `make run` there on
a free port with its own database, and measures, from the moment `make run` starts:
- the time until /_stcore/health answers (virtual environment, packages, demonstration data,
  server start);
- the time until the overview's script has finished and its Plotly charts are drawn in a
  headless Chromium.
Then each page's AppTest run time on the same database. `--reuse-venv` links this checkout's
.venv into the clone (no package download: what a second `make run` costs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCRIPT_DONE = "[data-testid=stApp][data-test-script-state=notRunning]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def first_page(url: str) -> bool:
    """Open the overview; return when its script has finished and a Plotly chart is drawn
    (False when the page finished without drawing any chart within 30 s)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator("[data-testid=stMain] h1").or_(page.locator("[data-testid=stException]")) \
                .first.wait_for()
            page.wait_for_selector(SCRIPT_DONE)
            if page.locator("[data-testid=stException]").count():
                raise RuntimeError("the overview shows an exception")
            try:
                page.wait_for_function(
                    "() => document.querySelector('[data-testid=stPlotlyChart] svg.main-svg') !== null",
                    timeout=30_000)
            except PlaywrightTimeout:
                return False
            return True
        finally:
            browser.close()


def fr(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-venv", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="impact-startup-"))
    clone, db = work / "clone", work / "impact.duckdb"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    if args.reuse_venv:
        (clone / ".venv").symlink_to(ROOT / ".venv")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = work / "make-run.log"
    env = {**os.environ, "IMPACT_DB": str(db)}

    results: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        # Its own process group: `make` starts streamlit as a child, and both are stopped at the end.
        proc = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_health(url, proc, args.timeout):
            print(log.read_text(errors="replace")[-3000:])
            sys.exit("le serveur n'a pas répondu")
        results.append(("make run → /_stcore/health", fr(time.perf_counter() - t0)))
        drawn = first_page(url)
        note = "" if drawn else " (aucun graphique dessiné)"
        results.append(("make run → vue d'ensemble dessinée (Chromium)" + note,
                        fr(time.perf_counter() - t0)))
        t1 = time.perf_counter()
        first_page(url)
        results.append(("second affichage de la vue d'ensemble", fr(time.perf_counter() - t1)))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    print("# Démarrage" + (" (environnement Python réutilisé)" if args.reuse_venv else " (clone neuf)"))
    print(f"{'étape':<50} {'durée (s)':>10}")
    for label, value in results:
        print(f"{label:<50} {value:>10}")

    # The clone's own pages (the committed code that `make run` served), on the same database.
    job = json.dumps({"db": str(db), "settings": None})
    done = subprocess.run([sys.executable, str(clone / "bench" / "pages.py"), "--worker", "apptest", job],
                          cwd=clone, env=env, capture_output=True, text=True)
    print("\n# Pages dans AppTest (cible ≤ 1,5 s)")
    if done.returncode != 0:
        print((done.stderr.strip().splitlines() or ["?"])[-1])
    else:
        report = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{'page':<34} {'à froid':>8} {'à chaud':>8} {'cible':>6}")
        for r in report["rows"]:
            if r.get("action"):   # a click, not the opening of a page
                continue
            met = r["cold"] <= 1.5 and not r["error"]
            print(f"{r['page']:<34} {fr(r['cold'], 3):>8} {fr(r['warm'], 3):>8} {'oui' if met else 'NON':>6}"
                  + (f"  {r['error']}" if r["error"] else ""))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

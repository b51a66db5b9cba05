"""Browser benchmark: what a reader waits for after clicking another page, on the demonstration store.

    .venv/bin/python bench/browser.py [--db STORE] [--rounds 5] [--checkout DIR ...]

Starts the dashboard (one server per checkout, each on its own copy of the store), opens the
overview in a headless Chromium, then switches page by page through the sidebar menu, as a
reader does; each round reopens the link in the same browser profile (a reader who comes back:
the app's code is in the browser's caches after an untimed first visit). For each switch it
records, from the click, when the page's title is drawn, when its key figures are drawn, when its
first chart is drawn (Plotly has put traces in its SVG) and when every chart of the page is drawn
(the script has finished and each chart has its traces). The first switch after opening the link
costs Streamlit's own start in the browser whatever the page: it is timed apart, on Méthodologie.
Goal: title, key figures and first chart within 1 s, every chart within 2 s.

`--checkout` measures other checkouts of the project in the same run (for instance the main
branch beside a working branch: `--checkout /work/main --checkout .`); their rounds alternate, so
that a busy machine weighs on both alike. Prints medians (and the worst round); times no test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# (url path, title in the menu and the page's h1): the order of a reader's visit
PAGES = [
    ("participation", "Participation"),
    ("publics", "Publics et âges"),
    ("fiche-action", "Fiche action"),
    ("budget", "Budget"),
    ("fonds-etat", "Utilisation des fonds de l'État"),
    ("", "Vue d'ensemble"),
]
FIRST_SWITCH = ("methodologie", "Méthodologie")
MARKS = ("titre", "chiffres clés", "1er graphique", "tous les graphiques")

# Runs in the page: from the click, one check per animation frame, the first time each mark holds.
# Elements of the previous page that are still shown while the new one runs are marked stale.
WATCH = """(title) => new Promise(resolve => {
    const t0 = performance.now();
    const marks = {};
    const fresh = sel => [...document.querySelectorAll(sel)]
        .filter(el => !el.closest('[data-stale=true]'));
    const same = s => s.replace(/\u2019/g, "'").replace(/\\s+/g, ' ').trim();
    const tick = () => {
        const now = performance.now() - t0;
        const h1 = fresh('[data-testid=stMain] h1')[0];
        const titled = h1 && same(h1.innerText).startsWith(same(title));
        const app = document.querySelector('[data-testid=stApp]');
        const done = titled && app && app.dataset.testScriptState === 'notRunning';
        const charts = fresh('[data-testid=stMain] [data-testid=stPlotlyChart]');
        const drawn = charts.filter(el => el.querySelector('svg.main-svg .trace'));
        if (titled && marks.titre === undefined) marks.titre = now;
        if (titled && marks['chiffres clés'] === undefined
                && (fresh('[data-testid=stMain] [data-testid=stMetric]').length || done)) marks['chiffres clés'] = now;
        if (titled && marks['1er graphique'] === undefined && (drawn.length || (done && !charts.length)))
            marks['1er graphique'] = now;
        if (done && drawn.length === charts.length) {
            marks['tous les graphiques'] = now;
            resolve(marks);
            return;
        }
        if (now > 60000) { resolve(marks); return; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python(checkout: Path) -> str:
    venv = checkout / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def demo_store(folder: Path) -> Path:
    db = folder / "demo.duckdb"
    done = subprocess.run([python(ROOT), "-m", "impact", "demo", "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"la base de démonstration n'a pas pu être créée :\n{done.stderr}")
    return db


def serve(checkout: Path, db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "IMPACT_DB": str(db)}
    env.pop("IMPACT_COORDINATOR_PASSWORD", None)
    proc = subprocess.Popen([python(checkout), "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    sys.exit(f"le tableau de bord de {checkout} n'a pas démarré")


def one_round(context, url: str) -> dict[str, dict[str, float]]:
    """Open the overview, then switch through PAGES by the menu: {page: {mark: seconds}}."""
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.evaluate(f"({WATCH})('Vue d\\'ensemble')")
    page.wait_for_timeout(1000)   # the first switch does not wait for the end of the page's loading
    out = {}
    # The first switch after opening a link costs Streamlit's own start in the browser, whatever
    # the page: it is timed apart, on Méthodologie (no chart, no query).
    for path, title in [FIRST_SWITCH, *PAGES]:
        link = page.locator(f"[data-testid=stSidebarNav] a[href$='/{path}']").first
        # armed before the click (t0 is the click), read after it
        page.evaluate("title => { window.__marks = (" + WATCH + ")(title); }", title)
        link.click()
        marks = page.evaluate("() => window.__marks")
        name = "1er changement" if (path, title) == FIRST_SWITCH else path or "(vue d'ensemble)"
        out[name] = {k: v / 1000 for k, v in marks.items()}
    page.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="une base à mesurer (par défaut : la démonstration)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checkout", type=Path, action="append",
                        help="dossier d'une copie du projet à mesurer (plusieurs possibles ; par défaut celle-ci)")
    args = parser.parse_args()
    checkouts = [c.resolve() for c in (args.checkout or [ROOT])]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        folder = Path(tmp)
        source = args.db or demo_store(folder)
        servers = []
        try:
            for i, checkout in enumerate(checkouts):
                db = folder / f"store-{i}.duckdb"   # a server holds its store: one copy each
                shutil.copy(source, db)
                shutil.copy(source.with_suffix(".secret"), db.with_suffix(".secret"))
                servers.append(serve(checkout, db))
            results: list[dict[str, dict[str, list[float]]]] = [{} for _ in checkouts]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                # One browser profile per server, as a reader who comes back: the first visit (not
                # timed) leaves the app's code in the browser's caches, each round reopens the link.
                contexts = [browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
                            for _ in servers]
                for context, (_, url) in zip(contexts, servers, strict=True):
                    one_round(context, url)
                for _ in range(args.rounds):
                    for i, (_, url) in enumerate(servers):
                        for page, marks in one_round(contexts[i], url).items():
                            for mark, seconds in marks.items():
                                results[i].setdefault(page, {}).setdefault(mark, []).append(seconds)
                browser.close()
        finally:
            for proc, _ in servers:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
    print(f"# Changement de page dans Chromium (1440 px), {args.rounds} tours — {args.db or 'démonstration'}")
    print("(secondes depuis le clic dans le menu : médiane, et le pire tour entre parenthèses ; "
          "objectif : titre, chiffres clés et 1er graphique en 1 s, tous les graphiques en 2 s)")
    for checkout, result in zip(checkouts, results, strict=True):
        print(f"\n## {checkout}")
        print(f"{'page':<18}" + "".join(f"{m:>22}" for m in MARKS))
        for page, marks in result.items():
            cells = [f"{fr(statistics.median(marks[m]))} ({fr(max(marks[m]))})" if m in marks else "—"
                     for m in MARKS]
            print(f"{page:<18}" + "".join(f"{c:>22}" for c in cells))


def fr(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


if __name__ == "__main__":
    main()

"""Page timings on the national store and on the demonstration store, beside pandas.

    .venv/bin/python bench/pages.py [--national bench/output/national.duckdb] [--demo PATH]

For each store, in fresh processes:
- every core function the pages compute (public functions of impact.overview,
  impact.participation, impact.budget and impact.reference whose first parameter is `con`,
  found at run time), through the dashboard's store (which keeps the database open): on a
  database just opened (DuckDB's cache of blocks empty: the first page after a start, or after an
  import by the command line), then once more on the open database (blocks cached, no result
  cached: every query runs again, as for a new filter on a running server); three rounds, medians;
- the page functions that count people under a few selections (the whole period, one year, the
  focus band, one year and the focus band, two years, a period that cuts a year), on the open
  database, the median of three runs: the stored pairs serve all but the last;
- every page's AppTest run in a warm process (libraries imported), cold (empty Streamlit
  caches) and warm (second run);
- the pandas alternative on the same rows: read the canonical exports, group by;
and each process's peak memory. Prints tables beside the targets; times no test.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib
import inspect
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "output"
CORE_MODULES = ("reference", "overview", "participation", "budget")
TARGET_QUERY, TARGET_APPTEST, TARGET_RSS_MB, TARGET_PANDAS_RATIO = 0.5, 1.5, 1024, 5.0
ROUNDS = 3   # query times: the median of three runs (the machine's own noise is ±30 %)
_COMPUTE = re.compile(r"compute\(\s*(\w+)\.(\w+)")


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives fork and
    exec, so a worker would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_titles() -> dict[str, str]:
    """{page file: title} from the st.Page(...) calls of dashboard.py."""
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    titles = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            title = next((k.value.value for k in node.keywords if k.arg == "title"), "")
            titles[node.args[0].value] = title
    return titles


def pages_using() -> dict[tuple[str, str], list[str]]:
    """{(module, function): [page files whose script computes it]}; dashboard.py = every page."""
    used: dict[tuple[str, str], list[str]] = {}
    for path in [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py"))]:
        name = "toutes les pages" if path.name == "dashboard.py" else path.stem
        text = path.read_text(encoding="utf-8")
        aliases = {}  # `from impact import participation as p` -> {"p": "participation"}
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module == "impact":
                aliases.update({a.asname or a.name: a.name for a in node.names})
        for module, fn in _COMPUTE.findall(text):
            used.setdefault((aliases.get(module, module), fn), []).append(name)
    return used


def core_functions() -> list[tuple[str, str, object]]:
    """(module, name, function) for every public function whose first parameter is `con`."""
    found = []
    for short in CORE_MODULES:
        try:
            module = importlib.import_module(f"impact.{short}")
        except ModuleNotFoundError:
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "con":
                found.append((short, name, fn))
    return found


def arguments_for(fn, con, settings) -> tuple[list, str | None]:
    """Positional arguments for fn after `con`, from parameter names and annotations."""
    from impact.filters import Filters

    filters = Filters.for_period(settings.start, settings.end)
    first_action = con.execute("select min(code) from actions").fetchall()[0][0]
    args = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        hint = f"{p.name} {p.annotation}".lower()
        if "settings" in hint:
            args.append(settings)
        elif "filters" in hint:
            args.append(filters)
        elif p.name in ("action", "code", "action_code"):
            args.append(first_action)
        elif p.name in ("year", "annee", "exercice"):
            args.append(settings.years[-1])
        elif p.name in ("today", "as_of"):
            args.append(dt.date.today())
        elif p.name in ("exact", "exact_counts"):
            args.append(False)
        else:
            return [], p.name
    return args, None


# --- workers: each runs in its own process so that "cold" means cold ------------------------

def worker_queries(db: Path) -> dict:
    from impact.settings import load_settings
    from impact.store import Store

    settings, rows = load_settings(), []
    store = Store(db, keep_open=True)   # as the dashboard's (impact.ui.get_store)
    with store.connect() as con:
        plan = [(m, n, fn, *arguments_for(fn, con, settings)) for m, n, fn in core_functions()]
    for module, name, fn, args, missing in plan:
        if missing:
            rows.append({"module": module, "function": name, "skipped": f"paramètre « {missing} »"})
            continue
        cold, warm = [], []
        for _ in range(ROUNDS):
            store.release()   # the database opened anew: nothing in DuckDB's cache of blocks
            for times in (cold, warm):
                t0 = time.perf_counter()
                with store.connect() as con:  # a unit of work, as the app does
                    fn(con, *args)
                times.append(time.perf_counter() - t0)
        rows.append({"module": module, "function": name, "cold": statistics.median(cold),
                     "warm": statistics.median(warm)})
    store.release()
    return {"rows": rows, "rss_mb": peak_rss_mb()}


# The page functions that count people, under selections the stored pairs serve (the whole period,
# one year or two, with or without a people filter) and one they do not (the pages then read the
# rows: see impact.reference.on_pairs).
SELECTION_FUNCTIONS = (("participation", "participation_overview"), ("participation", "publics_overview"),
                       ("participation", "action_sheet"), ("overview", "overview"))


def selections(settings) -> dict:
    from impact.filters import Filters

    whole = Filters.for_period(settings.start, settings.end)
    year = settings.years[len(settings.years) // 2]
    one_year = whole.with_(date_from=max(settings.start, dt.date(year, 1, 1)),
                           date_to=min(settings.end, dt.date(year, 12, 31)))
    return {"toute la période": whole,
            f"année {year}": one_year,
            f"tranche {settings.focus_band}": whole.with_(bands=[settings.focus_band]),
            f"{year}, {settings.focus_band}": one_year.with_(bands=[settings.focus_band]),
            f"{year - 1} et {year}": whole.with_(date_from=max(settings.start, dt.date(year - 1, 1, 1)),
                                                  date_to=one_year.date_to),
            f"{year}, dès le 2/01": one_year.with_(date_from=one_year.date_from + dt.timedelta(days=1))}


def worker_selections(db: Path) -> dict:
    """Each function of SELECTION_FUNCTIONS under each selection, on the open database (second run),
    and whether the stored pairs served."""
    from impact.reference import on_pairs, selection
    from impact.settings import load_settings
    from impact.store import Store

    settings, rows = load_settings(), []
    store = Store(db, keep_open=True)
    for label, filters in selections(settings).items():
        for module, name in SELECTION_FUNCTIONS:
            fn = getattr(importlib.import_module(f"impact.{module}"), name)
            with store.connect() as con:
                args, _ = arguments_for(fn, con, settings)
                args = [filters if type(a).__name__ == "Filters" else a for a in args]
                stored = on_pairs("x", selection(con, filters)) != "x"
            times = []
            for _ in range(1 + ROUNDS):   # the first run reads the blocks: not counted
                t0 = time.perf_counter()
                with store.connect() as con:
                    fn(con, *args)
                times.append(time.perf_counter() - t0)
            rows.append({"selection": label, "function": f"{module}.{name}",
                         "seconds": statistics.median(times[1:]), "stored": stored})
    store.release()
    return {"rows": rows}


def worker_apptest(db: Path) -> dict:
    os.environ["IMPACT_DB"] = str(db)
    os.environ["IMPACT_WARM_CACHE"] = "0"  # measure the cold cache, without the background warm-up
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    rows = []
    # A warm process, as a running server is: the libraries are imported once, untimed, by a
    # page that reads no data; every timed page then starts with empty caches.
    AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).switch_page(
        "pages/methodologie.py").run()
    # Part of each timed first run is AppTest's own start: it scans the installed packages for
    # Streamlit components (a server does it once, when it starts). Measured here, printed beside.
    from streamlit.components.v2.component_manager import BidiComponentManager
    t0 = time.perf_counter()
    BidiComponentManager().discover_and_register_components(start_file_watching=False)
    harness = time.perf_counter() - t0
    from impact import ui

    for page_file, title in page_titles().items():
        ui.get_store().release()  # cold: the database opened anew, nothing computed yet,
        st.cache_data.clear()     # as after a server start
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.switch_page(page_file)
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
        errors = [e.value for e in at.exception]
        rows.append({"page": title, "file": page_file, "cold": times[0], "warm": times[1],
                     "error": str(errors[0]).splitlines()[0][:90] if errors else ""})
    return {"rows": rows, "rss_mb": peak_rss_mb(), "harness": harness}


def worker_exports(db: Path) -> dict:
    folder = OUT / f"exports_{db.stem}"
    write_exports(db, folder)
    return {"folder": str(folder)}


def write_exports(db: Path, folder: Path) -> dict[str, Path]:
    """The canonical attendance and spending exports (same columns as `python -m impact export`)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"attendance": folder / "attendance.csv", "spending": folder / "spending.csv"}
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"""copy (
            select date, action_code as action, person as participant, age, tranche as tranche_age,
                   sexe, case when qpv then 'oui' when not qpv then 'non' end as qpv, nombre, public
            from attendance order by all) to '{paths['attendance']}' (header, delimiter ',')""")
        con.execute(f"""copy (
            select date, exercice, action_code as action, montant, financeur, statut, libelle,
                   fournisseur, piece
            from spending order by all) to '{paths['spending']}' (header, delimiter ',')""")
    finally:
        con.close()
    return paths


def worker_pandas(folder: Path) -> dict:
    """The alternative without a store: read the exports and group by, as a notebook would."""
    import pandas as pd

    t0 = time.perf_counter()
    att = pd.read_csv(folder / "attendance.csv", parse_dates=["date"], date_format="%Y-%m-%d",
                      dtype={"action": "category", "tranche_age": "category", "sexe": "category",
                             "qpv": "category", "public": "category", "participant": "str"})
    spend = pd.read_csv(folder / "spending.csv", parse_dates=["date"], date_format="%Y-%m-%d",
                        dtype={"action": "category", "statut": "category", "financeur": "category"})
    read = time.perf_counter() - t0
    t1 = time.perf_counter()
    att.groupby("action", observed=True).agg(participations=("nombre", "sum"),
                                             personnes=("participant", "nunique"))
    att.groupby(["tranche_age", "sexe"], observed=True)["nombre"].sum()
    att.groupby(att["date"].dt.year)["participant"].nunique()
    spend.groupby(["action", "statut"], observed=True)["montant"].sum()
    group = time.perf_counter() - t1
    return {"read": read, "group": group, "total": read + group, "rss_mb": peak_rss_mb()}


def worker_duckdb_same(db: Path) -> dict:
    """The same aggregates as the pandas worker, in SQL on the store (the like-for-like figure).
    People are counted on the store's whole-number ids (`person_id`), as the pages count them: the
    store numbers each pseudonym once, at import, where pandas must compare the exports' text."""
    from impact.store import Store

    t0 = time.perf_counter()
    with Store(db).connect() as con:
        con.execute("select action_code, sum(nombre), count(distinct person_id) from attendance "
                    "group by all").fetchall()
        con.execute("select tranche, sexe, sum(nombre) from attendance group by all").fetchall()
        con.execute("select year(date), count(distinct person_id) from attendance group by all").fetchall()
        con.execute("select action_code, statut, sum(montant) from spending group by all").fetchall()
    return {"total": time.perf_counter() - t0, "rss_mb": peak_rss_mb()}


WORKERS = {"exports": worker_exports, "queries": worker_queries, "selections": worker_selections,
           "apptest": worker_apptest, "pandas": worker_pandas, "duckdb": worker_duckdb_same}


def run_worker(kind: str, target: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", kind, str(target)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report --------------------------------------------------------------------------------

def ok(flag: bool) -> str:
    return "oui" if flag else "NON"


def fr(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def print_page_sums(rows: list[dict], used: dict) -> None:
    """Per page: the sum of the times of the functions its script computes, beside the shared
    sidebar (computed once per data version for every page and visitor)."""
    def page_sums(key: str) -> tuple[dict[str, float], float]:
        shared = sum(r.get(key, 0) for r in rows if "toutes les pages" in used.get((r["module"], r["function"]), []))
        pages: dict[str, float] = {}
        for r in rows:
            for page in used.get((r["module"], r["function"]), []):
                if page != "toutes les pages" and key in r:
                    pages[page] = pages.get(page, 0.0) + r[key]
        return pages, shared

    (opening, shared_opening), (held, shared_held) = page_sums("cold"), page_sums("warm")
    print(f"\nRequêtes par page, rien en cache de résultats (cible : ≤ {fr(TARGET_QUERY, 1)} s ; barre "
          f"latérale commune, calculée une fois pour toutes les pages : {fr(shared_opening)} s / "
          f"{fr(shared_held)} s)")
    print(f"{'page':<28} {'base juste ouverte':>19} {'cible':>6} {'base ouverte':>13} {'cible':>6}")
    for page in sorted(opening):
        print(f"{page:<28} {fr(opening[page]):>19} {ok(opening[page] <= TARGET_QUERY):>6} "
              f"{fr(held[page]):>13} {ok(held[page] <= TARGET_QUERY):>6}")


def failed(result: dict) -> bool:
    """True, saying so, when a worker failed."""
    if "failed" in result:
        print(f"  échec : {result['failed']}")
        return True
    return False


def print_selections(result: dict) -> None:
    print(f"\nPar sélection, base ouverte, médianes de {ROUNDS} essais (les pages comptent les "
          "personnes sur les couples action × personne stockés quand la période couvre toutes les lignes "
          "nominatives de la période entière ou des années qu'elle touche, sinon sur les lignes ; la "
          "première participation et les mois de chaque personne, sur les personnes × année stockées "
          "quand toutes les actions sont retenues)")
    if failed(result):
        return
    print(f"{'sélection':<20} {'module.fonction':<40} {'lu sur':<16} {'durée (s)':>9} {'cible':>6}")
    for r in result["rows"]:
        source = "couples stockés" if r["stored"] else "lignes"
        print(f"{r['selection']:<20} {r['function']:<40} {source:<16} {fr(r['seconds']):>9} "
              f"{ok(r['seconds'] <= TARGET_QUERY):>6}")


def report_store(label: str, db: Path) -> None:
    print(f"\n## {label} — {db} ({db.stat().st_size / 1e6:.0f} Mo)")
    used = pages_using()

    q = run_worker("queries", db)
    print(f"\nFonctions du cœur, médianes de {ROUNDS} essais (cible : ≤ {fr(TARGET_QUERY, 1)} s par fonction)")
    if not failed(q):
        print("(« base juste ouverte » : le cache de blocs de DuckDB est vide, comme pour la première page "
              "après un démarrage ou un import en ligne de commande ; « base ouverte » : le serveur garde "
              "la base ouverte, aucun résultat n'est en cache et toutes les requêtes sont rejouées)")
        print(f"{'module.fonction':<48} {'pages':<28} {'juste ouverte':>13} {'ouverte':>8} {'cible':>6}")
        for r in q["rows"]:
            name = f"{r['module']}.{r['function']}"
            pages = ", ".join(used.get((r["module"], r["function"]), ["—"]))[:28]
            if "skipped" in r:
                print(f"{name:<48} {pages:<28} non mesurée ({r['skipped']})")
                continue
            print(f"{name:<48} {pages:<28} {fr(r['cold']):>13} {fr(r['warm']):>8} "
                  f"{ok(max(r['cold'], r['warm']) <= TARGET_QUERY):>6}")
        print(f"mémoire de pointe du processus : {q['rss_mb']:.0f} Mo")
        print_page_sums(q["rows"], used)

    print_selections(run_worker("selections", db))

    a = run_worker("apptest", db)
    print(f"\nPages dans AppTest (cible : ≤ {fr(TARGET_APPTEST, 1)} s)")
    if not failed(a):
        print(f"{'page':<34} {'à froid':>8} {'à chaud':>8} {'cible':>6}  erreur")
        for r in a["rows"]:
            print(f"{r['page']:<34} {fr(r['cold']):>8} {fr(r['warm']):>8} "
                  f"{ok(r['cold'] <= TARGET_APPTEST and not r['error']):>6}  {r['error']}")
        print(f"dont, dans chaque temps « à froid », le démarrage d'AppTest (recherche des composants "
              f"installés, qu'un serveur fait une fois à son lancement) : {fr(a['harness'])} s")
        print(f"mémoire de pointe (toutes les pages, comme un serveur) : {a['rss_mb']:.0f} Mo "
              f"(cible ≤ {TARGET_RSS_MB} Mo : {ok(a['rss_mb'] <= TARGET_RSS_MB)})")

    exported = run_worker("exports", db)  # in a worker too: this process stays small
    if "failed" in exported:
        print(f"\nexports impossibles : {exported['failed']}")
        return
    p, d = run_worker("pandas", Path(exported["folder"])), run_worker("duckdb", db)
    print(f"\nMêmes regroupements : pandas (lecture des exports + group by) contre DuckDB sur la base "
          f"(cible : ≥ {fr(TARGET_PANDAS_RATIO, 0)}×)")
    if "failed" in p or "failed" in d:
        print(f"  échec : {p.get('failed') or d.get('failed')}")
    else:
        ratio = p["total"] / d["total"]
        print(f"{'':<10} {'durée (s)':>10} {'mémoire (Mo)':>13}")
        print(f"{'pandas':<10} {fr(p['total']):>10} {p['rss_mb']:>13.0f}   "
              f"(lecture {fr(p['read'])} s, regroupement {fr(p['group'])} s)")
        print(f"{'DuckDB':<10} {fr(d['total']):>10} {d['rss_mb']:>13.0f}")
        print(f"rapport : {fr(ratio, 1)}× ({ok(ratio >= TARGET_PANDAS_RATIO)}"
              + ("" if db.stat().st_size > 50e6 else " ; sur si peu de lignes, l'ouverture de la base domine")
              + ")")


def ensure_demo(db: Path) -> bool:
    if db.exists():
        return True
    done = subprocess.run([sys.executable, "-m", "impact", "demo", "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"\n(base de démonstration indisponible : {done.stderr.strip()[-300:]})")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", type=Path, default=OUT / "national.duckdb")
    parser.add_argument("--demo", type=Path, default=OUT / "demo.duckdb")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, target = args.worker
        print(json.dumps(WORKERS[kind](Path(target))))
        return
    if not args.national.exists():
        sys.exit(f"{args.national} manque : lancez d'abord bench/make_national.py --db {args.national}")
    print("# Pages : durées et mémoire")
    report_store("Store national", args.national)
    if ensure_demo(args.demo):
        report_store("Store de démonstration", args.demo)


if __name__ == "__main__":
    main()

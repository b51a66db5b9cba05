"""The figures every page shows, under a few shared-link selections, written to JSON for diffs.

    .venv/bin/python bench/figures.py --db STORE.duckdb --out figures.json [--compare OTHER.json]

Runs dashboard.py of the current directory in Streamlit's AppTest, as a coordinator (exact
counts), for each page and selection (query parameters, as a shared link), with empty Streamlit
caches each time. Keeps every metric, table (st.dataframe, st.table), Plotly trace (x, y, text,
labels, values), the alerts and the captions that hold a digit, and any exception. It depends on
the pages only (and on IMPACT_DB / IMPACT_SETTINGS), so it runs unchanged on old and new code.
With --compare, prints each difference with OTHER.json (the old figures) and exits 1 if any.
Note: the pages' own code opens the store read-write and may migrate it: give it a copy.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import sys
import time
from pathlib import Path

PAGES = ["overview", "participation", "publics", "fiche-action", "budget", "fonds-etat", "historique",
         "methodologie"]
SELECTIONS = [{}, {"annee": "2023"}, {"tranche": "16-25"}, {"du": "2022-09-01", "au": "2023-06-30"},
              {"sexe": "F"}, {"annee": "2023", "tranche": "16-25"}]
NONE = "sans filtre"
TRACE_KEYS = ("name", "type", "x", "y", "text", "labels", "values", "z")
MAX_SHOWN = 40  # differences printed per element, the rest counted


def name_of(selection: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in selection.items()) or NONE


def cell(v) -> str:
    """A table cell as text: floats to 10 significant digits, missing values empty."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("NaT", "<NA>", "nan"):
        return ""
    if isinstance(v, float):
        return format(v, ".10g")
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def plain(v):
    """A Plotly value as JSON: base64 arrays decoded, numbers rounded to 10 significant digits."""
    import numpy as np

    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            arr = arr.reshape([int(s) for s in str(v["shape"]).split(",")])
        return plain(arr.tolist())
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, float):
        return None if math.isnan(v) else float(format(v, ".10g"))
    return v


def frame(df) -> dict:
    if not (type(df.index).__name__ == "RangeIndex" and df.index.name is None):
        df = df.reset_index()
    columns = [str(c) for c in df.columns]
    return {"columns": columns,
            "rows": [dict(zip(columns, (cell(v) for v in row), strict=True)) for row in df.itertuples(index=False)]}


def collect(at) -> dict:
    out: dict = {"metrics": {}, "dataframes": [], "tables": [], "charts": [], "texts": [], "exceptions": []}
    for m in at.metric:
        label, n = m.label, 2
        while label in out["metrics"]:  # the same label twice on a page
            label, n = f"{m.label} #{n}", n + 1
        out["metrics"][label] = m.value
    for el in at.dataframe:
        d = frame(el.value)
        if el.proto.HasField("lazy_data"):
            d["lazy_row_count"] = el.proto.lazy_data.row_count
        out["dataframes"].append(d)
    out["tables"] = [frame(el.value) for el in at.table]
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out["charts"].append([{k: plain(t[k]) for k in TRACE_KEYS if k in t} for t in spec.get("data", [])])
    for kind in ("error", "warning", "info", "success", "caption", "markdown"):
        for el in getattr(at, kind):
            text = str(el.value)
            if kind in ("error", "warning", "info", "success") or re.search(r"\d", text):
                out["texts"].append(f"{kind}: {text}")
    out["exceptions"] = [str(e.value) for e in at.exception]
    return out


def open_page(page: str, selection: dict, timeout: float):
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    set_log_level("error")  # no "No runtime found" warnings at each cache clear (AppTest resets it)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path.cwd() / "dashboard.py"), default_timeout=timeout)
    at.session_state["role"] = "coordinateur"
    for k, v in selection.items():
        at.query_params[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def action_codes(at) -> list[str]:
    """First and last action codes of the Fiche action's selector (« Intitulé (CODE) » labels)."""
    box = next((s for s in at.selectbox if s.label == "Action"), None)
    if box is None or box.value is None:
        return []
    codes = [str(box.value)]
    last = re.search(r"\(([^()]*)\)\s*$", box.options[-1]) if box.options else None
    if last and last.group(1) not in codes:
        codes.append(last.group(1))
    return codes


def capture(pages: list[str], selections: list[dict], timeout: float) -> dict:
    result: dict = {}
    for page in pages:
        result[page] = {}
        todo = list(selections)
        while todo:
            selection = todo.pop(0)
            t0 = time.perf_counter()
            try:
                at = open_page(page, selection, timeout)
                figures = collect(at)
            except Exception as exc:  # a timeout or a harness failure is a finding too
                at, figures = None, {"exceptions": [f"{type(exc).__name__}: {exc}"]}
            result[page][name_of(selection)] = figures
            print(f"{page:<14} {name_of(selection):<32} {time.perf_counter() - t0:6.1f} s"
                  + (f"  EXCEPTION {figures['exceptions'][0][:80]!r}" if figures["exceptions"] else ""),
                  file=sys.stderr, flush=True)
            if page == "fiche-action" and not selection and at is not None:
                todo += [{"code": c} for c in action_codes(at)]
    return result


def flatten(value, path: str, out: dict) -> dict:
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value
    return out


def compare(old: dict, new: dict) -> int:
    """Print each difference (page, selection, element, old → new); return how many."""
    total = 0
    for page in sorted(set(old) | set(new)):
        sels_old, sels_new = old.get(page, {}), new.get(page, {})
        for sel in sorted(set(sels_old) | set(sels_new)):
            if sel not in sels_old or sel not in sels_new:
                where = "l’ancien" if sel not in sels_old else "le nouveau"
                print(f"{page} | {sel} : sélection absente dans {where}")
                total += 1
                continue
            a, b = flatten(sels_old[sel], "", {}), flatten(sels_new[sel], "", {})
            shown: dict[str, int] = {}
            for key in sorted(set(a) | set(b)):
                if a.get(key, "∅") == b.get(key, "∅"):
                    continue
                total += 1
                element = re.match(r"[^.\[]+(\[\d+\])?", key).group(0)  # metrics, dataframes[2]...
                shown[element] = shown.get(element, 0) + 1
                if shown[element] <= MAX_SHOWN:
                    print(f"{page} | {sel} | {key} : {a.get(key, '∅')!r} → {b.get(key, '∅')!r}")
            for element, n in shown.items():
                if n > MAX_SHOWN:
                    print(f"{page} | {sel} | {element} : … et {n - MAX_SHOWN} autres différences")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description="Chiffres de chaque page, en JSON, pour comparer deux versions.")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--compare", type=Path, help="figures de référence (JSON) à comparer")
    parser.add_argument("--pages", help="pages, séparées par des virgules (défaut : toutes)")
    parser.add_argument("--selections", type=int, help="ne garder que les N premières sélections")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    os.environ["IMPACT_DB"] = str(args.db.resolve())
    sys.path.insert(0, str(Path.cwd()))
    pages = args.pages.split(",") if args.pages else PAGES
    t0 = time.perf_counter()
    figures = capture(pages, SELECTIONS[:args.selections], args.timeout)
    seconds = time.perf_counter() - t0
    meta = {"cwd": str(Path.cwd()), "db": str(args.db.resolve()), "settings": os.environ.get("IMPACT_SETTINGS", ""),
            "seconds": round(seconds, 1), "captured": time.strftime("%Y-%m-%d %H:%M:%S")}
    args.out.write_text(json.dumps({"meta": meta, "pages": figures}, ensure_ascii=False, indent=1, sort_keys=True)
                        + "\n", encoding="utf-8")
    failing = sum(bool(s.get("exceptions")) for p in figures.values() for s in p.values())
    print(f"{args.out} : {len(figures)} pages, {seconds:.0f} s, {failing} exécution(s) avec exception",
          file=sys.stderr)
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))["pages"]
        if args.pages or args.selections:  # a partial run is compared on what it ran
            old = {p: {s: v for s, v in sels.items() if s in figures[p]} for p, sels in old.items() if p in figures}
        n = compare(old, figures)
        print(f"{n} différence(s) avec {args.compare}" if n else f"Aucune différence avec {args.compare}")
        return 1 if n else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

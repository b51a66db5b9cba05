"""What the tests share: stores built row by row (answers known by construction), the importer
run on small texts, and the stores several test modules read.

Rows are inserted straight into the tables by the builders (one batch per call), so a query test
does not depend on the importer; importer tests go through `imp` instead, and each invalid-rule
test checks the French message AND that nothing was stored (`rejects`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from impact import auth, ingest
from impact.queries import load_script
from impact.settings import load_settings
from impact.store import prepare, rebuild_derived

D = dt.date
STATE = "État - cité éducative"
OPERATOR = auth.operator("test")   # the command line's actor: may import, undo and manage accounts


# --- rows written directly ----------------------------------------------------------------

def batch(con: duckdb.DuckDBPyConnection, kind: str, file_name: str = "test.csv",
          imported_by: str = "test") -> int:
    return con.execute(
        "insert into batches (id, kind, file_name, sha256, imported_by, imported_at) "
        "select coalesce(max(id), 0) + 1, $kind, $f, 'x', $by, now() from batches returning id",
        {"kind": kind, "f": file_name, "by": imported_by},
    ).fetchall()[0][0]


def _insert(con, table: str, batch_id: int, columns: dict[str, list]) -> None:
    """Insert the rows given column by column (equal lists) in one statement, numbered from line 2."""
    n = len(next(iter(columns.values())))
    names = ", ".join(columns)
    cells = ", ".join(f"unnest(${name})" for name in columns)
    con.execute(f"insert into {table} (batch_id, line, {names}) select $batch_id, unnest($line), {cells}",
                {"batch_id": batch_id, "line": list(range(2, n + 2)), **columns})


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def action(con, code: str, intitule: str | None = None, porteur: str | None = None,
           axe: str | None = None, public_cible: str | None = None,
           annee_debut: int | None = None, annee_fin: int | None = None, batch_id: int | None = None) -> None:
    bid = batch_id or batch(con, "actions")
    intitule = intitule or code.title()
    con.execute(
        "insert into actions values ($b, 2, $code, lower($code), $t, lower($t), $p, $a, $pc, $d, $f)",
        {"b": bid, "code": code, "t": intitule, "p": porteur, "a": axe, "pc": public_cible,
         "d": annee_debut, "f": annee_fin},
    )
    rebuild_derived(con, people=False)


def attendance(con, rows: list[dict], batch_id: int | None = None) -> int:
    """rows: dicts with date, action, and person/age/tranche/sexe/qpv/nombre/public (defaults)."""
    bid = batch_id or batch(con, "attendance")
    if rows:
        _insert(con, "attendance", bid, {
            "date": [_day(r["date"]) for r in rows], "action_code": [r["action"] for r in rows],
            "person": [r.get("person") for r in rows], "age": [r.get("age") for r in rows],
            "tranche": [r.get("tranche", "âge inconnu") for r in rows], "sexe": [r.get("sexe", "NR") for r in rows],
            "qpv": [r.get("qpv") for r in rows], "nombre": [r.get("nombre", 1) for r in rows],
            "public": [r.get("public", "jeune") for r in rows]})
    rebuild_derived(con)
    return bid


def budget(con, rows: list[tuple], batch_id: int | None = None) -> int:
    """rows: (annee, action, financeur, montant[, previous_montant])."""
    bid = batch_id or batch(con, "budget")
    if rows:
        _insert(con, "budget", bid, {
            "annee": [r[0] for r in rows], "action_code": [r[1] for r in rows], "financeur": [r[2] for r in rows],
            "financeur_key": [r[2].lower() for r in rows], "montant": [str(r[3]) for r in rows],
            "previous_montant": [str(r[4]) if len(r) > 4 and r[4] is not None else None for r in rows]})
    rebuild_derived(con, people=False)
    return bid


def spending(con, rows: list[dict], batch_id: int | None = None) -> int:
    """rows: dicts with date, action, montant and optional exercice/financeur/statut/..."""
    bid = batch_id or batch(con, "spending")
    if rows:
        funders = [r.get("financeur", STATE) for r in rows]
        _insert(con, "spending", bid, {
            "date": [_day(r["date"]) for r in rows],
            "exercice": [r.get("exercice", _day(r["date"]).year) for r in rows],
            "action_code": [r["action"] for r in rows], "montant": [str(r["montant"]) for r in rows],
            "financeur": funders, "financeur_key": [f.lower() for f in funders],
            "statut": [r.get("statut", "payé") for r in rows], "libelle": [r.get("libelle") for r in rows],
            "fournisseur": [r.get("fournisseur") for r in rows], "piece": [r.get("piece") for r in rows]})
    return bid


def small_cite(con, state_funder: str, city_funder: str, focus_band: str, other_band: str) -> None:
    """A small store any cité's settings can read (its funders and bands are arguments): three
    actions, eight young people over 2023–2024 (six in the focus band), a head count, and the
    programme and payments of the State, the city and a third funder."""
    action(con, "T1", "Atelier théâtre", porteur="Compagnie du Square", axe="Culture",
           public_cible=focus_band, annee_debut=2023, annee_fin=2024)
    action(con, "S1", "Soutien scolaire", porteur="Centre social", axe="Réussite éducative",
           public_cible=other_band, annee_debut=2024, annee_fin=2024)
    action(con, "P1", "Café des parents", porteur="Centre social", axe="Parentalité")
    people = [(f"ps_q{i}", focus_band if i <= 6 else other_band, "FM"[i % 2], i % 3 != 0) for i in range(1, 9)]
    rows = []
    for n, (person, band, sex, qpv) in enumerate(people):
        rows += [{"date": dt.date(2023, 3 + n % 4, 6 + d), "action": "T1", "person": person, "tranche": band,
                  "sexe": sex, "qpv": qpv} for d in range(0, 7 * (1 + n % 3), 7)]
        if n % 2:
            rows.append({"date": dt.date(2024, 2, 5 + n), "action": "S1", "person": person, "tranche": band,
                         "sexe": sex, "qpv": qpv})
    rows.append({"date": dt.date(2023, 5, 13), "action": "T1", "tranche": focus_band, "nombre": 12})
    rows.append({"date": dt.date(2024, 3, 8), "action": "P1", "tranche": "âge inconnu", "nombre": 9,
                 "public": "parent"})
    attendance(con, rows)
    budget(con, [(2023, "T1", state_funder, 20000), (2023, "T1", city_funder, 5000),
                 (2024, "S1", state_funder, 15000), (2024, "S1", "Fondation de France", 2000)])
    spending(con, [
        {"date": "2023-06-01", "action": "T1", "montant": 12000, "financeur": state_funder, "piece": "M-1"},
        {"date": "2023-07-01", "action": "T1", "montant": 5000, "financeur": city_funder, "piece": "M-2"},
        {"date": "2024-03-01", "action": "S1", "montant": 10000, "financeur": state_funder, "statut": "engagé"},
        {"date": "2024-09-02", "action": "S1", "montant": 6000, "financeur": state_funder, "piece": "M-3"},
    ])


# --- the importer on small texts ----------------------------------------------------------

SETTINGS = load_settings()
TODAY = dt.date(2025, 6, 30)
KEY = bytes(range(32))
SAMPLES = Path(__file__).resolve().parent / "data" / "samples"  # copies of the partners' sample exports
DATA = Path(__file__).resolve().parent / "data"
TABLES = ("batches", "actions", "budget", "spending", "attendance", "batch_duplicates")

ACTIONS = (
    "code;intitulé;porteur;thématique;public cible;année début;année fin\n"
    "LECTURE;Club lecture du mercredi;Médiathèque Jean-Macé;Culture;6-10;2022;2024\n"
    "RAP;Parcours d’insertion par le rap;Association Hip-Hop Borny;Insertion professionnelle;16-25;"
    "2022;2024\n"
    "SPORT;Futsal du vendredi soir;Association Borny Sports;Sport;16-25;2022;2024\n"
    "PARENTS;Café des parents;Centre social Le Lierre;Parentalité;;2022;2024\n"
)


def counts(con) -> dict[str, int]:
    """Rows in every table of the store (batches included)."""
    return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in TABLES}


def data(text: str | bytes, encoding: str = "utf-8") -> bytes:
    return text if isinstance(text, bytes) else text.encode(encoding)


def imp(con, kind, text, file_name: str = "fichier.csv", **kw) -> ingest.ImportReport:
    """Import `text` (str → UTF-8, or bytes) with the test settings, key and date."""
    return ingest.import_file(con, kind, data(text), settings=kw.pop("settings", SETTINGS), key=KEY,
                              today=kw.pop("today", TODAY), file_name=file_name, **kw)


def seed(con) -> None:
    """The actions referential most tests refer to (kept when `reset` left it in place)."""
    if stored(con, "select count(*) from batches where id = 1 and file_name = 'seed-actions.csv' "
                   "and status = 'active'") == [(1,)]:
        return
    report = imp(con, "actions", ACTIONS, "seed-actions.csv")
    assert report.stored and report.rows_stored == 4


def memory_store() -> duckdb.DuckDBPyConnection:
    """An in-memory store with the schema and macros (fast; for tests that need no file)."""
    con = duckdb.connect(":memory:")
    prepare(con)
    con.execute(load_script("macros"))
    return con


def reset(con) -> None:
    """Take a shared store back to empty, or to the seeded referential when it is still intact."""
    seeded = stored(con, "select count(*) from actions where batch_id = 1") == [(4,)] and stored(
        con, "select count(*) from batches where id = 1 and file_name = 'seed-actions.csv' "
             "and status = 'active'") == [(1,)]
    keep = 1 if seeded else 0
    for table in TABLES:
        column = "id" if table == "batches" else "batch_id"
        con.execute(f"delete from {table} where {column} > $keep", {"keep": keep})
    if stored(con, "select count(*) from actions where batch_id <> 1 or batch_id is null") != [(0,)]:
        raise AssertionError("reset left rows behind")
    rebuild_derived(con)




def rejects(con, kind, text, expected: str, column: str | None = None, **kw) -> ingest.ImportReport:
    """Import a file with an invalid row: the French message is listed and nothing is stored."""
    before = counts(con)
    report = imp(con, kind, text, **kw)
    messages = [p.message for p in report.rejected]
    assert any(expected in m for m in messages), messages
    if column is not None:
        assert column in [p.column for p in report.rejected if expected in p.message]
    assert not report.stored and report.batch_id is None
    assert counts(con) == before
    return report


def problem(con, kind, text, exc_type, expected: str, **kw) -> ingest.ImportProblem:
    """A whole-file problem: the ImportProblem subclass with a French message, nothing stored."""
    before = counts(con)
    with pytest.raises(exc_type) as info:
        imp(con, kind, text, **kw)
    assert expected in str(info.value), str(info.value)
    assert counts(con) == before
    return info.value


def stored(con, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


# --- stores several modules read ----------------------------------------------------------

def build_participation_store(con) -> None:
    action(con, "A1", "Atelier rap", porteur="Asso Rap", axe="Culture", public_cible="16-25",
                    annee_debut=2022, annee_fin=2024)
    action(con, "A2", "Boxe éducative", porteur="Club Boxe", axe="Sport", public_cible="11-15",
                    annee_debut=2023, annee_fin=2023)
    action(con, "A3", "Café des parents", porteur="Centre social")
    young = {"tranche": "16-25", "public": "jeune"}
    p1 = {"person": "ps_p1", "sexe": "F", "qpv": True, **young}
    p3 = {"person": "ps_p3", "sexe": "NR", "qpv": None, **young}
    p4 = {"person": "ps_p4", "sexe": "M", "qpv": True, **young}
    p5 = {"person": "ps_p5", "sexe": "F", "qpv": True, **young}
    p2 = {"person": "ps_p2", "sexe": "M", "qpv": False}
    rows = [
        {"date": D(2023, 1, 10), "action": "A1", **p1},
        {"date": D(2023, 1, 17), "action": "A1", **p1},
        {"date": D(2023, 2, 7), "action": "A1", **p1},
        {"date": D(2023, 2, 14), "action": "A2", **p1},
        {"date": D(2023, 1, 10), "action": "A2", "tranche": "11-15", **p2},
        *({"date": D(2023, 3, d), "action": "A2", "tranche": "16-25", **p2} for d in (7, 14, 21, 28)),
        {"date": D(2023, 1, 10), "action": "A1", **p3},
        {"date": D(2023, 1, 17), "action": "A1", **p4},
        {"date": D(2023, 2, 7), "action": "A3", **p4},
        {"date": D(2023, 1, 10), "action": "A1", **p5},
        {"date": D(2023, 2, 14), "action": "A2", **p5},
        # head counts: participations without identity
        {"date": D(2023, 1, 17), "action": "A1", "nombre": 3, "sexe": "F", "qpv": True, **young},
        {"date": D(2023, 2, 7), "action": "A3", "nombre": 12, "tranche": "26 et plus", "public": "parent"},
    ]
    attendance(con, rows)
    budget(con, [(2023, "A1", "État - cité éducative", 10000), (2023, "A1", "Ville de Metz", 5000)])
    budget(con, [(2023, "A1", "État - cité éducative", 12000, 10000)])   # a revision
    spending(con, [
        {"date": "2023-03-01", "action": "A1", "montant": 8000, "statut": "engagé"},
        {"date": "2023-04-01", "action": "A1", "montant": 6000, "statut": "payé"},
        {"date": "2023-05-01", "action": "A1", "montant": -500, "statut": "avoir"},
        {"date": "2024-02-01", "exercice": 2023, "action": "A1", "montant": 1000, "statut": "payé"},
    ])


def build_money_store(con) -> dict:
    """The money store, for the 2022–2024 convention (300 000 € a year); returns the batch ids.

    actions   A1 P1 Insertion 2022–2023 · A2 P2 Santé, no period · A3 P1 Culture 2024
              A4 P4 Sport 2022–2024 (attendance only) · A5 P3 Sport 2022–2024 (spending only)
    budget    2022 A1 État 10 000, Ville de Metz 5 000 · 2023 A1 État 20 000, CAF 3 000
              2022 A2 État 8 000 · 2023 A2 État 6 000 · 2024 A3 État 12 000, Région Grand Est 2 000
              then a revision in a second batch: 2023 A1 État 24 000 (replacing 20 000)
    spending  A1: 9 000 payé (03/2022), 2 000 engagé (05/2022), -500 avoir (06/2022),
                  2 500 payé on 01/2023 for exercice 2022 (late payment), 15 000 payé (06/2023),
                  1 000 payé on 02/2024 for exercice 2023 (late payment, after the action's years),
                  Ville de Metz 5 000 payé (07/2022)
              A2: 2 000 payé (04/2022), 5 000 payé (09/2023)
              A3: 1 000 payé on 11/2023 for exercice 2024 (before the action's years), 3 000 payé (03/2024)
              A5: 700 payé (05/2023), nothing programmed
    attendance A1: p1..p6 in 2022, p1 again in 2023, a head count of 10 in 2023 (6 people, 17 participations)
              A2: p1, p2 in 2022 · A3: a head count of 20 in 2024 · A4: p9 in 2023
    """
    action(con, "A1", "Insertion", porteur="P1", axe="Insertion professionnelle",
                    annee_debut=2022, annee_fin=2023)
    action(con, "A2", "Santé ado", porteur="P2", axe="Santé")
    action(con, "A3", "Culture", porteur="P1", axe="Culture", annee_debut=2024, annee_fin=2024)
    action(con, "A4", "Sport sans frais", porteur="P4", axe="Sport", annee_debut=2022,
                    annee_fin=2024)
    action(con, "A5", "Sport sans public", porteur="P3", axe="Sport", annee_debut=2022,
                    annee_fin=2024)
    b1 = budget(con, [
        (2022, "A1", STATE, 10000), (2022, "A1", "Ville de Metz", 5000),
        (2023, "A1", STATE, 20000), (2023, "A1", "CAF", 3000),
        (2022, "A2", STATE, 8000), (2023, "A2", STATE, 6000),
        (2024, "A3", STATE, 12000), (2024, "A3", "Région Grand Est", 2000),
    ])
    b2 = budget(con, [(2023, "A1", STATE, 24000, 20000)])
    sid = batch(con, "spending", file_name="depenses_2024.csv")
    spending(con, [
        {"date": "2022-03-10", "action": "A1", "montant": 9000, "piece": "M-1", "fournisseur": "Studio Son"},
        {"date": "2022-05-10", "action": "A1", "montant": 2000, "statut": "engagé", "piece": "E-1"},
        {"date": "2022-06-01", "action": "A1", "montant": -500, "statut": "avoir", "piece": "AV-1",
         "fournisseur": "Studio Son", "libelle": "Avoir sur facture M-1"},
        {"date": "2023-01-15", "action": "A1", "montant": 2500, "exercice": 2022, "piece": "M-2"},
        {"date": "2023-06-01", "action": "A1", "montant": 15000, "piece": "M-3"},
        {"date": "2024-02-01", "action": "A1", "montant": 1000, "exercice": 2023, "piece": "M-4"},
        {"date": "2022-07-01", "action": "A1", "montant": 5000, "financeur": "Ville de Metz", "piece": "V-1"},
        {"date": "2022-04-01", "action": "A2", "montant": 2000, "piece": "M-5"},
        {"date": "2023-09-01", "action": "A2", "montant": 5000, "piece": "M-6"},
        {"date": "2023-11-01", "action": "A3", "montant": 1000, "exercice": 2024, "piece": "M-7"},
        {"date": "2024-03-01", "action": "A3", "montant": 3000, "piece": "M-8"},
        {"date": "2023-05-01", "action": "A5", "montant": 700, "piece": "M-9"},
    ], batch_id=sid)
    attendance(con, [
        *[{"date": "2022-10-01", "action": "A1", "person": f"ps_{i}"} for i in range(1, 7)],
        {"date": "2023-03-01", "action": "A1", "person": "ps_1"},
        {"date": "2023-03-01", "action": "A1", "nombre": 10},
        {"date": "2022-10-02", "action": "A2", "person": "ps_1"},
        {"date": "2022-10-02", "action": "A2", "person": "ps_2"},
        {"date": "2024-05-01", "action": "A3", "nombre": 20},
        {"date": "2023-05-01", "action": "A4", "person": "ps_9"},
    ])
    return {"budget": b1, "revision": b2, "spending": sid}


def undo(con, batch_id: int) -> None:
    """What undoing an import does to the money tables: its rows go, the batch is marked undone."""
    con.execute("delete from budget where batch_id = $b", {"b": batch_id})
    con.execute("update batches set status = 'undone', undone_at = now() where id = $b", {"b": batch_id})
    rebuild_derived(con, people=False)


def small_cite_store(path: Path, monkeypatch, state_funder: str, city_funder: str, focus_band: str,
                     other_band: str):
    """A store at `path` holding small_cite(...), which the app reads (IMPACT_DB)."""
    from impact.store import Store

    store = Store(path, wait_seconds=5)
    with store.connect() as con:
        small_cite(con, state_funder, city_funder, focus_band, other_band)
    monkeypatch.setenv("IMPACT_DB", str(store.path))
    return store


def open_page(page: str, role: str | None = None):
    """The dashboard on `page` in AppTest, as `role` (None: the local mode), with no exception; the
    Rapport prepared."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    if role:
        at.session_state["role"] = role
    at.switch_page(page).run()   # the first run opens the page within the dashboard, sidebar included
    assert not at.exception, [e.value for e in at.exception]
    if page == "pages/rapport.py":
        prepare_report(at)
    return at


def prepare_report(at):
    """The Rapport page computes the revue de projet when asked: click « Préparer la revue de projet »
    (an AppTest already on the page), and return it."""
    at.button(key="prepare_report").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at

"""Build small stores row by row, for tests whose answer is known by construction.

Rows are inserted straight into the tables (one batch per call of `batch`), so a query test
does not depend on the importer; importer tests go through the importer instead.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from impact.store import rebuild_derived


def batch(con: duckdb.DuckDBPyConnection, kind: str, file_name: str = "test.csv",
          imported_by: str = "test") -> int:
    bid = con.execute("select coalesce(max(id), 0) + 1 from batches").fetchall()[0][0]
    con.execute(
        "insert into batches (id, kind, file_name, sha256, imported_by, imported_at) "
        "values ($id, $kind, $f, 'x', $by, now())",
        {"id": bid, "kind": kind, "f": file_name, "by": imported_by},
    )
    return bid


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


def attendance(con, rows: list[dict], batch_id: int | None = None) -> int:
    """rows: dicts with date, action, and person/age/tranche/sexe/qpv/nombre/public (defaults)."""
    bid = batch_id or batch(con, "attendance")
    for i, r in enumerate(rows):
        con.execute(
            "insert into attendance (batch_id, line, date, action_code, person, age, tranche, sexe, qpv, "
            "nombre, public) values ($b, $line, $date, $action, $person, $age, $tranche, $sexe, "
            "$qpv, $nombre, $public)",
            {"b": bid, "line": i + 2, "date": r["date"], "action": r["action"],
             "person": r.get("person"), "age": r.get("age"), "tranche": r.get("tranche", "âge inconnu"),
             "sexe": r.get("sexe", "NR"), "qpv": r.get("qpv"), "nombre": r.get("nombre", 1),
             "public": r.get("public", "jeune")},
        )
    rebuild_derived(con)
    return bid


def budget(con, rows: list[tuple], batch_id: int | None = None) -> int:
    """rows: (annee, action, financeur, montant[, previous_montant])."""
    bid = batch_id or batch(con, "budget")
    for i, r in enumerate(rows):
        annee, act, fin, montant = r[:4]
        prev = r[4] if len(r) > 4 else None
        con.execute(
            "insert into budget values ($b, $line, $annee, $action, $fin, $key, $m, $prev)",
            {"b": bid, "line": i + 2, "annee": annee, "action": act, "fin": fin,
             "key": fin.lower(), "m": Decimal(str(montant)), "prev": prev},
        )
    return bid


def spending(con, rows: list[dict], batch_id: int | None = None) -> int:
    """rows: dicts with date, action, montant and optional exercice/financeur/statut/..."""
    bid = batch_id or batch(con, "spending")
    for i, r in enumerate(rows):
        d = r["date"] if isinstance(r["date"], dt.date) else dt.date.fromisoformat(r["date"])
        fin = r.get("financeur", "État - cité éducative")
        con.execute(
            "insert into spending values ($b, $line, $date, $ex, $action, $m, $fin, $key, $statut, "
            "$lib, $four, $piece)",
            {"b": bid, "line": i + 2, "date": d, "ex": r.get("exercice", d.year), "action": r["action"],
             "m": Decimal(str(r["montant"])), "fin": fin, "key": fin.lower(),
             "statut": r.get("statut", "payé"), "lib": r.get("libelle"), "four": r.get("fournisseur"),
             "piece": r.get("piece")},
        )
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

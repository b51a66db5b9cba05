"""Canonical export: its exact form, and export → import into an empty store → same bytes."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from impact import queries
from impact.canonical_export import export_text
from tests.fixtures import imp, memory_store, seed, stored

HEADERS = {
    "actions": "code,intitule,porteur,axe,public_cible,annee_debut,annee_fin",
    "budget": "annee,action,financeur,montant",
    "spending": "date,exercice,action,montant,financeur,statut,libelle,fournisseur,piece",
    "attendance": "date,action,participant,age,tranche_age,sexe,qpv,nombre,public",
}

FILES = [
    ("budget", "Exercice;Code action;Financeur;Montant attribué\n2022;LECTURE;;4 500\n"
               "2023;Café des parents;CAF de la Moselle;\"1 234,5 €\"\n2023;RAP;;0\n"),
    ("spending", "Date de paiement;Action;Objet;Tiers;Montant;Référence;État;Exercice\n"
                 "12/10/2022;LECTURE;Achat d’ouvrages, jeunesse;Librairie;\"1 045,80 €\";F-22-311;payé;\n"
                 "30/11/2022;SPORT;=HYPERLINK(\"http://x\");Ville;2 400,00;F-22-377;Mandaté;\n"
                 "15/03/2023;RAP;\"Affiches\nflyers\";;389,9;;engagé;\n"
                 "16/03/2023;RAP;Remboursement;;-50;;avoir;\n"
                 "20/01/2025;RAP;Solde;;100;;;2024\n"),
    ("attendance", "date;action;nom;prénom;date de naissance;participant;âge;tranche;sexe;qpv;nombre;public\n"
                   "07/09/2022;LECTURE;Da Silva;Inès;14/03/2013;;;;Fille;oui;;\n"
                   "07/09/2022;LECTURE;;;;A12;;;M;non;;\n"
                   "07/09/2022;LECTURE;;;;ps_0123456789abcdef;40;;;;;parent\n"
                   "07/09/2022;RAP;;;;;;16-25;F;;14;\n"
                   "07/09/2022;RAP;;;;;;16-25;F;x;3;professionnel\n"),
]


def _roundtrip(kind: str, text: str) -> tuple[str, str]:
    first = memory_store()
    seed(first)
    report = imp(first, kind, text)
    assert report.stored and not report.rejected, report.rejected
    exported = export_text(first, kind)
    actions = export_text(first, "actions")
    second = memory_store()
    assert imp(second, "actions", actions, "actions.csv").stored
    assert imp(second, kind, exported, f"{kind}.csv").stored
    assert export_text(second, "actions") == actions
    again = export_text(second, kind)
    first.close()
    second.close()
    return exported, again


@pytest.mark.parametrize(("kind", "text"), FILES, ids=[f[0] for f in FILES])
def test_export_then_import_into_an_empty_store_gives_the_same_bytes(kind, text):
    exported, again = _roundtrip(kind, text)
    assert again == exported
    assert exported.split("\n")[0] == HEADERS[kind]
    assert "\r" not in exported.replace('"Affiches\nflyers"', "") and not exported.startswith("\ufeff")


def test_actions_round_trip_and_form():
    con = memory_store()
    seed(con)
    text = export_text(con, "actions")
    assert text.split("\n")[0] == HEADERS["actions"]
    assert "RAP,Parcours d’insertion par le rap,Association Hip-Hop Borny,Insertion professionnelle,16-25,2022,2024" \
        in text
    other = memory_store()
    imp(other, "actions", text)
    assert export_text(other, "actions") == text


def test_spending_export_form():
    exported, _ = _roundtrip("spending", FILES[1][1])
    frame = pd.read_csv(io.StringIO(exported), dtype=str, keep_default_na=False)
    assert frame["date"].tolist() == ["2022-10-12", "2022-11-30", "2023-03-15", "2023-03-16", "2025-01-20"]
    assert frame["montant"].tolist() == ["1045.80", "2400.00", "389.90", "-50.00", "100.00"]
    assert frame["statut"].tolist() == ["payé", "payé", "engagé", "avoir", "payé"]
    assert frame["exercice"].tolist() == ["2022", "2022", "2023", "2023", "2024"]
    assert frame["financeur"].unique().tolist() == ["État - cité éducative"]
    # a formula is stored as text and neutralised in the export
    assert frame["libelle"][1] == "'=HYPERLINK(\"http://x\")"


def test_hyperlink_is_stored_as_text():
    con = memory_store()
    seed(con)
    imp(con, "spending", FILES[1][1])
    assert stored(con, "select libelle from spending where piece = 'F-22-377'") == [('=HYPERLINK("http://x")',)]


def test_attendance_export_form():
    exported, _ = _roundtrip("attendance", FILES[2][1])
    frame = pd.read_csv(io.StringIO(exported), dtype=str, keep_default_na=False)
    rows = frame.to_dict("records")
    named = [r for r in rows if r["participant"]]
    assert all(r["participant"].startswith("ps_") and len(r["participant"]) == 19 for r in named)
    assert "ps_0123456789abcdef" in frame["participant"].tolist()
    assert sorted(frame["sexe"]) == ["F", "F", "F", "M", "NR"]
    assert sorted(frame["qpv"]) == ["", "", "non", "oui", "oui"]
    assert sorted(frame["nombre"]) == ["1", "1", "1", "14", "3"]
    ines = next(r for r in named if r["sexe"] == "F")
    assert (ines["age"], ines["tranche_age"]) == ("9", "6-10")   # the birth date itself is not exported
    assert "2013" not in exported and "Inès" not in exported and "Silva" not in exported


@pytest.mark.parametrize("kind", list(HEADERS))
def test_export_queries_are_named_and_ordered(kind):
    con = memory_store()
    seed(con)
    for k, text in FILES:
        imp(con, k, text)
    frame = queries.run(con, f"export_{kind}")
    assert ",".join(frame.columns) == HEADERS[kind]
    exported = pd.read_csv(io.StringIO(export_text(con, kind)), dtype=str, keep_default_na=False)
    assert len(exported) == len(frame)


def test_formula_is_neutralised_in_french_csv_and_xlsx_downloads():
    from impact import spreadsheets
    con = memory_store()
    seed(con)
    imp(con, "spending", FILES[1][1])
    frame = con.execute("select libelle, montant from spending order by date").df()
    csv_frame = pd.read_csv(io.BytesIO(spreadsheets.french_csv(frame)), sep=";", dtype=str, encoding="utf-8-sig")
    assert csv_frame["libelle"][1] == "'=HYPERLINK(\"http://x\")"
    xlsx_frame = pd.read_excel(io.BytesIO(spreadsheets.xlsx(frame)), dtype=str, engine="calamine")
    assert xlsx_frame["libelle"][1] == "'=HYPERLINK(\"http://x\")"

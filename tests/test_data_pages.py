"""AppTest of the coordinator pages: Import de données and Historique des imports (local mode: the
person at this machine, with no account, is the coordinator of their own copy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact.store import Store

ACTIONS = ("code;intitulé;porteur;axe;public cible;année début;année fin\r\n"
           "LECTURE;Club lecture du mercredi;Médiathèque;Culture;6-10;2022;2024\r\n"
           "FORUM;Forum permanent des métiers;CMA;Insertion professionnelle;16-25;2023;2024\r\n"
           ).encode("cp1252")
BUDGET = "Exercice;Code action;Financeur;Montant attribué\n2023;FORUM;État - cité éducative;30 000,00 €\n"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "app.duckdb"))
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    return at, tmp_path / "app.duckdb"


def _as_coordinator(at: AppTest) -> AppTest:
    assert at.session_state["role"] == "coordinateur" and at.session_state["via"] == "local"
    at.switch_page("pages/import.py").run()
    assert at.title[0].value == "Import de données" and at.file_uploader
    return at


def _upload(at: AppTest, name: str, data: bytes, kind: str | None = None) -> AppTest:
    if kind:
        at.selectbox(key="import_kind").set_value(kind).run()
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _count(db: Path, table: str) -> int:
    with Store(db).connect() as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_upload_shows_what_was_understood_then_imports(app):
    at, db = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    text = " ".join(m.value for m in at.markdown)
    assert "Référentiel des actions" in text and "reconnu d'après les en-têtes" in text
    assert "Windows-1252" in text and "point-virgule" in text
    assert _metrics(at)["Lignes lues"] == "2" and _metrics(at)["À ajouter"] == "2"
    assert _count(db, "actions") == 0, "nothing is stored before the user confirms"
    next(b for b in at.button if b.label == "Importer").click().run()
    assert "2 ligne(s) enregistrée(s)" in at.success[0].value
    assert _count(db, "actions") == 2
    # The uploader is emptied: the file is not analysed and offered again.
    assert not at.file_uploader[0].value
    assert any("Aucun fichier déposé" in i.value for i in at.info)


def test_a_file_already_imported_says_so_and_is_not_imported_again_unless_asked(app):
    at, db = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    next(b for b in at.button if b.label == "Importer").click().run()
    _upload(at, "actions (copie).csv", ACTIONS)   # the same bytes under another name
    warning = next(w.value for w in at.warning if "déjà été importé" in w.value)
    assert "(import n° 1, Référentiel des actions)" in warning and "SHA-256" in warning
    assert _metrics(at)["À ajouter"] == "0" and _metrics(at)["Doublons déjà connus"] == "2"
    importer = next(b for b in at.button if b.label == "Importer")
    assert importer.disabled
    assert any("« Importer » n'est pas disponible : ce fichier a déjà été importé" in c.value for c in at.caption)
    # Asked for, it is imported (the command line's contract: a re-import stores nothing new).
    at.checkbox[0].check().run()
    importer = next(b for b in at.button if b.label == "Importer")
    assert not importer.disabled
    importer.click().run()
    assert "0 ligne(s) enregistrée(s), 2 doublon(s) ignoré(s) (import n° 2)" in at.success[0].value
    assert _count(db, "batches") == 2 and _count(db, "actions") == 2


def test_invalid_rows_are_listed_in_french_and_nothing_is_stored(app):
    at, db = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    next(b for b in at.button if b.label == "Importer").click().run()
    bad = ("date;code action;nombre de participants;tranche d'âge\n"
           "31/02/2023;FORUM;3;16-25\n05/03/2023;INCONNUE;2;16-25\n06/03/2023;FORUM;4;16-25\n").encode()
    _upload(at, "presences.csv", bad, kind="attendance")
    assert _metrics(at)["Lignes en erreur"] == "2"
    problems = at.dataframe[-1].value
    assert problems["Ligne"].tolist() == [2, 3]
    assert "ce jour n'existe pas dans ce mois" in problems["Motif"].iloc[0]
    assert "Action inconnue" in problems["Motif"].iloc[1]
    importer = next(b for b in at.button if b.label == "Importer")
    assert importer.disabled
    assert any(c.value.startswith("« Importer » n'est pas disponible : 2 ligne(s) en erreur") for c in at.caption)
    assert _count(db, "attendance") == 0
    next(b for b in at.button if b.label.startswith("Importer les lignes valides")).click().run()
    assert "1 ligne(s) enregistrée(s)" in at.success[0].value
    assert _count(db, "attendance") == 1


def test_whole_file_problem_is_a_french_message(app):
    at, db = app
    _as_coordinator(at)
    _upload(at, "classeur.csv", b"PK\x03\x04binary-stuff")
    assert "classeur Excel renommé en .csv" in at.error[0].value
    assert _count(db, "batches") == 0


def test_history_lists_batches_and_undo_restores_the_replaced_budget(app):
    at, db = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    next(b for b in at.button if b.label == "Importer").click().run()
    _upload(at, "budget.csv", BUDGET.encode())
    next(b for b in at.button if b.label == "Importer").click().run()
    _upload(at, "budget2.csv", BUDGET.replace("30 000,00", "35 000").encode())
    assert _metrics(at)["Remplacements"] == "1"
    replaced = at.dataframe[-1].value  # old → new, shown before anything is stored
    assert replaced["Ancienne valeur"].iloc[0] == "30\u202f000,00\u00a0€"
    next(b for b in at.button if b.label == "Importer").click().run()

    at.switch_page("pages/historique.py").run()
    table = at.dataframe[0].value
    assert table["N°"].tolist() == [3, 2, 1]
    assert table["Fichier"].tolist() == ["budget2.csv", "budget.csv", "actions.csv"]
    assert set(table["Statut"]) == {"actif"}
    at.selectbox(key="history_batch").set_value(3).run()
    next(b for b in at.button if b.label == "Annuler cet import").click().run()
    assert "montant(s) qu'il avait remplacés reviendront" in at.warning[-1].value
    next(b for b in at.button if b.label == "Confirmer l'annulation").click().run()
    assert not at.exception
    assert "annulé" in at.success[0].value
    assert at.dataframe[0].value["Statut"].iloc[0].startswith("annulé")
    with Store(db).connect() as con:
        assert con.execute("select montant from budget_current").fetchall()[0][0] == 30000


def test_history_empty_state(app):
    at, _ = app
    at.switch_page("pages/historique.py").run()
    assert "Aucun import" in at.info[0].value


def test_problems_name_the_column_in_french_and_show_a_bad_birth_date(app):
    at, _ = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    next(b for b in at.button if b.label == "Importer").click().run()
    bad = (b"date;code action;nom;date de naissance\n"
           b"06/03/2023;FORUM;Dupont;31/02/2008\n")
    _upload(at, "presences.csv", bad, kind="attendance")
    problems = at.dataframe[-1].value
    rows = dict(zip(problems["Colonne"], problems["Valeur"], strict=True))
    assert rows == {"prénom": "", "date de naissance": "31/02/2008"}   # the file has no first-name column
    assert "Prénom manquant" in problems["Motif"].iloc[0]
    assert "prenom" not in problems["Colonne"].tolist() and "date_naissance" not in problems["Colonne"].tolist()
    preview_headers = [c for df in at.dataframe for c in df.value.columns]
    assert not {"prenom", "date_naissance", "action_code", "person"} & set(preview_headers)


SHARED = "date;code action;nombre de participants;tranche d'âge\n" + "".join(
    f"0{d}/03/2023;FORUM;{d};16-25\n" for d in range(1, 4))


def test_undo_names_the_imports_that_keep_its_rows(app):
    at, _ = app
    _as_coordinator(at)
    _upload(at, "actions.csv", ACTIONS)
    next(b for b in at.button if b.label == "Importer").click().run()
    _upload(at, "mars.csv", SHARED.encode(), kind="attendance")
    next(b for b in at.button if b.label == "Importer").click().run()
    _upload(at, "mars-et-avril.csv", (SHARED + "03/04/2023;FORUM;7;16-25\n").encode(), kind="attendance")
    next(b for b in at.button if b.label == "Importer").click().run()

    at.switch_page("pages/historique.py").run()
    table = at.dataframe[0].value
    alone = dict(zip(table["N°"], table["Lignes qu'il est seul à apporter"], strict=True))
    assert alone == {3: "1", 2: "0", 1: "2"}   # the three March rows are in both files
    assert table.columns.tolist()[:5] == ["N°", "Date", "Type", "Fichier", "Statut"]
    at.selectbox(key="history_batch").set_value(2).run()
    assert any("seul à apporter 0 ligne(s)" in m.value and "aussi dans l'import n° 3" in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    mapping = next(c.value for c in at.caption if c.value.startswith("Colonnes reconnues"))
    assert "« code action » → action" in mapping and "→ tranche d'âge" in mapping   # never tranche_age
    next(b for b in at.button if b.label == "Annuler cet import").click().run()
    summary = at.warning[-1].value
    assert "retirera 0 ligne(s)" in summary
    assert "3 ligne(s) resteront, car l'import n° 3 (« mars-et-avril.csv »" in summary.replace("\\", "")

"""Re-uploads, overlapping uploads and duplicates: counted and reported, never stored twice."""

from __future__ import annotations

import pytest

from tests.fixtures import counts, imp, rejects, reset, seed, stored


@pytest.fixture
def con(module_store):
    """One in-memory store for the module, emptied (back to the seeded actions) for each test."""
    reset(module_store)
    seed(module_store)
    return module_store


FILES = {
    "budget": "annee;action;financeur;montant\n2023;RAP;;100\n2023;RAP;CAF;50\n2024;SPORT;;10\n",
    "spending": ("date;action;montant;piece;objet\n03/04/2023;RAP;10;M-1;a\n03/04/2023;SPORT;10;M-1;a\n"
                 "05/04/2023;RAP;10;;car\n05/04/2023;RAP;10;;bus\n"),
    "attendance": ("date;action;nom;prénom;participant;nombre;tranche;sexe;qpv\n"
                   "03/04/2023;RAP;Dupont;Léa;;;;F;oui\n03/04/2023;RAP;;;A1;;;M;non\n"
                   "03/04/2023;RAP;;;;12;16-25;F;oui\n03/04/2023;RAP;;;;12;16-25;M;oui\n"),
    "actions": "code;intitule\nNEW;Nouvelle action\nNEW2;Autre action\n",
}


@pytest.mark.parametrize("kind", list(FILES))
def test_reupload_adds_nothing_and_counts_duplicates(con, kind):
    first = imp(con, kind, FILES[kind])
    assert first.stored and first.duplicates == 0
    after_first = counts(con)
    again = imp(con, kind, FILES[kind])
    assert again.stored and again.rows_stored == 0 and again.duplicates == again.rows_read
    assert again.replaced == []
    table = {"actions": "actions", "budget": "budget", "spending": "spending", "attendance": "attendance"}[kind]
    assert counts(con)[table] == after_first[table]
    assert counts(con)["batch_duplicates"] == after_first["batch_duplicates"] + again.rows_read


def test_overlapping_uploads_store_only_new_rows(con):
    imp(con, "attendance", "date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n10/04/2023;RAP;Dupont;Léa\n")
    report = imp(con, "attendance", "date;action;nom;prénom\n10/04/2023;RAP;DUPONT;lea\n17/04/2023;RAP;Dupont;Léa\n")
    assert (report.rows_stored, report.duplicates) == (1, 1)
    assert stored(con, "select count(*), count(distinct person) from attendance") == [(3, 1)]


@pytest.mark.parametrize(("kind", "text", "stored_rows"), [
    ("attendance", "date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n03/04/2023;rap;dupont;LEA\n", 1),
    ("attendance", "date;action;nombre;tranche\n03/04/2023;RAP;12;16-25\n03/04/2023;RAP;12;16-25\n", 1),
    ("spending", "date;action;montant;piece\n03/04/2023;RAP;10;M-1\n04/04/2023;RAP;10,00;M-1\n", 1),
    ("spending", "date;action;montant;objet\n03/04/2023;RAP;10;car\n03/04/2023;RAP;10;car\n", 1),
    ("budget", "annee;action;montant\n2023;RAP;10\n2023;Parcours d'insertion par le rap;10\n", 1),
    ("actions", "code;intitule\nNEW;Nouvelle action\nnew;Nouvelle action\n", 1),
])
def test_duplicates_of_an_earlier_row_of_the_same_file(con, kind, text, stored_rows):
    report = imp(con, kind, text)
    assert (report.rows_stored, report.duplicates) == (stored_rows, 1)


def test_repeats_are_counted_once_each_and_the_first_row_is_stored(con):
    """Three copies of one head count (blank sex and QPV), two of one person, among distinct rows."""
    text = ("date;action;nombre;tranche;nom;prénom\n"
            "03/04/2023;RAP;12;16-25;;\n"
            "03/04/2023;RAP;;;Dupont;Léa\n"
            "03/04/2023;RAP;12;16-25;;\n"
            "03/04/2023;RAP;13;16-25;;\n"
            "03/04/2023;RAP;;;DUPONT;lea\n"
            "03/04/2023;RAP;12;16-25;;\n"
            "04/04/2023;RAP;;;Dupont;Léa\n")
    report = imp(con, "attendance", text)
    assert (report.rows_stored, report.duplicates) == (4, 3)
    assert stored(con, "select line from attendance order by line") == [(2,), (3,), (5,), (8,)]


@pytest.mark.parametrize(("kind", "text"), [
    # one piece split across actions: two real rows
    ("spending", "date;action;montant;piece\n03/04/2023;RAP;10;M-1\n03/04/2023;SPORT;10;M-1\n"),
    # same piece and action, other amount: a second line of the mandate
    ("spending", "date;action;montant;piece\n03/04/2023;RAP;10;M-1\n03/04/2023;RAP;20;M-1\n"),
    # without a piece, another libellé is another expense
    ("spending", "date;action;montant;objet\n03/04/2023;RAP;10;car\n03/04/2023;RAP;10;bus\n"),
    # a commitment then its payment
    ("spending", "date;action;montant;statut;piece\n03/04/2023;RAP;10;engagé;M-1\n03/04/2023;RAP;10;payé;M-1\n"),
    # two head counts of different groups at one session
    ("attendance", "date;action;nombre;sexe\n03/04/2023;RAP;12;F\n03/04/2023;RAP;12;M\n"),
    # two people
    ("attendance", "date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n03/04/2023;RAP;Dupont;Léo\n"),
    ("attendance", "date;action;nom;prénom;né(e) le\n03/04/2023;RAP;Dupont;Léa;01/01/2010\n"
                   "03/04/2023;RAP;Dupont;Léa;02/01/2010\n"),
])
def test_distinct_rows_are_all_stored(con, kind, text):
    report = imp(con, kind, text)
    assert (report.rows_stored, report.duplicates) == (2, 0)


def test_head_count_warning_when_the_same_group_has_another_nombre(con):
    imp(con, "attendance", "date;action;nombre;tranche;sexe\n03/04/2023;RAP;12;16-25;F\n")
    report = imp(con, "attendance", "date;action;nombre;tranche;sexe\n03/04/2023;RAP;14;16-25;F\n"
                                    "03/04/2023;RAP;5;16-25;M\n")
    assert report.stored and report.rows_stored == 2
    assert [(w.line, w.column, w.value) for w in report.warnings] == [(2, "nombre", "14")]
    assert "effectif de 12" in report.warnings[0].message


def test_head_count_warning_within_one_file(con):
    report = imp(con, "attendance", "date;action;nombre\n03/04/2023;RAP;12\n03/04/2023;RAP;13\n")
    assert report.rows_stored == 2
    assert [w.line for w in report.warnings] == [3]


def test_piece_already_stored_with_another_amount_is_stored_with_a_warning(con):
    imp(con, "spending", "date;action;montant;pièce\n03/04/2023;RAP;10;M-1\n")
    report = imp(con, "spending", "date;action;montant;pièce\n03/04/2023;RAP;12,50;M-1\n")
    assert report.stored and report.rows_stored == 1
    assert [(w.line, w.column, w.value) for w in report.warnings] == [(2, "piece", "M-1")]
    assert "10,00" in report.warnings[0].message
    assert stored(con, "select montant::double from spending order by montant") == [(10.0,), (12.5,)]
    assert stored(con, "select warnings from batches order by id desc limit 1") == [(1,)]


def test_budget_revision_replaces_the_amount_and_reports_old_and_new(con):
    imp(con, "budget", "annee;action;financeur;montant\n2023;RAP;CAF;100\n")
    report = imp(con, "budget", "annee;action;financeur;montant\n2023;RAP;caf;120,50\n")
    assert report.rows_stored == 1 and report.duplicates == 0
    assert [(r["line"], r["old"], r["new"]) for r in report.replaced] == [(2, 100.0, 120.5)]
    assert stored(con, "select montant::double from budget_current") == [(120.5,)]
    assert stored(con, "select previous_montant::double from budget where montant = 120.5") == [(100.0,)]


def test_budget_same_key_twice_in_one_file_with_other_amounts_is_refused(con):
    rejects(con, "budget", "annee;action;montant\n2023;RAP;10\n2023;RAP;20\n", "gardez une seule ligne")


def test_actions_title_change_is_replaced_and_reported(con):
    report = imp(con, "actions", "code;intitulé;porteur\nRAP;Rap et insertion;Association Hip-Hop Borny\n")
    assert report.stored and len(report.replaced) == 1
    assert report.replaced[0]["key"] == "RAP"
    assert "Parcours d’insertion par le rap" in report.replaced[0]["old"]
    assert "Rap et insertion" in report.replaced[0]["new"]
    assert stored(con, "select intitule from actions_current where code = 'RAP'") == [("Rap et insertion",)]
    # the new title is now matched, and the old one no longer
    assert imp(con, "budget", "annee;action;montant\n2023;rap et insertion;1\n").stored
    rejects(con, "budget", "annee;action;montant\n2023;Parcours d'insertion par le rap;1\n", "Action inconnue")


def test_same_code_twice_in_one_actions_file_with_other_content_is_refused(con):
    rejects(con, "actions", "code;intitule\nNEW;Une\nNEW;Deux\n", "gardez une seule ligne")

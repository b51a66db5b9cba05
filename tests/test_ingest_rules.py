"""Every value rule of the contract: dates, amounts, statuts, attendance values, ages, people.

Convention period of data/convention.toml: 01/01/2022 – 31/12/2024; tests run "today" on
30/06/2025 unless they say otherwise.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures import imp, rejects, reset, seed, stored


@pytest.fixture
def con(module_store):
    """One in-memory store for the module, emptied (back to the seeded actions) for each test."""
    reset(module_store)
    return module_store


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "iso"), [
    ("31/12/2023", "2023-12-31"), ("31/12/23", "2023-12-31"), ("31-12-2023", "2023-12-31"),
    ("31.12.2023", "2023-12-31"), ("2023-12-31", "2023-12-31"), ("2023-12-31 00:00:00", "2023-12-31"),
    ("03/04/2023", "2023-04-03"), ("3/4/2023", "2023-04-03"), (" 03/04/2023 ", "2023-04-03"),
    ("\u00a003/04/2023\t", "2023-04-03"),
    ("29/02/2024", "2024-02-29"),
])
@pytest.mark.parametrize("kind", ["spending", "attendance"])
def test_date_forms_day_first(con, kind, written, iso):
    seed(con)
    assert imp(con, kind, f"date;action;montant\n{written};RAP;1\n").stored
    table = "spending" if kind == "spending" else "attendance"
    assert stored(con, f"select date::varchar from {table}") == [(iso,)]


@pytest.mark.parametrize(("written", "message"), [
    # a date's form, but no such day: the message says so instead of asking for the form it has
    ("31/02/2023", "Date impossible : ce jour n'existe pas dans ce mois"),
    ("29/02/2023", "Date impossible : ce jour n'existe pas dans ce mois"),
    ("31/04/2023", "Date impossible : ce jour n'existe pas dans ce mois"),
    ("13/13/2023", "Date impossible : ce mois n'existe pas"),
    ("04/31/2023", "Date impossible : ce mois n'existe pas"),   # month first, as in the United States
    ("2023/31/12", "Date illisible : écrivez-la JJ/MM/AAAA"), ("demain", "Date illisible : écrivez-la JJ/MM/AAAA"),
    ("12/2023", "Date illisible : écrivez-la JJ/MM/AAAA"), ("45000", "Date illisible : écrivez-la JJ/MM/AAAA"),
])
@pytest.mark.parametrize("kind", ["spending", "attendance"])
def test_impossible_or_unreadable_dates(con, kind, written, message):
    seed(con)
    report = rejects(con, kind, f"date;action;montant\n{written};RAP;1\n", message, column="date")
    assert report.rejected[0].value == written.strip()
    if "jour" in message:
        assert "écrivez-la" not in report.rejected[0].message


@pytest.mark.parametrize(("kind", "written", "message"), [
    ("attendance", "31/12/2021", "hors de la période de la convention (du 01/01/2022 au 31/12/2024)"),
    ("attendance", "01/01/2025", "hors de la période de la convention"),
    ("spending", "31/12/2021", "antérieure au début de la convention (01/01/2022)"),
])
def test_dates_outside_the_period(con, kind, written, message):
    seed(con)
    rejects(con, kind, f"date;action;montant\n{written};RAP;1\n", message, column="date")


@pytest.mark.parametrize("kind", ["spending", "attendance"])
def test_future_date(con, kind):
    seed(con)
    rejects(con, kind, "date;action;montant\n01/07/2023;RAP;1\n", "dans le futur", column="date",
            today=dt.date(2023, 6, 30))


def test_future_late_payment(con):
    seed(con)
    rejects(con, "spending", "date;action;montant;exercice\n15/07/2025;RAP;1;2024\n", "dans le futur")


@pytest.mark.parametrize(("date", "exercice", "ok"), [
    ("15/03/2025", "2024", True),          # late payment of a 2024 action
    ("31/12/2025", "2024", True),          # up to 12 months after the end
    ("01/01/2026", "2024", False),         # one day too late
    ("15/03/2025", "2025", False),         # exercice outside the period
])
def test_late_spending_with_exercice(con, date, exercice, ok):
    seed(con)
    text = f"date;action;montant;exercice\n{date};RAP;100;{exercice}\n"
    today = dt.date(2026, 6, 30)
    if ok:
        assert imp(con, "spending", text, today=today).stored
        assert stored(con, "select date::varchar, exercice from spending") == [
            (dt.date(*map(int, reversed(date.split("/")))).isoformat(), int(exercice))]
    else:
        expected = "12 mois après" if exercice == "2024" else "Exercice hors de la période"
        rejects(con, "spending", text, expected,
                today=today)


def test_late_spending_without_exercice_says_to_add_the_column(con):
    seed(con)
    report = rejects(con, "spending", "date;action;montant\n15/03/2025;RAP;100\n",
                     "ajoutez une colonne « exercice »", column="date")
    assert "31/12/2024" in report.rejected[0].message


def test_exercice_defaults_to_year_of_date_and_may_differ(con):
    seed(con)
    imp(con, "spending", "date;action;montant;année budgétaire\n15/02/2023;RAP;1;\n20/01/2023;RAP;2;2022\n")
    assert stored(con, "select exercice from spending order by montant") == [(2023,), (2022,)]


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("budget", "annee;action;montant\n2021;RAP;1\n",
     "Année hors de la période de la convention (2022 à 2024)"),
    ("budget", "annee;action;montant\n2025;RAP;1\n", "Année hors de la période"),
    ("budget", "annee;action;montant\n23;RAP;1\n", "Année illisible"),
    ("budget", "annee;action;montant\n;RAP;1\n", "Année manquante"),
    ("spending", "date;action;montant;exercice\n15/02/2023;RAP;1;2021\n", "Exercice hors de la période"),
    ("spending", "date;action;montant;exercice\n15/02/2023;RAP;1;deux mille\n", "Exercice illisible"),
])
def test_annee_and_exercice(con, kind, text, message):
    seed(con)
    rejects(con, kind, text, message)


@pytest.mark.parametrize(("birth", "session", "age", "band"), [
    ("01/01/98", "01/06/2023", 25, "16-25"),      # two-digit birth year in the past century
    ("01/01/10", "01/06/2023", 13, "11-15"),      # ... or in this one
    ("02/06/2007", "01/06/2023", 15, "11-15"),    # the day before the 16th birthday
    ("01/06/2007", "01/06/2023", 16, "16-25"),
    ("1997-06-01", "01/06/2023", 26, "26 et plus"),
    ("15.03.2021", "01/06/2023", 2, "0-2"),
])
def test_birth_dates_give_age_and_band(con, birth, session, age, band):
    seed(con)
    imp(con, "attendance", f"date;action;nom;prénom;date de naissance\n{session};RAP;Dupont;Léa;{birth}\n")
    assert stored(con, "select age, tranche from attendance") == [(age, band)]


@pytest.mark.parametrize(("birth", "message"), [
    ("31/02/2010", "Date de naissance impossible : ce jour n'existe pas dans ce mois"),
    ("12/31/2010", "Date de naissance impossible : ce mois n'existe pas"),
    ("hier", "Date de naissance illisible : écrivez-la JJ/MM/AAAA"),
    ("02/06/2023", "postérieure à la date de la séance"),
    ("01/01/1900", "Âge hors de 0 à 99 ans"),
])
def test_bad_birth_dates(con, birth, message):
    seed(con)
    text = f"date;action;nom;prénom;né(e) le\n01/06/2023;RAP;Dupont;Léa;{birth}\n"
    rejects(con, "attendance", text, message)


def test_a_bad_birth_date_is_shown_to_the_uploader_only(con):
    """The upload page shows the value (the person fixing the file needs it); the command line's
    output and its JSON never write it, nor a name."""
    seed(con)
    text = "date;action;nom;prénom;né(e) le\n01/06/2023;RAP;Dupont;;31/02/2010\n"
    report = rejects(con, "attendance", text, "ce jour n'existe pas")
    birth = next(p for p in report.rejected if p.column == "né(e) le")
    assert birth.value == "31/02/2010" and birth.personal
    assert birth.as_dict()["value"] is None and birth.public_value is None
    first_name = next(p for p in report.rejected if p.column == "prénom")
    assert first_name.value is None and "Prénom manquant" in first_name.message


# --- amounts --------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "value"), [
    ("1234.5", 1234.5), ("1234,50", 1234.5), ("1 234,50", 1234.5), ("1\u00a0234,50", 1234.5),
    ("1\u202f234,50", 1234.5), ("1.234,50", 1234.5), ("1 234,50 €", 1234.5), ("1234,50€", 1234.5),
    ("1234.50 EUR", 1234.5), ("1 234 567,891", 1234567.89), ("12,345", 12.35), ("0,005", 0.01),
    ("1.234.567", 1234567), ("1234", 1234), ("€ 12", 12), ("12,344", 12.34), ("+12", 12), (",5", 0.5),
    ("1.234.567,5", 1234567.5), ("1 234.5", 1234.5), ("99 999 999 999,99", 99999999999.99),
])
def test_amount_forms(con, written, value):
    seed(con)
    assert imp(con, "spending", f"date;action;montant\n03/04/2023;RAP;\"{written}\"\n").stored
    assert stored(con, "select montant::double from spending") == [(pytest.approx(value),)]


@pytest.mark.parametrize("written", ["abc", "12,5,3", "--5", "12€50", "1,234.50.1", "1,234.50", "12.34,5",
                                     "NaN", "inf", "1e5", "999999999999999999", "€", "EUR"])
def test_amount_not_a_number(con, written):
    seed(con)
    rejects(con, "spending", f"date;action;montant\n03/04/2023;RAP;{written}\n", "Montant illisible",
            column="montant")


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("spending", "date;action;montant\n03/04/2023;RAP;-12,50\n", "seul un avoir"),
    ("spending", "date;action;montant;statut\n03/04/2023;RAP;-12,50;engagé\n", "seul un avoir"),
    ("budget", "annee;action;montant\n2023;RAP;-1\n", "Montant négatif"),
    ("budget", "annee;action;montant\n2023;RAP;\n", "Montant manquant"),
    ("spending", "date;action;montant\n03/04/2023;RAP;\n", "Montant manquant"),
])
def test_negative_or_missing_amounts(con, kind, text, message):
    seed(con)
    rejects(con, kind, text, message, column="montant")


@pytest.mark.parametrize("written", ["-12,50", "12,50", "- 12,50 €"])
def test_credit_note_is_stored_negative(con, written):
    seed(con)
    assert imp(con, "spending", f"date;action;montant;statut\n03/04/2023;RAP;{written};Avoir\n").stored
    assert stored(con, "select montant::double, statut from spending") == [(-12.5, "avoir")]


@pytest.mark.parametrize(("header", "statut", "expected"), [
    ("montant", "", "payé"), ("Montant engagé", "", "engagé"), ("Montant payé", "", "payé"),
    ("Montant TTC", "", "payé"), ("Montant engagé", "payé", "payé"),
    ("montant", "mandaté", "payé"), ("montant", "Réglé", "payé"), ("montant", "REGLEE", "payé"),
    ("montant", "engagé", "engagé"), ("montant", "Engage", "engagé"), ("montant", "payée", "payé"),
])
def test_statut_aliases_and_default_from_amount_header(con, header, statut, expected):
    seed(con)
    assert imp(con, "spending", f"date;action;{header};état\n03/04/2023;RAP;10;{statut}\n").stored
    assert stored(con, "select statut from spending") == [(expected,)]


def test_statut_outside_accepted_values_lists_them(con):
    seed(con)
    report = rejects(con, "spending", "date;action;montant;statut\n03/04/2023;RAP;10;annulé\n",
                     "Statut non reconnu", column="statut")
    for value in ("engagé", "payé", "mandaté", "réglé", "avoir"):
        assert value in report.rejected[0].message


# --- actions matching -----------------------------------------------------------------------

@pytest.mark.parametrize(("written", "code"), [
    ("RAP", "RAP"), ("rap", "RAP"), (" Rap ", "RAP"), ("parcours d'insertion par le rap", "RAP"),
    ("PARCOURS D’INSERTION PAR LE RAP", "RAP"), ("Parcours d insertion par le rap", "RAP"),
    ("Café des parents", "PARENTS"), ("cafe des parents", "PARENTS"), ("café-des-parents", "PARENTS"),
    ("Café\u00a0des\u202fparents", "PARENTS"),
])
@pytest.mark.parametrize("kind", ["budget", "spending", "attendance"])
def test_action_matched_by_code_then_title(con, kind, written, code):
    seed(con)
    text = {"budget": f"annee;action;montant\n2023;{written};1\n",
            "spending": f"date;action;montant\n03/04/2023;{written};1\n",
            "attendance": f"date;action\n03/04/2023;{written}\n"}[kind]
    assert imp(con, kind, text).stored
    table = {"budget": "budget", "spending": "spending", "attendance": "attendance"}[kind]
    assert stored(con, f"select action_code from {table}") == [(code,)]


def test_code_wins_over_a_title_equal_to_another_code(con):
    imp(con, "actions", "code;intitule\nSPORT;Sport collectif\nFOOT;sport\n")
    imp(con, "budget", "annee;action;montant\n2023;Sport;1\n")
    assert stored(con, "select action_code from budget") == [("SPORT",)]


@pytest.mark.parametrize("kind", ["budget", "spending", "attendance"])
def test_unknown_action(con, kind):
    seed(con)
    text = {"budget": "annee;action;montant\n2023;JUDO;1\n",
            "spending": "date;action;montant\n03/04/2023;JUDO;1\n",
            "attendance": "date;action\n03/04/2023;JUDO\n"}[kind]
    report = rejects(con, kind, text, "Action inconnue", column="action")
    assert report.rejected[0].value == "JUDO"
    assert "proches" not in report.rejected[0].message   # nothing known looks like it


@pytest.mark.parametrize(("written", "suggested"), [
    ("Parcours d'insertion par le rapp", "« Parcours d’insertion par le rap » (RAP)"),   # a typo
    ("Club lecture du mercred", "« Club lecture du mercredi » (LECTURE)"),
    ("SPORTS", "« Futsal du vendredi soir » (SPORT)"),                                   # a code's typo
])
def test_unknown_action_names_the_nearest_known_ones(con, written, suggested):
    seed(con)
    report = rejects(con, "attendance", f"date;action\n03/04/2023;{written}\n", "Action inconnue")
    message = report.rejected[0].message
    assert "Actions connues proches : " in message and suggested in message, message
    assert report.rejected[0].value == written


# --- attendance values ----------------------------------------------------------------------

@pytest.mark.parametrize(("columns", "values", "age", "band"), [
    ("date de naissance;âge;tranche", "01/01/2010;40;0-2", 13, "11-15"),   # birth date first
    ("date de naissance;âge;tranche", ";17;0-2", 17, "16-25"),              # then age
    ("date de naissance;âge;tranche", ";;6-10", None, "6-10"),              # then the band
    ("date de naissance;âge;tranche", ";;", None, "âge inconnu"),           # else unknown
    ("âge", "0", 0, "0-2"), ("âge", "99", 99, "26 et plus"), ("âge", "25", 25, "16-25"),
    ("âge", "17.0", 17, "16-25"),
    ("tranche d'âge", "26 ET PLUS", None, "26 et plus"),
    ("tranche d'âge", "âge inconnu", None, "âge inconnu"),
    ("tranche d'âge", "16 - 25", None, "16-25"),
])
def test_age_comes_from_birth_date_then_age_then_band(con, columns, values, age, band):
    seed(con)
    text = f"date;action;nom;prénom;{columns}\n01/06/2023;RAP;Dupont;Léa;{values}\n"
    assert imp(con, "attendance", text).stored
    assert stored(con, "select age, tranche from attendance") == [(age, band)]


@pytest.mark.parametrize(("columns", "values", "message", "column"), [
    ("âge", "100", "Âge hors de 0 à 99 ans", "âge"),
    ("âge", "-1", "Âge hors de 0 à 99 ans", "âge"),
    ("âge", "douze", "Âge illisible", "âge"),
    ("âge", "12,5", "Âge illisible", "âge"),
    ("nombre", "0", "inférieur à 1", "nombre"),
    ("nombre", "-3", "inférieur à 1", "nombre"),
    ("nombre", "deux", "Nombre illisible", "nombre"),
    ("nombre", "99999999999", "Nombre illisible", "nombre"),
    ("âge", "99999999999", "Âge illisible", "âge"),
    ("nom", "Dupont", "Prénom manquant", "prénom"),       # the file has no first-name column
    ("prénom", "Léa", "Nom manquant", "nom"),
    ("nom;prénom", "Dupont;", "Prénom manquant", "prénom"),   # the empty cell's own column
    ("nom;prénom", ";Léa", "Nom manquant", "nom"),
    ("nom;prénom;nombre", "Dupont;Léa;2", "compte une seule participation", "nombre"),
    ("participant;nombre", "A12;3", "compte une seule participation", "nombre"),
])
def test_invalid_attendance_values(con, columns, values, message, column):
    seed(con)
    rejects(con, "attendance", f"date;action;{columns}\n01/06/2023;RAP;{values}\n", message, column=column)


@pytest.mark.parametrize(("column", "value", "listed"), [
    ("public", "enfant", ["jeune", "parent", "professionnel"]),
    ("tranche_age", "12-18", ["0-2", "3-5", "6-10", "11-15", "16-25", "26 et plus", "âge inconnu"]),
    ("qpv", "peut-être", ["oui", "non", "o", "n", "1", "0", "vrai", "faux", "x"]),
])
def test_values_outside_accepted_ones_list_them(con, column, value, listed):
    seed(con)
    report = rejects(con, "attendance", f"date;action;{column}\n01/06/2023;RAP;{value}\n", "non reconnu",
                     column=column)
    for v in listed:
        assert v in report.rejected[0].message
    assert report.rejected[0].value == value


@pytest.mark.parametrize(("written", "sexe"), [
    ("F", "F"), ("f", "F"), ("Fille", "F"), ("FEMME", "F"), ("M", "M"), ("Garçon", "M"), ("garcon", "M"),
    ("Homme", "M"), ("", "NR"), ("autre", "NR"), ("?", "NR"), ("non précisé", "NR"),
])
def test_sexe_mapping(con, written, sexe):
    seed(con)
    assert imp(con, "attendance", f"date;action;nombre;sexe\n01/06/2023;RAP;3;{written}\n").stored
    assert stored(con, "select sexe from attendance") == [(sexe,)]


@pytest.mark.parametrize(("written", "qpv"), [
    ("oui", True), ("OUI", True), ("o", True), ("1", True), ("vrai", True), ("x", True), ("X", True),
    ("non", False), ("N", False), ("0", False), ("Faux", False), ("", None),
])
def test_qpv_forms(con, written, qpv):
    seed(con)
    text = f"date;action;nombre;quartier prioritaire\n01/06/2023;RAP;3;{written}\n"
    assert imp(con, "attendance", text).stored
    assert stored(con, "select qpv from attendance") == [(qpv,)]


@pytest.mark.parametrize(("written", "public"), [
    ("", "jeune"), ("Jeune", "jeune"), ("parents", "parent"), ("Professionnel", "professionnel"),
])
def test_public_values_and_default(con, written, public):
    seed(con)
    assert imp(con, "attendance", f"date;action;nombre;catégorie\n01/06/2023;RAP;3;{written}\n").stored
    assert stored(con, "select public from attendance") == [(public,)]


def test_head_count_and_named_rows(con):
    seed(con)
    text = ("date;action;nom;prénom;participant;nombre;tranche\n"
            "01/06/2023;RAP;;;;14;16-25\n"
            "01/06/2023;RAP;Dupont;Léa;;1;\n"
            "01/06/2023;RAP;;;A12;;\n"
            "01/06/2023;RAP;;;;;\n")
    assert imp(con, "attendance", text).stored
    assert stored(con, "select line, person is null, nombre, tranche from attendance order by line") == [
        (2, True, 14, "16-25"), (3, False, 1, "âge inconnu"), (4, False, 1, "âge inconnu"),
        (5, True, 1, "âge inconnu")]

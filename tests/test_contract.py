"""Headers: normalisation, every alias of the contract, priorities, unknown and missing columns.

The alias table below is copied from the data contract (not from impact.contract), so that
the code is checked against the contract and not against itself.
"""

from __future__ import annotations

import pytest

from impact import contract
from impact.sources import MissingColumns, UnknownKind
from tests.fixtures import counts, imp, problem, reset, seed, stored

SPEC = {
    "actions": {
        "code": ["code action", "code_action", "id action", "identifiant"],
        "intitule": ["intitulé", "action", "libellé", "nom de l'action", "titre"],
        "porteur": ["porteur de projet", "structure", "association", "opérateur"],
        "axe": ["thématique", "thème", "domaine"],
        "public_cible": ["public", "tranche cible", "âge cible"],
        "annee_debut": ["année début", "début"],
        "annee_fin": ["année fin", "fin"],
    },
    "budget": {
        "annee": ["année", "exercice"],
        "action": ["code action", "code_action", "intitulé"],
        "financeur": ["financement", "source", "cofinanceur"],
        "montant": ["montant prévu", "montant programmé", "montant attribué", "subvention"],
    },
    "spending": {
        "date": ["date de paiement", "date mandat", "date engagement", "date facture"],
        "action": ["code action", "code_action", "intitulé"],
        "montant": ["montant ttc", "montant payé", "montant engagé", "dépense"],
        "financeur": ["financement", "source"],
        "statut": ["état", "nature"],
        "libelle": ["libellé", "objet", "désignation"],
        "fournisseur": ["bénéficiaire", "tiers", "prestataire"],
        "piece": ["pièce", "n° pièce", "numéro de mandat", "n° facture", "référence"],
        "exercice": ["année budgétaire", "année de programmation", "exercice budgétaire"],
    },
    "attendance": {
        "date": ["date de la séance", "séance", "jour"],
        "action": ["code action", "code_action", "intitulé", "activité"],
        "participant": ["id participant", "identifiant", "n° adhérent"],
        "nom": ["nom de famille"],
        "prenom": ["prénom"],
        "date_naissance": ["date de naissance", "né(e) le", "naissance"],
        "age": ["âge"],
        "tranche_age": ["tranche d'âge", "tranche"],
        "sexe": ["genre", "sexe (F/M)", "fille/garçon"],
        "qpv": ["habitant qpv", "résidence qpv", "quartier prioritaire"],
        "nombre": ["effectif", "nb participants", "nombre de participants"],
        "public": ["type de public", "catégorie"],
    },
}
REQUIRED = {"actions": ["code", "intitule"], "budget": ["annee", "action", "montant"],
            "spending": ["date", "action", "montant"], "attendance": ["date", "action"]}

ALIAS_CASES = [(kind, canonical, header)
               for kind, cols in SPEC.items()
               for canonical, aliases in cols.items()
               for header in [canonical, *aliases]]


@pytest.fixture
def con(module_store):
    """One in-memory store for the module, emptied (back to the seeded actions) for each test."""
    reset(module_store)
    return module_store


def _variants(header: str) -> list[str]:
    """The same header as partners write it: upper case, accents dropped, underscores."""
    plain = header.replace("é", "e").replace("è", "e").replace("â", "a").replace("ç", "c")
    return [header, header.upper(), plain, header.replace(" ", "_"), f"  {header.title()} "]


@pytest.mark.parametrize(("kind", "canonical", "header"), ALIAS_CASES)
def test_every_alias_maps_to_its_canonical_column(kind, canonical, header):
    others = [c for c in REQUIRED[kind] if c != canonical]
    for variant in _variants(header):
        headers = [*others, variant]
        mapping = contract.map_headers(kind, headers)
        assert mapping.columns.get(canonical) == len(headers) - 1, (variant, mapping)
        assert mapping.headers[canonical] == variant
        assert mapping.missing == [] and mapping.ignored == []


@pytest.mark.parametrize(("left", "right"), [
    ("N° pièce", "Nº piece"), ("N° pièce", "n_piece"), ("Nom de l'action", "NOM DE L’ACTION"),
    ("Tranche d'âge", "tranche-d-age"), ("Né(e) le", "nee le"), ("Sexe (F/M)", "sexe f/m"),
    ("Code action", "code.action"), ("Année début", "ANNEE_DEBUT"),
])
def test_header_normalisation(left, right):
    assert contract.normalise(left) == contract.normalise(right)


@pytest.mark.parametrize(("kind", "headers", "canonical", "used", "ignored"), [
    # the canonical name wins over its aliases, and earlier aliases over later ones
    ("spending", ["date", "action", "Montant engagé", "montant"], "montant", "montant", "Montant engagé"),
    ("spending", ["Date facture", "Date de paiement", "action", "montant"], "date", "Date de paiement",
     "Date facture"),
    ("budget", ["Subvention", "annee", "action", "Montant prévu"], "montant", "Montant prévu", "Subvention"),
    ("attendance", ["date", "Activité", "Intitulé"], "action", "Intitulé", "Activité"),
    ("actions", ["code", "Titre", "Libellé"], "intitule", "Libellé", "Titre"),
    # the same header twice: the first one is used
    ("budget", ["annee", "action", "Montant", "montant"], "montant", "Montant", "montant"),
])
def test_priority_when_two_headers_map_to_one_column(kind, headers, canonical, used, ignored):
    mapping = contract.map_headers(kind, headers)
    assert mapping.headers[canonical] == used
    assert [h for h, _ in mapping.ignored] == [ignored]
    assert used in mapping.ignored[0][1]


def test_ignored_and_unknown_columns_are_reported_by_name_in_the_import(con):
    seed(con)
    report = imp(con, "budget", "Observations;annee;Subvention;action;Montant prévu;\n"
                                "vu;2023;5;RAP;100;\n")
    assert report.stored
    assert stored(con, "select montant from budget") == [(pytest.approx(100),)]
    assert [h for h, _ in report.ignored] == ["Observations", "Subvention", ""]
    reasons = dict(report.ignored)
    assert reasons["Observations"] == "colonne inconnue"
    assert "Montant prévu" in reasons["Subvention"]


@pytest.mark.parametrize(("kind", "headers", "missing"), [
    ("actions", "intitulé;porteur", "code"),
    ("budget", "année;action;financeur", "montant"),
    ("spending", "date;montant;objet", "action"),
    ("attendance", "action;nom;prénom", "date"),
])
def test_missing_required_column_names_it_and_lists_headers_found(con, kind, headers, missing):
    seed(con)
    exc = problem(con, kind, headers + "\n" + ";".join("x" for _ in headers.split(";")) + "\n",
                  MissingColumns, f"« {missing} »")
    for h in headers.split(";"):
        assert f"« {h} »" in str(exc)
    assert "En-têtes trouvés" in str(exc)


@pytest.mark.parametrize(("headers", "kind"), [
    ("code;intitulé;porteur;thématique", "actions"),
    ("Exercice;Code action;Financeur;Montant attribué", "budget"),
    ("Date de paiement;Action;Objet;Tiers;Montant;Référence;État", "spending"),
    ("Date;Action;Nom;Prénom;Date de naissance;Sexe;QPV", "attendance"),
    ("date;code action;nombre de participants;tranche d'âge;sexe;qpv;public", "attendance"),
])
def test_kind_recognised_from_headers(headers, kind):
    assert contract.guess_kind(headers.split(";")) == kind


def test_unrecognised_kind_is_a_clear_message(con):
    before = counts(con)
    with pytest.raises(UnknownKind, match="n'a pas été reconnu"):
        imp(con, None, "foo;bar\n1;2\n")
    with pytest.raises(UnknownKind, match="Type de fichier inconnu"):
        imp(con, "factures", "foo;bar\n1;2\n")
    assert counts(con) == before


@pytest.mark.parametrize("kind", list(SPEC))
def test_import_with_alias_headers_end_to_end(con, kind):
    """One file per kind written entirely with the last alias of each column."""
    seed(con)
    rows = {
        "actions": {"code": "NEW", "intitule": "Atelier vélo", "porteur": "Asso", "axe": "Sport",
                    "public_cible": "11-15", "annee_debut": "2023", "annee_fin": "2024"},
        "budget": {"annee": "2023", "action": "Café des parents", "financeur": "CAF",
                   "montant": "1 500,00 €"},
        "spending": {"date": "03/04/2023", "action": "Café des parents", "montant": "12,50",
                     "financeur": "CAF", "statut": "payé", "libelle": "Goûter", "fournisseur": "Boulangerie",
                     "piece": "M-1", "exercice": "2023"},
        "attendance": {"date": "03/04/2023", "action": "PARENTS", "participant": "A12", "nom": "",
                       "prenom": "", "date_naissance": "", "age": "34", "tranche_age": "",
                       "sexe": "Femme", "qpv": "oui", "nombre": "", "public": "parent"},
    }[kind]
    headers = [SPEC[kind][c][-1] for c in rows]
    text = ";".join(headers) + "\n" + ";".join(rows.values()) + "\n"
    report = imp(con, kind, text)
    assert report.stored and report.rows_stored == 1, report.rejected
    assert report.ignored == []
    expected = {
        "actions": ("select code, intitule, porteur, axe, public_cible, annee_debut, annee_fin from actions "
                    "where code = 'NEW'", ("NEW", "Atelier vélo", "Asso", "Sport", "11-15", 2023, 2024)),
        "budget": ("select annee, action_code, financeur, montant from budget",
                   (2023, "PARENTS", "CAF", pytest.approx(1500))),
        "spending": ("select date::varchar, exercice, action_code, montant, financeur, statut, libelle, "
                     "fournisseur, piece from spending",
                     ("2023-04-03", 2023, "PARENTS", pytest.approx(12.5), "CAF", "payé", "Goûter",
                      "Boulangerie", "M-1")),
        "attendance": ("select date::varchar, action_code, person like 'ps_%', age, tranche, sexe, qpv, "
                       "nombre, "
                       "public from attendance",
                       ("2023-04-03", "PARENTS", True, 34, "26 et plus", "F", True, 1, "parent")),
    }[kind]
    assert stored(con, expected[0]) == [expected[1]]

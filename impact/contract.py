"""The data contract, as data: kinds of file, their columns, aliases and accepted values.

One validator (impact.ingest) runs these rules; nothing here reads files.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DROP_BEFORE = re.compile(r"[°º]")
_DROP_AFTER = re.compile(r"[\s_\-'’./()]")


def normalise(text: str) -> str:
    """Header and action-name normalisation of the contract.

    >>> normalise("N° pièce"), normalise("Nº piece"), normalise("n_piece")
    ('npiece', 'npiece', 'npiece')
    """
    text = _DROP_BEFORE.sub("", text.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _DROP_AFTER.sub("", text)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()
    label: str = ""  # French name shown to users

    def keys(self) -> list[str]:
        """Normalised names in priority order: canonical first, then the aliases."""
        seen: list[str] = []
        for k in (self.name, *self.aliases):
            n = normalise(k)
            if n not in seen:
                seen.append(n)
        return seen


KIND_LABELS = {
    "actions": "Référentiel des actions",
    "budget": "Programmation budgétaire",
    "spending": "Dépenses",
    "attendance": "Présences",
}

COLUMNS: dict[str, list[Column]] = {
    "actions": [
        Column("code", True, ("code action", "code_action", "id action", "identifiant"), "code"),
        Column("intitule", True, ("intitulé", "action", "libellé", "nom de l'action", "titre"), "intitulé"),
        Column("porteur", False, ("porteur de projet", "structure", "association", "opérateur"), "porteur"),
        Column("axe", False, ("thématique", "thème", "domaine"), "thématique"),
        Column("public_cible", False, ("public", "tranche cible", "âge cible"), "public cible"),
        Column("annee_debut", False, ("année début", "début"), "année de début"),
        Column("annee_fin", False, ("année fin", "fin"), "année de fin"),
    ],
    "budget": [
        Column("annee", True, ("année", "exercice"), "année"),
        Column("action", True, ("code action", "code_action", "intitulé"), "action"),
        Column("financeur", False, ("financement", "source", "cofinanceur"), "financeur"),
        Column("montant", True, ("montant prévu", "montant programmé", "montant attribué", "subvention"),
               "montant"),
    ],
    "spending": [
        Column("date", True, ("date de paiement", "date mandat", "date engagement", "date facture"), "date"),
        Column("action", True, ("code action", "code_action", "intitulé"), "action"),
        Column("montant", True, ("montant ttc", "montant payé", "montant engagé", "dépense"), "montant"),
        Column("financeur", False, ("financement", "source"), "financeur"),
        Column("statut", False, ("état", "nature"), "statut"),
        Column("libelle", False, ("libellé", "objet", "désignation"), "libellé"),
        Column("fournisseur", False, ("bénéficiaire", "tiers", "prestataire"), "fournisseur"),
        Column("piece", False, ("pièce", "n° pièce", "numéro de mandat", "n° facture", "référence"), "pièce"),
        Column("exercice", False, ("année budgétaire", "année de programmation", "exercice budgétaire"),
               "exercice"),
    ],
    "attendance": [
        Column("date", True, ("date de la séance", "séance", "jour"), "date"),
        Column("action", True, ("code action", "code_action", "intitulé", "activité"), "action"),
        Column("participant", False, ("id participant", "identifiant", "n° adhérent"), "participant"),
        Column("nom", False, ("nom de famille",), "nom"),
        Column("prenom", False, ("prénom",), "prénom"),
        Column("date_naissance", False, ("date de naissance", "né(e) le", "naissance"), "date de naissance"),
        Column("age", False, ("âge",), "âge"),
        Column("tranche_age", False, ("tranche d'âge", "tranche"), "tranche d'âge"),
        Column("sexe", False, ("genre", "sexe (F/M)", "fille/garçon"), "sexe"),
        Column("qpv", False, ("habitant qpv", "résidence qpv", "quartier prioritaire"), "QPV"),
        Column("nombre", False, ("effectif", "nb participants", "nombre de participants"), "nombre"),
        Column("public", False, ("type de public", "catégorie"), "public"),
    ],
}

# Accepted values, keyed by their normalised spelling.
STATUTS = {"engage": "engagé", "engagee": "engagé", "paye": "payé", "payee": "payé",
           "mandate": "payé", "mandatee": "payé", "regle": "payé", "reglee": "payé", "avoir": "avoir"}
STATUT_HINT = "engagé, payé (ou mandaté, réglé), avoir"
PUBLICS = {"jeune": "jeune", "jeunes": "jeune", "parent": "parent", "parents": "parent",
           "professionnel": "professionnel", "professionnels": "professionnel",
           "professionnelle": "professionnel", "pro": "professionnel"}
PUBLIC_HINT = "jeune, parent, professionnel"
QPV_VALUES = {"oui": True, "o": True, "1": True, "vrai": True, "x": True,
              "non": False, "n": False, "0": False, "faux": False}
QPV_HINT = "oui, non, o, n, 1, 0, vrai, faux, x (= oui), ou vide"
SEXES = {"f": "F", "fille": "F", "femme": "F", "m": "M", "garcon": "M", "homme": "M", "h": "M"}
DEFAULT_STATUS_BY_AMOUNT_HEADER = {normalise("montant engagé"): "engagé", normalise("montant payé"): "payé"}


def band_values(bands: list[str]) -> dict[str, str]:
    """Accepted spellings of the age bands (normalised) → canonical band."""
    out = {normalise(b): b for b in bands}
    out[normalise("âge inconnu")] = "âge inconnu"
    return out


def band_bounds(bands: list[str]) -> list[tuple[str, int, int]]:
    """('16-25', 16, 25) for each band; '26 et plus' is (26, 150)."""
    out = []
    for b in bands:
        nums = [int(n) for n in re.findall(r"\d+", b)]
        if len(nums) >= 2:
            out.append((b, nums[0], nums[1]))
        elif nums:
            out.append((b, nums[0], 150))
    return out


@dataclass
class Mapping:
    """Which header of the file became which canonical column."""
    columns: dict[str, int]          # canonical name -> index in the file
    headers: dict[str, str]          # canonical name -> header as written
    ignored: list[tuple[str, str]]   # (header as written, why)
    missing: list[str]               # required canonical names not found


def map_headers(kind: str, headers: list[str]) -> Mapping:
    """Match a file's headers to the kind's columns, following the contract's priorities."""
    normalised = [normalise(h) for h in headers]
    taken: dict[int, str] = {}
    columns: dict[str, int] = {}
    for col in COLUMNS[kind]:
        for key in col.keys():
            idx = [i for i, n in enumerate(normalised) if n == key and i not in taken]
            if idx:
                columns[col.name] = idx[0]
                taken[idx[0]] = col.name
                break
    ignored: list[tuple[str, str]] = []
    for i, h in enumerate(headers):
        if i in taken:
            continue
        other = next((c.name for c in COLUMNS[kind] if normalised[i] in c.keys()), None)
        if not h.strip():
            why = "colonne sans en-tête"
        elif other:
            why = f"même colonne que « {headers[columns[other]]} » (prise en compte à sa place)"
        else:
            why = "colonne inconnue"
        ignored.append((h, why))
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in columns]
    return Mapping(columns, {c: headers[i] for c, i in columns.items()}, ignored, missing)


def guess_kind(headers: list[str]) -> str | None:
    """The kind whose required columns all match, preferring the most matched columns."""
    best, best_score = None, -1
    for kind in ("spending", "budget", "actions", "attendance"):
        m = map_headers(kind, headers)
        if m.missing:
            continue
        score = len(m.columns) * 10 + sum(c.required for c in COLUMNS[kind])
        if score > best_score:
            best, best_score = kind, score
    return best

"""Import a partner's file: parse → validate → store, all or nothing.

`import_file` reads a file (see impact.sources), maps its headers to the contract's columns,
parses every cell in DuckDB (dates, amounts, values), runs every rule of the contract, and
reports each problem with the row number Excel shows. Valid files are stored in one
transaction together with their batch; duplicates are counted, never stored twice.

Whole-file problems raise the ImportProblem family (French messages); row problems are
listed in the returned ImportReport.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from impact import contract, fmt, privacy, sources, spreadsheets
from impact.queries import load_script
from impact.settings import Settings
from impact.sources import (
    EmptyFile,
    ImportProblem,
    MissingColumns,
    Source,
    UnknownKind,
    UnreadableFile,
    open_source,
)
from impact.store import DERIVED_KINDS, WRITE_LOCK, assign_person_ids, rebuild_derived, write_transaction

if TYPE_CHECKING:  # pandas costs 0.3 s to import: the command line mostly does without it
    import pandas as pd

__all__ = ["ImportProblem", "UnreadableFile", "EmptyFile", "MissingColumns", "UnknownKind",
           "Problem", "ImportReport", "import_file", "analyse_headers", "pseudonym"]

MAX_LISTED_PROBLEMS = 50_000
# Names never leave the row: a problem about them is reported without the value. A birth date
# that could not be read is shown to the person who uploaded the file (so that they can find and
# fix it), never written to the command line's output, a log or a stored report.
_NAMES = {"nom", "prenom"}
_PERSONAL = {*_NAMES, "date_naissance"}
SUGGESTED_ACTIONS = 3       # known actions suggested for an unknown one
SUGGESTION_SIMILARITY = 0.8  # Jaro-Winkler similarity of normalised titles or codes
Progress = Callable[[float, str], None]


@dataclass
class Problem:
    line: int | None
    column: str | None
    value: str | None
    message: str
    personal: bool = False   # `value` is personal data: shown on the upload page only

    @property
    def public_value(self) -> str | None:
        """The value as the command line and any stored report may write it."""
        return None if self.personal else self.value

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.public_value, "message": self.message}


@dataclass
class ImportReport:
    kind: str
    file_name: str
    sha256: str = ""
    encoding: str = ""
    separator: str = ""
    kind_guessed: bool = False
    mapping: dict[str, str] = field(default_factory=dict)   # canonical -> header as written
    ignored: list[tuple[str, str]] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False
    rows_read: int = 0
    rows_valid: int = 0
    rows_stored: int = 0
    duplicates: int = 0
    replaced: list[dict] = field(default_factory=list)      # {"key", "old", "new"}
    warnings: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    rejected_count: int = 0                                 # rows with at least one problem
    problems_total: int = 0
    rejected_rows_csv: bytes | None = None
    preview: pd.DataFrame | None = None

    @property
    def stored(self) -> bool:
        return self.batch_id is not None

    def as_json(self) -> dict:
        return {
            "kind": self.kind, "file": self.file_name, "batch": self.batch_id,
            "rows_read": self.rows_read, "rows_stored": self.rows_stored,
            "duplicates": self.duplicates, "replaced": len(self.replaced),
            "warnings": [w.as_dict() for w in self.warnings],
            "rejected": [p.as_dict() for p in self.rejected],
        }


# --- the rules -----------------------------------------------------------------------------
# Each check: (canonical column it is about, SQL condition on the parsed table `t`, message).
# Conditions reference only generated columns and bound parameters ($start, $end, $today...).

def _period(settings: Settings) -> str:
    return f"du {fmt.date(settings.start)} au {fmt.date(settings.end)}"


def _years(settings: Settings) -> str:
    return f"{settings.start.year} à {settings.end.year}"


def _unreadable_date_checks(col: str, label: str) -> list[tuple[str, str, str]]:
    """A date that does not have a date's form, and one that has it but does not exist; `{col}_p`
    is the cell's parts (day, month, year) when it has a date's form."""
    return [
        (col, f"{col}_raw is not null and {col}_p is null",
         f"{label} illisible : écrivez-la JJ/MM/AAAA (jour en premier), par exemple 31/12/2023."),
        (col, f"{col}_p is not null and {col} is null and try_cast({col}_p.m as integer) not between 1 and 12",
         f"{label} impossible : ce mois n'existe pas (de 01 à 12). Le jour s'écrit en premier : JJ/MM/AAAA."),
        (col, f"{col}_p is not null and {col} is null and try_cast({col}_p.m as integer) between 1 and 12",
         f"{label} impossible : ce jour n'existe pas dans ce mois (un 31 avril, un 30 février, un 29 février "
         "hors année bissextile). Vérifiez le jour et le mois."),
    ]


def _date_checks(col: str, label: str, settings: Settings) -> list[tuple[str, str, str]]:
    return [
        (col, f"{col}_raw is null", f"{label} manquante."),
        *_unreadable_date_checks(col, label),
        (col, f"{col} > $today", f"{label} dans le futur."),
    ]


def _action_checks() -> list[tuple[str, str, str]]:
    return [
        ("action", "action_raw is null", "Action manquante : indiquez le code ou l'intitulé de l'action."),
        ("action", "action_raw is not null and action_code is null",
         "Action inconnue : ce code ou cet intitulé n'est pas dans le référentiel des actions. "
         "Importez d'abord le référentiel, ou corrigez la valeur."),
    ]


def checks_for(kind: str, settings: Settings) -> list[tuple[str, str, str]]:
    bands = ", ".join([*settings.bands, "âge inconnu"])
    late = f"12 mois après la fin de la convention ({fmt.date(settings.end)})"
    if kind == "actions":
        return [
            ("code", "code_raw is null", "Code de l'action manquant."),
            ("intitule", "intitule_raw is null", "Intitulé de l'action manquant."),
            ("annee_debut", "annee_debut_raw is not null and annee_debut is null",
             "Année de début illisible : une année sur 4 chiffres est attendue (par exemple 2023)."),
            ("annee_fin", "annee_fin_raw is not null and annee_fin is null",
             "Année de fin illisible : une année sur 4 chiffres est attendue (par exemple 2024)."),
            ("annee_fin", "annee_fin < annee_debut", "L'année de fin est antérieure à l'année de début."),
            ("code", "code_raw is not null and conflict_line is not null",
             "Ce code figure déjà plus haut dans le fichier avec un contenu différent : gardez une seule ligne."),
        ]
    if kind == "budget":
        return [
            ("annee", "annee_raw is null", "Année manquante."),
            ("annee", "annee_raw is not null and annee is null",
             "Année illisible : une année sur 4 chiffres est attendue (par exemple 2023)."),
            ("annee", "annee < $year_start or annee > $year_end",
             f"Année hors de la période de la convention ({_years(settings)})."),
            *_action_checks(),
            ("montant", "montant_raw is null", "Montant manquant."),
            ("montant", "montant_raw is not null and montant is null",
             "Montant illisible : ce n'est pas un nombre (exemples acceptés : 1 234,50 ou 1234.50 €)."),
            ("montant", "montant < 0", "Montant négatif : un montant programmé est positif ou nul."),
            ("montant", "conflict_line is not null",
             "Même année, même action et même financeur qu'une ligne plus haut, avec un autre montant : "
             "gardez une seule ligne."),
        ]
    if kind == "spending":
        return [
            *_date_checks("date", "Date", settings),
            ("date", "date < $start", f"Date antérieure au début de la convention ({fmt.date(settings.start)})."),
            ("date", "date > $end and exercice_raw is null",
             f"Date après la fin de la convention ({fmt.date(settings.end)}). S'il s'agit du paiement tardif "
             "d'une action de la convention, ajoutez une colonne « exercice » donnant l'année de "
             "programmation qu'elle consomme."),
            ("date", "date > $late_end and exercice_raw is not null",
             f"Date plus de {late} : même un paiement tardif doit intervenir dans ce délai."),
            ("exercice", "exercice_raw is not null and exercice_in is null",
             "Exercice illisible : une année sur 4 chiffres est attendue (par exemple 2023)."),
            ("exercice", "exercice < $year_start or exercice > $year_end",
             f"Exercice hors de la période de la convention ({_years(settings)})."),
            *_action_checks(),
            ("montant", "montant_raw is null", "Montant manquant."),
            ("montant", "montant_raw is not null and montant_in is null",
             "Montant illisible : ce n'est pas un nombre (exemples acceptés : 1 234,50 ou 1234.50 €)."),
            ("montant", "montant_in < 0 and statut is distinct from 'avoir'",
             "Montant négatif : seul un avoir (statut « avoir ») peut être négatif."),
            ("statut", "statut_raw is not null and statut is null",
             f"Statut non reconnu. Valeurs acceptées : {contract.STATUT_HINT}."),
        ]
    if kind == "attendance":
        return [
            *_date_checks("date", "Date", settings),
            ("date", "date < $start or date > $end",
             f"Date hors de la période de la convention ({_period(settings)})."),
            *_action_checks(),
            ("nom", "nom_raw is null and prenom_raw is not null",
             "Nom manquant : le prénom est rempli, pas le nom. Nom et prénom vont ensemble : "
             "remplissez les deux, ou laissez les deux vides pour un effectif sans nom."),
            ("prenom", "prenom_raw is null and nom_raw is not null",
             "Prénom manquant : le nom est rempli, pas le prénom. Nom et prénom vont ensemble : "
             "remplissez les deux, ou laissez les deux vides pour un effectif sans nom."),
            *_unreadable_date_checks("date_naissance", "Date de naissance"),
            ("date_naissance", "date_naissance > date",
             "Date de naissance postérieure à la date de la séance."),
            ("date_naissance", "age_from_birth > 99", "Âge hors de 0 à 99 ans (d'après la date de naissance)."),
            ("age", "age_raw is not null and age_decl is null",
             "Âge illisible : un nombre entier de 0 à 99 est attendu."),
            ("age", "age_decl < 0 or age_decl > 99", "Âge hors de 0 à 99 ans."),
            ("tranche_age", "tranche_raw is not null and tranche_decl is null",
             f"Tranche d'âge non reconnue. Valeurs acceptées : {bands}."),
            ("qpv", "qpv_raw is not null and qpv_known is null",
             f"Valeur QPV non reconnue. Valeurs acceptées : {contract.QPV_HINT}."),
            ("public", "public_raw is not null and public is null",
             f"Public non reconnu. Valeurs acceptées : {contract.PUBLIC_HINT}."),
            ("nombre", "nombre_raw is not null and (nombre_in is null or nombre_in < 1)",
             "Nombre illisible ou inférieur à 1 : un nombre entier de participants (1 ou plus) est attendu."),
            ("nombre", "person is not null and nombre_in > 1",
             "Une ligne qui nomme une personne compte une seule participation : laissez « nombre » vide "
             "ou à 1, ou retirez la personne pour un effectif global."),
        ]
    raise UnknownKind(kind)


# --- parsing in SQL ------------------------------------------------------------------------

def source_column(i: int) -> str:
    """The name of the i-th column of a file as DuckDB reads it (c0, c1, …): made here from a
    position, never from the file's text, so that it can stand in SQL."""
    return "c" + str(operator.index(i))


# The names of the cleaned cells the attendance dictionaries make (their raw and trimmed forms are
# v_NAME and t_NAME): an allow-list, since they are written into SQL as names.
DICTIONARY_CELLS = frozenset({"date_raw", "date_naissance_raw", "action_raw", "tranche_raw", "sexe_raw", "qpv_raw",
                              "public_raw", "nom_raw", "prenom_raw", "participant"})


def _trim_sql(x: str) -> str:
    """Cell `x` trimmed of spaces, and of the tabs and no-break spaces Excel leaves around values,
    its Windows line breaks (in a quoted cell) made plain: this slower form runs only on cells that
    hold one of those."""
    return (f"case when contains({x}, chr(9)) or contains({x}, chr(160)) or contains({x}, chr(8239)) "
            f"or contains({x}, chr(13)) "
            f"then trim(replace({x}, chr(13) || chr(10), chr(10)), ' \t\u00a0\u202f') else trim({x}) end")


def _unformula_sql(x: str) -> str:
    """Trimmed cell `x`, NULL when blank; a leading apostrophe that neutralised a formula in one
    of our exports is taken off (a prefix test, not a regex: this runs on every cell)."""
    return (f"nullif(case when starts_with({x}, '''') and substr({x}, 2, 1) in ('=', '+', '-', '@') "
            f"then substr({x}, 2) else {x} end, '')")


def _trimmed_src(mapping: contract.Mapping) -> str:
    """`src` with the mapped cells trimmed."""
    cols = [_trim_sql(source_column(idx)) + " as " + source_column(idx)
            for idx in sorted(set(mapping.columns.values()))]
    return f"(select rn, {', '.join(cols)} from src) as src"


def _cell(mapping: contract.Mapping, name: str) -> str:
    """The text of a canonical column of the trimmed `src` as an SQL expression (NULL when
    absent or blank)."""
    idx = mapping.columns.get(name)
    return "cast(null as varchar)" if idx is None else _unformula_sql(source_column(idx))


def _band_case(settings: Settings, age_expr: str) -> str:
    parts = [f"when {age_expr} between {lo} and {hi} then '{band}'"
             for band, lo, hi in contract.band_bounds(list(settings.bands))]
    return f"case when {age_expr} is null then null {' '.join(parts)} else 'âge inconnu' end"


def _lookup_case(key: str, values: dict[str, str | bool]) -> str:
    """CASE mapping a normalised key column to canonical values (from the contract's tables)."""
    parts = []
    for k, v in values.items():
        val = ("true" if v else "false") if isinstance(v, bool) else "'" + v.replace("'", "''") + "'"
        parts.append(f"when '{k}' then {val}")
    return f"case {key} {' '.join(parts)} end"


def _parsed_select(kind: str, mapping: contract.Mapping, settings: Settings,
                   amount_default_status: str) -> str:
    """SQL turning `src` (raw text cells) into parsed columns, in stages so that each regex
    runs once per cell: s (raw cells), k (normalised keys, date parts), p (values)."""
    cell = lambda name: _cell(mapping, name)  # noqa: E731
    base = "select rn, rn + 2 as line"
    src = _trimmed_src(mapping)
    if kind == "actions":
        return f"""
        with s as (
            {base}, {cell('code')} as code_raw, {cell('intitule')} as intitule_raw,
                {cell('porteur')} as porteur, {cell('axe')} as axe, {cell('public_cible')} as public_cible,
                {cell('annee_debut')} as annee_debut_raw, {cell('annee_fin')} as annee_fin_raw
            from {src}
        ), p as (
            select *, code_raw as code, norm_key(code_raw) as code_key, intitule_raw as intitule,
                norm_key(intitule_raw) as intitule_key,
                parse_year(annee_debut_raw) as annee_debut, parse_year(annee_fin_raw) as annee_fin
            from s
        )
        select *,
            case when first_value(md5(concat_ws('|', intitule, porteur, axe, public_cible, annee_debut, annee_fin)))
                      over w <> md5(concat_ws('|', intitule, porteur, axe, public_cible, annee_debut, annee_fin))
                 then first_value(line) over w end as conflict_line
        from p
        window w as (partition by code_key order by rn)
        """
    if kind == "budget":
        return f"""
        with s as (
            {base}, {cell('annee')} as annee_raw, {cell('action')} as action_raw,
                coalesce({cell('financeur')}, $state_funder) as financeur, {cell('montant')} as montant_raw
            from {src}
        ), k as (
            select *, norm_key(action_raw) as action_k, amount_text(montant_raw) as montant_txt from s
        ), p as (
            select k.*, parse_year(annee_raw) as annee, l.code as action_code,
                norm_key(financeur) as financeur_key, amount_from_text(montant_txt) as montant
            from k left join action_lookup l on l.key = k.action_k
        )
        select *,
            case when first_value(montant) over w <> montant then first_value(line) over w end as conflict_line
        from p
        window w as (partition by annee, action_code, financeur_key order by rn)
        """
    if kind == "spending":
        return f"""
        with s as (
            {base}, {cell('date')} as date_raw, {cell('action')} as action_raw,
                {cell('montant')} as montant_raw, coalesce({cell('financeur')}, $state_funder) as financeur,
                {cell('statut')} as statut_raw, {cell('libelle')} as libelle,
                {cell('fournisseur')} as fournisseur, {cell('piece')} as piece,
                {cell('exercice')} as exercice_raw
            from {src}
        ), k as (
            select *, date_parts(date_raw) as date_p, norm_key(action_raw) as action_k,
                amount_text(montant_raw) as montant_txt, norm_key(statut_raw) as statut_k
            from s
        ), p as (
            select k.*, parts_to_date(date_p, 9999) as date, l.code as action_code,
                amount_from_text(montant_txt) as montant_in, norm_key(financeur) as financeur_key,
                case when statut_raw is null then '{amount_default_status}'
                     else {_lookup_case('statut_k', contract.STATUTS)} end as statut,
                parse_year(exercice_raw) as exercice_in
            from k left join action_lookup l on l.key = k.action_k
        )
        select *, coalesce(exercice_in, year(date)) as exercice,
            case when statut = 'avoir' then -abs(montant_in) else montant_in end as montant
        from p
        """
    if kind == "attendance":
        return _attendance_select(mapping, settings)
    raise UnknownKind(kind)


def _attendance_select(mapping: contract.Mapping, settings: Settings) -> str:
    """SQL turning `src` into parsed attendance rows.

    A file repeats the same dates, actions, groups and people on many rows: every value is
    cleaned and parsed once per distinct cell (or combination of cells) in a small dictionary,
    and each row only looks its cells up, so that the million-row part of the work is a few
    joins. Only `age`, `nombre` and `participant` are cleaned row by row."""
    idx = mapping.columns

    def col(name: str) -> str | None:
        return source_column(idx[name]) if name in idx else None

    def dictionary(cells: dict[str, str]) -> tuple[str, str]:
        """(query of the distinct raw cells v_* and their cleaned values, join condition on src
        with {d} standing for the dictionary's alias); ("", "") when no cell is mapped."""
        if not cells.keys() <= DICTIONARY_CELLS:
            raise ValueError(f"cells outside DICTIONARY_CELLS: {sorted(cells.keys() - DICTIONARY_CELLS)}")
        mapped = {alias: col(name) for alias, name in cells.items() if col(name)}
        if not mapped:
            return "", ""
        distinct = ", ".join(f"{c} as v_{alias}" for alias, c in mapped.items())
        trimmed = ", ".join(f"{_trim_sql(f'v_{alias}')} as t_{alias}" for alias in mapped)
        cleaned = ", ".join(f"{_unformula_sql(f't_{alias}')} as {alias}" for alias in mapped)
        query = f"select *, {cleaned} from (select *, {trimmed} from (select distinct {distinct} from src))"
        on = " and ".join(f"{{d}}.v_{alias} is not distinct from src.{c}" for alias, c in mapped.items())
        return query, on

    def cleaned(alias: str, name: str, table: str) -> str:
        return f"{table}.{alias}" if col(name) else "cast(null as varchar)"

    def per_row(alias: str, name: str) -> str:
        c = col(name)
        return f"{_unformula_sql(_trim_sql(c))} as {alias}" if c else f"cast(null as varchar) as {alias}"

    band_lookup = contract.band_values(list(settings.bands))
    date_q, date_on = dictionary({"date_raw": "date"})
    birth_q, birth_on = dictionary({"date_naissance_raw": "date_naissance"})
    pattern_q, pattern_on = dictionary({"action_raw": "action", "tranche_raw": "tranche_age", "sexe_raw": "sexe",
                                        "qpv_raw": "qpv", "public_raw": "public"})
    # The cells that make a person's identity: names and birth date, or an identifier within the
    # porteur of the action.
    who_cells = {"nom_raw": "nom", "prenom_raw": "prenom", "date_naissance_raw": "date_naissance"}
    if col("participant"):
        who_cells.update({"participant": "participant", "action_raw": "action"})
    who_q, who_on = dictionary(who_cells)

    tranche_raw, sexe_raw = cleaned("tranche_raw", "tranche_age", "p"), cleaned("sexe_raw", "sexe", "p")
    qpv_raw, public_raw = cleaned("qpv_raw", "qpv", "p"), cleaned("public_raw", "public", "p")
    ctes = [
        f"d_date as (select *, parts_to_date(p, 9999) as d from (select *, date_parts(date_raw) as p "
        f"from ({date_q})))",
        f"""d_pattern as (
            select p.*, l.code as action_code, l.porteur_key,
                {_lookup_case(f'norm_key({tranche_raw})', band_lookup)} as tranche_decl,
                coalesce({_lookup_case(f'norm_key({sexe_raw})', contract.SEXES)}, 'NR') as sexe,
                {_lookup_case(f'norm_key({qpv_raw})', contract.QPV_VALUES)} as qpv_known,
                case when {public_raw} is null then 'jeune'
                     else {_lookup_case(f'norm_key({public_raw})', contract.PUBLICS)} end as public
            from ({pattern_q}) as p
            left join action_lookup l on l.key = norm_key(p.action_raw))""",
    ]
    joins = [f"left join d_date as dd on {date_on.format(d='dd')}",
             f"left join d_pattern as dp on {pattern_on.format(d='dp')}"]
    birth_raw, birth_date, birth_parts = ("cast(null as varchar)", "cast(null as date)",
                                              "cast(null as struct(y varchar, m varchar, d varchar))")
    if birth_q:
        ctes.append(f"d_birth as (select *, parts_to_date(p, $this_year) as d "
                    f"from (select *, date_parts(date_naissance_raw) as p from ({birth_q})))")
        joins.append(f"left join d_birth as db on {birth_on.format(d='db')}")
        birth_raw, birth_date, birth_parts = "db.date_naissance_raw", "db.d", "db.p"
    names = "cast(null as varchar) as nom_raw, cast(null as varchar) as prenom_raw"
    hashed = "cast(null as varchar)"
    if who_q:
        cases = []
        if col("nom") and col("prenom"):
            born = "b.d" if birth_q else "cast(null as date)"
            cases.append("when w.nom_raw is not null and w.prenom_raw is not null then 'nom|' || "
                         "norm_name(w.nom_raw) || '|' || norm_name(w.prenom_raw) || '|' || "
                         f"coalesce(strftime({born}, '%Y-%m-%d'), '')")
        if col("participant"):
            cases.append("when w.participant is not null and not regexp_full_match(w.participant, 'ps_[0-9a-f]+') "
                         "then 'id|' || coalesce(l.porteur_key, '') || '|' || w.participant")
        extra_joins = ""
        if birth_q:
            extra_joins += (" left join d_birth as b"
                            " on b.v_date_naissance_raw is not distinct from w.v_date_naissance_raw")
        if col("participant"):
            extra_joins += " left join action_lookup l on l.key = norm_key(w.action_raw)"
        identity = f"case {' '.join(cases)} end" if cases else "cast(null as varchar)"
        ctes.append(f"""d_who as (
            select *, 'ps_' || left(hmac_sha256($ipad, $opad, identity_text), 16) as hashed
            from (select w.*, {identity} as identity_text from ({who_q}) as w{extra_joins}))""")
        joins.append(f"left join d_who as dw on {who_on.format(d='dw')}")
        names = f"{cleaned('nom_raw', 'nom', 'dw')} as nom_raw, {cleaned('prenom_raw', 'prenom', 'dw')} as prenom_raw"
        hashed = "dw.hashed"

    return f"""
        with {', '.join(ctes)}
        select * exclude (hashed),
            case when hashed is not null then hashed when participant is not null then participant end as person,
            coalesce(nombre_in, 1) as nombre,
            qpv_known as qpv,
            coalesce({_band_case(settings, 'age')}, tranche_decl, 'âge inconnu') as tranche
        from (
            select *,
                coalesce(age_from_birth, case when age_decl between 0 and 99 then age_decl end) as age
            from (
                select *, parse_int(age_raw) as age_decl, parse_int(nombre_raw) as nombre_in,
                    age_at(date_naissance, date) as age_from_birth
                from (
                    select src.rn, src.rn + 2 as line,
                        dd.date_raw, dd.p as date_p, dd.d as date,
                        dp.action_raw, dp.action_code, dp.porteur_key,
                        {cleaned('tranche_raw', 'tranche_age', 'dp')} as tranche_raw, dp.tranche_decl,
                        {cleaned('sexe_raw', 'sexe', 'dp')} as sexe_raw, dp.sexe,
                        {cleaned('qpv_raw', 'qpv', 'dp')} as qpv_raw, dp.qpv_known,
                        {cleaned('public_raw', 'public', 'dp')} as public_raw, dp.public,
                        {names},
                        {birth_raw} as date_naissance_raw, {birth_parts} as date_naissance_p,
                        {birth_date} as date_naissance,
                        {per_row('participant', 'participant')},
                        {per_row('age_raw', 'age')},
                        {per_row('nombre_raw', 'nombre')},
                        {hashed} as hashed
                    from src
                    {' '.join(joins)}
                )
            )
        )
        """


# Identity of a row (contract, "Re-uploading a file ...") and what is stored, per kind.
STORED_COLUMNS = {
    "actions": ["code", "code_key", "intitule", "intitule_key", "porteur", "axe", "public_cible",
                "annee_debut", "annee_fin"],
    "budget": ["annee", "action_code", "financeur", "financeur_key", "montant"],
    "spending": ["date", "exercice", "action_code", "montant", "financeur", "financeur_key", "statut",
                 "libelle", "fournisseur", "piece"],
    "attendance": ["date", "action_code", "person", "age", "tranche", "sexe", "qpv", "nombre", "public"],
}
IDENTITY = {
    "actions": ["code_key"],
    "budget": ["annee", "action_code", "financeur_key"],
    # spending: (piece, action, montant, statut) with a piece, else (date, action, montant, financeur,
    # statut, libelle); the piece is null in the second case, so one key covers both.
    "spending": ["piece", "action_code", "montant", "statut", "k_date", "k_financeur", "k_libelle"],
    # attendance: (date, action, person) for a named row, + the group and nombre for a head count.
    "attendance": ["date", "action_code", "person", "k_tranche", "k_sexe", "k_qpv", "k_public", "k_nombre"],
}
KEY_EXPR = {
    "spending": {
        "k_date": "case when piece is null then date end",
        "k_financeur": "case when piece is null then financeur_key end",
        "k_libelle": "case when piece is null then libelle end",
    },
    "attendance": {
        "k_tranche": "case when person is null then tranche end",
        "k_sexe": "case when person is null then sexe end",
        "k_qpv": "case when person is null then qpv end",
        "k_public": "case when person is null then public end",
        "k_nombre": "case when person is null then nombre end",
    },
}


def _key_extras(kind: str) -> str:
    """Select-list tail computing the identity columns that are not stored columns."""
    return "".join(f", {expr} as {col}" for col, expr in KEY_EXPR.get(kind, {}).items())


def _same_key(left: str, right: str, kind: str) -> str:
    return " and ".join(f"{left}.{c} is not distinct from {right}.{c}" for c in IDENTITY[kind])


TABLE = {"actions": "actions", "budget": "budget", "spending": "spending", "attendance": "attendance"}


def analyse_headers(kind: str | None, headers: list[str]) -> tuple[str, contract.Mapping, bool]:
    """(kind, mapping, guessed). Raise UnknownKind or MissingColumns in French."""
    guessed = False
    if kind is None:
        kind = contract.guess_kind(headers)
        guessed = True
        if kind is None:
            raise UnknownKind(
                "Le type de fichier n'a pas été reconnu d'après ses en-têtes ("
                + ", ".join(f"« {h} »" for h in headers[:20])
                + "). Choisissez le type de fichier : référentiel des actions, programmation budgétaire, "
                  "dépenses ou présences.")
    if kind not in contract.COLUMNS:
        raise UnknownKind(f"Type de fichier inconnu : {kind} (attendu : {', '.join(contract.COLUMNS)}).")
    mapping = contract.map_headers(kind, headers)
    if mapping.missing:
        labels = [next(c for c in contract.COLUMNS[kind] if c.name == m) for m in mapping.missing]
        found = ", ".join(f"« {h} »" for h in headers[:30]) + (" …" if len(headers) > 30 else "")
        raise MissingColumns(
            f"Colonne obligatoire absente pour un fichier « {contract.KIND_LABELS[kind]} » : "
            + ", ".join(f"« {c.name} » (ou {', '.join(c.aliases[:3])})" for c in labels)
            + f". En-têtes trouvés : {found}.")
    return kind, mapping, guessed


# A null marker no cell holds: an empty cell is then '' and only the cells a row lacks are NULL
# (null_padding), which tells a row with more cells than the header.
_NO_NULL_TEXT = "\x00\x00"


def _read_records(con: duckdb.DuckDBPyConnection, source: Source, width: int,
                  extra: bool = False) -> duckdb.DuckDBPyRelation:
    """The records of `source` as `width` text columns c0, c1…, read by DuckDB from memory (a
    relation, which SQL run from the caller reads by its variable's name); with `extra`, the last
    column is c_extra."""
    names = [source_column(i) for i in range(width)]
    if extra:
        names[-1] = "c_extra"
    return con.read_csv(
        io.BytesIO(source.data), delimiter=source.separator, quotechar='"', escapechar='"', header=False,
        all_varchar=True, columns=dict.fromkeys(names, "VARCHAR"), null_padding=True,
        strict_mode=False, auto_detect=False, parallel=False, max_line_size=10_000_000,
        na_values=_NO_NULL_TEXT)


def _load_raw(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    n = len(source.headers)
    # rn numbers the records in file order (the reading is sequential); a record is kept when one
    # of its cells holds more than spaces and tabs. Done once here, so that the several passes of
    # the parsing read a plain table. One column more than the header (c_extra) tells the rows that
    # have more cells than the header.
    try:
        records = _read_records(con, source, n + 1, extra=True)  # noqa: F841 (read by name in the SQL below)
        con.execute("""
            create or replace temp table raw as
            select * from (
                select row_number() over () - 1 as rn, * from records
            )
            where trim(replace(c0, chr(9), ' ')) <> ''   -- nearly always: the rest is not read
                or trim(replace(concat_ws('', *columns(* exclude (rn))), chr(9), ' ')) <> ''""")
    except duckdb.Error as exc:
        raise UnreadableFile(
            f"{source.file_name} n'a pas pu être lu comme un CSV (guillemets non refermés, ligne trop "
            "longue ou séparateur incohérent). Ouvrez-le dans Excel et enregistrez-le à nouveau en « CSV "
            "(séparateur : point-virgule) ».") from exc
    con.execute("create or replace temp view src as select * from raw")


def _extra_cells(con: duckdb.DuckDBPyConnection, source: Source) -> list[Problem]:
    """A warning for each row that has more cells than the header, one of them not blank: DuckDB
    keeps the header's columns and drops the others, which must not go unsaid."""
    if not con.execute("select count(*) from raw where c_extra is not null").fetchall()[0][0]:
        return []
    n = len(source.headers)
    width = max(n + 1, sources.MAX_COLUMNS + 1)
    # The rows are read again, as wide as a file may be, to count their cells (rare: only then).
    records = _read_records(con, source, width)  # noqa: F841 (read by name in the SQL below)
    rows = con.execute("""
        with wide as (
            -- the cells after the header's columns
            select row_number() over () - 1 as rn, list_slice(list_value(*columns(*)), $first, $last) as cells
            from records
        )
        select rn + 2 as line, len(list_filter(cells, lambda x: x is not null)) as extra
        from wide
        where cells[1] is not null and len(list_filter(cells, lambda x: coalesce(trim(x), '') <> '')) > 0
            and rn in (select rn from raw where c_extra is not null)
        order by rn""", {"first": n + 1, "last": width}).fetchall()
    warnings = []
    for line, extra in rows:
        count = f"au moins {extra}" if extra >= width - n else str(extra)
        warnings.append(Problem(
            int(line), None, None,
            f"Cette ligne a {count} cellule{'s' if extra > 1 else ''} de plus que la ligne d'en-têtes "
            f"({n} colonnes) : elles ne sont pas importées. Vérifiez qu'un séparateur ne manque pas dans "
            "les en-têtes ou qu'une cellule n'a pas été coupée en deux."))
    return warnings


def _load_parsing_macros(con) -> None:
    """Create the parsing macros once per connection (a temporary table keeps the script's version)."""
    script = load_script("parsing")
    version = hashlib.sha256(script.encode()).hexdigest()
    try:
        loaded = con.execute("select version from parsing_macros_version").fetchall()
    except duckdb.CatalogException:
        loaded = []
    if loaded != [(version,)]:
        con.execute(script)
        con.execute("create or replace temp table parsing_macros_version as select $v as version", {"v": version})


def _action_lookup(con) -> None:
    """Code keys first, then titles (a title that equals another action's code loses)."""
    con.execute("""create or replace temp table action_lookup as
        select key, code, porteur_key from (
            select key, code, porteur_key, row_number() over (partition by key order by prio, code) as r
            from (
                select code_key as key, code, norm_key(coalesce(porteur, '')) as porteur_key, 1 as prio
                from actions_current
                union all
                select intitule_key, code, norm_key(coalesce(porteur, '')), 2 from actions_current
            )
        ) where r = 1""")


def import_file(con: duckdb.DuckDBPyConnection, kind: str | None, data: bytes | str | Path, *,
                settings: Settings, key: bytes, file_name: str | None = None,
                imported_by: str = "", dry_run: bool = False, accept_valid: bool = False,
                today: dt.date | None = None, progress: Progress | None = None,
                with_preview: bool = True) -> ImportReport:
    """Import one file of `kind` (None: recognise it from the headers).

    Returns the report; stores nothing when a row is invalid unless `accept_valid`.
    Raises ImportProblem subclasses for whole-file problems (nothing stored).
    """
    step = progress or (lambda f, m: None)
    step(0.02, "Lecture du fichier")
    with open_source(data, file_name) as source:
        kind, mapping, guessed = analyse_headers(kind, source.headers)
        report = ImportReport(kind=kind, file_name=source.file_name, sha256=source.sha256,
                              encoding=source.encoding, separator=source.separator_label,
                              kind_guessed=guessed, mapping=mapping.headers, ignored=mapping.ignored,
                              dry_run=dry_run)
        with WRITE_LOCK:
            _load_parsing_macros(con)
            step(0.15, "Décodage et lecture des lignes")
            _load_raw(con, source)
            report.warnings.extend(_extra_cells(con, source))
            report.rows_read = con.execute("select count(*) from src").fetchall()[0][0]
            if report.rows_read == 0:
                raise EmptyFile(f"{source.file_name} ne contient aucune ligne de données "
                                "(seulement des en-têtes ou des lignes vides).")
            step(0.35, "Vérification des valeurs")
            _validate(con, kind, mapping, settings, key, today or dt.date.today(), report)
            if report.rejected_count and not accept_valid:
                report.rejected_rows_csv = _rejected_csv(con, source)
                return report
            if report.rejected_count:
                report.rejected_rows_csv = _rejected_csv(con, source)
            if report.rows_valid == 0:
                return report
            step(0.6, "Recherche des doublons")
            _classify(con, kind, report)
            if with_preview:  # the upload page shows it; the command line does not need it
                report.preview = _preview(con, kind)
            if dry_run:
                return report
            step(0.8, "Enregistrement")
            _store(con, kind, report, imported_by)
            step(1.0, "Import terminé")
            return report


def _validate(con, kind: str, mapping: contract.Mapping, settings: Settings, key: bytes,
              today: dt.date, report: ImportReport) -> None:
    _action_lookup(con)
    amount_header = contract.normalise(mapping.headers.get("montant", ""))
    default_status = contract.DEFAULT_STATUS_BY_AMOUNT_HEADER.get(amount_header, "payé")
    ipad, opad = privacy.hmac_pads(key)
    params = {
        "state_funder": settings.state_funder, "this_year": today.year, "ipad": ipad, "opad": opad,
        "start": settings.start, "end": settings.end, "today": today,
        "late_end": dt.date(settings.end.year + 1, settings.end.month, min(settings.end.day, 28))
        if (settings.end.month, settings.end.day) == (2, 29) else
        settings.end.replace(year=settings.end.year + 1),
        "year_start": settings.start.year, "year_end": settings.end.year,
    }
    # t: the parsed rows (a query). It is computed once into `cand`, narrow: what is stored, the
    # identity, and a bit mask of the rules each row breaks. Only when some rows break a rule is
    # t computed again, for those rows' values (a problem spells out the cell as it was).
    sql = _parsed_select(kind, mapping, settings, default_status)
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    con.execute("create or replace temp table problems (rn bigint, line bigint, col varchar, "
                "value varchar, message varchar, ord integer, personal boolean)")
    checks = checks_for(kind, settings)
    mask = " + ".join(f"(case when {condition} then {1 << order} else 0 end)"
                      for order, (_, condition, _) in enumerate(checks))
    cand_sql = (f"create or replace temp table cand as select rn, line, {', '.join(STORED_COLUMNS[kind])}"
                f"{_key_extras(kind)}, 1::bigint as nth, ({mask})::bigint as mask from ({sql}) as t")
    con.execute(cand_sql, {k: v for k, v in params.items() if f"${k}" in sql or f"${k}" in mask})
    con.execute("create or replace temp table flagged as select rn, mask from cand where mask <> 0")
    if con.execute("select count(*) from flagged").fetchall()[0][0]:
        _list_problems(con, kind, sql, used, checks, mapping)
        con.execute("delete from cand where mask <> 0")
        unknown_action = [order for order, (col, condition, _) in enumerate(checks)
                          if col == "action" and "action_code is null" in condition]
        if unknown_action:
            _suggest_actions(con, unknown_action[0])
    report.problems_total, report.rejected_count = con.execute(
        "select count(*), count(distinct rn) from problems").fetchall()[0]
    report.rows_valid = report.rows_read - report.rejected_count
    rows = con.execute("select line, col, value, message, personal from problems order by line, ord limit $n",
                       {"n": MAX_LISTED_PROBLEMS}).fetchall()
    report.rejected = [Problem(int(r[0]), r[1], r[2], r[3], bool(r[4])) for r in rows]
    if report.problems_total > MAX_LISTED_PROBLEMS:
        report.rejected.append(Problem(None, None, None, f"… et {report.problems_total - MAX_LISTED_PROBLEMS} "
                                                         "autres problèmes (voir le fichier des lignes rejetées)."))


def _list_problems(con, kind: str, sql: str, params: dict, checks: list[tuple[str, str, str]],
                   mapping: contract.Mapping) -> None:
    """One row of `problems` per flagged row and rule it breaks, with the cell as the file wrote it
    (never a name): the parsed rows `sql` are computed again, for the flagged rows only."""
    labels = {c.name: c.label for c in contract.COLUMNS[kind]}
    con.execute("""create or replace temp table rules as
        select unnest($ord)::integer as ord, unnest($col)::varchar as col, unnest($raw_col)::varchar as raw_col,
            unnest($message)::varchar as message, unnest($personal)::boolean as personal""", {
        "ord": list(range(len(checks))),
        # the column as the file names it, else as the contract names it (a column the file lacks)
        "col": [mapping.headers.get(col) or labels.get(col, col) for col, _, _ in checks],
        # the parsed rows' column holding the cell as written
        "raw_col": [{"action": "action_raw", "tranche_age": "tranche_raw"}.get(col, f"{col}_raw")
                    for col, _, _ in checks],
        "message": [message for _, _, message in checks],
        "personal": [col in _PERSONAL for col, _, _ in checks]})
    # the flagged rows' cells as written, names left out, as a JSON object {column: cell}
    con.execute(f"""create or replace temp table flagged_rows as
        select rn, t.line,
            to_json(struct_pack(*columns(lambda c: ends_with(c, '_raw') and not list_contains($names, c)))) as cells
        from flagged join ({sql}) as t using (rn)""", {**params, "names": [f"{name}_raw" for name in _NAMES]})
    # each broken rule's cell, looked up by its column's name (null for a name, or a column the file lacks)
    con.execute("""insert into problems
        select t.rn, t.line, r.col, json_extract_string(t.cells, '$."' || r.raw_col || '"'), r.message,
            r.ord, r.personal
        from flagged f join flagged_rows as t using (rn) join rules r on (f.mask >> r.ord) & 1 = 1""")


def _suggest_actions(con, order: int) -> None:
    """Name the known actions nearest to each unknown one (a typo, an old title) in its message:
    the most similar titles or codes, compared as the lookup compares them (normalised)."""
    con.execute("""
        create or replace temp table suggestions as
        with unknown as (
            select distinct value, norm_key(value) as k from problems
            where ord = $ord and value is not null
            limit 1000
        ),
        scored as (
            select u.value, a.code, a.intitule,
                greatest(jaro_winkler_similarity(u.k, a.intitule_key),
                         jaro_winkler_similarity(u.k, a.code_key)) as score
            from unknown as u cross join actions_current as a
        ),
        ranked as (
            select *, row_number() over (partition by value order by score desc, code) as r
            from scored
            where score >= $similarity
        )
        select value, string_agg('« ' || intitule || ' » (' || code || ')', ', ' order by r) as near
        from ranked
        where r <= $shown
        group by value""", {"ord": order, "similarity": SUGGESTION_SIMILARITY, "shown": SUGGESTED_ACTIONS})
    con.execute("""update problems set message = problems.message || ' Actions connues proches : ' || s.near || '.'
        from suggestions as s
        where problems.ord = $ord and problems.value = s.value""", {"ord": order})


REJECTED_LINE = "ligne d'origine"
REJECTED_REASON = "motif du rejet"


def _rejected_csv(con, source: Source) -> bytes:
    """The rejected rows as they were, for French Excel: first the row number Excel showed in the
    uploaded file, then the row's cells, then the reasons. Imported again once corrected, the two
    added columns are reported as unknown and ignored."""
    n = len(source.headers)
    frame = con.execute("""
        with reasons as (
            select rn, min(line) as line, string_agg(message, ' ; ' order by ord) as motif
            from problems
            group by rn
        )
        select r.line, src.* exclude (rn, c_extra), r.motif   -- the header's cells c0, c1…
        from src join reasons as r using (rn)
        order by rn""").df()
    headers = [h or f"colonne {i + 1}" for i, h in enumerate(source.headers)]
    if len(set(headers)) < n:
        headers = [f"{h} ({i + 1})" for i, h in enumerate(headers)]
    frame.columns = [REJECTED_LINE, *headers, REJECTED_REASON]
    lines = frame.pop(REJECTED_LINE).astype("int64")
    # The cells go back as they were; only a formula is neutralised (a plain "-20" is a number).
    frame = frame.astype(object).map(
        lambda v: v if v is None or _NUMBER.fullmatch(str(v)) else spreadsheets.neutralise(v))
    frame.insert(0, REJECTED_LINE, lines)
    text = frame.to_csv(sep=";", index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


_NUMBER = re.compile(r"[-+]?[\d\s\u00a0\u202f.,]*\d[\d\s\u00a0\u202f.,]*\s*(€|EUR)?", re.IGNORECASE)


def _classify(con, kind: str, report: ImportReport) -> None:
    """Split valid rows into new rows, duplicates (in the file or stored) and replacements."""
    table = TABLE[kind]
    current = {"actions": "actions_current", "budget": "budget_current"}.get(kind, table)
    # cand holds the valid rows (see _validate). nth: 1 for the first row of each identity in the
    # file, 2, 3... for its repeats. Repeats are few: the rows whose identity hashes like another
    # row's are ranked, the others are first.
    con.execute("""update cand set nth = r.nth
        from (
            select rn, row_number() over (partition by row(*columns(lambda c: list_contains($identity, c)))
                                          order by rn) as nth
            from cand
            where hash(*columns(lambda c: list_contains($identity, c))) in (
                select hash(*columns(lambda c: list_contains($identity, c))) as h from cand
                group by h having count(*) > 1)
        ) as r
        where cand.rn = r.rn and r.nth > 1""", {"identity": IDENTITY[kind]})
    compare = ""
    if kind == "budget":
        compare = ", s.montant as old_value"
    elif kind == "actions":
        compare = (", concat_ws(' | ', s.intitule, s.porteur, s.axe, s.public_cible, s.annee_debut, "
                   "s.annee_fin) as old_value")
    con.execute(f"""create or replace temp table matched as
        select c.rn, s.batch_id as orig_batch_id, s.line as orig_line {compare}
        from cand c join (select *{_key_extras(kind)} from {current}) s on {_same_key('c', 's', kind)}
        where c.nth = 1""")
    con.execute("create or replace temp table replacing as select rn, null as old_value from matched where false")
    if kind == "budget":
        con.execute("""create or replace temp table replacing as
            select m.rn, m.old_value from matched m join cand c using (rn) where c.montant <> m.old_value""")
    elif kind == "actions":
        con.execute("""create or replace temp table replacing as
            select m.rn, m.old_value from matched m join cand c using (rn)
            where concat_ws(' | ', c.intitule, c.porteur, c.axe, c.public_cible, c.annee_debut, c.annee_fin)
                  <> m.old_value""")
    in_file = con.execute("select count(*) from cand where nth > 1").fetchall()[0][0]
    stored_dup = con.execute("select count(*) from matched where rn not in (select rn from replacing)"
                             ).fetchall()[0][0]
    report.duplicates = in_file + stored_dup
    report.rows_stored = con.execute(
        "select count(*) from cand where nth = 1 and rn not in "
        "(select rn from matched where rn not in (select rn from replacing))").fetchall()[0][0]
    if kind == "budget":
        rows = con.execute("""select c.line, c.annee, c.action_code, c.financeur, r.old_value, c.montant
            from replacing r join cand c using (rn) order by c.line""").fetchall()
        report.replaced = [{"line": r[0], "key": f"{r[1]} · {r[2]} · {r[3]}", "old": float(r[4]),
                            "new": float(r[5])} for r in rows]
    elif kind == "actions":
        rows = con.execute("""select c.line, c.code, r.old_value,
                concat_ws(' | ', c.intitule, c.porteur, c.axe, c.public_cible, c.annee_debut, c.annee_fin)
            from replacing r join cand c using (rn) order by c.line""").fetchall()
        report.replaced = [{"line": r[0], "key": r[1], "old": r[2], "new": r[3]} for r in rows]
    _warnings(con, kind, report)


def _warnings(con, kind: str, report: ImportReport) -> None:
    if kind == "attendance":
        rows = con.execute("""
            with new as (select * from cand where nth = 1 and person is null and rn not in (select rn from matched)),
            groups as (
                select date, action_code, tranche, sexe, qpv, public, nombre, null as rn from attendance
                where person is null
                union all select date, action_code, tranche, sexe, qpv, public, nombre, rn from cand
                where person is null and nth = 1
            )
            select distinct n.line, n.nombre, g.nombre from new n join groups g
              on g.date = n.date and g.action_code = n.action_code and g.tranche = n.tranche
             and g.sexe = n.sexe and g.qpv is not distinct from n.qpv and g.public = n.public
             and g.nombre <> n.nombre and (g.rn is null or g.rn < n.rn)
            order by n.line""").fetchall()
        seen = set()
        for line, new, old in rows:
            if line in seen:
                continue
            seen.add(line)
            report.warnings.append(Problem(line, "nombre", str(new),
                                           f"La même séance et le même groupe ont déjà un effectif de {old} : "
                                           "vérifiez qu'il ne s'agit pas d'une correction ou d'un doublon."))
    if kind == "spending":
        rows = con.execute("""
            select distinct c.line, c.piece, c.montant, s.montant from cand c
            join spending s on s.piece = c.piece and s.action_code = c.action_code and s.montant <> c.montant
            where c.nth = 1 and c.piece is not null and c.rn not in (select rn from matched)
            order by c.line""").fetchall()
        seen = set()
        for line, piece, _new, old in rows:
            if line in seen:
                continue
            seen.add(line)
            report.warnings.append(Problem(
                line, "piece", piece,
                f"La pièce {piece} est déjà enregistrée pour cette action avec un autre montant "
                f"({fmt.euros(old, cents=True)}) : la ligne est enregistrée, vérifiez qu'il ne s'agit pas "
                "d'un doublon."))


def _preview(con, kind: str) -> pd.DataFrame:
    # line and the stored columns, in cand's order (which is theirs)
    frame = con.execute(
        "select columns(lambda c: list_contains($cols, c)) from cand where nth = 1 order by rn limit 10",
        {"cols": ["line", *STORED_COLUMNS[kind]]}).df()
    return frame.drop(columns=[c for c in ("code_key", "intitule_key", "financeur_key") if c in frame])


def _store(con, kind: str, report: ImportReport, imported_by: str) -> None:
    table = TABLE[kind]
    cols = ", ".join(STORED_COLUMNS[kind])
    with write_transaction(con):
        bid = con.execute("select coalesce(max(id), 0) + 1 from batches").fetchall()[0][0]
        details = {"replaced": report.replaced[:1000],
                   "warnings": [w.as_dict() for w in report.warnings[:1000]],
                   "mapping": report.mapping, "encoding": report.encoding, "separator": report.separator}
        con.execute(
            """insert into batches (id, kind, file_name, sha256, imported_by, imported_at, rows_read,
                rows_stored, duplicates, replaced, warnings, rejected, status, details)
            values ($id, $kind, $file, $sha, $by, now()::timestamp, $read, $stored, $dup, $rep, $warn, $rej,
                'active', $details)""",
            {"id": bid, "kind": kind, "file": report.file_name, "sha": report.sha256, "by": imported_by,
             "read": report.rows_read, "stored": report.rows_stored, "dup": report.duplicates,
             "rep": len(report.replaced), "warn": len(report.warnings), "rej": report.rejected_count,
             "details": json.dumps(details, ensure_ascii=False, default=str)})
        extra_cols, extra, source = "", "", "cand"
        if kind == "budget":
            extra_cols = ", previous_montant"
            extra = ", (select old_value from replacing r where r.rn = cand.rn) as previous_montant"
        elif kind == "attendance":
            assign_person_ids(con, "cand")
            extra_cols, extra = ", person_id", ", p.id"
            source = "cand left join people as p using (person)"
        con.execute(
            f"""insert into {table} (batch_id, line, {cols}{extra_cols})
            select $bid, line, {cols}{extra} from {source}
            where nth = 1 and rn not in (select rn from matched where rn not in (select rn from replacing))""",
            {"bid": bid})
        con.execute(
            """insert into batch_duplicates
            select $bid, $kind, c.line, m.orig_batch_id, m.orig_line
            from matched m join cand c using (rn) where m.rn not in (select rn from replacing)""",
            {"bid": bid, "kind": kind})
        if kind in DERIVED_KINDS:
            rebuild_derived(con, people=False)
    report.batch_id = bid


def pseudonym(con: duckdb.DuckDBPyConnection, settings: Settings, key: bytes, *, nom: str = "", prenom: str = "",
              date_naissance: str = "", participant: str = "", porteur: str = "",
              today: dt.date | None = None) -> str | None:
    """The pseudonym an import gives a person: the import's own parsing run on one attendance row
    holding these cells (names first, as on a row that has both; a `participant` is taken within
    `porteur`, as the import takes it within the porteur of the row's action). None when the cells
    name nobody. Raise ValueError, in French, on a birth date the import would refuse."""
    import csv

    placeholder = "__personne__"   # an action of that porteur, for the import's lookup only
    cells = {"date": settings.start.strftime("%d/%m/%Y"), "action": placeholder, "nom": nom, "prenom": prenom,
             "date_naissance": date_naissance, "participant": participant}
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerows([list(cells), list(cells.values())])
    ipad, opad = privacy.hmac_pads(key)
    with open_source(text.getvalue().encode("utf-8"), "personne.csv") as source, WRITE_LOCK:
        _, mapping, _ = analyse_headers("attendance", source.headers)
        _load_parsing_macros(con)
        _load_raw(con, source)
        con.execute("""create or replace temp table action_lookup as
            select norm_key($code) as key, $code as code, norm_key($porteur) as porteur_key""",
                    {"code": placeholder, "porteur": porteur})
        sql = _attendance_select(mapping, settings)
        params = {"ipad": ipad, "opad": opad, "this_year": (today or dt.date.today()).year}
        rows = con.execute(f"select person, date_naissance_raw, date_naissance from ({sql})",
                           {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()
    person, birth_raw, birth = rows[0] if rows else (None, None, None)
    if birth_raw is not None and birth is None:
        raise ValueError("Date de naissance illisible ou impossible : écrivez-la JJ/MM/AAAA, comme dans les "
                         "fichiers importés.")
    return person

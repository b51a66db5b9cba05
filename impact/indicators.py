"""The indicators file: the figures of the revue de projet as data (JSON, or CSV in long form), what a
département or the national programme would collect from every cité to compare them.

Schema documented in docs/indicateurs.md; `SCHEMA_VERSION` changes whenever a key changes meaning
or goes. Figures are numbers, never formatted text. The small-count rule applies as in the report:
a hidden count is `null`, other counts are rounded down to the base, shares are computed from the
shown counts (`null` when their count is hidden). No pseudonym, no row-level data.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers

from impact import budget
from impact.participation import PARCOURS_LABELS
from impact.report import Gathered
from impact.settings import Settings
from impact.small_counts import CountRule
from impact.spreadsheets import neutralise

SCHEMA = "indicateurs-cite-educative"
SCHEMA_VERSION = 1
KINDS = {"actions": "actions", "budget": "budget", "spending": "depenses", "attendance": "presences"}
SEX_CODES = {"Filles / femmes": "F", "Garçons / hommes": "M", "Non renseigné": "NR"}
QPV_CODES = {"Habitant du QPV": "oui", "Hors QPV": "non", "Non renseigné": "NR"}


def _count(rule: CountRule, n) -> int | None:
    return rule.value(n)


def _number(value) -> float | int | None:
    """A figure as JSON: None for a missing, undefined or hidden one (« masqué » is a hidden share)."""
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return int(number) if isinstance(value, numbers.Integral) else round(number, 6)


def _money(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 2)


def _shares(frame, rule: CountRule, codes: dict[str, str], key: str) -> list[dict]:
    shown = rule.table(frame, ["people"], shares={"share": "people"})
    return [{key: codes.get(row.categorie, row.categorie), "participants": _number(row.people),
             "part": _number(row.share)} for row in shown.itertuples()]


def document(g: Gathered, settings: Settings, exact: bool = False) -> dict:
    """The indicators of the report's period, as a JSON-ready dict."""
    rule = CountRule.of(settings, exact)
    f = g.filters
    key = g.key[0]
    last = {row.kind: row.last_import for row in g.freshness.itertuples()}
    totals = g.participation["totals"]
    focus = g.publics["focus"]

    actions = g.participation["by_action"]
    bands = g.publics["bands"]
    money = g.money
    funders = money["funders"]
    yf_state = money["years"]
    lever = money["leverage"]
    parcours = g.publics["parcours_counts"].assign(n_actions=list(PARCOURS_LABELS))
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "cite": {"nom": settings.name, "territoire": settings.territory},
        "periode": {"debut": f.date_from.isoformat(), "fin": f.date_to.isoformat(),
                    "annee": f.date_from.year if f.date_from.year == f.date_to.year else None},
        "produit_le": g.today.isoformat(),
        "filtres": {"actions": list(f.actions), "thematiques": list(f.themes), "porteurs": list(f.porteurs),
                    "tranches": list(f.bands), "sexes": list(f.sexes), "qpv": list(f.qpvs),
                    "publics": list(f.publics)},
        "fraicheur": {name: (last[kind].date().isoformat() if last.get(kind) is not None else None)
                      for kind, name in KINDS.items()},
        "petits_effectifs": {"appliquee": not rule.exact, "seuil": rule.threshold, "arrondi": rule.base},
        "participation": {
            "participations": _count(rule, totals["participations"]),
            "participations_sans_identite": _count(rule, totals["headcount_participations"]),
            "participants": _count(rule, totals["participants"]),
            "seances": totals["sessions"],
            "actions_actives": key["actions"],
            "parcours": _count(rule, totals["parcours"]),
        },
        "par_action": [
            {"code": r.action_code, "intitule": r.intitule, "porteur": r.porteur, "thematique": r.axe,
             "participations": _count(rule, r.participations), "participants": _count(rule, r.participants),
             "seances": int(r.sessions)}
            for r in actions.itertuples()],
        "par_tranche": [
            {"tranche": r.tranche, "prioritaire": r.tranche == settings.focus_band,
             "participations": _count(rule, r.participations), "participants": _count(rule, r.participants)}
            for r in bands.itertuples()],
        "par_sexe": _shares(g.people["sex"], rule, SEX_CODES, "sexe"),
        "par_residence": _shares(g.people["qpv"], rule, QPV_CODES, "qpv"),
        "tranche_prioritaire": {
            "tranche": settings.focus_band,
            "jeunes": _count(rule, focus["young_people"]),
            "part_des_participants": _number(rule.share(focus["young_people"], focus["all_participants"])),
            "jeunes_qpv": _count(rule, focus["young_qpv"]),
            "population_estimee": focus["population"],
            "source_population": focus["population_source"],
            "taux_couverture": _number(rule.derived(
                focus["young_qpv"], lambda n: n / focus["population"] if focus["population"] else None)),
            "parcours": _count(rule, focus["parcours"]),
            "par_nombre_actions": [{"actions": r.n_actions, "jeunes": _count(rule, r.people)}
                                   for r in parcours.itertuples()],
            "par_sexe": _shares(g.publics["sex"], rule, SEX_CODES, "sexe"),
            "par_residence": _shares(g.publics["qpv"], rule, QPV_CODES, "qpv"),
        },
        "budget_par_annee_financeur": [
            {"annee": int(r.annee), "financeur": r.groupe, "etat": int(r.ordre) == budget.STATE_GROUP,
             "programme": _money(r.programme), "engage": _money(r.engage), "paye": _money(r.paye)}
            for r in funders.itertuples()],
        "budget_etat": {
            "par_annee": [{"annee": int(r.annee), "enveloppe": _money(r.enveloppe), "programme": _money(r.programme),
                           "engage": _money(r.engage), "paye": _money(r.paye)} for r in yf_state.itertuples()],
            **{k: _money(key[k]) for k in ("enveloppe", "programme", "engage", "paye", "reste_a_payer")},
            "taux_programmation": _number(key["taux_programmation"]),
            "taux_execution": _number(key["taux_execution"]),
        },
        "effet_levier": {"programme_etat": _money(lever["programme_etat"]),
                         "programme_autres": _money(lever["programme_autres"]),
                         "levier": _number(lever["levier"])},
    }


def to_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ["rubrique", "cle", "mesure", "valeur"]


def _rows(prefix: str, value, key: str = ""):
    """(rubrique, cle, mesure, valeur) rows of a JSON value: objects by their fields, lists by each
    item's first field (its key: code, tranche, sexe, annee…)."""
    if isinstance(value, dict):
        for name, inner in value.items():
            if isinstance(inner, list) and not any(isinstance(v, (dict, list)) for v in inner):
                yield prefix, key, name, "|".join(str(v) for v in inner)
            elif isinstance(inner, (dict, list)):
                yield from _rows(f"{prefix}.{name}" if prefix else name, inner, key)
            else:
                yield prefix, key, name, inner
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                first, *rest = item.items()
                item_key = "/".join(str(v) for k, v in [first, *rest]
                                    if k in ("code", "tranche", "sexe", "qpv", "annee", "financeur", "actions"))
                yield from _rows(prefix, item, item_key or str(first[1]))
            else:
                yield prefix, key, "", item


def to_csv(doc: dict) -> str:
    """The same figures in long form, one per line (rubrique, cle, mesure, valeur): UTF-8, `,`,
    `.` decimals, empty for null; lists of values (filters) joined by `|`; a text that a spreadsheet
    would run as a formula starts with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for section, key, measure, value in _rows("", doc):
        if isinstance(value, bool):
            value = "oui" if value else "non"
        # a partner's title that starts with = or @ must not run when the file is opened in Excel
        writer.writerow([section, neutralise(key), measure, "" if value is None else neutralise(value)])
    return out.getvalue()

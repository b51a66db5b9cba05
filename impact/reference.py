"""The référentiel as the pages need it: filter options, action labels, data status."""

from __future__ import annotations

from impact import queries
from impact.filters import Filters
from impact.settings import Settings

ORDER = {"f_sexes": ["F", "M", "NR"], "f_qpvs": ["oui", "non", "NR"],
         "f_publics": ["jeune", "parent", "professionnel"]}


def filter_options(con, settings: Settings) -> tuple[dict[str, list[str]], dict[str, str]]:
    """({state key: allowed values}, {action code: title}) from what is stored."""
    actions = queries.run(con, "filter_actions")
    people = queries.run(con, "filter_people_values")
    options: dict[str, list[str]] = {
        "f_actions": actions["code"].tolist(),
        "f_themes": sorted(actions["axe"].unique().tolist()),
        "f_porteurs": sorted(actions["porteur"].unique().tolist()),
    }
    present = people.groupby("dimension")["value"].apply(set).to_dict()
    options["f_bands"] = [b for b in settings.ordered_bands if b in present.get("f_bands", set())]
    for key, order in ORDER.items():
        options[key] = [v for v in order if v in present.get(key, set())]
    labels = dict(zip(actions["code"], actions["intitule"], strict=True))
    return options, labels


def data_status(con) -> dict:
    """{'active_batches', 'real_batches', 'last_import'}: is the store empty, or demo only?"""
    row = queries.run(con, "data_status").iloc[0]
    return {k: row[k] for k in row.index}


def selection(con, filters: Filters) -> dict:
    """The parameters every attendance query adds to the filters' own: 'people_max' and
    'actions_max' (the largest person id and action_no, at least 1: the bounds of the bitstrings),
    'action_ids' (the actions the action filters select), 'action_nos' and 'axe_nos' (lists indexed
    by action id), 'axes' (the thématiques' names, indexed by axe_no) and 'profiles' (the people
    profiles of the cells the band, sex, QPV and public filters select), 'all_profiles' (no such
    filter: the sums read the stored sessions, macro sessions_f); and for the stored pairs
    (see `on_pairs`), when they serve: 'pairs_shift' (else None), 'pairs_years' (None: the whole
    period; else the calendar years the period meets), 'pairs_profiles' (None: no people filter)
    and 'pairs_persons' (the selection holds every action met in attendance: people are counted on
    the stored person-years, macro person_rows)."""
    row = queries.first_row(con, "selection", filters.params())
    pairs = row.pop("pairs") or {}
    people = filters.bands or filters.sexes or filters.qpvs or filters.publics
    return {**row, "all_profiles": not people, "pairs_shift": pairs.get("shift"),
            "pairs_years": pairs.get("years"),
            "pairs_profiles": row["profiles"] if people else None,
            # action_nos has one entry per action met in attendance, action_ids the selected ones
            "pairs_persons": bool(pairs) and len(row["action_ids"]) == len(row["action_nos"])}


def on_pairs(name: str, params: dict) -> str:
    """The query `name`, or its twin `name`_stored when the selection covers every named row of the
    whole period or of the calendar years it meets, with any people filter (`pairs_shift` is set):
    the twin reads about one stored row per (action, person) pair instead of every attendance row,
    for the same figures (macro pairs_f)."""
    return f"{name}_stored" if params.get("pairs_shift") is not None else name

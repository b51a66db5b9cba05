"""The référentiel as the pages need it: filter options, action labels, data status."""

from __future__ import annotations

from impact import queries
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

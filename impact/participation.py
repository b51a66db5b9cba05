"""Participation indicators of the steering committee: participations, distinct participants,
sessions, regularity, age bands, the focus band (coverage, parcours) and the action sheet.

Core functions take a connection and a `Filters` value and return DataFrames or dicts of
plain numbers; the small-count rule (impact.small_counts) is applied afterwards, so that the same
figures serve coordinators (exact) and readers (« < 5 », rounded counts).
"""

from __future__ import annotations

import pandas as pd

from impact import fmt, queries
from impact.filters import Filters
from impact.settings import UNKNOWN_BAND, Settings

SEX_LABELS = {"F": "Filles / femmes", "M": "Garçons / hommes", "NR": "Non renseigné"}
QPV_LABELS = {"oui": "Habitant du QPV", "non": "Hors QPV", "NR": "Non renseigné"}
REGULARITY_LABELS = {"once": "Venus une fois", "two_to_four": "2 à 4 fois", "five_or_more": "5 fois ou plus"}
PARCOURS_LABELS = {"1": "1 action", "2": "2 actions", "3": "3 actions", "4": "4 actions ou plus"}
COMBINATIONS_SHOWN = 15   # the most common combinations of actions on Publics et âges
# « Parcours »: people in two actions or more; of every age on Participation, of the focus band on
# Publics et âges (two figures, two names).
PARCOURS_ALL = "Parcours, tous âges"
PARCOURS_FOCUS = "Parcours des {focus}"
# Counts of people or participations per action: hidden from 1 to 4 for readers.
ACTION_COUNTS = ["participations", "participants", "headcount_participations"]
REGULARITY_COUNTS = ["once", "two_to_four", "five_or_more", "participants"]


def _params(filters: Filters, settings: Settings | None = None) -> dict:
    """The filters' parameters and the focus band."""
    return {**filters.params(), "focus_band": settings.focus_band if settings else "16-25"}


def every_month(df: pd.DataFrame, months: list, counts: list[str]) -> pd.DataFrame:
    """`df` (a row per month with activity, column `month`) with a row for every month of
    `months` (Filters.months), its counts at 0 where nothing happened."""
    out = pd.DataFrame({"month": pd.to_datetime(pd.Series(months, dtype=object)).astype("datetime64[us]")})
    data = df.assign(month=pd.to_datetime(df["month"]).astype("datetime64[us]"))
    out = out.merge(data, on="month", how="left")
    out[counts] = out[counts].fillna(0).astype("int64")
    return out


def _ratio(numerator, denominator) -> float | None:
    if denominator is None or pd.isna(denominator) or float(denominator) == 0:
        return None
    return float(numerator) / float(denominator)


# --- Participation page ------------------------------------------------------------------

def totals(con, filters: Filters) -> dict:
    """{'participations', 'headcount_participations', 'participants', 'sessions', 'actions', 'parcours'}."""
    row = queries.first_row(con, "participation_totals", _params(filters))
    return {k: int(v) for k, v in row.items()}


def participation_overview(con, filters: Filters) -> dict:
    """Everything the Participation page shows."""
    params = _params(filters)
    by_action = queries.run(con, "participation_by_action", params)
    by_action["average_per_session"] = by_action["average_per_session"].astype(float).round(1)
    return {
        "totals": totals(con, filters),
        "by_action": by_action,
        "by_month": queries.run(con, "participation_by_month", params),
        "months": filters.months(),   # the chart's axis: every month, those without activity too
        "by_porteur": queries.run(con, "participation_by_porteur", params),
        "regularity": regularity(by_action),
    }


def regularity(by_action: pd.DataFrame) -> pd.DataFrame:
    """The regularity columns of participation_by_action, for the actions with named participants,
    the most attended first."""
    named = by_action[by_action["participants"] > 0]
    return named.sort_values(["participants", "intitule"], ascending=[False, True])[
        ["action_code", "intitule", *REGULARITY_COUNTS]].reset_index(drop=True)


def regularity_long(by_action: pd.DataFrame) -> pd.DataFrame:
    """Regularity per action in long form (action, fréquence, personnes), for a stacked chart."""
    if by_action.empty:
        return pd.DataFrame(columns=["intitule", "frequence", "people"])
    long = by_action.melt(id_vars=["intitule"], value_vars=list(REGULARITY_LABELS),
                          var_name="frequence", value_name="people")
    long["frequence"] = long["frequence"].map(REGULARITY_LABELS)
    return long


# --- Publics et âges page ----------------------------------------------------------------

def _order_bands(df: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    order = {b: i for i, b in enumerate(settings.ordered_bands)}
    out = df.assign(_o=df["tranche"].map(lambda b: order.get(b, len(order))))
    return out.sort_values(["_o", "tranche"]).drop(columns="_o").reset_index(drop=True)


def _shares(counts: pd.DataFrame, key: str, labels: dict[str, str]) -> pd.DataFrame:
    """One row per category of `labels` (Non renseigné always shown), with people and share."""
    total = int(counts["n"].sum()) if len(counts) else 0
    per = counts.groupby(key)["n"].sum() if len(counts) else pd.Series(dtype="int64")
    rows = [{"categorie": label, "people": int(per.get(code, 0)),
             "share": _ratio(per.get(code, 0), total)} for code, label in labels.items()]
    return pd.DataFrame(rows)


def _focus(con, params: dict, settings: Settings) -> dict:
    """The bands and the focus band's people (sex, QPV, parcours): computes the working table
    selection_people first, which the caller's further queries read."""
    # The first participation of each person, once for the whole page (temporary: this connection only).
    queries.run(con, "selection_people", params)
    bands = _order_bands(queries.run(con, "participation_by_band", params), settings)
    profile = queries.run(con, "focus_profile", params)
    people = profile[profile["kind"] == "people"]
    headcount = profile[profile["kind"] == "headcount"]
    parcours = queries.run(con, "focus_parcours", params)
    counts = parcours[parcours["kind"] == "count"].rename(columns={"label": "n_actions"})
    counts = pd.DataFrame({"n_actions": list(PARCOURS_LABELS)}).merge(
        counts[["n_actions", "people"]], how="left", on="n_actions").fillna({"people": 0})
    counts["label"] = counts["n_actions"].map(PARCOURS_LABELS)
    counts["people"] = counts["people"].astype("int64")
    combinations = parcours[parcours["kind"] == "combination"][["label", "people"]].rename(
        columns={"label": "combination"}).reset_index(drop=True)

    all_participants = int(bands["participants"].sum()) if len(bands) else 0
    young = int(people["n"].sum()) if len(people) else 0
    young_qpv = int(people.loc[people["qpv_label"] == "oui", "n"].sum()) if len(people) else 0
    focus = {
        "young_people": young,
        "all_participants": all_participants,
        "share_of_participants": _ratio(young, all_participants),
        "young_qpv": young_qpv,
        "population": settings.focus_population,
        "population_source": settings.focus_population_source,
        "coverage": _ratio(young_qpv, settings.focus_population),
        "parcours": int(counts.loc[counts["n_actions"] != "1", "people"].sum()),
        "headcount_participations": int(headcount["n"].sum()) if len(headcount) else 0,
    }
    return {"bands": bands, "focus": focus, "sex": _shares(people, "sexe", SEX_LABELS),
            "qpv": _shares(people, "qpv_label", QPV_LABELS), "parcours_counts": counts[["label", "people"]],
            "combinations": combinations}


def focus_figures(con, filters: Filters, settings: Settings) -> dict:
    """The focus band's headline figures: publics_overview(...)["focus"], without the page's tables
    (the report asks them for each of its periods)."""
    return _focus(con, {**_params(filters, settings), "combinations_max": COMBINATIONS_SHOWN}, settings)["focus"]


def publics_overview(con, filters: Filters, settings: Settings) -> dict:
    """Bands (the focus band first) and the focus band: share, sex, QPV, coverage, actions, parcours (with the
    COMBINATIONS_SHOWN most common combinations of actions), months."""
    params = {**_params(filters, settings), "combinations_max": COMBINATIONS_SHOWN}
    return {
        **_focus(con, params, settings),
        "actions": queries.run(con, "focus_by_action", params),
        "by_month": every_month(queries.run(con, "focus_by_month", params).rename(
            columns={"participations": "focus_participations"}), filters.months(),
            ["young_people", "newcomers", "focus_participations"]),
    }


def people_shares(con, filters: Filters, settings: Settings) -> dict:
    """Distinct people of the whole selection by sex and by QPV residence (at their first
    participation), counted as the action sheet counts them for one action."""
    params = _params(filters, settings)
    queries.run(con, "selection_people", params)
    profile = queries.run(con, "people_profile", params).rename(columns={"people": "n"})
    return {"sex": _shares(profile, "sexe", SEX_LABELS), "qpv": _shares(profile, "qpv_label", QPV_LABELS)}


# --- Fiche action ------------------------------------------------------------------------

def action_choices(con) -> pd.DataFrame:
    """Every current action (code, intitule, porteur, axe, public_cible, years), by title."""
    return queries.run(con, "filter_actions")


def url_code(query_params, context=None) -> str | None:
    """The ?code=... of the page's link: from the current query parameters, else from the URL
    the browser opened (the shared filters rewrite the query parameters before a page runs)."""
    code = query_params.get("code") if query_params is not None else None
    if code:
        return code
    url = getattr(context, "url", None) if context is not None else None
    if url:
        from urllib.parse import parse_qs, urlparse
        found = parse_qs(urlparse(url).query).get("code")
        return found[0] if found else None
    return None


def default_action(codes: list[str], filters: Filters, asked: str | None = None) -> str | None:
    """The action to show: the one asked for (link or last choice), else the first action of
    the sidebar filter, else the first action."""
    for candidate in (asked, *filters.actions):
        if candidate in codes:
            return candidate
    return codes[0] if codes else None


def years_label(info: dict) -> str:
    first, last = info.get("annee_debut"), info.get("annee_fin")
    first = None if first is None or pd.isna(first) else int(first)
    last = None if last is None or pd.isna(last) else int(last)
    if first and last:
        return str(first) if first == last else f"{first} à {last}"
    if first or last:
        return f"à partir de {first}" if first else f"jusqu'en {last}"
    return "non renseignées"


def action_header(info: dict) -> str:
    """« **Porteur** : … · **Thématique** : … · **Public cible** : … · **Années** : … »."""
    target = info.get("public_cible")
    target = band_label(target) if isinstance(target, str) and target else "Non renseigné"
    text = fmt.markdown_text   # partners' words are shown as written, never as Markdown
    return (f"**Porteur** : {text(info.get('porteur') or 'Non renseigné')} · "
            f"**Thématique** : {text(info.get('axe') or 'Non renseignée')} · "
            f"**Public cible** : {text(target)} · **Années** : {text(years_label(info))}")


def action_sheet(con, filters: Filters, code: str, settings: Settings) -> dict:
    """One action under the sidebar filters (its own code replacing the action filter)."""
    params = _params(filters.with_(actions=[code]), settings)
    choices = action_choices(con)
    info = choices[choices["code"] == code]
    info = info.iloc[0].to_dict() if len(info) else {"code": code, "intitule": code}

    row = queries.run(con, "participation_by_action", params)
    keys = ["participations", "participants", "headcount_participations", "sessions"]
    figures = {k: int(row[k].iloc[0]) if len(row) else 0 for k in keys}
    figures["average_per_session"] = float(row["average_per_session"].iloc[0]) if len(row) else None
    figures.update({k: int(row[k].iloc[0]) if len(row) else 0 for k in REGULARITY_LABELS})

    by_month = queries.run(con, "participation_by_month", params)
    by_month = by_month.groupby("month", as_index=False)[["participations", "participants"]].sum() \
        if len(by_month) else by_month[["month", "participations", "participants"]]
    by_month = every_month(by_month, filters.months(), ["participations", "participants"])
    queries.run(con, "selection_people", params)
    profile = queries.run(con, "people_profile", params)
    bands = profile.groupby("tranche", as_index=False)["people"].sum()
    bands = _order_bands(bands, settings) if len(bands) else bands
    sessions = queries.run(con, "action_sessions", params).drop(columns="action_code")

    money = queries.run(con, "action_money", params)
    money_row = money[money["action_code"] == code]
    programme, engage, paye = ((float(money_row[c].iloc[0]) if len(money_row) else 0.0)
                               for c in ("programme", "engage", "paye"))
    return {
        "info": info,
        "figures": figures,
        "by_month": by_month,
        "bands": bands,
        "sex": _shares(profile.rename(columns={"people": "n"}), "sexe", SEX_LABELS),
        "qpv": _shares(profile.rename(columns={"people": "n"}), "qpv_label", QPV_LABELS),
        "sessions": sessions,
        "regularity": pd.DataFrame({
            "frequence": list(REGULARITY_LABELS.values()),
            "people": [figures[k] for k in REGULARITY_LABELS]}),
        "money": {
            "programme": programme, "engage": engage, "paye": paye,
            "cost_per_participant": _ratio(paye, figures["participants"]) if paye else None,
            "cost_per_participation": _ratio(paye, figures["participations"]) if paye else None,
        },
    }


def band_label(band: str) -> str:
    """'16-25' -> '16-25 ans', '26 et plus' -> '26 ans et plus', 'âge inconnu' -> 'Âge inconnu'."""
    if band == UNKNOWN_BAND:
        return "Âge inconnu"
    if band.endswith(" et plus"):
        return band.replace(" et plus", " ans et plus")
    return f"{band} ans"


def band_span(band: str) -> str:
    """A band in a sentence: '16-25' -> 'de 16 à 25 ans', '26 et plus' -> 'de 26 ans et plus'."""
    low, sep, high = band.partition("-")
    if sep and low.strip().isdigit() and high.strip().isdigit():
        return f"de {low.strip()} à {high.strip()} ans"
    if band.endswith(" et plus") and band.removesuffix(" et plus").strip().isdigit():
        return f"de {band_label(band)}"
    return band_label(band)


def focus_text(template: str, focus_band: str) -> str:
    """A label about the focus band, the only labels that follow the settings:
    {focus} -> '16-25 ans', {span} -> 'de 16 à 25 ans'."""
    return template.format(focus=band_label(focus_band), span=band_span(focus_band))


# French name and kind of every column the participation pages show or download.
COLUMNS: dict[str, tuple[str, str]] = {
    "intitule": ("Action", "text"), "action_code": ("Code action", "text"), "porteur": ("Porteur", "text"),
    "axe": ("Thématique", "text"), "month": ("Mois", "month"), "date": ("Date", "date"),
    "tranche": ("Tranche d'âge", "text"), "band": ("Tranche d'âge", "text"),
    "categorie": ("Catégorie", "text"), "frequence": ("Fréquence", "text"),
    "label": ("Nombre d'actions suivies", "text"), "combination": ("Combinaison d'actions", "text"),
    "participations": ("Participations", "count"), "participants": ("Participants distincts", "count"),
    "headcount_participations": ("Dont participations sans identité (effectifs)", "count"),
    "focus_participations": ("Participations des {focus}", "count"),
    "sessions": ("Séances", "count"), "actions": ("Actions", "count"),
    "average_per_session": ("Présence moyenne par séance", "decimal"),
    "once": ("Venus une fois", "count"), "two_to_four": ("2 à 4 fois", "count"),
    "five_or_more": ("5 fois ou plus", "count"),
    "people": ("Personnes distinctes", "count"), "share": ("Part", "percent"),
    "young_people": ("Jeunes {focus} distincts", "count"), "newcomers": ("Dont nouveaux", "count"),
}


def column_name(column: str, focus_band: str | None = None) -> str:
    """The French name of a column; the focus band's columns name it (settings.focus_band)."""
    name = COLUMNS[column][0]
    if "{" in name:
        if focus_band is None:
            raise ValueError(f"column '{column}' names the focus band: pass focus_band")
        return focus_text(name, focus_band)
    return name


def shown(df: pd.DataFrame, columns: list[str],
          focus_band: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display): the columns under their French names, as values (for downloads) and as
    French text (for the table on screen). `focus_band` names the focus band's columns."""
    names = {c: column_name(c, focus_band) for c in columns}
    data = table(df, names)
    kinds: dict[str, list[str]] = {}
    for c in columns:
        kinds.setdefault(COLUMNS[c][1], []).append(names[c])
    display = fmt.french_frame(data, counts=tuple(kinds.get("count", ())), percents=tuple(kinds.get("percent", ())),
                     decimals=tuple(kinds.get("decimal", ())), months=tuple(kinds.get("month", ())),
                     dates=tuple(kinds.get("date", ())))
    return data, display


def with_band_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Add `band`, the French label of `tranche` ('16-25 ans', 'Âge inconnu')."""
    return df.assign(band=df["tranche"].map(band_label))


def table(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns to show or download, under their French names (values untouched)."""
    return df[list(columns)].rename(columns=columns)



# --- Méthodologie ------------------------------------------------------------------------

def methodology(settings: Settings) -> list[tuple[str, str]]:
    """The definitions of every indicator of the dashboard, in French, as (title, markdown);
    figures come from the convention settings, never written in by hand."""
    years = settings.years
    envelope = fmt.whole_euros(settings.state_envelope_per_year)
    total = fmt.whole_euros(settings.state_envelope_total)
    period = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    bands = ", ".join(band_label(b) for b in settings.ordered_bands)
    focus, span = band_label(settings.focus_band), band_span(settings.focus_band)
    t = settings.small_count_threshold
    return [
        ("Participations", (
            "Nombre total de présences : la somme de la colonne « nombre » des lignes de présence. "
            "Une ligne nominative (une personne à une séance) compte pour 1 ; une ligne d'effectif "
            "(un groupe compté sans nommer les personnes) compte pour son effectif. Les participations "
            "sont comptées dans la tranche d'âge de chaque séance.")),
        ("Participants distincts", (
            "Nombre de personnes différentes, reconnues par leur pseudonyme, parmi les lignes nominatives. "
            "Les lignes d'effectif sont des participations sans identité : elles ne comptent pas dans les "
            "participants distincts, et chaque page qui montre des effectifs distincts l'indique. "
            "Pour les comptes de personnes distinctes, la tranche d'âge d'une personne est celle de sa "
            "**première participation** sur la période choisie ; son sexe et sa résidence sont ceux de "
            "cette première participation, ou à défaut la première valeur renseignée.")),
        ("Séances et présence moyenne", (
            "Une séance est une date d'une action (un couple date, action distinct). La présence moyenne "
            "par séance est le nombre de participations divisé par le nombre de séances.")),
        ("Régularité", (
            "Pour chaque action, les participants distincts venus une fois, de 2 à 4 fois, ou 5 fois "
            "ou plus sur la période (lignes nominatives seulement).")),
        ("Parcours", (
            "Une personne qui a participé à **deux actions ou plus** sur la période : « Parcours, tous âges » "
            f"sur la page Participation ; « Parcours des {focus} » sur la page « Publics et âges », qui donne "
            f"aussi, pour les {focus}, le nombre de jeunes selon le nombre d'actions suivies et les "
            "combinaisons d'actions les plus fréquentes.")),
        (f"Taux de couverture des {focus}", (
            f"Jeunes distincts {span} (à leur première participation) habitant le QPV, divisés par "
            f"la population estimée des {focus} du QPV : **{fmt.integer(settings.focus_population)}** "
            f"({settings.focus_population_source}).")),
        ("Tranches d'âge et calcul de l'âge", (
            f"Tranches : {bands}. La tranche {band_label(settings.focus_band)}, public prioritaire de la "
            "convention, est toujours montrée en premier. L'âge est celui **à la date de la séance** : "
            "calculé d'après la date de naissance quand elle est fournie, sinon l'âge déclaré, sinon la "
            "tranche déclarée ; sans aucune de ces informations, la personne est classée « âge inconnu ». "
            "La date de naissance n'est jamais conservée, seulement l'âge qu'elle donne.")),
        ("Enveloppe de l'État", (
            f"{envelope} de crédits de l'État par année de convention, soit {total} sur {period} "
            f"({len(years)} ans), d'après les paramètres de la convention.")),
        ("Programmé, engagé, payé", (
            "**Programmé** : les montants de la programmation budgétaire (la version en vigueur de chaque "
            "ligne année × action × financeur). **Engagé** : les dépenses au statut « engagé ». **Payé** : "
            "les dépenses au statut « payé », moins les avoirs (enregistrés en négatif). Une dépense "
            "consomme la programmation de son **exercice**, qui peut différer de l'année de sa date "
            "(une subvention 2023 payée début 2024 consomme le programme 2023).")),
        ("Taux de programmation, taux d'exécution, reste à payer", (
            "**Taux de programmation** = programmé État ÷ enveloppe de l'État. **Taux d'exécution** = "
            "payé ÷ programmé. **Reste à payer** = programmé − payé.")),
        ("Effet levier", (
            "Euros apportés par les autres financeurs (ville, région, CAF…) pour un euro de crédits de "
            "l'État : programmé des autres financeurs ÷ programmé État.")),
        ("Sous-consommation et actions à risque", (
            "Une seule règle sur les deux pages de l'argent : moins de la moitié du programmé payée alors que "
            "les trois quarts de la période sont écoulés (les années de l'action, ou chaque année de "
            "programmation pour une action sans années ; mesuré à la date du jour, ou à la fin de la "
            "convention une fois celle-ci terminée). La page Budget la compte **tous financeurs confondus** "
            "(points d'attention), la page « Utilisation des fonds de l'État » sur les **seuls crédits de "
            "l'État** (actions à risque) ; chacune le dit et la page Budget donne aussi le second compte.")),
        ("Payé en fin de convention", (
            "Tant que la période choisie n'est pas terminée, le payé en fin de période est **projeté** au "
            "rythme moyen des six derniers mois. Une fois la période terminée, rien n'est projeté : c'est le "
            "payé enregistré, et la page dit le mois du dernier paiement de l'État enregistré.")),
        (f"Pour qui : les {focus} des actions financées par l'État", (
            f"Pour chaque action que l'État finance (programmé ou payé) et au total : les jeunes {span} "
            "distincts (tranche à leur première participation), la part d'entre eux habitant le QPV, et le "
            f"payé de l'État divisé par ces jeunes (un coût unitaire, qui ne compte pas les autres publics). "
            "Comme les montants, ces chiffres portent sur les années sélectionnées entières, sans les filtres "
            "de publics ; un jeune venu à plusieurs actions compte une fois dans le total. Parts et coûts sont "
            "calculés sur les effectifs affichés, et masqués quand l'effectif est masqué.")),
        ("Montants", (
            "Les chiffres clés et les montants cités dans une phrase sont arrondis à l'euro ; les tableaux, "
            "les téléchargements et le survol des graphiques donnent le montant au centime, comme les coûts "
            "unitaires ; les étiquettes des barres sont abrégées (168 k€, 1,2 M€).")),
        ("Coût par participant et par participation", (
            "Payé ÷ participants distincts, et payé ÷ participations, pour une action ou une sélection. "
            "Ce coût est masqué quand l'effectif qui le divise est masqué.")),
        ("Petits effectifs", (
            f"Pour les lecteurs qui ne sont pas coordinateurs, tout effectif de 1 à {t - 1} (personnes "
            f"distinctes ou participations) est affiché « < {t} » et tout autre effectif est arrondi au "
            f"multiple de {settings.rounding_base} inférieur, comme le font les offices statistiques : un "
            "total, un filtre de plus ou deux liens comparés ne permettent pas de retrouver un petit effectif par "
            "soustraction. "
            "Les parts, moyennes et coûts sont calculés sur les effectifs arrondis, et masqués (« masqué ») "
            "quand leur effectif est caché. Les coordinateurs voient les effectifs exacts.")),
        ("Filtres", (
            "Les filtres de la barre latérale (période, année, action, thématique, porteur, tranche d'âge, "
            "sexe, résidence QPV, public) s'appliquent à tous les graphiques ; les montants ne sont "
            "filtrés que par les années, les actions, les thématiques et les porteurs.")),
        ("Sources et traçabilité", (
            "Quatre fichiers déposés par les partenaires : référentiel des actions, programmation "
            "budgétaire, dépenses, présences. Chaque ligne enregistrée garde son **lot d'import** (qui, "
            "quand, quel fichier) et **sa ligne dans le fichier source**, visibles dans l'historique des "
            "imports ; un import peut être annulé. Les noms ne sont jamais enregistrés : une personne est "
            "un pseudonyme (empreinte chiffrée de son identité). Les chiffres de chaque graphique sont "
            "téléchargeables (CSV pour Excel et .xlsx).")),
    ]

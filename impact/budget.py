"""Where the State's money stands: programme, commitments, payments, pace and points of attention.

Definitions (the Méthodologie page states them for readers):

- enveloppe: the State's `state_envelope_per_year` for each convention year selected;
- programmé: the budget lines in force (`budget_current`); engagé: spending with statut
  « engagé »; payé: statut « payé » plus credit notes (« avoir », stored negative);
- a spending row consumes the programme of its `exercice`, not of its date's year;
- taux de programmation = programmé État / enveloppe; taux d'exécution = payé / programmé;
  reste à payer = programmé − payé;
- effet levier = euros programmed by the other funders per euro programmed by the State;
- coût par participant = payé / distinct named participants of the action over the selected
  years; coût par participation = payé / participations (sum of `nombre`).

Every function takes a connection (or frames computed from one) and returns DataFrames or
dicts; nothing here knows about Streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import quote

import pandas as pd

from impact import fmt, queries
from impact.filters import Filters
from impact.settings import Settings
from impact.small_counts import CountRule

# Funder groups come from the settings ([financeurs]) and are told apart by position (`ordre`):
# 0 is the State, the last one the other funders.
STATE_GROUP = 0
PACE_WINDOW_MONTHS = 6
ACTION_PAGE = "fiche-action"

ATTENTION_LABELS = {
    "paye_superieur": "Payé au-delà du programmé",
    "sous_consommation": "Moins de la moitié du programme payée aux trois quarts de la période",
    "sans_programmation": "Dépenses sans programmation sur l'exercice",
    "sans_presence": "Dépenses sans aucune présence enregistrée",
    "presence_sans_depense": "Présences sans aucune dépense",
    "hors_periode": "Dépenses datées hors des années de l'action",
}


# --- parameters --------------------------------------------------------------------------

def reference_date(settings: Settings, today: dt.date) -> dt.date:
    """The date progress is measured at: today, or the end of the convention once it is over."""
    return min(today, settings.end)


def selected_years(filters: Filters, settings: Settings) -> list[int]:
    """Convention years whose programme the filters' period touches."""
    return [y for y in settings.years if filters.date_from.year <= y <= filters.date_to.year]


def envelope(filters: Filters, settings: Settings) -> float:
    """The State envelope of the selected years (900 000 € for the whole convention)."""
    return settings.state_envelope_per_year * len(selected_years(filters, settings))


def _params(filters: Filters, settings: Settings, today: dt.date | None) -> dict:
    today = today or dt.date.today()
    params = filters.params()
    params["state_funder"] = settings.state_funder
    params["funder_groups"] = settings.funder_group_names
    params["funder_labels"] = settings.funder_labels
    params["ref_date"] = reference_date(settings, today)
    return params


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0."""
    return num / den.where(den != 0)


def action_link(code: str) -> str:
    """Relative link to the Fiche action page for one action."""
    return f"{ACTION_PAGE}?code={quote(str(code), safe='')}"


# --- per year ----------------------------------------------------------------------------

def year_funder(con, filters: Filters, settings: Settings, today: dt.date | None = None) -> pd.DataFrame:
    """Programmed, committed and paid per programme year and funder, with its group (`groupe`,
    its label; `ordre`, its position: 0 for the State)."""
    return queries.run(con, "budget_year_funder", _params(filters, settings, today))


def years_summary(yf: pd.DataFrame, filters: Filters, settings: Settings) -> pd.DataFrame:
    """One row per selected convention year: the State's envelope, programmed, committed, paid."""
    state = yf[yf["ordre"] == STATE_GROUP].groupby("annee")[["programme", "engage", "paye"]].sum()
    years = selected_years(filters, settings)
    out = state.reindex(years, fill_value=0.0).reset_index().rename(columns={"index": "annee"})
    out.insert(1, "enveloppe", settings.state_envelope_per_year)
    return _with_rates(out)


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["reste_a_payer"] = out["programme"] - out["paye"]
    if "enveloppe" in out:
        out["non_programme"] = out["enveloppe"] - out["programme"]
        out["taux_programmation"] = _div(out["programme"], out["enveloppe"])
    out["taux_execution"] = _div(out["paye"], out["programme"])
    return out


def totals(years: pd.DataFrame) -> dict:
    """Whole-selection figures of `years_summary`."""
    sums = {c: float(years[c].sum()) for c in ("enveloppe", "programme", "engage", "paye")}
    sums["reste_a_payer"] = sums["programme"] - sums["paye"]
    sums["non_programme"] = sums["enveloppe"] - sums["programme"]
    sums["taux_programmation"] = _ratio(sums["programme"], sums["enveloppe"])
    sums["taux_execution"] = _ratio(sums["paye"], sums["programme"])
    return sums


def years_table(years: pd.DataFrame) -> pd.DataFrame:
    """The per-year figures with a Total row, French headers (values stay numbers)."""
    t = totals(years)
    total = pd.DataFrame([{"annee": "Total", **{k: t[k] for k in years.columns if k != "annee"}}])
    body = years.assign(annee=years["annee"].astype(str))
    out = pd.concat([body, total], ignore_index=True)
    return out.rename(columns=YEAR_COLUMNS)[list(YEAR_COLUMNS.values())]


YEAR_COLUMNS = {
    "annee": "Année", "enveloppe": "Enveloppe État", "programme": "Programmé État",
    "engage": "Engagé État", "paye": "Payé État", "reste_a_payer": "Reste à payer",
    "non_programme": "Enveloppe non programmée", "taux_programmation": "Taux de programmation",
    "taux_execution": "Taux d'exécution",
}
YEAR_MONEY = tuple(v for k, v in YEAR_COLUMNS.items() if k not in ("annee",) and not k.startswith("taux"))
YEAR_PERCENTS = ("Taux de programmation", "Taux d'exécution")


# --- funders -----------------------------------------------------------------------------

def funders_by_year(yf: pd.DataFrame) -> pd.DataFrame:
    """Programmed and paid per year and funder group (the State first), long format."""
    out = yf.groupby(["annee", "ordre", "groupe"], as_index=False)[["programme", "engage", "paye"]].sum()
    return out.sort_values(["annee", "ordre"]).reset_index(drop=True)


def funders_table(funders: pd.DataFrame) -> pd.DataFrame:
    """Programmed per funder group (rows) and year (columns), with total and share."""
    if funders.empty:
        return pd.DataFrame(columns=["Financeur", "Total programmé", "Part du programmé", "Total payé"])
    wide = funders.pivot_table(index=["ordre", "groupe"], columns="annee", values="programme", aggfunc="sum",
                               fill_value=0.0)
    wide.columns = [f"Programmé {c}" for c in wide.columns]
    wide["Total programmé"] = wide.sum(axis=1)
    grand = wide["Total programmé"].sum()
    wide["Part du programmé"] = wide["Total programmé"] / grand if grand else math.nan
    wide["Total payé"] = funders.groupby(["ordre", "groupe"])["paye"].sum()
    return (wide.sort_index().reset_index().drop(columns="ordre")
            .rename(columns={"groupe": "Financeur"}))


def co_funders_text(settings: Settings) -> str:
    """The co-funders' groups as a reader names them: « Ville de Metz, CAF, Région… »."""
    labels = settings.funder_labels[1:-1]
    return f"{', '.join(labels)}…" if labels else settings.other_funders_label.lower()


def leverage(funders: pd.DataFrame) -> dict:
    """Euros programmed by the other funders per euro programmed by the State."""
    state = float(funders.loc[funders["ordre"] == STATE_GROUP, "programme"].sum())
    others = float(funders.loc[funders["ordre"] != STATE_GROUP, "programme"].sum())
    return {"programme_etat": state, "programme_autres": others, "levier": _ratio(others, state)}


# --- per action and thématique -----------------------------------------------------------

def actions_summary(con, filters: Filters, settings: Settings, today: dt.date | None = None) -> pd.DataFrame:
    """Per action: programmed, committed, paid (all funders and State), gap, leverage, elapsed."""
    df = queries.run(con, "budget_by_action", _params(filters, settings, today))
    df["reste_a_payer"] = df["programme"] - df["paye"]
    df["reste_a_payer_etat"] = df["programme_etat"] - df["paye_etat"]
    df["taux_execution"] = _div(df["paye"], df["programme"])
    df["taux_execution_etat"] = _div(df["paye_etat"], df["programme_etat"])
    df["levier"] = _div(df["programme_autres"], df["programme_etat"])
    return df.sort_values(["reste_a_payer", "code"], ascending=[False, True]).reset_index(drop=True)


def money_years(filters: Filters) -> Filters:
    """The people behind the money: the selected years in full (money is counted by programme
    year) and no people filter (money is not split by public)."""
    return filters.with_(date_from=dt.date(filters.date_from.year, 1, 1),
                         date_to=dt.date(filters.date_to.year, 12, 31),
                         bands=(), sexes=(), qpvs=(), publics=())


def participations(con, filters: Filters, settings: Settings) -> pd.DataFrame:
    """Participations (sum of `nombre`) and distinct named participants per action over the
    selected years (money_years)."""
    return queries.run(con, "budget_participations", money_years(filters).params())


def themes_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """Per thématique: programmed, committed, paid and gap, sorted by gap."""
    cols = ["programme", "programme_etat", "engage", "paye", "paye_etat"]
    out = actions.groupby("axe", as_index=False)[cols].sum()
    out["reste_a_payer"] = out["programme"] - out["paye"]
    out["taux_execution"] = _div(out["paye"], out["programme"])
    return out.sort_values(["reste_a_payer", "axe"], ascending=[False, True]).reset_index(drop=True)


ACTION_COLUMNS = {   # the figures first, so that they show without scrolling
    "code": "Code", "intitule": "Action", "programme": "Programmé", "engage": "Engagé", "paye": "Payé",
    "reste_a_payer": "Reste à payer", "taux_execution": "Taux d'exécution",
    "programme_etat": "dont programmé État", "paye_etat": "dont payé État",
    "levier": "Effet levier (€ autres financeurs par € État)", "porteur": "Porteur", "axe": "Thématique",
}
ACTION_MONEY = ("Programmé", "Engagé", "Payé", "Reste à payer", "dont programmé État", "dont payé État")


def actions_table(actions: pd.DataFrame) -> pd.DataFrame:
    """Per-action money with French headers and the link to each action's page."""
    out = actions[list(ACTION_COLUMNS)].rename(columns=ACTION_COLUMNS)
    out["Fiche action"] = actions["code"].map(action_link)
    return out


THEME_COLUMNS = {
    "axe": "Thématique", "programme": "Programmé", "engage": "Engagé", "paye": "Payé",
    "reste_a_payer": "Reste à payer", "taux_execution": "Taux d'exécution",
    "programme_etat": "dont programmé État", "paye_etat": "dont payé État",
}


def themes_table(themes: pd.DataFrame) -> pd.DataFrame:
    return themes[list(THEME_COLUMNS)].rename(columns=THEME_COLUMNS)


def porteurs_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """State money per porteur: programmed, committed, paid, left to pay; biggest programme first."""
    cols = ["programme_etat", "engage_etat", "paye_etat"]
    out = actions.groupby("porteur", as_index=False)[cols].sum()
    out = out.rename(columns={"programme_etat": "programme", "engage_etat": "engage", "paye_etat": "paye"})
    out = _with_rates(out)
    return out.sort_values(["programme", "porteur"], ascending=[False, True]).reset_index(drop=True)


PORTEUR_COLUMNS = {
    "porteur": "Porteur", "programme": "Programmé État", "engage": "Engagé État", "paye": "Payé État",
    "reste_a_payer": "Reste à payer", "taux_execution": "Taux d'exécution",
}


def porteurs_table(porteurs: pd.DataFrame) -> pd.DataFrame:
    return porteurs[list(PORTEUR_COLUMNS)].rename(columns=PORTEUR_COLUMNS)


# --- cost per participant ----------------------------------------------------------------

def costs(actions: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Paid, participants, participations and unit costs per action (actions with money or people).

    `people` is `participations(...)`."""
    money = actions[["code", "intitule", "porteur", "axe", "paye"]]
    merged = money.merge(people[["code", "intitule", "porteur", "axe", "participations", "participants"]],
                         on="code", how="outer", suffixes=("", "_p"))
    for col in ("intitule", "porteur", "axe"):
        merged[col] = merged[col].fillna(merged[f"{col}_p"])
    merged = merged.drop(columns=["intitule_p", "porteur_p", "axe_p"])
    merged["paye"] = merged["paye"].fillna(0.0)
    merged["participants"] = merged["participants"].fillna(0).astype("int64")
    merged["participations"] = merged["participations"].fillna(0).astype("int64")
    merged["cout_participant"] = _div(merged["paye"], merged["participants"])
    merged["cout_participation"] = _div(merged["paye"], merged["participations"])
    return merged.sort_values(["cout_participant", "code"], ascending=[False, True],
                              na_position="last").reset_index(drop=True)


COST_COLUMNS = {
    "code": "Code", "intitule": "Action", "participants": "Participants distincts",
    "participations": "Participations", "paye": "Payé", "cout_participant": "Coût par participant",
    "cout_participation": "Coût par participation", "porteur": "Porteur",
}


def costs_table(cost: pd.DataFrame, rule: CountRule) -> pd.DataFrame:
    """Costs with French headers, counts as `rule` shows them and costs computed from the shown
    counts (a cost and the amount paid would otherwise give an exact count back)."""
    out = cost.copy()
    for cost_col, count in (("cout_participant", "participants"), ("cout_participation", "participations")):
        out[cost_col] = [rule.derived(n, lambda v, paid=paid: paid / v if v else None)
                         for n, paid in zip(cost[count], cost["paye"], strict=True)]
    out = rule.table(out, ["participants", "participations"])
    return out[list(COST_COLUMNS)].rename(columns=COST_COLUMNS)


# --- pace over the convention ------------------------------------------------------------

def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _month(i: int) -> dt.date:
    return dt.date(i // 12, i % 12 + 1, 1)


def pace(monthly: pd.DataFrame, filters: Filters, settings: Settings,
         today: dt.date) -> tuple[pd.DataFrame, dict]:
    """Cumulative State payments per month against the envelope, with the linear pace and, while
    the selected years are not over, a projection to their end at the pace of the last six months
    (up to the current month). Once they are over nothing is projected: the figures are what was
    paid (`over`), and `derniere_depense` says up to when payments were recorded. Payments dated
    after the last selected year (late payments) extend the axis.
    """
    years = selected_years(filters, settings)
    env = envelope(filters, settings)
    if not years:
        return pd.DataFrame(), {}
    first, last = _month_index(dt.date(years[0], 1, 1)), _month_index(dt.date(years[-1], 12, 1))
    paid = {_month_index(m): float(v) for m, v in zip(monthly["mois"], monthly["paye_etat"], strict=True)}
    paid_months = [m for m, v in paid.items() if v != 0]
    stop = max([last, *paid_months])
    months = list(range(first, stop + 1))
    n_months = last - first + 1
    rows, cumul = [], 0.0
    for i, m in enumerate(months):
        cumul += paid.get(m, 0.0)
        rows.append({"mois": _month(m), "paye_mois": paid.get(m, 0.0), "paye_cumule": cumul,
                     "rythme_lineaire": env * min(i + 1, n_months) / n_months, "enveloppe": env,
                     "projection": math.nan})
    df = pd.DataFrame(rows)
    over = today > dt.date(years[-1], 12, 31)
    if not paid_months and over:
        ref = None
    else:
        ref = last if over else max(first, _month_index(today))
    if ref is None:
        return df, {"reference": None, "enveloppe": env, "paye": 0.0, "rythme_mensuel": math.nan,
                    "projection_fin": math.nan, "non_depense": math.nan, "part_non_depensee": math.nan,
                    "over": over}
    window = [m for m in range(max(first, ref - PACE_WINDOW_MONTHS + 1), ref + 1)]
    monthly_pace = sum(paid.get(m, 0.0) for m in window) / len(window)
    cum_ref = float(df.loc[[m <= ref for m in months], "paye_cumule"].iloc[-1])
    remaining = max(0, last - ref)
    final = cum_ref + monthly_pace * remaining if remaining else float(df["paye_cumule"].iloc[-1])
    if remaining:
        for m in range(ref, last + 1):
            df.loc[months.index(m), "projection"] = cum_ref + monthly_pace * (m - ref)
    unspent = env - final
    return df, {"reference": _month(ref), "fenetre_mois": len(window), "enveloppe": env,
                "paye": float(df["paye_cumule"].iloc[-1]), "rythme_mensuel": monthly_pace,
                "mois_restants": remaining, "projection_fin": final, "non_depense": unspent,
                "part_non_depensee": _ratio(unspent, env), "over": over,
                "derniere_depense": _month(max(paid_months)) if paid_months else None}


def pace_words(projection: dict, filters: Filters, settings: Settings) -> dict[str, str]:
    """The labels of the end-of-period figures: a projection while the selected years are not
    over (« Payé projeté en fin de convention »), what was paid once they are (« Payé en fin de
    convention »), and the sentence under them."""
    years = selected_years(filters, settings)
    end = "en fin de convention" if years == list(settings.years) else f"à fin {years[-1]}"
    unspent = projection.get("non_depense", math.nan)
    over = projection.get("over", False)
    words = {
        "paid": f"Payé {end}" if over else f"Payé projeté {end}",
        "unspent": ("Non dépensé" if unspent >= 0 or unspent != unspent else "Dépassement")
                   + ("" if over else " projeté"),
    }
    amount = f"{fmt.whole_euros(abs(unspent))} ({fmt.percent(abs(projection.get('part_non_depensee')))} de l'enveloppe)"
    if over:
        last = projection.get("derniere_depense")
        words["sentence"] = (f"Période terminée : {amount} " + ("n'ont pas été payés" if unspent >= 0 else
                                                              "payés au-delà de l'enveloppe")
                             + (f" (dernier paiement de l'État enregistré : {fmt.month(last)})." if last else "."))
    else:
        words["sentence"] = (f"Projection au rythme moyen des {projection.get('fenetre_mois')} mois jusqu'à "
                             f"{fmt.month(projection.get('reference'))} : {amount} "
                             + ("resteraient non dépensés." if unspent >= 0 else "de dépassement."))
    return words


PACE_COLUMNS = {
    "mois": "Mois", "paye_mois": "Payé État du mois", "paye_cumule": "Payé État cumulé",
    "rythme_lineaire": "Rythme linéaire", "projection": "Projection", "enveloppe": "Enveloppe",
}


def pace_table(df: pd.DataFrame) -> pd.DataFrame:
    return df[list(PACE_COLUMNS)].rename(columns=PACE_COLUMNS)


# --- under-used programme: one rule for both pages ------------------------------------------

UNDER_USE_RULE = ("moins de la moitié du programmé payée alors que les trois quarts de la période sont "
                  "écoulés (les années de l'action, ou chaque année de programmation pour une action sans "
                  "années)")


def under_use(con, filters: Filters, settings: Settings, today: dt.date, state_only: bool) -> pd.DataFrame:
    """The programme under-used by UNDER_USE_RULE, one row per action (and year, for an action
    without years of its own): every funder, or the State's credits only."""
    return queries.run(con, "budget_under_use", {**_params(filters, settings, today), "state_only": state_only})


def under_use_text(count: int, state_only: bool) -> str:
    """« 2 action(s) à risque sur les crédits de l'État : … », the rule said in full."""
    scope = "sur les seuls crédits de l'État" if state_only else "tous financeurs confondus"
    return f"{count} action(s) à risque {scope} : {UNDER_USE_RULE}."


# --- points of attention -----------------------------------------------------------------

def attention(con, filters: Filters, settings: Settings, today: dt.date,
              actions: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Every point of attention, one row each: kind, action, year, amounts (see ATTENTION_LABELS)."""
    points = queries.run(con, "budget_attention", _params(filters, settings, today))
    under = under_use(con, filters, settings, today, state_only=False)
    points = pd.concat([f for f in (points, under) if not f.empty], ignore_index=True) if not under.empty \
        else points
    spent = actions[(actions["lignes_depenses"] > 0)]
    with_people = people[people["participations"] > 0]
    no_people = spent[~spent["code"].isin(with_people["code"])]
    no_money = with_people[~with_people["code"].isin(spent["code"])]
    extra = [
        pd.DataFrame({"kind": "sans_presence", "code": no_people["code"], "intitule": no_people["intitule"],
                      "porteur": no_people["porteur"], "paye": no_people["paye"],
                      "montant": no_people["paye"] + no_people["engage"]}),
        pd.DataFrame({"kind": "presence_sans_depense", "code": no_money["code"],
                      "intitule": no_money["intitule"], "porteur": no_money["porteur"],
                      "participations": no_money["participations"]}),
    ]
    frames = [f for f in [points, *extra] if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*points.columns, "participations"])
    out = pd.concat(frames, ignore_index=True)
    for col in [*points.columns, "participations"]:  # a store with attendance but no money yet
        if col not in out:
            out[col] = math.nan
    out["ordre"] = out["kind"].map({k: i for i, k in enumerate(ATTENTION_LABELS)})
    return (out.sort_values(["ordre", "code", "annee"], na_position="first")
            .drop(columns="ordre").reset_index(drop=True))


def _attention_detail(row, rule: CountRule) -> str:
    e = fmt.whole_euros
    kind = row["kind"]
    if kind == "paye_superieur":
        return (f"Exercice {int(row['annee'])} : {e(row['paye'])} payés "
                f"pour {e(row['programme'])} programmés "
                f"(dépassement de {e(row['paye'] - row['programme'])})")
    if kind == "sous_consommation":
        period = (f"l'année {int(row['annee'])}" if not pd.isna(row["annee"])
                  else f"la période {row['date_min'].year}–{row['date_max'].year}")
        return (f"{e(row['paye'])} payés sur {e(row['programme'])} programmés "
                f"({fmt.percent(_ratio(row['paye'], row['programme']))}) alors que "
                f"{fmt.percent(row['periode_ecoulee'], 0)} de {period} est écoulée")
    if kind == "sans_programmation":
        return (f"Exercice {int(row['annee'])} : {int(row['lignes'])} ligne(s) de dépense pour "
                f"{e(row['montant'])}, rien n'est programmé")
    if kind == "sans_presence":
        return f"{e(row['montant'])} engagés ou payés, aucune présence enregistrée"
    if kind == "presence_sans_depense":
        return f"{rule.text(row['participations'])} participation(s) enregistrée(s), aucune dépense"
    if kind == "hors_periode":
        return (f"{int(row['lignes'])} ligne(s) pour {e(row['montant'])}, "
                f"datées du {fmt.date(row['date_min'])} "
                f"au {fmt.date(row['date_max'])}, hors des années de l'action")
    return ""


def attention_table(points: pd.DataFrame, rule: CountRule) -> pd.DataFrame:
    """The list the committee works through, in French, each row with its action's link."""
    cols = ["Point d'attention", "Action", "Détail", "Fiche action", "Code", "Porteur"]
    if points.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame({
        "Point d'attention": points["kind"].map(ATTENTION_LABELS),
        "Code": points["code"],
        "Action": points["intitule"],
        "Porteur": points["porteur"],
        "Détail": [_attention_detail(r, rule) for _, r in points.iterrows()],
        "Fiche action": points["code"].map(action_link),
    })[cols]


# --- the pages' data ---------------------------------------------------------------------

def committee_view(con, filters: Filters, settings: Settings, today: dt.date | None = None) -> dict:
    """Everything the Budget page shows, from a few aggregate queries."""
    today = today or dt.date.today()
    yf = year_funder(con, filters, settings, today)
    years = years_summary(yf, filters, settings)
    actions = actions_summary(con, filters, settings, today)
    people = participations(con, filters, settings)
    monthly = queries.run(con, "budget_monthly_paid", _params(filters, settings, today))
    pace_df, projection = pace(monthly, filters, settings, today)
    funders = funders_by_year(yf)
    return {
        "has_money": not yf.empty,
        "years": years,
        "totals": totals(years),
        "actions": actions,
        "themes": themes_summary(actions),
        "funders": funders,
        "leverage": leverage(funders),
        "pace": pace_df,
        "projection": projection,
        "participations": people,
        "attention": attention(con, filters, settings, today, actions, people),
        # the same rule on the State's credits alone (its page lists them)
        "state_under_use": int(under_use(con, filters, settings, today, state_only=True)["code"].nunique()),
    }


def state_view(con, filters: Filters, settings: Settings, today: dt.date | None = None) -> dict:
    """Everything the « Utilisation des fonds de l'État » page shows except the expense list."""
    today = today or dt.date.today()
    params = _params(filters, settings, today)
    yf = year_funder(con, filters, settings, today)
    years = years_summary(yf, filters, settings)
    actions = actions_summary(con, filters, settings, today)
    monthly = queries.run(con, "budget_monthly_paid", params)
    pace_df, projection = pace(monthly, filters, settings, today)
    return {
        "has_money": bool((yf["ordre"] == STATE_GROUP).any()),
        "years": years,
        "totals": totals(years),
        "porteurs": porteurs_summary(actions),
        "at_risk": at_risk(actions, under_use(con, filters, settings, today, state_only=True)),
        "for_whom": for_whom(con, filters, settings, actions),
        "pace": pace_df,
        "projection": projection,
        "budget_rows": queries.run(con, "state_budget_rows", params),
        "sources": queries.run(con, "budget_sources", params),
    }


def at_risk(actions: pd.DataFrame, under: pd.DataFrame) -> pd.DataFrame:
    """State credits programmed and not paid, per action; « à risque » when the State's credits of
    the action are under-used (`under`: under_use(..., state_only=True), the Budget page's rule)."""
    df = actions[actions["programme_etat"] > 0].copy()
    df["a_risque"] = df["code"].isin(set(under["code"]))
    df = df.sort_values(["a_risque", "reste_a_payer_etat", "code"], ascending=[False, False, True])
    return df.reset_index(drop=True)


RISK_COLUMNS = {
    "code": "Code", "intitule": "Action", "reste_a_payer_etat": "Reste à payer",
    "taux_execution_etat": "Taux d'exécution", "periode_ecoulee": "Part de la période écoulée",
    "programme_etat": "Programmé État", "paye_etat": "Payé État", "porteur": "Porteur",
}


def at_risk_table(risk: pd.DataFrame) -> pd.DataFrame:
    out = risk[list(RISK_COLUMNS)].rename(columns=RISK_COLUMNS)
    out.insert(2, "À risque", risk["a_risque"].map({True: "oui", False: "non"}))
    out["Fiche action"] = risk["code"].map(action_link)
    return out


STATUTS = ("engagé", "payé", "avoir")
# Key columns first, so that they show without scrolling at 1440 px: what, how much, and where it
# came from (import and line); the long texts after.
SPENDING_COLUMNS = {
    "date": "Date", "montant": "Montant", "statut": "Statut", "exercice": "Exercice", "code": "Code",
    "batch_id": "Lot n°", "line": "Ligne du fichier", "intitule": "Action", "fournisseur": "Fournisseur",
    "libelle": "Libellé", "piece": "Pièce", "porteur": "Porteur", "financeur": "Financeur",
    "file_name": "Fichier importé", "imported_at": "Importé le",
}


def state_spending(con, filters: Filters, settings: Settings, statuts: tuple[str, ...] = (),
                   search: str = "", all_funders: bool = False, limit: int = 1000) -> dict:
    """The expenses behind the figures (newest first, at most `limit`), how many match and their
    amount per statut (engagé, payé and avoir are never added together)."""
    params = filters.params() | {"state_funder": settings.state_funder, "statuts": list(statuts),
                                 "search": search.strip(), "all_funders": all_funders, "limit": limit}
    rows = queries.run(con, "state_spending_rows", params)
    by_status = queries.run(con, "state_spending_totals", params)
    amounts = {statut: float(by_status.loc[by_status["statut"] == statut, "montant"].sum())
               for statut in STATUTS if statut in set(by_status["statut"])}
    return {"rows": rows, "count": int(by_status["lignes"].sum()), "amounts": amounts}


def spending_table(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[list(SPENDING_COLUMNS)].rename(columns=SPENDING_COLUMNS)


BUDGET_ROW_COLUMNS = {
    "annee": "Année", "code": "Code", "montant": "Montant programmé", "montant_remplace": "Montant remplacé",
    "batch_id": "Lot n°", "line": "Ligne du fichier", "intitule": "Action", "porteur": "Porteur",
    "financeur": "Financeur", "file_name": "Fichier importé", "imported_at": "Importé le",
}
# Long texts (an action's title, a file name) are shown on a medium width; the cell's full text is
# one hover away, and in the downloads.
LONG_TEXT_COLUMNS = ("Action", "Fichier importé", "Libellé", "Fournisseur", "Porteur", "Financeur", "Détail")


def budget_rows_table(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[list(BUDGET_ROW_COLUMNS)].rename(columns=BUDGET_ROW_COLUMNS)


SOURCE_COLUMNS = {
    "batch_id": "Lot n°", "kind": "Type", "file_name": "Fichier importé", "imported_at": "Importé le",
    "imported_by": "Importé par", "lignes": "Lignes utilisées",
}
KIND_LABELS = {"budget": "Programmation budgétaire", "spending": "Dépenses"}


def sources_table(sources: pd.DataFrame) -> pd.DataFrame:
    out = sources[list(SOURCE_COLUMNS)].rename(columns=SOURCE_COLUMNS)
    out["Type"] = out["Type"].map(lambda k: KIND_LABELS.get(k, k))
    return out


# --- for whom: the focus band behind the State's credits -----------------------------------

def for_whom(con, filters: Filters, settings: Settings, actions: pd.DataFrame) -> pd.DataFrame:
    """Per action the State funds, and in total (code None, first row): the distinct young people
    of the focus band (band at first participation, over money_years), those living in the QPV,
    and the State's paid euros. Exact counts: the page applies the small-count rule."""
    people_filters = money_years(filters)
    params = {**people_filters.params(), "focus_band": settings.focus_band, "state_funder": settings.state_funder}
    queries.run(con, "selection_people", params)   # the first participation of each person, once
    people = queries.run(con, "state_focus_people", params).rename(columns={"action_code": "code"})
    state = actions[(actions["programme_etat"] > 0) | (actions["paye_etat"] != 0)]
    rows = state[["code", "intitule", "paye_etat"]].merge(people, on="code", how="left")
    rows[["young_people", "young_qpv"]] = rows[["young_people", "young_qpv"]].fillna(0).astype("int64")
    whole = people[people["code"].isna()]
    total = pd.DataFrame([{
        "code": None, "intitule": "Toutes les actions financées par l'État",
        "paye_etat": float(state["paye_etat"].sum()),
        "young_people": int(whole["young_people"].iloc[0]) if len(whole) else 0,
        "young_qpv": int(whole["young_qpv"].iloc[0]) if len(whole) else 0,
    }])
    rows = rows.sort_values(["young_people", "code"], ascending=[False, True])
    return pd.concat([total, rows], ignore_index=True)


def for_whom_table(df: pd.DataFrame, rule: CountRule, focus_band: str) -> pd.DataFrame:
    """For whom, in French, as `rule` shows counts: the QPV share and the euros per young person
    from the shown counts (« masqué » where the count is hidden)."""
    from impact.participation import focus_text

    young = focus_text("Jeunes {focus} distincts", focus_band)
    per_young = focus_text("Payé État par jeune {focus}", focus_band)
    return pd.DataFrame({
        "Code": df["code"].fillna("Total"),
        "Action": df["intitule"],
        young: [rule.shown(n) for n in df["young_people"]],
        "Part habitant le QPV": [rule.share(q, n) for q, n in zip(df["young_qpv"], df["young_people"], strict=True)],
        "Payé État": df["paye_etat"],
        per_young: [rule.derived(n, lambda v, paid=paid: paid / v if v else None)
                    for n, paid in zip(df["young_people"], df["paye_etat"], strict=True)],
    })

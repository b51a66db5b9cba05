"""The « Vue d'ensemble » figures: participation headline, monthly participation, State envelope.

Core functions take (con, filters, settings) and return plain values or DataFrames; the
display helpers below turn them into the French text a reader sees, hiding small counts
when asked to.
"""

from __future__ import annotations

import pandas as pd

from impact import fmt, queries
from impact.filters import Filters
from impact.participation import every_month
from impact.settings import Settings
from impact.small_counts import CountRule


def _params(filters: Filters, settings: Settings) -> dict:
    return {**filters.params(), "focus_band": settings.focus_band, "state_funder": settings.state_funder,
            "envelope_per_year": settings.state_envelope_per_year}


def _per_month(con, params: dict) -> pd.DataFrame:
    """Per month and for the whole selection (month NaT, first row): participations,
    head-count participations, participants, actions."""
    return queries.run(con, "overview_participation", params)


def _figures(con, params: dict, per_month: pd.DataFrame) -> dict:
    whole = per_month[per_month["month"].isna()].iloc[0]
    out = {k: int(whole[k]) for k in ("participations", "headcount_participations", "participants", "actions")}
    out["focus_participants"] = int(queries.run(con, "overview_focus_people", params).iloc[0, 0])
    out["focus_share"] = out["focus_participants"] / out["participants"] if out["participants"] else None
    return out


def _months(per_month: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Every month of the period (Filters.months), those without activity at 0."""
    months = per_month[per_month["month"].notna()][["month", "participations", "participants"]]
    return every_month(months, filters.months(), ["participations", "participants"])


def participation_figures(con, filters: Filters, settings: Settings) -> dict:
    """{'participations', 'headcount_participations', 'participants', 'focus_participants',
    'focus_share' (None without participants), 'actions'} for the selection."""
    params = _params(filters, settings)
    return _figures(con, params, _per_month(con, params))


def monthly_participation(con, filters: Filters, settings: Settings) -> pd.DataFrame:
    """One row per month of the period: month (date), participations, participants (0 without sessions)."""
    return _months(_per_month(con, _params(filters, settings)), filters)


def state_envelope_by_year(con, filters: Filters, settings: Settings) -> pd.DataFrame:
    """Per selected programme year: enveloppe, programme, engage, paye and their shares of the envelope."""
    df = queries.run(con, "overview_state_by_year", _params(filters, settings))
    for col in ("programme", "engage", "paye"):
        df[f"part_{col}"] = df[col] / df["enveloppe"].where(df["enveloppe"] > 0)
    return df


def state_envelope_totals(by_year: pd.DataFrame) -> dict:
    """Totals over the selected years: enveloppe, programme, engage, paye and the three shares."""
    totals = {col: float(by_year[col].sum()) for col in ("enveloppe", "programme", "engage", "paye")}
    for col in ("programme", "engage", "paye"):
        totals[f"part_{col}"] = totals[col] / totals["enveloppe"] if totals["enveloppe"] else None
    return totals


def state_paid_cumulative(con, filters: Filters, settings: Settings) -> pd.DataFrame:
    """Month by month: State payments (net of credit notes), their running total and the
    running total of the yearly envelopes of the selected years."""
    return queries.run(con, "overview_state_paid_monthly", _params(filters, settings))


def overview(con, filters: Filters, settings: Settings) -> dict:
    """Everything the page shows, in one call (one cached computation)."""
    by_year = state_envelope_by_year(con, filters, settings)
    params = _params(filters, settings)
    per_month = _per_month(con, params)
    return {
        "participation": _figures(con, params, per_month),
        "monthly": _months(per_month, filters),
        "state_by_year": by_year,
        "state_totals": state_envelope_totals(by_year),
        "state_paid": state_paid_cumulative(con, filters, settings),
    }


def has_money(by_year: pd.DataFrame) -> bool:
    """True when the selection holds any State amount (programmed, committed or paid)."""
    return bool(by_year[["programme", "engage", "paye"]].abs().to_numpy().sum() > 0)


# --- display -----------------------------------------------------------------------------

def monthly_display(monthly: pd.DataFrame, rule: CountRule) -> pd.DataFrame:
    """The monthly table with French text columns, counts as `rule` shows them (a hidden count:
    no bar, its label « < 5 »)."""
    out = monthly.copy()
    out["mois"] = out["month"].map(fmt.month)
    out["participations_texte"] = out["participations"].map(rule.text)
    out["participants_texte"] = out["participants"].map(rule.text)
    out["participations_trace"] = out["participations"].map(rule.value).astype("Float64")
    return out


def monthly_table(display: pd.DataFrame) -> pd.DataFrame:
    """The plotted numbers of the monthly chart, as shown and downloaded (masked where needed)."""
    return display[["mois", "participations_texte", "participants_texte"]].rename(columns={
        "mois": "Mois", "participations_texte": "Participations",
        "participants_texte": "Participants distincts (du mois)"})


def state_year_table(by_year: pd.DataFrame) -> pd.DataFrame:
    """The envelope per programme year, with French headers (numbers kept for downloads)."""
    return by_year.astype({"exercice": str}).rename(columns={
        "exercice": "Exercice", "enveloppe": "Enveloppe État", "programme": "Programmé",
        "engage": "Engagé", "paye": "Payé", "part_programme": "Programmé / enveloppe",
        "part_engage": "Engagé / enveloppe", "part_paye": "Payé / enveloppe"})


def state_paid_table(paid: pd.DataFrame) -> pd.DataFrame:
    return paid.rename(columns={"month": "Mois", "paid": "Payé dans le mois",
                                "cumulative_paid": "Payé cumulé", "cumulative_envelope": "Enveloppe cumulée"})

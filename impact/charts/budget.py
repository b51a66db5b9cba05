"""Money charts: per year, per action or thématique, pace over the convention, funders."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from impact import fmt
from impact.charts import GREY, OKABE_ITO, bar_slot, names_above_bars

# One colour per kind of amount, the same on every money chart.
AMOUNT_COLOURS = {
    "Enveloppe": GREY,
    "Programmé": OKABE_ITO["blue"],
    "Engagé": OKABE_ITO["orange"],
    "Payé": OKABE_ITO["green"],
}
# Funder groups by position (0: the State, first): a colour and a pattern each, in turn.
FUNDER_COLOURS = [OKABE_ITO[k] for k in ("blue", "orange", "sky", "green", "purple", "vermillion", "yellow")]
FUNDER_PATTERNS = ["", "/", ".", "x", "-", "\\", "+", "|"]


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    kw.setdefault("hovermode", "closest")
    kw.setdefault("margin", {"t": 60, "l": 10, "r": 10})
    fig.update_layout(title=title, separators=", ", legend_title_text="", **kw)
    return fig


def _euro_text(values) -> list[str]:
    return [fmt.euros(v, cents=True) for v in values]   # exact, as in the table beside


def short_euros(value: float) -> str:
    """A bar label that fits: 1,2 M€, 168 k€, 8 500 € (exact amounts are in the table)."""
    v = float(value)
    if abs(v) >= 1_000_000:
        return f"{fmt.number(v / 1_000_000, 1)}\u00a0M€"
    if abs(v) >= 10_000:
        return f"{fmt.number(v / 1000, 0)}\u00a0k€"
    return fmt.whole_euros(v)


def years_chart(years: pd.DataFrame) -> go.Figure:
    """Envelope, programmed, committed and paid by the State, per convention year (grouped bars)."""
    fig = go.Figure()
    x = years["annee"].astype(str)
    for label, col in (("Enveloppe", "enveloppe"), ("Programmé", "programme"), ("Engagé", "engage"),
                       ("Payé", "paye")):
        fig.add_bar(name=label, x=x, y=years[col], marker_color=AMOUNT_COLOURS[label],
                    text=[short_euros(v) for v in years[col]], textposition="outside",
                    customdata=_euro_text(years[col]),
                    hovertemplate=f"{label} %{{x}} : %{{customdata}}<extra></extra>")
    fig.update_yaxes(title="€", tickformat=",.0f")
    fig.update_xaxes(type="category", title="Année de convention")
    return _layout(fig, "Crédits de l'État par année de convention", barmode="group")


def amounts_chart(df: pd.DataFrame, label_col: str, title: str, max_rows: int = 25) -> go.Figure:
    """Programmed vs committed vs paid per row of `df` (horizontal grouped bars, in df's order)."""
    if len(df) > max_rows:
        title += f" — {max_rows} premières lignes sur {len(df)}, toutes dans le tableau des données"
    shown = df.head(max_rows).iloc[::-1]   # plotly draws the first category at the bottom
    labels = [str(v) for v in shown[label_col]]
    fig = go.Figure()
    # Added bottom-up, so that each group reads Programmé, Engagé, Payé from the top like the legend.
    for label, col in (("Payé", "paye"), ("Engagé", "engage"), ("Programmé", "programme")):
        fig.add_bar(name=label, y=labels, x=shown[col], orientation="h",
                    marker_color=AMOUNT_COLOURS[label], text=[short_euros(v) for v in shown[col]],
                    textposition="auto", customdata=_euro_text(shown[col]),
                    hovertemplate=f"%{{y}}<br>{label} : %{{customdata}}<extra></extra>")
    fig.update_xaxes(title="€", tickformat=",.0f")
    fig.update_yaxes(type="category")
    slot = bar_slot(3, bar=16)
    names_above_bars(fig, labels, slot)   # long titles stay readable on a phone
    return _layout(fig, title, barmode="group", height=max(320, 130 + slot * len(shown)),
                   legend_traceorder="reversed", legend={"orientation": "h", "yanchor": "bottom", "y": 1.0,
                                                          "x": 0}, margin={"t": 90, "l": 10, "r": 10})


def pace_chart(pace: pd.DataFrame) -> go.Figure:
    """Cumulative State payments per month against the envelope, linear pace and projection."""
    fig = go.Figure()
    fig.add_scatter(name="Enveloppe", x=pace["mois"], y=pace["enveloppe"], mode="lines",
                    line={"color": GREY, "dash": "dot", "width": 2})
    fig.add_scatter(name="Rythme linéaire", x=pace["mois"], y=pace["rythme_lineaire"], mode="lines",
                    line={"color": OKABE_ITO["orange"], "dash": "dash", "width": 2})
    fig.add_scatter(name="Payé cumulé", x=pace["mois"], y=pace["paye_cumule"], mode="lines+markers",
                    line={"color": OKABE_ITO["blue"], "width": 3}, marker={"symbol": "circle", "size": 5})
    projected = pace.dropna(subset=["projection"])
    if not projected.empty:
        fig.add_scatter(name="Projection au rythme des 6 derniers mois", x=projected["mois"],
                        y=projected["projection"], mode="lines+markers",
                        line={"color": OKABE_ITO["vermillion"], "dash": "longdash", "width": 2},
                        marker={"symbol": "triangle-up", "size": 6})
    fig.update_yaxes(title="€", tickformat=",.0f", rangemode="tozero")
    fig.update_xaxes(title="Mois", tickformat="%m/%Y")
    return _layout(fig, "Paiements de l'État cumulés sur la convention", hovermode="x unified")


def funders_chart(funders: pd.DataFrame) -> go.Figure:
    """Programmed per year and funder group (stacked bars, patterns and names as well as colours;
    a group's colour and pattern follow its position `ordre`, the State's first)."""
    fig = go.Figure()
    for (position, group), rows in funders.groupby(["ordre", "groupe"], sort=True):
        fig.add_bar(name=group, x=rows["annee"].astype(str), y=rows["programme"],
                    marker={"color": FUNDER_COLOURS[position % len(FUNDER_COLOURS)],
                            "pattern": {"shape": FUNDER_PATTERNS[position % len(FUNDER_PATTERNS)]}},
                    text=[f"{group}<br>{short_euros(v)}" for v in rows["programme"]], textposition="inside",
                    hovertemplate=f"{group} %{{x}} : %{{customdata}}<extra></extra>",
                    customdata=_euro_text(rows["programme"]))
    fig.update_yaxes(title="€ programmés", tickformat=",.0f")
    fig.update_xaxes(type="category", title="Année de convention")
    return _layout(fig, "Programmation par financeur et par année", barmode="stack")

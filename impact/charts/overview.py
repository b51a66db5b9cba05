"""Charts of the « Vue d'ensemble » page (pure: DataFrame in, Plotly figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from impact import fmt
from impact.charts import FONT, GREY, OKABE_ITO, hidden_labels

_LAYOUT = dict(separators=", ", font=dict(family=FONT), margin=dict(l=10, r=10, t=50, b=10),
               hovermode="x unified", plot_bgcolor="white")


def monthly_participation_chart(display: pd.DataFrame) -> go.Figure:
    """Bars of participations per month, each labelled with its (possibly masked) count; every
    month of the period is on the axis, the months without activity at 0.

    `display` comes from impact.overview.monthly_display: month, participations_trace (missing
    where the count is hidden: no bar, its label « < 5 » at the foot of the month),
    participations_texte (« 1 234 » or « < 5 »), mois (« mars 2023 »).
    """
    hidden = display["participations_trace"].isna()
    trace = display["participations_trace"].astype(object).where(~hidden, None)
    fig = go.Figure(go.Bar(
        x=display["month"], y=trace, name="Participations",
        text=display["participations_texte"].where(~hidden, ""), textposition="outside", cliponaxis=False,
        marker_color=OKABE_ITO["blue"], customdata=display[["mois", "participations_texte"]],
        hovertemplate="%{customdata[0]} : %{customdata[1]} participations<extra></extra>",
    ))
    hidden_labels(fig, display.loc[hidden, "month"].tolist(), display.loc[hidden, "participations_texte"].tolist(),
                  horizontal=False, group=None, colour=OKABE_ITO["blue"])
    fig.update_layout(title="Participations par mois", showlegend=False, **_LAYOUT)
    fig.update_xaxes(tickformat="%m/%Y", dtick="M3", title=None, showgrid=False)
    fig.update_yaxes(title="Participations", rangemode="tozero", gridcolor="#E5E5E5")
    return fig


def state_paid_cumulative_chart(paid: pd.DataFrame) -> go.Figure:
    """The State payments cumulated month by month (solid line) against the cumulated yearly
    envelopes (dashed steps): two series told apart by name, dash and colour."""
    paid_text = paid["cumulative_paid"].map(lambda v: fmt.euros(v, cents=True))   # exact, as in the table
    envelope_text = paid["cumulative_envelope"].map(lambda v: fmt.euros(v, cents=True))
    months = paid["month"].map(fmt.month)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=paid["month"], y=paid["cumulative_envelope"], name="Enveloppe État cumulée",
        mode="lines", line=dict(color=GREY, dash="dash", shape="hv", width=2),
        customdata=list(zip(months, envelope_text, strict=True)),
        hovertemplate="Enveloppe cumulée : %{customdata[1]}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=paid["month"], y=paid["cumulative_paid"], name="Payé cumulé (net des avoirs)",
        mode="lines+markers", line=dict(color=OKABE_ITO["orange"], width=3), marker=dict(symbol="circle"),
        customdata=list(zip(months, paid_text, strict=True)),
        hovertemplate="%{customdata[0]} — payé cumulé : %{customdata[1]}<extra></extra>",
    ))
    if len(paid):
        last = paid.iloc[-1]
        fig.add_annotation(x=last["month"], y=last["cumulative_paid"],
                           text=fmt.whole_euros(last["cumulative_paid"]), showarrow=True, arrowhead=0,
                           ax=-40, ay=-30, font=dict(color="black"))
    # the legend between title and plot: room for it on two lines, as on a phone (390 px)
    fig.update_layout(title="Fonds de l'État : payé cumulé et enveloppe", **{**_LAYOUT, "margin": {
        **_LAYOUT["margin"], "t": 95}}, legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    fig.update_xaxes(tickformat="%m/%Y", dtick="M3", title=None, showgrid=False)
    fig.update_yaxes(title="Montant cumulé (€)", ticksuffix=" €", rangemode="tozero", gridcolor="#E5E5E5",
                     tickformat=",.0f")
    return fig

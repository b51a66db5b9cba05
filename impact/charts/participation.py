"""Participation charts. Count columns may hold "< 5" (a reader's masked cell) and share columns
"masqué": such a value gets no bar (a bar of height 0 would read as none) but its text, where the
bar would be; the chart never shows more than the table beside it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from impact import fmt
from impact.charts import PALETTE, bar_slot, first_categories, hidden_labels, names_above_bars

PATTERNS = ["", "/", ".", "x", "-", "\\", "+", "|"]


def _values(series: pd.Series) -> pd.Series:
    """The numbers to draw: a masked cell (text) is missing, and drawn as no bar."""
    return pd.to_numeric(series, errors="coerce")


def _masked(series: pd.Series) -> list[bool]:
    return [isinstance(v, str) for v in series]


def _texts(series: pd.Series, percent: bool = False) -> list[str]:
    def one(v):
        if isinstance(v, str):
            return v
        return fmt.percent(v) if percent else fmt.number(v, 0 if float(v) == int(v) else 1)
    return [one(v) for v in series]


def _layout(fig: go.Figure, title: str, x_title: str = "", y_title: str = "", top_legend: bool = False,
            **kw) -> go.Figure:
    legend = ({"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": None} if top_legend
              else {"orientation": "h", "y": -0.15, "title": None})
    fig.update_layout(
        title=title, separators=", ", legend=legend,
        margin={"l": 10, "r": 10, "t": 90 if top_legend else 50, "b": 10}, xaxis_title=x_title,
        yaxis_title=y_title, uniformtext_minsize=9, **kw)
    return fig


def grouped_bars(df: pd.DataFrame, category: str, series: dict[str, str], title: str,
                 horizontal: bool = True, percent: bool = False, value_title: str = "") -> go.Figure:
    """Side-by-side bars, one per series ({column: French name}), each labelled with its value
    and told apart by pattern as well as colour. Horizontal bars carry their category's name
    above them."""
    fig = go.Figure()
    note = ""
    if horizontal:   # one bar per row: the first rows only (the table has them all)
        kept, note = first_categories(df[category].astype(str).tolist())
        df = df[df[category].astype(str).isin(kept)].head(len(kept))
        title += note
    cats = df[category].astype(str).tolist()
    for i, (col, name) in enumerate(series.items()):
        values, texts, colour = _values(df[col]), _texts(df[col], percent), PALETTE[i % len(PALETTE)]
        common = dict(name=name, text=texts, textposition="outside", cliponaxis=False, offsetgroup=str(i),
                      marker={"color": colour, "pattern": {"shape": PATTERNS[i % len(PATTERNS)]}},
                      hovertemplate=f"%{{{'y' if horizontal else 'x'}}}<br>{name} : %{{text}}<extra></extra>")
        if horizontal:
            fig.add_bar(y=cats, x=values, orientation="h", **common)
        else:
            fig.add_bar(x=cats, y=values, **common)
        masked = _masked(df[col])
        hidden_labels(fig, [c for c, m in zip(cats, masked, strict=True) if m],
                      [t for t, m in zip(texts, masked, strict=True) if m], horizontal, str(i), colour)
    fig.update_layout(barmode="group")
    if horizontal:
        slot = bar_slot(max(1, len(series)))
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_layout(height=max(320, 110 + slot * len(cats)))
        names_above_bars(fig, cats, slot)
        # room on the right for the labels written after the longest bar (« 100,0 % », « 1 234 »)
        longest = max((float(_values(df[col]).max()) for col in series if _values(df[col]).notna().any()),
                      default=0.0)
        if longest > 0:
            fig.update_xaxes(range=[0, longest * 1.2])
        if percent:
            fig.update_xaxes(tickformat=".0%")
        return _layout(fig, title, x_title=value_title, top_legend=True)
    fig.update_xaxes(type="category")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return _layout(fig, title, y_title=value_title)


def stacked_bars(df: pd.DataFrame, x: str, stack: str, value: str, title: str,
                 x_labels: dict | None = None, horizontal: bool = False, value_title: str = "",
                 order: list[str] | None = None) -> go.Figure:
    """Bars of `value` along `x`, stacked by `stack`; every segment carries its number. A hidden
    count (« < 5 ») is no segment: the title says so and the table gives it."""
    fig = go.Figure()
    if horizontal:   # one bar per x: the first ones only (the table has them all)
        kept, note = first_categories(df[x].tolist())
        df = df[df[x].isin(kept)]
        title += note
    if any(_masked(df[value])):
        title += " — effectifs « < 5 » non dessinés (voir le tableau)"
    groups = order or list(dict.fromkeys(df[stack].tolist()))
    for i, name in enumerate(groups):
        part = df[df[stack] == name]
        cats = [x_labels.get(v, v) if x_labels else v for v in part[x]]
        common = dict(name=str(name), text=_texts(part[value]), textposition="inside",
                      insidetextanchor="middle", textangle=0,   # numbers read level, never turned
                      marker={"color": PALETTE[i % len(PALETTE)],
                              "pattern": {"shape": PATTERNS[i % len(PATTERNS)]}})
        if horizontal:
            fig.add_bar(y=cats, x=_values(part[value]), orientation="h", **common)
        else:
            fig.add_bar(x=cats, y=_values(part[value]), **common)
    fig.update_layout(barmode="stack")
    if horizontal:
        slot = bar_slot(1, bar=24)
        names = list(dict.fromkeys(df[x].tolist()))
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_layout(height=max(320, 110 + slot * len(names)))
        names_above_bars(fig, names, slot)
        return _layout(fig, title, x_title=value_title, top_legend=True)
    return _layout(fig, title, y_title=value_title)


def participation_by_action_chart(df: pd.DataFrame) -> go.Figure:
    return grouped_bars(df, "intitule", {"participations": "Participations",
                                         "participants": "Participants distincts"},
                        "Participations et participants distincts par action")


def participation_by_month_chart(df: pd.DataFrame, months: list | None = None) -> go.Figure:
    """Participations per month, stacked by thématique; `months` (every month of the period) are all
    on the axis, the months without activity included."""
    labels = {m: fmt.month(m) for m in [*df["month"], *(months or [])]}
    fig = stacked_bars(df, "month", "axe", "participations", "Participations par mois et par thématique",
                       x_labels=labels, value_title="Participations")
    axis = sorted({pd.Timestamp(m): text for m, text in labels.items()}.items())
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[text for _, text in axis],
                     range=[-0.5, len(axis) - 0.5])
    return fig


def participation_by_porteur_chart(df: pd.DataFrame) -> go.Figure:
    return grouped_bars(df, "porteur", {"participations": "Participations",
                                        "participants": "Participants distincts"},
                        "Participations et participants distincts par porteur")


def sessions_by_action_chart(df: pd.DataFrame) -> go.Figure:
    return grouped_bars(df, "intitule",
                        {"sessions": "Séances", "average_per_session": "Présence moyenne par séance"},
                        "Séances et présence moyenne par séance")


def regularity_chart(long: pd.DataFrame) -> go.Figure:
    """Per action, people who came once, 2–4 times, 5 times or more (long form)."""
    return stacked_bars(long, "intitule", "frequence", "people",
                        "Régularité : combien de fois chacun est venu",
                        horizontal=True, value_title="Participants distincts")


def bands_chart(df: pd.DataFrame, focus: str) -> go.Figure:
    """Participations and participants per band; `focus` names the focus band, drawn first ('16-25 ans')."""
    return grouped_bars(df, "band", {"participations": "Participations (tranche à chaque séance)",
                                     "participants": "Participants distincts (tranche à la 1re venue)"},
                        f"Participation par tranche d'âge ({focus} en premier)", horizontal=False)


def shares_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Shares of people by category (sex, QPV): one labelled bar per category, Non renseigné included."""
    return grouped_bars(df, "categorie", {"share": "Part des personnes"}, title, percent=True)


def counts_chart(df: pd.DataFrame, category: str, value: str, name: str, title: str,
                 horizontal: bool = True) -> go.Figure:
    return grouped_bars(df, category, {value: name}, title, horizontal=horizontal)


def focus_by_month_chart(df: pd.DataFrame, focus: str, focus_span: str) -> go.Figure:
    """The focus band's young people per month and the newcomers among them; `focus` names the band
    ('16-25 ans'), `focus_span` in a sentence ('de 16 à 25 ans'). A hidden count breaks the line
    and is written at the foot of its month."""
    months = [fmt.month(m) for m in df["month"]]
    fig = go.Figure()
    for i, (col, name, dash) in enumerate([("young_people", f"Jeunes {focus} venus dans le mois", "solid"),
                                           ("newcomers", "Dont nouveaux (1re venue)", "dash")]):
        fig.add_scatter(x=months, y=_values(df[col]), name=name, mode="lines+markers+text",
                        text=[t if not m else "" for t, m in zip(_texts(df[col]), _masked(df[col]), strict=True)],
                        textposition="top center", line={"color": PALETTE[i], "dash": dash},
                        marker={"symbol": ["circle", "square"][i]})
        masked = _masked(df[col])
        hidden_labels(fig, [m for m, h in zip(months, masked, strict=True) if h],
                      [t for t, h in zip(_texts(df[col]), masked, strict=True) if h], False, None, PALETTE[i])
    fig.update_xaxes(type="category")
    return _layout(fig, f"Jeunes {focus_span}, mois par mois", y_title="Jeunes distincts")


def action_by_month_chart(df: pd.DataFrame) -> go.Figure:
    shown = df.assign(mois=[fmt.month(m) for m in df["month"]])
    return grouped_bars(shown, "mois", {"participations": "Participations",
                                        "participants": "Participants distincts"},
                        "Participations et participants distincts par mois", horizontal=False)

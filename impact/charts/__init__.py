"""Chart builders: a DataFrame in, a Plotly figure out; no Streamlit here.

The shared palette is Okabe–Ito, readable with every common colour-vision deficiency. Colour
never carries information alone: series are also named in legends and written on bars, and
lines differ by dash as well as by colour.
"""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE = [OKABE_ITO[k] for k in
           ("blue", "orange", "sky", "green", "vermillion", "purple", "yellow", "black")]
GREY = "#7F7F7F"
FONT = "Source Sans Pro, sans-serif"


# A chart with one bar per action stays readable (and quick to draw) up to a few dozen bars: it
# shows the first ones (frames come sorted, most important first); the table beside has them all.
MAX_BARS = 25


def first_categories(values: list, limit: int = MAX_BARS) -> tuple[list, str]:
    """(the first `limit` distinct values in order, a note for the title when some are left out)."""
    distinct = list(dict.fromkeys(values))
    if len(distinct) <= limit:
        return distinct, ""
    return distinct[:limit], f" — {limit} premières lignes sur {len(distinct)}, toutes dans le tableau des données"


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# One bar per action: the action's name is written above its bars, across the chart, instead of
# beside them; beside, a long title took half of a phone's width (390 px) or was cut. A long name
# is written on two lines that fit a phone (the table beside the chart has it in full).
NAME_LINE = 45     # characters of a line of a name
NAME_ROOM = 40     # px between two groups of bars, where the name of the lower one is written


def bar_slot(series: int, bar: int = 20) -> int:
    """Height in px of one category of horizontal bars (`series` bars of `bar` px, and its name)."""
    return series * bar + NAME_ROOM


def wrap_name(text: str, line: int = NAME_LINE) -> str:
    """A name on at most two lines of `line` characters, cut between words (« … » if longer)."""
    words, lines, current = str(text).split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > line:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], truncate(" ".join(lines[1:]), line)]
    return "<br>".join(truncate(part, line) for part in lines)


def names_above_bars(fig: go.Figure, categories: list[str], slot: int) -> go.Figure:
    """Write each category's name above its horizontal bars, left-aligned on the chart's width."""
    gap = NAME_ROOM / slot
    fig.update_yaxes(showticklabels=False, ticks="")
    fig.update_layout(bargap=gap, bargroupgap=0.05)
    for category in categories:
        fig.add_annotation(x=0, xref="paper", y=category, yref="y", text=wrap_name(category),
                           showarrow=False, xanchor="left", yanchor="bottom", align="left",
                           yshift=(1 - gap) * slot / 2, font={"size": 12})
    return fig


def hidden_labels(fig: go.Figure, categories: list, texts: list[str], horizontal: bool, group: str | None,
                  colour: str) -> go.Figure:
    """Write « < 5 » (or « masqué ») where a hidden count has no bar or point, at the base: in a
    group of bars, in the slot of its series (`group`, the series' offsetgroup); never a bar of
    height 0, which would read as nothing."""
    if not categories:
        return fig
    zeros = [0] * len(categories)
    grouped = {"offsetgroup": group, "orientation": "h" if horizontal else "v"} if group is not None else {}
    fig.add_scatter(x=zeros if horizontal else categories, y=categories if horizontal else zeros,
                    mode="text", text=texts, textposition="middle right" if horizontal else "top center",
                    textfont={"color": colour}, showlegend=False, cliponaxis=False,
                    hovertemplate="Effectif masqué : %{text}<extra></extra>", **grouped)
    if group is not None:
        fig.update_layout(scattermode="group")
    return fig

"""Chart builders: a DataFrame in, a Plotly figure out; no Streamlit here.

The shared palette is Okabe–Ito, readable with every common colour-vision deficiency. Colour
never carries information alone: series are also named in legends and written on bars, and
lines differ by dash as well as by colour.
"""

from __future__ import annotations

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

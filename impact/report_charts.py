"""The report's charts on paper: the pages' own Plotly figures with a white background, print fonts,
the legend above the plot and a pattern on every bar series (a black-and-white print tells them
apart), drawn by kaleido with the system's Chromium as SVG (PDF) or high-resolution PNG (Word).
"""

from __future__ import annotations

import asyncio
import os
import shutil

import plotly.graph_objects as go

PRINT_FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
WIDTH = 820            # px: the chart fills the text width of an A4 page
DEFAULT_HEIGHT = 420
MAX_HEIGHT = 900
PNG_SCALE = 2.5        # 2 050 px wide: sharp when printed
LABEL_WIDTH = 48       # characters of a category label on a horizontal bar chart
# Money series keep the same pattern on every chart; other series get one by position.
NAMED_PATTERNS = {"Enveloppe": ".", "Programmé": "", "Engagé": "/", "Payé": "x"}
PATTERNS = ["", "/", "x", ".", "-", "\\", "+", "|"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class ReportToolsMissing(RuntimeError):
    """A tool the report needs is missing; the message says in French which and how to install it."""


def browser_path() -> str | None:
    """The Chromium kaleido will use (BROWSER_PATH first, as kaleido does), None when there is none."""
    given = os.environ.get("BROWSER_PATH")
    if given:
        return given if os.access(given, os.X_OK) else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def missing_tools(word: bool = False) -> list[str]:
    """What the report needs and this machine lacks, in French (empty when everything is there)."""
    missing = []
    try:
        import kaleido  # noqa: F401
    except ImportError:
        missing.append("le module Python kaleido (graphiques) : lancez `make run`, qui installe requirements.txt")
    if browser_path() is None:
        missing.append("le navigateur Chromium, qui dessine les graphiques : `sudo apt-get install chromium` "
                       "(ou indiquez son chemin dans la variable BROWSER_PATH)")
    if word:
        try:
            import docx  # noqa: F401
        except ImportError:
            missing.append("le module Python python-docx (document Word) : lancez `make run`")
    else:
        try:
            import weasyprint  # noqa: F401
        except ImportError:
            missing.append("le module Python weasyprint (PDF) : lancez `make run`, qui installe requirements.txt")
        except OSError:
            missing.append("la bibliothèque Pango, dont WeasyPrint a besoin pour écrire le PDF : "
                           "`sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0`")
    return missing


def require_tools(word: bool = False) -> None:
    missing = missing_tools(word)
    if missing:
        raise ReportToolsMissing("Le rapport ne peut pas être produit sur cette machine : il manque "
                                 + " ; ".join(missing) + ".")


def short_label(text: str, width: int = LABEL_WIDTH) -> str:
    """A long label shortened in its middle, so that two titles that differ only at their end stay
    apart: « Point d'écoute psychologique du lundi – collège Paul Valery » → « Point d'écoute
    psycholo… collège Paul Valery »."""
    text = str(text)
    if len(text) <= width:
        return text
    head = width * 3 // 5
    return text[:head].rstrip() + "…" + text[-(width - head - 1):].lstrip()


def for_print(figure: dict) -> go.Figure:
    """The figure as it is printed (see the module's docstring)."""
    fig = go.Figure(figure)
    for i, trace in enumerate(fig.data):
        if trace.type != "bar":
            continue
        shape = trace.marker.pattern.shape if trace.marker.pattern else None
        if not shape:
            shape = NAMED_PATTERNS.get(trace.name or "", PATTERNS[i % len(PATTERNS)])
            if shape:
                trace.marker.pattern = {"shape": shape, "fillmode": "overlay", "fgcolor": "rgba(0,0,0,0.6)",
                                        "size": 8, "solidity": 0.2}
        if trace.orientation == "h" and trace.y is not None:
            labels = [str(v) for v in trace.y]
            fig.update_yaxes(tickvals=labels, ticktext=[short_label(v) for v in labels])
        if trace.text is not None and fig.layout.barmode != "stack":
            # numbers beside the bars, in black: inside a patterned bar they would not read
            trace.update(textposition="outside", cliponaxis=False, textfont={"color": "black"})
    title = fig.layout.title.text or ""
    keep_title = "premières lignes" in title   # the chart leaves rows out: say so
    height = min(int(fig.layout.height or DEFAULT_HEIGHT), MAX_HEIGHT)
    fig.update_layout(
        title={"text": title if keep_title else "", "font": {"size": 13}},
        paper_bgcolor="white", plot_bgcolor="white", height=height, width=WIDTH,
        font={"family": PRINT_FONT, "size": 13, "color": "black"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left", "title": None},
        margin={"t": 60 if keep_title else 40, "l": 10, "r": 50, "b": 10},
    )
    fig.update_xaxes(gridcolor="#D9D9D9", linecolor="black", zerolinecolor="#BDBDBD", automargin=True)
    fig.update_yaxes(gridcolor="#D9D9D9", linecolor="black", zerolinecolor="#BDBDBD", automargin=True)
    return fig


async def _render_all(figures: list[go.Figure], image_format: str) -> list[bytes]:
    import kaleido

    scale = PNG_SCALE if image_format == "png" else 1
    # One tab: a second one loads Plotly again, which costs more than it saves on two cores
    # (8 charts: 3,4 s and 5 s of processor against 4,1 s and 6,5 s with two tabs).
    async with kaleido.Kaleido(n=1, timeout=90, mathjax=False, path=browser_path()) as k:
        jobs = [k.calc_fig(fig, opts={"format": image_format, "width": WIDTH,
                                      "height": int(fig.layout.height or DEFAULT_HEIGHT), "scale": scale})
                for fig in figures]
        return list(await asyncio.gather(*jobs))


def render(figures: list[dict], image_format: str = "svg") -> list[bytes]:
    """Each figure drawn for print, as SVG or PNG bytes, with one Chromium for them all."""
    if not figures:
        return []
    printed = [for_print(f) for f in figures]
    return asyncio.run(_render_all(printed, image_format))

"""The widgets every page uses to show figures: tables with their downloads, charts with their
data one click away, empty states.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact import fmt, spreadsheets
from impact.interface_language import PLOTLY_CONFIG


@st.cache_data(max_entries=200, show_spinner=False)
def _files(df: pd.DataFrame) -> tuple[bytes, bytes]:
    """The CSV and .xlsx of a table, written once per content (2 to 10 ms for the pages' tables,
    the .xlsx most of it)."""
    return spreadsheets.french_csv(df), spreadsheets.xlsx(df)


def downloads(df: pd.DataFrame, name: str, key: str | None = None) -> None:
    """Two buttons: CSV for French Excel and .xlsx. The files are written with the page, not when
    clicked: a file written on click (a deferred download) is lost when the page runs again between
    the run that drew the button and the click, and the click then does nothing; a file written
    with the page stays served until the run after next."""
    key = key or name
    csv, xlsx = _files(df)
    c1, c2 = st.columns(2)
    # on_click="ignore": a download needs no new run of the page
    c1.download_button("Télécharger (CSV)", csv, file_name=f"{name}.csv", on_click="ignore",
                       mime="text/csv", key=f"csv_{key}", width="stretch")
    c2.download_button("Télécharger (Excel)", xlsx, file_name=f"{name}.xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"xlsx_{key}", width="stretch")


def table(df: pd.DataFrame, name: str, key: str | None = None, display: pd.DataFrame | None = None,
          narrow: tuple[str, ...] = (), column_config: dict | None = None) -> None:
    """A table of figures (French-formatted `display` if given) with its downloads. `narrow`
    columns (long texts) get a medium width, so that the columns after them stay in sight."""
    shown = display if display is not None else df
    config = {c: st.column_config.TextColumn(c, width="medium") for c in narrow if c in shown.columns}
    st.dataframe(shown, hide_index=True, width="stretch", column_config={**config, **(column_config or {})})
    downloads(df, name, key)


def plotly(fig, name: str) -> None:
    """A chart alone, with Plotly's buttons reduced to a French « download the image »."""
    st.plotly_chart(fig, width="stretch", key=f"chart_{name}", config=PLOTLY_CONFIG)


def chart(fig, data: pd.DataFrame, name: str, display: pd.DataFrame | None = None) -> None:
    """A chart, with the plotted numbers one click away (table and downloads)."""
    plotly(fig, name)
    with st.expander("Voir les données du graphique"):
        table(data, name, key=name, display=display)


def empty_state(message: str = "Aucune donnée pour cette sélection. "
                "Élargissez la période ou retirez des filtres.") -> None:
    st.info(message)


def french_table(df: pd.DataFrame, money: tuple[str, ...] = (), counts: tuple[str, ...] = (),
                 percents: tuple[str, ...] = (), dates: tuple[str, ...] = (),
                 months: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of df with the named columns as French text (for display only)."""
    return fmt.french_frame(df, counts=counts, percents=percents, dates=dates, months=months, money=money)

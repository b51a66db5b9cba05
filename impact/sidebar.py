"""The shared filters of the sidebar (period, actions, publics), kept in the page's address so that
a copied link opens the same selection.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact import fmt
from impact.filters import Filters
from impact.session import get_settings
from impact.settings import Settings

SEX_LABELS = {"F": "Filles / femmes", "M": "Garçons / hommes", "NR": "Non renseigné"}
QPV_LABELS = {"oui": "Habitant du QPV", "non": "Hors QPV", "NR": "Non renseigné"}
PUBLIC_LABELS = {"jeune": "Jeunes", "parent": "Parents", "professionnel": "Professionnels"}
ALL_YEARS = "Toute la convention"


def _url_list(key: str) -> list[str]:
    raw = st.query_params.get(key, "")
    return [v for v in raw.split(",") if v]


_URL_KEYS = {  # session-state key -> URL parameter
    "f_actions": "action", "f_themes": "theme", "f_porteurs": "porteur", "f_bands": "tranche",
    "f_sexes": "sexe", "f_qpvs": "qpv", "f_publics": "public",
}


def _init_state_from_url(options: dict[str, list[str]], settings: Settings) -> None:
    """Once per session: widgets start from the shared link's parameters."""
    if st.session_state.get("_filters_from_url"):
        return
    st.session_state["_filters_from_url"] = True
    years = [str(y) for y in settings.years]
    year = st.query_params.get("annee", "")
    st.session_state["f_year"] = year if year in years else ALL_YEARS
    try:
        start = dt.date.fromisoformat(st.query_params.get("du", ""))
        end = dt.date.fromisoformat(st.query_params.get("au", ""))
        st.session_state["f_period"] = (max(start, settings.start), min(end, settings.end))
    except ValueError:
        st.session_state["f_period"] = year_period(st.session_state["f_year"], settings)
    for key, param in _URL_KEYS.items():
        allowed = options.get(key, [])
        st.session_state[key] = [v for v in _url_list(param) if v in allowed]


def year_period(year: str, settings: Settings) -> tuple[dt.date, dt.date]:
    """The days of a convention year (within the convention), or the whole convention."""
    if year == ALL_YEARS:
        return settings.start, settings.end
    y = int(year)
    return max(settings.start, dt.date(y, 1, 1)), min(settings.end, dt.date(y, 12, 31))


def _year_chosen() -> None:
    """A convention year chosen: the « Période » field shows that year (not the whole convention)."""
    st.session_state["f_period"] = year_period(st.session_state["f_year"], get_settings())


def _period_chosen() -> None:
    """A period reaching outside the chosen year: the year no longer describes it."""
    year = st.session_state.get("f_year", ALL_YEARS)
    period = tuple(st.session_state.get("f_period") or ())
    if year != ALL_YEARS and len(period) == 2:
        first, last = year_period(year, get_settings())
        if period[0] < first or period[1] > last:
            st.session_state["f_year"] = ALL_YEARS


def sidebar_filters(options: dict[str, list[str]], action_labels: dict[str, str]) -> Filters:
    """Draw the shared filters; keep them in session state and in the URL; return Filters."""
    settings = get_settings()
    _init_state_from_url(options, settings)
    sb = st.sidebar
    sb.header("Filtres")
    sb.selectbox("Année de convention", [ALL_YEARS, *[str(y) for y in settings.years]], key="f_year",
                 on_change=_year_chosen, help="Une année choisie règle la période ci-dessous sur cette année.")
    sb.date_input("Période", min_value=settings.start, max_value=settings.end,
                  format="DD/MM/YYYY", key="f_period", on_change=_period_chosen,
                  help="Du premier au dernier jour retenus. Une période qui déborde de l'année choisie "
                       "remet l'année sur « Toute la convention ».")
    sb.multiselect("Action", options.get("f_actions", []), key="f_actions",
                   format_func=lambda c: action_labels.get(c, c), placeholder="Toutes les actions", select_all=False)
    sb.multiselect("Thématique", options.get("f_themes", []), key="f_themes",
                   placeholder="Toutes les thématiques", select_all=False)
    sb.multiselect("Porteur", options.get("f_porteurs", []), key="f_porteurs",
                   placeholder="Tous les porteurs", select_all=False)
    with sb.expander("Publics", expanded=any(st.session_state.get(k) for k in
                                             ("f_bands", "f_sexes", "f_qpvs", "f_publics"))):
        st.multiselect("Tranche d'âge", options.get("f_bands", []), key="f_bands",
                       placeholder="Toutes les tranches", select_all=False)
        st.multiselect("Sexe", options.get("f_sexes", []), key="f_sexes",
                       format_func=lambda v: SEX_LABELS.get(v, v), placeholder="Tous", select_all=False)
        st.multiselect("Résidence QPV", options.get("f_qpvs", []), key="f_qpvs",
                       format_func=lambda v: QPV_LABELS.get(v, v), placeholder="Tous", select_all=False)
        st.multiselect("Public", options.get("f_publics", []), key="f_publics",
                       format_func=lambda v: PUBLIC_LABELS.get(v, v), placeholder="Tous", select_all=False)

    period = st.session_state.get("f_period") or (settings.start, settings.end)
    start, end = (tuple(period) + (settings.end,))[:2] if len(period) == 1 else tuple(period)
    year = st.session_state["f_year"]
    if year != ALL_YEARS:
        y = int(year)
        start, end = max(start, dt.date(y, 1, 1)), min(end, dt.date(y, 12, 31))
    filters = Filters(
        date_from=start, date_to=end,
        **{k[2:]: tuple(st.session_state.get(k) or ()) for k in _URL_KEYS},
    )
    if (start, end) != tuple(period)[:2]:
        sb.caption(f"Période retenue : du {fmt.date(start)} au {fmt.date(end)}.")
    _write_url(settings)
    return filters


FILTER_PARAMS = {"annee", "du", "au", *_URL_KEYS.values()}


def _write_url(settings: Settings) -> None:
    # Parameters of a page (the Fiche action's ?code=) are kept; the filters are rewritten.
    params: dict[str, str] = {k: st.query_params[k] for k in st.query_params if k not in FILTER_PARAMS}
    year = st.session_state.get("f_year", ALL_YEARS)
    if year != ALL_YEARS:
        params["annee"] = year
    period = tuple(st.session_state.get("f_period") or ())
    if len(period) == 2 and period != year_period(year, settings):   # the year says it already
        params["du"], params["au"] = period[0].isoformat(), period[1].isoformat()
    for key, param in _URL_KEYS.items():
        if st.session_state.get(key):
            params[param] = ",".join(st.session_state[key])
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)


def current_filters() -> Filters:
    """The filters drawn by dashboard.py for this run."""
    filters = st.session_state.get("filters")
    if filters is None:
        s = get_settings()
        filters = Filters(s.start, s.end)
    return filters


def describe_filters(filters: Filters, settings: Settings) -> str:
    text = f"du {fmt.date(filters.date_from)} au {fmt.date(filters.date_to)}"
    active = [name for name in ("actions", "themes", "porteurs", "bands", "sexes", "qpvs", "publics")
              if getattr(filters, name)]
    if active:
        text += " · filtres actifs : " + ", ".join({
            "actions": "action", "themes": "thématique", "porteurs": "porteur", "bands": "tranche d'âge",
            "sexes": "sexe", "qpvs": "QPV", "publics": "public"}[a] for a in active)
    return text

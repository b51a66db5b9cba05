"""Streamlit glue shared by the pages: the cached store, cached computations, the sidebar
filters (kept in the URL), the demonstration banner, tables and downloads.

Everything here is UI: the figures themselves come from core modules that take a
connection and return DataFrames, so they are tested without Streamlit.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from impact import auth, fmt, privacy, spreadsheets
from impact.filters import Filters
from impact.settings import Settings, database_path, load_settings
from impact.small_counts import CountRule
from impact.store import Store, StoreBusy, StoreUnusable

SEX_LABELS = {"F": "Filles / femmes", "M": "Garçons / hommes", "NR": "Non renseigné"}
QPV_LABELS = {"oui": "Habitant du QPV", "non": "Hors QPV", "NR": "Non renseigné"}
PUBLIC_LABELS = {"jeune": "Jeunes", "parent": "Parents", "professionnel": "Professionnels"}
ALL_YEARS = "Toute la convention"


@st.cache_resource
def get_store() -> Store:
    return Store(database_path(), wait_seconds=20, keep_open=True)


@st.cache_resource
def get_settings() -> Settings:
    return load_settings(os.environ.get("IMPACT_SETTINGS"))


@st.cache_data(ttl=900, max_entries=400, show_spinner=False)
def _compute(_fn: Callable, fn_name: str, args: tuple, kwargs: tuple, version: tuple, exact: bool):
    # `fn_name` stands for the function in the cache key (functions are not hashable); `exact`
    # keeps the results computed for viewers of exact counts apart from everyone else's.
    with get_store().connect() as con:
        return _fn(con, *args, **dict(kwargs))


def compute(fn: Callable, *args, **kwargs):
    """Run core function `fn(con, *args, **kwargs)`, cached until the data changes, separately for
    viewers who see exact counts and the others."""
    store = get_store()
    try:
        # a secret others can read, or not 32 random bytes, stops the dashboard before any figure
        privacy.read_secret(privacy.secret_path(store.path))
        return _compute(fn, f"{fn.__module__}.{fn.__qualname__}", args, tuple(sorted(kwargs.items())),
                        store.data_version(), exact_counts())
    except StoreBusy:
        st.warning("La base de données est en cours de mise à jour par un import. "
                   "Rechargez la page dans quelques secondes.")
        st.stop()
    except (StoreUnusable, privacy.SecretProblem) as exc:
        st.error(fmt.markdown_text(str(exc)), icon=":material/error:")
        st.stop()


_warmed: set[tuple] = set()
_warm_lock = threading.Lock()


def warm_default_views(jobs: list[tuple[Callable, tuple]], background: bool = True) -> bool:
    """Compute the pages' default views once per data version, in a background thread, so that
    the first visitor after a start or an import finds them in the cache (at national scale a
    cold page takes seconds). Returns True when it started. IMPACT_WARM_CACHE=0 turns it off."""
    if os.environ.get("IMPACT_WARM_CACHE", "1") == "0":
        return False
    store = get_store()
    version = store.data_version()
    with _warm_lock:
        if (str(store.path), version) in _warmed:
            return False
        _warmed.add((str(store.path), version))

    def run() -> None:
        for fn, args in jobs:
            try:
                _compute(fn, f"{fn.__module__}.{fn.__qualname__}", args, (), version, False)   # readers
            except Exception:  # a failure here only means a cold page later
                return

    if background:
        threading.Thread(target=run, name="impact-warm-cache", daemon=True).start()
    else:
        run()
    return True


def clear_caches() -> None:
    """After an import or an undo: every page shows the new data at once."""
    _compute.clear()


def require_dashboard() -> None:
    """Make sure the page runs inside dashboard.py (navigation, sidebar filters, banner).

    On a fresh server, Streamlit 1.67 still treats the pages/ folder the old way until
    st.navigation has run once: a shared link to /budget would run pages/budget.py alone,
    without the sidebar. Every page calls this first: it switches Streamlit to the app's own
    navigation and runs the request again through dashboard.py.
    """
    if "filters" not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()


# --- roles -------------------------------------------------------------------------------

def role() -> str:
    return st.session_state.get("role", auth.READER)


def exact_counts() -> bool:
    return auth.sees_exact_counts(role(), get_settings().hide_small_counts)


def count_rule() -> CountRule:
    """How counts of people and participations are shown to this viewer (impact.small_counts)."""
    return CountRule.of(get_settings(), exact_counts())


def coordinator_gate() -> bool:
    """Show the coordinator login where needed; True when the user is a coordinator."""
    if role() == auth.COORDINATOR:
        return True
    expected = os.environ.get("IMPACT_COORDINATOR_PASSWORD")
    st.info("Cette page est réservée aux coordinateurs de la cité éducative.")
    if expected:
        with st.form("login"):
            given = st.text_input("Mot de passe coordinateur", type="password")
            if st.form_submit_button("Se connecter"):
                if auth.password_ok(given, expected):
                    st.session_state["role"] = auth.COORDINATOR
                    st.rerun()
                st.error("Mot de passe incorrect.")
    else:
        st.caption("Aucun mot de passe n'est configuré (poste local) : définissez "
                   "IMPACT_COORDINATOR_PASSWORD pour protéger cet espace sur un serveur partagé.")
        if st.button("Ouvrir l'espace coordinateur"):
            st.session_state["role"] = auth.COORDINATOR
            st.rerun()
    return False


# --- filters -----------------------------------------------------------------------------

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
        st.session_state["f_period"] = (settings.start, settings.end)
    for key, param in _URL_KEYS.items():
        allowed = options.get(key, [])
        st.session_state[key] = [v for v in _url_list(param) if v in allowed]


def sidebar_filters(options: dict[str, list[str]], action_labels: dict[str, str]) -> Filters:
    """Draw the shared filters; keep them in session state and in the URL; return Filters."""
    settings = get_settings()
    _init_state_from_url(options, settings)
    sb = st.sidebar
    sb.header("Filtres")
    sb.selectbox("Année de convention", [ALL_YEARS, *[str(y) for y in settings.years]], key="f_year",
                 help="Une année choisie restreint la période ci-dessous à cette année.")
    sb.date_input("Période", min_value=settings.start, max_value=settings.end,
                  format="DD/MM/YYYY", key="f_period",
                  help="Avec une année de convention choisie, seuls les jours de cette année sont retenus.")
    sb.multiselect("Action", options.get("f_actions", []), key="f_actions",
                   format_func=lambda c: action_labels.get(c, c), placeholder="Toutes les actions")
    sb.multiselect("Thématique", options.get("f_themes", []), key="f_themes",
                   placeholder="Toutes les thématiques")
    sb.multiselect("Porteur", options.get("f_porteurs", []), key="f_porteurs",
                   placeholder="Tous les porteurs")
    with sb.expander("Publics", expanded=any(st.session_state.get(k) for k in
                                             ("f_bands", "f_sexes", "f_qpvs", "f_publics"))):
        st.multiselect("Tranche d'âge", options.get("f_bands", []), key="f_bands",
                       placeholder="Toutes les tranches")
        st.multiselect("Sexe", options.get("f_sexes", []), key="f_sexes",
                       format_func=lambda v: SEX_LABELS.get(v, v), placeholder="Tous")
        st.multiselect("Résidence QPV", options.get("f_qpvs", []), key="f_qpvs",
                       format_func=lambda v: QPV_LABELS.get(v, v), placeholder="Tous")
        st.multiselect("Public", options.get("f_publics", []), key="f_publics",
                       format_func=lambda v: PUBLIC_LABELS.get(v, v), placeholder="Tous")

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
    if st.session_state.get("f_year", ALL_YEARS) != ALL_YEARS:
        params["annee"] = st.session_state["f_year"]
    period = tuple(st.session_state.get("f_period") or ())
    if len(period) == 2 and period != (settings.start, settings.end):
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


# --- showing figures ---------------------------------------------------------------------

def downloads(df: pd.DataFrame, name: str, key: str | None = None) -> None:
    """Two buttons: CSV for French Excel and .xlsx. The files are written when clicked (deferred
    download), not at every run of the page: an .xlsx costs up to 0.2 s to write."""
    key = key or name
    c1, c2 = st.columns(2)
    c1.download_button("Télécharger (CSV)", partial(spreadsheets.french_csv, df), file_name=f"{name}.csv",
                       mime="text/csv", key=f"csv_{key}", width="stretch")
    c2.download_button("Télécharger (Excel)", partial(spreadsheets.xlsx, df), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"xlsx_{key}", width="stretch")


def table(df: pd.DataFrame, name: str, key: str | None = None, display: pd.DataFrame | None = None) -> None:
    """A table of figures (French-formatted `display` if given) with its downloads."""
    st.dataframe(display if display is not None else df, hide_index=True, width="stretch")
    downloads(df, name, key)


def chart(fig, data: pd.DataFrame, name: str, display: pd.DataFrame | None = None) -> None:
    """A chart, with the plotted numbers one click away (table and downloads)."""
    st.plotly_chart(fig, width="stretch", key=f"chart_{name}")
    with st.expander("Voir les données du graphique"):
        table(data, name, key=name, display=display)


def empty_state(message: str = "Aucune donnée pour cette sélection. "
                "Élargissez la période ou retirez des filtres.") -> None:
    st.info(message)


def french_table(df: pd.DataFrame, money: tuple[str, ...] = (), counts: tuple[str, ...] = (),
                 percents: tuple[str, ...] = (), dates: tuple[str, ...] = (),
                 months: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of df with the named columns as French text (for display only)."""
    from impact.participation import french

    return french(df, counts=counts, percents=percents, dates=dates, months=months, money=money)


# --- writing -------------------------------------------------------------------------------

def run_write(fn: Callable, *args, **kwargs):
    """Run `fn(con, *args, **kwargs)` on a fresh connection (imports, undo): not cached."""
    try:
        with get_store().connect() as con:
            return fn(con, *args, **kwargs)
    except StoreBusy:
        st.error("La base de données est occupée par un autre import (ligne de commande). "
                 "Réessayez dans quelques instants : rien n'a été modifié.")
        st.stop()
    except (StoreUnusable, privacy.SecretProblem) as exc:
        st.error(fmt.markdown_text(str(exc)), icon=":material/error:")
        st.stop()

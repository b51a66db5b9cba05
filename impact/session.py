"""What every page shares in one Streamlit session: the store and the settings, the viewer's role
and how counts are shown to them, cached computations and writes.

The figures themselves come from core modules that take a connection and return DataFrames, so
they are tested without Streamlit.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from impact import auth, fmt, privacy
from impact.settings import Settings, database_path, load_settings
from impact.small_counts import CountRule
from impact.store import Store, StoreBusy, StoreUnusable


@st.cache_resource(on_release=Store.stop_holding)
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


@contextlib.contextmanager
def _page_stops_on_store_problems(busy: Callable[[], None]):
    """A store held by another process (`busy` says so), unusable, or with a bad secret: the page
    says it in French and stops."""
    try:
        yield
    except StoreBusy:
        busy()
        st.stop()
    except (StoreUnusable, privacy.SecretProblem) as exc:
        st.error(fmt.markdown_text(str(exc)), icon=":material/error:")
        st.stop()


def compute(fn: Callable, *args, **kwargs):
    """Run core function `fn(con, *args, **kwargs)`, cached until the data changes, separately for
    viewers who see exact counts and the others."""
    store = get_store()
    with _page_stops_on_store_problems(lambda: st.warning(
            "La base de données est en cours de mise à jour par un import. Rechargez la page dans quelques "
            "secondes.")):
        # a secret others can read, or not 32 random bytes, stops the dashboard before any figure
        privacy.read_secret(privacy.secret_path(store.path))
        return _compute(fn, f"{fn.__module__}.{fn.__qualname__}", args, tuple(sorted(kwargs.items())),
                        store.data_version(), exact_counts())


_loaded_objects_frozen = False


def freeze_loaded_objects() -> None:
    """Once per process, after a page has run: take the objects alive then out of the garbage
    collector's sight (Python's gc.freeze). They are mostly the libraries' modules, classes and
    functions, some 150 000 objects that live as long as the process; a cycle among them that the
    first run's session leaves behind later is never freed, a bounded cost paid once. Streamlit runs a
    full collection after every run of a page; without them it takes about a millisecond instead of
    50 to 80 ms of processor time on a 2-core server."""
    global _loaded_objects_frozen
    if not _loaded_objects_frozen:
        _loaded_objects_frozen = True
        gc.collect()   # what is already garbage is freed, not kept for ever
        gc.freeze()


def clear_caches() -> None:
    """After an import or an undo: every page shows the new data at once."""
    _compute.clear()


def require_dashboard() -> None:
    """Make sure the page runs inside dashboard.py (navigation, sidebar filters, banner), for a
    viewer whose role gets this page (else a French refusal, or the sign-in, and the page stops).

    On a fresh server, Streamlit 1.67 still treats the pages/ folder the old way until
    st.navigation has run once: a shared link to /budget would run pages/budget.py alone,
    without the sidebar. Every page calls this first: it switches Streamlit to the app's own
    navigation and runs the request again through dashboard.py.
    """
    if "filters" not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    # The calling page's file name (pages/NAME.py) is its name in auth.PAGE_ROLES.
    page = Path(sys._getframe(1).f_globals.get("__file__", "")).stem
    require_page(page)


def require_page(page: str) -> None:
    """Stop the page unless the viewer's role gets it: the sign-in for someone not signed in (the
    same address opens after it), a French refusal for the others."""
    if auth.sees_page(role(), page):
        return
    if page == "connexion":   # already signed in
        st.title("Connexion")
        st.success(f"Vous êtes connecté ({auth.role_label(role())}) : les pages de votre rôle sont dans le menu.")
        st.page_link("pages/overview.py", label="Aller à la vue d'ensemble", icon=":material/home:")
        st.stop()
    if role() is None:
        from impact import signin

        st.title("Connexion")
        signin.sign_in_form("Connectez-vous pour ouvrir cette page.")
    else:
        st.title("Accès refusé")
        st.warning(f"Cette page n'est pas ouverte au rôle « {auth.role_label(role())} ». Les pages de votre rôle "
                   "sont dans le menu. Pour un autre accès, adressez-vous à "
                   f"{fmt.markdown_text(get_settings().access_contact)}.", icon=":material/block:")
    st.stop()


# --- who is looking ---------------------------------------------------------------------

def role() -> str | None:
    """The viewer's role (auth.ROLES), None when nobody is signed in: the one place to read it."""
    return st.session_state.get("role")


def actor() -> auth.Actor:
    """The viewer, as the core's write functions take them (they check the role again)."""
    return auth.Actor(st.session_state.get("user") or auth.role_label(role()), role())


def exact_counts() -> bool:
    return auth.sees_exact_counts(role(), get_settings().hide_small_counts)


def count_rule() -> CountRule:
    """How counts of people and participations are shown to this viewer (impact.small_counts)."""
    return CountRule.of(get_settings(), exact_counts())


# --- writing -------------------------------------------------------------------------------

def run_write(fn: Callable, *args, **kwargs):
    """Run `fn(con, *args, **kwargs)` on a fresh connection (imports, undo): not cached."""
    try:
        with _page_stops_on_store_problems(lambda: st.error(
                "La base de données est occupée par un autre import (ligne de commande). Réessayez dans "
                "quelques instants : rien n'a été modifié.")), get_store().connect() as con:
            return fn(con, *args, **kwargs)
    except auth.Forbidden as exc:
        st.error(str(exc), icon=":material/block:")
        st.stop()

"""Entry point: who is looking, navigation, shared filters, page title, demonstration banner."""

from pathlib import Path

import streamlit as st

from impact import auth, interface_language, page_errors, reference, session, sidebar, signin

settings = session.get_settings()
st.set_page_config(
    page_title=f"Tableau de bord — {settings.name}", page_icon=":material/monitoring:", layout="wide"
)
# The document is in French (screen readers pronounce it so), down to Streamlit's own words.
st.sidebar.html(interface_language.french_page_script(), unsafe_allow_javascript=True)

role = None   # nobody signed in, unless the sign-in below says otherwise
with page_errors.reported("connexion"):
    role = signin.resolve(settings)


def page(path: str, **kwargs) -> st.Page:
    """A page of the app. Every page is registered, so that its address never meets Streamlit's
    « Page not found »; the menu shows only the pages of the viewer's role (auth.PAGE_ROLES), and
    the others answer with a refusal or the sign-in (session.require_dashboard)."""
    shown = auth.sees_page(role, Path(path).stem)
    return st.Page(path, visibility="visible" if shown else "hidden", **kwargs)


# Each page file is named after its URL path: before st.navigation runs, Streamlit still knows
# the pages/ folder by file name, and a shared link to a path it does not know there opens
# with a "Page not found" dialog.
PAGES = {
    "Indicateurs": [
        page(
            "pages/overview.py", title="Vue d'ensemble", icon=":material/home:", url_path="", default=True
        ),
        page(
            "pages/participation.py",
            title="Participation",
            icon=":material/groups:",
            url_path="participation",
        ),
        page("pages/publics.py", title="Publics et âges", icon=":material/target:", url_path="publics"),
        page(
            "pages/fiche-action.py", title="Fiche action", icon=":material/description:", url_path="fiche-action"
        ),
        page("pages/rapport.py", title="Rapport", icon=":material/picture_as_pdf:", url_path="rapport"),
    ],
    "Financement": [
        page("pages/budget.py", title="Budget", icon=":material/euro:", url_path="budget"),
        page(
            "pages/fonds-etat.py",
            title="Utilisation des fonds de l'État",
            icon=":material/account_balance:",
            url_path="fonds-etat",
        ),
    ],
    "Données": [
        page(
            "pages/import.py",
            title="Import de données",
            icon=":material/upload_file:",
            url_path="import",
        ),
        page(
            "pages/historique.py",
            title="Historique des imports",
            icon=":material/history:",
            url_path="historique",
        ),
        page(
            "pages/methodologie.py", title="Méthodologie", icon=":material/menu_book:", url_path="methodologie"
        ),
    ],
    "Accès": [
        page("pages/connexion.py", title="Connexion", icon=":material/login:", url_path="connexion"),
        page("pages/comptes.py", title="Comptes et journal", icon=":material/manage_accounts:",
             url_path="comptes"),
    ],
}
current = st.navigation(PAGES)

# An unexpected error, in the shared filters or in the page, shows a French message with a reference
# (also in the server log, with the traceback), never a traceback.
with page_errors.reported(current.url_path or current.title):
    refusal = auth.network_refusal(signin.server_address(), signin.has_accounts(), signin.has_sso())
    if refusal:
        st.error(refusal, icon=":material/block:")
        st.stop()
    if role is None:   # the sign-in and the Méthodologie only: no filters, no figures
        st.session_state["filters"] = sidebar.current_filters()
        st.sidebar.caption(settings.name)
        current.run()
        st.stop()

    options, labels = session.compute(reference.filter_options, settings)
    st.session_state["filters"] = sidebar.sidebar_filters(options, labels)
    st.session_state["action_labels"] = labels

    status = session.compute(reference.data_status)
    if status["active_batches"] and not status["real_batches"]:
        st.warning(
            "**Données de démonstration** : les chiffres affichés sont fictifs. "
            "Ils seront remplacés dès que de vrais fichiers seront importés "
            "(annulez les imports de démonstration dans l'historique).",
            icon=":material/science:",
        )
    st.sidebar.caption(f"{settings.name} · convention signée le {settings.signature_date:%d/%m/%Y}")
    signin.sidebar_identity(settings)

    current.run()

# Once the libraries are loaded, Streamlit's collection after each run skips them.
session.freeze_loaded_objects()

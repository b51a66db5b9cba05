"""Entry point: navigation, shared filters, page title, demonstration banner."""


import streamlit as st

from impact import page_errors, reference, session, sidebar

settings = session.get_settings()
st.set_page_config(
    page_title=f"Tableau de bord — {settings.name}", page_icon=":material/monitoring:", layout="wide"
)

# Each page file is named after its URL path: before st.navigation runs, Streamlit still knows
# the pages/ folder by file name, and a shared link to a path it does not know there opens
# with a "Page not found" dialog.
PAGES = {
    "Indicateurs": [
        st.Page(
            "pages/overview.py", title="Vue d'ensemble", icon=":material/home:", url_path="", default=True
        ),
        st.Page(
            "pages/participation.py",
            title="Participation",
            icon=":material/groups:",
            url_path="participation",
        ),
        st.Page("pages/publics.py", title="Publics et âges", icon=":material/target:", url_path="publics"),
        st.Page(
            "pages/fiche-action.py", title="Fiche action", icon=":material/description:", url_path="fiche-action"
        ),
        st.Page("pages/rapport.py", title="Rapport", icon=":material/picture_as_pdf:", url_path="rapport"),
    ],
    "Financement": [
        st.Page("pages/budget.py", title="Budget", icon=":material/euro:", url_path="budget"),
        st.Page(
            "pages/fonds-etat.py",
            title="Utilisation des fonds de l'État",
            icon=":material/account_balance:",
            url_path="fonds-etat",
        ),
    ],
    "Données": [
        st.Page(
            "pages/import.py",
            title="Import de données",
            icon=":material/upload_file:",
            url_path="import",
        ),
        st.Page(
            "pages/historique.py",
            title="Historique des imports",
            icon=":material/history:",
            url_path="historique",
        ),
        st.Page(
            "pages/methodologie.py", title="Méthodologie", icon=":material/menu_book:", url_path="methodologie"
        ),
    ],
}
page = st.navigation(PAGES)

# An unexpected error, in the shared filters or in the page, shows a French message with a reference
# (also in the server log, with the traceback), never a traceback.
with page_errors.reported(page.url_path or page.title):
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
    if session.role() == "coordinateur":
        st.sidebar.caption("Connecté en tant que coordinateur : effectifs exacts affichés.")

    page.run()

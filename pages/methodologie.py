"""Méthodologie: how every indicator of the dashboard is defined and computed."""

import streamlit as st

from impact import participation as p
from impact import session

session.require_dashboard()

settings = session.get_settings()

st.title("Méthodologie")
st.markdown(f"Définitions des indicateurs du tableau de bord de la {settings.name}. "
            "Les valeurs citées viennent des paramètres de la convention.")
for title, text in p.methodology(settings):
    st.header(title)
    st.markdown(text)

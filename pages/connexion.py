"""Connexion: sign in with a local account or the organisation's single sign-on."""

import streamlit as st

from impact import session, signin

session.require_dashboard()

st.title("Connexion")
st.caption("Le tableau de bord de la cité éducative est réservé aux coordinateurs, au comité de pilotage et "
           "aux représentants de l'État. La Méthodologie reste ouverte à tous.")
signin.sign_in_form(then="pages/overview.py")

"""Historique des imports: every batch, its fingerprint, and undo with confirmation."""

import streamlit as st

from impact import auth, fmt, import_history, session, widgets

session.require_dashboard()

st.title("Historique des imports")
st.caption("Chaque import est un lot : on sait d'où vient chaque chiffre (lot et ligne du fichier "
           "d'origine). Un lot annulé reste dans l'historique.")

if st.session_state.get("undo_done"):
    st.success(st.session_state.pop("undo_done"))

batches = session.compute(import_history.batch_list)
if batches.empty:
    widgets.empty_state("Aucun import pour l'instant : déposez un fichier sur la page « Import de données ».")
    st.stop()
rule = session.count_rule()
if note := rule.note():
    st.caption(note)
widgets.table(import_history.history_table(batches, rule), "historique_imports", narrow=("Fichier", "Par"))

st.header("Détail d'un import")
chosen = st.selectbox("Import", batches["id"].tolist(), key="history_batch",
                      format_func=lambda i: f"n° {i} — " + batches.set_index("id").loc[i, "file_name"])
info = session.compute(import_history.batch_details, int(chosen))
details = info.get("details") or {}
st.markdown(f"Empreinte SHA-256 du fichier : `{info['sha256']}`")
if info["status"] == "active":
    st.markdown(import_history.rows_text(info, rule))
if details.get("mapping"):
    st.caption("Colonnes reconnues : " + import_history.mapping_text(info["kind"], details["mapping"]))
repl = import_history.replacements_table(info)
if not repl.empty:
    st.markdown("Montants remplacés par cet import (anciennes valeurs) :")
    st.dataframe(repl, hide_index=True, width="stretch")
if details.get("warnings"):
    st.markdown("Avertissements signalés à l'import :")
    st.dataframe(details["warnings"], hide_index=True, width="stretch")

if info["status"] == "active" and auth.may(session.role(), "undo"):
    if st.button("Annuler cet import", key="undo_ask"):
        st.session_state["undo_pending"] = int(chosen)
    if st.session_state.get("undo_pending") == int(chosen):
        st.warning(fmt.markdown_text(import_history.undo_summary(info)))
        yes, no = st.columns(2)
        if yes.button("Confirmer l'annulation", type="primary", key="undo_confirm"):
            try:
                session.run_write(import_history.undo, int(chosen), session.actor())
                st.session_state["undo_done"] = f"Import n° {chosen} annulé."
            except import_history.UndoRefused as exc:
                st.session_state["undo_done"] = None
                st.error(fmt.markdown_text(str(exc)))
            else:
                session.clear_caches()
                st.session_state.pop("undo_pending", None)
                st.rerun()
        if no.button("Ne pas annuler", key="undo_cancel"):
            st.session_state.pop("undo_pending", None)
            st.rerun()
elif info["status"] == "active":
    st.caption("L'annulation d'un import est réservée aux coordinateurs.")

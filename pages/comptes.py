"""Comptes et journal: the administrators' page: local accounts, and the audit of sign-ins and changes."""

import streamlit as st

from impact import accounts, audit, auth, fmt, session, widgets

session.require_dashboard()

st.title("Comptes et journal")
st.caption("Les comptes locaux (adresse e-mail et mot de passe) ; les personnes qui utilisent la connexion "
           "unique reçoivent leur rôle du fichier de paramètres ([acces], connexion_unique).")

if st.session_state.get("account_done"):
    st.success(st.session_state.pop("account_done"))
if st.session_state.get("account_password"):
    email, password = st.session_state.pop("account_password")
    st.warning(f"Mot de passe de {fmt.markdown_text(email)}, affiché une seule fois : transmettez-le à la personne "
               "par un autre moyen que l'e-mail.")
    st.code(password, language=None)

found = session.compute(accounts.list_accounts)
st.subheader("Comptes")
if found:
    st.dataframe([{"Adresse e-mail": a.email, "Rôle": auth.role_label(a.role),
                   "État": accounts.STATE_LABELS[a.state],
                   "Modifié le": a.changed_at.strftime("%d/%m/%Y %H:%M")} for a in found],
                 hide_index=True, width="stretch")
else:
    widgets.empty_state("Aucun compte local.")


def _done(message: str, password: str | None = None, email: str | None = None) -> None:
    session.clear_caches()
    st.session_state["account_done"] = message
    if password:
        st.session_state["account_password"] = (email, password)
    st.rerun()


with st.form("account_add", clear_on_submit=True):
    st.markdown("**Créer un compte** (un mot de passe fort est créé et affiché une seule fois)")
    email = st.text_input("Adresse e-mail", key="account_add_email")
    role = st.selectbox("Rôle", auth.ROLES, format_func=auth.role_label, key="account_add_role")
    if st.form_submit_button("Créer le compte"):
        password = accounts.generate_password()
        try:
            email = session.run_write(accounts.add, email, role, password, session.actor())
        except accounts.AccountProblem as exc:
            st.error(fmt.markdown_text(str(exc)))
        else:
            _done(f"Compte créé : {email} ({auth.role_label(role)}).", password, email)

if found:
    st.markdown("**Modifier un compte**")
    chosen = st.selectbox("Compte", [a.email for a in found], key="account_chosen")
    c1, c2, c3 = st.columns(3)
    new_role = c1.selectbox("Nouveau rôle", auth.ROLES, format_func=auth.role_label, key="account_new_role")
    try:
        if c1.button("Changer le rôle", key="account_set_role"):
            session.run_write(accounts.set_role, chosen, new_role, session.actor())
            _done(f"Rôle changé : {chosen} est maintenant {auth.role_label(new_role)}.")
        if c2.button("Nouveau mot de passe", key="account_passwd", help="Le compte redevient actif."):
            password = accounts.generate_password()
            session.run_write(accounts.set_password, chosen, password, session.actor())
            _done(f"Mot de passe changé : {chosen}.", password, chosen)
        if c3.button("Désactiver le compte", key="account_disable"):
            session.run_write(accounts.disable, chosen, session.actor())
            _done(f"Compte désactivé : {chosen}.")
    except accounts.AccountProblem as exc:
        st.error(fmt.markdown_text(str(exc)))

st.subheader("Journal")
st.caption("Connexions (réussies, refusées, bloquées), déconnexions, imports, annulations et changements de "
           "comptes, les plus récents d'abord. Jamais un mot de passe.")
events = session.compute(audit.recent)
if events.empty:
    widgets.empty_state("Le journal est vide.")
else:
    widgets.table(audit.audit_table(events), "journal_acces")

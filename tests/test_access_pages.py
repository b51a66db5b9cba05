"""Access in the pages (AppTest): the pages of each role, a forbidden address refused, the sign-in
form (and the shared link it leads back to), idle expiry, the local mode and the demonstration's
« voir comme », the refusal to serve on a network, and the administrators' page."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact import accounts, audit, auth
from impact.store import Store
from tests import fixtures

PAGES = {
    "pages/overview.py": "Vue d'ensemble", "pages/participation.py": "Participation",
    "pages/publics.py": "Publics et âges", "pages/fiche-action.py": "Fiche action", "pages/budget.py": "Budget",
    "pages/fonds-etat.py": "Utilisation des fonds de l'État", "pages/import.py": "Import de données",
    "pages/historique.py": "Historique des imports", "pages/methodologie.py": "Méthodologie",
    "pages/connexion.py": "Connexion", "pages/comptes.py": "Comptes et journal", "pages/rapport.py": "Rapport",
}
PASSWORD = "un mot de passe assez long"
ADMIN = auth.Actor("admin@ville.fr", auth.ADMIN)


def _seed(path, imported_by="test", account: tuple[str, str] | None = None):
    with Store(path).connect() as con:
        bid = fixtures.batch(con, "actions", imported_by=imported_by)
        fixtures.action(con, "A1", "Atelier vélo", porteur="MJC", axe="Sport", batch_id=bid)
        att = fixtures.batch(con, "attendance", imported_by=imported_by)
        fixtures.attendance(con, [
            {"date": "2023-03-01", "action": "A1", "person": "ps_a", "tranche": "16-25", "sexe": "F"},
            {"date": "2023-03-02", "action": "A1", "person": "ps_b", "tranche": "11-15", "sexe": "M"},
        ], batch_id=att)
        if account:
            accounts.add(con, account[0], account[1], PASSWORD, ADMIN)


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "acces.duckdb"
    monkeypatch.setenv("IMPACT_DB", str(path))
    return path


def _app(role: str | None = None, **state) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    if role:
        at.session_state["role"] = role
    for key, value in state.items():
        at.session_state[key] = value
    return at


@pytest.mark.parametrize("role", ["coordinateur", "comite", "etat", "admin"])
def test_each_role_opens_its_pages_and_is_refused_the_others(db, role):
    _seed(db)
    at = _app(role).run()
    for page, title in PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if auth.sees_page(role, page.removeprefix("pages/").removesuffix(".py")):
            assert at.title[0].value == title, (role, page)
        elif page == "pages/connexion.py":
            assert at.title[0].value == "Connexion" and "Vous êtes connecté" in at.success[0].value
        else:
            assert at.title[0].value == "Accès refusé", (role, page)
            assert f"n'est pas ouverte au rôle « {auth.role_label(role)} »" in at.warning[0].value
            assert not at.metric and not at.dataframe, "a refused page shows no figure"


def test_small_counts_are_hidden_from_the_committee_and_the_state(db):
    _seed(db)
    shown = {}
    for role in ("coordinateur", "comite", "etat"):
        at = _app(role).run()
        shown[role] = {m.label: m.value for m in at.metric}["Participations"]
    assert shown == {"coordinateur": "2", "comite": "< 5", "etat": "< 5"}


def test_someone_not_signed_in_sees_the_sign_in_and_the_methodology_only(db):
    _seed(db, account=("ana@ville.fr", "coordinateur"))
    at = _app().run()
    assert "role" not in at.session_state
    assert at.title[0].value == "Connexion" and "Connectez-vous pour ouvrir cette page." in at.info[0].value
    assert not at.metric and not at.sidebar.multiselect, "no figure, no filter before signing in"
    at.switch_page("pages/methodologie.py").run()
    assert at.title[0].value == "Méthodologie"
    for page in ("import", "historique", "budget", "comptes"):
        at.switch_page(f"pages/{page}.py").run()
        assert at.title[0].value == "Connexion", page
        assert not at.dataframe and not at.metric


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_signing_in_opens_the_shared_link_with_its_filters(db):
    _seed(db, account=("ana@ville.fr", "comite"))
    at = _app()
    at.query_params["annee"] = "2023"
    at.run()
    assert at.title[0].value == "Connexion"
    _sign_in(at, "ana@ville.fr", "pas le bon mot de passe")
    assert at.error[0].value == "Adresse e-mail ou mot de passe incorrect."
    _sign_in(at, "Ana@Ville.fr", PASSWORD)
    assert at.session_state["role"] == "comite" and at.session_state["via"] == "account"
    assert at.title[0].value == "Vue d'ensemble"
    assert at.sidebar.selectbox(key="f_year").value == "2023"
    assert any("ana@ville.fr · comité de pilotage" in c.value for c in at.sidebar.caption)
    with Store(db).connect() as con:
        events = audit.recent(con)["event"].tolist()
    assert events[:2] == ["sign_in", "sign_in_failed"]
    # « Se déconnecter » ends the session
    at.sidebar.button(key="sign_out").click().run()
    assert "role" not in at.session_state and at.title[0].value == "Connexion"


def test_the_sign_in_page_leads_to_the_overview(db):
    _seed(db, account=("ana@ville.fr", "etat"))
    at = _app().run()
    at.switch_page("pages/connexion.py").run()
    assert at.title[0].value == "Connexion"
    _sign_in(at, "ana@ville.fr", PASSWORD)
    assert at.title[0].value == "Vue d'ensemble" and at.session_state["role"] == "etat"
    at.switch_page("pages/connexion.py").run()
    assert "Vous êtes connecté (État)" in at.success[0].value


def test_five_wrong_passwords_lock_the_form_in_french(db):
    _seed(db, account=("ana@ville.fr", "coordinateur"))
    at = _app().run()
    for _ in range(5):
        _sign_in(at, "ana@ville.fr", "pas le bon mot de passe")
    assert "Trop d'essais infructueux pour ce compte depuis ce poste" in at.error[0].value
    _sign_in(at, "ana@ville.fr", PASSWORD)
    assert "Trop d'essais infructueux" in at.error[0].value and "role" not in at.session_state


def test_an_idle_session_ends(db):
    _seed(db, account=("ana@ville.fr", "coordinateur"))
    nine_hours_ago = audit.now() - dt.timedelta(hours=9)
    at = _app("coordinateur", via="account", user="ana@ville.fr", last_seen=nine_hours_ago).run()
    assert "role" not in at.session_state
    assert at.title[0].value == "Connexion"
    assert "après 8 heures sans activité" in at.warning[0].value
    recent = audit.now() - dt.timedelta(hours=7)
    at = _app("coordinateur", via="account", user="ana@ville.fr", last_seen=recent).run()
    assert at.title[0].value == "Vue d'ensemble" and at.session_state["last_seen"] > recent


def test_local_mode_makes_the_person_at_the_machine_coordinator(db):
    _seed(db)
    at = _app().run()
    assert at.session_state["role"] == "coordinateur" and at.session_state["via"] == "local"
    assert any("Poste local : vous êtes coordinateur de votre propre copie" in c.value for c in at.sidebar.caption)
    assert not _has_key(at, "demo_role"), "real data: no demonstration view"
    # creating a first account ends the local mode
    with Store(db).connect() as con:
        accounts.add(con, "ana@ville.fr", "admin", PASSWORD, ADMIN)
    at.run()
    assert "role" not in at.session_state and at.title[0].value == "Connexion"


def _has_key(at: AppTest, key: str) -> bool:
    return any(getattr(w, "key", None) == key for w in at.sidebar.selectbox)


def test_the_demonstration_shows_the_dashboard_as_each_role(db):
    _seed(db, imported_by="démonstration")
    at = _app().run()
    assert _has_key(at, "demo_role")
    at.sidebar.selectbox(key="demo_role").set_value("comite").run()
    assert at.session_state["role"] == "comite"
    assert {m.label: m.value for m in at.metric}["Participations"] == "< 5"
    assert any("Démonstration : vue « comité de pilotage »" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/import.py").run()
    assert at.title[0].value == "Accès refusé"


def test_no_demonstration_view_with_real_data(db):
    _seed(db, imported_by="coordinateur")
    at = _app().run()
    assert not _has_key(at, "demo_role") and at.session_state["role"] == "coordinateur"


def test_the_dashboard_refuses_a_network_address_without_accounts(db):
    _seed(db)
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = _app().run()
        assert "refuse d'écouter sur le réseau (0.0.0.0)" in at.error[0].value
        assert not at.metric
        with Store(db).connect() as con:
            accounts.add(con, "ana@ville.fr", "admin", PASSWORD, ADMIN)
        at = _app().run()
        assert not at.error and at.title[0].value == "Connexion"   # a network: no local mode
    finally:
        st.config.set_option("server.address", "127.0.0.1")


def test_administrators_manage_accounts_and_read_the_audit(db):
    _seed(db, account=("admin@ville.fr", "admin"))
    at = _app("admin", user="admin@ville.fr").run()
    at.switch_page("pages/comptes.py").run()
    at.text_input(key="account_add_email").input("bob@ville.fr")
    at.selectbox(key="account_add_role").set_value("etat")
    next(b for b in at.button if b.label == "Créer le compte").click().run()
    assert "Compte créé : bob@ville.fr (État)." in at.success[0].value
    password = at.code[0].value
    assert len(password) >= 20
    accounts_table = at.dataframe[0].value
    assert accounts_table["Adresse e-mail"].tolist() == ["admin@ville.fr", "bob@ville.fr"]
    at.selectbox(key="account_chosen").set_value("bob@ville.fr").run()
    at.button(key="account_disable").click().run()
    assert "Compte désactivé : bob@ville.fr." in at.success[0].value
    journal = at.dataframe[1].value
    assert journal["Événement"].tolist()[:2] == ["compte désactivé", "compte créé"]
    assert set(journal["Qui"].head(2)) == {"admin@ville.fr"}
    with Store(db).connect() as con:
        assert accounts.sign_in(con, "bob@ville.fr", password, "local").outcome == "wrong"   # disabled

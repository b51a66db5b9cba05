"""Access in the core: roles and pages, the checks of the functions that change data, local accounts
(argon2, lock-out with an injected clock), the audit, the single sign-on's mapping, the refusal to
listen on a network, and the command line (users, backup, restore, serve-check)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest

from impact import accounts, audit, auth, import_history, uploads
from impact.cli import main
from impact.settings import DEFAULT_SETTINGS, load_settings
from impact.store import Store
from tests.fixtures import OPERATOR, imp

T0 = dt.datetime(2026, 3, 2, 9, 0, 0)
PASSWORD = "correct horse battery staple"
ADMIN = auth.Actor("admin@ville.fr", auth.ADMIN)


# --- roles and pages --------------------------------------------------------------------------

ROLE_PAGES = {
    None: {"connexion", "methodologie"},
    "coordinateur": {"overview", "participation", "publics", "fiche-action", "budget", "fonds-etat", "import",
                     "historique", "methodologie", "rapport"},
    "comite": {"overview", "participation", "publics", "fiche-action", "budget", "methodologie", "rapport"},
    "etat": {"overview", "publics", "budget", "fonds-etat", "methodologie", "rapport"},
    "admin": {"overview", "participation", "publics", "fiche-action", "budget", "fonds-etat", "import",
              "historique", "methodologie", "rapport", "comptes"},
}


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_gets_its_pages(role):
    got = {page for page in auth.PAGE_ROLES if auth.sees_page(role, page)}
    assert got == ROLE_PAGES[role]


@pytest.mark.parametrize(("role", "exact"), [("coordinateur", True), ("admin", True), ("comite", False),
                                             ("etat", False), (None, False)])
def test_only_coordinators_and_admins_see_exact_counts(role, exact):
    assert auth.sees_exact_counts(role, hide_small_counts=True) is exact


@pytest.mark.parametrize("role", ["comite", "etat", None])
def test_import_and_undo_are_refused_in_the_core_for_readers(con, settings, role):
    batch = imp(con, "actions", "code;intitule\nA1;Atelier\n").batch_id
    reader = auth.Actor("lecteur@ville.fr", role)
    data = b"code;intitule\nA2;Forum\n"
    with pytest.raises(auth.Forbidden, match="import de données est réservé aux coordinateurs"):
        uploads.store_file(con, data, "a.csv", "actions", settings, con_path(con), reader, accept_valid=False)
    with pytest.raises(auth.Forbidden, match="import de données est réservé"):
        uploads.analyse(con, data, "a.csv", "actions", settings, con_path(con), reader)
    with pytest.raises(auth.Forbidden, match="annulation d'un import est réservée aux coordinateurs"):
        import_history.undo(con, batch, reader)
    with pytest.raises(auth.Forbidden, match="gestion des comptes est réservée aux administrateurs"):
        accounts.add(con, "x@ville.fr", "admin", PASSWORD, reader)
    assert con.execute("select count(*) from actions").fetchall() == [(1,)]
    assert con.execute("select status from batches").fetchall() == [("active",)]
    assert accounts.account_count(con) == 0


def con_path(con):
    return con.execute("select path from duckdb_databases() where database_name = current_database()"
                       ).fetchall()[0][0]


def test_a_coordinator_imports_and_undoes_as_themself(con, settings):
    coordinator = auth.Actor("ana@ville.fr", auth.COORDINATOR)
    data = b"code;intitule\nA2;Forum\n"
    report = uploads.store_file(con, data, "a.csv", "actions", settings, con_path(con), coordinator,
                                accept_valid=False)["report"]
    import_history.undo(con, report.batch_id, coordinator)
    batches = import_history.batch_list(con)
    assert batches[["imported_by", "undone_by"]].values.tolist() == [["ana@ville.fr", "ana@ville.fr"]]
    events = audit.recent(con)
    assert events[["event", "actor", "role"]].values.tolist() == [
        ["undo", "ana@ville.fr", "coordinateur"], ["import", "ana@ville.fr", "coordinateur"]]
    shown = import_history.history_table(batches, rule=None)   # no attendance: the rule is not used
    assert shown["Par"].tolist() == ["ana@ville.fr"] and shown["Statut"].iloc[0].endswith("par ana@ville.fr")


# --- accounts -----------------------------------------------------------------------------------

def test_accounts_store_an_argon2_hash_never_the_password(store):
    with store.connect() as con:
        accounts.add(con, "Ana@Ville.fr", "coordinateur", PASSWORD, ADMIN, now=T0)
        row = con.execute("select email, role, state, password_hash from accounts").fetchall()[0]
        con.execute("checkpoint")
    assert row[:3] == ("ana@ville.fr", "coordinateur", "active") and row[3].startswith("$argon2id$")
    raw = store.path.read_bytes() + store.path.with_name(store.path.name + ".wal").read_bytes() \
        if store.path.with_name(store.path.name + ".wal").exists() else store.path.read_bytes()
    assert PASSWORD.encode() not in raw and b"horse battery" not in raw
    assert b"$argon2id$" in raw   # the hash is there: the search above looked in the right place


@pytest.mark.parametrize(("email", "role", "password", "message"), [
    ("bob", "comite", PASSWORD, "n'est pas une adresse e-mail"),
    ("bob@ville.fr", "lecteur", PASSWORD, "Rôle inconnu : « lecteur »"),
    ("bob@ville.fr", "comite", "court", "au moins 12 caractères"),
])
def test_a_bad_account_is_refused_in_french(con, email, role, password, message):
    with pytest.raises(accounts.AccountProblem, match=message):
        accounts.add(con, email, role, password, ADMIN)
    assert accounts.account_count(con) == 0


def test_account_changes_are_audited(con):
    accounts.add(con, "bob@ville.fr", "comite", PASSWORD, ADMIN, now=T0)
    accounts.set_role(con, "bob@ville.fr", "etat", ADMIN, now=T0)
    accounts.disable(con, "bob@ville.fr", ADMIN, now=T0)
    assert accounts.sign_in(con, "bob@ville.fr", PASSWORD, "local", now=T0).outcome == "wrong"   # disabled
    accounts.set_password(con, "bob@ville.fr", "un autre mot de passe", ADMIN, now=T0)
    assert accounts.sign_in(con, "bob@ville.fr", "un autre mot de passe", "local", now=T0).role == "etat"
    events = audit.recent(con)
    assert events["event"].tolist()[::-1] == ["account_added", "account_role", "account_disabled",
                                             "sign_in_failed", "account_password", "sign_in"]
    shown = audit.audit_table(events)
    assert shown["Événement"].iloc[0] == "connexion" and shown["Qui"].iloc[-1] == "admin@ville.fr"
    assert not any(PASSWORD in str(v) for v in events.values.ravel())


def at(minutes: float) -> dt.datetime:
    """The injected clock: `minutes` after T0."""
    return T0 + dt.timedelta(minutes=minutes)


def test_five_failures_lock_that_account_from_that_client_only_then_it_opens_again(con):
    accounts.add(con, "ana@ville.fr", "coordinateur", PASSWORD, ADMIN, now=T0)
    outcomes = [accounts.sign_in(con, "ana@ville.fr", "mauvais mot de passe", "10.0.0.9", now=at(i)).outcome
                for i in range(5)]
    assert outcomes == ["wrong"] * 4 + ["locked"]
    locked = accounts.sign_in(con, "ana@ville.fr", PASSWORD, "10.0.0.9", now=at(10))
    assert locked.outcome == "locked" and locked.locked_until == at(19)
    # the same account from another client, and another account from that client, still sign in
    assert accounts.sign_in(con, "ana@ville.fr", PASSWORD, "local", now=at(10)).outcome == "ok"
    accounts.add(con, "bob@ville.fr", "comite", PASSWORD, ADMIN, now=T0)
    assert accounts.sign_in(con, "bob@ville.fr", PASSWORD, "10.0.0.9", now=at(10)).role == "comite"
    # 15 minutes after the fifth failure, the pair opens again
    assert accounts.sign_in(con, "ana@ville.fr", PASSWORD, "10.0.0.9", now=at(18)).outcome == "locked"
    assert accounts.sign_in(con, "ana@ville.fr", PASSWORD, "10.0.0.9", now=at(19)).outcome == "ok"
    assert "sign_in_locked" in audit.recent(con)["event"].tolist()


def test_failures_spread_over_more_than_15_minutes_do_not_lock(con):
    accounts.add(con, "ana@ville.fr", "coordinateur", PASSWORD, ADMIN, now=T0)
    for i in range(8):
        assert accounts.sign_in(con, "ana@ville.fr", "non", "local", now=at(4 * i)).outcome == "wrong"


def test_an_unknown_address_is_refused_like_a_wrong_password(con):
    assert accounts.sign_in(con, "personne@ville.fr", PASSWORD, "local", now=T0).outcome == "wrong"


def test_generated_passwords_are_long_and_different():
    first, second = accounts.generate_password(), accounts.generate_password()
    assert len(first) >= 20 and first != second


# --- single sign-on, network ---------------------------------------------------------------

@pytest.mark.parametrize(("email", "role"), [
    ("chef@prefecture.gouv.fr", "etat"), ("Ana@Ville-Metz.fr", "coordinateur"), ("bob@ville-metz.fr", "comite"),
    ("eve@ailleurs.fr", None), ("", None), (None, None),
])
def test_sso_roles_by_address_then_domain(email, role):
    mapping = [("@ville-metz.fr", "comite"), ("ana@ville-metz.fr", "coordinateur"), ("@prefecture.gouv.fr", "etat")]
    assert auth.sso_role(email, mapping) == role


def test_settings_read_the_access_section(tmp_path):
    base = DEFAULT_SETTINGS.read_text(encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(base + '\n[[acces.connexion_unique]]\nadresse = "@Ville.fr"\nrole = "comite"\n', encoding="utf-8")
    s = load_settings(path)
    assert (s.idle_hours, s.sso_roles) == (8.0, (("@ville.fr", "comite"),))
    path.write_text(base + '\n[[acces.connexion_unique]]\nadresse = "@ville.fr"\nrole = "lecteur"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"règle n° 1 de \[\[acces.connexion_unique\]\]"):
        load_settings(path)
    path.write_text(base.replace("inactivite_heures = 8", "inactivite_heures = 0"), encoding="utf-8")
    with pytest.raises(ValueError, match="inactivite_heures doit être un nombre d'heures"):
        load_settings(path)


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.1.1", True),
    ("0.0.0.0", False), ("", False), (None, False), ("192.168.1.10", False), ("::", False),
])
def test_loopback_addresses(address, loopback):
    assert auth.is_loopback(address) is loopback


def test_serving_on_a_network_needs_an_account_or_single_sign_on():
    assert "refuse d'écouter sur le réseau (0.0.0.0)" in auth.network_refusal("0.0.0.0", False, False)
    assert "toutes les interfaces" in auth.network_refusal(None, False, False)
    assert auth.network_refusal("0.0.0.0", True, False) is None
    assert auth.network_refusal("0.0.0.0", False, True) is None
    assert auth.network_refusal("127.0.0.1", False, False) is None


def test_sso_configuration_is_recognised():
    assert not auth.sso_configured({}) and not auth.sso_configured({"cookie_secret": "x"})
    assert auth.sso_configured({"server_metadata_url": "http://x/.well-known/openid-configuration"})
    named = {"redirect_uri": "x", "proconnect": {"server_metadata_url": "http://x"}}
    assert auth.sso_configured(named) and auth.sso_provider(named) == "proconnect"


# --- command line --------------------------------------------------------------------------

def _run(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_users_commands(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "impact.duckdb")
    status, out, _ = _run(capsys, "users", "add", "ana@ville.fr", "--role", "admin", "--generate", "--db", db)
    password = out.splitlines()[0].removeprefix("Mot de passe : ")
    assert status == 0 and out.splitlines()[0].startswith("Mot de passe : ") and len(password) >= 20
    typed = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert _run(capsys, "users", "add", "bob@ville.fr", "--role", "comite", "--db", db, "--par", "marie")[0] == 0
    assert _run(capsys, "users", "role", "bob@ville.fr", "etat", "--db", db)[0] == 0
    assert _run(capsys, "users", "disable", "bob@ville.fr", "--db", db)[0] == 0
    status, out, _ = _run(capsys, "users", "list", "--db", db)
    assert out.splitlines() == ["ana@ville.fr  administrateur (admin)  actif", "bob@ville.fr  État (etat)  désactivé"]
    status, _, err = _run(capsys, "users", "add", "bob@ville.fr", "--role", "comite", "--generate", "--db", db)
    assert status == 1 and "existe déjà" in err
    typed = iter(["un mot de passe long", "un autre mot de passe"])
    status, _, err = _run(capsys, "users", "passwd", "bob@ville.fr", "--db", db)
    assert status == 1 and "différents" in err
    typed = iter(["court", "court"])
    status, _, err = _run(capsys, "users", "passwd", "bob@ville.fr", "--db", db)
    assert status == 1 and "12 caractères" in err
    with pytest.raises(SystemExit) as usage:
        main(["users", "role", "bob@ville.fr", "lecteur", "--db", db])
    assert usage.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with Store(db).connect() as con:
        assert accounts.sign_in(con, "ana@ville.fr", password, "local").outcome == "ok"
        events = audit.recent(con)
    assert events.query("event == 'account_added'")["actor"].tolist()[0] == "marie"
    raw = open(db, "rb").read()
    assert password.encode() not in raw and PASSWORD.encode() not in raw


def test_serve_check_refuses_a_network_address_without_accounts(tmp_path, capsys):
    db = str(tmp_path / "impact.duckdb")
    status, _, err = _run(capsys, "serve-check", "0.0.0.0", "--db", db)
    assert status == 1 and "refuse d'écouter sur le réseau" in err
    assert _run(capsys, "serve-check", "127.0.0.1", "--db", db)[0] == 0
    _run(capsys, "users", "add", "ana@ville.fr", "--role", "admin", "--generate", "--db", db)
    assert _run(capsys, "serve-check", "0.0.0.0", "--db", db)[0] == 0


FIGURE_PAGES = ["pages/overview.py", "pages/participation.py", "pages/publics.py", "pages/fiche-action.py",
                "pages/budget.py", "pages/fonds-etat.py", "pages/historique.py"]


def _page_figures(db, monkeypatch) -> dict:
    """Every page's key figures and tables, as a coordinator sees them, on the store `db`."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IMPACT_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.session_state["role"] = "coordinateur"
    at.run()
    figures = {}
    for page in FIGURE_PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        figures[page] = ([(m.label, m.value) for m in at.metric],
                         [df.value.astype(str).values.tolist() for df in at.dataframe])
    assert figures["pages/overview.py"][0], "the overview shows its key figures"
    return figures


def test_backup_and_restore_keep_the_store_and_its_secret_together(tmp_path, capsys, monkeypatch):
    db = tmp_path / "live" / "impact.duckdb"
    assert _run(capsys, "demo", "--db", str(db))[0] == 0
    status, out, _ = _run(capsys, "backup", str(tmp_path / "sauvegarde"), "--db", str(db))
    assert status == 0 and "Sauvegarde faite" in out
    folder = tmp_path / "sauvegarde"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / "impact.secret").st_mode) == 0o600
    manifest = json.loads((folder / "sauvegarde.json").read_text(encoding="utf-8"))
    assert set(manifest["sha256"]) == {"impact.duckdb", "impact.secret"}
    # a backup folder is never reused
    assert _run(capsys, "backup", str(folder), "--db", str(db))[0] == 1
    fresh = tmp_path / "ailleurs" / "impact.duckdb"
    status, out, _ = _run(capsys, "restore", str(folder), "--db", str(fresh))
    assert status == 0 and "remise en place" in out
    assert fresh.with_name("impact.secret").read_bytes() == db.with_name("impact.secret").read_bytes()
    for kind in ("actions", "budget", "spending", "attendance"):
        assert _run(capsys, "export", kind, "--db", str(db))[1] == _run(capsys, "export", kind, "--db", str(fresh))[1]
    assert _page_figures(db, monkeypatch) == _page_figures(fresh, monkeypatch)
    # an existing store is replaced only on request; a damaged backup is refused
    status, _, err = _run(capsys, "restore", str(folder), "--db", str(fresh))
    assert status == 1 and "--replace" in err
    assert _run(capsys, "restore", str(folder), "--db", str(fresh), "--replace")[0] == 0
    (folder / "impact.secret").write_text("0" * 64)
    status, _, err = _run(capsys, "restore", str(folder), "--db", str(tmp_path / "x" / "impact.duckdb"))
    assert status == 1 and "incomplète ou modifiée" in err


def test_the_command_line_records_its_author(tmp_path, capsys):
    db = str(tmp_path / "impact.duckdb")
    csv = tmp_path / "actions.csv"
    csv.write_text("code;intitule\nA1;Atelier\n", encoding="utf-8")
    assert _run(capsys, "import", "actions", str(csv), "--db", db, "--par", "marie")[0] == 0
    assert _run(capsys, "undo", "1", "--db", db, "--par", "paul")[0] == 0
    status, out, _ = _run(capsys, "batches", "--db", db)
    assert "par paul" in out and "(marie)" in out
    with Store(db).connect() as con:
        events = audit.recent(con)[["event", "actor", "role"]].values.tolist()
    assert events == [["undo", "paul", "operateur"], ["import", "marie", "operateur"]]


def test_the_operator_may_do_everything_in_the_core():
    for action in auth.ACTION_ROLES:
        auth.require(OPERATOR, action)


def test_make_run_refuses_a_network_address_without_accounts(tmp_path):
    """The Makefile checks before starting Streamlit: nothing listens on the network."""
    import signal
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(["make", "--no-print-directory", "run", "IMPACT_ADDRESS=0.0.0.0",
                             f"IMPACT_DB={tmp_path / 'impact.duckdb'}", "PORT=1"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:   # it started a server: stop it, and fail
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate()
        pytest.fail("make run did not refuse to listen on 0.0.0.0")
    assert proc.returncode != 0
    assert "refuse d'écouter sur le réseau (0.0.0.0)" in err
    assert "streamlit run" not in out

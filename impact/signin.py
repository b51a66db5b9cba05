"""Who is looking, for the dashboard: signing in (local accounts, single sign-on), the local mode,
the demonstration's « voir comme », idle expiry, and the sidebar's name, role and « Se déconnecter ».

`st.session_state["role"]` stays the one place pages and core read the role from; a role put there
before the first run (only code can, as the tests do) counts as signed in. `via` says how the
role came: "account", "sso", "local" (this machine, no account) or absent (code).

A client is told apart by its address (`st.context.ip_address`: the WebSocket's peer, or the
X-Forwarded-For address a reverse proxy on this machine gives; None on this machine itself).
"""

from __future__ import annotations

import datetime as dt
import getpass

import streamlit as st

from impact import accounts, audit, auth, fmt, reference, session
from impact.settings import Settings

DEMO_ROLES = {auth.COORDINATOR: "coordinateur (vous)", auth.COMMITTEE: "comité de pilotage", auth.STATE: "État"}
_SIGNED_IN_KEYS = ("role", "user", "via", "last_seen", "sso_recorded")


def remote_address() -> str | None:
    """The person's address, None on this machine (and in Streamlit's AppTest, which has no client)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def _host_is_local() -> bool:
    """Whether the browser asked for this machine by a loopback name (Host: localhost:8501): a
    reverse proxy passes the public name on, even if it did not say who its client was."""
    try:
        host = st.context.headers.get("Host")
    except Exception:   # no request (AppTest)
        return True
    if not isinstance(host, str) or not host:
        return True
    name = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    return auth.is_loopback(name)


def client_address() -> str:
    """Where the person connects from, as the lock-out tells clients apart; 'local' on this machine."""
    return remote_address() or "local"


def server_address() -> str | None:
    return st.get_option("server.address")


def sso_section() -> dict:
    """The [auth] section of Streamlit's secrets (empty without single sign-on)."""
    from streamlit.auth_util import get_secrets_auth_section

    try:
        return dict(get_secrets_auth_section())
    except Exception:   # a malformed secrets file means no single sign-on, not a broken dashboard
        return {}


def has_sso() -> bool:
    return auth.sso_configured(sso_section())


def has_accounts() -> bool:
    return session.compute(accounts.account_count) > 0


def local_mode() -> bool:
    """This machine's own copy: the server listens on the loopback only, the person is at this
    machine (no forwarded address, a loopback host name), and there is no account and no single
    sign-on."""
    return (auth.is_loopback(server_address()) and remote_address() is None and _host_is_local()
            and not has_accounts() and not has_sso())


def demo_only() -> bool:
    status = session.compute(reference.data_status)
    return bool(status["active_batches"]) and not status["real_batches"]


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "utilisateur local"


def now() -> dt.datetime:
    return audit.now()


def _sso_user() -> tuple[str, str] | None:
    """(e-mail, name) of a person signed in through the single sign-on, if any."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    email = str(user.get("email") or "").strip().lower()
    return email, str(user.get("name") or email)


def _forget_sign_in() -> None:
    for key in _SIGNED_IN_KEYS:
        st.session_state.pop(key, None)


def resolve(settings: Settings) -> str | None:
    """Settle this run's role (st.session_state["role"]) and return it; None: not signed in."""
    state = st.session_state
    via = state.get("via")
    if via == "local" and not local_mode():   # an account or the single sign-on appeared meanwhile
        _forget_sign_in()
        via = None
    if "role" in state and via in ("account", "sso"):
        idle = now() - state.get("last_seen", now())
        if idle > dt.timedelta(hours=settings.idle_hours):
            session.run_write(audit.record, "session_expired", state.get("user", ""), state["role"],
                              target=state.get("user"), client=client_address())
            _forget_sign_in()
            state["signin_notice"] = (f"Votre session s'est terminée après {fmt.integer(settings.idle_hours)} heures "
                                      "sans activité : connectez-vous à nouveau.")
            if via == "sso":
                st.logout()
                st.stop()
            return None
        state["last_seen"] = now()
        return state["role"]
    if "role" in state and via is None:
        return state["role"]          # put there by code (tests)
    sso = _sso_user() if has_sso() else None
    if sso:
        email, name = sso
        role = auth.sso_role(email, settings.sso_roles)
        if not state.get("sso_recorded"):
            session.run_write(audit.record, "sign_in" if role else "sign_in_unmapped", email, role,
                              target=email, client=client_address(), detail="connexion unique")
            state["sso_recorded"] = True
        state["user"] = email
        if role:
            state.update(role=role, via="sso", last_seen=now())
        return role
    if local_mode():
        chosen = state.get("demo_role") if demo_only() else None
        state.update(role=chosen or auth.COORDINATOR, via="local", user=f"{_system_user()} (poste local)")
        return state["role"]
    state.pop("role", None)
    return None


def sign_in_form(why: str | None = None, then: str | None = None) -> None:
    """The sign-in: the single sign-on's button and/or the local accounts' form, in French.
    After a success the same address runs again (a shared link opens the page and filters it
    named), or the page file `then`."""
    state = st.session_state
    if why:
        st.info(why)
    if state.get("signin_notice"):
        st.warning(state.pop("signin_notice"))
    sso = sso_section()
    email = state.get("user")
    if auth.sso_configured(sso) and email and not state.get("role"):
        st.error(f"Vous êtes connecté avec l'adresse {fmt.markdown_text(email)}, mais elle ne donne accès à aucune "
                 f"donnée du tableau de bord. Demandez un accès à {fmt.markdown_text(get_contact())}.")
        if st.button("Se déconnecter", key="sso_sign_out_unmapped"):
            st.logout()
        return
    if auth.sso_configured(sso):
        if st.button("Se connecter avec le compte de mon organisation", type="primary", key="sso_sign_in"):
            st.login(auth.sso_provider(sso))
    if has_accounts():
        with st.form("sign_in"):
            given_email = st.text_input("Adresse e-mail", autocomplete="username")
            password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Se connecter",
                                              type="secondary" if auth.sso_configured(sso) else "primary")
        if submitted:
            result = session.run_write(accounts.sign_in, given_email, password, client_address(), now())
            if result.outcome == "ok":
                state.update(role=result.role, user=result.email, via="account", last_seen=now())
                if then:
                    st.switch_page(then)
                st.rerun()
            elif result.outcome == "locked":
                st.error(f"Trop d'essais infructueux pour ce compte depuis ce poste : la connexion est bloquée "
                         f"jusqu'à {result.locked_until:%H:%M}. Réessayez ensuite, ou demandez à "
                         f"{fmt.markdown_text(get_contact())} de changer le mot de passe.")
            else:
                st.error("Adresse e-mail ou mot de passe incorrect.")
    elif not auth.sso_configured(sso):
        st.info("Aucun compte n'existe encore. La personne qui gère le serveur crée les comptes avec "
                "`python -m impact users add ADRESSE --role ROLE` (voir le README, « Mettre en service sur un "
                "serveur »).")


def get_contact() -> str:
    return session.get_settings().access_contact


def sign_out() -> None:
    state = st.session_state
    via = state.get("via")
    session.run_write(audit.record, "sign_out", state.get("user", ""), state.get("role"),
                      target=state.get("user"), client=client_address())
    _forget_sign_in()
    if via == "sso":
        # the browser goes to the provider's end of session, then comes back: a rerun here could drop
        # the redirect, which leaves the browser on a page signed out here only
        st.logout()
        st.stop()
    st.rerun()


def sidebar_identity(settings: Settings) -> None:
    """The person's name and role, « Se déconnecter », or what the local mode and the demonstration mean."""
    state = st.session_state
    sb = st.sidebar
    role = state.get("role")
    if state.get("via") == "local":
        if demo_only():
            # read by resolve() at the start of the next run: the whole page follows the choice
            sb.selectbox("Voir comme (démonstration)", list(DEMO_ROLES), format_func=DEMO_ROLES.get,
                         key="demo_role", help="Tant que seules les données de démonstration sont chargées, "
                         "montre le tableau de bord tel que chaque rôle le voit.")
        if role == auth.COORDINATOR:
            sb.caption("Poste local : vous êtes coordinateur de votre propre copie (aucun compte, tableau de bord "
                       "ouvert sur cette machine seulement) : effectifs exacts affichés.")
        else:
            sb.caption(f"Démonstration : vue « {auth.role_label(role)} » (petits effectifs masqués).")
        return
    if not role:
        return
    who = state.get("user")
    sb.caption(f"Connecté{' : ' + fmt.markdown_text(who) if who else ''} · {auth.role_label(role)}"
               + (" · effectifs exacts affichés" if auth.sees_exact_counts(role, settings.hide_small_counts) else ""))
    if state.get("via") in ("account", "sso") and sb.button("Se déconnecter", key="sign_out", icon=":material/logout:"):
        sign_out()

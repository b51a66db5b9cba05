"""Who may see and do what: the roles, the pages each role gets, the actions that change data, the
single sign-on's mapping from e-mail to role, and when the dashboard may listen on a network.

Core rules only, without Streamlit: the pages, the dashboard and the command line ask here, and the
core functions that change data call `require` with the actor the caller passes them.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

COORDINATOR, COMMITTEE, STATE, ADMIN = "coordinateur", "comite", "etat", "admin"
ROLES = (COORDINATOR, COMMITTEE, STATE, ADMIN)
# The command line is the server's operator: whoever runs it can read the store file anyway.
OPERATOR = "operateur"

ROLE_LABELS = {
    COORDINATOR: "coordinateur", COMMITTEE: "comité de pilotage", STATE: "État", ADMIN: "administrateur",
    OPERATOR: "ligne de commande",
}

_READERS = (COORDINATOR, COMMITTEE, STATE, ADMIN)
_COORDINATION = (COORDINATOR, ADMIN)

# The pages each role gets, by page file (pages/NAME.py); None stands for someone not signed in.
# A page named here whose file does not exist is simply not shown. One line per page.
PAGE_ROLES: dict[str, tuple[str | None, ...]] = {
    "connexion": (None,),
    "overview": _READERS,
    "participation": (COORDINATOR, COMMITTEE, ADMIN),
    "publics": _READERS,
    "fiche-action": (COORDINATOR, COMMITTEE, ADMIN),
    "budget": _READERS,
    "fonds-etat": (COORDINATOR, STATE, ADMIN),
    "import": _COORDINATION,
    "historique": _COORDINATION,
    "comptes": (ADMIN,),
    "methodologie": (None, *_READERS),
    "rapport": _READERS,
}

# The actions that change data, and who may do them (the core checks again, whatever the page).
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "import": (COORDINATOR, ADMIN, OPERATOR),
    "undo": (COORDINATOR, ADMIN, OPERATOR),
    "accounts": (ADMIN, OPERATOR),
}
ACTION_LABELS = {
    "import": "L'import de données est réservé aux coordinateurs",
    "undo": "L'annulation d'un import est réservée aux coordinateurs",
    "accounts": "La gestion des comptes est réservée aux administrateurs",
}


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: an account's e-mail (or the system user of the command line) and a
    role (None: not signed in)."""
    name: str
    role: str | None


def operator(name: str) -> Actor:
    """The command line acting for `name` (the system user, or --par)."""
    return Actor(name, OPERATOR)


class Forbidden(PermissionError):
    """The actor's role may not do this; `str(exc)` is one French sentence."""


def may(role: str | None, action: str) -> bool:
    return role in ACTION_ROLES[action]


def require(actor: Actor | None, action: str) -> None:
    """Raise Forbidden unless `actor` may do `action` (import, undo, accounts)."""
    role = actor.role if actor else None
    if not may(role, action):
        who = f"vous êtes connecté en tant que {ROLE_LABELS[role]}" if role else "vous n'êtes pas connecté"
        raise Forbidden(f"Action refusée : {ACTION_LABELS[action].lower()} ({who}). Rien n'a été modifié.")


def sees_page(role: str | None, page: str) -> bool:
    return role in PAGE_ROLES.get(page, ())


def sees_exact_counts(role: str | None, hide_small_counts: bool) -> bool:
    return role in _COORDINATION or not hide_small_counts


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", "non connecté")


def check_role(value: str) -> str:
    """`value` as a role, or ValueError in French listing the roles."""
    if value not in ROLES:
        raise ValueError(f"Rôle inconnu : « {value} » (rôles possibles : {', '.join(ROLES)}).")
    return value


# --- single sign-on ---------------------------------------------------------------------------

def sso_role(email: str | None, mapping: Iterable[tuple[str, str]]) -> str | None:
    """The role the settings give to `email`: an exact address first, then its domain (`@ville.fr`).

    >>> sso_role("Ana@Ville.fr", [("@ville.fr", "comite"), ("ana@ville.fr", "coordinateur")])
    'coordinateur'
    """
    if not email or "@" not in email:
        return None
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[1]
    rules = [(pattern.strip().lower(), role) for pattern, role in mapping]
    for pattern, role in rules:
        if pattern == email:
            return role
    for pattern, role in rules:
        if pattern == domain:
            return role
    return None


def sso_configured(auth_section: Mapping | None) -> bool:
    """Whether the [auth] section of Streamlit's secrets names an OpenID Connect provider."""
    if not auth_section:
        return False
    if auth_section.get("server_metadata_url"):
        return True
    return any(isinstance(v, Mapping) and v.get("server_metadata_url") for v in auth_section.values())


def sso_provider(auth_section: Mapping) -> str | None:
    """The provider name to give st.login: None for the [auth] section itself, else the first
    [auth.NAME] section."""
    if auth_section.get("server_metadata_url"):
        return None
    return next(k for k, v in auth_section.items() if isinstance(v, Mapping) and v.get("server_metadata_url"))


def secrets_auth_section(folder: str | os.PathLike) -> dict:
    """The [auth] section of the Streamlit secrets files the dashboard started in `folder` reads
    (`~/.streamlit/secrets.toml`, then `folder/.streamlit/secrets.toml`), for the command line."""
    section: dict = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path(folder) / ".streamlit" / "secrets.toml"):
        try:
            with open(path, "rb") as fh:
                section.update(tomllib.load(fh).get("auth", {}))
        except (FileNotFoundError, tomllib.TOMLDecodeError, IsADirectoryError):
            continue
    return section


# --- where the dashboard listens -------------------------------------------------------------

def is_loopback(address: str | None) -> bool:
    """Whether the server listens on this machine only. Streamlit listens on every interface when
    no address is set."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def network_refusal(address: str | None, has_accounts: bool, has_sso: bool) -> str | None:
    """The French reason for refusing to serve on `address`, or None when it is allowed: on a
    network, somebody must be able to sign in, or anyone reaching the port would be a coordinator."""
    if is_loopback(address) or has_accounts or has_sso:
        return None
    shown = address or "toutes les interfaces"
    return (f"Le tableau de bord refuse d'écouter sur le réseau ({shown}) : aucun compte et aucune connexion "
            "unique n'existent, donc toute personne qui atteindrait le port serait coordinateur et verrait les "
            "effectifs exacts. Créez d'abord un compte (python -m impact users add ADRESSE --role admin) ou "
            "configurez la connexion unique (.streamlit/secrets.toml), ou lancez-le sur ce poste seulement "
            "(make run, adresse 127.0.0.1).")

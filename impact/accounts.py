"""Local accounts: e-mail, role, argon2 hash of the password, state; and signing in with them.

Passwords are hashed with argon2id (argon2-cffi) and never stored, logged or shown in clear. Five
failed sign-ins for one account from one client within 15 minutes lock that pair (and only that
pair: nobody can lock a coordinator out from elsewhere) for 15 minutes. Every change and every
sign-in goes to the audit. The clock is a parameter (`now`), so that tests can move it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from impact import audit, auth, queries
from impact.store import write_transaction

MIN_PASSWORD_LENGTH = 12
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
ACTIVE, DISABLED = "active", "disabled"
STATE_LABELS = {ACTIVE: "actif", DISABLED: "désactivé"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the e-mail names no account, so that an unknown address takes as long
    to refuse as a wrong password. Made by the first sign-in of the process, whatever the address
    (a hash costs 0.1 s: every command and test process that never signs anybody in is spared it)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class AccountProblem(ValueError):
    """An account change that cannot be made; `str(exc)` is one French sentence."""


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    state: str
    created_at: dt.datetime
    changed_at: dt.datetime


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: `ok`, `wrong` (unknown e-mail, wrong password or disabled
    account: the person is not told which) or `locked` (until `locked_until`)."""
    outcome: str
    email: str
    role: str | None = None
    locked_until: dt.datetime | None = None


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email):
        raise AccountProblem(f"« {email} » n'est pas une adresse e-mail (attendu : prenom.nom@exemple.fr).")
    return email


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountProblem(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.")


def generate_password(length: int = 20) -> str:
    """A strong random password, without characters that are easy to misread (0/O, 1/l/I)."""
    alphabet = [c for c in string.ascii_letters + string.digits if c not in "0O1lI"]
    return "".join(secrets.choice(alphabet) for _ in range(length))


def account_count(con) -> int:
    return int(queries.execute(con, "account_count").fetchall()[0][0])


def list_accounts(con) -> list[Account]:
    return [Account(*row) for row in queries.execute(con, "account_list").fetchall()]


def _one(con, email: str):
    rows = queries.execute(con, "account_for_sign_in", {"email": email}).fetchall()
    return rows[0] if rows else None


def _change(con, actor: auth.Actor, event: str, email: str, detail: str | None, sql: str, params: dict,
            now: dt.datetime | None) -> None:
    """One account change and its audit line, in one transaction, after checking the actor."""
    auth.require(actor, "accounts")
    at = now or audit.now()
    with write_transaction(con):
        con.execute(sql, {**params, "email": email, "at": at})
        audit.record(con, event, actor.name, actor.role, target=email, detail=detail, at=at)


def add(con, email: str, role: str, password: str, actor: auth.Actor, now: dt.datetime | None = None) -> str:
    """Create an active account; returns the normalised e-mail."""
    auth.require(actor, "accounts")
    email = normalise_email(email)
    try:
        auth.check_role(role)
    except ValueError as exc:
        raise AccountProblem(str(exc)) from None
    check_password(password)
    if _one(con, email):
        raise AccountProblem(f"Le compte {email} existe déjà (users role ou users passwd pour le modifier).")
    _change(con, actor, "account_added", email, f"rôle {role}",
            """insert into accounts (email, role, password_hash, state, created_at, changed_at)
            values ($email, $role, $hash, 'active', $at, $at)""",
            {"role": role, "hash": _HASHER.hash(password)}, now)
    return email


def existing_email(con, email: str) -> str:
    """The normalised e-mail of an existing account; AccountProblem when there is none."""
    email = normalise_email(email)
    if not _one(con, email):
        raise AccountProblem(f"Aucun compte {email} (python -m impact users list les montre tous).")
    return email


def disable(con, email: str, actor: auth.Actor, now: dt.datetime | None = None) -> None:
    auth.require(actor, "accounts")
    email = existing_email(con, email)
    _change(con, actor, "account_disabled", email, None,
            "update accounts set state = 'disabled', changed_at = $at where email = $email", {}, now)


def set_role(con, email: str, role: str, actor: auth.Actor, now: dt.datetime | None = None) -> None:
    auth.require(actor, "accounts")
    email = existing_email(con, email)
    try:
        auth.check_role(role)
    except ValueError as exc:
        raise AccountProblem(str(exc)) from None
    _change(con, actor, "account_role", email, f"rôle {role}",
            "update accounts set role = $role, changed_at = $at where email = $email", {"role": role}, now)


def set_password(con, email: str, password: str, actor: auth.Actor, now: dt.datetime | None = None) -> None:
    """A new password; the account becomes active again (a disabled account is enabled this way)."""
    auth.require(actor, "accounts")
    email = existing_email(con, email)
    check_password(password)
    _change(con, actor, "account_password", email, None,
            "update accounts set password_hash = $hash, state = 'active', changed_at = $at where email = $email",
            {"hash": _HASHER.hash(password)}, now)


def locked_until(con, email: str, client: str, now: dt.datetime) -> dt.datetime | None:
    """When the (account, client) pair opens again, or None when it is not locked: five failures
    since its last success, the fifth within 15 minutes of the first, lock it for 15 minutes after
    the fifth. Attempts while locked are not checked, so they do not extend the lock."""
    failures = [r[0] for r in queries.execute(
        con, "recent_sign_in_failures", {"email": email, "client": client, "limit": MAX_FAILURES}).fetchall()]
    if len(failures) < MAX_FAILURES or failures[0] - failures[-1] > FAILURE_WINDOW:
        return None
    until = failures[0] + LOCK_DURATION
    return until if now < until else None


def sign_in(con, email: str, password: str, client: str, now: dt.datetime | None = None) -> SignIn:
    """Check an e-mail and a password typed at `client` (an address, 'local' on this machine);
    record the attempt in the audit."""
    now = now or audit.now()
    email = (email or "").strip().lower()
    until = locked_until(con, email, client, now)
    if until:
        audit.record(con, "sign_in_locked", email, target=email, client=client, at=now)
        return SignIn("locked", email, locked_until=until)
    dummy = _dummy_hash()   # before the lookup: the first sign-in is as slow for any address
    row = _one(con, email) if _EMAIL.match(email) else None
    try:
        _HASHER.verify(row[2] if row else dummy, password or "")
        good = row is not None and row[3] == ACTIVE
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        good = False
    if not good:
        audit.record(con, "sign_in_failed", email, target=email, client=client, at=now)
        until = locked_until(con, email, client, now)
        return SignIn("locked", email, locked_until=until) if until else SignIn("wrong", email)
    audit.record(con, "sign_in", email, row[1], target=email, client=client, at=now)
    return SignIn("ok", email, role=row[1])

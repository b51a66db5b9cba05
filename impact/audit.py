"""The audit: sign-ins (successful, failed, refused while locked), sign-outs, imports, undos and
account changes, with who, when and from where. Never a password, never a name of a young person.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from impact import queries

if TYPE_CHECKING:
    import pandas as pd

EVENT_LABELS = {
    "sign_in": "connexion", "sign_in_failed": "connexion refusée (mot de passe)",
    "sign_in_locked": "connexion refusée (compte bloqué)", "sign_out": "déconnexion",
    "session_expired": "session expirée (inactivité)", "sign_in_unmapped": "connexion unique sans rôle",
    "import": "import", "undo": "annulation d'un import",
    "account_added": "compte créé", "account_disabled": "compte désactivé", "account_role": "rôle changé",
    "account_password": "mot de passe changé",
}


def now() -> dt.datetime:
    """The audit's clock: local time without time zone, like the batches' timestamps."""
    return dt.datetime.now().replace(microsecond=0)


def record(con, event: str, actor: str, role: str | None = None, target: str | None = None,
           client: str | None = None, detail: str | None = None, at: dt.datetime | None = None) -> None:
    """Add one event (inside the caller's transaction, if any)."""
    con.execute(
        """insert into audit
        select coalesce(max(id), 0) + 1, $at, $actor, $role, $event, $target, $client, $detail from audit""",
        {"at": at or now(), "actor": actor, "role": role, "event": event, "target": target, "client": client,
         "detail": detail})


def recent(con, limit: int = 500) -> pd.DataFrame:
    return queries.run(con, "audit_recent", {"limit": limit})


def audit_table(events: pd.DataFrame) -> pd.DataFrame:
    """The audit as the page shows it, in French."""
    import pandas as pd

    from impact.auth import role_label

    return pd.DataFrame({
        "Date": events["happened_at"].map(lambda v: v.strftime("%d/%m/%Y %H:%M:%S")),
        "Qui": events["actor"],
        "Rôle": events["role"].map(lambda r: role_label(r) if isinstance(r, str) else ""),
        "Événement": events["event"].map(lambda e: EVENT_LABELS.get(e, e)),
        "Objet": events["target"].fillna(""),
        "Poste": events["client"].fillna(""),
        "Détail": events["detail"].fillna(""),
    }, columns=["Date", "Qui", "Rôle", "Événement", "Objet", "Poste", "Détail"])

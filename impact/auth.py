"""Roles: coordinators (import, exact small counts) and readers (committee, State).

The coordinator password comes from the environment (IMPACT_COORDINATOR_PASSWORD); when none
is set the dashboard runs as a local workstation, where the coordinator space is opened by a
button and the sidebar says that no password protects it.
"""

from __future__ import annotations

import hmac

COORDINATOR = "coordinateur"
READER = "lecteur"


def password_ok(given: str, expected: str | None) -> bool:
    """Constant-time comparison; no expected password means local mode (always true)."""
    if not expected:
        return True
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def sees_exact_counts(role: str, hide_small_counts: bool) -> bool:
    return role == COORDINATOR or not hide_small_counts

"""Unexpected errors on a page: the reader sees a French message with a short reference, never a
traceback; the server log gets the same reference with the traceback.

Streamlit's own control flow (st.stop, st.rerun, st.switch_page) raises exceptions derived from
BaseException, not Exception: they pass through untouched.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator

import streamlit as st

LOGGER_NAME = "impact.pages"
log = logging.getLogger(LOGGER_NAME)


def _log_to_stderr() -> None:
    """The server's log is its standard error, where Streamlit writes its own messages."""
    logger = logging.getLogger("impact")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


_log_to_stderr()


def new_reference() -> str:
    """Eight hexadecimal characters: short enough to read out over the phone."""
    return secrets.token_hex(4)


def message(reference: str) -> str:
    return ("Une erreur inattendue empêche d'afficher cette page. Rechargez la page ; si l'erreur "
            "revient, transmettez cette référence à la personne qui gère le tableau de bord : "
            f"**{reference}**.")


@contextlib.contextmanager
def reported(where: str) -> Iterator[None]:
    """Run a page (`where` names it in the log): an unexpected error becomes a French st.error
    with a reference, and the log gets the reference with the traceback."""
    try:
        yield
    except Exception as exc:
        reference = new_reference()
        log.error("unexpected error on page %s, reference %s", where, reference, exc_info=exc)
        st.error(message(reference), icon=":material/error:")

"""A partner's text never becomes Markdown: titles, porteurs, file names and headers show as written."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from impact import fmt, participation
from impact.store import Store, rebuild_derived
from tests.fixtures import build_participation_store

HOSTILE = "![x](http://evil/x.png) **gras** _it_ :red[rouge] $x$ <b>b</b> [lien](javascript:alert(1))"
# Markdown that would act: an image or a link, bold or italics, a coloured span, a formula.
ACTIVE = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\*\*|(?<!\\):red(?<!\\)\[|(?<!\\)\$|(?<!\\)\]\(")


def _unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("text", [HOSTILE, "Café des parents", "1 234,50 € — 12,5 %", "a\nb"])
def test_markdown_text_reads_back_as_written(text):
    escaped = fmt.markdown_text(text)
    assert not ACTIVE.search(escaped)
    assert _unescaped(escaped) == text.replace("\n", " ")


def test_action_header_escapes_the_porteur_and_the_theme():
    header = participation.action_header({"porteur": HOSTILE, "axe": "**Sport**", "public_cible": "16-25",
                                          "annee_debut": 2022, "annee_fin": 2024})
    assert header.startswith("**Porteur** : ") and "**Thématique** : " in header
    assert not ACTIVE.search(header.replace("**Porteur**", "").replace("**Thématique**", "")
                             .replace("**Public cible**", "").replace("**Années**", ""))
    assert HOSTILE in _unescaped(header) and "**Sport**" in _unescaped(header)


def test_the_action_sheet_shows_a_hostile_porteur_literally(tmp_path, monkeypatch):
    path = tmp_path / "pages.duckdb"
    with Store(path).connect() as con:
        build_participation_store(con)
        con.execute("update actions set porteur = $p where code = 'A1'", {"p": HOSTILE})
        rebuild_derived(con, people=False)
    monkeypatch.setenv("IMPACT_DB", str(path))
    at = AppTest.from_file("../dashboard.py", default_timeout=30).switch_page("pages/fiche-action.py").run()
    assert not at.exception
    (header,) = [md.value for md in at.markdown if md.value.startswith("**Porteur**")]
    assert HOSTILE in _unescaped(header)
    assert "http" not in header.replace("http\\:", "")   # never a bare link


def test_the_import_page_shows_a_hostile_file_name_and_header_literally(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_DB", str(tmp_path / "i.duckdb"))
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    at = AppTest.from_file("../dashboard.py", default_timeout=30)
    at.session_state["role"] = "coordinateur"
    at.switch_page("pages/import.py").run()
    data = f"code;{HOSTILE}\nA;B\n".encode()
    at.file_uploader[0].set_value(("**fichier**.csv", data, "text/csv")).run()
    assert not at.exception
    assert [s.value for s in at.header if s.value == fmt.markdown_text("**fichier**.csv")]
    (error,) = [e.value for e in at.error if HOSTILE in _unescaped(e.value)]
    assert HOSTILE in _unescaped(error) and not ACTIVE.search(error)

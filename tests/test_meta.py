"""Checks on the test suite itself: every named query runs, every page is wired and tested."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from impact import queries
from tests.conftest_meta import never_executed

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
_PAGE_IN_NAVIGATION = re.compile(r"""\bpage\(\s*["'](pages/[^"']+\.py)["']""")


def _test_sources(exclude: tuple[str, ...] = ("test_meta.py",)) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TESTS.glob("*.py"))
            if p.name not in exclude}


def test_the_query_check_names_what_never_ran():
    """conftest_meta.py fails the whole suite's run when a named query never ran: what it lists."""
    known = queries.all_queries()
    assert known, "no named query found in queries/"
    assert never_executed(set(known)) == []
    name, (file_name, _) = next(iter(known.items()))
    assert never_executed(set(known) - {name}) == [f"{name} ({file_name})"]


def test_query_recorder_sees_queries_run(query_recorder, con):
    """The recorder itself works; this empty-store run does not count toward the check."""
    no_params = [n for n, (_, sql) in queries.all_queries().items() if not queries.parameters(sql)]
    if not no_params:
        pytest.skip("no query without parameters to try the recorder on")
    name = no_params[0]
    seen_before = name in query_recorder.executed
    query_recorder.executed.discard(name)
    queries.run(con, name)
    assert name in query_recorder.executed
    if not seen_before:
        query_recorder.executed.discard(name)


def test_navigation_lists_exactly_the_page_files():
    wired = _PAGE_IN_NAVIGATION.findall((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    assert sorted(set(wired)) == PAGE_FILES, "dashboard.py and pages/ disagree"
    assert len(wired) == len(set(wired)), "a page is listed twice in dashboard.py"


@pytest.mark.parametrize("page_file", PAGE_FILES)
def test_every_page_has_an_apptest(page_file):
    sources = _test_sources(exclude=("test_meta.py", "test_browser.py", "conftest_meta.py"))
    assert any("AppTest" in text for text in sources.values()), "no test uses AppTest"
    users = [name for name, text in sources.items() if page_file in text]
    assert users, f"no test runs {page_file} (AppTest: at.switch_page({page_file!r}))"


# --- the README documents the contract, and its example files are valid ---------------------

README = ROOT / "README.md"
EXAMPLES = [("actions", "actions.csv"), ("budget", "budget.csv"), ("spending", "depenses.csv"),
            ("attendance", "presences.csv")]


def _documented_headers() -> set[str]:
    """Normalised names written in the first and third cells of the README's column tables."""
    from impact.contract import normalise

    names: set[str] = set()
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4:
            continue
        for cell in (cells[0], cells[2]):
            names.update(normalise(part) for part in cell.split(", ") if part)
    return names


@pytest.mark.parametrize("kind", ["actions", "budget", "spending", "attendance"])
def test_readme_documents_every_column_and_alias(kind):
    from impact.contract import COLUMNS, normalise

    documented = _documented_headers()
    missing = [name for column in COLUMNS[kind] for name in (column.name, *column.aliases)
               if normalise(name) not in documented]
    assert not missing, f"README.md does not list these {kind} headers: {missing}"


def test_readme_example_files_import_cleanly(tmp_path, capsys):
    from impact.cli import main

    db = tmp_path / "exemples.duckdb"
    for kind, name in EXAMPLES:  # in this order: the référentiel first
        path = ROOT / "docs" / "exemples" / name
        assert f"docs/exemples/{name}" in README.read_text(encoding="utf-8")
        status = main(["import", kind, str(path), "--db", str(db), "--json"])
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert status == 0, report
        assert report["rejected"] == [] and report["duplicates"] == 0
        data_rows = len(path.read_text(encoding="utf-8").strip().splitlines()) - 1
        assert report["rows_stored"] == data_rows, report


def test_browser_tests_keep_to_their_two_groups(request):
    """Under `make test` (pytest-xdist, --dist loadgroup) each browser test carries its group, so that
    the tests of one server share its process; a pytest that drops the groups (9.2 with pytest-xdist
    3.8) would spread them over every process, each starting its own servers and browser."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("les groupes ne servent que sous pytest-xdist --dist loadgroup (make test)")
    browser = [item.nodeid for item in request.session.items if item.get_closest_marker("browser")]
    if not browser:
        pytest.skip("aucun test dans le navigateur dans cette sélection")
    ungrouped = [n for n in browser if not n.endswith(("@navigateur-demo", "@navigateur-autres"))]
    assert not ungrouped, ungrouped[:3]

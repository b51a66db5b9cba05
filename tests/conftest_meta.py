"""pytest plugin: record the named queries that the test session really executes.

`impact.queries.execute` (which `run` and `first_row` call) is wrapped for the whole session
(AppTest runs pages in this process, so queries run by pages count too). The check itself,
`test_every_named_query_is_executed` in tests/test_meta.py, is moved to the end of the run so
that every other test has run first; it only means something when the whole suite runs, and
skips otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FINAL_CHECK = "test_every_named_query_is_executed"
TESTS_DIR = Path(__file__).resolve().parent


class QueryRecorder:
    def __init__(self) -> None:
        self.executed: set[str] = set()
        self.full_suite = False
        self.why_partial = ""
        self._original = None

    def install(self) -> None:
        from impact import queries

        original = self._original = queries.execute

        def recording_execute(con, name, params=None):
            result = original(con, name, params)
            self.executed.add(name)
            return result

        recording_execute.__doc__ = original.__doc__
        queries.execute = recording_execute

    def uninstall(self) -> None:
        if self._original is not None:
            from impact import queries

            queries.execute = self._original
            self._original = None


_RECORDER = QueryRecorder()


def pytest_configure(config):
    _RECORDER.install()


def pytest_unconfigure(config):
    _RECORDER.uninstall()


def pytest_deselected(items):
    if items:
        _RECORDER.why_partial = "some tests were deselected (-k or -m)"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    last = [item for item in items if item.name == FINAL_CHECK]
    items[:] = [item for item in items if item.name != FINAL_CHECK] + last
    collected = {Path(str(item.path)).resolve() for item in items}
    missing = sorted(p.name for p in TESTS_DIR.glob("test_*.py") if p.resolve() not in collected)
    if missing:
        _RECORDER.why_partial = _RECORDER.why_partial or f"not collected: {', '.join(missing)}"
    _RECORDER.full_suite = not _RECORDER.why_partial


@pytest.fixture(scope="session")
def query_recorder() -> QueryRecorder:
    """The names of the queries executed so far in this session, and whether it is the full suite."""
    return _RECORDER

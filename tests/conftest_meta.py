"""pytest plugin: every named query of queries/*.sql must be executed by the test suite.

`impact.queries.execute` (which `run` and `first_row` call) is wrapped in every test process
(AppTest runs pages in the process, so queries run by pages count too). When the whole suite has
run, the queries that no test executed are listed and the run fails. With pytest-xdist (`-n`),
each worker sends what it recorded to the controller, which checks the union once every worker
has finished: no single worker sees the whole suite.

The check means something on the whole suite only: it is skipped, saying why, when tests are
selected (-k, -m, a file or a test named) or a test failed (its queries may not have run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent


class QueryRecorder:
    def __init__(self) -> None:
        self.executed: set[str] = set()
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


def never_executed(executed: set[str]) -> list[str]:
    """The named queries of queries/*.sql missing from `executed`, as « name (file) »."""
    from impact import queries

    known = queries.all_queries()
    return sorted(f"{name} ({known[name][0]})" for name in known.keys() - executed)


_RECORDER = QueryRecorder()


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    _RECORDER.install()


def pytest_unconfigure(config):
    _RECORDER.uninstall()


def pytest_deselected(items):
    if items:
        _RECORDER.why_partial = "des tests ont été désélectionnés (-k ou -m)"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    collected = {Path(str(item.path)).resolve() for item in items}
    missing = sorted(p.name for p in TESTS_DIR.glob("test_*.py") if p.resolve() not in collected)
    if missing:
        _RECORDER.why_partial = _RECORDER.why_partial or f"{len(missing)} fichier(s) de tests non lancé(s)"
    elif config.args and any("::" in arg for arg in config.args):
        _RECORDER.why_partial = _RECORDER.why_partial or "des tests ont été nommés"


def pytest_runtest_logreport(report):
    if report.failed and not _RECORDER.why_partial:
        _RECORDER.why_partial = "un test a échoué"


def pytest_testnodedown(node, error):
    """Controller (xdist): gather a worker's records."""
    out = getattr(node, "workeroutput", {})
    _RECORDER.executed.update(out.get("executed_queries", ()))
    if out.get("why_partial") and not _RECORDER.why_partial:
        _RECORDER.why_partial = out["why_partial"]
    if error and not _RECORDER.why_partial:
        _RECORDER.why_partial = "un processus de test s'est arrêté"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if _is_worker(config):
        config.workeroutput["executed_queries"] = sorted(_RECORDER.executed)
        config.workeroutput["why_partial"] = _RECORDER.why_partial
        return
    if exitstatus != pytest.ExitCode.OK or _RECORDER.why_partial:
        config._query_check = ("skipped", _RECORDER.why_partial or "la suite n'a pas réussi")
        return
    from impact import queries

    missing = never_executed(_RECORDER.executed)
    config._query_check = ("failed", missing) if missing else ("ok", len(queries.all_queries()))
    if missing:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcome, detail = getattr(config, "_query_check", (None, None))
    if outcome == "failed":
        terminalreporter.section("requêtes nommées jamais exécutées", red=True)
        terminalreporter.line("Aucun test n'exécute ces requêtes de queries/*.sql sur des données :")
        for line in detail:
            terminalreporter.line(f"  {line}", red=True)
    elif outcome == "skipped":
        terminalreporter.line(f"Contrôle des requêtes nommées non fait : {detail}.")
    elif outcome == "ok":
        terminalreporter.line(f"Contrôle des requêtes nommées : les {detail} requêtes ont été exécutées.")


@pytest.fixture(scope="session")
def query_recorder() -> QueryRecorder:
    """The names of the queries executed so far in this process."""
    return _RECORDER

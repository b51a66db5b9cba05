"""Shared fixtures: settings, a fresh store per test, and clean Streamlit caches."""

from __future__ import annotations

import logging

import pytest

from impact.settings import load_settings
from impact.store import Store

pytest_plugins = ["tests.conftest_meta"]


def _scan_installed_components_once() -> None:
    """Each AppTest scans every installed package for Streamlit components (0.2 s, over a thousand
    metadata files read): the packages do not change during a test run, so one scan per process."""
    import functools

    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


_scan_installed_components_once()

# Pages are tested on purpose with a cold cache; the background warm-up has its own test.


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "test.duckdb", wait_seconds=5)


@pytest.fixture
def con(store):
    with store.connect() as c:
        yield c


@pytest.fixture(scope="module")
def module_store():
    """One in-memory store per test module, for the importer tests (each module resets it per test)."""
    from tests.fixtures import memory_store

    con = memory_store()
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demonstration store, loaded once per test session through the importer."""
    from impact import demo, privacy

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(path, wait_seconds=5)
    key = privacy.load_or_create_secret(privacy.secret_path(path))
    with store.connect() as con:
        demo.load_demo(con, load_settings(), key)
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch):
    """A copy of the demonstration store, which the app reads (IMPACT_DB)."""
    import shutil

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_template, path)
    shutil.copy(demo_template.with_suffix(".secret"), path.with_suffix(".secret"))
    monkeypatch.setenv("IMPACT_DB", str(path))
    monkeypatch.delenv("IMPACT_COORDINATOR_PASSWORD", raising=False)
    return path


@pytest.fixture(autouse=True)
def _clean_streamlit_caches():
    """st.cache_* survive between AppTests in one process: never read another test's store or
    settings. The download files stay cached: they depend on nothing but their table's content."""
    import streamlit as st

    from impact import session
    st.cache_resource.clear()
    session.clear_caches()
    yield
    st.cache_resource.clear()
    session.clear_caches()


@pytest.fixture(autouse=True)
def _page_errors_fail_the_test(request, caplog):
    """A page that fails shows a French message with a reference and logs the traceback
    (impact/page_errors.py); a test fails on that log even if it only looked at other elements.
    Tests of the message itself are marked `page_error`."""
    yield
    if request.node.get_closest_marker("page_error"):
        return
    from impact.page_errors import LOGGER_NAME

    failures = [r for r in caplog.get_records("call") if r.name == LOGGER_NAME]
    if failures:
        pytest.fail("a page failed:\n" + "\n".join(logging.Formatter().format(r) for r in failures),
                    pytrace=False)


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`--dist loadgroup`), the browser tests run in two processes only, each
    starting its servers and Chromium once: those on the shared demonstration server, and the
    others (single sign-on, fresh servers). The other tests go to whichever process is free."""
    for item in items:
        if item.get_closest_marker("browser"):
            group = "navigateur-demo" if "server" in item.fixturenames else "navigateur-autres"
            item.add_marker(pytest.mark.xdist_group(group))

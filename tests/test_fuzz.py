"""Property tests: whatever the bytes, the importer answers with an ImportProblem or a report,
and a file it rejects changes nothing in the store."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact import contract, ingest
from tests.fixtures import counts, imp, memory_store, reset, seed

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
KINDS = list(contract.COLUMNS)


@pytest.fixture(scope="module")
def store():
    con = memory_store()
    yield con
    con.close()


@pytest.fixture
def con(store):
    reset(store)
    seed(store)
    return store


def _check(con, kind, raw: bytes, **kw) -> None:
    before = counts(con)
    try:
        report = imp(con, kind, raw, **kw)
    except ingest.ImportProblem as exc:
        assert str(exc)
        assert counts(con) == before
        return
    if not report.stored:
        assert counts(con) == before
        assert report.rejected
    else:
        after = counts(con)
        assert after["batches"] == before["batches"] + 1
    reset(con)


@FUZZ
@given(raw=st.binary(max_size=600), kind=st.sampled_from([None, *KINDS]))
def test_arbitrary_bytes(con, raw, kind):
    _check(con, kind, raw)


HEADERS = sorted({a for cols in contract.COLUMNS.values() for c in cols for a in (c.name, *c.aliases)}
                 | {"", "x", "Nº", "sep=;", "date;action", '"'})
VALUES = ["", " ", "RAP", "rap", "Café des parents", "JUDO", "03/04/2023", "31/02/2023", "2023-04-03", "1/1/98",
          "2023", "1 234,50 €", "-12,5", "abc", "0", "1", "14", "-1", "100", "oui", "non", "x", "F", "Garçon",
          "16-25", "26 et plus", "jeune", "parent", "avoir", "mandaté", "ps_0123456789abcdef", "Dupont", "Léa",
          '=HYPERLINK("http://x")', '"', "a;b", "\u00a0", "€", "9" * 30]
SEPARATORS = [";", ",", "\t"]


@st.composite
def csv_text(draw):
    sep = draw(st.sampled_from(SEPARATORS))
    headers = draw(st.lists(st.sampled_from(HEADERS) | st.text(max_size=8), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(st.sampled_from(VALUES) | st.text(max_size=6), min_size=0,
                                  max_size=len(headers) + 1), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [sep.join(headers), *[sep.join(r) for r in rows]]
    if draw(st.booleans()):
        lines.insert(0, f"sep={sep}")
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(raw=csv_text(), kind=st.sampled_from([None, *KINDS]), accept_valid=st.booleans())
def test_csv_shaped_text(con, raw, kind, accept_valid):
    _check(con, kind, raw, accept_valid=accept_valid)


@st.composite
def valid_header_file(draw):
    """Files of a known kind with all required columns, so that rows really get validated."""
    kind = draw(st.sampled_from(["budget", "spending", "attendance"]))
    cols = contract.COLUMNS[kind]
    chosen = [c for c in cols if c.required or draw(st.booleans())]
    headers = [draw(st.sampled_from([c.name, *c.aliases])) for c in chosen]
    rows = draw(st.lists(st.lists(st.sampled_from(VALUES), min_size=len(headers), max_size=len(headers)),
                         min_size=1, max_size=5))
    text = "\n".join([";".join(headers), *[";".join(r) for r in rows]]) + "\n"
    return kind, text.encode("utf-8")


@FUZZ
@given(case=valid_header_file(), accept_valid=st.booleans())
def test_rows_with_real_headers(con, case, accept_valid):
    kind, raw = case
    _check(con, kind, raw, accept_valid=accept_valid)


@st.composite
def quoted_csv(draw):
    """Text with quoted cells, escaped quotes, quotes inside words, blank lines and both line ends.
    (A quote ending an unquoted cell, as in `24"`, is read exactly when the file's quote count
    betrays it, or when its 8 MB round also holds a quote inside a word: not at any boundary.)"""
    cell = st.sampled_from(['a', 'b c', '"q;x"', '"a ""b"""', '"l1\nl2"', '"\n\n"', 'x"y', '', ' ', '""'])
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=4) | st.sampled_from([[""], ["  "], [";;"]]),
                         min_size=1, max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return ("h1;h2;h3;h4" + newline + newline.join(";".join(r) for r in rows) + newline).encode()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=quoted_csv(), chunk=st.integers(min_value=1, max_value=40))
def test_reading_does_not_depend_on_chunk_boundaries(con, raw, chunk, monkeypatch):
    from impact import sources

    def rows(size: int | None):
        if size:
            monkeypatch.setattr(sources, "CHUNK", size)
        try:
            with sources.open_source(raw, "f.csv") as src:
                ingest._load_raw(con, src)
                return con.execute("select * from src order by rn").fetchall()
        except ingest.ImportProblem as exc:
            return type(exc).__name__
        finally:
            monkeypatch.undo()

    assert rows(chunk) == rows(None)

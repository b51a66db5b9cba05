"""The importer end to end on small files built from the contract (helpers in tests/fixtures.py)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from impact import ingest
from tests.fixtures import KEY, SAMPLES, SETTINGS, TODAY, counts, imp, rejects, seed, stored

# --- tests ---------------------------------------------------------------------------------

SAMPLE_FILES = [
    ("actions", "actions.csv", 4, "Windows-1252 (Excel)"),
    ("budget", "budget.csv", 4, "UTF-8"),
    ("spending", "depenses.csv", 3, "UTF-8 avec BOM"),
    ("attendance", "presences_effectifs.csv", 3, "UTF-8"),
    ("attendance", "presences_excel.csv", 4, "Windows-1252 (Excel)"),
]


def test_sample_exports_load_in_order(con):
    for kind, name, rows, encoding in SAMPLE_FILES:
        report = ingest.import_file(con, kind, SAMPLES / name, settings=SETTINGS, key=KEY, today=TODAY)
        assert report.stored, report.rejected
        assert (report.rows_read, report.rows_stored, report.encoding) == (rows, rows, encoding)
    # Windows-1252 titles came out right (’ and accents).
    assert stored(con, "select intitule from actions where code = 'FORUM'") == [
        ("Forum permanent des métiers",)]
    assert stored(con, "select porteur from actions where code = 'FORUM'") == [
        ("Chambre des Métiers et de l’Artisanat",)]


@pytest.mark.parametrize("kind_given", [None, "budget"])
def test_kind_is_recognised_or_given(con, kind_given):
    seed(con)
    report = imp(con, kind_given, "Exercice;Code action;Montant attribué\n2023;RAP;1 000\n")
    assert report.kind == "budget" and report.kind_guessed is (kind_given is None)
    assert stored(con, "select annee, action_code, financeur, montant from budget") == [
        (2023, "RAP", "État - cité éducative", pytest.approx(1000))]


def test_all_or_nothing_lists_every_problem(con):
    seed(con)
    text = ("date;action;montant\n"
            "01/02/2023;RAP;10\n"
            "31/02/2023;RAP;10\n"
            "01/03/2023;INCONNUE;abc\n"
            "01/04/2023;RAP;20\n")
    report = rejects(con, "spending", text, "Date impossible : ce jour n'existe pas dans ce mois")
    listed = sorted((p.line, p.column, p.value) for p in report.rejected)
    assert listed == [(3, "date", "31/02/2023"), (4, "action", "INCONNUE"), (4, "montant", "abc")]
    assert report.rejected_count == 2 and report.rows_valid == 2 and report.rows_read == 4
    assert report.rejected_rows_csv is not None


def test_accept_valid_stores_valid_rows_and_gives_back_rejected_as_french_csv(con):
    seed(con)
    text = ("date;action;montant;objet\n"
            "01/02/2023;RAP;10;Affiches\n"
            "31/02/2023;RAP;10;=HYPERLINK(\"http://x\")\n"
            "01/04/2023;RAP;-20;Location\n"
            "01/05/2023;RAP;30;Car\n")
    report = imp(con, "spending", text, accept_valid=True)
    assert report.stored and report.rows_stored == 2 and report.rejected_count == 2
    assert stored(con, "select line, montant from spending order by line") == [
        (2, pytest.approx(10)), (5, pytest.approx(30))]
    raw = report.rejected_rows_csv
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(raw), sep=";", dtype=str, encoding="utf-8-sig")
    assert list(frame.columns) == ["ligne d'origine", "date", "action", "montant", "objet", "motif du rejet"]
    assert frame["ligne d'origine"].tolist() == ["3", "4"]   # the rows Excel showed
    assert frame["date"].tolist() == ["31/02/2023", "01/04/2023"]
    assert frame["montant"].tolist() == ["10", "-20"]
    assert "impossible" in frame["motif du rejet"][0] and "avoir" in frame["motif du rejet"][1]
    # A formula is given back neutralised.
    assert frame["objet"][0].startswith("'=HYPERLINK")


def test_accept_valid_with_no_valid_row_stores_nothing(con):
    seed(con)
    rejects(con, "spending", "date;action;montant\n31/02/2023;RAP;10\n", "impossible", accept_valid=True)


def test_dry_run_says_what_would_happen_and_stores_nothing(con):
    seed(con)
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n")
    before = counts(con)
    report = imp(con, "budget", "annee;action;montant\n2023;RAP;150\n2023;SPORT;10\n2023;SPORT;10\n",
                 dry_run=True)
    assert (report.batch_id, report.rows_read, report.rows_stored, report.duplicates) == (None, 3, 2, 1)
    assert report.replaced[0]["old"] == 100 and report.replaced[0]["new"] == 150
    assert report.dry_run and counts(con) == before


def test_crash_in_the_middle_of_storing_leaves_the_store_as_before(con, monkeypatch):
    seed(con)
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n")
    before = counts(con)
    snapshot = stored(con, "select * from budget order by all")
    real_execute_sql = []

    original = ingest._store

    def crashing_store(con_, kind, report, imported_by):
        # Let the rows in, then fail before the commit.
        cur_exec = con_.execute

        class Boom(Exception):
            pass

        def execute(sql, *a, **k):
            if sql.strip().startswith("insert into batch_duplicates"):
                real_execute_sql.append(sql)
                raise Boom("disk full")
            return cur_exec(sql, *a, **k)

        proxy = _ExecProxy(con_, execute)
        return original(proxy, kind, report, imported_by)

    monkeypatch.setattr(ingest, "_store", crashing_store)
    with pytest.raises(Exception, match="disk full"):
        imp(con, "budget", "annee;action;montant\n2023;RAP;150\n2024;RAP;10\n")
    assert real_execute_sql, "the crash did not happen where intended"
    assert counts(con) == before
    assert stored(con, "select * from budget order by all") == snapshot


class _ExecProxy:
    """A connection whose `execute` is replaced (DuckDB connections do not take attributes)."""

    def __init__(self, con, execute):
        self._con, self.execute = con, execute

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_import_from_a_path_uses_its_name(con, tmp_path):
    seed(con)
    path = tmp_path / "programmation 2023.csv"
    path.write_text("annee;action;montant\n2023;RAP;100\n", encoding="utf-8")
    report = ingest.import_file(con, "budget", path, settings=SETTINGS, key=KEY, today=TODAY)
    assert report.file_name == "programmation 2023.csv"
    assert stored(con, "select file_name, rows_stored from batches where kind = 'budget'") == [
        ("programmation 2023.csv", 1)]

"""Erasure on request (forget) and retention (purge): the person's pseudonym is nowhere in the store
afterwards, the other figures are those of a store that never had their rows, and each erasure is
recorded without the name."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pandas as pd
import pytest

from impact import cli, erasure, participation
from impact.canonical_export import write_export
from impact.filters import Filters
from impact.settings import load_settings
from impact.store import Store
from tests.fixtures import ACTIONS

HEADER = "date;action;nom;prénom;date de naissance;participant;sexe\n"
FORGOTTEN = ("03/04/2023;RAP;Quignard-Lefèvre;Zéphyrine;14/03/2009;;F\n"
             "10/04/2023;RAP;Quignard-Lefèvre;Zéphyrine;14/03/2009;;F\n"
             "12/04/2023;SPORT;QUIGNARD LEFEVRE;zéphyrine;14/03/09;;F\n")
BY_ID = "05/04/2023;RAP;;;;A12;M\n06/04/2023;RAP;;;;A12;M\n"
OTHERS = ("03/04/2023;RAP;Kerbrat;Anaëlle;02/11/2009;;F\n"
          "10/04/2023;SPORT;Kerbrat;Anaëlle;02/11/2009;;F\n"
          "03/04/2023;SPORT;Oumarou;Yanis;01/01/2008;;M\n"
          "04/05/2023;LECTURE;Oumarou;Yanis;01/01/2008;;M\n")
HEADCOUNT = "date;action;nombre;tranche d'âge\n03/04/2023;RAP;12;16-25\n"
TODAY = dt.date(2024, 6, 1)


def _load(tmp_path, name: str, rows: str, secret_from=None):
    db = tmp_path / name / "impact.duckdb"
    if secret_from is not None:
        db.parent.mkdir()
        shutil.copy(secret_from, db.with_name("impact.secret"))
    files = {"actions": ACTIONS, "attendance": HEADER + rows, "headcount": HEADCOUNT}
    for kind, text in files.items():
        path = tmp_path / f"{name}-{kind}.csv"
        path.write_text(text)
        assert cli.main(["import", "attendance" if kind == "headcount" else kind, str(path), "--db", str(db)]) == 0
    return db


@pytest.fixture
def full(tmp_path, monkeypatch, capsys):
    """The store with everyone."""
    monkeypatch.delenv("IMPACT_SECRET", raising=False)
    monkeypatch.delenv("IMPACT_DB", raising=False)
    db = _load(tmp_path, "full", FORGOTTEN + BY_ID + OTHERS)
    capsys.readouterr()
    return db


@pytest.fixture
def stores(full, tmp_path, capsys):
    """(store with everyone, store that never had the forgotten person's rows, same secret)."""
    without = _load(tmp_path, "without", BY_ID + OTHERS, secret_from=full.with_name("impact.secret"))
    capsys.readouterr()
    return full, without


def _persons(db) -> list[str]:
    with Store(db).connect() as con:
        return [r[0] for r in con.execute("select distinct person from attendance where person is not null "
                                          "order by person").fetchall()]


def _text_anywhere(db, needle: str) -> list[str]:
    """Every table and text column of the store that holds `needle` somewhere in a value."""
    found = []
    with Store(db).connect() as con:
        columns = con.execute("""select table_name, column_name from information_schema.columns
            where table_catalog = current_database() and data_type in ('VARCHAR', 'JSON')""").fetchall()
        for table, column in columns:
            n = con.execute(f'select count(*) from "{table}" where contains("{column}", $n)', {"n": needle}
                            ).fetchall()[0][0]
            if n:
                found.append(f"{table}.{column}")
    return found


def _figures(db) -> dict:
    """What the participation pages compute, and the canonical export of the attendance rows."""
    settings = load_settings()
    filters = Filters(settings.start, settings.end)
    with Store(db).connect() as con:
        out = {"totals": participation.totals(con, filters),
               "overview": participation.participation_overview(con, filters),
               "publics": participation.publics_overview(con, filters, settings)}
        text = io.StringIO()
        write_export(con, "attendance", text)
        out["export"] = text.getvalue()
    return out


def _assert_same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    else:
        assert a == b


def test_forget_by_name_as_the_import_wrote_it(stores, capsys):
    full, without = stores
    before = set(_persons(full))
    code = cli.main(["forget", "--db", str(full), "--nom", "quignard lefevre", "--prenom", "ZEPHYRINE",
                     "--naissance", "14/03/2009", "--yes", "--par", "coordinatrice"], today=TODAY)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "3 lignes de présence de cette personne (2 actions, du 03/04/2023 au 12/04/2023)" in out
    assert "Effacé : 3 lignes de présence supprimées" in out
    gone = before - set(_persons(full))
    assert len(gone) == 1
    pseudonym = gone.pop()
    assert _text_anywhere(full, pseudonym) == []
    assert "Quignard" not in out + err and "phyrine" not in out + err
    _assert_same(_figures(full), _figures(without))
    with Store(full).connect() as con:
        (row,) = erasure.erasure_list(con)
    assert row[1] == "effacement" and row[3] == 3 and row[4] == "coordinatrice"
    assert "Quignard" not in repr(row) and pseudonym not in repr(row)


def test_forget_by_the_structures_identifier(stores, capsys):
    full, _ = stores
    before = set(_persons(full))
    code = cli.main(["forget", "--db", str(full), "--participant", "A12", "--porteur", "Association Hip-Hop Borny",
                     "--yes"], today=TODAY)
    out, _ = capsys.readouterr()
    assert code == 0 and "2 lignes de présence de cette personne" in out
    (pseudonym,) = before - set(_persons(full))
    assert _text_anywhere(full, pseudonym) == []


def test_asked_at_the_terminal_without_echo_and_confirmed(stores, capsys, monkeypatch):
    full, _ = stores
    typed = iter(["Kerbrat", "Anaëlle", "02/11/2009"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(typed))
    answers = iter(["non", "oui"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert cli.main(["forget", "--db", str(full)], today=TODAY) == 1
    out, _ = capsys.readouterr()
    assert "2 lignes de présence de cette personne" in out and "Rien n'a été effacé." in out
    typed = iter(["Kerbrat", "Anaëlle", "02/11/2009"])
    assert cli.main(["forget", "--db", str(full)], today=TODAY) == 0
    out, err = capsys.readouterr()
    assert "Effacé : 2 lignes" in out and "Kerbrat" not in out + err


@pytest.mark.parametrize(("argv", "status", "said"), [
    (["--nom", "Personne", "--prenom", "Inconnue", "--yes"], 1, "Aucune présence enregistrée pour cette personne"),
    (["--nom", "Kerbrat", "--prenom", "Anaëlle", "--naissance", "31/02/2009", "--yes"], 2,
     "Date de naissance illisible"),
    (["--nom", "Kerbrat", "--yes"], 2, "le prénom vont ensemble"),
    (["--participant", "A12", "--yes"], 2, "avec son porteur"),
    (["--nom", "Kerbrat", "--prenom", "A", "--participant", "A12"], 2, "pas les deux"),
])
def test_forget_refusals(full, capsys, argv, status, said):
    before = _persons(full)
    assert cli.main(["forget", "--db", str(full), *argv], today=TODAY) == status
    out, err = capsys.readouterr()
    assert said in out + err
    assert _persons(full) == before


def test_purge_after_the_retention_years(stores, capsys, monkeypatch):
    full, _ = stores
    monkeypatch.setattr("builtins.input", lambda prompt: "")
    settings = load_settings()
    assert settings.retention_years == 5 and settings.retention_end == dt.date(2029, 12, 31)
    assert cli.main(["purge", "--db", str(full), "--yes"], today=dt.date(2029, 12, 31)) == 0
    assert "Rien à supprimer : les présences sont conservées jusqu'au 31/12/2029" in capsys.readouterr().out
    pseudonyms = _persons(full)
    assert len(pseudonyms) == 4
    assert cli.main(["purge", "--db", str(full)], today=dt.date(2030, 1, 1)) == 1   # not confirmed
    assert "Rien n'a été supprimé." in capsys.readouterr().out
    assert cli.main(["purge", "--db", str(full), "--yes", "--par", "dpo"], today=dt.date(2030, 1, 1)) == 0
    out = capsys.readouterr().out
    assert "10 lignes de présence (jusqu'au 31/12/2024) ont dépassé la durée de conservation" in out
    assert _persons(full) == []
    for pseudonym in pseudonyms:
        assert _text_anywhere(full, pseudonym) == []
    with Store(full).connect() as con:
        assert con.execute("select count(*) from attendance").fetchall() == [(0,)]
        assert con.execute("select count(*) from people").fetchall() == [(0,)]
        assert con.execute("select count(*) from spending").fetchall() == [(0,)]  # nothing else touched
        assert con.execute("select count(*) from actions").fetchall()[0][0] > 0
        (row,) = erasure.erasure_list(con)
    assert row[1] == "purge" and row[3] == 10 and row[4] == "dpo" and "5 ans" in row[5]


def test_retention_setting_is_checked(tmp_path):
    text = (load_settings.__globals__["DEFAULT_SETTINGS"]).read_text()
    bad = tmp_path / "c.toml"
    bad.write_text(text.replace("conservation_annees = 5", 'conservation_annees = "cinq"'))
    with pytest.raises(ValueError, match="conservation_annees doit être un nombre entier"):
        load_settings(bad)
    good = tmp_path / "d.toml"
    good.write_text(text.replace("conservation_annees = 5", "conservation_annees = 2"))
    assert load_settings(good).retention_end == dt.date(2026, 12, 31)

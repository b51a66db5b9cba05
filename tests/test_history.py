"""Import history and undo: hand-over of shared rows, budget revisions restored, refusals."""

from __future__ import annotations

import pytest

from impact import import_history
from tests.fixtures import OPERATOR, counts, imp, reset, seed, stored


@pytest.fixture
def con(module_store):
    reset(module_store)
    seed(module_store)
    return module_store


A = "date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n10/04/2023;RAP;Dupont;Léa\n"
B = "date;action;nom;prénom\n10/04/2023;RAP;Dupont;Léa\n17/04/2023;RAP;Dupont;Léa\n"


def _dates(con) -> list[tuple]:
    return stored(con, "select date::varchar, batch_id, line from attendance order by date")


def test_undo_hands_over_rows_another_active_batch_also_contained(con):
    a, b = imp(con, "attendance", A).batch_id, imp(con, "attendance", B).batch_id
    details = import_history.batch_details(con, a)
    assert (details["rows_removed_on_undo"], details["rows_held"]) == (1, 2)
    import_history.undo(con, a, OPERATOR)
    # 10/04 was in both files: it stays, now held by B (its row 2)
    assert _dates(con) == [("2023-04-10", b, 2), ("2023-04-17", b, 3)]
    assert stored(con, "select status from batches where id = $a", {"a": a}) == [("undone",)]
    import_history.undo(con, b, OPERATOR)
    assert _dates(con) == []


def test_undo_the_later_batch_keeps_rows_of_the_earlier_one(con):
    a, b = imp(con, "attendance", A).batch_id, imp(con, "attendance", B).batch_id
    import_history.undo(con, b, OPERATOR)
    assert _dates(con) == [("2023-04-03", a, 2), ("2023-04-10", a, 3)]
    assert stored(con, "select count(*) from batch_duplicates") == [(0,)]


def test_hand_over_through_three_batches(con):
    ids = [imp(con, "attendance", A).batch_id for _ in range(3)]
    import_history.undo(con, ids[0], OPERATOR)
    assert {r[1] for r in _dates(con)} == {ids[1]}
    import_history.undo(con, ids[1], OPERATOR)
    assert {r[1] for r in _dates(con)} == {ids[2]}
    assert len(_dates(con)) == 2


def test_undoing_a_budget_revision_restores_the_old_amount(con):
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n")
    revision = imp(con, "budget", "annee;action;montant\n2023;RAP;150\n")
    assert stored(con, "select montant::double from budget_current") == [(150.0,)]
    details = import_history.batch_details(con, revision.batch_id)
    assert details["replacements"][["previous_montant", "montant"]].astype(float).values.tolist() == [
        [100.0, 150.0]]
    import_history.undo(con, revision.batch_id, OPERATOR)
    assert stored(con, "select montant::double from budget_current") == [(100.0,)]


def test_undoing_an_actions_title_change_restores_the_old_title(con):
    change = imp(con, "actions", "code;intitule;porteur\nRAP;Rap et insertion;Association Hip-Hop Borny\n")
    import_history.undo(con, change.batch_id, OPERATOR)
    assert stored(con, "select intitule from actions_current where code = 'RAP'") == [
        ("Parcours d’insertion par le rap",)]


def test_undo_of_an_actions_batch_still_used_is_refused_and_says_which(con):
    actions = imp(con, "actions", "code;intitule\nJUDO;Judo\nVELO;Vélo\n")
    imp(con, "spending", "date;action;montant\n03/04/2023;JUDO;10\n")
    before = counts(con)
    with pytest.raises(import_history.UndoRefused, match="JUDO") as info:
        import_history.undo(con, actions.batch_id, OPERATOR)
    assert "VELO" not in str(info.value)
    assert counts(con) == before


def test_undo_of_an_actions_batch_is_allowed_when_another_batch_also_brings_them(con):
    first = imp(con, "actions", "code;intitule\nJUDO;Judo\n")
    imp(con, "actions", "code;intitule\nJUDO;Judo\n")
    imp(con, "spending", "date;action;montant\n03/04/2023;JUDO;10\n")
    import_history.undo(con, first.batch_id, OPERATOR)
    assert stored(con, "select code from actions_current where code = 'JUDO'") == [("JUDO",)]


@pytest.mark.parametrize("case", ["unknown", "twice"])
def test_undo_unknown_or_already_undone(con, case):
    bid = imp(con, "budget", "annee;action;montant\n2023;RAP;100\n").batch_id
    if case == "twice":
        import_history.undo(con, bid, OPERATOR)
        expected = "déjà annulé"
    else:
        bid, expected = 999, "Aucun import n° 999"
    before = counts(con)
    with pytest.raises(import_history.UndoRefused, match=expected):
        import_history.undo(con, bid, OPERATOR)
    assert counts(con) == before


def test_batch_list_newest_first_with_counts(con):
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n", file_name="b1.csv")
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n2024;RAP;5\n", file_name="b2.csv")
    frame = import_history.batch_list(con)
    assert frame["file_name"].tolist()[:2] == ["b2.csv", "b1.csv"]
    assert frame[["rows_read", "rows_stored", "duplicates"]].values.tolist()[:2] == [[2, 1, 1], [1, 1, 0]]


def test_sidebar_values_follow_imports_and_undo(con, settings):
    """The people filters offer the values present in attendance: an import adds its values, an
    undo takes back those no other batch holds."""
    from impact import reference

    def offered() -> dict:
        options, _ = reference.filter_options(con, settings)
        return {k: options[k] for k in ("f_bands", "f_sexes", "f_qpvs", "f_publics")}

    imp(con, "attendance", "date;action;nom;prénom;sexe;qpv;âge\n03/04/2023;RAP;Dupont;Léa;F;oui;17\n")
    assert offered() == {"f_bands": ["16-25"], "f_sexes": ["F"], "f_qpvs": ["oui"], "f_publics": ["jeune"]}
    later = imp(con, "attendance", "date;action;nombre;public;tranche\n04/04/2023;RAP;12;parent;26 et plus\n")
    assert offered() == {"f_bands": ["16-25", "26 et plus"], "f_sexes": ["F", "NR"], "f_qpvs": ["oui", "NR"],
                         "f_publics": ["jeune", "parent"]}
    import_history.undo(con, later.batch_id, OPERATOR)
    assert offered() == {"f_bands": ["16-25"], "f_sexes": ["F"], "f_qpvs": ["oui"], "f_publics": ["jeune"]}


def test_regularity_follows_a_person_across_batches_and_undo(con, settings):
    from impact import participation
    from impact.filters import Filters

    one = ("date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n10/04/2023;RAP;Dupont;Léa\n"
           "17/04/2023;RAP;Dupont;Léa\n03/04/2023;SPORT;Dupont;Léa\n")
    two = ("date;action;nom;prénom\n24/04/2023;RAP;Dupont;Léa\n01/05/2023;RAP;Dupont;Léa\n"
           "24/04/2023;RAP;Martin;Yanis\n")
    a, b = imp(con, "attendance", one).batch_id, imp(con, "attendance", two).batch_id
    everything = Filters(settings.start, settings.end)
    columns = ["participants", "once", "two_to_four", "five_or_more"]

    def rap() -> list[int]:
        regular = participation.participation_overview(con, everything)["regularity"]
        return regular.set_index("action_code").loc["RAP", columns].tolist()

    assert rap() == [2, 1, 0, 1]   # Dupont's 3 + 2 sessions from two files: 5 times
    assert stored(con, "select count(*) from people") == [(2,)]
    import_history.undo(con, a, OPERATOR)
    assert rap() == [2, 1, 1, 0]
    import_history.undo(con, b, OPERATOR)
    assert stored(con, "select count(*) from attendance") == [(0,)]
    assert stored(con, "select count(*) from people") == [(0,)]   # no pseudonym outlives its rows


def test_an_import_waits_for_an_undo_still_in_its_transaction(tmp_path, monkeypatch):
    """The dashboard runs units of work side by side on one database. Both an undo and an import of
    actions rebuild the current versions (queries/derived.sql): the import waits for the undo's
    commit (store.WRITE_LOCK) instead of being refused by DuckDB at its own (a write-write conflict)."""
    import threading

    from impact import store as store_module

    store = store_module.Store(tmp_path / "impact.duckdb", keep_open=True)
    with store.connect() as con:
        seed(con)
        renamed = imp(con, "actions", "code;intitulé\nRAP;Rap au studio\n").batch_id
    inside, go_on = threading.Event(), threading.Event()
    rebuild = store_module.rebuild_derived

    def slow_rebuild(con, people=True):
        rebuild(con, people)
        if threading.current_thread().name == "undo":   # the undo, inside its transaction
            inside.set()
            go_on.wait(timeout=30)

    monkeypatch.setattr(import_history, "rebuild_derived", slow_rebuild)
    failures = []

    def undo() -> None:
        try:
            with store.connect() as con:
                import_history.undo(con, renamed, OPERATOR)
        except Exception as exc:   # reported by the assertion below
            failures.append(exc)

    undoing = threading.Thread(target=undo, name="undo")
    undoing.start()
    assert inside.wait(timeout=30)
    importer = threading.Timer(0.3, go_on.set)   # lets the undo commit once the import is waiting
    importer.start()
    with store.connect() as con:
        report = imp(con, "actions", "code;intitulé\nSPORT;Futsal du samedi\n")
    undoing.join(timeout=30)
    importer.cancel()
    store.release()
    assert failures == [] and report.stored
    with store_module.Store(tmp_path / "impact.duckdb").connect() as con:
        current = stored(con, "select code, intitule from actions_current where code in ('RAP', 'SPORT') order by code")
    assert current == [("RAP", "Parcours d’insertion par le rap"), ("SPORT", "Futsal du samedi")]

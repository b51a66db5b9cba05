"""Import history and undo: hand-over of shared rows, budget revisions restored, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from impact import history
from tests.test_ingest import counts, imp, reset, seed, stored


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
    details = history.batch_details(con, a)
    assert (details["rows_removed_on_undo"], details["rows_held"]) == (1, 2)
    history.undo(con, a)
    # 10/04 was in both files: it stays, now held by B (its row 2)
    assert _dates(con) == [("2023-04-10", b, 2), ("2023-04-17", b, 3)]
    assert stored(con, "select status from batches where id = $a", {"a": a}) == [("undone",)]
    history.undo(con, b)
    assert _dates(con) == []


def test_undo_the_later_batch_keeps_rows_of_the_earlier_one(con):
    a, b = imp(con, "attendance", A).batch_id, imp(con, "attendance", B).batch_id
    history.undo(con, b)
    assert _dates(con) == [("2023-04-03", a, 2), ("2023-04-10", a, 3)]
    assert stored(con, "select count(*) from batch_duplicates") == [(0,)]


def test_hand_over_through_three_batches(con):
    ids = [imp(con, "attendance", A).batch_id for _ in range(3)]
    history.undo(con, ids[0])
    assert {r[1] for r in _dates(con)} == {ids[1]}
    history.undo(con, ids[1])
    assert {r[1] for r in _dates(con)} == {ids[2]}
    assert len(_dates(con)) == 2


def test_undoing_a_budget_revision_restores_the_old_amount(con):
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n")
    revision = imp(con, "budget", "annee;action;montant\n2023;RAP;150\n")
    assert stored(con, "select montant::double from budget_current") == [(150.0,)]
    details = history.batch_details(con, revision.batch_id)
    assert details["replacements"][["previous_montant", "montant"]].astype(float).values.tolist() == [
        [100.0, 150.0]]
    history.undo(con, revision.batch_id)
    assert stored(con, "select montant::double from budget_current") == [(100.0,)]


def test_undoing_an_actions_title_change_restores_the_old_title(con):
    change = imp(con, "actions", "code;intitule;porteur\nRAP;Rap et insertion;Association Hip-Hop Borny\n")
    history.undo(con, change.batch_id)
    assert stored(con, "select intitule from actions_current where code = 'RAP'") == [
        ("Parcours d’insertion par le rap",)]


def test_undo_of_an_actions_batch_still_used_is_refused_and_says_which(con):
    actions = imp(con, "actions", "code;intitule\nJUDO;Judo\nVELO;Vélo\n")
    imp(con, "spending", "date;action;montant\n03/04/2023;JUDO;10\n")
    before = counts(con)
    with pytest.raises(history.UndoRefused, match="JUDO") as info:
        history.undo(con, actions.batch_id)
    assert "VELO" not in str(info.value)
    assert counts(con) == before


def test_undo_of_an_actions_batch_is_allowed_when_another_batch_also_brings_them(con):
    first = imp(con, "actions", "code;intitule\nJUDO;Judo\n")
    imp(con, "actions", "code;intitule\nJUDO;Judo\n")
    imp(con, "spending", "date;action;montant\n03/04/2023;JUDO;10\n")
    history.undo(con, first.batch_id)
    assert stored(con, "select code from actions_current where code = 'JUDO'") == [("JUDO",)]


@pytest.mark.parametrize("case", ["unknown", "twice"])
def test_undo_unknown_or_already_undone(con, case):
    bid = imp(con, "budget", "annee;action;montant\n2023;RAP;100\n").batch_id
    if case == "twice":
        history.undo(con, bid)
        expected = "déjà annulé"
    else:
        bid, expected = 999, "Aucun import n° 999"
    before = counts(con)
    with pytest.raises(history.UndoRefused, match=expected):
        history.undo(con, bid)
    assert counts(con) == before


def test_batch_list_newest_first_with_counts(con):
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n", file_name="b1.csv")
    imp(con, "budget", "annee;action;montant\n2023;RAP;100\n2024;RAP;5\n", file_name="b2.csv")
    frame = history.batch_list(con)
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
    history.undo(con, later.batch_id)
    assert offered() == {"f_bands": ["16-25"], "f_sexes": ["F"], "f_qpvs": ["oui"], "f_publics": ["jeune"]}


def test_pair_ids_follow_a_person_across_batches_and_undo(con, settings):
    """One id per (action, person) pair, the same in every batch: a person's sessions brought by two
    files count together (regularity), and undoing a file leaves the other file's rows their id."""
    from impact import participation
    from impact.filters import Filters

    one = ("date;action;nom;prénom\n03/04/2023;RAP;Dupont;Léa\n10/04/2023;RAP;Dupont;Léa\n"
           "17/04/2023;RAP;Dupont;Léa\n03/04/2023;SPORT;Dupont;Léa\n")
    two = ("date;action;nom;prénom\n24/04/2023;RAP;Dupont;Léa\n01/05/2023;RAP;Dupont;Léa\n"
           "24/04/2023;RAP;Martin;Yanis\n")
    a, b = imp(con, "attendance", one).batch_id, imp(con, "attendance", two).batch_id
    rows = stored(con, """select a.action_code, a.person_id, a.pair_id
        from attendance a join pairs p on p.id = a.pair_id join action_ids k on k.id = a.action_id
        where k.code = a.action_code and p.action_id = a.action_id and p.person_id = a.person_id""")
    assert len(rows) == 7          # every row's pair is its own action and person
    assert stored(con, """select count(*) from attendance a join band_ids b on b.id = a.band_id
        where b.tranche = a.tranche""") == [(7,)]   # and its band id its own band
    ids = {(code, person): pair for code, person, pair in rows}
    assert len(ids) == 3 and len(set(ids.values())) == 3   # Dupont·RAP, Dupont·SPORT, Martin·RAP
    everything = Filters(settings.start, settings.end)
    columns = ["participants", "once", "two_to_four", "five_or_more"]

    def rap() -> list[int]:
        regular = participation.participation_overview(con, everything)["regularity"]
        return regular.set_index("action_code").loc["RAP", columns].tolist()

    assert rap() == [2, 1, 0, 1]   # Dupont's 3 + 2 sessions from two files: 5 times
    history.undo(con, a)
    left = stored(con, "select distinct pair_id from attendance order by 1")
    assert left == sorted((pair,) for (code, _), pair in ids.items() if code == "RAP")
    assert rap() == [2, 1, 1, 0]
    history.undo(con, b)
    assert stored(con, "select count(*) from attendance") == [(0,)]


def test_cells_follow_imports_hand_over_and_undo(con):
    """The participations per cell and per session (the sums the pages read) are always those of the
    attendance rows, batch by batch: after imports, after an undo that hands rows over, after the
    last undo."""
    head_count = "date;action;nombre;tranche;sexe;qpv;public\n10/04/2023;RAP;7;16-25;F;oui;jeune\n"

    def cells() -> list[tuple]:   # decoded through the view of the profiles
        return stored(con, """select batch_id, date::varchar, action_id, tranche, sexe, qpv, public, headcount,
            participations, row_count from attendance_cells join profiles using (profile) order by all""")

    def from_rows() -> list[tuple]:
        sessions = stored(con, """select date::varchar, action_id, sum(nombre),
            coalesce(sum(nombre) filter (where person_id is null), 0) from attendance group by all order by all""")
        assert stored(con, "select date::varchar, * exclude (date) from attendance_sessions order by all") == sessions
        return stored(con, """select batch_id, date::varchar, action_id, tranche, sexe, qpv, public,
            person_id is null, sum(nombre), count(*) from attendance group by all order by all""")

    a = imp(con, "attendance", A + "03/04/2023;RAP;Martin;Yanis\n").batch_id
    b, c = imp(con, "attendance", B).batch_id, imp(con, "attendance", head_count).batch_id
    assert cells() == from_rows()
    assert [(r[0], r[1], r[7], r[8], r[9]) for r in cells()] == [
        (a, "2023-04-03", False, 2, 2), (a, "2023-04-10", False, 1, 1),
        (b, "2023-04-17", False, 1, 1), (c, "2023-04-10", True, 7, 1)]
    history.undo(con, a)           # 10/04 goes over to B
    assert cells() == from_rows()
    assert [(r[0], r[1]) for r in cells()] == [(b, "2023-04-10"), (b, "2023-04-17"), (c, "2023-04-10")]
    history.undo(con, b)
    history.undo(con, c)
    assert cells() == [] == from_rows()


def test_stored_pairs_follow_imports_hand_over_and_undo(con):
    """The stored pairs, pair-years and person-years (per calendar year and people profile) are
    always those of the named rows, worked out here in Python from the rows, as are the named rows' first and last
    days: after imports, an import that brings earlier months (the origin of the month bits moves),
    an undo that hands rows over, the last undo."""
    from impact.store import get_meta

    codes = {"sexe": {"F": 0, "M": 1}, "qpv": {False: 0, True: 1}, "public": {"jeune": 0, "parent": 1}}

    def profile(band, sexe, qpv, public) -> int:
        return (band * 64 + codes["sexe"].get(sexe, 2) * 16 + codes["qpv"].get(qpv, 2) * 4
                + codes["public"].get(public, 2))

    def summary(rows: list[tuple]) -> tuple:
        """What a stored pair (pair-year) says of these named rows (sorted by date)."""
        sex = next(((d, s) for (*_, d, _, s, _, _) in rows if s in ("F", "M")), None)
        qpv = next(((d, q) for (*_, d, _, _, q, _) in rows if q is not None), None)
        months = sorted({(r[3].year, r[3].month) for r in rows})
        return (*rows[0][:3], len(rows), rows[0][3], rows[0][4], sex, qpv, months, get_meta(con, "pairs_origin"))

    def from_rows() -> tuple[list[tuple], list[tuple]]:
        rows = stored(con, """select pair_id, action_id, person_id, date, band_id, sexe, qpv, public
            from attendance where person_id is not null order by pair_id, date""")
        per_pair, per_year = {}, {}
        for row in rows:
            per_pair.setdefault(row[0], []).append(row)
            per_year.setdefault((row[0], row[3].year, profile(*row[4:])), []).append(row)
        pairs = []
        for pair_rows in per_pair.values():
            profiles = {profile(*r[4:]) for r in pair_rows}
            years = [y for (pair, y, _) in per_year if pair == pair_rows[0][0]]
            pairs.append((*summary(pair_rows), profiles.pop() if len(profiles) == 1 else None,
                          len(years) > len(set(years))))
        years = [(*summary(r), y, p) for (_, y, p), r in per_year.items()]
        return sorted(pairs), sorted(years)

    def decoded(row: tuple) -> tuple:
        pair, action, person, times, band, sex, qpv, months = row
        origin = get_meta(con, "pairs_origin")
        start, epoch = dt.date.fromisoformat(origin), dt.date(1970, 1, 1)
        month_list = [((start.month - 1 + k) // 12 + start.year, (start.month - 1 + k) % 12 + 1)
                      for k in range(63) if months >> k & 1]
        return (pair, action, person, times, epoch + dt.timedelta(band // 1024), band % 1024,
                None if sex is None else (epoch + dt.timedelta(sex // 4), "FM"[sex % 4]),
                None if qpv is None else (epoch + dt.timedelta(qpv // 2), bool(qpv % 2)),
                month_list, origin)

    def stored_pairs() -> tuple[list[tuple], list[tuple]]:
        pairs = [(*decoded(r[:8]), *r[8:]) for r in stored(con, "select * from attendance_pairs")]
        years = [(*decoded((*r[:3], *r[5:])), r[3], r[4]) for r in stored(
            con, "select * from attendance_pair_years")]
        return sorted(pairs), sorted(years)

    def person_years_from_rows() -> list[tuple]:
        """Per (person, year, profile): the first row (by day, then action code) with its action,
        the first with a known sex, with a known QPV, and the months."""
        rows = stored(con, """select a.person_id, a.date, a.action_id, a.band_id, a.sexe, a.qpv, a.public
            from attendance as a join action_ids as k on k.id = a.action_id
            where a.person_id is not null order by a.person_id, a.date, k.code""")
        groups: dict[tuple, list[tuple]] = {}
        for row in rows:
            groups.setdefault((row[0], row[1].year, profile(*row[3:])), []).append(row)
        return sorted((*key, (rs[0][1], rs[0][3], rs[0][2]),
                       next(((d, s, a) for (_, d, a, _, s, _, _) in rs if s in ("F", "M")), None),
                       next(((d, q, a) for (_, d, a, _, _, q, _) in rs if q is not None), None),
                       sorted({(r[1].year, r[1].month) for r in rs}))
                      for key, rs in groups.items())

    def stored_person_years() -> list[tuple]:
        epoch = dt.date(1970, 1, 1)
        out = []
        for person, year, prof, band, band_action, sex, sex_action, qpv, qpv_action, months in stored(
                con, "select * from attendance_person_years"):
            month_list = decoded((0, 0, 0, 0, 0, None, None, months))[8]
            out.append((person, year, prof, (epoch + dt.timedelta(band // 1024), band % 1024, band_action),
                        None if sex is None else (epoch + dt.timedelta(sex // 4), "FM"[sex % 4], sex_action),
                        None if qpv is None else (epoch + dt.timedelta(qpv // 2), bool(qpv % 2), qpv_action),
                        month_list))
        return sorted(out)

    def pairs() -> list[tuple]:
        got = stored_pairs()
        want = from_rows()
        assert got == want
        assert stored_person_years() == person_years_from_rows()
        return got[0]

    later = ("date;action;nom;prénom;sexe;qpv\n03/04/2023;RAP;Dupont;Léa;;\n10/05/2023;RAP;Dupont;Léa;F;non\n"
             "03/04/2023;RAP;Martin;Yanis;M;oui\n")
    def named_days() -> tuple:
        return get_meta(con, "named_first"), get_meta(con, "named_last")

    a = imp(con, "attendance", later).batch_id
    assert get_meta(con, "pairs_origin") == "2023-04-01"
    assert named_days() == ("2023-04-03", "2023-05-10")
    assert pairs()
    earlier = "date;action;nom;prénom\n10/01/2023;RAP;Dupont;Léa\n10/05/2023;RAP;Dupont;Léa\n"
    b = imp(con, "attendance", earlier).batch_id   # 10/05 is already held by the first file
    assert get_meta(con, "pairs_origin") == "2023-01-01"
    assert named_days() == ("2023-01-10", "2023-05-10")
    dupont = [p for p in pairs() if p[3] == 3][0]
    assert dupont[6:9] == ((dt.date(2023, 5, 10), "F"), (dt.date(2023, 5, 10), False),
                            [(2023, 1), (2023, 4), (2023, 5)])
    assert dupont[10:] == (None, True)     # sex and QPV first blank, then known: two profiles in 2023
    # a second action of Dupont, the same day as her first RAP row: her person-years are rebuilt
    # from both actions' pair-years, then from RAP's alone
    c = imp(con, "attendance", "date;action;nom;prénom;sexe;qpv\n03/04/2023;SPORT;Dupont;Léa;F;oui\n").batch_id
    assert len(pairs()) == 3
    history.undo(con, c)
    assert len(pairs()) == 2
    history.undo(con, a)           # 10/05 goes over to the second file; the origin stays
    assert [p[3] for p in pairs()] == [2]
    assert named_days() == ("2023-01-10", "2023-05-10")
    history.undo(con, b)
    assert pairs() == []
    assert stored_pairs() == ([], [])
    assert stored_person_years() == []
    assert named_days() == (None, None)

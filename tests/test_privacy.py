"""The small-count rule (impact.small_counts): for readers, counts 1–4 read "< 5", the others are
rounded to 5, and shares, averages and costs come from the rounded counts. On hand-made values and
on figures built from a store."""

from __future__ import annotations

import pandas as pd
import pytest

from impact import participation as p
from impact.filters import Filters
from impact.small_counts import MASKED, CountRule
from tests.fixtures import build_participation_store

L = "< 5"
READER, COORDINATOR = CountRule(exact=False), CountRule(exact=True)


@pytest.mark.parametrize(("value", "reader", "coordinator"), [
    (0, 0, 0), (1, None, 1), (4, None, 4), (5, 5, 5), (7, 5, 7), (9, 5, 9), (10, 10, 10), (14, 10, 14),
    (1234, 1230, 1234), (None, None, None),
])
def test_counts_are_hidden_below_the_threshold_and_rounded_down_to_the_base(value, reader, coordinator):
    assert READER.value(value) == reader
    assert COORDINATOR.value(value) == coordinator


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (3, L), (7, "5"), (1234, "1\u202f230"), (None, "—")])
def test_count_text(value, text):
    assert READER.text(value) == text


def test_threshold_and_base_come_from_the_settings(settings):
    from dataclasses import replace

    rule = CountRule.of(replace(settings, small_count_threshold=10, rounding_base=3), exact=False)
    assert (rule.text(9), rule.value(10), rule.value(14), rule.hidden) == ("< 10", 9, 12, "< 10")
    assert CountRule.of(replace(settings, hide_small_counts=False), exact=False).exact
    assert CountRule.of(settings, exact=True).note() is None
    assert "arrondis à 5 près" in CountRule.of(settings, exact=False).note()


def test_derived_figures_come_from_the_shown_counts():
    # 23 participations over 2 sessions: the reader's average is 20 / 2, never 23 / 2
    assert READER.derived(23, lambda n: n / 2) == 10
    assert READER.derived(3, lambda n: n / 2) == MASKED
    assert READER.derived(None, lambda n: n / 2) is None
    assert READER.derived(0, lambda n: 100 / n) is None
    assert READER.share(3, 40) == MASKED and READER.share(12, 3) == MASKED
    assert READER.share(12, 22) == 0.5 and COORDINATOR.share(12, 22) == 12 / 22   # 10 / 20
    assert READER.derived_text(MASKED, str) == MASKED and READER.derived_text(None, str) == "—"


def test_tables_show_rounded_counts_and_derived_columns_from_them():
    df = pd.DataFrame({"c": ["a", "b", "c"], "people": [48, 2, 52], "sessions": [4, 1, 0]}, index=[5, 6, 7])
    out = READER.table(df, ["people"], shares={"share": "people"}, per={"average": ("people", "sessions")})
    assert out["people"].tolist() == [45, L, 50]
    assert out["share"].tolist() == [0.45, MASKED, 0.5]              # 45 / 100 (102 rounded down)
    assert out["average"].tolist() == [11.3, MASKED, None]           # 45 / 4 = 11,25, half up
    assert out.index.tolist() == [5, 6, 7]
    exact = COORDINATOR.table(df, ["people"], per={"average": ("people", "sessions")})
    assert exact["people"].tolist() == [48, 2, 52]
    assert exact["average"].tolist() == [12.0, 2.0, None]
    halves = pd.DataFrame({"n": [503, 1118], "sessions": [20, 40]})   # 25,15 and 27,95: half up
    assert COORDINATOR.table(halves, ["n"], per={"a": ("n", "sessions")})["a"].tolist() == [25.2, 28.0]


@pytest.fixture
def built(con, settings):
    build_participation_store(con)
    return con, Filters(settings.start, settings.end)


def test_reader_figures_on_built_data(built):
    con, filters = built
    data = p.participation_overview(con, filters)
    by_action = READER.table(data["by_action"], p.ACTION_COUNTS,
                             per={"average_per_session": ("participations", "sessions")}).set_index("action_code")
    # 4, 3 and 1 distinct people: all hidden; 13, 9 and 7 participations: rounded down
    assert by_action["participants"].tolist() == [L, L, L]
    assert by_action["participations"].tolist() == [10, 5, 5]
    regular = READER.table(data["regularity"], p.REGULARITY_COUNTS).set_index("action_code")
    assert regular.loc["A1", "two_to_four"] == L and regular.loc["A1", "five_or_more"] == 0
    by_month = READER.table(data["by_month"], ["participations", "participants"])
    jan = by_month[[m.month == 1 for m in by_month["month"]]].set_index("axe")
    assert (jan.loc["Sport", "participations"], jan.loc["Culture", "participations"]) == (L, 5)   # 1 and 8
    feb = by_month[[m.month == 2 for m in by_month["month"]]].set_index("axe")
    assert feb.loc["Non renseignée", "participations"] == 10   # 13


def test_reader_shares_on_built_data(built, settings):
    con, filters = built
    data = p.publics_overview(con, filters, settings)
    sex = READER.table(data["sex"], ["people"], shares={"share": "people"})
    assert sex["people"].tolist() == [L, L, L]
    assert sex["share"].tolist() == [MASKED] * 3
    qpv = READER.table(data["qpv"], ["people"], shares={"share": "people"})
    assert qpv["people"].tolist() == [L, 0, L]   # Non renseigné is shown as a row, never dropped

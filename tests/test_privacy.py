"""The small-count rule: counts 1–4 hidden as "< 5" for readers, plus a second cell where a
total would give a hidden one back. On hand-made frames and on figures built from a store."""

from __future__ import annotations

import pandas as pd
import pytest

from impact import participation as p
from impact.filters import Filters
from impact.privacy import mask_small_counts, small_count_mask
from tests.test_participation import build_participation_store

L = "< 5"


@pytest.mark.parametrize(("values", "total_row", "expected"), [
    ([10, 3, 20], False, [L, L, "20"]),             # one small: the smallest other one is hidden too
    ([0, 2, 3, 50], False, ["0", L, L, "50"]),      # two small: they protect each other
    ([0, 4, 0], False, ["0", L, "0"]),              # nothing else to hide
    ([10, 3, 20, 33], True, [L, L, "20", "33"]),    # a total row is shown, the body is protected
    ([1, 2, 0, 3], True, [L, L, "0", L]),           # a small total is hidden itself
    ([5, 6, 7], False, ["5", "6", "7"]),
    ([None, 2, 8], False, ["—", L, L]),
])
def test_mask_small_counts(values, total_row, expected):
    df = pd.DataFrame({"n": values})
    assert mask_small_counts(df, ["n"], total_row=total_row)["n"].tolist() == expected


def test_secondary_suppression_within_groups():
    """A stacked bar shows its group's total: each month is protected on its own."""
    df = pd.DataFrame({"month": [1, 1, 2, 2], "n": [10, 2, 30, 40]})
    hidden = small_count_mask(df, ["n"], by=["month"])
    assert hidden["n"].tolist() == [True, True, False, False]
    assert small_count_mask(df, ["n"])["n"].tolist() == [True, True, False, False]   # 10 is the smallest
    df2 = pd.DataFrame({"month": [1, 1, 2, 2], "n": [10, 2, 8, 40]})
    assert small_count_mask(df2, ["n"])["n"].tolist() == [False, True, True, False]
    assert small_count_mask(df2, ["n"], by=["month"])["n"].tolist() == [True, True, False, False]


def test_protect_labels_primary_and_secondary_cells_and_derived_columns():
    df = pd.DataFrame({"c": ["a", "b", "c"], "people": [48, 2, 50], "share": [0.48, 0.02, 0.5]})
    out = p.protect(df, ["people"], exact=False, derived={"share": "people"})
    assert out["people"].tolist() == ["masqué", L, 50]      # 48 is not "< 5": it is masked
    assert out["share"].tolist() == ["masqué", "masqué", 0.5]
    assert p.protect(df, ["people"], exact=True) is df


@pytest.mark.parametrize(("value", "exact", "shown"), [
    (0, False, "0"), (1, False, L), (4, False, L), (5, False, "5"), (3, True, "3"),
    (1234, False, "1\u202f234"), (None, False, "—"),
])
def test_count_label(value, exact, shown):
    assert p.count_label(value, exact) == shown


@pytest.mark.parametrize(("count", "exact", "shown"), [(3, False, "masqué"), (3, True, "50,0\u00a0%"),
                                                       (40, False, "50,0\u00a0%")])
def test_share_label(count, exact, shown):
    assert p.share_label(0.5, count, exact) == shown


def test_cost_and_average_hidden_with_their_count():
    assert p.cost_label(1625.0, 4, exact=False) == "masqué"
    assert p.cost_label(1625.0, 4, exact=True) == "1\u202f625,00\u00a0€"
    assert p.average_label({"participations": 3, "sessions": 2}, exact=False) == "masqué"
    assert p.average_label({"participations": 30, "sessions": 20}, exact=False) == "1,5"


@pytest.fixture
def built(con, settings):
    build_participation_store(con)
    return con, Filters(settings.start, settings.end)


def test_reader_figures_on_built_data(built):
    con, filters = built
    data = p.participation_overview(con, filters)
    by_action = p.protect(data["by_action"], p.ACTION_COUNTS, exact=False,
                          derived={"average_per_session": "participations"}).set_index("action_code")
    # 4, 3 and 1 distinct people: all hidden; 13, 9 and 7 participations: shown
    assert by_action["participants"].tolist() == [L, L, L]
    assert by_action["participations"].tolist() == [13, 9, 7]
    regular = p.protect(data["regularity"], p.REGULARITY_COUNTS, exact=False).set_index("action_code")
    assert regular.loc["A1", "two_to_four"] == L and regular.loc["A1", "five_or_more"] == 0
    # January: Culture 8 and Sport 1 participations; the stacked bar's total would give the 1 back
    by_month = p.protect(data["by_month"], ["participations", "participants"], exact=False, by=["month"])
    jan = by_month[[m.month == 1 for m in by_month["month"]]].set_index("axe")
    assert jan.loc["Sport", "participations"] == L
    assert jan.loc["Culture", "participations"] == "masqué"
    feb = by_month[[m.month == 2 for m in by_month["month"]]].set_index("axe")
    assert feb.loc["Non renseignée", "participations"] == 13   # two small cells protect each other


def test_reader_shares_on_built_data(built, settings):
    con, filters = built
    data = p.publics_overview(con, filters, settings)
    sex = p.protect(data["sex"], ["people"], exact=False, derived={"share": "people"})
    assert sex["people"].tolist() == [L, L, L]
    assert sex["share"].tolist() == ["masqué"] * 3
    qpv = p.protect(data["qpv"], ["people"], exact=False, derived={"share": "people"})
    assert qpv["people"].tolist() == [L, 0, L]   # Non renseigné is shown as a row, never dropped

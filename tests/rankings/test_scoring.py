"""The board's scoring rules on hand-made indicators and stated measures, with the exact points and scores.

Every test switches the seeded indicators off and creates its own; the measures come from `fixed`
(a computation that returns the values the test states). Unless said otherwise an indicator has weight 10,
so a unit's points are 10 × the rule's ratio and, with one indicator, its score is the ratio × 100.
Units: unit A (研创园) and unit B (医药谷) are parks; the office (党政办) is in the bureaus' group.
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.rankings.board import compare, compute_board, list_size
from apps.units.models import Unit

from ..factories import UnitFactory
from .factories import IndicatorFactory, fixed, group_of, only_indicators, row_of

pytestmark = pytest.mark.django_db

MARCH = date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _no_default_indicators(db):
    only_indicators()


def park(short_name: str) -> Unit:
    return UnitFactory(short_name=short_name, name=f"{short_name}园区")


def one_unit_score(monkeypatch, unit, value, **indicator) -> tuple[str, str]:
    """The points and the score of `unit` measured `value` on a single indicator (weight 10)."""
    IndicatorFactory(code="x", computation=fixed(monkeypatch, "t_x", {unit: value}), **indicator)
    row = row_of(compute_board(MARCH), unit)
    return row["cells"]["x"]["points"], row["score"]


# --- linear to target, capped ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cap, value, target, points, score",
    [
        ("1.00", "90", "90", "10.00", "100.0"),  # exactly at target: full weight
        ("1.00", "45", "90", "5.00", "50.0"),  # half the target: half the weight
        ("1.00", "99.5", "90", "10.00", "100.0"),  # above target: capped at the weight
        ("1.00", "0", "90", "0.00", "0.0"),
        ("1.20", "110", "100", "11.00", "110.0"),  # cap 1.2: credit above the target ...
        ("1.20", "120", "100", "12.00", "120.0"),  # ... up to 120 % ...
        ("1.20", "150", "100", "12.00", "120.0"),  # ... and no further
    ],
)
def test_linear_scores_value_over_target_capped(monkeypatch, unit_a, cap, value, target, points, score):
    assert one_unit_score(monkeypatch, unit_a, value, target=Decimal(target), cap=Decimal(cap)) == (
        points,
        score,
    )


@pytest.mark.parametrize(
    "cap, value, points, score",
    [
        ("1.00", "20", "5.00", "50.0"),  # twice the target: half the weight
        ("1.00", "40", "2.50", "25.0"),
        ("1.00", "10", "10.00", "100.0"),  # exactly at target
        ("1.00", "5", "10.00", "100.0"),  # better than target: capped
        ("1.00", "0", "10.00", "100.0"),  # nothing late at all: the cap, no division by zero
        ("1.20", "5", "12.00", "120.0"),
        ("1.20", "0", "12.00", "120.0"),
    ],
)
def test_lower_is_better_scores_target_over_value(monkeypatch, unit_a, cap, value, points, score):
    assert one_unit_score(
        monkeypatch, unit_a, value, direction="lower", target=Decimal("10"), cap=Decimal(cap)
    ) == (points, score)


# --- relative to the best of the peer group ------------------------------------------------------------


def test_relative_gives_the_best_of_the_group_full_weight_and_half_of_best_half(
    monkeypatch, unit_a, unit_b, office
):
    c = park("江北园")
    # The office (bureaus) measures twice unit A's value: it is not in the parks' group, so not their best.
    values = {unit_a: "40", unit_b: "20", c: "10", office: "80"}
    IndicatorFactory(
        code="x", rule="relative", cap=Decimal("1.20"), target=Decimal("20"),
        computation=fixed(monkeypatch, "t_x", values), peer_groups=["bureaus", "parks"],
    )  # fmt: skip
    board = compute_board(MARCH)
    assert [(r["unit"], r["cells"]["x"]["points"], r["score"]) for r in group_of(board, "parks")["rows"]] == [
        ("研创园", "10.00", "100.0"),  # the best: full weight, never the cap (1.2)
        ("医药谷", "5.00", "50.0"),
        ("江北园", "2.50", "25.0"),
    ]
    assert row_of(board, office)["cells"]["x"]["points"] == "10.00"  # the best of its own group


def test_relative_lower_is_better_scores_best_over_value(monkeypatch, unit_a, unit_b):
    c = park("江北园")
    IndicatorFactory(
        code="x", rule="relative", direction="lower",
        computation=fixed(monkeypatch, "t_x", {unit_a: "5", unit_b: "10", c: "20"}),
    )  # fmt: skip
    board = compute_board(MARCH)
    assert [(r["unit"], r["cells"]["x"]["points"]) for r in group_of(board, "parks")["rows"]] == [
        ("研创园", "10.00"),
        ("医药谷", "5.00"),
        ("江北园", "2.50"),
    ]


def test_relative_with_a_best_of_zero_never_gives_more_than_the_weight(monkeypatch, unit_a, unit_b):
    """Lower is better and unit A has nothing stale (0): it is the best, so it gets the weight — not the cap
    of a linear indicator; unit B, worse than a perfect best, gets nothing."""
    IndicatorFactory(
        code="x", rule="relative", direction="lower", cap=Decimal("1.20"),
        computation=fixed(monkeypatch, "t_x", {unit_a: "0", unit_b: "10"}),
    )  # fmt: skip
    board = compute_board(MARCH)
    assert (row_of(board, unit_a)["cells"]["x"]["points"], row_of(board, unit_a)["score"]) == (
        "10.00",
        "100.0",
    )
    assert row_of(board, unit_b)["cells"]["x"]["points"] == "0.00"


# --- zero below a threshold -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, points, score",
    [
        ("59.9", "0.00", "0.0"),  # just below the threshold: nothing
        ("60", "6.32", "63.2"),  # exactly at it: linear, 60 ÷ 95
        ("95", "10.00", "100.0"),
        ("99", "10.00", "100.0"),
    ],
)
def test_threshold_gives_zero_below_it_and_linear_from_it(monkeypatch, unit_a, value, points, score):
    assert one_unit_score(
        monkeypatch, unit_a, value, rule="threshold", threshold=Decimal("60"), target=Decimal("95")
    ) == (points, score)


@pytest.mark.parametrize("value, points", [("30.1", "0.00"), ("30", "3.33"), ("10", "10.00")])
def test_threshold_when_lower_is_better_gives_zero_above_it(monkeypatch, unit_a, value, points):
    assert one_unit_score(
        monkeypatch, unit_a, value, rule="threshold", direction="lower", threshold=Decimal("30"),
        target=Decimal("10"),
    )[0] == points  # fmt: skip


# --- not applicable: the weight goes to the other indicators ---------------------------------------------


def test_not_applicable_weight_is_redistributed_to_the_remaining_indicators(monkeypatch, unit_a, unit_b):
    c, d = park("江北园"), park("新城园")
    # x (weight 20) and y (weight 10), both linear to 100.
    IndicatorFactory(code="x", weight=Decimal("20"), computation=fixed(monkeypatch, "t_x",
                     {unit_a: "50", unit_b: "50", d: None}))  # fmt: skip
    IndicatorFactory(code="y", computation=fixed(monkeypatch, "t_y", {unit_a: None, unit_b: "100", c: "30"}))
    board = compute_board(MARCH)
    a, b = row_of(board, unit_a), row_of(board, unit_b)
    assert a["cells"]["y"] == {"na": True, "num": "0", "den": "0", "few": False}
    assert a["score"] == "50.0"  # 10 points of the 20 that apply — not 10 of 30 (33.3)
    assert b["score"] == "66.7"  # (10 + 10) of 30
    # not measured by x at all: 10 of the group's 30 weight applies, less than half — 样本不足, unranked
    assert (row_of(board, c)["score"], row_of(board, c)["insufficient"]) == (None, True)
    assert (row_of(board, d)["score"], row_of(board, d)["insufficient"]) == (None, True)
    parks = group_of(board, "parks")
    assert [(r["unit"], r["rank"]) for r in parks["rows"]] == [
        ("医药谷", 1),
        ("研创园", 2),
        ("新城园", None),
        ("江北园", None),
    ]
    assert (parks["red"], parks["black"]) == ([], [])  # two ranked units: no list


# --- too few cases: not applicable; too little weight measured: 样本不足 ---------------------------------


def test_an_indicator_with_fewer_cases_than_its_minimum_is_not_applicable_to_that_unit(
    monkeypatch, unit_a, unit_b
):
    # x (weight 20, at least 5 cases): A measured on 4 requests, B on 5; y (weight 20) both on plenty.
    IndicatorFactory(code="x", weight=Decimal("20"), min_cases=5, computation=fixed(monkeypatch, "t_x",
                     {unit_a: ("100", 4), unit_b: ("50", 5)}))  # fmt: skip
    IndicatorFactory(code="y", weight=Decimal("20"), computation=fixed(monkeypatch, "t_y",
                     {unit_a: ("50", 9), unit_b: ("50", 9)}))  # fmt: skip
    board = compute_board(MARCH)
    a, b = row_of(board, unit_a), row_of(board, unit_b)
    assert a["cells"]["x"] == {"na": True, "num": "0", "den": "0", "few": True}
    assert (a["score"], a["insufficient"]) == ("50.0", False)  # y alone: half the weight is enough
    assert b["cells"]["x"]["points"] == "10.00"  # five cases: measured
    assert b["score"] == "50.0"
    assert board["indicators"][0]["min_cases"] == 5


def test_a_unit_with_less_than_half_its_weight_measured_has_too_small_a_sample(monkeypatch, unit_a, unit_b):
    # x weight 20, y weight 10, z weight 10 (40 in all): A is measured on y only (10 of 40), B on x (20).
    for code, weight, values in (
        ("x", "20", {unit_a: ("100", 2), unit_b: ("80", 8)}),
        ("y", "10", {unit_a: ("100", 8), unit_b: ("80", 8)}),
        ("z", "10", {unit_a: ("100", 1), unit_b: ("80", 1)}),
    ):
        IndicatorFactory(code=code, weight=Decimal(weight), min_cases=5,
                         computation=fixed(monkeypatch, f"t_{code}", values))  # fmt: skip
    board = compute_board(MARCH)
    a, b = row_of(board, unit_a), row_of(board, unit_b)
    assert (a["score"], a["rank"], a["insufficient"], a["all_met"]) == (None, None, True, False)
    assert (b["score"], b["rank"], b["insufficient"]) == ("80.0", 1, False)  # 30 of 40 measured
    assert group_of(board, "parks")["black"] == []  # one ranked unit: no list, and 样本不足 is on none


# --- ties and peer groups ----------------------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_is_skipped(monkeypatch, unit_a, unit_b):
    c, d = park("江北园"), park("新城园")
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", {unit_a: "90", unit_b: "80", c: "80", d: "70"}))
    rows = group_of(compute_board(MARCH), "parks")["rows"]
    assert [(r["unit"], r["score"], r["rank"]) for r in rows] == [
        ("研创园", "90.0", 1),
        ("医药谷", "80.0", 2),
        ("江北园", "80.0", 2),
        ("新城园", "70.0", 4),
    ]


def six_parks(unit_a, unit_b):
    return [unit_a, unit_b, *(park(name) for name in ("江北园", "新城园", "智造园", "软件园"))]


def test_a_tie_at_the_top_shares_the_rank_but_the_red_list_names_no_more_than_two(
    monkeypatch, unit_a, unit_b
):
    """The defect seen on the live board: all six parks on the red list at equal points."""
    parks_ = six_parks(unit_a, unit_b)
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", dict.fromkeys(parks_, "3.3")))
    parks = group_of(compute_board(MARCH), "parks")
    assert [r["rank"] for r in parks["rows"]] == [1] * 6
    assert (parks["red"], parks["black"]) == ([], [])  # all tied at the cut, nothing to tell them apart


def test_a_tie_at_the_red_cut_goes_to_the_unit_that_met_more_indicators(monkeypatch, unit_a, unit_b):
    top, a, b, low1, low2, low3 = six_parks(unit_a, unit_b)
    # x and y: weight 10, target 50, capped at 2 × target. A meets both (10 + 10 points), B only x (20 + 0):
    # equal scores, equal rank; B has more points on the heaviest indicator (x, first of two of equal
    # weight), but A met more indicators.
    x = {top: "100", a: "50", b: "100", low1: "30", low2: "20", low3: "10"}
    y = {top: "100", a: "50", b: "0", low1: "30", low2: "20", low3: "10"}
    for code, values in (("x", x), ("y", y)):
        IndicatorFactory(code=code, target=Decimal("50"), cap=Decimal("2.00"),
                         computation=fixed(monkeypatch, f"t_{code}", values))  # fmt: skip
    board = compute_board(MARCH)
    assert (row_of(board, a)["score"], row_of(board, a)["rank"]) == ("100.0", 2)
    assert (row_of(board, b)["score"], row_of(board, b)["rank"]) == ("100.0", 2)
    parks = group_of(board, "parks")
    assert parks["red"] == [top.pk, a.pk]
    assert parks["black"] == [low3.pk, low2.pk]


def test_a_tie_at_the_cut_with_as_many_indicators_met_goes_to_the_heaviest_indicators_points(
    monkeypatch, unit_a, unit_b
):
    top, a, b, low1, low2, low3 = six_parks(unit_a, unit_b)
    # x weight 20, y weight 10, both to 100: A 100 and 50 (20 + 5), B 75 and 100 (15 + 10): 25 of 30 each,
    # one indicator met each; A has more points on x, the heavier.
    x = {top: "100", a: "100", b: "75", low1: "30", low2: "20", low3: "10"}
    y = {top: "100", a: "50", b: "100", low1: "30", low2: "20", low3: "10"}
    IndicatorFactory(code="x", weight=Decimal("20"), computation=fixed(monkeypatch, "t_x", x))
    IndicatorFactory(code="y", computation=fixed(monkeypatch, "t_y", y))
    board = compute_board(MARCH)
    assert row_of(board, a)["score"] == row_of(board, b)["score"] == "83.3"
    assert group_of(board, "parks")["red"] == [top.pk, a.pk]


def test_units_still_tied_at_the_cut_are_left_off_the_list(monkeypatch, unit_a, unit_b):
    top, a, b, c, low1, low2 = six_parks(unit_a, unit_b)
    values = {top: "95", a: "90", b: "90", c: "80", low1: "70", low2: "70"}
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", values))
    parks = group_of(compute_board(MARCH), "parks")
    assert [r["rank"] for r in parks["rows"]] == [1, 2, 2, 4, 5, 5]
    assert parks["red"] == [top.pk]  # A and B tie for the second place: neither is named
    assert sorted(parks["black"]) == sorted([low1.pk, low2.pk])  # two places, two tied units: both fit


def test_a_tie_at_the_bottom_of_a_small_group_names_nobody(monkeypatch, unit_a, unit_b):
    c, d = park("江北园"), park("新城园")
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", {unit_a: "90", unit_b: "80", c: "70", d: "70"}))
    parks = group_of(compute_board(MARCH), "parks")
    assert [r["rank"] for r in parks["rows"]] == [1, 2, 3, 3]
    assert parks["red"] == [unit_a.pk]
    assert parks["black"] == []  # one place, two units tied for it with nothing to tell them apart


def test_units_are_ranked_only_within_their_peer_group(monkeypatch, unit_a, unit_b, office):
    street = UnitFactory(short_name="顶山街道", kind="street", peer_group="streets")
    # p applies to parks only; q to parks and bureaus; none to streets.
    IndicatorFactory(code="p", computation=fixed(monkeypatch, "t_p",
                     {unit_a: "100", unit_b: "50", office: "100", street: "100"}))  # fmt: skip
    IndicatorFactory(code="q", peer_groups=["parks", "bureaus"], computation=fixed(monkeypatch, "t_q",
                     {unit_a: "50", unit_b: "80", office: "20", street: "100"}))  # fmt: skip
    board = compute_board(MARCH)
    assert [g["group"] for g in board["groups"]] == ["bureaus", "parks"]  # no indicator for streets
    bureaus, parks = group_of(board, "bureaus"), group_of(board, "parks")
    assert bureaus["indicators"] == ["q"]  # p does not apply to bureaus: absent, not "n/a"
    assert [(r["unit"], r["score"], r["rank"], sorted(r["cells"])) for r in bureaus["rows"]] == [
        ("党政办", "20.0", 1, ["q"]),  # ranked first among its peers with a lower score than any park
    ]
    assert sorted(parks["indicators"]) == ["p", "q"]
    assert [(r["unit"], r["score"], r["rank"]) for r in parks["rows"]] == [
        ("研创园", "75.0", 1),  # (10 + 5) of 20
        ("医药谷", "65.0", 2),  # (5 + 8) of 20
    ]
    assert street.pk not in {r["unit_id"] for g in board["groups"] for r in g["rows"]}


# --- red and black lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ranked, size", [(1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (7, 2), (30, 2)])
def test_list_size_is_none_below_three_ranked_units_one_below_six_and_two_from_six(ranked, size):
    assert list_size(ranked) == size


def test_red_and_black_lists_name_one_each_in_a_small_group(monkeypatch, unit_a, unit_b):
    c = park("江北园")
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", {unit_a: "60", unit_b: "90", c: "30"}))
    parks = group_of(compute_board(MARCH), "parks")
    assert (parks["red"], parks["black"]) == ([unit_b.pk], [c.pk])


def test_red_and_black_lists_name_two_each_from_six_ranked_units(monkeypatch, unit_a, unit_b):
    c, d, e, f = (park(name) for name in ("江北园", "新城园", "智造园", "软件园"))
    values = {unit_a: "95", unit_b: "90", c: "80", d: "70", e: "60", f: "50"}
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", values))
    parks = group_of(compute_board(MARCH), "parks")
    assert parks["red"] == [unit_a.pk, unit_b.pk]
    assert parks["black"] == [f.pk, e.pk]  # the bottom first


def test_six_units_of_which_one_is_unranked_get_lists_of_one(monkeypatch, unit_a, unit_b):
    c, d, e, f = (park(name) for name in ("江北园", "新城园", "智造园", "软件园"))
    values = {unit_a: "95", unit_b: "90", c: "80", d: "70", e: "60", f: None}
    IndicatorFactory(computation=fixed(monkeypatch, "t_x", values))
    parks = group_of(compute_board(MARCH), "parks")
    assert len(parks["rows"]) == 6
    assert (parks["red"], parks["black"]) == ([unit_a.pk], [e.pk])


def test_a_unit_that_met_every_target_is_never_on_the_black_list(monkeypatch, unit_a, unit_b):
    c = park("江北园")
    # Target 50, cap 2: every unit meets it, the scores still differ (200, 160, 120).
    IndicatorFactory(
        target=Decimal("50"), cap=Decimal("2.00"),
        computation=fixed(monkeypatch, "t_x", {unit_a: "100", unit_b: "80", c: "60"}),
    )  # fmt: skip
    parks = group_of(compute_board(MARCH), "parks")
    assert [(r["unit"], r["score"], r["all_met"]) for r in parks["rows"]] == [
        ("研创园", "200.0", True),
        ("医药谷", "160.0", True),
        ("江北园", "120.0", True),
    ]
    assert (parks["red"], parks["black"]) == ([unit_a.pk], [])


def test_a_unit_that_missed_one_target_can_be_on_the_black_list(monkeypatch, unit_a, unit_b):
    c = park("江北园")
    IndicatorFactory(
        target=Decimal("50"), cap=Decimal("2.00"),
        computation=fixed(monkeypatch, "t_x", {unit_a: "100", unit_b: "80", c: "49.9"}),
    )  # fmt: skip
    board = compute_board(MARCH)
    assert (row_of(board, c)["score"], row_of(board, c)["all_met"]) == ("99.8", False)
    assert group_of(board, "parks")["black"] == [c.pk]


# --- rank change and why it moved --------------------------------------------------------------------------


def why(code, delta, before, after):
    """A reason as compare() keeps it: with the indicator's name and measure, to be read in words."""
    return {"code": code, "name": f"指标 {code}", "measure": "%", "delta": delta, "from": before, "to": after}


def test_compare_gives_the_rank_change_and_the_indicators_that_moved_the_score(monkeypatch, unit_a, unit_b):
    c = park("江北园")

    def x(start, end):  # February: A 90, B 60, C nothing; March: A 50, B 80, C 70
        return {2: {unit_a: "90", unit_b: "60"}, 3: {unit_a: "50", unit_b: "80", c: "70"}}[start.month]

    def y(start, end):  # A and B 100 in both months; C measured from March only
        return {unit_a: "100", unit_b: "100", **({c: "100"} if start.month == 3 else {})}

    IndicatorFactory(code="x", computation=fixed(monkeypatch, "t_x", x))
    IndicatorFactory(code="y", computation=fixed(monkeypatch, "t_y", y))
    february, march = compute_board(date(2024, 2, 1)), compute_board(MARCH)
    assert [(r["unit"], r["score"], r["rank"]) for r in group_of(february, "parks")["rows"]] == [
        ("研创园", "95.0", 1),
        ("医药谷", "80.0", 2),
        ("江北园", None, None),
    ]
    compare(march, february)
    moves = [
        (r["unit"], r["score"], r["rank"], r["move"], r["delta"], r["why"])
        for r in group_of(march, "parks")["rows"]
    ]
    assert moves == [
        ("医药谷", "90.0", 1, "up", 1, [why("x", "2.00", "60", "80")]),
        ("江北园", "85.0", 2, "new", None, [why("y", "10.00", None, "100"), why("x", "7.00", None, "70")]),
        ("研创园", "75.0", 3, "down", -2, [why("x", "-4.00", "90", "50")]),
    ]  # fmt: skip

"""Computing a month's board: values per unit and indicator, points, weighted score, ranks within each peer
group, red and black lists. The result is plain JSON, so that a published board is a frozen copy of it.

Scoring (each indicator gives a ratio between 0 and its cap, multiplied by its weight):
- linear: value ÷ target (target ÷ value when lower is better), capped;
- relative: value ÷ the best value of the peer group (best ÷ value when lower is better);
- threshold: 0 below the threshold (above it, when lower is better), otherwise as linear.
An indicator is not applicable to a unit when it has nothing to measure, or fewer cases than the indicator's
minimum (`min_cases`, default 5: a rate of one request says nothing); the unit's score is its points ÷ the
weights that apply to it × 100, so the weight goes to its other indicators instead of scoring zero. A unit
to which less than half of its group's weight applies has too small a sample (样本不足): no score, no rank.

Ties share a rank (1, 2, 2, 4). The red and the black list each name at most two units of a group of six or
more ranked units, one of a group of three to five, none of a smaller group. Where the cut falls between
units of equal score, the tie is broken by more indicators met, then more points on the group's heaviest
indicator; units still tied at the cut are left off the list rather than naming more. A unit that met every
target is never on the black list, and no unit is on both.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Collection
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from apps.core.batch import gather, run
from apps.units.models import Unit

from .computations import COMPUTATIONS
from .models import Indicator


def list_size(ranked: int) -> int:
    """How many units the red and the black list each name at most: two in a group of six or more ranked
    units, one in a group of three to five, none in a smaller group."""
    return 2 if ranked >= 6 else 1 if ranked >= 3 else 0


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


ONE = Decimal(1)


def month_bounds(month: date) -> tuple[date, date]:
    return date(month.year, month.month, 1), date(
        month.year, month.month, calendar.monthrange(month.year, month.month)[1]
    )


CAMPAIGN_ORDER = [c for c, _label in Indicator.Campaign.choices]


def indicators_for(month: date, indicators: list[Indicator] | None = None) -> list[Indicator]:
    """The indicators in force in `month`, in campaign order (serving enterprises first); from `indicators`
    (those in force by a later month) when given, without a query."""
    _start, end = month_bounds(month)
    if indicators is None:
        indicators = Indicator.objects.filter(is_active=True, valid_from__lte=end).filter(~Q(weight=0))
    else:
        indicators = [i for i in indicators if i.valid_from <= end]
    return sorted(indicators, key=lambda i: (CAMPAIGN_ORDER.index(i.campaign), -i.weight, i.code))


def _ratio(ind: Indicator, value: Decimal, best: Decimal | None) -> Decimal:
    lower = ind.direction == Indicator.Direction.LOWER
    if ind.rule == Indicator.Rule.THRESHOLD and ind.threshold is not None:
        worse_than_threshold = value > ind.threshold if lower else value < ind.threshold
        if worse_than_threshold:
            return Decimal(0)
    reference = best if ind.rule == Indicator.Rule.RELATIVE else ind.target
    # The best of a peer group gets the full weight, never more: the cap is for linear scoring only.
    limit = ONE if ind.rule == Indicator.Rule.RELATIVE else ind.cap
    if not reference:
        return limit if not lower or value == 0 else Decimal(0)
    ratio = (reference / value if value else limit) if lower else value / reference
    return max(Decimal(0), min(ratio, limit))


def _met(ind: Indicator, value: Decimal) -> bool:
    return value <= ind.target if ind.direction == Indicator.Direction.LOWER else value >= ind.target


def compute_board(month: date) -> dict:
    return compute_boards([month])[month]


def compute_boards(months: list[date], groups: Collection[str] | None = None) -> dict[date, dict]:
    """The boards of `months` (a month and the one before it, for the live board) in three queries: the
    indicators, the units, and every computation of every month in one round trip. With `groups` (peer
    groups), only those groups are ranked, from their own units' rows: a group is ranked among itself, and
    a page shows one group at a time."""
    in_force = indicators_for(max(months))
    per_month = {month: indicators_for(month, in_force) for month in months}
    # (pk, short_name, peer_group) rows: a province has hundreds of units
    everyone = list(Unit.objects.active().values_list("pk", "short_name", "peer_group", named=True))
    units = everyone if groups is None else [u for u in everyone if u.peer_group in groups]
    unit_ids = None if groups is None else [u.pk for u in units]
    used = {
        month: {i.computation for i in indicators if groups is None or set(i.peer_groups) & set(groups)}
        for month, indicators in per_month.items()
    }
    # computations with the same rows share one plan (the four request rates ask one query)
    sources = {(month, COMPUTATIONS[key].rows) for month, keys in used.items() for key in keys}
    names = {source: f"{source[0]:%Y_%m}_{n}" for n, source in enumerate(sources)}
    got = run(gather(**{names[(m, rows)]: rows(*month_bounds(m), unit_ids) for m, rows in sources}))
    measures = {
        month: {
            key: COMPUTATIONS[key].measure(got[names[(month, COMPUTATIONS[key].rows)]], *month_bounds(month))
            for key in keys
        }
        for month, keys in used.items()
    }
    return {month: _board(month, per_month[month], measures[month], units, everyone) for month in months}


def _peer_groups(indicators: list[Indicator], units: list) -> list[dict]:
    """Every peer group the board ranks (it has units and indicators that apply to it), for the tabs."""
    sizes = Counter(u.peer_group for u in units)
    return [
        {"group": group, "label": str(label), "units": sizes[group]}
        for group, label in Unit.PeerGroup.choices
        if sizes[group] and any(group in i.peer_groups for i in indicators)
    ]


def _board(month: date, indicators: list[Indicator], measures: dict, units: list, everyone: list) -> dict:
    start, _end = month_bounds(month)
    groups = []
    for group, label in Unit.PeerGroup.choices:
        members = [u for u in units if u.peer_group == group]
        applicable = [i for i in indicators if group in i.peer_groups]
        if not members or not applicable:  # (members: of the groups asked for)
            continue
        best = {}
        for ind in applicable:
            values = [measures[ind.computation].get(u.pk, (None, 0, 0))[0] for u in members]
            values = [v for v in values if v is not None]
            if values:
                best[ind.code] = min(values) if ind.direction == Indicator.Direction.LOWER else max(values)
        heaviest = max(applicable, key=lambda i: i.weight)  # the first of the heaviest, in board order
        total_weight = sum(i.weight for i in applicable)
        rows = []
        for unit in members:
            cells, points_sum, weight_sum, met_count = {}, Decimal(0), Decimal(0), 0
            all_met = True
            for ind in applicable:
                value, num, den, *more = measures[ind.computation].get(unit.pk, (None, 0, 0))
                cases = more[0] if more else den  # a measure may count its cases apart (an amount's projects)
                if value is None or cases < ind.min_cases:
                    cells[ind.code] = {"na": True, "num": str(num), "den": str(den),
                                       "few": value is not None}  # fmt: skip
                    continue
                points = (ind.weight * _ratio(ind, value, best.get(ind.code))).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )
                met = _met(ind, value)
                all_met &= met
                met_count += met
                points_sum += points
                weight_sum += ind.weight
                cells[ind.code] = {"na": False, "value": str(value), "num": str(num), "den": str(den),
                                   "points": str(points), "met": met}  # fmt: skip
            insufficient = weight_sum * 2 < total_weight
            score = (
                None
                if insufficient
                else (points_sum / weight_sum * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
            )
            heaviest_cell = cells[heaviest.code]
            rows.append({"unit_id": unit.pk, "unit": unit.short_name, "score": score, "cells": cells,
                         "all_met": all_met and not insufficient, "insufficient": insufficient,
                         "_tie": (met_count, Decimal(heaviest_cell.get("points", "0")))})  # fmt: skip
        _rank(rows)
        red, black = _lists([r for r in rows if r["score"] is not None])
        for r in rows:
            r["score"] = None if r["score"] is None else str(r["score"])
            del r["_tie"]
        groups.append({"group": group, "label": str(label), "indicators": [i.code for i in applicable],
                       "rows": rows, "red": red, "black": black})  # fmt: skip
    return {
        "month": f"{start:%Y-%m}",
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "campaign": i.campaign,
                "definition": i.definition,
                "direction": i.direction,
                "measure": i.measure,
                "weight": str(i.weight),
                "target": str(i.target),
                "rule": i.rule,
                "computation": i.computation,
                "min_cases": i.min_cases,
                "version": i.version,
            }
            for i in indicators
        ],  # fmt: skip
        "groups": groups,
        "peer_groups": _peer_groups(indicators, everyone),
    }


def _lists(ranked: list[dict]) -> tuple[list[int], list[int]]:
    """The red and the black list of a group's ranked rows (module docstring): at most `list_size` each,
    ties at the cut broken by indicators met then the heaviest indicator's points, else left off."""
    size = list_size(len(ranked))

    def key(row):
        return (row["score"], *row["_tie"])

    best_first = sorted(ranked, key=key, reverse=True)
    red = _cut(best_first, size, key)
    worst_first = [r for r in reversed(best_first) if not r["all_met"] and r["unit_id"] not in red]
    return red, _cut(worst_first, size, key)


def _cut(ordered: list[dict], size: int, key) -> list[int]:
    """The first `size` units of `ordered`, without those tied with the first unit left out."""
    named = ordered[:size]
    if len(ordered) > size and named:
        left_out = key(ordered[size])
        named = [r for r in named if key(r) != left_out]
    return [r["unit_id"] for r in named]


def _rank(rows: list[dict]) -> None:
    """Competition ranking by score, highest first; units without a score come last, unranked."""
    scored = sorted((r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["unit"]))
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        if row["score"] != previous:
            rank, previous = position, row["score"]
        row["rank"] = rank
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["unit"]))
    for row in rows:
        row.setdefault("rank", None)


def compare(board: dict, previous: dict | None) -> None:
    """Add each row's rank change against last month — "up", "down", "same" or "new", and by how many
    places — and the (at most three) indicators whose points changed most, with the indicator's name and
    measure, so that "why it moved" reads in words and a published board keeps it as it was said."""
    board["compared_with"] = previous["month"] if previous else None
    indicators = {i["code"]: i for i in board["indicators"]}
    last = {}
    if previous:
        for group in previous["groups"]:
            for row in group["rows"]:
                last[row["unit_id"]] = row
    for group in board["groups"]:
        for row in group["rows"]:
            before = last.get(row["unit_id"])
            if before is None or before.get("rank") is None or row["rank"] is None:
                row["move"], row["delta"] = "new", None
            else:
                row["delta"] = before["rank"] - row["rank"]
                row["move"] = "up" if row["delta"] > 0 else "down" if row["delta"] < 0 else "same"
            changes = []
            for code, cell in row["cells"].items():
                old = (before or {}).get("cells", {}).get(code, {})
                new_points = Decimal(cell.get("points", "0")) if not cell["na"] else Decimal(0)
                old_points = Decimal(old.get("points", "0")) if old and not old.get("na") else Decimal(0)
                if new_points != old_points:
                    indicator = indicators.get(code, {})
                    changes.append({"code": code, "name": indicator.get("name", code),
                                    "measure": indicator.get("measure", ""),
                                    "delta": str(new_points - old_points),
                                    "from": old.get("value"), "to": cell.get("value")})  # fmt: skip
            changes.sort(key=lambda c: -abs(Decimal(c["delta"])))
            row["why"] = changes[:3]

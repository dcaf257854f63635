"""Factories and helpers for the ranking tests.

`IndicatorFactory` writes an indicator directly (the seeded defaults stay unless a test switches them off with
`only_indicators()`); `fixed` replaces a computation of the library by one that returns the values a test
states, so a scoring rule is checked on exact numbers without building records.

The tests' datasets hold a handful of cases per unit, so their indicators measure a unit from one case
(`min_cases=1`) unless a test of the minimum says otherwise; the product's default is 5.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from apps.rankings.computations import COMPUTATIONS, Computation
from apps.rankings.models import Indicator


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"test-{n}")
    name = factory.LazyAttribute(lambda o: f"指标 {o.code}")
    campaign = Indicator.Campaign.SERVICE
    computation = "service_closure_rate"
    definition = "测试指标的分子、分母与统计口径。"
    direction = Indicator.Direction.HIGHER
    measure = "%"
    weight = Decimal("10")
    target = Decimal("100")
    rule = Indicator.Rule.LINEAR
    cap = Decimal("1.00")
    threshold = None
    min_cases = 1
    peer_groups = factory.LazyFunction(lambda: ["parks"])
    valid_from = date(2024, 1, 1)


def only_indicators(*codes: str, min_cases: int = 1) -> None:
    """Switch off every indicator but `codes` (the seeded defaults included); those measure a unit from
    `min_cases` cases."""
    Indicator.objects.exclude(code__in=codes).update(is_active=False)
    Indicator.objects.filter(code__in=codes).update(min_cases=min_cases)


def fixed(monkeypatch, key: str, values) -> str:
    """Register computation `key` measuring `values`: {unit: "12.5" | None} (None: nothing to measure), or
    a callable (start, end) → that dict, for boards that differ from month to month. Units missing from the
    dict are not measured at all (also "not applicable"). A value is measured on one case, or on n cases
    when given as ("12.5", n)."""

    def rows(start, end, units):
        yield from ()  # a plan that asks nothing
        return values(start, end) if callable(values) else values

    def measured(v):  # (value, numerator, denominator, cases)
        value, cases = v if isinstance(v, tuple) else (v, 1)  # one case: the factory's minimum
        return (None if value is None else Decimal(value), 0, 0, cases)

    def measure(chosen, start, end):
        return {getattr(unit, "pk", unit): measured(v) for unit, v in chosen.items()}

    monkeypatch.setitem(
        COMPUTATIONS,
        key,
        Computation(f"test {key}", rows, measure, lambda start, end: "/drill/{unit}/"),
    )
    return key


def group_of(board: dict, name: str) -> dict:
    (group,) = [g for g in board["groups"] if g["group"] == name]
    return group


def row_of(board: dict, unit) -> dict:
    (row,) = [r for g in board["groups"] for r in g["rows"] if r["unit_id"] == unit.pk]
    return row


def frozen_indicators(names) -> list[dict]:
    """Indicators as a published board keeps them, one per name (codes i0, i1 …): weight 10, target 90 %."""
    return [
        {"code": f"i{n}", "name": name, "campaign": "service", "definition": f"{name}的口径。",
         "direction": "higher", "measure": "%", "weight": "10.00", "target": "90.00", "rule": "linear",
         "computation": "service_closure_rate", "min_cases": 5, "version": 1}
        for n, name in enumerate(names)
    ]  # fmt: skip

"""Factories and helpers for the ranking tests.

`IndicatorFactory` writes an indicator directly (the seeded defaults stay unless a test switches them off with
`only_indicators()`); `fixed` replaces a computation of the library by one that returns the values a test
states, so a scoring rule is checked on exact numbers without building records.
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
    peer_groups = factory.LazyFunction(lambda: ["parks"])
    valid_from = date(2024, 1, 1)


def only_indicators(*codes: str) -> None:
    """Switch off every indicator but `codes` (the seeded defaults included)."""
    Indicator.objects.exclude(code__in=codes).update(is_active=False)


def fixed(monkeypatch, key: str, values) -> str:
    """Register computation `key` measuring `values`: {unit: "12.5" | None} (None: nothing to measure), or
    a callable (start, end) → that dict, for boards that differ from month to month. Units missing from the
    dict are not measured at all (also "not applicable")."""

    def rows(start, end, units):
        yield from ()  # a plan that asks nothing
        return values(start, end) if callable(values) else values

    def measure(chosen, start, end):
        return {
            getattr(unit, "pk", unit): (None if v is None else Decimal(v), 0, 0) for unit, v in chosen.items()
        }

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

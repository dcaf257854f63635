"""Factories and helpers for campaign 3 (research to production).

Entities, results, carriers and matches are written directly for lists, figures and suggestions (like
campaign 1's VisitFactory); the tests of the write paths call `apps.research.services` themselves, and the
helpers below go through the services so that every status change has its event row. Areas are Decimal m²,
given as strings so that no float ever gets near them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from apps.research import rollups, services
from apps.research.models import Carrier, Entity, Match, Result

from ..factories import UnitFactory, UserFactory
from ..service.factories import local

# Every match status reached from "proposed" through the services, one step at a time.
MATCH_PATHS = {
    Match.Status.PROPOSED: [],
    Match.Status.CONTACTED: [Match.Status.CONTACTED],
    Match.Status.NEGOTIATING: [Match.Status.CONTACTED, Match.Status.NEGOTIATING],
    Match.Status.LANDED: [Match.Status.CONTACTED, Match.Status.NEGOTIATING, Match.Status.LANDED],
    Match.Status.FAILED: [Match.Status.FAILED],
}
# Every result status reached from "catalogued" with `result_transition` alone.
RESULT_PATHS = {
    Result.Status.CATALOGUED: [],
    Result.Status.MATCHING: [Result.Status.MATCHING],
    Result.Status.LANDED: [Result.Status.MATCHING, Result.Status.LANDED],
    Result.Status.SHELVED: [Result.Status.SHELVED],
}
REASON = "企业暂无扩产计划"
LANDED_HOW = "入驻研创园孵化器A座，技术转让落地"


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    name = factory.Sequence(lambda n: f"南京测试研究院{n:03d}")
    type = Entity.Type.INSTITUTE
    unit = factory.SubFactory(UnitFactory)
    park = None
    fields = "集成电路"


class ResultFactory(factory.django.DjangoModelFactory):
    """A result written directly, with no event rows: for lists, figures and suggestions."""

    class Meta:
        model = Result

    title = factory.Sequence(lambda n: f"测试成果{n:03d}")
    entity = factory.SubFactory(EntityFactory, unit=factory.SelfAttribute("..unit"))
    industry = "C"
    type = Result.Type.PATENT
    maturity = Result.Maturity.PILOT
    landing_mode = Result.Landing.TRANSFER
    unit = factory.SubFactory(UnitFactory)
    catalogued_on = date(2024, 3, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        result = super()._create(model_class, *args, **kwargs)
        rollups.result_state_rows(result).apply()  # its state, as the services count it (no event: no flows)
        return result


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    name = factory.Sequence(lambda n: f"测试载体{n:03d}")
    kind = Carrier.Kind.INCUBATOR
    park = factory.SubFactory(UnitFactory)
    unit = factory.SelfAttribute("park")
    total_area_m2 = Decimal("1000")
    free_area_m2 = Decimal("500")
    industries = factory.LazyFunction(list)


class MatchFactory(factory.django.DjangoModelFactory):
    """A match written directly (no events): for lists and query counts."""

    class Meta:
        model = Match

    result = factory.SubFactory(ResultFactory)
    carrier = factory.SubFactory(CarrierFactory)
    created_by = factory.SubFactory(UserFactory)


def catalogue(by, *, entity=None, unit=None, on: date = date(2024, 3, 1), **fields) -> Result:
    """A result catalogued through the service by `by`, for `unit` (default: `by`'s unit) on `on`."""
    unit = unit or by.unit
    fields.setdefault("title", f"测试成果-{Result.objects.count() + 1:03d}")
    fields.setdefault("industry", "C")
    fields.setdefault("type", Result.Type.PATENT)
    fields.setdefault("maturity", Result.Maturity.PILOT)
    fields.setdefault("landing_mode", Result.Landing.TRANSFER)
    return services.result_create(
        by=by,
        at=local(on.year, on.month, on.day, 10),
        entity=entity or EntityFactory(unit=unit),
        unit=unit,
        **fields,
    )


def move_match(match: Match, to: str, by, *, at=None) -> Match:
    """One move of a match through the service, with the reason or the landing a move needs."""
    return services.match_transition(
        match=match,
        to=to,
        by=by,
        at=at,
        note=REASON if to == Match.Status.FAILED else "",
        landed_how=LANDED_HOW if to == Match.Status.LANDED else "",
    )


def match_at(result: Result, status: str, by, *, carrier=None, at=None) -> Match:
    """A match of `result` proposed by `by` and walked to `status`."""
    match = services.match_propose(result=result, by=by, carrier=carrier or CarrierFactory(), at=at)
    for step in MATCH_PATHS[status]:
        match = move_match(match, step, by, at=at)
    assert match.status == status
    return match


def result_at(result: Result, status: str, by) -> Result:
    """`result` (catalogued) walked to `status` with `result_transition` alone."""
    for step in RESULT_PATHS[status]:
        result = services.result_transition(
            result=result, to=step, by=by, note=REASON if step == Result.Status.SHELVED else ""
        )
    assert result.status == status
    return result


def entity_visit(entity: Entity, by, on: date):
    """A visit to `entity` led by `by`'s unit on `on`, through the service."""
    return services.entity_visit_record(
        entity=entity, by=by, visited_on=on, lead_unit=by.unit, mode="on_site", summary="走访研发主体"
    )

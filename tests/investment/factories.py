"""Factories and helpers for campaign 4 (attracting investment).

Trips and leads are written directly for lists and query counts (like campaign 1's VisitFactory); every
test of a write path, a handling limit or a figure goes through `apps.investment.services`, always with
explicit `at=` datetimes in Asia/Shanghai, so that the event rows the figures read exist and the limits are
exact. Amounts are Decimal 万元, given as strings so that no float ever gets near them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import factory

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Industry, Size
from apps.investment import rollups, services
from apps.investment.models import Lead, Trip, stale_from

from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..service.factories import local

S = Lead.Stage
# Every stage a lead reaches from "lead" through `lead_move`, one step at a time.
PATHS = {
    S.LEAD: [],
    S.ASSESSED: [S.ASSESSED],
    S.NEGOTIATING: [S.ASSESSED, S.NEGOTIATING],
    S.SIGNED: [S.ASSESSED, S.NEGOTIATING, S.SIGNED],
    S.REGISTERED: [S.ASSESSED, S.NEGOTIATING, S.SIGNED, S.REGISTERED],
    S.STARTED: [S.ASSESSED, S.NEGOTIATING, S.SIGNED, S.REGISTERED, S.STARTED],
    S.PRODUCTION: [S.ASSESSED, S.NEGOTIATING, S.SIGNED, S.REGISTERED, S.STARTED, S.PRODUCTION],
    S.DROPPED: [S.DROPPED],
}
REASON = "投资方决策调整，项目暂缓"
SIGNED_ON = date(2024, 3, 1)
SIGNED_WAN = Decimal("150000.00")
NEW_CODE = make_credit_code("9", "1", "320111", "TR000001")


def new_enterprise(unit, code: str = NEW_CODE, name: str = "南京新落地科技有限公司") -> dict:
    """What `lead_move(to="registered", new_enterprise=...)` needs to record an enterprise."""
    return {"name": name, "credit_code": code, "unit": unit, "industry": Industry.C, "size": Size.MEDIUM}


def new_project(code: str = "TZ2024-001", name: str = "新能源电池材料生产基地") -> dict:
    """What `lead_move(to="started", new_project=...)` needs to record a project."""
    return {"code": code, "name": name, "level": "district", "kind": "industrial"}


class TripFactory(factory.django.DjangoModelFactory):
    """A trip written directly (for lists, figures and query counts); `services.trip_record` reports one."""

    class Meta:
        model = Trip

    start_on = date(2024, 3, 4)
    end_on = factory.SelfAttribute("start_on")
    cities = "上海、深圳"
    kind = Trip.Kind.VISIT
    unit = factory.SubFactory(UnitFactory)
    leader = factory.SubFactory(UserFactory, unit=factory.SelfAttribute("..unit"))
    led_by_head = False
    created_by = factory.SelfAttribute("leader")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        trip = super()._create(model_class, *args, **kwargs)
        rollups.trip_rows(trip).apply()  # counted as services.trip_record counts one
        return trip


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead written directly, with no event rows and no limits: for lists and query counts only."""

    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"测试招商项目{n:03d}")
    investor = factory.Sequence(lambda n: f"上海测试{n:03d}集团有限公司")
    investor_city = "上海"
    industry = Industry.C
    expected_wan = Decimal("50000")
    source = Lead.Source.TRIP
    unit = factory.SubFactory(UnitFactory)
    owner = factory.SubFactory(UserFactory, unit=factory.SelfAttribute("..unit"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Counted as the services count one: a lead past the open stages left them when it reached its
        stage."""
        lead = model_class(*args, **kwargs)
        if lead.stage not in Lead.OPEN_STAGES and lead.open_until is None:
            lead.open_until = lead.stage_since
        lead.stale_from = stale_from(lead)
        lead.save()
        rollups.lead_rows(lead).apply()
        return lead


def create(by, at: datetime | None = None, **fields) -> Lead:
    """A lead recorded through the service by `by` for `by`'s unit, at 10:00 on 4 March 2024 by default."""
    fields.setdefault("name", f"测试招商项目-{Lead.objects.count() + 1:03d}")
    fields.setdefault("investor", "上海示例集团有限公司")
    fields.setdefault("investor_city", "上海")
    fields.setdefault("industry", Industry.C)
    fields.setdefault("expected_wan", Decimal("50000"))
    fields.setdefault("source", Lead.Source.TRIP)
    fields.setdefault("unit", by.unit)
    fields.setdefault("owner", by)
    return services.lead_create(by=by, at=at or local(2024, 3, 4, 10), **fields)


def step_extra(lead: Lead, to: str) -> dict:
    """What a move to `to` needs: the signing, the enterprise, the project or the reason."""
    if to == S.SIGNED:
        return {"signed_on": SIGNED_ON, "signed_wan": SIGNED_WAN}
    if to == S.REGISTERED:
        return {"enterprise": EnterpriseFactory(unit=lead.unit)}
    if to == S.STARTED:
        return {"new_project": new_project(code=f"TZ-{lead.pk:05d}", name=lead.name)}
    if to == S.DROPPED:
        return {"note": REASON}
    return {}


def move(lead: Lead, to: str, by, *, at: datetime | None = None, **extra) -> Lead:
    """One move through the service, with what the move needs unless `extra` says otherwise."""
    return services.lead_move(lead=lead, to=to, by=by, at=at, **{**step_extra(lead, to), **extra})


def lead_at(lead: Lead, stage: str, by, *, at: datetime | None = None) -> Lead:
    """`lead` (in stage "lead") walked to `stage` by `by`."""
    for step in PATHS[stage]:
        lead = move(lead, step, by, at=at)
    assert lead.stage == stage
    return lead

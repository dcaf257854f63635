"""Factories and helpers for campaign 1 (visits and requests).

Requests are made through `services.request_create` and moved only through `services.request_transition`,
always with explicit `at=` datetimes in Asia/Shanghai, so the clocks they derive are exact.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import factory
from django.utils import timezone

from apps.enterprises import services as enterprise_services
from apps.service import rollups, services
from apps.service.models import Category, Request, RequestEvent, Visit

from ..factories import EnterpriseFactory, UserFactory

A = RequestEvent.Action

# Seeded by the data migration with (contact days, close days).
TALENT = "人才安居"  # 1, 10
RECRUITMENT = "招聘用工"  # 1, 10
FINANCE = "金融上市"  # 1, 15
LAND = "用地空间"  # 2, 25

NOTE = "理由说明"
ANSWER = "已协调解决并答复企业"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware datetime in the district's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime(year, month, day, hour, minute, second))


def category(name: str = TALENT) -> Category:
    """One of the seeded categories."""
    return Category.objects.get(name=name)


class CategoryFactory(factory.django.DjangoModelFactory):
    """The seeded categories by name; a new name creates an extra category."""

    class Meta:
        model = Category
        django_get_or_create = ["name"]

    name = TALENT
    contact_days = 1
    close_days = 10


class VisitFactory(factory.django.DjangoModelFactory):
    """A visit written directly (for lists and figures), counted as `services.visit_record` counts one (its
    roll-up rows, its month on the enterprise); use `services.visit_record` to test logging."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    visited_on = date(2024, 3, 1)
    enterprise = factory.SubFactory(EnterpriseFactory, unit=factory.SelfAttribute("..lead_unit"))
    lead_unit = factory.SelfAttribute("created_by.unit")
    mode = Visit.Mode.ON_SITE
    summary = "走访了解企业经营情况"
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def joint_units(self, create, extracted, **kwargs):
        if create and extracted:
            self.joint_units.set(extracted)

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):  # after joint_units: declared after it
        if create:
            rollups.visit_rows(self, self.joint_units.values_list("pk", flat=True)).apply()
            if self.enterprise_id:
                enterprise_services.enterprise_visited(enterprise_id=self.enterprise_id, on=self.visited_on)


def make_request(
    by,
    unit=None,
    *,
    at: datetime | None = None,
    handling_unit=None,
    handler=None,
    category: str | Category = TALENT,
    urgency: str = Request.Urgency.NORMAL,
    enterprise=None,
    title: str = "人才公寓申请",
    source: str = Request.Source.VISIT,
    visit=None,
) -> Request:
    """Log a request through the service, as `by`, at `at` (default: 2024-03-04 Mon 10:00).

    `unit` is the responsible unit of the enterprise made for it (default: `by`'s unit) when none is given;
    with `handling_unit` the request is dispatched to it on creation, otherwise it stays 'new'.
    """
    if enterprise is None:
        enterprise = EnterpriseFactory(unit=unit or by.unit)
    return services.request_create(
        by=by,
        enterprise=enterprise,
        category=category if isinstance(category, Category) else Category.objects.get(name=category),
        title=title,
        urgency=urgency,
        source=source,
        visit=visit,
        handling_unit=handling_unit,
        handler=handler,
        received_at=at or local(2024, 3, 4, 10),
    )


def act(req: Request, action: str, by, at: datetime, **kwargs) -> Request:
    """One move of the life cycle at `at`; a reason is given where the move needs one."""
    if services.MOVES[action].needs_note:
        kwargs.setdefault("note", NOTE)
    if action == A.CLOSE:
        kwargs.setdefault("outcome", Request.Outcome.SOLVED)
        kwargs.setdefault("answer", ANSWER)
    if action == A.CONFIRM:
        kwargs.setdefault("satisfaction", Request.Satisfaction.SATISFIED)
    if action == A.REOPEN:
        kwargs.setdefault("satisfaction", Request.Satisfaction.UNSATISFIED)
    return services.request_transition(request=req, action=action, by=by, at=at, **kwargs)


def acknowledge(req, by, at) -> Request:
    return act(req, A.ACKNOWLEDGE, by, at)


def contact(req, by, at) -> Request:
    return act(req, A.CONTACT, by, at)


def close(req, by, at, **kwargs) -> Request:
    return act(req, A.CLOSE, by, at, **kwargs)


def confirm(req, by, at, satisfaction=Request.Satisfaction.SATISFIED) -> Request:
    return act(req, A.CONFIRM, by, at, satisfaction=satisfaction)


def reopen(req, by, at) -> Request:
    return act(req, A.REOPEN, by, at)


def walk_to(req: Request, status: str, *, handler, manager, at: datetime) -> Request:
    """Move a request dispatched to `handler`'s unit on to `status`, one minute per step from `at`.

    dispatched → acknowledged → in_progress → paused | closed → confirmed; withdrawn from dispatched.
    The withdrawal is made by `handler`, who must then belong to the unit that logged the request.
    """
    steps = {
        "dispatched": [],
        "acknowledged": [(A.ACKNOWLEDGE, handler)],
        "in_progress": [(A.ACKNOWLEDGE, handler), (A.CONTACT, handler)],
        "paused": [(A.ACKNOWLEDGE, handler), (A.CONTACT, handler), (A.PAUSE, handler)],
        "closed": [(A.ACKNOWLEDGE, handler), (A.CONTACT, handler), (A.CLOSE, handler)],
        "confirmed": [
            (A.ACKNOWLEDGE, handler),
            (A.CONTACT, handler),
            (A.CLOSE, handler),
            (A.CONFIRM, manager),
        ],
        "withdrawn": [(A.WITHDRAW, handler)],
    }[status]
    for minutes, (action, by) in enumerate(steps, start=1):
        req = act(req, action, by, at + timedelta(minutes=minutes))
    assert req.status == status
    return req

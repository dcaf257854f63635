"""The life cycle of a lead: every forward move succeeds with one event row, skipping a stage or going back
is refused and changes nothing, a lead is dropped with a reason from any stage before production, closed leads
stay closed, signing needs a date and an amount, registering links or records the enterprise, starting links
or records the project, and another unit's staff may not touch the lead."""

from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Enterprise
from apps.investment import services
from apps.investment.models import Lead, LeadEvent, Trip
from apps.projects.models import Project

from ..factories import EnterpriseFactory
from ..projects.factories import ProjectFactory
from ..service.factories import local
from .factories import (
    NEW_CODE,
    REASON,
    SIGNED_ON,
    SIGNED_WAN,
    S,
    create,
    lead_at,
    move,
    new_enterprise,
    new_project,
    step_extra,
)

pytestmark = pytest.mark.django_db

FORWARD = list(zip(Lead.ORDER, Lead.ORDER[1:], strict=False))
BEFORE_PRODUCTION = Lead.ORDER[:-1]
ALLOWED = set(FORWARD) | {(stage, S.DROPPED) for stage in BEFORE_PRODUCTION}
FORBIDDEN = sorted(set(product(S.values, S.values)) - ALLOWED)
CLOSED = [S.PRODUCTION, S.DROPPED]
AT = local(2024, 3, 12, 10)


def test_the_tables_hold_the_documented_moves():
    """Guards the parametrized tests below: they walk these lists, so an emptied list would pass them."""
    assert FORWARD == [
        ("lead", "assessed"),
        ("assessed", "negotiating"),
        ("negotiating", "signed"),
        ("signed", "registered"),
        ("registered", "started"),
        ("started", "production"),
    ]
    assert len(ALLOWED) == 12
    assert len(FORBIDDEN) == 52


@pytest.fixture
def lead_a(staff_a):
    return create(staff_a, name="新能源电池材料项目", expected_wan=Decimal("200000"), at=local(2024, 3, 4, 9))


def snapshot(lead: Lead) -> dict:
    """Everything a refused move must leave as it was."""
    return {
        "lead": Lead.objects.filter(pk=lead.pk).values().get(),
        "events": list(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True)),
        "enterprises": Enterprise.objects.count(),
        "projects": Project.objects.count(),
    }


def all_extras(lead: Lead) -> dict:
    """Everything any move could need, so that only the stage table can refuse."""
    return {
        "note": REASON,
        "signed_on": SIGNED_ON,
        "signed_wan": SIGNED_WAN,
        "enterprise": EnterpriseFactory(unit=lead.unit),
        "project": ProjectFactory(unit=lead.unit, owner=lead.enterprise or EnterpriseFactory(unit=lead.unit)),
    }


# --- the stage table -------------------------------------------------------------------------------


def test_recording_a_lead_writes_the_first_event(staff_a):
    lead = create(staff_a, at=local(2024, 3, 4, 9))

    assert (lead.stage, lead.stage_since, lead.created_at) == (
        S.LEAD,
        local(2024, 3, 4, 9),
        local(2024, 3, 4, 9),
    )
    assert list(
        LeadEvent.objects.filter(lead=lead).values_list("action", "from_stage", "to_stage", "by")
    ) == [("create", "", "lead", staff_a.pk)]


@pytest.mark.parametrize(("from_stage", "to"), FORWARD)
def test_every_forward_move_succeeds_and_writes_one_event(lead_a, staff_a, colleague_a, from_stage, to):
    lead = lead_at(lead_a, from_stage, staff_a, at=local(2024, 3, 5, 9))
    before = LeadEvent.objects.filter(lead=lead).count()

    moved = move(lead, to, colleague_a, at=AT, note="推进")

    stored = Lead.objects.get(pk=lead.pk)
    assert (moved.stage, stored.stage, stored.stage_since, stored.last_activity_at) == (to, to, AT, AT)
    events = list(LeadEvent.objects.filter(lead=lead).order_by("id"))
    assert len(events) == before + 1
    last = events[-1]
    assert (last.action, last.from_stage, last.to_stage, last.by, last.at, last.note) == (
        "move",
        from_stage,
        to,
        colleague_a,
        AT,
        "推进",
    )


@pytest.mark.parametrize(("from_stage", "to"), FORBIDDEN)
def test_every_skipped_backward_or_closed_move_is_refused_and_changes_nothing(
    lead_a, staff_a, from_stage, to
):
    lead = lead_at(lead_a, from_stage, staff_a)
    extras = all_extras(lead)
    before = snapshot(lead)

    expected = "This lead is closed." if from_stage in CLOSED else "A lead moves one stage at a time"
    with pytest.raises(ValidationError, match=expected):
        services.lead_move(lead=lead, to=to, by=staff_a, at=AT, **extras)

    assert snapshot(lead) == before


def test_the_refusal_names_the_next_stage(lead_a, staff_a):
    with pytest.raises(ValidationError) as exc:
        services.lead_move(lead=lead_a, to=S.SIGNED, by=staff_a, signed_on=SIGNED_ON, signed_wan=SIGNED_WAN)

    assert exc.value.messages == [
        "A lead moves one stage at a time: from “Lead” the next stage is “Assessed”."
    ]


def test_an_unknown_stage_is_refused(lead_a, staff_a):
    before = snapshot(lead_a)

    with pytest.raises(ValidationError, match="one stage at a time"):
        services.lead_move(lead=lead_a, to="won", by=staff_a)

    assert snapshot(lead_a) == before


def test_a_full_walk_leaves_a_timeline_of_every_stage(lead_a, staff_a):
    lead = lead_at(lead_a, S.PRODUCTION, staff_a, at=AT)

    assert list(LeadEvent.objects.filter(lead=lead).values_list("from_stage", "to_stage")) == [
        ("", "lead"),
        ("lead", "assessed"),
        ("assessed", "negotiating"),
        ("negotiating", "signed"),
        ("signed", "registered"),
        ("registered", "started"),
        ("started", "production"),
    ]


def test_the_first_move_counts_as_the_first_response(lead_a, staff_a):
    lead = move(lead_a, S.ASSESSED, staff_a, at=AT)

    assert lead.responded_at == AT


# --- dropping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("from_stage", BEFORE_PRODUCTION)
def test_a_lead_is_dropped_from_every_stage_before_production_with_its_reason(
    lead_a, staff_a, colleague_a, from_stage
):
    lead = lead_at(lead_a, from_stage, staff_a)

    dropped = services.lead_move(lead=lead, to=S.DROPPED, by=colleague_a, note=f"  {REASON} ", at=AT)

    stored = Lead.objects.get(pk=lead.pk)
    assert (dropped.stage, stored.stage, stored.drop_reason, stored.stage_since) == (
        S.DROPPED,
        S.DROPPED,
        REASON,
        AT,
    )
    last = LeadEvent.objects.filter(lead=lead).latest("id")
    assert (last.from_stage, last.to_stage, last.by, last.note) == (
        from_stage,
        S.DROPPED,
        colleague_a,
        REASON,
    )


@pytest.mark.parametrize("from_stage", BEFORE_PRODUCTION)
@pytest.mark.parametrize("note", ["", "   \n "])
def test_dropping_without_a_reason_is_refused_and_changes_nothing(lead_a, staff_a, from_stage, note):
    lead = lead_at(lead_a, from_stage, staff_a)
    before = snapshot(lead)

    with pytest.raises(ValidationError, match="Give the reason the lead was dropped."):
        services.lead_move(lead=lead, to=S.DROPPED, by=staff_a, note=note)

    assert snapshot(lead) == before


@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("action", ["respond", "feedback", "progress"])
def test_a_closed_lead_takes_no_more_notes(lead_a, staff_a, closed, action):
    lead = lead_at(lead_a, closed, staff_a)
    before = snapshot(lead)

    with pytest.raises(ValidationError, match="This lead is closed."):
        services.lead_record(lead=lead, action=action, by=staff_a, note="再次联系")

    assert snapshot(lead) == before


# --- signing ----------------------------------------------------------------------------------------


@pytest.fixture
def negotiating(lead_a, staff_a):
    return lead_at(lead_a, S.NEGOTIATING, staff_a)


@pytest.mark.parametrize(
    ("signed_on", "signed_wan"),
    [
        (None, SIGNED_WAN),
        (SIGNED_ON, None),
        (None, None),
        (SIGNED_ON, Decimal("0")),
        (SIGNED_ON, Decimal("-0.01")),
    ],
)
def test_signing_needs_a_date_and_a_positive_amount(negotiating, staff_a, signed_on, signed_wan):
    before = snapshot(negotiating)

    with pytest.raises(ValidationError, match=r"Signing needs the date and the signed amount \(万元\)."):
        services.lead_move(
            lead=negotiating, to=S.SIGNED, by=staff_a, signed_on=signed_on, signed_wan=signed_wan
        )

    assert snapshot(negotiating) == before


def test_a_signing_date_in_the_future_is_refused(negotiating, staff_a):
    before = snapshot(negotiating)

    with pytest.raises(ValidationError, match="The signing date cannot be in the future."):
        services.lead_move(
            lead=negotiating,
            to=S.SIGNED,
            by=staff_a,
            signed_on=timezone.localdate() + timedelta(days=1),
            signed_wan=SIGNED_WAN,
        )

    assert snapshot(negotiating) == before


def test_signing_today_stores_the_date_and_the_amount(negotiating, staff_a):
    services.lead_move(
        lead=negotiating,
        to=S.SIGNED,
        by=staff_a,
        signed_on=timezone.localdate(),
        signed_wan=Decimal("0.01"),
    )

    stored = Lead.objects.get(pk=negotiating.pk)
    assert (stored.stage, stored.signed_on, stored.signed_wan) == (
        S.SIGNED,
        timezone.localdate(),
        Decimal("0.01"),
    )


# --- registering: the enterprise record -------------------------------------------------------------


@pytest.fixture
def signed(lead_a, staff_a):
    return lead_at(lead_a, S.SIGNED, staff_a)


def test_registering_links_an_existing_enterprise_and_the_lead_shows_on_it(signed, staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="南京已登记科技有限公司")
    enterprises = Enterprise.objects.count()

    services.lead_move(lead=signed, to=S.REGISTERED, by=staff_a, enterprise=enterprise, at=AT)

    stored = Lead.objects.get(pk=signed.pk)
    assert (stored.stage, stored.enterprise) == (S.REGISTERED, enterprise)
    assert list(enterprise.investment_leads.all()) == [stored]
    assert Enterprise.objects.count() == enterprises


def test_registering_records_a_new_enterprise_and_links_it(signed, staff_a, unit_a):
    services.lead_move(lead=signed, to=S.REGISTERED, by=staff_a, new_enterprise=new_enterprise(unit_a), at=AT)

    enterprise = Enterprise.objects.get(credit_code=NEW_CODE)
    assert (enterprise.name, enterprise.unit, enterprise.industry, enterprise.size) == (
        "南京新落地科技有限公司",
        unit_a,
        "C",
        "medium",
    )
    stored = Lead.objects.get(pk=signed.pk)
    assert (stored.stage, stored.enterprise) == (S.REGISTERED, enterprise)
    assert list(enterprise.investment_leads.all()) == [stored]


def test_registering_with_neither_enterprise_is_refused(signed, staff_a):
    before = snapshot(signed)

    with pytest.raises(ValidationError, match="Link the registered enterprise, or record it."):
        services.lead_move(lead=signed, to=S.REGISTERED, by=staff_a)

    assert snapshot(signed) == before


def test_registering_a_new_enterprise_with_a_bad_credit_code_creates_nothing(signed, staff_a, unit_a):
    bad = NEW_CODE[:-1] + ("0" if NEW_CODE[-1] != "0" else "1")
    before = snapshot(signed)

    with pytest.raises(ValidationError):
        services.lead_move(
            lead=signed, to=S.REGISTERED, by=staff_a, new_enterprise=new_enterprise(unit_a, bad)
        )

    assert snapshot(signed) == before


# --- starting: the project record -------------------------------------------------------------------


@pytest.fixture
def registered(signed, staff_a, unit_a):
    return services.lead_move(
        lead=signed, to=S.REGISTERED, by=staff_a, new_enterprise=new_enterprise(unit_a), at=AT
    )


def test_starting_records_the_project_owned_by_the_registered_enterprise(registered, staff_a, unit_a):
    at = local(2024, 3, 20, 15)

    services.lead_move(lead=registered, to=S.STARTED, by=staff_a, new_project=new_project(), at=at)

    project = Project.objects.get(code="TZ2024-001")
    assert (
        project.name,
        project.level,
        project.kind,
        project.owner,
        project.unit,
        project.industry,
        project.total_investment,
        project.stage,
        project.actual_start,
    ) == (
        "新能源电池材料生产基地",
        "district",
        "industrial",
        Enterprise.objects.get(credit_code=NEW_CODE),
        unit_a,
        "C",
        SIGNED_WAN,
        "construction",
        at.date(),
    )
    stored = Lead.objects.get(pk=registered.pk)
    assert (stored.stage, stored.project) == (S.STARTED, project)
    assert list(project.leads.all()) == [stored]


def test_starting_links_an_existing_project(registered, staff_a, unit_a):
    project = ProjectFactory(unit=unit_a, owner=registered.enterprise, code="TZ2023-009")
    projects = Project.objects.count()

    services.lead_move(lead=registered, to=S.STARTED, by=staff_a, project=project, at=AT)

    assert Lead.objects.get(pk=registered.pk).project == project
    assert Project.objects.count() == projects


def test_starting_with_neither_project_is_refused(registered, staff_a):
    before = snapshot(registered)

    with pytest.raises(ValidationError, match="Link the project, or record it."):
        services.lead_move(lead=registered, to=S.STARTED, by=staff_a)

    assert snapshot(registered) == before


def test_starting_a_new_project_with_a_taken_code_creates_nothing(registered, staff_a, unit_a):
    ProjectFactory(unit=unit_a, code="TZ2024-001")
    before = snapshot(registered)

    with pytest.raises(ValidationError):
        services.lead_move(lead=registered, to=S.STARTED, by=staff_a, new_project=new_project())

    assert snapshot(registered) == before


# --- who may move -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [S.LEAD, S.NEGOTIATING, S.SIGNED, S.REGISTERED])
def test_another_units_staff_cannot_move_the_lead_and_nothing_changes(lead_a, staff_a, staff_b, stage):
    lead = lead_at(lead_a, stage, staff_a)
    nxt = Lead.ORDER[Lead.ORDER.index(stage) + 1]
    extras = {**step_extra(lead, nxt), "note": REASON}
    before = snapshot(lead)

    for to in (nxt, S.DROPPED):
        with pytest.raises(PermissionDenied):
            services.lead_move(lead=lead, to=to, by=staff_b, **extras)

    assert snapshot(lead) == before


@pytest.mark.parametrize("action", ["respond", "feedback", "progress"])
def test_another_units_staff_cannot_record_on_the_lead_and_nothing_changes(lead_a, staff_b, action):
    before = snapshot(lead_a)

    with pytest.raises(PermissionDenied):
        services.lead_record(lead=lead_a, action=action, by=staff_b, note="越权记录")

    assert snapshot(lead_a) == before


def test_another_units_staff_cannot_record_a_lead_for_unit_a(staff_b, unit_a, staff_a):
    with pytest.raises(PermissionDenied):
        create(staff_b, unit=unit_a, owner=staff_a)

    assert (Lead.objects.count(), LeadEvent.objects.count()) == (0, 0)


def test_another_units_staff_cannot_report_a_trip_for_unit_a(staff_b, unit_a):
    with pytest.raises(PermissionDenied):
        services.trip_record(
            by=staff_b,
            unit=unit_a,
            leader=staff_b,
            start_on=SIGNED_ON,
            end_on=SIGNED_ON,
            cities="上海",
            leads=[{"name": "越权线索", "investor": "某集团", "industry": "C", "expected_wan": Decimal("1")}],
        )

    assert (Trip.objects.count(), Lead.objects.count()) == (0, 0)


@pytest.mark.parametrize("who", ["colleague_a", "manager_a", "leader"])
def test_the_units_colleagues_and_leaders_move_the_lead(lead_a, users, who):
    move(lead_a, S.ASSESSED, users[who], at=AT)

    assert LeadEvent.objects.filter(lead=lead_a).latest("id").by == users[who]
    assert Lead.objects.get(pk=lead_a.pk).stage == S.ASSESSED


def test_a_referral_needs_the_referrer_and_a_fair_needs_its_name(staff_a):
    with pytest.raises(ValidationError, match="Name the enterprise that introduced the investor."):
        create(staff_a, source=Lead.Source.REFERRAL)
    with pytest.raises(ValidationError, match="Name the trade fair."):
        create(staff_a, source=Lead.Source.FAIR)

    assert (Lead.objects.count(), LeadEvent.objects.count()) == (0, 0)


def test_a_referred_lead_names_its_referrer(staff_a, unit_b):
    referrer = EnterpriseFactory(unit=unit_b, credit_code=make_credit_code("9", "1", "320111", "YJ000001"))

    lead = create(staff_a, source=Lead.Source.REFERRAL, referrer=referrer)

    assert list(referrer.referred_leads.all()) == [lead]

"""Writes of campaign 4. A lead moves forward one stage at a time (or is dropped) through `lead_move`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.projects import services as project_services
from apps.projects.models import Project
from apps.workdays.calendar import end_of, get_calendar

from . import rollups
from .models import Lead, LeadEvent, Trip, stale_from

S = Lead.Stage
A = LeadEvent.Action
RESPOND_DAYS, ASSESS_DAYS, FEEDBACK_DAYS = 1, 3, 7


def can_work_on(user, lead: Lead) -> bool:
    if not user.has_perm("investment.change_lead"):
        return False
    return user.has_perm("accounts.view_all_units") or lead.unit_id == user.unit_id


@transaction.atomic
def lead_create(*, by, at: datetime | None = None, **fields) -> Lead:
    at = at or timezone.now()
    lead = Lead(created_at=at, stage_since=at, last_activity_at=at, **fields)
    if not can_work_on(by, lead):
        raise PermissionDenied
    if lead.source == Lead.Source.REFERRAL and lead.referrer_id is None:
        raise ValidationError({"referrer": _("Name the enterprise that introduced the investor.")})
    if lead.source == Lead.Source.FAIR and not lead.fair:
        raise ValidationError({"fair": _("Name the trade fair.")})
    calendar = get_calendar()
    day = timezone.localdate(at)
    lead.respond_due = end_of(calendar.add_workdays(day, RESPOND_DAYS))
    lead.assess_due = end_of(calendar.add_workdays(day, ASSESS_DAYS))
    lead.feedback_due = at + timedelta(days=FEEDBACK_DAYS)
    lead.stale_from = stale_from(lead)
    lead.full_clean()
    lead.save()
    LeadEvent.objects.create(lead=lead, action=A.CREATE, to_stage=S.LEAD, by=by, at=at)
    (rollups.lead_rows(lead) + rollups.stage_entered(lead.unit_id, S.LEAD, at)).apply()
    return lead


@transaction.atomic
def lead_record(*, lead: Lead, action: str, by, note: str = "", at: datetime | None = None) -> Lead:
    """A first response, feedback to the investor, or a progress update (each keeps the lead fresh)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not can_work_on(by, lead):
        raise PermissionDenied
    if action not in (A.RESPOND, A.FEEDBACK, A.PROGRESS):
        raise ValidationError(_("Unknown action."))
    if lead.stage in (S.PRODUCTION, S.DROPPED):
        raise ValidationError(_("This lead is closed."))
    if not note.strip():
        raise ValidationError(_("Write what was said or done."))
    at = at or timezone.now()
    LeadEvent.objects.create(lead=lead, action=action, by=by, at=at, note=note.strip())
    fields = ["last_activity_at"]
    lead.last_activity_at = max(lead.last_activity_at, at)
    if lead.responded_at is None:
        lead.responded_at = at
        fields.append("responded_at")
    if action == A.FEEDBACK and lead.feedback_at is None:
        lead.feedback_at = at
        fields.append("feedback_at")
    lead.stale_from = stale_from(lead)
    lead.save(update_fields=[*fields, "stale_from"])
    return lead  # nothing the roll-ups count has changed


@transaction.atomic
def lead_move(
    *,
    lead: Lead,
    to: str,
    by,
    note: str = "",
    at: datetime | None = None,
    signed_on: date | None = None,
    signed_wan: Decimal | None = None,
    enterprise: Enterprise | None = None,
    new_enterprise: dict | None = None,
    project: Project | None = None,
    new_project: dict | None = None,
) -> Lead:
    """Move a lead one stage forward, or drop it (with a reason) from any stage before production.

    Signing needs the date and the signed amount; registering links or creates the enterprise record;
    starting links or creates the project in the projects campaign.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not can_work_on(by, lead):
        raise PermissionDenied
    before = rollups.lead_rows(lead)
    at = at or timezone.now()
    note = note.strip()
    current = lead.stage
    if current in (S.PRODUCTION, S.DROPPED):
        raise ValidationError(_("This lead is closed."))
    if to == S.DROPPED:
        if not note:
            raise ValidationError(_("Give the reason the lead was dropped."))
        lead.drop_reason = note[:300]
    elif to not in Lead.ORDER or Lead.ORDER.index(to) != Lead.ORDER.index(current) + 1:
        raise ValidationError(
            _("A lead moves one stage at a time: from “%(from)s” the next stage is “%(next)s”.")
            % {
                "from": lead.get_stage_display(),
                "next": Lead.Stage(Lead.ORDER[Lead.ORDER.index(current) + 1]).label,
            }
        )
    if to == S.SIGNED:
        if signed_on is None or signed_wan is None or signed_wan <= 0:
            raise ValidationError(_("Signing needs the date and the signed amount (万元)."))
        if signed_on > timezone.localdate():
            raise ValidationError(_("The signing date cannot be in the future."))
        lead.signed_on, lead.signed_wan = signed_on, signed_wan
    if to == S.REGISTERED:
        if enterprise is None and new_enterprise:
            enterprise = enterprise_services.enterprise_create(by=by, **new_enterprise)
        if enterprise is None:
            raise ValidationError(_("Link the registered enterprise, or record it."))
        lead.enterprise = enterprise
    if to == S.STARTED:
        if project is None and new_project:
            project = project_services.project_save(
                by=by,
                owner=lead.enterprise,
                unit=lead.unit,
                industry=lead.industry,
                total_investment=lead.signed_wan or lead.expected_wan,
                stage=Project.Stage.CONSTRUCTION,
                actual_start=timezone.localdate(at),
                **new_project,
            )
        if project is None:
            raise ValidationError(_("Link the project, or record it."))
        lead.project = project
    LeadEvent.objects.create(
        lead=lead, action=A.MOVE, from_stage=current, to_stage=to, by=by, at=at, note=note
    )
    moved = rollups.stage_moved(lead.unit_id, current, lead.stage_since, to, at)
    lead.stage, lead.stage_since, lead.last_activity_at = to, at, max(lead.last_activity_at, at)
    if lead.responded_at is None:
        lead.responded_at = at
    if current in Lead.OPEN_STAGES and to not in Lead.OPEN_STAGES:
        lead.open_until = at  # signed or dropped: it leaves the pipeline
    lead.stale_from = stale_from(lead)
    lead.save()
    (rollups.lead_rows(lead) - before + moved).apply()
    return lead


@transaction.atomic
def trip_record(*, by, leads: Iterable[dict] = (), members=(), units=(), at=None, **fields) -> Trip:
    """Report a trip with the leads it created (quick enough on the train home)."""
    if not by.has_perm("investment.add_trip"):
        raise PermissionDenied
    at = at or timezone.now()
    trip = Trip(created_by=by, created_at=at, **fields)
    if trip.unit_id != by.unit_id and not by.has_perm("accounts.view_all_units"):
        raise PermissionDenied
    trip.full_clean()
    trip.save()
    trip.members.set(members)
    trip.units.set(units)
    rollups.trip_rows(trip).apply()
    for item in leads:
        lead_create(by=by, at=at, trip=trip, unit=trip.unit, owner=by, source=Lead.Source.TRIP, **item)
    return trip

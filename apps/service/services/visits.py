"""Visits: logged with every request heard there; visits asked of staff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .. import rollups
from ..models import (
    Concerns,
    Request,
    Visit,
    VisitAssignment,
)
from .attachments import visit_evidence_prepare, visit_evidence_store
from .moves import _is_leader
from .requests import _create_requests


@dataclass(frozen=True)
class CheckIn:
    """Where the phone said it was when asked (browser geolocation, at the user's request): degrees
    (WGS 84, as browsers give them), the radius it is sure of in metres, and the time of the fix."""

    latitude: Decimal
    longitude: Decimal
    accuracy: int
    at: datetime


@transaction.atomic
def visit_record(
    *,
    by: User,
    visited_on: date,
    enterprise: Enterprise | None,
    lead_unit: Unit,
    mode: str,
    summary: str = "",
    joint_units: Iterable[Unit] = (),
    staff: Iterable[User] = (),
    requests: Iterable[dict] = (),
    target_name: str = "",
    created_at: datetime | None = None,
    concerns: str = Concerns.ENTERPRISE,
    counts_for: Unit | None = None,
    photos: Iterable = (),
    documents: Iterable = (),
    checkin: CheckIn | None = None,
) -> Visit:
    """Log a visit and every request heard there, in one transaction: the visit, its units and staff, its
    location check-in, the requests (about what the visit is about: a project visit's requests are the
    project's problems), the month marked on the enterprise's record, the visit assignment it fulfils, the
    roll-ups' change, and last its photos and documents (checked before anything is written)."""
    if not by.has_perm("service.add_visit"):
        raise PermissionDenied
    if lead_unit.pk != by.unit_id and not _is_leader(by):
        raise PermissionDenied
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("A visit cannot be in the future.")})
    evidence = visit_evidence_prepare(photos=photos, documents=documents)
    visit = Visit(
        visited_on=visited_on,
        enterprise=enterprise,
        target_name=target_name,
        lead_unit=lead_unit,
        mode=mode,
        summary=summary.strip(),
        created_by=by,
        created_at=created_at or timezone.now(),
        concerns=concerns,
        counts_for=counts_for,
    )
    if checkin is not None:
        visit.checkin_latitude, visit.checkin_longitude = checkin.latitude, checkin.longitude
        visit.checkin_accuracy, visit.checkin_at = checkin.accuracy, checkin.at
    # the fields' validators check the check-in's ranges; visit_checkin_complete (all four or none, which
    # CheckIn guarantees) is left to the database rather than asked in one more statement per visit
    visit.full_clean(
        exclude=["enterprise", "lead_unit", "created_by", "counts_for"], validate_constraints=False
    )
    visit.save()
    joint = {u.pk: u for u in joint_units if u.pk != lead_unit.pk}
    Visit.joint_units.through.objects.bulk_create(
        Visit.joint_units.through(visit=visit, unit_id=pk) for pk in sorted(joint)
    )
    Visit.staff.through.objects.bulk_create(
        Visit.staff.through(visit=visit, user_id=pk) for pk in sorted({u.pk for u in staff} | {by.pk})
    )
    request_concerns = Concerns.PROJECT if concerns == Concerns.PROJECT else Concerns.ENTERPRISE
    _created, delta = _create_requests(
        by=by,
        items=list(requests),
        enterprise=enterprise,
        source=Request.Source.VISIT,
        visit=visit,
        received_at=timezone.now(),
        concerns=request_concerns,
        counts_for=counts_for if request_concerns == Concerns.PROJECT else None,
    )
    if enterprise is not None:
        enterprise_services.enterprise_visited(enterprise_id=enterprise.pk, on=visited_on)
        VisitAssignment.objects.filter(enterprise=enterprise, visit__isnull=True, assignee=by).update(
            visit=visit
        )
    visit_evidence_store(visit=visit, by=by, evidence=evidence)
    # last: the roll-ups' district rows stay locked until commit, so nothing slow (file storage) after it
    (delta + rollups.visit_rows(visit, joint)).apply()
    return visit


@transaction.atomic
def visit_assign(*, by: User, enterprise: Enterprise, assignee: User, due_on: date) -> VisitAssignment:
    """A manager asks one of the unit's staff to visit an enterprise."""
    if not by.has_perm("accounts.manage_unit") or assignee.unit_id != by.unit_id:
        raise PermissionDenied
    assignment = VisitAssignment(
        enterprise=enterprise, unit_id=by.unit_id, assignee=assignee, due_on=due_on, assigned_by=by
    )
    assignment.full_clean()
    assignment.save()
    return assignment


# --- attachments -----------------------------------------------------------------------------------

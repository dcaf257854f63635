"""Writes of campaign 1. Every status change goes through `request_transition` and its table of moves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.core.coalesce import coalesced
from apps.enterprises.models import Enterprise
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

from . import clocks
from .models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    JointAction,
    Notification,
    Request,
    RequestEvent,
    Status,
    Visit,
    VisitAssignment,
)
from .signals import requests_changed

S = Status
A = RequestEvent.Action


class TransitionError(ValidationError):
    """The move is not allowed from the request's current status, or its data is incomplete."""


# --- who may act -------------------------------------------------------------------------------------


def _is_leader(user) -> bool:
    return user.has_perm("accounts.view_all_units")


def _in_handling_unit(user, req: Request) -> bool:
    return (
        user.has_perm("service.handle_request")
        and req.handling_unit_id is not None
        and (user.unit_id == req.handling_unit_id)
    )


def _manages(user, unit_id) -> bool:
    return user.has_perm("accounts.manage_unit") and unit_id is not None and user.unit_id == unit_id


def _handling_manager(user, req) -> bool:
    return _manages(user, req.handling_unit_id) or (
        _is_leader(user) and user.has_perm("service.dispatch_request")
    )


def _dispatcher(user, req) -> bool:
    if not user.has_perm("service.dispatch_request"):
        return False
    return _is_leader(user) or user.unit_id == req.logged_unit_id


def _confirmer(user, req) -> bool:
    return _handling_manager(user, req) or _manages(user, req.logged_unit_id)


def _logger(user, req) -> bool:
    return (user.unit_id == req.logged_unit_id and user.has_perm("service.handle_request")) or _is_leader(
        user
    )


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays as it is
    allowed: callable
    label: str
    needs_note: bool = False


HANDLING = (S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.PAUSED)
WORKING = (S.ACKNOWLEDGED, S.IN_PROGRESS)

# The one table of allowed moves.
MOVES: dict[str, Move] = {
    A.DISPATCH: Move((S.NEW,), S.DISPATCHED, _dispatcher, gettext_lazy("Dispatch")),
    A.ASSIGN: Move(HANDLING, None, _handling_manager, gettext_lazy("Assign handler")),
    A.ACKNOWLEDGE: Move((S.DISPATCHED,), S.ACKNOWLEDGED, _in_handling_unit, gettext_lazy("Acknowledge")),
    A.CONTACT: Move(
        (S.ACKNOWLEDGED,), S.IN_PROGRESS, _in_handling_unit, gettext_lazy("Record first contact")
    ),
    A.CLOSE: Move(WORKING, S.CLOSED, _in_handling_unit, gettext_lazy("Close")),
    A.CONFIRM: Move((S.CLOSED,), S.CONFIRMED, _confirmer, gettext_lazy("Record feedback")),
    A.REOPEN: Move((S.CLOSED,), S.IN_PROGRESS, _confirmer, gettext_lazy("Reopen")),
    A.TRANSFER: Move(
        (S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS),
        S.DISPATCHED,
        lambda u, r: _handling_manager(u, r) or _dispatcher(u, r),
        gettext_lazy("Transfer"),
        needs_note=True,
    ),
    A.RETURN: Move(
        (S.DISPATCHED, S.ACKNOWLEDGED), S.NEW, _in_handling_unit, gettext_lazy("Return"), needs_note=True
    ),
    A.EXTEND_ASK: Move(WORKING, None, _in_handling_unit, gettext_lazy("Ask for extension"), needs_note=True),
    A.EXTEND_APPROVE: Move(WORKING, None, _handling_manager, gettext_lazy("Approve extension")),
    A.EXTEND_REFUSE: Move(
        WORKING, None, _handling_manager, gettext_lazy("Refuse extension"), needs_note=True
    ),
    A.PAUSE: Move(WORKING, S.PAUSED, _in_handling_unit, gettext_lazy("Pause"), needs_note=True),
    A.RESUME: Move((S.PAUSED,), S.IN_PROGRESS, _in_handling_unit, gettext_lazy("Resume")),
    A.WITHDRAW: Move(tuple(OPEN_STATUSES), S.WITHDRAWN, _logger, gettext_lazy("Withdraw"), needs_note=True),
}


def allowed_moves(user, req: Request) -> list[str]:
    """The actions `user` may take on `req` now (for the buttons on the request page)."""
    moves = []
    for action, move in MOVES.items():
        if req.status not in move.sources or not move.allowed(user, req):
            continue
        if action == A.EXTEND_ASK and (req.pending_extension_days or _deadline_passed(req)):
            continue
        if action in (A.EXTEND_APPROVE, A.EXTEND_REFUSE) and not req.pending_extension_days:
            continue
        moves.append(action)
    return moves


def _deadline_passed(req, at=None) -> bool:
    return req.close_due is not None and (at or timezone.now()) > req.close_due


# --- the transition service ------------------------------------------------------------------------


@transaction.atomic
@coalesced()
def request_transition(
    *,
    request: Request,
    action: str,
    by: User,
    note: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
    unit: Unit | None = None,
    handler: User | None = None,
    outcome: str = "",
    answer: str = "",
    satisfaction: str = "",
    days: int = 0,
    co_units: Iterable[Unit] | None = None,
) -> Request:
    """Apply one move of the life cycle to `request`, locking its row; append its event; re-derive clocks.

    `expected_status` and `expected_version` are what the user saw: if someone else moved the request
    meanwhile (even without changing its status, e.g. a transfer), the move is refused rather than applied
    to a request in a state the user did not see.
    """
    move = MOVES.get(action)
    if move is None:
        raise TransitionError(_("Unknown action."))
    req = Request.objects.select_for_update().select_related("category").get(pk=request.pk)
    at = at or timezone.now()
    note = (note or "").strip()
    if (expected_status and req.status != expected_status) or (
        expected_version is not None and req.version != expected_version
    ):
        raise TransitionError(
            _("Someone else has just changed this request (it is now “%(status)s”). Look again and retry.")
            % {"status": req.get_status_display()}
        )
    if req.status not in move.sources:
        raise TransitionError(
            _("“%(action)s” is not possible while the request is “%(status)s”.")
            % {"action": move.label, "status": req.get_status_display()}
        )
    if not move.allowed(by, req):
        raise PermissionDenied
    if move.needs_note and not note:
        raise TransitionError(_("Give a reason."))

    from_status = req.status
    target = move.target or from_status
    data: dict = {}
    notify: list[User] = []
    req.version += 1  # the row is locked: no lost update
    fields = ["status", "version", "updated_at"]

    if action in (A.DISPATCH, A.TRANSFER):
        if unit is None:
            raise TransitionError(_("Choose the unit to handle the request."))
        if action == A.TRANSFER and unit.pk == req.handling_unit_id:
            raise TransitionError(_("Transfer to a different unit."))
        if handler is not None and handler.unit_id != unit.pk:
            raise TransitionError(_("The handler must belong to the handling unit."))
        data = {
            "unit": unit.pk,
            "from_unit": req.handling_unit_id,
            "handler": handler.pk if handler else None,
        }
        req.handling_unit, req.handler, req.pending_extension_days = unit, handler, 0
        fields += ["handling_unit", "handler", "pending_extension_days"]
        notify = [handler] if handler else _managers_of(unit)
    elif action == A.ASSIGN:
        if handler is None or handler.unit_id != req.handling_unit_id:
            raise TransitionError(_("Choose a handler of the handling unit."))
        data = {"handler": handler.pk, "from_handler": req.handler_id}
        req.handler = handler
        fields.append("handler")
        notify = [handler]
    elif action == A.CLOSE:
        if outcome not in Request.Outcome.values or not answer.strip():
            raise TransitionError(_("Give the outcome and the answer given to the enterprise."))
        req.outcome, req.answer = outcome, answer.strip()
        fields += ["outcome", "answer"]
        data = {"outcome": outcome}
    elif action in (A.CONFIRM, A.REOPEN):
        wanted = A.REOPEN if satisfaction == Request.Satisfaction.UNSATISFIED else A.CONFIRM
        if satisfaction not in Request.Satisfaction.values or wanted != action:
            raise TransitionError(_("Record the enterprise's satisfaction."))
        req.satisfaction = satisfaction
        fields.append("satisfaction")
        data = {"satisfaction": satisfaction}
        if action == A.REOPEN:
            req.reopen_count = F("reopen_count") + 1
            fields.append("reopen_count")
            notify = [req.handler] if req.handler_id else _managers_of(req.handling_unit)
    elif action == A.RETURN:
        data = {"from_unit": req.handling_unit_id}
        req.handling_unit, req.handler = None, None
        fields += ["handling_unit", "handler"]
    elif action == A.EXTEND_ASK:
        if not 1 <= days <= 30:
            raise TransitionError(_("Ask for 1 to 30 working days."))
        if req.pending_extension_days:
            raise TransitionError(_("An extension is already waiting for a decision."))
        if _deadline_passed(req, at):
            raise TransitionError(_("An extension must be asked before the deadline."))
        req.pending_extension_days = days
        fields.append("pending_extension_days")
        data = {"days": days}
        notify = _managers_of(req.handling_unit)
    elif action in (A.EXTEND_APPROVE, A.EXTEND_REFUSE):
        if not req.pending_extension_days:
            raise TransitionError(_("No extension is waiting for a decision."))
        data = {"days": req.pending_extension_days}
        req.pending_extension_days = 0
        fields.append("pending_extension_days")

    if co_units is not None:
        req.co_units.set(co_units)
    req.status = target
    req.save(update_fields=fields)
    RequestEvent.objects.create(
        request=req,
        action=action,
        from_status=from_status,
        to_status=target,
        by=by,
        at=at,
        note=note,
        data=data,
    )
    if action == A.REOPEN:
        req.refresh_from_db(fields=["reopen_count"])  # it was incremented in the database with F()
    request_recompute_clocks(request=req)
    _notify(notify, req, move.label, exclude=by, at=at)
    return req


def _managers_of(unit: Unit | None) -> list[User]:
    if unit is None:
        return []
    return list(
        User.objects.filter(unit=unit, is_active=True, groups__permissions__codename="manage_unit").distinct()
    )


def _notify(users: Iterable[User | None], req: Request, label, *, exclude: User, at: datetime) -> None:
    rows = [
        Notification(user=u, request=req, message=f"{label}: {req.title}"[:200], created_at=at)
        for u in {u.pk: u for u in users if u is not None and u.pk != exclude.pk}.values()
    ]
    Notification.objects.bulk_create(rows)


def request_recompute_clocks(*, request: Request, calendar=None) -> Request:
    """Re-derive the stored deadlines and timings from the event history."""
    events = sorted(request.events.all(), key=lambda e: (e.at, e.pk))  # uses a prefetch when there is one
    result = clocks.compute(
        events=events,
        contact_days=request.category.contact_days,
        close_days=request.category.close_days,
        urgency=request.urgency,
        received_on=request.received_on,
        calendar=calendar or get_calendar(),
    )
    changed = [f for f in clocks.Clocks.FIELDS if getattr(request, f) != getattr(result, f)]
    before = (request.handling_unit_id, request.received_on, request.close_due)
    closed_before = request.closed_at
    for f in changed:
        setattr(request, f, getattr(result, f))
    if changed:
        Request.objects.filter(pk=request.pk).update(**{f: getattr(result, f) for f in changed})
        requests_changed.send(
            sender=Request, pks=[request.pk], before=[before], closed_before=[closed_before]
        )
    return request


# --- creating visits and requests ------------------------------------------------------------------


@transaction.atomic
@coalesced()
def request_create(
    *,
    by: User,
    enterprise: Enterprise | None,
    category: Category,
    title: str,
    description: str = "",
    urgency: str = Request.Urgency.NORMAL,
    source: str = Request.Source.VISIT,
    visit: Visit | None = None,
    handling_unit: Unit | None = None,
    handler: User | None = None,
    co_units: Iterable[Unit] = (),
    received_at: datetime | None = None,
) -> Request:
    """Log a request; with a handling unit it is dispatched at once (it reaches the unit the same day)."""
    if not by.has_perm("service.add_request") or by.unit_id is None:
        raise PermissionDenied
    received_at = received_at or timezone.now()
    req = Request(
        enterprise=enterprise,
        category=category,
        title=title.strip(),
        description=description.strip(),
        urgency=urgency,
        source=source,
        visit=visit,
        logged_unit_id=by.unit_id,
        created_by=by,
        received_at=received_at,
        received_on=timezone.localdate(received_at),
    )
    req.full_clean(exclude=["received_on", "logged_unit", "created_by"])
    req.save()
    RequestEvent.objects.create(request=req, action=A.CREATE, to_status=S.NEW, by=by, at=received_at)
    if handling_unit is not None:
        req = _dispatch_on_creation(req, by, handling_unit, handler, co_units, received_at)
    else:
        req.co_units.set(co_units)
    return req


def _dispatch_on_creation(req, by, unit, handler, co_units, at):
    """The person who logs a request may send it straight to the responsible unit."""
    if handler is not None and handler.unit_id != unit.pk:
        raise TransitionError(_("The handler must belong to the handling unit."))
    req.status, req.handling_unit, req.handler, req.version = S.DISPATCHED, unit, handler, req.version + 1
    req.save(update_fields=["status", "handling_unit", "handler", "version", "updated_at"])
    req.co_units.set(co_units)
    RequestEvent.objects.create(
        request=req,
        action=A.DISPATCH,
        from_status=S.NEW,
        to_status=S.DISPATCHED,
        by=by,
        at=at,
        data={"unit": unit.pk, "from_unit": None, "handler": handler.pk if handler else None},
    )
    request_recompute_clocks(request=req)
    _notify([handler] if handler else _managers_of(unit), req, MOVES[A.DISPATCH].label, exclude=by, at=at)
    return req


@transaction.atomic
@coalesced()
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
) -> Visit:
    """Log a visit and every request heard there, in one transaction."""
    if not by.has_perm("service.add_visit"):
        raise PermissionDenied
    if lead_unit.pk != by.unit_id and not _is_leader(by):
        raise PermissionDenied
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("A visit cannot be in the future.")})
    visit = Visit(
        visited_on=visited_on,
        enterprise=enterprise,
        target_name=target_name,
        lead_unit=lead_unit,
        mode=mode,
        summary=summary.strip(),
        created_by=by,
        created_at=created_at or timezone.now(),
    )
    visit.full_clean()
    visit.save()
    visit.joint_units.set([u for u in joint_units if u.pk != lead_unit.pk])
    visit.staff.set({*staff, by})
    for item in requests:
        request_create(by=by, enterprise=enterprise, visit=visit, source=Request.Source.VISIT, **item)
    if enterprise is not None:
        VisitAssignment.objects.filter(enterprise=enterprise, visit__isnull=True, assignee=by).update(
            visit=visit
        )
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


def attachment_add(*, request: Request, by: User, uploaded) -> Attachment:
    from pathlib import PurePath

    from django.conf import settings

    suffix = PurePath(uploaded.name or "").suffix.lower()
    if suffix not in Attachment.ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Files of this type are not accepted. Allowed: %(types)s")
            % {"types": " ".join(Attachment.ALLOWED_EXTENSIONS)}
        )
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."))
    name = PurePath(uploaded.name).name[:200]
    return Attachment.objects.create(
        request=request, file=uploaded, name=name, size=uploaded.size, uploaded_by=by
    )


# --- joint actions ---------------------------------------------------------------------------------


@transaction.atomic
@coalesced()
def joint_action_create(
    *, by: User, title: str, description: str, requests: Iterable[Request]
) -> JointAction:
    """Group similar open requests of several enterprises into one action handled once."""
    if not by.has_perm("service.add_jointaction"):
        raise PermissionDenied
    requests = list(requests)
    if len(requests) < 2:
        raise ValidationError(_("A joint action links at least two requests."))
    for req in requests:
        # Only the handling unit's own requests: the action belongs to `by`'s unit, which closes it.
        if not req.is_open or not _in_handling_unit(by, req):
            raise ValidationError(
                _("Request #%(id)d cannot join: it must be open and handled by your unit.") % {"id": req.pk}
            )
    action = JointAction(
        title=title.strip(), description=description.strip(), unit_id=by.unit_id, created_by=by
    )
    action.full_clean()
    action.save()
    Request.objects.filter(pk__in=[r.pk for r in requests]).update(joint_action=action)
    return action


@transaction.atomic
@coalesced()
def joint_action_close(*, action: JointAction, by: User, outcome: str, answer: str, at=None) -> JointAction:
    """Close the action and, with its answer, every linked request that its unit still handles; each
    request records its own history (it walks resume / acknowledge → close as needed). A member since
    transferred to another unit or returned to the dispatch desk keeps its own course."""
    action = JointAction.objects.select_for_update().get(pk=action.pk)
    if action.closed_at is not None:
        raise TransitionError(_("This joint action is already closed."))
    if outcome not in Request.Outcome.values or not answer.strip():
        raise TransitionError(_("Give the outcome and the answer."))
    at = at or timezone.now()
    note = _("Closed by joint action “%(title)s”.") % {"title": action.title}
    members = action.requests.filter(status__in=HANDLING, handling_unit_id=action.unit_id)
    for req in members.order_by("pk"):
        if req.status == S.PAUSED:
            req = request_transition(request=req, action=A.RESUME, by=by, note=note, at=at)
        if req.status == S.DISPATCHED:
            req = request_transition(request=req, action=A.ACKNOWLEDGE, by=by, note=note, at=at)
        req = request_transition(
            request=req, action=A.CLOSE, by=by, note=note, at=at, outcome=outcome, answer=answer
        )
    action.closed_at, action.outcome, action.answer = at, outcome, answer.strip()
    action.save(update_fields=["closed_at", "outcome", "answer"])
    return action


def can_attach(user, req: Request) -> bool:
    """Attachments are added by the unit that logged or handles the request, and leaders."""
    return (
        req.is_open
        and (user.unit_id in (req.logged_unit_id, req.handling_unit_id) or _is_leader(user))
        and user.has_perm("service.handle_request")
    )

"""Requests: logged (alone or at a visit), moved through their life cycle, their clocks re-derived; every
write with its change to the roll-ups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.rollups import Delta
from apps.enterprises.models import Enterprise
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

from .. import clocks, rollups
from ..models import (
    Category,
    Concerns,
    Notification,
    Request,
    RequestEvent,
    Supervision,
    Visit,
)
from .moves import MOVES, A, S, TransitionError, _deadline_passed
from .notifications import _managers_of, _message, _notify

# The moves the person who logged a request is told of (besides the handlers told of theirs): it was closed,
# returned to the dispatch desk, reopened or withdrawn — unless they made the move themselves.
TELL_LOGGER = frozenset({A.CLOSE, A.RETURN, A.REOPEN, A.WITHDRAW})


@transaction.atomic
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
    callback_check: bool = False,
) -> Request:
    """Apply one move of the life cycle to `request`, locking its row: the request with its re-derived
    clocks, its event, the notifications it sends, and its change to the figures' roll-ups.

    `expected_status` and `expected_version` are what the user saw: if someone else moved the request
    meanwhile (even without changing its status, e.g. a transfer), the move is refused rather than applied
    to a request in a state the user did not see.
    """
    req, delta = _move(
        request=request,
        action=action,
        by=by,
        note=note,
        expected_status=expected_status,
        expected_version=expected_version,
        at=at,
        unit=unit,
        handler=handler,
        outcome=outcome,
        answer=answer,
        satisfaction=satisfaction,
        days=days,
        co_units=co_units,
        callback_check=callback_check,
    )
    delta.apply()
    return req


def _move(
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
    callback_check: bool = False,
) -> tuple[Request, Delta]:
    """`request_transition` but for the roll-ups, whose change it returns (a caller moving several requests
    adds them up and applies them once)."""
    move = MOVES.get(action)
    if move is None:
        raise TransitionError(_("Unknown action."))
    req = Request.objects.locked().select_related("category").get(pk=request.pk)
    before = rollups.request_rows(req)
    at = at or timezone.now()
    note = (note or "").strip()
    if (expected_status and req.status != expected_status) or (
        expected_version is not None and req.version != expected_version
    ):
        raise TransitionError(
            _("Someone else has just changed this request (it is now “%(status)s”). Look again and retry.")
            % {"status": req.get_status_display()}
        )
    # A call-back checker's disputed closure (services/callbacks.py) reopens the request they sampled, also
    # after the unit recorded a feedback: the checker's word is the independent one.
    sources, allowed = move.sources, move.allowed(by, req)
    if callback_check:
        sources = (S.CLOSED, S.CONFIRMED) if action == A.REOPEN else ()
        allowed = by.has_perm("service.check_callback")
    if req.status not in sources:
        raise TransitionError(
            _("“%(action)s” is not possible while the request is “%(status)s”.")
            % {"action": move.label, "status": req.get_status_display()}
        )
    if not allowed:
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
        notify = [handler] if handler else _managers_of([unit.pk]).get(unit.pk, [])
    elif action == A.ACKNOWLEDGE:
        if req.handler_id is None:  # the unit's staff member who takes an unassigned request handles it
            data = {"handler": by.pk}
            req.handler = by
            fields.append("handler")
    elif action == A.ASSIGN:
        if handler is None or handler.unit_id != req.handling_unit_id:
            raise TransitionError(_("Choose a handler of the handling unit."))
        data = {"handler": handler.pk, "from_handler": req.handler_id}
        req.handler = handler
        fields.append("handler")
        notify = [handler]
    elif action == A.CLOSE:
        if Supervision.objects.filter(request=req).pending().exists():
            raise TransitionError(_("Under supervision: answer the leader's instruction before closing."))
        if outcome not in Request.Outcome.values or not answer.strip():
            raise TransitionError(_("Give the outcome and the answer given to the enterprise."))
        req.outcome, req.answer = outcome, answer.strip()
        fields += ["outcome", "answer"]
        data = {"outcome": outcome}
    elif action in (A.CONFIRM, A.REOPEN):
        wanted = A.REOPEN if satisfaction == Request.Satisfaction.UNSATISFIED else A.CONFIRM
        if satisfaction not in Request.Satisfaction.values or wanted != action:
            raise TransitionError(_("Record the enterprise's satisfaction."))
        req.satisfaction, req.satisfaction_by = satisfaction, Request.RatedBy.STAFF  # typed by staff
        fields += ["satisfaction", "satisfaction_by"]
        data = {"satisfaction": satisfaction}
        if action == A.REOPEN:
            req.reopen_count += 1  # the row is locked
            fields.append("reopen_count")
            notify = (
                [req.handler]
                if req.handler_id
                else _managers_of([req.handling_unit_id]).get(req.handling_unit_id, [])
            )
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
        notify = _managers_of([req.handling_unit_id]).get(req.handling_unit_id, [])
    elif action in (A.EXTEND_APPROVE, A.EXTEND_REFUSE):
        if not req.pending_extension_days:
            raise TransitionError(_("No extension is waiting for a decision."))
        data = {"days": req.pending_extension_days}
        req.pending_extension_days = 0
        fields.append("pending_extension_days")

    if co_units is not None:
        req.co_units.set(co_units)
    req.status = target
    event = RequestEvent(
        request=req,
        action=action,
        from_status=from_status,
        to_status=target,
        by=by,
        at=at,
        note=note,
        data=data,
    )
    fields += _derive_clocks(req, [*req.events.all(), event])
    req.save(update_fields=fields)
    event.save()
    message = _message(move.label, req)
    told = [Notification(user=u, request=req, message=message, created_at=at) for u in notify]
    if action in TELL_LOGGER:
        told.append(Notification(user_id=req.created_by_id, request=req, message=message, created_at=at))
    if action in (A.EXTEND_APPROVE, A.EXTEND_REFUSE) and req.handler_id:  # the handler asked for it
        told.append(Notification(user_id=req.handler_id, request=req, message=message, created_at=at))
    _notify(told, exclude=by, action=action, note=note)
    return req, rollups.request_rows(req) - before


def _derive_clocks(req: Request, events: list[RequestEvent], calendar=None) -> list[str]:
    """Set the request's deadlines and timings from its whole event history (clocks.compute); the names of
    the fields that changed."""
    result = clocks.compute(
        events=sorted(events, key=lambda e: (e.at, e.pk is None, e.pk or 0)),  # new events last
        contact_days=req.category.contact_days,
        close_days=req.category.close_days,
        urgency=req.urgency,
        received_on=req.received_on,
        calendar=calendar or get_calendar(),
    )
    changed = [f for f in clocks.Clocks.FIELDS if getattr(req, f) != getattr(result, f)]
    for f in changed:
        setattr(req, f, getattr(result, f))
    return changed


@transaction.atomic
def requests_recompute_clocks(*, requests: QuerySet, calendar=None) -> int:
    """Re-derive the deadlines and timings of `requests` from their event histories (after a change of the
    working-day calendar or of a category's limits), with the roll-ups' change; returns how many changed."""
    calendar = calendar or get_calendar()
    delta, changed = Delta(), []
    for req in requests.select_related("category").prefetch_related("events").order_by("pk").iterator(1000):
        before = rollups.request_rows(req)
        if _derive_clocks(req, list(req.events.all()), calendar):
            delta += rollups.request_rows(req) - before
            changed.append(req)
    Request.objects.bulk_update(changed, clocks.Clocks.FIELDS, batch_size=1000)
    delta.apply_in_chunks()
    return len(changed)


# --- creating visits and requests ------------------------------------------------------------------


@transaction.atomic
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
    concerns: str = Concerns.ENTERPRISE,
    counts_for: Unit | None = None,
) -> Request:
    """Log a request; with a handling unit it is dispatched at once (it reaches the unit the same day). A
    request about a project says so (`concerns`) with the unit it counts for (the project's)."""
    if not by.has_perm("service.add_request") or by.unit_id is None:
        raise PermissionDenied
    item = {
        "category": category,
        "title": title,
        "description": description,
        "urgency": urgency,
        "handling_unit": handling_unit,
        "handler": handler,
        "co_units": co_units,
    }
    requests, delta = _create_requests(
        by=by,
        items=[item],
        enterprise=enterprise,
        source=source,
        visit=visit,
        received_at=received_at or timezone.now(),
        concerns=concerns,
        counts_for=counts_for,
    )
    delta.apply()
    return requests[0]


def _create_requests(
    *,
    by: User,
    items: list[dict],
    enterprise: Enterprise | None,
    source: str,
    visit: Visit | None,
    received_at: datetime,
    concerns: str,
    counts_for: Unit | None,
) -> tuple[list[Request], Delta]:
    """Write the requests of `items` together (one INSERT each for requests, events, co-units and
    notifications); one with a handling unit is dispatched at once, its clocks derived from its two events.
    An item may say when it was received (else `received_at`). Returns them and their change to the
    roll-ups."""
    calendar = get_calendar()
    requests, events, co_links, notify = [], [], [], []
    for item in items:
        unit, handler = item.get("handling_unit"), item.get("handler")
        at = item.get("received_at") or received_at
        if unit is not None and handler is not None and handler.unit_id != unit.pk:
            raise TransitionError(_("The handler must belong to the handling unit."))
        req = Request(
            enterprise=enterprise,
            category=item["category"],
            title=item["title"].strip(),
            description=(item.get("description") or "").strip(),
            urgency=item.get("urgency") or Request.Urgency.NORMAL,
            source=source,
            visit=visit,
            logged_unit_id=by.unit_id,
            created_by=by,
            received_at=at,
            received_on=timezone.localdate(at),
            concerns=concerns,
            counts_for=counts_for,
        )
        # the related records are the caller's instances: no query to check that they exist
        req.full_clean(
            exclude=[
                "received_on",
                "logged_unit",
                "created_by",
                "enterprise",
                "category",
                "visit",
                "counts_for",
            ]
        )
        history = [RequestEvent(action=A.CREATE, to_status=S.NEW, by=by, at=at)]
        if unit is not None:
            req.status, req.handling_unit, req.handler, req.version = S.DISPATCHED, unit, handler, 1
            history.append(
                RequestEvent(
                    action=A.DISPATCH,
                    from_status=S.NEW,
                    to_status=S.DISPATCHED,
                    by=by,
                    at=at,
                    data={"unit": unit.pk, "from_unit": None, "handler": handler.pk if handler else None},
                )
            )
        _derive_clocks(req, history, calendar)
        requests.append(req)
        events.append(history)
        co_links.append(list(item.get("co_units") or ()))
    Request.objects.bulk_create(requests)
    for req, history in zip(requests, events, strict=True):
        for event in history:
            event.request = req
    RequestEvent.objects.bulk_create([e for history in events for e in history])
    through = Request.co_units.through
    through.objects.bulk_create(
        through(request=req, unit=u) for req, units in zip(requests, co_links, strict=True) for u in units
    )
    managers = _managers_of(r.handling_unit_id for r in requests if r.handling_unit_id and not r.handler_id)
    label = MOVES[A.DISPATCH].label
    for req in requests:
        if req.handling_unit_id is not None:
            for user in [req.handler] if req.handler_id else managers.get(req.handling_unit_id, []):
                notify.append(
                    Notification(user=user, request=req, message=_message(label, req), created_at=received_at)
                )
    _notify(notify, exclude=by, action=A.DISPATCH)
    delta = Delta()
    for req in requests:
        delta += rollups.request_rows(req)
    return requests, delta


@transaction.atomic
def counted_unit_move(*, requests: QuerySet, visits: QuerySet, to: Unit) -> None:
    """The project (or other record of a higher campaign) these requests and visits concern now belongs to
    `to`: they count for it from now on, and their roll-up rows move with them."""
    delta = Delta()
    moved = list(requests.select_for_update().order_by("pk"))
    for req in moved:
        before = rollups.request_rows(req)
        req.counts_for = to
        delta += rollups.request_rows(req) - before
    Request.objects.filter(pk__in=[r.pk for r in moved]).update(counts_for=to)
    moved_visits = list(visits.select_for_update().order_by("pk"))
    joint = Visit.joint_units.through.objects.filter(visit__in=[v.pk for v in moved_visits])
    joint_of: dict[int, list[int]] = {}
    for visit_id, unit_id in joint.values_list("visit_id", "unit_id"):
        joint_of.setdefault(visit_id, []).append(unit_id)
    for visit in moved_visits:
        before = rollups.visit_rows(visit, joint_of.get(visit.pk, []))
        visit.counts_for = to
        delta += rollups.visit_rows(visit, joint_of.get(visit.pk, [])) - before
    Visit.objects.filter(pk__in=[v.pk for v in moved_visits]).update(counts_for=to)
    delta.apply()

"""Writes of campaign 1. Every status change goes through `request_transition` and its table of moves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.core.rollups import Delta
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

from . import clocks, rollups
from .models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Concerns,
    JointAction,
    Notification,
    Request,
    RequestEvent,
    Status,
    Visit,
    VisitAssignment,
)

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
) -> tuple[Request, Delta]:
    """`request_transition` but for the roll-ups, whose change it returns (a caller moving several requests
    adds them up and applies them once)."""
    move = MOVES.get(action)
    if move is None:
        raise TransitionError(_("Unknown action."))
    req = Request.objects.select_for_update().select_related("category").get(pk=request.pk)
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
        notify = [handler] if handler else _managers_of([unit.pk]).get(unit.pk, [])
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
    _notify(
        [Notification(user=u, request=req, message=_message(move.label, req), created_at=at) for u in notify],
        exclude=by,
    )
    return req, rollups.request_rows(req) - before


def _message(label, req: Request) -> str:
    return f"{label}: {req.title}"[:200]


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


def _managers_of(unit_ids: Iterable[int | None]) -> dict[int, list[User]]:
    """The active managers of each unit (one query for all)."""
    ids = {u for u in unit_ids if u is not None}
    managers: dict[int, list[User]] = {}
    if ids:
        for user in User.objects.filter(
            unit_id__in=ids, is_active=True, groups__permissions__codename="manage_unit"
        ).distinct():
            managers.setdefault(user.unit_id, []).append(user)
    return managers


def _notify(rows: list[Notification], *, exclude: User | None = None) -> None:
    """Create the notifications (one per user and request at most, never to `exclude`: the one who acted) and
    count them on their users' unread badges."""
    unique = {
        (n.user_id, n.request_id): n
        for n in rows
        if n.user_id and (exclude is None or n.user_id != exclude.pk)
    }
    notifications_send(list(unique.values()))


def notifications_send(rows: list[Notification]) -> None:
    """Create notifications and add them to their users' unread badges (User.unread_notifications)."""
    if not rows:
        return
    Notification.objects.bulk_create(rows)
    per_user = sorted(Counter(n.user_id for n in rows).items())  # users locked in id order: no deadlock
    values = ", ".join(["(%s, %s)"] * len(per_user))  # placeholders only: the values are parameters
    add = f"UPDATE accounts_user u SET unread_notifications = u.unread_notifications + v.n FROM (VALUES {values}) AS v(id, n) WHERE u.id = v.id"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(add, [x for pair in per_user for x in pair])


def notifications_read(*, user: User, request: Request | None = None) -> int:
    """Mark the user's unread notifications (about one request, or all) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if request is not None:
        unread = unread.filter(request=request)
    marked = unread.update(read_at=timezone.now())
    if marked:
        User.objects.filter(pk=user.pk).update(unread_notifications=F("unread_notifications") - marked)
        user.unread_notifications = max(0, user.unread_notifications - marked)
    return marked


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
    _notify(notify, exclude=by)
    delta = Delta()
    for req in requests:
        delta += rollups.request_rows(req)
    return requests, delta


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
) -> Visit:
    """Log a visit and every request heard there, in one transaction: the visit, its units and staff, the
    requests (about what the visit is about: a project visit's requests are the project's problems), the
    month marked on the enterprise's record, the visit assignment it fulfils, and the roll-ups' change."""
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
        concerns=concerns,
        counts_for=counts_for,
    )
    visit.full_clean(exclude=["enterprise", "lead_unit", "created_by", "counts_for"])
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
    (delta + rollups.visit_rows(visit, joint)).apply()
    return visit


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
    delta = Delta()
    for req in members.order_by("pk"):
        for step in _steps_to_close(req.status):
            req, moved = _move(
                request=req, action=step, by=by, note=note, at=at, outcome=outcome, answer=answer
            )
            delta += moved
    action.closed_at, action.outcome, action.answer = at, outcome, answer.strip()
    action.save(update_fields=["closed_at", "outcome", "answer"])
    delta.apply()
    return action


def _steps_to_close(status: str) -> list[str]:
    """The moves that take a request being handled to closed: resume a paused one, acknowledge a new one."""
    steps = {S.PAUSED: [A.RESUME], S.DISPATCHED: [A.ACKNOWLEDGE]}.get(status, [])
    return [*steps, A.CLOSE]


def can_attach(user, req: Request) -> bool:
    """Attachments are added by the unit that logged or handles the request, and leaders."""
    return (
        req.is_open
        and (user.unit_id in (req.logged_unit_id, req.handling_unit_id) or _is_leader(user))
        and user.has_perm("service.handle_request")
    )

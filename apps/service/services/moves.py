"""Who may move a request, and the one table of allowed moves (MOVES)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..models import (
    OPEN_STATUSES,
    Request,
    RequestEvent,
    Status,
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

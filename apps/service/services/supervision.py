"""督办 (supervision): a leader puts an overdue request under supervision with an instruction (批示) and its
own deadline; the handler answers the instruction, without which the request cannot be closed (the close move
refuses, services/requests.py); until it is done it stays in the meeting memo (apps/rankings/memos.py)."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User

from ..models import Notification, Request, Supervision
from .moves import TransitionError
from .notifications import _managers_of, _message, _notify


def _text(value: str, max_length: int) -> str:
    """A text as posted: stripped, at most `max_length`, no NUL byte (PostgreSQL refuses it)."""
    return forms.CharField(max_length=max_length, required=False).clean(value).strip()


def can_answer(user: User, request: Request) -> bool:
    """The handling unit's people who handle requests answer the instruction."""
    return (
        user.has_perm("service.handle_request")
        and request.handling_unit_id is not None
        and user.unit_id == request.handling_unit_id
    )


@transaction.atomic
def supervision_create(
    *,
    request: Request,
    by: User,
    instruction: str,
    due_on: date,
    at: datetime | None = None,
) -> Supervision:
    """Put an overdue request under supervision. Side effects: the handler (else the unit's managers) is
    notified; the request shows the tag on the to-do lists and cannot be closed until the answer."""
    if not by.has_perm("service.supervise_request"):
        raise PermissionDenied
    at = at or timezone.now()
    req = Request.objects.locked().get(pk=request.pk)
    instruction = _text(instruction, 2000)
    if not instruction:
        raise TransitionError(_("Write the instruction."))
    if req.due_state(at) != "overdue":
        raise TransitionError(_("Only an overdue request can be put under supervision."))
    if due_on < timezone.localdate(at):
        raise TransitionError(_("The supervision deadline cannot be in the past."))
    if Supervision.objects.filter(request=req).pending().exists():
        raise TransitionError(_("This request is already under supervision."))
    supervision = Supervision(
        request=req, instruction=instruction, due_on=due_on, created_by=by, created_at=at
    )
    supervision.full_clean(exclude=["request", "created_by"])
    supervision.save()
    told = (
        [req.handler]
        if req.handler_id
        else _managers_of([req.handling_unit_id]).get(req.handling_unit_id, [])
    )
    message = _message(_("Under supervision"), req)
    _notify([Notification(user=u, request=req, message=message, created_at=at) for u in told], exclude=by)
    return supervision


@transaction.atomic
def supervision_answer(
    *, supervision: Supervision, by: User, answer: str, at: datetime | None = None
) -> Supervision:
    """The handling unit answers the leader's instruction (then the request may be closed). Side effect: the
    leader who gave it is notified."""
    supervision = Supervision.objects.select_for_update().select_related("request").get(pk=supervision.pk)
    if not can_answer(by, supervision.request):
        raise PermissionDenied
    if supervision.answered_at is not None:
        raise TransitionError(_("The instruction is already answered."))
    answer = _text(answer, 5000)
    if not answer:
        raise TransitionError(_("Write the answer to the instruction."))
    at = at or timezone.now()
    supervision.answer, supervision.answered_by, supervision.answered_at = answer, by, at
    supervision.save(update_fields=["answer", "answered_by", "answered_at"])
    message = _message(_("Instruction answered"), supervision.request)
    _notify(
        [
            Notification(
                user_id=supervision.created_by_id, request=supervision.request, message=message, created_at=at
            )
        ],
        exclude=by,
    )
    return supervision

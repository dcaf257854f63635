"""Joint actions: similar requests of several enterprises answered by one action."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.rollups import Delta

from ..models import (
    JointAction,
    Request,
)
from .moves import HANDLING, A, S, TransitionError, _in_handling_unit
from .requests import _move


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

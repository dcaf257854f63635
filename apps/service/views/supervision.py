"""督办 on the request page: a leader puts an overdue request under supervision; the handling unit answers."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Request, Supervision
from ..services.supervision import can_answer, supervision_answer, supervision_create


def supervision_context(user, req: Request, now) -> dict:
    """What the request page shows of supervision (one query): its supervisions, the one waiting for an
    answer (the close form says why it cannot close), and which forms the viewer gets."""
    supervisions = list(req.supervisions.select_related("created_by", "answered_by"))
    pending = next((s for s in supervisions if s.answered_at is None), None)
    return {
        "supervisions": supervisions,
        "pending_supervision": pending,
        "can_supervise": pending is None
        and req.due_state(now) == "overdue"
        and user.has_perm("service.supervise_request"),
        "can_answer_supervision": pending is not None and can_answer(user, req),
        "supervise_due_min": f"{timezone.localdate(now):%Y-%m-%d}",
    }


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if len(value) <= 10 else None
    except ValueError:
        return None


def _done(request, call) -> None:
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Saved."))


@require_POST
def supervise(request, pk):
    """Put the request under supervision (leaders): the instruction and its deadline."""
    if not request.user.has_perm("service.supervise_request"):
        raise PermissionDenied
    req = get_object_or_404(Request.objects.visible_to(request.user), pk=pk)
    due_on = _date(request.POST.get("due_on", ""))
    if due_on is None:
        messages.error(request, _("Give the supervision deadline as a date."))
    else:
        _done(
            request,
            lambda: supervision_create(
                request=req, by=request.user, instruction=request.POST.get("instruction", ""), due_on=due_on
            ),
        )
    return redirect(reverse("service:request_detail", args=[req.pk]))


@require_POST
def supervision_answer_view(request, pk):
    """The handling unit answers the leader's instruction."""
    supervision = get_object_or_404(
        Supervision.objects.visible_to(request.user).select_related("request"), pk=pk
    )
    if not can_answer(request.user, supervision.request):
        raise PermissionDenied
    _done(
        request,
        lambda: supervision_answer(
            supervision=supervision, by=request.user, answer=request.POST.get("answer", "")
        ),
    )
    return redirect(reverse("service:request_detail", args=[supervision.request_id]))

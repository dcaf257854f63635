from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..forms import JointActionCloseForm, JointActionForm
from ..models import JointAction, Request
from .common import request_rows


def _groupable(user):
    """Open requests the user's unit handles: what may be grouped into a joint action."""
    return request_rows(
        Request.objects.open().filter(handling_unit_id=user.unit_id, joint_action__isnull=True)
    )


def joint_action_list(request):
    actions = JointAction.objects.visible_to(request.user).select_related("unit", "created_by")
    return render(request, "service/jointaction_list.html", {"actions": actions[:200]})


def joint_action_create(request):
    if not request.user.has_perm("service.add_jointaction"):
        raise PermissionDenied
    queryset = _groupable(request.user).order_by("category__sort_order", "-received_at")
    form = JointActionForm(request.POST or None, queryset=queryset)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.joint_action_create(
                by=request.user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                requests=form.cleaned_data["requests"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Joint action created."))
            return redirect("service:jointaction_detail", pk=action.pk)
    return render(request, "service/jointaction_form.html", {"form": form, "candidates": queryset[:300]})


def joint_action_detail(request, pk):
    action = get_object_or_404(JointAction.objects.visible_to(request.user).select_related("unit"), pk=pk)
    can_close = (
        action.closed_at is None
        and action.unit_id == request.user.unit_id
        and request.user.has_perm("service.handle_request")
    )
    return render(
        request,
        "service/jointaction_detail.html",
        {
            "action": action,
            "members": request_rows(action.requests.all()),
            "close_form": JointActionCloseForm() if can_close else None,
        },
    )


@require_POST
def joint_action_close(request, pk):
    action = get_object_or_404(JointAction.objects.visible_to(request.user), pk=pk)
    if action.unit_id != request.user.unit_id or not request.user.has_perm("service.handle_request"):
        raise PermissionDenied
    form = JointActionCloseForm(request.POST)
    if form.is_valid():
        try:
            services.joint_action_close(
                action=action,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                answer=form.cleaned_data["answer"],
            )
            messages.success(request, _("Joint action closed; its open requests are closed with its answer."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [_("Not allowed.")])))
    else:
        messages.error(request, _("Give the outcome and the answer."))
    return redirect("service:jointaction_detail", pk=action.pk)

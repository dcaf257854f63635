from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from apps.accounts.models import User
from apps.core.exports import xlsx_response
from apps.core.views import FilteredListView, safe_next
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .. import services
from ..filters import RequestFilter
from ..forms import ActionForm, AttachmentForm, RequestForm
from ..models import Attachment, Notification, Request, RequestEvent
from .common import URGENCY_RANK, request_rows

A = RequestEvent.Action


class RequestListView(FilteredListView):
    filterset_class = RequestFilter
    template_name = "service/request_list.html"

    def get_queryset(self):
        return request_rows(Request.objects.visible_to(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["now"] = timezone.now()
        return context


class RequestExportView(View):
    def get(self, request):
        qs = RequestFilter(
            request.GET, queryset=request_rows(Request.objects.visible_to(request.user)), request=request
        ).qs
        headers = [
            "编号",
            "受理时间",
            "企业",
            "来源",
            "类别",
            "诉求",
            "紧急程度",
            "状态",
            "承办单位",
            "承办人",
            "办结期限",
            "办结时间",
            "按时办结",
            "办理结果",
            "答复内容",
            "满意度",
            "登记单位",
        ]
        now = timezone.now()
        rows = (
            [
                r.pk,
                timezone.localtime(r.received_at).strftime("%Y-%m-%d %H:%M"),
                r.enterprise.name if r.enterprise_id else "",
                r.get_source_display(),
                r.category.name,
                r.title,
                r.get_urgency_display(),
                r.get_status_display() + ("（超期）" if r.due_state(now) == "overdue" else ""),
                r.handling_unit.name if r.handling_unit_id else "",
                str(r.handler) if r.handler_id else "",
                timezone.localtime(r.close_due).strftime("%Y-%m-%d %H:%M") if r.close_due else "",
                timezone.localtime(r.closed_at).strftime("%Y-%m-%d %H:%M") if r.closed_at else "",
                {True: "是", False: "否"}.get(r.closed_on_time, ""),
                r.get_outcome_display(),
                r.answer,
                r.get_satisfaction_display(),
                r.logged_unit.name,
            ]
            for r in qs.iterator(chunk_size=2000)
        )
        return xlsx_response("requests", headers, rows)


class RequestDetailView(DetailView):
    template_name = "service/request_detail.html"
    context_object_name = "req"

    def get_queryset(self):
        return request_rows(Request.objects.visible_to(self.request.user)).select_related(
            "visit", "joint_action"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        req, user = self.object, self.request.user
        services.notifications_read(user=user, request=req)  # the badge on this page counts them off too
        moves = services.allowed_moves(user, req)
        context.update(
            events=req.events.select_related("by"),
            attachments=req.attachments.select_related("uploaded_by"),
            co_units=req.co_units.all(),
            moves=[(m, services.MOVES[m].label) for m in moves],
            action_form=ActionForm(initial={"expected_status": req.status}),
            unit_users=User.objects.filter(unit_id=req.handling_unit_id, is_active=True)
            if A.ASSIGN in moves
            else [],
            units=Unit.objects.active() if {A.DISPATCH, A.TRANSFER} & set(moves) else [],
            satisfaction_choices=Request.Satisfaction.choices,
            outcome_choices=Request.Outcome.choices,
            can_attach=services.can_attach(user, req),
            attachment_form=AttachmentForm(),
            now=timezone.now(),
        )
        return context


@require_POST
def request_act(request, pk):
    """Apply one life-cycle move posted from the request page or a to-do list."""
    req = get_object_or_404(Request.objects.visible_to(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The action could not be read. Try again."))
        return redirect(safe_next(request, req_url(req)))
    data = form.cleaned_data
    action = data["action"]
    if action in (A.CONFIRM, A.REOPEN, "feedback"):
        # One "feedback" form: unsatisfied reopens the request (重办), anything else confirms it.
        action = A.REOPEN if data["satisfaction"] == Request.Satisfaction.UNSATISFIED else A.CONFIRM
    try:
        services.request_transition(
            request=req,
            action=action,
            by=request.user,
            note=data["note"],
            expected_status=data["expected_status"],
            expected_version=data["expected_version"],
            unit=data["unit"],
            handler=data["handler"] if action == A.ASSIGN else None,
            outcome=data["outcome"],
            answer=data["answer"],
            satisfaction=data["satisfaction"],
            days=data["days"] or 0,
            co_units=data["co_units"]
            if action in (A.DISPATCH, A.TRANSFER) and "co_units" in request.POST
            else None,
        )
    except PermissionDenied:
        messages.error(request, _("You may not do that on this request."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        label = services.MOVES[action].label if action in services.MOVES else action
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect(safe_next(request, req_url(req)))


def req_url(req) -> str:
    from django.urls import reverse

    return reverse("service:request_detail", args=[req.pk])


@require_POST
def attachment_upload(request, pk):
    req = get_object_or_404(Request.objects.visible_to(request.user), pk=pk)
    if not services.can_attach(request.user, req):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(request=req, by=request.user, uploaded=form.cleaned_data["file"])
            messages.success(request, _("Attachment added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a file."))
    return redirect(req_url(req))


def attachment_download(request, pk):
    """Attachments are served only through this permission check, never from a guessable URL."""
    attachment = get_object_or_404(
        Attachment.objects.filter(request__in=Request.objects.visible_to(request.user)), pk=pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


class RequestCreateView(View):
    """Log a request that did not come from a visit (hotline, letter, meeting, online, leader)."""

    template_name = "service/request_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("service.add_request"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {}
        enterprise = None
        if request.GET.get("enterprise", "").isdecimal():
            enterprise = (
                Enterprise.objects.visible_to(request.user).filter(pk=request.GET["enterprise"]).first()
            )
            initial["enterprise"] = enterprise
        return render(
            request,
            self.template_name,
            {"form": RequestForm(user=request.user, initial=initial), "enterprise": enterprise},
        )

    def post(self, request):
        form = RequestForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            req = services.request_create(
                by=request.user,
                enterprise=d["enterprise"],
                source=d["source"],
                category=d["category"],
                title=d["title"],
                description=d["description"],
                urgency=d["urgency"],
                handling_unit=d["handling_unit"],
            )
            messages.success(request, _("Request #%(id)d logged.") % {"id": req.pk})
            return redirect(req_url(req))
        enterprise = form.cleaned_data.get("enterprise")
        return render(request, self.template_name, {"form": form, "enterprise": enterprise})


def my_todo(request):
    """The handler's open items, most urgent and soonest due first."""
    user = request.user
    items = request_rows(
        Request.objects.open().filter(handler=user).annotate(urgency_rank=URGENCY_RANK)
    ).order_by("urgency_rank", "close_due", "pk")
    unassigned = Request.objects.none()
    if user.unit_id:
        unassigned = request_rows(
            Request.objects.open()
            .filter(handling_unit_id=user.unit_id, handler__isnull=True)
            .annotate(urgency_rank=URGENCY_RANK)
        ).order_by("urgency_rank", "close_due", "pk")
    from ..models import VisitAssignment

    assignments = VisitAssignment.objects.filter(assignee=user, visit__isnull=True).select_related(
        "enterprise"
    )
    return render(
        request,
        "service/my_todo.html",
        {
            "items": items[:200],
            "unassigned": unassigned[:100],
            "assignments": assignments[:100],
            "now": timezone.now(),
        },
    )


def unit_todo(request):
    """The unit's to-do list: every open item of the unit; managers assign, decide extensions, confirm."""
    user = request.user
    unit_id = user.unit_id
    if request.GET.get("unit", "").isdecimal() and user.has_perm("accounts.view_all_units"):
        unit_id = int(request.GET["unit"])
    unit = get_object_or_404(Unit, pk=unit_id) if unit_id else None
    base = request_rows(Request.objects.filter(handling_unit_id=unit_id)).annotate(urgency_rank=URGENCY_RANK)
    is_manager = user.has_perm("accounts.manage_unit") and unit_id == user.unit_id
    return render(
        request,
        "service/unit_todo.html",
        {
            "unit": unit,
            "open_items": base.open().order_by("urgency_rank", "close_due", "pk")[:300],
            "extensions": base.open().filter(pending_extension_days__gt=0).order_by("close_due")[:100],
            "to_confirm": base.filter(status="closed").order_by("closed_at")[:100],
            "unit_users": User.objects.filter(unit_id=unit_id, is_active=True) if is_manager else [],
            "is_manager": is_manager,
            "satisfaction_choices": Request.Satisfaction.choices,
            "now": timezone.now(),
        },
    )


def dispatch_desk(request):
    """Requests not yet with a unit: the dispatcher sends each to the responsible unit."""
    user = request.user
    if not user.has_perm("service.dispatch_request"):
        raise PermissionDenied
    items = Request.objects.filter(status="new")
    if not user.has_perm("accounts.view_all_units"):
        items = items.filter(logged_unit_id=user.unit_id)
    returned = Q(events__action=A.RETURN)
    return render(
        request,
        "service/dispatch_desk.html",
        {
            "items": request_rows(items).order_by("received_at", "pk")[:300],
            "returned_ids": set(items.filter(returned).values_list("pk", flat=True)),
            "units": Unit.objects.active(),
            "now": timezone.now(),
        },
    )


def notifications(request):
    items = Notification.objects.filter(user=request.user).select_related("request")[:100]
    return render(request, "service/notifications.html", {"items": items})


@require_POST
def notifications_read(request):
    services.notifications_read(user=request.user)
    return redirect("service:notifications")

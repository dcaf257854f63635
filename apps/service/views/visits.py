from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView

from apps.core.exports import xlsx_response
from apps.core.views import safe_next
from apps.enterprises.models import Enterprise

from .. import services
from ..filters import VisitFilter
from ..forms import AssignVisitForm, RequestItemFormSet, VisitForm
from ..models import Request, Visit
from .common import PAGE_SIZE, query_string_without_page


def _visit_rows(request):
    return (
        Visit.objects.visible_to(request.user)
        .select_related("enterprise", "lead_unit", "created_by")
        .prefetch_related("joint_units", "staff")
    )


class VisitListView(FilterView):
    filterset_class = VisitFilter
    template_name = "service/visit_list.html"
    paginate_by = PAGE_SIZE
    strict = False

    def get_queryset(self):
        return _visit_rows(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query_string"] = query_string_without_page(self.request)
        return context


class VisitExportView(View):
    def get(self, request):
        qs = VisitFilter(request.GET, queryset=_visit_rows(request), request=request).qs
        headers = ["走访日期", "走访对象", "牵头单位", "联合单位", "走访人员", "方式", "诉求数", "情况摘要"]
        counts = dict(
            Request.objects.filter(visit__in=qs.values("pk"))
            .values("visit_id")
            .annotate(n=Count("id"))
            .values_list("visit_id", "n")
        )
        rows = (
            [
                v.visited_on.isoformat(),
                v.target,
                v.lead_unit.name,
                "、".join(u.short_name for u in v.joint_units.all()),
                "、".join(str(s) for s in v.staff.all()),
                v.get_mode_display(),
                counts.get(v.pk, 0),
                v.summary,
            ]
            for v in qs
        )
        return xlsx_response("visits", headers, rows)


class VisitDetailView(DetailView):
    template_name = "service/visit_detail.html"
    context_object_name = "visit"

    def get_queryset(self):
        return _visit_rows(self.request).prefetch_related(
            Prefetch(
                "requests",
                queryset=Request.objects.visible_to(self.request.user).select_related(
                    "category", "handling_unit", "handler"
                ),
            )
        )


class VisitCreateView(View):
    """One form for the visit and every request heard there; quick on a phone."""

    template_name = "service/visit_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("service.add_visit"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {}
        enterprise = None
        if request.GET.get("enterprise", "").isdigit():
            enterprise = (
                Enterprise.objects.visible_to(request.user).filter(pk=request.GET["enterprise"]).first()
            )
            initial["enterprise"] = enterprise
        form = VisitForm(user=request.user, initial=initial)
        formset = RequestItemFormSet(prefix="requests")
        return self._render(form, formset, enterprise)

    def post(self, request):
        form = VisitForm(request.POST, user=request.user)
        formset = RequestItemFormSet(request.POST, prefix="requests")
        enterprise = None
        if form.is_valid() and formset.is_valid():
            items = [f.cleaned_data for f in formset if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            try:
                visit = services.visit_record(
                    by=request.user,
                    visited_on=form.cleaned_data["visited_on"],
                    enterprise=form.cleaned_data["enterprise"],
                    lead_unit=form.cleaned_data["lead_unit"],
                    joint_units=form.cleaned_data["joint_units"],
                    staff=form.cleaned_data["staff"],
                    mode=form.cleaned_data["mode"],
                    summary=form.cleaned_data["summary"],
                    requests=[
                        {
                            "category": i["category"],
                            "title": i["title"],
                            "description": i["description"],
                            "urgency": i["urgency"],
                            "handling_unit": i["handling_unit"],
                        }
                        for i in items
                    ],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Visit logged with %(count)d request(s).") % {"count": len(items)},
                )
                return redirect("service:visit_detail", pk=visit.pk)
        enterprise = form.cleaned_data.get("enterprise") if hasattr(form, "cleaned_data") else None
        return self._render(form, formset, enterprise)

    def _render(self, form, formset, enterprise):
        return render(
            self.request, self.template_name, {"form": form, "formset": formset, "enterprise": enterprise}
        )


@require_POST
def assign_visit(request):
    form = AssignVisitForm(request.POST, user=request.user)
    if not request.user.has_perm("service.add_visitassignment"):
        raise PermissionDenied
    if form.is_valid():
        services.visit_assign(
            by=request.user,
            enterprise=form.cleaned_data["enterprise"],
            assignee=form.cleaned_data["assignee"],
            due_on=form.cleaned_data["due_on"],
        )
        messages.success(request, _("Visit assigned."))
    else:
        messages.error(request, _("Choose a staff member and a date."))
    return redirect(safe_next(request, "service:todo"))

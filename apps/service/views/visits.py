from django.contrib import messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch
from django.db.models.functions import JSONObject
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from apps.accounts.models import person_name
from apps.core.exports import xlsx_response
from apps.core.querysets import page_rows, read_page
from apps.core.views import FilteredListView, safe_next, url_maker
from apps.enterprises.models import Enterprise

from .. import services
from ..filters import VisitFilter
from ..forms import AssignVisitForm, RequestItemFormSet, VisitForm, draw_visit_form
from ..models import Request, Visit, VisitAttachment


def _visit_rows(request):
    return (
        Visit.objects.visible_to(request.user)
        .select_related("enterprise", "lead_unit", "created_by")
        .prefetch_related("joint_units", "staff")
    )


def visit_table(visits) -> list[dict]:
    """The rows of the visit list for a page of `visits` (filtered, ordered, sliced; or a unit's page found
    through its arms, whose statement is composed once: `read_page`): the shown columns, the joint units' and
    staff's names in the same query, the link worked out once — no model instances, no prefetch queries, no
    `{% url %}` per row."""
    detail, modes = url_maker("service:visit_detail"), dict(Visit.Mode.choices)
    rows = []
    for row in read_page(visits, _visit_columns):
        rows.append(
            {
                **row,
                "url": detail(row["pk"]),
                "target": row["target_name"] or row["enterprise__name"] or "",
                "mode_label": modes.get(row["mode"], row["mode"]),
                "staff_names": [person_name(p["d"], p["f"], p["l"], p["u"]) for p in row["people"]],
            }
        )
    return rows


def _visit_columns(visits):
    """What the visit list shows of a page of `visits`, in the page's order, in one query."""
    joint = Visit.joint_units.through.objects.filter(visit_id=OuterRef("pk")).order_by("unit__sort_order")
    staff = Visit.staff.through.objects.filter(visit_id=OuterRef("pk")).order_by("user_id")
    person = JSONObject(d="user__display_name", f="user__first_name", l="user__last_name", u="user__username")
    return (
        page_rows(visits)
        .annotate(
            joint_names=ArraySubquery(joint.values("unit__short_name")),
            people=ArraySubquery(staff.values(json=person)),
        )
        .values(
            "pk",
            "visited_on",
            "target_name",
            "enterprise__name",
            "enterprise__is_key",
            "lead_unit__short_name",
            "mode",
            "joint_names",
            "people",
        )  # fmt: skip
    )


class VisitListView(FilteredListView):
    filterset_class = VisitFilter
    template_name = "service/visit_list.html"
    table_rows = visit_table

    def get_queryset(self):
        return _visit_rows(self.request)

    def visibility_arms(self):
        return Visit.objects.visible_arms(self.request.user)

    def visibility_key(self):
        return self.request.user.units_seen  # Visit.objects.visible_to: every unit's, or the unit's

    def without_visibility(self):
        return Visit.objects.all()  # the arms are visible_to's rule, split (Visit.objects._unit_sees)


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
            ),
            "attachments",
        )

    def get_context_data(self, **kwargs):
        files = self.object.attachments.all()  # prefetched with the visit
        return super().get_context_data(
            photos=[f for f in files if f.kind == VisitAttachment.Kind.PHOTO],
            documents=[f for f in files if f.kind == VisitAttachment.Kind.DOCUMENT],
            **kwargs,
        )


def visit_attachment(request, pk):
    """A visit's photo or document, served only to those who may open the visit (anyone else: 404, the same
    answer as for a file that does not exist); photos inline for the visit page, documents as downloads."""
    attachment = get_object_or_404(
        VisitAttachment.objects.filter(visit__in=Visit.objects.visible_to(request.user)), pk=pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    photo = attachment.kind == VisitAttachment.Kind.PHOTO
    response = FileResponse(handle, as_attachment=not photo, filename=attachment.name)
    if photo:
        response["Content-Type"] = "image/jpeg"  # always: photos are re-drawn as JPEG when stored
    response["Cache-Control"] = "private, max-age=3600"
    return response


class VisitCreateView(View):
    """One form for the visit and every request heard there; quick on a phone.

    Later campaigns reuse it for their own targets (a project, an R&D entity) by overriding `record`,
    `fixed_enterprise`, `success_url` and `extra_context`: one visit form, no second workflow.
    """

    template_name = "service/visit_form.html"
    enterprise_required = True
    success_message = gettext_lazy("Visit logged with %(count)d request(s).")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("service.add_visit"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    # --- hooks -----------------------------------------------------------------------------------------

    def fixed_enterprise(self):
        """The enterprise the visit is about when the target decides it (None: the user picks one)."""
        return None

    def record(self, fields: dict, requests: list[dict]):
        return services.visit_record(by=self.request.user, requests=requests, **fields)

    def success_url(self, visit) -> str:
        return reverse("service:visit_detail", args=[visit.pk])

    def extra_context(self) -> dict:
        return {}

    # --- the form --------------------------------------------------------------------------------------

    def get(self, request):
        enterprise = self.fixed_enterprise()
        if enterprise is None and request.GET.get("enterprise", "").isdecimal():
            enterprise = (
                Enterprise.objects.visible_to(request.user).filter(pk=request.GET["enterprise"]).first()
            )
        form = VisitForm(user=request.user, initial={"enterprise": enterprise},
                         enterprise_required=self.enterprise_required)  # fmt: skip
        return self._render(form, RequestItemFormSet(prefix="requests"), enterprise)

    def post(self, request):
        data = request.POST.copy()
        if self.fixed_enterprise() is not None:
            data["enterprise"] = self.fixed_enterprise().pk
        form = VisitForm(data, request.FILES, user=request.user, enterprise_required=self.enterprise_required)
        formset = RequestItemFormSet(request.POST, prefix="requests")
        if form.is_valid() and formset.is_valid():
            items = [
                {
                    k: f.cleaned_data[k]
                    for k in ("category", "title", "description", "urgency", "handling_unit")
                }
                for f in formset
                if f.cleaned_data
            ]
            fields = {k: form.cleaned_data[k] for k in VISIT_FIELDS}
            try:
                visit = self.record(fields, items)
            except ValidationError as exc:
                _show_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, _("Not allowed."))
            else:
                messages.success(request, self.success_message % {"count": len(items)})
                return redirect(self.success_url(visit))
        enterprise = form.cleaned_data.get("enterprise") if hasattr(form, "cleaned_data") else None
        return self._render(form, formset, self.fixed_enterprise() or enterprise)

    def _render(self, form, formset, enterprise):
        drawing = draw_visit_form(form, formset)  # every dropdown in one query; the long unit list once
        context = {
            "form": form,
            "formset": formset,
            "enterprise": enterprise,
            "unit_options": drawing.unit_options,
            **self.extra_context(),
        }
        return render(self.request, self.template_name, context)


VISIT_FIELDS = [
    "visited_on",
    "enterprise",
    "lead_unit",
    "joint_units",
    "staff",
    "mode",
    "summary",
    "photos",
    "documents",
    "checkin",
]


def _show_errors(form, exc: ValidationError) -> None:
    """A refusal from the service, beside the field it names (a photo that is not one) or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages[0])


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

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from apps.core.exports import xlsx_response
from apps.core.locking import EditConflict, EditConflictMixin
from apps.core.replica import reads_from_replica
from apps.core.views import FilteredListView, ImportView, period_from_request
from apps.service.models import Visit
from apps.service.views.visits import VisitCreateView
from apps.units.selectors import unit_from_request, units_to_choose

from . import selectors, services
from .filters import CarrierFilter, EntityFilter, MatchFilter, ResultFilter
from .forms import CarrierForm, EntityForm, MatchMoveForm, ProposeForm, ResultForm, ShelveForm
from .importers import CarrierImporter, ResultImporter
from .models import Carrier, Entity, Match, MatchEvent, Result, ResultEvent


class _ListView(FilteredListView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("research.change_result")
        return context


def _entities(request):
    return (
        Entity.objects.visible_to(request.user)
        .select_related("park", "unit", "enterprise")
        .annotate(n_results=Count("results", distinct=True), n_visits=Count("visit_links", distinct=True))
    )


def _results(request):
    return Result.objects.visible_to(request.user).select_related("entity", "unit", "staff")


def _carriers(request):
    return Carrier.objects.visible_to(request.user).select_related("park", "unit")


def _matches(request):
    return Match.objects.select_related(
        "result__entity", "result__unit", "carrier__park", "enterprise"
    ).filter(result__in=Result.objects.visible_to(request.user))


class EntityListView(_ListView):
    filterset_class = EntityFilter
    template_name = "research/entity_list.html"

    def get_queryset(self):
        return _entities(self.request).order_by("name")


class ResultListView(_ListView):
    filterset_class = ResultFilter
    template_name = "research/result_list.html"

    def get_queryset(self):
        return _results(self.request)


class CarrierListView(_ListView):
    """The carrier library, browsable by park and kind, free area shown as bars."""

    filterset_class = CarrierFilter
    template_name = "research/carrier_list.html"

    def get_queryset(self):
        return _carriers(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = (
            self.filterset.qs.values("park__short_name", "kind")
            .annotate(n=Count("id"), total=Sum("total_area_m2"), free=Sum("free_area_m2"))
            .order_by("park__short_name", "kind")
        )
        kinds = dict(Carrier.Kind.choices)
        context["summary"] = [
            {
                **row,
                "kind_label": kinds[row["kind"]],
                # rounded half up, like every percentage (round() would round 12.25 to 12.2)
                "pct": (row["free"] * 100 / row["total"]).quantize(Decimal("0.1"), ROUND_HALF_UP)
                if row["total"]
                else 0,
            }
            for row in summary
        ]
        return context


class MatchListView(_ListView):
    filterset_class = MatchFilter
    template_name = "research/match_list.html"

    def get_queryset(self):
        return _matches(self.request)


def entity_export(request):
    qs = EntityFilter(request.GET, queryset=_entities(request), request=request).qs
    headers = ["名称", "类型", "园区", "责任单位", "领域", "成果数", "走访次数", "联系人", "联系电话"]
    rows = (
        [
            e.name,
            e.get_type_display(),
            e.park.short_name if e.park_id else "",
            e.unit.name,
            e.fields,
            e.n_results,
            e.n_visits,
            e.contact_name,
            e.contact_mobile,
        ]
        for e in qs.order_by("name")
    )
    return xlsx_response("rd-entities", headers, rows)


def result_export(request):
    qs = ResultFilter(request.GET, queryset=_results(request), request=request).qs
    headers = ["成果名称", "研发主体", "行业门类", "类型", "成熟度", "TRL", "拟落地方式", "需求面积（㎡）"]
    headers += ["状态", "入库日期", "落地日期", "责任单位"]
    rows = (
        [
            r.title,
            r.entity.name,
            r.industry,
            r.get_type_display(),
            r.get_maturity_display(),
            r.trl or "",
            r.get_landing_mode_display(),
            r.need_space_m2 or "",
            r.get_status_display(),
            r.catalogued_on.isoformat(),
            r.landed_on.isoformat() if r.landed_on else "",
            r.unit.name,
        ]
        for r in qs
    )
    return xlsx_response("rd-results", headers, rows)


def carrier_export(request):
    qs = CarrierFilter(request.GET, queryset=_carriers(request), request=request).qs
    headers = ["名称", "类型", "园区", "地址", "总面积（㎡）", "空置面积（㎡）", "土地（亩）", "价格/租金"]
    headers += ["适合行业", "可入驻日期", "联系人"]
    rows = (
        [
            c.name,
            c.get_kind_display(),
            c.park.short_name,
            c.address,
            c.total_area_m2,
            c.free_area_m2,
            c.land_mu or "",
            c.price,
            "、".join(c.industries),
            c.available_from.isoformat() if c.available_from else "",
            c.contact,
        ]
        for c in qs
    )
    return xlsx_response("carriers", headers, rows)


def match_export(request):
    qs = MatchFilter(request.GET, queryset=_matches(request), request=request).qs
    headers = ["成果", "载体", "企业", "状态", "发起时间", "落地情况", "失败原因"]
    rows = (
        [
            m.result.title,
            m.carrier.name if m.carrier_id else "",
            m.enterprise.name if m.enterprise_id else "",
            m.get_status_display(),
            m.created_at.strftime("%Y-%m-%d"),
            m.landed_how,
            m.failed_reason,
        ]
        for m in qs
    )
    return xlsx_response("matches", headers, rows)


class EntityDetailView(DetailView):
    template_name = "research/entity_detail.html"
    context_object_name = "entity"

    def get_queryset(self):
        return Entity.objects.visible_to(self.request.user).select_related("park", "unit", "enterprise")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["results"] = self.object.results.select_related("unit")
        # a visit opens for the units that led or joined it: other units' visits are told as a count only
        readable = Q(visit__in=Visit.objects.visible_to(self.request.user).values("pk"))
        links = self.object.visit_links
        context["visits"] = (
            links.filter(readable).select_related("visit__lead_unit").order_by("-visit__visited_on")[:50]
        )
        context["hidden_visits"] = links.aggregate(n=Count("pk", filter=~readable))["n"]
        context["can_edit"] = services.can_edit(self.request.user, self.object)
        return context


def result_workspace(request, pk):
    """The matching workspace of one result: its record, ranked carrier suggestions, existing matches."""
    result = get_object_or_404(_results(request), pk=pk)
    matches = result.matches.select_related("carrier__park", "enterprise").prefetch_related(
        Prefetch("events", queryset=MatchEvent.objects.select_related("by"))
    )
    carriers = Carrier.objects.filter(free_area_m2__gt=0).select_related("park")
    return render(
        request,
        "research/result_detail.html",
        {
            "result": result,
            "matches": matches,
            "suggestions": services.suggest_carriers(result, carriers)[:10],
            "events": ResultEvent.objects.filter(result=result).select_related("by"),
            "can_edit": services.can_edit(request.user, result),
            "propose_form": ProposeForm(),
            "match_statuses": Match.Status.choices,
        },
    )


@require_POST
def match_propose(request, pk):
    result = get_object_or_404(_results(request), pk=pk)
    form = ProposeForm(request.POST)
    if form.is_valid():
        try:
            services.match_propose(
                result=result,
                by=request.user,
                carrier=form.cleaned_data["carrier"],
                enterprise=form.cleaned_data["enterprise_code"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Match proposed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("research:result_detail", pk=result.pk)


@require_POST
def match_move(request, pk):
    match = get_object_or_404(_matches(request), pk=pk)
    form = MatchMoveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        spin_off = None
        if d["spin_off_name"]:
            # The spin-off company is recorded by the result's unit, with the credit code it registered.
            spin_off = {
                "name": d["spin_off_name"],
                "credit_code": d["enterprise_code"],
                "unit": match.result.unit,
                "industry": match.result.industry,
                "size": "micro",
            }
        try:
            services.match_transition(
                match=match, to=d["to"], by=request.user, note=d["note"], landed_how=d["landed_how"],
                enterprise=d["enterprise"], spin_off=spin_off,
            )  # fmt: skip
            messages.success(request, _("Match updated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(
            request,
            " ".join(e for errs in form.errors.values() for e in errs) or _("Choose the next status."),
        )
    return redirect("research:result_detail", pk=match.result_id)


@require_POST
def result_move(request, pk):
    result = get_object_or_404(_results(request), pk=pk)
    form = ShelveForm(request.POST)
    if form.is_valid():
        try:
            services.result_transition(
                result=result, to=form.cleaned_data["to"], by=request.user, note=form.cleaned_data["note"]
            )
            messages.success(request, _("Result updated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("research:result_detail", pk=result.pk)


class RecordFormView(EditConflictMixin, View):
    """Create or edit an entity, a result or a carrier."""

    model = None
    form_class = None
    template_name = "research/record_form.html"
    success = ""
    history_kind = ""  # the record's history page (apps.audit)

    def dispatch(self, request, *args, pk=None, **kwargs):
        self.instance = None
        if pk is not None:
            self.instance = get_object_or_404(self.model.objects.visible_to(request.user), pk=pk)
            if not services.can_edit(request.user, self.instance):
                raise PermissionDenied
        elif not request.user.has_perm("research.change_result"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._render(self.form_class(instance=self.instance, user=request.user))

    def post(self, request):
        form = self.form_class(request.POST, instance=self.instance, user=request.user)
        if form.is_valid():
            try:
                if self.model is Result and self.instance is None:
                    obj = services.result_create(by=request.user, **form.cleaned_data)
                else:
                    obj = services.record_save(
                        by=request.user,
                        instance=form.save(commit=False),
                        expected_version=form.expected_version,
                    )
            except EditConflict:
                return self.conflict(request, self.instance)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.success, pk=obj.pk)
        return self._render(form)

    def _render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "instance": self.instance,
                "title": self.model._meta.verbose_name,
                "history_kind": self.history_kind,
            },
        )


class EntityFormView(RecordFormView):
    model, form_class, success, history_kind = Entity, EntityForm, "research:entity_detail", "rd-entity"


class ResultFormView(RecordFormView):
    model, form_class, success, history_kind = Result, ResultForm, "research:result_detail", "rd-result"


class CarrierFormView(RecordFormView):
    model, form_class, success, history_kind = Carrier, CarrierForm, "research:carrier_update", "carrier"


class EntityVisitCreateView(VisitCreateView):
    """Campaign 1's visit form with an R&D entity as target (its company, if any, is the enterprise)."""

    enterprise_required = False
    success_message = gettext_lazy("Visit logged with %(count)d request(s).")

    def dispatch(self, request, *args, pk, **kwargs):
        self.entity = get_object_or_404(
            Entity.objects.visible_to(request.user).select_related("enterprise"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def fixed_enterprise(self):
        return self.entity.enterprise

    def record(self, fields, requests):
        fields.pop("enterprise")
        return services.entity_visit_record(
            entity=self.entity, by=self.request.user, requests=requests, **fields
        )

    def success_url(self, visit):
        return reverse("research:entity_detail", args=[self.entity.pk])

    def extra_context(self):
        return {"target": self.entity}


class ResultImportView(ImportView):
    permission = "research.change_result"
    importer_class = ResultImporter
    success_url = reverse_lazy("research:result_list")
    filename_stem = "rd-results"


class CarrierImportView(ImportView):
    permission = "research.change_result"
    importer_class = CarrierImporter
    success_url = reverse_lazy("research:carrier_list")
    filename_stem = "carriers"


@reads_from_replica
def figures(request):
    """Campaign 3's figures for a period, district-wide and for a unit, and the carriers' free area."""
    start, end = period_from_request(request)
    unit = unit_from_request(request)
    links = {
        "rd_entities": reverse("research:entity_list"),
        "results": f"{reverse('research:result_list')}?date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}",
        "results_matching": f"{reverse('research:result_list')}?status=matching",
        "matches_open": reverse("research:match_list"),
        "matches_landed": f"{reverse('research:match_list')}?status=landed",
        "matches_failed": f"{reverse('research:match_list')}?status=failed",
        "carriers": reverse("research:carrier_list"),
    }
    district = selectors.research_figures(start=start, end=end)
    mine = selectors.research_figures(start=start, end=end, unit_id=unit.pk) if unit else None
    return render(
        request,
        "research/figures.html",
        {
            "start": start,
            "end": end,
            "unit": unit,
            "district": [(f, links.get(f.key)) for f in district],
            "unit_figures": [(f, None) for f in mine] if mine else None,
            "areas": selectors.free_area_by_kind_and_park(),
            "units": units_to_choose(request),
        },
    )

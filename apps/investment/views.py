from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, OuterRef, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from apps.accounts.models import person_name
from apps.core.exports import xlsx_response
from apps.core.figures import figures as figures_of
from apps.core.querysets import TableRow, table_of
from apps.core.replica import reads_from_replica
from apps.core.views import FilteredListView, ImportView, period_from_request, safe_next, url_maker
from apps.enterprises.models import Enterprise
from apps.projects.models import Project
from apps.units.models import Unit
from apps.units.selectors import unit_from_request, units_to_choose

from . import selectors, services
from .filters import LeadFilter, TripFilter
from .forms import LeadForm, MoveForm, RecordForm, TripForm, TripLeadFormSet
from .importers import LeadImporter
from .models import Lead, Trip, limits_past


def _leads(request):
    """Every page reaches leads only through here: confidential to the responsible unit and leaders."""
    return Lead.objects.visible_to(request.user).select_related("unit", "owner", "trip", "referrer")


class LeadRow(TableRow):
    """One row of the lead list: the columns it shows and those `limits_past` reads, its link, its labels,
    its owner's name and the handling limits it is past."""

    # the shown columns, then what limits_past reads, then the unit's and the owner's names
    columns = (
        *("pk", "name", "investor", "expected_wan", "source", "stage", "stale_from", "last_activity_at"),
        *("responded_at", "respond_due", "assess_due", "feedback_at", "feedback_due"),
        *("unit__short_name", "owner__display_name", "owner__first_name"),
        *("owner__last_name", "owner__username"),
    )
    __slots__ = (*columns, "url", "source_label", "stage_label", "owner_name", "past_limits")


def lead_table(leads) -> list[LeadRow]:
    """A page of the lead list (`leads`: filtered, ordered, sliced): the shown columns only (not the trip, the
    referrer or the notes), read as values; the link and labels worked out once, and which handling limits a
    lead is past only for the leads past one (`stale_from`)."""
    now = timezone.now()
    detail = url_maker("investment:lead_detail")
    sources, stages = dict(Lead.Source.choices), dict(Lead.Stage.choices)
    rows = table_of(leads, LeadRow)
    for lead in rows:
        lead.url = detail(lead.pk)
        lead.source_label = str(sources.get(lead.source, lead.source))
        lead.stage_label = str(stages.get(lead.stage, lead.stage))
        lead.owner_name = person_name(
            lead.owner__display_name, lead.owner__first_name, lead.owner__last_name, lead.owner__username
        )
        lead.past_limits = limits_past(lead, now) if lead.stale_from and lead.stale_from < now else []
    return rows


class LeadListView(FilteredListView):
    filterset_class = LeadFilter
    template_name = "investment/lead_list.html"
    table_rows = lead_table

    def get_queryset(self):
        return _leads(self.request)

    def visibility_key(self):
        return self.request.user.units_seen  # Lead.objects.visible_to: every unit's, or the unit's

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("investment.add_lead")
        context["now"] = timezone.now()
        return context


def lead_export(request):
    qs = LeadFilter(request.GET, queryset=_leads(request), request=request).qs
    headers = [
        "项目名称",
        "投资方",
        "来源地",
        "行业门类",
        "预计投资（万元）",
        "来源",
        "阶段",
        "签约日期",
        "签约金额（万元）",
        "责任单位",
        "负责人",
    ]
    rows = (
        [
            x.name,
            x.investor,
            x.investor_city,
            x.industry,
            x.expected_wan,
            x.get_source_display(),
            x.get_stage_display(),
            x.signed_on.isoformat() if x.signed_on else "",
            x.signed_wan or "",
            x.unit.name,
            str(x.owner),
        ]
        for x in qs
    )
    return xlsx_response("leads", headers, rows)


def pipeline(request):
    """The pipeline board: one column per open stage (plus signed), moved with POST buttons."""
    leads = _leads(request).exclude(stage__in=["dropped", "production"]).order_by("-expected_wan")
    columns = [(value, label, []) for value, label in Lead.Stage.choices if value in Lead.ORDER[:-1]]
    index = {value: col for value, _label, col in columns}
    for lead in leads[:600]:
        index[lead.stage].append(lead)
    return render(request, "investment/pipeline.html", {"columns": columns, "now": timezone.now()})


def lead_detail(request, pk):
    lead = get_object_or_404(_leads(request).select_related("enterprise", "project"), pk=pk)
    order = Lead.ORDER
    nxt = order[order.index(lead.stage) + 1] if lead.stage in order[:-1] else None
    return render(
        request,
        "investment/lead_detail.html",
        {
            "lead": lead,
            "events": lead.events.select_related("by"),
            "next_stage": nxt,
            "next_label": Lead.Stage(nxt).label if nxt else "",
            "can_work": services.can_work_on(request.user, lead),
            "flags": lead.flags(),
        },
    )


@require_POST
def lead_move(request, pk):
    lead = get_object_or_404(_leads(request), pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("investment:lead_detail", pk=lead.pk)
    d = form.cleaned_data
    enterprise = project = None
    if d["enterprise_code"]:
        enterprise = Enterprise.objects.filter(credit_code=d["enterprise_code"].strip().upper()).first()
        if enterprise is None:
            messages.error(request, _("No enterprise has this credit code."))
            return redirect("investment:lead_detail", pk=lead.pk)
    new_project = None
    if d["project_code"]:
        # Projects are confidential to their unit: only a project the user may open can be linked; codes are
        # unique per unit, so where the user sees two (a task force's), the lead's own unit's comes first.
        project = (
            Project.objects.visible_to(request.user)
            .filter(code=d["project_code"].strip())
            .order_by(Case(When(unit_id=lead.unit_id, then=0), default=1), "pk")
            .first()
        )
        if project is None and d["project_name"]:
            new_project = {
                "code": d["project_code"].strip(),
                "name": d["project_name"],
                "level": "district",
                "kind": "industrial",
            }
    try:
        services.lead_move(
            lead=lead,
            to=d["to"],
            by=request.user,
            note=d["note"],
            signed_on=d["signed_on"],
            signed_wan=d["signed_wan"],
            enterprise=enterprise,
            project=project,
            new_project=new_project,
        )
        messages.success(request, _("Stage updated."))
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(safe_next(request, reverse("investment:lead_detail", args=[lead.pk])))


@require_POST
def lead_record(request, pk):
    lead = get_object_or_404(_leads(request), pk=pk)
    form = RecordForm(request.POST)
    if form.is_valid():
        try:
            services.lead_record(lead=lead, by=request.user, **form.cleaned_data)
            messages.success(request, _("Recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Write what was said or done."))
    return redirect("investment:lead_detail", pk=lead.pk)


class LeadCreateView(View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("investment.add_lead"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "investment/lead_form.html", {"form": LeadForm(user=request.user)})

    def post(self, request):
        form = LeadForm(request.POST, user=request.user)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "referrer_code"}
            try:
                lead = services.lead_create(
                    by=request.user,
                    unit=request.user.unit,
                    owner=request.user,
                    referrer=form.cleaned_data["referrer_code"],
                    **data,
                )
            except ValidationError as exc:
                # The service names model fields; the form asks for the referrer by its credit code.
                errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                for field, field_errors in errors.items():
                    field = "referrer_code" if field == "referrer" else field
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                messages.success(request, _("Lead recorded."))
                return redirect("investment:lead_detail", pk=lead.pk)
        return render(request, "investment/lead_form.html", {"form": form})


def _trips(request):
    """Trips are public within the district (who went where, when, led by whom); what they found stays with
    those who went. `shows_notes` tells whether the user may read the companies met and the summary, which
    can name the investors of confidential leads: leaders, the organising unit, the other units on the trip
    and its members. Every page that renders a trip reads it through here and shows those two fields only
    when `shows_notes` is true."""
    user = request.user
    trips = Trip.objects.select_related("unit", "leader")
    if user.has_perm("accounts.view_all_units"):
        return trips.annotate(shows_notes=Value(True))
    took_part = Q(unit_id=user.unit_id) | Exists(
        Trip.units.through.objects.filter(trip_id=OuterRef("pk"), unit_id=user.unit_id)
    )
    took_part |= Exists(Trip.members.through.objects.filter(trip_id=OuterRef("pk"), user_id=user.pk))
    return trips.annotate(shows_notes=ExpressionWrapper(took_part, output_field=BooleanField()))


class TripListView(FilteredListView):
    filterset_class = TripFilter
    template_name = "investment/trip_list.html"

    def get_queryset(self):
        return _trips(self.request)


def trip_export(request):
    qs = TripFilter(request.GET, queryset=_trips(request), request=request).qs
    headers = ["出发日期", "返回日期", "目的地", "类型", "组织单位", "带队", "一把手带队", "洽谈企业"]
    rows = (
        [
            t.start_on.isoformat(),
            t.end_on.isoformat(),
            t.cities,
            t.get_kind_display(),
            t.unit.name,
            str(t.leader),
            "是" if t.led_by_head else "否",
            t.companies_met if t.shows_notes else "",
        ]
        for t in qs
    )
    return xlsx_response("trips", headers, rows)


def trip_detail(request, pk):
    """Trips are public within the district (who went where); their leads stay confidential."""
    trip = get_object_or_404(_trips(request).prefetch_related("members", "units"), pk=pk)
    leads = Lead.objects.visible_to(request.user).filter(trip=trip)
    return render(
        request,
        "investment/trip_detail.html",
        {
            "trip": trip,
            "leads": leads,
            "hidden_leads": Lead.objects.filter(trip=trip).count() - leads.count(),
        },
    )


class TripCreateView(View):
    """The trip report: the trip and the leads it created, in one form quick enough for the train home."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("investment.add_trip"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._render(TripForm(user=request.user), TripLeadFormSet(prefix="leads"))

    def post(self, request):
        form = TripForm(request.POST, user=request.user)
        formset = TripLeadFormSet(request.POST, prefix="leads")
        if form.is_valid() and formset.is_valid():
            data = dict(form.cleaned_data)
            members = data.pop("members")
            try:
                trip = services.trip_record(
                    by=request.user,
                    unit=request.user.unit,
                    members=members,
                    leads=[f.cleaned_data for f in formset if f.cleaned_data],
                    **data,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Trip reported."))
                return redirect("investment:trip_detail", pk=trip.pk)
        return self._render(form, formset)

    def _render(self, form, formset):
        return render(self.request, "investment/trip_form.html", {"form": form, "formset": formset})


class LeadImportView(ImportView):
    permission = "investment.add_lead"
    importer_class = LeadImporter
    success_url = reverse_lazy("investment:lead_list")
    filename_stem = "leads"


def _linked(figures, start: date, end: date, unit: Unit | None, user):
    """Each figure with the list of exactly the records it counts, for the same period and unit (trips:
    open to everyone; leads: only where the viewer may open every lead counted — a leader, or a unit's own
    people on its figures — since a list showing some of them would not add up); None where no list does."""
    period = f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    of_unit = f"&unit={unit.pk}" if unit else ""
    trips = f"{reverse('investment:trip_list')}?{period}{of_unit}"
    links = {"trips": trips, "trips_led_by_head": f"{trips}&led_by_head=true"}
    if user.opens_unit(unit.pk if unit else None):  # (the district's: leaders only)
        leads = reverse("investment:lead_list")
        signed = f"{leads}?signed_from={start:%Y-%m-%d}&signed_to={end:%Y-%m-%d}{of_unit}"
        links |= {
            "leads": f"{leads}?created_from={start:%Y-%m-%d}&created_to={end:%Y-%m-%d}{of_unit}",
            "signed": signed,
            "signed_amount_wan": signed,
            "pipeline_100m_plus": f"{leads}?open_at={end:%Y-%m-%d}{of_unit}&band=1%2B",
            "stale": f"{leads}?stale=true{of_unit}",
        }
    return [(figure, links.get(figure.key)) for figure in figures]


@reads_from_replica
def figures(request):
    """Campaign 4 in aggregates (lead details stay confidential to their unit)."""
    start, end = period_from_request(request)
    unit = unit_from_request(request)
    sources = dict(Lead.Source.choices)
    by_source = selectors.conversion_by("source", start=start, end=end)
    widest = max([r["n"] for r in by_source] or [1]) or 1
    rows = [
        {
            **r,
            "label": sources[r["source"]],
            "y": 8 + i * 30,
            "created_w": round(400 * r["n"] / widest),
            "signed_w": round(400 * r["signed"] / widest),
        }
        for i, r in enumerate(by_source)
    ]
    names = dict(Unit.objects.values_list("pk", "short_name"))
    # every unit's counts; an amount only where the viewer may open the unit's leads
    by_unit = [
        {**r, "unit_name": names.get(r["unit"], "")}
        for r in selectors.conversion_by_unit_for(request.user, start=start, end=end)
    ]
    district = selectors.investment_figures(start=start, end=end, now_stale=True)
    mine = None
    if unit:
        values = selectors.investment_values(start=start, end=end, unit_id=unit.pk, now_stale=True)
        values = selectors.hide_amounts(values, user=request.user, unit_id=unit.pk)
        mine = figures_of(values, selectors.DEFINITIONS)
    sees_all = request.user.has_perm("accounts.view_all_units")
    return render(
        request,
        "investment/figures.html",
        {
            "start": start,
            "end": end,
            "unit": unit,
            "district": [(f, link) for f, link in _linked(district, start, end, None, request.user)],
            "unit_figures": list(_linked(mine, start, end, unit, request.user)) if mine else None,
            "funnel": {"rows": rows, "height": 16 + 30 * len(rows)},
            "by_unit": by_unit,
            "amounts_hidden": any(r["amount_hidden"] for r in by_unit),
            "ageing": selectors.stage_ageing(end=end, unit_id=None if sees_all else request.user.unit_id),
            "units": units_to_choose(request),
        },
    )

"""Pages composed at the top: the home page, the figures of campaign 1, key-enterprise coverage and the
enterprise record (一企一档) with every campaign's section."""

from datetime import date

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from apps.core.batch import gather, run
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Contact, Enterprise, Tag
from apps.investment.models import Lead
from apps.projects.models import Project
from apps.research.models import Entity, Result
from apps.service.forms import AssignVisitForm
from apps.service.models import Request, Visit, VisitAssignment
from apps.units.models import Unit

from . import selectors
from .cache import cached


def home(request):
    """The workbench's front page: the user's unit and the district at a glance."""
    user = request.user
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    context = {"district": selectors.enterprise_figures()}
    if user.unit_id:
        context["unit_figures"] = selectors.enterprise_figures(unit_id=user.unit_id)
        context["my_open"] = Request.objects.open().filter(handler=user).count()
        context["my_overdue"] = Request.objects.overdue().filter(handler=user).count()
        context["unit_overdue"] = Request.objects.overdue().filter(handling_unit_id=user.unit_id).count()
    context["year_start"] = start
    context["today"] = today
    return render(request, "figures/home.html", context)


def period_from_request(request, *, default_start: date | None = None) -> tuple[date, date]:
    """?from=&to= (YYYY-MM-DD), default: 1 January to today. A bad or reversed range falls back."""
    today = timezone.localdate()
    start, end = default_start or date(today.year, 1, 1), today
    try:
        if request.GET.get("from"):
            start = date.fromisoformat(request.GET["from"])
        if request.GET.get("to"):
            end = date.fromisoformat(request.GET["to"])
    except ValueError:
        start, end = default_start or date(today.year, 1, 1), today
    if end < start or start.year < 2000 or end.year > today.year + 1:
        start, end = default_start or date(today.year, 1, 1), today
    return start, end


def chosen_unit(request):
    """?unit= for leaders (none by default: they look at the district); everyone else sees their own unit."""
    if request.user.has_perm("accounts.view_all_units"):
        if request.GET.get("unit", "").isdecimal():
            return Unit.objects.filter(pk=int(request.GET["unit"])).first()
        return None
    return request.user.unit


def drill_links(start: date, end: date, unit: Unit | None) -> dict[str, str]:
    """Where each campaign-1 figure's records are: the filtered list behind the number."""
    period = f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    unit_part = f"&handling_unit={unit.pk}" if unit else ""
    requests = f"{reverse('service:request_list')}?{period}{unit_part}"
    return {
        "key_enterprises": f"{reverse('enterprises:list')}?is_key=true"
        + (f"&unit={unit.pk}" if unit else ""),
        "key_enterprises_visited": f"{reverse('service:visit_list')}?{period}&key_only=on"
        + (f"&unit={unit.pk}" if unit else ""),
        "visits": f"{reverse('service:visit_list')}?{period}" + (f"&unit={unit.pk}" if unit else ""),
        "requests": requests,
        "requests_closed": f"{requests}&status=closed&status=confirmed",
        "reopened": requests,
        "withdrawn": f"{requests}&status=withdrawn",
    }


def _with_links(figures, links):
    return [(f, links.get(f.key)) for f in figures]


def service_figures(request):
    start, end = period_from_request(request)
    unit = chosen_unit(request)
    context = {
        "start": start,
        "end": end,
        "district": _with_links(
            selectors.service_figures(start=start, end=end), drill_links(start, end, None)
        ),
        "unit": unit,
        "unit_figures": _with_links(
            selectors.service_figures(start=start, end=end, unit_id=unit.pk), drill_links(start, end, unit)
        )
        if unit
        else None,
        "units": Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None,
    }
    if request.user.has_perm("accounts.view_all_units"):
        context["by_unit"] = selectors.service_by_unit(start=start, end=end)
    return render(request, "figures/service_figures.html", context)


def coverage(request):
    """Key-enterprise coverage per unit and district-wide, and a unit's not-yet-visited list."""
    start, end = period_from_request(request)
    rows = selectors.coverage_by_unit(start=start, end=end)
    unit = chosen_unit(request)
    visited = Visit.objects.filter(enterprise=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end)
    not_visited = (
        Enterprise.objects.filter(is_key=True, unit=unit)
        .annotate(visited=Exists(visited))
        .filter(visited=False)
        .prefetch_related(
            Prefetch(
                "visit_assignments",
                queryset=VisitAssignment.objects.filter(visit__isnull=True).select_related("assignee"),
            )
        )
        .order_by("name")
    )
    can_assign = (
        unit is not None
        and request.user.has_perm("service.add_visitassignment")
        and (unit.pk == request.user.unit_id)
    )
    return render(
        request,
        "figures/coverage.html",
        {
            "start": start,
            "end": end,
            "rows": rows,
            "district": selectors.coverage_total(rows),
            "unit": unit,
            "not_visited": not_visited[:500],
            "assign_form": AssignVisitForm(user=request.user) if can_assign else None,
            "units": Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None,
        },
    )


def _json_rows(queryset, **fields):
    """The rows of `queryset` as a list of dicts of `fields`, read with the query that annotates it."""
    return ArraySubquery(queryset.values(json=JSONObject(**fields)))


def _labelled(rows: list[dict], field: str, choices) -> list[dict]:
    labels = dict(choices)  # rows is None when the viewer may see none of them (an empty queryset)
    return [{**row, f"{field}_label": labels.get(row[field], row[field])} for row in rows or []]


def enterprise_record(request, pk):
    """The one record of an enterprise, with the sections of every campaign the viewer may open. The short
    sections (tags, contacts, projects, R&D, leads) come with the enterprise in one query, each filtered by
    what the viewer may see; visits and requests are read with their lists."""
    user = request.user
    mine, sees_all = OuterRef("pk"), user.has_perm("accounts.view_all_units")
    enterprise = get_object_or_404(
        Enterprise.objects.visible_to(user)
        .select_related("unit")
        .annotate(
            tag_names=ArraySubquery(Tag.objects.filter(enterprises=mine).order_by("name").values("name")),
            contact_rows=_json_rows(
                Contact.objects.filter(enterprise=mine).order_by("-is_primary", "id"),
                name=F("name"), title=F("title"), mobile=F("mobile"), email=F("email"),
                is_primary=F("is_primary"),
            ),
            project_rows=_json_rows(
                Project.objects.visible_to(user).filter(owner=mine).order_by("code"),
                pk=F("pk"), code=F("code"), name=F("name"), unit_name=F("unit__short_name"), stage=F("stage"),
            ),
            entity_rows=_json_rows(
                Entity.objects.visible_to(user).filter(enterprise=mine).order_by("name"),
                pk=F("pk"), name=F("name"), type=F("type"),
            ),
            result_rows=_json_rows(
                Result.objects.visible_to(user).filter(entity__enterprise=mine).order_by(*Result._meta.ordering),
                pk=F("pk"), title=F("title"), status=F("status"),
            ),
            lead_rows=_json_rows(
                Lead.objects.visible_to(user).filter(Q(enterprise=mine) | Q(referrer=mine))
                .order_by(*Lead._meta.ordering),
                pk=F("pk"), name=F("name"), stage=F("stage"), unit_name=F("unit__short_name"),
                referrer_id=F("referrer_id"),
            ),
            # a leader sees every request; others are told how many they may not open
            all_requests=Value(0) if sees_all else Coalesce(
                Subquery(
                    Request.objects.filter(enterprise=mine).order_by().values("enterprise")
                    .annotate(n=Count("pk")).values("n")
                ),
                0,
            ),
        ),
        pk=pk,
    )  # fmt: skip
    joint = Visit.joint_units.through.objects.filter(visit=OuterRef("pk")).order_by(
        "unit__sort_order", "unit__name"
    )
    visits = (
        Visit.objects.filter(enterprise=enterprise)
        .select_related("lead_unit")
        .annotate(joint_names=ArraySubquery(joint.values("unit__short_name")))
        .order_by("-visited_on", "-pk")[:50]
    )
    requests = (
        Request.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("category", "handling_unit", "handler")
        .order_by("-received_at")[:100]
    )
    visits, requests = list(visits), list(requests)
    for row in (*visits, *requests):  # their enterprise is this one: no query per row to fetch it again
        row.enterprise = enterprise
    return render(
        request,
        "enterprises/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "can_edit": enterprise_services.can_edit_unit(user, enterprise.unit_id),
            "visits": visits,
            "requests": requests,
            "projects": _labelled(enterprise.project_rows, "stage", Project.Stage.choices),
            "rd_entities": _labelled(enterprise.entity_rows, "type", Entity.Type.choices),
            "rd_results": _labelled(enterprise.result_rows, "status", Result.Status.choices),
            "leads": _labelled(enterprise.lead_rows, "stage", Lead.Stage.choices),
            "hidden_requests": 0 if sees_all else enterprise.all_requests - len(requests),
            "now": timezone.now(),
        },
    )


def project_links(end: date, unit: Unit | None) -> dict[str, str]:
    base = f"{reverse('projects:list')}?year={end.year}&as_of={end:%Y-%m-%d}"
    base += f"&unit={unit.pk}" if unit else ""
    return {
        "projects": base,
        "new_due": f"{base}&new_start=new",
        "new_started": f"{base}&new_start=new&started=true",
        "lights_red": f"{base}&light=red",
        "lights_yellow": f"{base}&light=yellow",
        "lights_green": f"{base}&light=green",
    }


def projects_overview(request):
    """Campaign 2 for leaders and units: the figures as of a date, by level and by responsible unit."""

    start, end = period_from_request(request)
    unit = chosen_unit(request)
    context = {
        "start": start,
        "end": end,
        "unit": unit,
        "district": _with_links(selectors.project_figures(start=start, end=end), project_links(end, None)),
        "unit_figures": _with_links(
            selectors.project_figures(start=start, end=end, unit_id=unit.pk), project_links(end, unit)
        )
        if unit
        else None,
        "by_level": [
            (label, selectors.project_values(start=start, end=end, level=value))
            for value, label in Project.Level.choices
        ],
        "by_unit": selectors.projects_by_unit(end=end),
        "units": Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None,
    }
    return render(request, "figures/projects.html", context)


def research_overview(request):
    start, end = period_from_request(request)
    unit = chosen_unit(request)
    links = {
        "rd_entities": reverse("research:entity_list"),
        "results": f"{reverse('research:result_list')}?date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}",
        "results_matching": f"{reverse('research:result_list')}?status=matching",
        "matches_open": reverse("research:match_list"),
        "matches_landed": f"{reverse('research:match_list')}?status=landed",
        "matches_failed": f"{reverse('research:match_list')}?status=failed",
        "carriers": reverse("research:carrier_list"),
    }
    return render(
        request,
        "figures/research.html",
        {
            "start": start,
            "end": end,
            "unit": unit,
            "district": _with_links(selectors.research_figures(start=start, end=end), links),
            "unit_figures": _with_links(selectors.research_figures(start=start, end=end, unit_id=unit.pk), {})
            if unit
            else None,
            "areas": selectors.free_area_by_kind_and_park(),
            "units": Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None,
        },
    )


def investment_overview(request):
    """Campaign 4 in aggregates (lead details stay confidential to their unit)."""

    start, end = period_from_request(request)
    unit = chosen_unit(request)
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
    units = {u.pk: u.short_name for u in Unit.objects.all()}
    by_unit = [
        {**r, "unit_name": units.get(r["unit"], "")}
        for r in selectors.conversion_by("unit", start=start, end=end)
    ]
    trips = f"{reverse('investment:trip_list')}?date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    links = {
        "leads": reverse("investment:lead_list"),
        "trips": trips,
        "trips_led_by_head": f"{trips}&led_by_head=true",
        "pipeline_100m_plus": reverse("investment:pipeline"),
        "stale": f"{reverse('investment:lead_list')}?stale=true",
    }
    return render(
        request,
        "figures/investment.html",
        {
            "start": start,
            "end": end,
            "unit": unit,
            "district": _with_links(selectors.investment_figures(start=start, end=end), links),
            "unit_figures": _with_links(
                selectors.investment_figures(start=start, end=end, unit_id=unit.pk), links
            )
            if unit
            else None,
            "funnel": {"rows": rows, "height": 16 + 30 * len(rows)},
            "by_unit": by_unit,
            "ageing": selectors.stage_ageing(
                unit_id=None if request.user.has_perm("accounts.view_all_units") else request.user.unit_id
            ),
            "units": Unit.objects.active() if request.user.has_perm("accounts.view_all_units") else None,
        },
    )


# --- the progress bar (dashboard) and the figures API -----------------------------------------------

API_KEYS = {
    "service": ["key_enterprises", "key_enterprises_visited", "visit_coverage_pct", "visits", "requests",
                "requests_closed", "closure_rate_pct", "closed_on_time", "on_time_rate_pct",
                "same_day_ack_rate_pct", "satisfaction_rate_pct"],
    "projects": ["projects", "annual_plan_wan", "completed_wan", "completion_rate_pct", "time_elapsed_pct",
                 "ahead_pp", "new_due", "new_started", "start_rate_pct", "project_visits", "problems_solved"],
    "research": ["rd_entities_visited", "results", "results_matching", "results_landed", "carriers"],
    "investment": ["trips", "trips_led_by_head", "signed", "signed_amount_wan", "pipeline_100m_plus",
                   "pipeline_5bn_plus", "pipeline_1bn_to_5bn", "pipeline_100m_to_1bn"],
}  # fmt: skip


def campaign_values(*, start: date, end: date, unit_id: int | None) -> dict[str, dict]:
    """Every campaign's values for the dashboard and the API (one source, so they always agree), kept until
    the next write to the records under them (cache.py)."""
    key = f"values:{start:%Y-%m-%d}:{end:%Y-%m-%d}:{unit_id or ''}"
    return cached(key, lambda: compute_campaign_values(start=start, end=end, unit_id=unit_id))


def compute_campaign_values(*, start: date, end: date, unit_id: int | None) -> dict[str, dict]:
    """The values computed from the records, in one database round trip (apps.core.batch)."""
    period = {"start": start, "end": end, "unit_id": unit_id}
    return run(
        gather(
            service=selectors.service_plan(**period),
            projects=selectors.project_plan(**period),
            research=selectors.research_plan(**period),
            investment=selectors.investment_plan(**period, now_stale=False),
        )
    )


def _json_value(key: str, value):
    if value is None or isinstance(value, int):
        return value
    if key.endswith("_wan"):
        return f"{value:.2f}"  # money as a string in 万元
    return float(value)  # rates: one decimal already


def figures_api(request):
    """GET /api/figures/?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=<id>] — JSON for big screens and integrations.

    Flows count what happened within [from, to]; stocks are as of `to` (see the README). A unit other than
    the user's own is answered only for leaders (404 otherwise); investment figures are aggregates only.
    """
    from django.http import JsonResponse

    try:
        start = date.fromisoformat(request.GET["from"])
        end = date.fromisoformat(request.GET["to"])
    except (KeyError, ValueError):
        return JsonResponse({"error": "from and to are required as YYYY-MM-DD"}, status=400)
    # Bounded as the pages' periods are: a `to` near date.max would overflow the end-of-period arithmetic.
    too_late = end.year > timezone.localdate().year + 1
    if end < start or start.year < 2000 or too_late or (end - start).days > 3660:
        return JsonResponse(
            {"error": "to must be on or after from, within ten years and by the end of next year"}, status=400
        )
    unit_id = None
    if request.GET.get("unit"):
        raw = request.GET["unit"]
        if not raw.isdecimal():
            return JsonResponse({"error": "unit must be a unit id"}, status=400)
        unit_id = int(raw)
        allowed = request.user.has_perm("accounts.view_all_units") or unit_id == request.user.unit_id
        if not allowed or not Unit.objects.filter(pk=unit_id).exists():
            return JsonResponse({"error": "not found"}, status=404)
    values = campaign_values(start=start, end=end, unit_id=unit_id)
    body = {"from": start.isoformat(), "to": end.isoformat(), "unit": unit_id}
    for campaign, keys in API_KEYS.items():
        body[campaign] = {key: _json_value(key, values[campaign][key]) for key in keys}
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

"""The pages that gather every campaign: home, the progress bar (dashboard), the figures API and the
enterprise record (一企一档) with every campaign's section."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.views import period_from_request
from apps.enterprises import selectors as enterprise_selectors
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Contact, Enterprise, Tag
from apps.investment.models import Lead
from apps.projects.models import Project
from apps.rankings.models import Indicator
from apps.research.models import Entity, Result
from apps.service.models import Request, Visit
from apps.units.models import Unit
from apps.units.selectors import unit_from_request, units_to_choose

from .context_processors import CAMPAIGNS
from .figures import AMOUNT_KEYS, API_KEYS, DEFINITIONS, campaign_values


def home(request):
    """The workbench's front page: the user's unit and the district at a glance."""
    user = request.user
    today = timezone.localdate()
    context = {"district": enterprise_selectors.enterprise_figures()}
    if user.unit_id:
        context["unit_figures"] = enterprise_selectors.enterprise_figures(unit_id=user.unit_id)
        context["my_open"] = Request.objects.open().filter(handler=user).count()
        # both overdue counts in one pass over the open requests of the user and of their unit
        mine, unit = Q(handler=user), Q(handling_unit_id=user.unit_id)
        context |= (
            Request.objects.overdue()
            .filter(mine | unit)
            .aggregate(my_overdue=Count("pk", filter=mine), unit_overdue=Count("pk", filter=unit))
        )
    context["year_start"] = date(today.year, 1, 1)
    context["today"] = today
    return render(request, "workbench/home.html", context)


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
            # the same for visits: a visit another unit led (and this one did not join) opens for its units
            # only, so it is told as a count, never listed
            hidden_visits=Value(0) if sees_all else Coalesce(
                Subquery(
                    Visit.objects.filter(enterprise=mine).exclude(lead_unit_id=user.unit_id)
                    .exclude(joint_units__id=user.unit_id).order_by().values("enterprise")
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
        Visit.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("lead_unit")
        .annotate(joint_names=ArraySubquery(joint.values("unit__short_name")))
        .order_by("-visited_on", "-pk")[:50]
    )
    requests = (
        Request.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("enterprise", "category", "handling_unit", "handler")
        .order_by("-received_at")[:100]
    )
    visits, requests = list(visits), list(requests)
    for row in (*visits, *requests):  # their enterprise is this one: no query per row to fetch it again
        row.enterprise = enterprise
    return render(
        request,
        "workbench/enterprise_record.html",
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
            "hidden_visits": enterprise.hidden_visits,
            "now": timezone.now(),
        },
    )


# The dashboard's headline figures per campaign; a figure tied to a ranking indicator shows its target.
DASHBOARD = {
    "service": [("visit_coverage_pct", "visit_coverage"), ("requests", None), ("requests_closed", None),
                ("closure_rate_pct", "closure_rate"), ("on_time_rate_pct", "on_time_rate"),
                ("same_day_ack_rate_pct", "same_day_ack"), ("satisfaction_rate_pct", "satisfaction")],
    "projects": [("projects", None), ("completed_wan", None), ("completion_rate_pct", None),
                 ("time_elapsed_pct", None), ("ahead_pp", None), ("new_due", None), ("new_started", None),
                 ("start_rate_pct", None), ("project_visits", None), ("problems_solved", None)],
    "research": [("rd_entities_visited", None), ("results", None), ("results_matching", None),
                 ("results_landed", None), ("carriers", None)],
    "investment": [("trips_led_by_head", None), ("signed", None), ("signed_amount_wan", None),
                   ("pipeline_100m_plus", None), ("pipeline_5bn_plus", None), ("pipeline_1bn_to_5bn", None),
                   ("pipeline_100m_to_1bn", None)],
}  # fmt: skip


def dashboard_links(start: date, end: date, unit: Unit | None, user) -> dict[str, str]:
    """Where each dashboard number's records are: a list that counts exactly what the number counts, for the
    same period (flows within [start, end], stocks as of `end`) and unit. A number with no such list has no
    link (rates, time elapsed, the results in matching at a past day, project visits and problems). Requests,
    projects and leads are linked only when the viewer may open all those counted (leaders; anyone looking
    at their own unit): a list showing some of them would not add up. Enterprises' R&D records, carriers and
    trips are open to everyone. A money figure opens the records whose amounts it sums."""
    period = f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    of_unit = f"&unit={unit.pk}" if unit else ""
    links = {
        "rd_entities_visited": f"{reverse('research:entity_list')}?visited_from={start:%Y-%m-%d}"
        f"&visited_to={end:%Y-%m-%d}{of_unit}",
        "results": f"{reverse('research:result_list')}?{period}{of_unit}",
        "results_landed": f"{reverse('research:result_list')}?landed_from={start:%Y-%m-%d}"
        f"&landed_to={end:%Y-%m-%d}{of_unit}",
        "carriers": reverse("research:carrier_list") + (f"?unit={unit.pk}" if unit else ""),
        "trips_led_by_head": f"{reverse('investment:trip_list')}?{period}&led_by_head=true{of_unit}",
    }
    if not user.opens_unit(unit.pk if unit else None):  # (the district's: leaders only)
        return links
    requests = f"{reverse('service:request_list')}?concerns=enterprise&{period}" + (
        f"&handling_unit={unit.pk}" if unit else ""
    )
    projects = f"{reverse('projects:list')}?year={end.year}&as_of={end:%Y-%m-%d}{of_unit}"
    leads = reverse("investment:lead_list")
    signed = f"{leads}?signed_from={start:%Y-%m-%d}&signed_to={end:%Y-%m-%d}{of_unit}"
    pipeline = f"{leads}?open_at={end:%Y-%m-%d}{of_unit}&band="
    return links | {
        "requests": requests,
        "requests_closed": f"{requests}&closed_by={end:%Y-%m-%d}",
        "projects": projects,
        "completed_wan": projects,
        "new_due": f"{projects}&new_start=new",
        "new_started": f"{projects}&new_start=new&started_by={end:%Y-%m-%d}",
        "signed": signed,
        "signed_amount_wan": signed,
        "pipeline_100m_plus": f"{pipeline}1%2B",
        "pipeline_5bn_plus": f"{pipeline}50",
        "pipeline_1bn_to_5bn": f"{pipeline}10",
        "pipeline_100m_to_1bn": f"{pipeline}1",
    }


def dashboard(request):
    """The progress bar (进度条): the district's headline figures for a period, by campaign, each with its
    definition, a bar against its target where it has one, and a link to the records behind it (where a
    list counts exactly them: `dashboard_links`)."""

    start, end = period_from_request(request)
    unit = unit_from_request(request) if request.GET.get("unit") else None
    values = campaign_values(start=start, end=end, unit_id=unit.pk if unit else None)
    targets = dict(Indicator.objects.filter(is_active=True).values_list("code", "target"))
    links = dashboard_links(start, end, unit, request.user)
    campaigns = []
    labels = {c["key"]: c["label"] for c in CAMPAIGNS}
    for name, items in DASHBOARD.items():
        cards = []
        for key, indicator in items:
            label, definition = DEFINITIONS[name][key]
            value = values[name][key]
            target = targets.get(indicator) if indicator else None
            if key == "completion_rate_pct":
                target = values[name]["time_elapsed_pct"]
            shown = yi = None
            if key.endswith("_wan") and value is not None:  # stored in 万元; reported in 亿元
                shown = f"{value:,.2f}"
                amount = (value / 10000).quantize(Decimal("0.01"), ROUND_HALF_UP)
                yi = _("%(amount)s 亿元") % {"amount": amount}
            cards.append(
                {
                    "key": key,
                    "label": label,
                    "definition": definition,
                    "value": value,
                    "shown": shown,
                    "yi": yi,
                    "is_pct": key.endswith("_pct"),
                    "target": target,
                    "link": links.get(key),
                    "met": target is not None and value is not None and value >= target,
                }
            )
        campaigns.append({"key": name, "label": labels.get(name, name), "cards": cards})
    context = {
        "start": start,
        "end": end,
        "unit": unit,
        "campaigns": campaigns,
        "units": units_to_choose(request),
    }
    return render(request, "workbench/dashboard.html", context)


def _json_value(key: str, value):
    if value is None or isinstance(value, int):
        return value
    if key.endswith("_wan"):
        return f"{value:.2f}"  # money as a string in 万元
    return float(value)  # rates: one decimal already


def figures_api(request):
    """GET /api/figures/?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=<id>] — JSON for big screens and integrations.

    Flows count what happened within [from, to]; stocks are as of `to` (see the README). Of a unit whose
    records the user may not open (another unit's, for all but leaders), the counts and rates without the
    amounts (`AMOUNT_KEYS`: null), as the investment figures page shows other units; a unit that does not
    exist is a 404. Investment figures are aggregates only.
    """
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
        if not Unit.objects.filter(pk=unit_id).exists():
            return JsonResponse({"error": "not found"}, status=404)
    opens = unit_id is None or request.user.opens_unit(unit_id)
    values = campaign_values(start=start, end=end, unit_id=unit_id)
    body = {"from": start.isoformat(), "to": end.isoformat(), "unit": unit_id}
    for campaign, keys in API_KEYS.items():
        hidden = () if opens else AMOUNT_KEYS.get(campaign, ())
        body[campaign] = {
            key: None if key in hidden else _json_value(key, values[campaign][key]) for key in keys
        }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

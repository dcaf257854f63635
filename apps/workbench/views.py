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

from apps.core.batch import gather, run
from apps.core.figures import pct
from apps.core.periods import end_of_period, month_end, months_between
from apps.core.replica import reads_from_replica
from apps.core.views import period_from_request
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Contact, Enterprise, Tag
from apps.investment import selectors as investment_selectors
from apps.investment.models import Lead
from apps.projects import selectors as project_selectors
from apps.projects.models import Project
from apps.rankings.models import Indicator
from apps.research.models import Entity, Result
from apps.service import selectors as service_selectors
from apps.service.models import Request, Visit
from apps.units.models import Unit
from apps.units.selectors import unit_from_request, units_to_choose

from . import homes
from .context_processors import CAMPAIGNS
from .figures import AMOUNT_KEYS, API_KEYS, DEFINITIONS, campaign_values


def home(request):
    """The front page for the user's role (apps.workbench.homes): a staff member's own work, a unit manager's
    desk and rank, a leader's cockpit. `?part=live-rank`: the manager's live rank alone, which the page loads
    after itself (htmx)."""
    if request.GET.get("part") == "live-rank" and homes.role_of(request.user) == homes.MANAGER:
        return render(
            request, "workbench/home_manager.html#live_rank", {"home": homes.manager_live(request.user)}
        )
    role, data = homes.home_for(request.user)
    return render(request, "workbench/home.html", {"role": role, "home": data})


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


# --- the dashboard's charts: static/js/charts.js draws them (templates/rankings/_chart.html) ---------------

#: The rates the dashboard draws month by month, each counted for one month as the figures count a period: the
#: requests' rates, read from their roll-up. (Not key-enterprise coverage: twelve months of it read the 40,000
#: key enterprises' month bits twelve times over — 190 ms at province — until coverage has a roll-up.)
TREND_RATES = ["closure_rate_pct", "on_time_rate_pct", "same_day_ack_rate_pct", "satisfaction_rate_pct"]
TREND_MONTHS = 12
LIGHT_COLOURS = {"red": "#cf222e", "yellow": "#d4a72c", "green": "#1a7f37"}  # as .light-* in app.css


def _trend_months(end: date) -> list[tuple[date, date]]:
    """The twelve months to `end`'s month, as spans (the last one up to `end`)."""
    first = date(end.year - (end.month < TREND_MONTHS), (end.month - TREND_MONTHS) % 12 + 1, 1)
    return [(month, min(month_end(month), end)) for month in months_between(first, end)]


def _chart_plan(*, start: date, end: date, unit_id: int | None):
    """What the dashboard's charts draw, in one round trip: each of the twelve months' request counts (the
    service selectors' own, from the roll-ups), requests by category (the same), the projects' lights
    as of `end` and the open leads by stage at its end (the projects' and investment selectors' own)."""
    months = _trend_months(end)
    counts = {
        f"m{i}": service_selectors.request_counts_plan(first, last, unit_id=unit_id)
        for i, (first, last) in enumerate(months)
    }
    got = yield from gather(
        categories=service_selectors.categories_plan(start, end, unit_id=unit_id),
        stocks=project_selectors.year_plan(end=end, unit_id=unit_id),
        stages=investment_selectors.stage_ageing_plan(
            min(end_of_period(end), timezone.now()), unit_id=unit_id
        ),
        **counts,
    )
    trend = []
    for i, (month, _last) in enumerate(months):
        c = got[f"m{i}"]
        trend.append({
            "month": month,
            # as service_selectors.service_plan makes them of the same counts
            "closure_rate_pct": pct(c["closed"], c["n"]),
            "on_time_rate_pct": pct(c["on_time"], c["closed"]),
            "same_day_ack_rate_pct": pct(c["ack"], c["ack_n"]),
            "satisfaction_rate_pct": pct(c["satisfied"], c["feedback"]),
        })  # fmt: skip
    return {"trend": trend, "categories": got["categories"], "stocks": got["stocks"], "stages": got["stages"]}


def _shown(value, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def _number(value):
    return None if value is None else float(value)


def _table(head: list, rows: list[tuple[str, list]]) -> dict:
    """A chart's numbers: column heads, and rows of a label and cells (text, or (text, link))."""
    return {
        "head": [str(h) for h in head],
        "rows": [
            {
                "label": str(label),
                "cells": [
                    {"text": c[0], "link": c[1]} if isinstance(c, tuple) else {"text": c} for c in cells
                ],
            }
            for label, cells in rows
        ],
    }


def dashboard_charts(start: date, end: date, unit: Unit | None, values: dict, links: dict) -> dict[str, list]:
    """The dashboard's charts by campaign: the main rates by month and requests by category (serving
    enterprises), the projects by light (project construction), the pipeline funnel (attracting investment).
    Each a dict of templates/rankings/_chart.html: its data for static/js/charts.js and its numbers as a
    table; `values` are the dashboard's figures (the funnel's signings), `links` its lists."""
    got = run(_chart_plan(start=start, end=end, unit_id=unit.pk if unit else None))
    names = {key: str(DEFINITIONS["service"][key][0]) for key in TREND_RATES}
    trend = got["trend"]
    rates = {
        "id": "chart-rates",
        "title": _("Main rates by month"),
        "note": _(
            "The twelve months to %(month)s, each counted on its own as the figures above count a period."
        )
        % {"month": f"{end:%Y-%m}"},
        "empty": "",
        "tall": False,
        "spec": {
            "kind": "line",
            "percent": True,
            "categories": [f"{t['month']:%Y-%m}" for t in trend],
            "series": [{"name": names[k], "data": [_number(t[k]) for t in trend]} for k in TREND_RATES],
        },
        "table": _table(
            [_("Month"), *names.values()],
            [(f"{t['month']:%Y-%m}", [_shown(t[k], "%") for k in TREND_RATES]) for t in trend],
        ),
    }
    rows = got["categories"]
    requests_list = links.get("requests")  # only where the viewer may open every request counted
    total = sum(r["n"] for r in rows)
    categories = {
        "id": "chart-categories",
        "title": _("Requests by category (热点诉求)"),
        "note": _("Enterprise requests received %(start)s – %(end)s, by category.")
        % {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"},
        "empty": "" if rows else _("No request was received in these days."),
        "tall": len(rows) > 10,
        "spec": {
            "kind": "bar",
            "categories": [r["name"] for r in rows],
            "series": [{"name": str(_("Requests")), "data": [r["n"] for r in rows]}],
        },
        "table": _table(
            [_("Category"), _("Requests"), _("Share")],
            [
                (
                    r["name"],
                    [
                        (f"{r['n']:,}", f"{requests_list}&category={r['id']}")
                        if requests_list
                        else f"{r['n']:,}",
                        _shown(pct(r["n"], total), "%"),
                    ],
                )
                for r in rows
            ],
        ),
    }
    stocks = got["stocks"]
    lit = {light: stocks[f"lights_{light}"] for light in LIGHT_COLOURS}
    light_names = {light: str(project_selectors.DEFINITIONS[f"lights_{light}"][0]) for light in LIGHT_COLOURS}
    projects_list = links.get("projects")  # only where the viewer may open every project counted
    lights = {
        "id": "chart-lights",
        "title": _("Projects by traffic light"),
        "note": _("The year's projects as of %(end)s.") % {"end": f"{end:%Y-%m-%d}"},
        "empty": "" if any(lit.values()) else _("No project has a light yet."),
        "tall": False,
        "spec": {
            "kind": "pie",
            "items": [
                {"name": light_names[light], "value": n, "color": LIGHT_COLOURS[light]}
                for light, n in lit.items()
            ],
        },
        "table": _table(
            [_("Traffic light"), _("Projects"), _("Share")],
            [
                (
                    light_names[light],
                    [
                        (str(n), f"{projects_list}&light={light}") if projects_list else str(n),
                        _shown(pct(n, sum(lit.values())), "%"),
                    ],
                )
                for light, n in lit.items()
            ],
        ),
    }
    open_leads = {str(row["stage"]): row["n"] for row in got["stages"]}  # by stage name (the selector's)
    stage_names = [str(Lead.Stage(stage).label) for stage in Lead.OPEN_STAGES]
    stages = [(name, open_leads.get(name, 0), None) for name in stage_names]
    stages.append((str(_("Signed within the period")), values["investment"]["signed"], links.get("signed")))
    funnel = {
        "id": "chart-pipeline",
        "title": _("Investment pipeline funnel"),
        "note": _("Open leads by stage at %(end)s, and the leads signed within the period.")
        % {"end": f"{end:%Y-%m-%d}"},
        "empty": "" if any(n for _name, n, _link in stages) else _("No open lead and no signing."),
        "tall": False,
        "spec": {"kind": "funnel", "items": [{"name": name, "value": n} for name, n, _link in stages]},
        "table": _table(
            [_("Stage"), _("Leads")],
            [(name, [(str(n), link) if link else str(n)]) for name, n, link in stages],
        ),
    }
    return {"service": [rates, categories], "projects": [lights], "investment": [funnel]}


@reads_from_replica
def dashboard(request):
    """The progress bar (进度条): the district's headline figures for a period, by campaign, each with its
    definition, a bar against its target where it has one, and a link to the records behind it (where a
    list counts exactly them: `dashboard_links`)."""

    start, end = period_from_request(request)
    unit = unit_from_request(request) if request.GET.get("unit") else None
    values = campaign_values(start=start, end=end, unit_id=unit.pk if unit else None)
    targets = dict(Indicator.objects.filter(is_active=True).values_list("code", "target"))
    links = dashboard_links(start, end, unit, request.user)
    charts = dashboard_charts(start, end, unit, values, links)
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
        campaigns.append(
            {"key": name, "label": labels.get(name, name), "cards": cards, "charts": charts.get(name, [])}
        )
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


@reads_from_replica
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

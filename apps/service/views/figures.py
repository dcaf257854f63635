"""Campaign 1's figures pages: the figures for a period, district-wide and per unit, and key-enterprise
coverage with the not-yet-visited list."""

from datetime import date

from django.db.models import Prefetch
from django.shortcuts import render
from django.urls import reverse

from apps.core.periods import live_end
from apps.core.replica import reads_from_replica
from apps.core.views import period_from_request
from apps.enterprises.models import Enterprise
from apps.units.models import Unit
from apps.units.selectors import unit_from_request, units_to_choose

from .. import selectors
from ..forms import AssignVisitForm
from ..models import VisitAssignment


def drill_links(start: date, end: date, unit: Unit | None) -> dict[str, str]:
    """Where each campaign-1 figure's records are: the filtered list of exactly the records the number
    counts (requests about enterprises received in the period, closed by its end, reopened, withdrawn).
    Key enterprises visited has no such list (the visit list counts visits, not enterprises): no link."""
    period = f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    of_unit = f"&unit={unit.pk}" if unit else ""
    requests = f"{reverse('service:request_list')}?concerns=enterprise&{period}" + (
        f"&handling_unit={unit.pk}" if unit else ""
    )
    return {
        "key_enterprises": f"{reverse('enterprises:list')}?is_key=true{of_unit}",
        "visits": f"{reverse('service:visit_list')}?{period}{of_unit}",
        "requests": requests,
        "requests_closed": f"{requests}&closed_by={end:%Y-%m-%d}",
        "reopened": f"{requests}&reopened=true",
        "withdrawn": f"{requests}&status=withdrawn",
    }


def _with_links(figures, links):
    return [(f, links.get(f.key)) for f in figures]


@reads_from_replica
def service_figures(request):
    start, end = period_from_request(request)
    unit = unit_from_request(request)
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
        "units": units_to_choose(request),
    }
    if request.user.has_perm("accounts.view_all_units"):
        context["by_unit"] = selectors.service_by_unit(start=start, end=end)
    return render(request, "service/figures.html", context)


@reads_from_replica
def coverage(request):
    """Key-enterprise coverage per unit and district-wide, and a unit's not-yet-visited list."""
    start, end = period_from_request(request)
    rows = selectors.coverage_by_unit(start=start, end=end)
    unit = unit_from_request(request)
    not_visited = []
    if unit is not None:  # a leader looking at the district has no unit's list
        not_yet = selectors.key_enterprises(unit.pk).exclude(selectors.visited_q(start, live_end(end)))
        not_visited = (
            Enterprise.objects.filter(pk__in=not_yet.values("pk"))
            .prefetch_related(
                Prefetch(
                    "visit_assignments",
                    queryset=VisitAssignment.objects.filter(visit__isnull=True).select_related("assignee"),
                )
            )
            .order_by("name")[:500]
        )
    can_assign = (
        unit is not None
        and request.user.has_perm("service.add_visitassignment")
        and (unit.pk == request.user.unit_id)
    )
    return render(
        request,
        "service/coverage.html",
        {
            "start": start,
            "end": end,
            "rows": rows,
            "district": selectors.coverage_total(rows),
            "unit": unit,
            "not_visited": not_visited,
            "assign_form": AssignVisitForm(user=request.user) if can_assign else None,
            "units": units_to_choose(request),
        },
    )

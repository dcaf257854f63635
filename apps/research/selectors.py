"""The figures of campaign 3, research to production, each with its definition beside it.

Flows in a span and stocks at its end are read from the roll-ups (rollups.py) for the whole months and from
the records for the partial edge months; R&D entities visited from the months marked on each entity.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Aggregate, Rows, frozen, reused, run
from apps.core.figures import figures, mean, pct
from apps.core.monthset import any_month
from apps.core.periods import (
    date_ranges,
    end_of_period,
    is_month_end,
    live_end,
    month_start,
    split,
    start_of_day,
)

from .models import Carrier, Entity, EntityVisit, Match, ResearchMonth, Result, ResultEvent, ResultMonth

R, M = Result.Status, Match.Status

DEFINITIONS = {
    "rd_entities": (_("R&D entities"), _("R&D entities on record (of a unit: it is responsible for).")),
    "rd_entities_visited": (
        _("R&D entities visited"),
        _("R&D entities with at least one visit dated within the period."),
    ),
    "results": (_("Results catalogued"), _("Results entered into the results library within the period.")),
    "results_matching": (
        _("Results in matching"),
        _("Results whose status is matching at the period's end."),
    ),
    "results_landed": (_("Results landed"), _("Results landed (落地) within the period.")),
    "matches_open": (_("Matches under way"), _("Matches proposed, contacted or negotiating.")),
    "matches_landed": (_("Matches landed"), _("Matches that landed.")),
    "matches_failed": (_("Matches failed"), _("Matches that failed.")),
    "carriers": (
        _("Carriers"),
        _("Buildings, incubators, factories and land parcels in the carrier library."),
    ),
    "free_area_m2": (_("Free area (m²)"), _("Free area of all carriers.")),
    "avg_days_to_land": (
        _("Average days from catalogued to landed"),
        _("Mean calendar days from cataloguing to landing of the results landed within the period."),
    ),
}


def _unit(qs, unit_id: int | None, field: str = "unit_id"):
    return qs if unit_id is None else qs.filter(**{field: unit_id})


def research_plan(*, start: date, end: date, unit_id: int | None = None):
    """Campaign 3 for [start, end], district-wide or of one responsible unit (a plan)."""
    end = live_end(end)
    got = yield _research_specs(start, end, unit_id)
    flows, moved = got["flows"], got.get("moved") or {}
    days = [
        (date.fromisoformat(row["landed_on"]) - date.fromisoformat(row["catalogued_on"])).days
        for row in got.get("landed_raw", [])
    ]
    landed = (got.get("landed", {}).get("n") or 0) + len(days)
    landed_days = (got.get("landed", {}).get("days") or 0) + sum(days)
    return {
        "rd_entities": got["entities"]["n"],
        "rd_entities_visited": got["entities"]["visited"],
        "results": (got.get("catalogued", {}).get("n") or 0) + (got.get("catalogued_raw", {}).get("n") or 0),
        "results_matching": (flows["matching"] or 0)
        + (moved.get("matching_in") or 0)
        - (moved.get("matching_out") or 0),
        "results_landed": landed,
        "matches_open": flows["open"] or 0,
        "matches_landed": flows["matches_landed"] or 0,
        "matches_failed": flows["matches_failed"] or 0,
        "carriers": got["carriers"]["n"],
        "free_area_m2": got["carriers"]["free"] if got["carriers"]["free"] is not None else Decimal(0),
        "avg_days_to_land": mean(landed_days, landed),
    }


@reused
def _research_specs(start: date, end: date, unit_id: int | None) -> dict:
    """What `research_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    entities = _unit(Entity.objects.all(), unit_id)
    visited = Q(pk__in=[])
    if whole:
        visited |= Q(any_month("visit_months", whole[0], whole[1]))
    if edges:
        visited |= Q(
            pk__in=EntityVisit.objects.filter(date_ranges("visit__visited_on", edges)).values("entity_id")
        )
    specs = {
        "entities": Aggregate(entities, n=Count("pk"), visited=Count("pk", filter=visited)),
        # stocks at the end: every month up to the end's (that month too when the end is its last day) ...
        "flows": Aggregate(
            _unit(ResearchMonth.objects.all(), unit_id),
            matching=Sum("matching_in", filter=_by_end("month", end))
            - Sum("matching_out", filter=_by_end("month", end)),
            open=Sum("matches_opened") - Sum("matches_landed") - Sum("matches_failed"),
            matches_landed=Sum("matches_landed"),
            matches_failed=Sum("matches_failed"),
        ),
        "carriers": Aggregate(_unit(Carrier.objects.all(), unit_id), n=Count("id"), free=Sum("free_area_m2")),
    }
    if not is_month_end(end):  # ... and the end's month up to the end
        moved = ResultEvent.objects.filter(
            at__gte=start_of_day(month_start(end)), at__lt=end_of_period(end)
        ).filter(Q(to_status=R.MATCHING) | Q(from_status=R.MATCHING))
        specs["moved"] = Aggregate(
            _unit(moved, unit_id, "result__unit_id"),
            matching_in=Count("id", filter=Q(to_status=R.MATCHING)),
            matching_out=Count("id", filter=Q(from_status=R.MATCHING)),
        )
    if whole:
        specs["catalogued"] = Aggregate(
            _unit(ResultMonth.objects.filter(month__gte=whole[0], month__lte=whole[1]), unit_id), n=Sum("n")
        )
        specs["landed"] = Aggregate(
            _unit(ResearchMonth.objects.filter(month__gte=whole[0], month__lte=whole[1]), unit_id),
            n=Sum("landed"),
            days=Sum("landed_days"),
        )
    if edges:
        results = _unit(Result.objects.all(), unit_id)
        specs["catalogued_raw"] = Aggregate(
            results.filter(date_ranges("catalogued_on", edges)), n=Count("id")
        )
        specs["landed_raw"] = Rows(
            results.filter(date_ranges("landed_on", edges)).values("catalogued_on", "landed_on")
        )
    return specs


def _by_end(field: str, end: date) -> Q:
    """Months up to the end's: that month too when the end is its last day."""
    return Q(**{f"{field}__lte" if is_month_end(end) else f"{field}__lt": month_start(end)})


def research_values(**kwargs) -> dict:
    return run(research_plan(**kwargs))


def research_figures(**kwargs) -> list:
    return figures(research_values(**kwargs), DEFINITIONS)


def matching_by_unit_plan(end: date, *, units: Collection[int] | None = None):
    """Per responsible unit (of `units` when given): results catalogued from 1 January to `end`'s month
    (included), and of those the ones in matching or landed now (the board's research indicator)."""
    got = yield _matching_by_unit_specs(end, frozen(units))
    return {r["unit_id"]: (r["moving"] or 0, r["catalogued"] or 0) for r in got["rows"]}


@reused
def _matching_by_unit_specs(end: date, units: frozenset | None) -> dict:
    """What `matching_by_unit_plan` asks (batch.reused: composed once per process)."""
    rows = ResultMonth.objects.filter(month__gte=date(end.year, 1, 1), month__lte=month_start(end))
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    return {
        "rows": Rows(
            rows.values("unit_id")
            .annotate(catalogued=Sum("n"), moving=Sum("n", filter=Q(status__in=[R.MATCHING, R.LANDED])))
            .order_by()
        )
    }


def free_area_by_kind_and_park() -> list[dict]:
    kinds = dict(Carrier.Kind.choices)
    rows = (
        Carrier.objects.values("park__short_name", "kind")
        .annotate(n=Count("id"), total=Sum("total_area_m2"), free=Sum("free_area_m2"))
        .order_by("park__short_name", "kind")
    )
    return [
        # the exact areas: int() would truncate 99.90 of 200 m² to 49.5 % instead of 50.0 %
        {**row, "kind_label": kinds[row["kind"]], "pct": pct(row["free"], row["total"])}
        for row in rows
    ]

"""The figures of campaign 4, attracting investment, each with its definition beside it. Aggregates only:
lead details stay with their unit.

Whole months are read from the roll-ups (rollups.py), partial edge months from the records; the open
pipeline at a day is its monthly flows added up to that day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal

from django.db.models import BigIntegerField, Count, F, Func, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.batch import NOW, Aggregate, Rows, at, frozen, gather, reused, run
from apps.core.figures import figures, pct
from apps.core.periods import (
    date_ranges,
    end_of_period,
    is_month_end,
    live_end,
    local_month,
    month_start,
    next_month,
    split,
    start_of_day,
    time_ranges,
)

from .models import (
    BANDS,
    Lead,
    LeadEvent,
    LeadMonth,
    LeadStageMonth,
    PipelineMonth,
    Trip,
    TripMonth,
    band_q,
)

DEFINITIONS = {
    "trips": (_("Trips"), _("Investment trips that started within the period (of a unit: it organised).")),
    "trips_led_by_head": (
        _("Trips led by the unit head (一把手带队)"),
        _("Of those trips, the ones its head led."),
    ),
    "leads": (_("Leads created"), _("Investment leads recorded within the period.")),
    "signed": (_("Signed projects"), _("Leads signed within the period (签约).")),
    "signed_amount_wan": (
        _("Signed amount (万元)"),
        _("Sum of the signed amounts of the leads signed within the period."),
    ),
    "pipeline_100m_plus": (
        _("Pipeline ≥ 1 亿 (在手在谈)"),
        _("Leads open at the period's end (not signed, not dropped) expecting at least 1 亿元."),
    ),
    "pipeline_5bn_plus": (_("of which ≥ 50 亿"), _("Open leads expecting at least 50 亿元.")),
    "pipeline_1bn_to_5bn": (
        _("of which 10–50 亿"),
        _("Open leads expecting at least 10 and less than 50 亿元."),
    ),
    "pipeline_100m_to_1bn": (
        _("of which 1–10 亿"),
        _("Open leads expecting at least 1 and less than 10 亿元."),
    ),
    "conversion_pct": (
        _("Conversion to signing"),
        _("Leads created within the period that were signed by its end ÷ leads created within the period."),
    ),
    "stale": (
        _("Past a handling limit"),
        _("Open leads past a limit: response, assessment, feedback or 2-week update."),
    ),
}


def _rolled(rows, unit_id: int | None, source: str | None = None, *, by_unit: bool = False):
    """A roll-up's rows for one unit, every unit (`by_unit`), or the district's totals (of one source)."""
    if unit_id is not None:
        rows = rows.filter(district=False, unit_id=unit_id)
    else:
        rows = rows.filter(district=not by_unit)
    return rows.filter(source=source) if source else rows


def _scope(qs, unit_id: int | None, source: str | None = None):
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs.filter(source=source) if source else qs


def leads_plan(
    start: date,
    end: date,
    *,
    unit_id: int | None = None,
    source: str | None = None,
    group=None,
    signed: bool = True,
    units: Collection[int] | None = None,
):
    """Leads created in [start, end] (`created`), those of them signed by its end and for how much
    (`converted`, `converted_wan`); and, unless not `signed`, the leads signed in [start, end] and for how
    much (`signed`, `signed_wan`) — district-wide, or a dict by `group` ("source" or "unit_id"; of `units`
    when given)."""
    end = live_end(end)
    units = frozen(units)
    got = yield _leads_specs(start, end, unit_id, source, group, signed, units)
    totals: dict = {}
    keys = ("created", "converted", "converted_wan") + (("signed", "signed_wan") if signed else ())
    for result in got.values():
        for row in result if group else [result]:
            bucket = totals.setdefault(row[group] if group else None, {})
            for key in keys:
                bucket[key] = (bucket.get(key) or 0) + (row.get(key) or 0)
    return totals if group else totals.get(None, {})


@reused
def _leads_specs(
    start: date,
    end: date,
    unit_id: int | None,
    source: str | None,
    group: str | None,
    signed: bool,
    units: frozenset | None,
) -> dict:
    """What `leads_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    fields = (group,) if group else ()
    specs = {}

    def spec(qs, **aggregates):
        return (
            Rows(qs.values(*fields).annotate(**aggregates).order_by())
            if group
            else Aggregate(qs, **aggregates)
        )

    leads = _scope(Lead.objects.all(), unit_id, source)
    rows = _rolled(LeadMonth.objects.all(), unit_id, source, by_unit=group == "unit_id")
    if units is not None:
        leads, rows = leads.filter(unit_id__in=units), rows.filter(unit_id__in=units)
    signed_by_end = Q(signed_on__lte=end)
    if edges:
        created = leads.filter(time_ranges("created_at", edges))
        specs["created_raw"] = spec(
            created,
            created=Count("id"),
            converted=Count("id", filter=signed_by_end),
            converted_wan=Sum("signed_wan", filter=signed_by_end),
        )
        if signed:
            specs["signed_raw"] = spec(
                leads.filter(date_ranges("signed_on", edges)),
                signed=Count("id"),
                signed_wan=Sum("signed_wan"),
            )
    if whole:
        end_month = month_start(end)
        counted = Q(signed_month__lte=end_month) if is_month_end(end) else Q(signed_month__lt=end_month)
        specs["created"] = spec(
            rows.filter(month__gte=whole[0], month__lte=whole[1]),
            created=Sum("n"),
            converted=Sum("n", filter=counted),
            converted_wan=Sum("signed_wan", filter=counted),
        )
        if signed:
            specs["signed"] = spec(
                rows.filter(signed_month__gte=whole[0], signed_month__lte=whole[1]),
                signed=Sum("n"),
                signed_wan=Sum("signed_wan"),
            )
        if not is_month_end(end):  # created in the whole months, signed in the end's month before the end
            late = leads.filter(
                created_at__gte=start_of_day(whole[0]),
                created_at__lt=start_of_day(next_month(whole[1])),
                signed_on__gte=end_month,
                signed_on__lte=end,
            )
            specs["late"] = spec(late, converted=Count("id"), converted_wan=Sum("signed_wan"))
    return specs


def pipeline_plan(end: date, *, unit_id: int | None = None, source: str | None = None, by_unit: bool = False):
    """Open leads of at least 1 亿 at the end of `end`, by band ({band: n}, or {unit: {band: n}})."""
    got = yield _pipeline_specs(live_end(end), unit_id, source, by_unit)
    result: dict = {}

    def add(unit, band, n):
        bucket = result.setdefault(unit, {}) if by_unit else result
        bucket[band] = bucket.get(band, 0) + n

    for row in got["rolled"]:
        add(row.get("unit_id"), row["band"], row["n"] or 0)
    for band, _low, _high in BANDS:
        for row in got.get(f"in_{band}", []):
            add(row["unit_id"], band, row["n"])
        for row in got.get(f"out_{band}", []):
            add(row["unit_id"], band, -row["n"])
    return result


@reused
def _pipeline_specs(end: date, unit_id: int | None, source: str | None, by_unit: bool) -> dict:
    """What `pipeline_plan` asks: a function of its arguments alone, so built and composed once (reused)."""
    fields = ("unit_id", "band") if by_unit else ("band",)
    rows = _rolled(PipelineMonth.objects.all(), unit_id, source, by_unit=by_unit)
    rows = (
        rows.filter(month__lte=month_start(end))
        if is_month_end(end)
        else rows.filter(month__lt=month_start(end))
    )
    specs = {"rolled": Rows(rows.values(*fields).annotate(n=Sum("opened") - Sum("closed")).order_by())}
    if not is_month_end(end):  # the end's month up to the end
        since, until = start_of_day(month_start(end)), end_of_period(end)
        leads = _scope(Lead.objects.all(), unit_id, source)
        for band, _low, _high in BANDS:
            in_band = leads.filter(band_q(band)).values("unit_id").annotate(n=Count("id")).order_by()
            specs[f"in_{band}"] = Rows(in_band.filter(created_at__gte=since, created_at__lt=until))
            specs[f"out_{band}"] = Rows(in_band.filter(open_until__gte=since, open_until__lt=until))
    return specs


def trips_plan(start: date, end: date, *, unit_id: int | None = None):
    """Investment trips started in [start, end], and those led by the unit's head."""
    got = yield _trips_specs(start, end, unit_id)
    return {k: sum(row[k] or 0 for row in got.values()) for k in ("n", "head")}


@reused
def _trips_specs(start: date, end: date, unit_id: int | None) -> dict:
    """What `trips_plan` asks (batch.reused: composed once per process)."""
    edges, whole = split(start, end)
    specs = {}
    if edges:
        trips = _scope(Trip.objects.filter(date_ranges("start_on", edges)), unit_id)
        specs["raw"] = Aggregate(trips, n=Count("id"), head=Count("id", filter=Q(led_by_head=True)))
    if whole:
        rows = _scope(TripMonth.objects.filter(month__gte=whole[0], month__lte=whole[1]), unit_id)
        specs["rolled"] = Aggregate(rows, n=Sum("trips"), head=Sum("led_by_head"))
    return specs


def investment_plan(
    *, start: date, end: date, unit_id: int | None = None, source: str | None = None, now_stale: bool = True
):
    """Campaign 4 for [start, end], district-wide or of one unit. `now_stale`: with the leads past a handling
    limit now (a figure of the moment: the campaign's own page shows it, the progress bar does not)."""
    plans = {
        "trips": trips_plan(start, end, unit_id=unit_id),
        "leads": leads_plan(start, end, unit_id=unit_id, source=source),
        "bands": pipeline_plan(end, unit_id=unit_id, source=source),
    }
    if now_stale:
        plans["stale"] = _stale_plan(unit_id, source)
    got = yield from gather(**plans)
    t, leads, bands = got["trips"], got["leads"], got["bands"]
    values = {
        "trips": t["n"],
        "trips_led_by_head": t["head"],
        "leads": leads.get("created") or 0,
        "signed": leads.get("signed") or 0,
        "signed_amount_wan": Decimal(leads.get("signed_wan") or 0).quantize(Decimal("0.01")),
        "pipeline_100m_plus": sum(bands.values()),
        "pipeline_5bn_plus": bands.get("big", 0),
        "pipeline_1bn_to_5bn": bands.get("mid", 0),
        "pipeline_100m_to_1bn": bands.get("small", 0),
        "conversion_pct": pct(leads.get("converted") or 0, leads.get("created") or 0),
    }
    if now_stale:
        values["stale"] = got["stale"]
    return values


def _stale_plan(unit_id: int | None, source: str | None):
    got = yield at(_stale_specs(unit_id, source), timezone.now())  # past a limit at this moment
    return got["stale"]["n"]


@reused
def _stale_specs(unit_id: int | None, source: str | None) -> dict:
    """What `_stale_plan` asks, at the moment `NOW` (batch.reused: composed once per process)."""
    return {"stale": Aggregate(_scope(Lead.objects.stale(NOW), unit_id, source), n=Count("id"))}


def investment_values(**kwargs) -> dict:
    return run(investment_plan(**kwargs))


def investment_figures(**kwargs) -> list:
    return figures(investment_values(**kwargs), DEFINITIONS)


#: the figures that add up signed amounts: shown for a unit only to those who may open its leads
AMOUNTS = ("signed_amount_wan",)


def hide_amounts(values: dict, *, user, unit_id: int | None) -> dict:
    """A unit's values as `user` may see them: the amounts (AMOUNTS) None unless `user` may open the unit's
    leads; the counts always (the district's own, `unit_id` None, are aggregates of every unit: shown)."""
    if unit_id is None or user.opens_unit(unit_id):
        return values
    return values | dict.fromkeys((k for k in AMOUNTS if k in values), None)


def conversion_by_unit_for(user, *, start: date, end: date) -> list[dict]:
    """`conversion_by("unit")`, each unit's signed amount kept only where `user` may open its leads (other
    units' rows are counts only); `amount_hidden` says where it was left out."""
    return [
        r | {"amount": None, "amount_hidden": True}
        if not user.opens_unit(r["unit"])
        else r | {"amount_hidden": False}
        for r in conversion_by("unit", start=start, end=end)
    ]


def conversion_by(field: str, *, start: date, end: date) -> list[dict]:
    """Leads created in the period, how many of them were signed by its end and for how much (万元; a signing
    after the end counts in neither), grouped by `source` or `unit`."""
    group = "unit_id" if field == "unit" else field
    rows = run(leads_plan(start, end, group=group))
    return [
        {
            field: key,
            "n": r["created"],
            "signed": r["converted"],
            "amount": r["converted_wan"] or None,
            "pct": pct(r["converted"], r["created"]),
        }
        for key, r in sorted(rows.items(), key=lambda item: (item[0] is None, item[0]))
        if r["created"]
    ]


def _epoch(expression):
    """Seconds since the epoch of a moment, whole (as `int(moment.timestamp())` in the roll-ups)."""
    return Func(
        expression, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))", output_field=BigIntegerField()
    )


def stage_ageing_plan(at, *, unit_id: int | None = None):
    """Leads in each open stage at the moment `at` and the average days they had spent in it by then: the
    stage flows (rollups.FLOWS) of the months before `at`'s month, and that month's moves up to `at` from
    the leads' events (at most a month of them)."""
    month = local_month(at)
    flows = _scope(LeadStageMonth.objects.filter(stage__in=Lead.OPEN_STAGES, month__lt=month), unit_id)
    moves = LeadEvent.objects.filter(
        action__in=[LeadEvent.Action.CREATE, LeadEvent.Action.MOVE], at__gte=start_of_day(month), at__lt=at
    )
    if unit_id is not None:
        moves = moves.filter(lead__unit_id=unit_id)
    # the moment a lead leaving a stage had entered it: its previous event that sets a stage
    entered_at = (
        LeadEvent.objects.filter(
            lead=OuterRef("lead"), action__in=[LeadEvent.Action.CREATE, LeadEvent.Action.MOVE]
        )
        .filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id")))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    got = yield {
        "flows": Rows(
            flows.values("stage")
            .annotate(n=Sum("entered") - Sum("left"), since=Sum("entered_since") - Sum("left_since"))
            .order_by()
        ),
        "entered": Rows(
            moves.filter(to_stage__in=Lead.OPEN_STAGES)
            .values(stage=F("to_stage"))
            .annotate(n=Count("id"), since=Sum(_epoch(F("at"))))
            .order_by()
        ),
        "left": Rows(
            moves.filter(action=LeadEvent.Action.MOVE, from_stage__in=Lead.OPEN_STAGES)
            .annotate(entered_at=Subquery(entered_at))
            .values(stage=F("from_stage"))
            .annotate(n=Count("id"), since=Sum(_epoch(F("entered_at"))))
            .order_by()
        ),
    }
    totals = {stage: [0, 0] for stage in Lead.OPEN_STAGES}  # stage → [leads, sum of the moments they entered]
    for part, sign in (("flows", 1), ("entered", 1), ("left", -1)):
        for row in got[part]:
            totals[row["stage"]][0] += sign * int(row["n"] or 0)
            totals[row["stage"]][1] += sign * int(row["since"] or 0)
    labels, moment = dict(Lead.Stage.choices), int(at.timestamp())
    return [
        {"stage": labels[stage], "n": n, "avg_days": round((moment - since / n) / 86400, 1)}
        for stage, (n, since) in totals.items()
        if n
    ]


def stage_ageing(*, end: date | None = None, unit_id: int | None = None) -> list[dict]:
    """Open leads per stage at the end of `end` (now, for a period not over yet, or without `end`) and the
    average days they had spent in it by then."""
    now = timezone.now()
    return run(stage_ageing_plan(now if end is None else min(end_of_period(end), now), unit_id=unit_id))


def stale_by_unit_plan(at, *, units: Collection[int] | None = None):
    """Per unit (of `units` when given): open leads recorded before `at`, and of those the ones past a
    handling limit at `at`."""
    got = yield _stale_by_unit_specs(at, frozen(units))
    return {r["unit_id"]: (r["stale"], r["n"]) for r in got["rows"]}


@reused
def _stale_by_unit_specs(at: datetime, units: frozenset | None) -> dict:
    """What `stale_by_unit_plan` asks (batch.reused: composed once per process)."""
    leads = Lead.objects.open().filter(created_at__lt=at)
    if units is not None:
        leads = leads.filter(unit_id__in=units)
    return {
        "rows": Rows(
            leads.values("unit_id")
            # the unit (never NULL) rather than the id: read from index lead_open_unit alone
            .annotate(n=Count("unit_id"), stale=Count("unit_id", filter=Q(stale_from__lt=at)))
            .order_by()
        )
    }

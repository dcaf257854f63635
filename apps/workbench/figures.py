"""The district's figures of every campaign, composed from each campaign's selectors: the one source of the
progress bar (dashboard) and the figures API, so that they always agree. Computed from the roll-ups on every
request, in one database round trip (apps.core.batch)."""

from __future__ import annotations

from datetime import date

from apps.core.batch import gather, run
from apps.investment import selectors as investment
from apps.projects import selectors as projects
from apps.research import selectors as research
from apps.service import selectors as service

DEFINITIONS = {
    "service": service.DEFINITIONS,
    "projects": projects.DEFINITIONS,
    "research": research.DEFINITIONS,
    "investment": investment.DEFINITIONS,
}

#: The figures the API answers, by campaign (stable keys).
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

# The money among them: of a unit whose records the reader may not open, the API gives the counts and rates
# (the ranking board shows every unit's rates to everyone) but not the amounts, as the investment figures
# page does (its other units' rows are counts only) — nor the open pipeline by band, which is the unit's
# confidential leads counted by their expected amounts (one 60 亿 lead would show as "≥ 50 亿: 1").
AMOUNT_KEYS = {
    "projects": ["annual_plan_wan", "completed_wan"],
    "investment": [
        "signed_amount_wan",
        "pipeline_100m_plus",
        "pipeline_5bn_plus",
        "pipeline_1bn_to_5bn",
        "pipeline_100m_to_1bn",
    ],
}


def campaign_values(*, start: date, end: date, unit_id: int | None) -> dict[str, dict]:
    """Every campaign's values for [start, end], district-wide or for one unit."""
    period = {"start": start, "end": end, "unit_id": unit_id}
    return run(
        gather(
            service=service.service_plan(**period),
            projects=projects.project_plan(**period, lights=False),  # neither page shows the lights
            research=research.research_plan(**period),
            investment=investment.investment_plan(**period, now_stale=False),
        )
    )

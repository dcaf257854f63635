"""Campaign 3's roll-ups: results by month catalogued and status, and what happens each month to results and
matches; plus the months each R&D entity was visited in (on the entity, like an enterprise's).

The services keep them in the writer's transaction: a result's state adds itself to `ResultMonth` (and, once
landed, to the month it landed); every result event and match event adds its flow to its month. A result
that changes unit moves everything it added (`result_rows` with its events). `rebuild()` recomputes them from
the results, their events and the R&D visits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import DateField, F, Q
from django.db.models.functions import TruncMonth

from apps.core import monthset
from apps.core.periods import local_month, month_start
from apps.core.rollups import Delta, Rollup

from .models import Entity, EntityVisit, Match, MatchEvent, ResearchMonth, Result, ResultEvent, ResultMonth

R, M = Result.Status, Match.Status
RESULTS = Rollup(ResultMonth, key=("unit_id", "month", "status"), counts={"n": None})
FLOWS = Rollup(
    ResearchMonth,
    key=("unit_id", "month"),
    values=(
        "matching_in",
        "matching_out",
        "landed",
        "landed_days",
        "matches_opened",
        "matches_landed",
        "matches_failed",
    ),
)

ROLLUPS = (RESULTS, FLOWS)
#: every table `rebuild()` writes
TABLES = (RESULTS.table, FLOWS.table, "research_entity")


def result_state_rows(result: Result) -> Delta:
    """What a result's state adds: itself under its month catalogued and status, and its landing."""
    delta = RESULTS.of(result, (result.unit_id, month_start(result.catalogued_on), result.status))
    if result.landed_on is not None:
        days = (result.landed_on - result.catalogued_on).days
        delta.add(FLOWS, (result.unit_id, month_start(result.landed_on)), landed=1, landed_days=days)
    return delta


def result_event_rows(event: ResultEvent, unit_id: int) -> Delta:
    return Delta().add(
        FLOWS,
        (unit_id, local_month(event.at)),
        matching_in=int(event.to_status == R.MATCHING),
        matching_out=int(event.from_status == R.MATCHING),
    )


def match_event_rows(event: MatchEvent, unit_id: int) -> Delta:
    return Delta().add(
        FLOWS,
        (unit_id, local_month(event.at)),
        matches_opened=int(not event.from_status),
        matches_landed=int(event.to_status == M.LANDED),
        matches_failed=int(event.to_status == M.FAILED),
    )


def result_rows(result: Result, events: Iterable[ResultEvent], match_events: Iterable[MatchEvent]) -> Delta:
    """Everything a result adds, its history and its matches' included (to move it to another unit)."""
    delta = result_state_rows(result)
    for event in events:
        delta += result_event_rows(event, result.unit_id)
    for event in match_events:
        delta += match_event_rows(event, result.unit_id)
    return delta


def rebuild() -> None:
    """The results' and matches' roll-ups and the entities' visited months, from the records."""
    month = TruncMonth("catalogued_on", output_field=DateField())
    RESULTS.rebuild((Result.objects.all(), [F("unit"), month, F("status")]))
    delta = Delta()
    for result in Result.objects.filter(landed_on__isnull=False).only("unit", "catalogued_on", "landed_on"):
        days = (result.landed_on - result.catalogued_on).days
        delta.add(FLOWS, (result.unit_id, month_start(result.landed_on)), landed=1, landed_days=days)
    for event in ResultEvent.objects.filter(Q(to_status=R.MATCHING) | Q(from_status=R.MATCHING)).annotate(
        unit=F("result__unit")
    ):
        delta += result_event_rows(event, event.unit)
    for event in MatchEvent.objects.annotate(unit=F("match__result__unit")):
        delta += match_event_rows(event, event.unit)
    ResearchMonth.objects.all().delete()
    delta.apply_in_chunks()
    monthset.rebuild(
        Entity._meta.db_table,
        "visit_months",
        EntityVisit.objects.all(),
        owner="entity_id",
        day="visit__visited_on",
    )


def kept() -> dict[str, set]:
    """What the roll-ups and the entities' visited months hold now, comparable with a rebuild's."""
    months = Entity.objects.exclude(visit_months="").values_list("pk", "visit_months")
    return {
        RESULTS.table: RESULTS.rows(),
        FLOWS.table: FLOWS.rows(),
        "entity visit months": {(pk, bits.rstrip("0")) for pk, bits in months},
    }

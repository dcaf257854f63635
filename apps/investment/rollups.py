"""Campaign 4's roll-ups: trips by month, leads by month recorded and signed, the open pipeline's flows by
band, and leads by current stage.

The services keep them in the writer's transaction: a trip adds itself once (trips are not edited); a lead
adds what its state says (`lead_rows`), and every service that changes a lead takes what it added before and
adds what it adds after. `rebuild()` recomputes them from the trips and leads.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, DateField, F, Q, Value, When
from django.db.models.functions import TruncMonth

from apps.core.periods import local_month, month_start
from apps.core.rollups import Delta, Rollup

from .models import (
    BANDS,
    Lead,
    LeadEvent,
    LeadMonth,
    LeadStage,
    LeadStageMonth,
    PipelineMonth,
    Trip,
    TripMonth,
    band_of,
    band_q,
    stale_from,
)

TRIPS = Rollup(
    TripMonth, key=("unit_id", "month"), counts={"trips": None, "led_by_head": Q(led_by_head=True)}
)
LEADS = Rollup(
    LeadMonth,
    key=("district", "unit_id", "source", "month", "signed_month"),
    counts={"n": None},
    sums={"signed_wan": ("signed_wan", Q(signed_on__isnull=False))},
)
PIPELINE = Rollup(
    PipelineMonth, key=("district", "unit_id", "source", "band", "month"), values=("opened", "closed")
)
STAGES = Rollup(LeadStage, key=("unit_id", "stage"), counts={"n": None}, values=("since_sum",))
FLOWS = Rollup(
    LeadStageMonth,
    key=("unit_id", "stage", "month"),
    values=("entered", "entered_since", "left", "left_since"),
)

ROLLUPS = (TRIPS, LEADS, PIPELINE, STAGES, FLOWS)
#: every table `rebuild()` writes
TABLES = (
    "investment_tripmonth",
    "investment_leadmonth",
    "investment_pipelinemonth",
    "investment_leadstage",
    "investment_leadstagemonth",
    "investment_lead",
)


def trip_rows(trip: Trip) -> Delta:
    return TRIPS.of(trip, (trip.unit_id, month_start(trip.start_on)))


def lead_rows(lead: Lead) -> Delta:
    """What a lead, as it is in memory now, adds: its month recorded (and signed), its time in the pipeline
    (from recorded until it left the open stages, in the band of its expected investment), its stage."""
    signed_month = month_start(lead.signed_on) if lead.signed_on else None
    band, delta = band_of(lead.expected_wan), Delta()
    for district, unit in ((False, lead.unit_id), (True, None)):  # its unit's rows and the district's totals
        delta += LEADS.of(lead, (district, unit, lead.source, local_month(lead.created_at), signed_month))
        if band:
            delta.add(PIPELINE, (district, unit, lead.source, band, local_month(lead.created_at)), opened=1)
            if lead.open_until is not None:
                delta.add(
                    PIPELINE, (district, unit, lead.source, band, local_month(lead.open_until)), closed=1
                )
    delta += STAGES.of(lead, (lead.unit_id, lead.stage))
    delta.add(STAGES, (lead.unit_id, lead.stage), since_sum=int(lead.stage_since.timestamp()))
    return delta


def stage_entered(unit_id: int, stage: str, at) -> Delta:
    """A lead of `unit_id` entered `stage` at `at` (recorded: the first stage; or moved into it)."""
    return Delta().add(FLOWS, (unit_id, stage, local_month(at)), entered=1, entered_since=int(at.timestamp()))


def stage_moved(unit_id: int, from_stage: str, since, to_stage: str, at) -> Delta:
    """A lead of `unit_id` in `from_stage` since `since` moved to `to_stage` at `at`. History, not state: the
    service that moves the lead adds it besides what `lead_rows` says before and after."""
    left = Delta().add(
        FLOWS, (unit_id, from_stage, local_month(at)), left=1, left_since=int(since.timestamp())
    )
    return left + stage_entered(unit_id, to_stage, at)


def _local_month(field: str):
    return TruncMonth(field, output_field=DateField(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def band_case():
    """The band of a lead's expected investment in SQL, from the same BANDS as `band_of`."""
    return Case(
        *(When(band_q(band), then=Value(band)) for band, _low, _high in BANDS),
        default=Value(""),
        output_field=CharField(),
    )


def rebuild() -> None:
    """Every roll-up of this app, and each lead's derived moments, from the trips, leads and lead events."""
    _rebuild_lead_moments()
    TRIPS.rebuild((Trip.objects.all(), [F("unit"), TruncMonth("start_on", output_field=DateField())]))
    created, signed = _local_month("created_at"), TruncMonth("signed_on", output_field=DateField())
    LEADS.rebuild(
        (Lead.objects.all(), [Value(False), F("unit"), F("source"), created, signed]),
        (Lead.objects.all(), [Value(True), None, F("source"), created, signed]),
    )
    delta = Delta()
    leads = Lead.objects.annotate(band=band_case()).exclude(band="")
    rows = leads.values_list("unit", "source", "band", "created_at", "open_until")
    for unit, source, band, created_at, open_until in rows:
        for district, key in ((False, unit), (True, None)):
            delta.add(PIPELINE, (district, key, source, band, local_month(created_at)), opened=1)
            if open_until is not None:
                delta.add(PIPELINE, (district, key, source, band, local_month(open_until)), closed=1)
    for unit, stage, since in Lead.objects.values_list("unit", "stage", "stage_since"):
        delta.add(STAGES, (unit, stage), n=1, since_sum=int(since.timestamp()))
    delta += _stage_flows()
    PipelineMonth.objects.all().delete()
    LeadStage.objects.all().delete()
    LeadStageMonth.objects.all().delete()
    delta.apply_in_chunks()


def stage_flows_rebuild() -> None:
    """The stage flows alone, from the leads' events (the data migration that introduced them)."""
    LeadStageMonth.objects.all().delete()
    _stage_flows().apply_in_chunks()


def _stage_flows() -> Delta:
    """The stage flows from the leads' events: each lead enters the first stage when recorded and each move
    takes it out of one stage (entered at its previous event) into the next."""
    delta = Delta()
    events = LeadEvent.objects.filter(action__in=[LeadEvent.Action.CREATE, LeadEvent.Action.MOVE])
    previous: dict[int, object] = {}  # lead → the moment it entered its stage
    for lead_id, unit, action, from_stage, to_stage, at in events.order_by("lead_id", "at", "id").values_list(
        "lead_id", "lead__unit_id", "action", "from_stage", "to_stage", "at"
    ):
        if action == LeadEvent.Action.CREATE:
            delta += stage_entered(unit, to_stage or Lead.Stage.LEAD, at)
        else:
            delta += stage_moved(unit, from_stage, previous[lead_id], to_stage, at)
        previous[lead_id] = at
    return delta


def _rebuild_lead_moments() -> None:
    """Each lead's `open_until` (its move out of the open stages) and `stale_from`, from its events and
    fields."""
    left = dict(
        LeadEvent.objects.filter(action=LeadEvent.Action.MOVE, from_stage__in=Lead.OPEN_STAGES)
        .exclude(to_stage__in=Lead.OPEN_STAGES)
        .values_list("lead_id", "at")
    )
    leads = list(Lead.objects.all())
    for lead in leads:
        lead.open_until, lead.stale_from = left.get(lead.pk), stale_from(lead)
    Lead.objects.bulk_update(leads, ["open_until", "stale_from"], batch_size=2000)


def kept() -> dict[str, set]:
    """What the roll-ups and the leads' derived moments hold now, comparable with a rebuild's."""
    return {rollup.table: rollup.rows() for rollup in ROLLUPS} | {
        "lead moments": set(Lead.objects.values_list("pk", "open_until", "stale_from"))
    }

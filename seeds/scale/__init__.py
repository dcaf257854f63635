"""A realistic dataset at three sizes for benchmarks (`manage.py generate_scale`), written through COPY.

Two years of a region's work ending with a given month: units with their staff and manager accounts,
enterprises, visits, requests with their whole event history and derived clocks, projects with plans and
monthly reports, R&D carriers, entities and results, investment trips and leads. Activity is skewed the way
real districts are: a few units much busier than the rest (Zipf-like), a yearly season, the Spring Festival
lull, slow growth over the two years. Everything random comes from `random.Random(seed)`, and the span from
`until`, so a seed and a month give the same rows, down to the ids.

It replaces whatever the generated tables hold, so it refuses a database holding rows it did not write
(`foreign_rows`) unless forced: run it on a database of its own.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from seeds.models import GeneratedDataset

from . import campaigns, db, service
from .district import build_enterprises, build_frame, build_world, zipf_weights


@dataclass(frozen=True)
class Size:
    units: int
    enterprises: int
    visits: int
    requests: int
    projects: int  # each with 24 monthly reports
    leads: int
    trips: int
    rd_entities: int
    rd_results: int


SIZES = {
    "small": Size(12, 500, 1_500, 2_500, 40, 200, 50, 30, 60),
    "city": Size(30, 20_000, 60_000, 100_000, 1_000, 5_000, 1_000, 500, 1_200),
    "province": Size(300, 200_000, 600_000, 1_000_000, 10_000, 50_000, 10_000, 5_000, 12_000),
}


class Refused(Exception):
    """The database holds rows the generator did not write."""

    def __init__(self, rows: dict[str, int]):
        self.rows = rows
        super().__init__(", ".join(f"{table}: {n}" for table, n in sorted(rows.items())))


def generate(
    *,
    size: str,
    seed: int,
    until: date,
    password: str,
    force: bool = False,
    today: date | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict[str, int]:
    """Replace the generated tables with a dataset of `size`; returns the rows written per table.

    `until` is the first day of the last month; data stops at the end of that month, or `today` (default:
    the local date) if sooner, so nothing lies in the future.
    """
    scale = SIZES[size]
    started = time.monotonic()
    with transaction.atomic():
        foreign = db.foreign_rows()
        if foreign and not force:
            raise Refused(foreign)
        replica = db.replica_mode()
        log(f"Triggers {'off (replica mode)' if replica else 'on (not a superuser)'} for the load.")
        with _step(log, "wipe", None):
            db.wipe()
        rng = random.Random(seed)
        world = build_world(rng, until, today or timezone.localdate())
        log(f"Span {world.start} – {world.end}.")
        for year in range(world.start.year, world.end.year + 1):
            if not world.calendar.is_published(year):
                log(
                    f"Warning: the working-day calendar of {year} is not entered; Monday–Friday counts as working."
                )
        with _step(log, "units and accounts", None):
            counts = build_frame(world, scale.units, password)
        log(f"  {counts['units']} units, {counts['users']} users")
        world.unit_weight = zipf_weights(rng, [u.pk for u in world.units], 0.7)
        with db.indexes_set_aside(log):
            _load(world, scale, log)
        max_ids = db.reset_sequences()
        GeneratedDataset.objects.create(size=size, seed=seed, until=until, max_ids=max_ids)
    # VACUUM as well when it can run (not inside a test's transaction): it sets the visibility map, without
    # which index-only scans still read the table — what autovacuum would do on a live database
    analyze = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with _step(log, analyze, None), connection.cursor() as cursor:
        cursor.execute(f"{analyze} {', '.join(map(connection.ops.quote_name, db.generated_tables()))}")
    with _step(log, "rebuild_rollups", None):
        call_command("rebuild_rollups", stdout=io.StringIO())
    log(f"Done in {time.monotonic() - started:.1f} s.")
    return max_ids


def _load(world, scale: Size, log) -> None:
    """Every COPY-loaded part, in the order their references need."""
    loader = db.Loader()
    try:
        with _step(log, "enterprises", loader):
            build_enterprises(world, loader, scale.enterprises)
        with _step(log, "projects", loader):
            projects = campaigns.build_projects(world, loader, scale.projects)
        with _step(log, "R&D carriers and entities", loader):
            entities = campaigns.build_research(world, loader, scale.rd_entities)
        with _step(log, "visits", loader):
            visits = service.build_visits(world, loader, scale.visits, projects, entities)
        with _step(log, "requests and their events", loader):
            statuses = service.build_requests(world, loader, scale.requests, visits)
        log(
            "  requests by status: "
            + ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items(), key=lambda i: -i[1]))
        )
        with _step(log, "R&D results and matches", loader):
            campaigns.build_results(world, loader, scale.rd_results, scale.rd_entities)
        with _step(log, "trips and leads", loader):
            campaigns.build_investment(world, loader, scale.trips, scale.leads, projects)
        with _step(log, "waiting for the last COPY", None):
            loader.finish()
        log(f"COPY time per table (in the background; the build waited {loader.waited:.1f} s for it):")
        for table, seconds in sorted(loader.seconds.items(), key=lambda item: -item[1]):
            log(f"  {table:<32} {loader.counts[table]:>10,} rows {seconds:7.1f} s")
    except BaseException:
        loader.abandon()
        raise


@contextmanager
def _step(log, label: str, loader):
    """Print a step with its time and, for a loading step, the rows it queued per table."""
    before = dict(loader.counts) if loader else {}
    started = time.monotonic()
    yield
    rows = ""
    if loader:
        loader.flush()
        rows = ", ".join(
            f"{table} {n - before.get(table, 0):,}"
            for table, n in loader.counts.items()
            if n != before.get(table, 0)
        )
    log(f"{label}: {time.monotonic() - started:.1f} s{'  (' + rows + ')' if rows else ''}")

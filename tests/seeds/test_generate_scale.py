"""`manage.py generate_scale` at the small size: exact counts, the same rows for the same seed, consistent
histories and links, and a refusal (writing nothing) on a database holding records it did not write.

The dataset is generated once for this module inside a transaction that is rolled back at the end.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncMonth

from apps.accounts.models import User
from apps.service import clocks
from apps.service.models import Request, Visit
from apps.units.models import Unit
from apps.workdays.calendar import load_calendar
from seeds import scale
from seeds.models import GeneratedDataset
from seeds.scale import db as scale_db

from ..factories import UnitFactory

UNTIL = "2026-06"  # the span: July 2024 – June 2026
SEED = 7
CUTOFF = datetime(2026, 6, 30, 20, tzinfo=ZoneInfo("Asia/Shanghai"))  # nothing happens after

EXPECTED = {
    "units_unit": 12,
    "accounts_user": 26,  # a staff member and a manager per unit, a leader, an admin
    "enterprises_enterprise": 500,
    "enterprises_contact": 500,
    "service_visit": 1_500,
    "service_request": 2_500,
    "projects_project": 40,
    "projects_yearplan": 120,  # 2024, 2025, 2026
    "projects_monthlyreport": 960,  # 24 a project
    "research_entity": 30,
    "research_result": 60,
    "research_carrier": 20,  # five in each of the four parks
    "investment_trip": 50,
    "investment_lead": 200,
}


def _generate(seed=SEED, *more):
    call_command(
        "generate_scale", "--size", "small", "--seed", str(seed), "--until", UNTIL, *more, verbosity=0
    )


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _indexes() -> list[tuple]:
    """Every index, its definition without casts and parentheses: PostgreSQL prints a partial index's
    `stage IN (…)` again with the casts placed differently once rebuilt from its own printed definition
    (`ANY (ARRAY[('lead'::varchar)::text…])` for `ANY ((ARRAY['lead'::varchar…])::text[])`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2")
        rows = cursor.fetchall()
    return [(table, re.sub(r"::[a-z ]+(\[\])?|[()]", "", definition)) for table, definition in rows]


DIGEST_OF = {
    "enterprises_enterprise": "id, name, credit_code, unit_id, is_key, created_at",
    "service_visit": "id, visited_on, enterprise_id, lead_unit_id, created_at",
    "service_request": "id, enterprise_id, visit_id, category_id, status, handling_unit_id, received_at, "
    "closed_at, close_due, satisfaction",
    "service_requestevent": "id, request_id, action, by_id, at",
    "projects_monthlyreport": "id, project_id, month, amount",
    "investment_lead": "id, unit_id, stage, expected_wan, created_at",
}


def _digest() -> dict[str, str]:
    found = {}
    with connection.cursor() as cursor:
        for table, columns in DIGEST_OF.items():
            cursor.execute(f"SELECT md5(string_agg(concat_ws('|', {columns}), ',' ORDER BY id)) FROM {table}")
            found[table] = cursor.fetchone()[0]
    return found


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            indexes = _indexes()
            _generate()
            yield {"indexes_before": indexes, "digest": _digest()}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_small_dataset_has_exactly_its_rows(generated, db):
    assert {table: _count(table) for table in EXPECTED} == EXPECTED
    marker = GeneratedDataset.objects.get()
    assert (marker.size, marker.seed, marker.until) == ("small", SEED, date(2026, 6, 1))
    # every generated table holds exactly the rows the marker records (ids 1…n, sequences past them)
    assert {table: _count(table) for table in marker.max_ids} == marker.max_ids
    assert (
        Unit.objects.create(code="new", name="新单位", short_name="新", kind="park", peer_group="parks").pk
        == 13
    )


def test_units_have_peer_groups_and_the_demo_logins(generated, db, settings):
    assert set(Unit.objects.values_list("peer_group", flat=True)) == {"bureaus", "parks", "streets"}
    assert list(Unit.objects.filter(peer_group="parks").values_list("code", flat=True)) == [
        "cbd", "yjy", "swyyg", "znzz",
    ]  # fmt: skip
    staff = User.objects.get(username="jjfzj_staff")
    manager = User.objects.get(username="jjfzj_manager")
    assert [g.name for g in staff.groups.all()] == ["staff"]
    assert [g.name for g in manager.groups.all()] == ["unit manager"]
    assert staff.unit.code == manager.unit.code == "jjfzj"
    assert User.objects.values("password").distinct().count() == 1  # hashed once
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert staff.check_password("Jiangbei@2024")


def test_indexes_set_aside_for_the_load_are_all_back(generated, db):
    assert _indexes() == generated["indexes_before"]


def test_every_foreign_key_points_at_a_row(generated, db):
    """The load runs without triggers (replica mode), so nothing else checks the links."""
    with connection.cursor() as cursor:
        refs = scale_db._references(cursor, scale_db.generated_tables())
        orphans = {}
        for child, column, _nullable, parent in refs:
            cursor.execute(
                f'SELECT count(*) FROM "{child}" c WHERE c."{column}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p.id = c."{column}")'
            )
            if n := cursor.fetchone()[0]:
                orphans[f"{child}.{column}"] = n
    assert len(refs) > 60
    assert orphans == {}


def test_visits_are_to_enterprises_of_their_unit_and_requests_to_the_visits_enterprise(generated, db):
    enterprise_visits = Visit.objects.filter(target_name="")
    assert enterprise_visits.count() == 1_401  # the rest visit projects (60) and R&D entities (39)
    assert enterprise_visits.exclude(enterprise__unit=F("lead_unit")).count() == 0
    heard = Request.objects.filter(visit__isnull=False)
    assert heard.count() == 2_125  # 85 %
    assert heard.exclude(enterprise=F("visit__enterprise")).count() == 0
    assert heard.exclude(logged_unit=F("visit__lead_unit")).count() == 0
    assert heard.exclude(received_on=F("visit__visited_on")).count() == 0
    assert Request.objects.exclude(handler__unit=F("handling_unit")).exclude(handler=None).count() == 0


def test_every_request_history_leads_to_its_status_and_its_clocks(generated, db):
    calendar = load_calendar()  # the real calendar, not the generator's indexed copy
    wrong = []
    for req in Request.objects.select_related("category").prefetch_related("events").order_by("pk"):
        events = sorted(req.events.all(), key=lambda e: (e.at, e.pk))
        actions = [e.action for e in events]
        replay = clocks.compute(
            events=events,
            contact_days=req.category.contact_days,
            close_days=req.category.close_days,
            urgency=req.urgency,
            received_on=req.received_on,
            calendar=calendar,
        )
        checks = [
            actions[0] == "create" and events[0].at == req.received_at,
            events[-1].to_status == req.status,
            all(a.to_status == b.from_status for a, b in zip(events, events[1:], strict=False)),
            req.version == len(events) - 1,
            req.updated_at == events[-1].at,
            all(getattr(req, f) == getattr(replay, f) for f in clocks.Clocks.FIELDS),
            (req.status in ("closed", "confirmed")) == (req.closed_at is not None),
            req.status not in ("closed", "confirmed") or "close" in actions,
            req.status != "confirmed"
            or (actions[-1] == "confirm" and req.satisfaction in ("satisfied", "basic")),
            req.status != "withdrawn" or actions[-1] == "withdraw",
            req.status != "new" or actions == ["create"],
            req.reopen_count == actions.count("reopen"),
            all(e.at <= CUTOFF for e in events),
        ]
        if not all(checks):
            wrong.append((req.pk, req.status, actions, checks))
    assert wrong == []
    statuses = dict(Request.objects.values_list("status").annotate(n=Count("id")).order_by())
    assert statuses == {
        "confirmed": 2_051, "closed": 360, "in_progress": 54, "withdrawn": 21, "paused": 6, "new": 5,
        "acknowledged": 2, "dispatched": 1,
    }  # fmt: skip


def test_activity_is_skewed_seasonal_and_dips_at_spring_festival(generated, db):
    by_unit = sorted(Visit.objects.values("lead_unit").annotate(n=Count("id")).values_list("n", flat=True))
    assert by_unit[-1] >= 4 * by_unit[len(by_unit) // 2]  # the busiest unit: several times the median
    by_month = dict(
        Visit.objects.annotate(m=TruncMonth("visited_on"))
        .values("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    assert len(by_month) == 24
    february, march = by_month[date(2026, 2, 1)], by_month[date(2026, 3, 1)]
    assert february * 2 < march  # Spring Festival 2026: 14 – 28 February


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(generated, db):
    _generate(SEED + 1)
    other = _digest()
    _generate(SEED)
    again = _digest()
    assert again == generated["digest"]
    assert all(other[table] != again[table] for table in DIGEST_OF)


def test_refuses_a_database_with_records_it_did_not_write_and_writes_nothing(generated, db):
    UnitFactory(code="real", name="真实单位")
    before = {table: _count(table) for table in EXPECTED}
    with pytest.raises(CommandError, match=r"did not write.*units_unit: 1"):
        _generate()
    assert {table: _count(table) for table in EXPECTED} == before
    assert _digest() == generated["digest"]
    assert Unit.objects.filter(code="real").exists()
    assert GeneratedDataset.objects.count() == 1


def test_refuses_a_database_never_generated(generated, db):
    GeneratedDataset.objects.all().delete()  # as on a database that holds only its own records
    with pytest.raises(CommandError, match=r"accounts_user: 26.*service_request: 2500"):
        _generate()
    assert {table: _count(table) for table in EXPECTED} == EXPECTED
    assert _digest() == generated["digest"]
    assert not GeneratedDataset.objects.exists()


def test_force_replaces_records_it_did_not_write(generated, db):
    UnitFactory(code="real", name="真实单位")
    User.objects.create(username="someone", unit=Unit.objects.get(code="real"), password=make_password(None))
    _generate(SEED, "--force")
    assert not Unit.objects.filter(code="real").exists()
    assert not User.objects.filter(username="someone").exists()
    assert _digest() == generated["digest"]


def test_refuses_a_month_in_the_future(generated, db):
    with pytest.raises(CommandError, match="in the future"):
        call_command("generate_scale", "--size", "small", "--seed", "1", "--until", "2999-01")
    assert _digest() == generated["digest"]


def test_sizes_match_the_quality_bar():
    province = scale.SIZES["province"]
    assert (province.units, province.enterprises, province.visits, province.requests) == (
        300, 200_000, 600_000, 1_000_000,
    )  # fmt: skip
    assert (province.projects, province.leads, province.trips) == (10_000, 50_000, 10_000)
    assert scale.SIZES["city"].requests == province.requests // 10

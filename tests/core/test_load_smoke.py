"""bench/load_staff.py, briefly: two simulated staff members for a few seconds against a live server, and
its database check catching rows no client reported. The real load run is a bench tool (bench/README.md)."""

from datetime import date

import pytest

from apps.accounts import roles
from apps.service import services
from apps.service.models import Request, RequestEvent, Visit
from bench import load_staff

from ..factories import EnterpriseFactory, UnitFactory, UserFactory

# serialized_rollback: the flush after a transactional test empties the seeded tables (roles, categories,
# calendar); restore them for the tests that run after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def two_staff():
    park = UnitFactory(code="park", name="产业技术研创园", short_name="研创园")
    EnterpriseFactory(name="南京压测科技有限公司", unit=park)
    for username in ("load_a", "load_b"):
        UserFactory(username=username, unit=park, role=roles.STAFF)
    return park


def test_two_clients_for_five_seconds_create_exactly_what_they_report(live_server, two_staff, capsys):
    code = load_staff.main(
        [
            f"--base-url={live_server.url}",
            "--clients=2",
            "--seconds=5",
            "--password=pw-for-tests",
            "--users=load_a,load_b",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "OK: no 5xx" in out
    visits = Visit.objects.filter(summary__startswith="[load-")
    assert visits.count() >= 2  # each client logged at least one visit
    assert Request.objects.filter(visit__in=visits).count() == visits.count()
    assert f"clients saw created: {visits.count()} visits, {visits.count()} requests" in out
    closed = Request.objects.filter(visit__in=visits, status="closed").count()
    assert RequestEvent.objects.filter(request__visit__in=visits, action="close").count() == closed


def test_the_check_reports_rows_that_no_client_saw(two_staff):
    marker = "[load-12345678]"
    by = two_staff.users.get(username="load_a")
    services.visit_record(
        by=by,
        visited_on=date(2024, 3, 4),
        enterprise=two_staff.enterprises.get(),
        lead_unit=two_staff,
        mode=Visit.Mode.ON_SITE,
        summary=f"{marker} c000 n00000 压测走访",
    )
    report = load_staff.ClientReport(index=0, account="load_a")

    failures = load_staff.verify(marker, [report])

    assert failures == [
        "client 0: visits seen 0, in the database 1",
    ]


def test_non_loopback_targets_are_refused():
    with pytest.raises(SystemExit, match="Refusing to load '10.1.2.3'"):
        load_staff.check_loopback("http://10.1.2.3:8000")
    load_staff.check_loopback("http://127.0.0.1:8000")  # no error

"""The replica's rules in-process (apps/core/replica.py), fast: a `replica` alias added for the test — the
test database through a second connection, or a port where nothing listens. The real streaming pair:
test_streaming_pair.py (slow)."""

import pytest
from django.db import connections, router
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.core import replica
from apps.units.models import Unit

from .pair import free_port


@pytest.fixture
def add_replica():
    """Adds the `replica` alias (settings.DATABASES is the dict the connections read) for one test."""

    def add(**overrides):
        conf = {**connections["default"].settings_dict, **overrides}
        conf["OPTIONS"] = {**conf.get("OPTIONS", {}), "connect_timeout": 1}
        connections.settings[replica.REPLICA] = conf
        return connections[replica.REPLICA]

    yield add
    if replica.REPLICA in connections.settings:
        connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        del connections.settings[replica.REPLICA]
    replica._replica_down_until = 0.0


def _view(seen: list):
    @replica.reads_from_replica
    def view(request):
        seen.append(router.db_for_read(Unit))
        seen.append(Unit.objects.count())
        return HttpResponse("ok")

    return view


def test_a_marked_view_reads_the_replica_and_writes_still_go_to_the_primary(
    add_replica, django_db_setup, django_db_blocker, rf: RequestFactory
):
    with django_db_blocker.unblock():
        replica_connection = add_replica()
        seen = []
        with (
            CaptureQueriesContext(replica_connection) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            assert _view(seen)(rf.get("/dashboard/")).status_code == 200
        assert seen[0] == "replica"
        assert any('FROM "units_unit"' in q["sql"] for q in on_replica.captured_queries)
        assert on_primary.captured_queries == []
        # outside a marked view: the primary; a row read on the replica is written to the primary
        assert router.db_for_read(Unit) == "default"
        row = Unit(code="x")
        row._state.db = "replica"
        assert router.db_for_write(Unit, instance=row) == "default"
        assert router.db_for_read(Unit, instance=row) == "default"
        assert router.allow_migrate("replica", "units") is False


def test_right_after_a_write_and_for_other_methods_the_view_reads_the_primary(
    add_replica, django_db_setup, django_db_blocker, rf: RequestFactory
):
    with django_db_blocker.unblock():
        add_replica()
        seen = []
        request = rf.get("/dashboard/")
        request.reads_primary = True  # PrimaryAfterWriteMiddleware: this browser wrote a moment ago
        _view(seen)(request)
        _view(seen)(rf.post("/dashboard/"))
        assert seen[0] == "default" and seen[2] == "default"


@pytest.mark.django_db
def test_inside_a_transaction_on_the_primary_reads_stay_there(add_replica, rf: RequestFactory):
    add_replica()
    seen = []
    _view(seen)(rf.get("/dashboard/"))  # a test case's transaction is open
    assert seen[0] == "default"


def test_an_unreachable_replica_leaves_the_view_on_the_primary_and_is_left_alone_for_a_while(
    add_replica, django_db_setup, django_db_blocker, rf: RequestFactory, settings, caplog
):
    settings.REPLICA_RETRY_SECONDS = 30
    with django_db_blocker.unblock():
        add_replica(HOST="127.0.0.1", PORT=free_port())  # nothing listens there
        seen = []
        assert _view(seen)(rf.get("/dashboard/")).status_code == 200
        assert seen[0] == "default" and seen[1] == Unit.objects.count()
        assert "Replica unreachable" in caplog.text
        caplog.clear()
        _view(seen)(rf.get("/dashboard/"))  # within the retry period: no new attempt
        assert seen[2] == "default" and "Replica unreachable" not in caplog.text


def test_a_write_request_marks_the_browser_and_only_with_a_replica(add_replica, rf: RequestFactory, settings):
    settings.READ_YOUR_WRITES_SECONDS = 10
    middleware = replica.PrimaryAfterWriteMiddleware(lambda request: HttpResponse("ok"))

    request = rf.post("/service/visits/new/")
    response = middleware(request)
    assert replica.COOKIE not in response.cookies and request.reads_primary is True  # no replica: no cookie

    add_replica()
    response = middleware(rf.post("/service/visits/new/"))
    cookie = response.cookies[replica.COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert replica.COOKIE not in middleware(rf.get("/dashboard/")).cookies  # a read marks nothing

    later = rf.get("/dashboard/")
    later.COOKIES[replica.COOKIE] = cookie.value
    middleware(later)
    assert later.reads_primary is True
    forged = rf.get("/dashboard/")
    forged.COOKIES[replica.COOKIE] = "1"
    middleware(forged)
    assert forged.reads_primary is False

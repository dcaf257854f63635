"""Two people moving the same request at the same moment, on real PostgreSQL: exactly one wins.

Each thread has its own database connection (Django's connections are per thread) and the data is
committed (transactional test). A barrier makes both read the request before either writes.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from apps.accounts import roles
from apps.service import services
from apps.service.models import Request, RequestEvent
from apps.service.services import TransitionError

from ..factories import UserFactory
from .factories import A, local, make_request, walk_to

# serialized_rollback: the flush after a transactional test empties the seeded tables (roles, categories,
# calendar); restore them for this test whatever ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

T0 = local(2024, 3, 4, 10)
AT = local(2024, 3, 5, 10)


def run_race(pk: int, *moves, hold: float = 0.3) -> list:
    """Run each move (a callable taking the request as its user last saw it) in its own thread.

    Each thread reads the request, waits at the barrier for the others, then moves it inside a transaction
    that it keeps open for `hold` seconds after writing, so that the other thread arrives while the row is
    locked. Returns, per move, "won" or the exception it raised.
    """
    barrier = threading.Barrier(len(moves))
    results: list = [None] * len(moves)

    def run(index, move):
        try:
            seen = Request.objects.get(pk=pk)
            barrier.wait(timeout=10)
            with transaction.atomic():
                move(seen)
                time.sleep(hold)
            results[index] = "won"
        except Exception as exc:  # noqa: BLE001 — handed to the test, which asserts its exact kind
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def second_manager_a(unit_a):
    return UserFactory(username="manager_a2", display_name="陈静", unit=unit_a, role=roles.UNIT_MANAGER)


def test_two_managers_transferring_at_once_exactly_one_wins(
    staff_a, manager_a, second_manager_a, unit_b, office
):
    req = walk_to(
        make_request(staff_a, handling_unit=staff_a.unit, at=T0),
        "in_progress",
        handler=staff_a,
        manager=manager_a,
        at=T0,
    )
    events = RequestEvent.objects.filter(request=req).count()

    def transfer(by, unit):
        def move(seen):
            services.request_transition(
                request=seen,
                action=A.TRANSFER,
                by=by,
                note="不属于本单位职责",
                expected_status=seen.status,
                expected_version=seen.version,  # a transfer keeps the status: only the version tells
                unit=unit,
                at=AT,
            )

        return move

    results = run_race(req.pk, transfer(manager_a, unit_b), transfer(second_manager_a, office))

    assert results.count("won") == 1
    loser = next(r for r in results if r != "won")
    assert isinstance(loser, TransitionError)
    assert RequestEvent.objects.filter(request=req).count() == events + 1
    req.refresh_from_db()
    winner_unit = unit_b if results[0] == "won" else office
    assert (req.status, req.handling_unit) == ("dispatched", winner_unit)
    assert RequestEvent.objects.filter(request=req, action=A.TRANSFER).get().data["unit"] == winner_unit.pk


def test_two_managers_recording_feedback_at_once_exactly_one_wins(staff_a, manager_a, second_manager_a):
    """Without `expected_status`: the row lock alone makes the second see the first one's result."""
    req = walk_to(
        make_request(staff_a, handling_unit=staff_a.unit, at=T0),
        "closed",
        handler=staff_a,
        manager=manager_a,
        at=T0,
    )
    events = RequestEvent.objects.filter(request=req).count()

    def feedback(by, satisfaction, action):
        def move(seen):
            services.request_transition(request=seen, action=action, by=by, satisfaction=satisfaction, at=AT)

        return move

    results = run_race(
        req.pk,
        feedback(manager_a, "satisfied", A.CONFIRM),
        feedback(second_manager_a, "unsatisfied", A.REOPEN),
    )

    assert results.count("won") == 1
    assert isinstance(next(r for r in results if r != "won"), TransitionError)
    assert RequestEvent.objects.filter(request=req).count() == events + 1
    req.refresh_from_db()
    if results[0] == "won":
        assert (req.status, req.reopen_count) == ("confirmed", 0)
    else:
        assert (req.status, req.reopen_count) == ("in_progress", 1)


def test_two_managers_transferring_a_dispatched_request_at_once_exactly_one_wins(
    staff_a, manager_a, second_manager_a, unit_a, unit_b, office
):
    req = make_request(staff_a, handling_unit=unit_a, at=T0)

    def transfer(by, unit):
        def move(seen):
            services.request_transition(
                request=seen,
                action=A.TRANSFER,
                by=by,
                note="不属于本单位职责",
                expected_status=seen.status,
                expected_version=seen.version,  # a transfer keeps the status: only the version tells
                unit=unit,
                at=AT,
            )

        return move

    results = run_race(req.pk, transfer(manager_a, unit_b), transfer(second_manager_a, office))

    assert results.count("won") == 1
    assert RequestEvent.objects.filter(request=req, action=A.TRANSFER).count() == 1


def _locked_elsewhere(table: str, pk: int) -> bool:
    """Whether another transaction holds a lock on the row that a foreign key check would wait for."""
    from django.db import OperationalError

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE NOWAIT", [pk])  # noqa: S608
    except OperationalError:
        return True
    return False


def _extension_asked(req, staff_a):
    services.request_transition(request=req, action=A.EXTEND_ASK, by=staff_a, at=AT, days=3, note="等待材料")


def _rated_by_the_enterprise(req, staff_a):
    from apps.service.services.enterprise_voice import request_rate

    from ..factories import ContactFactory

    request_rate(
        request=req, contact=ContactFactory(enterprise=req.enterprise), satisfaction="satisfied", at=AT
    )


@pytest.mark.parametrize(
    ("to", "move"), [("in_progress", _extension_asked), ("closed", _rated_by_the_enterprise)]
)
def test_a_move_locks_its_request_alone_not_the_requests_category(staff_a, manager_a, to, move):
    """A move locked its request FOR UPDATE together with the category it reads with it (select_related):
    every move of the category's requests queued behind each other, and a request logged in that category
    meanwhile — its category checked when it commits — deadlocked against a move that was waiting for it
    (the 50-staff load test: one 503 "deadlock detected" in 2,399 moves). The same for an enterprise's
    rating of a closure (its own service)."""
    req = walk_to(
        make_request(staff_a, handling_unit=staff_a.unit, at=T0),
        to,
        handler=staff_a,
        manager=manager_a,
        at=T0,
    )
    version = req.version
    moved, looked = threading.Event(), threading.Event()

    def run():
        try:
            with transaction.atomic():
                move(req, staff_a)
                moved.set()
                looked.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert moved.wait(timeout=10)
        request_locked = _locked_elsewhere("service_request", req.pk)
        category_locked = _locked_elsewhere("service_category", req.category_id)
    finally:
        looked.set()
        thread.join(timeout=10)
    assert (request_locked, category_locked) == (True, False)
    assert Request.objects.get(pk=req.pk).version == version + 1  # the move went through

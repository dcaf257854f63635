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

"""The call-back sample (issue #19, item 2): a reproducible draw of each unit's closures of a month (10 %, at
least 3, all if fewer), the checker's calls, a disputed closure reopened with the note, and 回访核实率 on the
board (verified ÷ reached; not applicable where nothing was sampled or fewer than 3 were reached)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from apps.accounts import roles
from apps.core.batch import run
from apps.rankings.board import compute_board, month_bounds
from apps.rankings.computations import COMPUTATIONS
from apps.rankings.models import Indicator
from apps.service.models import CallbackItem, CallbackSample, Request, RequestEvent
from apps.service.services import TransitionError
from apps.service.services.callbacks import (
    callback_check_record,
    callback_sample_draw,
    sample_choose,
    sample_size,
)
from apps.workbench import rollups
from tests.conftest import client_for
from tests.factories import UnitFactory, UserFactory

from .factories import acknowledge, close, confirm, contact, local, make_request

A = RequestEvent.Action
R = CallbackItem.Result
MARCH = date(2024, 3, 1)


@pytest.fixture
def checker(office):
    user = UserFactory(username="checker", display_name="回访员", unit=office, role=roles.STAFF)
    user.groups.add(Group.objects.get(name=roles.CALLBACK_CHECKER))
    return user


def _closed(by, unit, n, *, on, start=0):
    """`n` requests of `unit` handled and closed by `by` on day `on` of March 2024 (received on the 4th)."""
    done = []
    for i in range(n):
        req = make_request(by, handling_unit=unit, handler=by, at=local(2024, 3, 4, 9, start + i % 50))
        req = acknowledge(req, by, local(2024, 3, 4, 11))
        req = contact(req, by, local(2024, 3, 4, 12))
        done.append(close(req, by, local(2024, 3, on, 15)))
    return done


@pytest.mark.parametrize(
    ("closed", "drawn"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (10, 3), (30, 3), (31, 4), (45, 5), (100, 10), (101, 11)],
)
def test_sample_size_is_ten_percent_rounded_up_at_least_three_all_if_fewer(closed, drawn):
    assert sample_size(closed) == drawn


def test_the_same_seed_draws_the_same_ids_whatever_order_they_come_in():
    closed = {7: list(range(100, 160)), 9: [5, 3, 4], 11: [1, 2]}
    first = sample_choose(closed_by_unit=closed, seed=20240401)
    again = sample_choose(
        closed_by_unit={9: [4, 5, 3], 11: [2, 1], 7: list(range(159, 99, -1))}, seed=20240401
    )
    assert first == again
    assert [len(first[u]) for u in (7, 9, 11)] == [6, 3, 2]
    assert first[9] == [3, 4, 5] and first[11] == [1, 2]  # fewer than 3: all of them
    assert set(first[7]) <= set(range(100, 160))
    other = sample_choose(closed_by_unit=closed, seed=1)
    assert other[7] != first[7]  # another seed, another sample (of 60 choose 6)


@pytest.mark.django_db
def test_draw_samples_each_units_closures_of_the_month_and_redraws_the_same(
    unit_a, unit_b, staff_a, staff_b, manager_a
):
    a = _closed(staff_a, unit_a, 31, on=12)
    b = _closed(staff_b, unit_b, 2, on=13)
    feb = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 2, 20, 9))
    feb = contact(acknowledge(feb, staff_a, local(2024, 2, 20, 10)), staff_a, local(2024, 2, 20, 11))
    feb = close(feb, staff_a, local(2024, 2, 29, 23, 59, 59))  # February's last second: not March
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 5, 9))  # open: not a closure
    confirm(a[0], manager_a, local(2024, 3, 14, 9))  # confirmed still counts as closed

    sample, drawn = callback_sample_draw(month=date(2024, 3, 17), seed=424242)
    assert drawn and (sample.month, sample.seed) == (MARCH, 424242)
    ids = {
        unit: sorted(sample.items.filter(unit=unit).values_list("request_id", flat=True))
        for unit in (unit_a, unit_b)
    }
    assert len(ids[unit_a]) == 4 and set(ids[unit_a]) <= {r.pk for r in a}  # 10 % of 31, rounded up
    assert ids[unit_b] == sorted(r.pk for r in b)  # fewer than 3: all
    assert feb.pk not in ids[unit_a]
    assert sample.items.count() == 6

    again, drawn_again = callback_sample_draw(month=MARCH, seed=1)  # the month is drawn: the same sample
    assert (again.pk, drawn_again, again.seed) == (sample.pk, False, 424242)
    assert sample.items.count() == 6

    sample.delete()  # the stored seed redraws the very same requests
    redrawn, _ = callback_sample_draw(month=MARCH, seed=424242)
    assert sorted(redrawn.items.values_list("request_id", flat=True)) == sorted(ids[unit_a] + ids[unit_b])


@pytest.mark.django_db
def test_the_command_draws_once_and_prints_the_same_sample_again(unit_a, staff_a):
    _closed(staff_a, unit_a, 5, on=12)
    first, second = StringIO(), StringIO()
    call_command("draw_callback_sample", "--month", "2024-03", "--seed", "99", stdout=first)
    call_command("draw_callback_sample", "--month", "2024-03", stdout=second)
    assert first.getvalue().startswith(
        "Drew the call-back sample of 2024-03 (seed 99): 3 requests of 1 units."
    )
    assert second.getvalue().startswith("Already drawn: the call-back sample of 2024-03 (seed 99)")
    assert first.getvalue().splitlines()[-1] == second.getvalue().splitlines()[-1]  # the same requests
    assert CallbackSample.objects.count() == 1 and CallbackItem.objects.count() == 3


@pytest.fixture
def sampled(unit_a, staff_a, manager_a):
    """Three closures of unit A in March, all sampled; the first confirmed by the unit."""
    reqs = _closed(staff_a, unit_a, 3, on=12)
    confirm(reqs[0], manager_a, local(2024, 3, 13, 9))
    sample, _ = callback_sample_draw(month=MARCH, seed=5)
    return {item.request_id: item for item in sample.items.all()}, reqs


@pytest.mark.django_db
def test_checker_records_a_confirmed_call_and_the_request_stays_closed(sampled, checker):
    items, reqs = sampled
    item = callback_check_record(
        item=items[reqs[1].pk], by=checker, result=R.CONFIRMED, at=local(2024, 4, 2, 10)
    )
    assert (item.result, item.checked_by, item.checked_at) == ("confirmed", checker, local(2024, 4, 2, 10))
    assert Request.objects.get(pk=reqs[1].pk).status == "closed"
    with pytest.raises(TransitionError):  # once recorded, final
        callback_check_record(item=item, by=checker, result=R.DISPUTED, note="又说没解决")


@pytest.mark.django_db
@pytest.mark.parametrize("which", [0, 1], ids=["after-the-units-feedback", "closed"])
def test_a_disputed_closure_reopens_the_request_with_the_checkers_note(sampled, checker, which):
    items, reqs = sampled
    item = items[reqs[which].pk]
    callback_check_record(
        item=item, by=checker, result=R.DISPUTED, note="企业称问题仍未解决", at=local(2024, 4, 2, 10)
    )
    req = Request.objects.get(pk=reqs[which].pk)
    assert (req.status, req.reopen_count, req.satisfaction, req.closed_at) == (
        "in_progress",
        1,
        "unsatisfied",
        None,
    )
    event = req.events.latest("at", "pk")
    assert (event.action, event.by, event.at) == (A.REOPEN, checker, local(2024, 4, 2, 10))
    assert "企业称问题仍未解决" in event.note
    assert rollups.differences() == {}  # the figures' roll-ups moved with it (closed → reopened)


@pytest.mark.django_db
def test_a_dispute_needs_the_note_and_a_non_checker_may_not_record(sampled, checker, manager_a, leader):
    items, reqs = sampled
    item = items[reqs[1].pk]
    with pytest.raises(TransitionError):
        callback_check_record(item=item, by=checker, result=R.DISPUTED, note="  ")
    for user in (manager_a, leader):
        with pytest.raises(PermissionDenied):
            callback_check_record(item=item, by=user, result=R.CONFIRMED)
    item.refresh_from_db()
    assert (item.result, Request.objects.get(pk=reqs[1].pk).status) == ("", "closed")


def _board_cell(unit):
    board = compute_board(MARCH)
    for group in board["groups"]:
        for row in group["rows"]:
            if row["unit_id"] == unit.pk:
                return row["cells"]["callback_verified"]
    raise AssertionError("unit not on the board")


@pytest.mark.django_db
def test_verification_rate_is_confirmed_over_reached_and_not_applicable_without_a_sample(
    unit_a, unit_b, staff_a
):
    unit_c = UnitFactory(code="unit-c")
    sample = CallbackSample.objects.create(month=MARCH, seed=1)
    results = {unit_a: ["confirmed", "confirmed", "confirmed", "disputed", "unreachable", ""],
               unit_b: ["confirmed", "confirmed"]}  # B: two reached, under the minimum of 3  # fmt: skip
    for unit, outcomes in results.items():
        for i, result in enumerate(outcomes):
            req = make_request(staff_a, handling_unit=unit, at=local(2024, 3, 4, 9, i))
            CallbackItem.objects.create(sample=sample, request=req, unit=unit, result=result)

    computation = COMPUTATIONS["callback_verified"]
    rows = run(computation.rows(*month_bounds(MARCH), None))
    measures = computation.measure(rows, *month_bounds(MARCH))
    assert measures[unit_a.pk] == (Decimal("75.0"), 3, 4)
    assert measures[unit_b.pk] == (Decimal("100.0"), 2, 2)
    assert unit_c.pk not in measures

    assert Indicator.objects.get(code="callback_verified").min_cases == 3
    # 75 % of the target 95 × weight 10
    assert _board_cell(unit_a) == {"na": False, "value": "75.0", "num": "3", "den": "4", "points": "7.89",
                                   "met": False}  # fmt: skip
    assert _board_cell(unit_b) == {"na": True, "num": "2", "den": "2", "few": True}  # fewer than 3 reached
    assert _board_cell(unit_c) == {"na": True, "num": "0", "den": "0", "few": False}  # nothing sampled


@pytest.mark.django_db
def test_the_indicator_is_not_in_force_before_march_2024():
    from apps.rankings.board import indicators_for

    assert "callback_verified" in [i.code for i in indicators_for(MARCH)]
    assert "callback_verified" not in [i.code for i in indicators_for(date(2024, 2, 1))]


@pytest.mark.django_db
def test_the_board_cells_list_opens_exactly_the_reached_and_confirmed_calls(unit_a, unit_b, staff_a, staff_b,
                                                                            leader, checker):  # fmt: skip
    sample = CallbackSample.objects.create(month=MARCH, seed=1)
    reqs = [make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 9, i)) for i in range(6)]
    for req, result in zip(
        reqs, ["confirmed", "confirmed", "confirmed", "disputed", "unreachable", ""], strict=True
    ):
        CallbackItem.objects.create(sample=sample, request=req, unit=unit_a, result=result)
    computation = COMPUTATIONS["callback_verified"]
    den_url = computation.url(unit_a.pk, *month_bounds(MARCH))
    num_url = computation.numerator_url(unit_a.pk, *month_bounds(MARCH))

    def count(user, url):
        response = client_for(user).get(url)
        assert response.status_code == 200
        return response.context["paginator"].count

    assert (count(leader, den_url), count(leader, num_url)) == (4, 3)
    assert (count(staff_a, den_url), count(staff_a, num_url)) == (4, 3)  # the unit's own calls once made
    assert count(staff_b, den_url) == 0  # another unit's: nothing
    month = reverse("service:callback_list") + "?month=2024-03"
    assert count(staff_a, month) == 5  # not the one not called yet: the unit must not know who is called
    assert count(checker, month) == 6


@pytest.mark.django_db
def test_the_checker_records_a_dispute_from_the_page(sampled, checker):
    items, reqs = sampled
    item = items[reqs[2].pk]
    client = client_for(checker)
    page = client.get(reverse("service:callback_list"), {"month": "2024-03"})
    assert (
        page.status_code == 200
        and reverse("service:callback_record", args=[item.pk]).encode() in page.content
    )
    response = client.post(
        reverse("service:callback_record", args=[item.pk]), {"result": "disputed", "note": ""}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.result == ""  # refused: no note
    client.post(
        reverse("service:callback_record", args=[item.pk]), {"result": "disputed", "note": "没有解决"}
    )
    item.refresh_from_db()
    assert (item.result, Request.objects.get(pk=reqs[2].pk).status) == ("disputed", "in_progress")

"""The life cycles of results and matches: every allowed move succeeds with one event row, every other
move is refused and changes nothing, reasons and landings are required where the move needs them, landing
lands the result and can create or link the enterprise, and another unit's staff may not move anything."""

from datetime import date
from itertools import product

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Enterprise
from apps.research import services
from apps.research.models import Match, MatchEvent, Result, ResultEvent
from apps.research.services import MATCH_MOVES, RESULT_MOVES

from ..factories import EnterpriseFactory
from ..service.factories import local
from .factories import LANDED_HOW, REASON, CarrierFactory, catalogue, match_at, move_match, result_at

pytestmark = pytest.mark.django_db

M, R = Match.Status, Result.Status
FORBIDDEN_MATCH_MOVES = sorted(set(product(M.values, M.values)) - MATCH_MOVES)
FORBIDDEN_RESULT_MOVES = sorted(set(product(R.values, R.values)) - RESULT_MOVES)
SPIN_OFF_CODE = make_credit_code("9", "1", "320111", "RD000001")


def test_the_tables_hold_the_documented_moves():
    """Guards the parametrized tests below: they walk these tables, so an emptied table would pass them."""
    assert len(MATCH_MOVES) == 6
    assert len(FORBIDDEN_MATCH_MOVES) == 19
    assert len(RESULT_MOVES) == 5
    assert len(FORBIDDEN_RESULT_MOVES) == 11


@pytest.fixture
def result_a(staff_a):
    return catalogue(staff_a, title="高通量基因测序仪")


def snapshot(match: Match) -> dict:
    return {
        "match": Match.objects.filter(pk=match.pk).values().get(),
        "match_events": list(MatchEvent.objects.filter(match=match).values_list("pk", flat=True)),
        "result": Result.objects.filter(pk=match.result_id).values().get(),
        "result_events": list(
            ResultEvent.objects.filter(result=match.result_id).values_list("pk", flat=True)
        ),
        "enterprises": Enterprise.objects.count(),
    }


def result_snapshot(result: Result) -> dict:
    return {
        "result": Result.objects.filter(pk=result.pk).values().get(),
        "events": list(ResultEvent.objects.filter(result=result).values_list("pk", flat=True)),
        "matches": Match.objects.count(),
    }


# --- match moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to"), sorted(MATCH_MOVES))
def test_every_allowed_match_move_succeeds_and_writes_one_event(
    result_a, staff_a, colleague_a, from_status, to
):
    match = match_at(result_a, from_status, staff_a)
    before = MatchEvent.objects.filter(match=match).count()

    moved = move_match(match, to, colleague_a, at=local(2024, 3, 12, 10))

    stored = Match.objects.get(pk=match.pk)
    assert (moved.status, stored.status) == (to, to)
    events = list(MatchEvent.objects.filter(match=match).order_by("id"))
    assert len(events) == before + 1
    last = events[-1]
    assert (last.from_status, last.to_status, last.by) == (from_status, to, colleague_a)
    assert last.at == local(2024, 3, 12, 10)


@pytest.mark.parametrize(("from_status", "to"), FORBIDDEN_MATCH_MOVES)
def test_every_forbidden_match_move_is_refused_and_changes_nothing(result_a, staff_a, from_status, to):
    match = match_at(result_a, from_status, staff_a)
    before = snapshot(match)

    with pytest.raises(ValidationError, match="A match cannot go from"):
        # a reason and a landing are given, so only the table can refuse
        services.match_transition(match=match, to=to, by=staff_a, note=REASON, landed_how=LANDED_HOW)

    assert snapshot(match) == before


def test_the_first_match_event_records_the_proposal(result_a, staff_a):
    match = services.match_propose(
        result=result_a, by=staff_a, carrier=CarrierFactory(), note=" 先联系 ", at=local(2024, 3, 5, 9)
    )

    events = list(
        MatchEvent.objects.filter(match=match).values_list("from_status", "to_status", "by", "note")
    )
    assert events == [("", M.PROPOSED, staff_a.pk, "先联系")]
    assert (match.status, match.note, match.created_by, match.created_at) == (
        M.PROPOSED,
        "先联系",
        staff_a,
        local(2024, 3, 5, 9),
    )


@pytest.mark.parametrize("from_status", [M.PROPOSED, M.CONTACTED, M.NEGOTIATING])
@pytest.mark.parametrize("note", ["", "   \n "])
def test_failing_a_match_without_a_reason_is_refused(result_a, staff_a, from_status, note):
    match = match_at(result_a, from_status, staff_a)
    before = snapshot(match)

    with pytest.raises(ValidationError, match="Give the reason the match failed."):
        services.match_transition(match=match, to=M.FAILED, by=staff_a, note=note)

    assert snapshot(match) == before


def test_failing_a_match_records_the_reason_and_keeps_the_result_in_matching(result_a, staff_a):
    match = match_at(result_a, M.CONTACTED, staff_a)

    services.match_transition(match=match, to=M.FAILED, by=staff_a, note="  载体面积不满足  ")

    match.refresh_from_db()
    assert (match.status, match.failed_reason) == (M.FAILED, "载体面积不满足")
    assert MatchEvent.objects.filter(match=match).last().note == "载体面积不满足"
    result_a.refresh_from_db()
    assert (result_a.status, result_a.landed_on) == (R.MATCHING, None)


@pytest.mark.parametrize("landed_how", ["", "   "])
def test_landing_a_match_without_saying_where_and_how_is_refused(result_a, staff_a, landed_how):
    match = match_at(result_a, M.NEGOTIATING, staff_a)
    before = snapshot(match)

    with pytest.raises(ValidationError, match="Say where and how the result landed."):
        services.match_transition(match=match, to=M.LANDED, by=staff_a, landed_how=landed_how)

    assert snapshot(match) == before


def test_landing_a_match_lands_the_result_on_the_day_in_shanghai(result_a, staff_a, manager_a):
    match = match_at(result_a, M.NEGOTIATING, staff_a)

    # 00:30 on 12 March in Shanghai is still 11 March in UTC
    services.match_transition(
        match=match, to=M.LANDED, by=manager_a, at=local(2024, 3, 12, 0, 30), landed_how=f" {LANDED_HOW} "
    )

    match.refresh_from_db()
    assert (match.status, match.landed_how, match.enterprise) == (M.LANDED, LANDED_HOW, None)
    result_a.refresh_from_db()
    assert (result_a.status, result_a.landed_on) == (R.LANDED, date(2024, 3, 12))
    last = ResultEvent.objects.filter(result=result_a).order_by("id").last()
    assert (last.from_status, last.to_status, last.by, last.note) == (
        R.MATCHING,
        R.LANDED,
        manager_a,
        LANDED_HOW,
    )


def test_landing_a_spin_off_creates_its_enterprise_record_and_links_it(result_a, staff_a, unit_a):
    match = match_at(result_a, M.NEGOTIATING, staff_a)
    spin_off = {
        "name": "南京示例基因科技有限公司",
        "credit_code": SPIN_OFF_CODE,
        "unit": unit_a,
        "industry": "C",
        "size": "micro",
    }

    services.match_transition(match=match, to=M.LANDED, by=staff_a, landed_how=LANDED_HOW, spin_off=spin_off)

    enterprise = Enterprise.objects.get(credit_code=SPIN_OFF_CODE)
    assert (enterprise.name, enterprise.unit, enterprise.industry, enterprise.size) == (
        "南京示例基因科技有限公司",
        unit_a,
        "C",
        "micro",
    )
    match.refresh_from_db()
    assert (match.status, match.enterprise) == (M.LANDED, enterprise)
    result_a.refresh_from_db()
    assert result_a.status == R.LANDED


def test_a_spin_off_with_a_bad_credit_code_lands_nothing(result_a, staff_a, unit_a):
    match = match_at(result_a, M.NEGOTIATING, staff_a)
    before = snapshot(match)
    bad_code = SPIN_OFF_CODE[:-1] + ("0" if SPIN_OFF_CODE[-1] != "0" else "1")

    with pytest.raises(ValidationError):
        services.match_transition(
            match=match,
            to=M.LANDED,
            by=staff_a,
            landed_how=LANDED_HOW,
            spin_off={
                "name": "南京坏码科技有限公司",
                "credit_code": bad_code,
                "unit": unit_a,
                "industry": "C",
                "size": "micro",
            },
        )

    assert snapshot(match) == before


def test_landing_can_link_an_existing_enterprise(result_a, staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    match = match_at(result_a, M.NEGOTIATING, staff_a)
    count = Enterprise.objects.count()

    services.match_transition(
        match=match, to=M.LANDED, by=staff_a, landed_how=LANDED_HOW, enterprise=enterprise
    )

    match.refresh_from_db()
    assert (match.status, match.enterprise, match.carrier_id is not None) == (M.LANDED, enterprise, True)
    assert Enterprise.objects.count() == count


def test_an_enterprise_proposed_with_the_match_stays_linked_when_it_lands(result_a, staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    match = services.match_propose(result=result_a, by=staff_a, enterprise=enterprise)
    for step in (M.CONTACTED, M.NEGOTIATING, M.LANDED):
        move_match(match, step, staff_a)

    match.refresh_from_db()
    assert (match.status, match.enterprise, match.carrier) == (M.LANDED, enterprise, None)


def test_a_second_match_landing_keeps_the_first_landing_date(result_a, staff_a):
    first = match_at(result_a, M.NEGOTIATING, staff_a)
    second = match_at(result_a, M.NEGOTIATING, staff_a)
    move_match(first, M.LANDED, staff_a, at=local(2024, 3, 5, 10))

    move_match(second, M.LANDED, staff_a, at=local(2024, 3, 8, 10))

    result_a.refresh_from_db()
    assert (result_a.status, result_a.landed_on) == (R.LANDED, date(2024, 3, 5))
    assert ResultEvent.objects.filter(result=result_a, to_status=R.LANDED).count() == 1


# --- proposing -------------------------------------------------------------------------------------


def test_proposing_a_match_moves_a_catalogued_result_to_matching(result_a, staff_a):
    carrier = CarrierFactory()

    match = services.match_propose(result=result_a, by=staff_a, carrier=carrier, at=local(2024, 3, 6, 9))

    assert (match.result, match.carrier, match.enterprise) == (result_a, carrier, None)
    result_a.refresh_from_db()
    assert result_a.status == R.MATCHING
    events = list(ResultEvent.objects.filter(result=result_a).values_list("from_status", "to_status", "by"))
    assert events == [("", R.CATALOGUED, staff_a.pk), (R.CATALOGUED, R.MATCHING, staff_a.pk)]


def test_a_second_proposal_keeps_the_result_in_matching_without_a_new_result_event(result_a, staff_a):
    services.match_propose(result=result_a, by=staff_a, carrier=CarrierFactory())

    services.match_propose(result=result_a, by=staff_a, carrier=CarrierFactory())

    result_a.refresh_from_db()
    assert result_a.status == R.MATCHING
    assert Match.objects.filter(result=result_a).count() == 2
    assert ResultEvent.objects.filter(result=result_a).count() == 2


def test_proposing_without_a_carrier_or_an_enterprise_is_refused(result_a, staff_a):
    before = result_snapshot(result_a)

    with pytest.raises(ValidationError, match="Choose a carrier or an enterprise."):
        services.match_propose(result=result_a, by=staff_a)

    assert result_snapshot(result_a) == before


@pytest.mark.parametrize("status", [R.SHELVED, R.LANDED])
def test_a_shelved_or_landed_result_cannot_be_matched(result_a, staff_a, status):
    result = result_at(result_a, status, staff_a)
    before = result_snapshot(result)

    with pytest.raises(ValidationError, match="Only a catalogued result or one in matching can be matched."):
        services.match_propose(result=result, by=staff_a, carrier=CarrierFactory())

    assert result_snapshot(result) == before


# --- result moves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to"), sorted(RESULT_MOVES))
def test_every_allowed_result_move_succeeds_and_writes_one_event(
    result_a, staff_a, colleague_a, from_status, to
):
    result = result_at(result_a, from_status, staff_a)
    before = ResultEvent.objects.filter(result=result).count()

    moved = services.result_transition(
        result=result,
        to=to,
        by=colleague_a,
        note=REASON if to == R.SHELVED else "",
        at=local(2024, 3, 13, 10),
    )

    assert (moved.status, Result.objects.get(pk=result.pk).status) == (to, to)
    events = list(ResultEvent.objects.filter(result=result).order_by("id"))
    assert len(events) == before + 1
    assert (events[-1].from_status, events[-1].to_status, events[-1].by) == (from_status, to, colleague_a)


@pytest.mark.parametrize(("from_status", "to"), FORBIDDEN_RESULT_MOVES)
def test_every_forbidden_result_move_is_refused_and_changes_nothing(result_a, staff_a, from_status, to):
    result = result_at(result_a, from_status, staff_a)
    before = result_snapshot(result)

    with pytest.raises(ValidationError, match="A result cannot go from"):
        services.result_transition(result=result, to=to, by=staff_a, note=REASON)

    assert result_snapshot(result) == before


@pytest.mark.parametrize("from_status", [R.CATALOGUED, R.MATCHING])
def test_shelving_without_a_reason_is_refused(result_a, staff_a, from_status):
    result = result_at(result_a, from_status, staff_a)
    before = result_snapshot(result)

    with pytest.raises(ValidationError, match="Give the reason for shelving."):
        services.result_transition(result=result, to=R.SHELVED, by=staff_a, note="  ")

    assert result_snapshot(result) == before


def test_shelving_records_the_reason_and_returning_to_the_library_clears_it(result_a, staff_a):
    services.result_transition(result=result_a, to=R.SHELVED, by=staff_a, note=f" {REASON} ")
    result_a.refresh_from_db()
    assert (result_a.status, result_a.shelved_reason) == (R.SHELVED, REASON)

    services.result_transition(result=result_a, to=R.CATALOGUED, by=staff_a)

    result_a.refresh_from_db()
    assert (result_a.status, result_a.shelved_reason) == (R.CATALOGUED, "")
    events = list(ResultEvent.objects.filter(result=result_a).values_list("from_status", "to_status", "note"))
    assert events == [
        ("", R.CATALOGUED, ""),
        (R.CATALOGUED, R.SHELVED, REASON),
        (R.SHELVED, R.CATALOGUED, ""),
    ]


def test_a_result_back_from_the_shelf_can_be_matched_again(result_a, staff_a):
    result_at(result_a, R.SHELVED, staff_a)
    services.result_transition(result=result_a, to=R.CATALOGUED, by=staff_a)

    services.match_propose(result=result_a, by=staff_a, carrier=CarrierFactory())

    result_a.refresh_from_db()
    assert result_a.status == R.MATCHING


def test_a_result_catalogued_at_a_given_time_takes_its_shanghai_date(staff_a):
    result = catalogue(staff_a, on=date(2024, 2, 29))

    assert result.catalogued_on == date(2024, 2, 29)
    assert list(ResultEvent.objects.filter(result=result).values_list("to_status", "at")) == [
        (R.CATALOGUED, local(2024, 2, 29, 10))
    ]


# --- who may move ----------------------------------------------------------------------------------


def test_staff_of_another_unit_cannot_move_a_match_and_nothing_changes(result_a, staff_a, staff_b):
    match = match_at(result_a, M.NEGOTIATING, staff_a)
    before = snapshot(match)

    for to in (M.LANDED, M.FAILED):
        with pytest.raises(PermissionDenied):
            services.match_transition(match=match, to=to, by=staff_b, note=REASON, landed_how=LANDED_HOW)

    assert snapshot(match) == before


def test_staff_of_another_unit_cannot_propose_a_match_and_nothing_changes(result_a, staff_b):
    before = result_snapshot(result_a)

    with pytest.raises(PermissionDenied):
        services.match_propose(result=result_a, by=staff_b, carrier=CarrierFactory())

    assert result_snapshot(result_a) == before


@pytest.mark.parametrize("to", [R.SHELVED, R.MATCHING])
def test_staff_of_another_unit_cannot_move_a_result_and_nothing_changes(result_a, staff_b, to):
    before = result_snapshot(result_a)

    with pytest.raises(PermissionDenied):
        services.result_transition(result=result_a, to=to, by=staff_b, note=REASON)

    assert result_snapshot(result_a) == before


def test_staff_of_another_unit_cannot_catalogue_a_result_for_unit_a(staff_b, unit_a):
    with pytest.raises(PermissionDenied):
        catalogue(staff_b, unit=unit_a)

    assert Result.objects.count() == 0


def test_a_district_leader_may_move_any_units_match(result_a, staff_a, leader):
    match = match_at(result_a, M.NEGOTIATING, staff_a)

    move_match(match, M.LANDED, leader)

    match.refresh_from_db()
    assert match.status == M.LANDED
    assert MatchEvent.objects.filter(match=match).last().by == leader

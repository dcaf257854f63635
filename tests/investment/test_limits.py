"""Handling limits of a lead under the official calendar: respond within 1 working day and assess within 3
(ending at 18:00 of that working day), give the investor feedback within 7 days, then update at least every
2 weeks. `Lead.flags(now)` and `Lead.objects.stale(now=...)` agree at every instant, a second either side of
each limit; closed leads are never stale, and neither are signed ones: only an open lead can be.

The calendar around the 2024 Spring Festival: Friday 9 February is a working day, 10–17 February are the
holiday, Sunday 18 February is a make-up working day; Sunday 4 February is a make-up working day too.
"""

from datetime import UTC, timedelta

import pytest

from apps.investment import services
from apps.investment.models import UPDATE_EVERY, Lead

from ..service.factories import local
from .factories import S, create, lead_at, move

pytestmark = pytest.mark.django_db

RESPONSE = "no response within 1 working day"
ASSESS = "not assessed within 3 working days"
FEEDBACK = "no feedback to the investor within a week"
UPDATE = "no progress update for 2 weeks"
SECOND = timedelta(seconds=1)

FRIDAY_BEFORE_THE_HOLIDAY = local(2024, 2, 9, 17)


def stale(lead: Lead, now) -> bool:
    return Lead.objects.stale(now=now).filter(pk=lead.pk).exists()


def check(lead: Lead, now, flags: list[str]) -> None:
    """The lead's flags at `now` are exactly `flags`, and the stale queryset agrees."""
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.flags(now), stale(lead, now)) == (flags, bool(flags))


@pytest.fixture
def friday_lead(staff_a):
    return create(staff_a, at=FRIDAY_BEFORE_THE_HOLIDAY)


# --- the limits fixed when the lead is recorded -----------------------------------------------------


def test_a_lead_of_friday_before_the_holiday_gets_the_make_up_sunday_and_the_days_after(friday_lead):
    assert (friday_lead.respond_due, friday_lead.assess_due, friday_lead.feedback_due) == (
        local(2024, 2, 18, 18),  # the make-up Sunday, the first working day after
        local(2024, 2, 20, 18),  # Sun 18, Mon 19, Tue 20
        local(2024, 2, 16, 17),  # 7 calendar days, to the minute
    )


@pytest.mark.parametrize(
    ("created", "respond_due", "assess_due"),
    [
        # an ordinary Wednesday
        (local(2024, 3, 6, 9, 30), local(2024, 3, 7, 18), local(2024, 3, 11, 18)),
        # a Saturday: the working days start on Monday
        (local(2024, 3, 2, 10), local(2024, 3, 4, 18), local(2024, 3, 6, 18)),
        # a Saturday before a make-up Sunday (4 February)
        (local(2024, 2, 3, 10), local(2024, 2, 4, 18), local(2024, 2, 6, 18)),
        # a day of the holiday itself
        (local(2024, 2, 12, 11), local(2024, 2, 18, 18), local(2024, 2, 20, 18)),
        # 00:30 on Monday 5 February in Shanghai, given in UTC (as timezone.now() gives it), where it is
        # still Sunday 4 February, a make-up working day: the day counts in Shanghai
        (local(2024, 2, 5, 0, 30).astimezone(UTC), local(2024, 2, 6, 18), local(2024, 2, 8, 18)),
        # the National Day week: 30 Sep 2024 (Mon) then 1–7 Oct off, 12 Oct (Sat) a make-up day
        (local(2024, 9, 30, 16), local(2024, 10, 8, 18), local(2024, 10, 10, 18)),
        (local(2024, 10, 10, 9), local(2024, 10, 11, 18), local(2024, 10, 14, 18)),
    ],
)
def test_the_limits_follow_the_working_day_calendar(staff_a, created, respond_due, assess_due):
    lead = create(staff_a, at=created)

    assert (lead.respond_due, lead.assess_due, lead.feedback_due) == (
        respond_due,
        assess_due,
        created + timedelta(days=7),
    )


# --- flags and the stale queryset at chosen instants -------------------------------------------------


@pytest.mark.parametrize(
    ("now", "flags"),
    [
        (FRIDAY_BEFORE_THE_HOLIDAY, []),
        (local(2024, 2, 16, 17) - SECOND, []),
        (local(2024, 2, 16, 17), []),  # exactly at a limit is not past it
        (local(2024, 2, 16, 17) + SECOND, [FEEDBACK]),
        (local(2024, 2, 18, 18) - SECOND, [FEEDBACK]),
        (local(2024, 2, 18, 18), [FEEDBACK]),
        (local(2024, 2, 18, 18) + SECOND, [RESPONSE, FEEDBACK]),
        (local(2024, 2, 20, 18) - SECOND, [RESPONSE, FEEDBACK]),
        (local(2024, 2, 20, 18) + SECOND, [RESPONSE, ASSESS, FEEDBACK]),
        (local(2024, 2, 23, 17) - SECOND, [RESPONSE, ASSESS, FEEDBACK]),
        (local(2024, 2, 23, 17), [RESPONSE, ASSESS, FEEDBACK]),
        (local(2024, 2, 23, 17) + SECOND, [RESPONSE, ASSESS, FEEDBACK, UPDATE]),
    ],
)
def test_an_untouched_lead_passes_its_limits_one_by_one(friday_lead, now, flags):
    check(friday_lead, now, flags)


def test_the_first_response_clears_the_response_flag_even_late(friday_lead, staff_a):
    late = local(2024, 2, 19, 9)
    check(friday_lead, late, [RESPONSE, FEEDBACK])

    services.lead_record(lead=friday_lead, action="respond", by=staff_a, note="已电话联系投资方", at=late)

    check(friday_lead, late + SECOND, [FEEDBACK])
    check(friday_lead, local(2024, 2, 20, 18) + SECOND, [ASSESS, FEEDBACK])


def test_a_response_in_time_keeps_the_response_flag_away(friday_lead, staff_a):
    services.lead_record(
        lead=friday_lead, action="respond", by=staff_a, note="已电话联系", at=local(2024, 2, 18, 10)
    )

    check(friday_lead, local(2024, 2, 18, 18) + SECOND, [FEEDBACK])


def test_feedback_clears_the_feedback_flag_and_counts_as_a_response(friday_lead, staff_a):
    services.lead_record(
        lead=friday_lead, action="feedback", by=staff_a, note="已反馈选址方案", at=local(2024, 2, 14, 10)
    )

    stored = Lead.objects.get(pk=friday_lead.pk)
    assert (stored.responded_at, stored.feedback_at) == (local(2024, 2, 14, 10), local(2024, 2, 14, 10))
    check(friday_lead, local(2024, 2, 20, 18) + SECOND, [ASSESS])


def test_a_progress_update_is_not_feedback_to_the_investor(friday_lead, staff_a):
    services.lead_record(
        lead=friday_lead, action="progress", by=staff_a, note="内部研究用地指标", at=local(2024, 2, 14, 10)
    )

    check(friday_lead, local(2024, 2, 16, 17) + SECOND, [FEEDBACK])


def test_assessing_clears_the_assessment_flag(friday_lead, staff_a):
    move(friday_lead, S.ASSESSED, staff_a, at=local(2024, 2, 21, 9))

    check(friday_lead, local(2024, 2, 21, 9) + SECOND, [FEEDBACK])


@pytest.fixture
def handled(friday_lead, staff_a):
    """Responded and fed back on time, assessed on time: only the two-week rule is left."""
    services.lead_record(
        lead=friday_lead, action="feedback", by=staff_a, note="已反馈", at=local(2024, 2, 18, 10)
    )
    return move(friday_lead, S.ASSESSED, staff_a, at=local(2024, 2, 19, 10))


def test_a_lead_without_an_update_for_two_weeks_is_stale(handled):
    last = local(2024, 2, 19, 10)

    check(handled, last + UPDATE_EVERY - SECOND, [])
    check(handled, last + UPDATE_EVERY, [])
    check(handled, last + UPDATE_EVERY + SECOND, [UPDATE])


def test_a_progress_update_restarts_the_two_weeks(handled, staff_a):
    update = local(2024, 3, 1, 10)
    check(handled, update, [])

    services.lead_record(lead=handled, action="progress", by=staff_a, note="投资方来访考察", at=update)

    check(handled, local(2024, 3, 4, 10) + SECOND, [])  # two weeks after the assessment: not stale
    check(handled, update + UPDATE_EVERY - SECOND, [])
    check(handled, update + UPDATE_EVERY + SECOND, [UPDATE])


def test_a_stage_move_restarts_the_two_weeks(handled, staff_a):
    moved = local(2024, 3, 1, 10)
    move(handled, S.NEGOTIATING, staff_a, at=moved)

    check(handled, moved + UPDATE_EVERY - SECOND, [])
    check(handled, moved + UPDATE_EVERY + SECOND, [UPDATE])


def test_an_update_dated_earlier_does_not_turn_the_clock_back(handled, staff_a):
    services.lead_record(
        lead=handled, action="progress", by=staff_a, note="补记一次联系", at=local(2024, 2, 10, 10)
    )

    assert Lead.objects.get(pk=handled.pk).last_activity_at == local(2024, 2, 19, 10)


def test_a_signed_lead_is_no_longer_stale(handled, staff_a):
    """Only an open lead can be past a handling limit (issue #16, item 9c): once signed it has left the
    pipeline, however long it goes without an update."""
    move(handled, S.NEGOTIATING, staff_a, at=local(2024, 2, 26, 10))
    signed = move(handled, S.SIGNED, staff_a, at=local(2024, 3, 1, 10))

    check(signed, local(2024, 3, 15, 10) - SECOND, [])
    check(signed, local(2024, 3, 15, 10) + SECOND, [])
    check(signed, local(2025, 3, 1, 10), [])


@pytest.mark.parametrize("closed", [S.PRODUCTION, S.DROPPED])
def test_closed_leads_are_never_stale(friday_lead, staff_a, closed):
    """Closed on the day it came in: no response, no feedback recorded, and a year without updates."""
    lead = lead_at(friday_lead, closed, staff_a, at=FRIDAY_BEFORE_THE_HOLIDAY)
    Lead.objects.filter(pk=lead.pk).update(responded_at=None, feedback_at=None)

    for now in (local(2024, 2, 20, 18) + SECOND, local(2025, 2, 9, 17)):
        check(lead, now, [])


def test_the_stale_queryset_lists_exactly_the_leads_past_a_limit(staff_a, colleague_a):
    fresh = create(staff_a, name="新线索", at=local(2024, 3, 4, 9))
    late = create(staff_a, name="未响应线索", at=local(2024, 3, 1, 9))
    answered = create(colleague_a, name="已响应线索", at=local(2024, 3, 1, 9))
    services.lead_record(
        lead=answered, action="feedback", by=colleague_a, note="已反馈", at=local(2024, 3, 1, 15)
    )
    dropped = lead_at(create(staff_a, name="已放弃线索", at=local(2024, 3, 1, 9)), S.DROPPED, staff_a)
    now = local(2024, 3, 4, 18) + SECOND  # past Friday 1 March's response limit (Mon 4 March 18:00)

    assert set(Lead.objects.stale(now=now).values_list("name", flat=True)) == {"未响应线索"}
    flags = {
        lead.name: lead.flags(now)
        for lead in Lead.objects.filter(pk__in=[fresh.pk, late.pk, answered.pk, dropped.pk])
    }
    assert flags == {"新线索": [], "未响应线索": [RESPONSE], "已响应线索": [], "已放弃线索": []}

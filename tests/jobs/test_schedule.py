"""The periodic schedule and the morning reminders on the official calendar's working days."""

from datetime import datetime, time

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.jobs.models import PeriodicRun
from apps.jobs.schedule import Schedule, enqueue_due, schedules
from apps.service.tasks import reminders_send
from apps.workdays.calendar import clear_cache
from tests.service.factories import local, make_request


def at(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def reminders():
    return next(s for s in schedules() if s.name == "service.reminders")


@pytest.fixture
def clock(monkeypatch):
    state = {}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    clear_cache()
    yield state
    clear_cache()


def test_every_periodic_job_is_registered_at_its_local_time():
    assert {(s.name, s.at, s.days is not None) for s in schedules()} >= {
        ("service.reminders", time(8, 30), True),
        ("core.import_previews_expire", time(3, 15), False),
        ("workbench.rollups_check", time(2, 30), False),
    }


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Monday 30 September 2024 after 08:30: 1–7 October is 国庆; Tuesday 8 October is the next working day
        (at(2024, 9, 30, 9, 0), at(2024, 10, 8, 8, 30)),
        # Friday 27 September: the next working day is Sunday 29 September, a make-up day (调休)
        (at(2024, 9, 27, 9, 0), at(2024, 9, 29, 8, 30)),
        # Saturday 12 October 2024 is a make-up working day too
        (at(2024, 10, 11, 12, 0), at(2024, 10, 12, 8, 30)),
        # before 08:30 on a working day: the same morning
        (at(2024, 10, 8, 8, 29), at(2024, 10, 8, 8, 30)),
        # exactly at the slot: strictly after, so the next working day
        (at(2024, 10, 8, 8, 30), at(2024, 10, 9, 8, 30)),
    ],
)
def test_reminders_next_run_follows_the_official_calendar(db, reminders, after, expected):
    clear_cache()
    assert reminders.next_run(after) == expected


def test_a_daily_schedule_runs_every_day_at_its_local_time():
    from tests.jobs.sample_tasks import flaky

    nightly = Schedule(name="x", task=flaky, at=time(2, 30))
    assert nightly.next_run(at(2024, 10, 1, 2, 30)) == at(2024, 10, 2, 2, 30)
    assert nightly.next_run(at(2024, 10, 1, 2, 29)) == at(2024, 10, 1, 2, 30)
    assert nightly.next_run(at(2024, 10, 1, 2, 30)).utcoffset().total_seconds() == 8 * 3600


def _overdue_request(staff_a, unit_a):
    staff_a.email = "staff_a@example.com"
    staff_a.save(update_fields=["email"])
    return make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 9, 2, 10), title="超期诉求"
    )


@pytest.mark.parametrize(
    ("now", "mails"),
    [
        (at(2024, 10, 8, 8, 30), 1),  # Tuesday after 国庆: a working day
        (at(2024, 10, 1, 8, 30), 0),  # 国庆: a holiday on a Tuesday
        (at(2024, 9, 29, 8, 30), 1),  # a Sunday that is a make-up working day
        (at(2024, 10, 5, 8, 30), 0),  # a Saturday inside the holiday
    ],
)
def test_the_reminder_task_runs_on_working_days_only(clock, staff_a, unit_a, now, mails):
    clock["now"] = local(2024, 9, 2, 10)
    overdue = _overdue_request(staff_a, unit_a)
    mail.outbox.clear()
    clock["now"] = now

    sent = reminders_send.call()

    assert sent == mails
    assert len(mail.outbox) == mails
    if mails:
        assert mail.outbox[0].to == ["staff_a@example.com"] and overdue.title in mail.outbox[0].body


def test_the_worker_enqueues_reminders_once_at_0830_on_a_make_up_sunday(clock, staff_a, unit_a):
    clock["now"] = local(2024, 9, 2, 10)
    _overdue_request(staff_a, unit_a)
    mail.outbox.clear()

    clock["now"] = at(2024, 9, 29, 8, 29)
    assert "service.reminders" not in enqueue_due()
    clock["now"] = at(2024, 9, 29, 8, 31)
    assert "service.reminders" in enqueue_due()  # (eager in tests: it ran at once)
    assert "service.reminders" not in enqueue_due()  # the slot is taken: never twice
    assert PeriodicRun.objects.filter(name="service.reminders").count() == 1
    assert PeriodicRun.objects.get(name="service.reminders").slot == at(2024, 9, 29, 8, 30)
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.get(task_path="apps.service.tasks.reminders_send").status == "SUCCESSFUL"


def test_no_reminders_are_enqueued_on_a_holiday(clock, staff_a, unit_a):
    clock["now"] = at(2024, 10, 1, 8, 31)
    assert "service.reminders" not in enqueue_due()  # the last slot, 30 September, is past catching up
    assert not PeriodicRun.objects.filter(name="service.reminders").exists()


def test_a_worker_started_late_catches_up_the_mornings_slot_within_six_hours(clock, db):
    clock["now"] = at(2024, 10, 8, 14, 29)
    assert "service.reminders" in enqueue_due()
    clock["now"] = at(2024, 10, 9, 14, 31)  # more than six hours late: skipped, the next slot comes
    assert "service.reminders" not in enqueue_due()

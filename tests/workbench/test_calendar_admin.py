"""The admin's working-day calendar as a year grid (issue #18 item 9): the grid's days, a click that cycles
a day, a year's notice entered as date ranges, and — on every save — the recomputed deadlines of exactly
the open requests the change moves.

Dataset: the schedules seeded by the data migration (2024 as the State Council announced it: Spring
Festival 10–17 Feb off, 12–16 Feb weekday holidays, Sundays 4 and 18 Feb worked; 251 working days; 2027
has no schedule). Requests: category 人才安居 (contact 1, close 10 working days). Dispatched Monday 4 March
2024 10:00 → acknowledge by 4 Mar 18:00, contact by 5 Mar, close by Monday 18 March 18:00; with a holiday on
Friday 8 March, by Tuesday 19 March. "Today" is Friday 1 March 2024 unless a test says otherwise.
"""

import re
from datetime import date
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.service.models import Request
from apps.workbench import workdays
from apps.workdays.calendar import clear_cache
from apps.workdays.models import CalendarDay, CalendarYear

from ..conftest import client_for
from ..service.factories import local, make_request, walk_to

pytestmark = pytest.mark.django_db

CELL = re.compile(
    r'<button type="submit" name="date" value="(?P<date>[\d-]+)"\s+class="(?P<classes>[^"]*)"\s+'
    r'data-date="[\d-]+" data-kind="(?P<kind>\w+)"\s+title="(?P<title>[^"]*)">\s*'
    r'<span class="wd-num">(?P<num>\d+)</span>\s*<span class="wd-tag">(?P<tag>[^<]*)</span>'
)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def frozen_today(today: date):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return today if value is None else real(value, timezone)

    return mock.patch("django.utils.timezone.localdate", localdate)


def cells(response) -> dict[str, dict]:
    return {m["date"]: m.groupdict() for m in CELL.finditer(response.content.decode())}


def stored(year: int) -> list[tuple]:
    return list(CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the grid -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_the_2024_grid_draws_every_day_with_its_kind(admin_user):
    with frozen_today(date(2024, 2, 10)):
        response = client_for(admin_user).get(reverse("calendar_year", args=[2024]))

    assert response.status_code == 200
    days = cells(response)
    assert len(days) == 366
    shown = {
        day: (days[day]["kind"], days[day]["classes"], days[day]["tag"])
        for day in ["2024-02-04", "2024-02-09", "2024-02-10", "2024-02-12", "2024-02-18", "2024-02-24"]
    }
    assert shown == {
        "2024-02-04": ("makeup", "wd-day wd-makeup", "Work"),
        "2024-02-09": ("workday", "wd-day wd-workday", ""),
        "2024-02-10": ("weekend", "wd-day wd-weekend wd-break wd-today", "Spring Festival"),
        "2024-02-12": ("holiday", "wd-day wd-holiday", "Spring Festival"),
        "2024-02-18": ("makeup", "wd-day wd-makeup", "Work"),
        "2024-02-24": ("weekend", "wd-day wd-weekend", ""),
    }
    assert days["2024-02-12"]["title"] == "2024-02-12 Monday · public holiday · Spring Festival"
    html = response.content.decode()
    assert "251 working days in the year (8 make-up working days); 19 public holidays on weekdays." in html
    assert 'href="/admin/workdays/year/2023/"' in html
    assert 'href="/admin/workdays/year/2025/"' in html


def test_the_grid_names_the_seeded_holidays_in_chinese(admin_user):
    days = cells(client_for(admin_user).get(reverse("calendar_year", args=[2024])))
    assert (days["2024-02-10"]["tag"], days["2024-02-12"]["tag"], days["2024-10-01"]["tag"]) == (
        "春节",
        "春节",
        "国庆节",
    )


def test_the_changelists_link_to_this_years_grid(admin_user):
    year = timezone.localdate().year
    for model in ("calendarday", "calendaryear"):
        response = client_for(admin_user).get(reverse(f"admin:workdays_{model}_changelist"))
        assert f'href="/admin/workdays/year/{year}/"' in response.content.decode()


def test_a_year_out_of_range_is_404(admin_user):
    assert client_for(admin_user).get("/admin/workdays/year/1999/").status_code == 404
    assert client_for(admin_user).get("/admin/workdays/year/2101/").status_code == 404


# --- a click cycles a day -------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_clicking_a_weekday_makes_it_a_holiday_and_clicking_again_undoes_it(admin_user):
    client = client_for(admin_user)
    url = reverse("calendar_day", args=[2027])

    response = client.post(url, {"date": "2027-10-01", "name": "国庆节"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/workdays/year/2027/?name=%E5%9B%BD%E5%BA%86%E8%8A%82#m10"
    assert stored(2027) == [(date(2027, 10, 1), "holiday", "国庆节")]
    assert messages_of(response) == [
        "2027-10-01 is now: public holiday（国庆节）. The deadlines of 0 open requests moved."
    ]
    page = client.get(response["Location"])
    assert cells(page)["2027-10-01"]["kind"] == "holiday"
    assert 'value="国庆节"' in page.content.decode()  # the name stays for the next click

    response = client.post(url, {"date": "2027-10-01", "name": "国庆节"})
    assert stored(2027) == []
    assert messages_of(response) == [
        "2027-10-01 is now: working day. The deadlines of 0 open requests moved."
    ]


def test_clicking_a_saturday_makes_it_a_make_up_working_day(admin_user):
    client_for(admin_user).post(
        reverse("calendar_day", args=[2027]), {"date": "2027-10-09", "name": "国庆节"}
    )
    assert stored(2027) == [(date(2027, 10, 9), "workday", "国庆节")]


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({}, "Choose a day of 2027.", id="no-date"),
        pytest.param({"date": "2027-02-30"}, "Choose a day of 2027.", id="30-february"),
        pytest.param({"date": "abc"}, "Choose a day of 2027.", id="not-a-date"),
        pytest.param({"date": "2026-10-01"}, "Choose a day of 2027.", id="another-year"),
        pytest.param(
            {"date": "2027-10-01", "name": "节" * 51},
            "Ensure this value has at most 50 characters (it has 51).",
            id="name-too-long",
        ),
        pytest.param(
            {"date": "2027-10-01", "name": "国庆\x00节"}, "Null characters are not allowed.", id="nul"
        ),
    ],
)
def test_a_bad_click_says_why_and_changes_nothing(admin_user, data, message):
    response = client_for(admin_user).post(reverse("calendar_day", args=[2027]), data)
    assert response.status_code == 302
    assert messages_of(response) == [message]
    assert stored(2027) == []


def test_the_grid_answers_get_on_the_click_address_with_405(admin_user):
    assert client_for(admin_user).get(reverse("calendar_day", args=[2027])).status_code == 405


# --- only admins ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff_a", "manager_a", "leader"])
def test_only_admins_see_or_change_the_calendar(users, role):
    client = client_for(users[role])
    before = (stored(2027), list(CalendarYear.objects.values_list("year", "is_published", "source")))

    assert client.get(reverse("calendar_year", args=[2027])).status_code == 403
    assert client.post(reverse("calendar_day", args=[2027]), {"date": "2027-10-01"}).status_code == 403
    assert client.get(reverse("calendar_notice", args=[2027])).status_code == 403
    notice = {"text": "2027-10-01 国庆节", "source": "x", "entered": "on", "action": "apply"}
    assert client.post(reverse("calendar_notice", args=[2027]), notice).status_code == 403

    assert (stored(2027), list(CalendarYear.objects.values_list("year", "is_published", "source"))) == before


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client):
    response = client.post(reverse("calendar_day", args=[2027]), {"date": "2027-10-01"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert stored(2027) == []


# --- saving recomputes exactly the open requests the change moves ---------------------------------------


@pytest.fixture
def march_requests(staff_a, manager_a, unit_a):
    """Four requests as of Friday 1 March 2024 (see the module's docstring)."""
    moved = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    closed = walk_to(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)),
        "closed",
        handler=staff_a,
        manager=manager_a,
        at=local(2024, 3, 5, 9),
    )
    after = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 11, 10))  # dispatched after 8 Mar
    # critical: closure limit 2 working days → due Wednesday 28 February, before 8 March
    before = make_request(staff_a, handling_unit=unit_a, at=local(2024, 2, 26, 10), urgency="critical")
    return {"moved": moved, "closed": closed, "after": after, "before": before}


def clocks(requests: dict) -> dict[str, tuple]:
    rows = Request.objects.in_bulk([r.pk for r in requests.values()])
    return {
        key: (rows[r.pk].ack_due, rows[r.pk].contact_due, rows[r.pk].close_due) for key, r in requests.items()
    }


def test_the_window_holds_only_open_requests_whose_clocks_run_over_the_changed_day(march_requests):
    with frozen_today(date(2024, 3, 1)):
        affected = set(workdays.affected_requests([date(2024, 3, 8)]).values_list("pk", flat=True))
    assert affected == {march_requests["moved"].pk}


def test_a_day_already_past_reaches_every_open_request_dispatched_before_it(march_requests):
    """Working days spent paused count up to today, so a past day may matter to an overdue request."""
    with frozen_today(date(2024, 4, 1)):
        affected = set(workdays.affected_requests([date(2024, 3, 8)]).values_list("pk", flat=True))
    assert affected == {march_requests["moved"].pk, march_requests["before"].pk}


@pytest.mark.usefixtures("english")
def test_clicking_a_holiday_moves_the_deadline_of_the_open_request_it_falls_in(admin_user, march_requests):
    before = clocks(march_requests)
    assert before["moved"] == (local(2024, 3, 4, 18), local(2024, 3, 5, 18), local(2024, 3, 18, 18))

    with frozen_today(date(2024, 3, 1)):
        response = client_for(admin_user).post(
            reverse("calendar_day", args=[2024]), {"date": "2024-03-08", "name": "测试假日"}
        )

    assert messages_of(response) == [
        "2024-03-08 is now: public holiday（测试假日）. The deadlines of 1 open request moved."
    ]
    after = clocks(march_requests)
    assert after["moved"] == (local(2024, 3, 4, 18), local(2024, 3, 5, 18), local(2024, 3, 19, 18))
    assert {k: v for k, v in after.items() if k != "moved"} == {
        k: v for k, v in before.items() if k != "moved"
    }
    assert after["closed"][2] == local(
        2024, 3, 18, 18
    )  # closed: not touched, although a recompute would move it

    # a second click makes 8 March a working day again: the deadline comes back
    with frozen_today(date(2024, 3, 1)):
        client_for(admin_user).post(reverse("calendar_day", args=[2024]), {"date": "2024-03-08"})
    assert clocks(march_requests) == before


# --- a year's notice as date ranges ---------------------------------------------------------------------


NOTICE_2027 = "2027-01-01~2027-01-03 元旦\n2027-02-06~2027-02-12 春节\n2027-02-14 春节 班\n2027-02-20 班"


@pytest.mark.usefixtures("english")
def test_the_notice_form_opens_on_the_years_saved_schedule(admin_user):
    response = client_for(admin_user).get(reverse("calendar_notice", args=[2024]))
    assert response.status_code == 200
    text = response.context["form"].initial["text"].splitlines()
    assert text[:4] == [
        "2024-01-01 New Year's Day",
        "2024-02-04 Spring Festival 班",
        "2024-02-10~2024-02-17 Spring Festival",
        "2024-02-18 Spring Festival 班",
    ]
    assert len(text) == 15  # 7 breaks and 8 make-up days


@pytest.mark.usefixtures("english")
def test_a_notice_with_bad_lines_names_them_all_and_saves_nothing(admin_user):
    text = "\n".join(
        [
            "2027-01-01~2027-01-03 元旦",
            "2027-02-30 假",
            "2027-05-05~2027-05-01 劳动节",
            "2027-01-02~2027-01-04 元旦",
            "2027-01-04 班",
        ]
    )
    response = client_for(admin_user).post(
        reverse("calendar_notice", args=[2027]),
        {"text": text, "source": "", "entered": "on", "action": "apply"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [
        "Line 2: 2027-02-30 is not a date.",
        "Line 3: the range ends before it starts.",
        "Line 5: a make-up working day must fall on a Saturday or Sunday.",
        "Lines 1 and 4 overlap (2027-01-02).",
    ]
    assert "Nothing was saved. Correct the lines below." in response.content.decode()
    assert stored(2027) == []
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.usefixtures("english")
def test_the_preview_shows_each_day_that_changes_and_saves_nothing(admin_user):
    response = client_for(admin_user).post(
        reverse("calendar_notice", args=[2027]),
        {"text": NOTICE_2027, "source": "国办发明电", "entered": "on"},
    )

    assert response.status_code == 200
    changes = [(c.date.isoformat(), c.kind, c.name) for c in response.context["changes"]]
    assert changes == [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-02-08", "holiday", "春节"),
        ("2027-02-09", "holiday", "春节"),
        ("2027-02-10", "holiday", "春节"),
        ("2027-02-11", "holiday", "春节"),
        ("2027-02-12", "holiday", "春节"),
        ("2027-02-14", "workday", "春节"),
        ("2027-02-20", "workday", ""),
    ]
    html = response.content.decode()
    row = re.sub(r"\s+", " ", html.split("<td>2027-02-14 Sunday</td>")[1].split("</tr>")[0]).strip()
    assert row == "<td>weekend</td> <td>make-up working day（春节）</td>"
    assert 'name="action" value="apply"' in html
    assert stored(2027) == []
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.usefixtures("english")
def test_applying_the_notice_saves_the_year_and_marks_it_entered(admin_user):
    response = client_for(admin_user).post(
        reverse("calendar_notice", args=[2027]),
        {"text": NOTICE_2027, "source": "国办发明电〔2026〕7号", "entered": "on", "action": "apply"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/workdays/year/2027/"
    assert messages_of(response) == [
        "The 2027 schedule is saved: 8 days changed kind. The deadlines of 0 open requests moved."
    ]
    assert len(stored(2027)) == 8
    assert CalendarYear.objects.filter(year=2027).values_list("is_published", "source").get() == (
        True,
        "国办发明电〔2026〕7号",
    )


@pytest.mark.usefixtures("english")
def test_applying_a_notice_recomputes_only_the_open_requests_it_moves(admin_user, march_requests):
    client = client_for(admin_user)
    before = clocks(march_requests)
    text = client.get(reverse("calendar_notice", args=[2024])).context["form"].initial["text"]

    with frozen_today(date(2024, 3, 1)):
        response = client.post(
            reverse("calendar_notice", args=[2024]),
            {"text": text + "\n2024-03-08 测试假日", "source": "", "entered": "on", "action": "apply"},
        )

    assert messages_of(response) == [
        "The 2024 schedule is saved: 1 day changed kind. The deadlines of 1 open request moved."
    ]
    after = clocks(march_requests)
    assert after["moved"][2] == local(2024, 3, 19, 18)
    assert {k: v for k, v in after.items() if k != "moved"} == {
        k: v for k, v in before.items() if k != "moved"
    }

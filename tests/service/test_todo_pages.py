"""The to-do lists stay small for a busy handler (50 rows to a page, with the overdue and due-today counts
above them), and the dispatch desk sends several ticked requests to one unit with one unit list on the page
(it drew a list of every unit on every row: 3.9 MB for a leader at province scale)."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.periods import start_of_day
from apps.service.models import Request, RequestEvent

from ..conftest import client_for
from ..factories import UserFactory
from .factories import A, act, local, make_request

pytestmark = pytest.mark.django_db

TODO = reverse("service:todo")
DESK = reverse("service:dispatch_desk")
SEND = reverse("service:dispatch_many")
UNIT_TODO = reverse("service:unit_todo")


def test_my_todo_shows_50_items_a_page_and_counts_the_overdue_and_due_today(staff_a, unit_a):
    now = timezone.now()
    items = [make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=now) for _ in range(53)]
    Request.objects.filter(pk__in=[r.pk for r in items[:3]]).update(close_due=now - timedelta(hours=1))
    tonight = start_of_day(timezone.localdate(now) + timedelta(days=1))
    later_today = now + (tonight - now) / 2  # still today, whenever the test runs
    Request.objects.filter(pk__in=[r.pk for r in items[3:5]]).update(close_due=later_today)

    first = client_for(staff_a).get(TODO)
    second = client_for(staff_a).get(f"{TODO}?page=2")

    assert first.status_code == second.status_code == 200
    assert len(first.context["items"]) == 50 and len(second.context["items"]) == 3
    assert first.context["page_obj"].paginator.count == 53
    assert first.context["due"] == {"overdue": 3, "due_today": 2}
    assert [r.pk for r in first.context["items"][:3]] == [r.pk for r in items[:3]]  # soonest due first
    assert {r.pk for r in first.context["items"]} | {r.pk for r in second.context["items"]} == {
        r.pk for r in items
    }
    assert "53 items assigned to me" in first.content.decode()


def waiting(by, n: int) -> list[Request]:
    return [make_request(by, at=local(2024, 3, 4, 10 + i)) for i in range(n)]


def versions(requests) -> dict:
    return {f"version-{r.pk}": r.version for r in requests}


def test_the_desk_dispatches_the_ticked_requests_to_one_unit(manager_a, unit_b):
    first, second, left = waiting(manager_a, 3)

    response = client_for(manager_a).post(
        SEND, {"requests": [first.pk, second.pk], "unit": unit_b.pk, **versions([first, second])}
    )

    assert response.status_code == 302 and response.url == DESK
    for req in (first, second):
        req.refresh_from_db()
        assert (req.status, req.handling_unit_id) == ("dispatched", unit_b.pk)
        assert list(req.events.values_list("action", flat=True)) == ["create", "dispatch"]
    left.refresh_from_db()
    assert (left.status, left.handling_unit_id) == ("new", None)
    desk = client_for(manager_a).get(DESK)
    assert [r.pk for r in desk.context["page_obj"].object_list] == [left.pk]
    assert desk.content.decode().count("<select") == 1  # one unit list for the page, not one per row


def test_the_desk_leaves_a_request_changed_since_the_page_was_drawn(manager_a, unit_b):
    fresh, changed = waiting(manager_a, 2)
    stale = versions([fresh, changed]) | {f"version-{changed.pk}": changed.version + 1}

    response = client_for(manager_a).post(
        SEND, {"requests": [fresh.pk, changed.pk], "unit": unit_b.pk, **stale}
    )

    assert response.status_code == 302
    assert Request.objects.get(pk=fresh.pk).status == "dispatched"
    assert Request.objects.get(pk=changed.pk).status == "new"
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith(f"#{changed.pk}: ") for m in said), said


def test_the_desk_never_dispatches_another_units_request(manager_a, staff_b, unit_b):
    """A dispatcher of unit A ticking (by a forged post) a request unit B logged: nothing moves."""
    theirs = waiting(staff_b, 1)[0]

    response = client_for(manager_a).post(
        SEND, {"requests": [theirs.pk], "unit": unit_b.pk, **versions([theirs])}
    )

    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.status, theirs.handling_unit_id, theirs.version) == (
        "new",
        None,
        1,
    ) or theirs.status == "new"
    assert RequestEvent.objects.filter(request=theirs).count() == 1


def test_a_dispatcher_of_no_unit_dispatches_no_units_request(staff_b, unit_b):
    """A manager account with no unit (the desk reads the requests their unit logged: none) ticking a request
    unit B logged: the desk does not list it and nothing moves."""
    from apps.accounts import roles

    nobody = UserFactory(unit=None, role=roles.UNIT_MANAGER)
    theirs = waiting(staff_b, 1)[0]
    client = client_for(nobody)

    desk = client.get(DESK)
    response = client.post(SEND, {"requests": [theirs.pk], "unit": unit_b.pk, **versions([theirs])})

    assert desk.status_code == 200 and list(desk.context["page_obj"].object_list) == []
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert (theirs.status, theirs.handling_unit_id) == ("new", None)
    assert RequestEvent.objects.filter(request=theirs).count() == 1


def test_staff_without_the_dispatch_permission_are_refused_and_nothing_moves(staff_a, manager_a, unit_b):
    mine = waiting(staff_a, 1)[0]

    desk = client_for(staff_a).get(DESK)
    response = client_for(staff_a).post(SEND, {"requests": [mine.pk], "unit": unit_b.pk, **versions([mine])})

    assert desk.status_code == response.status_code == 403
    mine.refresh_from_db()
    assert (mine.status, mine.handling_unit_id) == ("new", None)
    assert RequestEvent.objects.filter(request=mine).count() == 1


def test_the_desk_refuses_a_ticked_request_posted_without_its_version(manager_a, unit_b):
    req = waiting(manager_a, 1)[0]

    response = client_for(manager_a).post(
        SEND, {"requests": [req.pk], "unit": unit_b.pk, f"version-{req.pk}": "x"}
    )

    assert response.status_code == 302
    assert Request.objects.get(pk=req.pk).status == "new"


@pytest.mark.parametrize(
    "post",
    [
        {"unit": ""},  # no unit
        {"unit": "99999999"},  # no such unit
        {"unit": "1e3"},
        {"requests": []},  # nothing ticked
        {"requests": ["abc", "-1", "9" * 40]},
    ],
)
def test_the_desk_refuses_a_post_without_requests_or_unit_and_nothing_moves(manager_a, unit_b, post):
    req = waiting(manager_a, 1)[0]
    data = {"requests": [req.pk], "unit": unit_b.pk, **versions([req]), **post}

    response = client_for(manager_a).post(SEND, data)

    assert response.status_code == 302
    assert Request.objects.get(pk=req.pk).status == "new"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Tick the requests to dispatch and choose the unit."
    ]


def test_my_todo_shows_the_units_ten_most_urgent_unassigned_items_and_links_to_all(staff_a, unit_a):
    """My to-do is the handler's own page: of the unit's items nobody handles yet it shows the ten most
    urgent, soonest due first, and links to the unit's to-do list for all of them. It drew 50 (a busy unit
    always has that many): half of a busy handler's page, 43 KB, for a section a manager's desk serves."""
    now = timezone.now()
    waiting = [make_request(staff_a, handling_unit=unit_a, at=now - timedelta(hours=i)) for i in range(12)]
    for i, item in enumerate(waiting):
        Request.objects.filter(pk=item.pk).update(close_due=now + timedelta(days=12 - i))
    Request.objects.filter(pk=waiting[0].pk).update(urgency=Request.Urgency.URGENT)

    response = client_for(staff_a).get(TODO)

    assert response.status_code == 200
    assert response.context["unassigned_count"] == 12
    soonest_due = [item.pk for item in reversed(waiting[1:])]
    assert [row.pk for row in response.context["unassigned"]] == [waiting[0].pk, *soonest_due[:9]]
    html = response.content.decode()
    assert f'<a href="{reverse("service:unit_todo")}">' in html and "12" in html


def test_a_user_without_a_unit_opens_my_todo(staff_a, unit_a):
    """A district leader or an admin belongs to no unit (and handles nothing): My to-do answers, empty — it
    answered 500 while this change was under way, which the suite had not seen (its leaders have a unit)."""
    nobody = UserFactory(unit=None)
    make_request(staff_a, handling_unit=unit_a, at=timezone.now())  # the unit's, unassigned: not theirs

    response = client_for(nobody).get(TODO)

    assert response.status_code == 200
    assert response.context["items"] == [] and response.context["page_obj"].paginator.count == 0
    assert (response.context["unassigned"], response.context["unassigned_count"]) == ([], 0)


def test_a_request_nobody_handles_yet_shows_a_dash_not_none(staff_a, unit_a):
    """The request table builds the handler's name from its columns: with no handler they are all NULL, and
    the list printed "None None" (found by the no-English test)."""
    make_request(staff_a, handling_unit=unit_a, at=timezone.now())

    response = client_for(staff_a).get(reverse("service:request_list"))

    [row] = response.context["object_list"]
    assert row.handler == ""
    assert "None" not in response.content.decode()


def test_the_unit_todo_masks_the_form_token_once_for_all_its_row_forms(manager_a, staff_a, unit_a):
    """Each row's form printed the Jinja2 backend's lazy `csrf_input`, which masks the token afresh at every
    use: ~100 maskings a page (a fifth of the unit to-do's time at province scale). Django's own templates
    mask it once a page; so do the Jinja2 rows now — and the token still lets the form through."""
    items = [make_request(staff_a, handling_unit=unit_a, at=local(2026, 3, 2, 10)) for _ in range(3)]
    Request.objects.filter(pk__in=[r.pk for r in items]).update(status="acknowledged")
    client = client_for(manager_a)
    client.handler.enforce_csrf_checks = True
    page = client.get(reverse("service:unit_todo")).content.decode()

    row_form = r'action="/service/requests/\d+/act/"[^>]*><input type="hidden" name="csrfmiddlewaretoken" '
    row_form += r'value="([^"]+)"'
    tokens = re.findall(row_form, page)
    assert len(tokens) == 3  # the three rows' assign forms
    assert len(set(tokens)) == 1

    posted = client.post(
        reverse("service:request_act", args=[items[0].pk]),
        {"csrfmiddlewaretoken": tokens[0], "action": "assign", "handler": staff_a.pk,
         "expected_status": "acknowledged", "expected_version": items[0].version},
    )  # fmt: skip
    assert posted.status_code == 302
    assert Request.objects.get(pk=items[0].pk).handler_id == staff_a.pk


def test_the_desk_rows_show_the_link_badges_and_versions_of_each_request(manager_a, staff_a, unit_a, unit_b):
    """The desk's rows are drawn by Jinja2 with what they print worked out once in Python (the leader's desk
    spent a third of its time in Django's per-row template work): each row still ticks its request with its
    version, links it, escapes its title, marks one an enterprise submitted and one that came back."""
    plain = make_request(manager_a, at=local(2026, 3, 2, 9, 5), title="<b>水电</b>")
    by_enterprise = make_request(
        manager_a, at=local(2026, 3, 2, 10), source=Request.Source.ENTERPRISE, title="用地"
    )
    back = act(make_request(manager_a, at=local(2026, 3, 2, 11), handling_unit=unit_a), A.RETURN, staff_a,
               local(2026, 3, 2, 12))  # fmt: skip

    html = client_for(manager_a).get(DESK).content.decode()
    row_of = r'<tr>\s*<td data-label="Tick"><input[^>]*value="(\d+)"(.*?)</tr>'
    rows = dict(re.findall(row_of, html, re.S))

    assert set(rows) == {str(plain.pk), str(by_enterprise.pk), str(back.pk)}
    for req in (plain, by_enterprise, back):
        req.refresh_from_db()
        row = rows[str(req.pk)]
        assert f'name="version-{req.pk}" value="{req.version}"' in row
        assert f'<a href="/service/requests/{req.pk}/">' in row
    assert "&lt;b&gt;水电&lt;/b&gt;" in rows[str(plain.pk)] and "<b>水电" not in html
    assert "03-02 09:05" in rows[str(plain.pk)]
    enterprise_badge = '<span class="badge source-enterprise">Submitted by the enterprise</span>'
    returned_badge = '<span class="badge">returned</span>'
    assert [enterprise_badge in rows[str(r.pk)] for r in (plain, by_enterprise, back)] == [False, True, False]
    assert [returned_badge in rows[str(r.pk)] for r in (plain, by_enterprise, back)] == [False, False, True]


def test_the_unit_todo_rows_print_nothing_for_what_a_request_lacks(manager_a, staff_a, unit_a):
    """The unit to-do's rows are read as values, not as requests with their enterprise and handler: a request
    without an enterprise or a handler prints nothing there (not "None"), one with them their names."""
    bare, full = (make_request(staff_a, handling_unit=unit_a, at=local(2026, 3, 2, 10)) for _ in range(2))
    Request.objects.filter(pk=bare.pk).update(enterprise=None, status="acknowledged")
    Request.objects.filter(pk=full.pk).update(handler=staff_a, status="in_progress")

    response = client_for(manager_a).get(reverse("service:unit_todo"))

    html = response.content.decode()
    assert "None" not in html
    rows = {row.pk: row for row in response.context["page_obj"].object_list}
    assert (rows[bare.pk].enterprise_name, rows[bare.pk].handler_name) == ("", "")
    assert rows[full.pk].enterprise_name == full.enterprise.name and full.enterprise.name in html
    assert rows[full.pk].handler_name == str(staff_a)


def test_the_to_do_lists_compose_their_requests_queries_once_and_read_the_rows_afresh(
    manager_a, staff_a, unit_a, composed_sql
):
    """Composing a to-do section's queries cost more in Python than PostgreSQL spends running them: they are
    composed once per process (apps.core.batch.reused_values), and a change since shows on the next view."""
    make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    make_request(staff_a, handling_unit=unit_a)  # nobody handles it yet
    closed = make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    Request.objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now())
    client_for(manager_a).get(UNIT_TODO)
    client_for(staff_a).get(TODO)  # composed here (or by an earlier test of this process)
    composed_sql.clear()

    unit_page = client_for(manager_a).get(UNIT_TODO)
    unit_composed = [sql for sql in composed_sql if "service_request" in sql]
    composed_sql.clear()
    todo_page = client_for(staff_a).get(TODO)
    todo_composed = [sql for sql in composed_sql if "service_request" in sql]

    assert unit_page.status_code == todo_page.status_code == 200
    assert unit_composed == []
    # nor the handler's counts, which compare with the clock: composed once a day, read at the moment
    assert todo_composed == []
    assert unit_page.context["page_obj"].paginator.count == 2
    assert len(unit_page.context["page_obj"].object_list) == 2
    assert [r.pk for r in unit_page.context["to_confirm"].object_list] == [closed.pk]
    assert len(todo_page.context["items"]) == 1 and len(todo_page.context["unassigned"]) == 1

    newer = make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    again = client_for(staff_a).get(TODO)
    assert {r.pk for r in again.context["items"]} == {r.pk for r in todo_page.context["items"]} | {newer.pk}


def test_the_desk_composes_its_requests_queries_once_and_reads_whether_a_row_came_back_with_it(
    manager_a, staff_a, unit_a, composed_sql
):
    """The desk counted its queue, chose its page's ids, read their rows and then asked which of them came
    back from a unit: four statements about requests composed on every view (2-3 ms of the manager's 20).
    Its count and page are now composed once per process and unit (batch.reused, reused_values), and the
    rows say themselves whether they came back. A request logged since still shows."""
    first = make_request(manager_a, at=local(2026, 3, 2, 9))
    back = act(make_request(manager_a, at=local(2026, 3, 2, 10), handling_unit=unit_a), A.RETURN, staff_a,
               local(2026, 3, 2, 11))  # fmt: skip
    client = client_for(manager_a)
    client.get(DESK)
    composed_sql.clear()

    with CaptureQueriesContext(connection) as queries:
        desk = client.get(DESK)
    about_requests = [sql for sql in composed_sql if "service_request" in sql]

    assert desk.status_code == 200 and about_requests == []
    assert len([q for q in queries if "service_request" in q["sql"]]) == 2  # the count and the page's rows
    rows = desk.context["page_obj"].object_list
    assert [(r.pk, r.returned) for r in rows] == [(first.pk, False), (back.pk, True)]
    assert desk.context["page_obj"].paginator.count == 2

    later = make_request(manager_a, at=local(2026, 3, 2, 12))
    again = client.get(DESK)
    assert [r.pk for r in again.context["page_obj"].object_list] == [first.pk, back.pk, later.pk]


def test_my_todo_lists_the_visits_i_am_asked_to_make_by_date_read_with_its_counts(
    manager_a, staff_a, colleague_a, unit_a, composed_sql
):
    """The visits a handler is asked to make were a statement of their own, composed on every view: they
    are read with My to-do's counts, in the same round trip, composed once per process and user."""
    from datetime import date

    from apps.service.services.visits import visit_assign

    from ..factories import EnterpriseFactory

    later = EnterpriseFactory(unit=unit_a, name="<南京>后访企业")
    sooner = EnterpriseFactory(unit=unit_a, name="先访企业")
    visit_assign(by=manager_a, enterprise=later, assignee=staff_a, due_on=date(2026, 12, 20))
    visit_assign(by=manager_a, enterprise=sooner, assignee=staff_a, due_on=date(2026, 12, 10))
    visit_assign(by=manager_a, enterprise=sooner, assignee=colleague_a, due_on=date(2026, 12, 1))
    client = client_for(staff_a)
    client.get(TODO)
    composed_sql.clear()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(TODO)

    assert [sql for sql in composed_sql if "service_visitassignment" in sql] == []
    assert sum('"service_visitassignment"' in q["sql"] for q in queries.captured_queries) == 1
    assert len(queries) == 3  # the session, the user, My to-do's counts with the assignments
    html = response.content.decode()
    new_visit = reverse("service:visit_create")
    shown = re.findall(r'<li><a href="([^"]+)">([^<]+)</a> — ([^<]+)</li>', html)
    assert shown == [
        (f"{new_visit}?enterprise={sooner.pk}", "先访企业", "by 2026-12-10"),
        (f"{new_visit}?enterprise={later.pk}", "&lt;南京&gt;后访企业", "by 2026-12-20"),
    ]  # by date; not the colleague's (the tests' pages are in English)

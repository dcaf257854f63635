"""One request's journey through the real app in a real browser, each step photographed.

A staff member logs a visit with two requests on a phone; the handling unit's colleague finds them in My
to-do, acknowledges one and closes it; the unit manager records the enterprise's feedback; a leader opens the
progress bar and the ranking board and follows a number to the records behind it; a user of another unit
cannot open the request. Everyone signs in through the login form.
"""

import re

import pytest
from django.utils import timezone

from apps.rankings.models import Indicator
from apps.service.models import Request, RequestEvent, Visit

from ..factories import EnterpriseFactory
from .conftest import DESKTOP, PHONE

# The flush after a transactional test empties the tables the migrations seeded (roles, categories,
# calendar, indicators): restore them whatever ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
TIMEOUT_MS = 10_000
A = RequestEvent.Action


class Session:
    """One person in their own browser context (own cookies), signed in through the login form."""

    def __init__(self, browser, live_server, artifacts, user, viewport):
        self.context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, locale="zh-CN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = live_server.url
        self.artifacts = artifacts
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.goto("/accounts/login/")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form button[type=submit]")
        assert "/accounts/login/" not in self.page.url, f"{user.username} could not sign in"

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.artifacts / f"{name}.png", full_page=True)

    def open_action(self, action: str):
        """The request page's <details> of one move, opened (the first one is open already)."""
        details = self.page.locator("details").filter(
            has=self.page.locator(f"input[name=action][value={action}]")
        )
        if not details.evaluate("element => element.open"):
            details.locator("summary").click()
        return details

    def close(self) -> None:
        self.context.close()
        # No JavaScript error and nothing refused by the Content Security Policy on any page visited.
        assert self.errors == []


def test_a_visit_from_a_phone_to_the_ranking_board(
    browser, live_server, artifacts, unit_a, staff_a, colleague_a, manager_a, leader, staff_b
):
    enterprise = EnterpriseFactory(unit=unit_a, name="南京江北智造科技有限公司", is_key=True)
    today = timezone.localdate()
    # the journey's two requests are all the unit has: measured from one case (the default minimum is 5)
    Indicator.objects.filter(code="closure_rate").update(min_cases=1)

    # 1. A staff member logs the visit and the two requests heard there, on a phone.
    staff = Session(browser, live_server, artifacts, staff_a, PHONE)
    staff.goto("/service/visits/new/")
    page = staff.page
    page.fill("#enterprise-search", "江北智造")
    page.check(f"#enterprise-results input[type=radio][value='{enterprise.pk}']")
    page.fill("#id_summary", "走访了解用工和人才住房需求")
    page.select_option("#id_requests-0-category", label="人才安居")
    page.fill("#id_requests-0-title", "人才公寓申请")
    page.select_option("#id_requests-0-handling_unit", label="研创园")
    page.click("[data-add-item]")  # "+ Add a request": a second row from the formset's template
    page.select_option("#id_requests-1-category", label="招聘用工")
    page.fill("#id_requests-1-title", "招聘一线技术工人")
    page.select_option("#id_requests-1-handling_unit", label="研创园")
    assert page.input_value("#id_requests-TOTAL_FORMS") == "2"
    staff.shot("01-staff-logs-visit-on-phone")
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    visit = Visit.objects.get()
    assert page.url == f"{live_server.url}/service/visits/{visit.pk}/"
    assert (visit.enterprise, visit.lead_unit, visit.created_by, visit.visited_on) == (
        enterprise,
        unit_a,
        staff_a,
        today,
    )
    housing, hiring = Request.objects.filter(visit=visit).order_by("pk")
    assert [(r.title, r.status, r.handling_unit, r.handler) for r in (housing, hiring)] == [
        ("人才公寓申请", "dispatched", unit_a, None),
        ("招聘一线技术工人", "dispatched", unit_a, None),
    ]
    # The phone layout: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    staff.shot("02-visit-saved")
    staff.close()

    # 2. The handling unit's colleague sees both in My to-do, acknowledges one and closes it.
    handler = Session(browser, live_server, artifacts, colleague_a, PHONE)
    page = handler.page
    handler.goto("/service/todo/")
    todo = page.locator("table").filter(has_text="人才公寓申请")
    assert todo.locator(f"a[href='/service/requests/{housing.pk}/']").inner_text() == "人才公寓申请"
    assert todo.locator(f"a[href='/service/requests/{hiring.pk}/']").inner_text() == "招聘一线技术工人"
    handler.shot("03-handler-my-todo")
    with page.expect_navigation():
        page.click(f"a[href='/service/requests/{housing.pk}/']")
    acknowledge = handler.open_action(A.ACKNOWLEDGE)
    with page.expect_navigation():
        acknowledge.locator("button[type=submit]").click()
    housing.refresh_from_db()
    assert (housing.status, housing.acknowledged_at is not None) == ("acknowledged", True)
    answer = "已协调人才公寓两套，企业已入住"
    close = handler.open_action(A.CLOSE)
    close.locator("select[name=outcome]").select_option("solved")
    close.locator("textarea[name=answer]").fill(answer)
    handler.shot("04-handler-closes")
    with page.expect_navigation():
        close.locator("button[type=submit]").click()
    housing.refresh_from_db()
    hiring.refresh_from_db()
    assert (housing.status, housing.outcome, housing.answer) == ("closed", "solved", answer)
    assert hiring.status == "dispatched"  # the other one is untouched
    assert page.locator(".msg-success").count() == 1
    handler.shot("05-request-closed")
    handler.close()

    # 3. The unit manager records the enterprise's feedback (回访) from the unit's to-do list.
    manager = Session(browser, live_server, artifacts, manager_a, DESKTOP)
    page = manager.page
    manager.goto("/service/unit-todo/")
    feedback = page.locator("form").filter(has=page.locator("input[name=action][value=feedback]"))
    assert feedback.count() == 1  # only the closed request waits for feedback
    feedback.locator("select[name=satisfaction]").select_option("satisfied")
    manager.shot("06-manager-feedback")
    with page.expect_navigation():
        feedback.locator("button").click()
    housing.refresh_from_db()
    assert (housing.status, housing.satisfaction) == ("confirmed", "satisfied")
    assert [e.action for e in housing.events.order_by("at", "pk")] == [
        A.CREATE,
        A.DISPATCH,
        A.ACKNOWLEDGE,
        A.CLOSE,
        A.CONFIRM,
    ]
    assert housing.events.get(action=A.CONFIRM).by == manager_a
    manager.shot("07-manager-confirmed")
    manager.close()

    # 4. A leader opens the progress bar, follows "requests received" to its records, then the ranking board.
    boss = Session(browser, live_server, artifacts, leader, DESKTOP)
    page = boss.page
    boss.goto("/dashboard/")
    requests_link = page.locator(
        f"a[href='/service/requests/?concerns=enterprise&date_from={today.year}-01-01&date_to={today:%Y-%m-%d}']"
    )
    assert requests_link.inner_text() == "2"
    boss.shot("08-leader-progress-bar")
    with page.expect_navigation():
        requests_link.click()
    rows = page.locator("table tbody tr")
    assert sorted(rows.locator("td:nth-child(2) a").all_inner_texts()) == ["人才公寓申请", "招聘一线技术工人"]
    boss.shot("09-leader-drills-into-requests")

    boss.goto("/ranking/")  # the leader's own peer group first; the parks are one tab away
    with page.expect_navigation():
        page.locator("nav.board-groups a[href*='group=parks']").click()
    # The park's row: its closure rate (1 of the 2 requests of the month closed) links to those requests.
    row = page.locator("table.ranking tbody tr").filter(has_text=unit_a.short_name)
    closure_drill = (
        f"/service/requests/?concerns=enterprise&handling_unit={unit_a.pk}"
        f"&date_from={today:%Y-%m}-01&date_to="
    )
    figure = row.locator(f"a[href^='{closure_drill}']").first
    assert figure.inner_text() == "50.0"
    boss.shot("10-leader-ranking-board")
    with page.expect_navigation():
        figure.click()
    assert re.search(rf"[?&]handling_unit={unit_a.pk}(&|$)", page.url)
    titles = page.locator("table tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(titles) == ["人才公寓申请", "招聘一线技术工人"]
    boss.shot("11-leader-drills-into-ranking-figure")
    boss.close()

    # 5. A user of another unit cannot reach the request, and does not see it listed.
    other = Session(browser, live_server, artifacts, staff_b, PHONE)
    response = other.goto(f"/service/requests/{housing.pk}/")
    assert response.status == 404
    other.errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")
    other.shot("12-other-unit-404")
    other.goto("/service/requests/")
    assert other.page.locator(f"a[href='/service/requests/{housing.pk}/']").count() == 0
    other.close()
    housing.refresh_from_db()
    assert housing.status == "confirmed"

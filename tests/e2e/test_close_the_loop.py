"""Closing the loop in a real browser: a staff member logs a request for their unit; a colleague takes it
(acknowledging it makes them its handler) and closes it; the one who logged it sees the notification on the
bell and the request closed on "Requests I logged". Everyone signs in through the login form.
"""

import pytest

from apps.service.models import Notification, Request, RequestEvent

from ..factories import EnterpriseFactory
from .conftest import DESKTOP, PHONE

# The flush after a transactional test empties the tables the migrations seeded (roles, categories,
# calendar, indicators): restore them whatever ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
TIMEOUT_MS = 10_000
A = RequestEvent.Action
TITLE = "申请人才公寓两套"


class Session:
    """One person in their own browser context (own cookies), signed in through the login form."""

    def __init__(self, browser, live_server, user, viewport):
        self.context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, locale="zh-CN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = live_server.url
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

    def open_action(self, action: str):
        """The request page's <details> of one move, opened (the first one is open already)."""
        details = self.page.locator("details").filter(
            has=self.page.locator(f"input[name=action][value={action}]")
        )
        if not details.evaluate("element => element.open"):
            details.locator("summary").click()
        return details

    def submit(self, form) -> None:
        with self.page.expect_navigation():
            form.locator("button[type=submit]").click()

    def close(self) -> None:
        self.context.close()
        assert self.errors == []  # no JavaScript error, nothing refused by the Content Security Policy


def test_the_one_who_logged_a_request_sees_it_closed(browser, live_server, unit_a, staff_a, colleague_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="南京江北智造科技有限公司")

    # 1. staff_a logs a hotline request for their own unit, nobody named to handle it.
    logger = Session(browser, live_server, staff_a, PHONE)
    page = logger.page
    logger.goto("/service/requests/new/")
    page.fill("#enterprise-search", "江北智造")
    page.check(f"#enterprise-results input[type=radio][value='{enterprise.pk}']")
    page.select_option("#id_source", "hotline")
    page.select_option("#id_category", label="人才安居")
    page.fill("#id_title", TITLE)
    page.select_option("#id_handling_unit", label="研创园")
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    req = Request.objects.get(title=TITLE)
    assert (req.created_by, req.status, req.handling_unit, req.handler) == (
        staff_a,
        "dispatched",
        unit_a,
        None,
    )
    logger.close()

    # 2. colleague_a acknowledges it (and so becomes its handler), then closes it with the answer given.
    handler = Session(browser, live_server, colleague_a, DESKTOP)
    page = handler.page
    handler.goto(f"/service/requests/{req.pk}/")
    handler.submit(handler.open_action(A.ACKNOWLEDGE))
    req.refresh_from_db()
    assert (req.status, req.handler) == ("acknowledged", colleague_a)
    close = handler.open_action(A.CLOSE)
    assert close.locator("select[name=outcome]").input_value() == ""  # no outcome chosen for the handler
    close.locator("select[name=outcome]").select_option("solved")
    close.locator("textarea[name=answer]").fill("已协调人才公寓两套")
    handler.submit(close)
    req.refresh_from_db()
    assert (req.status, req.outcome) == ("closed", "solved")
    handler.close()
    assert Notification.objects.filter(user=staff_a, request=req, read_at__isnull=True).count() == 1

    # 3. staff_a sees the bell count, the notification, and the request closed among those they logged.
    logger = Session(browser, live_server, staff_a, PHONE)
    page = logger.page
    logger.goto("/service/notifications/")
    assert page.locator(".bell .count").inner_text() == "1"
    notice = page.locator(f".todo-row.unread a[href='/service/requests/{req.pk}/']")
    assert TITLE in notice.inner_text()
    logger.goto("/service/requests/logged/")
    row = page.locator("table tbody tr").filter(has=page.locator(f"a[href='/service/requests/{req.pk}/']"))
    assert row.locator(".status-closed").count() == 1
    assert unit_a.short_name in row.inner_text()
    with page.expect_navigation():
        row.locator(f"a[href='/service/requests/{req.pk}/']").click()  # opening it reads its notification
    assert Notification.objects.get(user=staff_a, request=req).read_at is not None
    logger.close()

"""The enterprise side (企业端, issue #19) in a real browser: a unit manager issues a contact's personal link
from the enterprise record; the contact, on a phone (390×844) and without an account, submits a request with a
photo; the manager dispatches it from the dispatch desk and the handler acknowledges and closes it; the
contact sees it closed, reads the answer and rates it; the satisfaction figure counts that rating."""

import io
import re

import pytest
from django.utils import timezone
from PIL import Image

from apps.service import selectors as service_selectors
from apps.service.models import Attachment, Request, RequestEvent

from ..factories import ContactFactory, EnterpriseFactory
from .conftest import DESKTOP, PHONE
from .test_request_journey import TIMEOUT_MS, Session

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
A = RequestEvent.Action


class Contact:
    """The enterprise's contact: a phone, no account, only the link."""

    def __init__(self, browser, artifacts):
        self.context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.artifacts = artifacts
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.artifacts / f"{name}.png", full_page=True)
        # the phone layout: nothing wider than the screen
        assert self.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def close(self) -> None:
        self.context.close()
        assert self.errors == []  # no script error, nothing refused by the Content Security Policy


def _photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 40)).save(buffer, "JPEG")
    return {"name": "路灯.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_an_enterprise_submits_follows_and_rates_its_request_from_a_phone(
    browser, live_server, artifacts, unit_a, staff_a, manager_a
):
    enterprise = EnterpriseFactory(unit=unit_a, name="南京江北智造科技有限公司")
    person = ContactFactory(enterprise=enterprise, name="王经理")

    # 1. The unit manager issues the contact's link from the enterprise record and reads it off the page.
    manager = Session(browser, live_server, artifacts, manager_a, DESKTOP)
    page = manager.page
    manager.goto(f"/enterprises/{enterprise.pk}/")
    with page.expect_navigation():
        page.click("[data-action=contact-links]")
    page.select_option("#id_contact", str(person.pk))
    page.select_option("#id_days", "90")
    with page.expect_navigation():
        page.click(f"form[action='/enterprises/{enterprise.pk}/links/new/'] button[type=submit]")
    url = page.locator("[data-url]").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/e/[A-Za-z0-9_-]{{43}}/", url)
    assert page.locator("[data-qr] svg").count() == 1
    manager.shot("e01-manager-issues-link")

    # 2. The contact opens the link on a phone, with no account, and submits a request with a photo.
    contact = Contact(browser, artifacts)
    page = contact.page
    page.goto(url)
    contact.shot("e02-contact-home")
    with page.expect_navigation():
        page.click("[data-action=submit]")
    page.select_option("#id_category", label="基础设施与水电气")
    page.fill("#id_title", "园区路灯损坏")
    page.fill("#id_description", "东门外6盏路灯不亮，夜班员工通行不安全。")
    page.set_input_files("#id_photos", [_photo()])
    contact.shot("e03-contact-fills-the-form")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    req = Request.objects.get()
    assert page.locator("[data-notice=sent]").count() == 1
    assert (req.source, req.status, req.logged_unit, req.created_by, req.contact) == (
        "enterprise", "new", unit_a, None, person,
    )  # fmt: skip
    assert Attachment.objects.get(request=req).contact == person
    contact.shot("e04-contact-sent")

    # 3. The manager dispatches it from the dispatch desk; the handler acknowledges and closes it.
    page = manager.page
    manager.goto("/service/dispatch/")
    page.check(f"input[name=requests][value='{req.pk}']")
    page.select_option("#dispatch-unit", str(unit_a.pk))
    with page.expect_navigation():
        page.click("#dispatch-form button")
    req.refresh_from_db()
    assert (req.status, req.handling_unit) == ("dispatched", unit_a)
    manager.close()

    handler = Session(browser, live_server, artifacts, staff_a, PHONE)
    page = handler.page
    handler.goto(f"/service/requests/{req.pk}/")
    with page.expect_navigation():
        handler.open_action(A.ACKNOWLEDGE).locator("button[type=submit]").click()
    answer = "已协调园区物业更换路灯，3月20日恢复照明"
    close = handler.open_action(A.CLOSE)
    close.locator("select[name=outcome]").select_option("solved")
    close.locator("textarea[name=answer]").fill(answer)
    with page.expect_navigation():
        close.locator("button[type=submit]").click()
    req.refresh_from_db()
    assert (req.status, req.answer) == ("closed", answer)
    handler.shot("e05-handler-closed")
    handler.close()

    # 4. The contact is told on their page that it is closed, reads the answer and rates it.
    page = contact.page
    page.goto(url)
    notice = page.locator(f"[data-notice=closed][data-request='{req.pk}']")
    assert notice.count() == 1
    contact.shot("e06-contact-told-closed")
    with page.expect_navigation():
        notice.click()
    assert page.locator("[data-answer]").inner_text().count(answer) == 1
    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("#id_comment", "修得很快，谢谢！")
    contact.shot("e07-contact-rates")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.locator("[data-notice=rated]").count() == 1
    assert page.locator("[data-rating=satisfied]").count() == 1
    contact.shot("e08-contact-rated")
    contact.close()

    # 5. The rating is the enterprise's own, and the satisfaction figure counts it.
    req.refresh_from_db()
    assert (req.status, req.satisfaction, req.satisfaction_by) == ("confirmed", "satisfied", "enterprise")
    rated = req.events.get(action=A.CONFIRM)
    assert (rated.by, rated.contact, rated.note) == (None, person, "修得很快，谢谢！")
    today = timezone.localdate()
    values = service_selectors.service_values(start=today.replace(day=1), end=today)
    assert str(values["satisfaction_rate_pct"]) == "100.0"

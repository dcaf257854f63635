"""The admin's year grid of the working-day calendar in a real browser, under the app's Content Security
Policy (no inline script; the grid needs no script at all): on a desktop and a 390 px phone the twelve months
show, nothing is wider than the screen, and a click on a day saves it and comes back to its month.
Screenshots in test-artifacts/e2e/calendar-grid-*.png.

Dataset: 2027, a year without a schedule: Friday 1 October is a working day until it is clicked.
"""

import pytest

from apps.workdays.models import CalendarDay

from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
SCREENS = {"desktop": {"width": 1366, "height": 900}, "phone": PHONE}

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.mark.parametrize("screen", SCREENS)
def test_a_click_on_the_grid_marks_a_holiday_under_the_csp(
    browser, live_server, admin_user, artifacts, screen
):
    viewport = SCREENS[screen]
    context = browser.new_context(viewport=viewport, is_mobile=screen == "phone", locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_init_script(LISTEN)
    page = context.new_page()
    console = []
    # the admin's pages have no icon: the browser's own request for /favicon.ico is not the page's
    page.on(
        "console",
        lambda m: "favicon" in (m.location or {}).get("url", "") or console.append(f"{m.type}: {m.text}"),
    )
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")

    response = page.goto(live_server.url + "/admin/workdays/year/2027/")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert page.locator("section.wd-month").count() == 12
    assert page.locator("button.wd-day").count() == 365
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    day = page.locator("button[value='2027-10-01']")
    assert day.get_attribute("data-kind") == "workday"
    page.fill("#wd-name", "国庆节")
    with page.expect_navigation():
        day.click()

    assert page.url.endswith("/admin/workdays/year/2027/?name=%E5%9B%BD%E5%BA%86%E8%8A%82#m10")
    assert page.locator("button[value='2027-10-01']").get_attribute("data-kind") == "holiday"
    assert page.locator("button[value='2027-10-01'] .wd-tag").inner_text() == "国庆节"
    assert page.locator("#m10").is_visible()
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("kind", "name")) == [
        ("holiday", "国庆节")
    ]
    page.screenshot(path=artifacts / f"calendar-grid-{screen}.png")
    problems = page.evaluate("window.__violations") + [
        m for m in console if "Content Security Policy" in m or m.startswith(("error", "pageerror"))
    ]
    assert problems == []
    context.close()

"""The charts in a real browser, under the app's own Content Security Policy: the dashboard and the ranking
board as a leader, on a desktop (1366 px) and a phone (390 px).

Each page must draw every chart on a canvas (pixels, not an empty element), raise no CSP violation —
neither a `securitypolicyviolation` event nor a console message, also while a tooltip shows — and print
its charts' tables instead of the canvases. Screenshots in test-artifacts/e2e/charts-*.png.

The data: the dashboard dataset of tests/workbench/test_dashboard_charts.py (March 2024) and the parks
group's boards published for January to March 2024 (tests/rankings/test_board_charts.py).
"""

from datetime import date

import pytest
from django.db import transaction

from apps.rankings.models import Publication

from ..factories import UnitFactory
from ..rankings.test_board_charts import frozen
from ..workbench.test_dashboard_charts import charted_district
from .conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
DESKTOP = {"width": 1366, "height": 900}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
PAGES = {
    "dashboard": ("/dashboard/?from=2024-03-01&to=2024-03-31", 4),
    "board": ("/ranking/?month=2024-03&group=parks", 2),
}

# Registered before any page script runs (Playwright injects it; the page's CSP does not apply to it).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""

# How many chart canvases hold drawn pixels (a canvas ECharts made but never painted is all transparent).
DRAWN = """() => Array.from(document.querySelectorAll("[data-chart] canvas")).filter((canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}).length"""


@pytest.fixture
def district(staff_a, staff_b, manager_a, unit_a, unit_b, leader):
    with transaction.atomic():  # (the services lock rows: in a transaction, as a request runs them)
        charted_district(staff_a, staff_b, manager_a, unit_a, unit_b)
    parks = [unit_a, unit_b, *(UnitFactory(short_name=f"园区{n}") for n in range(3, 9))]
    for number, month in enumerate((date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1))):
        ranked = parks[number:] + parks[:number]  # a different order each month
        Publication.objects.create(
            month=month,
            board=frozen(month, [(unit, rank) for rank, unit in enumerate(ranked, start=1)]),
            published_by=leader,
        )
    return leader


def _signed_in(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_init_script(LISTEN)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    return page, console


def _problems(page, console) -> list[str]:
    reported = page.evaluate("window.__violations")
    blocked = [m for m in console if "Content Security Policy" in m or m.startswith(("error", "pageerror"))]
    return reported + blocked


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", PAGES)
def test_the_charts_draw_on_canvas_under_the_csp_and_print_as_tables(
    browser, live_server, district, artifacts, name, screen
):
    path, charts = PAGES[name]
    page, console = _signed_in(browser, live_server, district, SCREENS[screen])
    response = page.goto(live_server.url + path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy

    page.wait_for_function(f"document.querySelectorAll('[data-chart] canvas').length >= {charts}")
    page.wait_for_function(f"({DRAWN})() >= {charts}")
    assert page.locator("[data-chart]").count() == charts

    # a tooltip (drawn on the canvas too: an HTML one would carry inline styles the CSP refuses)
    first = page.locator("[data-chart]").first
    first.scroll_into_view_if_needed()
    box = first.bounding_box()
    for fraction in (0.3, 0.5, 0.7):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(150)
    page.screenshot(path=artifacts / f"charts-{name}-{screen}.png", full_page=True)
    assert _problems(page, console) == []

    # the tables are there, closed, for those who want the numbers — and open on paper, without the canvas
    tables = page.locator("details.chart-numbers table")
    assert tables.count() == charts and not tables.first.is_visible()
    page.locator("details.chart-numbers summary").first.click()
    assert tables.first.is_visible()
    page.locator("details.chart-numbers summary").first.click()
    page.emulate_media(media="print")
    assert all(tables.nth(i).is_visible() for i in range(charts)), "a chart's table does not print"
    assert not page.locator("[data-chart]").first.is_visible(), "the canvas prints"
    page.emulate_media(media="screen")
    assert _problems(page, console) == []

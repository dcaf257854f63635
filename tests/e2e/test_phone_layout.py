"""The pages on a phone (issue #18, item 7), measured in a real browser: the page is never wider than the
screen (a wide table scrolls inside its own box), no table squeezes a column to one character a line (CJK
text may break after any character), and no date is broken over two lines.

Each page is measured at several phone widths (360, 375, 390 and 414 px: where a line ends moves with the
width, so a date that may break is caught at one of them), and the project page also on a tablet and a
desktop, where its problems table sat in a narrow column. `test_the_project_and_request_pages_fit` is the
quick one (the project page was 477 px wide on a 390 px screen; the request page broke "2024-03-15 17:10"
after "17:"); `test_every_page_fits_a_phone_for_each_role` walks the product as staff, a unit manager and
a leader (slow: about a hundred pages). Screenshots at 390 px in test-artifacts/e2e/phone-*.png.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from ..factories import EnterpriseFactory, UnitFactory
from ..investment.factories import create as lead_create
from ..projects.factories import TaskForceMemberFactory, planned, project_visit, report
from ..service.factories import category, make_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
PHONES = (360, 375, 390, 414)
WIDER = (820, 1024, 1366)

# What is wrong with the page as laid out now: its width beyond the viewport, the table cells whose text
# runs more than one line in a column narrower than three characters, and the dates on more than one line.
MEASURE = r"""() => {
  const found = {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                 narrow: [], dates: []};
  const lines = (range) => new Set(Array.from(range.getClientRects())
    .filter((rect) => rect.width > 0).map((rect) => Math.round(rect.bottom))).size;
  for (const cell of document.querySelectorAll("td, th")) {
    const text = cell.innerText.trim();
    if (text.length < 3 || !cell.getClientRects().length) continue;
    const style = getComputedStyle(cell);
    const width = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(cell);
    if (width < 3 * parseFloat(style.fontSize) && lines(range) > 1) {
      found.narrow.push(`${Math.round(width)}px: ${text.slice(0, 24)}`);
    }
  }
  const dates = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|\d{2}-\d{2} \d{2}:\d{2}/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || !node.parentElement.getClientRects().length) continue;
    for (const match of node.data.matchAll(dates)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      if (lines(range) > 1) found.dates.push(match[0]);
    }
  }
  return found;
}"""


def _signed_in(browser, live_server, user, width: int):
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=width < 500, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"{user.username} could not sign in"
    return page


def _faults(page, base: str, path: str, widths) -> list[str]:
    """What is wrong with the page at `path` at each of `widths` (the page loaded once, then resized)."""
    response = page.goto(base + path)
    assert response.status == 200, path
    faults = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 844})
        found = page.evaluate(MEASURE)
        if found["overflow"] > 0:
            faults.append(f"{path} at {width} px: the page is {found['overflow']} px wider than the screen")
        faults += [f"{path} at {width} px: one character a line in {cell}" for cell in found["narrow"]]
        faults += [f"{path} at {width} px: the date {d} is broken over two lines" for d in found["dates"]]
    return faults


def _district(staff_a, colleague_a, staff_b, manager_a, unit_a, unit_b):
    """A project of unit A with a year's plan, two monthly reports (its page offers their correction) and
    problems handled by unit A; requests with long titles; a lead with its handling limits; a joint action."""
    today = timezone.localdate()
    bureau = UnitFactory(
        code="bureau", name="行政审批局", short_name="审批局", kind="bureau", peer_group="bureaus"
    )
    owner = EnterpriseFactory(unit=unit_a, name="南京龙华智能股份有限公司")
    project = planned(
        unit_a,
        "19283.04",
        year=today.year,
        owner=owner,
        code="JB2024-001",
        name="龙华智能股份集成电路设计产业园项目",
        total_investment=Decimal("38566"),
        planned_start=date(today.year, 6, 17),
        actual_start=date(today.year, 3, 9),
    )
    report(project, f"{today.year}-01", "291.69", by=staff_a)
    report(project, f"{today.year}-02", "276.66", by=staff_a)
    TaskForceMemberFactory(project=project, user=manager_a, is_lead=True)
    TaskForceMemberFactory(project=project, user=staff_a)
    visited = today - timedelta(days=3)
    infrastructure = category()
    problems = [
        {"category": infrastructure, "title": title, "urgency": "normal", "handling_unit": unit}
        for title, unit in (("施工临时用电接入", unit_a), ("道路开口审批", bureau), ("排水管网接驳", unit_b))
    ]
    project_visit(project, staff_a, visited, problems=problems)
    at = timezone.now() - timedelta(hours=2)
    enterprise = EnterpriseFactory(unit=unit_a, name="南京思达健康科技有限公司")
    request = make_request(staff_a, enterprise=enterprise, handling_unit=unit_a, at=at, title="员工通勤班车")
    for n in range(3):
        make_request(
            colleague_a, enterprise=owner, handling_unit=unit_a, at=at, title=f"申请人才公寓与员工子女入学{n}"
        )
    make_request(staff_b, handling_unit=unit_b, at=at, title="生物医药中试平台用地")
    lead = lead_create(staff_a, at=at, name="新能源电池材料基地项目", expected_wan=Decimal("90800"))
    return {"project": project, "request": request, "lead": lead, "owner": owner}


@pytest.fixture
def district(staff_a, colleague_a, staff_b, manager_a, unit_a, unit_b):
    with transaction.atomic():  # (the services lock rows: in a transaction, as a request runs them)
        return _district(staff_a, colleague_a, staff_b, manager_a, unit_a, unit_b)


def test_the_project_and_request_pages_fit(browser, live_server, district, staff_a, artifacts):
    page = _signed_in(browser, live_server, staff_a, 390)
    project, request = district["project"], district["request"]
    faults = _faults(page, live_server.url, f"/projects/{project.pk}/", PHONES + WIDER)
    faults += _faults(page, live_server.url, f"/service/requests/{request.pk}/", PHONES + WIDER)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifacts / "phone-project.png", full_page=True)
    assert faults == []


ROLE_PAGES = {
    "staff_a": [
        "/",
        "/service/todo/",
        "/service/requests/logged/",
        "/service/requests/new/",
        "/service/visits/new/",
    ],
    "manager_a": ["/", "/service/unit-todo/", "/service/dispatch/", "/service/joint-actions/"],
    "leader": ["/", "/dashboard/", "/ranking/", "/ranking/published/", "/service/coverage/"],
}
EVERYONE = [
    "/service/requests/",
    "/service/visits/",
    "/service/figures/",
    "/service/notifications/",
    "/projects/",
    "/projects/overview/",
    "/projects/monthly/",
    "/enterprises/",
    "/research/entities/",
    "/research/results/",
    "/research/matches/",
    "/research/carriers/",
    "/research/figures/",
    "/investment/",
    "/investment/leads/",
    "/investment/trips/",
    "/investment/figures/",
]


@pytest.mark.slow
@pytest.mark.parametrize("who", ROLE_PAGES)
def test_every_page_fits_a_phone_for_each_role(browser, live_server, district, who, users, artifacts):
    user = users[who]
    assert user.has_perm("accounts.view_all_units") == (who == "leader")
    page = _signed_in(browser, live_server, user, 390)
    records = [
        f"/projects/{district['project'].pk}/",
        f"/service/requests/{district['request'].pk}/",
        f"/investment/leads/{district['lead'].pk}/",
        f"/enterprises/{district['owner'].pk}/",
    ]
    faults = []
    for path in ROLE_PAGES[who] + EVERYONE + records:
        faults += _faults(page, live_server.url, path, PHONES)
        name = path.strip("/").replace("/", "-") or "home"
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=artifacts / f"phone-{who}-{name}.png", full_page=True)
    assert faults == []

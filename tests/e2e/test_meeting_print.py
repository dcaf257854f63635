"""The monthly meeting's papers in a real browser: the board's print pack and the notice printed to PDF by
Chromium, and the projector on the meeting room's screens.

The dataset: March 2024's board as published, ten indicators; the parks group has 60 units (a province
group holds 50–150), measured on all ten; the bureaus group 5 units, measured on the first four. The PDFs
are read back with pypdf: every page of the pack must carry every indicator header of its group (the header
row repeats on the pages a long group goes on to), on A4 landscape; the notice is A4 portrait and names
every indicator in its attachment.
"""

import io
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from apps.accounts import roles
from apps.rankings.models import Publication, PublishedMemo

from ..factories import UnitFactory, UserFactory
from ..rankings.factories import frozen_indicators
from .conftest import DESKTOP

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pw-for-tests"  # tests/factories.py: UserFactory
NAMES = ["诉求办结率", "按时办结率", "事不过夜签收率", "企业满意率", "重点企业走访覆盖率", "投资完成序时比",
         "月度投资填报率", "成果对接推进率", "线索签约转化率", "招商线索超时率"]  # fmt: skip
BUREAU_INDICATORS = 4
SCREENS = [{"width": 1920, "height": 1080}, {"width": 1366, "height": 768}]


def _cells(count):
    return {
        f"i{n}": {"na": n == 7, "value": "87.5", "num": "7", "den": "8", "points": "9.72", "met": n % 2 == 0}
        for n in range(count)
    }


@pytest.fixture
def meeting():
    """The published board (parks: 园区单位01…60, bureaus: 局办单位1…5) and a leader to read it."""
    office = UnitFactory(
        code="dzb", name="党政办公室", short_name="党政办", kind="office", peer_group="bureaus"
    )
    bureaus = [office] + [
        UnitFactory(code=f"b{n}", short_name=f"局办单位{n}", kind="office", peer_group="bureaus")
        for n in range(2, 6)
    ]
    parks = [UnitFactory(code=f"p{n:02}", short_name=f"园区单位{n:02}") for n in range(1, 61)]
    leader = UserFactory(username="leader", display_name="赵敏", unit=office, role=roles.LEADER)

    def rows(units, indicators):
        return [
            {"unit_id": u.pk, "unit": u.short_name, "score": f"{99 - n}.0", "rank": n + 1,
             "cells": _cells(indicators), "all_met": False, "move": "same", "delta": 0, "why": [],
             "insufficient": False}
            for n, u in enumerate(units)
        ]  # fmt: skip

    board = {
        "month": "2024-03",
        "compared_with": "2024-02",
        "indicators": frozen_indicators(NAMES),
        "groups": [
            {
                "group": "bureaus",
                "label": "局办",
                "indicators": [f"i{n}" for n in range(BUREAU_INDICATORS)],
                "rows": rows(bureaus, BUREAU_INDICATORS),
                "red": [bureaus[0].pk],
                "black": [bureaus[-1].pk],
            },
            {
                "group": "parks",
                "label": "园区",
                "indicators": [f"i{n}" for n in range(len(NAMES))],
                "rows": rows(parks, len(NAMES)),
                "red": [parks[0].pk, parks[1].pk],
                "black": [parks[-1].pk, parks[-2].pk],
            },
        ],  # fmt: skip
        "peer_groups": [
            {"group": "bureaus", "label": "局办", "units": 5},
            {"group": "parks", "label": "园区", "units": 60},
        ],
    }
    publication = Publication.objects.create(
        month=date(2024, 3, 1),
        board=board,
        published_by=leader,
        published_at=datetime(2024, 4, 8, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    overdue = [{"id": 7, "title": "厂房消防验收", "enterprise": "南京某科技有限公司", "handler": "张伟",
                "due": "2024-03-20", "days_over": 12}]  # fmt: skip
    PublishedMemo.objects.create(
        publication=publication,
        unit=parks[-1],
        data={"overdue": overdue, "overdue_count": 1, "stale": [], "stale_count": 0, "red_projects": [],
              "red_count": 0},
    )  # fmt: skip
    return {"leader": leader}


def _page(browser, live_server, user, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    return page


def _text(pdf_page) -> str:
    """A PDF page's text without white space, with the Kangxi radicals some CJK fonts map their glyphs to
    (⾏ for 行) folded back into ideographs."""
    return "".join(unicodedata.normalize("NFKC", pdf_page.extract_text()).split())


def _pdf(page, url) -> PdfReader:
    page.goto(url)
    return PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))


def test_the_print_pack_puts_every_group_on_a4_landscape_with_every_indicator_header(
    browser, live_server, meeting, artifacts
):
    page = _page(browser, live_server, meeting["leader"])
    pdf = _pdf(page, live_server.url + "/ranking/pack/?month=2024-03")
    (artifacts / "meeting-pack.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
    groups = []
    for number, pdf_page in enumerate(pdf.pages, start=1):
        width, height = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert (round(width), round(height)) == (842, 595), f"page {number} is not A4 landscape"
        text = _text(pdf_page)
        group = "parks" if "园区单位" in text else "bureaus" if "局办单位" in text else None
        assert group, f"page {number} shows no unit (blank or header only): {text[:200]}"
        assert not ("园区单位" in text and "局办单位" in text), f"page {number} mixes two groups"
        shown = NAMES if group == "parks" else NAMES[:BUREAU_INDICATORS]
        missing = [name for name in shown if name not in text]
        assert not missing, f"page {number} ({group}) lacks the indicator headers {missing}"
        groups.append(group)
    # one group per page, bureaus first, the 60 parks going on over pages under their repeated header
    assert groups[0] == "bureaus" and groups.count("bureaus") == 1
    assert groups[1:] == ["parks"] * (len(groups) - 1) and len(groups) >= 3
    every_park = "".join(_text(p) for p in pdf.pages[1:])
    assert all(f"园区单位{n:02}" in every_park for n in range(1, 61))


def test_the_board_page_prints_every_indicator_column(browser, live_server, meeting):
    page = _page(browser, live_server, meeting["leader"])
    pdf = _pdf(page, live_server.url + "/ranking/?month=2024-03&group=parks")
    first = _text(pdf.pages[0])
    assert "园区单位01" in first, "the first printed page of the board is blank"
    assert [name for name in NAMES if name not in first] == []
    assert all(round(float(p.mediabox.width)) == 842 for p in pdf.pages)


def test_the_notice_prints_on_a4_portrait_and_names_every_indicator(browser, live_server, meeting, artifacts):
    page = _page(browser, live_server, meeting["leader"])
    pdf = _pdf(page, live_server.url + "/ranking/notice/?month=2024-03")
    (artifacts / "meeting-notice.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
    assert all(
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (595, 842) for p in pdf.pages
    ), "the notice is not A4 portrait"
    text = "".join(_text(p) for p in pdf.pages)
    assert "江北新区管委会办公室" in text
    assert "园区单位01" in text and "园区单位60" in text  # the parks' first and last
    assert "厂房消防验收" in text  # the overdue item, frozen with the board
    assert [name for name in NAMES if name not in text] == []
    assert len(pdf.pages) >= 2  # the attachment starts a page


def _visible_units(page) -> list[str]:
    return page.eval_on_selector_all(
        "table.ranking tbody tr:not([hidden])", "rows => rows.map(r => r.cells[1].innerText.split(/\\s/)[0])"
    )


def _fits(page) -> None:
    width = page.evaluate(
        """() => ({
            document: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
            scrollers: Array.from(document.querySelectorAll('.table-wrap, .tabs'))
                .map(e => [e.scrollWidth, e.clientWidth]),
            table: [document.querySelector('table.ranking').getBoundingClientRect().right, innerWidth],
            bottom: [document.querySelector('table.ranking').getBoundingClientRect().bottom, innerHeight],
        })"""
    )
    assert width["document"][0] <= width["document"][1], f"the page scrolls sideways: {width}"
    assert all(scroll <= client for scroll, client in width["scrollers"]), (
        f"a table scrolls sideways: {width}"
    )
    assert width["table"][0] <= width["table"][1], width
    assert width["bottom"][0] <= width["bottom"][1], f"more rows than one screenful: {width}"


@pytest.mark.parametrize("screen", SCREENS, ids=["1920x1080", "1366x768"])
def test_the_projector_fits_the_screen_and_the_arrow_keys_page_through_rows_and_groups(
    browser, live_server, meeting, artifacts, screen
):
    page = _page(browser, live_server, meeting["leader"], viewport=screen)
    page.goto(live_server.url + "/ranking/projector/?month=2024-03&group=parks")
    _fits(page)
    first = _visible_units(page)
    assert first[0] == "园区单位01" and 5 < len(first) < 60
    page.screenshot(path=artifacts / f"projector-{screen['width']}.png")

    page.keyboard.press("PageDown")
    second = _visible_units(page)
    assert second[0] == f"园区单位{len(first) + 1:02}"
    _fits(page)
    page.keyboard.press("ArrowLeft")
    assert _visible_units(page) == first

    with page.expect_navigation():  # before the first rows: the previous group (at its last rows)
        page.keyboard.press("ArrowLeft")
    assert page.url.split("#")[0].endswith("group=bureaus")
    page.wait_for_function("document.querySelector('[data-projector-rows]').textContent !== ''")
    _fits(page)
    assert _visible_units(page) == ["党政办", "局办单位2", "局办单位3", "局办单位4", "局办单位5"]

    with page.expect_navigation():  # the bureaus fit one screen: → opens the next group at its first rows
        page.keyboard.press("ArrowRight")
    assert page.url.split("#")[0].endswith("group=parks")
    page.wait_for_function("document.querySelector('[data-projector-rows]').textContent !== ''")
    assert _visible_units(page) == first


def test_the_projector_prints_every_row_with_no_blank_first_page(browser, live_server, meeting):
    page = _page(browser, live_server, meeting["leader"], viewport=SCREENS[1])
    pdf = _pdf(page, live_server.url + "/ranking/projector/?month=2024-03&group=parks")
    first = _text(pdf.pages[0])
    assert "园区单位01" in first, "the projector prints a blank first page"
    assert [name for name in NAMES if name not in first] == []
    every = "".join(_text(p) for p in pdf.pages)
    assert all(f"园区单位{n:02}" in every for n in range(1, 61))

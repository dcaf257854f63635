"""Drill-downs add up (issue #16, item 5): every linked number of the ranking board and of the dashboard opens
a list that counts exactly what the number counts, and a number whose records the viewer may not open shows
without a link.

The demo district is built once for this module inside a transaction rolled back at the end. A leader walks
every peer group of the published month (February 2024), the live month of the demo (March 2024) and the
current month, and every linked number of the dashboard; each list is fetched once (cached by URL) and its
count — the paginator's, or the monthly reporting screen's "done of total" — compared with the cell's
denominator (and its numerator's list with the numerator). A measure in money (project progress, the amounts
on the dashboard) is compared with the sum of the listed records' amounts.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.views import TwoEndedPaginator
from apps.projects.models import months_completed
from apps.projects.views import _show_progress, project_table
from apps.rankings.computations import COMPUTATIONS
from apps.units.models import Unit

# builds the demo district (~80 s) and walks every cell: a crawl, run by `make test-slow` (README)
pytestmark = pytest.mark.slow

PUBLISHED, LIVE = date(2024, 2, 1), date(2024, 3, 1)
REPORT = (date(2024, 2, 19), date(2024, 3, 15))  # the period of the district's March report


@pytest.fixture(scope="module")
def lists():
    """What each list URL opened, fetched once per URL for the module: {url: (count, amounts)}."""
    return {}


@pytest.fixture(autouse=True)
def _lists_count_every_row(monkeypatch):
    """The walk compares each number with the whole list it opens: lists count past their usual cap here
    (settings.LIST_COUNT_CAP, 1,000 — a list over it says "more than 1,000", which a count cannot check)."""
    monkeypatch.setattr(TwoEndedPaginator, "cap", 1_000_000)


def _client(username) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _opened(client, url, lists) -> tuple[int, dict]:
    """The list's total count (all pages) and the sums of its records' amounts, from the view's context."""
    if url in lists:
        return lists[url]
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    amounts = {}
    if "paginator" in context and context["paginator"] is not None:
        count = context["paginator"].count
        rows = context["paginator"].object_list
        model = rows.model._meta.model_name
        if model == "project":
            # the list reads its rows as values and works out each one's progress in Python for the rows it
            # shows (projects.views): the same, for every row it lists
            rows = project_table(rows)
            _show_progress(rows, months=months_completed(context["as_of"]), as_of=context["as_of"])
            amounts = {
                "plan": sum((p.plan_wan or 0 for p in rows), Decimal(0)),
                "done": sum((p.completed_wan or 0 for p in rows), Decimal(0)),
            }
        elif model == "lead":
            amounts = {"signed": sum((lead.signed_wan or 0 for lead in rows), Decimal(0))}
    elif "total" in context:  # the monthly reporting screen: "done of total reported"
        count = context["total"]
        amounts = {"done": context["done"]}
    else:  # a page that is no list of the records (e.g. a figures page): counts nothing
        count = None
    lists[url] = (count, amounts)
    return lists[url]


def _board(client, month: date, group: str):
    response = client.get(reverse("rankings:board"), {"month": f"{month:%Y-%m}", "group": group})
    assert response.status_code == 200
    return response


def _cells(response):
    """(unit id, indicator, cell) of every cell of the group the page shows."""
    group = response.context["group"]
    for row in group["rows"]:
        for column, cell in zip(group["columns"], row["ordered"], strict=True):
            yield row["unit_id"], column, cell


def _months() -> list[date]:
    today = timezone.localdate()
    return [PUBLISHED, LIVE, date(today.year, today.month, 1)]


@pytest.mark.django_db
def test_every_board_cell_opens_the_records_its_number_counts(demo_district, lists):
    client = _client("zhaomin")  # the district leader: may open every unit's records
    wrong, linked, unlinked = [], 0, []
    for month in _months():
        first = _board(client, month, Unit.PeerGroup.values[0])
        for tab in first.context["peer_groups"]:
            page = _board(client, month, tab["group"])
            assert page.context["group"]["group"] == tab["group"]
            for unit_id, column, cell in _cells(page):
                if cell["na"]:
                    continue
                where = f"{month:%Y-%m} unit {unit_id} {column['code']}"
                if not cell["url"]:
                    unlinked.append(where)
                    continue
                linked += 1
                computation = COMPUTATIONS[column["computation"]]
                count, amounts = _opened(client, cell["url"], lists)
                if column["computation"] == "project_progress":  # amounts: the projects' plans and done
                    got = (str(amounts["done"]), str(amounts["plan"]))
                    expected = (str(Decimal(cell["num"])), str(Decimal(cell["den"])))
                elif column["computation"] == "project_reporting":  # the screen says "done of total"
                    got, expected = (amounts["done"], count), (int(cell["num"]), int(cell["den"]))
                else:
                    got, expected = (count,), (int(cell["den"]),)
                    numerator = getattr(computation, "numerator_url", None)
                    extra = numerator(unit_id, *_bounds(month)) if numerator else ""
                    if extra:
                        got += (_opened(client, extra, lists)[0],)
                        expected += (int(cell["num"]),)
                if got != expected:
                    wrong.append(f"{where}: {cell['url']} lists {got}, the cell counts {expected}")
    assert not unlinked, f"a leader may open every unit's records: {unlinked}"
    assert linked > 100  # the walk walked: every indicator of every group in the demo's two months
    assert not wrong, "\n".join(wrong)


def _bounds(month: date) -> tuple[date, date]:
    from apps.rankings.board import month_bounds

    return month_bounds(month)


@pytest.mark.django_db
def test_a_staff_member_sees_other_units_lead_cells_without_a_link_and_their_own_with_one(demo_district):
    client = _client("zhangwei")  # staff of 研创园 (yjy), in the parks group
    own = Unit.objects.get(code="yjy")
    response = _board(client, LIVE, Unit.PeerGroup.PARKS)
    html = response.content.decode()
    leads = {"investment_stale", "investment_conversion"}
    seen_own = seen_other = 0
    for unit_id, column, cell in _cells(response):
        if column["computation"] not in leads or cell["na"]:
            continue
        expected = COMPUTATIONS[column["computation"]].url(unit_id, *_bounds(LIVE))
        if unit_id == own.pk:
            seen_own += 1
            assert cell["url"] == expected
            assert f'href="{expected.replace("&", "&amp;")}"' in html
            listed = client.get(cell["url"])
            assert listed.status_code == 200
            assert listed.context["paginator"].count == int(cell["den"])
            assert {lead.unit_id for lead in listed.context["paginator"].object_list} == {own.pk}
        else:
            seen_other += 1
            assert cell["url"] == ""
            assert f'href="{expected.replace("&", "&amp;")}"' not in html
    assert seen_own and seen_other
    # another unit's lead list, asked for by hand, shows none of its leads: that unit is not a choice of the
    # filter (an error on the field), and the list keeps to the viewer's own leads
    other = Unit.objects.get(code="cbd")
    listed = client.get(COMPUTATIONS["investment_conversion"].url(other.pk, *_bounds(LIVE)))
    assert listed.status_code == 200
    assert listed.context["filter"].form.errors.keys() == {"unit"}
    assert {lead.unit_id for lead in listed.context["paginator"].object_list} == {own.pk}
    choices = [str(value) for value, _label in listed.context["filter"].form.fields["unit"].widget.choices]
    assert choices == ["", str(own.pk)]


# --- the dashboard ----------------------------------------------------------------------------------------


def _dashboard(client, start: date, end: date, unit: Unit | None = None):
    query = {"from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}"} | ({"unit": unit.pk} if unit else {})
    response = client.get(reverse("dashboard"), query)
    assert response.status_code == 200
    return [card for campaign in response.context["campaigns"] for card in campaign["cards"]]


def _compare(client, cards, lists, where) -> tuple[list[str], int]:
    wrong, linked = [], 0
    for card in cards:
        if not card["link"]:
            continue
        linked += 1
        count, amounts = _opened(client, card["link"], lists)
        if card["key"] == "completed_wan":
            got = amounts["done"]
        elif card["key"] == "signed_amount_wan":
            got = amounts["signed"]
        else:
            got = count
        if got != card["value"]:
            wrong.append(f"{where} {card['key']}: {card['link']} lists {got}, the number is {card['value']}")
    return wrong, linked


@pytest.mark.django_db
def test_every_linked_dashboard_number_opens_the_records_it_counts(demo_district, lists):
    client = _client("zhaomin")
    wrong, linked = [], 0
    periods = [REPORT, (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 1), date(2024, 12, 31))]
    for start, end in periods:
        found, n = _compare(client, _dashboard(client, start, end), lists, f"district {start}–{end}")
        wrong, linked = wrong + found, linked + n
    for code in ("jjfzj", "yjy", "cbd", "dsjd"):
        unit = Unit.objects.get(code=code)
        found, n = _compare(client, _dashboard(client, *REPORT, unit), lists, f"{code} {REPORT}")
        wrong, linked = wrong + found, linked + n
    assert not wrong, "\n".join(wrong)
    assert linked == 7 * 17  # every count and amount of the dashboard with an exact list


@pytest.mark.django_db
def test_a_staff_members_dashboard_links_confidential_numbers_only_for_their_own_unit(demo_district, lists):
    client = _client("zhangwei")
    district_cards = {c["key"]: c for c in _dashboard(client, *REPORT)}
    for key in ("requests", "requests_closed", "projects", "signed", "pipeline_100m_plus"):
        assert district_cards[key]["link"] is None, key  # the district's: not all theirs to open
    for key in ("results", "carriers", "trips_led_by_head"):
        assert district_cards[key]["link"], key  # open to everyone
    own = _dashboard(client, *REPORT, Unit.objects.get(code="yjy"))
    wrong, linked = _compare(client, own, {}, "yjy as its staff")
    assert {c["key"] for c in own if c["link"]} >= {"requests", "signed", "pipeline_100m_plus", "projects"}
    assert not wrong, "\n".join(wrong)

"""The pages of campaign 3: lists with their filters and exports, the matching workspace with its ranked
suggestions, proposing and moving matches from the page, refused writes that change nothing, the carrier
form's area check, and query counts that do not grow with the rows behind a page."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apps.enterprises.models import Enterprise
from apps.research.models import Carrier, Match, MatchEvent, Result, ResultEvent

from ..conftest import client_for
from ..factories import EnterpriseFactory
from .factories import (
    REASON,
    CarrierFactory,
    EntityFactory,
    MatchFactory,
    ResultFactory,
    catalogue,
    entity_visit,
    match_at,
)

pytestmark = pytest.mark.django_db

M, R = Match.Status, Result.Status
RESULTS = reverse("research:result_list")
CARRIERS = reverse("research:carrier_list")
MATCHES = reverse("research:match_list")
ENTITIES = reverse("research:entity_list")


def workspace(result) -> str:
    return reverse("research:result_detail", args=[result.pk])


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {str(obj) for obj in response.context["object_list"]}


def exported(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def state() -> dict:
    """Everything a refused write must leave as it was."""
    return {
        "results": list(Result.objects.order_by("pk").values()),
        "result_events": ResultEvent.objects.count(),
        "matches": list(Match.objects.order_by("pk").values()),
        "match_events": MatchEvent.objects.count(),
        "carriers": list(Carrier.objects.order_by("pk").values()),
        "enterprises": Enterprise.objects.count(),
    }


# --- lists, filters and exports --------------------------------------------------------------------


@pytest.fixture
def results(unit_a, unit_b):
    ResultFactory(title="甲-入库-C", unit=unit_a, industry="C", status=R.CATALOGUED)
    ResultFactory(title="乙-对接-C", unit=unit_a, industry="C", status=R.MATCHING)
    ResultFactory(title="丙-对接-I", unit=unit_b, industry="I", status=R.MATCHING)
    ResultFactory(title="丁-落地-I", unit=unit_a, industry="I", status=R.LANDED)


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", {"甲-入库-C", "乙-对接-C", "丙-对接-I", "丁-落地-I"}),
        ("?status=matching", {"乙-对接-C", "丙-对接-I"}),
        ("?industry=C", {"甲-入库-C", "乙-对接-C"}),
        ("?status=matching&industry=I", {"丙-对接-I"}),
        ("?status=shelved", set()),
    ],
)
def test_the_results_list_filters_by_status_and_industry(results, staff_b, query, titles):
    """R&D records are shared: staff of unit B sees unit A's results too."""
    assert listed(client_for(staff_b).get(RESULTS + query)) == titles


def test_the_results_export_holds_exactly_the_filtered_rows(results, staff_a):
    rows = exported(client_for(staff_a).get(reverse("research:result_export") + "?status=matching"))

    assert rows[0][:2] == ["成果名称", "研发主体"]
    assert sorted((r[0], r[8]) for r in rows[1:]) == [("丙-对接-I", "Matching"), ("乙-对接-C", "Matching")]


@pytest.fixture
def carriers(unit_a, unit_b):
    CarrierFactory(
        name="A孵化器",
        park=unit_a,
        kind="incubator",
        industries=["C", "I"],
        free_area_m2=Decimal("500"),
        total_area_m2=Decimal("1000"),
    )
    CarrierFactory(
        name="A厂房",
        park=unit_a,
        kind="factory",
        industries=["M"],
        free_area_m2=Decimal("2000"),
        total_area_m2=Decimal("5000"),
    )
    CarrierFactory(name="B孵化器", park=unit_b, kind="incubator", industries=[], free_area_m2=Decimal("100"))
    CarrierFactory(name="B地块", park=unit_b, kind="land", industries=["C"], free_area_m2=Decimal("0"))


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", {"A孵化器", "A厂房", "B孵化器", "B地块"}),
        ("?park={a}", {"A孵化器", "A厂房"}),
        ("?kind=incubator", {"A孵化器", "B孵化器"}),
        ("?industry=C", {"A孵化器", "B地块"}),
        ("?min_free=500", {"A孵化器", "A厂房"}),
        ("?min_free=500.01", {"A厂房"}),
        ("?park={b}&kind=incubator", {"B孵化器"}),
    ],
)
def test_the_carrier_library_filters_by_park_kind_industry_and_free_area(
    carriers, staff_a, unit_a, unit_b, query, names
):
    url = CARRIERS + query.format(a=unit_a.pk, b=unit_b.pk)
    assert listed(client_for(staff_a).get(url)) == names


def test_the_carrier_library_sums_free_area_by_park_and_kind(carriers, staff_a, unit_a):
    summary = client_for(staff_a).get(f"{CARRIERS}?park={unit_a.pk}").context["summary"]

    assert [(s["park__short_name"], s["kind"], s["n"], s["free"], s["pct"]) for s in summary] == [
        ("研创园", "factory", 1, Decimal("2000.00"), Decimal("40.0")),
        ("研创园", "incubator", 1, Decimal("500.00"), Decimal("50.0")),
    ]


def test_free_shares_are_rounded_half_up_like_every_percentage(staff_a, unit_a):
    CarrierFactory(name="半", park=unit_a, total_area_m2=Decimal("200"), free_area_m2=Decimal("24.50"))

    response = client_for(staff_a).get(CARRIERS)

    assert [s["pct"] for s in response.context["summary"]] == [Decimal("12.3")]  # 12.25 → 12.3
    assert [c.free_share for c in response.context["object_list"]] == [Decimal("12.3")]


def test_the_carrier_export_holds_exactly_the_filtered_rows(carriers, staff_a, unit_b):
    rows = exported(client_for(staff_a).get(f"{reverse('research:carrier_export')}?park={unit_b.pk}"))

    assert rows[0][:6] == ["名称", "类型", "园区", "地址", "总面积（㎡）", "空置面积（㎡）"]
    assert sorted((r[0], r[2], r[5]) for r in rows[1:]) == [
        ("B地块", "医药谷", 0),
        ("B孵化器", "医药谷", 100),
    ]


@pytest.fixture
def matches(staff_a):
    result = ResultFactory(title="成果", unit=staff_a.unit, status=R.MATCHING)
    MatchFactory(result=result, carrier=CarrierFactory(name="载体-提出"), created_by=staff_a)
    MatchFactory(
        result=result,
        carrier=CarrierFactory(name="载体-失败"),
        created_by=staff_a,
        status=M.FAILED,
        failed_reason=REASON,
    )
    MatchFactory(result=result, carrier=CarrierFactory(name="载体-落地"), created_by=staff_a, status=M.LANDED)


@pytest.mark.parametrize(
    ("query", "carriers"),
    [
        ("", {"载体-提出", "载体-失败", "载体-落地"}),
        ("?status=failed", {"载体-失败"}),
        ("?status=contacted", set()),
    ],
)
def test_the_match_list_filters_by_status(matches, staff_b, query, carriers):
    response = client_for(staff_b).get(MATCHES + query)

    assert response.status_code == 200
    assert {m.carrier.name for m in response.context["object_list"]} == carriers


def test_the_match_export_holds_exactly_the_filtered_rows(matches, staff_a):
    rows = exported(client_for(staff_a).get(reverse("research:match_export") + "?status=failed"))

    assert rows[0] == ["成果", "载体", "企业", "状态", "发起时间", "落地情况", "失败原因"]
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in rows[1:]] == [
        ("成果", "载体-失败", None, "Failed", REASON)
    ]


# --- the matching workspace ------------------------------------------------------------------------


@pytest.fixture
def result_a(staff_a, unit_a):
    entity = EntityFactory(unit=unit_a, park=unit_a, name="南京示例研究院")
    return catalogue(
        staff_a, entity=entity, title="高通量基因测序仪", industry="C", need_space_m2=Decimal("800")
    )


@pytest.fixture
def ranked(unit_a, unit_b):
    """Four carriers with free space (scores 100, 62.5, 50, 42.5) and one without."""
    CarrierFactory(name="医药谷科创大厦", park=unit_b, industries=[], free_area_m2=Decimal("600"))
    CarrierFactory(name="研创园孵化器A", park=unit_a, industries=["C"], free_area_m2=Decimal("1000"))
    CarrierFactory(name="研创园标准厂房", park=unit_a, industries=["C"], free_area_m2=Decimal("0"))
    CarrierFactory(name="研创园加速器B", park=unit_a, industries=["M"], free_area_m2=Decimal("900"))
    CarrierFactory(name="医药谷标准厂房", park=unit_b, industries=["C"], free_area_m2=Decimal("333"))
    return ["研创园孵化器A", "医药谷标准厂房", "研创园加速器B", "医药谷科创大厦"]


def test_the_workspace_shows_the_suggestions_in_order_with_their_scores(result_a, ranked, staff_b):
    response = client_for(staff_b).get(workspace(result_a))

    assert response.status_code == 200
    suggestions = response.context["suggestions"]
    assert [(s.carrier.name, s.score) for s in suggestions] == [
        ("研创园孵化器A", Decimal("100")),
        ("医药谷标准厂房", Decimal("62.5")),
        ("研创园加速器B", Decimal("50")),
        ("医药谷科创大厦", Decimal("42.5")),
    ]
    html = response.content.decode()
    positions = [html.index(name) for name in ranked]
    assert positions == sorted(positions)
    assert "研创园标准厂房" not in html
    assert "in the entity&#x27;s own park (+20)" in html


def test_the_workspace_shows_at_most_ten_suggestions(result_a, unit_a, staff_a):
    for i in range(12):
        CarrierFactory(
            name=f"载体{i:02d}",
            park=unit_a,
            industries=["C"],
            free_area_m2=Decimal(1000 + i),
            total_area_m2=5000,
        )

    suggestions = client_for(staff_a).get(workspace(result_a)).context["suggestions"]

    assert [s.carrier.name for s in suggestions] == [f"载体{i:02d}" for i in range(11, 1, -1)]


def test_proposing_a_carrier_from_the_workspace_creates_the_match(result_a, ranked, staff_a):
    carrier = Carrier.objects.get(name="研创园孵化器A")

    response = client_for(staff_a).post(
        reverse("research:match_propose", args=[result_a.pk]), {"carrier": carrier.pk, "note": "先电话联系"}
    )

    assert response.status_code == 302
    assert response["Location"] == workspace(result_a)
    match = Match.objects.get()
    assert (match.result, match.carrier, match.enterprise, match.status, match.note, match.created_by) == (
        result_a,
        carrier,
        None,
        M.PROPOSED,
        "先电话联系",
        staff_a,
    )
    result_a.refresh_from_db()
    assert result_a.status == R.MATCHING
    assert messages_of(response) == ["Match proposed."]


def test_proposing_an_enterprise_by_credit_code_creates_the_match(result_a, staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)

    client_for(staff_a).post(
        reverse("research:match_propose", args=[result_a.pk]),
        {"enterprise_code": enterprise.credit_code.lower()},
    )

    assert list(Match.objects.values_list("carrier", "enterprise")) == [(None, enterprise.pk)]


def test_proposing_nothing_or_an_unknown_credit_code_shows_an_error_and_changes_nothing(result_a, staff_a):
    url = reverse("research:match_propose", args=[result_a.pk])
    before = state()

    nothing = client_for(staff_a).post(url, {"note": "x"})
    unknown = client_for(staff_a).post(url, {"enterprise_code": "91320111MA00000000"})

    assert messages_of(nothing) == ["Choose a carrier or an enterprise."]
    assert messages_of(unknown) == ["No enterprise has this credit code."]
    assert state() == before


def test_moving_a_match_from_the_workspace_records_the_move(result_a, staff_a, colleague_a):
    match = match_at(result_a, M.PROPOSED, staff_a)

    response = client_for(colleague_a).post(
        reverse("research:match_move", args=[match.pk]), {"to": "contacted"}
    )

    assert response["Location"] == workspace(result_a)
    match.refresh_from_db()
    assert match.status == M.CONTACTED
    assert MatchEvent.objects.filter(match=match).last().by == colleague_a


def test_failing_a_match_without_a_reason_from_the_page_shows_an_error_and_changes_nothing(result_a, staff_a):
    match = match_at(result_a, M.CONTACTED, staff_a)
    before = state()

    response = client_for(staff_a).post(reverse("research:match_move", args=[match.pk]), {"to": "failed"})

    assert messages_of(response) == ["Give the reason the match failed."]
    assert state() == before


def test_a_skipped_step_from_the_page_shows_an_error_and_changes_nothing(result_a, staff_a):
    match = match_at(result_a, M.PROPOSED, staff_a)
    before = state()

    response = client_for(staff_a).post(
        reverse("research:match_move", args=[match.pk]), {"to": "landed", "landed_how": "入驻"}
    )

    assert messages_of(response) == ["A match cannot go from “Proposed” to “Landed”."]
    assert state() == before


def test_shelving_from_the_page_records_the_reason(result_a, staff_a):
    client_for(staff_a).post(
        reverse("research:result_move", args=[result_a.pk]), {"to": "shelved", "note": REASON}
    )

    result_a.refresh_from_db()
    assert (result_a.status, result_a.shelved_reason) == (R.SHELVED, REASON)


# --- refused writes --------------------------------------------------------------------------------


def test_another_units_staff_sees_the_workspace_without_the_forms(result_a, ranked, staff_b):
    response = client_for(staff_b).get(workspace(result_a))

    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert reverse("research:match_propose", args=[result_a.pk]) not in response.content.decode()


def test_another_units_staff_cannot_propose_and_nothing_changes(result_a, ranked, staff_b):
    before = state()

    response = client_for(staff_b).post(
        reverse("research:match_propose", args=[result_a.pk]), {"carrier": Carrier.objects.first().pk}
    )

    assert response.status_code in (403, 404)
    assert state() == before


@pytest.mark.parametrize(("to", "extra"), [("contacted", {}), ("failed", {"note": REASON})])
def test_another_units_staff_cannot_move_a_match_and_nothing_changes(result_a, staff_a, staff_b, to, extra):
    match = match_at(result_a, M.PROPOSED, staff_a)
    before = state()

    response = client_for(staff_b).post(reverse("research:match_move", args=[match.pk]), {"to": to, **extra})

    assert response.status_code in (403, 404)
    assert state() == before


def test_another_units_staff_cannot_shelve_a_result_and_nothing_changes(result_a, staff_b):
    before = state()

    response = client_for(staff_b).post(
        reverse("research:result_move", args=[result_a.pk]), {"to": "shelved", "note": REASON}
    )

    assert response.status_code in (403, 404)
    assert state() == before


def test_another_units_staff_cannot_edit_a_carrier_and_nothing_changes(staff_b, unit_a):
    carrier = CarrierFactory(park=unit_a, name="研创园孵化器")
    before = state()

    response = client_for(staff_b).post(
        reverse("research:carrier_update", args=[carrier.pk]),
        {
            "name": "改名",
            "kind": "office",
            "park": unit_a.pk,
            "unit": unit_a.pk,
            "total_area_m2": "1",
            "free_area_m2": "1",
        },
    )

    assert response.status_code in (403, 404)
    assert state() == before


# --- the carrier form ------------------------------------------------------------------------------


def carrier_form(park, **changes) -> dict:
    return {
        "name": "研创园加速器C座",
        "kind": "accelerator",
        "park": park.pk,
        "unit": park.pk,
        "total_area_m2": "5000",
        "free_area_m2": "1200.5",
        "industries": ["C", "I"],
        **changes,
    }


def test_the_carrier_form_refuses_more_free_area_than_total(staff_a, unit_a):
    response = client_for(staff_a).post(
        reverse("research:carrier_create"), carrier_form(unit_a, total_area_m2="1000", free_area_m2="1000.01")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "free_area_m2": ["The free area cannot exceed the total area."]
    }
    assert Carrier.objects.count() == 0


def test_the_carrier_form_creates_a_carrier(staff_a, unit_a):
    response = client_for(staff_a).post(reverse("research:carrier_create"), carrier_form(unit_a))

    carrier = Carrier.objects.get()
    assert response["Location"] == reverse("research:carrier_update", args=[carrier.pk])
    assert (carrier.name, carrier.park, carrier.unit, carrier.free_area_m2, carrier.industries) == (
        "研创园加速器C座",
        unit_a,
        unit_a,
        Decimal("1200.50"),
        ["C", "I"],
    )


def test_the_carrier_form_will_not_set_another_units_owner(staff_a, unit_a, unit_b):
    response = client_for(staff_a).post(
        reverse("research:carrier_create"), carrier_form(unit_a, unit=unit_b.pk)
    )

    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert Carrier.objects.count() == 0


# --- query counts ----------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_rows(n: int, staff_a, unit_a, unit_b):
    """n results of unit A with an entity each, n carriers in two parks and three kinds, n matches."""
    result = Result.objects.get(title="工作台成果")
    for i in range(n):
        entity = EntityFactory(unit=unit_a, park=unit_b if i % 2 else unit_a)
        entity_visit(entity, staff_a, date(2024, 3, 1))
        ResultFactory(entity=entity, unit=unit_a, staff=staff_a, trl=5)
        carrier = CarrierFactory(
            park=unit_a if i % 2 else unit_b,
            kind=("incubator", "factory", "land")[i % 3],
            industries=["C"] if i % 2 else [],
            free_area_m2=Decimal(100 + i),
        )
        match = match_at(result, (M.PROPOSED, M.CONTACTED, M.FAILED)[i % 3], staff_a, carrier=carrier)
        if i % 4 == 0:
            match.enterprise = EnterpriseFactory(unit=unit_a)
            match.save(update_fields=["enterprise"])


@pytest.mark.parametrize(
    "url",
    [
        RESULTS,
        f"{RESULTS}?status=catalogued&industry=C",
        CARRIERS,
        f"{CARRIERS}?kind=incubator&min_free=1",
        MATCHES,
        ENTITIES,
        "workspace",
    ],
)
def test_pages_make_the_same_number_of_queries_for_3_and_30_rows(url, staff_a, unit_a, unit_b):
    result = catalogue(staff_a, title="工作台成果", need_space_m2=Decimal("500"))
    url = workspace(result) if url == "workspace" else url
    client = client_for(staff_a)
    add_rows(3, staff_a, unit_a, unit_b)
    client.get(url)  # warm up the session and the content types
    few = count_queries(client, url)

    add_rows(27, staff_a, unit_a, unit_b)
    many = count_queries(client, url)

    assert few == many

"""quality.md, "Bad input gets a clear error and nothing is lost": the cases no other test file covers yet.

Covered elsewhere (not repeated here): the enterprise list's pages, orderings and malformed ids and HTML in
enterprise names (tests/enterprises/test_views.py); every CSV/XLSX case of the import pipeline — empty,
header-only, missing, extra and duplicate columns, BOM, GB18030, merged cells, formulas, size limit, the same
rows twice, NUL bytes, zero-width and bidi characters (tests/core/test_imports.py); full-width digits and
NaN in monthly investment (tests/projects); 30 February when signing a lead and a trip ending before it
starts (tests/investment); requests and signings at 23:59:59 on a month's last day in the campaign figures
(tests/service/test_figures.py, tests/investment/test_figures.py); unknown ids in the figures API
(tests/rankings/test_api.py). Random values in every form: test_forms_fuzz.py.
"""

import io
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.projects.models import Project, YearPlan
from apps.rankings.models import Publication
from apps.service.models import Request

from ..conftest import client_for
from ..service.factories import local, make_request
from .conftest import error_messages, row_counts

# Every list page (FilteredListView) but the enterprises', whose pages tests/enterprises covers.
LISTS = [
    "service:request_list",
    "service:visit_list",
    "projects:list",
    "research:entity_list",
    "research:result_list",
    "research:carrier_list",
    "research:match_list",
    "investment:lead_list",
    "investment:trip_list",
]
EXPORTS = [
    "enterprises:export",
    "service:request_export",
    "service:visit_export",
    "projects:export",
    "research:entity_export",
    "research:result_export",
    "research:carrier_export",
    "research:match_export",
    "investment:lead_export",
    "investment:trip_export",
]
# "²" passes str.isdigit() but int() refuses it; "1.5" and "9" * 30 are numbers no page has.
BAD_PAGES = ["0", "-1", "abc", "999999", "1.5", "9" * 30, "²", "\x00"]
ORDERINGS = [
    "DROP TABLE service_request",
    "received; DROP TABLE service_request;--",
    "-id",
    "title",
    "unknown,received",
    "\x00",
    "received\u202e",
]
# Ids in query strings: not a number, a digit that int() refuses, negative, unknown, beyond bigint, NUL.
BAD_IDS = ["abc", "²", "-1", "0", "999999", str(2**63), "9" * 30, "1\x00", "１２", "", " 1"]
BAD_DATES = ["2024-02-30", "0001-01-01", "9999-12-31", "2024-13-01", "abc", "\x00", "-1", "2024-02", "²"]
SEARCHES = [
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "'",
    "²",
    "#²",
    f"#{2**63}",
    "\u202e",
    "😀",
    " " * 300,
    "字" * 500,
]


def _as(world, who):
    """A new client signed in as `who` (new: no message left over from an earlier answer)."""
    return client_for(world.users[who])


# --- ?page= and ?ordering= ------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_a_malformed_or_out_of_range_page_is_404_and_the_first_and_last_are_shown(world, url):
    client = _as(world, "leader")
    answers = {
        page: client.get(reverse(url), {"page": page}).status_code for page in [*BAD_PAGES, "1", "last"]
    }
    assert answers == {**dict.fromkeys(BAD_PAGES, 404), "1": 200, "last": 200}


def test_an_unknown_or_sql_like_ordering_is_ignored_on_the_request_list(world):
    staff_a = world.users["staff_a"]
    visible = sorted(Request.objects.visible_to(staff_a).values_list("pk", flat=True))
    total = Request.objects.count()
    client = client_for(staff_a)
    for ordering in ORDERINGS:
        response = client.get(reverse("service:request_list"), {"ordering": ordering})
        assert response.status_code == 200, ordering
        assert sorted(r.pk for r in response.context["object_list"]) == visible, ordering
    assert Request.objects.count() == total  # nothing dropped


@pytest.mark.parametrize("url", [*LISTS, *EXPORTS])
def test_any_ordering_is_harmless_on_every_list_and_export(world, url):
    client = _as(world, "leader")
    answers = {
        ordering: client.get(reverse(url), {"ordering": ordering}).status_code for ordering in ORDERINGS
    }
    assert answers == dict.fromkeys(ORDERINGS, 200)


# --- bad ids, dates and search text in query strings ---------------------------------------------


@pytest.mark.parametrize(
    ("url", "param", "who"),
    [
        ("service:visit_create", "enterprise", "staff_a"),
        ("service:request_create", "enterprise", "staff_a"),
        ("service:unit_todo", "unit", "leader"),
        ("projects:monthly_report", "unit", "leader"),
        ("service:figures", "unit", "leader"),
        ("projects:overview", "unit", "leader"),
        ("service:coverage", "unit", "leader"),
        ("dashboard", "unit", "leader"),
        ("service:request_list", "handling_unit", "staff_a"),
        ("service:request_list", "handler", "staff_a"),
        ("service:request_list", "category", "staff_a"),
        ("service:visit_list", "unit", "staff_a"),
        ("service:visit_list", "staff", "staff_a"),
        ("projects:list", "unit", "leader"),
        ("investment:lead_list", "trip", "staff_a"),
    ],
)
def test_a_bad_id_in_the_query_string_never_fails(world, url, param, who):
    client = _as(world, who)
    answers = {value: client.get(reverse(url), {param: value}).status_code for value in BAD_IDS}
    # unit_todo answers 404 for a unit that does not exist; every other page ignores what it cannot use.
    assert set(answers.values()) <= ({200, 404} if url == "service:unit_todo" else {200}), answers


def test_a_non_decimal_unit_in_the_figures_api_is_a_clear_400(world):
    client = _as(world, "leader")
    for value in ["abc", "²", "-1", "1\x00", " 1", "1.0"]:
        response = client.get(
            reverse("figures_api"), {"from": "2024-02-19", "to": "2024-03-15", "unit": value}
        )
        assert (response.status_code, response.json()) == (400, {"error": "unit must be a unit id"}), value


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("dashboard", ["from", "to"]),
        ("service:figures", ["from", "to"]),
        ("projects:overview", ["as_of", "year"]),
        ("research:figures", ["from", "to"]),
        ("investment:figures", ["from", "to"]),
        ("service:coverage", ["from", "to"]),
        ("rankings:board", ["month"]),
        ("rankings:projector", ["month"]),
        ("rankings:export", ["month"]),
        ("projects:list", ["as_of", "year"]),
        ("projects:monthly_report", ["month"]),
        ("service:request_list", ["date_from", "date_to"]),
        ("service:visit_list", ["date_from", "date_to"]),
        ("investment:trip_list", ["date_from", "date_to"]),
        ("research:result_list", ["date_from", "date_to"]),
    ],
)
def test_a_bad_date_in_the_query_string_falls_back_and_never_fails(world, url, params):
    client = _as(world, "leader")
    answers = {
        value: client.get(reverse(url), dict.fromkeys(params, value)).status_code for value in BAD_DATES
    }
    assert answers == dict.fromkeys(BAD_DATES, 200)


@pytest.mark.parametrize(
    "url", ["enterprises:pick", "enterprises:list", "service:request_list", "investment:lead_list"]
)
def test_any_search_text_is_harmless(world, url):
    client = _as(world, "staff_a")
    answers = {q: client.get(reverse(url), {"q": q}).status_code for q in SEARCHES}
    assert answers == dict.fromkeys(SEARCHES, 200)


def test_a_nul_byte_in_the_enterprise_picker_is_dropped(world):
    response = _as(world, "staff_a").get(reverse("enterprises:pick"), {"q": "示例\x00智造"})
    assert [e.name for e in response.context["results"]] == ["南京示例智造科技有限公司"]


# --- deleted and foreign-unit ids ----------------------------------------------------------------


def _record_urls(world):
    """Every page and action of one record of unit A: URL name, the record's id, method."""
    w = world
    return [
        ("service:request_detail", w.request.pk, "get"),
        ("service:request_act", w.request.pk, "post"),
        ("service:attachment_upload", w.request.pk, "post"),
        ("service:visit_detail", w.visit.pk, "get"),
        ("service:jointaction_detail", w.joint_action.pk, "get"),
        ("service:jointaction_close", w.joint_action.pk, "post"),
        ("projects:detail", w.project.pk, "get"),
        ("projects:update", w.project.pk, "post"),
        ("projects:plan", w.project.pk, "post"),
        ("projects:start", w.project.pk, "post"),
        ("projects:visit_create", w.project.pk, "post"),
        ("projects:report_correct", w.report.pk, "post"),
        ("research:entity_detail", w.entity.pk, "get"),
        ("research:entity_update", w.entity.pk, "post"),
        ("research:entity_visit", w.entity.pk, "post"),
        ("research:result_detail", w.result.pk, "get"),
        ("research:result_update", w.result.pk, "post"),
        ("research:result_move", w.result.pk, "post"),
        ("research:match_propose", w.result.pk, "post"),
        ("research:match_move", w.match.pk, "post"),
        ("research:carrier_update", w.carrier.pk, "post"),
        ("investment:lead_detail", w.lead.pk, "get"),
        ("investment:lead_move", w.lead.pk, "post"),
        ("investment:lead_record", w.lead.pk, "post"),
        ("enterprise_record", w.enterprise.pk, "get"),
        ("enterprises:update", w.enterprise.pk, "post"),
    ]


# Everyone reads enterprise records and the research libraries and may propose matches there; edits stay
# with the record's unit (tests/research and tests/enterprises cover those refusals).
READ_BY_EVERY_UNIT = {
    "enterprise_record",
    "research:entity_detail",
    "research:result_detail",
    "research:match_propose",
    "research:match_move",
    "research:result_move",
    "research:entity_visit",
    "research:entity_update",
    "research:result_update",
    "research:carrier_update",
}
POSTED = {"note": "理由", "to": "contacted", "action": "withdraw", "expected_status": "dispatched"}


@pytest.mark.parametrize("pk", [999999, 2**63 - 1])
def test_an_unknown_or_deleted_id_is_404_on_every_record_page_and_action(world, pk):
    client = _as(world, "leader")
    urls = _record_urls(world)
    before = row_counts()
    answers = {
        name: getattr(client, method)(reverse(name, args=[pk]), POSTED).status_code
        for name, _, method in urls
    }
    assert answers == {name: 404 for name, _, _ in urls}
    assert row_counts() == before


def test_a_deleted_request_is_404(world):
    req = make_request(world.users["staff_a"], enterprise=world.enterprise, handling_unit=world.unit_a)
    pk = req.pk
    req.events.all().delete()
    req.delete()
    client = _as(world, "staff_a")
    assert client.get(reverse("service:request_detail", args=[pk])).status_code == 404
    assert client.post(reverse("service:request_act", args=[pk]), POSTED).status_code == 404


def test_every_record_page_and_action_of_unit_a_is_404_for_unit_b(world):
    client = _as(world, "staff_b")
    urls = [(name, pk, method) for name, pk, method in _record_urls(world) if name not in READ_BY_EVERY_UNIT]
    before = row_counts()
    answers = {
        name: getattr(client, method)(reverse(name, args=[pk]), POSTED).status_code
        for name, pk, method in urls
    }
    assert answers == {name: 404 for name, _, _ in urls}
    assert row_counts() == before


# --- numbers: above 2**31, negative, NaN, Infinity, full-width, thousands separators -------------


def test_a_bad_number_of_extension_days_changes_nothing(world):
    act = reverse("service:request_act", args=[world.request.pk])
    _as(world, "colleague_a").post(act, {"action": "acknowledge", "expected_status": "dispatched"})
    for days in [str(2**31), str(2**63), "-1", "0", "NaN", "Infinity", "1.5", "１,０"]:
        req = Request.objects.get(pk=world.request.pk)
        before = (req.status, req.version, req.pending_extension_days, row_counts())
        response = _as(world, "colleague_a").post(
            act, {"action": "extend_ask", "expected_status": req.status, "days": days, "note": "需要协调"}
        )
        assert error_messages(response) == ["The action could not be read. Try again."], days
        req.refresh_from_db()
        assert (req.status, req.version, req.pending_extension_days, row_counts()) == before


def test_a_bad_expected_version_never_moves_the_request(world):
    act = reverse("service:request_act", args=[world.request.pk])
    for version in [str(2**63), str(2**31), "-1", "NaN", "１２"]:
        req = Request.objects.get(pk=world.request.pk)
        before = (req.status, req.version, row_counts())
        response = _as(world, "colleague_a").post(
            act, {"action": "acknowledge", "expected_status": "dispatched", "expected_version": version}
        )
        assert len(error_messages(response)) == 1, version
        req.refresh_from_db()
        assert (req.status, req.version, row_counts()) == before


def _result_data(world, **overrides):
    return {
        "title": "新型储能材料",
        "entity": world.entity.pk,
        "industry": "C",
        "type": "patent",
        "maturity": "pilot",
        "landing_mode": "transfer",
        "unit": world.unit_a.pk,
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("trl", "10", "Ensure this value is less than or equal to 9."),
        ("trl", str(2**31), "Ensure this value is less than or equal to 9."),
        ("trl", "-1", "Ensure this value is greater than or equal to 0."),
        ("trl", "NaN", "Enter a whole number."),
        ("need_space_m2", "-1", "Ensure this value is greater than or equal to 0."),
        ("need_space_m2", "NaN", "Enter a number."),
        ("need_space_m2", "Infinity", "Enter a number."),
        ("need_funding_wan", str(2**63), "Ensure that there are no more than 12 digits in total."),
    ],
)
def test_a_bad_number_in_a_result_is_a_field_error_and_saves_nothing(world, field, value, error):
    before = row_counts()
    response = _as(world, "staff_a").post(
        reverse("research:result_create"), _result_data(world, **{field: value})
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert row_counts() == before


def _carrier_data(world, **overrides):
    return {
        "name": "研创园标准厂房B栋",
        "kind": "factory",
        "park": world.unit_a.pk,
        "total_area_m2": "1000",
        "free_area_m2": "500",
        "price": "面议",
        "unit": world.unit_a.pk,
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("total_area_m2", "Infinity", "Enter a number."),
        ("total_area_m2", "-5", "Ensure this value is greater than or equal to 0."),
        ("free_area_m2", "NaN", "Enter a number."),
        ("land_mu", str(2**63), "Ensure that there are no more than 12 digits in total."),
        ("total_area_m2", "1e400", "Ensure that there are no more than 12 digits in total."),
        ("available_from", "0001-01-01", "Enter a date from 2000 on."),
        ("available_from", "9999-12-31", "Enter a date up to 2100."),
    ],
)
def test_a_bad_value_in_a_carrier_is_a_field_error_and_saves_nothing(world, field, value, error):
    before = row_counts()
    response = _as(world, "staff_a").post(
        reverse("research:carrier_create"), _carrier_data(world, **{field: value})
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert row_counts() == before


def test_full_width_digits_and_separators_are_read_in_a_plan(world):
    client = _as(world, "staff_a")
    year = timezone.localdate().year
    plan = reverse("projects:plan", args=[world.project.pk])
    saved = {}
    for value in ["１２３", "1,000", "１，２５０．５", " 800 "]:
        client.post(plan, {"year": year, "planned_investment": value})
        saved[value] = str(YearPlan.objects.get(project=world.project, year=year).planned_investment)
    assert saved == {"１２３": "123.00", "1,000": "1000.00", "１，２５０．５": "1250.50", " 800 ": "800.00"}


def test_a_bad_plan_amount_or_year_changes_nothing(world):
    plan = reverse("projects:plan", args=[world.project.pk])
    year = timezone.localdate().year
    cases = [
        {"year": year, "planned_investment": v}
        for v in ["NaN", "Infinity", "-1", str(2**63), "1e400", "１２x"]
    ]
    cases += [{"year": y, "planned_investment": "100"} for y in [str(2**31), "-2024", "0", "NaN", "１９９９"]]
    for data in cases:
        before = (list(YearPlan.objects.values_list("project", "year", "planned_investment")), row_counts())
        response = _as(world, "staff_a").post(plan, data)
        assert error_messages(response) == ["Check the plan: year and a non-negative amount in 万元."], data
        assert (
            list(YearPlan.objects.values_list("project", "year", "planned_investment")),
            row_counts(),
        ) == before


# --- dates: 30 February, 0001-01-01, end before start ------------------------------------------


def test_a_bad_visit_date_is_a_field_error_and_saves_nothing(world):
    client = _as(world, "staff_a")
    errors = {}
    before = row_counts()
    for value in ["2024-02-30", "0001-01-01", "9999-12-31", "", "  "]:
        response = client.post(
            reverse("service:visit_create"),
            {
                "visited_on": value,
                "enterprise": world.enterprise.pk,
                "lead_unit": world.unit_a.pk,
                "mode": "on_site",
                "requests-TOTAL_FORMS": "0",
                "requests-INITIAL_FORMS": "0",
            },
        )
        errors[value] = response.context["form"].errors["visited_on"]
    assert errors == {
        "2024-02-30": ["Enter a valid date."],
        "0001-01-01": ["Enter a date from 2000 on."],
        "9999-12-31": ["A visit cannot be in the future."],
        "": ["This field is required."],
        "  ": ["Enter a valid date."],
    }
    assert row_counts() == before


def _project_data(world, **overrides):
    return {
        "code": "FZ-A-NEW",
        "name": "新建智能制造产业园",
        "unit": world.unit_a.pk,
        "level": "district",
        "kind": "industrial",
        "industry": "C",
        "total_investment": "50000",
        "stage": "preparation",
        "owner_code": world.enterprise.credit_code,
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        (
            {"planned_start": "2024-06-01", "planned_completion": "2024-05-31"},
            "planned_completion",
            "The completion cannot be before the start.",
        ),
        (
            {"actual_start": "2024-06-01", "actual_completion": "2023-06-01"},
            "actual_completion",
            "The completion cannot be before the start.",
        ),
        ({"planned_start": "2024-02-30"}, "planned_start", "Enter a valid date."),
        ({"planned_start": "0001-01-01"}, "planned_start", "Enter a date from 2000 on."),
        ({"planned_completion": "9999-12-31"}, "planned_completion", "Enter a date up to 2100."),
        ({"total_investment": "-1"}, "total_investment", "Ensure this value is greater than or equal to 0."),
        ({"total_investment": "NaN"}, "total_investment", "Enter a number."),
        ({"name": "   "}, "name", "This field is required."),
        ({"code": "字" * 31}, "code", "Ensure this value has at most 30 characters (it has 31)."),
    ],
)
def test_bad_project_values_are_field_errors_and_save_nothing(world, overrides, field, error):
    before = row_counts()
    response = _as(world, "staff_a").post(reverse("projects:create"), _project_data(world, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert row_counts() == before


def test_a_bad_start_date_changes_nothing(world):
    start = reverse("projects:start", args=[world.project.pk])
    for value in ["0001-01-01", "9999-12-31", "2024-02-30", ""]:
        before = (Project.objects.get(pk=world.project.pk).actual_start, row_counts())
        response = _as(world, "staff_a").post(start, {"on": value})
        assert error_messages(response) == ["Enter the start date."], value
        assert (Project.objects.get(pk=world.project.pk).actual_start, row_counts()) == before


def test_a_far_trip_date_is_a_field_error_and_records_nothing(world):
    client = _as(world, "manager_a")
    before = row_counts()
    errors = {}
    for start, end in [("0001-01-01", "2024-03-01"), ("2024-03-01", "9999-12-31")]:
        response = client.post(
            reverse("investment:trip_create"),
            {
                "start_on": start,
                "end_on": end,
                "cities": "上海",
                "kind": "visit",
                "leader": world.users["manager_a"].pk,
                "leads-TOTAL_FORMS": "0",
                "leads-INITIAL_FORMS": "0",
            },
        )
        form_errors = response.context["form"].errors
        errors[(start, end)] = form_errors.get("start_on") or form_errors.get("end_on")
    assert errors == {
        ("0001-01-01", "2024-03-01"): ["Enter a date from 2000 on."],
        ("2024-03-01", "9999-12-31"): ["Enter a date up to 2100."],
    }
    assert row_counts() == before


# --- text: whitespace only, over max_length, NUL bytes, HTML ---------------------------------------


def _request_data(world, **overrides):
    return {
        "enterprise": world.enterprise.pk,
        "source": "hotline",
        "category": world.category.pk,
        "title": "人才公寓申请",
        "urgency": "normal",
        **overrides,
    }


def test_a_whitespace_only_request_title_is_a_field_error(world):
    client = _as(world, "staff_a")
    before = row_counts()
    errors = {
        title: client.post(reverse("service:request_create"), _request_data(world, title=title))
        .context["form"]
        .errors["title"]
        for title in ["", "   ", "\u3000\u3000", "\t\n"]
    }
    assert errors == dict.fromkeys(["", "   ", "\u3000\u3000", "\t\n"], ["This field is required."])
    assert row_counts() == before


@pytest.mark.parametrize(("field", "limit"), [("title", 200), ("description", 5000)])
def test_one_character_over_max_length_is_a_field_error_and_the_limit_itself_is_saved(world, field, limit):
    client = _as(world, "staff_a")
    before = row_counts()
    response = client.post(
        reverse("service:request_create"), _request_data(world, **{field: "字" * (limit + 1)})
    )
    assert response.context["form"].errors[field] == [
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    ]
    assert row_counts() == before
    assert (
        client.post(
            reverse("service:request_create"), _request_data(world, **{field: "字" * limit})
        ).status_code
        == 302
    )
    assert Request.objects.filter(**{field: "字" * limit}).count() == 1


def test_a_nul_byte_in_any_text_is_a_field_error(world):
    before = row_counts()
    response = _as(world, "staff_a").post(
        reverse("service:visit_create"),
        {
            "visited_on": "2024-03-01",
            "enterprise": world.enterprise.pk,
            "lead_unit": world.unit_a.pk,
            "mode": "on_site",
            "summary": "走访\x00了解",
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-0-category": world.category.pk,
            "requests-0-title": "人才\x00公寓",
            "requests-0-urgency": "normal",
        },
    )
    assert response.context["form"].errors["summary"] == ["Null characters are not allowed."]
    assert response.context["formset"].forms[0].errors["title"] == ["Null characters are not allowed."]
    assert row_counts() == before


def test_a_bad_republishing_reason_is_refused_and_the_board_stays(world):
    publish = f"{reverse('rankings:publish')}?month=2024-02"
    _as(world, "leader").post(publish, {"confirm": "2024-02"})
    first = list(Publication.objects.values_list("pk", "is_current", "reason"))
    assert [(current, reason) for _pk, current, reason in first] == [(True, "")]
    refusals = {}
    for reason in ["\x00", "理由\x00", "理" * 301, "   "]:
        refusals[reason] = error_messages(
            _as(world, "admin").post(publish, {"reason": reason, "confirm": "2024-02"})
        )
        assert list(Publication.objects.values_list("pk", "is_current", "reason")) == first
    assert refusals == {
        "\x00": ["Null characters are not allowed."],
        "理由\x00": ["Null characters are not allowed."],
        "理" * 301: ["Ensure this value has at most 300 characters (it has 301)."],
        "   ": ["Republishing needs a reason, which is recorded."],
    }
    _as(world, "admin").post(publish, {"reason": "  指标口径调整  ", "confirm": "2024-02"})
    assert Publication.objects.get(is_current=True).reason == "指标口径调整"


def test_html_in_a_request_title_is_stripped_from_the_reminder_email(world):
    colleague_a = world.users["colleague_a"]
    colleague_a.email = "lina@example.com"
    colleague_a.save()
    overdue = make_request(
        world.users["staff_a"],
        enterprise=world.enterprise,
        handling_unit=world.unit_a,
        handler=colleague_a,
        title="<script>alert(1)</script>人才公寓<b>申请</b>",
    )
    Request.objects.filter(pk=overdue.pk).update(close_due=local(2024, 3, 5, 18))
    call_command("send_reminders", stdout=io.StringIO())
    mails = [m for m in mail.outbox if m.to == ["lina@example.com"]]  # assigned, then the reminder
    assert len(mails) == 2
    for message in mails:
        assert (
            "<script>" not in message.subject + message.body and "<b>" not in message.subject + message.body
        )
    assert "alert(1)人才公寓申请" in mails[0].subject
    assert mails[1].body.splitlines()[2].endswith("alert(1)人才公寓申请")  # "Overdue: …" in either language


# --- a request at 23:59:59 on the last day of a month counts in that month (the ranking board) -----


def test_a_request_at_235959_on_the_last_day_counts_in_that_months_board(world):
    from apps.rankings.board import compute_board

    staff_a, unit_a = world.users["staff_a"], world.unit_a
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 31, 23, 59, 59))
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 4, 1, 0, 0, 0))
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 4, 1, 0, 0, 1))

    def requests_of(month):
        return [
            row["cells"]["closure_rate"]["den"]
            for group in compute_board(month)["groups"]
            for row in group["rows"]
            if row["unit_id"] == unit_a.pk
        ]

    assert (requests_of(date(2024, 3, 1)), requests_of(date(2024, 4, 1))) == (["1"], ["2"])

"""The pages of campaign 4: moving a lead from the pipeline board and from its page (signing, registering,
starting), the new-lead form that ignores fields the user may not set, the trip report with its leads in one
POST, the Excel import of leads (template, all-or-nothing, no duplicates), and query counts that do not grow
with the rows behind a page."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from apps.accounts.models import User
from apps.enterprises.models import Enterprise
from apps.investment.importers import LeadImporter
from apps.investment.models import Lead, LeadEvent, Trip
from apps.projects.models import Project
from apps.units.models import Unit

from ..conftest import client_for, models_built
from ..factories import EnterpriseFactory, UserFactory
from ..projects.factories import ProjectFactory
from .factories import NEW_CODE, LeadFactory, S, TripFactory, create, lead_at

pytestmark = pytest.mark.django_db

PIPELINE = reverse("investment:pipeline")
LEADS = reverse("investment:lead_list")
TRIPS = reverse("investment:trip_list")


def move_url(lead) -> str:
    return reverse("investment:lead_move", args=[lead.pk])


def detail_url(lead) -> str:
    return reverse("investment:lead_detail", args=[lead.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def state() -> dict:
    """Everything a refused write must leave as it was."""
    return {
        "leads": list(Lead.objects.order_by("pk").values()),
        "events": LeadEvent.objects.count(),
        "trips": Trip.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "projects": Project.objects.count(),
    }


@pytest.fixture
def lead_a(staff_a):
    return create(staff_a, name="新能源电池材料项目", expected_wan=Decimal("200000"))


# --- moving from the pipeline board and from the lead's page ---------------------------------------


def test_the_board_offers_the_move_and_a_post_moves_the_lead(lead_a, colleague_a):
    client = client_for(colleague_a)
    board = client.get(PIPELINE).content.decode()
    assert f'action="{move_url(lead_a)}"' in board

    response = client.post(move_url(lead_a), {"to": "assessed", "next": PIPELINE})

    assert (response.status_code, response["Location"]) == (302, PIPELINE)
    assert Lead.objects.get(pk=lead_a.pk).stage == S.ASSESSED
    event = LeadEvent.objects.filter(lead=lead_a).latest("id")
    assert (event.from_stage, event.to_stage, event.by) == (S.LEAD, S.ASSESSED, colleague_a)
    assert messages_of(response) == ["Stage updated."]
    after = client.get(PIPELINE).context["columns"]
    assert {value: [lead.name for lead in leads] for value, _label, leads in after}["assessed"] == [
        lead_a.name
    ]


def test_a_move_redirects_only_to_a_local_next(lead_a, staff_a):
    response = client_for(staff_a).post(move_url(lead_a), {"to": "assessed", "next": "https://evil.example/"})

    assert response["Location"] == detail_url(lead_a)


@pytest.mark.parametrize("to", ["negotiating", "signed", "lead", "production", "bogus"])
def test_a_skipped_or_unknown_move_from_the_board_shows_an_error_and_changes_nothing(lead_a, staff_a, to):
    before = state()

    response = client_for(staff_a).post(move_url(lead_a), {"to": to, "next": PIPELINE})

    assert response.status_code == 302
    assert messages_of(response) and "Stage updated." not in messages_of(response)
    assert state() == before


def test_dropping_from_the_page_needs_a_reason(lead_a, staff_a):
    client = client_for(staff_a)
    before = state()

    response = client.post(move_url(lead_a), {"to": "dropped", "note": "  "})

    assert messages_of(response) == ["Give the reason the lead was dropped."]
    assert state() == before
    client.post(move_url(lead_a), {"to": "dropped", "note": "投资方转投他地"})
    assert Lead.objects.filter(pk=lead_a.pk).values_list("stage", "drop_reason").get() == (
        "dropped",
        "投资方转投他地",
    )


@pytest.mark.parametrize(
    "data",
    [
        {"signed_on": "2024-03-01"},
        {"signed_wan": "150000"},
        {"signed_on": "2024-03-01", "signed_wan": "0"},
        {"signed_on": "2024-03-01", "signed_wan": "-5"},
        {"signed_on": "2024-02-30", "signed_wan": "150000"},
    ],
)
def test_signing_from_the_page_without_a_date_and_an_amount_changes_nothing(lead_a, staff_a, data):
    lead = lead_at(lead_a, S.NEGOTIATING, staff_a)
    before = state()

    response = client_for(staff_a).post(move_url(lead), {"to": "signed", **data})

    assert response.status_code == 302
    assert "Stage updated." not in messages_of(response)
    assert state() == before


def test_signing_registering_and_starting_from_the_page(lead_a, staff_a, unit_a):
    lead = lead_at(lead_a, S.NEGOTIATING, staff_a)
    enterprise = EnterpriseFactory(unit=unit_a, credit_code=NEW_CODE, name="南京新落地科技有限公司")
    client = client_for(staff_a)

    client.post(move_url(lead), {"to": "signed", "signed_on": "2024-03-01", "signed_wan": "１５０,０００.５"})
    client.post(move_url(lead), {"to": "registered", "enterprise_code": NEW_CODE.lower()})
    client.post(
        move_url(lead), {"to": "started", "project_code": "TZ2024-009", "project_name": "电池材料基地"}
    )

    stored = Lead.objects.get(pk=lead.pk)
    project = Project.objects.get(code="TZ2024-009")
    assert (stored.stage, stored.signed_on, stored.signed_wan, stored.enterprise, stored.project) == (
        S.STARTED,
        date(2024, 3, 1),
        Decimal("150000.50"),
        enterprise,
        project,
    )
    assert (project.name, project.owner, project.unit, project.total_investment) == (
        "电池材料基地",
        enterprise,
        unit_a,
        Decimal("150000.50"),
    )
    page = client.get(detail_url(lead)).content.decode()
    assert reverse("enterprise_record", args=[enterprise.pk]) in page
    assert reverse("projects:detail", args=[project.pk]) in page


def test_registering_with_an_unknown_credit_code_changes_nothing(lead_a, staff_a):
    lead = lead_at(lead_a, S.SIGNED, staff_a)
    before = state()

    response = client_for(staff_a).post(move_url(lead), {"to": "registered", "enterprise_code": NEW_CODE})

    assert messages_of(response) == ["No enterprise has this credit code."]
    assert state() == before


def test_starting_cannot_link_a_project_of_another_unit(lead_a, staff_a, unit_b):
    """Projects are confidential to their unit: unit B's project code must not link it to unit A's lead."""
    lead = lead_at(lead_a, S.REGISTERED, staff_a)
    ProjectFactory(unit=unit_b, code="YY2024-001", name="医药谷保密项目")
    before = state()

    response = client_for(staff_a).post(move_url(lead), {"to": "started", "project_code": "YY2024-001"})

    assert "Stage updated." not in messages_of(response)
    assert state() == before


# --- recording a lead and notes ---------------------------------------------------------------------


def test_the_lead_form_records_the_lead_for_the_users_unit_whatever_is_posted(
    staff_a, unit_a, unit_b, staff_b
):
    response = client_for(staff_a).post(
        reverse("investment:lead_create"),
        {
            "name": "高端装备制造基地",
            "investor": "苏州示例装备集团",
            "investor_country": "中国",
            "industry": "C",
            "expected_wan": "１２,０００",
            "source": "trip",
            # fields the user may not set
            "unit": unit_b.pk,
            "owner": staff_b.pk,
            "stage": "signed",
            "signed_wan": "999",
            "respond_due": "2030-01-01 00:00",
        },
    )

    lead = Lead.objects.get(name="高端装备制造基地")
    assert response["Location"] == detail_url(lead)
    assert (lead.unit, lead.owner, lead.stage, lead.signed_wan, lead.expected_wan) == (
        unit_a,
        staff_a,
        S.LEAD,
        None,
        Decimal("12000"),
    )
    assert lead.respond_due > lead.created_at
    assert list(LeadEvent.objects.filter(lead=lead).values_list("action", "by")) == [("create", staff_a.pk)]


def test_a_referral_names_its_referrer_by_credit_code(staff_a, unit_b):
    referrer = EnterpriseFactory(unit=unit_b)
    data = {
        "name": "以商招商项目",
        "investor": "深圳示例集团",
        "investor_country": "中国",
        "industry": "C",
        "expected_wan": "5000",
        "source": "referral",
    }
    client = client_for(staff_a)

    refused = client.post(reverse("investment:lead_create"), data)
    client.post(reverse("investment:lead_create"), {**data, "referrer_code": referrer.credit_code})

    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "referrer_code": ["Name the enterprise that introduced the investor."]
    }
    assert Lead.objects.get(name="以商招商项目").referrer == referrer


def test_a_note_from_the_page_is_recorded(lead_a, colleague_a):
    response = client_for(colleague_a).post(
        reverse("investment:lead_record", args=[lead_a.pk]),
        {"action": "feedback", "note": " 已反馈选址方案 "},
    )

    assert response["Location"] == detail_url(lead_a)
    event = LeadEvent.objects.filter(lead=lead_a).latest("id")
    assert (event.action, event.note, event.by) == ("feedback", "已反馈选址方案", colleague_a)
    stored = Lead.objects.get(pk=lead_a.pk)
    assert stored.feedback_at == stored.responded_at == event.at


# --- the trip report --------------------------------------------------------------------------------


def trip_post(leader, members=(), **extra) -> dict:
    return {
        "start_on": "2024-03-04",
        "end_on": "2024-03-06",
        "cities": "上海、苏州",
        "kind": "visit",
        "leader": leader.pk,
        "led_by_head": "on",
        "members": [m.pk for m in members],
        "companies_met": "上海示例集团、苏州示例装备",
        "summary": "赴沪苏开展产业链招商",
        "leads-TOTAL_FORMS": "2",
        "leads-INITIAL_FORMS": "0",
        "leads-MIN_NUM_FORMS": "0",
        "leads-MAX_NUM_FORMS": "1000",
        "leads-0-name": "集成电路封测项目",
        "leads-0-investor": "上海示例集团",
        "leads-0-investor_city": "上海",
        "leads-0-industry": "C",
        "leads-0-expected_wan": "300000",
        "leads-1-name": "智能装备研发总部",
        "leads-1-investor": "苏州示例装备",
        "leads-1-investor_city": "苏州",
        "leads-1-industry": "I",
        "leads-1-expected_wan": "80000",
        **extra,
    }


def test_the_trip_report_records_the_trip_and_its_two_leads_in_one_post(manager_a, staff_a, unit_a):
    response = client_for(manager_a).post(reverse("investment:trip_create"), trip_post(manager_a, [staff_a]))

    trip = Trip.objects.get()
    assert response["Location"] == reverse("investment:trip_detail", args=[trip.pk])
    assert (trip.unit, trip.leader, trip.led_by_head, trip.start_on, trip.end_on, trip.created_by) == (
        unit_a,
        manager_a,
        True,
        date(2024, 3, 4),
        date(2024, 3, 6),
        manager_a,
    )
    assert list(trip.members.all()) == [staff_a]
    assert set(
        trip.leads.values_list("name", "investor_city", "industry", "expected_wan", "source", "unit", "owner")
    ) == {
        ("集成电路封测项目", "上海", "C", Decimal("300000.00"), "trip", unit_a.pk, manager_a.pk),
        ("智能装备研发总部", "苏州", "I", Decimal("80000.00"), "trip", unit_a.pk, manager_a.pk),
    }
    assert LeadEvent.objects.filter(lead__trip=trip, action="create").count() == 2
    assert all(lead.respond_due and lead.assess_due and lead.feedback_due for lead in trip.leads.all())


def test_a_trip_report_with_one_bad_lead_records_nothing(manager_a):
    response = client_for(manager_a).post(
        reverse("investment:trip_create"), trip_post(manager_a, **{"leads-1-expected_wan": "abc"})
    )

    assert response.status_code == 200
    assert response.context["formset"].errors[1].keys() == {"expected_wan"}
    assert (Trip.objects.count(), Lead.objects.count()) == (0, 0)


def test_a_trip_report_ending_before_it_starts_records_nothing(manager_a):
    response = client_for(manager_a).post(
        reverse("investment:trip_create"), trip_post(manager_a, end_on="2024-03-01")
    )

    assert response.context["form"].errors == {"end_on": ["The end cannot be before the start."]}
    assert (Trip.objects.count(), Lead.objects.count()) == (0, 0)


def test_a_trip_report_cannot_name_another_units_leader(manager_a, staff_b):
    response = client_for(manager_a).post(reverse("investment:trip_create"), trip_post(staff_b, [staff_b]))

    assert response.context["form"].errors.keys() == {"leader", "members"}
    assert (Trip.objects.count(), Lead.objects.count()) == (0, 0)


def test_a_trip_report_without_leads_records_the_trip(manager_a):
    """The page's one blank lead row posts its industry select's default ("C") and nothing else."""
    data = trip_post(manager_a, **{"leads-TOTAL_FORMS": "1"})
    for key in [k for k in data if k.startswith("leads-0-") or k.startswith("leads-1-")]:
        data.pop(key)
    data["leads-0-industry"] = "C"

    client_for(manager_a).post(reverse("investment:trip_create"), data)

    assert (Trip.objects.count(), Lead.objects.count()) == (1, 0)


# --- the lead import --------------------------------------------------------------------------------

HEADERS = ["项目名称", "投资方", "来源地", "行业门类", "预计投资（万元）", "来源", "展会"]
GOOD = [
    ["新能源电池材料项目", "上海示例集团有限公司", "上海", "C", "150000", "外出招商", ""],
    ["生物医药研发中心", "苏州示例药业", "苏州", "M", "８,０００", "Trade fair", "华交会"],
]


def upload(*rows, headers=HEADERS, name="leads.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def errors_of(report) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.errors for row in report.error_rows}


def all_leads() -> list[tuple]:
    return list(
        Lead.objects.order_by("name").values_list(
            "name", "investor", "investor_city", "industry", "expected_wan", "source", "fair", "unit__code"
        )
    )


IMPORTED = [
    ("新能源电池材料项目", "上海示例集团有限公司", "上海", "C", Decimal("150000.00"), "trip", "", "unit-a"),
    ("生物医药研发中心", "苏州示例药业", "苏州", "M", Decimal("8000.00"), "fair", "华交会", "unit-a"),
]


def test_the_import_template_has_exactly_the_documented_headers(staff_a):
    response = client_for(staff_a).get(reverse("investment:lead_import"), {"template": "1"})

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADERS
    assert len(rows) == 2  # one example row


def test_the_templates_example_row_imports_as_it_reads(staff_a):
    example = [c.example for c in LeadImporter.columns]

    report = LeadImporter(staff_a).commit(upload(example))

    assert (errors_of(report), report.created) == ({}, 1)
    assert all_leads() == [
        (
            "新能源电池材料项目",
            "上海示例集团有限公司",
            "上海",
            "C",
            Decimal("150000.00"),
            "trip",
            "华交会",
            "unit-a",
        )
    ]


def test_a_leads_file_records_one_lead_per_row_with_its_event_and_limits(staff_a):
    report = LeadImporter(staff_a).commit(upload(*GOOD))

    assert (report.ok, report.created) == (True, 2)
    assert all_leads() == IMPORTED
    assert set(Lead.objects.values_list("owner", "stage")) == {(staff_a.pk, "lead")}
    assert LeadEvent.objects.filter(action="create", by=staff_a).count() == 2
    assert not Lead.objects.filter(respond_due=None).exists()


@pytest.mark.parametrize(
    ("bad", "errors"),
    [
        (
            ["碳化硅项目", "某集团", "", "C", "-5", "外出招商", ""],
            {"预计投资（万元）": ["Must be at least 0."]},
        ),
        (
            ["碳化硅项目", "某集团", "", "Q9", "5000", "外出招商", ""],
            {"行业门类": ["“Q9” is not one of the allowed values."]},
        ),
        (["碳化硅项目", "某集团", "", "C", "5000", "展会招商", ""], {"展会": ["Name the trade fair."]}),
        (
            ["碳化硅项目", "某集团", "", "C", "5000", "以商招商", ""],
            {"来源": ["Leads introduced by a business are recorded one by one, with the referrer."]},
        ),
        (["", "某集团", "", "C", "5000", "外出招商", ""], {"项目名称": ["This value is required."]}),
    ],
)
def test_a_leads_file_with_one_bad_row_writes_nothing(staff_a, bad, errors):
    report = LeadImporter(staff_a).commit(upload(GOOD[0], bad, GOOD[1]))

    assert (report.ok, report.created) == (False, 0)
    assert errors_of(report) == {3: errors}
    assert (Lead.objects.count(), LeadEvent.objects.count()) == (0, 0)


def test_the_same_leads_file_twice_creates_nothing_the_second_time(staff_a):
    first = LeadImporter(staff_a).commit(upload(*GOOD))

    second = LeadImporter(staff_a).commit(upload(*GOOD))

    assert (first.created, second.ok, second.created) == (2, False, 0)
    assert errors_of(second) == {
        2: {"项目名称": ["This lead of this investor is already recorded."]},
        3: {"项目名称": ["This lead of this investor is already recorded."]},
    }
    assert all_leads() == IMPORTED
    assert LeadEvent.objects.count() == 2


def test_the_same_row_twice_in_one_file_is_refused(staff_a):
    report = LeadImporter(staff_a).commit(upload(GOOD[0], GOOD[1], GOOD[0]))

    assert (report.ok, report.created) == (False, 0)
    assert errors_of(report) == {4: {"项目名称": ["Same as row 2."]}}
    assert Lead.objects.count() == 0


def test_importing_through_the_page_previews_then_commits_once(staff_a):
    client = client_for(staff_a)
    url = reverse("investment:lead_import")

    preview = client.post(url, {"file": upload(*GOOD)})
    assert (preview.status_code, Lead.objects.count()) == (200, 0)
    token = preview.context["token"]

    committed = client.post(url, {"commit": "1", "token": token})
    again = client.post(url, {"file": upload(*GOOD)})

    assert committed["Location"] == LEADS
    assert all_leads() == IMPORTED
    assert again.context["report"].ok is False
    assert Lead.objects.count() == 2


# --- query counts -----------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_rows(n: int, unit_a, unit_b):
    """n leads of unit A (own owner, trip and referrer each, every stage), n of unit B, n trips each."""
    stages = [S.LEAD, S.ASSESSED, S.NEGOTIATING, S.SIGNED, S.REGISTERED, S.STARTED]
    now = timezone.now()
    for i in range(n):
        for unit in (unit_a, unit_b):
            owner = UserFactory(unit=unit)
            trip = TripFactory(
                unit=unit, leader=owner, led_by_head=bool(i % 2), start_on=date(2024, 3, 1 + i % 28)
            )
            trip.members.add(owner, UserFactory(unit=unit))
            trip.units.add(unit_b)
            LeadFactory(
                unit=unit,
                owner=owner,
                trip=trip,
                referrer=EnterpriseFactory(unit=unit_b) if i % 2 else None,
                stage=stages[i % len(stages)],
                expected_wan=Decimal(1000 * (i + 1)),
                respond_due=now,
                assess_due=now,
                feedback_due=now,
            )


@pytest.mark.parametrize(
    "url",
    [
        LEADS,
        f"{LEADS}?stage=lead&band=0&q=测试",
        f"{LEADS}?stale=true",
        PIPELINE,
        TRIPS,
        f"{TRIPS}?led_by_head=true&kind=visit",
    ],
)
@pytest.mark.parametrize("who", ["staff_a", "leader"])
def test_pages_make_the_same_number_of_queries_for_3_and_30_rows(url, who, users, unit_a, unit_b):
    client = client_for(users[who])
    add_rows(3, unit_a, unit_b)
    client.get(url)  # warm up the session and the content types
    few = count_queries(client, url)

    add_rows(27, unit_a, unit_b)
    many = count_queries(client, url)

    assert few == many
    assert many <= 9  # the layout's six (session, user, 2 × permissions, notifications, units) + the page's


@pytest.mark.parametrize("page", ["1", "last"])
def test_the_lead_list_reads_its_page_as_values_with_labels_worked_out_once(staff_a, unit_a, settings, page):
    """A model instance of each lead, its unit and its owner, and every choice label translated again for
    each `get_…_display()`, cost more than the page's query: the rows are the shown columns as values."""
    owner = UserFactory(unit=unit_a, display_name="", first_name="晓", last_name="王", username="wangx")
    LeadFactory.create_batch(settings.PAGE_SIZE + 2, unit=unit_a, owner=owner, source=Lead.Source.REFERRAL)
    with models_built(Lead, Unit, User) as built:
        response = client_for(staff_a).get(reverse("investment:lead_list"), {"page": page})
    assert response.status_code == 200
    assert sorted(m.__name__ for m in built) == ["Unit", "User"]  # the signed-in user and their unit alone
    every = list(Lead.objects.filter(unit=unit_a).order_by("-created_at", "-id").values_list("pk", flat=True))
    expected = every[: settings.PAGE_SIZE] if page == "1" else every[settings.PAGE_SIZE :]
    rows = response.context["object_list"]
    assert [row.pk for row in rows] == expected
    with translation.override(response["Content-Language"]):  # the page's language, the user's choice
        source, stage, owner_word = str(Lead.Source.REFERRAL.label), str(Lead.Stage.LEAD.label), _("Owner")
    assert {(row.source_label, row.stage_label, row.owner_name) for row in rows} == {(source, stage, "晓 王")}
    html = response.content.decode()
    assert html.count(f'<td data-label="{owner_word}">晓 王</td>') == len(expected)
    assert html.count(f'<span class="status status-lead">{stage}</span>') == len(expected)
    assert html.count(f">{unit_a.short_name}</td>") == len(expected)

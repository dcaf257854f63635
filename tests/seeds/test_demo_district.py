"""The demo district reproduces the district's reported figures exactly, and loading it twice changes nothing.

The district is built once for this module inside a transaction that is rolled back at the end.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.enterprises.credit_code import validate_credit_code
from apps.enterprises.models import Enterprise
from apps.investment import selectors as investment_selectors
from apps.projects import selectors as projects_selectors
from apps.research import selectors as research_selectors
from apps.service import selectors as service_selectors
from apps.service.models import Request, RequestEvent, Visit
from apps.units.models import Unit
from seeds import demo

START, END = date(2024, 2, 19), date(2024, 3, 15)


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield demo.load()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def values(district, db):
    return service_selectors.service_values(start=START, end=END)


def test_every_key_enterprise_is_visited_in_the_period(values):
    assert values["key_enterprises"] == 104
    assert values["key_enterprises_visited"] == 104
    assert str(values["visit_coverage_pct"]) == "100.0"


def test_a_little_over_1200_requests_of_which_over_90_percent_closed(values):
    assert values["requests"] == 1203
    assert values["requests_closed"] == 1090
    assert str(values["closure_rate_pct"]) == "90.6"


def test_project_construction_reproduces_the_march_report(district, db):
    v = projects_selectors.project_values(start=START, end=END)
    assert v["projects"] == 129
    assert v["completed_wan"] == Decimal("435500.00")  # 43.55 亿元 through February
    assert v["annual_plan_wan"] == Decimal("2315000.00")
    assert str(v["completion_rate_pct"]) == "18.8"
    assert str(v["time_elapsed_pct"]) == "16.7"
    assert str(v["ahead_pp"]) == "2.1"
    assert (v["new_due"], v["new_started"], str(v["start_rate_pct"])) == (43, 23, "53.5")
    assert v["project_visits"] == 281
    assert v["problems_solved"] == 50
    assert str(v["reporting_pct"]) == "96.9"
    assert v["lights_red"] == 3  # planned to start in late 2023, still not started
    assert v["started_early"] > 0 and v["started_late"] > 0


def test_research_to_production_reproduces_the_march_report(district, db):
    v = research_selectors.research_values(start=START, end=END)
    assert v["rd_entities_visited"] == 391
    assert v["results"] == 232
    assert v["results_matching"] == 52  # some in matching
    assert v["results_landed"] == 6  # a few landed
    assert v["carriers"] == 30
    assert (
        service_selectors.service_values(start=START, end=END)["visits"] == 294
    )  # R&D and project visits apart


def test_attracting_investment_reproduces_the_march_report(district, db):
    v = investment_selectors.investment_values(start=START, end=END)
    assert v["trips_led_by_head"] == 88
    assert v["signed"] == 78
    assert v["signed_amount_wan"] == Decimal("1998800.00")  # 199.88 亿元
    assert v["pipeline_100m_plus"] == 176
    assert (v["pipeline_5bn_plus"], v["pipeline_1bn_to_5bn"], v["pipeline_100m_to_1bn"]) == (5, 20, 151)
    sources = {
        row["source"] for row in investment_selectors.conversion_by("source", start=date(2024, 1, 1), end=END)
    }
    assert {"trip", "small_team", "referral", "fair"} <= sources


def test_the_life_cycle_is_realistic(values):
    assert values["reopened"] == 7
    assert values["withdrawn"] == 12
    assert Request.objects.filter(status="new", received_on__lte=END).count() == 8
    assert Request.objects.filter(status="paused").count() == 6
    assert RequestEvent.objects.filter(action="transfer").exists()
    assert RequestEvent.objects.filter(action="extend_approve").exists()
    assert RequestEvent.objects.filter(action="extend_refuse").exists()
    assert Request.objects.filter(satisfaction="unsatisfied").count() >= 1
    assert Request.objects.filter(closed_on_time=False).exists()  # some closed late


def test_no_event_happens_after_the_reporting_day(district, db):
    """Of the campaign reported on 15 March; the enterprise side's extras come after it (next test)."""
    reported = RequestEvent.objects.exclude(request__source=Request.Source.ENTERPRISE)
    latest = reported.order_by("-at").values_list("at", flat=True).first()
    assert timezone.localdate(latest) <= END


def test_loading_twice_changes_nothing(district, db):
    before = (
        Unit.objects.count(),
        User.objects.count(),
        Enterprise.objects.count(),
        Visit.objects.count(),
        Request.objects.count(),
        RequestEvent.objects.count(),
    )
    # campaign 1's requests, the project problems and those the enterprises submitted after 15 March
    assert demo.load()["requests"] == 1203 + 56 + 5
    after = (
        Unit.objects.count(),
        User.objects.count(),
        Enterprise.objects.count(),
        Visit.objects.count(),
        Request.objects.count(),
        RequestEvent.objects.count(),
    )
    # users: the demo accounts, each unit's two and the call-back checker (huifang, seeds/callbacks.py)
    assert after == before == (22, 51 + 1, 366 + 9, 294 + 281 + 391, 1203 + 56 + 5, before[5])


def test_every_demo_credit_code_is_valid(district, db):
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)


def test_enterprises_submitted_and_rated_requests_after_the_reporting_day(district, db):
    """The enterprise side (issue #19): five requests submitted through contacts' links from 18 March 2024 on
    (one rated satisfied by the enterprise, one reopened by its "unsatisfied", one whose staff-entered rating
    the enterprise replaced, one in progress, one on the dispatch desk), and the links they came through."""
    from apps.portal.models import ContactLink, LinkUse, token_hash
    from seeds.enterprise_side import DEMO_TOKEN

    theirs = Request.objects.filter(source=Request.Source.ENTERPRISE).order_by("received_at")
    assert [(r.received_on, r.status, r.satisfaction, r.satisfaction_by) for r in theirs] == [
        (date(2024, 3, 18), "confirmed", "satisfied", "enterprise"),
        (date(2024, 3, 19), "in_progress", "unsatisfied", "enterprise"),
        (date(2024, 3, 20), "confirmed", "basic", "enterprise"),
        (date(2024, 3, 21), "acknowledged", "", ""),
        (date(2024, 3, 22), "new", "", ""),
    ]
    assert all(r.created_by_id is None and r.contact_id for r in theirs)
    first = RequestEvent.objects.filter(request__source=Request.Source.ENTERPRISE).order_by("at").first()
    assert timezone.localdate(first.at) > END
    assert ContactLink.objects.count() == 4
    assert ContactLink.objects.usable().get().token_hash == token_hash(DEMO_TOKEN)  # the one to try
    assert LinkUse.objects.filter(action="submit").count() == 5
    # every rating typed before the enterprise side existed is marked staff-entered
    assert not Request.objects.exclude(satisfaction="").filter(satisfaction_by="").exists()

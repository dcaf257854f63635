"""The writes of campaign 2: monthly reports and their audited corrections, plans, starts, and project visits
and problems through campaign 1's visits and requests."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.projects import selectors, services
from apps.projects.models import (
    MAX_AMOUNT,
    MonthlyReport,
    Project,
    ProjectProblem,
    ProjectVisit,
    ReportCorrection,
    TaskForceMember,
    YearPlan,
)
from apps.service import selectors as service_selectors
from apps.service.models import Request, RequestEvent, Visit

from ..factories import EnterpriseFactory, UserFactory
from ..service.factories import FINANCE, VisitFactory, category, local, make_request, walk_to
from .factories import planned, project_visit, report

pytestmark = pytest.mark.django_db

FEB = date(2024, 2, 1)


@pytest.fixture
def project_a(unit_a):
    return planned(unit_a, "1000", code="A-001", name="研创园智能制造基地")


def next_month() -> date:
    today = timezone.localdate()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def reports_of(project) -> list[tuple]:
    return list(MonthlyReport.objects.filter(project=project).values_list("month", "amount", "reported_by"))


# --- monthly reports ---------------------------------------------------------------------------------


def test_report_month_stores_the_first_of_the_month_who_and_when(project_a, staff_a):
    at = local(2024, 3, 5, 10)
    saved = services.report_month(
        project=project_a,
        month=date(2024, 2, 17),
        amount=Decimal("1250.5"),
        by=staff_a,
        note=" 含设备 ",
        at=at,
    )
    saved.refresh_from_db()
    assert (saved.month, saved.amount, saved.reported_by, saved.reported_at, saved.note) == (
        FEB,
        Decimal("1250.50"),
        staff_a,
        at,
        "含设备",
    )


def test_report_month_rounds_to_two_decimals(project_a, staff_a):
    saved = services.report_month(project=project_a, month=FEB, amount=Decimal("1234.567"), by=staff_a)
    saved.refresh_from_db()
    assert saved.amount == Decimal("1234.57")


def test_a_month_reported_twice_is_refused_and_the_first_report_stands(project_a, staff_a, colleague_a):
    services.report_month(project=project_a, month=FEB, amount=Decimal("100"), by=staff_a)
    with pytest.raises(ValidationError, match="2024-02 has already been reported for A-001"):
        services.report_month(
            project=project_a, month=date(2024, 2, 20), amount=Decimal("90"), by=colleague_a
        )
    assert reports_of(project_a) == [(FEB, Decimal("100.00"), staff_a.pk)]
    assert not ReportCorrection.objects.exists()


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("-0.01"),
        Decimal("-100"),
        MAX_AMOUNT + Decimal("0.01"),
        Decimal("1E+12"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        100.0,  # a float never gets near money
        "100",
    ],
    ids=str,
)
def test_a_negative_absurd_or_non_number_amount_is_refused(project_a, staff_a, amount):
    with pytest.raises(ValidationError):
        services.report_month(project=project_a, month=FEB, amount=amount, by=staff_a)
    assert reports_of(project_a) == []


@pytest.mark.parametrize("amount", [Decimal("0"), MAX_AMOUNT])
def test_zero_and_the_largest_plausible_amount_are_accepted(project_a, staff_a, amount):
    services.report_month(project=project_a, month=FEB, amount=amount, by=staff_a)
    assert reports_of(project_a) == [(FEB, amount, staff_a.pk)]


def test_a_month_that_has_not_started_is_refused(project_a, staff_a):
    with pytest.raises(ValidationError, match="A month that has not started cannot be reported"):
        services.report_month(project=project_a, month=next_month(), amount=Decimal("1"), by=staff_a)
    assert reports_of(project_a) == []


def test_the_current_month_can_be_reported(project_a, staff_a):
    this_month = timezone.localdate().replace(day=1)
    services.report_month(project=project_a, month=this_month, amount=Decimal("1"), by=staff_a)
    assert reports_of(project_a) == [(this_month, Decimal("1.00"), staff_a.pk)]


def test_staff_of_another_unit_cannot_report(project_a, staff_b):
    with pytest.raises(PermissionDenied):
        services.report_month(project=project_a, month=FEB, amount=Decimal("100"), by=staff_b)
    assert reports_of(project_a) == []


def test_a_user_without_the_reporting_permission_cannot_report_for_their_own_unit(project_a, unit_a):
    no_role = UserFactory(unit=unit_a)
    with pytest.raises(PermissionDenied):
        services.report_month(project=project_a, month=FEB, amount=Decimal("100"), by=no_role)
    assert reports_of(project_a) == []


@pytest.mark.parametrize("who", ["colleague_a", "manager_a", "leader"])
def test_the_unit_and_the_leaders_can_report(project_a, users, who):
    services.report_month(project=project_a, month=FEB, amount=Decimal("100"), by=users[who])
    assert reports_of(project_a) == [(FEB, Decimal("100.00"), users[who].pk)]


# --- corrections --------------------------------------------------------------------------------------


def test_a_correction_changes_the_amount_and_records_old_new_by_and_reason(project_a, staff_a, colleague_a):
    original = report(project_a, "2024-02", "100", by=staff_a)
    services.report_correct(report=original, amount=Decimal("120.5"), reason=" 漏报设备购置 ", by=colleague_a)
    original.refresh_from_db()
    assert (original.amount, original.reported_by) == (Decimal("120.50"), staff_a)
    assert original.corrected_at is not None
    assert list(
        ReportCorrection.objects.values_list("report", "old_amount", "new_amount", "by", "reason")
    ) == [(original.pk, Decimal("100.00"), Decimal("120.50"), colleague_a.pk, "漏报设备购置")]


def test_two_corrections_keep_the_whole_history(project_a, staff_a):
    original = report(project_a, "2024-02", "100", by=staff_a)
    services.report_correct(report=original, amount=Decimal("120"), reason="一次", by=staff_a)
    services.report_correct(report=original, amount=Decimal("110"), reason="二次", by=staff_a)
    history = ReportCorrection.objects.order_by("at").values_list("old_amount", "new_amount", "reason")
    assert list(history) == [
        (Decimal("100"), Decimal("120"), "一次"),
        (Decimal("120"), Decimal("110"), "二次"),
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused_and_nothing_changes(project_a, staff_a, reason):
    original = report(project_a, "2024-02", "100", by=staff_a)
    with pytest.raises(ValidationError, match="Give the reason for the correction"):
        services.report_correct(report=original, amount=Decimal("120"), reason=reason, by=staff_a)
    original.refresh_from_db()
    assert (original.amount, original.corrected_at) == (Decimal("100.00"), None)
    assert not ReportCorrection.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("-1"), MAX_AMOUNT + 1, Decimal("NaN")], ids=str)
def test_a_correction_to_a_bad_amount_is_refused(project_a, staff_a, amount):
    original = report(project_a, "2024-02", "100", by=staff_a)
    with pytest.raises(ValidationError):
        services.report_correct(report=original, amount=amount, reason="更正", by=staff_a)
    original.refresh_from_db()
    assert original.amount == Decimal("100.00")
    assert not ReportCorrection.objects.exists()


def test_a_correction_to_the_same_amount_records_nothing(project_a, staff_a):
    original = report(project_a, "2024-02", "100", by=staff_a)
    services.report_correct(report=original, amount=Decimal("100.00"), reason="核对无误", by=staff_a)
    original.refresh_from_db()
    assert original.corrected_at is None
    assert not ReportCorrection.objects.exists()


def test_staff_of_another_unit_cannot_correct(project_a, staff_a, staff_b):
    original = report(project_a, "2024-02", "100", by=staff_a)
    with pytest.raises(PermissionDenied):
        services.report_correct(report=original, amount=Decimal("1"), reason="恶意更改", by=staff_b)
    original.refresh_from_db()
    assert (original.amount, original.corrected_at) == (Decimal("100.00"), None)
    assert not ReportCorrection.objects.exists()


# --- plans --------------------------------------------------------------------------------------------

CURVE = [5, 10, 18, 26, 35, 45, 55, 64, 73, 82, 91, 100]


def test_plan_set_stores_the_plan_and_its_monthly_curve(project_a, staff_a):
    plan = services.plan_set(
        project=project_a,
        year=2025,
        planned_investment=Decimal("3000"),
        is_new_start=True,
        monthly_curve=CURVE,
        by=staff_a,
    )
    plan.refresh_from_db()
    assert (plan.year, plan.planned_investment, plan.is_new_start, plan.monthly_curve) == (
        2025,
        Decimal("3000.00"),
        True,
        CURVE,
    )


def test_plan_set_again_changes_the_year_plan_instead_of_adding_one(project_a, staff_a):
    services.plan_set(
        project=project_a, year=2024, planned_investment=Decimal("1500"), is_new_start=True, by=staff_a
    )
    assert list(
        YearPlan.objects.filter(project=project_a).values_list("year", "planned_investment", "is_new_start")
    ) == [(2024, Decimal("1500.00"), True)]


@pytest.mark.parametrize(
    "curve",
    [
        CURVE[:11],  # 11 months
        [*CURVE, 100],  # 13 months
        [5, 10, 18, 26, 35, 45, 40, 64, 73, 82, 91, 100],  # falls in July
        [5, 10, 18, 26, 35, 45, 55, 64, 73, 82, 91, 95],  # does not end at 100
        [-5, 10, 18, 26, 35, 45, 55, 64, 73, 82, 91, 100],  # a negative share
        ["5", "10", "18", "26", "35", "45", "55", "64", "73", "82", "91", "100"],  # text
        [None] * 11 + [100],
        [float("nan")] * 11 + [100],
    ],
    ids=["11", "13", "falling", "not-100", "negative", "text", "none", "nan"],
)
def test_a_bad_monthly_curve_is_refused_and_the_plan_is_unchanged(project_a, staff_a, curve):
    with pytest.raises(ValidationError, match="12 rising cumulative percentages ending at 100"):
        services.plan_set(
            project=project_a,
            year=2024,
            planned_investment=Decimal("2000"),
            is_new_start=True,
            monthly_curve=curve,
            by=staff_a,
        )
    assert list(
        YearPlan.objects.filter(project=project_a).values_list("planned_investment", "monthly_curve")
    ) == [(Decimal("1000.00"), [])]


def test_a_flat_curve_with_decimals_is_accepted(project_a, staff_a):
    curve = [0, 0, 8.5, 16.7, 25, 33.3, 41.7, 50, 58.3, 66.7, 83.3, 100]
    plan = services.plan_set(
        project=project_a,
        year=2024,
        planned_investment=Decimal("1000"),
        is_new_start=False,
        monthly_curve=curve,
        by=staff_a,
    )
    plan.refresh_from_db()
    assert plan.monthly_curve == curve


def test_staff_of_another_unit_cannot_set_a_plan(project_a, staff_b):
    with pytest.raises(PermissionDenied):
        services.plan_set(
            project=project_a, year=2024, planned_investment=Decimal("1"), is_new_start=True, by=staff_b
        )
    assert list(
        YearPlan.objects.filter(project=project_a).values_list("planned_investment", "is_new_start")
    ) == [(Decimal("1000.00"), False)]


# --- starts and the project record -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Project.Stage.RESERVE, Project.Stage.CONSTRUCTION),
        (Project.Stage.PREPARATION, Project.Stage.CONSTRUCTION),
        (Project.Stage.CONSTRUCTION, Project.Stage.CONSTRUCTION),
        (Project.Stage.COMPLETED, Project.Stage.COMPLETED),
    ],
)
def test_project_start_records_the_date_and_moves_the_stage_forward_only(unit_a, staff_a, before, after):
    project = planned(unit_a, stage=before, planned_start=date(2024, 3, 1))
    services.project_start(project=project, on=date(2024, 2, 23), by=staff_a)
    project.refresh_from_db()
    assert (project.actual_start, project.stage, project.start_delay_days, project.days_early) == (
        date(2024, 2, 23),
        after,
        -7,
        7,
    )


def test_a_start_in_the_future_is_refused(unit_a, staff_a):
    project = planned(unit_a, stage=Project.Stage.PREPARATION)
    with pytest.raises(ValidationError, match="A start date cannot be in the future"):
        services.project_start(project=project, on=timezone.localdate() + timedelta(days=1), by=staff_a)
    project.refresh_from_db()
    assert (project.actual_start, project.stage) == (None, Project.Stage.PREPARATION)


def test_staff_of_another_unit_cannot_record_a_start(unit_a, staff_b):
    project = planned(unit_a, stage=Project.Stage.PREPARATION)
    with pytest.raises(PermissionDenied):
        services.project_start(project=project, on=date(2024, 3, 1), by=staff_b)
    project.refresh_from_db()
    assert (project.actual_start, project.stage) == (None, Project.Stage.PREPARATION)


def test_project_save_creates_a_project_with_its_task_force_and_lead(
    unit_a, unit_b, staff_a, staff_b, manager_a
):
    owner = EnterpriseFactory(unit=unit_a)
    project = services.project_save(
        by=staff_a,
        code="A-100",
        name="研创园新项目",
        owner=owner,
        unit=unit_a,
        level=Project.Level.MUNICIPAL,
        kind=Project.Kind.HEADQUARTERS,
        industry="I",
        total_investment=Decimal("50000"),
        task_force=[staff_a, staff_b],
        lead=manager_a,
    )
    assert Project.objects.filter(pk=project.pk, unit=unit_a, owner=owner).exists()
    members = TaskForceMember.objects.filter(project=project).values_list("user__username", "is_lead")
    assert sorted(members) == [("manager_a", True), ("staff_a", False), ("staff_b", False)]


def test_staff_cannot_create_a_project_for_another_unit_or_move_one_away(unit_a, unit_b, staff_a):
    with pytest.raises(PermissionDenied):
        services.project_save(
            by=staff_a,
            code="B-100",
            name="别人的项目",
            owner=EnterpriseFactory(unit=unit_b),
            unit=unit_b,
            level="district",
            kind="industrial",
            industry="C",
            total_investment=Decimal("1"),
        )
    assert not Project.objects.filter(code="B-100").exists()
    project = planned(unit_a)
    with pytest.raises(PermissionDenied):
        services.project_save(by=staff_a, project=project, unit=unit_b)
    assert Project.objects.get(pk=project.pk).unit == unit_a


def test_project_save_refuses_a_field_that_is_not_editable(unit_a, staff_a):
    project = planned(unit_a)
    with pytest.raises(TypeError):
        services.project_save(by=staff_a, project=project, created_at=timezone.now())


# --- project visits and problems, through campaign 1 --------------------------------------------------


def test_project_visit_record_logs_a_visit_to_the_project_with_its_problems(
    project_a, unit_a, unit_b, staff_a
):
    visit = project_visit(
        project_a,
        staff_a,
        date(2024, 3, 5),
        [
            {"category": category(), "title": "施工用电增容", "handling_unit": unit_a},
            {"category": category(FINANCE), "title": "项目贷款", "handling_unit": unit_b},
        ],
    )
    visit.refresh_from_db()
    assert (visit.enterprise, visit.target_name, visit.lead_unit, visit.visited_on) == (
        project_a.owner,
        "研创园智能制造基地",
        unit_a,
        date(2024, 3, 5),
    )
    assert list(ProjectVisit.objects.values_list("project", "visit")) == [(project_a.pk, visit.pk)]
    problems = Request.objects.filter(project_link__project=project_a).order_by("title")
    assert [(r.title, r.visit_id, r.enterprise_id, r.handling_unit_id, r.status) for r in problems] == [
        ("施工用电增容", visit.pk, project_a.owner_id, unit_a.pk, "dispatched"),
        ("项目贷款", visit.pk, project_a.owner_id, unit_b.pk, "dispatched"),
    ]
    assert ProjectProblem.objects.filter(project=project_a).count() == 2


def test_a_project_visit_without_problems_links_the_visit_only(project_a, staff_a):
    project_visit(project_a, staff_a, date(2024, 3, 5))
    assert ProjectVisit.objects.filter(project=project_a).count() == 1
    assert not ProjectProblem.objects.exists()


def test_a_project_problem_goes_through_the_request_life_cycle_and_counts_as_solved(
    project_a, unit_a, staff_a, manager_a
):
    period = {"start": date(2024, 3, 1), "end": date(2024, 3, 31), "unit_id": unit_a.pk}
    visit = project_visit(
        project_a,
        staff_a,
        date(2024, 3, 5),
        [{"category": category(), "title": "施工用电增容", "handling_unit": unit_a}],
    )
    problem = visit.requests.get()
    assert selectors.project_values(**period)["problems_solved"] == 0
    problem = walk_to(problem, "confirmed", handler=staff_a, manager=manager_a, at=local(2024, 3, 6, 10))
    assert list(
        RequestEvent.objects.filter(request=problem).values_list("action", flat=True).order_by("at")
    ) == [
        "create",
        "dispatch",
        "acknowledge",
        "contact",
        "close",
        "confirm",
    ]
    values = selectors.project_values(**period)
    assert (values["project_visits"], values["problems_raised"], values["problems_solved"]) == (1, 1, 1)


def test_a_project_problem_closed_as_explained_is_not_solved(project_a, unit_a, staff_a, manager_a):
    from ..service.factories import A, act

    period = {"start": date(2024, 3, 1), "end": date(2024, 3, 31), "unit_id": unit_a.pk}
    visit = project_visit(
        project_a,
        staff_a,
        date(2024, 3, 5),
        [{"category": category(), "title": "规划调整", "handling_unit": unit_a}],
    )
    problem = walk_to(
        visit.requests.get(), "in_progress", handler=staff_a, manager=manager_a, at=local(2024, 3, 6, 10)
    )
    act(problem, A.CLOSE, staff_a, local(2024, 3, 7, 10), outcome=Request.Outcome.EXPLAINED)
    assert selectors.project_values(**period)["problems_solved"] == 0


def test_project_problem_create_links_a_request_to_the_project(project_a, unit_a, staff_a):
    req = services.project_problem_create(
        project=project_a,
        by=staff_a,
        category=category(),
        title="环评批复",
        handling_unit=unit_a,
        received_at=local(2024, 3, 6, 9),
    )
    assert list(ProjectProblem.objects.values_list("project", "request")) == [(project_a.pk, req.pk)]
    assert (req.enterprise, req.status, req.received_on) == (project_a.owner, "dispatched", date(2024, 3, 6))


def test_campaign_1_figures_do_not_count_project_visits_or_problems(project_a, unit_a, staff_a, manager_a):
    """A campaign-1 visit and request in March, then a project visit with a solved problem in March:
    service_values (district-wide and for unit A) do not move."""
    march = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}
    VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 4))
    plain = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    walk_to(plain, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 5, 10))
    before = service_selectors.service_values(**march)
    before_a = service_selectors.service_values(**march, unit_id=unit_a.pk)
    assert (before["visits"], before["requests"], before["requests_closed"]) == (1, 1, 1)

    visit = project_visit(
        project_a,
        staff_a,
        date(2024, 3, 6),
        [{"category": category(), "title": "施工用电增容", "handling_unit": unit_a}],
    )
    walk_to(visit.requests.get(), "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 7, 10))

    assert Visit.objects.in_period(**march).count() == 2
    assert Request.objects.received_between(**march).count() == 2
    assert service_selectors.service_values(**march) == before
    assert service_selectors.service_values(**march, unit_id=unit_a.pk) == before_a
    assert {r["handling_unit"]: r["requests"] for r in _by_unit(march)} == {unit_a.pk: 1}


def _by_unit(period):
    return [
        {"handling_unit": r["unit"].pk, "requests": r["requests"]}
        for r in service_selectors.service_by_unit(**period)
    ]


def test_a_project_problem_counts_as_solved_as_soon_as_it_is_closed(project_a, unit_a, staff_a, manager_a):
    """Closing sets closed_at through the clocks (a queryset update), not the transition's save: the project's
    "solved" figure must follow that update, not wait for the request's next save."""
    period = {"start": date(2024, 3, 1), "end": date(2024, 3, 31), "unit_id": unit_a.pk}
    visit = project_visit(
        project_a,
        staff_a,
        date(2024, 3, 5),
        [{"category": category(), "title": "施工用电增容", "handling_unit": unit_a}],
    )
    walk_to(visit.requests.get(), "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 6, 10))
    assert selectors.project_values(**period)["problems_solved"] == 1

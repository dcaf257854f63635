"""The roll-ups kept by increments equal a rebuild from the records, whatever users do and in whatever order.

A seeded random walk calls the write services as users would: only the moves a user is offered
(`allowed_moves` for a request), each with what it needs, by the people of the units concerned, often
following a case up. It goes over every life cycle of the four campaigns — visits with 0–3 requests and
joint units, requests dispatched on creation or left on the dispatch desk, every move of a request
(dispatch, assign, acknowledge, contact, transfer, return, pause and resume, extension asked, approved and
refused, close, reopen, confirm, withdraw), joint actions created and closed, the working-day calendar
changed and the clocks recomputed, project visits and problems, year plans set and changed, monthly reports
and corrections, project starts, projects handed to another unit or given another level or planned start,
R&D results catalogued, matched, landed, shelved and back, a result handed to another unit, R&D visits,
leads recorded, moved on, signed, registered, started and dropped, trips with leads, enterprises created,
made key or handed over, and the imports of enterprises, projects, monthly investment, results and leads
(optional columns left out now and then). Some attempts are refused (a move without its reason, a month
reported twice, a file with a month not yet started); a refused write must leave nothing behind.

A simulated clock moves forward from 20 November 2024 to 10 February 2025, minutes to days at a time,
across month ends (sometimes stopping at 23:5x on the last day) and the new year; it is what the services
take as "now" (`timezone.now`), and every service that takes a moment is given it explicitly. Then:

- after each walk, the roll-ups kept on every write equal a rebuild, row for row (`differences()`);
- each walk did what it claims: every kind of write and every request move happened, and some were refused;
- the comparison can fail: one counter tampered with is reported, in its table.

The walk found no difference. The bugs found next to it, where records change without the increments or
not as the services would change them, are reproduced at the end, each in the fewest writes (strict xfail).
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.models import User
from apps.core.periods import month_end
from apps.enterprises import services as enterprise_services
from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.importers import EnterpriseImporter
from apps.enterprises.models import Enterprise, Size
from apps.investment import services as investment_services
from apps.investment.importers import LeadImporter
from apps.investment.models import Lead, Trip
from apps.projects import services as project_services
from apps.projects.importers import MonthlyInvestmentImporter, ProjectImporter
from apps.projects.models import MonthlyReport, Project, ProjectMonth, YearPlan
from apps.research import services as research_services
from apps.research.importers import ResultImporter
from apps.research.models import Entity, EntityVisit, Match, Result, ResultEvent
from apps.service import services
from apps.service.models import Category, JointAction, Request, RequestMonth, Status, Visit
from apps.units.models import Unit
from apps.workbench import rollups
from apps.workdays.calendar import clear_cache
from apps.workdays.models import CalendarDay

from ..conftest import client_for
from ..factories import EnterpriseFactory, UserFactory
from ..projects.factories import ProjectFactory, project_visit
from ..research.factories import CarrierFactory, EntityFactory, catalogue, entity_visit
from ..service.factories import A, category, local, make_request

pytestmark = pytest.mark.django_db

START, END = local(2024, 11, 20, 9), local(2025, 2, 10, 18)
STEPS = 500
SEEDS = [11, 23, 37]

R, M, L = Result.Status, Match.Status, Lead.Stage
OPEN_MATCH = list(research_services.OPEN_MATCH)
NOTE, ANSWER = "理由说明", "已协调解决并答复企业"
TERMINAL = [Status.CONFIRMED, Status.WITHDRAWN]
# How often users take each move they are offered: mostly forward, now and then back or away.
HOW_OFTEN = {
    A.DISPATCH: 5, A.ASSIGN: 1, A.ACKNOWLEDGE: 5, A.CONTACT: 5, A.CLOSE: 5, A.CONFIRM: 4, A.REOPEN: 2,
    A.TRANSFER: 1.5, A.RETURN: 1, A.EXTEND_ASK: 8, A.EXTEND_APPROVE: 8, A.EXTEND_REFUSE: 8, A.PAUSE: 2,
    A.RESUME: 4, A.WITHDRAW: 0.7,
}  # fmt: skip
# A lead's expected investment in every band of the pipeline, and under it (in no band).
EXPECTED_WAN = [Decimal(v) for v in ("5000", "10000", "80000", "100000", "150000", "500000", "600000")]
PROJECT_HEADERS = [
    "项目编码", "项目名称", "业主企业信用代码", "责任单位", "项目级别", "项目类型", "行业门类",
    "总投资（万元）", "计划开工", "年度", "年度计划投资（万元）", "是否新开工",
]  # fmt: skip
INVESTMENT_HEADERS = ["项目编码", "项目名称", "月份", "本月完成投资（万元）"]
RESULT_HEADERS = [
    "成果名称", "研发主体", "行业门类", "成果类型", "成熟度", "拟落地方式", "需求面积（㎡）", "责任单位",
]  # fmt: skip
LEAD_HEADERS = ["项目名称", "投资方", "来源地", "行业门类", "预计投资（万元）", "来源", "展会"]
ENTERPRISE_HEADERS = ["企业名称", "统一社会信用代码", "所属园区", "行业门类", "企业规模", "是否重点企业"]

#: what every walk must have done at least once (besides every request move)
EXPECTED = {
    "visit", "visit with requests", "visit with joint units", "request dispatched on creation",
    "request left on the dispatch desk", "request logged", "joint action created", "joint action closed",
    "calendar changed", "clocks recomputed", "project visit", "project visit with problems",
    "project problem", "plan set", "plan changed", "plan new start changed", "report", "report corrected",
    "project started", "project created", "project unit changed", "project level changed",
    "project planned start changed", "investment import", "project import", "result import", "lead import",
    "result catalogued", "match proposed", "match moved", "match landed", "result moved", "result landed",
    "result shelved", "result unshelved", "result unit changed", "entity visit", "lead created",
    "lead recorded", "lead moved", "lead signed", "lead registered", "lead started", "lead dropped", "trip",
    "trip with leads", "enterprise made key", "enterprise unit changed", "enterprise created",
    "enterprise import", "visit without an enterprise",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The walk edits the working-day calendar, which is cached per process: start and end without it."""
    clear_cache()
    yield
    clear_cache()


@dataclass
class World:
    """The people, units and records the walk starts from."""

    units: list[Unit]
    people: dict[int, list[User]]  # unit id → the users who work on its requests and records
    leader: User
    users: dict[int, User]  # every user by id (one object each: permissions are read once per user)
    categories: list[Category]
    carriers: list

    def workers(self, unit_id: int | None) -> list[User]:
        return self.people.get(unit_id, [])

    def editors(self, unit_id: int) -> list[User]:
        """Who edits a record of the unit: its people and the leader."""
        return [*self.workers(unit_id), self.leader]


@pytest.fixture
def world(unit_a, unit_b, office, staff_a, colleague_a, manager_a, staff_b, leader):
    manager_b = UserFactory(username="manager_b", display_name="陈静", unit=unit_b, role=roles.UNIT_MANAGER)
    clerk = UserFactory(username="clerk", display_name="周强", unit=office, role=roles.STAFF)
    people = {
        unit_a.pk: [staff_a, colleague_a, manager_a],
        unit_b.pk: [staff_b, manager_b],
        office.pk: [clerk],
    }
    every = [u for unit in people.values() for u in unit] + [leader]
    world = World(
        units=[unit_a, unit_b, office],
        people=people,
        leader=leader,
        users={u.pk: u for u in every},
        categories=list(Category.objects.order_by("pk")),
        carriers=[CarrierFactory(park=unit_a), CarrierFactory(park=unit_b)],
    )
    for unit in (unit_a, unit_b):
        for i in range(4):
            EnterpriseFactory(unit=unit, is_key=i < 2)
    for unit, by in ((unit_a, staff_a), (unit_b, staff_b)):
        for i in range(2):
            research_services.record_save(
                by=by,
                instance=Entity(name=f"{unit.short_name}研究院{i}", type=Entity.Type.INSTITUTE, unit=unit),
            )
    return world


def upload(headers: list[str], rows: list[list]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(["" if v is None else str(v) for v in row] for row in rows)
    return SimpleUploadedFile("x.csv", buffer.getvalue().encode("utf-8"), content_type="text/csv")


class Walk:
    """One seeded walk. Each step moves the clock on, then one user does one thing; a refused write is
    counted and the walk goes on (its transaction was rolled back)."""

    def __init__(self, world: World, seed: int):
        self.w, self.rng, self.now = world, random.Random(seed), START
        self.done: Counter[str] = Counter()  # what was written, by kind
        self.pending: Counter[str] = Counter()  # the finer kinds of the step under way, done if it succeeds
        self.moves: Counter[str] = Counter()  # request moves made, by action
        self.tried: Counter[str] = Counter()  # steps taken, by step
        self.refused: Counter[str] = Counter()  # writes refused, by step
        self.seq = 0
        self.last: dict[type, int] = {}  # the record of each kind picked last
        self.seed = seed

    # --- the clock ----------------------------------------------------------------------------------------

    def today(self) -> date:
        return timezone.localdate(self.now)

    def tick(self, steps_left: int) -> None:
        """Minutes half the time, else hours to days, so that the walk ends near END; a step into the next
        month stops at 23:5x on the month's last day half the time."""
        rng = self.rng
        if rng.random() < 0.5:
            gap = timedelta(minutes=rng.randint(1, 120))
        else:
            mean = max(2 * (END - self.now).total_seconds() / max(steps_left, 1) - 3600, 600)
            gap = timedelta(seconds=int(rng.expovariate(1 / mean)) + 60)
        new = min(self.now + gap, END)
        here = self.today()
        if timezone.localdate(new).month != here.month and rng.random() < 0.5:
            last = month_end(here)
            edge = timezone.make_aware(datetime(last.year, last.month, last.day, 23, rng.randint(50, 59)))
            new = max(edge, self.now + timedelta(seconds=1))
        self.now = new

    # --- helpers ------------------------------------------------------------------------------------------

    def name(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}{self.seed}-{self.seq:04d}"

    def credit_code(self, letter: str) -> str:
        self.seq += 1
        return make_credit_code("9", "1", "320111", f"{letter}{self.seed % 100:02d}{self.seq:05d}")

    def pick(self, queryset, *, ahead: tuple[str, list[str]] | None = None, follow: bool = False):
        """One record of `queryset`, fresh from the database (as a page loads it), or None. A user often
        follows a case up: with `follow`, half the time the record of this kind picked last (when it is
        still in `queryset`); with `ahead` (a field and the order of its values), more often one of those
        furthest along."""
        model = queryset.model
        rows = list(queryset.order_by("pk").values_list("pk", ahead[0] if ahead else "pk"))
        last = [row for row in rows if row[0] == self.last.get(model)]
        if follow and last and self.rng.random() < 0.5:
            rows = last
        elif rows and ahead and self.rng.random() < 0.7:
            furthest = max(ahead[1].index(value) for _pk, value in rows)
            rows = [row for row in rows if ahead[1].index(row[1]) == furthest]
        if not rows:
            return None
        self.last[model] = self.rng.choice(rows)[0]
        return model.objects.get(pk=self.last[model])

    def user(self, user_id: int | None) -> User | None:
        return self.w.users.get(user_id)

    def other_unit(self, unit_id: int) -> Unit:
        return self.rng.choice([u for u in self.w.units if u.pk != unit_id])

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low * 100, high * 100)) / 100

    def items(self, count: int) -> list[dict]:
        """What a user types for `count` requests: some dispatched at once (to a unit, maybe to a handler,
        with co-handling units), the others left on the dispatch desk."""
        rng, items = self.rng, []
        for _ in range(count):
            item = {
                "category": rng.choice(self.w.categories),
                "title": self.name("诉求"),
                "urgency": rng.choice(Request.Urgency.values),
                # received now, or a while ago and logged late (a call taken before the month ended)
                "received_at": self.now - timedelta(minutes=rng.choice([0, 0, 0, 30, 600, 2000])),
            }
            if rng.random() < 0.6:
                unit = rng.choice(self.w.units)
                item["handling_unit"] = unit
                if rng.random() < 0.4:
                    item["handler"] = rng.choice(self.w.workers(unit.pk))
                if rng.random() < 0.2:
                    item["co_units"] = [self.other_unit(unit.pk)]
                self.pending["request dispatched on creation"] += 1
            else:
                self.pending["request left on the dispatch desk"] += 1
            items.append(item)
        return items

    def park_people(self) -> list[User]:
        return [u for unit in self.w.units[:2] for u in self.w.workers(unit.pk)]

    def trim(self, headers: list[str], rows: list[list], optional: set[str]) -> tuple[list[str], list[list]]:
        """The file as users make it: an optional column left out now and then."""
        keep = [i for i, h in enumerate(headers) if h not in optional or self.rng.random() < 0.7]
        return [headers[i] for i in keep], [[row[i] for i in keep] for row in rows]

    def visitor(self) -> tuple[User, Unit]:
        """Who logs a visit, and the unit that led it (the leader logs one for any unit)."""
        by = self.rng.choice([*self.park_people(), self.w.leader])
        return by, (self.rng.choice(self.w.units[:2]) if by == self.w.leader else by.unit)

    def visit_fields(self, lead_unit: Unit) -> dict:
        rng = self.rng
        joint = rng.sample(self.w.units, rng.choice([0, 0, 1, 2]))  # the lead unit among them sometimes
        if [u for u in joint if u.pk != lead_unit.pk]:
            self.pending["visit with joint units"] += 1
        return {
            "visited_on": self.today() - timedelta(days=rng.choice([0, 0, 0, 1, 3])),  # logged a bit late
            "lead_unit": lead_unit,
            "mode": rng.choice(Visit.Mode.values),
            "summary": "走访了解情况",
            "joint_units": joint,
            "created_at": self.now,
        }

    # --- campaign 1: visits and requests ------------------------------------------------------------------

    def visit(self) -> str:
        """A visit to an enterprise (now and then to a meeting of several, with no enterprise record)."""
        by, lead_unit = self.visitor()
        items = self.items(self.rng.choice([0, 0, 1, 1, 2, 3]))
        enterprise = self.pick(Enterprise.objects.all()) if self.rng.random() < 0.9 else None
        services.visit_record(
            by=by,
            enterprise=enterprise,
            target_name="" if enterprise else "园区企业座谈会",
            staff=[self.rng.choice(self.w.workers(lead_unit.pk))],
            requests=items,
            **self.visit_fields(lead_unit),
        )
        if items:
            self.pending["visit with requests"] += 1
        if enterprise is None:
            self.pending["visit without an enterprise"] += 1
        return "visit"

    def request_logged(self) -> str:
        by, _unit = self.visitor()
        item = self.items(1)[0]
        services.request_create(
            by=by,
            enterprise=self.pick(Enterprise.objects.all()),
            source=self.rng.choice([Request.Source.HOTLINE, Request.Source.LETTER, Request.Source.ONLINE]),
            **item,
        )
        return "request logged"

    def request_users(self, req: Request) -> list[User]:
        """Who may look at a request and act on it: the handling unit's people, the logging user and
        their unit's managers, the leader."""
        logged = [u for u in self.w.workers(req.logged_unit_id) if u.has_perm("accounts.manage_unit")]
        users = [*self.w.workers(req.handling_unit_id), self.user(req.created_by_id), *logged, self.w.leader]
        return list({u.pk: u for u in users}.values())

    def move_data(self, req: Request, action: str) -> dict:
        rng, data = self.rng, {}
        if action in (A.DISPATCH, A.TRANSFER):
            unit = self.other_unit(req.handling_unit_id) if action == A.TRANSFER else rng.choice(self.w.units)
            data["unit"] = unit
            if rng.random() < 0.4:
                data["handler"] = rng.choice(self.w.workers(unit.pk))
        elif action == A.ASSIGN:
            data["handler"] = rng.choice(self.w.workers(req.handling_unit_id))
        elif action == A.CLOSE:
            data |= {"outcome": rng.choice(Request.Outcome.values), "answer": ANSWER}
        elif action == A.CONFIRM:
            data["satisfaction"] = rng.choice([Request.Satisfaction.SATISFIED, Request.Satisfaction.BASIC])
        elif action == A.REOPEN:
            data["satisfaction"] = Request.Satisfaction.UNSATISFIED
        elif action == A.EXTEND_ASK:
            data["days"] = rng.randint(1, 10)
        if services.MOVES[action].needs_note:
            data["note"] = NOTE
        if rng.random() < 0.04:  # a form sent without what the move needs
            data = {}
        return data

    def request_move(self) -> str | None:
        req = self.pick(Request.objects.exclude(status__in=TERMINAL), follow=True)
        if req is None:
            return None
        offered: dict[str, list[User]] = {}
        for user in self.request_users(req):
            for action in services.allowed_moves(user, req):
                offered.setdefault(action, []).append(user)
        if not offered:
            return None
        actions = sorted(offered)
        # a move not made yet in this walk is more tempting: every move gets its turn
        weights = [HOW_OFTEN[a] * (1 if self.moves[a] else 6) for a in actions]
        action = self.rng.choices(actions, weights)[0]
        by = self.rng.choice(offered[action])
        if self.rng.random() < 0.03:  # someone not offered the move tries it anyway
            by = self.rng.choice(list(self.w.users.values()))
        services.request_transition(
            request=req,
            action=action,
            by=by,
            at=self.now,
            expected_status=req.status,
            expected_version=req.version,
            **self.move_data(req, action),
        )
        self.moves[action] += 1
        return "request move"

    def joint_action(self) -> str | None:
        rng = self.rng
        action = self.pick(JointAction.objects.filter(closed_at__isnull=True))
        if action is not None and rng.random() < 0.6:
            services.joint_action_close(
                action=action,
                by=rng.choice(self.w.workers(action.unit_id)),
                outcome=rng.choice(Request.Outcome.values),
                answer=ANSWER,
                at=self.now,
            )
            return "joint action closed"
        unit = rng.choice(self.w.units)
        candidates = list(
            Request.objects.filter(handling_unit=unit, status__in=services.HANDLING).order_by("pk")
        )
        if len(candidates) < 2:
            return None
        services.joint_action_create(
            by=rng.choice(self.w.workers(unit.pk)),
            title=self.name("专项行动"),
            description="同类诉求统一处理",
            requests=rng.sample(candidates, rng.randint(2, min(4, len(candidates)))),
        )
        return "joint action created"

    def calendar_change(self) -> str | None:
        """An admin enters a holiday or a make-up working day near today (or removes one), then the clocks
        are recomputed — for every request, for the recent ones, or not yet."""
        rng = self.rng
        day = self.today() + timedelta(days=rng.randint(-20, 20))
        entry = CalendarDay.objects.filter(date=day).first()
        if entry is not None:
            entry.delete()
        else:
            kind = CalendarDay.Kind.HOLIDAY if day.weekday() < 5 else CalendarDay.Kind.WORKDAY
            CalendarDay.objects.create(date=day, kind=kind, name="调整")
        clear_cache()
        choice = rng.random()
        if choice < 0.8:
            requests = Request.objects.all()
            if choice < 0.3:
                requests = requests.filter(received_on__gte=self.today() - timedelta(days=30))
            services.requests_recompute_clocks(requests=requests)
            self.pending["clocks recomputed"] += 1
        return "calendar changed"

    # --- campaign 2: projects -----------------------------------------------------------------------------

    def project(self) -> Project | None:
        return self.pick(Project.objects.all())

    def project_visit(self) -> str | None:
        project = self.project()
        if project is None:
            return None
        by, lead_unit = self.visitor()
        items = self.items(self.rng.choice([0, 1, 2]))
        project_services.project_visit_record(
            project=project, by=by, requests=items, **self.visit_fields(lead_unit)
        )
        if items:
            self.pending["project visit with problems"] += 1
        return "project visit"

    def project_problem(self) -> str | None:
        project = self.project()
        if project is None:
            return None
        by, _unit = self.visitor()
        project_services.project_problem_create(project=project, by=by, **self.items(1)[0])
        return "project problem"

    def plan(self) -> str | None:
        project, rng = self.project(), self.rng
        if project is None:
            return None
        year = rng.choice([2024, 2025])
        plan = YearPlan.objects.filter(project=project, year=year).first()
        new_start = rng.random() < 0.4 if plan is None or rng.random() < 0.5 else not plan.is_new_start
        curve = [8 * i for i in range(1, 12)] + [100] if rng.random() < 0.3 else None
        project_services.plan_set(
            project=project,
            year=year,
            planned_investment=Decimal(rng.choice([0, 500, 1200, 3000, 8000])),
            is_new_start=new_start,
            by=rng.choice(self.w.editors(project.unit_id)),
            monthly_curve=curve,
        )
        if plan is None:
            return "plan set"
        if plan.is_new_start != new_start:
            self.pending["plan new start changed"] += 1
        return "plan changed"

    def months_open(self) -> list[date]:
        """The months that may be reported today: every month of 2024 and 2025 up to this one."""
        this = self.today().replace(day=1)
        return [date(y, m, 1) for y in (2024, 2025) for m in range(1, 13) if date(y, m, 1) <= this]

    def report(self) -> str | None:
        project, rng = self.project(), self.rng
        if project is None:
            return None
        reported = set(MonthlyReport.objects.filter(project=project).values_list("month", flat=True))
        months = [m for m in self.months_open() if m not in reported]
        if reported and (rng.random() < 0.05 or not months):  # a month reported twice: refused
            months = sorted(reported)
        project_services.report_month(
            project=project,
            month=rng.choice(months[-4:] if rng.random() < 0.7 else months),
            amount=self.amount(0, 900),
            by=rng.choice(self.w.editors(project.unit_id)),
            note="按月填报",
            at=self.now,
        )
        return "report"

    def report_correct(self) -> str | None:
        report = self.pick(MonthlyReport.objects.all())
        if report is None:
            return None
        project_services.report_correct(
            report=report,
            amount=self.amount(0, 900),
            reason="统计口径更正",
            by=self.rng.choice(self.w.editors(report.project.unit_id)),
            expected_version=report.version,
        )
        return "report corrected"

    def project_start(self) -> str | None:
        project = self.project()
        if project is None:
            return None
        project_services.project_start(
            project=project,
            on=self.today() - timedelta(days=self.rng.randint(0, 60)),
            by=self.rng.choice(self.w.editors(project.unit_id)),
        )
        return "project started"

    def project_create(self) -> str:
        by = self.rng.choice(self.w.editors(self.rng.choice(self.w.units).pk))
        unit = by.unit if by != self.w.leader else self.rng.choice(self.w.units)
        project_services.project_save(
            by=by,
            code=self.name("XM"),
            name=self.name("测试项目"),
            owner=self.pick(Enterprise.objects.all()),
            unit=unit,
            level=self.rng.choice(Project.Level.values),
            kind=Project.Kind.INDUSTRIAL,
            industry="C",
            total_investment=Decimal("20000"),
            stage=Project.Stage.PREPARATION,
            planned_start=self.some_day() if self.rng.random() < 0.7 else None,
        )
        return "project created"

    def some_day(self) -> date:
        return date(2024, 1, 1) + timedelta(days=self.rng.randint(0, 540))

    def project_change(self) -> str | None:
        """A project's page edited: its unit (by the leader, its visits and problems follow), its level,
        its planned start or completion."""
        project, rng = self.project(), self.rng
        if project is None:
            return None
        changes, kinds = {}, []
        if rng.random() < 0.4:
            changes["unit"], kinds = self.other_unit(project.unit_id), ["project unit changed"]
        if rng.random() < 0.5:
            changes["level"] = rng.choice([v for v in Project.Level.values if v != project.level])
            kinds.append("project level changed")
        if rng.random() < 0.5 or not changes:
            changes["planned_start"] = self.some_day() if rng.random() < 0.85 else None
            kinds.append("project planned start changed")
        if rng.random() < 0.15:
            changes["actual_completion"] = self.today() - timedelta(days=rng.randint(0, 30))
        by = (
            self.w.leader
            if "unit" in changes or rng.random() < 0.3
            else rng.choice(self.w.editors(project.unit_id))
        )
        if rng.random() < 0.05:  # a member of another unit tries to take it over
            by = rng.choice(self.w.workers(changes.get("unit", self.other_unit(project.unit_id)).pk))
        project_services.project_save(by=by, project=project, expected_version=project.version, **changes)
        self.pending.update(kinds)
        return "project changed"

    def investment_import(self) -> str | None:
        """Months of several projects of the importing user's units, one file; a row repeating a report
        already made with the same amount changes nothing, a month not yet started refuses the file."""
        rng = self.rng
        by = rng.choice([*self.park_people(), self.w.leader])
        projects = Project.objects.all() if by == self.w.leader else Project.objects.filter(unit=by.unit)
        projects = list(projects.order_by("pk"))
        if not projects:  # nothing of the user's own: the leader's file, then
            by, projects = self.w.leader, list(Project.objects.order_by("pk"))
        rows, seen = [], set()
        for project in rng.sample(projects, min(len(projects), rng.randint(1, 3))):
            reported = dict(MonthlyReport.objects.filter(project=project).values_list("month", "amount"))
            for month in rng.sample(self.months_open()[-6:], rng.randint(1, 2)):
                if (project.pk, month) in seen:
                    continue
                seen.add((project.pk, month))
                amount = reported.get(month, self.amount(0, 700))
                rows.append([project.code, project.name, f"{month:%Y-%m}", amount])
        spoiled = rng.random() < 0.1
        if spoiled:  # one row for a month not yet started: the whole file is refused
            future = self.today().replace(day=28) + timedelta(days=10)
            rows.append([projects[0].code, "", f"{future:%Y-%m}", "10"])
        headers, rows = self.trim(INVESTMENT_HEADERS, rows, {"项目名称"})
        report = MonthlyInvestmentImporter(by).commit(upload(headers, rows))
        assert report.ok != spoiled, [(r.number, r.errors) for r in report.error_rows] or report.file_errors
        if spoiled:
            raise ValidationError("the file was refused")
        return "investment import"

    def project_import(self) -> str:
        """Projects of the year with their plan: new ones, and existing ones changed (another unit, level,
        planned start, plan) — by the leader, or by a unit's staff for their own unit's projects."""
        rng = self.rng
        by = rng.choice([self.w.leader, *self.park_people()])
        mine = Project.objects.all() if by == self.w.leader else Project.objects.filter(unit=by.unit)
        existing = list(mine.order_by("pk"))
        rows = []
        for project in rng.sample(existing, min(len(existing), rng.randint(0, 2))):
            unit = (
                self.other_unit(project.unit_id)
                if by == self.w.leader and rng.random() < 0.5
                else project.unit
            )
            rows.append(self.project_row(project.code, project.name, project.owner, unit, rng.random() < 0.5))
        for _ in range(rng.randint(0 if rows else 1, 2)):
            unit = rng.choice(self.w.units) if by == self.w.leader else by.unit
            rows.append(
                self.project_row(
                    self.name("DR"), self.name("导入项目"), self.pick(Enterprise.objects.all()), unit, True
                )
            )
        headers, rows = self.trim(PROJECT_HEADERS, rows, {"计划开工", "是否新开工"})
        report = ProjectImporter(by).commit(upload(headers, rows))
        assert report.ok, [(r.number, r.errors) for r in report.error_rows] or report.file_errors
        return "project import"

    def project_row(self, code, name, owner, unit, planned_start: bool) -> list:
        rng = self.rng
        return [
            code,
            name,
            owner.credit_code,
            unit.name,
            rng.choice(["省重大", "市重大", "区级"]),
            "industrial",
            "C",
            "50000",
            f"{self.some_day():%Y-%m-%d}" if planned_start else "",
            rng.choice([2024, 2025]),
            rng.choice(["0", "1500", "4000.5", "9000"]),
            rng.choice(["是", "否"]),
        ]

    # --- campaign 3: research to production ---------------------------------------------------------------

    def result_create(self) -> str:
        entity = self.pick(Entity.objects.all())
        by = self.rng.choice(self.w.editors(entity.unit_id))
        research_services.result_create(
            by=by,
            at=self.now,
            title=self.name("成果"),
            entity=entity,
            industry="C",
            type=self.rng.choice(Result.Type.values),
            maturity=self.rng.choice(Result.Maturity.values),
            landing_mode=self.rng.choice(Result.Landing.values),
            unit=entity.unit if by == self.w.leader else by.unit,
        )
        return "result catalogued"

    def match_propose(self) -> str | None:
        result = self.pick(Result.objects.filter(status__in=[R.CATALOGUED, R.MATCHING]))
        if result is None:
            return None
        partner = {"carrier": self.rng.choice(self.w.carriers)}
        if self.rng.random() < 0.4:
            partner = {"enterprise": self.pick(Enterprise.objects.all())}
        research_services.match_propose(
            result=result,
            by=self.rng.choice(self.w.editors(result.unit_id)),
            note="初步对接",
            at=self.now,
            **partner,
        )
        return "match proposed"

    def match_move(self) -> str | None:
        rng = self.rng
        match = self.pick(Match.objects.filter(status__in=OPEN_MATCH), ahead=("status", OPEN_MATCH))
        if match is None:
            return None
        ahead = [t for f, t in research_services.MATCH_MOVES if f == match.status and t != M.FAILED]
        to = M.FAILED if rng.random() < 0.2 else ahead[0]
        extra = {}
        if to == M.FAILED:
            extra["note"] = "企业暂无需求"
        if to == M.LANDED:
            extra["landed_how"] = "技术转让落地"
            choice = rng.random()
            if choice < 0.3:
                extra["enterprise"] = self.pick(Enterprise.objects.all())
            elif choice < 0.45:
                extra["spin_off"] = {
                    "name": self.name("衍生企业"),
                    "credit_code": self.credit_code("P"),
                    "unit": match.result.unit,
                    "industry": "C",
                    "size": Size.SMALL,
                }
        research_services.match_transition(
            match=match, to=to, by=rng.choice(self.w.editors(match.result.unit_id)), at=self.now, **extra
        )
        if to == M.LANDED:
            self.pending["match landed"] += 1
        return "match moved"

    def result_move(self) -> str | None:
        result = self.pick(Result.objects.exclude(status=R.LANDED), follow=True)
        if result is None:
            return None
        to = self.rng.choice(sorted(t for f, t in research_services.RESULT_MOVES if f == result.status))
        research_services.result_transition(
            result=result,
            to=to,
            by=self.rng.choice(self.w.editors(result.unit_id)),
            note="暂无落地条件" if to == R.SHELVED and self.rng.random() > 0.05 else "",
            at=self.now,
        )
        kind = {R.SHELVED: "result shelved", R.LANDED: "result landed"}.get(to)
        if result.status == R.SHELVED:
            kind = "result unshelved"
        if kind:
            self.pending[kind] += 1
        return "result moved"

    def result_unit_change(self) -> str | None:
        """A result's page saved with another responsible unit (by the leader; by the unit's staff it is
        refused), sometimes with another title too."""
        result = self.pick(Result.objects.all())
        if result is None:
            return None
        by = (
            self.w.leader
            if self.rng.random() < 0.9
            else self.rng.choice(self.w.workers(result.unit_id) or [self.w.leader])
        )
        result.unit = self.other_unit(result.unit_id)
        if self.rng.random() < 0.3:
            result.title = self.name("成果")
        research_services.record_save(by=by, instance=result, expected_version=result.version)
        return "result unit changed"

    def entity_visit(self) -> str:
        entity = self.pick(Entity.objects.all())
        by, lead_unit = self.visitor()
        research_services.entity_visit_record(
            entity=entity,
            by=by,
            requests=self.items(self.rng.choice([0, 0, 1])),
            **self.visit_fields(lead_unit),
        )
        return "entity visit"

    def result_import(self) -> str:
        by = self.rng.choice(self.park_people())
        entities = list(Entity.objects.order_by("pk"))
        rows = [
            [
                self.name("导入成果"),
                self.rng.choice(entities).name,
                "C",
                "patent",
                "pilot",
                "transfer",
                area,
                by.unit.name,
            ]
            for area in self.rng.sample(["", "800", "1200.5"], self.rng.randint(1, 2))
        ]
        headers, rows = self.trim(RESULT_HEADERS, rows, {"需求面积（㎡）"})
        report = ResultImporter(by).commit(upload(headers, rows))
        assert report.ok, [(r.number, r.errors) for r in report.error_rows] or report.file_errors
        return "result import"

    # --- campaign 4: attracting investment ----------------------------------------------------------------

    def lead_fields(self) -> dict:
        return {
            "name": self.name("招商项目"),
            "investor": self.name("投资方"),
            "industry": "C",
            "expected_wan": self.rng.choice(EXPECTED_WAN),
        }

    def lead_create(self) -> str:
        rng = self.rng
        unit = rng.choice(self.w.units[:2])
        by = rng.choice(self.w.editors(unit.pk))
        source = rng.choice(Lead.Source.values)
        extra = {}
        if source == Lead.Source.REFERRAL:
            extra["referrer"] = self.pick(Enterprise.objects.all())
        if source == Lead.Source.FAIR:
            extra["fair"] = "华交会"
        investment_services.lead_create(
            by=by, at=self.now, unit=unit, owner=by, source=source, **self.lead_fields(), **extra
        )
        return "lead created"

    def lead_record(self) -> str | None:
        lead = self.pick(Lead.objects.exclude(stage__in=[L.PRODUCTION, L.DROPPED]))
        if lead is None:
            return None
        investment_services.lead_record(
            lead=lead,
            action=self.rng.choice(["respond", "feedback", "progress"]),
            by=self.rng.choice(self.w.editors(lead.unit_id)),
            note="电话沟通进展",
            at=self.now,
        )
        return "lead recorded"

    def lead_move(self) -> str | None:
        rng = self.rng
        lead = self.pick(
            Lead.objects.exclude(stage__in=[L.PRODUCTION, L.DROPPED]), ahead=("stage", Lead.ORDER)
        )
        if lead is None:
            return None
        to = L.DROPPED if rng.random() < 0.15 else Lead.ORDER[Lead.ORDER.index(lead.stage) + 1]
        extra: dict = {}
        if to == L.DROPPED:
            extra["note"] = "投资方决策调整"
        elif to == L.SIGNED:
            extra = {
                "signed_on": self.today() - timedelta(days=rng.randint(0, 5)),
                "signed_wan": self.amount(5000, 90000),
            }
        elif to == L.REGISTERED:
            if rng.random() < 0.5:
                extra["enterprise"] = self.pick(Enterprise.objects.filter(unit=lead.unit))
            else:
                extra["new_enterprise"] = {
                    "name": self.name("新落地企业"),
                    "credit_code": self.credit_code("R"),
                    "unit": lead.unit,
                    "industry": "C",
                    "size": Size.MEDIUM,
                }
        elif to == L.STARTED:
            extra["new_project"] = {
                "code": self.name("TZ"),
                "name": lead.name,
                "level": "district",
                "kind": "industrial",
            }
        by = rng.choice(self.w.editors(lead.unit_id))
        investment_services.lead_move(lead=lead, to=to, by=by, at=self.now, **extra)
        kind = {L.SIGNED: "lead signed", L.REGISTERED: "lead registered", L.STARTED: "lead started"}.get(to)
        self.pending[kind or ("lead dropped" if to == L.DROPPED else "lead moved on")] += 1
        return "lead moved"

    def trip(self) -> str:
        rng = self.rng
        unit = rng.choice(self.w.units[:2])
        by = rng.choice(self.w.editors(unit.pk))
        start = self.today() - timedelta(days=rng.randint(1, 6))
        leads = [self.lead_fields() for _ in range(rng.choice([0, 1, 1, 2]))]
        investment_services.trip_record(
            by=by,
            leads=leads,
            members=rng.sample(self.w.workers(unit.pk), 1),
            units=[self.other_unit(unit.pk)] if rng.random() < 0.3 else [],
            at=self.now,
            start_on=start,
            end_on=start + timedelta(days=rng.randint(0, (self.today() - start).days)),
            cities="上海、深圳",
            kind=rng.choice(Trip.Kind.values),
            unit=unit,
            leader=by,
            led_by_head=rng.random() < 0.3,
            summary="外出招商",
        )
        if leads:
            self.pending["trip with leads"] += 1
        return "trip"

    def lead_import(self) -> str:
        by = self.rng.choice(self.park_people())
        rows = []
        for _ in range(self.rng.randint(1, 3)):
            source = self.rng.choice(["trip", "small_team", "fair", "online", "other"])
            fields = self.lead_fields()
            rows.append(
                [
                    fields["name"],
                    fields["investor"],
                    "上海",
                    "C",
                    fields["expected_wan"],
                    source,
                    "进博会" if source == "fair" else "",
                ]
            )
        optional = {"来源地"} | ({"展会"} if all(row[5] != "fair" for row in rows) else set())
        headers, rows = self.trim(LEAD_HEADERS, rows, optional)
        report = LeadImporter(by).commit(upload(headers, rows))
        assert report.ok, [(r.number, r.errors) for r in report.error_rows] or report.file_errors
        return "lead import"

    # --- enterprises --------------------------------------------------------------------------------------

    def enterprise_change(self) -> str:
        """An enterprise made key (or no longer), or handed to another unit by the leader."""
        enterprise = self.pick(Enterprise.objects.all())
        if self.rng.random() < 0.5 and self.done["enterprise unit changed"]:
            by = self.rng.choice([*self.w.workers(enterprise.unit_id), self.w.leader])
            enterprise_services.enterprise_update(enterprise=enterprise, by=by, is_key=not enterprise.is_key)
            return "enterprise made key"
        enterprise_services.enterprise_update(
            enterprise=enterprise, by=self.w.leader, unit=self.other_unit(enterprise.unit_id)
        )
        return "enterprise unit changed"

    def enterprise_create(self) -> str:
        unit = self.rng.choice(self.w.units[:2])
        enterprise_services.enterprise_create(
            by=self.rng.choice(self.w.editors(unit.pk)),
            name=self.name("新企业"),
            credit_code=self.credit_code("N"),
            unit=unit,
            industry="C",
            size=Size.SMALL,
            is_key=self.rng.random() < 0.5,
        )
        return "enterprise created"

    def enterprise_import(self) -> str:
        """Enterprises of a file: new ones, and existing ones with their key flag and (by the leader) unit
        as the file says; without the key column the stored flags stay."""
        rng, leader = self.rng, self.w.leader
        by = rng.choice([leader, *self.park_people()])
        mine = Enterprise.objects.all() if by == leader else Enterprise.objects.filter(unit=by.unit)
        existing, rows = list(mine.order_by("pk")), []
        for enterprise in rng.sample(existing, min(len(existing), rng.randint(0, 3))):
            unit = (
                self.other_unit(enterprise.unit_id)
                if by == leader and rng.random() < 0.4
                else enterprise.unit
            )
            rows.append(
                [enterprise.name, enterprise.credit_code, unit.name, "C", "small", rng.choice("是否")]
            )
        for _ in range(rng.randint(0 if rows else 1, 2)):
            unit = rng.choice(self.w.units) if by == leader else by.unit
            rows.append(
                [self.name("导入企业"), self.credit_code("M"), unit.name, "C", "small", rng.choice("是否")]
            )
        headers, rows = self.trim(ENTERPRISE_HEADERS, rows, {"是否重点企业"})
        report = EnterpriseImporter(by).commit(upload(headers, rows))
        assert report.ok, [(r.number, r.errors) for r in report.error_rows] or report.file_errors
        return "enterprise import"

    def summary(self) -> str:
        return f"tried {dict(self.tried)}; done {dict(self.done)}; refused {dict(self.refused)}"

    # --- the walk -----------------------------------------------------------------------------------------

    def steps(self) -> list[tuple[float, callable]]:
        return [
            (30, self.request_move),
            (7, self.visit),
            (3, self.request_logged),
            (3, self.joint_action),
            (2, self.calendar_change),
            (3, self.project_visit),
            (2, self.project_problem),
            (3, self.plan),
            (5, self.report),
            (2, self.report_correct),
            (2, self.project_start),
            (2, self.project_create),
            (3, self.project_change),
            (2, self.investment_import),
            (2, self.project_import),
            (2, self.result_import),
            (3, self.result_create),
            (3, self.match_propose),
            (4, self.match_move),
            (4, self.result_move),
            (2, self.result_unit_change),
            (2, self.entity_visit),
            (3, self.lead_create),
            (2, self.lead_record),
            (5, self.lead_move),
            (2, self.trip),
            (2, self.lead_import),
            (2, self.enterprise_change),
            (1.5, self.enterprise_create),
            (2, self.enterprise_import),
        ]

    def run(self, count: int) -> None:
        steps = self.steps()
        weights, actions = [w for w, _a in steps], [a for _w, a in steps]
        # a few projects with plans to start from: the first steps of every walk
        for _ in range(3):
            self.project_create()
        for project in Project.objects.order_by("pk"):
            project_services.plan_set(
                project=project,
                year=2024,
                planned_investment=Decimal("2400"),
                is_new_start=True,
                by=self.w.leader,
            )
        for left in range(count, 0, -1):
            self.tick(left)
            action = self.rng.choices(actions, weights)[0]
            self.tried[action.__name__] += 1
            self.pending.clear()
            try:
                kind = action()
            except (ValidationError, PermissionDenied):
                self.refused[action.__name__] += 1
            else:
                if kind:
                    self.done.update([kind, *self.pending.elements()])


def describe(differences: dict[str, tuple[set, set]], first: int = 5) -> str:
    """The differing rows, table by table: those only kept by the increments, those only rebuilt."""
    lines = []
    for table, (kept, rebuilt) in sorted(differences.items()):
        lines.append(f"{table}: {len(kept)} row(s) only kept, {len(rebuilt)} row(s) only rebuilt")
        lines += [f"    kept    {row}" for row in sorted(kept, key=repr)[:first]]
        lines += [f"    rebuilt {row}" for row in sorted(rebuilt, key=repr)[:first]]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_random_walk_of_writes_keeps_the_roll_ups_equal_to_a_rebuild(world, seed, monkeypatch):
    walk = Walk(world, seed)
    monkeypatch.setattr(timezone, "now", lambda: walk.now)
    walk.run(STEPS)

    differences = rollups.differences()
    assert differences == {}, f"seed {seed}: the kept roll-ups differ from a rebuild\n{describe(differences)}"

    # the walk did what it claims, so that the comparison above is worth something
    missing = EXPECTED - set(walk.done)
    assert not missing, f"seed {seed}: never did {sorted(missing)}; {walk.summary()}"
    unmade = set(services.MOVES) - set(walk.moves)
    assert not unmade, (
        f"seed {seed}: no request was ever moved by {sorted(unmade)}; moves: {dict(walk.moves)}"
    )
    assert sum(walk.refused.values()) > 0, "some writes were refused (and left nothing behind)"
    assert timezone.localdate(walk.now) >= date(2025, 2, 1), "the clock crossed the year into February 2025"
    kept = rollups.kept()
    assert all(kept.values()), f"every roll-up has rows: {[t for t, rows in kept.items() if not rows]}"
    received = set(Request.objects.dates("received_on", "month"))
    assert {date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)} <= received
    assert Request.objects.filter(received_on__year=2024, closed_at__gte=local(2025, 1, 1)).exists(), (
        "a request received in 2024 was closed in 2025"
    )


def test_the_comparison_reports_a_tampered_counter(staff_a, unit_a):
    """The oracle can fail: one request counted twice in its month is reported, in its table."""
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 12, 31, 23, 59, 59))
    assert rollups.differences() == {}
    RequestMonth.objects.filter(unit=unit_a).update(n=F("n") + 1)

    differences = rollups.differences()
    assert set(differences) == {"service_requestmonth"}, describe(differences)
    (kept,), (rebuilt,) = differences["service_requestmonth"]  # one row each side: the same key…
    assert [(k, r) for k, r in zip(kept, rebuilt, strict=True) if k != r] == [(2, 1)]  # …but n says 2


# --- bugs found next to the walk, each reproduced in the fewest writes (each failed before its fix) -------


def test_a_project_moved_on_its_page_takes_its_visits_and_problems_along(leader, staff_a, unit_a, unit_b):
    """(An import never moves a project: codes are unique per unit, so a row of another unit with the same
    code creates that unit's project — tests/projects/test_imports.py.)"""
    project = ProjectFactory(unit=unit_a, code="JB-001")
    problem = {"category": category(), "title": "施工许可", "handling_unit": unit_a}
    project_visit(project, staff_a, date(2024, 11, 25), [problem])
    project_services.project_save(by=leader, project=project, unit=unit_b)
    assert Project.objects.get().unit == unit_b
    assert rollups.differences() == {}  # the roll-ups agree with the records…
    # …and the records count the project's visit and problem for unit B now
    assert set(Visit.objects.values_list("counts_for", flat=True)) == {unit_b.pk}
    assert set(Request.objects.values_list("counts_for", flat=True)) == {unit_b.pk}


def test_a_project_file_without_the_new_start_column_keeps_the_flag(staff_a, unit_a):
    project = ProjectFactory(unit=unit_a, code="JB-001")
    project_services.plan_set(
        project=project, year=2025, planned_investment=Decimal("1000"), is_new_start=True, by=staff_a
    )
    headers = [h for h in PROJECT_HEADERS if h != "是否新开工"]
    row = ["JB-001", project.name, project.owner.credit_code, unit_a.name, "区级", "industrial", "C", "10000"]
    assert ProjectImporter(staff_a).commit(upload(headers, [[*row, "", "2025", "1500"]])).ok
    plan = YearPlan.objects.get()
    assert plan.planned_investment == Decimal("1500")
    assert plan.is_new_start, "the file said nothing about it"


ADMIN_WRITES = ["delete a monthly report", "change a year plan", "delete a result event", "move an R&D visit"]


@pytest.mark.parametrize("write", ADMIN_WRITES)
def test_the_admin_changes_nothing_the_figures_count_behind_the_roll_ups(write, admin_user, staff_a, unit_a):
    project = ProjectFactory(unit=unit_a)
    plan = project_services.plan_set(
        project=project, year=2024, planned_investment=Decimal("1000"), is_new_start=False, by=staff_a
    )
    report = project_services.report_month(
        project=project, month=date(2024, 11, 1), amount=Decimal("100"), by=staff_a, at=local(2024, 12, 2, 10)
    )
    result = catalogue(staff_a, on=date(2024, 11, 20))
    research_services.match_propose(
        result=result, by=staff_a, carrier=CarrierFactory(park=unit_a), at=local(2024, 11, 21, 10)
    )
    entity_visit(EntityFactory(unit=unit_a), staff_a, date(2024, 11, 22))
    assert rollups.differences() == {}
    admin = client_for(admin_user)
    assert admin.get(reverse("admin:index")).status_code == 200  # the admin is open to its user
    event = ResultEvent.objects.get(to_status=R.MATCHING)
    link = EntityVisit.objects.get()
    writes = {
        "delete a monthly report": ("admin:projects_monthlyreport_delete", report.pk, {"post": "yes"}),
        "change a year plan": (
            "admin:projects_yearplan_change",
            plan.pk,
            {"project": project.pk, "year": 2024, "planned_investment": "5000", "monthly_curve": "[]"},
        ),
        "delete a result event": ("admin:research_resultevent_delete", event.pk, {"post": "yes"}),
        "move an R&D visit": (
            "admin:research_entityvisit_change",
            link.pk,
            {"entity": EntityFactory(unit=unit_a).pk, "visit": link.visit_id},
        ),
    }
    name, pk, data = writes[write]
    admin.post(reverse(name, args=[pk]), data)
    differences = rollups.differences()
    assert differences == {}, describe(differences)


def test_a_report_saved_while_its_project_changes_unit_counts_for_the_new_unit(
    staff_a, leader, unit_a, unit_b
):
    project = ProjectFactory(unit=unit_a)
    project_services.plan_set(
        project=project, year=2024, planned_investment=Decimal("1000"), is_new_start=False, by=staff_a
    )
    page = Project.objects.get(pk=project.pk)  # the monthly report page has loaded the project (unit A)…
    project_services.project_save(by=leader, project=project, unit=unit_b)  # …the leader hands it to B…
    with pytest.raises(PermissionDenied):  # …so unit A's staff may no longer report for it…
        project_services.report_month(
            project=page,
            month=date(2024, 11, 1),
            amount=Decimal("100"),
            by=staff_a,
            at=local(2024, 12, 2, 10),
        )
    assert not MonthlyReport.objects.exists()
    project_services.report_month(  # …and a report the leader saves from the old page counts for unit B
        project=page, month=date(2024, 11, 1), amount=Decimal("100"), by=leader, at=local(2024, 12, 2, 10)
    )
    differences = rollups.differences()
    assert differences == {}, describe(differences)
    invested = ProjectMonth.objects.filter(month=11, invested_wan__gt=0).values_list("unit", flat=True)
    assert list(invested) == [unit_b.pk]


def test_a_result_moved_to_another_unit_while_it_is_shelved_counts_as_shelved(staff_a, leader, unit_b):
    result = catalogue(staff_a, on=date(2024, 11, 20))
    page = Result.objects.get(pk=result.pk)  # the result's edit page has loaded it (catalogued)…
    research_services.result_transition(  # …someone shelves it…
        result=result, to=R.SHELVED, by=staff_a, note="暂无落地条件", at=local(2024, 11, 21, 10)
    )
    page.unit = unit_b  # …and the page is saved with another unit: its version has not moved
    research_services.record_save(by=leader, instance=page, expected_version=page.version)
    differences = rollups.differences()
    assert differences == {}, describe(differences)

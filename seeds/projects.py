"""Campaign 2 of the demo district: 2024's major projects as reported on 15 March 2024.

Reproduces: 129 projects this year whose investment completed through February is exactly 43.55 亿元
(435,500 万元) against an annual plan of 231.5 亿元 (18.8 %, 2.1 points ahead of the 16.7 % time-elapsed
progress); 43 new projects due to start in 2024 of which 23 have started (53.5 %); 281 project visits and
50 project problems solved between 19 February and 15 March. Built through the services.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.enterprises.models import Enterprise, Industry
from apps.projects import services
from apps.projects.models import Project
from apps.service import services as service_services
from apps.service.models import Category
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

YEAR = 2024
PROJECTS = 129
NEW_STARTS = 43
NEW_STARTED = 23
ANNUAL_PLAN = Decimal("2315000")  # 万元 = 231.5 亿元
COMPLETED_JAN_FEB = Decimal("435500")  # 万元 = 43.55 亿元
PROJECT_VISITS = 281
PROBLEMS_SOLVED = 50
PROBLEMS_OPEN = 9
MISSING_FEB_REPORTS = 4
START, END = date(2024, 2, 19), date(2024, 3, 15)

PARKS = ["yjy", "swyyg", "xkyq", "znzz", "xcl", "cbd"]
BUREAUS = ["jjfzj", "kcj", "tcj"]
NAMES = [
    "集成电路设计产业园",
    "生物医药创新中心",
    "新能源汽车零部件基地",
    "智能制造示范工厂",
    "总部大楼",
    "新材料中试基地",
    "数据中心",
    "高端医疗器械产业化",
    "跨境电商产业园二期",
    "研发中心",
    "光电显示模组",
    "氢能装备制造",
    "工业互联网平台",
    "细胞治疗药物生产基地",
    "人工智能算力中心",
    "智慧物流园",
]
PROBLEMS = [
    ("审批许可", "复工审批加快办理"), ("基础设施与水电气", "施工临时用电接入"), ("用地空间", "项目用地规划调整"),
    ("审批许可", "施工许可证并联审批"), ("其他", "渣土运输证办理"), ("招聘用工", "建设期用工招聘"),
]  # fmt: skip


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _split(rng, total: Decimal, parts: int, low: float, high: float) -> list[Decimal]:
    """`parts` amounts in 万元 (two decimals) that add up to exactly `total`."""
    weights = [rng.uniform(low, high) for _ in range(parts)]
    scale = total / Decimal(str(sum(weights)))
    amounts = [(Decimal(str(w)) * scale).quantize(Decimal("0.01")) for w in weights]
    amounts[-1] += total - sum(amounts)
    return amounts


def load(rng, users: dict) -> None:
    if Project.objects.exists():
        return
    calendar = get_calendar()
    units = {u.code: u for u in Unit.objects.all()}
    leader = users["zhaomin"]
    staff_of = {code: users[f"{code}_staff"] for code in units}
    staff_of["yjy"], staff_of["jjfzj"] = users["zhangwei"], users["wangfang"]
    manager_of = {code: users[f"{code}_manager"] for code in units}
    manager_of["yjy"], manager_of["jjfzj"] = users["liuyang"], users["chenlei"]
    owners_by_unit = {}
    for e in Enterprise.objects.select_related("unit").order_by("pk"):
        owners_by_unit.setdefault(e.unit.code, []).append(e)
    all_owners = [e for es in owners_by_unit.values() for e in es]

    plans = _split(rng, ANNUAL_PLAN, PROJECTS, 0.3, 3.0)
    # Completion through February around the district's 18.8 %, some far behind (yellow lights).
    shares = [
        rng.choice([0.0, 0.03, 0.05]) if rng.random() < 0.15 else rng.uniform(0.12, 0.30) for _ in plans
    ]
    raw = [p * Decimal(str(s)) for p, s in zip(plans, shares, strict=True)]
    factor = COMPLETED_JAN_FEB / sum(raw)
    completed = [(r * factor).quantize(Decimal("0.01")) for r in raw]
    completed[0] += COMPLETED_JAN_FEB - sum(completed)

    projects = []
    for i in range(PROJECTS):
        unit_code = rng.choice(PARKS) if rng.random() < 0.8 else rng.choice(BUREAUS)
        park_code = unit_code if unit_code in PARKS else rng.choice(PARKS)
        owner = rng.choice(owners_by_unit.get(park_code) or all_owners)
        is_new = i < NEW_STARTS
        started = is_new and i < NEW_STARTED
        level = rng.choices(["provincial", "municipal", "district"], weights=[12, 33, 55])[0]
        if is_new:
            # planned starts spread over the year; three were planned for late 2023 and are still waiting
            if i >= NEW_STARTS - 3:  # planned for late 2023 and still waiting: red lights
                planned = date(2023, 11, 15) + timedelta(days=rng.randint(0, 20))
            elif started and i < 3:  # headquarters and others started in March instead of June
                planned = date(2024, 6, 1) + timedelta(days=rng.randint(0, 25))
            elif started:
                planned = date(2024, 1, 8) + timedelta(days=rng.randint(0, 60))
            else:
                planned = date(2024, 3, 20) + timedelta(days=rng.randint(0, 230))
            actual = None
            if started:
                # most started around plan, some a week early (resumption approved early), some a little late
                delta = rng.choice([-7, -7, -3, 0, 0, 0, 2, 5, 9])
                actual = (
                    date(2024, 3, 1) + timedelta(days=rng.randint(0, 14))
                    if i < 3
                    else planned + timedelta(days=delta)
                )
                actual = min(max(actual, date(2024, 1, 2)), END)
            stage = Project.Stage.CONSTRUCTION if started else Project.Stage.PREPARATION
        else:
            planned = date(2022, 3, 1) + timedelta(days=rng.randint(0, 600))
            actual = planned + timedelta(days=rng.randint(-20, 40))
            stage = Project.Stage.CONSTRUCTION
        kind = (
            "headquarters"
            if i < 3 or "总部" in NAMES[i % len(NAMES)]
            else rng.choice(["industrial", "industrial", "platform", "service"])
        )
        project = services.project_save(
            by=leader,
            code=f"JB{YEAR}-{i + 1:03d}",
            name=f"{owner.name.removeprefix('南京').removesuffix('有限公司')}{NAMES[i % len(NAMES)]}项目",
            owner=owner,
            unit=units[unit_code],
            park=units[park_code],
            level=level,
            kind=kind,
            industry=rng.choice([Industry.C, Industry.C, Industry.I, Industry.M]),
            total_investment=(plans[i] * Decimal(rng.choice([2, 3, 4, 5]))).quantize(Decimal("1")),
            stage=stage,
            planned_start=planned,
            actual_start=actual,
            planned_completion=planned + timedelta(days=rng.randint(500, 1100)),
            location=f"南京市江北新区{units[park_code].short_name}",
            task_force=[staff_of[unit_code], staff_of[rng.choice(BUREAUS)]],
            lead=manager_of[unit_code],
        )
        services.plan_set(
            project=project, year=YEAR, planned_investment=plans[i], is_new_start=is_new, by=leader
        )
        if not is_new:
            services.plan_set(
                project=project,
                year=YEAR - 1,
                planned_investment=(plans[i] * Decimal("0.8")).quantize(Decimal("0.01")),
                is_new_start=False,
                by=leader,
            )
            services.report_month(
                project=project,
                month=date(2023, 12, 1),
                amount=(plans[i] / 15).quantize(Decimal("0.01")),
                by=staff_of[unit_code],
                at=_at(date(2024, 1, 5), 10),
            )
        projects.append((project, unit_code))

    # January and February 2024 reports: the two months add up to `completed`; four February reports are
    # missing (so reporting completeness shows 96.9 %) and their amount is all in January.
    missing = set(rng.sample(range(PROJECTS), MISSING_FEB_REPORTS))
    for i, (project, unit_code) in enumerate(projects):
        total = completed[i]
        january = (
            total
            if i in missing
            else (total * Decimal(str(rng.uniform(0.35, 0.55)))).quantize(Decimal("0.01"))
        )
        reporter = staff_of[unit_code]
        services.report_month(
            project=project, month=date(2024, 1, 1), amount=january, by=reporter, at=_at(date(2024, 2, 5), 10)
        )
        if i not in missing:
            services.report_month(
                project=project,
                month=date(2024, 2, 1),
                amount=total - january,
                by=reporter,
                at=_at(date(2024, 3, 6), 10),
            )

    _visits_and_problems(rng, calendar, projects, units, staff_of, manager_of)


def _visits_and_problems(rng, calendar, projects, units, staff_of, manager_of) -> None:
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    days = [d for d in days if calendar.is_workday(d)]
    categories = {c.name: c for c in Category.objects.all()}
    problems_left = PROBLEMS_SOLVED + PROBLEMS_OPEN
    for n in range(PROJECT_VISITS):
        project, unit_code = projects[rng.randrange(len(projects))]
        day = days[n * len(days) // PROJECT_VISITS]
        requests = []
        if problems_left and n % 5 == 2:
            category, title = rng.choice(PROBLEMS)
            handling = rng.choice(["spj", "gzj", unit_code])
            requests.append(
                {
                    "category": categories[category],
                    "title": title,
                    "handling_unit": units[handling],
                    "received_at": _at(day, 11),
                }
            )
            problems_left -= 1
        visit = services.project_visit_record(
            project=project,
            by=staff_of[unit_code],
            visited_on=day,
            lead_unit=units[unit_code],
            mode=rng.choices(["on_site", "meeting"], weights=[85, 15])[0],
            requests=requests,
            summary=f"现场走访{project.name}，了解建设进度和存在问题。",
            created_at=_at(day, 17),
        )
        for req in visit.requests.all():
            _handle(rng, calendar, req, day, staff_of, manager_of)


def _handle(rng, calendar, req, day, staff_of, manager_of) -> None:
    """Project problems are handled by the same life cycle; the first 50 to arrive are solved by 15 March."""
    unit = req.handling_unit.code
    handler, manager = staff_of[unit], manager_of[unit]
    solved_so_far = req.__class__.objects.filter(project_link__isnull=False, outcome="solved").count()
    t = _at(day, 13)
    req = service_services.request_transition(request=req, action="assign", by=manager, handler=handler, at=t)
    req = service_services.request_transition(
        request=req, action="acknowledge", by=handler, at=t + timedelta(hours=1)
    )
    req = service_services.request_transition(
        request=req, action="contact", by=handler, at=t + timedelta(hours=2)
    )
    if solved_so_far >= PROBLEMS_SOLVED:
        return
    close_day = min(calendar.add_workdays(day, rng.randint(1, 5)), END)
    service_services.request_transition(
        request=req,
        action="close",
        by=handler,
        outcome="solved",
        answer="已协调解决，项目按计划推进。",
        at=_at(close_day, 16),
    )

"""Campaign 1 of the demo district: visits and the requests heard there, 19 Feb – 15 Mar 2024.

Reproduces the district's report exactly: every key enterprise visited (coverage 100.0 %), 1,203 requests
received, of which 1,090 closed (90.6 %) by 15 March. Everything goes through the services with explicit
times, so every request has a real event history (dispatches, transfers, extensions, pauses, feedback,
reopened items) and the clocks are derived as for live data. Deterministic for a given random generator.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from apps.enterprises.models import Enterprise
from apps.service import services
from apps.service.models import Category, Request, Visit
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

START = date(2024, 2, 19)
END = date(2024, 3, 15)
REQUESTS = 1203
CLOSED = 1090
EXTRA_VISITS = 190  # visits to enterprises that are not key enterprises
OTHER_SOURCES = 203  # requests from the hotline, letters, meetings, online and leaders

# Which bureau usually handles a category; None: the enterprise's own park or street.
CATEGORY_UNIT = {
    "人才安居": "jsj",
    "招聘用工": "jsj",
    "金融上市": "czj",
    "用地空间": "gzj",
    "审批许可": "spj",
    "政策兑现": "jjfzj",
    "基础设施与水电气": None,
    "市场订单": "jjfzj",
    "其他": None,
}
CATEGORY_WEIGHTS = [14, 12, 8, 7, 13, 18, 10, 9, 9]
TITLES = {
    "人才安居": ["申请人才公寓房源", "高层次人才购房补贴咨询", "员工子女入学协调", "人才安居租房补贴办理"],
    "招聘用工": ["举办定向招聘会", "技术工人招聘困难", "高校毕业生实习基地对接", "用工稳岗补贴申请"],
    "金融上市": ["拟上市辅导备案协调", "产业基金投资对接", "银行授信续贷协调", "知识产权质押融资"],
    "用地空间": ["扩产用地需求", "厂房租赁面积不足", "研发楼层空间调整", "标准厂房入驻申请"],
    "审批许可": ["环评审批加快办理", "施工许可证办理", "复工审批协调", "消防验收预约"],
    "政策兑现": ["研发费用补贴兑现", "专精特新奖励申报", "高企认定政策咨询", "首台套政策兑现"],
    "基础设施与水电气": ["厂区道路维修", "增容用电申请", "天然气接入", "污水管网接入"],
    "市场订单": ["对接本地采购订单", "参加展会补贴", "产业链上下游对接", "政府采购咨询"],
    "其他": ["周边交通拥堵", "员工通勤班车", "食堂餐饮配套", "企业宣传推介"],
}
OPEN_PLAN = {"new": 8, "paused": 6, "withdrawn": 12, "reopened_open": 5}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _by_end(moment: datetime) -> datetime:
    """Nothing in the demo happens after the evening of the reporting day."""
    return min(moment, _at(END, 23, 0))


def load(rng, users: dict) -> None:
    if Visit.objects.exists():
        return
    calendar = get_calendar()
    units = {u.code: u for u in Unit.objects.all()}
    categories = list(Category.objects.order_by("sort_order"))
    workdays = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    workdays = [d for d in workdays if calendar.is_workday(d)]
    staff_of = {code: users[f"{code}_staff"] for code in units}
    manager_of = {code: users[f"{code}_manager"] for code in units}
    staff_of["yjy"], manager_of["yjy"] = users["zhangwei"], users["liuyang"]
    staff_of["jjfzj"], manager_of["jjfzj"] = users["wangfang"], users["chenlei"]
    colleague = {"yjy": users["lina"]}
    leader = users["zhaomin"]

    enterprises = list(Enterprise.objects.select_related("unit").order_by("pk"))
    key = [e for e in enterprises if e.is_key]
    others = [e for e in enterprises if not e.is_key]
    targets = key + rng.sample(others, k=min(EXTRA_VISITS, len(others)))
    rng.shuffle(targets)

    # How many requests each visit raises: 1,000 in all, the rest come from other sources.
    from_visits = REQUESTS - OTHER_SOURCES
    counts = [1] * len(targets)
    for _ in range(from_visits - len(targets)):
        counts[rng.randrange(len(targets))] += 1

    plans = []  # (received_at, logger, enterprise, visit, category, handling unit code or None)
    for enterprise, n in zip(targets, counts, strict=True):
        day = rng.choice(workdays)
        lead = enterprise.unit.code
        logger = staff_of[lead]
        joint = []
        if rng.random() < 0.3:  # 联合走访: a bureau goes with the park
            joint = [units[rng.choice(["jjfzj", "kcj", "jsj", "tcj"])]]
        staff = [colleague[lead]] if lead in colleague and rng.random() < 0.5 else []
        visit = services.visit_record(
            by=logger,
            visited_on=day,
            enterprise=enterprise,
            lead_unit=units[lead],
            joint_units=joint,
            staff=staff,
            mode=rng.choices(["on_site", "meeting", "video", "phone"], weights=[80, 10, 5, 5])[0],
            summary=f"走访{enterprise.name}，了解生产经营情况，收集企业诉求{n}项。",
            created_at=_at(day, 17, 30),
        )
        for _ in range(n):
            received = _at(day, rng.randint(9, 16), rng.randrange(0, 60, 5))
            plans.append((received, logger, enterprise, visit, _category(rng, categories)))
    for _ in range(OTHER_SOURCES):
        enterprise = rng.choice(enterprises)
        day = rng.choice(workdays)
        received = _at(day, rng.randint(8, 18), rng.randrange(0, 60, 5))
        plans.append((received, staff_of[enterprise.unit.code], enterprise, None, _category(rng, categories)))

    plans.sort(key=lambda p: (p[0], p[2].pk))
    fates = _fates(rng, len(plans))
    for (received, logger, enterprise, visit, category), fate in zip(plans, fates, strict=True):
        home = CATEGORY_UNIT[category.name] or enterprise.unit.code
        _play(
            rng,
            fate,
            received,
            logger,
            enterprise,
            visit,
            category,
            home,
            units,
            staff_of,
            manager_of,
            leader,
        )


def _category(rng, categories):
    return rng.choices(categories, weights=CATEGORY_WEIGHTS)[0]


def _fates(rng, total: int) -> list[str]:
    """What happens to each request, in order of receipt: the latest ones are still being handled."""
    fates = ["closed"] * CLOSED
    open_count = total - CLOSED
    special = [fate for fate, n in OPEN_PLAN.items() for _ in range(n)]
    in_hand = open_count - len(special)
    # Requests still in hand are mostly the most recent; the special fates are spread over the period.
    tail = ["in_hand"] * in_hand
    head = fates + special
    rng.shuffle(head)
    # keep about a third of the in-hand items earlier in the period: these become overdue
    early = in_hand // 3
    for _ in range(early):
        head.insert(rng.randrange(len(head) // 2, len(head)), tail.pop())
    return head + tail


def _play(
    rng, fate, received, logger, enterprise, visit, category, home, units, staff_of, manager_of, leader
):
    calendar = get_calendar()
    urgency = rng.choices(["normal", "urgent", "critical"], weights=[85, 12, 3])[0]
    title = rng.choice(TITLES[category.name])
    dispatch_now = fate != "new" and rng.random() < 0.93
    req = services.request_create(
        by=logger,
        enterprise=enterprise,
        category=category,
        title=title,
        description=f"{enterprise.name}反映：{title}。",
        urgency=urgency,
        source=Request.Source.VISIT
        if visit
        else rng.choice(["hotline", "letter", "meeting", "online", "leader"]),
        visit=visit,
        handling_unit=units[home] if dispatch_now else None,
        received_at=received,
    )
    if fate == "new":
        return
    t = received + timedelta(minutes=rng.randint(5, 90))
    if not dispatch_now:  # through the dispatch desk
        req = services.request_transition(request=req, action="dispatch", by=leader, unit=units[home], at=t)
        t += timedelta(minutes=rng.randint(10, 60))
    if fate == "withdrawn":
        services.request_transition(
            request=req,
            action="withdraw",
            by=logger,
            note="企业已自行解决，申请撤单。",
            at=_by_end(t + timedelta(hours=2)),
        )
        return
    unit = home
    if rng.random() < 0.04 and fate != "in_hand":  # sent to the wrong unit first: transferred
        new_unit = rng.choice([c for c in ("jjfzj", "kcj", "jsj", "gzj", "spj") if c != unit])
        req = services.request_transition(
            request=req,
            action="transfer",
            by=manager_of[unit],
            unit=units[new_unit],
            note="职责不符，转至主管部门。",
            at=t,
        )
        unit = new_unit
        t += timedelta(minutes=rng.randint(10, 120))
    handler, manager = staff_of[unit], manager_of[unit]
    req = services.request_transition(request=req, action="assign", by=manager, handler=handler, at=t)
    # 事不过夜: most are acknowledged the same working day; a few the next morning.
    if rng.random() < 0.95 and timezone.localtime(t).hour < 17:
        t_ack = t + timedelta(minutes=rng.randint(5, 50))
    else:
        t_ack = _at(calendar.next_workday(timezone.localdate(t)), 9, rng.randint(0, 59))
    t_contact = t_ack + timedelta(hours=rng.randint(1, 20))
    latest = _at(END, 23, 0)
    if fate != "in_hand" and t_contact > latest - timedelta(hours=1):
        # received late in the period and yet closed by 15 March: handled within the day
        t_ack = min(t_ack, t + timedelta(minutes=20))
        t_contact = t_ack + timedelta(minutes=20)
    if t_ack > latest:
        return  # dispatched on the reporting day, acknowledged only after it
    req = services.request_transition(request=req, action="acknowledge", by=handler, at=t_ack)
    if fate == "in_hand" and t_contact > latest:
        return
    req = services.request_transition(
        request=req, action="contact", by=handler, at=t_contact, note="已电话联系企业。"
    )
    if fate == "paused":
        services.request_transition(
            request=req,
            action="pause",
            by=handler,
            note="等待企业补充材料。",
            at=_by_end(t_contact + timedelta(hours=3)),
        )
        return
    if fate == "in_hand":
        if rng.random() < 0.3 and req.close_due and t_contact < req.close_due:
            services.request_transition(
                request=req,
                action="extend_ask",
                by=handler,
                days=5,
                note="涉及多部门会商，申请延期。",
                at=t_contact,
            )
        return
    deadline_day = timezone.localdate(req.close_due)
    # Most close in good time, some late; an extension first for a few.
    if rng.random() < 0.05:
        req = services.request_transition(
            request=req,
            action="extend_ask",
            by=handler,
            days=5,
            note="需协调上级部门，申请延期。",
            at=t_contact,
        )
        refuse = rng.random() < 0.2
        req = services.request_transition(
            request=req,
            action="extend_refuse" if refuse else "extend_approve",
            by=manager,
            note="请按原期限办结。" if refuse else "",
            at=t_contact + timedelta(hours=2),
        )
        deadline_day = timezone.localdate(req.close_due)
    if rng.random() < 0.08:  # closed late
        close_day = calendar.add_workdays(deadline_day, rng.randint(1, 3))
    else:
        span = max(1, calendar.workdays_between(timezone.localdate(t_contact), deadline_day))
        close_day = calendar.add_workdays(timezone.localdate(t_contact), rng.randint(0, span))
    t_close = max(
        _at(close_day, rng.randint(9, 17), rng.randrange(0, 60, 5)), t_contact + timedelta(minutes=30)
    )
    t_close = min(t_close, latest)
    if t_close <= t_contact:
        t_close = t_contact + timedelta(minutes=10)
    outcome = "solved" if rng.random() < 0.9 else "explained"
    answer = (
        "已协调解决，企业认可。" if outcome == "solved" else "经研究，暂不符合政策条件，已向企业解释说明。"
    )
    req = services.request_transition(
        request=req, action="close", by=handler, outcome=outcome, answer=answer, at=t_close
    )
    if fate == "reopened_open" or (fate == "closed" and rng.random() < 0.012):
        t_back = _by_end(t_close + timedelta(hours=rng.randint(2, 20)))
        if fate == "reopened_open" or t_back < latest - timedelta(hours=30):
            req = services.request_transition(
                request=req,
                action="reopen",
                by=manager,
                satisfaction="unsatisfied",
                note="企业不满意，重办。",
                at=t_back,
            )
            if fate == "reopened_open":
                return
            t_close = min(t_back + timedelta(hours=rng.randint(4, 24)), latest)
            req = services.request_transition(
                request=req,
                action="close",
                by=handler,
                outcome="solved",
                answer="重新协调后已解决。",
                at=t_close,
            )
    t_feedback = t_close + timedelta(hours=rng.randint(2, 60))
    if t_feedback < latest and rng.random() < 0.85:
        satisfaction = rng.choices(["satisfied", "basic"], weights=[88, 12])[0]
        services.request_transition(
            request=req, action="confirm", by=manager, satisfaction=satisfaction, at=t_feedback
        )

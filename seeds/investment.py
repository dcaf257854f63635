"""Campaign 4 of the demo district, as reported on 15 March 2024: unit heads led 88 trips; 78 projects
signed for exactly 199.88 亿元; 176 leads of at least 1 亿元 in hand (5 of ≥ 50 亿, 20 of 10–50 亿). Sources
include outbound trips, small teams, business-introduces-business and a booth at the East China Fair."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Enterprise, Industry
from apps.investment import services
from apps.investment.models import Lead, Trip
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

from .projects import _split

START, END = date(2024, 2, 19), date(2024, 3, 15)
HEAD_TRIPS, OTHER_TRIPS = 88, 41
SIGNED, SIGNED_TOTAL = 78, Decimal("1998800")  # 万元 = 199.88 亿元
PIPELINE_BANDS = [(5, 500000, 1200000), (20, 100000, 499000), (151, 10000, 99000)]  # count, 万元 from, to
SMALL_OPEN, DROPPED, EARLIER_SIGNED = 64, 17, 9
UNITS = ["tcj", "tcj", "tcj", "jjfzj", "yjy", "swyyg", "xkyq", "znzz", "xcl", "cbd", "dsjd", "yjjd", "tsjd"]
CITIES = [
    "上海",
    "深圳",
    "香港",
    "北京",
    "杭州",
    "苏州",
    "广州",
    "合肥",
    "新加坡",
    "东京",
    "首尔",
    "法兰克福",
]
SECTORS = ["集成电路", "生物医药", "新能源汽车", "人工智能", "高端装备", "新材料", "数字经济", "现代物流"]
INVESTORS = ["集团有限公司", "科技股份有限公司", "控股有限公司", "投资有限公司", "产业基金"]
INDUSTRY = {"集成电路": Industry.C, "生物医药": Industry.C, "新能源汽车": Industry.C, "人工智能": Industry.I,
            "高端装备": Industry.C, "新材料": Industry.C, "数字经济": Industry.I, "现代物流": Industry.G}  # fmt: skip


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def load(rng, users: dict) -> None:
    if Trip.objects.exists():
        return
    calendar = get_calendar()
    units = {u.code: u for u in Unit.objects.all()}
    days = [
        d
        for d in (START + timedelta(days=i) for i in range((END - START).days + 1))
        if calendar.is_workday(d)
    ]
    early = [d for d in (date(2024, 1, 2) + timedelta(days=i) for i in range(45)) if calendar.is_workday(d)]

    def staff(code):
        return users.get({"yjy": "zhangwei", "jjfzj": "wangfang"}.get(code, ""), users[f"{code}_staff"])

    def head(code):
        return users.get({"yjy": "liuyang", "jjfzj": "chenlei"}.get(code, ""), users[f"{code}_manager"])

    trips = []
    for i in range(HEAD_TRIPS + OTHER_TRIPS):
        code = UNITS[i % len(UNITS)]
        by_head = i < HEAD_TRIPS
        start = days[i * len(days) // (HEAD_TRIPS + OTHER_TRIPS)]
        trips.append(services.trip_record(
            by=head(code) if by_head else staff(code), unit=units[code], start_on=start,
            end_on=start + timedelta(days=rng.choice([0, 1, 1, 2])), cities="、".join(rng.sample(CITIES[:8], k=rng.randint(1, 2))),
            kind=rng.choices(["visit", "fair", "promotion"], weights=[75, 10, 15])[0], leader=head(code) if by_head else staff(code),
            led_by_head=by_head, members=[staff(code)], companies_met="、".join(f"{rng.choice(CITIES)}{rng.choice(SECTORS)}{rng.choice(INVESTORS)}" for _ in range(3)),
            summary="赴外地开展产业链精准招商，拜访重点企业并推介江北新区。", at=_at(start + timedelta(days=3), 20),
        ))  # fmt: skip

    referrers = list(Enterprise.objects.filter(is_key=True).order_by("pk")[:40])
    serial = 0

    def new_lead(amount, created_day, code=None):
        nonlocal serial
        serial += 1
        code = code or UNITS[serial % len(UNITS)]
        sector = SECTORS[serial % len(SECTORS)]
        source = rng.choices(
            ["trip", "small_team", "referral", "fair", "online", "other"], weights=[40, 20, 15, 10, 8, 7]
        )[0]
        trip = (
            rng.choice([t for t in trips if t.unit_id == units[code].pk] or [None])
            if source == "trip"
            else None
        )
        lead = services.lead_create(
            by=staff(code), at=_at(created_day, rng.randint(9, 17)), unit=units[code], owner=staff(code),
            name=f"{sector}{rng.choice(['生产基地', '研发总部', '区域总部', '产业园', '制造中心'])}项目{serial:03d}",
            investor=f"{rng.choice(CITIES)}{rng.choice(['华', '中', '新', '博', '远', '智'])}{rng.choice(['创', '瑞', '信', '泰', '芯'])}{rng.choice(INVESTORS)}",
            investor_city=rng.choice(CITIES), investor_country="中国", industry=INDUSTRY[sector],
            expected_wan=Decimal(amount), source=source, trip=trip,
            referrer=rng.choice(referrers) if source == "referral" else None,
            fair="华交会（展位招商）" if source == "fair" else "", notes="投资方关注用地指标、人才政策与产业配套。",
        )  # fmt: skip
        return lead, code

    def advance(lead, code, stages, until):
        """Walk the lead through `stages`, responding first, spreading the steps up to `until`."""
        t = min(lead.created_at + timedelta(hours=rng.randint(1, 6)), max(until, lead.created_at))
        lead = services.lead_record(
            lead=lead, action="respond", by=staff(code), note="已电话联系投资方。", at=t
        )
        lead = services.lead_record(lead=lead, action="feedback", by=staff(code), note="已向投资方反馈政策与选址方案。",
                                    at=max(min(t + timedelta(days=rng.randint(1, 5)), until), t))  # fmt: skip
        for stage, extra in stages:
            t = max(min(t + timedelta(days=rng.randint(2, 9)), until), t)
            lead = services.lead_move(lead=lead, to=stage, by=head(code) if stage == "signed" else staff(code), at=t,
                                      **extra)  # fmt: skip
        return lead

    latest = _at(END, 18)
    # 78 signed in the period for exactly 199.88 亿元
    for amount in _split(rng, SIGNED_TOTAL, SIGNED, 0.3, 3.0):
        lead, code = new_lead(int(amount * Decimal(rng.uniform(0.9, 1.3))), rng.choice(early + days[:8]))
        signed_day = rng.choice([d for d in days if d > timezone.localdate(lead.created_at)] or [END])
        advance(lead, code, [("assessed", {}), ("negotiating", {}),
                             ("signed", {"signed_on": signed_day, "signed_wan": amount})],
                min(_at(signed_day, 16), latest))  # fmt: skip
    # the open pipeline at the end of the period
    for count, low, high in PIPELINE_BANDS:
        for _ in range(count):
            lead, code = new_lead(rng.randrange(low, high, 100), rng.choice(early + days))
            stages = rng.choice([[], [("assessed", {})], [("assessed", {}), ("negotiating", {})]])
            advance(lead, code, stages, latest)
    for _ in range(SMALL_OPEN):
        lead, code = new_lead(rng.randrange(800, 9900, 100), rng.choice(early + days))
        advance(lead, code, rng.choice([[], [("assessed", {})]]), latest)
    for _ in range(DROPPED):
        lead, code = new_lead(rng.randrange(5000, 300000, 100), rng.choice(early))
        advance(
            lead, code, [("assessed", {}), ("dropped", {"note": "投资方调整战略布局，暂缓投资。"})], latest
        )
    # signed in January and already registered, a few of them started
    for n in range(EARLIER_SIGNED):
        lead, code = new_lead(rng.randrange(20000, 150000, 100), date(2024, 1, 2) + timedelta(days=n))
        sign_day = date(2024, 1, 20) + timedelta(days=n)
        stages = [("assessed", {}), ("negotiating", {}), ("signed", {"signed_on": sign_day, "signed_wan": lead.expected_wan}),
                  ("registered", {"new_enterprise": {
                      "name": f"南京{lead.name[:6]}有限公司{n + 1}", "credit_code": make_credit_code("9", "1", "320191", f"MB{n:04d}X1"),
                      "unit": units[code], "industry": lead.industry, "size": "medium", "is_key": False}})]  # fmt: skip
        advance(lead, code, stages, _at(date(2024, 2, 15), 10))
    assert Lead.objects.filter(signed_on__gte=START, signed_on__lte=END).count() == SIGNED

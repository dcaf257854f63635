"""The enterprise side (企业端) in the demo district: three contacts of 研创园 enterprises with personal links, and
the requests they submitted themselves, handled, closed and rated — all from 18 March 2024 on, after the
reporting day, so no figure of 19 February – 15 March and nothing on the published February board changes.

Through the services, with explicit times, like the rest of the demo. Idempotent: nothing is written when an
enterprise-submitted request exists. One link is current and has a fixed demo token (`DEMO_TOKEN`), so the
enterprise side can be tried at once: http://127.0.0.1:8000/e/<DEMO_TOKEN>/ (demo data only, like the demo
password).
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from apps.enterprises.models import Enterprise
from apps.portal.models import ContactLink, LinkUse, token_hash
from apps.portal.services import link_used
from apps.service import services
from apps.service.models import Category, Request
from apps.service.services.enterprise_voice import request_rate, request_submit
from apps.units.models import Unit

DEMO_TOKEN = "demo-qiye-jiangbei-2024-yanchuangyuan"
UNIT = "yjy"  # 产业技术研创园: zhangwei, lina and their manager liuyang


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _used(link, action, at, req=None):
    link_used(link=link, action=action, ip="10.20.30.40", path="/e/…/", request=req, now=at)


def load(rng, users) -> None:
    if Request.objects.filter(source=Request.Source.ENTERPRISE).exists():
        return
    unit = Unit.objects.get(code=UNIT)
    manager, staff, colleague = users["liuyang"], users["zhangwei"], users["lina"]
    jjfzj = Unit.objects.get(code="jjfzj")
    enterprises = list(
        Enterprise.objects.filter(unit=unit, contacts__is_primary=True).order_by("name", "pk").distinct()[:3]
    )
    contacts = [e.contacts.filter(is_primary=True).order_by("pk").first() for e in enterprises]
    issued = _at(date(2024, 3, 16), 9)
    links = [
        ContactLink.objects.create(
            enterprise=c.enterprise,
            contact=c,
            token_hash=token_hash(f"{DEMO_TOKEN}-march-{n}"),  # the March links have expired since
            created_by=manager,
            created_at=issued,
            expires_at=issued + timedelta(days=365),
        )
        for n, c in enumerate(contacts)
    ]
    now = timezone.now()
    ContactLink.objects.create(  # the link to try the enterprise side with
        enterprise=contacts[0].enterprise,
        contact=contacts[0],
        token_hash=token_hash(DEMO_TOKEN),
        created_by=manager,
        created_at=now,
        expires_at=now + timedelta(days=365),
    )
    category = {c.name: c for c in Category.objects.all()}

    def submit(n, day, hour, name, title, text):
        at = _at(day, hour)
        req = request_submit(
            contact=contacts[n], category=category[name], title=title, description=text, at=at
        )
        _used(links[n], LinkUse.Action.SUBMIT, at, req)
        return req

    def move(req, action, by, day, hour, minute=0, **kw):
        return services.request_transition(request=req, action=action, by=by, at=_at(day, hour, minute), **kw)

    def handle(req, to, handler, day, close_day, outcome, answer):
        req = move(req, "dispatch", manager, day, 10, unit=to, handler=handler)
        req = move(req, "acknowledge", handler, day, 11)
        req = move(req, "contact", handler, day, 15)
        return move(req, "close", handler, close_day, 16, outcome=outcome, answer=answer)

    def rate(n, req, day, hour, satisfaction, comment):
        at = _at(day, hour)
        _used(links[n], LinkUse.Action.VIEW, at - timedelta(minutes=3), req)
        req = request_rate(
            request=req, contact=contacts[n], satisfaction=satisfaction, comment=comment, at=at
        )
        _used(links[n], LinkUse.Action.RATE, at, req)
        return req

    lamps = submit(
        0, date(2024, 3, 18), 9, "基础设施与水电气", "园区道路路灯损坏，夜间通行不便",
        "厂区东门外约200米路段有6盏路灯不亮，夜班员工通行不安全，请尽快维修。",
    )  # fmt: skip
    lamps = handle(
        lamps, unit, staff, date(2024, 3, 18), date(2024, 3, 20), "solved",
        "已协调园区物业更换6盏路灯灯具，3月20日全部恢复照明。",
    )  # fmt: skip
    rate(0, lamps, date(2024, 3, 21), 9, "satisfied", "修得很快，感谢园区。")

    subsidy = submit(
        1, date(2024, 3, 19), 10, "政策兑现", "研发费用补贴迟迟未到账",
        "2023年度研发费用补贴已公示两个月，至今未到账，请协助查询进度。",
    )  # fmt: skip
    subsidy = handle(
        subsidy, jjfzj, users["wangfang"], date(2024, 3, 19), date(2024, 3, 22), "explained",
        "补贴资金需待区财政批次拨付，预计4月中旬到账。",
    )  # fmt: skip
    rate(1, subsidy, date(2024, 3, 25), 10, "unsatisfied", "只说等批次，没有明确日期，希望给个准信。")

    shuttle = submit(
        2, date(2024, 3, 20), 15, "其他", "员工通勤班车线路调整",
        "希望园区通勤班车增加浦口万汇城站点，方便员工上下班。",
    )  # fmt: skip
    shuttle = handle(
        shuttle, unit, colleague, date(2024, 3, 20), date(2024, 3, 22), "solved",
        "已与公交公司协商，自3月25日起班车增设万汇城站点。",
    )  # fmt: skip
    shuttle = move(
        shuttle, "confirm", manager, date(2024, 3, 25), 11, satisfaction="satisfied"
    )  # phoned by staff
    rate(
        2, shuttle, date(2024, 3, 26), 9, "basic", "站点增加了，但早班车次偏少。"
    )  # the enterprise's own word counts

    jobs = submit(
        1, date(2024, 3, 21), 9, "招聘用工", "急需招聘20名一线技术工人",
        "新产线4月投产，急需数控操作工20名，希望参加园区专场招聘会。",
    )  # fmt: skip
    jobs = move(jobs, "dispatch", manager, date(2024, 3, 21), 10, unit=unit, handler=staff)
    move(jobs, "acknowledge", staff, date(2024, 3, 21), 14)

    submit(
        0,
        date(2024, 3, 22),
        11,
        "基础设施与水电气",
        "厂房屋顶雨天漏水",
        "3号厂房屋顶多处漏水，影响设备安全，需协调出租方维修。",
    )  # fmt: skip — on the dispatch desk of 研创园

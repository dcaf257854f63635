"""Campaign 3 of the demo district, 19 February – 15 March 2024: 391 R&D entities visited and 232 results
catalogued, some in matching and a few landed, with carriers across the district's parks."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.enterprises.models import Enterprise, Industry
from apps.research import services
from apps.research.models import Carrier, Entity
from apps.units.models import Unit
from apps.workdays.calendar import get_calendar

ENTITIES = 391
RESULTS = 232
MATCHING = 58  # results with a match under way
LANDED = 6
START, END = date(2024, 2, 19), date(2024, 3, 15)
PARKS = ["yjy", "swyyg", "xkyq", "znzz", "xcl", "cbd"]
PREFIX = ["南京", "江苏", "江北", "长三角", "东南", "金陵", "扬子江", "紫金山"]
FIELDS = ["集成电路", "生物医药", "新材料", "智能制造", "人工智能", "新能源", "医疗器械", "软件信息"]
KINDS = [("university", "大学{f}学院"), ("institute", "{f}研究所"), ("new_type", "{f}产业技术研究院"),
         ("enterprise_centre", "{f}企业研发中心"), ("key_lab", "{f}重点实验室")]  # fmt: skip
FIELD_INDUSTRY = {"集成电路": Industry.C, "生物医药": Industry.C, "新材料": Industry.C, "智能制造": Industry.C,
                  "人工智能": Industry.I, "新能源": Industry.D, "医疗器械": Industry.C, "软件信息": Industry.I}  # fmt: skip
RESULT_NAMES = ["高精度传感芯片", "新型抗体药物", "石墨烯导热膜", "工业视觉检测系统", "大模型推理加速引擎",
                "固态电池电解质", "微创手术机器人", "低代码开发平台", "碳化硅功率器件", "细胞培养基"]  # fmt: skip
CARRIERS = [("office", "科创大厦", 20000), ("incubator", "孵化器", 8000), ("accelerator", "加速器", 15000),
            ("factory", "标准厂房", 30000), ("land", "工业地块", 60000)]  # fmt: skip


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def load(rng, users: dict) -> None:
    if Entity.objects.exists():
        return
    calendar = get_calendar()
    units = {u.code: u for u in Unit.objects.all()}
    kcj = units["kcj"]
    staff = users["kcj_staff"]
    manager = users["kcj_manager"]
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    days = [d for d in days if calendar.is_workday(d)]

    for i, park_code in enumerate(PARKS):
        for j, (kind, label, area) in enumerate(CARRIERS):
            total = Decimal(area + rng.randrange(0, 20000, 500))
            services.record_save(by=users["zhaomin"], instance=Carrier(
                name=f"{units[park_code].short_name}{label}{chr(65 + (i + j) % 3)}",
                kind=kind, park=units[park_code], unit=units[park_code], total_area_m2=total,
                free_area_m2=(total * Decimal(str(rng.uniform(0.05, 0.6)))).quantize(Decimal("1")),
                land_mu=(total / Decimal("666.67")).quantize(Decimal("0.1")) if kind == "land" else None,
                price=rng.choice(["1.2元/㎡·天", "0.9元/㎡·天", "面议", "35万元/亩"]),
                industries=rng.sample([Industry.C, Industry.I, Industry.M, Industry.D], k=rng.randint(1, 3)),
                address=f"南京市江北新区{units[park_code].short_name}{rng.randint(1, 99)}号",
                contact=f"{units[park_code].short_name}招商中心",
            ))  # fmt: skip

    companies = list(Enterprise.objects.filter(industry__in=["C", "I", "M"]).order_by("pk")[:60])
    entities = []
    for i in range(ENTITIES):
        field = FIELDS[i % len(FIELDS)]
        kind, pattern = KINDS[i % len(KINDS)]
        enterprise = companies[i % len(companies)] if kind == "enterprise_centre" and i < 200 else None
        name = f"{PREFIX[i % len(PREFIX)]}{pattern.format(f=field)}{i // 40 + 1:02d}"
        entity = services.record_save(by=users["zhaomin"], instance=Entity(
            name=name, type=kind, park=units[PARKS[i % len(PARKS)]], unit=kcj, fields=field, enterprise=enterprise,
            contact_name=f"{'王李张刘陈'[i % 5]}老师", contact_mobile=f"139{i:08d}",
        ))  # fmt: skip
        services.entity_visit_record(
            entity=entity,
            by=staff,
            visited_on=days[i * len(days) // ENTITIES],
            lead_unit=kcj,
            mode=rng.choices(["on_site", "meeting", "video"], weights=[80, 15, 5])[0],
            summary=f"走访{name}，梳理可转化成果与载体需求。",
        )
        entities.append((entity, field))

    carriers = list(Carrier.objects.all())
    for i in range(RESULTS):
        entity, field = entities[rng.randrange(len(entities))]
        day = days[i * len(days) // RESULTS]
        result = services.result_create(
            by=staff, at=_at(day, 15), title=f"{RESULT_NAMES[i % len(RESULT_NAMES)]}（{entity.name[:6]}{i + 1:03d}）",
            entity=entity, industry=FIELD_INDUSTRY[field], field=field,
            type=rng.choice(["patent", "patent", "product", "process", "software"]),
            maturity=rng.choice(["lab", "pilot", "pilot", "small_batch", "ready"]),
            trl=rng.randint(3, 8), landing_mode=rng.choice(["transfer", "licence", "spin_off", "joint", "in_house"]),
            need_space_m2=Decimal(rng.choice([200, 500, 800, 1500, 3000, 6000])), unit=kcj, staff=staff,
            ip_status=rng.choice(["已授权", "已受理", ""]),
        )  # fmt: skip
        if i < MATCHING:
            suggestion = services.suggest_carriers(result, carriers)[0]
            match = services.match_propose(
                result=result, by=staff, carrier=suggestion.carrier, at=_at(day, 16)
            )
            steps = (
                ["contacted", "negotiating", "landed"]
                if i < LANDED
                else rng.choice([[], ["contacted"], ["contacted", "negotiating"], ["failed"]])
            )
            for n, step in enumerate(steps, start=1):
                when = _at(min(calendar.add_workdays(day, n * 2), END), 10 + n)
                services.match_transition(
                    match=match, to=step, by=manager if step == "landed" else staff, at=when,
                    note="载体面积不满足" if step == "failed" else "",
                    landed_how=f"入驻{match.carrier.name}，以{result.get_landing_mode_display()}方式落地" if step == "landed" else "",
                )  # fmt: skip
            if "failed" in steps:
                # the result goes on matching: a second proposal with the next best carrier
                services.match_propose(result=result, by=staff, carrier=services.suggest_carriers(result, carriers)[1].carrier,
                                       at=_at(min(calendar.add_workdays(day, 3), END), 9))  # fmt: skip

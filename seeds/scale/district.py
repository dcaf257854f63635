"""The generated region's fixed frame: its units, their accounts, the calendar of the span, its enterprises.

Units start with the demo district's 22 (so its logins such as `jjfzj_staff` work at every size) and go on
with generated bureaus, parks and streets of a Jiangsu-like province; which units exist depends only on the
size, never on the seed.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from apps.accounts import roles
from apps.accounts.models import User
from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Contact, Enterprise, Industry, Size
from apps.service.models import Category
from apps.units.models import Unit
from apps.workdays.calendar import WorkCalendar, load_calendar
from apps.workdays.models import CalendarDay
from seeds import demo
from seeds.district import UNITS

from .db import Loader, Table

TZ = ZoneInfo(settings.TIME_ZONE)
K, P = Unit.Kind, Unit.PeerGroup

# The demo units in the order small datasets take them: a few of each peer group first.
FIRST_UNITS = ["dzb", "jjfzj", "kcj", "tcj", "cbd", "yjy", "swyyg", "znzz", "dsjd", "yjjd", "tsjd", "pcjd"]
AREAS = ["玄武", "秦淮", "建邺", "鼓楼", "浦口", "栖霞", "雨花台", "江宁", "六合", "溧水", "高淳", "锡山",
         "惠山", "滨湖", "梁溪", "新吴", "江阴", "宜兴", "武进", "新北", "天宁", "钟楼", "金坛", "溧阳",
         "姑苏", "吴中", "相城", "吴江", "昆山", "常熟", "张家港", "太仓"]  # fmt: skip
STREETS = ["东湖", "西岗", "南苑", "北固", "中山", "长江", "新城", "龙潭", "凤凰", "湖滨", "桥林", "汤泉",
           "星甸", "永宁", "竹镇", "金牛", "雄州", "龙袍", "马鞍", "横梁"]  # fmt: skip
PARKS = [("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区"), ("软件园", "软件园"),
         ("生命科技园", "生命园"), ("智能制造产业园", "智造园"), ("新材料产业园", "新材料园"),
         ("综合保税区", "综保区"), ("中央商务区", "商务区")]  # fmt: skip
BUREAUS = [("发展和改革局", "发改局"), ("工业和信息化局", "工信局"), ("商务局", "商务局"),
           ("科学技术局", "科技局"), ("市场监督管理局", "市监局"), ("人力资源和社会保障局", "人社局"),
           ("住房和城乡建设局", "住建局"), ("生态环境局", "环境局"), ("交通运输局", "交通局"),
           ("数据局", "数据局")]  # fmt: skip
# Generated units come in this mix: mostly streets, then parks, then bureaus.
KIND_CYCLE = "spsbspsbssps"

CITIES = [("南京", "320111"), ("苏州", "320505"), ("无锡", "320214"), ("常州", "320411"), ("扬州", "321012"),
          ("镇江", "321112"), ("南通", "320612"), ("泰州", "321204"), ("盐城", "320904"), ("徐州", "320311"),
          ("淮安", "320812"), ("宿迁", "321311"), ("连云港", "320707")]  # fmt: skip
MIDDLES = ["瑞", "华", "新", "博", "远", "智", "恒", "众", "凯", "鼎", "源", "泰", "嘉", "宏", "信", "达",
           "盛", "通", "明", "晟", "卓", "睿", "海", "川", "峰", "航", "驰", "优", "德", "安"]  # fmt: skip
SEASON = {1: 0.9, 2: 0.75, 3: 1.15, 4: 1.1, 5: 1.05, 6: 1.1, 7: 0.85, 8: 0.8, 9: 1.05, 10: 0.9, 11: 1.15,
          12: 1.1}  # fmt: skip
STREET_INDUSTRIES = [Industry.C, Industry.F, Industry.E, Industry.G, Industry.H, Industry.L, Industry.O,
                     Industry.R, Industry.K, Industry.I]  # fmt: skip


@dataclass
class World:
    """Everything the parts share: the random generator, the span and its calendar, units and accounts."""

    rng: object
    start: date  # first day of the span
    end: date  # last day with data
    calendar: IndexedCalendar
    units: list[Unit] = field(default_factory=list)
    staff: dict[int, int] = field(default_factory=dict)  # unit id → its staff account's id
    manager: dict[int, int] = field(default_factory=dict)
    leader: int = 0
    unit_weight: dict[int, float] = field(default_factory=dict)  # how busy each unit is (Zipf-like)
    tags: list[int] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    carriers: int = 0
    days: list[date] = field(default_factory=list)
    day_weights: list[float] = field(default_factory=list)
    # enterprises, as parallel lists indexed by id - 1
    ent_unit: list[int] = field(default_factory=list)
    ent_key: list[bool] = field(default_factory=list)
    ent_name: list[str] = field(default_factory=list)
    ent_industry: list[str] = field(default_factory=list)

    @property
    def cutoff(self) -> datetime:
        """Nothing happens after the evening of the last day."""
        return self.at(self.end, 20)

    @staticmethod
    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)

    def of_kind(self, *kinds) -> list[Unit]:
        return [u for u in self.units if u.kind in kinds]

    def sample_days(self, k: int) -> list[date]:
        """`k` days of the span drawn with the activity curve (working days, season, Spring Festival)."""
        return self.rng.choices(self.days, cum_weights=self.day_weights, k=k)


class IndexedCalendar:
    """The official calendar (a `WorkCalendar`) answering from tables over a range of days, so that a million
    requests' clocks take seconds: same answers, constant time. Outside the range it asks the calendar."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date):
        self.calendar, self.first, self.last = calendar, first, last
        self.flags = [calendar.is_workday(first + timedelta(days=n)) for n in range((last - first).days + 1)]
        self.before = list(itertools.accumulate(self.flags, initial=0))  # working days before day n
        self.workdays = [n for n, flag in enumerate(self.flags) if flag]

    def _n(self, day: date) -> int | None:
        n = (day - self.first).days
        return n if 0 <= n < len(self.flags) else None

    def is_workday(self, day: date) -> bool:
        n = self._n(day)
        return self.calendar.is_workday(day) if n is None else self.flags[n]

    def next_workday(self, day: date) -> date:
        return self.add_workdays(day, 1)

    def add_workdays(self, day: date, count: int) -> date:
        n = self._n(day)
        if count <= 0:
            count, n = 1, None if n is None else n - 1  # day itself if a working day, else the next one
            day = day - timedelta(days=1)
        k = None if n is None else self.before[n + 1] + count - 1
        if k is None or k >= len(self.workdays):
            return self.calendar.add_workdays(day, count)
        return self.first + timedelta(days=self.workdays[k])

    def workdays_between(self, start: date, end: date) -> int:
        a, b = self._n(start), self._n(end - timedelta(days=1))
        if a is None or b is None:
            return self.calendar.workdays_between(start, end)
        return max(0, self.before[b + 1] - self.before[a])

    def is_published(self, year: int) -> bool:
        return self.calendar.is_published(year)


def month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def unit_plan(count: int) -> list[tuple]:
    """(code, name, short name, kind, peer group) of the `count` units of a size."""
    demo_units = {row[0]: row for row in UNITS}
    order = FIRST_UNITS + [code for code in demo_units if code not in FIRST_UNITS]
    plan = [demo_units[code] for code in order[:count]]
    made = {"s": 0, "p": 0, "b": 0}
    for kind in itertools.islice(itertools.cycle(KIND_CYCLE), max(0, count - len(plan))):
        i = made[kind]
        made[kind] += 1
        area, more = AREAS[i % len(AREAS)], i // len(AREAS)
        if kind == "s":
            place = STREETS[more % len(STREETS)] + (
                str(more // len(STREETS) + 1) if more >= len(STREETS) else ""
            )
            plan.append((f"jd{i + 1:03d}", f"{area}{place}街道", f"{area}{place}", K.STREET, P.STREETS))
        elif kind == "p":
            name, short = PARKS[more % len(PARKS)]
            suffix = str(more // len(PARKS) + 1) if more >= len(PARKS) else ""
            unit_kind = K.BUSINESS_DISTRICT if short == "商务区" else K.PARK
            plan.append(
                (f"yq{i + 1:03d}", f"{area}{name}{suffix}", f"{area}{short}{suffix}", unit_kind, P.PARKS)
            )
        else:
            name, short = BUREAUS[more % len(BUREAUS)]
            suffix = str(more // len(BUREAUS) + 1) if more >= len(BUREAUS) else ""
            plan.append(
                (f"ju{i + 1:03d}", f"{area}{name}{suffix}", f"{area}{short}{suffix}", K.BUREAU, P.BUREAUS)
            )
    return plan


def build_frame(world: World, unit_count: int, password: str) -> dict[str, int]:
    """Units, their accounts and the enterprise tags, with the ORM in bulk (a few hundred rows)."""
    units = [
        Unit(pk=i, code=code, name=name, short_name=short, kind=kind, peer_group=group, sort_order=i * 10)
        for i, (code, name, short, kind, group) in enumerate(unit_plan(unit_count), start=1)
    ]
    world.units = Unit.objects.bulk_create(units)
    password_hash = make_password(password)  # hashed once: hashing is slow on purpose
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    users, memberships = [], []

    def add(username, display_name, unit, role, **extra):
        user = User(pk=len(users) + 1, username=username, display_name=display_name, unit=unit,
                    password=password_hash, date_joined=world.at(world.start, 9) - timedelta(days=30), **extra)  # fmt: skip
        users.append(user)
        memberships.append(User.groups.through(user_id=user.pk, group_id=groups[role].pk))
        return user.pk

    for unit in world.units:
        world.staff[unit.pk] = add(f"{unit.code}_staff", f"{unit.short_name}办事员", unit, roles.STAFF)
        world.manager[unit.pk] = add(
            f"{unit.code}_manager", f"{unit.short_name}负责人", unit, roles.UNIT_MANAGER
        )
    office = world.units[0]
    world.leader = add("leader", "区领导", office, roles.LEADER)
    add("admin", "系统管理员", office, roles.ADMIN, is_staff=True, is_superuser=True)
    User.objects.bulk_create(users)
    User.groups.through.objects.bulk_create(memberships)
    world.tags = sorted(tag.pk for tag in demo._tags())  # the demo's enterprise tags (get or create)
    return {"units": len(units), "users": len(users)}


def build_days(world: World) -> None:
    """The activity curve over the span: working days, the season, the Spring Festival lull, slow growth."""
    festival = {}
    for day in CalendarDay.objects.filter(name="Spring Festival").values_list("date", flat=True):
        lo, hi = festival.get(day.year, (day, day))
        festival[day.year] = (min(lo, day), max(hi, day))
    lull = [(lo - timedelta(days=10), hi + timedelta(days=7)) for lo, hi in festival.values()]
    span = (world.end - world.start).days + 1
    total = 0.0
    for n in range(span):
        day = world.start + timedelta(days=n)
        weight = (
            (1.0 if world.calendar.is_workday(day) else 0.04) * SEASON[day.month] * (0.8 + 0.4 * n / span)
        )
        if any(lo <= day <= hi for lo, hi in lull):
            weight *= 0.3
        total += weight
        world.days.append(day)
        world.day_weights.append(total)


def zipf_weights(rng, items: list, exponent: float) -> dict:
    """Zipf-like weights over `items` in a random order: a few very busy, a long quiet tail."""
    ranked = list(items)
    rng.shuffle(ranked)
    return {item: 1 / (rank + 1) ** exponent for rank, item in enumerate(ranked)}


def cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def pick(rng, cum: list[float]) -> int:
    """An index drawn with cumulative weights `cum` (random.choices without building a list)."""
    return bisect.bisect(cum, rng.random() * cum[-1])


def build_enterprises(world: World, loader: Loader, count: int) -> None:
    """Enterprises of the parks and streets (a Zipf-like spread: some units hold many), one primary contact
    each, a few tags. Key enterprises are about a fifth."""
    rng = world.rng
    homes = world.of_kind(K.PARK, K.BUSINESS_DISTRICT, K.STREET)
    unit_ids = [u.pk for u in homes]
    # enterprises spread a little less unevenly than the work (visits per enterprise also follow the unit)
    cum = cumulative([world.unit_weight[u] ** 0.6 for u in unit_ids])
    kinds = {u.pk: u.kind for u in homes}
    short = {u.pk: u.short_name for u in world.units}
    tags = world.tags
    park_industries = demo._PARK_INDUSTRIES
    combos = len(CITIES) * len(demo._PREFIXES) * len(MIDDLES) * len(demo._CORES) * len(demo._SUFFIXES)
    names = rng.sample(range(combos), count)  # distinct names
    created = world.at(world.start, 10) - timedelta(days=120)
    enterprise = Table(Enterprise, ["id", "name", "credit_code", "address", "unit_id", "industry", "size",
                                    "is_key", "founded_on", "created_at", "updated_at"])  # fmt: skip
    contact = Table(Contact, ["id", "enterprise_id", "name", "title", "mobile", "email", "is_primary"])
    tagged = Table(Enterprise.tags.through, ["id", "enterprise_id", "tag_id"])
    sizes, size_weights = list(Size.values), [1, 3, 5, 4]
    tag_rows = 0
    for eid, combo in enumerate(names, start=1):
        combo, suffix = divmod(combo, len(demo._SUFFIXES))
        combo, core = divmod(combo, len(demo._CORES))
        combo, middle = divmod(combo, len(MIDDLES))
        city, prefix = divmod(combo, len(demo._PREFIXES))
        city_name, division = CITIES[city]
        name = (
            f"{city_name}{demo._PREFIXES[prefix]}{MIDDLES[middle]}{demo._CORES[core]}{demo._SUFFIXES[suffix]}"
        )
        unit = unit_ids[pick(rng, cum)]
        industry = rng.choice(park_industries if kinds[unit] != K.STREET else STREET_INDUSTRIES)
        is_key = rng.random() < 0.2
        at = created + timedelta(minutes=eid)
        loader.add(enterprise, enterprise.line(
            eid, name, make_credit_code("9", "1", division, f"MA{eid:06X}"),
            f"{city_name}市{short[unit]}{rng.randint(1, 999)}号", unit, industry,
            rng.choices(sizes, weights=size_weights)[0], is_key,
            date(1995, 1, 1) + timedelta(days=rng.randint(0, 10000)), at, at,
        ))  # fmt: skip
        loader.add(contact, contact.line(
            eid, eid, rng.choice(demo._SURNAMES) + rng.choice(demo._GIVEN), rng.choice(demo._TITLES),
            f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}", "", True,
        ))  # fmt: skip
        for tag in rng.sample(tags, k=rng.choice([0, 0, 1, 1, 2])):
            tag_rows += 1
            loader.add(tagged, tagged.line(tag_rows, eid, tag))
        world.ent_unit.append(unit)
        world.ent_key.append(is_key)
        world.ent_name.append(name)
        world.ent_industry.append(industry)


def build_world(rng, until: date, today: date) -> World:
    end_of_month = month_add(until, 1) - timedelta(days=1)
    start, end = month_add(until, -23), min(end_of_month, today)
    calendar = IndexedCalendar(load_calendar(), start - timedelta(days=40), end + timedelta(days=400))
    world = World(rng=rng, start=start, end=end, calendar=calendar)
    build_days(world)
    world.categories = list(Category.objects.filter(is_active=True).order_by("sort_order", "pk"))
    return world

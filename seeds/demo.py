"""Builds the demo district through the services. Idempotent: a second run changes nothing.

Everything random comes from one seeded generator, so every machine builds the same district.
"""

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from apps.accounts.models import User
from apps.enterprises import services as enterprise_services
from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Contact, Enterprise, Industry, Size, Tag
from apps.service.models import Request, Visit
from apps.units.models import Unit

from . import callbacks, enterprise_side, investment, projects, rankings, research, service
from .district import DEMO_ACCOUNTS, DEMO_PASSWORD, TAGS, UNITS

SEED = 20240219
ENTERPRISES_PER_PARK = 40
ENTERPRISES_PER_STREET = 18
KEY_SHARE = 0.3

_PREFIXES = [
    "江北",
    "扬子",
    "浦口",
    "龙华",
    "紫金",
    "金陵",
    "宁北",
    "长江",
    "新港",
    "研创",
    "华芯",
    "博瑞",
    "天泽",
    "中科",
    "易联",
    "星河",
    "弘毅",
    "瑞思",
    "晶合",
    "润和",
    "康缘",
    "思达",
    "启迪",
    "远景",
]
_CORES = [
    "智能",
    "生物",
    "半导体",
    "新材料",
    "数字",
    "医药",
    "光电",
    "能源",
    "环保",
    "物联",
    "精密",
    "软件",
    "检测",
    "芯片",
    "健康",
    "云计算",
    "机器人",
    "汽车电子",
    "跨境电商",
    "供应链",
]
_SUFFIXES = ["科技有限公司", "技术有限公司", "股份有限公司", "制造有限公司", "医药有限公司", "电子有限公司"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "强",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "晓东",
    "海燕",
]
_TITLES = ["总经理", "副总经理", "行政主管", "财务总监", "人力资源经理", "董事会秘书"]
_PARK_INDUSTRIES = [Industry.C, Industry.I, Industry.M, Industry.C, Industry.Q, Industry.F, Industry.L]


def load(stdout=None) -> dict[str, int]:
    """Build the demo district; returns counts of what exists afterwards."""
    rng = random.Random(SEED)
    with transaction.atomic():
        units = _units()
        users = _accounts(units)
        tags = _tags()
        _enterprises(rng, units, users, tags)
        # every campaign is written through its services, which keep their roll-ups as they go
        service.load(rng, users)
        projects.load(rng, users)
        research.load(rng, users)
        investment.load(rng, users)
        rankings.load(rng, users)
        # after the reporting day (from 18 March 2024): the enterprise side's requests and links
        enterprise_side.load(rng, users)
        # 1 April 2024: the call-back sample of March's closures and its calls; a 督办
        callbacks.load(rng, users)
    return {
        "units": Unit.objects.count(),
        "users": User.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "key_enterprises": Enterprise.objects.filter(is_key=True).count(),
        "visits": Visit.objects.count(),
        "requests": Request.objects.count(),
    }


def _units() -> dict[str, Unit]:
    units = {}
    for order, (code, name, short, kind, group) in enumerate(UNITS, start=1):
        unit, _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "kind": kind,
                "peer_group": group,
                "sort_order": order * 10,
            },
        )
        units[code] = unit
    return units


def _make_user(username, display_name, unit, role, password_hash) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            display_name=display_name,
            unit=unit,
            is_staff=(role == "admin"),
            is_superuser=(role == "admin"),
            password=password_hash,
        )
        user.save()
        user.groups.add(Group.objects.get(name=role))
    return user


def _accounts(units) -> dict[str, User]:
    users = {}
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    for username, display_name, unit_code, role, _note in DEMO_ACCOUNTS:
        users[username] = _make_user(username, display_name, units[unit_code], role, password_hash)
    # Every unit has a handler and a manager, so work can be dispatched anywhere.
    for code, unit in units.items():
        for role, suffix, label in (("staff", "staff", "办事员"), ("unit manager", "manager", "负责人")):
            username = f"{code}_{suffix}"
            users[username] = _make_user(username, f"{unit.short_name}{label}", unit, role, password_hash)
    return users


def _tags() -> list[Tag]:
    return [Tag.objects.get_or_create(name=name)[0] for name in TAGS]


def _enterprises(rng, units, users, tags) -> None:
    if Enterprise.objects.exists():
        return  # already built: the generator below is deterministic, so nothing would change
    admin = users["admin"]
    serial = 0
    seen_names = set()
    for unit in units.values():
        if unit.kind in (Unit.Kind.PARK, Unit.Kind.BUSINESS_DISTRICT):
            count = ENTERPRISES_PER_PARK
        elif unit.kind == Unit.Kind.STREET:
            count = ENTERPRISES_PER_STREET
        else:
            continue
        for _ in range(count):
            serial += 1
            name = _company_name(rng, seen_names)
            body = f"MA{serial:04d}" + "".join(
                rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(2)
            )
            enterprise = enterprise_services.enterprise_create(
                by=admin,
                name=name,
                credit_code=make_credit_code("9", "1", rng.choice(["320111", "320116", "320191"]), body),
                unit=unit,
                industry=rng.choice(
                    _PARK_INDUSTRIES if unit.kind != Unit.Kind.STREET else list(Industry.values)[:18]
                ),
                size=rng.choices(list(Size.values), weights=[1, 3, 5, 4])[0],
                is_key=rng.random() < KEY_SHARE,
                address=f"南京市江北新区{unit.short_name}{rng.randint(1, 399)}号",
                founded_on=date(2005, 1, 1) + timedelta(days=rng.randint(0, 6500)),
                tags=rng.sample(tags, k=rng.choice([0, 1, 1, 2])),
            )
            Contact.objects.create(
                enterprise=enterprise,
                name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
                title=rng.choice(_TITLES),
                mobile=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                is_primary=True,
            )


def _company_name(rng, seen) -> str:
    while True:
        name = f"南京{rng.choice(_PREFIXES)}{rng.choice(_CORES)}{rng.choice(_SUFFIXES)}"
        if name not in seen:
            seen.add(name)
            return name

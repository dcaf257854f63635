"""Every URL × every canonical role → the expected answer, and for every denied write: nothing changed.

Add a `Case` for each new URL; `test_every_url_is_in_the_matrix` fails when a URL pattern has none.
Statuses: 200 (shown), 302 (anonymous: redirected to the login page), 403 (action not allowed), 404
(object hidden: another unit's object is never confirmed to exist).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.enterprises.models import Enterprise

from .conftest import client_for
from .factories import EnterpriseFactory

ROLES = ["anonymous", "staff_a", "colleague_a", "staff_b", "manager_a", "leader", "admin"]
SIGNED_IN = ROLES[1:]

# URL names that are not pages of the product (Django admin has its own access control, tested below).
EXEMPT = {"login", "logout", "set_language"}


def everyone(status: int) -> dict[str, int]:
    return {"anonymous": 302, **{role: status for role in SIGNED_IN}}


@dataclass
class Case:
    name: str
    url: Callable[[dict], str]
    expect: dict[str, int]
    method: str = "get"
    data: Callable[[dict], dict] = field(default=lambda world: {})
    # The state a denied write must leave untouched.
    snapshot: Callable[[dict], object] | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def _enterprise_state(world):
    return model_to_dict(Enterprise.objects.get(pk=world["enterprise_b"].pk))


def _enterprise_post(world):
    e = world["enterprise_b"]
    return {
        "name": "被篡改的名称",
        "credit_code": e.credit_code,
        "unit": e.unit_id,
        "industry": "C",
        "size": "small",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }


# Who may edit unit B's enterprise: unit B's staff, leaders, admins.
_EDIT_B = {
    "anonymous": 302,
    "staff_a": 404,
    "colleague_a": 404,
    "staff_b": 200,
    "manager_a": 404,
    "leader": 200,
    "admin": 200,
}
_EDIT_B_POST = {**_EDIT_B, "staff_b": 302, "leader": 302, "admin": 302}

CASES = [
    Case("home", lambda w: reverse("home"), everyone(200)),
    Case("enterprises:list", lambda w: reverse("enterprises:list"), everyone(200)),
    Case("enterprises:export", lambda w: reverse("enterprises:export"), everyone(200)),
    Case("enterprises:import", lambda w: reverse("enterprises:import"), everyone(200)),
    Case("enterprises:create", lambda w: reverse("enterprises:create"), everyone(200)),
    Case(
        "enterprises:detail",
        lambda w: reverse("enterprises:detail", args=[w["enterprise_b"].pk]),
        everyone(200),
    ),
    Case("enterprises:update", lambda w: reverse("enterprises:update", args=[w["enterprise_b"].pk]), _EDIT_B),
    Case(
        "enterprises:update",
        lambda w: reverse("enterprises:update", args=[w["enterprise_b"].pk]),
        _EDIT_B_POST,
        method="post",
        data=_enterprise_post,
        snapshot=_enterprise_state,
    ),
]


@pytest.fixture
def world(users, unit_a, unit_b):
    return {
        **users,
        "enterprise_a": EnterpriseFactory(unit=unit_a, name="研创园企业"),
        "enterprise_b": EnterpriseFactory(unit=unit_b, name="医药谷企业"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_permission_matrix(case, role, world):
    client = client_for(world[role])
    url = case.url(world)
    before = case.snapshot(world) if case.snapshot else None
    response = (
        getattr(client, case.method)(url, case.data(world)) if case.method == "post" else client.get(url)
    )
    expected = case.expect[role]
    assert response.status_code == expected, f"{case} as {role}: {response.status_code} != {expected}"
    if expected == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if case.snapshot and expected in (403, 404) or (case.snapshot and role == "anonymous"):
        assert case.snapshot(world) == before, f"{case} as {role} changed data although it was denied"


def _named_patterns(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_is_in_the_matrix():
    covered = {case.name for case in CASES}
    missing = sorted(set(_named_patterns(get_resolver())) - covered - EXEMPT)
    assert missing == [], f"URLs without a permission-matrix case: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("staff_a", 302), ("manager_a", 302), ("leader", 302), ("admin", 200)],
)
def test_only_admins_reach_the_django_admin(world, role, expected):
    response = client_for(world[role]).get(reverse("admin:index"))
    assert response.status_code == expected
    if expected == 302:
        assert "/admin/login/" in response["Location"]

"""Every page that answers GET, opened with query parameters Hypothesis makes nasty: never a 5xx.

The parameters each page reads are its app's filters (apps/*/filters.py: every filter's name, with the
suffixes range widgets add) and what views read from `request.GET` directly (month, year, as_of, from, to,
unit, group, page, ordering, q, next …). Each example sends one to four of them, with values from the same
nasty list the form fuzzing uses plus months, dates and numbers out of every range (?month=0001-01,
?page=-1, ids above 2**63, NUL bytes), as staff of unit A or as a district leader (who may pick any unit).
Each example runs in a savepoint that is rolled back. Fast by default (a few examples per page, derandomized);
to search harder, at random: FUZZ_EXAMPLES=200 pytest -p no:xdist tests/fuzz/test_get_params.py
"""

import importlib
import os
from collections.abc import Callable
from datetime import date

import django_filters
import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import client_for
from .conftest import World
from .test_forms_fuzz import NASTY_VALUES

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "4")),
    deadline=None,
    derandomize=os.environ.get("FUZZ_EXAMPLES") is None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Not pages: sign-in and language switching, the health check, and the POST-only actions (a GET is 405).
NOT_PAGES = {"login", "logout", "set_language", "healthz", "accounts:two_factor", "accounts:two_factor_setup"}
POST_ONLY = {
    "portal:rate",
    "contact_links:issue",
    "contact_links:revoke",
    "service:visit_assign",
    "service:request_act",
    "service:supervision_create",
    "service:supervision_answer",
    "service:callback_record",
    "service:dispatch_many",
    "calendar_day",
    "service:attachment_upload",
    "service:notifications_read",
    "service:jointaction_close",
    "projects:report_correct",
    "projects:plan",
    "projects:start",
    "research:result_move",
    "research:match_propose",
    "research:match_move",
    "investment:lead_move",
    "investment:lead_record",
}

# The record each URL with an id opens (of unit A, as the fuzz world builds it).
RECORD: dict[str, Callable[[World], dict]] = {
    "enterprise_record": lambda w: {"pk": w.enterprise.pk},
    "enterprises:update": lambda w: {"pk": w.enterprise.pk},
    "service:visit_detail": lambda w: {"pk": w.visit.pk},
    "service:request_detail": lambda w: {"pk": w.request.pk},
    "service:attachment_download": lambda w: {"pk": 1},
    "service:jointaction_detail": lambda w: {"pk": w.joint_action.pk},
    "projects:detail": lambda w: {"pk": w.project.pk},
    "projects:update": lambda w: {"pk": w.project.pk},
    "projects:visit_create": lambda w: {"pk": w.project.pk},
    "research:entity_detail": lambda w: {"pk": w.entity.pk},
    "research:entity_update": lambda w: {"pk": w.entity.pk},
    "research:entity_visit": lambda w: {"pk": w.entity.pk},
    "research:result_detail": lambda w: {"pk": w.result.pk},
    "research:result_update": lambda w: {"pk": w.result.pk},
    "research:carrier_update": lambda w: {"pk": w.carrier.pk},
    "investment:lead_detail": lambda w: {"pk": w.lead.pk},
    "investment:trip_detail": lambda w: {"pk": w.trip.pk},
    "audit:history": lambda w: {"kind": "request", "pk": w.request.pk},
    "rankings:memo": lambda w: {"unit_id": w.unit_a.pk},
    # the enterprise side (issue #19): its pages open by token, a staff member manages an enterprise's links
    "portal:home": lambda w: {"token": w.portal_token},
    "portal:submit": lambda w: {"token": w.portal_token},
    "portal:request": lambda w: {"token": w.portal_token, "pk": w.closed_request.pk},
    "contact_links:list": lambda w: {"enterprise_pk": w.enterprise.pk},
    "service:visit_attachment": lambda w: {"pk": 1},
    "calendar_year": lambda w: {"year": 2024},
    "calendar_notice": lambda w: {"year": 2024},
    "jobs:detail": lambda w: {"pk": "00000000-0000-0000-0000-000000000001"},
    "jobs:progress": lambda w: {"pk": "00000000-0000-0000-0000-000000000001"},
    "jobs:download": lambda w: {"pk": "00000000-0000-0000-0000-000000000001"},
}

# What views read from request.GET themselves (grep "request.GET" apps/): beside every page's filters.
DIRECT = [
    "month", "year", "as_of", "from", "to", "unit", "group", "enterprise", "handling_unit", "q", "next",
    "page", "ordering", "errors", "template", "field", "token",
]  # fmt: skip
RANGE_SUFFIXES = ["", "_after", "_before", "_min", "_max", "_0", "_1"]


def _url_names(resolver=None, namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                yield from _url_names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


PAGES = sorted(name for name in set(_url_names()) if name not in NOT_PAGES | POST_ONLY)


def _filter_params(app: str) -> list[str]:
    """Every query parameter the FilterSets of `app` read."""
    try:
        module = importlib.import_module(f"apps.{app}.filters")
    except ModuleNotFoundError:
        return []
    names = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, django_filters.FilterSet):
            for name in value.base_filters:
                names.update(f"{name}{suffix}" for suffix in RANGE_SUFFIXES)
    return sorted(names)


def params_of(name: str) -> list[str]:
    app = name.split(":")[0] if ":" in name else "enterprises"
    extra = _filter_params("service") if app in {"enterprises", "workbench"} else []
    return sorted({*DIRECT, *_filter_params(app), *extra})


months = st.builds(
    "{:04d}-{:02d}".format, st.integers(min_value=0, max_value=10000), st.integers(min_value=0, max_value=13)
)
values = st.one_of(
    st.sampled_from(NASTY_VALUES),
    st.sampled_from(["0001-01", "0000-00", "9999-12", "2024-02", "2024-1", "0", "-1", "last", "²", "1e400"]),
    months,
    st.dates().map(date.isoformat),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20),
)


def _path(world: World, name: str) -> str:
    return reverse(name, kwargs=RECORD[name](world) if name in RECORD else None)


@pytest.mark.parametrize("name", PAGES)
@FUZZ
@given(data=st.data())
def test_no_page_fails_on_any_query_parameters(world, name, data):
    keys = params_of(name)
    query = data.draw(st.dictionaries(st.sampled_from(keys), values, min_size=1, max_size=4), label="query")
    who = data.draw(st.sampled_from(["staff_a", "leader"]), label="who")
    with transaction.atomic():
        response = client_for(world.users[who]).get(_path(world, name), query)
        assert response.status_code < 500
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", PAGES)
def test_every_fuzzed_page_answers_get(world, name):
    """The list above holds pages, not POST-only actions (those are 405 and would fuzz nothing)."""
    response = client_for(world.users["leader"]).get(_path(world, name))
    assert response.status_code in {200, 302, 400, 403, 404}


@pytest.mark.parametrize("month", ["0001-01", "0000-01", "1999-12", "0001-13", "2024-00"])
def test_monthly_report_with_a_month_out_of_range_opens_the_default_month(world, month):
    client = client_for(world.users["staff_a"])
    default = client.get(reverse("projects:monthly_report")).context["month"]

    response = client.get(reverse("projects:monthly_report"), {"month": month})

    assert response.status_code == 200
    assert response.context["month"] == default

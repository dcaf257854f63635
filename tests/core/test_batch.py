"""apps.core.batch: specs built by a `@reused` function are shared between calls with the same arguments,
each call gets its own dict of them, and a spec that can match no row still answers its empty value on
every run (without asking the database). A `@reused_values` query is composed once and reads its rows
afresh on every call."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.core.batch import NOW, Aggregate, Rows, at, execute, reused, reused_values
from apps.projects.models import YearPlan
from apps.units.models import Unit

from ..factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

built = []


@reused
def unit_specs(code: str) -> dict:
    built.append(code)
    return {
        "named": Aggregate(Unit.objects.filter(code=code), n=Count("id")),
        "nothing": Rows(Unit.objects.none().values("id")),
    }


def test_the_same_arguments_share_specs_and_each_call_gets_its_own_dict():
    unit_specs.cache_clear()
    built.clear()
    UnitFactory(code="U-1")
    first = unit_specs("U-1")
    first["extra"] = Aggregate(Unit.objects.all(), n=Count("id"))  # the caller adds to its own dict
    second = unit_specs("U-1")
    other = unit_specs("U-2")

    assert built == ["U-1", "U-2"]
    assert set(second) == {"named", "nothing"}
    assert second["named"] is first["named"]
    assert execute(second)["named"] == {"n": 1} and execute(other)["named"] == {"n": 0}


def test_a_shared_spec_that_matches_nothing_answers_empty_every_time_without_a_query():
    unit_specs.cache_clear()
    for _ in range(3):
        specs = unit_specs("U-1")
        with CaptureQueriesContext(connection) as queries:
            got = execute({"nothing": specs["nothing"]})
        assert got == {"nothing": []}
        assert len(queries) == 0


@reused_values
def units_named(prefix: str):
    built.append(prefix)
    return Unit.objects.filter(code__startswith=prefix).order_by("code").values("code", short=F("short_name"))


@reused_values
def nothing(_: str):
    return Unit.objects.none().values("code")


@reused_values
def plans_with_a_converted_column(year: int):
    return YearPlan.objects.filter(year=year).values(
        "monthly_curve"
    )  # a JSON field: read through a converter


def test_a_reused_values_query_is_composed_once_and_reads_its_rows_afresh():
    units_named.cache_clear()
    built.clear()
    UnitFactory(code="V-2", short_name="二")

    first = units_named("V-")
    UnitFactory(code="V-1", short_name="一")
    with CaptureQueriesContext(connection) as queries:
        second = units_named("V-")

    assert built == ["V-"]
    assert first == [{"code": "V-2", "short": "二"}]
    assert second == [
        {"code": "V-1", "short": "一"},
        {"code": "V-2", "short": "二"},
    ]  # as values() gives them
    assert second == list(
        Unit.objects.filter(code__startswith="V-").order_by("code").values("code", short=F("short_name"))
    )
    assert len(queries) == 1


def test_a_reused_values_query_that_matches_nothing_asks_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert nothing("x") == [] and nothing("x") == []
    assert len(queries) == 0


def test_a_reused_values_column_that_needs_converting_is_converted_as_values_gives_it():
    from ..projects.factories import YearPlanFactory

    plans_with_a_converted_column.cache_clear()
    YearPlanFactory(year=2031, monthly_curve=[10, 20, 70])

    first = plans_with_a_converted_column(2031)
    YearPlanFactory(year=2031, monthly_curve=[{"m": 1, "share": "12.5"}])
    second = plans_with_a_converted_column(2031)

    assert first == [{"monthly_curve": [10, 20, 70]}]  # parsed JSON, not its text
    assert sorted(map(str, second)) == sorted(
        map(str, YearPlan.objects.filter(year=2031).values("monthly_curve"))
    )
    assert {"monthly_curve": [{"m": 1, "share": "12.5"}]} in second


def test_composed_values_reads_the_rows_of_the_ids_it_is_given_with_one_statement():
    from django.db.models import Value

    from apps.core.batch import IDS, composed_values, forget_composed
    from apps.core.querysets import among_ids

    forget_composed()
    units = [UnitFactory(code=f"I-{n}", short_name=f"单位{n}") for n in range(4)]
    built = []

    def build():
        built.append(1)
        return Unit.objects.filter(among_ids(IDS)).order_by("code").values("code", tag=Value("单"))

    key = ("test", "units by ids")
    with CaptureQueriesContext(connection) as queries:
        some = composed_values(key, build, ids=[units[2].pk, units[0].pk])
        others = composed_values(key, build, ids=[units[3].pk])
        none = composed_values(key, build, ids=[])

    assert built == [1]  # composed once, run three times
    assert some == [{"code": "I-0", "tag": "单"}, {"code": "I-2", "tag": "单"}]
    assert others == [{"code": "I-3", "tag": "单"}]
    assert none == []
    assert len(queries) == 3
    assert all("= ANY(" in q["sql"] for q in queries.captured_queries)


def test_a_shared_spec_keeps_its_sql_not_the_queryset_it_was_composed_from():
    """A cache of one set of specs per user (a staff home's) would otherwise keep a few hundred objects per
    spec where the garbage collector's full collections walk them (jianbei/wsgi.py)."""
    unit_specs.cache_clear()
    UnitFactory(code="U-3")
    specs = unit_specs("U-3")

    assert specs["named"].queryset is None and specs["nothing"].queryset is None
    assert specs["named"].model is Unit
    assert execute(unit_specs("U-3")) == {"named": {"n": 1}, "nothing": []}


@reused
def joined_before_now(prefix: str) -> dict:
    users = User.objects.filter(username__startswith=prefix)
    return {
        "before": Aggregate(users.filter(date_joined__lt=NOW), n=Count("id")),
        "all": Aggregate(users, n=Count("id")),
    }


def test_a_reused_spec_of_the_moment_is_read_at_each_moment_and_the_shared_one_keeps_its_placeholder():
    """`at` puts the moment in a copy of each spec built with NOW; the shared spec keeps NOW (a moment put
    in it would be every later caller's), and a spec without NOW is the shared one itself."""
    early = UserFactory(username="m-1", date_joined=datetime(2024, 3, 4, 10, tzinfo=UTC))
    UserFactory(username="m-2", date_joined=datetime(2024, 3, 5, 10, tzinfo=UTC), unit=early.unit)
    shared = joined_before_now("m-")

    first = at(shared, datetime(2024, 3, 4, 10, tzinfo=UTC))  # m-1 joined at that very moment: not before
    second = at(joined_before_now("m-"), datetime(2024, 3, 5, 10, 0, 1, tzinfo=UTC))

    assert execute(first) == {"before": {"n": 0}, "all": {"n": 2}}
    assert execute(second) == {"before": {"n": 2}, "all": {"n": 2}}
    assert execute(at(shared, datetime(2024, 3, 5, tzinfo=UTC)))["before"] == {"n": 1}
    assert NOW in shared["before"].sql()[1]
    assert first["all"] is shared["all"] and first["before"] is not shared["before"]

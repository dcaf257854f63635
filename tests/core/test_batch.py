"""apps.core.batch: specs built by a `@reused` function are shared between calls with the same arguments,
each call gets its own dict of them, and a spec that can match no row still answers its empty value on
every run (without asking the database)."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from apps.core.batch import Aggregate, Rows, execute, reused
from apps.units.models import Unit

from ..factories import UnitFactory

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

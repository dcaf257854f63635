"""apps.core.prepared: a statement composed once (apps.core.batch) is prepared the second time a connection
sends it and executed by name from then on, so PostgreSQL plans it once per connection; its rows are what
the plain statement reads, its `Late` parameters (a moment, a page's ids) are given at each read, and the
queries log and the logger show the statement, not its name. Without DB_PREPARED_STATEMENTS nothing is
prepared."""

import logging
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.core import prepared
from apps.core.batch import IDS, NOW, Aggregate, at, composed_values, execute, forget_composed, reused
from apps.core.querysets import among_ids
from apps.units.models import Unit

from ..conftest import client_for
from ..factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def prepared_like(fragment: str) -> list[tuple[str, int, int]]:
    """This connection's prepared statements whose text holds `fragment`: (name, generic plans, custom
    plans)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE strpos(statement, %s) > 0 ORDER BY name",
            [fragment],
        )
        return cursor.fetchall()


def statement_of(fragment: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE strpos(statement, %s) > 0", [fragment]
        )
        [(statement,)] = cursor.fetchall()
    return statement


def units_by_code(code: str):
    return composed_values(
        ("test_prepared", code), lambda: Unit.objects.filter(code=code).values("code", "short_name")
    )


def test_a_statement_sent_again_is_prepared_and_then_executed_by_name_reading_the_rows_afresh(caplog):
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    forget_composed()
    UnitFactory(code="PREP-1", short_name="甲")

    first = units_by_code("PREP-1")
    assert prepared_like("PREP-1") == []  # sent once: planned as any statement
    with CaptureQueriesContext(connection) as queries:
        second = units_by_code("PREP-1")
    [(name, generic, custom)] = prepared_like("PREP-1")
    Unit.objects.filter(code="PREP-1").update(short_name="乙")
    with CaptureQueriesContext(connection) as later:
        third = units_by_code("PREP-1")

    assert first == second == [{"code": "PREP-1", "short_name": "甲"}]
    assert third == [{"code": "PREP-1", "short_name": "乙"}]  # the data is read at each execution
    assert prepared_like("PREP-1") == [(name, generic + 1, custom)]  # the same statement, no new plan
    # the log shows the statement with its values, as Django logs any query, once
    for logged in (queries, later):
        [query] = logged.captured_queries
        assert query["sql"].startswith('SELECT "units_unit"."code"')
        assert "'PREP-1'" in query["sql"] and "EXECUTE" not in query["sql"]
    logger = [
        r.getMessage()
        for r in caplog.records
        if r.name == "django.db.backends" and "PREP-1" in r.getMessage()
    ]
    assert len(logger) == 2 and not [m for m in logger if "EXECUTE" in m or "PREPARE" in m], logger


def test_a_pages_ids_are_given_at_each_read_of_one_prepared_statement():
    forget_composed()
    units = [UnitFactory(code=f"PIDS-{n}") for n in range(3)]

    def read(ids):
        return composed_values(
            ("test_prepared", "ids"),
            lambda: Unit.objects.filter(among_ids(IDS)).order_by("code").values("code", tag=Value("p-ids")),
            ids=ids,
        )

    got = [read([units[n].pk]) for n in (0, 1, 2, 0)] + [read([]), read([u.pk for u in units])]

    assert [[row["code"] for row in rows] for rows in got] == [
        ["PIDS-0"],
        ["PIDS-1"],
        ["PIDS-2"],
        ["PIDS-0"],
        [],
        ["PIDS-0", "PIDS-1", "PIDS-2"],
    ]
    [(_, generic, custom)] = prepared_like("'p-ids'")
    assert "= ANY(($1::bigint[]))" in statement_of("'p-ids'")
    assert generic + custom == 5  # prepared at the second read: five executions of one statement


@reused
def joined_before_now(prefix: str) -> dict:
    return {
        "before": Aggregate(
            User.objects.filter(username__startswith=prefix, date_joined__lt=NOW), n=Count("id")
        )
    }


def test_the_moment_a_spec_is_read_at_is_a_parameter_of_its_prepared_statement():
    UserFactory(username="prep-m-1", date_joined=datetime(2024, 3, 4, 10, tzinfo=UTC))
    UserFactory(username="prep-m-2", date_joined=datetime(2024, 3, 5, 10, tzinfo=UTC))
    moments = [datetime(2024, 3, d, 12, tzinfo=UTC) for d in (3, 4, 5, 4, 3, 6)]

    counts = [execute(at(joined_before_now("prep-m-"), moment))["before"]["n"] for moment in moments]

    assert counts == [0, 1, 2, 1, 0, 2]
    [(_, generic, custom)] = prepared_like("prep-m-")
    assert generic + custom == 5


def test_a_connection_keeps_its_last_statements_and_deallocates_the_older(monkeypatch):
    monkeypatch.setattr(prepared, "KEPT", 2)
    forget_composed()
    for code in ("KEEP-1", "KEEP-2", "KEEP-3"):
        UnitFactory(code=code)
        units_by_code(code)
        units_by_code(code)  # prepared

    assert prepared_like("KEEP-1") == []
    assert [len(prepared_like(code)) for code in ("KEEP-2", "KEEP-3")] == [1, 1]
    assert units_by_code("KEEP-1") == [
        {"code": "KEEP-1", "short_name": Unit.objects.get(code="KEEP-1").short_name}
    ]


def test_a_statement_that_fails_by_name_is_prepared_afresh_at_its_next_sending():
    forget_composed()
    UnitFactory(code="FAIL-1")
    units_by_code("FAIL-1")
    units_by_code("FAIL-1")
    [(name, _, _)] = prepared_like("FAIL-1")
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE {name}")  # as a pooler that hands over another server session would

    with pytest.raises(DatabaseError), transaction.atomic():
        units_by_code("FAIL-1")
    units_by_code("FAIL-1")  # sent once more since the failure: planned as usual
    again = units_by_code("FAIL-1")

    assert again == [{"code": "FAIL-1", "short_name": Unit.objects.get(code="FAIL-1").short_name}]
    [(renamed, _, _)] = prepared_like("FAIL-1")
    assert renamed != name


def test_nothing_is_prepared_without_the_setting(settings):
    settings.DB_PREPARED_STATEMENTS = False
    forget_composed()
    UnitFactory(code="OFF-1")

    got = [units_by_code("OFF-1") for _ in range(3)]
    counted = [execute({"n": Aggregate(Unit.objects.filter(code="OFF-1"), n=Count("id"))}) for _ in range(3)]

    assert got[2] == got[0] and len(got[0]) == 1 and counted[2] == {"n": {"n": 1}}
    assert prepared_like("OFF-1") == []


def test_the_signed_in_user_and_their_session_are_read_by_statements_prepared_once_per_connection():
    ann = UserFactory(username="prep-ann", display_name="安")
    bo = UserFactory(username="prep-bo", display_name="博")
    clients = [(client_for(ann), "安"), (client_for(bo), "博")]

    for client, name in clients * 3:  # on one connection: the statements are prepared at the second page
        response = client.get("/")
        assert response.status_code == 200
        assert response.wsgi_request.user.display_name == name

    [(_, generic, custom)] = prepared_like('FROM "accounts_usersession" WHERE')
    assert generic + custom >= 5  # one statement for every user's session
    assert "$1::text" in statement_of('FROM "accounts_usersession" WHERE')
    users = prepared_like('"accounts_user"."display_name"')
    assert len(users) == 1 and sum(users[0][1:]) >= 5
    assert "$1::bigint" in statement_of('"accounts_user"."display_name"')

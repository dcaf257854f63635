"""The canonical users every test speaks of (style.md), on real PostgreSQL.

unit A (a park) has: staff_a, colleague_a, manager_a; unit B (another park) has staff_b; the leader and
the admin sit in the district office. `anonymous` is a client that is not signed in.
"""

import contextlib
from unittest.mock import patch

import pytest
from django.test import Client
from pytest_django.plugin import blocking_manager_key

from apps.accounts import roles

from .factories import UnitFactory, UserFactory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test, Django has flushed every table, the rows of the data migrations (roles,
    categories, the working-day calendar, indicators) included. `serialized_rollback` puts them back only
    at the start of the next serialized test; put them back now, so that whichever test runs next on this
    worker finds the database as the migrations left it."""
    result = yield
    marker = item.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or "live_server" in item.fixturenames
    # after the worker's last test the test database is already gone: nothing to put back
    if transactional and nextitem is not None:
        from django.contrib.auth.models import Group
        from django.db import connection

        contents = getattr(connection, "_test_serialized_contents", None)
        with item.config.stash[blocking_manager_key].unblock():
            if contents and not Group.objects.exists():
                connection.creation.deserialize_db_from_string(contents)
    return result


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LANGUAGE_CODE = "zh-hans"
    # background jobs run at once, in the test's transaction (apps/jobs/__init__.py); no worker needed
    settings.JOBS_EAGER = True
    from apps.service.selectors import clear_busy_units

    clear_busy_units()  # read once every ten minutes per process: each test reads its own


@pytest.fixture
def unit_a(db):
    return UnitFactory(code="unit-a", name="产业技术研创园", short_name="研创园")


@pytest.fixture
def unit_b(db):
    return UnitFactory(code="unit-b", name="生物医药谷", short_name="医药谷")


@pytest.fixture
def office(db):
    return UnitFactory(
        code="office", name="党政办公室", short_name="党政办", kind="office", peer_group="bureaus"
    )


@pytest.fixture
def staff_a(unit_a):
    return UserFactory(username="staff_a", display_name="张伟", unit=unit_a, role=roles.STAFF)


@pytest.fixture
def colleague_a(unit_a):
    return UserFactory(username="colleague_a", display_name="李娜", unit=unit_a, role=roles.STAFF)


@pytest.fixture
def staff_b(unit_b):
    return UserFactory(username="staff_b", display_name="王芳", unit=unit_b, role=roles.STAFF)


@pytest.fixture
def manager_a(unit_a):
    return UserFactory(username="manager_a", display_name="刘洋", unit=unit_a, role=roles.UNIT_MANAGER)


@pytest.fixture
def leader(office):
    return UserFactory(username="leader", display_name="赵敏", unit=office, role=roles.LEADER)


@pytest.fixture
def admin_user(office):
    return UserFactory(
        username="admin",
        display_name="管理员",
        unit=office,
        role=roles.ADMIN,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def users(staff_a, colleague_a, staff_b, manager_a, leader, admin_user):
    """Every canonical user by role name, plus None for anonymous."""
    return {
        "staff_a": staff_a,
        "colleague_a": colleague_a,
        "staff_b": staff_b,
        "manager_a": manager_a,
        "leader": leader,
        "admin": admin_user,
        "anonymous": None,
    }


@contextlib.contextmanager
def models_built(*models):
    """The list, filled while the block runs, of the model class of every instance of `models` built in it:
    a page that should read its rows as values asserts it builds none of them per row."""
    built = []

    def counting(model):
        original = model.__init__

        def init(self, *args, **kwargs):
            built.append(model)
            original(self, *args, **kwargs)

        return init

    with contextlib.ExitStack() as stack:
        for model in models:
            stack.enter_context(patch.object(model, "__init__", counting(model)))
        yield built


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    """The demo district (seeds.demo, ~80 s to build), loaded once for a module inside a transaction rolled
    back at its end: for the slow walks and crawls over realistic data."""
    from django.db import transaction

    from seeds import demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo.load()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def composed(monkeypatch) -> list:
    """The queries composed while the test runs, in order (apps.core.batch composes each spec with
    Query.sql_with_params), starting from nothing composed once (batch.forget_composed); a test clears the
    list between the views it compares."""
    from django.db.models.sql.query import Query

    from apps.core.batch import forget_composed

    forget_composed()
    seen = []
    real = Query.sql_with_params
    monkeypatch.setattr(Query, "sql_with_params", lambda self: seen.append(self) or real(self))
    return seen


@pytest.fixture
def composed_sql():
    """The SQL Django composes while the test runs (every compiled statement, subqueries included), in order;
    a test keeps those about its own tables and clears the list between the views it compares."""
    from unittest import mock

    from django.db.models.sql.compiler import SQLCompiler

    compose = SQLCompiler.as_sql
    seen = []

    def recording(compiler, *args, **kwargs):
        sql, params = compose(compiler, *args, **kwargs)
        seen.append(sql)
        return sql, params

    with mock.patch.object(SQLCompiler, "as_sql", recording):
        yield seen

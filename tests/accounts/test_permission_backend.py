"""The permission backend reads a user's permissions (their own and their roles') in one query, and grants
exactly what Django's own ModelBackend grants."""

import pytest
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.backends import OneQueryModelBackend as ModelBackend
from apps.accounts.models import User

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return User.objects.get(pk=user.pk)  # no permission cache


def test_same_permissions_as_djangos_backend_for_every_role(staff_a, manager_a, leader, admin_user):
    extra = Permission.objects.get(codename="view_all_units")
    staff_a.user_permissions.add(extra)  # a permission of the user's own, besides the role's
    for user in (staff_a, manager_a, leader, admin_user):
        ours = ModelBackend().get_all_permissions(fresh(user))
        assert ours == DjangoModelBackend().get_all_permissions(fresh(user)), user.username
        assert ours, user.username
    assert "accounts.view_all_units" in ModelBackend().get_all_permissions(fresh(staff_a))


def test_one_query_for_all_permission_checks_of_a_request(manager_a):
    user = fresh(manager_a)
    with CaptureQueriesContext(connection) as captured:
        assert user.has_perm("service.handle_request")
        assert not user.has_perm("rankings.change_publication")
    assert len(captured) == 1


def test_an_inactive_user_has_no_permission(manager_a):
    manager_a.is_active = False
    assert ModelBackend().get_all_permissions(manager_a) == set()


def test_the_signed_in_user_comes_with_their_unit(staff_a, client):
    client.force_login(staff_a)
    user = ModelBackend().get_user(staff_a.pk)
    with CaptureQueriesContext(connection) as captured:
        assert user.unit.short_name == staff_a.unit.short_name
    assert len(captured) == 0
    staff_a.is_active = False
    staff_a.save()
    assert ModelBackend().get_user(staff_a.pk) is None


def test_the_permission_question_is_composed_once_for_every_user(staff_a, manager_a, monkeypatch):
    """Composing the permission query cost the ORM more than PostgreSQL spent answering it (1.9 ms of every
    page at province scale): it is composed once, for any user, and asked with each user's id."""
    from apps.accounts import backends

    original, composed = backends._permission_names, []

    def counted(user_id):
        composed.append(user_id)
        return original(user_id)

    monkeypatch.setattr(backends, "_permission_names", counted)
    backends._permissions_sql.cache_clear()
    try:
        staff_perms = ModelBackend().get_all_permissions(fresh(staff_a))
        manager_perms = ModelBackend().get_all_permissions(fresh(manager_a))
    finally:
        backends._permissions_sql.cache_clear()  # not kept composed by the counting stand-in

    assert composed == [backends.ANYONE]
    assert staff_perms == DjangoModelBackend().get_all_permissions(fresh(staff_a))
    assert manager_perms == DjangoModelBackend().get_all_permissions(fresh(manager_a))
    assert "accounts.manage_unit" in manager_perms - staff_perms


def test_the_signed_in_user_is_read_with_a_question_composed_once(staff_a, leader, monkeypatch):
    """Loading the signed-in user with their unit cost the ORM ~1 ms of every page to compose: the question
    is composed once, for any user; each user comes back whole, with their unit or none."""
    from apps.accounts import backends

    backends._user_sql.cache_clear()
    nobody = UserFactory(unit=None)
    with CaptureQueriesContext(connection) as captured:
        read = {user.pk: ModelBackend().get_user(user.pk) for user in (staff_a, leader, nobody)}
    assert len(captured) == 3  # one query each, its unit with it
    assert backends._user_sql.cache_info().misses == 1  # composed for the first, asked again for the others
    for user in (staff_a, leader, nobody):
        fresh_user = fresh(user)
        got = read[user.pk]
        assert got._state.adding is False and got._state.db == "default"
        assert {f.attname: getattr(got, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(fresh_user, f.attname) for f in User._meta.concrete_fields
        }
        assert got.get_session_auth_hash() == fresh_user.get_session_auth_hash()
    with CaptureQueriesContext(connection) as captured:
        assert read[staff_a.pk].unit == staff_a.unit and read[staff_a.pk].unit.name == staff_a.unit.name
        assert read[nobody.pk].unit is None
    assert len(captured) == 0
    assert ModelBackend().get_user(987654321) is None


def test_the_signed_in_user_comes_with_their_permissions(staff_a, manager_a, leader, admin_user):
    """The user's permissions are read in the query that reads the user (every page checks some): a round
    trip less on every signed-in page. They are what Django's backend grants; a superuser's, every
    permission, are read when first asked."""
    extra = Permission.objects.get(codename="view_all_units")
    staff_a.user_permissions.add(extra)
    for user in (staff_a, manager_a, leader):
        with CaptureQueriesContext(connection) as captured:
            signed_in = ModelBackend().get_user(user.pk)
            granted = signed_in.get_all_permissions()
            assert signed_in.has_perm("service.view_request")
        assert len(captured) == 1, user.username
        assert granted == DjangoModelBackend().get_all_permissions(fresh(user)), user.username
    assert "accounts.view_all_units" in ModelBackend().get_user(staff_a.pk).get_all_permissions()
    assert "accounts.view_all_units" not in ModelBackend().get_user(manager_a.pk).get_all_permissions()
    superuser = ModelBackend().get_user(admin_user.pk)
    assert superuser.get_all_permissions() == DjangoModelBackend().get_all_permissions(fresh(admin_user))

"""`manage.py backup` and `manage.py restore` (apps.core.backup): a round trip on real PostgreSQL.

pg_dump and pg_restore use their own connections, so the data must be committed (transactional test) and
they work on the test database itself.
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.accounts import roles
from apps.core import backup
from apps.enterprises.models import Enterprise
from apps.service import services
from apps.service.models import Request, RequestEvent, Visit
from apps.units.models import Unit

from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..service.factories import TALENT, category, local

# serialized_rollback: the flush after a transactional test empties the seeded tables (roles, categories,
# calendar); restore them for the tests that run after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def app_tables() -> dict[str, str]:
    """Every table of the project's apps (auto-created many-to-many tables included), with its pk column."""
    tables = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        for model in config.get_models(include_auto_created=True):
            tables[model._meta.db_table] = model._meta.pk.column
    return tables


def snapshot() -> dict[str, tuple[int, str]]:
    """Per app table: its row count and the md5 of all its rows in primary-key order."""
    result = {}
    with connection.cursor() as cursor:
        for table, pk in sorted(app_tables().items()):
            t, p = connection.ops.quote_name(table), connection.ops.quote_name(pk)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.{p}), '')) FROM {t} t"
            )
            result[table] = cursor.fetchone()
    return result


@pytest.fixture
def district(db):
    """Committed rows in many tables: units, users, enterprises, a visit with two requests, their events."""
    park = UnitFactory(code="park", name="产业技术研创园", short_name="研创园")
    bureau = UnitFactory(
        code="bureau", name="经济发展局", short_name="经发局", kind="bureau", peer_group="bureaus"
    )
    staff = UserFactory(username="zhangwei", display_name="张伟", unit=park, role=roles.STAFF)
    UserFactory(username="liuyang", display_name="刘洋", unit=park, role=roles.UNIT_MANAGER)
    enterprise = EnterpriseFactory(name="南京备份测试科技有限公司", unit=park)
    EnterpriseFactory(name="南京第二测试有限公司", unit=park)
    services.visit_record(
        by=staff,
        visited_on=local(2024, 3, 4).date(),
        enterprise=enterprise,
        lead_unit=park,
        joint_units=[bureau],
        mode=Visit.Mode.ON_SITE,
        summary="走访：了解用工需求",
        requests=[
            {"category": category(TALENT), "title": "人才公寓申请", "urgency": Request.Urgency.NORMAL},
            {"category": category(TALENT), "title": "招聘会摊位", "handling_unit": bureau},
        ],
    )
    return {"enterprise": enterprise, "bureau": bureau}


def test_round_trip_restores_every_app_table_exactly(district, tmp_path):
    path = tmp_path / "round-trip.dump"
    before = snapshot()
    # The data really is there: the checksums below compare something.
    assert before["service_visit"][0] == 1
    assert before["service_request"][0] == 2
    assert before["service_requestevent"][0] == 3  # two logged, one of them dispatched at once
    assert before["service_visit_joint_units"][0] == 1
    assert before["enterprises_enterprise"][0] == 2

    call_command("backup", output=path)
    assert path.stat().st_size > 0
    assert path.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not path.with_name(path.name + ".partial").exists()

    # Change, delete and add rows after the backup.
    Enterprise.objects.filter(pk=district["enterprise"].pk).update(name="改过的名字")
    RequestEvent.objects.all().delete()
    Request.objects.filter(title="招聘会摊位").update(title="改过的诉求")
    Visit.objects.get().joint_units.clear()
    Unit.objects.create(code="new", name="新单位", short_name="新", kind="street", peer_group="streets")
    changed = snapshot()
    assert changed["service_requestevent"][0] == 0
    assert changed["service_visit_joint_units"][0] == 0
    assert changed["service_request"][1] != before["service_request"][1]
    assert changed["units_unit"][0] == before["units_unit"][0] + 1
    assert changed["enterprises_enterprise"][1] != before["enterprises_enterprise"][1]

    call_command("restore", path, interactive=False)

    assert snapshot() == before
    assert Enterprise.objects.get(pk=district["enterprise"].pk).name == "南京备份测试科技有限公司"
    assert RequestEvent.objects.count() == 3
    assert not Unit.objects.filter(code="new").exists()
    # The restored database keeps working through the ORM (sequences restored too: no duplicate key).
    Unit.objects.create(
        code="after", name="恢复后新单位", short_name="恢复后", kind="street", peer_group="streets"
    )


def test_backup_default_path_is_timestamped_under_data_dir(district, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("backup")
    [written] = (tmp_path / "backups").iterdir()
    assert written.name.startswith("jianbei-") and written.suffix == ".dump"
    assert len(written.stem) == len("jianbei-20240304-101112")
    assert written.stat().st_mode & 0o777 == 0o600


def test_restore_asks_for_confirmation_and_changes_nothing_without_yes(district, tmp_path, monkeypatch):
    path = tmp_path / "b.dump"
    call_command("backup", output=path)
    Unit.objects.create(code="new", name="新单位", short_name="新", kind="street", peer_group="streets")
    after_change = snapshot()
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "y")

    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", path)

    assert len(asked) == 1 and "Type 'yes'" in asked[0]
    assert snapshot() == after_change


def test_a_damaged_backup_fails_and_changes_nothing(district, tmp_path):
    good = tmp_path / "good.dump"
    call_command("backup", output=good)
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(good.read_bytes()[:-64])
    Unit.objects.create(code="new", name="新单位", short_name="新", kind="street", peer_group="streets")
    after_change = snapshot()

    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command("restore", damaged, interactive=False)

    assert snapshot() == after_change  # one transaction: nothing was dropped or half-loaded


def test_restore_of_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("restore", tmp_path / "nothing.dump", interactive=False)


def test_tools_match_the_server_version(db):
    server_major = connection.pg_version // 10000
    for name in ("pg_dump", "pg_restore"):
        tool = backup.find_tool(name, server_major)
        assert tool.major >= server_major
        assert Path(tool.path).name == name


def test_no_tool_new_enough_is_a_clear_error(db):
    with pytest.raises(backup.BackupError, match="No pg_dump of PostgreSQL 99 or newer was found"):
        backup.find_tool("pg_dump", 99)

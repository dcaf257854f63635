"""The nightly job that holds the roll-ups against a rebuild and alerts the administrators when not."""

import logging

from django.db.models import F

from apps.jobs.models import Alert
from apps.service.models import RequestMonth
from apps.workbench.tasks import rollups_check
from tests.service.factories import local, make_request


def test_equal_roll_ups_raise_no_alert(staff_a, unit_a, caplog):
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 12, 31, 23, 59, 59))
    with caplog.at_level(logging.ERROR, logger="jianbei.jobs"):
        assert rollups_check.call() == {}
    assert not Alert.objects.exists()
    assert caplog.records == []


def test_a_tampered_counter_raises_an_alert_and_a_logged_error(staff_a, unit_a, caplog):
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 12, 31, 23, 59, 59))
    RequestMonth.objects.filter(unit=unit_a).update(n=F("n") + 1)

    with caplog.at_level(logging.ERROR, logger="jianbei.jobs"):
        assert rollups_check.call() == {"service_requestmonth": [1, 1]}

    alert = Alert.objects.get()
    assert "service_requestmonth: 1 rows only kept, 1 only rebuilt" in alert.message
    assert alert.resolved_at is None
    assert [r.getMessage().splitlines()[0] for r in caplog.records] == [
        "ALERT: The roll-ups differ from a rebuild (`manage.py rebuild_rollups --check` shows the rows;"
        " `manage.py rebuild_rollups` repairs them):"
    ]
    assert RequestMonth.objects.get(unit=unit_a).n == 2  # nothing repaired by itself

"""Lost updates: two people edit the same record; the second, stale save is refused with a clear message and
the first person's change stays. On real PostgreSQL, committed (transactional tests).

Each edit form is loaded by two clients (same version), saved by the first, then by the second. The race
test runs two threads, each with its own database connection, saving at the same moment: the row lock
makes the second wait for the first and then see the new version. (The transition lock on requests has
its own two-connection tests in tests/service/test_concurrency.py.)
"""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from apps.core.locking import CONFLICT_MESSAGE, EditConflict
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.projects.models import MonthlyReport, Project, ReportCorrection
from apps.research.models import Carrier

from ..conftest import client_for
from ..factories import EnterpriseFactory

# serialized_rollback: the flush after a transactional test empties the seeded tables (roles, categories,
# calendar); restore them for this test whatever ran before.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def loaded(response) -> dict:
    """The POST data of the form (and formset) as the page showed it: what a browser sends unchanged."""
    data = {}
    for key in ("form", "formset"):
        if key not in response.context:
            continue
        obj = response.context[key]
        forms = [obj.management_form, *obj.forms] if hasattr(obj, "management_form") else [obj]
        for form in forms:
            for bound in form:
                value = bound.value()
                if value is None or value is False:
                    continue
                if value is True:
                    data[bound.html_name] = "on"
                elif isinstance(value, list | tuple):
                    data[bound.html_name] = [str(v) for v in value]
                else:
                    data[bound.html_name] = str(value)
    return data


def conflict_shown(response) -> bool:
    with translation.override("zh-hans"):
        message = str(CONFLICT_MESSAGE)
    return [str(m.message) for m in get_messages(response.wsgi_request)] == [message] or (
        message in response.content.decode()
    )


def edit_twice(url, first_user, second_user, first_changes, second_changes):
    """Both users load the edit form; the first saves, then the second. Returns the second answer."""
    first, second = client_for(first_user), client_for(second_user)
    first_form, second_form = loaded(first.get(url)), loaded(second.get(url))
    assert first_form["version"] == second_form["version"]
    saved = first.post(url, {**first_form, **first_changes})
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    return second.post(url, {**second_form, **second_changes})


def test_a_stale_enterprise_edit_is_refused_and_keeps_the_first_change(staff_a, colleague_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="原名称", address="原地址")
    url = reverse("enterprises:update", args=[enterprise.pk])

    response = edit_twice(url, staff_a, colleague_a, {"name": "张伟改的名称"}, {"address": "李娜改的地址"})

    assert response.status_code == 200
    assert conflict_shown(response)
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.address, enterprise.version) == ("张伟改的名称", "原地址", 1)
    # The form shown again holds what is stored now, with the new version: saving it again is not stale.
    again = loaded(response)
    assert (again["name"], again["version"]) == ("张伟改的名称", "1")


def test_a_stale_contacts_only_edit_is_refused_too(staff_a, colleague_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    url = reverse("enterprises:update", args=[enterprise.pk])
    contact = {"contacts-0-name": "王五", "contacts-0-mobile": "13900000001"}

    response = edit_twice(url, staff_a, colleague_a, contact, {**contact, "contacts-0-name": "赵六"})

    assert response.status_code == 200
    assert conflict_shown(response)
    enterprise.refresh_from_db()
    assert enterprise.version == 1
    assert list(enterprise.contacts.values_list("name", flat=True)) == ["王五"]


def test_saving_an_unchanged_form_twice_is_not_a_conflict(staff_a, colleague_a, unit_a):
    """Nothing saved, no new version: the other person's form is still current."""
    enterprise = EnterpriseFactory(unit=unit_a, name="原名称")
    url = reverse("enterprises:update", args=[enterprise.pk])

    response = edit_twice(url, staff_a, colleague_a, {}, {"name": "李娜改的名称"})

    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.version) == ("李娜改的名称", 1)


@pytest.fixture
def project(staff_a, unit_a):
    owner = EnterpriseFactory(unit=unit_a)
    return Project.objects.create(
        code="A-001",
        name="研创园项目",
        owner=owner,
        unit=unit_a,
        level="district",
        kind="industrial",
        industry="C",
        total_investment=Decimal("1000"),
    )


def test_a_stale_project_edit_is_refused_and_keeps_the_first_change(staff_a, colleague_a, project):
    url = reverse("projects:update", args=[project.pk])

    response = edit_twice(url, staff_a, colleague_a, {"name": "张伟改的项目"}, {"location": "李娜改的地点"})

    assert response.status_code == 200
    assert conflict_shown(response)
    project.refresh_from_db()
    assert (project.name, project.location, project.version) == ("张伟改的项目", "", 1)


def test_recording_the_start_makes_an_open_project_form_stale(staff_a, colleague_a, project):
    """The start date is on the edit form: a form loaded before the start was recorded must not undo it."""
    url = reverse("projects:update", args=[project.pk])
    stale = loaded(client_for(colleague_a).get(url))
    started = client_for(staff_a).post(reverse("projects:start", args=[project.pk]), {"on": "2024-03-01"})
    assert started.status_code == 302

    response = client_for(colleague_a).post(url, {**stale, "name": "李娜改的项目"})

    assert conflict_shown(response)
    project.refresh_from_db()
    assert (project.name, project.actual_start, project.stage, project.version) == (
        "研创园项目",
        date(2024, 3, 1),
        "construction",
        1,
    )


def test_a_stale_report_correction_is_refused_and_keeps_the_first(staff_a, colleague_a, project):
    report = MonthlyReport.objects.create(
        project=project, month=date(2024, 1, 1), amount=Decimal("50"), reported_by=staff_a
    )
    url = reverse("projects:report_correct", args=[report.pk])
    seen = {"expected_version": report.version}

    first = client_for(staff_a).post(url, {**seen, "amount": "60", "reason": "漏报"})
    second = client_for(colleague_a).post(url, {**seen, "amount": "70", "reason": "重报"})

    assert (first.status_code, second.status_code) == (302, 302)
    assert conflict_shown(second)
    report.refresh_from_db()
    assert (report.amount, report.version) == (Decimal("60.00"), 1)
    assert list(ReportCorrection.objects.values_list("old_amount", "new_amount", "by")) == [
        (Decimal("50.00"), Decimal("60.00"), staff_a.pk)
    ]


def test_a_stale_carrier_edit_is_refused_and_keeps_the_first_change(staff_a, colleague_a, unit_a):
    carrier = Carrier.objects.create(
        name="研创园孵化器",
        kind="incubator",
        park=unit_a,
        unit=unit_a,
        total_area_m2=Decimal("1000"),
        free_area_m2=Decimal("300"),
    )
    url = reverse("research:carrier_update", args=[carrier.pk])

    response = edit_twice(url, staff_a, colleague_a, {"free_area_m2": "200"}, {"free_area_m2": "100"})

    assert response.status_code == 200
    assert conflict_shown(response)
    carrier.refresh_from_db()
    assert (carrier.free_area_m2, carrier.version) == (Decimal("200.00"), 1)


# --- two connections at the same moment -------------------------------------------------------------------


def race(*saves, hold: float = 0.3) -> list:
    """Run each save in its own thread (its own database connection): both start together, and each keeps
    its transaction open `hold` seconds after writing, so the other arrives while the row is locked.
    Returns, per save, "won" or the exception it raised."""
    barrier = threading.Barrier(len(saves))
    results: list = [None] * len(saves)

    def run(index, save):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                save()
                time.sleep(hold)
            results[index] = "won"
        except Exception as exc:  # noqa: BLE001 — handed to the test, which asserts its exact kind
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, save)) for i, save in enumerate(saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_people_saving_the_same_enterprise_at_once_exactly_one_wins(staff_a, colleague_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="原名称")
    seen = Enterprise.objects.get(pk=enterprise.pk)

    def save(by, name):
        return lambda: enterprise_services.enterprise_update(
            enterprise=seen, by=by, expected_version=seen.version, name=name
        )

    results = race(save(staff_a, "张伟改的名称"), save(colleague_a, "李娜改的名称"))

    assert results.count("won") == 1
    assert isinstance(next(r for r in results if r != "won"), EditConflict)
    enterprise.refresh_from_db()
    winner = "张伟改的名称" if results[0] == "won" else "李娜改的名称"
    assert (enterprise.name, enterprise.version) == (winner, 1)

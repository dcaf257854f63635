"""Key-enterprise coverage: campaign 1 marks each visit's month on the enterprise's coverage row, the
enterprises app copies the unit and key flag there whenever they change, and coverage reads the key
enterprises' rows in one pass — two transactions marking one enterprise at once included."""

import threading
from datetime import date

import pytest
from django.db import connection

from apps.core import monthset
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise, EnterpriseCoverage
from apps.service import selectors
from apps.service.services import visit_record

from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def months(enterprise) -> str:
    return EnterpriseCoverage.objects.get(pk=enterprise.pk).months.rstrip("0")


def visit(by, enterprise, on):
    return visit_record(by=by, visited_on=on, enterprise=enterprise, lead_unit=by.unit, mode="on_site")


def test_a_visit_marks_its_month_on_the_enterprise_once(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True)
    assert months(enterprise) == ""
    visit(staff_a, enterprise, date(2024, 3, 5))
    visit(staff_a, enterprise, date(2024, 3, 28))  # the same month: nothing more to mark
    visit(staff_a, enterprise, date(2023, 12, 31))
    marked = EnterpriseCoverage.objects.get(pk=enterprise.pk).months
    assert [i for i, bit in enumerate(marked) if bit == "1"] == [
        monthset.month_index(date(2023, 12, 1)),
        monthset.month_index(date(2024, 3, 1)),
    ]
    assert monthset.contains(marked, date(2024, 3, 1)) and not monthset.contains(marked, date(2024, 2, 1))


def test_coverage_reads_the_key_flag_and_the_unit_as_they_are_now(staff_a, unit_a, unit_b, leader):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=False)
    visit(staff_a, enterprise, date(2024, 3, 5))
    march = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}
    assert selectors.coverage_by_unit(**march) == []
    enterprise_services.enterprise_update(enterprise=enterprise, by=leader, is_key=True)
    [row] = selectors.coverage_by_unit(**march)
    assert (row["unit"], row["total"], row["visited"]) == (unit_a, 1, 1)
    enterprise_services.enterprise_update(enterprise=enterprise, by=leader, unit=unit_b)
    [row] = selectors.coverage_by_unit(**march)
    assert (row["unit"], row["total"], row["visited"]) == (unit_b, 1, 1)
    february = {"start": date(2024, 2, 1), "end": date(2024, 2, 29)}
    [row] = selectors.coverage_by_unit(**february)
    assert (row["total"], row["visited"]) == (1, 0)


def test_an_edit_of_the_enterprise_keeps_its_visited_months_and_copies_its_unit_and_flag(
    staff_a, unit_a, unit_b, leader
):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True)
    opened = Enterprise.objects.get(pk=enterprise.pk)  # an edit form opened before the visit
    visit(staff_a, enterprise, date(2024, 3, 5))
    enterprise_services.enterprise_update(
        enterprise=opened,
        by=leader,
        name="改名后的企业",
        unit=unit_b,
        is_key=False,
        expected_version=opened.version,
    )
    row = EnterpriseCoverage.objects.get(pk=enterprise.pk)
    assert (row.unit_id, row.is_key) == (unit_b.pk, False)
    assert months(enterprise) == "1".rjust(monthset.month_index(date(2024, 3, 1)) + 1, "0")


def test_every_enterprise_has_its_row_from_the_start(unit_a, leader):
    made = enterprise_services.enterprise_create(
        by=leader, name="新企业", credit_code=EnterpriseFactory.build().credit_code, unit=unit_a,
        industry="C", size="small", is_key=True,
    )  # fmt: skip
    assert EnterpriseCoverage.objects.filter(pk=made.pk, unit=unit_a, is_key=True, months="").exists()


@pytest.mark.parametrize(
    ("first", "last", "visited"),
    [
        (date(2024, 3, 1), date(2024, 3, 1), True),
        (date(2024, 1, 1), date(2024, 2, 1), False),
        (date(2024, 4, 1), date(2024, 12, 1), False),
        (date(2023, 1, 1), date(2024, 3, 1), True),
        (date(2030, 1, 1), date(2030, 12, 1), False),  # past the end of the string
    ],
)
def test_any_month_is_exact_at_the_edges(unit_a, staff_a, first, last, visited):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True)
    visit(staff_a, enterprise, date(2024, 3, 15))
    found = EnterpriseCoverage.objects.filter(pk=enterprise.pk).filter(
        monthset.any_month("months", first, last)
    )
    assert found.exists() is visited


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_marking_one_enterprise_keep_both_months(unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True)
    params = connection.get_connection_params()
    first, second = (connection.get_new_connection(params) for _ in range(2))
    mark = monthset.add_month_sql("enterprises_enterprisecoverage", "months", key="enterprise_id")
    try:
        first.autocommit = second.autocommit = False
        with first.cursor() as cursor:  # holds the enterprise's row until it commits
            cursor.execute(mark, {"i": monthset.month_index(date(2024, 1, 1)), "id": enterprise.pk})

        def mark_february():
            with second.cursor() as cursor:  # waits for the first, then marks on top of its January
                cursor.execute(mark, {"i": monthset.month_index(date(2024, 2, 1)), "id": enterprise.pk})
            second.commit()

        thread = threading.Thread(target=mark_february)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second transaction waits for the first"
        first.commit()
        thread.join(timeout=10)
        bits = EnterpriseCoverage.objects.get(pk=enterprise.pk).months
        assert monthset.contains(bits, date(2024, 1, 1)) and monthset.contains(bits, date(2024, 2, 1))
    finally:
        first.close()
        second.close()

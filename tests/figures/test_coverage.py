"""EnterpriseCoverage follows the enterprises and their visited months through triggers, bulk writes and two
transactions writing at once included."""

import threading
from datetime import date

import pytest
from django.db import connection

from apps.enterprises.models import Enterprise
from apps.figures.models import EnterpriseCoverage

from ..factories import EnterpriseFactory
from ..service.factories import VisitFactory

pytestmark = pytest.mark.django_db


def coverage(enterprise):
    row = EnterpriseCoverage.objects.get(pk=enterprise.pk)
    return row.unit_id, row.is_key, row.months


def test_an_enterprise_has_its_row_from_the_start_and_it_follows_edits(unit_a, unit_b, staff_a):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=False)
    assert coverage(enterprise) == (unit_a.pk, False, [])
    visit = VisitFactory(created_by=staff_a, enterprise=enterprise, visited_on=date(2024, 3, 5))
    january = VisitFactory(created_by=staff_a, enterprise=enterprise, visited_on=date(2024, 1, 9))
    enterprise.is_key, enterprise.unit = True, unit_b
    enterprise.save()
    assert coverage(enterprise) == (unit_b.pk, True, [date(2024, 1, 1), date(2024, 3, 1)])
    visit.delete()
    assert coverage(enterprise) == (unit_b.pk, True, [date(2024, 1, 1)])
    january.delete()
    assert coverage(enterprise) == (unit_b.pk, True, [])
    enterprise.delete()
    assert not EnterpriseCoverage.objects.filter(pk=enterprise.pk).exists()


def test_bulk_writes_keep_it_too(unit_a, unit_b):
    made = Enterprise.objects.bulk_create(
        [EnterpriseFactory.build(unit=unit_a, is_key=False) for _ in range(3)]
    )
    Enterprise.objects.filter(pk__in=[e.pk for e in made[:2]]).update(is_key=True, unit=unit_b)
    rows = dict(EnterpriseCoverage.objects.filter(pk__in=[e.pk for e in made]).values_list("pk", "is_key"))
    assert rows == {made[0].pk: True, made[1].pk: True, made[2].pk: False}
    assert set(EnterpriseCoverage.objects.filter(is_key=True, unit=unit_b).values_list("pk", flat=True)) >= {
        made[0].pk,
        made[1].pk,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_adding_months_to_one_enterprise_keep_both(unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True)
    params = connection.get_connection_params()
    first, second = (connection.get_new_connection(params) for _ in range(2))
    insert = "INSERT INTO figures_enterprisevisitmonth (enterprise_id, month) VALUES (%s, %s)"
    try:
        first.autocommit = second.autocommit = False
        with first.cursor() as cursor:
            cursor.execute(insert, [enterprise.pk, date(2024, 1, 1)])  # holds the coverage row until commit

        def add_february():
            with second.cursor() as cursor:  # waits for the first, then reads its January
                cursor.execute(insert, [enterprise.pk, date(2024, 2, 1)])
            second.commit()

        thread = threading.Thread(target=add_february)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second transaction waits for the first"
        first.commit()
        thread.join(timeout=10)
        assert coverage(enterprise)[2] == [date(2024, 1, 1), date(2024, 2, 1)]
    finally:
        first.close()
        second.close()

"""The enterprise list at province scale (issue "Fast pages for everyone"): its page is read from an index in
the order it shows, whatever order or industry is chosen, and its rows come in one query of the shown columns.

Before: no index had the list's order (name, id), so PostgreSQL read and sorted all 200,000 enterprises for
each page (120 ms), as for every other offered order and for a rare industry; the other orders ended on a
column that is not unique, so the last page, read backwards, need not hold the rows the pages before it
left; every column of the enterprise and its unit was read, the tags and primary contacts took two more
queries and a model object each, and the unit dropdown a model object for each of a province's 300 units.

On a test database's few rows a sequential scan (or a sort of them) is the cheaper plan, so the plans are read
with `enable_seqscan` and `enable_sort` off: a sort left in the plan is a sort PostgreSQL has no index to
avoid."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.enterprises.models import Enterprise, Industry
from apps.units.models import Unit

from ..conftest import client_for, models_built
from ..factories import ContactFactory, EnterpriseFactory, TagFactory, UnitFactory

pytestmark = pytest.mark.django_db

LIST = reverse("enterprises:list")


def read(queries) -> list[str]:
    """The statements run (not a plan asked for: the paginator may ask PostgreSQL's estimate of the rows)."""
    return [q["sql"] for q in queries if not q["sql"].startswith("EXPLAIN")]


def reading_rows(sqls: list[str]) -> list[str]:
    """Those that read the page's enterprises (not the count or the dropdowns)."""
    return [sql for sql in sqls if '"enterprises_enterprise"."credit_code"' in sql.split(" FROM ")[0]]


def row_queries(user, query: dict) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(LIST, query)
    assert response.status_code == 200
    return reading_rows(read(queries))


def plan(sql: str) -> str:
    """The plan of reading the enterprises, without the subplans that read each one's tags and contacts."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # and a sort is the last resort: on a few rows and fresh statistics a nested loop then a sort may cost
        # less than the index; left in the plan, it is one no index avoids
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    return "\n".join(lines[: next((i for i, line in enumerate(lines) if "SubPlan" in line), len(lines))])


@pytest.fixture
def listed(staff_a, unit_a, settings):
    """Three enterprises with a tag and two contacts, and enough others for a second page (read backwards)."""
    tag = TagFactory(name="高新技术企业")
    for enterprise in EnterpriseFactory.create_batch(3, unit=unit_a, name="南京江北测试企业"):
        enterprise.tags.set([tag])
        ContactFactory(enterprise=enterprise, is_primary=True)
        ContactFactory(enterprise=enterprise, is_primary=False)
    EnterpriseFactory.create_batch(settings.PAGE_SIZE, unit=unit_a)
    EnterpriseFactory(unit=unit_a, industry=Industry.T)  # the only one of its section
    return staff_a


@pytest.mark.parametrize(
    "query",
    [{}, {"page": "2"}, {"ordering": "-name"}, {"ordering": "founded_on"}, {"ordering": "-updated_at"},
     {"industry": "T"}],
    ids=["first-page", "last-page", "name-descending", "founded", "last-change", "rare-industry"],
)  # fmt: skip
def test_each_order_and_a_rare_industry_are_read_from_an_index_without_sorting_every_enterprise(
    listed, query
):
    [rows] = row_queries(listed, query)
    explained = plan(rows)
    assert "Sort" not in explained, explained
    assert re.search(r"Index Scan (Backward )?using enterprise_", explained), explained


@pytest.mark.parametrize(
    "ordering", ["name", "-name", "founded_on", "-founded_on", "updated_at", "-updated_at"]
)
def test_each_order_ends_on_the_id_in_its_direction(listed, ordering):
    """Enterprises founded (or named, or changed) alike keep one order on every page and on the last page read
    backwards (TwoEndedPaginator needs an order that ends on a unique column)."""
    [rows] = row_queries(listed, {"ordering": ordering})
    order_by = re.search(r"ORDER BY (.*?)(?: LIMIT|$)", rows).group(1)
    direction = "DESC" if ordering.startswith("-") else "ASC"
    assert order_by.endswith(f'"enterprises_enterprise"."id" {direction}'), order_by


def test_the_rows_their_tags_and_primary_contacts_come_in_one_query_of_the_shown_columns(listed):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(listed).get(LIST, {"q": "江北测试"})
    assert response.status_code == 200
    [rows] = reading_rows(read(queries))
    for table in ("enterprises_contact", "enterprises_enterprise_tags"):  # the count may name them, not read
        assert [sql for sql in read(queries) if table in sql and "COUNT(*)" not in sql] == [rows], table
    selected = rows.split(" FROM ")[0]
    for unshown in ("address", "founded_on", "created_at", "updated_at", "version", '"units_unit"."name"'):
        assert unshown not in selected
    html = response.content.decode()
    assert html.count('<span class="tag">高新技术企业</span>') == 3
    assert html.count('href="tel:') == 3  # the primary contacts only


@pytest.mark.parametrize("page", ["1", "last"])
def test_the_rows_are_read_as_values_not_model_instances(listed, page, settings):
    """An enterprise model instance of each of 50 rows (with its deferred columns) cost more than the query
    that reads them: the rows are its shown columns as values, the link and the size's label worked out."""
    with models_built(Enterprise) as built:
        response = client_for(listed).get(LIST, {"page": page})
    assert response.status_code == 200
    assert built == []
    every = list(Enterprise.objects.order_by("name", "id"))
    assert len(every) == settings.PAGE_SIZE + 4
    expected = every[: settings.PAGE_SIZE] if page == "1" else every[settings.PAGE_SIZE :]
    rows = response.context["object_list"]
    assert [(row.pk, row.name, row.credit_code) for row in rows] == [
        (e.pk, e.name, e.credit_code) for e in expected
    ]
    html = response.content.decode()
    for enterprise in expected:
        assert f'<a href="/enterprises/{enterprise.pk}/">{enterprise.name}</a>' in html
    assert [row.size_label for row in rows] == [str(e.get_size_display()) for e in expected]


def test_a_units_enterprises_are_counted_without_reading_the_unit_table(listed, unit_a):
    """The unit's short name is a shown column of the page's rows, not a join of the count."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(listed).get(LIST, {"unit": unit_a.pk})
    assert response.status_code == 200
    [count] = [sql for sql in read(queries) if "count_upto" in sql]
    assert "units_unit" not in count
    assert response.context["paginator"].count == 54
    assert {row.unit__short_name for row in response.context["object_list"]} == {unit_a.short_name}


def test_the_unit_and_tag_dropdowns_are_read_as_pairs_not_model_objects(listed, unit_a, unit_b, office):
    """A province's 300 units built as model objects for the dropdown cost more than the page's rows."""
    UnitFactory.create_batch(20)
    UnitFactory(name="已撤销的单位", is_active=False)
    with models_built(Unit) as built:
        response = client_for(listed).get(LIST)
    assert response.status_code == 200
    assert len(built) <= 1  # the signed-in user's own unit, at most
    form = response.context["filter"].form
    active = list(Unit.objects.active().values_list("id", "name"))
    assert [(str(v), str(label)) for v, label in form.fields["unit"].choices][1:] == [
        (str(pk), name) for pk, name in active
    ]
    assert "已撤销的单位" not in response.content.decode()
    assert [label for _value, label in form.fields["tags"].choices][1:] == ["高新技术企业"]


def test_an_unfiltered_page_reads_its_rows_in_a_statement_composed_once(
    listed, colleague_a, staff_b, composed_sql
):
    """Every signed-in user sees every enterprise: an unfiltered page's row statement (its tags and primary
    contacts as arrays) is composed once per process for the list and the page, no longer on every view, and
    what it shows is read afresh."""
    client_for(listed).get(LIST)
    composed_sql.clear()

    rows = client_for(staff_b).get(LIST).context["object_list"]  # another unit's user, the same rows

    assert [sql for sql in composed_sql if '"enterprises_enterprise"' in sql and "LIMIT" in sql] == []
    first = Enterprise.objects.order_by("name", "id").first()
    assert rows[0].pk == first.pk
    first.name = "南京江北改名企业"
    first.save()
    ContactFactory(enterprise=first, is_primary=True, name="新联系人")
    TagFactory(name="专精特新").enterprises.add(first)
    composed_sql.clear()

    again = client_for(colleague_a).get(LIST).context["object_list"]

    assert [sql for sql in composed_sql if '"enterprises_enterprise"' in sql and "LIMIT" in sql] == []
    renamed = next(row for row in again if row.pk == first.pk)
    assert renamed.name == "南京江北改名企业"
    assert "专精特新" in renamed.tag_names
    assert "新联系人" in [contact["name"] for contact in renamed.primary_contacts]

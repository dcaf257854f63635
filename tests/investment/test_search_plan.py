"""The lead list's search by project or investor (#15, a sibling of the request list's search defect): a
LIKE over every lead's name and investor, so a leader's search read all 50,000 leads at province scale to
count and again to choose a page (41-95 ms). Trigram indexes on both let PostgreSQL read the matching leads
from bitmaps. The plan is read with sequential scans made unattractive, as on a test database's few rows any
plan is cheap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..conftest import client_for
from .factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_a_leaders_lead_search_reads_the_matching_leads_from_trigram_indexes(leader, unit_a):
    by_name = LeadFactory(unit=unit_a, name="扬子江智能制造基地项目")
    by_investor = LeadFactory(unit=unit_a, investor="深圳智能制造投资集团")
    LeadFactory.create_batch(5, unit=unit_a)
    with CaptureQueriesContext(connection) as captured:
        response = client_for(leader).get(reverse("investment:lead_list"), {"q": "智能制造"})
    assert response.status_code == 200
    assert {lead.pk for lead in response.context["object_list"]} == {by_name.pk, by_investor.pk}
    [page] = [q["sql"] for q in captured if q["sql"].startswith('SELECT "investment_lead"."id" AS "pk", ')]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE investment_lead")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # what is left: bitmaps of index entries
        cursor.execute(f"EXPLAIN {page}")
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "lead_name_trgm" in explained and "lead_investor_trgm" in explained, explained
    assert "Seq Scan on investment_lead" not in explained, explained

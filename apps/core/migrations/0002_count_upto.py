"""count_upto(query, cap, margin): a list's rows counted up to `cap`, in one round trip — not counted at all
when PostgreSQL's own estimate is `margin` times the cap or more (apps.core.views.TwoEndedPaginator).
Called explicitly by the paginator with the list's compiled query; it writes nothing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION count_upto(query text, cap integer, margin integer) RETURNS bigint
LANGUAGE plpgsql AS $$  -- volatile: PostgreSQL allows EXPLAIN only there
DECLARE
    plan json;
    n bigint;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    IF (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float >= cap::float * margin THEN
        RETURN cap + 1;
    END IF;
    EXECUTE 'SELECT count(*) FROM (' || query || ' LIMIT ' || (cap + 1) || ') AS listed' INTO n;
    RETURN n;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_drop_kept_figures")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS count_upto(text, integer, integer);"),
    ]

"""A paused request is no longer counted among the requests due (`DUE` leaves it out while paused): take the
requests paused now out of the deadline roll-up they were counted in (and put them back when migrating back).
Every other row is unchanged, so this touches as many rows as there are paused requests' months."""

from django.db import migrations

# the deadline roll-up's rows of the requests paused now (never closed, so never on time), for their unit
# and for the district's total
PAUSED_ROWS = """
    WITH paused AS (
        SELECT concerns, COALESCE(counts_for_id, handling_unit_id) AS unit_id,
               date_trunc('month', close_due AT TIME ZONE 'Asia/Shanghai')::date AS month,
               COUNT(*) AS n
        FROM service_request
        WHERE status = 'paused' AND close_due IS NOT NULL
        GROUP BY 1, 2, 3
    ), counted AS (
        SELECT concerns, FALSE AS district, unit_id, month, n FROM paused
        UNION ALL
        SELECT concerns, TRUE, NULL, month, SUM(n) FROM paused GROUP BY concerns, month
    )
    INSERT INTO service_requestduemonth AS d (concerns, district, unit_id, month, due, due_on_time)
    SELECT concerns, district, unit_id, month, {sign}n, 0 FROM counted
    ON CONFLICT (concerns, district, unit_id, month) DO UPDATE SET due = d.due + EXCLUDED.due
"""


def _apply(sign):
    def run(apps, schema_editor):
        schema_editor.execute(PAUSED_ROWS.format(sign=sign))

    return run


class Migration(migrations.Migration):
    dependencies = [("service", "0010_district_totals")]

    operations = [migrations.RunPython(_apply("-"), _apply("+"))]

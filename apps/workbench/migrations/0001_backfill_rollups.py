"""Fill every campaign's roll-ups from the records on a database that already holds some (on a new database
there is nothing to count). How long it takes at province scale: README, "Upgrading"."""

from django.db import migrations


def backfill(apps, schema_editor):
    from apps.workbench import rollups

    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        # the audit triggers its writes fire call pghistory's context function, which this migration creates
        ("pghistory", "0007_auto_20250421_0444"),
        ("service", "0010_district_totals"),
        ("enterprises", "0005_enterprise_coverage"),
        ("projects", "0006_project_visits_and_problems_count_for_the_project"),
        ("research", "0006_rd_visits_concern_an_entity"),
        ("investment", "0005_district_totals"),
        ("audit", "0002_remove_auditedlead_update_update_and_more"),
    ]

    # the tables it fills are dropped when migrating back: nothing to undo
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

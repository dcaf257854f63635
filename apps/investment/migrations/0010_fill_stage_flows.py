"""Fill the stage flows (`LeadStageMonth`) from the leads' events on a database that already holds leads (on
a new database there is nothing to count). Back: the table is dropped by the migration before this one."""

from django.db import migrations


def fill(apps, schema_editor):
    from apps.investment import rollups

    rollups.stage_flows_rebuild()


class Migration(migrations.Migration):
    dependencies = [("investment", "0009_lead_event_time")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

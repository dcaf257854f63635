"""Fill the requests waiting for their same-day acknowledgement (`RequestAckWait`) from the records on a
database that already holds requests (on a new one there is nothing to count). Back: the table is dropped by
the migration that created it."""

from django.db import migrations


def fill(apps, schema_editor):
    from apps.service import rollups

    rollups.ack_waits_rebuild()


class Migration(migrations.Migration):
    dependencies = [("service", "0012_requestackwait")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

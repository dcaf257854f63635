"""Fill the requests by category and month (`RequestCategoryMonth`) from the records on a database that already
holds requests (on a new one there is nothing to count). Apart from the migration creating the table, whose
unique key PostgreSQL builds at its end. Back: the table is dropped by the migration that created it."""

from django.db import migrations


def fill(apps, schema_editor):
    from apps.service import rollups

    rollups.categories_rebuild()


class Migration(migrations.Migration):
    dependencies = [("service", "0018_request_category_month")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

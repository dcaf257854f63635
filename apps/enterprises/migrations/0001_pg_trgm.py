# Enables pg_trgm for the trigram GIN indexes used by Chinese substring search on names.
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [TrigramExtension()]

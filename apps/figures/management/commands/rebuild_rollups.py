from django.core.management.base import BaseCommand
from django.db import transaction

from apps.figures import rollups


class Command(BaseCommand):
    help = "Rebuild the monthly roll-ups of requests and visits from the raw rows (after a bulk load)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = rollups.rebuild_all()
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n} rows")

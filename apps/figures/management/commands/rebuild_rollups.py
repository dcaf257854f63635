from django.core.management.base import BaseCommand
from django.db import connection, transaction

from apps.figures import rollups


class Command(BaseCommand):
    help = "Rebuild the monthly roll-ups of requests and visits from the raw rows (after a bulk load)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = rollups.rebuild_all()
        if not connection.in_atomic_block:  # fresh tables: statistics and visibility map for the planner
            with connection.cursor() as cursor:
                cursor.execute(
                    "VACUUM (ANALYZE) figures_requestmonth, figures_requestduemonth, figures_visitmonth, "
                    "figures_enterprisevisitmonth, figures_enterprisecoverage, figures_projectmonth, "
                    "projects_yearplan"
                )
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n} rows")

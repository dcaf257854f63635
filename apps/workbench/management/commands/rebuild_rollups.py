from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.workbench import rollups


class Command(BaseCommand):
    help = (
        "Recompute every campaign's roll-ups from the records (after a bulk load), or with --check compare "
        "them with a rebuild and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="compare with a rebuild; exit 1 if they differ"
        )

    def handle(self, *args, check=False, **options):
        if check:
            differences = rollups.differences()
            for name, (only_kept, only_rebuilt) in sorted(differences.items()):
                self.stdout.write(
                    f"{name}: {len(only_kept)} rows only kept, {len(only_rebuilt)} only rebuilt"
                )
                for row in sorted(only_kept, key=str)[:5]:
                    self.stdout.write(f"  kept     {row}")
                for row in sorted(only_rebuilt, key=str)[:5]:
                    self.stdout.write(f"  rebuilt  {row}")
            if differences:
                raise CommandError("The roll-ups differ from a rebuild.")
            self.stdout.write("The roll-ups equal a rebuild.")
            return
        rollups.rebuild()
        if not connection.in_atomic_block:  # fresh tables: statistics and visibility map for the planner
            tables = sorted({table for campaign in rollups.CAMPAIGNS for table in campaign.TABLES})
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        self.stdout.write("Roll-ups rebuilt.")

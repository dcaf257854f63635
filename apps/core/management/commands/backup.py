from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) into a file, by default "
        ".data/backups/jianbei-YYYYmmdd-HHMMSS.dump. Restore it with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="The file to write (default: .data/backups/jianbei-YYYYmmdd-HHMMSS.dump).",
        )
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args, output=None, database="default", **options):
        try:
            path = backup.backup(output, alias=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        size_kib = path.stat().st_size / 1024
        self.stdout.write(
            self.style.SUCCESS(f"Backed up {backup.database_label(database)} to {path} ({size_kib:.0f} KiB).")
        )

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core import backup


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup made by `manage.py backup` (pg_restore --clean "
        "--if-exists --no-owner, in one transaction: all or nothing). Stop the web server first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args, path, interactive=True, database="default", **options):
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        label = backup.database_label(database)
        if interactive:
            answer = input(
                f"Every table of {label} will be replaced by the content of {path}.\n"
                "Type 'yes' to continue, or anything else to cancel: "
            )
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled: nothing was changed.")
        try:
            backup.restore(path, alias=database)
        except backup.BackupError as exc:
            raise CommandError(f"{exc}\nNothing was changed: the restore runs in one transaction.") from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {label} from {path}."))

import argparse
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from seeds import scale
from seeds.district import DEMO_PASSWORD


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a month as YYYY-MM, not {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Replace the database's records with a generated dataset for benchmarks (small, city or province "
        "scale) covering the two years up to --until. Use a database of its own: it refuses to run where "
        "there are records it did not write, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(scale.SIZES), required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument(
            "--until",
            type=_month,
            help="last month of data, YYYY-MM (default: the current month; give it for a reproducible run)",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="password of every generated account (default: the demo password)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="wipe records the generator did not write (units, users, enterprises, every campaign)",
        )

    def handle(self, *args, size, seed, until, password, force, **options):
        current = timezone.localdate().replace(day=1)
        until = until or current
        if until > current:
            raise CommandError(f"--until {until:%Y-%m} is in the future.")
        try:
            counts = scale.generate(
                size=size,
                seed=seed,
                until=until,
                password=password,
                force=force,
                log=self.stdout.write if options["verbosity"] else lambda line: None,
            )
        except scale.Refused as refused:
            raise CommandError(
                "This database holds records that generate_scale did not write, and a run would delete them: "
                f"{refused}. Run it on a database of its own (DATABASE_URL=... manage.py migrate first), or "
                "pass --force to wipe them."
            ) from refused
        if not options["verbosity"]:
            return
        self.stdout.write(
            self.style.SUCCESS(f"Generated the {size} dataset (seed {seed}, until {until:%Y-%m}): ")
            + ", ".join(f"{table} {n:,}" for table, n in counts.items() if n)
        )
        self.stdout.write(f"Every unit has <code>_staff and <code>_manager accounts; password: {password}")

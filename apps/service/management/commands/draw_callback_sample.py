"""Draw the call-back sample (回访抽查) of a month's closures: 10 % of each handling unit's, at least 3, all
when it closed fewer. The seed is stored: drawing the same month again prints the same sample."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from apps.service.services.callbacks import callback_sample_draw


def _month(value: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise CommandError(f"--month must be YYYY-MM, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Draw (or show, when already drawn) the call-back sample of the requests closed in --month YYYY-MM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="the month whose closures are sampled, YYYY-MM")
        parser.add_argument(
            "--seed", type=int, help="the seed of a first draw (default: a random one, stored)"
        )

    def handle(self, *args, month, seed=None, **options):
        sample, drawn = callback_sample_draw(month=_month(month), seed=seed)
        items = sample.items.order_by("unit_id", "request_id")
        per_unit = items.values_list("unit__short_name").annotate(n=Count("pk")).order_by("unit__short_name")
        verb = "Drew" if drawn else "Already drawn:"
        self.stdout.write(
            f"{verb} the call-back sample of {sample.month:%Y-%m} (seed {sample.seed}): "
            f"{items.count()} requests of {len(per_unit)} units."
        )
        for name, n in per_unit:
            self.stdout.write(f"  {name}: {n}")
        self.stdout.write(
            "Requests: " + " ".join(f"#{pk}" for pk in items.values_list("request_id", flat=True))
        )

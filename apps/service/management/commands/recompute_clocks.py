"""Re-derive every request's deadlines from its events, e.g. after a year's holidays were entered."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.service.models import Request
from apps.service.services import request_recompute_clocks
from apps.workdays.calendar import clear_cache, get_calendar


class Command(BaseCommand):
    help = "Recompute the clocks of all requests (or of those received from --since YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only requests received on or after this date")

    def handle(self, *args, since=None, **options):
        clear_cache()
        calendar = get_calendar()
        requests = Request.objects.select_related("category").prefetch_related("events").order_by("pk")
        if since:
            requests = requests.filter(received_on__gte=since)
        count = 0
        with transaction.atomic():
            for req in requests.iterator(chunk_size=1000):
                request_recompute_clocks(request=req, calendar=calendar)
                count += 1
        self.stdout.write(f"Recomputed the clocks of {count} requests.")

"""Re-derive every request's deadlines from its events, e.g. after a year's holidays were entered."""

from django.core.management.base import BaseCommand

from apps.service.models import Request
from apps.service.services import requests_recompute_clocks
from apps.workdays.calendar import clear_cache


class Command(BaseCommand):
    help = "Recompute the clocks of all requests (or of those received from --since YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only requests received on or after this date")

    def handle(self, *args, since=None, **options):
        clear_cache()
        requests = Request.objects.all()
        if since:
            requests = requests.filter(received_on__gte=since)
        changed = requests_recompute_clocks(requests=requests)
        self.stdout.write(f"Recomputed the clocks of {requests.count()} requests; {changed} changed.")

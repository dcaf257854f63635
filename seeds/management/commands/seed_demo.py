from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from seeds import demo
from seeds.district import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo district (units, demo accounts, enterprises). Running it again changes nothing."

    def handle(self, *args, **options):
        # Texts the services write into records (notifications, answers) are in the district's language.
        with translation.override(settings.LANGUAGE_CODE):
            counts = demo.load()
        self.stdout.write(
            "Demo district: {units} units, {users} users, {enterprises} enterprises "
            "({key_enterprises} key), {visits} visits, {requests} requests.".format(**counts)
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, display_name, _unit, role, note in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {display_name:<6} {role:<13} {note}")

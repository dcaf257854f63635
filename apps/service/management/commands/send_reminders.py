"""E-mail each handler the items due today and overdue, and each manager the unit's overdue items — now.

The worker sends them by itself at 08:30 on working days (apps/service/tasks.py, reminders_send); this
command runs the same task here and at once, whatever the day (a resend, or a site without a worker).
"""

from django.core.management.base import BaseCommand

from apps.service.tasks import reminders_send


class Command(BaseCommand):
    help = "E-mail handlers their items due today and overdue, and managers their unit's overdue items, now."

    def handle(self, *args, **options):
        sent = reminders_send.call(working_days_only=False)
        self.stdout.write(f"Reminders sent: {sent}")

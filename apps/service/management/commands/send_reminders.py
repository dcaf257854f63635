"""E-mail each handler the items due today and overdue, and each manager the unit's overdue items.

Run once a day by a scheduler (cron, systemd timer, Kubernetes CronJob) on one machine only.
"""

from collections import defaultdict

from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.service.models import Notification, Request, Status
from apps.service.services import notifications_send


class Command(BaseCommand):
    help = "E-mail handlers their items due today and overdue, and managers their unit's overdue items."

    def handle(self, *args, **options):
        now = timezone.now()
        today = timezone.localdate(now)
        with translation.override("zh-hans"):
            sent = self._send(now, today)
        self.stdout.write(f"Reminders sent: {sent}")

    def _send(self, now, today) -> int:
        active = (
            Request.objects.open()
            .exclude(status=Status.PAUSED)
            .filter(close_due__isnull=False)
            .select_related("enterprise", "handler", "handling_unit")
        )
        overdue = [r for r in active if r.close_due < now]
        due_today = [r for r in active if r.close_due >= now and timezone.localdate(r.close_due) == today]
        by_handler = defaultdict(lambda: {"overdue": [], "due_today": []})
        for r in overdue:
            if r.handler_id:
                by_handler[r.handler]["overdue"].append(r)
        for r in due_today:
            if r.handler_id:
                by_handler[r.handler]["due_today"].append(r)
        by_unit = defaultdict(list)
        for r in overdue:
            by_unit[r.handling_unit_id].append(r)
        managers = User.objects.filter(
            is_active=True, unit_id__in=by_unit, groups__permissions__codename="manage_unit"
        ).distinct()

        sent = 0
        notifications = []
        for user, items in by_handler.items():
            if not user.is_active:
                continue
            sent += self._mail(
                user,
                _("Your to-do: %(n)d overdue, %(m)d due today")
                % {"n": len(items["overdue"]), "m": len(items["due_today"])},
                items["overdue"],
                items["due_today"],
            )
            notifications += [
                Notification(
                    user=user, request=r, message=_("Overdue: %(title)s") % {"title": r.title}, created_at=now
                )
                for r in items["overdue"]
            ]
        for manager in managers:
            items = by_unit[manager.unit_id]
            sent += self._mail(
                manager, _("Your unit has %(n)d overdue requests") % {"n": len(items)}, items, []
            )
        notifications_send(notifications)
        return sent

    def _mail(self, user, subject, overdue, due_today) -> int:
        if not user.email:
            return 0
        body = render_to_string(
            "service/email/reminder.txt", {"user": user, "overdue": overdue, "due_today": due_today}
        )
        return send_mail(subject, body, None, [user.email])

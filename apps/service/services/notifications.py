"""Notifications and the unread badge they count on (User.unread_notifications)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User

from ..models import (
    Notification,
    Request,
)


def _message(label, req: Request) -> str:
    return f"{label}: {req.title}"[:200]


def _managers_of(unit_ids: Iterable[int | None]) -> dict[int, list[User]]:
    """The active managers of each unit (one query for all)."""
    ids = {u for u in unit_ids if u is not None}
    managers: dict[int, list[User]] = {}
    if ids:
        for user in User.objects.filter(
            unit_id__in=ids, is_active=True, groups__permissions__codename="manage_unit"
        ).distinct():
            managers.setdefault(user.unit_id, []).append(user)
    return managers


def _notify(rows: list[Notification], *, exclude: User | None = None) -> None:
    """Create the notifications (one per user and request at most, never to `exclude`: the one who acted) and
    count them on their users' unread badges."""
    unique = {
        (n.user_id, n.request_id): n
        for n in rows
        if n.user_id and (exclude is None or n.user_id != exclude.pk)
    }
    notifications_send(list(unique.values()))


def notifications_send(rows: list[Notification]) -> None:
    """Create notifications and add them to their users' unread badges (User.unread_notifications)."""
    if not rows:
        return
    Notification.objects.bulk_create(rows)
    per_user = sorted(Counter(n.user_id for n in rows).items())  # users locked in id order: no deadlock
    values = ", ".join(["(%s, %s)"] * len(per_user))  # placeholders only: the values are parameters
    add = f"UPDATE accounts_user u SET unread_notifications = u.unread_notifications + v.n FROM (VALUES {values}) AS v(id, n) WHERE u.id = v.id"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(add, [x for pair in per_user for x in pair])


def notifications_read(*, user: User, request: Request | None = None) -> int:
    """Mark the user's unread notifications (about one request, or all) read; returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if request is not None:
        unread = unread.filter(request=request)
    marked = unread.update(read_at=timezone.now())
    if marked:
        User.objects.filter(pk=user.pk).update(unread_notifications=F("unread_notifications") - marked)
        user.unread_notifications = max(0, user.unread_notifications - marked)
    return marked

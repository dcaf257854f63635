"""Notifications and the unread badge they count on (User.unread_notifications)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.messaging.models import Event
from apps.messaging.services import Notice, notify

from ..models import (
    Notification,
    Request,
)
from .moves import A


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


def _notify(
    rows: list[Notification],
    *,
    exclude: User | None = None,
    action: str | None = None,
    note: str = "",
) -> None:
    """Create the notifications (one per user and request at most, never to `exclude`: the one who acted) and
    count them on their users' unread badges; for a move of the life cycle (`action`), send the same news
    through the channels each recipient chose (apps.messaging: e-mail, the unit's group robots)."""
    unique = {
        (n.user_id, n.request_id): n
        for n in rows
        if n.user_id and (exclude is None or n.user_id != exclude.pk)
    }
    notifications_send(list(unique.values()))
    if action is not None:
        notices = (_notice(n, action=action, by=exclude, note=note) for n in unique.values())
        notify(notices=[notice for notice in notices if notice is not None])


# The title of what a move tells, by the event it is for its recipient (the group robots post it to the whole
# unit, so no title says "you").
_TITLES = {
    Event.ASSIGNED_TO_ME: gettext_lazy("Request assigned: %(title)s"),
    Event.ASSIGNED_TO_UNIT: gettext_lazy("New request for your unit: %(title)s"),
    Event.REOPENED: gettext_lazy("Request reopened: %(title)s"),
    Event.CLOSED: gettext_lazy("Request closed: %(title)s"),
    Event.RETURNED: gettext_lazy("Request returned to the dispatch desk: %(title)s"),
    Event.WITHDRAWN: gettext_lazy("Request withdrawn: %(title)s"),
    Event.EXTENSION_ASKED: gettext_lazy("Extension asked for: %(title)s"),
}


def _event(action: str, req: Request, user_id: int) -> str | None:
    """The messaging event a move of `req` is for the user it tells."""
    if action in (A.DISPATCH, A.TRANSFER):
        return Event.ASSIGNED_TO_ME if user_id == req.handler_id else Event.ASSIGNED_TO_UNIT
    return {
        A.ASSIGN: Event.ASSIGNED_TO_ME,
        A.REOPEN: Event.REOPENED,
        A.CLOSE: Event.CLOSED,
        A.RETURN: Event.RETURNED,
        A.WITHDRAW: Event.WITHDRAWN,
        A.EXTEND_ASK: Event.EXTENSION_ASKED,
        A.EXTEND_APPROVE: Event.EXTENSION_DECIDED,
        A.EXTEND_REFUSE: Event.EXTENSION_DECIDED,
    }.get(action)


def _notice(n: Notification, *, action: str, by: User | None, note: str) -> Notice | None:
    """The message for e-mail and group robots that goes with in-app notification `n` (in Chinese, the
    product's language, whatever language the acting user reads)."""
    req = n.request
    event = _event(action, req, n.user_id)
    if event is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        if event == Event.EXTENSION_DECIDED:
            approved = action == A.EXTEND_APPROVE
            title = (
                _("Extension approved: %(title)s") if approved else _("Extension refused: %(title)s")
            ) % {"title": req.title}
        else:
            title = _TITLES[event] % {"title": req.title}
        lines = []
        if event == Event.ASSIGNED_TO_ME and Notification.user.is_cached(n):  # no query for the name
            lines.append(_("Handler: %(name)s") % {"name": n.user})
        if by is not None:
            lines.append(_("By: %(name)s") % {"name": by})
        if note:
            lines.append(_("Reason: %(note)s") % {"note": note[:300]})
        if event == Event.CLOSED and req.answer:
            lines.append(_("Answer: %(answer)s") % {"answer": req.answer[:300]})
        if req.close_due and event not in (Event.CLOSED, Event.WITHDRAWN):
            due = timezone.localtime(req.close_due).strftime("%Y-%m-%d %H:%M")
            lines.append(_("Close by: %(due)s") % {"due": due})
    return Notice(
        user_id=n.user_id,
        event=event,
        title=title,
        lines=tuple(lines),
        path=reverse("service:request_detail", args=[req.pk]),
    )


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


def reminders_notify(
    *, handlers: dict[User, dict[str, list[Request]]], managers: dict[User, list[Request]]
) -> None:
    """The morning reminder through the channels each user chose for it (event "reminder": e-mail, and their
    unit's group robot, by default both): to each handler their items overdue and due today
    ({"overdue": [...], "due_today": [...]}), to each manager their unit's overdue items. One line per item,
    at most REMINDER_LINES of them, each request's link in the e-mail; the link points to the to-do list."""
    notices = []
    with translation.override(settings.LANGUAGE_CODE):
        for user, items in handlers.items():
            overdue, due_today = items.get("overdue", []), items.get("due_today", [])
            title = _("To-do of %(name)s: %(n)d overdue, %(m)d due today") % {
                "name": user,
                "n": len(overdue),
                "m": len(due_today),
            }
            lines = [_("Overdue: %(title)s") % {"title": r.title} for r in overdue]
            lines += [_("Due today: %(title)s") % {"title": r.title} for r in due_today]
            notices.append(_reminder(user, title, lines, reverse("service:todo")))
        for user, items in managers.items():
            title = _("%(unit)s has %(n)d overdue requests") % {"unit": user.unit, "n": len(items)}
            lines = [_("Overdue: %(title)s") % {"title": r.title} for r in items]
            notices.append(_reminder(user, title, lines, reverse("service:unit_todo")))
    notify(notices=notices)


REMINDER_LINES = 20


def _reminder(user: User, title: str, lines: list[str], path: str) -> Notice:
    if len(lines) > REMINDER_LINES:
        lines = [*lines[:REMINDER_LINES], _("and %(n)d more") % {"n": len(lines) - REMINDER_LINES}]
    return Notice(user_id=user.pk, event=Event.REMINDER, title=title, lines=tuple(lines), path=path)

"""Writes of the messaging app: notices become deliveries (per each recipient's preferences) and jobs; a job
delivers one; a user saves their preferences; an admin sends a failed delivery again."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User

from . import channels, tasks
from .models import DEFAULTS, EMAIL, PREFERENCE_CHANNELS, ROBOT, Channel, Delivery, Preference, Robot, wants

#: a robot's allowance: WeCom and DingTalk both take at most 20 messages a minute per robot
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Notice:
    """What one user is to be told, beyond the in-app notification: a title, a few lines of plain text (user
    input allowed: it is escaped here for markdown) and a link to the record (a path on this site)."""

    user_id: int
    event: str
    title: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    path: str = ""

    @classmethod
    def from_json(cls, data: dict) -> Notice:
        return cls(**{**data, "lines": tuple(data.get("lines", ()))})


def site_url(path: str) -> str:
    """The absolute address of `path` on this site (SITE_URL: the address staff open it at)."""
    return f"{settings.SITE_URL}{path}" if path else ""


_MARKDOWN = re.compile(r"([\\`*_\[\]()#>!|~-])")


def md(text: str) -> str:
    """Plain text as literal markdown on one line: no markup, link, heading, quote or HTML tag of its own."""
    one_line = " ".join(str(text).split())
    return _MARKDOWN.sub(r"\\\1", one_line.replace("<", "＜").replace(">", "＞"))


def _markdown(notice: Notice) -> str:
    parts = [f"### {md(notice.title)}", *(f"> {md(line)}" for line in notice.lines if line)]
    if notice.path:
        parts.append(f"[{md(_('Open in the workbench'))}]({site_url(notice.path)})")
    return "\n\n".join(parts)


def _text(notice: Notice) -> str:
    parts = [notice.title, *(line for line in notice.lines if line)]
    if notice.path:
        parts.append(site_url(notice.path))
    return "\n\n".join(parts)


def notify(*, notices: Iterable[Notice]) -> None:
    """Hand `notices` to the queue in the caller's transaction: one job (tasks.notices_send) that writes the
    deliveries they call for (deliveries_create) and sends them. On the caller's write path this is one
    statement, whoever the recipients and whatever their channels; nothing at all without a notice."""
    payload = [asdict(n) for n in notices if n.user_id]
    if payload:
        tasks.notices_send.enqueue(notices=payload)


@transaction.atomic
def deliveries_create(*, notices: Iterable[Notice]) -> list[Delivery]:
    """Write the deliveries `notices` call for and enqueue a job to send each (tasks.delivery_send).

    Per notice: an e-mail to the recipient if they have an address and want the event by e-mail; a post by
    each active robot of their unit if they want the event there — once per robot and message, however many
    of the unit's people it concerns. Inactive users get nothing. One query reads every recipient's address,
    preferences and robots; one statement writes the deliveries."""
    notices = [n for n in notices if n.user_id]
    if not notices:
        return []
    robots = Robot.objects.filter(unit=OuterRef("unit_id"), is_active=True).order_by("kind")
    recipients = {
        row["pk"]: row
        for row in User.objects.filter(pk__in={n.user_id for n in notices}, is_active=True)
        .annotate(
            choices=Subquery(Preference.objects.filter(user=OuterRef("pk")).values("choices")[:1]),
            robots=ArraySubquery(robots.values(json=JSONObject(id="pk", kind="kind"))),
        )
        .values("pk", "email", "choices", "robots")
    }
    rows: dict[tuple, Delivery] = {}
    for notice in notices:
        who = recipients.get(notice.user_id)
        if who is None:
            continue
        if who["email"] and wants(who["choices"], notice.event, EMAIL):
            rows.setdefault(
                (EMAIL, who["pk"], notice),
                Delivery(
                    event=notice.event,
                    channel=Channel.EMAIL,
                    user_id=who["pk"],
                    address=who["email"],
                    subject=notice.title[:200],
                    body=_text(notice),
                ),
            )
        if wants(who["choices"], notice.event, ROBOT):
            body = _markdown(notice)
            for robot in who["robots"]:
                rows.setdefault(
                    (ROBOT, robot["id"], notice.event, body),
                    Delivery(
                        event=notice.event,
                        channel=robot["kind"],
                        robot_id=robot["id"],
                        subject=notice.title[:200],
                        body=body,
                    ),
                )
    deliveries = Delivery.objects.bulk_create(list(rows.values()))
    for delivery in deliveries:
        tasks.delivery_send.enqueue(delivery_id=delivery.pk)
    return deliveries


def deliver(delivery_id: int) -> Delivery | None:
    """Make one attempt at sending a delivery, and record it on the row (attempts, time, error, status).

    Sent → SENT. A failure worth retrying → RETRYING, or FAILED once MESSAGING_MAX_ATTEMPTS attempts are
    spent, and the error is raised so that the queue's back-off applies. A permanent failure (HTTP 4xx, robot
    gone) → FAILED at once, not raised. A robot past its allowance of the last minute raises
    channels.Throttled and records nothing. A delivery already SENT or FAILED, or being sent by another worker
    (its row locked), is left alone: a job may safely run twice."""
    failure: channels.DeliveryError | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("robot")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (Delivery.Status.SENT, Delivery.Status.FAILED):
            return delivery
        now = timezone.now()
        if delivery.robot_id is not None:
            recent = Delivery.objects.attempted_since(robot_id=delivery.robot_id, since=now - RATE_WINDOW)
            if recent.count() >= settings.ROBOT_PER_MINUTE:
                raise channels.Throttled(f"more than {settings.ROBOT_PER_MINUTE} messages a minute")
        delivery.attempts += 1
        delivery.last_attempt_at = now
        try:
            channels.send(
                channel=delivery.channel,
                subject=delivery.subject,
                body=delivery.body,
                address=delivery.address,
                robot=delivery.robot,
            )
        except channels.PermanentError as exc:
            delivery.status, delivery.last_error = Delivery.Status.FAILED, str(exc)[:2000]
        except channels.DeliveryError as exc:
            spent = delivery.attempts >= settings.MESSAGING_MAX_ATTEMPTS
            delivery.status = Delivery.Status.FAILED if spent else Delivery.Status.RETRYING
            delivery.last_error = str(exc)[:2000]
            failure = exc
        else:
            delivery.status, delivery.sent_at = Delivery.Status.SENT, timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at", "status", "last_error", "sent_at"])
    if failure is not None:
        raise failure
    return delivery


def delivery_resend(*, deliveries: Iterable[Delivery]) -> int:
    """Send failed deliveries again (after a robot's key was corrected): a new round of attempts each."""
    ids = [d.pk for d in deliveries if d.status == Delivery.Status.FAILED]
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, attempts=0
    )
    for pk in ids:
        tasks.delivery_send.enqueue(delivery_id=pk)
    return len(ids)


def preference_save(*, user: User, choices: dict[str, dict[str, bool]]) -> Preference:
    """Save the user's channels per event, as a whole; events or channels not named keep their default."""
    clean = {
        event: {
            channel: bool(choices[event][channel])
            for channel in PREFERENCE_CHANNELS
            if channel in choices[event]
        }
        for event in DEFAULTS
        if isinstance(choices.get(event), dict)
    }
    preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"choices": clean, "updated_at": timezone.now()}
    )
    return preference

"""The units' group robots, each user's choice of channels per event, and the log of every delivery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.units.models import Unit


class Event(models.TextChoices):
    """What a user can be told of. In-app notifications are always on; these choose the other channels."""

    ASSIGNED_TO_ME = "assigned_to_me", _("A request is assigned to me")
    ASSIGNED_TO_UNIT = "assigned_to_unit", _("A request is dispatched to my unit")
    REMINDER = "reminder", _("Items due today and overdue (daily reminder)")
    RETURNED = "returned", _("A request I logged is returned")
    CLOSED = "closed", _("A request I logged is closed")
    REOPENED = "reopened", _("A request is reopened")
    WITHDRAWN = "withdrawn", _("A request I logged is withdrawn")
    EXTENSION_ASKED = "extension_asked", _("An extension is asked for (managers)")
    EXTENSION_DECIDED = "extension_decided", _("An extension I asked for is decided")


class Channel(models.TextChoices):
    """Where a delivery goes."""

    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


# The channels a user chooses per event: e-mail to themselves, and the robot(s) of their unit's group chat.
EMAIL, ROBOT = "email", "robot"
PREFERENCE_CHANNELS = (EMAIL, ROBOT)

# What a user who never saved their preferences gets. E-mail: every event (it reaches only them). The unit's
# group robot: what the group acts on together — new requests for the unit, the daily reminder, a request
# reopened or returned — not each person's own items, so that the group chat is not flooded.
DEFAULTS: dict[str, dict[str, bool]] = {
    event: {
        EMAIL: True,
        ROBOT: event in {Event.ASSIGNED_TO_UNIT, Event.REMINDER, Event.REOPENED, Event.RETURNED},
    }
    for event in Event.values
}


def wants(choices: dict | None, event: str, channel: str) -> bool:
    """Whether a user whose saved choices are `choices` (None: never saved) wants `event` on `channel`."""
    saved = (choices or {}).get(event, {}).get(channel)
    return DEFAULTS[event][channel] if saved is None else bool(saved)


class Robot(models.Model):
    """A unit's group robot (群机器人): a WeCom or DingTalk group chat the workbench posts to. The webhook key
    (WeCom) or access token (DingTalk) and the DingTalk signing secret are credentials: the admin accepts them
    and never shows them again."""

    class Kind(models.TextChoices):
        WECOM = Channel.WECOM.value, Channel.WECOM.label
        DINGTALK = Channel.DINGTALK.value, Channel.DINGTALK.label

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("group chat"), max_length=100, help_text=_("The group the robot posts to."))
    key = models.CharField(
        _("webhook key or access token"),
        max_length=200,
        help_text=_(
            "WeCom: the key=… of the robot's webhook address; DingTalk: its access_token=…. "
            "The whole webhook address may be pasted."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the SEC… secret of the robot's 加签 security setting."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["unit__sort_order", "kind"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [models.UniqueConstraint(fields=["unit", "kind"], name="messaging_robot_unit_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class Preference(models.Model):
    """A user's channels per event, as saved on their notification settings page: {event: {"email": bool,
    "robot": bool}}. What is missing takes the default (DEFAULTS); a user with no row has every default."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="messaging_preference",
    )
    choices = models.JSONField(_("choices"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class DeliveryQuerySet(models.QuerySet):
    def attempted_since(self, *, robot_id: int, since) -> DeliveryQuerySet:
        """The deliveries a robot attempted since `since` (its rate limit counts them)."""
        return self.filter(robot_id=robot_id, last_attempt_at__gte=since)


class Delivery(models.Model):
    """One message on one channel to one recipient (e-mail) or one robot: what was sent, and how it went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    event = models.CharField(_("event"), max_length=30, choices=Event.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(_("e-mail address"), max_length=254, blank=True)
    robot = models.ForeignKey(
        Robot,
        verbose_name=_("group robot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["robot", "last_attempt_at"], name="delivery_robot_attempts"),
            models.Index(fields=["status", "-created_at"], name="delivery_status"),
        ]

    def __str__(self) -> str:
        return self.subject

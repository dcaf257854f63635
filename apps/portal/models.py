"""An enterprise contact's personal link (`/e/<token>/`), every use of it, and the addresses that tried tokens
that do not exist (locked out for a while, as sign-ins are).

Only a SHA-256 hash of a token is stored: the token itself is shown once, when the link is issued.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.enterprises.models import Contact, Enterprise
from apps.service.models import Request


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class ContactLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Neither revoked nor expired at `now`."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def managed_by(self, user):
        """The links of the enterprises `user` may edit (the responsible unit; leaders and admins: all)."""
        return self.filter(enterprise__in=Enterprise.objects.editable_by(user))


class ContactLink(models.Model):
    """One contact's link to their enterprise's pages: random, revocable, expiring."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="portal_links"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ContactLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("enterprise contact link")
        verbose_name_plural = _("enterprise contact links")
        indexes = [models.Index(fields=["enterprise", "-created_at"], name="contact_link_enterprise")]

    def __str__(self) -> str:
        return f"{self.contact} · {self.created_at:%Y-%m-%d}"

    def state(self, now=None) -> str:
        """'revoked', 'expired' or 'active'."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or timezone.now()) else "active"


class LinkUse(models.Model):
    """Every use of a link: which page or action, when, from which address — and what it was refused."""

    class Action(models.TextChoices):
        VIEW = "view", _("Opened a page")
        SUBMIT = "submit", _("Submitted a request")
        RATE = "rate", _("Rated a closure")
        REFUSED = "refused", _("Refused: revoked or expired")
        LIMITED = "limited", _("Refused: too many uses")

    link = models.ForeignKey(
        ContactLink, verbose_name=_("link"), on_delete=models.CASCADE, related_name="uses"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    path = models.CharField(_("page"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("link use")
        verbose_name_plural = _("link uses")
        indexes = [models.Index(fields=["link", "at"], name="link_use_link_at")]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.link_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class BadToken(models.Model):
    """A token that matched no link, from an address: PORTAL_FAILURE_LIMIT of them within the cool-off time
    lock that address out of the enterprise side (as django-axes locks sign-ins)."""

    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("unknown token tried")
        verbose_name_plural = _("unknown tokens tried")
        indexes = [models.Index(fields=["ip", "at"], name="bad_token_ip_at")]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.ip} {self.at:%Y-%m-%d %H:%M}"

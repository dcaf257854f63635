"""Indicators are data; a published board is a frozen snapshot that never changes afterwards."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.units.models import Unit

from .computations import COMPUTATIONS


class Indicator(models.Model):
    class Campaign(models.TextChoices):
        SERVICE = "service", _("Serving enterprises")
        PROJECTS = "projects", _("Project construction")
        RESEARCH = "research", _("Research to production")
        INVESTMENT = "investment", _("Attracting investment")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Rule(models.TextChoices):
        LINEAR = "linear", _("Linear to target, capped")
        RELATIVE = "relative", _("Relative to the best unit of the peer group")
        THRESHOLD = "threshold", _("Zero below a threshold, then linear to target")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    campaign = models.CharField(_("campaign"), max_length=12, choices=Campaign.choices)
    computation = models.CharField(
        _("computation"), max_length=40, choices=[(k, c.label) for k, c in COMPUTATIONS.items()]
    )
    definition = models.TextField(_("definition"), help_text=_("Numerator, denominator and period rule."))
    direction = models.CharField(
        _("direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    measure = models.CharField(_("unit of measure"), max_length=10, default="%")
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    rule = models.CharField(_("scoring rule"), max_length=10, choices=Rule.choices, default=Rule.LINEAR)
    cap = models.DecimalField(
        _("cap (× target)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text=_(
            "Linear scoring stops at this multiple of the target (1.00: no credit above the target)."
        ),
    )
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=2, null=True, blank=True)
    peer_groups = ArrayField(
        models.CharField(max_length=20, choices=Unit.PeerGroup.choices),
        verbose_name=_("peer groups"),
        default=list,
    )
    min_cases = models.PositiveIntegerField(
        _("minimum cases"),
        default=5,
        help_text=_(
            "A unit with fewer cases (the denominator) than this is not measured on the indicator that "
            "month: its weight goes to the other indicators."
        ),
    )
    valid_from = models.DateField(_("valid from"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["campaign", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name


class IndicatorVersion(models.Model):
    """Every change of an indicator is kept (who, when, and the indicator as it became)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("indicator"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["indicator", "-version"]
        verbose_name = _("indicator version")
        verbose_name_plural = _("indicator versions")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "version"], name="indicator_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} v{self.version}"


class Publication(models.Model):
    """A published (frozen) monthly board. A republication is a new row with a reason; the old stays."""

    month = models.DateField(_("month"))
    board = models.JSONField(_("board as published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    reason = models.CharField(_("reason for republishing"), max_length=300, blank=True)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["-month", "-published_at"]
        verbose_name = _("published board")
        verbose_name_plural = _("published boards")
        constraints = [
            models.UniqueConstraint(
                fields=["month"], condition=models.Q(is_current=True), name="one_current_publication"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class PublishedMemo(models.Model):
    """What a unit's pre-meeting memo shows for a published month, frozen with the board: its overdue
    requests, its leads past a handling limit and its red-light projects as they stood when the board was
    published (`data`: {"overdue": [...], "overdue_count": n, "stale": [...], "stale_count": n,
    "red_projects": [...], "red_count": n}; each list holds at most 50 items, the counts are whole)."""

    publication = models.ForeignKey(
        Publication, verbose_name=_("published board"), on_delete=models.CASCADE, related_name="memos"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(_("memo as published"))

    class Meta:
        verbose_name = _("published memo")
        verbose_name_plural = _("published memos")
        constraints = [
            models.UniqueConstraint(fields=["publication", "unit"], name="one_memo_per_unit_and_publication")
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.unit}"

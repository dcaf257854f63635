"""Campaign 4 — attracting investment (招商引资): leads and outbound trips.

Lead details (investor, amounts, notes) are confidential to the responsible unit and leaders:
`Lead.objects.visible_to(user)` is the only way any page, export, dropdown or search reaches them; other
units see only aggregates. A lead's stage changes only through `services.lead_move`, with an event each.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.enterprises.models import Enterprise, Industry
from apps.projects.models import Project
from apps.units.models import Unit

MONEY = {
    "max_digits": 14,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("100000000"))],
}
YI = Decimal(10000)  # 1 亿元 = 10,000 万元
UPDATE_EVERY = timedelta(days=14)  # a progress update at least every two weeks


class Trip(models.Model):
    """An outbound investment-promotion trip (外出招商活动)."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Outbound visit")
        FAIR = "fair", _("Trade fair")
        PROMOTION = "promotion", _("Promotion event")

    start_on = models.DateField(_("departure date"))
    end_on = models.DateField(_("return date"))
    cities = models.CharField(_("destination cities"), max_length=200, help_text=_("e.g. 上海、深圳、香港"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VISIT)
    unit = models.ForeignKey(
        Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="trips"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("led by"), on_delete=models.PROTECT, related_name="led_trips"
    )
    led_by_head = models.BooleanField(_("led by the unit's head (一把手带队)"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="+"
    )
    units = models.ManyToManyField(Unit, verbose_name=_("other units"), blank=True, related_name="+")
    companies_met = models.TextField(_("companies met"), max_length=5000, blank=True)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        ordering = ["-start_on", "-id"]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        constraints = [
            models.CheckConstraint(condition=Q(end_on__gte=models.F("start_on")), name="trip_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.start_on} {self.cities}"


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Confidential: the responsible unit and leaders only."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        return self.filter(unit_id=user.unit_id)

    def open(self):
        return self.filter(stage__in=Lead.OPEN_STAGES)

    def stale(self, now=None):
        """Past a handling limit: no response in 1 working day, not assessed in 3, no feedback to the investor
        in a week, or no progress update for 2 weeks (until it is in production or dropped)."""
        return self.filter(stale_q(now))


def stale_q(now=None) -> Q:
    """The condition of `LeadQuerySet.stale`, for an aggregate's filter (no subquery per lead)."""
    now = now or timezone.now()
    live = ~Q(stage__in=[Lead.Stage.PRODUCTION, Lead.Stage.DROPPED])
    return live & (
        Q(responded_at__isnull=True, respond_due__lt=now)
        | Q(stage=Lead.Stage.LEAD, assess_due__lt=now)
        | Q(feedback_at__isnull=True, feedback_due__lt=now)
        | Q(last_activity_at__lt=now - UPDATE_EVERY)
    )


class Lead(models.Model):
    class Source(models.TextChoices):
        TRIP = "trip", _("Outbound trip")
        SMALL_TEAM = "small_team", _("Small team")
        REFERRAL = "referral", _("Business introduces business")
        FAIR = "fair", _("Trade fair")
        ONLINE = "online", _("Online channel")
        OTHER = "other", _("Other")

    class Stage(models.TextChoices):
        LEAD = "lead", _("Lead")
        ASSESSED = "assessed", _("Assessed")
        NEGOTIATING = "negotiating", _("Negotiating")
        SIGNED = "signed", _("Signed")
        REGISTERED = "registered", _("Registered")
        STARTED = "started", _("Construction started")
        PRODUCTION = "production", _("In production")
        DROPPED = "dropped", _("Dropped")

    OPEN_STAGES = ["lead", "assessed", "negotiating"]
    ORDER = ["lead", "assessed", "negotiating", "signed", "registered", "started", "production"]

    name = models.CharField(_("project name"), max_length=200)
    investor = models.CharField(_("investor"), max_length=200)
    investor_city = models.CharField(_("investor's city"), max_length=50, blank=True)
    investor_country = models.CharField(_("investor's country or region"), max_length=50, default="中国")
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    expected_wan = models.DecimalField(_("expected investment (万元)"), **MONEY)
    space_need = models.CharField(_("space or land needed"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    referrer = models.ForeignKey(
        Enterprise,
        verbose_name=_("referring enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referred_leads",
    )
    fair = models.CharField(_("trade fair"), max_length=100, blank=True, help_text=_("e.g. 华交会"))
    trip = models.ForeignKey(
        Trip, verbose_name=_("trip"), on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="leads"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="leads"
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.LEAD, editable=False
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True, editable=False)
    signed_wan = models.DecimalField(
        _("signed amount (万元)"), null=True, blank=True, editable=False, **MONEY
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("registered enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_leads",
        editable=False,
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        editable=False,
    )
    drop_reason = models.CharField(_("reason dropped"), max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    stage_since = models.DateTimeField(_("in this stage since"), default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, editable=False)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    feedback_at = models.DateTimeField(
        _("first feedback to the investor"), null=True, blank=True, editable=False
    )
    # Handling limits, fixed when the lead is recorded (working days of the official calendar).
    respond_due = models.DateTimeField(_("respond by"), null=True, blank=True, editable=False)
    assess_due = models.DateTimeField(_("assess by"), null=True, blank=True, editable=False)
    feedback_due = models.DateTimeField(
        _("feedback to the investor by"), null=True, blank=True, editable=False
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("investment lead")
        verbose_name_plural = _("investment leads")
        indexes = [
            models.Index(fields=["unit", "stage"], name="lead_unit_stage"),
            models.Index(fields=["stage", "expected_wan"], name="lead_stage_amount"),
            models.Index(fields=["signed_on"], name="lead_signed_on"),
        ]

    def __str__(self) -> str:
        return self.name

    def flags(self, now=None) -> list[str]:
        """Which handling limits this lead is past (for its owner and manager)."""
        now = now or timezone.now()
        if self.stage in (Lead.Stage.PRODUCTION, Lead.Stage.DROPPED):
            return []
        flags = []
        if self.responded_at is None and self.respond_due and self.respond_due < now:
            flags.append(str(_("no response within 1 working day")))
        if self.stage == Lead.Stage.LEAD and self.assess_due and self.assess_due < now:
            flags.append(str(_("not assessed within 3 working days")))
        if self.feedback_at is None and self.feedback_due and self.feedback_due < now:
            flags.append(str(_("no feedback to the investor within a week")))
        if self.last_activity_at < now - UPDATE_EVERY:
            flags.append(str(_("no progress update for 2 weeks")))
        return flags


class LeadEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Lead recorded")
        RESPOND = "respond", _("First response")
        FEEDBACK = "feedback", _("Feedback to the investor")
        PROGRESS = "progress", _("Progress update")
        MOVE = "move", _("Stage changed")

    lead = models.ForeignKey(
        Lead, verbose_name=_("investment lead"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_stage = models.CharField(_("from"), max_length=12, choices=Lead.Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=Lead.Stage.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), max_length=5000, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        indexes = [models.Index(fields=["lead", "at"], name="lead_event_at")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.action} {self.at:%Y-%m-%d}"

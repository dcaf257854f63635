"""Campaign 4 — attracting investment (招商引资): leads and outbound trips.

Lead details (investor, amounts, notes) are confidential to the responsible unit and leaders:
`Lead.objects.visible_to(user)` is the only way any page, export, dropdown or search reaches them; other
units see only aggregates. A lead's stage changes only through `services.lead_move`, with an event each.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
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

# The pipeline's bands by expected investment (each lower edge included): one definition, read by the
# roll-ups (`band_of`) and in SQL (`band_case`). Leads under 1 亿 are in no band.
BANDS = [("big", 50 * YI, None), ("mid", 10 * YI, 50 * YI), ("small", YI, 10 * YI)]


def band_of(expected_wan: Decimal) -> str:
    for band, low, high in BANDS:
        if expected_wan >= low and (high is None or expected_wan < high):
            return band
    return ""


def band_q(band: str) -> Q:
    _band, low, high = next(b for b in BANDS if b[0] == band)
    return Q(expected_wan__gte=low) & (Q() if high is None else Q(expected_wan__lt=high))


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
        in a week, or no progress update for 2 weeks — open leads only (lead, assessed, negotiating)."""
        return self.filter(stale_q(now))


def stale_q(now=None) -> Q:
    """The condition of `LeadQuerySet.stale`: past the first limit it has not met (`Lead.stale_from`)."""
    return Q(stale_from__lt=now or timezone.now())


def stale_from(lead) -> datetime | None:
    """When a lead is past a handling limit, given what has been done on it: the earliest of its response
    deadline (not responded), its assessment deadline (still a lead), its deadline for feedback to the
    investor (none given), and two weeks after its last activity. None once it has left the open stages
    (signed or dropped): only an open lead can be stale. The services store it on every change of the lead
    (`Lead.stale_from`), so "stale at T" is one comparison."""
    if lead.stage not in Lead.OPEN_STAGES:
        return None
    limits = [lead.last_activity_at + UPDATE_EVERY]
    if lead.responded_at is None and lead.respond_due is not None:
        limits.append(lead.respond_due)
    if lead.stage == Lead.Stage.LEAD and lead.assess_due is not None:
        limits.append(lead.assess_due)
    if lead.feedback_at is None and lead.feedback_due is not None:
        limits.append(lead.feedback_due)
    return min(limits)


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
    # Derived by the services on every change: when it left the open stages (signed or dropped), and when it
    # is past a handling limit (see `stale_from`).
    open_until = models.DateTimeField(_("open until"), null=True, blank=True, editable=False)
    stale_from = models.DateTimeField(_("past a handling limit from"), null=True, blank=True, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("investment lead")
        verbose_name_plural = _("investment leads")
        indexes = [
            models.Index(fields=["unit", "stage"], name="lead_unit_stage"),
            models.Index(fields=["stage", "expected_wan"], name="lead_stage_amount"),
            models.Index(fields=["signed_on"], name="lead_signed_on"),
            models.Index(fields=["created_at"], name="lead_created_at"),
            models.Index(fields=["open_until"], name="lead_open_until"),
            models.Index(fields=["unit", "stale_from"], name="lead_unit_stale"),
            # the board's stale share: open leads by unit, read from the index alone
            models.Index(
                fields=["unit", "created_at"],
                include=["stale_from"],
                condition=models.Q(stage__in=["lead", "assessed", "negotiating"]),  # OPEN_STAGES
                name="lead_open_unit",
            ),
            # the lead list's search by project or investor (LeadFilter.filter_q): read from bitmaps of
            # both, not a LIKE over every lead (a leader's search: 41-95 -> 8-21 ms at province scale)
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="lead_name_trgm"),
            GinIndex(OpClass(Upper("investor"), name="gin_trgm_ops"), name="lead_investor_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def flags(self, now=None) -> list[str]:
        """Which handling limits this lead is past (for its owner and manager): `limits_past`."""
        return limits_past(self, now or timezone.now())


def limits_past(lead, now: datetime) -> list[str]:
    """Which handling limits `lead` is past at `now`: none once it has left the open stages, as `stale_from`
    says. Only its own columns are read (stage, responded_at, respond_due, assess_due, feedback_at,
    feedback_due, last_activity_at), from a Lead or a list's row of them."""
    if lead.stage not in Lead.OPEN_STAGES:
        return []
    flags = []
    if lead.responded_at is None and lead.respond_due and lead.respond_due < now:
        flags.append(str(_("no response within 1 working day")))
    if lead.stage == Lead.Stage.LEAD and lead.assess_due and lead.assess_due < now:
        flags.append(str(_("not assessed within 3 working days")))
    if lead.feedback_at is None and lead.feedback_due and lead.feedback_due < now:
        flags.append(str(_("no feedback to the investor within a week")))
    if lead.last_activity_at < now - UPDATE_EVERY:
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
        indexes = [
            models.Index(fields=["lead", "at"], name="lead_event_at"),
            # a month of stage moves, for the stages at a day (`selectors.stage_ageing`)
            models.Index(fields=["at"], name="lead_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.action} {self.at:%Y-%m-%d}"


# --- roll-ups (kept by the services, see rollups.py) --------------------------------------------------------


class TripMonth(models.Model):
    """Trips by organising unit and month of departure, and those led by the unit's head."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    trips = models.IntegerField(default=0)
    led_by_head = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("trip roll-up")
        verbose_name_plural = _("trip roll-ups")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="trip_month_key")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}: {self.trips}"


class LeadMonth(models.Model):
    """Leads by responsible unit, source, month recorded and month signed (NULL: not signed), with the
    amount signed: leads recorded, signed and converted in any span."""

    district = models.BooleanField(
        default=False
    )  # True: the district's total (unit NULL), read by district figures
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", null=True)
    source = models.CharField(_("source"), max_length=12, choices=Lead.Source.choices)
    month = models.DateField(_("month recorded"))
    signed_month = models.DateField(_("month signed"), null=True)
    n = models.IntegerField(default=0)
    signed_wan = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("lead roll-up")
        verbose_name_plural = _("lead roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["district", "unit", "source", "month", "signed_month"],
                nulls_distinct=False,
                name="lead_month_key",
            )
        ]

    def __str__(self):
        return f"{self.unit_id} {self.source} {self.month:%Y-%m} → {self.signed_month}: {self.n}"


class PipelineMonth(models.Model):
    """The open pipeline of at least 1 亿 (在手在谈) by unit, source and band: leads that entered it in a
    month (recorded) and left it (signed or dropped). The pipeline at a day is these flows added up to it. A
    lead's band is that of its expected investment now."""

    district = models.BooleanField(
        default=False
    )  # True: the district's total (unit NULL), read by district figures
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", null=True)
    source = models.CharField(_("source"), max_length=12, choices=Lead.Source.choices)
    band = models.CharField(_("band"), max_length=5)
    month = models.DateField(_("month"))
    opened = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("pipeline roll-up")
        verbose_name_plural = _("pipeline roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["district", "unit", "source", "band", "month"],
                nulls_distinct=False,
                name="pipeline_month_key",
            )
        ]

    def __str__(self):
        return f"{self.unit_id} {self.band} {self.month:%Y-%m}"


class LeadStage(models.Model):
    """Leads by unit and current stage, with the sum of the moments they entered it (seconds since the
    epoch): how many are in each stage now and for how long on average, without reading them."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Lead.Stage.choices)
    n = models.IntegerField(default=0)
    since_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("lead stage roll-up")
        verbose_name_plural = _("lead stage roll-ups")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["unit", "stage"], name="lead_stage_key")]

    def __str__(self):
        return f"{self.unit_id} {self.stage}: {self.n}"


class LeadStageMonth(models.Model):
    """Moves into and out of each stage by unit and month: how many leads entered the stage and the sum of
    those moments (seconds since the epoch), how many left it and the sum of the moments they had entered
    it. The leads in a stage at a day, and how long they had been in it, are these flows added up to the
    day (`selectors.stage_ageing`)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Lead.Stage.choices)
    month = models.DateField(_("month"))
    entered = models.IntegerField(default=0)
    entered_since = models.BigIntegerField(default=0)
    left = models.IntegerField(default=0)
    left_since = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("lead stage flow roll-up")
        verbose_name_plural = _("lead stage flow roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["unit", "stage", "month"], name="lead_stage_month_key")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.stage} {self.month:%Y-%m}: +{self.entered} −{self.left}"

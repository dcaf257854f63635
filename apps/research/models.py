"""Campaign 3 — from research to production (研产贯通).

R&D entities (研发主体) are visited with campaign 1's visits (this app holds the link). Their results
(成果) go into the results library and are matched (对接) one by one with carriers (载体: buildings,
incubators, factories, land) and enterprises until they land (落地). Status changes of results and matches
go through services with an event row each.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.monthset import MonthSetField
from apps.core.validators import validate_mobile
from apps.enterprises.models import Enterprise, Industry
from apps.service.models import Visit
from apps.units.models import Unit

AREA = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class UnitOwnedQuerySet(models.QuerySet):
    """R&D records are shared knowledge: everyone reads them; the responsible unit and leaders write."""

    def visible_to(self, user):
        return self if user.is_authenticated else self.none()

    def editable_by(self, user):
        if not user.is_authenticated or not user.has_perm("research.change_result"):
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        return self.filter(unit_id=user.unit_id)


class Entity(models.Model):
    class Type(models.TextChoices):
        UNIVERSITY = "university", _("University")
        INSTITUTE = "institute", _("Research institute")
        NEW_TYPE = "new_type", _("New-type R&D institution")
        ENTERPRISE_CENTRE = "enterprise_centre", _("Enterprise R&D centre")
        KEY_LAB = "key_lab", _("Key laboratory")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    park = models.ForeignKey(
        Unit, verbose_name=_("park"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="rd_entities"
    )
    fields = models.CharField(_("fields"), max_length=200, blank=True, help_text=_("e.g. 集成电路、生物医药"))
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rd_entities",
        help_text=_("When the R&D entity is a company."),
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_mobile = models.CharField(
        _("contact mobile"), max_length=11, blank=True, validators=[validate_mobile]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit
    # The months it was visited in: set when an R&D visit is logged (services.entity_visit_record).
    visit_months = MonthSetField(_("months visited"))

    objects = UnitOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("R&D entity")
        verbose_name_plural = _("R&D entities")

    def __str__(self) -> str:
        return self.name


class EntityVisit(models.Model):
    """A visit whose target is an R&D entity (the visit itself is campaign 1's Visit)."""

    entity = models.ForeignKey(
        Entity, verbose_name=_("R&D entity"), on_delete=models.CASCADE, related_name="visit_links"
    )
    visit = models.OneToOneField(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="rd_link"
    )

    class Meta:
        verbose_name = _("R&D entity visit")
        verbose_name_plural = _("R&D entity visits")

    def __str__(self) -> str:
        return f"{self.entity} {self.visit}"


class Result(models.Model):
    class Type(models.TextChoices):
        PATENT = "patent", _("Patent")
        SOFTWARE = "software", _("Software")
        PRODUCT = "product", _("New product")
        PROCESS = "process", _("Process")
        STANDARD = "standard", _("Standard")
        OTHER = "other", _("Other")

    class Maturity(models.TextChoices):
        LAB = "lab", _("Laboratory")
        PILOT = "pilot", _("Pilot")
        SMALL_BATCH = "small_batch", _("Small batch")
        READY = "ready", _("Ready to industrialise")

    class Landing(models.TextChoices):
        TRANSFER = "transfer", _("Technology transfer")
        LICENCE = "licence", _("Licence")
        SPIN_OFF = "spin_off", _("Spin-off company")
        JOINT = "joint", _("Joint development")
        IN_HOUSE = "in_house", _("In-house production")

    class Status(models.TextChoices):
        CATALOGUED = "catalogued", _("Catalogued")
        MATCHING = "matching", _("Matching")
        LANDED = "landed", _("Landed")
        SHELVED = "shelved", _("Shelved")

    title = models.CharField(_("result name"), max_length=200)
    entity = models.ForeignKey(
        Entity, verbose_name=_("owning entity"), on_delete=models.PROTECT, related_name="results"
    )
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    field = models.CharField(_("field"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    maturity = models.CharField(_("maturity"), max_length=12, choices=Maturity.choices)
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    ip_status = models.CharField(_("IP status"), max_length=100, blank=True)
    ip_numbers = models.CharField(_("IP numbers"), max_length=300, blank=True)
    landing_mode = models.CharField(_("intended landing mode"), max_length=10, choices=Landing.choices)
    need_space_m2 = models.DecimalField(_("space needed (m²)"), null=True, blank=True, **AREA)
    need_funding_wan = models.DecimalField(_("funding needed (万元)"), null=True, blank=True, **AREA)
    need_talent = models.CharField(_("talent needed"), max_length=200, blank=True)
    need_pilot_line = models.BooleanField(_("needs a pilot line"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CATALOGUED, editable=False
    )
    shelved_reason = models.CharField(_("reason shelved"), max_length=300, blank=True, editable=False)
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="rd_results"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible staff"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    catalogued_on = models.DateField(_("catalogued on"), default=timezone.localdate)
    landed_on = models.DateField(_("landed on"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit

    objects = UnitOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-catalogued_on", "-id"]
        verbose_name = _("R&D result")
        verbose_name_plural = _("R&D results")
        indexes = [models.Index(fields=["status", "catalogued_on"], name="result_status_date")]

    def __str__(self) -> str:
        return self.title


class Carrier(models.Model):
    class Kind(models.TextChoices):
        OFFICE = "office", _("Office building")
        INCUBATOR = "incubator", _("Incubator")
        ACCELERATOR = "accelerator", _("Accelerator")
        FACTORY = "factory", _("Standard factory")
        LAND = "land", _("Industrial land parcel")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    park = models.ForeignKey(Unit, verbose_name=_("park"), on_delete=models.PROTECT, related_name="carriers")
    address = models.CharField(_("address"), max_length=200, blank=True)
    total_area_m2 = models.DecimalField(_("total area (m²)"), **AREA)
    free_area_m2 = models.DecimalField(_("free area (m²)"), **AREA)
    land_mu = models.DecimalField(_("land (亩)"), null=True, blank=True, **AREA)
    price = models.CharField(_("price or rent"), max_length=100, blank=True)
    industries = ArrayField(
        models.CharField(max_length=1, choices=Industry.choices),
        verbose_name=_("suitable industries"),
        default=list,
        blank=True,
    )
    power_notes = models.CharField(_("power"), max_length=200, blank=True)
    floor_load_notes = models.CharField(_("floor load"), max_length=200, blank=True)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="owned_carriers"
    )
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit

    objects = UnitOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["park__sort_order", "kind", "name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        constraints = [
            models.CheckConstraint(
                condition=Q(free_area_m2__lte=models.F("total_area_m2")), name="carrier_free_le_total"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def free_share(self) -> Decimal:
        return (
            (self.free_area_m2 * 100 / self.total_area_m2).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if self.total_area_m2
            else Decimal(0)
        )


class Match(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONTACTED = "contacted", _("Contacted")
        NEGOTIATING = "negotiating", _("Negotiating")
        LANDED = "landed", _("Landed")
        FAILED = "failed", _("Failed")

    result = models.ForeignKey(
        Result, verbose_name=_("result"), on_delete=models.CASCADE, related_name="matches"
    )
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        on_delete=models.PROTECT,
        related_name="matches",
        null=True,
        blank=True,
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="rd_matches",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED, editable=False
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    landed_how = models.CharField(_("how it landed"), max_length=300, blank=True, editable=False)
    failed_reason = models.CharField(_("reason failed"), max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.CheckConstraint(
                condition=Q(carrier__isnull=False) | Q(enterprise__isnull=False), name="match_has_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.result} ↔ {self.carrier or self.enterprise}"


class MatchEvent(models.Model):
    match = models.ForeignKey(Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=12, choices=Match.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Match.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("match event")
        verbose_name_plural = _("match events")

    def __str__(self) -> str:
        return f"{self.match_id} {self.from_status}→{self.to_status}"


class ResultEvent(models.Model):
    result = models.ForeignKey(
        Result, verbose_name=_("result"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Result.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Result.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("result event")
        verbose_name_plural = _("result events")

    def __str__(self) -> str:
        return f"{self.result_id} {self.from_status}→{self.to_status}"


# --- roll-ups (kept by the services, see rollups.py) --------------------------------------------------------


class ResultMonth(models.Model):
    """Results by responsible unit, month catalogued and status now."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month catalogued"))
    status = models.CharField(_("status"), max_length=10, choices=Result.Status.choices)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("result roll-up")
        verbose_name_plural = _("result roll-ups")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["unit", "month", "status"], name="result_month_key")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} {self.status}: {self.n}"


class ResearchMonth(models.Model):
    """What happened in a month to the results and matches of a responsible unit: results moved into and out
    of matching, results landed (and their days from catalogued to landed), matches proposed, landed and
    failed. Stocks at a day (results in matching, matches under way) are these flows added up to it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    matching_in = models.IntegerField(default=0)
    matching_out = models.IntegerField(default=0)
    landed = models.IntegerField(default=0)
    landed_days = models.IntegerField(default=0)
    matches_opened = models.IntegerField(default=0)
    matches_landed = models.IntegerField(default=0)
    matches_failed = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("research roll-up")
        verbose_name_plural = _("research roll-ups")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="research_month_key")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}"

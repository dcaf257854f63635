from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.monthset import MonthSetField
from apps.core.validators import validate_mobile
from apps.units.models import Unit

from .credit_code import validate_credit_code


class Industry(models.TextChoices):
    """Sections of the national industry classification GB/T 4754-2017."""

    A = "A", _("A Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("B Mining")
    C = "C", _("C Manufacturing")
    D = "D", _("D Electricity, heat, gas and water supply")
    E = "E", _("E Construction")
    F = "F", _("F Wholesale and retail trade")
    G = "G", _("G Transport, storage and postal services")
    H = "H", _("H Accommodation and catering")
    I = "I", _("I Information transmission, software and IT services")  # noqa: E741
    J = "J", _("J Finance")
    K = "K", _("K Real estate")
    L = "L", _("L Leasing and business services")
    M = "M", _("M Scientific research and technical services")
    N = "N", _("N Water conservancy, environment and public facilities management")
    O = "O", _("O Resident services, repair and other services")  # noqa: E741
    P = "P", _("P Education")
    Q = "Q", _("Q Health and social work")
    R = "R", _("R Culture, sports and entertainment")
    S = "S", _("S Public administration, social security and social organisations")
    T = "T", _("T International organisations")


class Size(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class Tag(models.Model):
    """A label such as 高新技术企业 (high-tech enterprise) or 专精特新 (specialised and innovative)."""

    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every signed-in user may read every enterprise: visits cross units."""
        if not user.is_authenticated:
            return self.none()
        return self

    def editable_by(self, user):
        """The responsible unit edits its enterprises; leaders and admins edit all."""
        if not user.is_authenticated or not user.has_perm("enterprises.change_enterprise"):
            return self.none()
        if user.has_perm("enterprises.change_any_enterprise"):
            return self
        return self.filter(unit_id=user.unit_id)

    def search(self, text: str):
        """Substring search on the name (trigram index) or a prefix of the credit code."""
        text = (text or "").replace("\x00", "").strip()  # PostgreSQL refuses a NUL byte in a query
        if not text:
            return self
        return self.filter(models.Q(name__icontains=text) | models.Q(credit_code__startswith=text.upper()))


class Enterprise(models.Model):
    """The one record of an enterprise (一企一档)."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, GB 32100-2015."),
    )
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("park / responsible unit"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry = models.CharField(_("industry section"), max_length=1, choices=Industry.choices)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices)
    is_key = models.BooleanField(_("key enterprise"), default=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="enterprises")
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every saved edit

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        permissions = [("change_any_enterprise", _("Can edit enterprises of any unit"))]
        indexes = [
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="enterprise_name_trgm"),
            models.Index(fields=["unit", "name"], name="enterprise_unit_name"),
            models.Index(fields=["is_key", "unit"], name="enterprise_key_unit"),
            # the list's orders (the default and those offered by its filter), each ended by the id: a page
            # is read from the index instead of sorting every enterprise of a province
            models.Index(fields=["name", "id"], name="enterprise_name_id"),
            models.Index(fields=["founded_on", "id"], name="enterprise_founded_id"),
            models.Index(fields=["updated_at", "id"], name="enterprise_updated_id"),
            # an industry section with few enterprises (or none) is otherwise looked for in every row
            models.Index(fields=["industry", "name", "id"], name="enterprise_industry_name_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(pgettext_lazy("a contact's job", "title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


class EnterpriseCoverage(models.Model):
    """What key-enterprise visit coverage reads, one narrow row per enterprise: its unit and whether it is key
    (copied by this app's services whenever they change), and the months it was visited in, by any unit
    (marked when campaign 1 logs a visit: services.enterprise_visited). Coverage over any span is then one
    pass over the key enterprises' index, not a join of the enterprises with their visits
    (docs/decisions/0001)."""

    enterprise = models.OneToOneField(
        Enterprise, primary_key=True, on_delete=models.CASCADE, related_name="coverage"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    is_key = models.BooleanField(default=False)
    months = MonthSetField(_("months visited"))

    class Meta:
        verbose_name = _("enterprise coverage")
        verbose_name_plural = _("enterprise coverage")
        default_permissions = ()
        indexes = [
            # everything coverage reads of the key enterprises, from the index alone
            models.Index(
                fields=["unit"],
                include=["enterprise", "months"],
                condition=Q(is_key=True),
                name="coverage_key_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}"

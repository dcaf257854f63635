from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GeneratedDataset(models.Model):
    """The mark `manage.py generate_scale` leaves on a database it filled (see seeds/scale).

    `max_ids` holds, per generated table, the highest id the generator wrote: a row above it was added by
    someone else, so the next run refuses to wipe the database without --force.
    """

    size = models.CharField(_("size"), max_length=20)
    seed = models.BigIntegerField(_("seed"))
    until = models.DateField(_("last month"))
    max_ids = models.JSONField(_("highest id per table"), default=dict)
    created_at = models.DateTimeField(_("generated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("generated dataset")
        verbose_name_plural = _("generated datasets")

    def __str__(self) -> str:
        return f"{self.size} seed {self.seed} until {self.until:%Y-%m}"

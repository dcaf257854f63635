"""The official working-day calendar, kept as data so admins can enter a new year's schedule.

Only exceptions to Monday–Friday are stored: public holidays that fall on a weekday and make-up working
days (调休) that fall on a weekend. A year is "published" once its schedule has been entered; for a year
that is not, the calendar counts Monday–Friday and the admin is warned.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    is_published = models.BooleanField(
        _("schedule entered"),
        default=False,
        help_text=_("Tick once every holiday and make-up working day of the year has been entered."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday (day off)")
        WORKDAY = "workday", _("Make-up working day (调休上班)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. Spring Festival"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self):
        weekend = self.date is not None and self.date.weekday() >= 5
        if self.kind == self.Kind.WORKDAY and self.date and not weekend:
            raise ValidationError({"kind": _("A make-up working day must fall on a Saturday or Sunday.")})
        if self.kind == self.Kind.HOLIDAY and self.date and weekend:
            raise ValidationError({"kind": _("A weekend is already a day off; enter only weekday holidays.")})

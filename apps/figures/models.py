"""Monthly roll-ups of the high-volume records (requests, visits), so that figures for a span longer than a
month read one row per unit and month instead of every raw row.

They are maintained in the same transaction as the write that changes them (`rollups.py`, via signals),
and `manage.py rebuild_rollups` rebuilds them from scratch after bulk loads. Never edited by hand.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestMonth(models.Model):
    """Service requests (not project problems) received in `month` by a handling unit, split by the month in
    which the ones that are closed now were closed (NULL: not closed), so "closed by the period's end" stays
    exact for past periods."""

    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month received"))
    closed_month = models.DateField(_("month closed"), null=True)
    n = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    ack = models.PositiveIntegerField(default=0)
    feedback = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    workdays_sum = models.BigIntegerField(default=0)
    workdays_n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("request roll-up")
        indexes = [models.Index(fields=["month", "unit"], name="rollup_request_month")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} → {self.closed_month}: {self.n}"


class RequestDueMonth(models.Model):
    """Service requests (not withdrawn, not project problems) whose closing deadline falls in `month`."""

    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month due"))
    due = models.PositiveIntegerField(default=0)
    due_on_time = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("deadline roll-up")
        indexes = [models.Index(fields=["month", "unit"], name="rollup_due_month")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}: {self.due}"


class VisitMonth(models.Model):
    """Enterprise-service visits (not project or R&D visits) in `month`: per unit that led or joined them, and
    district-wide in the row whose unit is NULL (a joint visit counts once there)."""

    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("visit roll-up")
        indexes = [models.Index(fields=["month", "unit"], name="rollup_visit_month")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}: {self.visits}"


class EnterpriseVisitMonth(models.Model):
    """An enterprise was visited (any visit) at least once in `month`: for visit coverage over long spans."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("enterprise visit roll-up")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "month"], name="rollup_enterprise_month_unique")
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.month:%Y-%m}"


class EnterpriseCoverage(models.Model):
    """Every enterprise with its responsible unit, whether it is key, and the months it was visited in (from
    EnterpriseVisitMonth): coverage over any span is one pass over the key enterprises' rows instead of a
    probe per key enterprise. Kept by triggers on both tables (COVERAGE_SQL in rollups.py), so bulk writes
    keep it too; `rebuild_rollups` fills it after a load with triggers off."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey("units.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    is_key = models.BooleanField()
    months = ArrayField(models.DateField(), default=list)

    class Meta:
        verbose_name = _("enterprise coverage roll-up")
        indexes = [models.Index(fields=["unit"], condition=models.Q(is_key=True), name="coverage_key_unit")]

    def __str__(self):
        return f"{self.enterprise_id}: {len(self.months)} months"


class ProjectMonth(models.Model):
    """Project construction's flows per month, by the unit responsible for the project: problems raised
    (requests received), problems solved (closed with the outcome "solved"), project visits."""

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    raised = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("project roll-up")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="rollup_project_month_unique")]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}: {self.raised}/{self.solved}/{self.visits}"


class ComputedFigures(models.Model):
    """A computed result (the dashboard's values for a period, a month's live board) kept until the data under
    it changes: valid while `generation` is the current value of the figures_generation sequence, which
    every write to a table the figures read moves on (apps/figures/cache.py). An unlogged table: a crash
    empties it, which only means the next reader computes again."""

    key = models.CharField(max_length=200, primary_key=True)
    generation = models.BigIntegerField()
    payload = models.BinaryField()
    computed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("computed figures")
        default_permissions = ()

    def __str__(self):
        return f"{self.key} @ {self.generation}"

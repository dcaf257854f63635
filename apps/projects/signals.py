"""Keep each year plan's running totals (`YearPlan.completed_by_month`) right on every report write, in the
writer's transaction. Bulk writes call `recount_year_progress` themselves (importers, the scale generator
through `rebuild_rollups`)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import MonthlyReport, YearPlan, recount_year_progress


@receiver(post_save, sender=MonthlyReport)
@receiver(post_delete, sender=MonthlyReport)
def report_written(sender, instance, **kwargs):
    recount_year_progress(project_id=instance.project_id, year=instance.month.year)


@receiver(post_save, sender=YearPlan)
def plan_written(sender, instance, **kwargs):
    recount_year_progress(project_id=instance.project_id, year=instance.year)

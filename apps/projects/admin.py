from django.contrib import admin

from apps.core.admin import ViewOnlyAdmin

from .models import (
    MonthlyReport,
    Project,
    ProjectProblem,
    ProjectVisit,
    ReportCorrection,
    TaskForceMember,
    YearPlan,
)


class PlanInline(admin.TabularInline):
    """Plans change on the project page (services.plan_set), which keeps the year figures: read-only here."""

    model = YearPlan
    extra = 0
    can_delete = False
    fields = ["year", "planned_investment", "is_new_start"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class TaskForceInline(admin.TabularInline):
    model = TaskForceMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "level", "stage", "planned_start", "actual_start"]
    list_filter = ["level", "stage", "kind", "unit"]
    search_fields = ["code", "name", "owner__name"]
    list_select_related = ["unit", "owner"]
    raw_id_fields = ["owner"]
    inlines = [PlanInline, TaskForceInline]
    # What the figures count changes only through the services, which keep the roll-ups (rollups.py); records
    # of work done are never deleted (their history is in the audit).
    readonly_fields = ["unit", "level", "planned_start", "actual_start", "actual_completion"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ViewOnlyAdmin):
    """Amounts change only through an audited correction on the project page: read-only here."""

    list_display = ["project", "month", "amount", "reported_by", "reported_at", "corrected_at"]
    list_filter = ["month"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project", "reported_by"]
    readonly_fields = ["project", "month", "amount", "reported_by", "reported_at", "corrected_at"]


@admin.register(ReportCorrection)
class ReportCorrectionAdmin(admin.ModelAdmin):
    list_display = ["report", "old_amount", "new_amount", "by", "at", "reason"]
    list_select_related = ["report__project", "by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YearPlan)
class YearPlanAdmin(ViewOnlyAdmin):
    """Plans change on the project page (services.plan_set)."""

    list_display = ["project", "year", "planned_investment", "is_new_start"]
    list_filter = ["year", "is_new_start"]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]


# the links that make a visit or a request a project's: made by the services, which count them for its unit
admin.site.register(
    ProjectVisit, ViewOnlyAdmin, list_display=["project", "visit"], list_select_related=["project", "visit"]
)
admin.site.register(
    ProjectProblem,
    ViewOnlyAdmin,
    list_display=["project", "request"],
    list_select_related=["project", "request"],
)

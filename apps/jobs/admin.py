from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.models import DBTaskResult

from . import queue
from .models import Alert, FailedJob, Job, PeriodicRun

# The library's own list of every queue row is English only and duplicates these: failed jobs (the dead
# letters) are listed below, the jobs a user watches under Jobs, the schedule's slots under Periodic runs.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class TaskFilter(admin.SimpleListFilter):
    title = _("task")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        paths = model_admin.get_queryset(request).values_list("task_path", flat=True).distinct()
        return [(path, path) for path in sorted(paths)]

    def queryset(self, request, queryset):
        return queryset.filter(task_path=self.value()) if self.value() else queryset


@admin.register(FailedJob)
class FailedJobAdmin(admin.ModelAdmin):
    """The dead-letter list: jobs whose every attempt failed. "Retry" queues them again."""

    list_display = ("task_path", "finished_at", "attempts", "exception_class_path", "enqueued_at")
    list_filter = (TaskFilter,)
    ordering = ["-finished_at"]
    actions = ["retry"]
    fields = readonly_fields = (
        "id",
        "task_path",
        "args_kwargs",
        "enqueued_at",
        "started_at",
        "finished_at",
        "attempts",
        "exception_class_path",
        "formatted_traceback",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status="FAILED")

    @admin.display(description=_("attempts"))
    def attempts(self, obj):
        return len(obj.worker_ids)

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback or "-")

    @admin.action(description=_("Retry the selected jobs"), permissions=["change"])
    def retry(self, request, queryset):
        count = queue.retry_failed(queryset)
        self.message_user(
            request,
            ngettext("%(n)d job queued again.", "%(n)d jobs queued again.", count) % {"n": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # the change permission allows the retry action only: every field is read-only
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "message", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("message", "created_at")
    actions = ["resolve"]

    @admin.action(description=_("Mark resolved"))
    def resolve(self, request, queryset):
        from django.utils import timezone

        queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())

    def has_add_permission(self, request):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Job._meta.fields if f.name != "id"]
    exclude = ("id",)  # a UUID, shown in the page's address

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ("name", "slot", "enqueued_at")
    list_filter = ("name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

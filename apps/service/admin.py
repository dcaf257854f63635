from django.contrib import admin

from apps.core.admin import LabelledObjectsAdmin, UnnamedInlineRowsAdmin, ViewOnlyAdmin

from .models import (
    Attachment,
    Category,
    JointAction,
    Notification,
    Request,
    RequestEvent,
    Visit,
    VisitAssignment,
    VisitAttachment,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_days", "close_days", "sort_order", "is_active"]
    list_editable = ["contact_days", "close_days", "sort_order", "is_active"]
    search_fields = ["name"]


class VisitAttachmentInline(admin.TabularInline):
    """A visit's photos and documents, as stored (added only with the visit, through visit_record)."""

    model = VisitAttachment
    extra = 0
    can_delete = False
    fields = ["kind", "name", "size", "taken_at", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "enterprise", "target_name", "lead_unit", "mode", "created_by"]
    list_filter = ["mode", "lead_unit", "visited_on"]
    search_fields = ["enterprise__name", "target_name", "summary"]
    list_select_related = ["enterprise", "lead_unit", "created_by"]
    raw_id_fields = ["created_by"]
    filter_horizontal = ["staff"]
    date_hierarchy = "visited_on"
    # What the figures count changes only through the services, which keep the roll-ups (rollups.py); records
    # of work done are never deleted (their history is in the audit).
    readonly_fields = [
        "visited_on",
        "enterprise",
        "lead_unit",
        "joint_units",
        "concerns",
        "counts_for",
        "checkin_latitude",
        "checkin_longitude",
        "checkin_accuracy",
        "checkin_at",
    ]
    inlines = [VisitAttachmentInline]

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_status", "to_status", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(UnnamedInlineRowsAdmin):
    """Status, handling unit and clocks change only through the transition service: read-only here."""

    list_display = [
        "id",
        "title",
        "enterprise",
        "category",
        "status",
        "handling_unit",
        "handler",
        "received_at",
    ]
    list_filter = ["status", "category", "urgency", "source", "handling_unit"]
    search_fields = ["title", "enterprise__name"]
    list_select_related = ["enterprise", "category", "handling_unit", "handler"]
    raw_id_fields = ["enterprise", "visit", "created_by", "joint_action"]
    readonly_fields = [
        "concerns",
        "counts_for",
        "outcome",
        "answer",
        "satisfaction",
        "reopen_count",
        "pending_extension_days",
        "dispatched_at",
        "ack_due",
        "acknowledged_at",
        "contact_due",
        "first_contact_at",
        "close_due",
        "closed_at",
        "feedback_at",
        "ack_on_time",
        "closed_on_time",
        "workdays_to_close",
        "logged_unit",
    ]
    exclude = ["co_units"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False  # requests are logged in the workbench, where they get their first events

    def has_delete_permission(self, request, obj=None):
        return False  # withdrawn (撤单), never deleted: the figures count it


@admin.register(RequestEvent)
class RequestEventAdmin(LabelledObjectsAdmin, ViewOnlyAdmin):
    """The history is append-only."""

    list_display = ["request", "action", "from_status", "to_status", "by", "at"]
    list_filter = ["action"]
    search_fields = ["request__title", "note"]
    list_select_related = ["request", "by"]


@admin.register(JointAction)
class JointActionAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "created_by", "created_at", "closed_at"]
    search_fields = ["title"]
    list_select_related = ["unit", "created_by"]
    readonly_fields = ["closed_at"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "request", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["name", "request__title"]
    list_select_related = ["request", "uploaded_by"]
    raw_id_fields = ["request", "uploaded_by"]


@admin.register(VisitAssignment)
class VisitAssignmentAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "assignee", "due_on", "unit", "visit"]
    list_select_related = ["enterprise", "assignee", "unit", "visit"]
    raw_id_fields = ["enterprise", "assignee", "assigned_by", "visit"]


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    """Sent and read by the services, which keep each user's unread badge."""

    list_display = ["user", "message", "created_at", "read_at"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "request"]

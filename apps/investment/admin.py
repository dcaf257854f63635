from django.contrib import admin

from apps.core.admin import UnnamedInlineRowsAdmin

from .models import Lead, LeadEvent, Trip


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_stage", "to_stage", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(UnnamedInlineRowsAdmin):
    list_display = ["name", "investor", "expected_wan", "source", "stage", "unit", "owner"]
    list_filter = ["stage", "source", "unit"]
    search_fields = ["name", "investor"]
    list_select_related = ["unit", "owner"]
    raw_id_fields = ["referrer", "trip", "owner"]
    inlines = [LeadEventInline]
    # What the figures count changes only through the services, which keep the roll-ups (rollups.py); records
    # of work done are never deleted (their history is in the audit).
    readonly_fields = ["stage", "signed_on", "signed_wan", "enterprise", "project", "drop_reason", "unit",
                       "source", "expected_wan", "created_at", "open_until", "stale_from"]  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ["start_on", "end_on", "cities", "kind", "unit", "leader", "led_by_head"]
    list_filter = ["kind", "led_by_head", "unit"]
    search_fields = ["cities", "companies_met"]
    list_select_related = ["unit", "leader"]
    filter_horizontal = ["members", "units"]
    # What the figures count changes only through the services, which keep the roll-ups (rollups.py); records
    # of work done are never deleted (their history is in the audit).
    readonly_fields = ["unit", "start_on", "led_by_head"]

    def has_delete_permission(self, request, obj=None):
        return False

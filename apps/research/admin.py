from django.contrib import admin

from apps.core.admin import LabelledObjectsAdmin, ViewOnlyAdmin

from .models import Carrier, Entity, EntityVisit, Match, MatchEvent, Result, ResultEvent


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "park", "unit"]
    list_filter = ["type", "park"]
    search_fields = ["name", "fields"]
    list_select_related = ["park", "unit"]
    raw_id_fields = ["enterprise"]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["title", "entity", "industry", "maturity", "status", "catalogued_on", "unit"]
    list_filter = ["status", "maturity", "type", "industry"]
    search_fields = ["title", "entity__name"]
    list_select_related = ["entity", "unit"]
    raw_id_fields = ["entity", "staff"]
    # What the figures count changes only through the services, which keep the roll-ups (rollups.py); records
    # of work done are never deleted (their history is in the audit).
    readonly_fields = ["status", "shelved_reason", "landed_on", "unit", "catalogued_on"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "park", "total_area_m2", "free_area_m2", "unit"]
    list_filter = ["kind", "park"]
    search_fields = ["name", "address"]
    list_select_related = ["park", "unit"]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["result", "carrier", "enterprise", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["result__title", "carrier__name", "enterprise__name"]
    list_select_related = ["result", "carrier", "enterprise"]
    readonly_fields = ["result", "status", "landed_how", "failed_reason"]  # its result's figures count it
    raw_id_fields = ["carrier", "enterprise", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False


# events are the history the figures count, and an R&D visit's link marks the entity's visited month
class _EventAdmin(LabelledObjectsAdmin, ViewOnlyAdmin):
    """Their `str()` is made of status keys: shown by their fields."""


admin.site.register(MatchEvent, _EventAdmin, list_display=["match", "from_status", "to_status", "by", "at"])
admin.site.register(ResultEvent, _EventAdmin, list_display=["result", "from_status", "to_status", "by", "at"])
admin.site.register(EntityVisit, ViewOnlyAdmin, list_display=["__str__"])

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Indicator, IndicatorVersion, Publication


class VersionInline(admin.TabularInline):
    model = IndicatorVersion
    extra = 0
    can_delete = False
    fields = ["version", "changed_by", "changed_at", "summary"]
    readonly_fields = fields

    @admin.display(description=_("version contents"))
    def summary(self, version) -> str:
        """The kept definition with the indicator's own labels and choices, not its JSON keys."""
        parts = []
        for key, value in (version.data or {}).items():
            try:
                field = Indicator._meta.get_field(key)
            except FieldDoesNotExist:
                parts.append(f"{key}：{value}")
                continue
            if field.choices:
                value = dict(field.flatchoices).get(value, value)
            parts.append(f"{capfirst(field.verbose_name)}：{value}")
        return "；".join(parts)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """Every save goes through the service, which keeps a version of the indicator."""

    list_display = [
        "code",
        "name",
        "campaign",
        "weight",
        "target",
        "direction",
        "rule",
        "version",
        "is_active",
    ]
    list_filter = ["campaign", "is_active", "rule"]
    search_fields = ["code", "name"]
    readonly_fields = ["version"]
    inlines = [VersionInline]

    def save_model(self, request, obj, form, change):
        services.indicator_save(indicator=obj, by=request.user)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Published boards are frozen: read-only here; republish from the board page with a reason."""

    list_display = ["month", "published_by", "published_at", "is_current", "reason"]
    list_select_related = ["published_by"]
    readonly_fields = ["month", "board", "published_by", "published_at", "reason", "is_current"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

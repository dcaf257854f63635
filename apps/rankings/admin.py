from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Indicator, IndicatorVersion, Publication
from .versions import version_changes


class VersionInline(admin.TabularInline):
    model = IndicatorVersion
    extra = 0
    can_delete = False
    fields = ["version", "changed_by", "changed_at", "changes"]
    readonly_fields = fields

    def get_queryset(self, request):
        """Each version with the one before it, to show what changed (one query for all of them)."""
        before = IndicatorVersion.objects.filter(
            indicator=OuterRef("indicator"), version__lt=OuterRef("version")
        ).order_by("-version")
        return (
            super()
            .get_queryset(request)
            .select_related("changed_by")
            .annotate(previous_data=Subquery(before.values("data")[:1]))
        )

    @admin.display(description=_("changes"))
    def changes(self, version) -> str:
        """Field by field, with the indicator's own labels and choices: "权重：10 → 12"; the first version
        lists the indicator as it was created."""
        previous = getattr(version, "previous_data", None)
        changes = version_changes(version.data or {}, previous)
        # One line each (the admin shows a read-only value inside a <p>, which may not hold a list).
        if previous is None:
            rows = format_html_join(mark_safe("<br>"), "{}：{}", ((c.label, c.new) for c in changes))
            return format_html("{}<br>{}", _("Created as:"), rows)
        if not changes:
            return _("Saved without changes.")
        return format_html_join(mark_safe("<br>"), "{}：{} → {}", ((c.label, c.old, c.new) for c in changes))

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

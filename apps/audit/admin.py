"""The history tables in the Django admin, read-only: where an admin reads the history of users, roles and
units (which have no page of their own in the product), and of records since deleted."""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class HistoryAdmin(admin.ModelAdmin):
    list_filter = ["pgh_label", "pgh_created_at"]
    ordering = ["-pgh_id"]
    show_full_result_count = False

    def get_list_display(self, request):
        copied = [f.name for f in self.model._meta.fields if not f.name.startswith("pgh_")][:6]
        label = ["pgh_obj_id"] if hasattr(self.model, "pgh_obj_id") else []
        return ["pgh_created_at", "pgh_label", *label, *copied, "user", "url"]

    @admin.display(description=_("by (user id)"))
    def user(self, row):
        return (row.pgh_context or {}).get("user")

    @admin.display(description=_("page"))
    def url(self, row):
        return (row.pgh_context or {}).get("url") or (row.pgh_context or {}).get("command")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in apps.get_app_config("audit").get_models():
    if hasattr(model, "pgh_tracked_model"):
        admin.site.register(model, HistoryAdmin)

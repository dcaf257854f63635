"""The history tables in the Django admin, read-only: where an admin reads the history of users, roles and
units (which have no page of their own in the product), and of records since deleted.

pghistory's own columns (pgh_created_at, pgh_label, pgh_obj, pgh_context) carry no translated labels, and
the label and context hold keys ("update", {"user": 3, "url": …}): the admin shows them through the
columns below, in the reader's language, with times in the project's time zone (Asia/Shanghai).
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin import GROUP_LABELS, group_label, permission_label
from apps.core.admin import LabelledObjectsAdmin

from .history import ACTIONS, EMPTY, _text

LABELS = {Group: group_label, Permission: permission_label}


def _field_label(f: models.Field) -> str:
    """A copied field's label; the link tables' columns are named after their model ("group", "user")."""
    if f.is_relation and str(f.verbose_name) == f.name.replace("_", " "):
        return _("role") if f.related_model is Group else capfirst(f.related_model._meta.verbose_name)
    return capfirst(f.verbose_name)


def _column(f: models.Field, *, role_name: bool = False):
    """A copied field shown as the history page shows it: choices, related records and roles by name (a role's
    own `name` column too: `role_name`)."""

    @admin.display(description=_field_label(f))
    def shown(row):
        value = getattr(row, f.attname)
        if role_name and value:
            return GROUP_LABELS.get(value, value)
        names = {}
        if isinstance(f, models.ForeignKey) and value is not None:
            obj = f.related_model._base_manager.filter(pk=value).first()
            if obj is not None:
                names = {f.related_model: {value: LABELS.get(f.related_model, str)(obj)}}
        return _text(f, value, names)

    shown.__name__ = f.name
    return shown


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "pgh_label"

    def lookups(self, request, model_admin):
        labels = model_admin.model.objects.order_by().values_list("pgh_label", flat=True).distinct()
        return [(label, ACTIONS.get(label, label)) for label in sorted(labels)]

    def queryset(self, request, queryset):
        return queryset.filter(pgh_label=self.value()) if self.value() else queryset


class WhenFilter(admin.DateFieldListFilter):
    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("time")


class HistoryAdmin(LabelledObjectsAdmin):
    list_filter = [ActionFilter, ("pgh_created_at", WhenFilter)]
    ordering = ["-pgh_id"]
    show_full_result_count = False

    list_per_page = 50

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # the copied row's own id is the record id (or, for a link table, a number of no interest)
        tracked = getattr(model, "pgh_tracked_model", None)
        of_roles = isinstance(tracked, type) and issubclass(tracked, Group)
        self.columns = [
            _column(f, role_name=of_roles and f.name == "name")
            for f in model._meta.fields
            if not f.name.startswith("pgh_") and f.name != "id"
        ]

    def _copied(self) -> list:
        return self.columns

    def _record(self) -> list[str]:
        return ["record"] if hasattr(self.model, "pgh_obj_id") else []

    def get_list_display(self, request):
        return ["at", "action", *self._record(), *self._copied()[:6], "by_user", "page_url"]

    def get_fields(self, request, obj=None):
        return ["at", "action", *self._record(), *self._copied(), "by_user", "page_url"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("time"), ordering="pgh_created_at")
    def at(self, row):
        return formats.date_format(timezone.localtime(row.pgh_created_at), "Y-m-d H:i:s")

    @admin.display(description=_("action"), ordering="pgh_label")
    def action(self, row):
        return ACTIONS.get(row.pgh_label, row.pgh_label)

    @admin.display(description=_("record id"), ordering="pgh_obj_id")
    def record(self, row):
        return row.pgh_obj_id

    @admin.display(description=_("by (user id)"))
    def by_user(self, row):
        return (row.pgh_context or {}).get("user") or EMPTY

    @admin.display(description=_("page"))
    def page_url(self, row):
        return (row.pgh_context or {}).get("url") or (row.pgh_context or {}).get("command") or EMPTY

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in apps.get_app_config("audit").get_models():
    if hasattr(model, "pgh_tracked_model"):
        admin.site.register(model, HistoryAdmin)

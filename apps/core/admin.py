"""What the admin of every app shares."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


class _Shown:
    """An object as the admin's pages name it (breadcrumbs, titles), everything else its own."""

    def __init__(self, obj, label: str):
        self._obj, self._label = obj, label

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._label


class LabelledObjectsAdmin(admin.ModelAdmin):
    """For models whose `str()` is a key or English (a role's group name, a history row, a status move):
    the change, history and delete pages name the object by `object_label` instead."""

    def object_label(self, obj) -> str:
        return f"{obj._meta.verbose_name} #{obj.pk}"

    def _relabel(self, response):
        context = getattr(response, "context_data", None)
        if not context:
            return response
        for key in ("original", "object"):
            if context.get(key) is not None:
                label = self.object_label(context[key])
                context[key] = _Shown(context[key], label)
                if context.get("subtitle") is not None:
                    context["subtitle"] = label
                if key == "object" and "action_list" in context:  # the history page's title names it
                    context["title"] = _("Change history: %s") % label
        return response

    def action_checkbox(self, obj):
        """The changelist's check box, whose label names the row."""
        return super().action_checkbox(_Shown(obj, self.object_label(obj)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._relabel(super().change_view(request, object_id, form_url, extra_context))

    def history_view(self, request, object_id, extra_context=None):
        return self._relabel(super().history_view(request, object_id, extra_context))

    def delete_view(self, request, object_id, extra_context=None):
        return self._relabel(super().delete_view(request, object_id, extra_context))


class _UnnamedRows(helpers.InlineAdminFormSet):
    def __iter__(self):
        for form in super().__iter__():
            if form.original is not None:
                form.original = _Shown(form.original, "")
            yield form


class UnnamedInlineRowsAdmin(admin.ModelAdmin):
    """For a record whose inline rows' `str()` is made of keys (an event's "create", "dispatch"): the rows
    show their fields only, not that name above each row."""

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_admin_formset in inline_admin_formsets:
            inline_admin_formset.__class__ = _UnnamedRows
        return inline_admin_formsets


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records the admin may look at but not add, change or delete: they change through their app's services,
    which keep the figures' roll-ups (a write here would leave them behind)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Strings that Django 6.1, django-filter and django-axes show but do not translate into Simplified Chinese
# (new in 6.1, or no zh_Hans catalogue): named here so that makemessages keeps them in the project's
# catalogue, whose translations come first. Each must be the library's msgid, character for character.
UPSTREAM_STRINGS = [
    # django: the empty choice of a select (django/db/models/fields/__init__.py, new in 6.1)
    gettext_noop("- Select an option -"),
    # django.contrib.admin: the date hierarchy above a changelist (admin/date_hierarchy.html, new in 6.1)
    gettext_noop("Filter by %(field_name)s"),
    # django-filter: OrderingFilter's descending choices (its zh_CN catalogue is not used for zh-hans)
    gettext_noop("%s (descending)"),
    # django.contrib.admin: the help under a multiple choice (its wording changed in 6.1)
    gettext_noop("Hold down “Control”, or “Command” on a Mac, to select more than one."),
    # django-axes: its admin (sign-in attempts and lockouts)
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]

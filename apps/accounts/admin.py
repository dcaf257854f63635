from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.admin import LabelledObjectsAdmin

from . import roles, two_factor
from .models import User, UserSession

GROUP_LABELS = {**roles.LABELS, two_factor.REQUIRED_GROUP: _("two-factor sign-in required")}

# Django names the permissions it creates for every model in English ("Can view enterprise", from the
# model's untranslated name) and keeps that text in the database: the admin names them from their code.
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}

# django-axes names its app "Axes" (not a translatable string); the admin's app list reads this name.
apps.get_app_config("axes").verbose_name = _("Sign-in attempts")
# django-otp's device admin is English only (plain strings, untranslatable) and shows the secret keys: the
# user admin below covers what an admin does with two-factor devices (see, require, reset after a lost phone).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
# django-axes names its rows in English ("Access Log for …"): its pages name them by kind and number.
for _model, _admin in [
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, type(_admin.__name__, (LabelledObjectsAdmin, _admin), {}))


def group_label(group: Group) -> str:
    return str(GROUP_LABELS.get(group.name, group.name))


# Third-party apps and models whose names are not translatable strings (their permissions are listed too).
APP_NAMES = {
    "otp_totp": _("two-factor sign-in"),
    "pghistory": _("audit history"),
    "seeds": _("Demo district"),
}
MODEL_NAMES = {
    ("otp_totp", "totpdevice"): _("two-factor device"),
    ("pghistory", "context"): _("audit context"),
    ("pghistory", "events"): _("audit events"),
    ("pghistory", "middlewareevents"): _("audit events of requests"),
}


def permission_label(permission) -> str:
    """ "<app> | <model> | <what it allows>", in the reader's language."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:  # a model since removed
        return f"{content_type} | {gettext(permission.name)}"
    key = (content_type.app_label, content_type.model)
    app_name = APP_NAMES.get(key[0], model._meta.app_config.verbose_name)
    model_name = MODEL_NAMES.get(key, model._meta.verbose_name)
    action, _sep, codename_model = permission.codename.partition("_")
    if action in DEFAULT_PERMISSIONS and codename_model == model._meta.model_name:
        name = DEFAULT_PERMISSIONS[action] % {"model": model_name}
    else:
        name = gettext(permission.name)  # the project's own permissions are translatable strings
    return f"{app_name} | {model_name} | {name}"


def _labelled(formfield, label):
    if formfield is not None:
        formfield.label_from_instance = label
    return formfield


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "groups__id__exact"

    def lookups(self, request, model_admin):
        return [(group.pk, group_label(group)) for group in Group.objects.order_by("name")]

    def queryset(self, request, queryset):
        return queryset.filter(groups__id=self.value()) if self.value() else queryset


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(LabelledObjectsAdmin, BaseGroupAdmin):
    """The roles, with their names and permissions in the reader's language."""

    list_display = ["label"]

    def object_label(self, group):
        return group_label(group)

    @admin.display(description=_("role"), ordering="name")
    def label(self, group):
        return group_label(group)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        return _labelled(formfield, permission_label) if db_field.name == "permissions" else formfield


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "display_name",
        "unit",
        "phone",
        "is_active",
        "is_staff",
        "two_factor_required",
        "two_factor_device",
    ]
    list_filter = ["unit", RoleFilter, "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone", "email"]
    list_select_related = ["unit"]
    actions = ["require_two_factor", "stop_requiring_two_factor", "reset_two_factor_device", "deactivate"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Workbench"), {"fields": ["unit", "display_name", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Workbench"), {"fields": ["unit", "display_name", "phone", "groups"]}),
    ]

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "user_permissions":
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("content_type")
        formfield = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        labels = {"groups": group_label, "user_permissions": permission_label}
        return _labelled(formfield, labels[db_field.name]) if db_field.name in labels else formfield

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _two_factor_required=Exists(
                    User.groups.through.objects.filter(
                        user=OuterRef("pk"), group__name=two_factor.REQUIRED_GROUP
                    )
                ),
                _two_factor_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            )
        )

    @admin.display(description=_("two-factor required"), boolean=True, ordering="_two_factor_required")
    def two_factor_required(self, user):
        return user._two_factor_required

    @admin.display(description=_("two-factor set up"), boolean=True, ordering="_two_factor_device")
    def two_factor_device(self, user):
        return user._two_factor_device

    @admin.action(description=_("Require two-factor sign-in"), permissions=["change"])
    def require_two_factor(self, request, queryset):
        users = list(queryset)
        two_factor.required_group().user_set.add(*users)
        count = len(users)
        self.message_user(
            request,
            ngettext(
                "%(count)d user must now use two-factor sign-in; they set it up the next time they sign in.",
                "%(count)d users must now use two-factor sign-in; they set it up the next time they sign in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Stop requiring two-factor sign-in"), permissions=["change"])
    def stop_requiring_two_factor(self, request, queryset):
        users = list(queryset)
        two_factor.required_group().user_set.remove(*users)
        count = len(users)
        self.message_user(
            request,
            ngettext(
                "%(count)d user no longer has to use two-factor sign-in.",
                "%(count)d users no longer have to use two-factor sign-in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reset two-factor device (lost phone)"), permissions=["change"])
    def reset_two_factor_device(self, request, queryset):
        users = list(queryset)
        TOTPDevice.objects.filter(user__in=users).delete()
        UserSession.objects.filter(user__in=users).delete()  # sessions the old device verified end too
        self.message_user(
            request,
            ngettext(
                "The two-factor device of %(count)d user was removed and their sessions ended.",
                "The two-factor devices of %(count)d users were removed and their sessions ended.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Deactivate (and sign out everywhere)"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.exclude(pk=request.user.pk).update(is_active=False)  # ends their sessions
        self.message_user(
            request,
            ngettext(
                "%(count)d user was deactivated and signed out.",
                "%(count)d users were deactivated and signed out.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

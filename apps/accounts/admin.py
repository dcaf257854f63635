from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .models import User, UserSession


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
    list_filter = ["unit", "groups", "is_active", "is_staff"]
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

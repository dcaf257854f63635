from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "unit", "phone", "is_active", "is_staff"]
    list_filter = ["unit", "groups", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone", "email"]
    list_select_related = ["unit"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Workbench"), {"fields": ["unit", "display_name", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Workbench"), {"fields": ["unit", "display_name", "phone", "groups"]}),
    ]

from django.contrib import admin

from .models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "short_name", "kind", "peer_group", "sort_order", "is_active"]
    list_filter = ["kind", "peer_group", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_editable = ["sort_order", "is_active"]

from django.contrib import admin

from . import services
from .models import Contact, Enterprise, Tag


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "unit", "industry", "size", "is_key"]
    list_filter = ["is_key", "size", "industry", "unit", "tags"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["unit"]
    autocomplete_fields = ["tags"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.coverage_sync(enterprises=[obj])  # coverage reads the unit and key flag from its own row


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "mobile", "enterprise", "is_primary"]
    search_fields = ["name", "mobile", "enterprise__name"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise"]

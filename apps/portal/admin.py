"""The enterprise side's links and their log, for admins to read: links are issued and revoked on the
enterprise record (apps.portal.services), so no write goes through the admin."""

from django.contrib import admin

from apps.core.admin import ViewOnlyAdmin

from .models import BadToken, ContactLink, LinkUse


@admin.register(ContactLink)
class ContactLinkAdmin(ViewOnlyAdmin):
    list_display = [
        "enterprise",
        "contact",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_select_related = ["enterprise", "contact", "created_by"]
    exclude = ["token_hash"]
    search_fields = ["enterprise__name", "contact__name"]


@admin.register(LinkUse)
class LinkUseAdmin(ViewOnlyAdmin):
    list_display = ["at", "link", "action", "path", "ip", "request"]
    list_filter = ["action"]
    list_select_related = ["link__contact"]
    raw_id_fields = ["link", "request"]


@admin.register(BadToken)
class BadTokenAdmin(ViewOnlyAdmin):
    list_display = ["at", "ip"]
    search_fields = ["ip"]

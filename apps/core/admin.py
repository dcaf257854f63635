"""What the admin of every app shares."""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Records the admin may look at but not add, change or delete: they change through their app's services,
    which keep the figures' roll-ups (a write here would leave them behind)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

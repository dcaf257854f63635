from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar import clear_cache, get_calendar
from .models import CalendarDay, CalendarYear
from .names import imported_text


def warn_unpublished_years(request) -> None:
    """Warn while this year (or, from December, next year) has no official schedule entered."""
    today = timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    calendar = get_calendar()
    for year in years:
        if not calendar.is_published(year):
            messages.warning(
                request,
                _(
                    "The %(year)d holiday schedule has not been entered: deadlines in %(year)d count Monday–"
                    "Friday only. Enter its public holidays and make-up working days on the year grid, or "
                    "its official notice there: saving recomputes the deadlines they move."
                )
                % {"year": year},
            )


class _CalendarAdmin(admin.ModelAdmin):
    def changelist_view(self, request, extra_context=None):
        warn_unpublished_years(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        clear_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        clear_cache()


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarAdmin):
    list_display = ["year", "is_published", "source_shown", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["year"]

    @admin.display(description=gettext_lazy("source"), ordering="source")
    def source_shown(self, year):
        return imported_text(year.source)


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarAdmin):
    """Days are added, cycled and removed on the year grid (apps.workbench.workdays_views), which also
    recomputes the deadlines a change moves — something this app, below the requests, cannot do. Here a
    day's name may be corrected (a name moves no deadline); its date and kind are read-only."""

    list_display = ["date", "kind", "name_shown"]
    list_filter = ["kind", "date"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name"]
    readonly_fields = ["date", "kind"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def name_shown(self, day):
        return imported_text(day.name)

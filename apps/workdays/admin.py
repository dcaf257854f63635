from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from .calendar import clear_cache, get_calendar
from .models import CalendarDay, CalendarYear

# The names and the source the calendar's data migration copied from the chinese-calendar package, which
# names holidays in English: kept as they are in the database, shown in the reader's language. A name or
# source an admin types in is shown as typed.
IMPORTED_TEXTS = [
    gettext_noop("New Year's Day"),
    gettext_noop("Spring Festival"),
    gettext_noop("Tomb-sweeping Day"),
    gettext_noop("Labour Day"),
    gettext_noop("Dragon Boat Festival"),
    gettext_noop("National Day"),
    gettext_noop("Mid-autumn Festival"),
    gettext_noop("Anti-Fascist 70th Day"),
    gettext_noop("chinese-calendar package"),
]


def imported_text(text: str) -> str:
    return _(text) if text in IMPORTED_TEXTS else text


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
                    "Friday only. Enter its public holidays and make-up working days, then tick “schedule "
                    "entered”, and run `manage.py recompute_clocks`."
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
    list_display = ["date", "kind", "name_shown"]
    list_filter = ["kind", "date"]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def name_shown(self, day):
        return imported_text(day.name)

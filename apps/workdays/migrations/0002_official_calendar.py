# Data migration: the official schedules 2004–2026 from the chinese-calendar package. Later years are
# entered by admins (the State Council publishes each year's schedule late in the year before).
import datetime

from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2004, 2026


def forwards(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("workdays", "CalendarYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    days = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        day = datetime.date(year, 1, 1)
        while day.year == year:
            workday = chinese_calendar.is_workday(day)
            weekday = day.weekday() < 5
            if workday != weekday:
                name = chinese_calendar.get_holiday_detail(day)[1] or ""
                days.append(CalendarDay(date=day, kind="workday" if workday else "holiday", name=name or ""))
            day += datetime.timedelta(days=1)
        CalendarYear.objects.update_or_create(
            year=year, defaults={"is_published": True, "source": "chinese-calendar package"}
        )
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)


def backwards(apps, schema_editor):
    apps.get_model("workdays", "CalendarDay").objects.filter(
        date__year__gte=FIRST_YEAR, date__year__lte=LAST_YEAR
    ).delete()
    apps.get_model("workdays", "CalendarYear").objects.filter(year__gte=FIRST_YEAR, year__lte=LAST_YEAR).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

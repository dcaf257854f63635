"""The admin's working-day calendar as a year grid, and a year's official notice entered as date ranges.

The pages sit under /admin/ and look like the Django admin, but they are the top app's views (see
apps.workbench.workdays for why): saving a day or a notice recomputes the deadlines it moves. Only admins
who may change the calendar reach them (others: 403, nothing changes); the grid works without JavaScript —
each day is a submit button of one form, and the answer returns to the clicked month.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.workdays.forms import NoticeForm, notice_text
from apps.workdays.grid import KIND_LABELS, year_grid
from apps.workdays.models import CalendarDay
from apps.workdays.services import may_change_calendar, notice_changes

from . import workdays

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _may_view(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm("workdays.view_calendarday")


def _context(request, year: int, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title, "year": year, "opts": CalendarDay._meta}


def calendar_year(request, year: int):
    """Twelve months, each day coloured by its kind; a click on a day cycles it (see calendar_day)."""
    _check_year(year)
    if not _may_view(request.user):
        raise PermissionDenied
    grid = year_grid(year, today=timezone.localdate())
    context = _context(request, year, _("Working-day calendar %(year)d") % {"year": year})
    context |= {
        "grid": grid,
        "kinds": KIND_LABELS,
        "can_change": may_change_calendar(request.user),
        "name": request.GET.get("name", "")[:50],
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
    }
    return render(request, "admin/workdays/calendar_year.html", context)


@require_POST
def calendar_day(request, year: int):
    """Cycle the posted day (weekday: working day ↔ public holiday named `name`; weekend: day off ↔ make-up
    working day), recompute the open requests' deadlines it moves, and return to its month."""
    _check_year(year)
    if not may_change_calendar(request.user):
        raise PermissionDenied
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        day = None
    if day is None or day.year != year:
        messages.error(request, _("Choose a day of %(year)d.") % {"year": year})
        return redirect("calendar_year", year=year)
    name = request.POST.get("name", "")
    try:
        saved = workdays.calendar_day_change(day=day, name=name, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("calendar_year", year=year)
    cell = year_grid(year, today=timezone.localdate()).day(day)
    messages.success(request, _saved_message(saved, cell))
    query = f"?{urlencode({'name': name.strip()[:50]})}" if name.strip() else ""
    return redirect(f"{reverse('calendar_year', args=[year])}{query}#m{day.month}")


def _saved_message(saved: workdays.Saved, cell) -> str:
    what = _("%(date)s is now: %(kind)s") % {"date": cell.date.isoformat(), "kind": cell.kind_label}
    if cell.name and not cell.in_break:
        what += f"（{cell.name}）"
    return f"{what}. {_recomputed(saved.recomputed)}"


def _recomputed(count: int) -> str:
    return ngettext(
        "The deadlines of %(count)d open request moved.",
        "The deadlines of %(count)d open requests moved.",
        count,
    ) % {"count": count}


def calendar_notice(request, year: int):
    """A year's official notice as date ranges: check, preview what changes, then apply (all or nothing)."""
    _check_year(year)
    if not may_change_calendar(request.user):
        raise PermissionDenied
    if request.method != "POST":
        grid = year_grid(year, today=timezone.localdate())
        initial = {
            "text": notice_text(grid),
            "source": grid.source,
            "entered": grid.entry.is_published if grid.entry else True,
        }
        form = NoticeForm(initial=initial, year=year)
        return _notice_page(request, year, form)
    form = NoticeForm(request.POST, year=year)
    if not form.is_valid():
        return _notice_page(request, year, form)
    notice = form.cleaned_data["text"]
    if request.POST.get("action") != "apply":
        changes = notice_changes(notice=notice, year=year)
        moving = [c.date for c in changes if c.moves_deadlines]
        affected = workdays.affected_requests(moving).count()
        return _notice_page(request, year, form, changes=changes, affected=affected)
    saved = workdays.calendar_notice_enter(
        notice=notice,
        year=year,
        source=form.cleaned_data["source"],
        entered=form.cleaned_data["entered"],
        by=request.user,
    )
    messages.success(
        request,
        ngettext(
            "The %(year)d schedule is saved: %(days)d day changed kind.",
            "The %(year)d schedule is saved: %(days)d days changed kind.",
            len(saved.days),
        )
        % {"year": year, "days": len(saved.days)}
        + " "
        + _recomputed(saved.recomputed),
    )
    return redirect("calendar_year", year=year)


def _notice_page(request, year: int, form, changes=None, affected: int = 0):
    context = _context(request, year, _("Enter the %(year)d notice") % {"year": year})
    context |= {"form": form, "changes": changes, "affected": affected, "kinds": KIND_LABELS}
    return render(request, "admin/workdays/calendar_notice.html", context)

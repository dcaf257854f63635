from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.models import person_name
from apps.core.querysets import ComposedPage, page_rows, read_page
from apps.core.views import url_maker
from apps.workdays.calendar import get_calendar

from ..models import OPEN_STATUSES, Request, Status


def request_rows(qs):
    """Requests as model instances with what their pages show, in a constant number of queries."""
    return qs.select_related("enterprise", "category", "handling_unit", "handler", "logged_unit")


# The columns a request table shows (templates/includes/request_table.html), fetched as values: building
# five model instances per row cost more than the query.
TABLE_COLUMNS = {
    "pk": "id",
    "title": "title",
    "status": "status",
    "urgency": "urgency",
    "close_due": "close_due",
    "ack_on_time": "ack_on_time",
    "received_at": "received_at",
    "enterprise_id": "enterprise_id",
    "enterprise_name": "enterprise__name",
    "category": "category__name",
    "unit": "handling_unit__short_name",
}
HANDLER_COLUMNS = ("handler__display_name", "handler__first_name", "handler__last_name", "handler__username")


class RequestRow:
    """One row of a request table: the shown columns, the links and the badges, worked out in Python once
    (the same rules as `Request.due_state`), so the template only prints them."""

    __slots__ = (
        *TABLE_COLUMNS,
        "handler",
        "url",
        "enterprise_url",
        "status_label",
        "urgency_label",
        "deadline",
        "due",
        "received",
    )


def table_values(requests):
    """The shown columns of a request table's rows (`requests`: a queryset, filtered, ordered, sliced), as
    one `values()` query: the page's rows chosen on the request table alone, then joined with their names."""
    return page_rows(requests).values(*TABLE_COLUMNS.values(), *HANDLER_COLUMNS)


def request_table(requests=(), *, values=None, now=None) -> list[RequestRow]:
    """The rows of a request table: from a queryset (filtered, ordered, sliced) or a page of a list composed
    once (`ComposedPage`: a unit's found through its arms, a leader's unfiltered; `read_page`) in one query
    of the shown columns, from those columns read beforehand (`values`: dicts as `table_values` gives them),
    or from Request instances a page already holds (their related rows selected)."""
    if values is not None:
        items = (_from_values(row) for row in values)
    elif isinstance(requests, ComposedPage) or (
        hasattr(requests, "values") and not getattr(requests, "_result_cache", None)
    ):
        items = (_from_values(row) for row in read_page(requests, table_values))
    else:
        items = (_from_instance(r) for r in requests)
    now = now or timezone.now()
    zone = timezone.get_current_timezone()  # asked once: each localtime() asks the thread-local again
    today = timezone.localdate(now, zone)
    detail, record = url_maker("service:request_detail"), url_maker("enterprise_record")
    statuses, urgencies = dict(Status.choices), dict(Request.Urgency.choices)
    labels = {"overdue": _("overdue"), "due_today": _("due today"), "paused": _("clock stopped (paused)")}
    rows, late = [], []
    for row in items:
        row.url = detail(row.pk)
        row.enterprise_url = record(row.enterprise_id) if row.enterprise_id else ""
        row.status_label = str(statuses.get(row.status, row.status))
        row.urgency_label = "" if row.urgency == Request.Urgency.NORMAL else str(urgencies[row.urgency])
        if row.status == Status.PAUSED:
            row.deadline = labels["paused"]
        else:
            row.deadline = f"{row.close_due.astimezone(zone):%Y-%m-%d}" if row.close_due else ""
        row.due = due_badge(row, now, today, zone, labels)
        row.received = f"{row.received_at.astimezone(zone):%Y-%m-%d %H:%M}" if row.received_at else ""
        if row.due and row.due[0] == "overdue":
            late.append(row)
        rows.append(row)
    if late:
        # the calendar the clocks use, read once a minute per process (get_calendar), never per row
        due_days = {row.pk: row.close_due.astimezone(zone).date() for row in late}
        days_late = _workdays_after(set(due_days.values()), today, get_calendar())
        for row in late:
            days = days_late[due_days[row.pk]]
            if days:
                label = ngettext(
                    "overdue by %(days)d working day", "overdue by %(days)d working days", days
                ) % {"days": days}
                row.due = ("overdue", label)
    return rows


def _workdays_after(days, today, calendar) -> dict:
    """For each of `days`, the working days after it up to `today` included (`calendar.workdays_between(day +
    1, today + 1)`), in one walk back from today to the earliest: a page of requests overdue for years costs
    one pass over those years, not one per row."""
    counts, count, day = {}, 0, today
    for due_day in sorted(days, reverse=True):
        while day > due_day:
            count += calendar.is_workday(day)
            day -= timedelta(days=1)
        counts[due_day] = count
    return counts


def _from_values(values: dict) -> RequestRow:
    row = RequestRow()
    for key, column in TABLE_COLUMNS.items():
        setattr(row, key, values[column])
    row.handler = handler_name(values)
    return row


def handler_name(values: dict) -> str:
    """The handler's name from their HANDLER_COLUMNS read with a request, as User.__str__ gives it; no
    handler (every column NULL): ""."""
    return person_name(*(values[column] for column in HANDLER_COLUMNS))


def _from_instance(req: Request) -> RequestRow:
    row = RequestRow()
    for key in (
        "pk",
        "title",
        "status",
        "urgency",
        "close_due",
        "ack_on_time",
        "received_at",
        "enterprise_id",
    ):
        setattr(row, key, getattr(req, key))
    row.enterprise_name = req.enterprise.name if req.enterprise_id else ""
    row.category = req.category.name
    row.unit = req.handling_unit.short_name if req.handling_unit_id else ""
    row.handler = str(req.handler) if req.handler_id else ""
    return row


def due_badge(row, now, today, zone, labels) -> tuple[str, str] | None:
    """(state, label) of a row's deadline badge, as `Request.due_state` decides it; None when it shows none
    (no clock runs, or the deadline is ahead and `labels` has no "due" label: "due %(date)s", for lists that
    show no deadline column). An overdue row's label says by how many working days once a request table's
    rows are read (plain "overdue" until the first working day after its deadline begins)."""
    if row.status not in OPEN_STATUSES or row.close_due is None or row.status == Status.PAUSED:
        return None
    due = row.close_due.astimezone(zone)
    if row.close_due < now:
        return "overdue", labels["overdue"]
    if due.date() == today:
        return "due_today", labels["due_today"]
    return ("due", labels["due"] % {"date": f"{due:%m-%d}"}) if "due" in labels else None

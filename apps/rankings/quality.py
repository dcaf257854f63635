"""Signs of gaming (the leaders' per-unit quality page): figures that move when a unit polishes the numbers it
is ranked on rather than the service — withdrawals that hide late requests, closures bunched just before the
deadline, "explained" instead of solved, reopened closures, and its own staff's satisfaction ratings beside
the enterprises' own. Each figure has its definition and opens the request list filtered to exactly the
requests it counts (numerator and denominator).

It lives with the ranking because it is read against the board: these are the ways the board's service
indicators can be gamed, and the same leaders read both. Like the board it covers one month (the request
path never aggregates more than a month of raw rows), by the unit that handles the requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.figures import pct
from apps.core.periods import end_of_period, start_of_day
from apps.service.models import (
    CLOSED,
    HAS_FEEDBACK,
    LAST_HOUR,
    REOPENED,
    SATISFIED,
    WITHDRAWN,
    Request,
    withdrawn_late,
)
from apps.units.models import Unit

from .board import month_bounds


@dataclass(frozen=True)
class Sign:
    code: str
    label: str
    definition: str
    numerator: str  # keys of the counted rows
    denominator: str
    population: str  # "closed": closed in the month; "received": received in the month
    den_filter: str  # the list's further filter for the denominator ("" none)
    num_filter: str  # … and for the numerator


_ENTERPRISE, _STAFF = Request.RatedBy.ENTERPRISE, Request.RatedBy.STAFF

SIGNS = [
    Sign(
        "withdrawn_late",
        _("Withdrawals after the deadline or a reminder"),
        _(
            "Requests received in the month and withdrawn, withdrawn after their closing deadline had passed "
            "or after a reminder was recorded on them ÷ requests received in the month and withdrawn."
        ),
        "withdrawn_late",
        "withdrawn",
        "received",
        "&status=withdrawn",
        "&withdrawn_late=true",
    ),
    Sign(
        "last_hour",
        _("Closures in the last hour before the deadline"),
        _(
            "Requests closed in the month within the last hour before their closing deadline ÷ requests "
            "closed in the month (still closed or confirmed)."
        ),
        "last_hour",
        "closed",
        "closed",
        "",
        "&last_hour=true",
    ),
    Sign(
        "explained",
        _("Explained, not solved"),
        _("Requests closed in the month as explained, not solvable ÷ requests closed in the month."),
        "explained",
        "closed",
        "closed",
        "",
        "&outcome=explained",
    ),
    Sign(
        "reopened",
        _("Reopen rate"),
        _("Requests received in the month reopened at least once ÷ requests received in the month."),
        "reopened",
        "received",
        "received",
        "",
        "&reopened=true",
    ),
    Sign(
        "enterprise_satisfaction",
        _("Satisfaction rated by the enterprise"),
        _(
            "Requests received in the month rated satisfied or basically satisfied by the enterprise itself "
            "÷ those the enterprise rated."
        ),
        "ent_satisfied",
        "ent_rated",
        "received",
        f"&feedback=true&rated_by={_ENTERPRISE}",
        "&satisfied=true",
    ),
    Sign(
        "staff_satisfaction",
        _("Satisfaction entered by staff"),
        _(
            "Requests received in the month whose rating staff entered as satisfied or basically satisfied ÷ "
            "those whose rating staff entered. Far above the enterprises' own rate is a sign to look at."
        ),
        "staff_satisfied",
        "staff_rated",
        "received",
        f"&feedback=true&rated_by={_STAFF}",
        "&satisfied=true",
    ),
]


def quality_rows(month: date) -> dict[int, dict]:
    """{unit id: counts} of the month, by handling unit (two queries)."""
    start, end = month_bounds(month)
    units: dict[int, dict] = {}
    closed = (
        Request.objects.filter(
            CLOSED,
            closed_at__gte=start_of_day(start),
            closed_at__lt=end_of_period(end),
            handling_unit__isnull=False,
        )
        .order_by()
        .values("handling_unit_id")
        .annotate(
            closed=Count("pk"),
            last_hour=Count("pk", filter=LAST_HOUR),
            explained=Count("pk", filter=Q(outcome=Request.Outcome.EXPLAINED)),
        )
    )
    rated = HAS_FEEDBACK & Q(satisfaction_by=_ENTERPRISE), HAS_FEEDBACK & Q(satisfaction_by=_STAFF)
    received = (
        Request.objects.filter(received_on__gte=start, received_on__lte=end, handling_unit__isnull=False)
        .order_by()
        .values("handling_unit_id")
        .annotate(
            received=Count("pk"),
            reopened=Count("pk", filter=REOPENED),
            withdrawn=Count("pk", filter=WITHDRAWN),
            withdrawn_late=Count("pk", filter=withdrawn_late()),
            ent_rated=Count("pk", filter=rated[0]),
            ent_satisfied=Count("pk", filter=rated[0] & SATISFIED),
            staff_rated=Count("pk", filter=rated[1]),
            staff_satisfied=Count("pk", filter=rated[1] & SATISFIED),
        )
    )
    for rows in (closed, received):
        for row in rows:
            units.setdefault(row.pop("handling_unit_id"), {}).update(row)
    return units


def quality_table(month: date) -> list[dict]:
    """Every active unit's signs for the month: per sign its value (None: nothing to measure), numerator,
    denominator and the two list URLs."""
    start, end = month_bounds(month)
    counts = quality_rows(month)
    base = reverse("service:request_list")
    periods = {
        "closed": f"&closed_from={start:%Y-%m-%d}&closed_to={end:%Y-%m-%d}",
        "received": f"&date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}",
    }
    table = []
    for unit in Unit.objects.active().only("pk", "short_name", "peer_group", "sort_order"):
        row = counts.get(unit.pk, {})
        cells = []
        for sign in SIGNS:
            num, den = row.get(sign.numerator, 0), row.get(sign.denominator, 0)
            url = f"{base}?handling_unit={unit.pk}{periods[sign.population]}{sign.den_filter}"
            cells.append(
                {
                    "code": sign.code,
                    "label": sign.label,
                    "value": pct(num, den),
                    "num": num,
                    "den": den,
                    "url": url,
                    "num_url": url + sign.num_filter,
                }  # fmt: skip
            )
        table.append({"unit": unit, "cells": cells})
    return table

"""A unit's pre-meeting memo beside its board row (brief: "a memo before each monthly meeting — per unit:
figures, worst items, overdue requests"): its overdue requests with their handlers, its leads past a handling
limit and its red-light projects. Computed live for a month not published; frozen per unit with a
publication (`PublishedMemo`), so a published month's memo says what was said at its meeting.

The memo is plain JSON: {"overdue": [...], "overdue_count": n, "stale": [...], "stale_count": n,
"red_projects": [...], "red_count": n, "supervised": [...], "supervised_count": n}; each list holds the first
`LIMIT` items (oldest first), the counts
are whole. Labels (a lead's stage) are stored as codes and read in the reader's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from apps.investment.models import Lead
from apps.projects.models import Project, months_completed
from apps.service.models import Request, Supervision

from .board import month_bounds

LIMIT = 50


def memos(unit_ids: Collection[int], month: date) -> dict[int, dict]:
    """The memo of each unit of `unit_ids` for `month`, as of now (nine queries whatever the number of
    units: a publication freezes every unit's)."""
    unit_ids = list(unit_ids)
    result = {
        pk: {
            "overdue": [],
            "overdue_count": 0,
            "stale": [],
            "stale_count": 0,
            "red_projects": [],
            "red_count": 0,
            "supervised": [],
            "supervised_count": 0,
        }
        for pk in unit_ids
    }
    _overdue(result, unit_ids)
    _supervised(result, unit_ids)
    _stale(result, unit_ids)
    _red_projects(result, unit_ids, month)
    return result


def _first(queryset, partition: str, order: list):
    """The first LIMIT rows of each `partition` of `queryset` (a window, filtered in SQL)."""
    return queryset.annotate(
        position=Window(RowNumber(), partition_by=[F(partition)], order_by=order)
    ).filter(position__lte=LIMIT)


def _counts(queryset, field: str) -> dict[int, int]:
    return dict(queryset.order_by().values_list(field).annotate(n=Count("pk")))


def _overdue(result: dict, unit_ids: list[int]) -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    overdue = Request.objects.overdue(now).filter(handling_unit_id__in=unit_ids)
    for unit_id, n in _counts(overdue, "handling_unit_id").items():
        result[unit_id]["overdue_count"] = n
    rows = _first(overdue, "handling_unit_id", [F("close_due").asc(), F("pk").asc()]).values_list(
        "handling_unit_id", "pk", "title", "enterprise__name", "handler__display_name", "handler__username",
        "close_due",
    )  # fmt: skip
    for unit_id, pk, title, enterprise, handler_name, handler_login, due in rows.order_by("close_due", "pk"):
        due_day = timezone.localdate(due)
        result[unit_id]["overdue"].append(
            {
                "id": pk,
                "title": title,
                "enterprise": enterprise or "",
                "handler": handler_name or handler_login or "",
                "due": f"{due_day:%Y-%m-%d}",
                "days_over": (today - due_day).days,
            }  # fmt: skip
        )


def _supervised(result: dict, unit_ids: list[int]) -> None:
    """The unit's requests under supervision (督办) not done yet — the instruction not answered, or the
    request still open — oldest first: they stay in every memo until done."""
    supervised = Supervision.objects.not_done().filter(request__handling_unit_id__in=unit_ids)
    for unit_id, n in _counts(supervised, "request__handling_unit_id").items():
        result[unit_id]["supervised_count"] = n
    order = [F("created_at").asc(), F("pk").asc()]
    rows = _first(supervised, "request__handling_unit_id", order).values_list(
        "request__handling_unit_id", "request_id", "request__title", "instruction", "due_on", "answered_at",
        "request__handler__display_name", "request__handler__username",
    )  # fmt: skip
    for unit_id, pk, title, instruction, due_on, answered_at, handler_name, handler_login in rows.order_by(
        "created_at", "pk"
    ):
        result[unit_id]["supervised"].append(
            {
                "id": pk,
                "title": title,
                "instruction": instruction[:200],
                "due": f"{due_on:%Y-%m-%d}",
                "answered": answered_at is not None,
                "handler": handler_name or handler_login or "",
            }  # fmt: skip
        )


def _stale(result: dict, unit_ids: list[int]) -> None:
    now = timezone.now()
    stale = Lead.objects.filter(unit_id__in=unit_ids).open().stale(now)
    for unit_id, n in _counts(stale, "unit_id").items():
        result[unit_id]["stale_count"] = n
    rows = _first(stale, "unit_id", [F("stale_from").asc(), F("pk").asc()]).values_list(
        "unit_id", "pk", "name", "owner__display_name", "owner__username", "stage", "stale_from"
    )
    for unit_id, pk, name, owner_name, owner_login, stage, since in rows.order_by("stale_from", "pk"):
        result[unit_id]["stale"].append(
            {
                "id": pk,
                "name": name,
                "owner": owner_name or owner_login or "",
                "stage": stage,
                "since": f"{timezone.localdate(since):%Y-%m-%d}",
            }  # fmt: skip
        )


def _red_projects(result: dict, unit_ids: list[int], month: date) -> None:
    """Red-light projects of the month's year as of its end (or today, for the month in progress)."""
    _start, end = month_bounds(month)
    as_of = min(end, timezone.localdate())
    red = (
        Project.objects.filter(unit_id__in=unit_ids).for_year(end.year)
        .with_progress(year=end.year, months=months_completed(as_of), as_of=as_of)
        .filter(light="red").order_by("rate_pct", "code")
        .values_list("unit_id", "pk", "code", "name", "rate_pct")
    )  # fmt: skip
    per_unit = defaultdict(list)
    for unit_id, pk, code, name, rate in red:
        per_unit[unit_id].append(
            {"id": pk, "code": code, "name": name, "rate": None if rate is None else str(rate)}
        )
    for unit_id, projects in per_unit.items():
        result[unit_id]["red_count"] = len(projects)
        result[unit_id]["red_projects"] = projects[:LIMIT]

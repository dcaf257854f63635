"""The ranking board's charts: the score of each unit of the group shown, and each unit's rank in the
published boards of the six months to the board's month.

Each chart is a dict the page draws twice: `spec`, the data static/js/charts.js draws with ECharts (put in
the page with `json_script`), and `table`, the same numbers as a table beside it (read without JavaScript,
by a screen reader and on paper). The numbers are the board's own — the scores of the rows the page shows,
the ranks frozen in the published boards — never computed again.
"""

from __future__ import annotations

from datetime import date

from django.db.models import JSONField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from .board import previous_month
from .models import Publication

TREND_MONTHS = 6


def trend_months(month: date) -> list[date]:
    """The six months to `month`, oldest first."""
    months = [month]
    while len(months) < TREND_MONTHS:
        months.insert(0, previous_month(months[0]))
    return months


def published_ranks(months: list[date], group: str) -> dict[date, dict[int, int | None]]:
    """{month: {unit id: rank}} of the units of peer group `group` in the current publication of each of
    `months` that has one (a rank is None where the sample was too small): one query, which reads each
    board's group's ranks in the database — a province's published board holds thousands of cells."""
    ranks = RawSQL(
        "(SELECT coalesce(jsonb_object_agg(r ->> 'unit_id', r -> 'rank'), '{}'::jsonb) "
        "FROM jsonb_path_query(board, '$.groups[*] ? (@.group == $g).rows[*]', "
        "jsonb_build_object('g', %s::text)) AS t(r))",
        [group],
        output_field=JSONField(),
    )
    published = Publication.objects.filter(month__in=months, is_current=True).annotate(ranks=ranks)
    return {
        month: {int(unit): rank for unit, rank in (got or {}).items()}
        for month, got in published.values_list("month", "ranks")
    }


def _text(value) -> str:
    return "—" if value is None else str(value)


def score_chart(group: dict) -> dict:
    """Each ranked unit's score, in the board's order (the first at the top)."""
    ranked = [row for row in group["rows"] if row["score"] is not None]
    return {
        "id": f"chart-scores-{group['group']}",
        "title": _("Scores, %(group)s") % {"group": group["label"]},
        "note": _("Units with too small a sample have no score and are left out."),
        "empty": "" if ranked else _("No unit of this group has a score this month."),
        "tall": len(ranked) > 12,
        "spec": {
            "kind": "bar",
            "categories": [row["unit"] for row in ranked],
            "series": [{"name": _("Score"), "data": [float(row["score"]) for row in ranked]}],
        },
        "table": {
            "head": [_("Unit"), _("Rank"), _("Score")],
            "rows": [
                {"label": row["unit"], "cells": [{"text": _text(row["rank"])}, {"text": row["score"]}]}
                for row in ranked
            ],
        },
    }


def rank_chart(group: dict, month: date, ranks: dict[date, dict[int, int | None]]) -> dict:
    """Each unit's rank in the published boards of the six months to `month` (rank 1 at the top); a month
    without a published board — the month itself while it is live — has no point."""
    months = trend_months(month)
    labels = [f"{m:%Y-%m}" for m in months]
    rows = group["rows"]
    series = [
        {"name": row["unit"], "data": [ranks.get(m, {}).get(row["unit_id"]) for m in months]} for row in rows
    ]
    published = [m for m in months if m in ranks]
    head = [
        label if m in ranks else _("%(month)s (not published)") % {"month": label}
        for m, label in zip(months, labels, strict=True)
    ]
    return {
        "id": f"chart-ranks-{group['group']}",
        "title": _("Rank over six months, %(group)s") % {"group": group["label"]},
        "note": _("From the published boards only; a month not published has no point."),
        "empty": ""
        if published
        else _("No board of these six months is published yet: the ranks show once one is."),
        "tall": True,
        "spec": {
            "kind": "line",
            "categories": labels,
            "series": series,
            "inverse": True,
            "min": 1,
            "max": max(len(rows), 1),
        },
        "table": {
            "head": [_("Unit"), *head],
            "rows": [
                {"label": s["name"], "cells": [{"text": _text(rank)} for rank in s["data"]]} for s in series
            ],
        },
    }


def board_charts(group: dict | None, month: date) -> list[dict]:
    """The charts of the group the board shows (none when it shows none)."""
    if not group:
        return []
    ranks = published_ranks(trend_months(month), group["group"])
    return [score_chart(group), rank_chart(group, month, ranks)]

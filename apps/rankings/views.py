from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, JSONField
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.exports import xlsx_response
from apps.investment.models import Lead
from apps.projects.models import Project
from apps.service.models import Request
from apps.units.models import Unit

from . import services
from .board import compare, compute_boards, month_bounds
from .computations import COMPUTATIONS, UNIT
from .models import Publication


def _month(request) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        chosen = date(today.year, today.month, 1)
    if chosen.year < 2000 or chosen > date(today.year, today.month, 1):
        chosen = date(today.year, today.month, 1)
    return chosen


def _previous(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _publications(month: date, group: str | None) -> tuple[dict[date, dict], list[Publication]]:
    """The boards of the current publications of the month and the one before it — with only `group`'s
    table when given: a province's published board holds thousands of cells — and every publication of the
    month (one query)."""
    board = F("board")
    if group:
        board = RawSQL(
            "jsonb_set(board, '{groups}', jsonb_path_query_array(board, '$.groups[*] ? (@.group == $g)', "
            "jsonb_build_object('g', %s::text)))",
            [group],
            output_field=JSONField(),
        )
    publications = list(
        Publication.objects.filter(month__in=[month, _previous(month)])
        .select_related("published_by")
        .defer("board")
        .annotate(shown=board)
        .order_by("-published_at")
    )
    current = {p.month: p for p in publications if p.is_current}
    return current, [p for p in publications if p.month == month]


def _decorated(month: date, group: str | None = None) -> tuple[dict, Publication | None, list[Publication]]:
    """The month's board with its rank changes, its current publication, and every publication of the
    month — of one peer group only when given. A month not published is computed live, both months in one
    round trip."""
    current, history = _publications(month, group)
    wanted = [m for m in (month, _previous(month)) if m not in current]
    live = compute_boards(wanted, [group] if group else None) if wanted else {}
    board, previous = (current[m].shown if m in current else live[m] for m in (month, _previous(month)))
    compare(board, previous)
    return board, current.get(month), history


def _decorate(board: dict, group: dict, month: date, viewer) -> None:
    """Ready one peer group of the board to show: its columns, each row's cells in column order with the
    link to the records behind them (none where `viewer` may not open them), its memo link and its list.
    Only the group the page shows: a province's board has thousands of cells."""
    names = {i["code"]: i for i in board["indicators"]}
    computations = _computations_of(board)
    start, end = month_bounds(month)
    links, opens = {}, {}
    for code in group["indicators"]:
        computation = COMPUTATIONS.get(computations.get(code, ""))
        links[code] = computation.drill(start, end) if computation else ""
        opens[code] = computation.opens if computation else (lambda user, unit_id: False)
    memo = reverse("rankings:memo", args=[0]).removesuffix("0/")  # one reversal for every row
    group["columns"] = [names[c] for c in group["indicators"]]
    for row in group["rows"]:
        unit = str(row["unit_id"])
        row["ordered"] = []
        for code in group["indicators"]:
            cell = dict(row["cells"].get(code, {"na": True}))
            cell["url"] = links[code].replace(UNIT, unit) if opens[code](viewer, row["unit_id"]) else ""
            row["ordered"].append(cell)
        row["memo_url"] = f"{memo}{unit}/?month={month:%Y-%m}"
        row["on_red"] = row["unit_id"] in group["red"]
        row["on_black"] = row["unit_id"] in group["black"]


def _computations_of(board: dict) -> dict[str, str]:
    """The computation behind each indicator of the board, for its drill-down links: as frozen with the board,
    or (boards published before it was frozen with them) as the indicator says now — read per request, never
    cached across requests, so a new or changed indicator links to its records at once."""
    frozen = {i["code"]: i["computation"] for i in board["indicators"] if "computation" in i}
    missing = [i["code"] for i in board["indicators"] if "computation" not in i]
    if missing:
        from .models import Indicator

        frozen.update(Indicator.objects.filter(code__in=missing).values_list("code", "computation"))
    return frozen


def _chosen_group(request) -> str:
    """The peer group the page shows (?group=, else the viewer's own unit's group, else the first): a
    province's board has hundreds of units, so the page shows one group at a time."""
    chosen = request.GET.get("group") or getattr(request.user.unit, "peer_group", "")
    return chosen if chosen in Unit.PeerGroup.values else Unit.PeerGroup.values[0]


def _group_of(board: dict, chosen: str) -> dict | None:
    groups = {g["group"]: g for g in board["groups"]}
    return groups.get(chosen) or next(iter(groups.values()), None)


def _board_context(request, month: date) -> dict:
    chosen = _chosen_group(request)
    board, publication, history = _decorated(month, chosen)
    if not board["groups"]:  # nothing ranked in that group: show the first group that is
        board, publication, history = _decorated(month)
    group = _group_of(board, chosen)
    if group:
        _decorate(board, group, month, request.user)
    return {
        "board": board,
        "group": group,
        # the tabs: every group the board ranks (a board published before it kept them: its groups)
        "peer_groups": board.get("peer_groups")
        or [{"group": g["group"], "label": g["label"], "units": len(g["rows"])} for g in board["groups"]],
        "month": month,
        "publication": publication,
        "history": history,
    }


def board_view(request):
    month = _month(request)
    context = _board_context(request, month)
    today = timezone.localdate()
    context.update(
        can_publish=request.user.has_perm("rankings.add_publication")
        and month < date(today.year, today.month, 1),
        can_republish=request.user.has_perm("rankings.change_publication"),
        previous=_previous(month),
        memo_links=True,
    )
    return render(request, "rankings/board.html", context)


def projector(request):
    month = _month(request)
    return render(request, "rankings/projector.html", _board_context(request, month))


@require_POST
def publish(request):
    if not request.GET.get("month"):
        messages.error(request, _("Choose the month to publish."))
        return redirect("rankings:board")
    month = _month(request)
    try:
        services.board_publish(month=month, by=request.user, reason=request.POST.get("reason", ""))
        messages.success(
            request, _("The board of %(month)s is published and frozen.") % {"month": f"{month:%Y-%m}"}
        )
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{request.path.replace('publish/', '')}?month={month:%Y-%m}")


def published(request):
    return render(
        request,
        "rankings/published.html",
        {
            # the list shows who published what when: not the boards (thousands of cells each)
            "publications": Publication.objects.select_related("published_by")
            .defer("board")
            .order_by("-month", "-published_at")
        },
    )


def export(request):
    month = _month(request)
    board, _pub, _history = _decorated(month)
    headers = ["同类分组", "排名", "单位", "得分", "名次变化"]
    codes = [i["code"] for i in board["indicators"]]
    names = {i["code"]: i["name"] for i in board["indicators"]}
    headers += [f"{names[c]}（值/得分）" for c in codes]
    rows = []
    for group in board["groups"]:
        for row in group["rows"]:
            cells = []
            for c in codes:
                cell = row["cells"].get(c)
                cells.append(
                    "" if cell is None else "不适用" if cell["na"] else f"{cell['value']} / {cell['points']}"
                )
            rows.append(
                [
                    group["label"],
                    row["rank"] or "",
                    row["unit"],
                    row["score"] or "",
                    "" if row.get("delta") is None else row["delta"],  # blank for a unit new to the board
                    *cells,
                ]
            )
    return xlsx_response(f"ranking-{month:%Y-%m}", headers, rows)


def memo(request, unit_id):
    """The pre-meeting memo of one unit: its figures and rank, worst indicators, overdue requests with their
    handlers, stale leads and red-light projects."""
    unit = get_object_or_404(Unit, pk=unit_id)
    if unit.pk != request.user.unit_id and not request.user.has_perm("accounts.view_all_units"):
        raise Http404
    month = _month(request)
    board, publication, _history = _decorated(month, unit.peer_group)  # a unit is ranked in its group
    row = group = None
    for g in board["groups"]:
        for r in g["rows"]:
            if r["unit_id"] == unit.pk:
                row, group = r, g
    worst = []
    if row:
        names = {i["code"]: i for i in board["indicators"]}
        for code, cell in row["cells"].items():
            if not cell["na"]:
                share = (
                    float(cell["points"]) / float(names[code]["weight"])
                    if float(names[code]["weight"])
                    else 1
                )
                worst.append((share, names[code], cell))
        worst.sort(key=lambda x: x[0])
    _start, end = month_bounds(month)
    year_projects = (
        Project.objects.filter(unit=unit).for_year(end.year)
        .with_progress(year=end.year, months=end.month, as_of=end).filter(light="red")
    )  # fmt: skip
    overdue = Request.objects.overdue().filter(handling_unit=unit).select_related("handler", "enterprise")
    context = {
        "unit": unit,
        "month": month,
        "row": row,
        "group": group,
        "worst": worst[:3],
        "overdue": overdue[:50],
        "stale": Lead.objects.filter(unit=unit).stale().select_related("owner")[:50],
        "red_projects": year_projects[:50],
        "publication": publication,
    }
    return render(request, "rankings/memo.html", context)

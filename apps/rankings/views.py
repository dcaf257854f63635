from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, JSONField
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exports import xlsx_response
from apps.core.replica import reads_from_replica
from apps.investment.models import Lead
from apps.units.models import Unit

from . import quality as quality_module
from . import services
from .board import compare, compute_boards, month_bounds, previous_month
from .charts import board_charts
from .computations import COMPUTATIONS, UNIT
from .memos import memos
from .models import Publication, PublishedMemo


def _month(request) -> date:
    """The month asked for (?month=YYYY-MM), else this month; a month that cannot be one (a typo, a year
    out of range, a month to come) is this month."""
    today = timezone.localdate()
    this_month = date(today.year, today.month, 1)
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        chosen = date(year, month, 1)
    except (ValueError, OverflowError):
        return this_month
    return chosen if chosen.year >= 2000 and chosen <= this_month else this_month


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
        Publication.objects.filter(month__in=[month, previous_month(month)])
        .select_related("published_by")
        .defer("board")
        .annotate(shown=board)
        .order_by("-published_at")
    )
    current = {p.month: p for p in publications if p.is_current}
    return current, [p for p in publications if p.month == month]


def _decorated(month: date, group: str | None = None) -> tuple[dict, Publication | None, list[Publication]]:
    """The month's board with its rank changes, its current publication, and every publication of the
    month — of one peer group only when given. A published month is read as frozen, rank changes and "why
    it moved" included; a month not published is computed live with the previous month (published, else
    live), both months in one round trip."""
    current, history = _publications(month, group)
    before = previous_month(month)
    if month in current:
        board = current[month].shown
        if "compared_with" not in board:
            # published before the comparison was frozen with the board: compared with the previous
            # month's publication only (frozen too), never with live figures that move
            compare(board, current[before].shown if before in current else None)
        return board, current[month], history
    wanted = [m for m in (month, before) if m not in current]
    live = compute_boards(wanted, [group] if group else None)
    board = live[month]
    compare(board, current[before].shown if before in current else live[before])
    return board, None, history


def _decorate(board: dict, group: dict, month: date, viewer) -> None:
    """Ready one peer group of the board to show: its columns, each row's cells in column order with the
    link to the records behind them (none where `viewer` may not open them, nor the amounts behind a rate in
    money), its memo link and its list.
    Only the group the page shows: a province's board has thousands of cells."""
    names = {i["code"]: i for i in board["indicators"]}
    computations = _computations_of(board)
    start, end = month_bounds(month)
    links, opens, money = {}, {}, {}
    for code in group["indicators"]:
        computation = COMPUTATIONS.get(computations.get(code, ""))
        links[code] = computation.drill(start, end) if computation else ""
        opens[code] = computation.opens if computation else (lambda user, unit_id: False)
        money[code] = computation.in_money if computation else True
    memo = reverse("rankings:memo", args=[0]).removesuffix("0/")  # one reversal for every row
    group["columns"] = [names[c] for c in group["indicators"]]
    for row in group["rows"]:
        unit = str(row["unit_id"])
        row["ordered"] = []
        for code in group["indicators"]:
            cell = dict(row["cells"].get(code, {"na": True}))
            may_open = opens[code](viewer, row["unit_id"])
            cell["url"] = links[code].replace(UNIT, unit) if may_open else ""
            if money[code] and not may_open:  # another unit's amounts: its rate only
                cell["num"] = cell["den"] = None
            row["ordered"].append(cell)
        # the memo opens for the unit's own people and district-wide readers: no link that would 404
        row["memo_url"] = f"{memo}{unit}/?month={month:%Y-%m}" if viewer.opens_unit(row["unit_id"]) else ""
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


@reads_from_replica
def board_view(request):
    month = _month(request)
    context = _board_context(request, month)
    today = timezone.localdate()
    context.update(
        can_publish=request.user.has_perm("rankings.add_publication")
        and month < date(today.year, today.month, 1),
        can_republish=request.user.has_perm("rankings.change_publication"),
        memo_links=True,
        charts=board_charts(context["group"], month),
    )
    return render(request, "rankings/board.html", context)


@reads_from_replica
def projector(request):
    month = _month(request)
    return render(request, "rankings/projector.html", _board_context(request, month))


def publish(request):
    """Publishing is irreversible (only an admin can republish, with a reason): GET shows what will be
    frozen — the month, what rank changes compare with, each group's first and last and its lists, the
    indicators and their versions — and POST publishes only when it carries that confirmation."""
    if not request.user.has_perm("rankings.add_publication"):
        raise PermissionDenied
    if not request.GET.get("month"):
        messages.error(request, _("Choose the month to publish."))
        return redirect("rankings:board")
    month = _month(request)
    board_url = f"{reverse('rankings:board')}?month={month:%Y-%m}"
    if request.method == "POST" and request.POST.get("confirm") == f"{month:%Y-%m}":
        try:
            services.board_publish(month=month, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(
                request, _("The board of %(month)s is published and frozen.") % {"month": f"{month:%Y-%m}"}
            )
            return redirect(board_url)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    publication = Publication.objects.filter(month=month, is_current=True).only("pk").first()
    if publication and not request.user.has_perm("rankings.change_publication"):
        raise PermissionDenied
    board = services.frozen_board(month)  # exactly what publishing would store now
    for group in board["groups"]:
        named = {r["unit_id"]: r["unit"] for r in group["rows"]}
        ranked = [r for r in group["rows"] if r["rank"] is not None]
        group["ranked"] = len(ranked)
        group["first"] = [r["unit"] for r in ranked if r["rank"] == 1]
        group["last"] = [r["unit"] for r in ranked if ranked and r["rank"] == ranked[-1]["rank"]]
        group["red_names"] = [named[pk] for pk in group["red"]]
        group["black_names"] = [named[pk] for pk in group["black"]]
        group["insufficient"] = sum(1 for r in group["rows"] if r.get("insufficient"))
    return render(
        request,
        "rankings/publish_confirm.html",
        {"board": board, "month": month, "publication": publication, "board_url": board_url},
    )


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
    """The month's board as a spreadsheet a secretariat can sort and sum: a title row saying whether it is
    published, a frozen header, one row per unit, numbers in numeric cells (each indicator's value and
    points in two columns), and the red/black list."""
    month = _month(request)
    board, publication, _history = _decorated(month)
    codes = [i["code"] for i in board["indicators"]]
    names = {
        i["code"]: f"{i['name']}（{i['measure']}）" if i["measure"] else i["name"]
        for i in board["indicators"]
    }
    headers = [_("Peer group"), _("Rank"), _("Unit"), _("Score"), _("Rank change"), _("List")]
    for code in codes:
        headers += [f"{names[code]} {_('value')}", f"{names[code]} {_('points')}"]
    listed = {"red": _("red list"), "black": _("black list")}
    rows = []
    for group in board["groups"]:
        for row in group["rows"]:
            cells = []
            for code in codes:
                cell = row["cells"].get(code)
                if cell is None:  # the indicator does not apply to the group
                    cells += [None, None]
                elif cell["na"]:
                    cells += [_("n/a"), None]
                else:
                    cells += [Decimal(cell["value"]), Decimal(cell["points"])]
            on = (
                "red"
                if row["unit_id"] in group["red"]
                else "black"
                if row["unit_id"] in group["black"]
                else ""
            )
            rows.append([
                group["label"],
                row["rank"],
                row["unit"],
                Decimal(row["score"]) if row["score"] is not None
                else _("Sample too small") if row.get("insufficient") else None,
                row.get("delta"),  # blank for a unit new to the board
                listed.get(on, ""),
                *cells,
            ])  # fmt: skip
    if publication:
        title = _("Ranking board %(month)s, published %(when)s") % {
            "month": f"{month:%Y-%m}",
            "when": f"{timezone.localtime(publication.published_at):%Y-%m-%d %H:%M}",
        }
    else:
        title = _("Ranking board %(month)s, live (not published): the figures still move") % {
            "month": f"{month:%Y-%m}"
        }
    return xlsx_response(
        f"ranking-{month:%Y-%m}",
        headers,
        rows,
        sheet_title=f"{month:%Y-%m}",
        title=title,
        widths=[12, 6, 16, 8, 8, 8] + [12, 8] * len(codes),
    )


def memo(request, unit_id):
    """The pre-meeting memo of one unit: its figures and rank, worst indicators, overdue requests with their
    handlers, stale leads and red-light projects — as frozen with the month's publication, else as of now."""
    unit = get_object_or_404(Unit, pk=unit_id)
    if not request.user.opens_unit(unit.pk):
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
    frozen = publication and PublishedMemo.objects.filter(publication=publication, unit=unit).first()
    # a published month's memo is the one frozen with it; one published without (before memos were
    # frozen, or a unit added since) has no lists rather than today's
    data = frozen.data if frozen else None if publication else memos([unit.pk], month)[unit.pk]
    stages = dict(Lead.Stage.choices)
    for lead in data["stale"] if data else []:
        lead["stage_label"] = stages.get(lead["stage"], lead["stage"])
    context = {
        "unit": unit,
        "month": month,
        "row": row,
        "group": group,
        "worst": worst[:3],
        "places": abs(row["delta"]) if row and row.get("delta") is not None else None,
        "memo": data,
        "frozen_at": frozen and publication.published_at,
        "publication": publication,
    }
    return render(request, "rankings/memo.html", context)


@reads_from_replica
def quality(request):
    """Signs of gaming, per unit, for a month (leaders): each figure with its definition and the lists of the
    requests it counts (apps/rankings/quality.py)."""
    if not request.user.has_perm("accounts.view_all_units"):
        raise PermissionDenied
    month = _month(request)
    return render(
        request,
        "rankings/quality.html",
        {"month": month, "signs": quality_module.SIGNS, "rows": quality_module.quality_table(month)},
    )

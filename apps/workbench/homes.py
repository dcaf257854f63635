"""The front page of each role, as plain data: what a staff member, a unit manager and a leader (驾驶舱) look
at first. Each home is read in one database round trip of the campaigns' roll-ups, published boards and
index-bounded counts (apps.core.batch), so it costs the same at any scale; a manager's live rank adds the
board's own computation of their peer group only.

Every number carries the link to the records it counts (a list with the filters that give exactly them) or,
where no list filters so, to the page that shows them (the to-do pages, the board, the memo). Figures keep the
campaigns' definitions: a month's requests closed are those received in it and closed by its end, as the
dashboard counts them; the current month's roll-up rows are the month so far (apps.core.periods.live_end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, JSONField, Q, Sum
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.core.batch import NOW, Aggregate, Rows, at, gather, reused, run
from apps.core.figures import pct
from apps.core.periods import month_end, month_start
from apps.core.querysets import pk_among
from apps.investment import selectors as investment
from apps.investment.models import LeadMonth
from apps.projects import selectors as projects
from apps.projects.models import ProjectMonth
from apps.rankings.board import compute_boards, previous_month
from apps.rankings.models import Publication
from apps.service import selectors as service
from apps.service.models import (
    OPEN_STATUSES,
    Concerns,
    Request,
    RequestMonth,
    Status,
    Visit,
    VisitAssignment,
    overdue_q,
)
from apps.units.models import Unit

SHOWN = 5  # items listed per card; the counts are whole
LOGGED_DAYS = 30  # a staff member's home shows the requests they logged in these last days
TREND_MONTHS = 6  # the leader's monthly trend: this month so far and the five before it
RANK_MONTHS = 6  # a manager's rank over the last published months

STAFF, MANAGER, LEADER = "staff", "manager", "leader"


def role_of(user) -> str:
    """Which home `user` gets, from their permissions (never a role's name)."""
    if user.has_perm("accounts.view_all_units"):
        return LEADER
    if user.has_perm("accounts.manage_unit") and user.unit_id:
        return MANAGER
    return STAFF


def home_for(user) -> tuple[str, dict]:
    role = role_of(user)
    return role, {STAFF: staff_home, MANAGER: manager_home, LEADER: leader_home}[role](user)


def manager_live(user, *, now: datetime | None = None) -> dict:
    """The manager's unit on this month's live board, drawn into the home after it (htmx): the board's
    computation of a peer group costs 20–45 ms at province scale, more than the whole home."""
    this_month = month_start(timezone.localdate(now or timezone.now()))
    unit = user.unit
    return {
        "live": live_rank(unit, this_month),
        "live_loaded": True,
        "this_month": this_month,
        "live_url": f"{reverse('rankings:board')}?month={this_month:%Y-%m}&group={unit.peer_group}",
    }


@dataclass
class _Urls:
    """The lists the homes link to, reversed once per page."""

    requests: str = field(default_factory=lambda: reverse("service:request_list"))
    request: str = field(
        default_factory=lambda: reverse("service:request_detail", args=[0]).removesuffix("0/")
    )
    visits: str = field(default_factory=lambda: reverse("service:visit_list"))
    visit: str = field(default_factory=lambda: reverse("service:visit_detail", args=[0]).removesuffix("0/"))
    record: str = field(default_factory=lambda: reverse("enterprise_record", args=[0]).removesuffix("0/"))


def _specs(**specs):
    """A plan that asks `specs` in one round and returns their results (to gather with selectors' plans)."""
    got = yield specs
    return got


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _local_day(value) -> date | None:
    """The Asia/Shanghai day of a timestamp as the batch returns it (ISO text)."""
    return timezone.localdate(datetime.fromisoformat(value)) if value else None


# --- staff -------------------------------------------------------------------------------------------------


def _my_items_links(user, urls: _Urls) -> dict:
    mine = f"{urls.requests}?handler={user.pk}"
    return {
        "open": reverse("service:todo"),
        "overdue": f"{mine}&overdue=true",
        "due_today": reverse("service:todo"),  # the to-do page counts and sorts them first
        "to_acknowledge": f"{mine}&status={Status.DISPATCHED}",
    }


def staff_home(user, *, now: datetime | None = None) -> dict:
    """A staff member's own work: their items due today, overdue and to acknowledge; the requests they logged
    in the last 30 days and where they stand; their recent visits and the visits they are asked to make."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    urls = _Urls()
    if not user.unit_id:  # nothing of their own to show
        return {"mine": None}
    since = today - timedelta(days=LOGGED_DAYS)
    # all composed once per process, user and day; the handler's counts are read at this moment (batch.at)
    got = run(
        _specs(mine=service.handler_counts(user, now), **_staff_day_specs(user.pk, user.unit_id, today))
    )
    statuses = dict(Status.choices)
    by_status = {row["status"]: row["n"] for row in got["logged"]}
    try:  # "Requests I logged", the list of them (service:logged_requests), filtered to the same days
        logged_url = f"{reverse('service:logged_requests')}?date_from={since:%Y-%m-%d}"
    except NoReverseMatch:  # pragma: no cover - a tree without that list: the counts show without links
        logged_url = ""
    return {
        "mine": got["mine"],
        "mine_links": _my_items_links(user, urls),
        "logged_since": since,
        "logged_total": sum(by_status.values()),
        "logged_url": logged_url,
        "logged": [
            {
                "status": s,
                "label": statuses[s],
                "n": by_status[s],
                "url": f"{logged_url}&status={s}" if logged_url else "",
            }
            for s in Status.values
            if by_status.get(s)
        ],
        "logged_last": [
            {
                "url": f"{urls.request}{r['pk']}/",
                "title": r["title"],
                "enterprise": r["enterprise_name"] or "",
                "status": r["status"],
                "label": statuses.get(r["status"], r["status"]),
                "overdue": r["status"] in OPEN_STATUSES
                and r["status"] != Status.PAUSED
                and r["close_due"] is not None
                and datetime.fromisoformat(r["close_due"]) < now,
            }
            for r in got["logged_last"]
        ],
        "visits_month": got["visits"]["month"],
        "visits_month_url": f"{urls.visits}?staff={user.pk}&date_from={month_start(today):%Y-%m-%d}",
        "visits_url": f"{urls.visits}?staff={user.pk}",
        "visits_last": [
            {
                "url": f"{urls.visit}{v['pk']}/",
                "on": _day(v["visited_on"]),
                "target": v["target_name"] or v["enterprise_name"] or "",
            }
            for v in got["visits_last"]
        ],
        "assigned": got["assigned"]["n"],
        "assigned_first": [
            {
                "url": f"{urls.record}{a['enterprise_id']}/",
                "enterprise": a["enterprise_name"],
                "due": _day(a["due_on"]),
                "late": _day(a["due_on"]) < today,
            }
            for a in got["assigned_first"]
        ],
        "todo_url": reverse("service:todo"),
    }


@reused
def _staff_day_specs(user_id: int, unit_id: int, today: date) -> dict:
    """What a staff member's home asks besides their open items: the requests they logged in the last
    LOGGED_DAYS days by status and the latest of them, their visits this month and the latest they went
    on, and the visits they are asked to make (batch.reused: composed once per process, user and day)."""
    since = today - timedelta(days=LOGGED_DAYS)
    logged = Request.objects.filter(logged_unit_id=unit_id, created_by_id=user_id, received_on__gte=since)
    went = Visit.staff.through.objects.filter(user_id=user_id)
    # visits they went on (their unit led or joined them), looked up by their ids from the staff link's
    # index: as a join, PostgreSQL hashed every visit of the district's month so far (11-19 ms at the end
    # of a month at province scale, against 3-5)
    visits = Visit.objects.filter(pk_among(went.values("visit_id")))
    assignments = VisitAssignment.objects.filter(assignee_id=user_id, unit_id=unit_id, visit__isnull=True)
    return {
        # count(*): counting ids would read each row from the table, not the index (request_logged_by)
        "logged": Rows(logged.values("status").annotate(n=Count("*")).order_by()),
        "logged_last": Rows(
            logged.order_by("-received_at", "-pk").values(
                "pk", "title", "status", "close_due", enterprise_name=F("enterprise__name")
            )[:SHOWN]
        ),
        "visits": Aggregate(visits.filter(visited_on__gte=month_start(today)), month=Count("pk")),
        # the last they logged themselves on: by the staff link's own index, no sort of their visits
        "visits_last": Rows(
            went.order_by("-visit_id").values(
                pk=F("visit_id"),
                visited_on=F("visit__visited_on"),
                target_name=F("visit__target_name"),
                enterprise_name=F("visit__enterprise__name"),
            )[:SHOWN]
        ),
        "assigned": Aggregate(assignments, n=Count("pk")),
        "assigned_first": Rows(
            assignments.order_by("due_on", "pk").values(
                "enterprise_id", "due_on", enterprise_name=F("enterprise__name")
            )[:SHOWN]
        ),
    }


# --- unit manager ------------------------------------------------------------------------------------------


def _published_ranks(unit_id: int) -> Rows:
    """The unit's row (rank, score, move) on the last RANK_MONTHS published boards, and how many units its
    group ranked that month."""
    row = RawSQL(
        "jsonb_path_query_first(board, '$.groups[*].rows[*] ? (@.unit_id == $u)', "
        "jsonb_build_object('u', %s)) - 'cells' - 'why'",
        [unit_id],
        output_field=JSONField(),
    )
    ranked = RawSQL(
        "jsonb_array_length(jsonb_path_query_array(board, '$.groups[*] ? (exists (@.rows[*] ? "
        "(@.unit_id == $u))).rows[*] ? (@.rank != null).rank', jsonb_build_object('u', %s)))",
        [unit_id],
        output_field=JSONField(),
    )
    publications = Publication.objects.filter(is_current=True).order_by("-month")
    return Rows(publications.values("month", row=row, ranked=ranked)[:RANK_MONTHS])


def live_rank(unit: Unit, month: date) -> dict | None:
    """The unit's rank on the live board of `month`, computed for its peer group only (as the board page
    computes the group it shows), or None when the unit is not ranked."""
    board = compute_boards([month], [unit.peer_group])[month]
    for group in board["groups"]:
        ranked = sum(1 for r in group["rows"] if r["rank"] is not None)
        for row in group["rows"]:
            if row["unit_id"] == unit.pk:
                return {"rank": row["rank"], "score": row["score"], "ranked": ranked,
                        "insufficient": row.get("insufficient", False)}  # fmt: skip
    return None


def manager_home(user, *, now: datetime | None = None, live: bool = False) -> dict:
    """A unit manager's desk: the unit's requests to dispatch, to assign, extensions to approve and closed
    ones to confirm (回访); its overdue items by handler; its rank on the last published boards (and with
    `live`, on the live board of this month: the page loads it after itself, `manager_live`); and the
    manager's own items."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    urls = _Urls()
    unit = user.unit
    # composed once per process and unit, and read at this moment (overdue is a condition of the moment)
    got = run(_specs(mine=service.handler_counts(user, now), **at(_manager_unit_specs(unit.pk), now)))
    this_month = month_start(today)
    board = reverse("rankings:board")
    memo = reverse("rankings:memo", args=[unit.pk])
    unit_list = f"{urls.requests}?handling_unit={unit.pk}"
    handlers = got["handlers"]
    by_handler = [
        {
            "name": row["name"] or row["login"],
            "n": row["overdue"],
            "url": f"{urls.requests}?handler={row['handler_id']}&overdue=true",
        }
        for row in handlers
        if row["handler_id"] and row["overdue"]
    ]
    unassigned = sum(row["overdue"] for row in handlers if not row["handler_id"])
    ranks = []
    for p in got["ranks"]:
        month = _day(p["month"])
        row = p["row"] or {}
        ranks.append(
            {
                "month": month,
                "rank": row.get("rank"),
                "score": row.get("score"),
                "ranked": p["ranked"],
                "move": row.get("move"),
                "delta": abs(row["delta"]) if row.get("delta") is not None else None,
                "insufficient": row.get("insufficient", False),
                "url": f"{board}?month={month:%Y-%m}&group={unit.peer_group}",
                "memo_url": f"{memo}?month={month:%Y-%m}",
            }
        )
    last_month = previous_month(this_month)
    published_last = next((r for r in ranks if r["month"] == last_month), None)
    return {
        "unit": unit,
        "mine": got["mine"],
        "mine_links": _my_items_links(user, urls),
        "queue": [
            {"key": "to_dispatch", "n": got["to_dispatch"]["n"], "url": reverse("service:dispatch_desk")},
            {
                "key": "to_assign",
                "n": sum(r["unassigned"] for r in handlers),
                "url": reverse("service:unit_todo"),
            },
            {
                "key": "extensions",
                "n": sum(r["extensions"] for r in handlers),
                "url": reverse("service:unit_todo"),
            },
            {
                "key": "to_confirm",
                "n": got["closed"]["to_confirm"],
                "url": f"{unit_list}&status={Status.CLOSED}",
            },
        ],
        "open": sum(row["n"] for row in handlers),
        "open_url": reverse("service:unit_todo"),
        "overdue": sum(row["overdue"] for row in handlers),
        "overdue_url": f"{unit_list}&overdue=true",
        "overdue_by_handler": by_handler,
        "overdue_unassigned": unassigned,
        "last_month": last_month,
        "published_last": published_last,
        "ranks": ranks,  # newest first
        "live": live_rank(unit, this_month) if live else None,
        "live_loaded": live,
        "live_url": f"{board}?month={this_month:%Y-%m}&group={unit.peer_group}",
        "live_memo_url": f"{memo}?month={this_month:%Y-%m}",
        "this_month": this_month,
    }


@reused
def _manager_unit_specs(unit_id: int) -> dict:
    """What a manager's desk asks of the unit, at the moment `NOW` (batch.reused: composed once per process
    and unit): its open items per handler, its closed requests waiting for the enterprise's feedback, the
    requests it logged that wait for a unit (its dispatch desk), and its rows on the last published boards."""
    return {
        # the open items per handler, read once from the index of the unit's open items (request_unit_open,
        # index-only): all, overdue (as `RequestQuerySet.overdue` says it), waiting for a handler, an
        # extension asked
        "handlers": Rows(
            Request.objects.filter(handling_unit_id=unit_id)
            .open()
            .values("handler_id")
            .annotate(
                n=Count("pk"),
                overdue=Count("pk", filter=overdue_q(NOW)),
                unassigned=Count("pk", filter=~Q(status=Status.NEW) & Q(handler__isnull=True)),
                extensions=Count("pk", filter=Q(pending_extension_days__gt=0)),
                name=F("handler__display_name"),
                login=F("handler__username"),
            )
            .order_by("-overdue", "handler_id")
        ),
        # counted by the status, which the (handling_unit, status) index holds: no request row is read
        # (a busy unit has tens of thousands closed, waiting for their feedback)
        "closed": Aggregate(
            Request.objects.filter(handling_unit_id=unit_id, status=Status.CLOSED), to_confirm=Count("status")
        ),
        "to_dispatch": Aggregate(
            Request.objects.filter(status=Status.NEW, logged_unit_id=unit_id), n=Count("pk")
        ),
        "ranks": _published_ranks(unit_id),
    }


# --- leader (驾驶舱) ----------------------------------------------------------------------------------------


def _months(today: date) -> list[date]:
    months = [month_start(today)]
    while len(months) < TREND_MONTHS:
        months.append(previous_month(months[-1]))
    return months  # newest first


def _board_ends() -> Rows:
    """The first and last units of each group on the latest published board: each group's ranked rows slimmed
    to unit and rank in the database (a province's board holds thousands of cells)."""
    slim = RawSQL(
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('group', g->'group', 'rows', "
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('unit', r->'unit', 'unit_id', r->'unit_id', "
        "'rank', r->'rank', 'score', r->'score')), '[]') FROM jsonb_array_elements(g->'rows') r "
        "WHERE r->'rank' <> 'null'::jsonb))), '[]') FROM jsonb_array_elements(board->'groups') g)",
        [],
        output_field=JSONField(),
    )
    latest = Publication.objects.filter(is_current=True).order_by("-month")
    return Rows(latest.values("month", groups=slim)[:1])


@reused
def _leader_day_specs(today: date) -> dict:
    """What the cockpit asks that depends on the day, so built and composed once a day (batch.reused): the
    district's month-by-month figures from the roll-ups — requests received in the month and of those closed
    by its end (dashboard definitions), investment completed in the month, leads signed in it — the year's
    earlier months, and the latest published board; and the overdue requests at the moment `NOW`."""
    months = _months(today)
    first, last = months[-1], months[0]
    year = today.year
    year_months = [m for m in months if m.year == year]
    received = RequestMonth.objects.filter(
        district=True, concerns=Concerns.ENTERPRISE, month__gte=first, month__lte=last
    )
    by_end = Q(closed_month__isnull=False, closed_month__lte=F("month"))
    years = {m.year for m in months}
    invested = ProjectMonth.objects.filter(
        Q(*[Q(year=m.year, month=m.month) for m in months], _connector=Q.OR) | Q(year__in=years, month=0)
    )
    signed = LeadMonth.objects.filter(district=True, signed_month__gte=first, signed_month__lte=last)
    # the months of this year before the trend's first: the year-to-date figures add them
    earlier = RequestMonth.objects.filter(
        district=True, concerns=Concerns.ENTERPRISE, month__gte=date(year, 1, 1), month__lt=year_months[-1]
    )
    signed_year = LeadMonth.objects.filter(
        district=True, signed_month__gte=date(year, 1, 1), signed_month__lte=months[0]
    )
    key_overdue = Request.objects.overdue(NOW).filter(concerns=Concerns.ENTERPRISE, enterprise__is_key=True)
    return {
        "key_overdue_first": Rows(
            key_overdue.order_by("close_due", "pk").values(
                "pk",
                "title",
                "close_due",
                enterprise_name=F("enterprise__name"),
                unit=F("handling_unit__short_name"),
            )[:SHOWN]
        ),
        # counted from the (status, close_due) index alone; of key enterprises only the oldest are listed:
        # counting them joins every overdue request to its enterprise (~100 ms at province scale), and the
        # request list has no key-enterprise filter to open them by
        "overdue": Aggregate(Request.objects.overdue(NOW), n=Count("close_due")),
        "earlier": Aggregate(earlier, received=Sum("n"), closed_now=Sum("closed")),
        "signed_year": Aggregate(signed_year, n=Sum("n"), wan=Sum("signed_wan")),
        "board": _board_ends(),
        "requests": Rows(
            received.values("month")
            .annotate(received=Sum("n"), closed_by_end=Sum("closed", filter=by_end), closed_now=Sum("closed"))
            .order_by()
        ),
        "invested": Rows(
            invested.values("year", "month")
            .annotate(wan=Sum("invested_wan"), plan=Sum("plan_wan"))
            .order_by()
        ),
        "signed": Rows(signed.values("signed_month").annotate(n=Sum("n"), wan=Sum("signed_wan")).order_by()),
    }


def _yi(wan) -> Decimal:
    return (Decimal(wan or 0) / 10000).quantize(Decimal("0.01"), ROUND_HALF_UP)


def leader_home(user, *, now: datetime | None = None) -> dict:
    """The district leader's cockpit: the district's figures month by month (this month so far and the five
    before it) and this year so far; the first and last of each group on the latest published board; overdue
    requests of key enterprises; red-light projects; the investment pipeline. Every number opens its
    records."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    urls = _Urls()
    months = _months(today)
    year = today.year
    year_months = [m for m in months if m.year == year]
    got = run(
        gather(
            own=_specs(**at(_leader_day_specs(today), now)),  # the overdue requests: as of this moment
            projects=projects.year_plan(end=today),
            pipeline=investment.pipeline_plan(today),
        )
    )
    own = got["own"]
    requests = {_day(r["month"]): r for r in own["requests"]}
    invested = {(r["year"], r["month"]): r for r in own["invested"]}
    signed = {_day(r["signed_month"]): r for r in own["signed"]}
    dashboard = reverse("dashboard")
    leads = reverse("investment:lead_list")
    trend = []
    for m in months:
        end = min(month_end(m), today)
        period = f"date_from={m:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
        r = requests.get(m, {})
        n, closed = r.get("received") or 0, r.get("closed_by_end") or 0
        s = signed.get(m, {})
        plan = Decimal(invested.get((m.year, 0), {}).get("plan") or 0)
        done = Decimal(invested.get((m.year, m.month), {}).get("wan") or 0)
        listed = f"{urls.requests}?concerns={Concerns.ENTERPRISE}&{period}"
        trend.append(
            {
                "month": m,
                "so_far": m == month_start(today),
                "requests": n,
                "requests_url": listed,
                "closed": closed,
                "closed_url": f"{listed}&closed_by={end:%Y-%m-%d}",
                "closure_rate": pct(closed, n),
                "rate_url": f"{dashboard}?from={m:%Y-%m-%d}&to={end:%Y-%m-%d}",
                "invested_wan": done,
                "invested_yi": _yi(done),
                "invested_share": pct(done, plan) if plan else None,
                "invested_url": f"{reverse('projects:list')}?year={m.year}&as_of={end:%Y-%m-%d}",
                "signed": s.get("n") or 0,
                "signed_wan": Decimal(s.get("wan") or 0),
                "signed_yi": _yi(s.get("wan")),
                "signed_url": f"{leads}?signed_from={m:%Y-%m-%d}&signed_to={end:%Y-%m-%d}",
            }
        )
    # this year so far: received from 1 January, closed by today (the dashboard's default period)
    year_start = date(year, 1, 1)
    year_n = (own["earlier"]["received"] or 0) + sum(
        requests.get(m, {}).get("received") or 0 for m in year_months
    )
    year_closed = (own["earlier"]["closed_now"] or 0) + sum(
        requests.get(m, {}).get("closed_now") or 0 for m in year_months
    )
    year_listed = (
        f"{urls.requests}?concerns={Concerns.ENTERPRISE}"
        f"&date_from={year_start:%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    )
    projects_url = f"{reverse('projects:list')}?year={year}&as_of={today:%Y-%m-%d}"
    stocks = got["projects"]
    bands = got["pipeline"]
    pipeline = f"{leads}?open_at={today:%Y-%m-%d}&band="
    return {
        "today": today,
        "year": year,
        "trend": trend,
        "year_requests": year_n,
        "year_requests_url": year_listed,
        "year_closed": year_closed,
        "year_closed_url": f"{year_listed}&closed_by={today:%Y-%m-%d}",
        "year_closure_rate": pct(year_closed, year_n),
        "year_rate_url": dashboard,
        "year_signed": own["signed_year"]["n"] or 0,
        "year_signed_yi": _yi(own["signed_year"]["wan"]),
        "year_signed_url": f"{leads}?signed_from={year_start:%Y-%m-%d}&signed_to={today:%Y-%m-%d}",
        "completed_yi": _yi(stocks["completed_wan"]),
        "completion_rate": stocks["completion_rate_pct"],
        "time_elapsed": stocks["time_elapsed_pct"],
        "ahead_pp": stocks["ahead_pp"],
        "projects": stocks["projects"],
        "projects_url": projects_url,
        "red": stocks["lights_red"],
        "red_url": f"{projects_url}&light=red",
        "pipeline": sum(bands.values()),
        "pipeline_url": f"{pipeline}1%2B",
        "bands": [
            {"key": "big", "n": bands.get("big", 0), "url": f"{pipeline}50"},
            {"key": "mid", "n": bands.get("mid", 0), "url": f"{pipeline}10"},
            {"key": "small", "n": bands.get("small", 0), "url": f"{pipeline}1"},
        ],
        "overdue": own["overdue"]["n"],
        "overdue_url": f"{urls.requests}?overdue=true",
        "key_overdue_first": [
            {
                "url": f"{urls.request}{r['pk']}/",
                "title": r["title"],
                "enterprise": r["enterprise_name"] or "",
                "unit": r["unit"] or "",
                "days_over": (today - _local_day(r["close_due"])).days,
            }
            for r in own["key_overdue_first"]
        ],
        "board": _board_summary(own["board"]),
        "dashboard_url": dashboard,
    }


def _board_summary(rows: list[dict]) -> dict | None:
    """The latest published board's first and last units per peer group, in the groups' order."""
    if not rows:
        return None
    month = _day(rows[0]["month"])
    board, memo = reverse("rankings:board"), reverse("rankings:memo", args=[0]).removesuffix("0/")
    labels = dict(Unit.PeerGroup.choices)
    groups = {g["group"]: g["rows"] for g in rows[0]["groups"] or []}
    result = []
    for group, label in Unit.PeerGroup.choices:
        ranked = groups.get(group) or []
        if not ranked:
            continue
        worst = max(r["rank"] for r in ranked)

        def named(rank, ranked=ranked):
            return [
                {"unit": r["unit"], "score": r["score"], "url": f"{memo}{r['unit_id']}/?month={month:%Y-%m}"}
                for r in ranked
                if r["rank"] == rank
            ]

        result.append(
            {
                "group": group,
                "label": labels.get(group, label),
                "ranked": len(ranked),
                "first": named(1),
                "last": named(worst) if worst != 1 else [],
                "url": f"{board}?month={month:%Y-%m}&group={group}",
            }
        )
    return {"month": month, "groups": result, "url": f"{board}?month={month:%Y-%m}"}

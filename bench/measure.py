"""The in-process parts of the benchmark (Django is set up by bench/run.py against the bench database)."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import date, timedelta

import requests as http
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count, Max, Min
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.models import User
from apps.enterprises.models import Enterprise
from apps.enterprises.views import EnterpriseListView, EnterpriseRow
from apps.projects.models import MonthlyReport, Project
from apps.projects.views import ProjectListView, ProjectRow
from apps.rankings.models import Publication
from apps.rankings.services import board_publish
from apps.service import services
from apps.service.models import Category, Request, RequestEvent, Visit
from apps.service.views.common import table_values
from apps.service.views.requests import RequestListView
from apps.units.models import Unit
from apps.workbench.figures import campaign_values


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def prepare() -> dict:
    """The users, sessions and page URLs the benchmark uses (a leader sees the whole district)."""
    leader, created = User.objects.get_or_create(
        username="bench_leader", defaults={"display_name": "基准测试领导", "is_active": True}
    )
    if created:
        leader.set_password("Jiangbei@2024")
        leader.save()
    leader.groups.add(Group.objects.get(name=roles.LEADER))
    busiest = (
        Request.objects.values("handling_unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["handling_unit_id"]
    )
    unit = Unit.objects.get(pk=busiest)
    staff = User.objects.filter(unit=unit, groups__name=roles.STAFF, is_active=True).order_by("pk").first()
    cookies = {"leader": _session(leader), "staff": _session(staff)}
    today = timezone.localdate()  # the district's day (Asia/Shanghai), as the pages see it
    last_month_end = today.replace(day=1) - timedelta(days=1)
    year_ago = (last_month_end.replace(day=1) - timedelta(days=335)).replace(day=1)
    requests_url = reverse("service:request_list")
    total = Request.objects.count()
    filtered = f"handling_unit={unit.pk}&status=closed"
    # the enterprise with the longest record (most requests), whichever unit it belongs to
    enterprise = (
        Request.objects.filter(enterprise__isnull=False)
        .values("enterprise_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("enterprise_id", flat=True)
        .first()
    )

    # The district publishes each month's board at its monthly meeting: the month before last is published,
    # so last month's live board computes one month (its rank changes compare with the published one).
    # And the latest month that, like the month before it, was never published: both computed.
    def month_before(month):
        return (month - timedelta(days=1)).replace(day=1)

    before_last = month_before(last_month_end.replace(day=1))
    published = set(Publication.objects.filter(is_current=True).values_list("month", flat=True))
    if before_last not in published:
        board_publish(month=before_last, by=leader, reason="bench")
    unpublished = month_before(before_last)
    while unpublished in published or month_before(unpublished) in published:
        unpublished = month_before(unpublished)
    groups = Unit.objects.active().values("peer_group").annotate(n=Count("id")).order_by("-n")
    largest = groups[0]["peer_group"]
    board = reverse("rankings:board")
    pages = {
        "dashboard, 12 months": (
            f"{reverse('dashboard')}?from={year_ago:%Y-%m-%d}&to={last_month_end:%Y-%m-%d}",
            "leader",
        ),
        "dashboard, month to date": (
            f"{reverse('dashboard')}?from={today.replace(day=1):%Y-%m-%d}&to={today:%Y-%m-%d}",
            "leader",
        ),
        "ranking board": (f"{board}?month={last_month_end:%Y-%m}", "leader"),
        "ranking board, largest group": (f"{board}?month={last_month_end:%Y-%m}&group={largest}", "leader"),
        "ranking board, previous month not published": (f"{board}?month={unpublished:%Y-%m}", "leader"),
        "figures API, 12 months": (
            f"{reverse('figures_api')}?from={year_ago:%Y-%m-%d}&to={last_month_end:%Y-%m-%d}",
            "leader",
        ),
        "My to-do": (reverse("service:todo"), "staff"),
        "request list, first page": (requests_url, "leader"),
        "request list, last page": (f"{requests_url}?page=last", "leader"),
        "request list, filtered, first page": (f"{requests_url}?{filtered}", "leader"),
        "request list, filtered, last page": (f"{requests_url}?{filtered}&page=last", "leader"),
        "project list": (reverse("projects:list"), "leader"),
        "enterprise record": (reverse("enterprise_record", args=[enterprise]), "leader"),
    }
    counts = {
        "units": Unit.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "visits": Visit.objects.count(),
        "requests": total,
        "request events": RequestEvent.objects.count(),
        "projects": Project.objects.count(),
        "monthly reports": MonthlyReport.objects.count(),
    }
    return {
        "leader": leader,
        "staff": staff,
        "unit": unit,
        "cookies": cookies,
        "pages": pages,
        "counts": ", ".join(f"{v:,} {k}" for k, v in counts.items()),
        "period": (year_ago, last_month_end),
    }


def profile_pages(world: dict, runs: int = 5) -> dict:
    """Per page: queries, SQL time and page time (medians of `runs`), in-process."""
    result = {}
    for name, (path, who) in world["pages"].items():
        client = Client()
        client.cookies["sessionid"] = world["cookies"][who].split("=", 1)[1]
        client.get(path)
        pages, sqls, counts = [], [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                pages.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            sqls.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            counts.append(len(captured))
        page, sql = statistics.median(pages), statistics.median(sqls)
        ratio = page / sql if sql else None
        result[name] = {"queries": max(counts), "page_ms": page, "sql_ms": sql, "ratio": ratio}
    return result


def board_phases(world: dict, runs: int = 9) -> dict:
    """Per ranking-board page, in-process (medians of `runs`): its figures (the boards computed from the
    roll-ups, SQL included, and made ready to show) and drawing them (the template)."""
    from apps.rankings import views as board_views

    result = {}
    for name, (path, _who) in world["pages"].items():
        if not name.startswith("ranking board"):
            continue
        request = RequestFactory().get(path)
        request.user = world["leader"]
        month = board_views._month(request)
        figures, drawing = [], []
        for _ in range(runs):
            started = time.perf_counter()
            context = board_views._board_context(request, month)
            computed = time.perf_counter()
            context.update(memo_links=True)
            render_to_string("rankings/board.html", context, request=request)
            figures.append((computed - started) * 1000)
            drawing.append((time.perf_counter() - computed) * 1000)
        rows = len(context["group"]["rows"]) if context["group"] else 0
        result[name] = {
            "figures": statistics.median(figures),
            "drawing": statistics.median(drawing),
            "rows": rows,
        }
    return result


def _orm_vs_raw(build, runs: int = 15) -> dict:
    """`build()` returns a queryset; ORM = evaluating it (the rows it gives: values, tuples or model
    instances); raw = the same SQL fetched."""
    orm, raw = [], []
    for _ in range(runs):
        qs = build()
        started = time.perf_counter()
        list(qs)
        orm.append((time.perf_counter() - started) * 1000)
        sql, params = build().query.sql_with_params()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        raw.append((time.perf_counter() - started) * 1000)
    o, r = statistics.median(orm), statistics.median(raw)
    return {"orm": o, "raw": r, "ratio": o / r if r else None}


def _list_queryset(view_class, user, query: str = ""):
    request = RequestFactory().get("/?" + query)
    request.user = user
    view = view_class()
    view.setup(request)
    view.kwargs = {}
    qs = view.get_queryset()
    return lambda: qs.all()[:50]


def _request_rows(user):
    """The request list's own row statement: its page's shown columns as values (`table_values`, what the
    page's table reads), not model instances of every column, which the page does not build."""
    page = _list_queryset(RequestListView, user)
    return lambda: table_values(page())


def _table_rows(view_class, user):
    """A list's own row statement: its page's shown columns as its table reads them (`table_of`: the row
    class's columns, as tuples), not model instances of every column, which the page does not build."""
    page, row_class = _list_queryset(view_class, user), _ROW_CLASSES[view_class]
    return lambda: page().values_list(*row_class.columns)


_ROW_CLASSES = {ProjectListView: ProjectRow, EnterpriseListView: EnterpriseRow}


def hot_queries(world: dict) -> dict:
    leader = world["leader"]
    result = {
        "request list page (50 rows)": _orm_vs_raw(_request_rows(leader)),
        "project list page (50 rows)": _orm_vs_raw(_table_rows(ProjectListView, leader)),
        "enterprise list page (50 rows)": _orm_vs_raw(_table_rows(EnterpriseListView, leader)),
    }
    start, end = world["period"]
    orm, raw = [], []
    for _ in range(15):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            campaign_values(start=start, end=end, unit_id=None)
            orm.append((time.perf_counter() - started) * 1000)
        (query,) = captured.captured_queries
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(query["sql"])  # the SQL as sent, parameters inlined by the driver
            cursor.fetchall()
        raw.append((time.perf_counter() - started) * 1000)
    o, r = statistics.median(orm), statistics.median(raw)
    result["dashboard figures, 12 months (one batched SELECT)"] = {"orm": o, "raw": r, "ratio": o / r}
    return result


def _csrf(session: http.Session, url: str) -> str:
    session.get(url)
    return session.cookies.get("csrftoken", "")


#: The pages that compute the district's figures (from the roll-ups, on every request).
FIGURE_PAGES = (
    "dashboard, 12 months",
    "dashboard, month to date",
    "ranking board",
    "ranking board, largest group",
    "figures API, 12 months",
)


def write_interval(world: dict) -> float:
    """Seconds between two writes at the dataset's own pace: its requests, their events and its visits spread
    over its span's working hours (21 days × 9 hours a month)."""
    first, last = Request.objects.aggregate(first=Min("received_on"), last=Max("received_on")).values()
    months = max(1, (last.year - first.year) * 12 + last.month - first.month + 1)
    writes = Request.objects.count() + RequestEvent.objects.count() + Visit.objects.count()
    return months * 21 * 9 * 3600 / writes


def while_writing(run_wrk, world: dict, seconds: int) -> dict:
    """Figure pages under wrk while another connection writes at the dataset's pace through the services —
    a request logged and dispatched, then acknowledged, in turn — so the roll-ups the pages read move under
    them: what a reader sees during a working day."""
    interval = write_interval(world)
    stop = threading.Event()
    written = [0]
    staff, unit = world["staff"], world["unit"]
    enterprise = Enterprise.objects.filter(unit=unit).order_by("pk").first()
    category = Category.objects.filter(is_active=True).order_by("pk").first()

    def writer():
        logged = None
        try:
            while not stop.wait(interval):
                if logged is None:
                    logged = services.request_create(
                        by=staff,
                        enterprise=enterprise,
                        category=category,
                        title="基准测试写入",
                        handling_unit=unit,
                    )
                else:
                    services.request_transition(request=logged, action="acknowledge", by=staff)
                    logged = None
                written[0] += 1
        finally:
            connection.close()

    result = {}
    for name in FIGURE_PAGES:
        path, who = world["pages"][name]
        stop.clear()
        written[0] = 0
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            result[name] = {**run_wrk(path, world["cookies"][who], seconds), "writes": written[0]}
        finally:
            stop.set()
            thread.join()
    return {"interval": interval, "pages": result}


def write_paths(base: str, world: dict, n: int) -> dict:
    """Log a visit with 3 requests, and acknowledge a request, `n` times each over HTTP as the staff user."""
    unit = world["unit"]
    session = http.Session()
    session.cookies.set("sessionid", world["cookies"]["staff"].split("=", 1)[1])
    form_url = base + reverse("service:visit_create")
    token = _csrf(session, form_url)
    enterprise = Enterprise.objects.visible_to(world["staff"]).order_by("pk").first()
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    visits = {"ms": [], "failures": 0}
    for i in range(n):
        data = {
            "csrfmiddlewaretoken": token,
            "visited_on": date.today().isoformat(),
            "enterprise": enterprise.pk,
            "lead_unit": unit.pk,
            "mode": "on_site",
            "summary": f"基准测试走访 {i}",
            "requests-TOTAL_FORMS": 3,
            "requests-INITIAL_FORMS": 0,
            "requests-MIN_NUM_FORMS": 0,
            "requests-MAX_NUM_FORMS": 30,
        }
        for j in range(3):
            data |= {
                f"requests-{j}-category": category.pk,
                f"requests-{j}-title": f"基准测试诉求 {i}-{j}",
                f"requests-{j}-urgency": "normal",
                f"requests-{j}-handling_unit": unit.pk,
            }
        started = time.perf_counter()
        response = session.post(form_url, data=data, headers={"Referer": form_url}, allow_redirects=False)
        visits["ms"].append((time.perf_counter() - started) * 1000)
        if response.status_code != 302 or "login" in response.headers.get("Location", ""):
            visits["failures"] += 1
    acks = {"ms": [], "failures": 0}
    dispatched = Request.objects.filter(handling_unit=unit, status="dispatched").order_by("-pk")
    pending = list(dispatched.values_list("pk", "version")[:n])
    for pk, version in pending:
        url = base + reverse("service:request_act", args=[pk])
        data = {
            "csrfmiddlewaretoken": token,
            "action": "acknowledge",
            "expected_status": "dispatched",
            "expected_version": version,
        }
        started = time.perf_counter()
        response = session.post(url, data=data, headers={"Referer": url}, allow_redirects=False)
        acks["ms"].append((time.perf_counter() - started) * 1000)
        if response.status_code != 302 or Request.objects.get(pk=pk).status != "acknowledged":
            acks["failures"] += 1
    return {"log a visit with 3 requests": visits, "acknowledge a request (transition)": acks}

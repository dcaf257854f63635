"""Everyday pages as staff, unit manager and leader, before and after a change, in one run.

    .venv/bin/python bench/pages.py --before /tmp/jianbei-before          # a checkout of the older code
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/pages.py --before … --seconds 4

Both trees serve the same database (the province one by default: `make bench SIZE=province` makes it), each
with its own gunicorn (2 × cores + 1 sync workers, DEBUG off). For every list — request list, My to-do, unit
to-do, dispatch desk, visit, project, lead and enterprise lists; first page, last page and filtered — and for
the visit form and the home page, as each role that opens it (staff and manager of the busiest unit, a
leader), and the request and visit lists, My to-do and the home page as the staff of a unit in the middle
(the median number of requests: the busiest unit's list is the district list order's first entries, most
units' are not):

1. over HTTP with wrk, one connection, before and after in turn (A B A B): p50 and p99;
2. the request list with twelve connections, as staff (the busiest unit's and a middle one's) and as
   leader: requests/s, before and after;
3. in-process, in this tree (medians): page time, queries and bytes, and the page's *floor* —
   the same 50 visible rows fetched (their shown columns) and drawn by a bare template — so page ÷ floor
   says how much work the page does beyond what it must.

The report goes to bench/reports/pages-<time>.md and the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the tree being measured: this one, or --before's when run there


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", help="a checkout of the code to compare with (its own .venv not needed)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per page and tree, per round")
    parser.add_argument("--in-process", metavar="PAGES_JSON", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- the pages and their floors (run in-process, after django.setup) -------------------------------------


def prepare() -> dict:
    """The three users (staff and manager of the busiest unit, a leader), their sessions and the pages."""
    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.test import Client

    from apps.accounts import roles
    from apps.accounts.models import User
    from apps.service.models import Request

    busiest = (
        Request.objects.values("handling_unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["handling_unit_id"]
    )
    leader, created = User.objects.get_or_create(
        username="bench_leader", defaults={"display_name": "基准测试领导", "is_active": True}
    )
    leader.groups.add(Group.objects.get(name=roles.LEADER))
    people = {
        "staff": User.objects.filter(unit_id=busiest, groups__name=roles.STAFF, is_active=True).order_by(
            "pk"
        )[0],
        "manager": User.objects.filter(unit_id=busiest, groups__name=roles.UNIT_MANAGER, is_active=True)
        .order_by("pk")
        .first(),
        "leader": leader,
    }
    # and a unit in the middle: the busiest unit's list is the district's list order's first entries, where
    # most units' lists are not (read as the OR of its arms, a page of theirs cost 2-4 times the busiest's)
    units = (
        Request.objects.exclude(handling_unit=None)
        .values("handling_unit_id")
        .annotate(n=Count("id"))
        .order_by("n", "handling_unit_id")
        .values_list("handling_unit_id", flat=True)
    )
    middle = list(units)[len(units) // 2]
    people[MIDDLE] = User.objects.filter(unit_id=middle, groups__name=roles.STAFF, is_active=True).order_by(
        "pk"
    )[0]
    cookies = {}
    for role, user in people.items():
        client = Client()
        client.force_login(user)
        cookies[role] = client.cookies["sessionid"].value
    # a piece of an enterprise's name, searched as a user searches it (generated: 扬州扬子瑞健康股份有限公司)
    named = Request.objects.filter(handling_unit_id=busiest).exclude(enterprise=None).order_by("-received_at")
    term = quote(named.values_list("enterprise__name", flat=True).first()[2:6])
    pages = []
    for role in ("staff", "manager", "leader"):
        unit = people["staff"].unit_id
        lists = [
            ("request list", "/service/requests/", ""),
            ("request list", "/service/requests/", "status=closed"),
            ("request list", "/service/requests/", f"q={term}"),
            ("visit list", "/service/visits/", ""),
            ("visit list", "/service/visits/", "mode=phone"),
            ("project list", "/projects/", ""),
            ("lead list", "/investment/leads/", ""),
            ("enterprise list", "/enterprises/", ""),
            ("enterprise list", "/enterprises/", f"unit={unit}"),
        ]
        for name, path, query in lists:
            for end in ("first", "last"):
                page = "&page=last" if end == "last" else ""
                url = f"{path}?{query}{page}".replace("?&", "?").rstrip("?")
                kind = ", searched" if query.startswith("q=") else ", filtered" if query else ""
                label = f"{name}{kind}, {end} page"
                pages.append({"name": label, "url": url, "role": role, "floor": floor_spec(name, query, end)})
        pages.append(
            {"name": "My to-do", "url": "/service/todo/", "role": role, "floor": floor_spec("My to-do")}
        )
        if role != "staff":
            pages.append({"name": "unit to-do", "url": "/service/unit-todo/", "role": role,
                          "floor": floor_spec("unit to-do")})  # fmt: skip
            pages.append({"name": "dispatch desk", "url": "/service/dispatch/", "role": role,
                          "floor": floor_spec("dispatch desk")})  # fmt: skip
        pages.append({"name": "visit form", "url": "/service/visits/new/", "role": role, "floor": None})
        pages.append({"name": "home page", "url": "/", "role": role, "floor": None})
    for name, url, query, end in (
        ("request list", "/service/requests/", "", "first"),
        ("request list", "/service/requests/?page=last", "", "last"),
        ("request list", "/service/requests/?status=closed", "status=closed", "first"),
        ("visit list", "/service/visits/", "", "first"),
        # its staff serve on few task forces: a project list that walks the district's projects shows here
        ("project list", "/projects/", "", "first"),
    ):
        label = f"{name}{', filtered' if query else ''}, {end} page"
        pages.append({"name": label, "url": url, "role": MIDDLE, "floor": floor_spec(name, query, end)})
    todo = floor_spec("My to-do")
    pages.append({"name": "My to-do", "url": "/service/todo/", "role": MIDDLE, "floor": todo})
    pages.append({"name": "home page", "url": "/", "role": MIDDLE, "floor": None})
    return {"users": {role: user.pk for role, user in people.items()}, "cookies": cookies, "pages": pages}


MIDDLE = "staff, middle unit"  # the staff of the unit with the median number of requests


def floor_spec(name: str, query: str = "", end: str = "first") -> dict:
    return {"list": name, "query": query, "end": end}


def floor_rows(spec: dict, user) -> list[dict]:
    """The 50 rows the page shows, their shown columns only, by the same visibility rule."""
    from apps.enterprises.models import Enterprise
    from apps.investment.models import Lead
    from apps.projects.models import Project
    from apps.service.models import Request, Visit

    name, query, last = spec["list"], spec["query"], spec["end"] == "last"
    request_columns = ("id", "title", "status", "enterprise__name", "category__name",
                       "handling_unit__short_name", "handler__display_name", "received_at")  # fmt: skip
    if name == "request list":
        rows = Request.objects.visible_to(user).order_by("-received_at", "-id")
        if query.startswith("q="):  # searched: by title or enterprise name, as the list searches
            from apps.service.filters import text_or_enterprise

            rows = rows.filter(text_or_enterprise("title", unquote(query[2:])))
        elif query:
            rows = rows.filter(status="closed")
        columns = request_columns
    elif name in ("My to-do", "unit to-do"):
        mine = {"handler": user} if name == "My to-do" else {"handling_unit_id": user.unit_id}
        rows, columns = Request.objects.open().filter(**mine).order_by("close_due", "id"), request_columns
    elif name == "dispatch desk":
        rows = Request.objects.filter(status="new").order_by("received_at", "id")
        if not user.has_perm("accounts.view_all_units"):
            rows = rows.filter(logged_unit_id=user.unit_id)
        columns = (
            "id",
            "title",
            "enterprise__name",
            "category__name",
            "received_at",
            "logged_unit__short_name",
        )
    elif name == "visit list":
        rows = Visit.objects.visible_to(user).order_by("-visited_on", "-id")
        rows = rows.filter(mode="phone") if query else rows
        columns = (
            "id",
            "visited_on",
            "enterprise__name",
            "target_name",
            "lead_unit__short_name",
            "mode",
            "summary",
        )
    elif name == "project list":
        rows = Project.objects.visible_to(user).order_by("code")
        columns = ("id", "code", "name", "unit__short_name", "stage", "total_investment")
    elif name == "lead list":
        rows = Lead.objects.visible_to(user).order_by("-created_at", "-id")
        columns = ("id", "name", "investor", "stage", "expected_wan", "unit__short_name")
    else:  # enterprise list
        rows = Enterprise.objects.order_by("name", "id")
        rows = rows.filter(unit_id=user.unit_id) if query else rows
        columns = ("id", "name", "credit_code", "unit__short_name", "is_key")
    arms = Visit.objects.visible_arms(user) if name == "visit list" else None
    if name == "request list" and not query:  # read as the list reads it unfiltered: its arms' union,
        from apps.service.selectors import busy_units  # unless the unit is busy (RequestListView)

        arms = None if user.unit_id in busy_units() else Request.objects.visible_arms(user)
    if arms and len(arms) > 1:  # read as the list reads them: one index per arm (OrderedUnion), not the OR
        from apps.core.querysets import OrderedUnion

        within = None if query else rows.model.objects.all()  # unfiltered, the arms are the rule, split
        union = OrderedUnion(rows, arms, within=within)
        rows = (union.reverse() if last else union)[:50]
    elif last:
        rows = rows.reverse()
    return list(rows.values(*columns)[:50])


FLOOR_TEMPLATE = (
    "<table><tbody>{% for row in rows %}<tr>{% for value in row.values %}<td>{{ value }}</td>{% endfor %}"
    "</tr>{% endfor %}</tbody></table>"
)


def in_process(pages_json: str, runs: int = 7) -> dict:
    """Per page: the median page time, its queries and bytes (this tree); its floor (when it has one)."""
    from django.conf import settings
    from django.db import connection
    from django.template import Context, Template
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    world = json.loads(Path(pages_json).read_text())
    users = {role: User.objects.get(pk=pk) for role, pk in world["users"].items()}
    bare = Template(FLOOR_TEMPLATE)
    result = {}
    for page in world["pages"]:
        client = Client()
        client.cookies["sessionid"] = world["cookies"][page["role"]]
        client.get(page["url"])
        times, queries = [], 0
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(page["url"])
                times.append((time.perf_counter() - started) * 1000)
            queries = max(queries, len(captured))
        entry = {"status": response.status_code, "ms": statistics.median(times), "queries": queries,
                 "kb": len(response.content) / 1024}  # fmt: skip
        if page["floor"] is not None:
            floors = []
            user = users[page["role"]]
            for _ in range(runs):
                started = time.perf_counter()
                bare.render(Context({"rows": floor_rows(page["floor"], user)}))
                floors.append((time.perf_counter() - started) * 1000)
            entry["floor_ms"] = statistics.median(floors)
        result[f"{page['role']}|{page['name']}"] = entry
    return result


# --- the run ---------------------------------------------------------------------------------------------


WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn's sync workers per tree


def serve(tree: Path, port: int, env: dict, static: Path) -> subprocess.Popen:
    tree_env = {**env, "DJANGO_STATIC_ROOT": str(static)}
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=tree, env=tree_env, check=True
    )
    gunicorn = [
        str(Path(PY).parent / "gunicorn"),
        "jianbei.wsgi",
        "-w",
        str(WORKERS),
        "-b",
        f"127.0.0.1:{port}",
    ]
    return subprocess.Popen(
        gunicorn, cwd=tree, env=tree_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def main() -> None:
    args = parse_args()
    url = args.database_url or "postgres://postgres@127.0.0.1:5432/jianbei_bench_province"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 60),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "jianbei.settings",
    }
    os.environ.update(env)
    if args.in_process:
        import django

        django.setup()
        print(json.dumps(in_process(args.in_process)))
        return
    import django

    from bench.run import wait_for, wrk

    django.setup()
    world = prepare()
    work = Path(tempfile.mkdtemp(prefix="jianbei-bench-pages-"))
    pages_json = work / "pages.json"
    pages_json.write_text(json.dumps(world))
    trees = {"after": ROOT}
    if args.before:
        trees = {"before": Path(args.before).resolve(), "after": ROOT}
    ports = {label: 8781 + i for i, label in enumerate(trees)}
    servers = {
        label: serve(tree, ports[label], env, work / f"static-{label}") for label, tree in trees.items()
    }
    http: dict[str, dict[str, list[dict]]] = {label: {} for label in trees}
    throughput: dict[str, dict[str, dict]] = {label: {} for label in trees}
    try:
        for label in trees:
            wait_for(f"http://127.0.0.1:{ports[label]}/healthz")
        for page in world["pages"]:
            key = f"{page['role']}|{page['name']}"
            cookie = f"sessionid={world['cookies'][page['role']]}"
            # warm-up: each worker compiles the page's templates and composes its reused queries once; with
            # one connection a worker could meet the page first in the measured run (p99 300+ ms)
            for label in trees:
                wrk(f"http://127.0.0.1:{ports[label]}{page['url']}", cookie, seconds=1, clients=WORKERS + 1)
            for _round in range(2):  # A B A B
                for label in trees:
                    got = wrk(f"http://127.0.0.1:{ports[label]}{page['url']}", cookie, seconds=args.seconds)
                    http[label].setdefault(key, []).append(got)
            print(
                key,
                {label: [round(r["p50"] or 0, 1) for r in http[label][key]] for label in trees},
                flush=True,
            )
        for role in ("staff", MIDDLE, "leader"):
            cookie = f"sessionid={world['cookies'][role]}"
            for label in trees:
                throughput[label][role] = wrk(
                    f"http://127.0.0.1:{ports[label]}/service/requests/",
                    cookie,
                    seconds=args.seconds * 2,
                    clients=12,
                )
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    (work / "http.json").write_text(
        json.dumps({"http": http, "throughput": throughput})
    )  # kept if below fails
    out = (
        subprocess.run(  # this tree only: the floor is the same rows for both, the before is in the HTTP rows
            [PY, str(ROOT / "bench" / "pages.py"), "--in-process", str(pages_json)],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT), "DJANGO_STATIC_ROOT": str(work / "static-after")},
            capture_output=True,
            text=True,
        )
    )
    if out.returncode:
        raise SystemExit(f"in-process measures failed (HTTP results kept in {work}):\n{out.stderr[-3000:]}")
    measured = {"after": json.loads(out.stdout.strip().splitlines()[-1])}
    report = render(world, trees, http, throughput, measured, args)
    out = ROOT / "bench" / "reports" / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {out.relative_to(ROOT)})")


def render(world, trees, http, throughput, measured, args) -> str:
    def f(value, digits=1):
        return "—" if value is None else f"{value:.{digits}f}"

    def p50(label, key):
        rounds = http[label].get(key, [])
        return statistics.mean(r["p50"] for r in rounds) if rounds else None

    def p99(label, key):
        rounds = http[label].get(key, [])
        return max(r["p99"] for r in rounds) if rounds else None

    labels = list(trees)
    lines = [
        f"# Everyday pages — {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {os.cpu_count()} cores; gunicorn {2 * (os.cpu_count() or 1) + 1} sync workers per tree,"
        " DEBUG off;"
        f" wrk one connection, {args.seconds} s × 2 rounds per page and tree, taken in turn"
        + (f" (before: `{trees['before']}`)" if "before" in trees else "")
        + ".",
        "",
        "p50/p99: HTTP, ms. page/floor: in-process medians — the page ÷ the same 50 rows fetched and drawn"
        " by a bare template (this tree's visibility rules, for both).",
        "",
    ]
    head = "| role | page |" + "".join(f" {label} p50 | {label} p99 |" for label in labels)
    head += " after ÷ before p50 |" if "before" in labels else ""
    head += " queries | KB | page ms | floor ms | page ÷ floor |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for page in world["pages"]:
        key = f"{page['role']}|{page['name']}"
        row = f"| {page['role']} | {page['name']} |"
        for label in labels:
            row += f" {f(p50(label, key))} | {f(p99(label, key))} |"
        if "before" in labels:
            before, after = p50("before", key), p50("after", key)
            row += f" {f(after / before, 2) if before and after else '—'} |"
        m = measured["after"][key]
        floor = m.get("floor_ms")
        ratio = f(m["ms"] / floor, 1) if floor else "—"
        bad = "" if m["status"] == 200 else f" (status {m['status']})"
        row += f" {m['queries']} | {f(m['kb'], 0)} | {f(m['ms'])}{bad} | {f(floor)} | {ratio} |"
        lines.append(row)
    lines += ["", "## Request list, twelve connections (requests/s)", ""]
    lines += ["| role |" + "".join(f" {label} |" for label in labels), "|---|" + "---|" * len(labels)]
    for role in ("staff", MIDDLE, "leader"):
        lines.append(
            f"| {role} |" + "".join(f" {f(throughput[label][role]['rps'], 0)} |" for label in labels)
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

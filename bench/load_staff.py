"""Load test: many staff members logging visits and moving requests at once, against a running server.

    .venv/bin/python bench/load_staff.py --base-url http://127.0.0.1:8000 --clients 50 --seconds 120

Each simulated staff member signs in (as one of the database's staff accounts, in turn), then, until the
time is up: opens the visit form, posts a visit with one request handled by its own unit (CSRF token and
all), opens the visit, and moves the request through acknowledge → first contact → close. Every visit's
summary and request's title carry a marker unique to the run, the client and the iteration.

At the end it checks, in the database the server uses (the same settings: DATABASE_URL or the embedded
server), that there was no 5xx answer, that the visits and requests in the database are exactly the ones
the clients saw created (none lost, none twice) and that each request's event history is exactly the moves
its client saw succeed. It exits 1 when any check fails.

It only targets this machine (a loopback address) and stops by itself: after --seconds, or after
--max-iterations per client. The rows it writes stay in the database (marked `[load-<run>]`): run it on a
development database, not on one with real records.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 60
# The moves each client makes on the request it logged, with the status it expects before each.
MOVES = [
    ("acknowledge", "dispatched", {}),
    ("contact", "acknowledged", {}),
    ("close", "in_progress", {"outcome": "solved", "answer": "已协调解决并答复企业（压测）"}),
]
INITIAL_EVENTS = ["create", "dispatch"]  # a request logged with its handling unit is dispatched at once
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_LINK = re.compile(r'href="/service/requests/(\d+)/"')
VISIT_URL = re.compile(r"/service/visits/(\d+)/$")


def check_loopback(base_url: str) -> None:
    """Refuse any target that is not this machine."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SystemExit(f"Not an http(s) URL: {base_url!r}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except socket.gaierror as exc:
        raise SystemExit(f"Cannot resolve {parts.hostname!r}: {exc}") from exc
    outside = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if outside:
        raise SystemExit(f"Refusing to load {parts.hostname!r}: it resolves to non-loopback {outside}.")


@dataclass
class Account:
    username: str
    unit_id: int
    enterprise_id: int


@dataclass
class ClientReport:
    index: int
    account: str
    visits: list[int] = field(default_factory=list)  # pks of the visits this client saw created
    requests: dict[int, list[str]] = field(default_factory=dict)  # request pk -> moves seen succeeding
    statuses: Counter = field(default_factory=Counter)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)


class StaffClient:
    def __init__(self, index: int, account: Account, args, marker: str, category_id: int, deadline: float):
        self.report = ClientReport(index, account.username)
        self.account, self.args, self.marker = account, args, marker
        self.category_id, self.deadline = category_id, deadline
        self.base = args.base_url.rstrip("/")
        self.http = requests.Session()
        self.http.cookies.set("django_language", "en")  # to read the confirmation messages

    def call(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, timeout=TIMEOUT_SECONDS, **kwargs)
        self.report.timings[kind].append(time.perf_counter() - started)
        self.report.statuses[response.status_code] += 1
        for earlier in response.history:
            self.report.statuses[earlier.status_code] += 1
        if response.status_code >= 500 or any(r.status_code >= 500 for r in response.history):
            self.report.problems.append(f"{kind}: HTTP {response.status_code} on {method} {path}")
        return response

    def token(self, response) -> str:
        match = CSRF_INPUT.search(response.text)
        if match is None:
            raise RuntimeError(f"no CSRF token on {response.url} (HTTP {response.status_code})")
        return match.group(1)

    def sign_in(self) -> None:
        page = self.call("login page", "GET", "/accounts/login/")
        data = {
            "csrfmiddlewaretoken": self.token(page),
            "username": self.account.username,
            "password": self.args.password,
        }
        response = self.call("sign in", "POST", "/accounts/login/", data=data)
        if urlsplit(response.url).path.startswith("/accounts/"):
            raise RuntimeError(f"{self.account.username} could not sign in (ended on {response.url})")

    def log_visit(self, iteration: int) -> int | None:
        tag = f"{self.marker} c{self.report.index:03d} n{iteration:05d}"
        form = self.call("visit form", "GET", f"/service/visits/new/?enterprise={self.account.enterprise_id}")
        data = {
            "csrfmiddlewaretoken": self.token(form),
            "visited_on": date.today().isoformat(),
            "enterprise": self.account.enterprise_id,
            "lead_unit": self.account.unit_id,
            "mode": "on_site",
            "summary": f"{tag} 压测走访",
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-MIN_NUM_FORMS": "0",
            "requests-MAX_NUM_FORMS": "30",
            "requests-0-category": self.category_id,
            "requests-0-title": f"{tag} 压测诉求",
            "requests-0-description": "",
            "requests-0-urgency": "normal",
            "requests-0-handling_unit": self.account.unit_id,
        }
        response = self.call("log visit", "POST", "/service/visits/new/", data=data, allow_redirects=False)
        match = VISIT_URL.search(response.headers.get("Location", ""))
        if response.status_code != 302 or match is None:
            self.report.problems.append(f"visit not logged: HTTP {response.status_code}")
            return None
        visit_pk = int(match.group(1))
        self.report.visits.append(visit_pk)
        detail = self.call("visit page", "GET", f"/service/visits/{visit_pk}/")
        found = sorted({int(pk) for pk in REQUEST_LINK.findall(detail.text)})
        if len(found) != 1:
            self.report.problems.append(f"visit {visit_pk}: {len(found)} request links instead of 1")
            return None
        self.report.requests[found[0]] = []
        return found[0]

    def move(self, request_pk: int, action: str, expected: str, extra: dict) -> bool:
        page = self.call("request page", "GET", f"/service/requests/{request_pk}/")
        data = {
            "csrfmiddlewaretoken": self.token(page),
            "action": action,
            "expected_status": expected,
            **extra,
        }
        response = self.call("transition", "POST", f"/service/requests/{request_pk}/act/", data=data)
        if "msg-success" in response.text and "Done:" in response.text:
            self.report.requests[request_pk].append(action)
            return True
        self.report.problems.append(
            f"request {request_pk}: {action} not confirmed (HTTP {response.status_code})"
        )
        return False

    def run(self) -> ClientReport:
        try:
            self.sign_in()
            for iteration in range(self.args.max_iterations):
                if time.monotonic() >= self.deadline:
                    break
                request_pk = self.log_visit(iteration)
                if request_pk is None:
                    continue
                for action, expected, extra in MOVES:
                    if time.monotonic() >= self.deadline or not self.move(
                        request_pk, action, expected, extra
                    ):
                        break
        except (requests.RequestException, RuntimeError) as exc:
            self.report.problems.append(f"stopped: {exc}")
        return self.report


def setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianbei.settings")
    import django

    django.setup()


def pick_accounts(usernames: list[str]) -> tuple[list[Account], int]:
    """Active staff accounts (each with an enterprise of its unit to visit) and a request category."""
    from apps.accounts import roles
    from apps.accounts.models import User
    from apps.accounts.two_factor import REQUIRED_GROUP
    from apps.enterprises.models import Enterprise
    from apps.service.models import Category

    users = User.objects.filter(is_active=True, unit__isnull=False, groups__name=roles.STAFF).exclude(
        groups__name=REQUIRED_GROUP
    )
    if usernames:
        users = users.filter(username__in=usernames)
    accounts = []
    for user in users.order_by("username").distinct():
        enterprise = Enterprise.objects.filter(unit_id=user.unit_id).order_by("pk").first()
        if enterprise is not None:
            accounts.append(Account(user.username, user.unit_id, enterprise.pk))
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    if not accounts or category is None:
        raise SystemExit("No staff account with an enterprise, or no request category: load the demo data.")
    return accounts, category.pk


def verify(marker: str, reports: list[ClientReport]) -> list[str]:
    """What the database holds for this run against what the clients saw; returns the differences."""
    from apps.service.models import Request, RequestEvent, Visit

    failures = []
    tag = re.compile(re.escape(marker) + r" c(\d{3}) n\d{5}")
    db_visits: dict[int, list[int]] = defaultdict(list)
    for pk, summary in Visit.objects.filter(summary__startswith=marker).values_list("pk", "summary"):
        db_visits[int(tag.match(summary).group(1))].append(pk)
    db_requests: dict[int, list[int]] = defaultdict(list)
    for pk, title in Request.objects.filter(title__startswith=marker).values_list("pk", "title"):
        db_requests[int(tag.match(title).group(1))].append(pk)
    events: dict[int, list[str]] = defaultdict(list)
    for request_id, action in (
        RequestEvent.objects.filter(request__title__startswith=marker)
        .order_by("request_id", "at", "pk")
        .values_list("request_id", "action")
    ):
        events[request_id].append(action)
    for report in reports:
        seen, stored = sorted(report.visits), sorted(db_visits.pop(report.index, []))
        if seen != stored:
            failures.append(f"client {report.index}: visits seen {len(seen)}, in the database {len(stored)}")
        seen, stored = sorted(report.requests), sorted(db_requests.pop(report.index, []))
        if seen != stored:
            failures.append(
                f"client {report.index}: requests seen {len(seen)}, in the database {len(stored)}"
            )
        for pk, moves in report.requests.items():
            if events.get(pk, []) != INITIAL_EVENTS + moves:
                failures.append(f"request {pk}: events {events.get(pk)} but the client saw {moves}")
    for index in sorted(set(db_visits) | set(db_requests)):
        failures.append(f"client {index}: rows in the database that no client reported")
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="a server on this machine")
    parser.add_argument("--clients", type=int, default=50, help="simulated staff members (default 50)")
    parser.add_argument("--seconds", type=float, default=120, help="how long to run (default 120)")
    parser.add_argument("--max-iterations", type=int, default=10_000, help="visits per client at most")
    parser.add_argument("--password", help="the staff accounts' password (default: the demo's)")
    parser.add_argument(
        "--users", default="", help="comma-separated usernames (default: every staff account)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 3600:
        parser.error("--clients must be 1 to 500 and --seconds at most 3600")
    check_loopback(args.base_url)
    setup_django()
    from bench.run import percentile
    from seeds.district import DEMO_PASSWORD

    args.password = args.password or DEMO_PASSWORD
    accounts, category_id = pick_accounts([u for u in args.users.split(",") if u])

    marker = f"[load-{uuid.uuid4().hex[:8]}]"
    print(f"{args.clients} clients for {args.seconds:g} s against {args.base_url}, run {marker}, ", end="")
    print(f"{len(accounts)} staff accounts")
    started = time.monotonic()
    deadline = started + args.seconds
    clients = [
        StaffClient(i, accounts[i % len(accounts)], args, marker, category_id, deadline)
        for i in range(args.clients)
    ]
    reports: list[ClientReport | None] = [None] * len(clients)

    def run(i):
        reports[i] = clients[i].run()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.seconds + 2 * TIMEOUT_SECONDS + 30)
    elapsed = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        print("FAIL: some clients did not stop")
        return 1
    reports = [r for r in reports if r is not None]

    statuses = sum((r.statuses for r in reports), Counter())
    timings: dict[str, list[float]] = defaultdict(list)
    for report in reports:
        for kind, values in report.timings.items():
            timings[kind].extend(values)
    total = sum(statuses.values())
    print(f"\n{total} HTTP answers in {elapsed:.1f} s ({total / elapsed:.1f}/s)", end="; ")
    print(f"statuses {dict(sorted(statuses.items()))}")
    print(f"{'step':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind, values in sorted(timings.items()):
        print(
            f"{kind:<14}{len(values):>7}{statistics.median(values) * 1000:>9.0f}"
            f"{percentile(values, 95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
        )
    visits = sum(len(r.visits) for r in reports)
    logged = sum(len(r.requests) for r in reports)
    moves = sum(len(m) for r in reports for m in r.requests.values())
    print(f"\nclients saw created: {visits} visits, {logged} requests, {moves} moves")

    failures = []
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    if server_errors:
        failures.append(f"{server_errors} answers with a 5xx status")
    for report in reports:
        failures += [f"client {report.index} ({report.account}): {p}" for p in report.problems[:5]]
    failures += verify(marker, reports)
    if failures:
        print(f"FAIL ({len(failures)}):")
        for line in failures[:50]:
            print("  " + line)
        return 1
    print("OK: no 5xx; the database holds exactly the visits, requests and moves the clients saw")
    return 0


if __name__ == "__main__":
    sys.exit(main())

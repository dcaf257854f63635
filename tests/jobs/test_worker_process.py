"""The real `manage.py worker`, as a subprocess, against the test database: a job survives its worker.
Every other test runs jobs eagerly or with run_queued(): only this one needs a worker, and starts its own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from apps.jobs.models import Alert

from .sample_tasks import slow_alert

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    # the embedded server is reached through a socket directory, given as OPTIONS["host"] (%-encoded here)
    host = quote(s.get("HOST") or s["OPTIONS"].get("host") or "", safe="")
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def _start_worker() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "JIANBEI_JOBS_EAGER": "false"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--housekeeping", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for(predicate, timeout: float, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker.stdout.read().decode()}")
        time.sleep(0.1)
    pytest.fail("timed out waiting for the worker")


def _status(result_id) -> str:
    return DBTaskResult.objects.get(pk=result_id).status


# about 7 s here (two workers' start-up, a 2 s job, the flushed test database restored): in `make test`
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_killed_with_its_worker_runs_to_the_end_once_on_the_next_worker(settings):
    settings.JOBS_EAGER = False
    result = slow_alert.enqueue(message="ran", seconds=2)

    first = _start_worker()
    try:
        _wait_for(lambda: _status(result.id) == "RUNNING", 30, first)
        first.send_signal(signal.SIGKILL)  # no goodbye: the machine died
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _status(result.id) == "RUNNING" and not Alert.objects.exists()

    second = _start_worker()
    try:
        _wait_for(lambda: _status(result.id) == "SUCCESSFUL", 40, second)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    row = DBTaskResult.objects.get(pk=result.id)
    assert len(row.worker_ids) == 2  # the killed attempt and the one that finished
    assert list(Alert.objects.values_list("message", flat=True)) == ["ran"]  # written once

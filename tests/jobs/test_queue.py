"""The queue on top of django-tasks-db: retries with back-off, the dead-letter list, orphaned jobs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.jobs import RetryPolicy, run_queued
from apps.jobs.models import FailedJob, Job
from apps.jobs.queue import hold_worker_lock, recover_orphans
from tests.conftest import client_for

from .sample_tasks import flaky

T0 = datetime(2024, 10, 8, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() answers what the test sets."""
    state = {"now": T0}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def test_back_off_doubles_from_the_base_and_stops_at_the_cap():
    policy = RetryPolicy(max_attempts=9, backoff=timedelta(seconds=30), max_backoff=timedelta(minutes=5))
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_a_failed_attempt_waits_its_back_off_then_succeeds(db, clock):
    result = flaky.enqueue(key="once", fail_times=1)  # eager: attempt 1 runs now and fails
    row = DBTaskResult.objects.get(pk=result.id)
    assert (row.status, len(row.worker_ids)) == ("READY", 1)
    assert row.run_after == T0 + timedelta(seconds=30)
    assert "attempt 1 fails" in row.traceback

    assert run_queued(now=T0 + timedelta(seconds=29)) == 0  # not before its back-off
    clock["now"] = T0 + timedelta(seconds=30)
    assert run_queued() == 1
    row.refresh_from_db()
    assert (row.status, row.return_value, len(row.worker_ids)) == ("SUCCESSFUL", 2, 2)
    assert not FailedJob.objects.filter(status="FAILED").exists()


def test_spent_attempts_end_in_the_failed_list_which_an_admin_sees_and_retries(db, clock, admin_user):
    result = flaky.enqueue(key="always", fail_times=99)
    row = DBTaskResult.objects.get(pk=result.id)
    clock["now"] = T0 + timedelta(seconds=30)
    assert run_queued() == 1  # attempt 2 fails: waits 60 s more
    row.refresh_from_db()
    assert (row.status, row.run_after) == ("READY", T0 + timedelta(seconds=90))
    clock["now"] = T0 + timedelta(seconds=90)
    assert run_queued() == 1  # attempt 3 of 3 fails: dead letter
    row.refresh_from_db()
    assert (row.status, len(row.worker_ids)) == ("FAILED", 3)
    assert run_queued(now=T0 + timedelta(days=1)) == 0  # never retried by itself

    admin = client_for(admin_user)
    page = admin.get("/admin/jobs/failedjob/")
    assert page.status_code == 200
    assert "tests.jobs.sample_tasks.flaky" in page.content.decode()
    response = admin.post(
        "/admin/jobs/failedjob/", {"action": "retry", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.worker_ids) == ("READY", [])


def test_a_manager_cannot_see_or_retry_failed_jobs(db, clock, manager_a):
    flaky.using(run_after=T0 + timedelta(days=1)).enqueue(key="x", fail_times=0)
    row = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=row.pk).update(status="FAILED")
    client = client_for(manager_a)
    assert client.get("/admin/jobs/failedjob/").status_code in (302, 403)
    client.post("/admin/jobs/failedjob/", {"action": "retry", "_selected_action": [str(row.pk)]})
    row.refresh_from_db()
    assert row.status == "FAILED"


def _running(worker_ids):
    result = flaky.using(run_after=T0 + timedelta(days=1)).enqueue(key="orphan", fail_times=0)
    row = DBTaskResult.objects.get(pk=result.id)
    DBTaskResult.objects.filter(pk=row.pk).update(status="RUNNING", worker_ids=worker_ids)
    return row


def test_a_job_whose_worker_died_goes_back_to_the_queue_and_a_live_workers_job_stays(db, clock):
    orphan = _running(["gone-worker"])
    live_connection = hold_worker_lock("live-worker")
    try:
        alive = _running(["live-worker"])
        assert recover_orphans() == 1
    finally:
        live_connection.close()
    orphan.refresh_from_db()
    alive.refresh_from_db()
    assert (orphan.status, orphan.run_after) == ("READY", T0)
    assert alive.status == "RUNNING"


def test_an_orphan_on_its_last_attempt_is_dead_lettered(db, clock):
    orphan = _running(["w1", "w2", "w3"])  # flaky allows 3 attempts
    assert recover_orphans() == 1
    orphan.refresh_from_db()
    assert (orphan.status, orphan.exception_class_path) == ("FAILED", "apps.jobs.queue.WorkerLost")


def test_an_eager_job_that_breaks_the_transaction_is_recorded_and_the_caller_carries_on(db, clock):
    from apps.jobs.models import PeriodicRun

    from .sample_tasks import breaks_the_transaction

    result = breaks_the_transaction.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    assert (row.status, len(row.worker_ids)) == ("READY", 1)  # retried after its back-off
    assert row.exception_class_path == "django.db.utils.IntegrityError"
    assert PeriodicRun.objects.count() == 0  # its writes rolled back; the caller's transaction still works


def test_pruning_keeps_failed_jobs_and_recent_files_and_deletes_the_old(db, clock, staff_a):
    from django.core.files.storage import default_storage

    from apps.jobs.models import Job, PeriodicRun
    from apps.jobs.services import job_finish, job_start
    from apps.jobs.tasks import jobs_prune

    old_ok = flaky.enqueue(key="old", fail_times=0)  # succeeds at T0
    dead = flaky.using(run_after=T0 + timedelta(days=1)).enqueue(key="dead", fail_times=0)
    DBTaskResult.objects.filter(pk=dead.id).update(status="FAILED", finished_at=T0)
    old_job, new_job = job_start(user=staff_a, title="old"), job_start(user=staff_a, title="new")
    job_finish(job=old_job, content=b"old", filename="old.xlsx")
    PeriodicRun.objects.create(name="x", slot=T0)
    clock["now"] = T0 + timedelta(days=29)  # 1 day old at the pruning
    job_finish(job=new_job, content=b"new", filename="new.xlsx")

    clock["now"] = T0 + timedelta(days=30, seconds=1)
    assert jobs_prune.call() == {"results": 1, "jobs": 1, "slots": 0}
    assert not DBTaskResult.objects.filter(pk=old_ok.id).exists()
    assert DBTaskResult.objects.get(pk=dead.id).status == "FAILED"  # the dead letter stays
    assert list(Job.objects.values_list("title", flat=True)) == ["new"]
    assert not default_storage.exists(old_job.file) and default_storage.exists(new_job.file)


def test_a_job_page_stops_waiting_when_its_worker_died_on_the_last_attempt(db, clock, staff_a):
    """The user's Job row (its progress page) is failed with the queue's row, not left running for ever."""
    job = Job.objects.create(user=staff_a, title="导出", status=Job.Status.RUNNING)
    orphan = _running(["w1", "w2", "w3"])
    kwargs = {**orphan.args_kwargs["kwargs"], "job_id": str(job.pk)}
    DBTaskResult.objects.filter(pk=orphan.pk).update(args_kwargs={"args": [], "kwargs": kwargs})
    assert recover_orphans() == 1
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (Job.Status.FAILED, T0)
    assert job.message


def test_a_job_whose_worker_died_early_keeps_waiting_for_its_retry(db, clock, staff_a):
    job = Job.objects.create(user=staff_a, title="导出", status=Job.Status.RUNNING)
    orphan = _running(["w1"])
    kwargs = {**orphan.args_kwargs["kwargs"], "job_id": str(job.pk)}
    DBTaskResult.objects.filter(pk=orphan.pk).update(args_kwargs={"args": [], "kwargs": kwargs})
    assert recover_orphans() == 1
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (Job.Status.RUNNING, None)

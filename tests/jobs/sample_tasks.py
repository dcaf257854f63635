"""Tasks for the queue's tests (importable by path, as a worker imports every task)."""

import time
from datetime import timedelta

from apps.jobs import job
from apps.jobs.models import Alert

CALLS: list[str] = []


@job(max_attempts=3, backoff=timedelta(seconds=30))
def flaky(*, key: str, fail_times: int) -> int:
    """Fails its first `fail_times` runs for `key`, then returns the attempt number."""
    CALLS.append(key)
    attempt = CALLS.count(key)
    if attempt <= fail_times:
        raise RuntimeError(f"{key}: attempt {attempt} fails")
    return attempt


@job(max_attempts=3)
def slow_alert(*, message: str, seconds: float) -> None:
    """Waits, then writes one Alert: a worker killed during the wait leaves no row."""
    time.sleep(seconds)
    Alert.objects.create(message=message)


@job(max_attempts=2)
def breaks_the_transaction() -> None:
    """A database error outside any atomic block of its own."""
    from django.utils import timezone

    from apps.jobs.models import PeriodicRun

    slot = timezone.now()
    PeriodicRun.objects.create(name="twice", slot=slot)
    PeriodicRun.objects.create(name="twice", slot=slot)

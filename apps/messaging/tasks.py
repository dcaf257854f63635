"""The messaging jobs (apps.jobs): the news of one write becomes deliveries; each delivery is sent."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.jobs import job

from . import channels, services


@job(max_attempts=5, backoff=timedelta(seconds=30))
def notices_send(*, notices: list[dict]) -> int:
    """Write the deliveries the notices call for, per their recipients' preferences, and queue each one's
    sending (services.deliveries_create, all or nothing: safe to retry). Returns how many were written."""
    return len(services.deliveries_create(notices=[services.Notice.from_json(n) for n in notices]))


@job(max_attempts=settings.MESSAGING_MAX_ATTEMPTS, backoff=timedelta(seconds=30))
def delivery_send(*, delivery_id: int) -> None:
    """Send one delivery (services.deliver): a failure raises, and the queue tries again after 30 s, 60 s,
    120 s, 240 s (MESSAGING_MAX_ATTEMPTS runs in all, as many as the delivery log allows). A robot past its
    allowance of 20 messages a minute is not tried: a new job a minute later takes the delivery, and no
    attempt is counted."""
    try:
        services.deliver(delivery_id)
    except channels.Throttled:
        later = timezone.now() + services.RATE_WINDOW
        delivery_send.using(run_after=later).enqueue(delivery_id=delivery_id)

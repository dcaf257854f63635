"""The demo district's monthly boards: February 2024 published at the March meeting; March live."""

from datetime import date, datetime, time

from django.utils import timezone

from apps.rankings import services
from apps.rankings.models import Publication


def load(rng, users: dict) -> None:
    if Publication.objects.exists():
        return
    meeting = timezone.make_aware(datetime.combine(date(2024, 3, 18), time(9, 30)))
    services.board_publish(month=date(2024, 2, 1), by=users["zhaomin"], at=meeting)

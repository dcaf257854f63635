"""The demo district's call-back sample and one 督办 (issue #19): dated after 15 March 2024, so none of the
figures of the district's report (19 February – 15 March) and nothing on the published February board moves.

March 2024's closures are sampled on 1 April by a checker of the district office (`huifang`, 孙丽: the
call-back checker group beside the staff role), who has called most of them — every reached enterprise
confirmed its closure (a "not actually solved" call would reopen a request of the reported period and change
its figures; the checker's page lets a demo user record one), some could not be reached, the rest are still
to call. 回访核实率 thus appears on the live March board. The district leader has put the oldest overdue request
of 张伟's unit under supervision, which the unit's meeting memo lists.
"""

import random
from datetime import date, datetime, time

from django.contrib.auth.models import Group
from django.db.models import Case, When
from django.utils import timezone

from apps.accounts import roles
from apps.accounts.models import User
from apps.service.models import CallbackItem, CallbackSample, Request, Supervision
from apps.service.services.callbacks import callback_check_record, callback_sample_draw
from apps.service.services.supervision import supervision_create

SEED = 20240401
CHECKER = ("huifang", "孙丽")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def load(rng, users: dict) -> None:
    """`rng` is the district's generator; the calls use their own (seeded), so that what the modules before
    draw does not change them."""
    if CallbackSample.objects.exists():
        return
    rng = random.Random(SEED)  # noqa: S311 (demo data)
    checker = _checker(users)
    sample, _ = callback_sample_draw(month=date(2024, 3, 1), seed=SEED, at=_at(date(2024, 4, 1), 9))
    items = list(sample.items.order_by("unit_id", "request_id"))
    for n, item in enumerate(items):
        draw = rng.random()
        if draw < 0.15:
            continue  # still to call
        result = CallbackItem.Result.UNREACHABLE if draw < 0.25 else CallbackItem.Result.CONFIRMED
        day = date(2024, 4, 1 + n % 3)
        callback_check_record(item=item, by=checker, result=result, at=_at(day, 10 + n % 7, (n * 7) % 60))
    _supervise(users)


def _checker(users: dict) -> User:
    username, name = CHECKER
    checker = User.objects.filter(username=username).first()
    if checker is None:
        office = users["zhaomin"].unit
        checker = User(username=username, display_name=name, unit=office, password=users["zhaomin"].password)
        checker.save()
        checker.groups.add(
            Group.objects.get(name=roles.STAFF), Group.objects.get(name=roles.CALLBACK_CHECKER)
        )
    return checker


def _supervise(users: dict) -> None:
    """The leader supervises the oldest request of 张伟's unit (研创园) still open and overdue on 1 April 2024,
    preferring one 张伟 handles."""
    at = _at(date(2024, 4, 1), 9, 30)
    zhangwei = users["zhangwei"]
    if Supervision.objects.exists():
        return
    overdue = (
        Request.objects.overdue(at)
        .filter(handling_unit_id=zhangwei.unit_id)
        .order_by(Case(When(handler=zhangwei, then=0), default=1), "close_due", "pk")
        .first()
    )
    if overdue is None:
        return
    supervision_create(
        request=overdue,
        by=users["zhaomin"],
        instruction="请研创园于本周五前协调解决，并将办理情况报区领导。",
        due_on=date(2024, 4, 8),
        at=at,
    )

"""The call-back sample (回访抽查): each month a random sample of the closures of every handling unit is
called back by a checker of the 12345 centre or the supervision office, independently of the unit's own
feedback.

The draw is reproducible: a unit's sample is chosen from its closures of the month in id order by a
generator seeded with the sample's seed and the unit's id, so the stored seed gives the same sample again,
and drawing a month that has a sample returns that sample unchanged.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterable
from datetime import date, datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.periods import next_month, start_of_day

from ..models import CLOSED, CLOSED_STATUSES, CallbackItem, CallbackSample, Request
from .moves import A, TransitionError
from .requests import request_transition

SHARE = 0.10  # of each unit's closures of the month
AT_LEAST = 3  # … but at least this many; all of them when the unit closed fewer


def sample_size(closed: int) -> int:
    """How many of a unit's `closed` requests are called: 10 % rounded up, at least 3, all if fewer."""
    return min(closed, max(AT_LEAST, math.ceil(closed * SHARE)))


def sample_choose(*, closed_by_unit: dict[int, Iterable[int]], seed: int) -> dict[int, list[int]]:
    """The request ids drawn of each unit's closures (`closed_by_unit`: unit id → request ids), the same for
    the same seed whatever order the ids come in."""
    chosen = {}
    for unit_id, ids in sorted(closed_by_unit.items()):
        ids = sorted(ids)
        rng = random.Random(f"{seed}:{unit_id}")  # noqa: S311 (a reproducible draw, not a secret)
        chosen[unit_id] = sorted(rng.sample(ids, sample_size(len(ids))))
    return chosen


def closed_in_month(month: date):
    """The requests closed in `month` (Asia/Shanghai) and still closed or confirmed, with a handling unit."""
    start, end = start_of_day(month), start_of_day(next_month(month))
    return Request.objects.filter(
        CLOSED, closed_at__gte=start, closed_at__lt=end, handling_unit__isnull=False
    )


@transaction.atomic
def callback_sample_draw(
    *, month: date, seed: int | None = None, by: User | None = None, at: datetime | None = None
) -> tuple[CallbackSample, bool]:
    """Draw the call-back sample of `month` (its closures): returns it and whether it was drawn now. A month
    already drawn returns its sample unchanged (whatever `seed` says); otherwise `seed` (else a random one,
    stored) chooses it."""
    month = date(month.year, month.month, 1)
    existing = CallbackSample.objects.select_for_update().filter(month=month).first()
    if existing is not None:
        return existing, False
    seed = secrets.randbelow(2**62) if seed is None else seed
    sample = CallbackSample.objects.create(month=month, seed=seed, drawn_by=by, drawn_at=at or timezone.now())
    closed_by_unit: dict[int, list[int]] = {}
    for pk, unit_id in closed_in_month(month).values_list("pk", "handling_unit_id"):
        closed_by_unit.setdefault(unit_id, []).append(pk)
    chosen = sample_choose(closed_by_unit=closed_by_unit, seed=seed)
    CallbackItem.objects.bulk_create(
        CallbackItem(sample=sample, request_id=pk, unit_id=unit_id)
        for unit_id, ids in chosen.items()
        for pk in ids
    )
    return sample, True


@transaction.atomic
def callback_check_record(
    *, item: CallbackItem, by: User, result: str, note: str = "", at: datetime | None = None
) -> CallbackItem:
    """Record the checker's call of one sampled closure. "Not actually solved" needs the checker's note and
    reopens the request through the reopen move (`request_transition`, action reopen, the enterprise
    unsatisfied) with that note — also when the unit had already recorded a feedback — so it counts against
    the unit (回访核实率) and is handled again."""
    if not by.has_perm("service.check_callback"):
        raise PermissionDenied
    item = CallbackItem.objects.select_for_update().select_related("request").get(pk=item.pk)
    # as posted: at most what the column holds, no NUL byte (PostgreSQL refuses it)
    note = forms.CharField(max_length=2000, required=False).clean(note or "").strip()
    if item.result:
        raise TransitionError(_("This call is already recorded."))
    if result not in CallbackItem.Result.values:
        raise TransitionError(_("Choose the result of the call."))
    if result == CallbackItem.Result.DISPUTED and not note:
        raise TransitionError(_("Say what the enterprise said is not solved."))
    at = at or timezone.now()
    item.result, item.note, item.checked_by, item.checked_at = result, note, by, at
    item.save(update_fields=["result", "note", "checked_by", "checked_at"])
    if result == CallbackItem.Result.DISPUTED and item.request.status in CLOSED_STATUSES:
        # explicit side effect: the closure is disputed, the request is reopened with the checker's note
        request_transition(
            request=item.request,
            action=A.REOPEN,
            by=by,
            note=_("Call-back check: %(note)s") % {"note": note},
            satisfaction=Request.Satisfaction.UNSATISFIED,
            at=at,
            callback_check=True,
        )
    return item

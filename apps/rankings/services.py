"""Publishing boards and versioning indicators."""

from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.units.models import Unit

from .board import compare, compute_boards, previous_month
from .memos import memos
from .models import Indicator, IndicatorVersion, Publication, PublishedMemo


@transaction.atomic
def board_publish(*, month: date, by, reason: str = "", at=None) -> Publication:
    """Freeze month M's board: everything its page, projector view, print, export and memos show — values,
    points, ranks, lists, the indicators' definitions, the rank changes and "why it moved" against the
    previous month (as published, else as computed now), and each unit's memo — so that no later write or
    indicator edit changes what was shown at the meeting. Republishing a month needs an admin and a
    recorded reason."""
    if not by.has_perm("rankings.add_publication"):
        raise PermissionDenied
    # The reason comes as posted: at most what the column holds, and no NUL byte (PostgreSQL refuses it).
    reason = forms.CharField(max_length=300, required=False).clean(reason)
    month = date(month.year, month.month, 1)
    today = timezone.localdate()
    if month >= date(today.year, today.month, 1):
        raise ValidationError(_("Only a finished month can be published: its figures are still moving."))
    current = Publication.objects.select_for_update().filter(month=month, is_current=True).first()
    if current is not None:
        if not by.has_perm("rankings.change_publication"):
            raise PermissionDenied
        if not reason.strip():
            raise ValidationError(_("Republishing needs a reason, which is recorded."))
        current.is_current = False
        current.save(update_fields=["is_current"])
    publication = Publication.objects.create(
        month=month,
        board=frozen_board(month),
        published_by=by,
        published_at=at or timezone.now(),
        reason=reason.strip(),
    )
    units = Unit.objects.active().values_list("pk", flat=True)
    PublishedMemo.objects.bulk_create(
        PublishedMemo(publication=publication, unit_id=unit_id, data=data)
        for unit_id, data in memos(units, month).items()
    )
    return publication


def frozen_board(month: date) -> dict:
    """The board of `month` as publishing it now would freeze it (the confirmation page shows it): compared
    with the previous month's publication, else with that month computed now (both in one round trip)."""
    before = previous_month(month)
    published = (
        Publication.objects.filter(month=before, is_current=True).values_list("board", flat=True).first()
    )
    boards = compute_boards([month] if published else [month, before])
    board = boards[month]
    compare(board, published or boards.get(before))
    return board


def indicator_version(*, indicator: Indicator, by) -> IndicatorVersion:
    """Record the indicator as it is now (called on every save, admin included)."""
    data = model_to_dict(indicator)
    data = {k: (str(v) if not isinstance(v, (int, bool, list, type(None))) else v) for k, v in data.items()}
    return IndicatorVersion.objects.create(
        indicator=indicator, version=indicator.version, data=data, changed_by=by
    )


@transaction.atomic
def indicator_save(*, indicator: Indicator, by) -> Indicator:
    if not by.has_perm("rankings.change_indicator"):
        raise PermissionDenied
    if indicator.pk:
        indicator.version = Indicator.objects.get(pk=indicator.pk).version + 1
    indicator.full_clean()
    indicator.save()
    indicator_version(indicator=indicator, by=by)
    return indicator

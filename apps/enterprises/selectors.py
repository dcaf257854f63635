"""Figures of the enterprise records themselves."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from apps.core.figures import Figure

from .models import Enterprise


def enterprise_figures(*, unit_id: int | None = None) -> list[Figure]:
    """Enterprises on record and key enterprises, district-wide or for one responsible unit."""
    qs = Enterprise.objects.all()
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    # columns of the (is_key, unit) index only: a province's count is read from the index, not the table
    counts = qs.aggregate(total=Count("*"), key=Count("is_key", filter=Q(is_key=True)))
    return [
        Figure(
            "enterprises", _("Enterprises on record"), counts["total"], _("Enterprise records (一企一档).")
        ),
        Figure(
            "key_enterprises",
            _("Key enterprises"),
            counts["key"],
            _("Enterprises flagged as key enterprises (重点企业)."),
        ),
    ]

"""An indicator's kept versions read as changes: field by field, with the indicator's own labels and choices
("权重：10 → 12"), not as the JSON they are stored in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .models import Indicator

# Kept in every version but not part of the definition: the row's id, and the version number shown beside.
NOT_SHOWN = {"id", "version"}
# Figures in the indicator's unit of measure.
MEASURED = {"target", "threshold"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str  # "" for the first version
    new: str


def _number(value) -> str:
    """12.00 → 12, 12.50 → 12.5, 1000 → 1,000."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    whole = number == number.to_integral_value()
    number = number.quantize(Decimal(1)) if whole else number.normalize()
    return f"{number:,}"


def display(field: models.Field, value, measure: str = "") -> str:
    """`value` of `field` as the admin reads it; `measure`: the unit of measure of its version."""
    if value is None or value == "" or value == []:
        return "—"
    base = getattr(field, "base_field", None)
    if base is not None and base.choices:  # peer groups: a list of choices
        labels = dict(base.flatchoices)
        return "、".join(str(labels.get(item, item)) for item in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(field, models.DecimalField):
        shown = _number(value)
        if field.name in MEASURED:
            shown += measure
        elif field.name == "cap":
            shown = f"{shown} ×"
        return shown
    return str(value)


def version_changes(data: dict, previous: dict | None) -> list[FieldChange]:
    """Each field of the indicator that differs from the previous version, in the form's order; for the
    first version (`previous` None), every field with its value."""
    changes = []
    measure = data.get("measure") or ""
    for field in Indicator._meta.concrete_fields:
        if field.name in NOT_SHOWN or field.name not in data:
            continue
        new = display(field, data[field.name], measure)
        if previous is None:
            changes.append(FieldChange(str(capfirst(field.verbose_name)), "", new))
            continue
        if field.name not in previous:  # kept before the field was (the seeded first versions)
            continue
        old = display(field, previous[field.name], previous.get("measure", measure))
        if old != new:
            changes.append(FieldChange(str(capfirst(field.verbose_name)), old, new))
    return changes

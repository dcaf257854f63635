import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def validate_mobile(value: str) -> None:
    """A mainland China mobile number: 11 digits starting with 13–19."""
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."), code="invalid_mobile"
        )


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def validate_workbench_date(value: date) -> None:
    """The dates the workbench records (plans, starts, trips, signings, visits due) lie within 2000–2100:
    anything else is a slip (0001-01-01, 9999-12-31) and is refused before it reaches figures and clocks."""
    if value < EARLIEST_DATE:
        raise ValidationError(_("Enter a date from 2000 on."), code="date_too_early")
    if value > LATEST_DATE:
        raise ValidationError(_("Enter a date up to 2100."), code="date_too_late")

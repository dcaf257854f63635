import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def validate_mobile(value: str) -> None:
    """A mainland China mobile number: 11 digits starting with 13–19."""
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."), code="invalid_mobile"
        )

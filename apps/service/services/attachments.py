"""Files attached to a request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.accounts.models import User

from ..models import (
    Attachment,
    Request,
)
from .moves import _is_leader


def attachment_add(*, request: Request, by: User, uploaded) -> Attachment:
    from pathlib import PurePath

    from django.conf import settings

    suffix = PurePath(uploaded.name or "").suffix.lower()
    if suffix not in Attachment.ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Files of this type are not accepted. Allowed: %(types)s")
            % {"types": " ".join(Attachment.ALLOWED_EXTENSIONS)}
        )
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."))
    name = PurePath(uploaded.name).name[:200]
    return Attachment.objects.create(
        request=request, file=uploaded, name=name, size=uploaded.size, uploaded_by=by
    )


# --- joint actions ---------------------------------------------------------------------------------


def can_attach(user, req: Request) -> bool:
    """Attachments are added by the unit that logged or handles the request, and leaders."""
    return (
        req.is_open
        and (user.unit_id in (req.logged_unit_id, req.handling_unit_id) or _is_leader(user))
        and user.has_perm("service.handle_request")
    )

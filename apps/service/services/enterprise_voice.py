"""The enterprise's own voice (企业端): a request an enterprise contact submits itself (source 企业自报),
and the satisfaction rating the contact gives after a closure. The contact acts instead of a staff member:
their events carry `contact` and no `by`. Who the contact is (their personal link) is the caller's
business (apps.portal); these functions trust the contact they are given, and only for its enterprise."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.enterprises.models import Contact

from .. import rollups
from ..models import CLOSED_STATUSES, Attachment, Category, Notification, Request, RequestEvent
from .attachments import photo_prepare
from .moves import MOVES, A, S, TransitionError
from .notifications import _managers_of, _message, _notify
from .requests import _derive_clocks

#: photos one request may carry from the enterprise
MAX_PHOTOS = 6
SUBMITTED = gettext_lazy("Submitted by the enterprise")
RATED = gettext_lazy("Rated by the enterprise")


@transaction.atomic
def request_submit(
    *,
    contact: Contact,
    category: Category,
    title: str,
    description: str = "",
    photos: Iterable = (),
    at: datetime | None = None,
) -> Request:
    """A request the enterprise submits itself: received now, logged for the enterprise's responsible unit
    (so it waits on that unit's dispatch desk, whose managers are told), with the contact instead of a staff
    author, and its photos (checked and re-drawn as the visit photos are: no location kept). Nothing is
    written unless every photo passes."""
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)d photos.") % {"n": MAX_PHOTOS}})
    prepared = []
    for uploaded in photos:
        try:
            prepared.append(photo_prepare(uploaded))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    enterprise = contact.enterprise
    at = at or timezone.now()
    req = Request(
        enterprise=enterprise,
        category=category,
        title=title.strip(),
        description=(description or "").strip(),
        source=Request.Source.ENTERPRISE,
        logged_unit_id=enterprise.unit_id,
        created_by=None,
        contact=contact,
        received_at=at,
        received_on=timezone.localdate(at),
    )
    req.full_clean(
        exclude=["received_on", "logged_unit", "created_by", "contact", "enterprise", "category", "visit"]
    )
    event = RequestEvent(action=A.CREATE, to_status=S.NEW, by=None, contact=contact, at=at)
    _derive_clocks(req, [event])
    req.save()
    event.request = req
    event.save()
    stored = []
    try:
        for photo in prepared:
            row = Attachment(request=req, name=photo.name, size=len(photo.content), contact=contact)
            row.file.save(photo.name, ContentFile(photo.content), save=False)
            stored.append(row)
        Attachment.objects.bulk_create(stored)
    except BaseException:
        for row in stored:
            row.file.delete(save=False)
        raise
    message = _message(SUBMITTED, req)
    managers = _managers_of([req.logged_unit_id]).get(req.logged_unit_id, [])
    _notify([Notification(user=u, request=req, message=message, created_at=at) for u in managers])
    rollups.request_rows(req).apply()
    return req


def enterprise_may_rate(req: Request) -> bool:
    """The enterprise rates each closure once: a request closed (or confirmed by staff) whose latest closure
    it has not rated yet. Its rating replaces a staff-entered one."""
    if req.status not in CLOSED_STATUSES:
        return False
    rated_this_closure = (
        req.satisfaction_by == Request.RatedBy.ENTERPRISE
        and req.feedback_at is not None
        and req.closed_at is not None
        and req.feedback_at >= req.closed_at
    )
    return not rated_this_closure


@transaction.atomic
def request_rate(
    *,
    request: Request,
    contact: Contact,
    satisfaction: str,
    comment: str = "",
    at: datetime | None = None,
) -> Request:
    """The contact's satisfaction with a closure, with their comment: it becomes the rating the figures
    count (`satisfaction_by` = enterprise). Satisfied or basically satisfied confirms the closure (回访);
    unsatisfied reopens the request (重办), from "closed" or from a staff confirmation alike, and its
    handler is told."""
    req = Request.objects.locked().select_related("category").get(pk=request.pk)
    if req.enterprise_id is None or req.enterprise_id != contact.enterprise_id:
        raise PermissionDenied
    if satisfaction not in Request.Satisfaction.values:
        raise TransitionError(_("Choose how satisfied you are."))
    if not enterprise_may_rate(req):
        raise TransitionError(_("This request cannot be rated now."))
    before = rollups.request_rows(req)
    at = at or timezone.now()
    from_status = req.status
    reopen = satisfaction == Request.Satisfaction.UNSATISFIED
    action, target = (A.REOPEN, S.IN_PROGRESS) if reopen else (A.CONFIRM, S.CONFIRMED)
    req.version += 1  # the row is locked
    req.status = target
    req.satisfaction, req.satisfaction_by = satisfaction, Request.RatedBy.ENTERPRISE
    fields = ["status", "version", "updated_at", "satisfaction", "satisfaction_by"]
    if reopen:
        req.reopen_count += 1
        fields.append("reopen_count")
    event = RequestEvent(
        request=req,
        action=action,
        from_status=from_status,
        to_status=target,
        by=None,
        contact=contact,
        at=at,
        note=(comment or "").strip(),
        data={"satisfaction": satisfaction, "rated_by": Request.RatedBy.ENTERPRISE},
    )
    event.full_clean(exclude=["request", "by", "contact"])
    fields += _derive_clocks(req, [*req.events.all(), event])
    req.save(update_fields=fields)
    event.save()
    told = (
        [req.handler]
        if req.handler_id
        else _managers_of([req.handling_unit_id]).get(req.handling_unit_id, [])
    )
    # a reopen is told as staff's reopen is (the handler's channels; the person who logged it), a
    # confirmation in the app only
    message = _message(MOVES[A.REOPEN].label if reopen else RATED, req)
    rows = [Notification(user=u, request=req, message=message, created_at=at) for u in told]
    if reopen and req.created_by_id:
        rows.append(Notification(user_id=req.created_by_id, request=req, message=message, created_at=at))
    _notify(rows, action=A.REOPEN if reopen else None)
    (rollups.request_rows(req) - before).apply()
    return req

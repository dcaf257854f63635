"""Issuing, revoking and using an enterprise contact's personal link.

A link is opened with `link_open`, which answers for the token before any page does: the address is locked
out after PORTAL_FAILURE_LIMIT unknown tokens within PORTAL_COOLOFF (the sign-ins' django-axes limits), an
unknown, revoked or expired token is refused the same way (the page answers 404), and a link used more than
PORTAL_USES_PER_HOUR times in the last hour is refused for a while. Every use is logged (`LinkUse`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.enterprises.models import Contact, Enterprise

from .models import BadToken, ContactLink, LinkUse, token_hash

logger = logging.getLogger("jianbei.portal")

TOKEN_BYTES = 32  # secrets.token_urlsafe: 43 characters, 256 bits
SUBMISSIONS_PER_DAY = 10  # requests one link may submit in 24 hours


def failure_limit() -> int:
    return settings.AXES_FAILURE_LIMIT


def cooloff() -> timedelta:
    return settings.AXES_COOLOFF_TIME


class LinkRefused(Exception):
    """The token opens nothing: unknown, revoked or expired (the page answers 404)."""


class LockedOut(Exception):
    """Too many unknown tokens from this address lately (the page answers 429)."""


class TooManyUses(Exception):
    """The link was used too often in the last hour (the page answers 429)."""


@dataclass(frozen=True)
class Issued:
    link: ContactLink
    token: str  # shown once, never stored


def can_manage(user, enterprise: Enterprise) -> bool:
    return Enterprise.objects.editable_by(user).filter(pk=enterprise.pk).exists()


@transaction.atomic
def link_issue(*, contact: Contact, by: User, days: int, now: datetime | None = None) -> Issued:
    """A new link for `contact`, valid for `days` days (at most PORTAL_LINK_MAX_DAYS), issued by a user who
    may edit the contact's enterprise. Returns the token, which is not kept."""
    if not can_manage(by, contact.enterprise):
        raise PermissionDenied
    if not 1 <= days <= settings.PORTAL_LINK_MAX_DAYS:
        raise ValidationError(
            {"days": _("A link lasts 1 to %(n)d days.") % {"n": settings.PORTAL_LINK_MAX_DAYS}}
        )
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ContactLink.objects.create(
        enterprise_id=contact.enterprise_id,
        contact=contact,
        token_hash=token_hash(token),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return Issued(link=link, token=token)


@transaction.atomic
def link_revoke(*, link: ContactLink, by: User, now: datetime | None = None) -> bool:
    """Revoke a link at once (its token answers 404 from now on); False if it was revoked already."""
    if not can_manage(by, link.enterprise):
        raise PermissionDenied
    now = now or timezone.now()
    changed = ContactLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if changed:
        link.revoked_at, link.revoked_by = now, by
    return bool(changed)


def locked_out(ip: str | None, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return BadToken.objects.filter(ip=ip, at__gt=now - cooloff()).count() >= failure_limit()


#: the uses of a link that count towards its hourly limit: pages served, not refusals
SERVED = (LinkUse.Action.VIEW, LinkUse.Action.SUBMIT, LinkUse.Action.RATE)


def link_open(*, token: str, ip: str | None, path: str = "", now: datetime | None = None) -> ContactLink:
    """The link a token opens, checked for one use (see the module's docstring); raises LockedOut,
    LinkRefused or TooManyUses, each with the attempt recorded."""
    now = now or timezone.now()
    if locked_out(ip, now):
        logger.warning("Enterprise side: locked-out address %s tried a token", ip)
        raise LockedOut
    link = (
        ContactLink.objects.select_related("contact", "enterprise", "enterprise__unit")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        BadToken.objects.create(ip=ip, at=now)
        logger.warning("Enterprise side: unknown token from %s", ip)
        raise LinkRefused
    if link.state(now) != "active":
        LinkUse.objects.create(link=link, action=LinkUse.Action.REFUSED, ip=ip, path=path[:200], at=now)
        raise LinkRefused
    hour_ago = now - timedelta(hours=1)
    # the pages served count, not the refusals logged while over the limit (those would keep it shut)
    served = link.uses.filter(at__gt=hour_ago, action__in=SERVED)
    if served.count() >= settings.PORTAL_USES_PER_HOUR:
        LinkUse.objects.create(link=link, action=LinkUse.Action.LIMITED, ip=ip, path=path[:200], at=now)
        raise TooManyUses
    return link


def link_used(
    *,
    link: ContactLink,
    action: str,
    ip: str | None,
    path: str = "",
    request=None,
    now: datetime | None = None,
) -> None:
    """Log one use of a link (a page opened, a request submitted, a closure rated)."""
    now = now or timezone.now()
    LinkUse.objects.create(link=link, action=action, ip=ip, path=path[:200], request=request, at=now)
    ContactLink.objects.filter(pk=link.pk).update(last_used_at=now)


def submissions_left(link: ContactLink, now: datetime | None = None) -> int:
    now = now or timezone.now()
    done = link.uses.filter(action=LinkUse.Action.SUBMIT, at__gt=now - timedelta(days=1)).count()
    return max(0, SUBMISSIONS_PER_DAY - done)

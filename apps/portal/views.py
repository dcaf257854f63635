"""The enterprise side's pages (public, each behind its token) and the staff pages that issue and revoke
links.

Public pages answer only for the enterprise of their link: another enterprise's request is a 404, exactly as
a request that does not exist. A wrong, revoked or expired token is a 404 too — never a redirect to the
staff sign-in, which the enterprise side does not have.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.enterprises.models import Enterprise
from apps.service.models import CLOSED_STATUSES, Concerns, Request, RequestEvent, Status
from apps.service.services import TransitionError
from apps.service.services.enterprise_voice import enterprise_may_rate, request_rate, request_submit

from . import services
from .forms import IssueForm, RateForm, SubmitForm
from .models import ContactLink, LinkUse

# What the enterprise is told of a request's status: the stage, never the internal step.
PUBLIC_STATUS = {
    Status.NEW: gettext_lazy("Received, waiting to be assigned"),
    Status.DISPATCHED: gettext_lazy("Assigned to the handling unit"),
    Status.ACKNOWLEDGED: gettext_lazy("Being handled"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.PAUSED: gettext_lazy("On hold"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.CONFIRMED: gettext_lazy("Closed"),
    Status.WITHDRAWN: gettext_lazy("Withdrawn"),
}


def _ip(request) -> str | None:
    """The client's address as the sign-in lockout sees it (django-axes, DJANGO_PROXY_COUNT)."""
    return get_client_ip_address(request)


def _private(response):
    """A personal page behind a secret link: never cached, never indexed."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def public(view):
    """A page of the enterprise side: no staff sign-in; the token is checked (and the use logged) before
    the view runs, which gets the link instead of the token."""

    @login_not_required
    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        ip = _ip(request)
        try:
            link = services.link_open(token=token, ip=ip, path=request.path)
        except services.LinkRefused as exc:
            raise Http404 from exc
        except (services.LockedOut, services.TooManyUses) as exc:
            response = render(request, "portal/too_many.html", status=429)
            # a lockout lasts the sign-ins' cool-off; a link's limit counts the last hour
            wait = services.cooloff() if isinstance(exc, services.LockedOut) else timedelta(hours=1)
            response["Retry-After"] = str(int(wait.total_seconds()))
            return _private(response)
        request.portal_ip, request.portal_token = ip, token
        return _private(view(request, link, *args, **kwargs))

    return wrapper


def _log(request, link, action=LinkUse.Action.VIEW, req=None):
    services.link_used(link=link, action=action, ip=request.portal_ip, path=request.path, request=req)


def _requests_of(link: ContactLink):
    """The link's enterprise's requests, and only those (what concerns a project stays with the project)."""
    return Request.objects.filter(enterprise_id=link.enterprise_id, concerns=Concerns.ENTERPRISE)


def _decorate(req: Request) -> Request:
    req.public_status = PUBLIC_STATUS.get(req.status, "")
    req.is_closed = req.status in CLOSED_STATUSES
    req.may_rate = enterprise_may_rate(req)
    return req


@public
def home(request, link):
    """The contact's page: their enterprise's requests (any may be rated once closed), with a notice for each
    request the contact submitted that is closed and waits for their rating."""
    _log(request, link)
    rows = [
        _decorate(r)
        for r in _requests_of(link)
        .select_related("category", "handling_unit")
        .order_by("-received_at", "-id")[:50]
    ]
    return render(
        request,
        "portal/home.html",
        {
            "link": link,
            "token": request.portal_token,
            "rows": rows,
            "to_rate": [r for r in rows if r.may_rate and r.contact_id == link.contact_id],
        },
    )


@public
@require_http_methods(["GET", "POST"])
def submit(request, link):
    """Tell the district about a problem: it reaches the dispatch desk of the enterprise's unit."""
    form = SubmitForm(request.POST or None, request.FILES or None)
    left = services.submissions_left(link)
    if request.method == "POST" and form.is_valid():
        if left <= 0:
            form.add_error(
                None, _("This link has sent as many requests as it may today. Try again tomorrow.")
            )
        else:
            try:
                req = request_submit(
                    contact=link.contact,
                    category=form.cleaned_data["category"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    photos=form.cleaned_data["photos"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                _log(request, link, LinkUse.Action.SUBMIT, req)
                return redirect(_url(request, "request", req.pk) + "?sent=1")
    _log(request, link)
    return render(request, "portal/submit.html", {"link": link, "form": form, "token": request.portal_token})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _url(request, name: str, *args) -> str:
    """A page of the same link (its token comes from the address the contact opened; it is kept nowhere)."""
    return reverse(f"portal:{name}", args=[request.portal_token, *args])


def _rating_of(req: Request):
    """The enterprise's own rating of the latest closure, with its comment."""
    if req.satisfaction_by != Request.RatedBy.ENTERPRISE:
        return None
    return (
        RequestEvent.objects.filter(request=req, contact__isnull=False, action__in=["confirm", "reopen"])
        .order_by("-at", "-id")
        .first()
    )


@public
def request_detail(request, link, pk):
    req = _decorate(
        get_object_or_404(_requests_of(link).select_related("category", "handling_unit", "contact"), pk=pk)
    )
    _log(request, link, req=req)
    return _detail(request, link, req, RateForm())


def _detail(request, link, req, form, status=200):
    return render(
        request,
        "portal/request_detail.html",
        {
            "link": link,
            "req": req,
            "form": form,
            "rating": _rating_of(req),
            "photos": req.attachments.filter(contact__isnull=False).values_list("name", flat=True),
            "token": request.portal_token,
            "sent": request.GET.get("sent") == "1",
            "rated": request.GET.get("rated") == "1",
            "now": timezone.now(),
        },
        status=status,
    )


@public
@require_POST
def rate(request, link, pk):
    req = _decorate(get_object_or_404(_requests_of(link).select_related("category", "handling_unit"), pk=pk))
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            request_rate(
                request=req,
                contact=link.contact,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except TransitionError as exc:
            form.add_error(None, exc.messages)
        else:
            _log(request, link, LinkUse.Action.RATE, req)
            return redirect(_url(request, "request", req.pk) + "?rated=1")
    _log(request, link, req=req)
    return _detail(request, link, req, form)


# --- staff: issue, print and revoke links ------------------------------------------------------------------


def _managed_enterprise(request, enterprise_pk) -> Enterprise:
    """The enterprise, if the user may edit it (its responsible unit, leaders, admins); else 404."""
    return get_object_or_404(Enterprise.objects.editable_by(request.user), pk=enterprise_pk)


@require_GET
def link_list(request, enterprise_pk):
    """The enterprise's links (who, issued, expires, last used, uses) and the form to issue one."""
    return _link_page(request, enterprise_pk)


def _link_page(request, enterprise_pk, form=None):
    enterprise = _managed_enterprise(request, enterprise_pk)
    links = (
        ContactLink.objects.filter(enterprise=enterprise)
        .select_related("contact", "created_by", "revoked_by")
        .annotate(n_uses=Count("uses"))
    )
    now = timezone.now()
    for link in links:
        link.current_state = link.state(now)
    return render(
        request,
        "portal/link_list.html",
        {
            "enterprise": enterprise,
            "links": links,
            "form": form or IssueForm(enterprise=enterprise),
            "public_base": settings.PUBLIC_BASE_URL,
        },
    )


@require_POST
def link_issue(request, enterprise_pk):
    """Issue a link and show it once, with its QR code to print or send: only its hash is kept."""
    enterprise = _managed_enterprise(request, enterprise_pk)
    form = IssueForm(request.POST, enterprise=enterprise)
    if not form.is_valid():
        return _link_page(request, enterprise_pk, form=form)
    try:
        issued = services.link_issue(
            contact=form.cleaned_data["contact"], by=request.user, days=form.cleaned_data["days"]
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        _add_errors(form, exc)
        return _link_page(request, enterprise_pk, form=form)
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    url = base + reverse("portal:home", args=[issued.token])
    qr = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    response = render(
        request,
        "portal/link_issued.html",
        {
            "enterprise": enterprise,
            "link": issued.link,
            "url": url,
            # drawn here from the link's own address: markup with no user input in it
            "qr_svg": mark_safe(qr.to_string(encoding="unicode")),  # noqa: S308
        },
    )
    add_never_cache_headers(response)
    return response


@require_POST
def link_revoke(request, enterprise_pk, pk):
    enterprise = _managed_enterprise(request, enterprise_pk)
    link = get_object_or_404(
        ContactLink.objects.filter(enterprise=enterprise).select_related("enterprise"), pk=pk
    )
    if services.link_revoke(link=link, by=request.user):
        messages.success(request, _("The link is revoked: it opens nothing from now on."))
    return redirect("contact_links:list", enterprise_pk=enterprise.pk)

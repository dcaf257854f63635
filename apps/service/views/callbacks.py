"""The call-back sample page (回访抽查): checkers call each sampled closure and record the call; leaders read
every unit's, a unit its own calls once made. The ranking board's 回访核实率 links here (`?month=&unit=
&reached=true`, the numerator `&result=confirmed`)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.views import query_string_without_page, safe_next, url_maker
from apps.enterprises.models import Contact
from apps.units.models import Unit

from ..models import CallbackItem, CallbackSample, Request
from ..services.callbacks import callback_check_record

PAGE = 50


def _month(value: str) -> date | None:
    try:
        year, month = (int(x) for x in value.split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except (ValueError, TypeError):
        return None


def _id(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 10 else None


def callback_list(request):
    """One month's sample (the latest drawn unless `?month=YYYY-MM`), filtered by unit, reached (confirmed
    or not actually solved) and result, 50 to a page; each open call with its form for checkers."""
    user = request.user
    samples = list(CallbackSample.objects.order_by("-month").values_list("month", flat=True)[:24])
    month = _month(request.GET.get("month", "")) or (samples[0] if samples else None)
    items = CallbackItem.objects.visible_to(user).filter(sample__month=month)
    unit_id = _id(request.GET.get("unit", ""))
    if unit_id is not None:
        items = items.filter(unit_id=unit_id)
    if request.GET.get("reached") == "true":
        items = items.reached()
    result = request.GET.get("result", "")
    if result in CallbackItem.Result.values or result == "open":
        items = items.filter(result="" if result == "open" else result)
    primary = Contact.objects.filter(enterprise=OuterRef("request__enterprise"), is_primary=True).order_by(
        "pk"
    )
    rows = (
        items.select_related("unit", "checked_by", "request__enterprise", "request__handling_unit")
        .annotate(contact=Subquery(primary.values("name")[:1]), mobile=Subquery(primary.values("mobile")[:1]))
        .order_by("unit__sort_order", "unit_id", "request_id")
    )
    try:  # a malformed or out-of-range page is a 404, as on every list
        page = Paginator(rows, PAGE, allow_empty_first_page=True).page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404 from None
    detail = url_maker("service:request_detail")
    shown = [item.request_id for item in page.object_list]
    # a link only where the viewer may open the request: the requests' own rule (handling, logging and
    # co-handling units, leaders), asked of the page's requests at once
    opens = set(Request.objects.visible_to(user).filter(pk__in=shown).values_list("pk", flat=True))
    for item in page.object_list:
        item.url = detail(item.request_id) if item.request_id in opens else ""
    return render(
        request,
        "service/callback_list.html",
        {
            "month": month,
            "months": samples,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "query_string": query_string_without_page(request),
            "can_check": user.has_perm("service.check_callback"),
            "results": CallbackItem.Result.choices,
            "units": Unit.objects.active().values_list("pk", "short_name"),
            "chosen": {"unit": unit_id, "reached": request.GET.get("reached") == "true", "result": result},
        },
    )


@require_POST
def callback_record(request, pk):
    """Record one call (checkers only); "not actually solved" reopens the request with the note."""
    if not request.user.has_perm("service.check_callback"):
        raise PermissionDenied
    item = get_object_or_404(CallbackItem.objects.visible_to(request.user), pk=pk)
    back = safe_next(request, f"{reverse('service:callback_list')}?month={item.sample.month:%Y-%m}")
    try:
        callback_check_record(
            item=item,
            by=request.user,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
        )
    except PermissionDenied:
        messages.error(request, _("You may not do that on this request."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Call recorded: #%(id)d.") % {"id": item.request_id})
    return redirect(back)

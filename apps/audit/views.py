from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from .history import RECORDS, can_view_history, describe, entries


def history(request, kind: str, pk: int):
    """The history of one record, newest first: for unit managers, leaders and admins, on the records they
    may open (another unit's record is a 404, as on its own page)."""
    audited = RECORDS.get(kind)
    if audited is None:
        raise Http404
    if not can_view_history(request.user):
        raise PermissionDenied
    record = get_object_or_404(audited.model.objects.visible_to(request.user), pk=pk)
    page = Paginator(entries(record, audited), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    describe(list(page))
    return render(
        request,
        "audit/history.html",
        {
            "record": record,
            "verbose_name": audited.model._meta.verbose_name,
            "record_url": reverse(audited.detail_url, args=[record.pk]),
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
        },
    )

import logging
import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.choices import flatten_choices
from django.utils.formats import localize, number_format
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View
from django_filters.views import FilterView

from .exports import XLSX_CONTENT_TYPE
from .imports import Importer, ImportReport, error_report_bytes
from .querysets import OrderedUnion, ReusedList
from .widgets import prefetch_choices, speed_up_selects

_SESSION_KEY = "pending_imports"


FILTERS_PARAM = "filters"  # ?filters=1: draw a list's filter form (FilteredListView)


def query_string_without_page(request, *also: str) -> str:
    """The current filters, for pagination and export links; without the filters named in `also` too (the
    link that removes one)."""
    query = request.GET.copy()
    for key in ("page", FILTERS_PARAM, *also):
        query.pop(key, None)
    return query.urlencode()


def count_upto(queryset, cap: int, margin: int) -> int:
    """The rows of `queryset`, counted up to `cap` + 1 — or `cap` + 1 without counting when PostgreSQL
    estimates `margin` times the cap or more (its statistics, close for a unit's or a status's rows): one
    query, the database function count_upto (apps/core/migrations/0002_count_upto.py)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter nothing can match (e.g. an empty choice list): no query at all
        return 0
    with connections[queryset.db].cursor() as cursor:
        query = cursor.mogrify(sql, params)  # the driver's own quoting of the values
        cursor.execute("SELECT count_upto(%s, %s, %s)", [query.decode(), cap, margin])
        return cursor.fetchone()[0]


class TwoEndedPaginator(Paginator):
    """Pages past the middle are read from the other end, in reverse order with a small offset, then turned
    round: the last page costs what the first costs instead of scanning every row before it (the worst
    page is the middle one). Needs an ordered queryset whose order ends on a unique column.

    Counting stops at `settings.LIST_COUNT_CAP` rows: counting a million requests on every page view costs
    more than the page. Past the cap the list says "more than N", pages go forward up to the cap, and the
    last page (?page=last) is read from the other end. When PostgreSQL's own estimate of the rows is
    `ESTIMATE_MARGIN` times the cap or more, the rows are not counted at all: even counting up to the cap
    read ~10,000 rows of a busy unit's requests (13 ms of a 20 ms page), to print "more than 1,000"."""

    cap = settings.LIST_COUNT_CAP
    ESTIMATE_MARGIN = 5

    def __init__(self, *args, rows=list, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows  # turns a slice of the queryset into what the page shows (default: the instances)

    @cached_property
    def count(self):
        rows = self.object_list
        if isinstance(rows, OrderedUnion):  # one index per arm, counted as it is read
            return rows.count_upto(self.cap + 1)
        if isinstance(rows, ReusedList):
            rows = rows.queryset
        if not hasattr(rows, "query"):
            return len(rows)
        return count_upto(rows.order_by().values("pk"), self.cap, self.ESTIMATE_MARGIN)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        if self.capped:
            return _("more than %(count)s") % {"count": number_format(self.cap, force_grouping=True)}
        return number_format(self.count, force_grouping=True)

    def page(self, number):
        if self.capped and number in ("last", self.num_pages, str(self.num_pages)):
            last = self.rows(self.object_list.reverse()[: self.per_page])
            last.reverse()
            return self._get_page(last, self.num_pages, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if self.capped or bottom <= self.count // 2 or not getattr(rows, "ordered", False):
            page = super().page(number)
            page.object_list = self.rows(page.object_list)
            return page
        tail = self.rows(rows.reverse()[self.count - top : self.count - bottom])
        tail.reverse()
        return self._get_page(tail, number, self)


class FilteredListView(FilterView):
    """Every list page: a django-filter FilterSet, pagination, and the filters kept in its links."""

    paginate_by = settings.PAGE_SIZE
    paginator_class = TwoEndedPaginator
    strict = False
    table_rows = None  # a function: the page's slice of the queryset → the rows its table draws

    # A list read through its arms is counted through them: by reading its first ids in order (kept for the
    # page), or — False — their rows in no order, each arm from its own index (OrderedUnion.count_upto).
    count_in_order = True

    def visibility_arms(self):
        """The disjoint conditions the user's visible rows are the union of (a model's `visible_arms`), or
        None when the list is read as one query (a leader's; a list without arms)."""
        return None

    def visibility_key(self):
        """What the list's rows are chosen by besides its filters, alone (hashable; e.g. the user's unit, or
        that they see every unit; it names the user where the rows depend on them): an unfiltered list's
        statements are composed once per process for it (OrderedUnion's `reuse` for the arms, `ReusedList`
        for one query); None: composed on every view."""
        return None

    def without_visibility(self):
        """The list's rows before its visibility rule, which the arms stand for (a list with arms only)."""
        raise NotImplementedError

    def paginate_queryset(self, queryset, page_size):
        arms = self.visibility_arms()
        if arms is not None and len(arms) > 1:
            # the page's ids are found and counted by the arms alone, among the rows the same filters leave
            # of the list without its visibility rule; its rows are read through `queryset`, rule and all
            within = self.without_visibility()
            if self.filterset.is_bound:  # its form is cleaned: the list was filtered (FilterSet.qs)
                within = self.filterset.filter_queryset(within)
            filtered = self.filter_chosen()
            # unfiltered, the arms and `within` are the same for every user the key names
            reuse = None if filtered else (type(self), self.visibility_key())
            # the first ids in order, read to count them, serve the pages among them; the last page of a
            # list past the cap is read from the other end without them. An unfiltered unit's list is the
            # one past the cap: its last page is counted in no order (the busiest unit's visits: each
            # arm's entries in order cost 2.6 ms, in no order 0.4). Under the cap the first ids are all of
            # them and the last page is among them: a filtered list's stays counted in order (in no order
            # it cost the busiest unit's phone visits a statement more, 2.3 ms)
            last = self.request.GET.get(self.page_kwarg) == "last"
            in_order = self.count_in_order and (filtered or not last)
            queryset = OrderedUnion(queryset, arms, within=within, count_in_order=in_order, reuse=reuse)
        elif not self.filter_chosen() and (key := self.visibility_key()) is not None:
            # read as one query (a leader's list, a busy unit's, the enterprise list…), unfiltered: the same
            # for every user the key names, its pages' row statements composed once (and apart for a form
            # bound to an empty query, `?page=2`, which its filters may read otherwise)
            queryset = ReusedList(queryset, (type(self), key, self.filterset.is_bound))
        return super().paginate_queryset(queryset, page_size)

    def get_paginator(self, *args, **kwargs):
        if self.table_rows is not None:
            kwargs["rows"] = type(self).table_rows
        return super().get_paginator(*args, **kwargs)

    # The filter form (includes/filters.html): left out of the page and fetched when the user first opens it
    # (`?filters=1`, a fragment for htmx, the whole page with the form open without it), filtered or not. Its
    # dropdowns (300 units, a unit's people) cost more to load and draw than the page's 50 rows: a third of
    # a filtered page. A filtered page says what is chosen instead (`chosen_filters`), each with a link that
    # removes it; the form, once opened, shows the same choices. A choice the form refuses draws it open,
    # with its error.
    filter_form_template = "includes/filter_form.html"

    def get(self, request, *args, **kwargs):
        if self.filters_asked() and request.htmx:
            self.filterset = self.get_filterset(self.get_filterset_class())
            self._prepare_form()
            context = {"filter": self.filterset, **self.filter_form_context()}
            response = render(request, self.filter_form_template, context)
            patch_vary_headers(response, ("HX-Request",))  # the same URL is the whole page without htmx
            return response
        return super().get(request, *args, **kwargs)

    def filter_chosen(self) -> bool:
        """Whether a filter has a value (the page and the form's own request are not filters); read from the
        query string, without building the form."""
        chosen = self.request.GET.lists()
        return any(any(values) for name, values in chosen if name not in ("page", FILTERS_PARAM))

    def filters_asked(self) -> bool:
        return self.request.GET.get(FILTERS_PARAM) == "1"

    def filters_drawn(self) -> bool:
        """Whether the page draws its filter form: asked for, or a chosen filter the form refused."""
        return self.filters_asked() or bool(self.filterset.is_bound and self.filterset.form.errors)

    def filter_form_context(self) -> dict:
        """What the filter form template needs besides the FilterSet (e.g. a list's own fields)."""
        return {}

    def chosen_filters(self) -> list[tuple[str, str, str]]:
        """The filters the list applies, in the form's order: (the field's label, the chosen value as the
        form shows it, the query string without that filter)."""
        # nothing chosen: its form not even built (~2 ms of a list page); refused: the form is drawn instead
        if not self.filterset.is_bound or self.filterset.form.errors:
            return []
        form, data = self.filterset.form, self.request.GET
        return [
            (
                str(field.label),
                chosen_value(field, form.cleaned_data[name]),
                query_string_without_page(self.request, name),
            )
            for name, field in form.fields.items()
            if any(data.getlist(name)) and form.cleaned_data.get(name) not in (None, "", [], ())
        ]

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if FILTERS_PARAM in self.request.GET:  # the form's own request is not a filter
            data = self.request.GET.copy()
            data.pop(FILTERS_PARAM)
            kwargs["data"] = data or None
        return kwargs

    def _prepare_form(self) -> None:
        """The form's dropdowns loaded in one round trip and its fields drawn fast: only when it is drawn."""
        prefetch_choices(self.filterset.form)
        speed_up_selects(self.filterset.form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query_string"] = query_string_without_page(self.request)
        # an empty list says whether a filter emptied it or there is nothing yet
        context["filtered"] = self.filter_chosen()
        context["filters_drawn"] = self.filters_drawn()
        if context["filters_drawn"]:
            self._prepare_form()
            context.update(self.filter_form_context())
        else:
            query = context["query_string"]
            context["filter_form_url"] = f"{self.request.path}?{query}{'&' if query else ''}{FILTERS_PARAM}=1"
            context["chosen_filters"] = self.chosen_filters()
        return context


def chosen_value(field, value) -> str:
    """A filter's cleaned `value` as its field offers it: the label of a choice (several joined), the name of
    a unit or person, yes or no, a localized date or number."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return _list(field.label_from_instance(item) for item in value)
    if isinstance(field, forms.ModelChoiceField):
        return str(field.label_from_instance(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(field, forms.ChoiceField):
        # optgroups too; choices a filter set gives as a function (read on first use) are read here
        labels = {str(key): str(label) for key, label in flatten_choices(list(field.choices))}
        values = value if isinstance(value, (list, tuple)) else [value]
        return _list(labels.get(str(item), str(item)) for item in values)
    return str(localize(value))


def _list(items) -> str:
    return pgettext("list separator", ", ").join(items)


def safe_next(request, default: str) -> str:
    """The `next` URL posted with a form if it stays on this site, else `default` (a URL or URL name)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


# how long an import preview's kept copy may be committed; `purge_import_uploads` deletes older copies
PREVIEW_EXPIRES = timedelta(hours=24)


class ImportView(View):
    """Upload → dry-run preview → commit, for any `Importer`.

    The uploaded file is kept in the default storage between the preview and the commit (so any web
    worker can commit it) and checked again on commit, all-or-nothing.
    """

    importer_class: type[Importer]
    permission: str = ""
    success_url: str = ""
    template_name = "core/import.html"
    filename_stem = "import"

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.importer = self.importer_class(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if request.GET.get("template"):
            response = HttpResponse(self.importer.template_bytes(), content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{self.filename_stem}-template.xlsx"'
            return response
        if request.GET.get("errors"):
            stored = self._open_pending(request, request.GET["errors"])
            if stored is None:
                return redirect(request.path)
            with stored:
                report = self.importer.check(stored)
            response = HttpResponse(error_report_bytes(report), content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{self.filename_stem}-errors.xlsx"'
            return response
        return self._render(None)

    def post(self, request):
        if "commit" in request.POST:
            return self._commit(request)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return self._render(ImportReport(rows=[], file_errors=[_("Choose a file to upload.")]))
        report = self.importer.check(uploaded)
        token = ""
        if report.rows:
            uploaded.seek(0)
            token = self._keep(request, uploaded)
        return self._render(report, token=token)

    def _open_pending(self, request, token: str):
        """The kept copy of a preview, unless it is gone or older than PREVIEW_EXPIRES (whether or not the
        daily `purge_import_uploads` has deleted it yet)."""
        path = request.session.get(_SESSION_KEY, {}).get(token)
        expired = (
            not path
            or not default_storage.exists(path)
            or default_storage.get_modified_time(path) < timezone.now() - PREVIEW_EXPIRES
        )
        if expired:
            messages.error(request, _("That upload has expired. Upload the file again."))
            return None
        stored = default_storage.open(path, "rb")
        stored.name = path
        return stored

    def _commit(self, request):
        """The apply step runs as a background job (apps/core/tasks.py, import_apply) with a progress page;
        where jobs run at once (tests, JIANBEI_JOBS_EAGER) the page answers as it always did."""
        from apps.jobs.models import Job
        from apps.jobs.services import job_start

        from .tasks import import_apply

        token = request.POST.get("token", "")
        stored = self._open_pending(request, token)
        if stored is None:
            return redirect(request.path)
        stored.close()
        importer = type(self.importer)
        job = job_start(user=request.user, title=self.importer.title, next_url=resolve_url(self.success_url))
        result = import_apply.enqueue(
            job_id=str(job.pk), importer=f"{importer.__module__}.{importer.__qualname__}", path=stored.name
        )
        job.refresh_from_db()
        if job.status == Job.Status.FAILED:  # ran at once and the rows no longer pass: show why, as before
            stored = self._open_pending(request, token)
            if stored is None:
                return redirect(request.path)
            with stored:
                return self._render(self.importer.check(stored), token=token)
        pending = request.session.get(_SESSION_KEY, {})
        pending.pop(token, None)  # the job owns the kept copy now (and deletes it once applied)
        request.session[_SESSION_KEY] = pending
        if job.status == Job.Status.DONE:  # ran at once: say so in the page's language
            done = result.backend and import_apply.get_result(result.id).return_value
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated.")
                % {"created": done["created"], "updated": done["updated"]},
            )
            return redirect(self.success_url)
        return redirect("jobs:detail", pk=job.pk)

    def _keep(self, request, uploaded) -> str:
        token = uuid.uuid4().hex
        suffix = PurePath(uploaded.name or "").suffix.lower()
        suffix = suffix if suffix in {".xlsx", ".csv", ".txt"} else ""
        path = default_storage.save(
            f"imports/{request.user.pk}/{token}{suffix}", ContentFile(uploaded.read())
        )
        pending = request.session.get(_SESSION_KEY, {})
        pending[token] = path
        request.session[_SESSION_KEY] = pending
        return token

    def _render(self, report: ImportReport | None, token: str = ""):
        return render(
            self.request,
            self.template_name,
            {"importer": self.importer, "report": report, "token": token},
        )


error_logger = logging.getLogger("jianbei.errors")


def server_error(request):
    """The generic 500 page (DEBUG off): no detail, the request's id to quote, nothing read from the database
    (it may be what failed). Django logs the traceback on `django.request`; this line ties it to the id."""
    request_id = getattr(request, "id", "-")
    error_logger.error("Server error [request %s] %s %s", request_id, request.method, request.path)
    html = render_to_string("500.html", {"request_id": request_id})
    return HttpResponse(html, status=500)  # RequestIdMiddleware adds the X-Request-ID header


def period_from_request(request, *, default_start: date | None = None) -> tuple[date, date]:
    """?from=&to= (YYYY-MM-DD), default: 1 January to today. A bad or reversed range falls back."""
    today = timezone.localdate()
    start, end = default_start or date(today.year, 1, 1), today
    try:
        if request.GET.get("from"):
            start = date.fromisoformat(request.GET["from"])
        if request.GET.get("to"):
            end = date.fromisoformat(request.GET["to"])
    except ValueError:
        start, end = default_start or date(today.year, 1, 1), today
    if end < start or start.year < 2000 or end.year > today.year + 1:
        start, end = default_start or date(today.year, 1, 1), today
    return start, end


def url_maker(name: str):
    """A function pk → URL of the route `name` (one int argument), reversed once instead of once per row:
    a list of 50 rows with two links each spent more on `{% url %}` than on its query."""
    marker = 2_147_483_647
    prefix, suffix = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{prefix}{pk}{suffix}"

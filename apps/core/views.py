import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView

from .exports import XLSX_CONTENT_TYPE
from .imports import Importer, ImportReport, error_report_bytes

_SESSION_KEY = "pending_imports"


def query_string_without_page(request) -> str:
    """The current filters, for pagination and export links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class FilteredListView(FilterView):
    """Every list page: a django-filter FilterSet, pagination, and the filters kept in its links."""

    paginate_by = settings.PAGE_SIZE
    strict = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query_string"] = query_string_without_page(self.request)
        return context


def safe_next(request, default: str) -> str:
    """The `next` URL posted with a form if it stays on this site, else `default` (a URL or URL name)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


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
        path = request.session.get(_SESSION_KEY, {}).get(token)
        if not path or not default_storage.exists(path):
            messages.error(request, _("That upload has expired. Upload the file again."))
            return None
        stored = default_storage.open(path, "rb")
        stored.name = path
        return stored

    def _commit(self, request):
        token = request.POST.get("token", "")
        stored = self._open_pending(request, token)
        if stored is None:
            return redirect(request.path)
        with stored:
            report = self.importer.commit(stored)
        if not report.ok:
            return self._render(report, token=token)
        pending = request.session.get(_SESSION_KEY, {})
        default_storage.delete(pending.pop(token))
        request.session[_SESSION_KEY] = pending
        messages.success(
            request,
            _("Imported: %(created)d created, %(updated)d updated.")
            % {"created": report.created, "updated": report.updated},
        )
        return redirect(self.success_url)

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

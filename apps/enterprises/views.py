from django.contrib import messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Prefetch
from django.db.models.functions import JSONObject
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views import View

from apps.core.exports import xlsx_response
from apps.core.locking import EditConflict, EditConflictMixin
from apps.core.querysets import TableRow, table_of
from apps.core.views import FilteredListView, ImportView, url_maker

from . import services
from .filters import EnterpriseFilter
from .forms import ContactFormSet, EnterpriseForm
from .importers import EnterpriseImporter
from .models import Contact, Enterprise, Size, Tag


def _enterprise_rows(request):
    return (
        Enterprise.objects.visible_to(request.user)
        .select_related("unit")
        .prefetch_related("tags", Prefetch("contacts", queryset=Contact.objects.filter(is_primary=True)))
    )


def _list_rows(request):
    """The list's enterprises with the tags' names and the primary contacts as columns of their own row
    (PostgreSQL leaves the arrays out of the page count, which does not read them) instead of two more
    queries and a model object for each tag and contact; the unit's short name is read with the page's rows
    (`EnterpriseRow`), not joined into the count."""
    mine = OuterRef("pk")
    primary = Contact.objects.filter(enterprise=mine, is_primary=True).order_by("id")
    return Enterprise.objects.visible_to(request.user).annotate(
        tag_names=ArraySubquery(Tag.objects.filter(enterprises=mine).order_by("name").values("name")),
        primary_contacts=ArraySubquery(primary.values(json=JSONObject(name="name", mobile="mobile"))),
    )


class EnterpriseRow(TableRow):
    """One row of the enterprise list: the columns it shows, its link and its size's label."""

    columns = (
        *("pk", "name", "credit_code", "is_key", "industry", "size"),
        *("unit__short_name", "tag_names", "primary_contacts"),
    )
    __slots__ = (*columns, "record_url", "size_label")


def enterprise_table(enterprises) -> list[EnterpriseRow]:
    """The rows of a page of the enterprise list (`enterprises`: `_list_rows`, filtered, ordered, sliced),
    the link and the size's label worked out once each, not by a template tag per row."""
    record, sizes = url_maker("enterprise_record"), {value: str(label) for value, label in Size.choices}
    rows = table_of(enterprises, EnterpriseRow)
    for row in rows:
        row.record_url = record(row.pk)
        row.size_label = sizes.get(row.size, row.size)
    return rows


class EnterpriseListView(FilteredListView):
    filterset_class = EnterpriseFilter
    template_name = "enterprises/enterprise_list.html"
    table_rows = enterprise_table

    def get_queryset(self):
        return _list_rows(self.request)

    def visibility_key(self):
        return "every signed-in user"  # Enterprise.objects.visible_to

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("enterprises.add_enterprise")
        return context


class EnterpriseExportView(View):
    def get(self, request):
        filterset = EnterpriseFilter(request.GET, queryset=_enterprise_rows(request), request=request)
        headers = [c.header for c in EnterpriseImporter.columns] + ["标签", "成立日期"]
        rows = (
            [
                e.name,
                e.credit_code,
                e.unit.name,
                e.get_industry_display(),
                e.get_size_display(),
                "是" if e.is_key else "否",
                e.address,
                *(_primary_contact(e)),
                "、".join(t.name for t in e.tags.all()),
                e.founded_on.isoformat() if e.founded_on else "",
            ]
            for e in filterset.qs.iterator(chunk_size=2000)
        )
        return xlsx_response("enterprises", headers, rows)


def _primary_contact(enterprise) -> tuple[str, str]:
    contacts = list(enterprise.contacts.all())
    return (contacts[0].name, contacts[0].mobile) if contacts else ("", "")


class EnterpriseFormView(EditConflictMixin, View):
    """Create (no pk) or edit an enterprise with its contacts, in one transaction."""

    template_name = "enterprises/enterprise_form.html"

    def dispatch(self, request, *args, pk=None, **kwargs):
        self.enterprise = None
        if pk is not None:
            self.enterprise = get_object_or_404(Enterprise.objects.editable_by(request.user), pk=pk)
        elif not request.user.has_perm("enterprises.add_enterprise"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = EnterpriseForm(instance=self.enterprise, user=request.user)
        formset = ContactFormSet(instance=self.enterprise, prefix="contacts")
        return self._render(form, formset)

    def post(self, request):
        form = EnterpriseForm(request.POST, instance=self.enterprise, user=request.user)
        formset = ContactFormSet(request.POST, instance=self.enterprise, prefix="contacts")
        if not (form.is_valid() and formset.is_valid()):
            return self._render(form, formset)
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            with transaction.atomic():
                if self.enterprise is None:
                    enterprise = services.enterprise_create(
                        by=request.user, tags=form.cleaned_data["tags"], **data
                    )
                else:
                    enterprise = services.enterprise_update(
                        enterprise=self.enterprise,
                        by=request.user,
                        tags=form.cleaned_data["tags"],
                        expected_version=form.expected_version,
                        related_changed=formset.has_changed(),
                        **data,
                    )
                formset.instance = enterprise
                formset.save()
        except EditConflict:
            return self.conflict(request, self.enterprise)
        messages.success(request, _("Saved “%(name)s”.") % {"name": enterprise.name})
        return redirect("enterprise_record", pk=enterprise.pk)

    def _render(self, form, formset):
        cancel = (
            reverse("enterprise_record", args=[self.enterprise.pk])
            if self.enterprise
            else reverse("enterprises:list")
        )
        return render(
            self.request,
            self.template_name,
            {"form": form, "formset": formset, "enterprise": self.enterprise, "cancel_url": cancel},
        )


class EnterpriseImportView(ImportView):
    permission = "enterprises.add_enterprise"
    importer_class = EnterpriseImporter
    success_url = reverse_lazy("enterprises:list")
    filename_stem = "enterprises"


def enterprise_pick(request):
    """Search-as-you-type for forms that pick an enterprise (htmx fragment; works as a page too)."""
    text = request.GET.get("q", "").strip()[:100]
    results = (
        Enterprise.objects.visible_to(request.user).search(text).select_related("unit")[:20] if text else []
    )
    return render(
        request,
        "enterprises/_pick_results.html",
        {"results": results, "q": text, "field": request.GET.get("field", "enterprise")[:30]},
    )

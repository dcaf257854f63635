"""Bulk import of enterprises with the shared import pipeline (apps.core.imports)."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.imports import Column, Importer, RowResult, choice_parser, halfwidth, parse_bool
from apps.core.validators import validate_mobile
from apps.units.models import Unit

from .credit_code import normalize, validate_credit_code
from .models import Contact, Enterprise, Industry, Size
from .services import can_edit_unit, coverage_sync


def _parse_credit_code(text: str) -> str:
    validate_credit_code(text)
    return normalize(text)


def _parse_mobile(text: str) -> str:
    text = halfwidth(text).replace(" ", "").replace("-", "")
    validate_mobile(text)
    return text


class EnterpriseImporter(Importer):
    title = gettext_lazy("Import enterprises")
    key = "统一社会信用代码"
    columns = [
        Column("企业名称", "name", required=True, max_length=200, example="南京示例科技有限公司"),
        Column(
            "统一社会信用代码",
            "credit_code",
            required=True,
            parse=_parse_credit_code,
            example="91350100M000100Y43",
        ),
        Column("所属园区", "unit", required=True, max_length=100, example="产业技术研创园"),
        Column("行业门类", "industry", required=True, parse=choice_parser(Industry.choices), example="C"),
        Column("企业规模", "size", required=True, parse=choice_parser(Size.choices), example="小型"),
        Column("是否重点企业", "is_key", parse=parse_bool, example="是"),
        Column("注册地址", "address", max_length=200, example="南京市江北新区示例路1号"),
        Column("联系人", "contact_name", max_length=50, example="张三"),
        Column("联系电话", "contact_mobile", parse=_parse_mobile, example="13812345678"),
    ]

    def prepare(self, rows: list[RowResult]) -> None:
        names = {row.data.get("unit") for row in rows if row.data.get("unit")}
        self.units = {}
        for unit in Unit.objects.filter(Q(name__in=names) | Q(short_name__in=names)):
            self.units[unit.name] = unit
            self.units.setdefault(unit.short_name, unit)
        codes = [row.data["credit_code"] for row in rows if row.data.get("credit_code")]
        self.existing = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}

    def clean_row(self, row: RowResult) -> None:
        unit = self.units.get(row.data["unit"])
        if unit is None:
            row.add_error("所属园区", _("No unit is called “%(name)s”.") % {"name": row.data["unit"]})
            return
        row.data["unit"] = unit
        existing = self.existing.get(row.data["credit_code"])
        if existing is not None and not can_edit_unit(self.user, existing.unit_id):
            row.add_error(self.key, _("This enterprise belongs to another unit; you may not change it."))
        if not can_edit_unit(self.user, unit.pk):
            row.add_error("所属园区", _("You may only import enterprises of your own unit."))
        if row.data.get("contact_mobile") and not row.data.get("contact_name"):
            row.add_error("联系人", _("Give the contact's name with the phone number."))
        row.action = "update" if existing is not None else "create"

    @transaction.atomic
    def save(self, rows: list[RowResult]) -> tuple[int, int]:
        # Optional columns missing from the file leave the stored values alone (and defaults on create).
        fields = [f for f in ("name", "unit", "industry", "size", "is_key", "address") if f in rows[0].data]
        new, changed, contacts = [], [], []
        now = timezone.now()
        for row in rows:
            data = dict(row.data)
            if "is_key" in data:
                data["is_key"] = bool(data["is_key"])
            if "address" in data:
                data["address"] = data["address"] or ""
            enterprise = self.existing.get(data["credit_code"])
            if enterprise is None:
                enterprise = Enterprise(credit_code=data["credit_code"], **{f: data[f] for f in fields})
                new.append(enterprise)
            else:
                for f in fields:
                    setattr(enterprise, f, data[f])
                enterprise.updated_at = now
                enterprise.version = F("version") + 1  # a form opened before the import is now stale
                changed.append(enterprise)
            if data.get("contact_name"):
                contacts.append((enterprise, data["contact_name"], data.get("contact_mobile") or ""))
        Enterprise.objects.bulk_create(new, batch_size=2000)
        Enterprise.objects.bulk_update(changed, [*fields, "updated_at", "version"], batch_size=2000)
        coverage_sync(enterprises=[*new, *changed] if {"unit", "is_key"} & set(fields) else new)
        self._save_primary_contacts(contacts)
        return len(new), len(changed)

    def _save_primary_contacts(self, contacts) -> None:
        """The file's 联系人/联系电话 is the enterprise's primary contact: update it or add one."""
        ids = [enterprise.pk for enterprise, _name, _mobile in contacts]
        primary = {c.enterprise_id: c for c in Contact.objects.filter(enterprise_id__in=ids, is_primary=True)}
        new, changed = [], []
        for enterprise, name, mobile in contacts:
            contact = primary.get(enterprise.pk)
            if contact is None:
                new.append(Contact(enterprise=enterprise, name=name, mobile=mobile, is_primary=True))
            elif (contact.name, contact.mobile) != (name, mobile):
                contact.name, contact.mobile = name, mobile
                changed.append(contact)
        Contact.objects.bulk_create(new, batch_size=2000)
        Contact.objects.bulk_update(changed, ["name", "mobile"], batch_size=2000)

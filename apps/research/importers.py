"""Excel imports of R&D results and carriers with the shared pipeline (apps.core.imports)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.imports import Column, Importer, choice_parser, parse_decimal
from apps.core.rollups import Delta
from apps.enterprises.models import Industry
from apps.units.models import Unit

from . import rollups
from .models import Carrier, Entity, Result, ResultEvent
from .services import can_edit


def _area(text: str) -> Decimal:
    return parse_decimal(text, min_value=Decimal(0), max_value=Decimal("100000000"))


def _units_by_name(names):
    units = {}
    for unit in Unit.objects.filter(Q(name__in=names) | Q(short_name__in=names), is_active=True):
        units[unit.name] = unit
        units.setdefault(unit.short_name, unit)
    return units


class ResultImporter(Importer):
    title = gettext_lazy("Import R&D results")
    columns = [
        Column("成果名称", "title", required=True, max_length=200, example="高通量基因测序仪"),
        Column("研发主体", "entity", required=True, max_length=200, example="南京示例研究院"),
        Column("行业门类", "industry", required=True, parse=choice_parser(Industry.choices), example="C"),
        Column(
            "成果类型",
            "type",
            required=True,
            parse=choice_parser(Result.Type.choices),
            example="专利",
        ),
        Column(
            "成熟度",
            "maturity",
            required=True,
            parse=choice_parser(Result.Maturity.choices),
            example="中试",
        ),
        Column(
            "拟落地方式",
            "landing_mode",
            required=True,
            parse=choice_parser(Result.Landing.choices),
            example="技术转让",
        ),
        Column("需求面积（㎡）", "need_space_m2", parse=_area, example="800"),
        Column("责任单位", "unit", required=True, max_length=100, example="科技创新和大数据管理局"),
    ]

    def prepare(self, rows):
        self.entities = {
            e.name: e for e in Entity.objects.filter(name__in=[r.data.get("entity") for r in rows])
        }
        self.units = _units_by_name({r.data.get("unit") for r in rows})
        existing = Result.objects.filter(title__in=[r.data.get("title") for r in rows]).values_list(
            "title", "entity__name"
        )
        self.existing = set(existing)
        self.in_file = {}  # (title, entity name) → the first row that has it

    def clean_row(self, row):
        entity, unit = self.entities.get(row.data["entity"]), self.units.get(row.data["unit"])
        if entity is None:
            row.add_error("研发主体", _("No R&D entity is called “%(name)s”.") % {"name": row.data["entity"]})
        if unit is None:
            row.add_error("责任单位", _("No unit is called “%(name)s”.") % {"name": row.data["unit"]})
        elif not can_edit(self.user, Result(unit=unit)):
            row.add_error("责任单位", _("You may only import results of your own unit."))
        key = (row.data["title"], row.data["entity"])
        if key in self.existing:
            row.add_error("成果名称", _("This result of this entity is already in the library."))
        elif key in self.in_file:
            row.add_error("成果名称", _("Same as row %(row)d.") % {"row": self.in_file[key]})
        else:
            self.in_file[key] = row.number
        row.data["entity"], row.data["unit"] = entity, unit
        row.action = "create"

    @transaction.atomic
    def save(self, rows):
        results = Result.objects.bulk_create(Result(**r.data) for r in rows)
        events = ResultEvent.objects.bulk_create(
            ResultEvent(result=r, to_status="catalogued", by=self.user) for r in results
        )
        delta = Delta()
        for result, event in zip(results, events, strict=True):
            delta += rollups.result_state_rows(result) + rollups.result_event_rows(event, result.unit_id)
        delta.apply()
        return len(results), 0


class CarrierImporter(Importer):
    title = gettext_lazy("Import carriers")
    key = "载体名称"
    columns = [
        Column("载体名称", "name", required=True, max_length=200, example="研创园孵化器A座"),
        Column(
            "载体类型",
            "kind",
            required=True,
            parse=choice_parser(Carrier.Kind.choices),
            example="孵化器",
        ),
        Column("所属园区", "park", required=True, max_length=100, example="产业技术研创园"),
        Column("总面积（㎡）", "total_area_m2", required=True, parse=_area, example="12000"),
        Column("空置面积（㎡）", "free_area_m2", required=True, parse=_area, example="3500"),
        Column("价格/租金", "price", max_length=100, example="1.2元/㎡·天"),
        Column("联系人", "contact", max_length=100, example="王经理 13812345678"),
    ]

    def prepare(self, rows):
        self.units = _units_by_name({r.data.get("park") for r in rows})
        self.existing = {
            c.name: c for c in Carrier.objects.filter(name__in=[r.data.get("name") for r in rows])
        }

    def clean_row(self, row):
        park = self.units.get(row.data["park"])
        if park is None:
            row.add_error("所属园区", _("No unit is called “%(name)s”.") % {"name": row.data["park"]})
        elif not can_edit(self.user, Carrier(unit=park)):
            row.add_error("所属园区", _("You may only import carriers of your own unit."))
        if row.data["free_area_m2"] > row.data["total_area_m2"]:
            row.add_error("空置面积（㎡）", _("The free area cannot exceed the total area."))
        existing = self.existing.get(row.data["name"])
        if existing is not None and not can_edit(self.user, existing):
            row.add_error(self.key, _("This carrier belongs to another unit; you may not change it."))
        row.data["park"] = park
        row.action = "update" if existing else "create"

    @transaction.atomic
    def save(self, rows):
        created = updated = 0
        for row in rows:
            d = row.data
            carrier = self.existing.get(d["name"]) or Carrier(name=d["name"], unit=d["park"])
            for f in ("kind", "park", "total_area_m2", "free_area_m2"):
                setattr(carrier, f, d[f])
            for f in ("price", "contact"):
                if d.get(f) is not None:
                    setattr(carrier, f, d[f])
            updated += bool(carrier.pk)
            created += not carrier.pk
            if carrier.pk:
                carrier.version = F("version") + 1  # a form opened before the import is now stale
            carrier.save()
        return created, updated

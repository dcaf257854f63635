"""Excel import of investment leads with the shared pipeline (apps.core.imports)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.imports import Column, Importer, choice_parser
from apps.enterprises.models import Industry
from apps.projects.importers import _amount

from .models import Lead
from .services import lead_create


class LeadImporter(Importer):
    """Leads of the importing user's unit, owned by the importer. The same project name and investor twice
    in the unit is refused, so a file imported twice creates nothing the second time."""

    title = gettext_lazy("Import investment leads")
    columns = [
        Column("项目名称", "name", required=True, max_length=200, example="新能源电池材料项目"),
        Column("投资方", "investor", required=True, max_length=200, example="上海示例集团有限公司"),
        Column("来源地", "investor_city", max_length=50, example="上海"),
        Column("行业门类", "industry", required=True, parse=choice_parser(Industry.choices), example="C"),
        Column("预计投资（万元）", "expected_wan", required=True, parse=_amount, example="150000"),
        Column("来源", "source", required=True, parse=choice_parser(Lead.Source.choices), example="外出招商"),
        Column("展会", "fair", max_length=100, example="华交会"),
    ]

    def prepare(self, rows):
        # Only the importing unit's leads count as already recorded: whether another unit holds a lead is
        # not this unit's to know, so another unit's lead gets the answer a lead nobody holds gets (#17).
        keys = {(r.data.get("name"), r.data.get("investor")) for r in rows}
        mine = Lead.objects.filter(unit_id=self.user.unit_id) if self.user.unit_id else Lead.objects.none()
        self.existing = set(mine.filter(name__in=[k[0] for k in keys]).values_list("name", "investor"))
        self.seen: dict[tuple[str, str], int] = {}  # (name, investor) → its first row in this file

    def clean_row(self, row):
        key = (row.data["name"], row.data["investor"])
        if key in self.existing:
            row.add_error("项目名称", _("This lead of this investor is already recorded."))
        elif key in self.seen:
            row.add_error("项目名称", _("Same as row %(row)d.") % {"row": self.seen[key]})
        else:
            self.seen[key] = row.number
        if row.data["source"] == Lead.Source.REFERRAL:
            row.add_error(
                "来源", _("Leads introduced by a business are recorded one by one, with the referrer.")
            )
        if row.data["source"] == Lead.Source.FAIR and not row.data.get("fair"):
            row.add_error("展会", _("Name the trade fair."))
        if not self.user.unit_id or not self.user.has_perm("investment.add_lead"):
            row.add_error("项目名称", _("You may not record leads."))
        row.action = "create"

    @transaction.atomic
    def save(self, rows):
        for row in rows:
            data = {k: v for k, v in row.data.items() if v is not None}
            lead_create(by=self.user, unit=self.user.unit, owner=self.user, **data)
        return len(rows), 0

# Data migration: a default set of indicators across the four campaigns (rates, not raw volume, so a big
# unit does not win by being big), and the ranking permissions of each role.
import datetime
from decimal import Decimal

from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, sync_role_permissions

ALL = ["bureaus", "parks", "streets"]
# code, name, campaign, computation, definition, direction, weight, target, rule, cap, threshold, groups
INDICATORS = [
    ("closure_rate", "诉求办结率", "service", "service_closure_rate",
     "当月受理并已办结（含已回访）的诉求 ÷ 当月受理的诉求，按承办单位统计。", "higher", 20, 90, "linear", 1, None, ALL),
    ("on_time_rate", "按时办结率", "service", "service_on_time_rate",
     "当月受理的诉求中在办结期限内办结的 ÷ 已办结的；低于 60% 不得分。", "higher", 15, 95, "threshold", 1, 60, ALL),
    ("same_day_ack", "事不过夜签收率", "service", "service_same_day_ack",
     "当月受理的诉求中在派单当个工作日下班前签收的 ÷ 当月受理的诉求。", "higher", 10, 90, "linear", 1, None, ALL),
    ("satisfaction", "企业满意率", "service", "service_satisfaction",
     "（满意 + 基本满意）÷ 有回访结果的诉求，限当月受理的诉求。", "higher", 10, 95, "linear", 1, None, ALL),
    ("visit_coverage", "重点企业走访覆盖率", "service", "key_visit_coverage",
     "本年 1 月 1 日至月末走访过的本单位重点企业 ÷ 本单位重点企业。", "higher", 10, 100, "linear", 1, None,
     ["parks", "streets"]),
    ("project_progress", "投资完成序时比", "projects", "project_progress",
     "本单位年度重大项目完成投资率 ÷ 序时进度（月度口径）× 100；最高计 1.2 倍。", "higher", 15, 100, "linear",
     Decimal("1.2"), None, ["bureaus", "parks"]),
    ("project_reporting", "月度投资填报率", "projects", "project_reporting",
     "当月已填报完成投资的本单位年度项目 ÷ 本单位年度项目。", "higher", 5, 100, "linear", 1, None, ["bureaus", "parks"]),
    ("research_matching", "成果对接推进率", "research", "research_matching",
     "本年入库且处于对接中或已落地的成果 ÷ 本年入库成果，按责任单位统计。", "higher", 5, 30, "linear", 1, None,
     ["bureaus", "parks"]),
    ("investment_stale", "招商线索超时率", "investment", "investment_stale",
     "月末仍在洽谈且超过办理时限的线索 ÷ 月末在手线索；越低越好。", "lower", 5, 10, "linear", 1, None, ALL),
    ("investment_conversion", "线索签约转化率", "investment", "investment_conversion",
     "本年新增线索中到月末已签约的 ÷ 本年新增线索；与同组最好单位相比计分。", "higher", 5, 20, "relative", 1, None, ALL),
]  # fmt: skip


def forwards(apps, schema_editor):
    Indicator = apps.get_model("rankings", "Indicator")
    Version = apps.get_model("rankings", "IndicatorVersion")
    for code, name, campaign, computation, definition, direction, weight, target, rule, cap, threshold, groups in INDICATORS:
        indicator, created = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "campaign": campaign, "computation": computation, "definition": definition,
                "direction": direction, "weight": Decimal(weight), "target": Decimal(target), "rule": rule,
                "cap": Decimal(cap), "threshold": None if threshold is None else Decimal(threshold),
                "peer_groups": groups, "valid_from": datetime.date(2024, 1, 1),
            },
        )  # fmt: skip
        if created:
            Version.objects.create(indicator=indicator, version=1, data={"code": code, "weight": str(weight),
                                   "target": str(target), "rule": rule, "definition": definition})  # fmt: skip
    sync_role_permissions(
        apps,
        {
            STAFF: ["rankings.view_indicator", "rankings.view_publication"],
            UNIT_MANAGER: ["rankings.view_indicator", "rankings.view_publication"],
            LEADER: ["rankings.view_indicator", "rankings.view_publication", "rankings.add_publication"],
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("rankings", "Indicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rankings", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]

"""An indicator's version history in the admin reads as changes, field by field (issue #18 item 9), in
Chinese by default: "权重：20 → 25", not the JSON each version is kept as.

Dataset: the seeded indicator 诉求办结率 (closure_rate). Its first version, kept by the data migration,
holds code, rule, target 90, weight 20 and the definition; the admin then saves it twice.
"""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from apps.rankings import services
from apps.rankings.models import Indicator, IndicatorVersion
from apps.rankings.versions import FieldChange, version_changes

from ..conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def closure(admin_user):
    indicator = Indicator.objects.get(code="closure_rate")
    indicator.weight, indicator.target = Decimal("25.00"), Decimal("95.50")
    indicator.rule, indicator.threshold = Indicator.Rule.THRESHOLD, Decimal("60.00")
    services.indicator_save(indicator=indicator, by=admin_user)  # version 2
    indicator.peer_groups, indicator.cap, indicator.is_active = ["parks"], Decimal("1.20"), False
    services.indicator_save(indicator=indicator, by=admin_user)  # version 3
    return indicator


def _rows(html: str) -> dict[str, list[str]]:
    """The version inline's rows: version number → the lines of its changes."""
    rows = {}
    for row in re.findall(r'<tr class="[^"]*has_original[^"]*".*?</tr>', html, re.S):
        version = re.search(r'<td class="field-version">\s*<p>(\d+)</p>', row).group(1)
        cell = re.search(r'<td class="field-changes">\s*<p>(.*?)</p>', row, re.S).group(1)
        rows[version] = [unescape(line) for line in cell.split("<br>")]
    return rows


def test_the_admin_shows_each_version_as_the_changes_from_the_one_before_in_chinese(
    admin_user, closure, settings
):
    settings.LANGUAGE_CODE = "zh-hans"  # the default language (this folder's tests read English)
    with translation.override("zh-hans"):
        created_as = translation.gettext("Created as:")  # a new string, translated when compiled
    response = client_for(admin_user).get(reverse("admin:rankings_indicator_change", args=[closure.pk]))
    html = response.content.decode()

    assert _rows(html) == {
        "3": [
            "封顶（目标倍数）：1 × → 1.2 ×",
            "同类分组：局办、园区及商务区、街道 → 园区及商务区",
            "启用：是 → 否",
        ],
        "2": [
            "权重：20 → 25",
            "目标值：90% → 95.5%",
            "计分规则：按目标线性计分（封顶） → 低于门槛不得分，其上按目标线性计分",
        ],
        "1": [
            created_as,
            "代码：closure_rate",
            "口径说明：当月受理并已办结（含已回访）的诉求 ÷ 当月受理的诉求，按承办单位统计。",
            "权重：20",
            "目标值：90",
            "计分规则：按目标线性计分（封顶）",
        ],
    }


def test_a_save_without_changes_says_so():
    data = {"weight": "20", "target": "90"}
    assert version_changes(data, dict(data)) == []


def test_the_first_version_lists_every_kept_field_in_the_forms_order():
    data = {"weight": "1000.00", "threshold": None, "measure": "家", "target": "12.50", "code": "x"}
    with translation.override("zh-hans"):
        changes = version_changes(data, None)
    assert changes == [
        FieldChange("代码", "", "x"),
        FieldChange("计量单位", "", "家"),
        FieldChange("权重", "", "1,000"),
        FieldChange("目标值", "", "12.5家"),
        FieldChange("门槛值", "", "—"),
    ]


def test_every_version_is_kept_as_before(closure):
    assert list(IndicatorVersion.objects.filter(indicator=closure).values_list("version", flat=True)) == [
        3,
        2,
        1,
    ]

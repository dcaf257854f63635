"""The satisfaction indicator says which rating it counts (issue #19): the enterprise's own where given, else
the one staff entered — a new version of the indicator, as an admin's change would make."""

import pytest

from apps.rankings.models import Indicator

pytestmark = pytest.mark.django_db


def test_the_satisfaction_indicator_says_the_enterprises_own_rating_counts():
    indicator = Indicator.objects.get(code="satisfaction")
    assert indicator.definition == (
        "（满意 + 基本满意）÷ 有回访结果的诉求，限当月受理的诉求。以企业本人通过企业端的评价为准；"
        "企业未自评的，计工作人员回访录入的评价。"
    )
    versions = list(indicator.versions.order_by("version").values_list("version", "data__definition"))
    assert versions[-1] == (indicator.version, indicator.definition)
    assert versions[-2][1] == "（满意 + 基本满意）÷ 有回访结果的诉求，限当月受理的诉求。"

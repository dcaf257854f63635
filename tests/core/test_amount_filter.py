"""`{{ value|amount }}` (apps/core/templatetags/amounts.py): money and areas with thousands separators, the
same in Chinese and English (Django's zh-hans format has no thousands separator and would group by four)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from apps.core.templatetags.amounts import format_amount


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("2315000.00"), None, "2,315,000.00"),  # the value's own decimals
        (Decimal("2315000.00"), 0, "2,315,000"),
        (Decimal("2315000"), 2, "2,315,000.00"),
        (Decimal("435500.005"), 2, "435,500.01"),  # half up, as the brief rounds
        (Decimal("999.994"), 2, "999.99"),
        (Decimal("999.5"), 0, "1,000"),
        (Decimal("-1234567.8"), 1, "-1,234,567.8"),
        (Decimal("0"), 2, "0.00"),
        (1203, None, "1,203"),
        (1203, 2, "1,203.00"),
        (12.5, None, "12.5"),  # a float through its shortest repr, never 12.4999…
        ("90800.00", 0, "90,800"),  # a number as text (an annotated value, a stored string)
        (None, 2, "—"),
        ("", 2, "—"),
        ("n/a", 2, "n/a"),  # not a number: shown as it is
    ],
)
def test_format_amount(value, places, shown):
    assert format_amount(value, places) == shown


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_filter_groups_by_thousands_in_both_languages(language):
    template = Template("{% load amounts %}{{ v|amount }}|{{ v|amount:0 }}|{{ v|amount:2 }}|{{ n|amount }}")
    with translation.override(language):
        rendered = template.render(Context({"v": Decimal("2315000.50"), "n": 43}))
    assert rendered == "2,315,000.50|2,315,001|2,315,000.50|43"

"""`{{ value|amount }}`, `{{ value|amount:2 }}`: an amount (万元, 亿元, m², a count) grouped by thousands.

Django's zh-hans number format has no thousands separator and groups by four (万), so `floatformat:"2g"`
printed 2315000.00 in Chinese and 2,315,000.00 in English. Government statistics write amounts in 万元 grouped
by three with commas in both languages, so this filter does not follow the locale: `,` between thousands and
`.` before the decimals, always. The places given round half up (as the brief rounds); without them the
value keeps its own decimals (a Decimal 万元 field has two). Numbers in charts' json_script data stay raw.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

NOTHING = "—"


def format_amount(value, places: int | str | None = None) -> str:
    """`value` (Decimal, int, float or a number as text) grouped by thousands, rounded half up to `places`
    decimals when given; "—" for None or ""; anything that is not a number comes back as text."""
    if value is None or value == "":
        return NOTHING
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is not None and places != "":
        number = number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    decimals = max(0, -number.as_tuple().exponent)
    return f"{number:,.{decimals}f}"


@register.filter(is_safe=True)
def amount(value, places=None) -> str:
    return format_amount(value, places)

"""`{% select %}`: a select drawn by the fast select widget (apps/core/widgets.py) in a template that has no
form, such as the figures pages' period form with a province's hundreds of units."""

from django import template
from django.utils.safestring import SafeString

from apps.core.widgets import FastSelect

register = template.Library()


@register.simple_tag
def select(name: str, choices, value=None, blank: str = "", **attrs) -> SafeString:
    """A `<select name=…>` of (value, label) `choices`, `value` selected, led by an empty choice labelled
    `blank` when given; further keywords are attributes (`id="…" required=True`)."""
    widget = FastSelect(choices=[("", blank), *choices] if blank else list(choices))
    return widget.render(name, "" if value is None else str(value), attrs or None)

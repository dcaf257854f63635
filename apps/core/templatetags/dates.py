"""`{{ sentence|nowrap_dates }}`: a sentence made in Python (a chart's note, "… 2024-02-19 – 2024-03-15 …")
with each date in it kept on one line, as templates keep their own dates in <time> (static/css/app.css
`.nowrap`): on a phone a date otherwise breaks after one of its hyphens."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?(?: \d{2}:\d{2})?")


@register.filter(needs_autoescape=True)
def nowrap_dates(text, autoescape: bool = True) -> SafeString:
    escaped = str(conditional_escape(text) if autoescape else text)
    return mark_safe(DATE.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', escaped))  # noqa: S308

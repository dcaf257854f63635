from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..history import can_view_history

register = template.Library()


@register.simple_tag(takes_context=True)
def history_link(context, kind: str, pk: int):
    """A link to the record's history, for those who may read it (unit managers, leaders, admins)."""
    request = context.get("request")
    if request is None or not can_view_history(request.user):
        return ""
    url = reverse("audit:history", args=[kind, pk])
    return format_html('<a class="btn" href="{}">{}</a>', url, _("History"))

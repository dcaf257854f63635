from django import template
from django.utils.translation import gettext_lazy

from apps.core.templatetags.jinja import draw

from ..views.common import request_table as table_rows_of

register = template.Library()


@register.filter
def table_rows(requests):
    """`{% request_table requests|table_rows %}`: the rows a request table draws, from a queryset (one query
    of the shown columns) or the Request instances a page holds."""
    return table_rows_of(requests)


# The table's column names (its headers and the phone layout's data-label of every cell)
COLUMNS = {
    "request": gettext_lazy("Request"),
    "enterprise": gettext_lazy("Enterprise"),
    "category": gettext_lazy("Category"),
    "status": gettext_lazy("Status"),
    "unit": gettext_lazy("Handling unit"),
    "handler": gettext_lazy("Handler"),
    "deadline": gettext_lazy("Close by"),
    "received": gettext_lazy("Received"),
}


@register.simple_tag(takes_context=True)
def request_table(context, rows, empty_text=None):
    """`{% request_table rows empty_text=… %}`: the request table of templates/jinja2/includes/
    request_table.html (Jinja2, escaped) for `rows` (RequestRow objects). The page's `mark_ack_missed` and
    `supervised_ids`, when it has them, mark rows."""
    values = {
        "rows": rows,
        "l": {key: str(label) for key, label in COLUMNS.items()},
        "empty_text": empty_text,
        "mark_ack_missed": context.get("mark_ack_missed"),
        "supervised_ids": context.get("supervised_ids"),
    }
    return draw("includes/request_table.html", values)

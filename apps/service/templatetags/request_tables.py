from django import template

from ..views.common import request_table

register = template.Library()


@register.filter
def table_rows(requests):
    """`{% include "includes/request_table.html" with rows=requests|table_rows %}`: the rows a request table
    draws, from a queryset (one query of the shown columns) or the Request instances a page holds."""
    return request_table(requests)

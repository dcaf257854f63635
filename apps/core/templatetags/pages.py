"""`{% query_with "page" 3 %}`: the current query string with one parameter set, for the page links of a
page with several paginated sections (each keeps the others' pages and the filters)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, name: str, value) -> str:
    query = context["request"].GET.copy()
    query[name] = value
    return query.urlencode()

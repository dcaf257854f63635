"""`{% jinja "name.html" key=value … %}`: a Jinja2 template of templates/jinja2/ drawn inside a Django page —
for the rows a page draws many times (Jinja2 compiles a template to Python: a fifth of the cost). The Jinja2
template sees the values given, the page's `request`, and `csrf_input` / `csrf_token`; nothing else of the
page's context. Autoescaped (jianbei/jinja2.py). `draw` is the same for the tags that prepare their values
in Python ({% request_table %}, {% field %})."""

from django import template
from django.middleware.csrf import get_token
from django.template import engines
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def draw(template_name: str, values: dict, request=None) -> str:
    if request is not None:
        # the form token masked once for the whole template, as Django's templates do: the Jinja2 backend's
        # own `csrf_input` is lazy and masks a fresh token at every use (once per row form)
        token = get_token(request)
        field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        values = {**values, "request": request, "csrf_token": token, "csrf_input": field}
    drawn = engines["jinja2"].get_template(template_name).render(values)
    return mark_safe(drawn)  # noqa: S308 (Jinja2 autoescapes every value it prints; widgets are SafeStrings)


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **values):
    return draw(template_name, values, context.get("request"))

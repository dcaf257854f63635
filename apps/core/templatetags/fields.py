"""`{% field form.name %}` and `{% fields form %}`: form fields as every form of the product shows them
(label, widget, help, errors), drawn by Jinja2 from templates/jinja2/includes/fields.html — one Django
template include per field cost more than the widgets themselves on a filter form of twenty-five fields."""

from django import template

from .jinja import draw

register = template.Library()


def _draw(fields) -> str:
    return draw("includes/fields.html", {"fields": fields})


@register.simple_tag
def field(bound_field):
    return _draw([bound_field])


@register.simple_tag
def fields(form, *excluded: str):
    """Every field of `form` (a form's bound fields in order), but those named in `excluded`."""
    return _draw([bound for bound in form if bound.name not in excluded])

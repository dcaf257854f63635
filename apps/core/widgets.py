from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """A native date picker. It must receive ISO dates (YYYY-MM-DD) whatever the active language's format,
    or the browser shows it empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FastSelectMixin:
    """A select rendered in Python instead of one template per option: a filter form's unit and people
    dropdowns have hundreds of options at province scale, and Django's per-option templates made them the
    slowest part of a list page. Same markup (name, id, attributes, selected options), escaped the same."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group, _index in context["optgroups"]:
            rows = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                    for option in group
                ),
            )
            options.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, rows) if group_name else rows
            )
        attributes = flatatt({"name": context["name"], **context["attrs"]})
        return format_html("<select{}>{}</select>", attributes, mark_safe("".join(options)))


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass


def speed_up_selects(form) -> None:
    """Swap the plain selects of `form` for the fast ones (same choices, same attributes)."""
    for field in form.fields.values():
        kind = {forms.Select: FastSelect, forms.SelectMultiple: FastSelectMultiple}.get(type(field.widget))
        if kind is not None:
            widget = kind(attrs=field.widget.attrs)
            widget.choices = field.widget.choices
            widget.is_required = field.widget.is_required
            field.widget = widget

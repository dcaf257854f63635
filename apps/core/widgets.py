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


def prefetch_choices(form) -> None:
    """Load every model dropdown of `form` in one database round trip (apps.core.batch) instead of one query
    each; validation still checks the submitted value against the field's queryset."""
    from apps.core.batch import Rows, execute

    fields = [field for field in form.fields.values() if isinstance(field, forms.ModelChoiceField)]
    columns = {id(f): [c.attname for c in f.queryset.model._meta.concrete_fields] for f in fields}
    got = execute({id(f): Rows(f.queryset.values(*columns[id(f)])) for f in fields})
    for field in fields:
        model = field.queryset.model
        objects = [model(**row) for row in got[id(field)]]
        choices = [("", field.empty_label)] if field.empty_label is not None else []
        # the widget renders these; the field still validates against its queryset
        choices += [(field.prepare_value(o), field.label_from_instance(o)) for o in objects]
        field.widget.choices = choices

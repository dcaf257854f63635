import html
from collections import OrderedDict

from django import forms
from django.db.models.base import ModelState
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


class DateInput(forms.DateInput):
    """A native date picker. It must receive ISO dates (YYYY-MM-DD) whatever the active language's format,
    or the browser shows it empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FastSelectMixin:
    """A select rendered in Python instead of one template per option: a filter form's unit and people
    dropdowns have hundreds of options at province scale, and Django's per-option templates (and even its
    per-option dictionaries) made them the slowest part of a list page. Same markup (name, id, attributes,
    selected options), escaped the same."""

    def render(self, name, value, attrs=None, renderer=None):
        attributes = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attributes["multiple"] = True
        values = self.format_value(value)  # a list; one string for NullBooleanSelect
        chosen = {values} if isinstance(values, str) else {str(v) for v in values}
        options = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # an optgroup: (group name, [(value, label), …])
                inner = "".join(option_html(v, text, chosen) for v, text in label)
                options.append(f'<optgroup label="{html.escape(str(option_value))}">{inner}</optgroup>')
            else:
                options.append(option_html(option_value, label, chosen))
        return format_html(
            "<select{}>{}</select>", flatatt({"name": name, **attributes}), mark_safe("".join(options))
        )


def option_html(value, label, chosen: set[str]) -> str:
    """One `<option>`, selected when its value (as a string) is among `chosen`; escaped as Django
    escapes it."""
    value = "" if value is None else str(value)
    selected = " selected" if value in chosen else ""
    return f'<option value="{html.escape(value)}"{selected}>{html.escape(str(label))}</option>'  # = escape()


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass


class FastInputMixin:
    """An `<input>` rendered in Python instead of Django's widget templates (input.html and its attrs.html):
    the same markup, escaped the same; a filter form's ten inputs cost more than the rows of its list."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        attributes = {"type": context["type"], "name": context["name"]}
        if context["value"] is not None:
            attributes["value"] = str(context["value"])
        return format_html("<input{}>", flatatt({**attributes, **context["attrs"]}))


_FAST_KINDS: dict[type, type | None] = {forms.Select: FastSelect, forms.SelectMultiple: FastSelectMultiple}


def _fast_kind(kind: type) -> type | None:
    """The fast class for a widget class drawn by Django's own templates (None: leave it as it is)."""
    if issubclass(kind, (FastInputMixin, FastSelectMixin)):
        return None  # already drawn fast (a form sped up twice)
    if kind not in _FAST_KINDS:
        own_template = kind.template_name.startswith("django/forms/widgets/")
        plain_input = issubclass(kind, forms.widgets.Input) and not issubclass(kind, forms.FileInput)
        plain_select = issubclass(kind, forms.Select) and kind.option_template_name.endswith(
            "select_option.html"
        )
        mixin = FastInputMixin if plain_input else FastSelectMixin if plain_select else None
        _FAST_KINDS[kind] = (
            type(f"Fast{kind.__name__}", (mixin, kind), {}) if mixin and own_template else None
        )
    return _FAST_KINDS[kind]


def speed_up_selects(form) -> None:
    """Draw the plain selects and inputs of `form` in Python (same choices, attributes and markup)."""
    for field in form.fields.values():
        kind = _fast_kind(type(field.widget))
        if kind is not None:
            field.widget.__class__ = kind  # the same widget (choices, format, input type), drawn fast


def prefetch_choices(form) -> None:
    """Load every model dropdown of `form` in one database round trip (apps.core.batch) instead of one query
    each; validation still checks the submitted value against the field's queryset."""
    from apps.core.batch import Rows, execute

    fields = [field for field in form.fields.values() if isinstance(field, forms.ModelChoiceField)]
    columns = {id(f): _label_columns(f.queryset) for f in fields}
    got = execute({id(f): Rows(f.queryset.values(*columns[id(f)])) for f in fields})
    for field in fields:
        choices = [("", field.empty_label)] if field.empty_label is not None else []
        # the widget renders these; the field still validates against its queryset
        field.widget.choices = Choices(choices + labelled_choices(field, got[id(field)]))


class Choices(BaseChoiceIterator):
    """(value, label) pairs already in the form Django's widgets keep them, given to a widget as they are:
    a list set on a widget is normalized again, pair by pair — a 300-unit list three times on the visit
    form."""

    def __init__(self, pairs: list[tuple]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self):
        return len(self.pairs)


def labelled_choices(field: forms.ModelChoiceField, rows: list[dict]) -> list[tuple]:
    """The (value, label) pairs `field` offers for `rows` (its queryset's values, as `_label_columns` names
    them), labelled as the field labels its objects. Worked out once per process for the same rows, labelling
    and language (the last 64 lists), and then the same list, which callers only read: the rows are read
    afresh on every page, so a renamed or new unit shows at once; what is kept is only the labelling, 300
    objects made and labelled on every visit form."""
    labelling = field.label_from_instance
    model = field.queryset.model
    key = (
        getattr(labelling, "__func__", labelling),
        field.to_field_name,  # what prepare_value gives for an object (the same for one or many choices)
        model,
        get_language(),
        tuple(tuple(row.items()) for row in rows),
    )
    choices = _labelled.pop(key, None)  # taken out and put back last: the most recently used
    if choices is None:
        db = field.queryset.db  # the router asked once, not once a row
        objects = (_label_instance(model, db, row) for row in rows)
        choices = [(field.prepare_value(o), labelling(o)) for o in objects]
    _labelled[key] = choices
    while len(_labelled) > 64:
        _labelled.popitem(last=False)
    return choices


_labelled: OrderedDict[tuple, list[tuple]] = OrderedDict()  # labelled_choices', least recently used first


def _label_columns(queryset) -> list[str]:
    """The columns a dropdown reads for its options: those its queryset's `only()` names (with the primary
    key), else every column of the model."""
    meta = queryset.model._meta
    names, deferred = queryset.query.deferred_loading
    if names and not deferred:
        return [meta.pk.attname, *(meta.get_field(name).attname for name in names if name != meta.pk.name)]
    return [c.attname for c in meta.concrete_fields]


def _label_instance(model, db: str, row: dict):
    """An instance of the queryset's model holding `row` (its concrete columns), only for the field to label
    it: made without Model.__init__, whose per-field work cost more than the query for 300 units; as a row
    of the database it was read from (`_state.adding` False)."""
    instance = model.__new__(model)
    instance.__dict__.update(row)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, db
    return instance


class SharedOptionsMixin:
    """A select whose long option list (300 units at province scale) the page draws once, as the options of
    `<template id="{options_id}">` (`options_html`), however many selects offer it: static/js/app.js copies
    the list into every select marked `data-options`, keeping its choice. Drawn here are only the empty
    option and the chosen ones, so the select shows and posts the same value before the script runs. Same
    name, id and attributes as Django's select; labels escaped the same."""

    def __init__(self, attrs=None, choices=(), *, options_id):
        super().__init__(attrs, choices)
        self.options_id = options_id

    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)  # a list; one string for NullBooleanSelect
        chosen = {values} if isinstance(values, str) else {str(v) for v in values}
        attributes = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attributes["multiple"] = True
        attributes["data-options"] = self.options_id
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            if option_value == "" or option_value in chosen:
                selected = " selected" if option_value in chosen else ""
                text = html.escape(str(label))
                options.append(f'<option value="{html.escape(option_value)}"{selected}>{text}</option>')
        return format_html(
            "<select{}>{}</select>", flatatt({"name": name, **attributes}), mark_safe("".join(options))
        )


class SharedOptionsSelect(SharedOptionsMixin, forms.Select):
    pass


class SharedOptionsSelectMultiple(SharedOptionsMixin, forms.SelectMultiple):
    pass


def options_html(choices) -> str:
    """The `<option>`s of `choices` ((value, label) pairs), for the one `<template>` that SharedOptions
    selects copy from; escaped as Django's select escapes them. Without the optional `</option>` end tags
    (HTML needs none before another option or the end of the list): the same elements, a quarter fewer
    bytes."""
    return mark_safe(
        "".join(
            f'<option value="{html.escape(str(value))}">{html.escape(str(label))}' for value, label in choices
        )
    )


class FastChoiceInputsMixin:
    """Radio buttons and lists of checkboxes drawn in Python instead of four templates per option: the same
    elements, attributes and labels as Django's multiple_input.html (only the whitespace between tags
    differs), escaped the same."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for group, group_options, _index in context["optgroups"]:
            inner = "".join(_choice_input(option) for option in group_options)
            options.append(f"<div><label>{html.escape(str(group))}</label>{inner}</div>" if group else inner)
        outer = {"id": context["attrs"].get("id"), "class": context["attrs"].get("class")}
        return format_html("<div{}>{}</div>", flatatt(outer), mark_safe("".join(options)))


def _choice_input(option) -> str:
    attributes = {"type": option["type"], "name": option["name"]}
    if option["value"] is not None:
        attributes["value"] = str(option["value"])
    tag = format_html("<input{}>", flatatt({**attributes, **option["attrs"]}))
    if not option["wrap_label"]:
        return f"<div>{tag}</div>"
    label_for = flatatt({"for": option["attrs"].get("id")})
    return format_html("<div><label{}>{} {}</label></div>", label_for, tag, option["label"])


class FastRadioSelect(FastChoiceInputsMixin, forms.RadioSelect):
    pass


class FastCheckboxSelectMultiple(FastChoiceInputsMixin, forms.CheckboxSelectMultiple):
    pass


class FastTextarea(forms.Textarea):
    """Django's textarea.html in Python (the newline after the tag keeps a value's own first newline)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        attributes = flatatt({"name": name, **self.build_attrs(self.attrs, attrs)})
        return format_html("<textarea{}>\n{}</textarea>", attributes, "" if value is None else value)


def speed_up_choice_inputs(form) -> None:
    """Draw the radio buttons, checkbox lists and text areas of `form` in Python (same markup)."""
    fast = {
        forms.RadioSelect: FastRadioSelect,
        forms.CheckboxSelectMultiple: FastCheckboxSelectMultiple,
        forms.Textarea: FastTextarea,
    }
    for field in form.fields.values():
        kind = fast.get(type(field.widget))
        if kind is not None:
            field.widget.__class__ = kind  # the same widget (choices, attributes), drawn fast

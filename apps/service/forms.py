import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.batch import Rows, execute, reused
from apps.core.forms import CountedFormSet
from apps.core.validators import validate_workbench_date
from apps.core.widgets import (
    Choices,
    DateInput,
    SharedOptionsSelect,
    SharedOptionsSelectMultiple,
    labelled_choices,
    options_html,
    speed_up_choice_inputs,
    speed_up_selects,
)
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .models import CHECKIN_MAX_ACCURACY_M, Category, Request, StoredFile, Visit
from .services.visits import CheckIn


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.short_name


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = UnitChoiceField.label_from_instance  # the same labels, built once for both


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe): a list, empty when none was chosen."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


# How old a check-in's fix may be when the form is saved, and how far a phone's clock may run ahead.
CHECKIN_MAX_AGE = timedelta(hours=12)
CHECKIN_CLOCK_SKEW = timedelta(minutes=10)
CHECKIN_FIELDS = ("checkin_latitude", "checkin_longitude", "checkin_accuracy", "checkin_at")


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date"), widget=DateInput())
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), widget=forms.HiddenInput
    )
    lead_unit = UnitChoiceField(label=_("Lead unit"), queryset=Unit.objects.none(), empty_label=None)
    joint_units = UnitMultipleChoiceField(
        label=_("Joint units (联合走访)"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Colleagues who went"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=Visit.Mode.choices, initial=Visit.Mode.ON_SITE, widget=forms.RadioSelect
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("Taken with the phone's camera. Stored smaller, without the location or device data."),
    )
    documents = MultipleFileField(
        label=_("Documents"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ",".join(StoredFile.ALLOWED_EXTENSIONS)}),
    )
    # The location check-in, filled by static/js/visit_checkin.js when the user asks (never on its own).
    checkin_latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    checkin_longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    checkin_accuracy = forms.CharField(required=False, widget=forms.HiddenInput)
    checkin_at = forms.CharField(required=False, widget=forms.HiddenInput)  # the fix's time, ms since 1970

    def __init__(self, *args, user, enterprise_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["enterprise"].required = enterprise_required  # not when the target is an R&D entity
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)
        self.offered_to = (user.pk, user.unit_id, user.has_perm("accounts.view_all_units"))
        for name, queryset in visit_dropdowns(*self.offered_to).items():
            self.fields[name].queryset = queryset
        self.fields["lead_unit"].initial = user.unit_id

    def clean_visited_on(self):
        value = self.cleaned_data["visited_on"]
        if value > timezone.localdate():
            raise ValidationError(_("A visit cannot be in the future."))
        if value.year < 2000:
            raise ValidationError(_("Enter a date from 2000 on."))
        return value

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["checkin"] = self._checkin()
        except ValidationError as exc:
            cleaned["checkin"] = None
            self.add_error(None, exc)  # the fields are hidden: said above the form
        return cleaned

    def _checkin(self) -> CheckIn | None:
        """The check-in posted by the page's script: all four values or none, each in its range."""
        raw = {name: (self.cleaned_data.get(name) or "").strip() for name in CHECKIN_FIELDS}
        if not any(raw.values()):
            return None
        if not all(raw.values()):
            raise ValidationError(_("The location check-in is incomplete. Check in again or remove it."))
        try:
            latitude, longitude, accuracy, at_ms = [float(raw[name]) for name in CHECKIN_FIELDS]
        except ValueError:
            latitude = longitude = accuracy = at_ms = math.nan
        if not all(map(math.isfinite, (latitude, longitude, accuracy, at_ms))):
            raise ValidationError(_("The location check-in could not be read. Check in again."))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and accuracy > 0):
            raise ValidationError(_("The location check-in is out of range. Check in again."))
        if accuracy > CHECKIN_MAX_ACCURACY_M:
            raise ValidationError(
                _("The position is too imprecise (±%(km)d km): try outdoors, or save without a check-in.")
                % {"km": accuracy // 1000}
            )
        now = timezone.now()
        try:
            at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            at = None
        if at is None or not (now - CHECKIN_MAX_AGE <= at <= now + CHECKIN_CLOCK_SKEW):
            raise ValidationError(
                _("The location check-in is too old or its time is wrong. Check in again before saving.")
            )
        return CheckIn(
            latitude=Decimal(repr(latitude)).quantize(Decimal("0.000001")),
            longitude=Decimal(repr(longitude)).quantize(Decimal("0.000001")),
            accuracy=max(1, math.ceil(accuracy)),  # never claims more precision than measured
            at=min(at, now),
        )


class RequestItemForm(forms.Form):
    """One request heard at a visit (a row of the inline formset)."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))
    title = forms.CharField(label=_("Request"), max_length=200)
    description = forms.CharField(
        label=_("Details"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Request.Urgency.choices, initial=Request.Urgency.NORMAL
    )
    handling_unit = UnitChoiceField(
        label=_("Handling unit"),
        queryset=Unit.objects.active(),
        required=False,
        empty_label=_("— dispatch desk decides —"),
    )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError(_("This field is required."))
        return title


class RequestItemBaseFormSet(CountedFormSet):
    """The request rows of the visit form. Once `draw_with` has given it the page's dropdowns, every row —
    and the empty row the page's script copies — draws them from those (see `draw_visit_form`)."""

    drawing = None

    def draw_with(self, drawing: "VisitFormDrawing") -> None:
        for form in self.forms:  # built now if they were not yet
            drawing.apply(form)
        speed_up_selects(self.management_form)
        self.drawing = drawing  # and the empty row, built when the page draws it

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.drawing is not None:
            self.drawing.apply(form)


RequestItemFormSet = formset_factory(
    RequestItemForm, formset=RequestItemBaseFormSet, extra=1, max_num=30, validate_max=True
)

# The id of the page's one list of units (static/js/app.js copies it into each select that offers it).
UNIT_OPTIONS = "unit-options"

# What each dropdown's labels are made of: nothing else of a row is fetched.
LABEL_COLUMNS = {
    Unit: ("id", "short_name"),
    Category: ("id", "name"),
    User: ("id", "display_name", "first_name", "last_name", "username"),
}


def visit_dropdowns(user_id: int, unit_id: int | None, every_unit: bool) -> dict:
    """What the visit form's dropdowns offer a user: as lead unit, their own unit (any active unit if they
    may name any); as joint units, every active unit; as colleagues who went, the unit's other active
    users."""
    units = Unit.objects.active()
    return {
        "lead_unit": units if every_unit else units.filter(pk=unit_id),
        "joint_units": units,
        "staff": User.objects.filter(unit_id=unit_id, is_active=True).exclude(pk=user_id),
    }


@reused
def _dropdown_specs(user_id: int, unit_id: int | None, every_unit: bool) -> dict:
    """The rows of the visit form's five dropdowns (its own three and each request row's category and
    handling unit), each read as its labels need (LABEL_COLUMNS): composed once per process and user."""
    querysets = visit_dropdowns(user_id, unit_id, every_unit)
    querysets |= {name: RequestItemForm.base_fields[name].queryset for name in ("category", "handling_unit")}
    return {name: Rows(qs.values(*LABEL_COLUMNS[qs.model])) for name, qs in querysets.items()}


class VisitFormDrawing:
    """The dropdowns of the visit page, loaded in one database round trip and drawn in Python.

    At province scale the lead unit, the joint units and each request row's handling unit (and the empty
    row kept for "Add a request") each offered the same 300 units, drawn by one template per option: most
    of the page's time and bytes. Here each field's choices come from the queryset the form gave it
    (`visit_dropdowns`), read in one statement composed once per user (`_dropdown_specs`) and labelled once
    for the same rows (`labelled_choices`) — the same rows and labels as before — and a select that offers
    the same units as the joint units (every active unit) is drawn as a reference to the page's one
    `<template id="unit-options">` (`unit_options`); the lead unit of a user who may only name their own
    unit keeps its one option. Validation is untouched: a posted value is still checked against the field's
    queryset, and nothing is asked when a valid visit is saved.
    """

    def __init__(self, form: VisitForm, formset: RequestItemBaseFormSet):
        row_fields = formset.form.base_fields
        fields = {name: form.fields[name] for name in ("lead_unit", "joint_units", "staff")}
        fields |= {name: row_fields[name] for name in ("category", "handling_unit")}
        got = execute(_dropdown_specs(*form.offered_to))
        # the same rows labelled the same way are one list (labelled_choices): every unit, for the leader's
        # lead unit as for the joint units and the rows' handling units
        offered = {name: labelled_choices(field, got[name]) for name, field in fields.items()}
        self.units = offered["joint_units"]  # every active unit: what each unit dropdown offers
        self.unit_options = options_html(self.units)
        self.shared = {name for name in offered if offered[name] is self.units}
        self.choices = {
            name: Choices(
                ([("", fields[name].empty_label)] if fields[name].empty_label is not None else []) + choices
            )
            for name, choices in offered.items()
        }

    def apply(self, form) -> None:
        shared = {
            name
            for name in self.shared & form.fields.keys()
            if isinstance(form.fields[name].widget, forms.Select)
        }
        for name, choices in self.choices.items():
            if name in form.fields and name not in shared:
                form.fields[name].widget.choices = choices
        speed_up_selects(form)  # the short lists in Python: one's own unit as lead unit, categories, urgency
        speed_up_choice_inputs(form)  # and the mode's radio buttons, the colleagues' checkboxes, the texts
        for name in shared:  # not a list of checkboxes
            field = form.fields[name]
            kind = (
                SharedOptionsSelectMultiple if field.widget.allow_multiple_selected else SharedOptionsSelect
            )
            widget = kind(attrs=field.widget.attrs, choices=self.choices[name], options_id=UNIT_OPTIONS)
            widget.is_required = field.widget.is_required
            field.widget = widget


def draw_visit_form(form: VisitForm, formset: RequestItemBaseFormSet) -> VisitFormDrawing:
    """Ready the visit form and its request rows to be drawn; the page draws `.unit_options` once."""
    drawing = VisitFormDrawing(form, formset)
    drawing.apply(form)
    formset.draw_with(drawing)
    return drawing


class RequestForm(RequestItemForm):
    """A request that did not come from a visit (hotline, letter, meeting, online, leader)."""

    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), widget=forms.HiddenInput
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[c for c in Request.Source.choices if c[0] != Request.Source.VISIT]
    )
    field_order = ["enterprise", "source", "category", "title", "description", "urgency", "handling_unit"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)


class ActionForm(forms.Form):
    """The data of one life-cycle move; which fields matter depends on the action."""

    action = forms.CharField(widget=forms.HiddenInput)
    expected_status = forms.CharField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    note = forms.CharField(
        label=_("Note / reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.active(), required=False)
    handler = forms.ModelChoiceField(
        label=_("Handler"), queryset=User.objects.filter(is_active=True), required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "---"), *Request.Outcome.choices], required=False
    )
    answer = forms.CharField(
        label=_("Answer given"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    satisfaction = forms.ChoiceField(
        label=_("Enterprise's satisfaction"),
        choices=[("", "---"), *Request.Satisfaction.choices],
        required=False,
    )
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=30, required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"), queryset=Unit.objects.active(), required=False
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attachment"))


class AssignVisitForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        queryset=Enterprise.objects.filter(is_key=True), widget=forms.HiddenInput
    )
    assignee = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Visit by"), widget=DateInput(), validators=[validate_workbench_date])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(unit_id=user.unit_id, is_active=True)
        self.fields["enterprise"].queryset = Enterprise.objects.filter(is_key=True, unit_id=user.unit_id)


class JointActionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    requests = forms.ModelMultipleChoiceField(
        label=_("Requests"), queryset=Request.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].queryset = queryset


class JointActionCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Request.Outcome.choices)
    answer = forms.CharField(
        label=_("Answer given to every enterprise"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

"""The fast selects and inputs render the same markup as Django's own, escaped the same, selection, values
and checked state and all."""

import pytest
from django import forms
from django.test.html import parse_html

from apps.core.widgets import (
    DateInput,
    FastInputMixin,
    FastSelect,
    FastSelectMixin,
    FastSelectMultiple,
    speed_up_selects,
)

CHOICES = [
    ("", "---"),
    ("1", "研创园 <b>"),
    ("2", 'A&B "park"'),
    ("Streets", [("3", "泰山街道"), ("4", "顶山街道")]),
]


class Form(forms.Form):
    one = forms.ChoiceField(choices=CHOICES, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, widget=forms.SelectMultiple(attrs={"size": 4}))
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": '<"名称">'}))
    day = forms.DateField(widget=DateInput(), required=False)
    number = forms.IntegerField(required=False)
    check = forms.BooleanField(required=False)
    maybe = forms.NullBooleanField(required=False)
    upload = forms.FileField(required=False)


FIELDS = ("one", "many", "text", "day", "number", "check", "maybe", "upload")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"one": "2", "many": ["1", "4"], "text": 'a "b" <c>', "day": "2026-03-05", "check": "on"},
        {"one": "4", "many": ["3"], "number": "12", "maybe": "false", "day": "not a date"},
    ],
)
def test_same_markup_as_djangos_selects(data):
    plain, fast = Form(data=data or None), Form(data=data or None)
    speed_up_selects(fast)
    assert isinstance(fast.fields["one"].widget, FastSelect)
    assert isinstance(fast.fields["many"].widget, FastSelectMultiple)
    assert isinstance(fast.fields["maybe"].widget, FastSelectMixin)
    for name in ("text", "day", "number", "check"):
        assert isinstance(fast.fields[name].widget, FastInputMixin), name
    assert type(fast.fields["upload"].widget) is forms.ClearableFileInput  # its own template: left alone
    for name in FIELDS:
        assert parse_html(str(fast[name])) == parse_html(str(plain[name])), name


def test_labels_are_escaped():
    form = Form()
    speed_up_selects(form)
    html = str(form["one"])
    assert "研创园 &lt;b&gt;" in html and "A&amp;B &quot;park&quot;" in html

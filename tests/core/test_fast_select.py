"""The fast selects render the same markup as Django's own, escaped the same, selection and all."""

import pytest
from django import forms
from django.test.html import parse_html

from apps.core.widgets import FastSelect, FastSelectMultiple, speed_up_selects

CHOICES = [
    ("", "---"),
    ("1", "研创园 <b>"),
    ("2", 'A&B "park"'),
    ("Streets", [("3", "泰山街道"), ("4", "顶山街道")]),
]


class Form(forms.Form):
    one = forms.ChoiceField(choices=CHOICES, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, widget=forms.SelectMultiple(attrs={"size": 4}))
    text = forms.CharField()


@pytest.mark.parametrize("data", [{}, {"one": "2", "many": ["1", "4"]}, {"one": "4", "many": ["3"]}])
def test_same_markup_as_djangos_selects(data):
    plain, fast = Form(data=data or None), Form(data=data or None)
    speed_up_selects(fast)
    assert isinstance(fast.fields["one"].widget, FastSelect)
    assert isinstance(fast.fields["many"].widget, FastSelectMultiple)
    assert type(fast.fields["text"].widget) is forms.TextInput
    for name in ("one", "many", "text"):
        assert parse_html(str(fast[name])) == parse_html(str(plain[name])), name


def test_labels_are_escaped():
    form = Form()
    speed_up_selects(form)
    html = str(form["one"])
    assert "研创园 &lt;b&gt;" in html and "A&amp;B &quot;park&quot;" in html

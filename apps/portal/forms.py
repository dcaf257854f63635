from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.enterprises.models import Contact
from apps.service.forms import MultipleFileField
from apps.service.models import Category, Request
from apps.service.services.enterprise_voice import MAX_PHOTOS


class SubmitForm(forms.Form):
    """What an enterprise contact tells: the kind of problem, a heading, the details and a few photos."""

    category = forms.ModelChoiceField(
        label=_("Kind of problem"), queryset=Category.objects.filter(is_active=True), empty_label=None
    )
    title = forms.CharField(label=_("In one sentence"), max_length=200)
    description = forms.CharField(label=_("Details"), max_length=5000, required=False, widget=forms.Textarea)
    photos = MultipleFileField(label=_("Photos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _(
            "Up to %(n)d photos (JPEG, PNG or WebP); where they were taken is removed."
        ) % {"n": MAX_PHOTOS}
        self.fields["photos"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Say what the problem is."))
        return title


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with how it was handled?"),
        choices=Request.Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False, widget=forms.Textarea)


def _day_choices():
    days = [d for d in (30, 90, 180, 365) if d <= settings.PORTAL_LINK_MAX_DAYS]
    return [(d, _("%(n)d days") % {"n": d}) for d in days or [settings.PORTAL_LINK_MAX_DAYS]]


class IssueForm(forms.Form):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none(), empty_label=None)
    days = forms.TypedChoiceField(label=_("Valid for"), coerce=int, choices=_day_choices)

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(enterprise=enterprise)
        self.fields["days"].initial = 180

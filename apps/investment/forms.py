from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.forms import CountedFormSet
from apps.core.validators import validate_workbench_date
from apps.core.widgets import DateInput
from apps.enterprises.models import Enterprise, Industry
from apps.projects.forms import AmountField

from .models import Lead, Trip


class LeadForm(forms.ModelForm):
    expected_wan = AmountField(label=_("Expected investment (万元)"))
    referrer_code = forms.CharField(
        label=_("Referring enterprise (credit code)"), max_length=18, required=False
    )

    class Meta:
        model = Lead
        fields = [
            "name",
            "investor",
            "investor_city",
            "investor_country",
            "industry",
            "expected_wan",
            "space_need",
            "source",
            "fair",
            "trip",
            "notes",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        trips = Trip.objects.order_by("-start_on")
        if not user.has_perm("accounts.view_all_units"):
            trips = trips.filter(unit_id=user.unit_id)
        self.fields["trip"].queryset = trips

    def clean_referrer_code(self):
        code = self.cleaned_data["referrer_code"].strip().upper()
        if not code:
            return None
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("No enterprise has this credit code."))
        return enterprise


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Lead.Stage.choices)
    note = forms.CharField(label=_("Note / reason"), max_length=2000, required=False)
    signed_on = forms.DateField(
        label=_("Signed on"), required=False, widget=DateInput(), validators=[validate_workbench_date]
    )
    signed_wan = AmountField(label=_("Signed amount (万元)"), required=False, min_value=Decimal("0.01"))
    enterprise_code = forms.CharField(
        label=_("Registered enterprise (credit code)"), max_length=18, required=False
    )
    project_code = forms.CharField(label=_("Project code"), max_length=30, required=False)
    project_name = forms.CharField(label=_("Project name"), max_length=200, required=False)


class RecordForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("respond", "respond"), ("feedback", "feedback"), ("progress", "progress")]
    )
    note = forms.CharField(label=_("What was said or done"), max_length=5000)


class TripForm(forms.ModelForm):
    class Meta:
        model = Trip
        fields = [
            "start_on",
            "end_on",
            "cities",
            "kind",
            "leader",
            "led_by_head",
            "members",
            "companies_met",
            "summary",
        ]
        widgets = {
            "start_on": DateInput(),
            "end_on": DateInput(),
            "members": forms.CheckboxSelectMultiple,
            "companies_met": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        colleagues = User.objects.filter(unit_id=user.unit_id, is_active=True)
        self.fields["leader"].queryset = colleagues
        self.fields["leader"].initial = user.pk
        self.fields["members"].queryset = colleagues
        for name in ("start_on", "end_on"):
            self.fields[name].validators.append(validate_workbench_date)

    def clean(self):
        data = super().clean()
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("The end cannot be before the start."))
        return data


class TripLeadForm(forms.Form):
    name = forms.CharField(label=_("Project"), max_length=200)
    investor = forms.CharField(label=_("Investor"), max_length=200)
    investor_city = forms.CharField(label=_("City"), max_length=50, required=False)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices, initial=Industry.C)
    expected_wan = AmountField(label=_("Expected investment (万元)"))


TripLeadFormSet = formset_factory(
    TripLeadForm, formset=CountedFormSet, extra=1, max_num=30, validate_max=True
)

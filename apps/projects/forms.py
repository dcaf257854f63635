from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.locking import VersionedFormMixin
from apps.core.validators import validate_workbench_date
from apps.core.widgets import DateInput
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .models import MAX_AMOUNT, Project

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


class AmountField(forms.DecimalField):
    """万元 with two decimals; accepts full-width digits and thousands separators (１２３, 1,000)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.translate(_FULLWIDTH).replace(",", "").replace(" ", "").strip()
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("max", None)
        return attrs


class ProjectForm(VersionedFormMixin, forms.ModelForm):
    total_investment = AmountField(label=_("Total investment (万元)"))
    task_force = forms.ModelMultipleChoiceField(
        label=_("Task force (项目服务专班)"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    lead = forms.ModelChoiceField(label=_("Task force lead"), queryset=User.objects.none(), required=False)
    owner_code = forms.CharField(
        label=_("Owner enterprise (credit code)"),
        max_length=18,
        help_text=_("The unified social credit code of the enterprise that owns the project."),
    )

    class Meta:
        model = Project
        fields = [
            "code", "name", "unit", "park", "level", "kind", "industry", "total_investment", "stage",
            "planned_start", "actual_start", "planned_completion", "actual_completion", "location",
        ]  # fmt: skip
        widgets = {f: DateInput() for f in
                   ["planned_start", "actual_start", "planned_completion", "actual_completion"]}  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.active()
        if not user.has_perm("accounts.view_all_units"):
            self.fields["unit"].queryset = units.filter(pk=user.unit_id)
            self.fields["unit"].initial = user.unit_id
        else:
            self.fields["unit"].queryset = units
        self.fields["park"].queryset = units.filter(kind__in=[Unit.Kind.PARK, Unit.Kind.BUSINESS_DISTRICT])
        for name in ("planned_start", "actual_start", "planned_completion", "actual_completion"):
            self.fields[name].validators.append(validate_workbench_date)
        people = User.objects.filter(is_active=True, unit__isnull=False).select_related("unit")
        self.fields["task_force"].queryset = people
        self.fields["lead"].queryset = people
        if self.instance.pk:
            self.fields["owner_code"].initial = self.instance.owner.credit_code
            members = list(self.instance.task_force.all())
            self.fields["task_force"].initial = [m.user_id for m in members]
            self.fields["lead"].initial = next((m.user_id for m in members if m.is_lead), None)

    def clean_owner_code(self):
        code = self.cleaned_data["owner_code"].strip().upper()
        owner = Enterprise.objects.filter(credit_code=code).first()
        if owner is None:
            raise forms.ValidationError(_("No enterprise has this credit code. Record the enterprise first."))
        return owner

    def clean(self):
        data = super().clean()
        for a, b in (("planned_start", "planned_completion"), ("actual_start", "actual_completion")):
            if data.get(a) and data.get(b) and data[b] < data[a]:
                self.add_error(b, _("The completion cannot be before the start."))
        return data


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    planned_investment = AmountField(label=_("Planned investment of the year (万元)"))
    is_new_start = forms.BooleanField(label=_("New start this year (新开工)"), required=False)


class ReportRowForm(forms.Form):
    """One project's line on the monthly reporting page."""

    project = forms.IntegerField(widget=forms.HiddenInput)
    amount = AmountField(label=_("Completed this month (万元)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CorrectionForm(forms.Form):
    amount = AmountField(label=_("Corrected amount (万元)"))
    reason = forms.CharField(label=_("Reason"), max_length=500)
    # The version of the report the page showed (optimistic locking: a stale correction is refused).
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class StartForm(forms.Form):
    on = forms.DateField(
        label=_("Actual start date"), widget=DateInput(), validators=[validate_workbench_date]
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.locking import VersionedFormMixin
from apps.core.validators import validate_workbench_date
from apps.core.widgets import DateInput
from apps.enterprises.models import Enterprise, Industry
from apps.units.models import Unit

from .models import Carrier, Entity, Result


def _limit_unit(form, user):
    units = Unit.objects.active()
    if not user.has_perm("accounts.view_all_units"):
        form.fields["unit"].queryset = units.filter(pk=user.unit_id)
        form.fields["unit"].initial = user.unit_id
    else:
        form.fields["unit"].queryset = units


class EntityForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Entity
        fields = ["name", "type", "park", "unit", "fields", "contact_name", "contact_mobile"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_unit(self, user)


class ResultForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Result
        fields = [
            "title", "entity", "industry", "field", "type", "maturity", "trl", "ip_status", "ip_numbers",
            "landing_mode", "need_space_m2", "need_funding_wan", "need_talent", "need_pilot_line", "unit",
        ]  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_unit(self, user)


class CarrierForm(VersionedFormMixin, forms.ModelForm):
    industries = forms.MultipleChoiceField(
        label=_("Suitable industries"),
        choices=Industry.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Carrier
        fields = [
            "name", "kind", "park", "address", "total_area_m2", "free_area_m2", "land_mu", "price",
            "industries", "power_notes", "floor_load_notes", "available_from", "contact", "unit",
        ]  # fmt: skip
        widgets = {"available_from": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_unit(self, user)
        self.fields["park"].queryset = Unit.objects.active().filter(
            kind__in=[Unit.Kind.PARK, Unit.Kind.BUSINESS_DISTRICT]
        )
        self.fields["available_from"].validators.append(validate_workbench_date)

    def clean(self):
        data = super().clean()
        free, total = data.get("free_area_m2"), data.get("total_area_m2")
        if free is not None and total is not None and free > total:
            self.add_error("free_area_m2", _("The free area cannot exceed the total area."))
        return data


class ProposeForm(forms.Form):
    carrier = forms.ModelChoiceField(label=_("Carrier"), queryset=Carrier.objects.all(), required=False)
    enterprise_code = forms.CharField(label=_("Enterprise (credit code)"), max_length=18, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_enterprise_code(self):
        code = self.cleaned_data["enterprise_code"].strip().upper()
        if not code:
            return None
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("No enterprise has this credit code."))
        return enterprise


class MatchMoveForm(forms.Form):
    to = forms.ChoiceField(choices=[])
    note = forms.CharField(label=_("Note / reason"), max_length=2000, required=False)
    landed_how = forms.CharField(label=_("Where and how it landed"), max_length=300, required=False)
    # On landing: link an existing enterprise by its credit code, or record the spin-off company.
    enterprise_code = forms.CharField(label=_("Enterprise (credit code)"), max_length=18, required=False)
    spin_off_name = forms.CharField(label=_("Spin-off company name"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from .models import Match

        super().__init__(*args, **kwargs)
        self.fields["to"].choices = Match.Status.choices

    def clean(self):
        data = super().clean()
        code = (data.get("enterprise_code") or "").strip().upper()
        data["enterprise"] = None
        if code and not data.get("spin_off_name"):
            data["enterprise"] = Enterprise.objects.filter(credit_code=code).first()
            if data["enterprise"] is None:
                self.add_error("enterprise_code", _("No enterprise has this credit code."))
        return data


class ShelveForm(forms.Form):
    to = forms.ChoiceField(choices=[("shelved", "shelved"), ("catalogued", "catalogued")])
    note = forms.CharField(label=_("Reason"), max_length=300, required=False)

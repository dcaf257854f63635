from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from apps.core.forms import CountedInlineFormSet
from apps.core.locking import VersionedFormMixin
from apps.core.widgets import DateInput
from apps.units.models import Unit

from .models import Contact, Enterprise


class EnterpriseForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "unit",
            "industry",
            "size",
            "is_key",
            "tags",
            "address",
            "founded_on",
        ]
        widgets = {
            "founded_on": DateInput(),
            "tags": forms.CheckboxSelectMultiple,
            "credit_code": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = Unit.objects.active()
        if not user.has_perm("enterprises.change_any_enterprise"):
            # Staff record enterprises of their own unit only.
            units = units.filter(pk=user.unit_id)
            self.fields["unit"].initial = user.unit_id
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = None if units.count() == 1 else "---------"

    def clean_credit_code(self):
        return (self.cleaned_data.get("credit_code") or "").strip().upper()


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "mobile", "email", "is_primary"]
        widgets = {"mobile": forms.TextInput(attrs={"inputmode": "tel"})}


ContactFormSet = inlineformset_factory(
    Enterprise,
    Contact,
    form=ContactForm,
    formset=CountedInlineFormSet,
    extra=1,
    can_delete=True,
    max_num=20,
    validate_max=True,
)
ContactFormSet.verbose_name = _("contacts")

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    """The six-digit code of an authenticator app, checked against one device (with django-otp's growing
    wait after each wrong code)."""

    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        # The throttling counters are written inside the transaction; the error is raised after it commits.
        with transaction.atomic():
            device = type(self.device).objects.select_for_update().get(pk=self.device.pk)
            allowed, _info = device.verify_is_allowed()
            verified = allowed and device.verify_token(token)
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes. Wait a few seconds, then enter the code your app shows now."),
                code="throttled",
            )
        if not verified:
            raise forms.ValidationError(
                _("This code is not right. Enter the code your authenticator app shows now."),
                code="invalid",
            )
        self.device = device
        return token

from urllib.parse import parse_qs, urlsplit

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.admin import ViewOnlyAdmin

from . import services
from .models import Delivery, Robot


class RobotForm(forms.ModelForm):
    """The credentials are typed (or the whole webhook address pasted) and never shown back: left empty on a
    robot that has them, they stay as they are."""

    class Meta:
        model = Robot
        fields = ["unit", "kind", "name", "key", "secret", "is_active"]
        widgets = {
            "key": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            "secret": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False  # required on a new robot only: clean_key
        self.fields["key"].validators = []  # a whole webhook address may be pasted; the key in it is checked
        self.fields["key"].widget.attrs.pop("maxlength", None)  # by the model's max_length
        if self.instance.pk:
            for name in ("key", "secret"):
                if getattr(self.instance, name):
                    self.fields[name].help_text = _(
                        "Saved. Leave empty to keep it; type a new one to replace it."
                    )

    def clean_key(self):
        value = self.cleaned_data["key"]
        if value.startswith(("http://", "https://")):  # the whole webhook address was pasted
            query = parse_qs(urlsplit(value).query)
            value = (query.get("key") or query.get("access_token") or [""])[0]
            if not value:
                raise forms.ValidationError(_("That address has no key= or access_token= in it."))
        if not value and not self.instance.key:
            raise forms.ValidationError(_("This field is required."))
        return value or self.instance.key

    def clean_secret(self):
        return self.cleaned_data["secret"] or self.instance.secret

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Robot.Kind.WECOM:
            if self.data.get(self.add_prefix("secret")):
                self.add_error("secret", _("WeCom robots have no signing secret; leave it empty."))
            cleaned["secret"] = ""
        return cleaned


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotForm
    list_display = ["unit", "kind", "name", "is_active", "key_saved", "secret_saved"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit"]

    @admin.display(description=gettext_lazy("webhook key or access token"), boolean=True)
    def key_saved(self, obj):
        return bool(obj.key)

    @admin.display(description=gettext_lazy("signing secret"), boolean=True)
    def secret_saved(self, obj):
        return bool(obj.secret)


@admin.register(Delivery)
class DeliveryAdmin(ViewOnlyAdmin):
    """The delivery log: what went out on which channel, and how it went (read-only)."""

    list_display = [
        "created_at",
        "event",
        "channel",
        "recipient",
        "subject",
        "status",
        "attempts",
        "last_attempt_at",
        "sent_at",
        "error",
    ]
    list_filter = ["status", "channel", "event", "created_at"]
    search_fields = ["subject", "address", "user__username", "user__display_name", "robot__name"]
    list_select_related = ["user", "robot", "robot__unit"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "event",
        "channel",
        "user",
        "address",
        "robot",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    ]

    @admin.display(description=gettext_lazy("recipient"))
    def recipient(self, obj):
        if obj.robot_id:
            return f"{obj.robot.unit.short_name} · {obj.robot.name}"
        return f"{obj.user or ''} <{obj.address}>"

    @admin.display(description=gettext_lazy("last error"))
    def error(self, obj):
        return obj.last_error[:80]

    def has_resend_permission(self, request):
        return request.user.has_perm("messaging.change_delivery")

    @admin.action(
        description=gettext_lazy("Send the selected failed deliveries again"), permissions=["resend"]
    )
    def resend(self, request, queryset):
        count = services.delivery_resend(deliveries=queryset)
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": count}, messages.SUCCESS)

"""Two-factor sign-in with a time-based code (TOTP, django-otp).

An admin marks who must use it by putting them in the REQUIRED_GROUP group (admin actions on the user
list). After the password, such a user sets up an authenticator app once (QR code and secret, confirmed
with a code) and afterwards enters a code at every sign-in. A user who has a device is asked for a code
whether or not the requirement still stands; an admin resets a lost device.

Which step a session still owes is decided once when the user signs in and kept in the session, so
pages cost no extra query for the users who have nothing to do with two-factor sign-in.
"""

from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

REQUIRED_GROUP = "two-factor required"
SESSION_STEP = "two_factor_step"
SETUP = "setup"
VERIFY = "verify"


def is_required(user) -> bool:
    return user.groups.filter(name=REQUIRED_GROUP).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def pending_step(user) -> str:
    """VERIFY for a user with a device, SETUP for a required user without one, "" for everyone else."""
    if confirmed_device(user) is not None:
        return VERIFY
    if is_required(user):
        return SETUP
    return ""


def required_group() -> Group:
    return Group.objects.get_or_create(name=REQUIRED_GROUP)[0]


def unconfirmed_device(user) -> TOTPDevice:
    """The device being set up: the same secret until it is confirmed, however often the page reloads."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@receiver(user_logged_in, dispatch_uid="accounts.two_factor.note_step")
def note_step(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STEP] = pending_step(user)

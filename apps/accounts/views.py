from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from apps.core.views import safe_next

from . import two_factor
from .forms import TokenForm


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): the same page whatever the
    username, known or not."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


def _signed_in_with(request, device, next_url):
    otp_login(request, device)
    request.session.cycle_key()  # a fresh session key for the fully signed-in session
    request.session.pop(two_factor.SESSION_STEP, None)
    return redirect(next_url)


@never_cache
def two_factor_verify(request):
    """The second step of signing in: the code from the user's authenticator app."""
    user, next_url = request.user, safe_next(request, settings.LOGIN_REDIRECT_URL)
    if user.is_verified():
        return redirect(next_url)
    device = two_factor.confirmed_device(user)
    if device is None:
        # no device (just looked up): set one up if required, else nothing more to do
        step = two_factor.SETUP if two_factor.is_required(user) else ""
        request.session[two_factor.SESSION_STEP] = step
        if step == two_factor.SETUP:
            return redirect_to_login(next_url, reverse("accounts:two_factor_setup"))
        return redirect(next_url)
    form = TokenForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _signed_in_with(request, form.device, next_url)
    return render(request, "registration/two_factor.html", {"form": form, "next": next_url})


@never_cache
def two_factor_setup(request):
    """For a user who must use two-factor sign-in and has no device yet: scan the QR code (or type the
    secret) into an authenticator app, then confirm with the first code."""
    user, next_url = request.user, safe_next(request, settings.LOGIN_REDIRECT_URL)
    if two_factor.confirmed_device(user) is not None:
        return redirect_to_login(next_url, reverse("accounts:two_factor"))
    if not two_factor.is_required(user):
        request.session[two_factor.SESSION_STEP] = ""
        return redirect(next_url)
    device = two_factor.unconfirmed_device(user)
    form = TokenForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = form.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        type(device).objects.filter(user=user, confirmed=False).delete()
        messages.success(
            request, _("Two-factor sign-in is set up. You will enter a code each time you sign in.")
        )
        return _signed_in_with(request, device, next_url)
    qr = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        # Generated here from the device's own URL: markup with no user input in it.
        "qr_svg": mark_safe(qr.to_string(encoding="unicode")),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "registration/two_factor_setup.html", context)

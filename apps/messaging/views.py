from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import services
from .forms import PreferencesForm
from .models import Preference, Robot


@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in user's own notification settings: which events reach them by e-mail and through their
    unit's group robots (in-app notifications are always on). Nobody edits another user's settings here."""
    saved = Preference.objects.filter(user=request.user).values_list("choices", flat=True).first()
    form = PreferencesForm(request.POST if request.method == "POST" else None, saved=saved)
    if request.method == "POST" and form.is_valid():
        services.preference_save(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification settings were saved."))
        return redirect("messaging:preferences")
    robots = (
        Robot.objects.filter(unit_id=request.user.unit_id, is_active=True) if request.user.unit_id else []
    )
    return render(request, "messaging/preferences.html", {"form": form, "robots": list(robots)})

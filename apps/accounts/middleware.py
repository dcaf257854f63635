from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve, reverse

from . import two_factor

# What a session that still owes its second factor may reach (static files are served before this).
EXEMPT = {
    "login",
    "logout",
    "set_language",
    "healthz",
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "admin:logout",
}


class TwoFactorMiddleware:
    """Sends a signed-in user who owes a code (or the setup of a device) to that page before any other,
    the Django admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            step = request.session.get(two_factor.SESSION_STEP)
            if step is None:  # a session begun before two-factor sign-in existed, or a device reset
                step = request.session[two_factor.SESSION_STEP] = two_factor.pending_step(user)
            if step and not self._exempt(request):
                page = "accounts:two_factor_setup" if step == two_factor.SETUP else "accounts:two_factor"
                return redirect_to_login(request.get_full_path(), reverse(page))
        return self.get_response(request)

    @staticmethod
    def _exempt(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in EXEMPT

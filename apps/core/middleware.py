from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class DefaultLanguageMiddleware:
    """Chinese unless the user picked another language with the switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; on the district's machines that
    is often English even for Chinese staff, and the product is Chinese by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response


class SessionTimeoutMiddleware:
    """Sign a user out after SESSION_IDLE_SECONDS without a request (default 30 minutes) and, whatever the
    activity, SESSION_COOKIE_AGE after signing in (default 12 hours)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from time import time

        from django.contrib.auth import logout

        if request.user.is_authenticated:
            now = time()
            session = request.session
            started = session.setdefault("signed_in_at", now)
            seen = session.get("seen_at", now)
            if now - seen > settings.SESSION_IDLE_SECONDS or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif now - seen > 60 or "seen_at" not in session:
                session["seen_at"] = now  # at most one session write a minute
        return self.get_response(request)

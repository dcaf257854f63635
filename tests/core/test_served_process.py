"""The served process (jianbei/wsgi.py, which gunicorn, the Docker image and the bench load) freezes what
it loaded out of Python's cyclic garbage collector. Its full collections walked the whole loaded app: ~75 ms
pauses, one per worker every few hundred requests, which were the p99 of most pages in the bench (logged
in the worker: each 80-90 ms request was one such collection)."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, json
import jianbei.wsgi
from django.template import engines
from django.urls import get_resolver

resolver, loaded = get_resolver(), engines.all()  # made now unless the served process made them
mapped = resolver._populated
tracked = {id(o) for o in gc.get_objects()}  # the objects the collector still walks (frozen ones: not)
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "walked": len(tracked),
    "url_conf_walked": id(resolver) in tracked,
    "mapped": bool(mapped),
    "engines_walked": any(id(engine) in tracked for engine in loaded),
}))
"""


def test_the_served_process_freezes_its_loaded_app_out_of_the_garbage_collector():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DATABASE_URL": "postgres://jianbei@127.0.0.1:1/jianbei"}  # never connected: nothing is read
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(probe.stdout.splitlines()[-1])

    assert got["url_conf_walked"] is False and got["engines_walked"] is False
    assert got["mapped"] is True  # the URL conf's reverse map was built before the freeze, not at a request
    assert got["frozen"] > 50_000, got  # the app's modules, models, URL conf and engines
    assert got["walked"] < 1_000, got  # what the probe itself made since

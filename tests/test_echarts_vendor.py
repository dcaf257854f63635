"""Apache ECharts is vendored at a pinned version (static/vendor/echarts/, from `npm pack echarts@5.6.0`): the
file is byte for byte the one the pinned release ships, its licence travels with it, and the pages load it
from the app itself — no CDN — with no inline script.

To upgrade: `npm pack echarts@<version>`, copy package/dist/echarts.min.js, LICENSE, NOTICE and
licenses/LICENSE-d3 here, and put the version, the tarball's integrity and the file's SHA-256 in
manifest.json and in PINNED below.
"""

import hashlib
import json
import re
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "echarts"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
PINNED = {
    "version": "5.6.0",
    "echarts.min.js": "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1",
}


def manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text())


def test_the_vendored_file_is_the_pinned_release_byte_for_byte():
    digest = hashlib.sha256((VENDOR / "echarts.min.js").read_bytes()).hexdigest()
    assert digest == PINNED["echarts.min.js"], "static/vendor/echarts/echarts.min.js is not ECharts 5.6.0"
    assert manifest()["version"] == PINNED["version"]
    assert manifest()["files"] == {"echarts.min.js": PINNED["echarts.min.js"]}


def test_the_file_says_it_is_the_pinned_version():
    text = (VENDOR / "echarts.min.js").read_text(encoding="utf-8")
    assert re.findall(r'\bversion="(\d+\.\d+\.\d+)"', text) == [PINNED["version"]]
    # collectstatic's manifest storage would fail on a source map that is not there
    assert "sourceMappingURL" not in text


def test_the_licence_and_notice_travel_with_it():
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert "Apache ECharts" in (VENDOR / "NOTICE").read_text()
    assert "Mike Bostock" in (VENDOR / "LICENSE-d3").read_text()  # the d3.js parts LICENSE names


def test_templates_load_echarts_and_the_chart_module_from_the_app_only():
    loaders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script[^>]+src=\"(https?:)?//", text), f"{template}: a script from elsewhere"
        if "echarts" in text:
            loaders.append(template.relative_to(TEMPLATES).as_posix())
            assert "{% static 'vendor/echarts/echarts.min.js' %}" in text
            assert "{% static 'js/charts.js' %}" in text
    assert loaders == ["rankings/_chart_scripts.html"]

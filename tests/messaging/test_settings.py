"""The messaging settings fail loudly on a bad value (style.md: settings)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(env: dict[str, str]) -> str:
    code = "\n".join(
        [
            "import os",
            f"os.environ.update({env!r})",
            "try:",
            "    import jianbei.settings as s",
            "except Exception as exc:",
            "    print(type(exc).__name__, exc)",
            "else:",
            "    print('ACCEPTED', s.SITE_URL, s.ROBOT_WECOM_URL, s.ROBOT_DINGTALK_URL, repr(s.ROBOT_PROXY))",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


@pytest.mark.parametrize(
    "env",
    [
        {"JIANBEI_WECOM_WEBHOOK_URL": "qyapi.weixin.qq.com/cgi-bin/webhook/send"},
        {"JIANBEI_DINGTALK_WEBHOOK_URL": "ftp://oapi.dingtalk.com/robot/send"},
        {"JIANBEI_ROBOT_PROXY": "proxy.intranet:3128"},
        {"JIANBEI_SITE_URL": "workbench.jiangbei.gov.cn"},
        {"JIANBEI_MESSAGING_MAX_ATTEMPTS": "0"},
    ],
)
def test_a_bad_messaging_setting_is_refused_at_start(env):
    assert load_settings(env).startswith("ImproperlyConfigured")


def test_government_hosts_and_a_proxy_are_taken_as_given():
    out = load_settings(
        {
            "JIANBEI_SITE_URL": "https://workbench.jiangbei.gov.cn/",
            "JIANBEI_WECOM_WEBHOOK_URL": "https://zwwx.example.gov.cn/cgi-bin/webhook/send",
            "JIANBEI_DINGTALK_WEBHOOK_URL": "https://zwding.example.gov.cn/robot/send",
            "JIANBEI_ROBOT_PROXY": "http://proxy.intranet:3128",
        }
    )
    assert out == (
        "ACCEPTED https://workbench.jiangbei.gov.cn https://zwwx.example.gov.cn/cgi-bin/webhook/send "
        "https://zwding.example.gov.cn/robot/send 'http://proxy.intranet:3128'"
    )

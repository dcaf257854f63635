"""A real HTTP server on loopback acting as both group robots, WeCom's and DingTalk's, as their vendors
document them. It checks every call it gets — the path, the key or access token, the JSON payload's shape,
and for DingTalk the timestamp and the signature, recomputed here from DingTalk's published algorithm — and
answers as the vendor would: HTTP 200 with {"errcode": 0, "errmsg": "ok"}, or the failure a test plans."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "ff6cd723bdb4455fe18ba30dbeff007f5"
DINGTALK_SECRET = "this is secret"


def documented_sign(timestamp: str, secret: str) -> str:
    """DingTalk's documented Python sample, step by step: HmacSHA256 keyed by the secret over
    timestamp + "\\n" + secret, Base64, then urlEncode (quote_plus)."""
    string_to_sign = f"{timestamp}\n{secret}"
    hmac_code = hmac.new(
        secret.encode("utf-8"), string_to_sign.encode("utf-8"), digestmod=hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(hmac_code))


class RobotServer:
    def __init__(self):
        self.calls: list[dict] = []  # every call: path, query, payload, answer
        self.problems: list[str] = []  # what the server found wrong in a call (a test asserts there is none)
        self.proxied: list[str] = []  # the hosts of the calls it got as a proxy
        self.plan: list[tuple[str, int]] = []  # the next answers: ("http", 500) or ("errcode", 45009)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                target = self.path
                if target.startswith("http://"):  # asked as a forward proxy: "POST http://host/path?query"
                    parts = urllib.parse.urlsplit(target)
                    server.proxied.append(parts.netloc)
                    target = parts.path + ("?" + parts.query if parts.query else "")
                path, _, raw_query = target.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = server.answer(path, raw_query, self.headers.get("Content-Type", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free port
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def wecom_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send"

    @property
    def dingtalk_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/robot/send"

    def check(self, path: str, raw_query: str, content_type: str, body: bytes) -> list[str]:
        problems = []
        query = urllib.parse.parse_qs(raw_query)
        if "application/json" not in content_type or "utf-8" not in content_type.lower():
            problems.append(f"content type {content_type!r}")
        try:
            payload = json.loads(body.decode("utf-8"))
        except ValueError:
            return [*problems, "body is not UTF-8 JSON"]
        if path == "/cgi-bin/webhook/send":  # WeCom
            if query.get("key") != [WECOM_KEY]:
                problems.append(f"wecom key {query.get('key')}")
            if set(payload) != {"msgtype", "markdown"} or payload["msgtype"] != "markdown":
                problems.append(f"wecom payload keys {sorted(payload)}")
            elif set(payload["markdown"]) != {"content"} or not isinstance(
                payload["markdown"]["content"], str
            ):
                problems.append(f"wecom markdown {payload['markdown']}")
            elif len(payload["markdown"]["content"].encode()) > 4096:
                problems.append("wecom content longer than 4096 bytes")
        elif path == "/robot/send":  # DingTalk
            if query.get("access_token") != [DINGTALK_TOKEN]:
                problems.append(f"dingtalk access_token {query.get('access_token')}")
            timestamp = (query.get("timestamp") or [""])[0]
            raw_sign = re.search(r"(?:^|&)sign=([^&]*)", raw_query)
            if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
                problems.append(f"dingtalk timestamp {timestamp!r} not within an hour")
            elif raw_sign is None or raw_sign.group(1) != documented_sign(timestamp, DINGTALK_SECRET):
                problems.append(f"dingtalk sign {raw_sign and raw_sign.group(1)!r} wrong")
            if set(payload) != {"msgtype", "markdown"} or payload["msgtype"] != "markdown":
                problems.append(f"dingtalk payload keys {sorted(payload)}")
            elif set(payload["markdown"]) != {"title", "text"}:
                problems.append(f"dingtalk markdown keys {sorted(payload['markdown'])}")
        else:
            problems.append(f"path {path}")
        return problems

    def answer(self, path, raw_query, content_type, body):
        if path not in ("/cgi-bin/webhook/send", "/robot/send"):
            with self.lock:
                self.calls.append({"path": path, "query": raw_query, "payload": None, "status": 404})
            return 404, {"errcode": 404, "errmsg": "not found"}
        problems = self.check(path, raw_query, content_type, body)
        with self.lock:
            planned = self.plan.pop(0) if self.plan else None
            if problems:
                self.problems += problems
                status, answer = 200, {"errcode": 310000, "errmsg": "; ".join(problems)}
            elif planned and planned[0] == "http":
                status, answer = planned[1], {"errcode": -1, "errmsg": "system busy"}
            elif planned and planned[0] == "errcode":
                status, answer = 200, {"errcode": planned[1], "errmsg": "api freq out of limit"}
            else:
                status, answer = 200, {"errcode": 0, "errmsg": "ok"}
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            self.calls.append({"path": path, "query": raw_query, "payload": payload, "status": status})
        return status, answer


@pytest.fixture
def robot_server(settings):
    server = RobotServer()
    server.thread.start()
    settings.ROBOT_WECOM_URL = server.wecom_url
    settings.ROBOT_DINGTALK_URL = server.dingtalk_url
    settings.ROBOT_PROXY = ""
    settings.ROBOT_TIMEOUT = 5
    settings.SITE_URL = "https://workbench.jiangbei.example"
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()

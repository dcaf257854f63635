"""Sending one message on one channel: Django's mail, and the WeCom and DingTalk group robots' webhooks.

The robots' formats and rules, as their vendors document them:

- WeCom (企业微信 群机器人): POST JSON `{"msgtype": "markdown", "markdown": {"content": …}}` to
  `<base>?key=<key>`; content at most 4096 bytes of UTF-8; at most 20 messages a minute per robot.
- DingTalk (钉钉 自定义机器人): POST JSON `{"msgtype": "markdown", "markdown": {"title": …, "text": …}}` to
  `<base>?access_token=<token>`, with the 加签 security setting also `&timestamp=<ms>&sign=<sign>`, where
  sign = urlEncode(base64(HmacSHA256(key=secret, message=timestamp + "\\n" + secret))) in UTF-8 and the
  timestamp is within an hour of DingTalk's clock; at most 20 messages a minute per robot (more: throttled
  for 10 minutes).
- Both answer HTTP 200 with `{"errcode": 0, "errmsg": "ok"}` on success; anything else in errcode is a
  failure even with HTTP 200.

The base URLs are settings (ROBOT_WECOM_URL, ROBOT_DINGTALK_URL: 政务微信 / 专有钉钉 hosts, or a relay), and
so is an HTTP(S) proxy to reach them (ROBOT_PROXY).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.utils.html import strip_tags

from .models import Channel, Robot

MAX_BYTES = 4096  # WeCom's limit for markdown content; DingTalk's text is held to the same


class DeliveryError(Exception):
    """A failed attempt worth retrying: a network error, HTTP 5xx, errcode ≠ 0, a mail server's refusal."""


class PermanentError(DeliveryError):
    """A failure no retry can mend: HTTP 4xx, a robot deleted or switched off, no address."""


class Throttled(DeliveryError):
    """The robot sent its allowance for this minute: try later, without counting an attempt."""


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签 signature for `timestamp_ms`, URL-encoded for the query string."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def _with_query(base: str, query: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}{query}"


def robot_url(robot: Robot, *, timestamp_ms: int | None = None) -> str:
    """The webhook address to post to (for DingTalk with a secret: signed for `timestamp_ms`, default now)."""
    if robot.kind == Robot.Kind.WECOM:
        return _with_query(settings.ROBOT_WECOM_URL, urllib.parse.urlencode({"key": robot.key}))
    url = _with_query(settings.ROBOT_DINGTALK_URL, urllib.parse.urlencode({"access_token": robot.key}))
    if robot.secret:
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        url += f"&timestamp={ts}&sign={dingtalk_sign(secret=robot.secret, timestamp_ms=ts)}"
    return url


def _cut(text: str, limit: int = MAX_BYTES) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, on a character boundary."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def robot_payload(robot: Robot, *, subject: str, body: str) -> dict:
    """The markdown message in the robot's documented shape."""
    if robot.kind == Robot.Kind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": _cut(body)}}
    return {"msgtype": "markdown", "markdown": {"title": subject, "text": _cut(body)}}


def _opener() -> urllib.request.OpenerDirector:
    """No proxy unless ROBOT_PROXY names one (the environment's http_proxy is not used by accident)."""
    proxy = settings.ROBOT_PROXY
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})
    )


def post_json(url: str, payload: dict) -> dict:
    """POST `payload` and return the robot's answer; raise DeliveryError unless it says errcode 0."""
    request = urllib.request.Request(  # noqa: S310  (the URL is the configured https/http base)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener().open(request, timeout=settings.ROBOT_TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise DeliveryError(f"HTTP {exc.code}") from exc
        raise PermanentError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out, reset
        raise DeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise DeliveryError(f"not a JSON answer: {raw[:200]!r}") from exc
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise DeliveryError(f"errcode {errcode}: {errmsg}")
    return answer


def send(*, channel: str, subject: str, body: str, address: str = "", robot: Robot | None = None) -> None:
    """Send one message; raise DeliveryError (or PermanentError) when it did not go."""
    if channel == Channel.EMAIL:
        if not address:
            raise PermanentError("no e-mail address")
        try:
            # plain text: markup typed into a title (a request's, an enterprise's) is dropped, not shown raw
            send_mail(strip_tags(subject), strip_tags(body), None, [address])
        except (SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return
    if robot is None or not robot.is_active:
        raise PermanentError("the group robot was removed or switched off")
    post_json(robot_url(robot), robot_payload(robot, subject=subject, body=body))

"""The same-site links of a page, as the crawl and the "listed records open" tests follow them."""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_on(html: str) -> list[str]:
    """Every same-site path (with its query string) in an <a href> of `html`, in page order, once each:
    no other host, no mailto:/tel:/javascript:, no fragment-only link."""
    parser = _Anchors()
    parser.feed(html)
    seen, paths = set(), []
    for href in parser.hrefs:
        href, _fragment = urldefrag(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path not in seen:
            seen.add(path)
            paths.append(path)
    return paths


def url_name(path: str) -> str | None:
    """The namespaced URL name `path` resolves to (None when it resolves to nothing)."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name

"""A Chinese UI with no English left, the Django admin included.

Every page of the permission matrix (tests/test_permission_matrix.py: one GET case per URL of the product)
is rendered in zh-hans as staff, unit manager, leader and admin, and every admin changelist, add form and
change form as the admin (the only role that reaches the admin). The visible text of each page — text
nodes outside <script>/<style>, the title, placeholder and aria-label attributes, and the value of submit
buttons — must hold no English word outside the allow-list below (brand names, codes, units, and the
test world's own data).

One small world (the permission matrix's), built once per module; the whole module takes seconds.
"""

import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts import roles
from apps.accounts.models import User
from apps.rankings.models import Indicator
from apps.units.models import Unit

from .conftest import client_for
from .factories import UnitFactory, UserFactory
from .test_permission_matrix import CASES
from .test_permission_matrix import _build_world as build_matrix_world

# Words that are not English prose, whatever the language of the page: names of products and formats,
# units, and the fields a reader keys in as they are. Compared case-sensitively.
ALLOWED = {
    # products, formats and standards
    "Django", "Excel", "ECharts", "Word", "PDF", "CSV", "xlsx", "docx", "htmx", "Authenticator", "Google",
    "Microsoft", "chinese-calendar", "csv", "TOTP", "OTP", "WebP",
    # the language switch names each language in that language
    "English",
    # keys of the keyboard (the projector's help)
    "PageUp", "PageDown", "Ctrl", "Command", "Mac",
    # units
    "KB", "MB", "GB", "km", "m²", "m2",
}  # fmt: skip
# The test world's data shown as typed (usernames, unit and indicator codes are added from the database):
# a file name, the example of a unit code in its help text, the user agent axes records for the test client.
DATA = {"a.pdf", "jjfzj", "unknown"}

# A Latin "word": letters, then letters, digits and the joiners of codes and file names.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.'’\-]*[A-Za-z0-9]|[A-Za-z]")
# Paths and addresses shown as data (the audit history's "page" column, e-mail addresses), and masked
# secrets (the admin's password summary shows the hash's first characters then asterisks: "nW*****").
NOT_WORDS = re.compile(r"[A-Za-z0-9_.\-]*/[A-Za-z0-9_\-./?=&%#]*|\S+@\S+|https?://\S+|\S*\*{3,}\S*")

CJK = re.compile(r"[\u4e00-\u9fff]")

VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label"}
INVISIBLE = {"script", "style"}
ROLES = ["staff_a", "manager_a", "leader", "admin"]


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in INVISIBLE:
            self._hidden += 1
        self.parts += [value for name, value in attrs.items() if name in VISIBLE_ATTRIBUTES and value]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in INVISIBLE and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.parts


def _is_code(word: str) -> bool:
    """A code, an identifier or a file name, not prose: ID, CBD, FZ-A-001, v1, md5, closure_rate, a.pdf."""
    return word.upper() == word or any(c.isdigit() or c in "_." for c in word)


def english_words(html: str, data: frozenset = frozenset()) -> dict[str, str]:
    """The Latin words of the page's visible text that are not allowed, each with the text it stands in:
    English left untranslated. A lone letter is a code ("C", "A座") unless it is a lower-case ending glued
    to Chinese: the English plural "s" the admin adds to a name without its own plural ("企业历史记录s")."""
    found = {}
    for part in visible_text(html):
        text = NOT_WORDS.sub(" ", part)
        for match in WORD.finditer(text):
            word = match.group().strip(".'’-")
            before = text[match.start() - 1] if match.start() else " "
            if len(word) < 2:
                if word.islower() and CJK.match(before):
                    found.setdefault(before + word, part.strip()[:80])
                continue
            if word in ALLOWED or word in DATA or word in data or _is_code(word):
                continue
            found.setdefault(word, part.strip()[:80])
    return found


def test_english_words_reads_only_visible_text():
    html = (
        '<html><head><title>首页</title><script>var x = "hello"</script><style>p{color:red}</style></head>'
        '<body><p class="card" data-x="Select">请选择 Excel</p><input placeholder="Search">'
        '<input type="submit" value="Save"><span aria-label="Close">×</span><a title="(descending)">降序</a>'
        "<p>/service/requests/1/ · a@b.cn · ID 5 · CBD · 企业历史记录s</p></body></html>"
    )
    assert set(english_words(html)) == {"Search", "Save", "Close", "descending", "录s"}


# --- the world ----------------------------------------------------------------------------------------------


def _users():
    """The canonical roles under usernames that are data, not English words."""
    unit_a = UnitFactory(code="yjy", name="产业技术研创园", short_name="研创园")
    unit_b = UnitFactory(code="yyg", name="生物医药谷", short_name="医药谷")
    office = UnitFactory(
        code="dzb", name="党政办公室", short_name="党政办", kind="office", peer_group="bureaus"
    )
    users = {
        "staff_a": UserFactory(username="zhangwei", display_name="张伟", unit=unit_a, role=roles.STAFF),
        "colleague_a": UserFactory(username="lina", display_name="李娜", unit=unit_a, role=roles.STAFF),
        "staff_b": UserFactory(username="wangfang", display_name="王芳", unit=unit_b, role=roles.STAFF),
        "manager_a": UserFactory(
            username="liuyang", display_name="刘洋", unit=unit_a, role=roles.UNIT_MANAGER
        ),
        "leader": UserFactory(username="zhaomin", display_name="赵敏", unit=office, role=roles.LEADER),
        "admin": UserFactory(
            username="sysadmin",
            display_name="系统管理员",
            unit=office,
            role=roles.ADMIN,
            is_staff=True,
            is_superuser=True,
        ),
        "anonymous": None,
    }
    return users, unit_a, unit_b


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("no-english-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_matrix_world(*_users())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _pages(world) -> list[str]:
    """Every page the permission matrix reads (GET cases), once each."""
    urls = []
    for case in CASES:
        if case.method == "get" and (url := case.url(world)) not in urls:
            urls.append(url)
    return urls


def _admin_pages() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse("admin:app_list", args=[opts.app_label]))
        urls.append(reverse(f"{prefix}_changelist"))
        urls.append(reverse(f"{prefix}_add"))
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            urls.append(reverse(f"{prefix}_change", args=[quote(pk)]))
            urls.append(reverse(f"{prefix}_history", args=[quote(pk)]))
    return list(dict.fromkeys(urls))


def _leaks(client, urls) -> dict[str, dict[str, str]]:
    data = frozenset(
        [
            *User.objects.values_list("username", flat=True),
            *Unit.objects.values_list("code", flat=True),
            *Indicator.objects.values_list("code", flat=True),
        ]
    )
    leaks, read = {}, 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        read += 1
        if words := english_words(response.content.decode(), data):
            leaks[url] = words
    assert read, "no page was read"
    return leaks


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_in_chinese(world, role):
    leaks = _leaks(client_for(world[role]), _pages(world))
    assert leaks == {}, f"English as {role}: {leaks}"


@pytest.mark.django_db
def test_every_admin_page_is_in_chinese(world):
    client = client_for(world["admin"])
    # a filtered changelist shows the chosen filter and the date hierarchy's "Filter by"
    leaks = _leaks(client, _admin_pages())
    assert leaks == {}, f"English in the admin: {leaks}"


# --- English stays complete ---------------------------------------------------------------------------------


def test_labels_are_english_in_english():
    with translation.override("en"):
        assert roles.label(roles.UNIT_MANAGER) == "unit manager"
        assert translation.gettext("- Select an option -") == "- Select an option -"
    with translation.override("zh-hans"):
        assert roles.label(roles.UNIT_MANAGER) != "unit manager"
        assert roles.label("some group") == "some group"


@pytest.mark.django_db
def test_audit_times_are_shanghai_times(world):
    """The history page and the admin's history tables show when in Asia/Shanghai, not UTC."""
    from apps.audit.models import AuditedRequest

    row = AuditedRequest.pgh_event_model.objects.filter(pgh_obj_id=world["request_b"].pk).latest("pgh_id")
    shanghai = timezone.localtime(row.pgh_created_at, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    utc = timezone.localtime(row.pgh_created_at, ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    client = client_for(world["admin"])
    history = client.get(reverse("audit:history", args=["request", world["request_b"].pk])).content.decode()
    table = client.get(reverse("admin:audit_requesthistory_changelist")).content.decode()
    for page in (history, table):
        assert shanghai in page
        assert utc not in page
    assert "创建" in history

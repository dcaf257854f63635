"""The translations: a complete Simplified Chinese catalogue, committed .mo files that match their .po,
and pages that speak Chinese by default and English on request.

`makemessages` needs GNU gettext, which CI machines do not have, so whether every source string is in
the .po is not checked here: run `manage.py makemessages -l zh_Hans -l en ...` where gettext exists.
"""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from jianbei.compile_messages import LOCALE_DIR, po_files

ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
LOGIN = "/accounts/login/"

# A named python-format placeholder: %(name)s, %(count)d, %(value)05.2f ...
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def describe(entry) -> str:
    return f"{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})"


def catalogue(entries) -> dict:
    """(context, msgid) → msgstr, or the tuple of plural forms, of the translated entries."""
    result = {}
    for entry in entries:
        if entry.msgid_plural:
            value = (entry.msgid_plural, *(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)))
        else:
            value = entry.msgstr
        result[(entry.msgctxt, entry.msgid)] = value
    return result


@pytest.fixture(scope="module")
def zh_po():
    return polib.pofile(str(ZH_PO))


# --- (a) the Chinese catalogue is complete and keeps the placeholders -------------------------------


def test_both_catalogues_exist():
    assert ZH_PO.is_file()
    assert EN_PO.is_file()
    assert set(po_files()) >= {ZH_PO, EN_PO}


def test_zh_hans_header(zh_po):
    assert zh_po.metadata["Language"] == "zh_Hans"
    assert zh_po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert zh_po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert not zh_po.metadata_is_fuzzy


def test_en_header():
    en_po = polib.pofile(str(EN_PO))
    assert en_po.metadata["Language"] == "en"
    assert en_po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert en_po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert not en_po.metadata_is_fuzzy
    # English is the source language: every msgid stands for itself.
    assert en_po.translated_entries() == []


def test_zh_hans_catalogue_is_not_empty(zh_po):
    assert len(zh_po) > 100


def test_every_zh_hans_entry_is_translated_and_not_fuzzy(zh_po):
    problems = []
    for entry in zh_po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {describe(entry)}")
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            if sorted(forms) != [0] or not all(forms.values()):
                problems.append(f"plural not filled (nplurals=1): {describe(entry)}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {describe(entry)}")
    assert problems == []


def test_zh_hans_translations_keep_the_placeholders(zh_po):
    problems = []
    for entry in zh_po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            translations = list(entry.msgstr_plural.values())
        else:
            expected = placeholders(entry.msgid)
            translations = [entry.msgstr]
        for text in translations:
            if placeholders(text) != expected:
                problems.append(f"{describe(entry)}: {sorted(placeholders(text))} != {sorted(expected)}")
    assert problems == []


def test_python_format_translations_can_be_formatted(zh_po):
    """A stray % in a translation breaks `"..." % {...}` at run time."""
    problems = []
    for entry in zh_po:
        if "python-format" not in entry.flags:
            continue
        values = {name: 1 for name in re.findall(r"%\((\w+)\)", entry.msgid + entry.msgid_plural)}
        for text in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            try:
                text % values
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{describe(entry)}: {exc}")
    assert problems == []


# --- (b) the committed .mo files are compiled from the current .po files ----------------------------


@pytest.mark.parametrize("po_path", po_files(), ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_committed_mo_is_up_to_date(po_path: Path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.is_file(), f"{mo_path} is missing: run `make messages`"
    fresh = polib.mofile(polib.pofile(str(po_path)).to_binary())
    committed = polib.mofile(str(mo_path))
    assert catalogue(committed) == catalogue(fresh), f"{mo_path} is stale: run `make messages`"
    assert committed.metadata == fresh.metadata, f"{mo_path} is stale: run `make messages`"


# --- (c) the pages speak Chinese by default, English when chosen --------------------------------------


ONE_USER = "%(count)d user no longer has to use two-factor sign-in."
USERS = "%(count)d users no longer have to use two-factor sign-in."


def test_django_loads_the_catalogues():
    with translation.override("zh-hans"):
        assert translation.gettext("Sign in") == "登录"
        assert translation.gettext("%(count)s records") == "共 %(count)s 条"
        assert translation.ngettext(ONE_USER, USERS, 2) == "%(count)d 个用户不再需要使用双因素登录。"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
        assert translation.ngettext(ONE_USER, USERS, 2) == USERS


@pytest.mark.django_db
def test_login_page_is_in_chinese_by_default():
    assert settings.LANGUAGE_CODE == "zh-hans"
    response = Client().get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "登录" in page
    assert "江北新区企业服务工作台" in page
    assert "Sign in" not in page


@pytest.mark.django_db
def test_login_page_is_in_english_with_the_language_cookie():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(LOGIN).content.decode()
    assert "Sign in" in page
    assert "Jiangbei enterprise-service workbench" in page
    assert "登录" not in page


@pytest.mark.django_db
def test_set_language_switches_to_english_and_back():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert "Sign in" in client.get(LOGIN).content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN})
    assert "登录" in client.get(LOGIN).content.decode()

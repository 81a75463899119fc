"""Every page of the committee's and stewards' workspace, in Traditional Chinese and in English:
no console error or failed request, no serious or critical axe-core violation, and in zh-Hant no
English string of our catalogue left untranslated on the page."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from core.audit import Actor
from governance import services
from governance.choices import ReviewStatus
from governance.models import Committee, FieldDefinition, Meeting
from governance.workflow import reviews_of
from tests.web.conftest import assert_accessible, journey
from vendors.models import ChangeNotice

pytestmark = journey(__name__)

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "zh_Hant" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _net_review() -> int:
    version = FieldDefinition.objects.get(key="order_amount_net").pending_version
    return reviews_of(version).get(status=ReviewStatus.OPEN).pk


def _meeting() -> str:
    committee = Committee.objects.get()
    meeting = Meeting.objects.filter(committee=committee).first()
    if meeting is None:
        chair = get_user_model().objects.get(username="chair")
        meeting = services.record_meeting(
            Actor(chair), committee, committee.reviews.latest("opened_at").opened_at.date()
        )
    return f"/committees/{committee.pk}/meetings/{meeting.pk}/"


# (who, address or a function of the demo world giving it)
PAGES = {
    "login": (None, "/accounts/login/"),
    "home of a committee member": ("chair", "/"),
    "home of a steward": ("stella", "/"),
    "home of an engineer": ("eric", "/"),
    "search": ("chair", "/search/?q=amount"),
    "glossary": ("chair", "/definitions/?tax=included"),
    "definition with a version in review": ("chair", "/definitions/order_amount_net/"),
    "definition deprecated": ("chair", "/definitions/sales_amount/"),
    "new definition": ("stella", "/definitions/new/"),
    "new version": ("stella", "/definitions/order_amount_net/edit/"),
    "versions compared": ("chair", "/definitions/customer_email/compare/?a=2&b=3"),
    "recertification": ("stella", "/definitions/customer_phone/recertify/"),
    "review queue": ("chair", "/reviews/"),
    "decided reviews": ("chair", "/reviews/?show=decided"),
    "review": ("chair", lambda: f"/reviews/{_net_review()}/"),
    "review seen by its author": ("stella", lambda: f"/reviews/{_net_review()}/"),
    "agenda": ("chair", lambda: f"/committees/{Committee.objects.get().pk}/agenda/"),
    "minutes": ("chair", _meeting),
    "conflicts": ("stella", "/conflicts/"),
    "catalog": ("eric", "/catalog/"),
    "catalog of a vendor": ("victor", "/catalog/"),
    "system": ("eric", "/catalog/systems/crm/"),
    "dataset": ("eric", "/catalog/datasets/crm:public.contacts/"),
    "field": ("eric", "/catalog/fields/crm:public.contacts.email/"),
    "field with a propagated classification": ("eric", "/catalog/fields/dw:dw.customer_dim.email/"),
    "dataset seen by a vendor": ("victor", "/catalog/datasets/pos:sales.transactions/"),
    "job whose version failed": ("eric", "/lineage/jobs/stg_epay_payments/"),
    "job": ("eric", "/lineage/jobs/dw_customer_dim/"),
    "vendor home": ("victor", "/vendors/"),
    "vendor contracts of an owner": ("eric", "/vendors/"),
    "contract": ("victor", "/vendors/contracts/pos-sales-nightly/"),
    "contract editor": ("victor", "/vendors/contracts/pos-sales-nightly/edit/"),
    "new interface": ("victor", "/vendors/contracts/new/"),
    "new change notice": ("victor", "/vendors/contracts/pos-sales-nightly/notices/new/"),
    "change notice": ("eric", lambda: f"/vendors/notices/{ChangeNotice.objects.first().pk}/"),
    "not found": ("victor", lambda: f"/reviews/{_net_review()}/"),
}


@cache
def translated_msgids() -> tuple[list[str], list[str]]:
    """The English texts of the catalogue that have a translation: (single words, which must
    not be a whole text on the page, and longer texts' literal parts, which must not appear
    anywhere in it)."""
    words, phrases = set(), set()
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        for text in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in PLACEHOLDER.split(text):
                part = part.strip(" ,.;:()“”'")
                if not re.search(r"[A-Za-z]{2}", part):
                    continue
                (phrases if " " in part else words).add(part)
    return sorted(words), sorted(phrases)


# The visible texts of the page and the texts given to assistive technology; <code> (keys,
# field references, SQL types) and what is marked lang="en" (the English name a definition
# has, as data) are left out: they are the same in every language.
TEXTS_JS = """() => {
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('code, script, style, [lang="en"], [translate="no"]')) continue;
    if (!el.checkVisibility()) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value) texts.push(value.trim());
    }
  }
  return texts;
}"""


def untranslated(texts: list[str]) -> list[str]:
    words, phrases = translated_msgids()
    whole = {t.strip(" ,.;:()“”") for t in texts}
    joined = "\n".join(texts)
    found = [w for w in words if w in whole]
    found += [p for p in phrases if p in joined]
    return found


def _open(open_page, name: str, lang: str):
    username, address = PAGES[name]
    address = address() if callable(address) else address
    page = open_page(username, lang=lang)
    if name == "not found":
        page.watch.expect(address)
    response = page.goto(address)
    assert response.status == (404 if name == "not found" else 200), address
    return page


@pytest.mark.parametrize("name", PAGES)
def test_the_page_in_traditional_chinese_is_accessible_and_has_no_english_left(open_page, name):
    page = _open(open_page, name, "zh-hant")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert_accessible(page)
    left = untranslated(page.evaluate(TEXTS_JS))
    assert not left, f"untranslated on {page.url}: {left}"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_in_english_is_accessible(open_page, name):
    page = _open(open_page, name, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)


def test_the_language_switch_changes_the_language_and_keeps_the_page(open_page):
    page = open_page("chair", lang="en")
    page.goto("/definitions/")
    page.get_by_label("Language").select_option("zh-hant")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_url("**/definitions/")
    assert page.get_by_role("heading", level=1).inner_text() == "詞彙表"
    page.get_by_label("語言").select_option("en")
    page.get_by_role("button", name="切換語言").click()
    page.wait_for_url("**/definitions/")
    assert page.get_by_role("heading", level=1).inner_text() == "Glossary"

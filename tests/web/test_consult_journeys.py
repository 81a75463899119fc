"""The consult pages in Chromium on the retail demo: the committee's what-if showing every reason
code of the demo in words (and logging nothing), a steward proposing a policy that two committee
members approve from the pages, the decision log filtered by a field and its CSV holding exactly
the rows shown, who may open what, and every consult page in both languages with axe-core."""

from __future__ import annotations

import csv
import re

import pytest
from django.contrib.auth import get_user_model

from consult import services
from consult.choices import ReasonCode
from consult.models import AccessPolicy, DecisionLog
from consult.words import REASONS
from demo.consult import DEMO_FIELDS
from governance.workflow import reviews_of
from tests.web.conftest import assert_accessible, journey
from tests.web.test_pages_in_both_languages import TEXTS_JS, untranslated

pytestmark = journey(__name__)

# The eight codes of the consult contract (DESIGN, "Consult"); the demo reaches each.
EIGHT = [
    ReasonCode.UNREGISTERED_FIELD,
    ReasonCode.NO_APPROVED_DEFINITION,
    ReasonCode.DEFINITION_DEPRECATED,
    ReasonCode.NO_POLICY,
    ReasonCode.POLICY_DENIED,
    ReasonCode.POLICY_ALLOWED,
    ReasonCode.UPSTREAM_UNAPPROVED,
    ReasonCode.MASKING_REQUIRED,
]


def person(username: str):
    return get_user_model().objects.get(username=username)


def ask_what_if(page, fields: list[str]) -> None:
    page.goto("/consult/what-if/")
    page.get_by_label("Consumer").select_option(label="cdp-unification")
    page.get_by_label("Purpose").select_option("profile_unification")
    page.get_by_label("Fields", exact=True).fill("\n".join(fields))
    page.get_by_role("button", name="Decide").click()
    page.get_by_role("heading", name="The decisions").wait_for()


def test_the_what_if_shows_the_demos_eight_reason_codes_in_words_and_logs_nothing(open_page):
    logged = DecisionLog.objects.count()
    page = open_page("chair")
    ask_what_if(page, DEMO_FIELDS)
    shown = page.locator(".reason").evaluate_all("els => els.map(e => e.dataset.code)")
    assert set(EIGHT) <= set(shown), shown
    for code in EIGHT:
        if code == ReasonCode.POLICY_ALLOWED:
            continue  # also shown as overruled where something else denies
        assert page.get_by_text(str(REASONS[code]), exact=True).first.is_visible(), code
    email = page.get_by_role("article", name=re.compile("crm:public.contacts.email"))
    assert "Allowed with conditions" in email.inner_text()
    assert "masked with SHA-256" in email.inner_text()
    # The policy that decided is named, linked and said in words.
    phone = page.get_by_role("article", name=re.compile("crm:public.contacts.phone"))
    link = phone.get_by_role("link", name=re.compile("No raw phone numbers in the CDP"))
    assert link.is_visible()
    assert "may not use field crm:public.contacts.phone" in phone.inner_text()
    assert_accessible(page)
    assert DecisionLog.objects.count() == logged

    # In Traditional Chinese, the same decisions in words.
    page = open_page("chair", lang="zh-hant")
    page.goto("/consult/what-if/")
    page.get_by_label("使用端").select_option(label="cdp-unification")
    page.get_by_role("combobox", name=re.compile("^用途")).select_option("profile_unification")
    page.get_by_label("欄位", exact=True).fill("\n".join(DEMO_FIELDS))
    page.get_by_role("button", name="判定").click()
    page.get_by_role("heading", name="判定結果").wait_for()
    assert page.get_by_text("此欄位未登錄於目錄。").is_visible()
    assert page.get_by_text("有政策拒絕此用途。").is_visible()
    assert_accessible(page)
    assert DecisionLog.objects.count() == logged


def test_the_what_if_by_query_names_each_output_column(open_page):
    page = open_page("chair")
    page.goto("/consult/what-if/")
    page.get_by_label("Consumer").select_option(label="cdp-unification")
    page.get_by_label("Or a query").fill(
        "SELECT c.email, c.phone FROM crm.public.contacts c WHERE c.postcode = '100'"
    )
    page.get_by_role("button", name="Decide").click()
    columns = page.get_by_role("table").filter(has_text="Its output columns")
    columns.wait_for()
    assert re.search(r"phone\s+Denied", columns.inner_text())
    assert page.get_by_role("article", name=re.compile("crm:public.contacts.postcode")).is_visible()
    assert_accessible(page)


def test_a_steward_proposes_a_policy_and_two_committee_members_approve_it(open_page):
    page = open_page("stella")
    page.goto("/consult/policies/")
    page.get_by_role("link", name="Propose a policy").click()
    page.get_by_label(re.compile("^Name")).fill("CDP may match on hashed birth dates")
    page.get_by_label("Consumer").select_option(label="cdp-unification")
    page.get_by_label("What it covers").select_option("field")
    page.get_by_label("Reference").fill("crm:public.contacts.birth_date")
    page.get_by_role("checkbox", name=re.compile("profile_unification")).check()
    page.get_by_label("Masking").select_option("sha256")
    page.get_by_label("Valid until").fill("2027-06-30")
    page.get_by_label("Why").fill("Birth date only as a hash, to break ties between profiles.")
    assert_accessible(page)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/consult/policies/\d+/$"))
    sentence = page.locator("#policy-sentence").inner_text()
    assert sentence == (
        "cdp-unification may use field crm:public.contacts.birth_date for profile_unification, "
        "masked with SHA-256, until 2027-06-30."
    )
    policy = AccessPolicy.objects.get(name="CDP may match on hashed birth dates")
    assert (policy.status, policy.author.username) == ("in_review", "stella")
    review = reviews_of(policy).get(status="open")

    for username in ("chair", "member"):
        page = open_page(username)
        page.goto(f"/consult/policies/{policy.pk}/")
        page.get_by_role("link", name=f"Decide it: review #{review.pk}").click()
        page.wait_for_url(f"**/reviews/{review.pk}/")
        assert_accessible(page)
        page.get_by_role("button", name="Approve").click()
        page.get_by_text("Your vote is recorded.").wait_for()
    page.get_by_role("link", name="Open the subject").click()
    page.wait_for_url(f"**/consult/policies/{policy.pk}/")
    assert page.locator(".subtitle .tag").inner_text() == "Approved"
    policy.refresh_from_db()
    assert policy.status == "approved"
    assert page.get_by_role("button", name="Revoke").is_visible()


def test_the_decision_log_filters_by_a_field_and_the_csv_has_the_rows_shown(open_page):
    cdp = person("cdp-unification")
    for purpose in ("profile_unification", "analytics", "marketing"):
        services.consult(
            cdp, purpose, ["crm:public.contacts.email", "pos:sales.transactions.amount"]
        )
    page = open_page("stella")
    page.goto("/consult/decisions/")
    page.get_by_label("Field", exact=True).fill("crm:public.contacts.email")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**field=crm*")
    table = page.locator("#decision-rows tbody tr")
    shown = [
        [cell.strip() for cell in table.nth(i).locator("td").all_inner_texts()[:5]]
        for i in range(table.count())
    ]
    assert len(shown) == DecisionLog.objects.filter(field_ref="crm:public.contacts.email").count()
    assert len(shown) >= 4
    assert {row[3] for row in shown} == {"crm:public.contacts.email"}
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    words = {"allow": "Allowed", "allow_with_obligations": "Allowed with conditions",
             "deny": "Denied"}  # fmt: skip
    assert [[r["consumer"], r["purpose"], r["field"], words[r["decision"]]] for r in rows] == [
        [row[1], row[2], row[3], row[4]] for row in shown
    ]


def test_who_may_open_the_consult_pages(open_page, site):
    page = open_page(None)
    page.goto("/consult/policies/")
    assert "/accounts/login/?next=/consult/policies/" in page.url

    vendor = open_page("victor")
    for url in ("/consult/policies/", "/consult/what-if/", "/consult/decisions/"):
        vendor.watch.expect(url)
        assert vendor.goto(url).status == 404
    assert (
        vendor.get_by_role("navigation", name="Main navigation")
        .get_by_role("link", name="Consult")
        .count()
        == 0
    )

    engineer = open_page("eric")
    engineer.goto("/")
    engineer.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Consult"
    ).click()
    engineer.wait_for_url("**/consult/policies/")
    assert engineer.get_by_role("link", name="Propose a policy").count() == 0
    for url in ("/consult/policies/new/", "/consult/what-if/"):
        engineer.watch.expect(url)
        assert engineer.goto(url).status == 403
    engineer.watch.expect("/consult/decisions/")
    assert engineer.goto("/consult/decisions/").status == 404

    consumer = open_page("cdp-unification")
    assert consumer.goto("/consult/decisions/").status == 200
    consumer.watch.expect("/consult/what-if/")
    assert consumer.goto("/consult/what-if/").status == 403


PAGES = {
    "policies": ("chair", "/consult/policies/"),
    "a policy": ("chair", lambda: f"/consult/policies/{AccessPolicy.objects.first().pk}/"),
    "new policy": ("stella", "/consult/policies/new/"),
    "what-if": ("chair", "/consult/what-if/?consumer={cdp}&purpose=profile_unification"
                "&fields_text=" + "%0A".join(DEMO_FIELDS)),
    "decision log": ("stella", "/consult/decisions/?decision=deny"),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-hant", "en"])
@pytest.mark.parametrize("name", PAGES)
def test_the_consult_page_in_both_languages_is_accessible(open_page, name, lang):
    username, address = PAGES[name]
    address = address() if callable(address) else address
    address = address.replace("{cdp}", str(person("cdp-unification").pk))
    page = open_page(username, lang=lang)
    assert page.goto(address).status == 200
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)
    if lang == "zh-hant":
        left = untranslated(page.evaluate(TEXTS_JS))
        assert not left, f"untranslated on {page.url}: {left}"

"""The vendors' and the contract owners' jobs, done in Chromium on the retail demo: victor
documents a new interface end to end (the RACI grid refuses a second Accountable, Submit stays
disabled while gaps remain), the owner of the affected system approves it on the review page,
victor sees the answer; carla cannot open anything of victor's vendor; a change notice inside
the notice period is flagged in words and answered; an exported contract uploaded back exports
the same. Each journey asserts what the page says and what the database holds."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import yaml
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from governance.choices import ReviewStatus
from governance.workflow import reviews_of
from tests.web.conftest import assert_accessible, journey
from vendors.choices import Activity, NoticeStatus, VersionStatus
from vendors.models import ChangeNotice, ContractVersion, IntegrationContract

pytestmark = journey(__name__)

POS = "pos-sales-nightly"
VENDOR = "StoreTech POS Ltd"


def cell(page, activity: str, party: str, role: str):
    return page.get_by_label(f"{activity} · {party} · {role}", exact=True)


def test_a_vendor_documents_a_new_interface_and_the_owner_approves_it(open_page):
    page = open_page("victor")
    page.goto("/vendors/")
    page.get_by_role("link", name="New interface").click()
    page.get_by_label("Key").fill("pos-returns-daily")
    page.get_by_label("Name").fill("POS returns to the warehouse")
    page.get_by_label("Description").fill("Refunds <b>and</b> returns, once a day.")
    page.get_by_role("button", name="Create the interface").click()
    page.wait_for_url("**/vendors/contracts/pos-returns-daily/edit/")
    assert_accessible(page)

    page.get_by_label("Source system", exact=True).select_option("pos")
    page.get_by_label("Target system", exact=True).select_option("dw")
    page.get_by_label("Mechanism", exact=True).select_option("file_drop")
    page.get_by_label("Endpoint or location", exact=True).fill(
        "sftp://drop.retail.example/pos/returns/"
    )
    page.get_by_label("Format", exact=True).fill("CSV")
    page.get_by_label("Schedule", exact=True).fill("daily by 02:00")
    # Search as you type: the box offers what victor may name, nothing of other vendors.
    box = page.get_by_label("Dataset 1", exact=True)
    box.press_sequentially("transaction_l", delay=20)
    options = page.locator("#dataset-options option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == "pos:sales.transaction_lines"
    box.fill("pos:sales.transaction_lines")

    for activity in Activity.labels:
        cell(page, activity, VENDOR, "Responsible").check()
        cell(page, activity, VENDOR, "Accountable").check()
    # The grid refuses a second Accountable at once, and says why.
    page.get_by_label("Internal team 1", exact=True).fill("Data Platform")
    second = cell(page, "Extraction", "internal team 1", "Accountable")
    second.click()
    assert not second.is_checked()
    alert = page.locator("#raci-alert")
    assert alert.is_visible()
    assert "Extraction already has an Accountable party (StoreTech POS Ltd)" in alert.inner_text()
    cell(page, "Extraction", "internal team 1", "Informed").check()

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").get_by_text("Draft version 1 saved.").is_visible()
    submit = page.get_by_role("button", name="Submit for approval")
    assert submit.is_disabled()
    slas = page.get_by_role("group", name="Service levels")
    assert "No availability SLA." in slas.inner_text()
    version = ContractVersion.objects.get(contract__key="pos-returns-daily")
    assert version.status == VersionStatus.DRAFT
    assert version.raci.count() == 19
    assert_accessible(page)

    for index, (metric, target, unit) in enumerate(
        [("delivery_time", "2", "hours"), ("availability", "99.5", "percent"),
         ("max_error_rate", "0.5", "percent")]
    ):  # fmt: skip
        page.get_by_label(f"SLA {index + 1}: metric").select_option(metric)
        page.get_by_label(f"SLA {index + 1}: target").fill(target)
        page.get_by_label(f"SLA {index + 1}: unit").select_option(unit)
    page.get_by_label("How errors are detected", exact=True).fill(
        "Row counts against the till summary."
    )
    page.get_by_label("Retries", exact=True).fill("3")
    page.get_by_label("Back-off between retries", exact=True).fill("15 minutes, doubling")
    page.get_by_label("Quarantine of bad records", exact=True).fill("Bad rows to /pos/quarantine/.")
    page.get_by_label("Replay procedure", exact=True).fill("Re-drop the day's file.")
    page.get_by_label("Who is told of a failure", exact=True).fill("Data Platform on-call")
    page.get_by_label("Told within (minutes)", exact=True).fill("30")
    page.get_by_label("Escalation row 1: vendor contact").select_option(
        label="Pat Lin (Integration desk)"
    )
    page.get_by_label("Escalation row 1: response time").fill("30")
    page.get_by_label("Escalation row 1: unit").select_option("minutes")
    page.get_by_label("Notice period for schema changes (days)", exact=True).fill("30")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Submit for approval").is_enabled()
    page.get_by_role("button", name="Submit for approval").click()
    page.wait_for_url("**/vendors/contracts/pos-returns-daily/?version=1")
    assert page.get_by_role("status").get_by_text("Submitted").is_visible()
    # Vendor-written text is shown as text, never as markup.
    assert "Refunds <b>and</b> returns" in page.locator("main").inner_text()
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED

    # The owner of the warehouse finds it on the vendor page and approves it on its review.
    owner = open_page("eric")
    owner.goto("/vendors/")
    waiting = owner.get_by_role("region", name="Contract versions awaiting your decision")
    assert "POS returns to the warehouse v1" in waiting.inner_text()
    waiting.get_by_role("listitem").filter(has_text="POS returns to the warehouse v1").get_by_role(
        "link", name="Review"
    ).click()
    owner.wait_for_url(re.compile(r"/reviews/\d+/$"))
    assert "Store point of sale (pos)" in owner.locator("main").inner_text()
    owner.get_by_label("Comment").fill("Matches our runbook.")
    owner.get_by_role("button", name="Approve").click()
    owner.wait_for_load_state()
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE

    page.goto("/vendors/")
    card = page.get_by_role("article", name=re.compile("POS returns to the warehouse"))
    text = card.inner_text()
    assert "Active" in text and "Approved" in text and "Matches our runbook." in text
    assert_accessible(page)


def test_the_review_shows_the_change_from_the_version_in_force_in_words(open_page):
    version = ContractVersion.objects.get(contract__key=POS, status=VersionStatus.SUBMITTED)
    review = reviews_of(version).get(status=ReviewStatus.OPEN)
    page = open_page("eric")
    page.goto(f"/vendors/contracts/{POS}/?version={version.number}")
    page.get_by_role("link", name=f"Open review #{review.pk}").click()
    changes = page.get_by_role("region", name="What changes from the version in force")
    text = changes.inner_text()
    assert "Schedule" in text and "nightly, files by 01:00" in text and "hourly" in text
    assert "Freshness" in text
    for name in ("Approve", "Reject", "Request changes"):
        assert page.get_by_role("button", name=name).is_visible()
    assert page.get_by_role("link", name="Open the subject").get_attribute("href") == (
        f"/vendors/contracts/{POS}/?version={version.number}"
    )


def test_another_vendor_gets_not_found_on_every_page_of_victors_vendor(open_page):
    notice = ChangeNotice.objects.filter(contract__key=POS).first()
    page = open_page("carla")
    for address in [
        f"/vendors/contracts/{POS}/",
        f"/vendors/contracts/{POS}/edit/",
        f"/vendors/contracts/{POS}/document.md",
        f"/vendors/contracts/{POS}/printable/",
        f"/vendors/contracts/{POS}/odcs/",
        f"/vendors/contracts/{POS}/notices/new/",
        f"/vendors/contracts/{POS}/catalog-search/?dataset=pos",
        f"/vendors/notices/{notice.pk}/",
    ]:
        page.watch.expect(address)
        assert page.goto(address).status == 404, address
    page.goto("/vendors/")
    assert VENDOR not in page.locator("main").inner_text()
    assert "pos-sales-nightly" not in page.locator("main").inner_text()


def test_an_owner_may_read_a_contract_but_not_edit_it(open_page):
    page = open_page("eric")
    address = f"/vendors/contracts/{POS}/edit/"
    page.watch.expect(address)
    assert page.goto(address).status == 403
    page.goto(f"/vendors/contracts/{POS}/")
    assert page.get_by_role("link", name="Edit the draft").count() == 0
    assert page.get_by_role("link", name="Write a new version").count() == 0


def test_a_change_notice_inside_the_notice_period_is_flagged_in_words(open_page):
    page = open_page("victor")
    page.goto(f"/vendors/contracts/{POS}/")
    page.get_by_role("link", name="File a change notice").click()
    # Days are counted in the pages' time zone (Asia/Taipei): from 16:00 UTC it is tomorrow there.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.PAGE_TIME_ZONE))
    effective = today + datetime.timedelta(days=12)
    page.get_by_label("What changes, in a sentence").fill("Till 8.3 drops the payment method")
    page.get_by_label("Effective date").fill(effective.isoformat())
    page.get_by_label("Change", exact=True).first.select_option("removed")
    page.get_by_label("Field", exact=True).first.fill("pos:sales.transactions.payment_method")
    page.get_by_role("button", name="File the notice").click()
    page.wait_for_url(re.compile(r"/vendors/notices/\d+/$"))
    flag = page.locator("#notice-period").inner_text()
    assert "Short notice: 12 days' notice, the contract asks for 30." in flag
    assert "pos:sales.transactions.payment_method removed" in page.locator("main").inner_text()
    assert page.get_by_role("region", name="Impact, from the lineage").is_visible()
    notice = ChangeNotice.objects.get(summary="Till 8.3 drops the payment method")
    assert notice.inside_notice_period
    assert_accessible(page)

    owner = open_page("eric")
    owner.goto(f"/vendors/notices/{notice.pk}/")
    owner.get_by_label("Comment").fill("We will adapt the staging model.")
    owner.get_by_role("button", name="Acknowledge").click()
    owner.wait_for_load_state()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ACKNOWLEDGED

    page.goto("/vendors/")
    notices = page.get_by_role("region", name="Change notices you filed")
    assert "We will adapt the staging model." in notices.inner_text()


def test_an_exported_contract_uploaded_back_exports_the_same(open_page, tmp_path):
    page = open_page("victor")
    page.goto(f"/vendors/contracts/{POS}/?version=1")
    with page.expect_download() as first:
        page.get_by_role("link", name="Download as ODCS YAML").click()
    exported = tmp_path / "exported.yaml"
    first.value.save_as(exported)
    before = ContractVersion.objects.filter(contract__key=POS).count()

    # A broken document: every problem listed with its path, nothing written.
    broken = yaml.safe_load(exported.read_text())
    broken["slaProperties"][0]["unit"] = "fortnights"
    broken["customProperties"][1]["value"][0]["activity"] = "juggling"
    bad = tmp_path / "broken.yaml"
    bad.write_text(yaml.safe_dump(broken))
    page.watch.expect(f"/vendors/contracts/{POS}/odcs/")
    page.get_by_label("ODCS document (YAML or JSON)").set_input_files(bad)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    problems = page.get_by_role("alert").inner_text()
    assert "nothing was written" in problems
    assert "slaProperties[0].unit" in problems and "customProperties[1]" in problems
    assert ContractVersion.objects.filter(contract__key=POS).count() == before
    assert_accessible(page)

    page.get_by_label("ODCS document (YAML or JSON)").set_input_files(exported)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    created = ContractVersion.objects.filter(contract__key=POS).order_by("-number").first()
    assert created.number == before + 1 and created.status == VersionStatus.DRAFT
    assert (
        page.get_by_role("status")
        .get_by_text(f"The document is now draft version {created.number}.")
        .is_visible()
    )
    with page.expect_download() as second:
        page.get_by_role("link", name="Download as ODCS YAML").click()
    again = tmp_path / "again.yaml"
    second.value.save_as(again)

    def content(path):
        doc = yaml.safe_load(path.read_text())
        return {k: v for k, v in doc.items() if k not in ("version", "status")}

    assert content(again) == content(exported)
    assert IntegrationContract.objects.get(key=POS).effective_version.number == 1

"""The committee's and the stewards' jobs, done in Chromium on the retail demo: proposing a
definition with its mappings, voting from the queue and from a review page, what the author
sees, a rejected new version, what a vendor or an engineer may not open, the agenda and the
conflicts. Each journey asserts what the page says and what the database holds."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from core.audit import Actor
from governance import services
from governance.choices import MappingStatus, ReviewStatus, VersionStatus
from governance.models import Committee, FieldDefinition, Vote
from governance.workflow import cast_vote, reviews_of
from tests.web.conftest import assert_accessible, journey

pytestmark = journey(__name__)


def person(username: str):
    return get_user_model().objects.get(username=username)


def proposed(key: str, submit: bool = True, **content) -> FieldDefinition:
    """A definition stella wrote (and submitted) through the services, as the demo's are."""
    stella = person("stella")
    data = {
        "key": key,
        "domain": "order",
        "name": key.replace("_", " ").capitalize(),
        "description": f"The {key.replace('_', ' ')} of an order.",
        "data_type": "integer",
        "grain": "order",
        "steward": stella,
        "owner": person("chair"),
        **content,
    }
    definition = services.create_definition(Actor(stella), data)
    if submit:
        services.definition_transition(Actor(stella), definition, "submit")
    return FieldDefinition.objects.get(pk=definition.pk)


def open_review_of(definition: FieldDefinition):
    version = FieldDefinition.objects.get(pk=definition.pk).pending_version
    return reviews_of(version).get(status=ReviewStatus.OPEN)


def approved(key: str) -> FieldDefinition:
    definition = proposed(key)
    review = open_review_of(definition)
    for username in ("chair", "member"):
        cast_vote(Actor(person(username)), review, "approve")
    return FieldDefinition.objects.get(pk=definition.pk)


def test_a_steward_proposes_a_definition_with_two_mappings_and_submits_them_together(open_page):
    page = open_page("stella")
    page.goto("/definitions/")
    page.get_by_role("link", name="New definition").click()
    page.get_by_label("Key").fill("member_card_number")
    page.get_by_label("Name (English)").fill("Member card number")
    page.get_by_label("Name (Traditional Chinese)").fill("會員卡號")
    page.get_by_label(re.compile(r"^Description \(English\)")).fill(
        "The loyalty card number scanned at the till or given at checkout."
    )
    page.get_by_label("Data type").fill("varchar(20)")
    page.get_by_label("Grain", exact=True).select_option("customer")
    page.get_by_label("Synonyms").fill("member id, 會員編號")
    boxes = page.get_by_label("Field", exact=True)
    # Field search as you type: the box offers the fields stella may read.
    boxes.nth(0).press_sequentially("member_i", delay=20)
    options = page.locator("#field-options option")
    options.first.wait_for(state="attached")
    offered = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert "pos:sales.transactions.member_id" in offered
    boxes.nth(0).fill("pos:sales.transactions.member_id")
    boxes.nth(1).fill("orders:shop.orders.member_id")
    page.get_by_label("Conversion note").nth(1).fill("Online orders store the same card number.")
    page.get_by_label("What this version changes, and why").fill("First definition.")
    page.get_by_role("button", name="Submit for review").click()

    page.wait_for_url("**/definitions/member_card_number/")
    assert page.get_by_role("status").get_by_text("Submitted for review with its mappings.")
    assert page.get_by_role("heading", name=re.compile("Member card number")).is_visible()
    definition = FieldDefinition.objects.get(key="member_card_number")
    version = definition.latest_version
    assert version.status == VersionStatus.IN_REVIEW
    assert version.name_zh == "會員卡號"
    assert version.synonyms == ["member id", "會員編號"]
    mappings = {m.field.ref: m for m in definition.mappings.select_related("field__dataset")}
    assert set(mappings) == {"pos:sales.transactions.member_id", "orders:shop.orders.member_id"}
    assert {m.status for m in mappings.values()} == {MappingStatus.IN_REVIEW}
    assert mappings["orders:shop.orders.member_id"].conversion_note.startswith("Online orders")
    table = page.get_by_role("region", name="Physical fields mapped to it")
    assert "orders:shop.orders.member_id" in table.inner_text()
    assert_accessible(page)


def test_a_bad_proposal_is_shown_again_with_the_reason_next_to_the_field(open_page):
    page = open_page("stella")
    page.goto("/definitions/new/")
    page.get_by_label("Key").fill("Not A Key")
    page.get_by_label("Name (English)").fill("Whatever")
    page.get_by_label(re.compile(r"^Description \(English\)")).fill("Something.")
    page.get_by_label("Field", exact=True).nth(0).fill("pos:sales.no_such_table.x")
    page.get_by_role("button", name="Save draft").click()
    box = page.get_by_label("Field", exact=True).nth(0)
    assert box.get_attribute("aria-invalid") == "true"
    assert page.get_by_text("No field pos:sales.no_such_table.x that you may read.").is_visible()
    assert_accessible(page)

    # The key's rule is the model's own clean(), its refusal shown next to the key.
    box.fill("pos:sales.transactions.store_id")
    page.get_by_role("button", name="Save draft").click()
    key = page.get_by_label("Key")
    assert key.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{key.get_attribute('id')}-error").inner_text()
    assert "lower-case" in error.lower() or "letters" in error.lower(), error
    assert not FieldDefinition.objects.filter(versions__name="Whatever").exists()


def test_two_committee_members_approve_and_the_definition_comes_into_force(open_page):
    definition = proposed("basket_line_count")
    review = open_review_of(definition)

    chair = open_page("chair")
    chair.goto("/reviews/")
    row = chair.locator(f"#review-{review.pk}")
    row.get_by_role("button", name="Approve").click()
    # Decided from the queue: the row is replaced by its new state, the page stays.
    row.get_by_text("Your vote is recorded. The review stays open.").wait_for()
    assert chair.url.endswith("/reviews/")
    assert row.get_by_role("button", name="Approve").count() == 0
    assert Vote.objects.filter(review=review, voter__username="chair", choice="approve").exists()
    assert FieldDefinition.objects.get(pk=definition.pk).effective_version is None

    member = open_page("member")
    member.goto(f"/reviews/{review.pk}/")
    assert "1 of 2 approvals" in member.get_by_role("region", name="The decision").inner_text()
    member.get_by_label("Comment").fill("Counts lines, not units: clear.")
    member.get_by_role("button", name="Approve").click()
    member.get_by_text("The review is decided: Approved.").wait_for()
    assert_accessible(member)

    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    effective = FieldDefinition.objects.get(pk=definition.pk).effective_version
    assert effective is not None and effective.number == 1
    member.goto(f"/definitions/{definition.key}/")
    assert member.get_by_role("heading", name="In force: version 1").is_visible()


def test_the_author_sees_no_vote_buttons_and_why(open_page):
    definition = proposed("basket_item_weight")
    review = open_review_of(definition)
    page = open_page("stella")
    page.goto(f"/reviews/{review.pk}/")
    decision = page.get_by_role("region", name="The decision")
    assert decision.get_by_role("button").count() == 0
    assert "the author of a proposal cannot vote on it" in decision.inner_text()
    page.goto("/reviews/?show=open")
    row = page.locator(f"#review-{review.pk}")
    assert row.get_by_role("button", name="Approve").count() == 0
    assert "the author of a proposal cannot vote on it" in row.inner_text()
    assert not Vote.objects.filter(review=review).exists()


def test_a_rejected_new_version_leaves_the_version_in_force_displayed(open_page):
    definition = approved("basket_discount_rate")
    stella = Actor(person("stella"))
    services.update_definition(
        stella, definition, {"description": "Wider.", "change_note": "include shipping"}
    )
    services.definition_transition(stella, definition, "submit")
    review = open_review_of(definition)

    for username in ("chair", "member"):
        page = open_page(username)
        page.goto(f"/reviews/{review.pk}/")
        page.get_by_label("Comment").fill("Shipping is not a discount.")
        page.get_by_role("button", name="Reject").click()
        page.get_by_text("Your vote is recorded.").wait_for()

    review.refresh_from_db()
    assert review.status == ReviewStatus.REJECTED
    definition = FieldDefinition.objects.get(pk=definition.pk)
    assert definition.effective_version.number == 1
    assert definition.latest_version.status == VersionStatus.REJECTED
    page.goto(f"/definitions/{definition.key}/")
    assert page.get_by_role("heading", name="In force: version 1").is_visible()
    meaning = page.get_by_role("region", name="In force: version 1")
    assert f"The {definition.key.replace('_', ' ')} of an order." in meaning.inner_text()
    versions = page.get_by_role("region", name="Versions").inner_text()
    assert re.search(r"v2\s+Rejected", versions), versions


def test_a_reject_without_a_comment_is_refused_and_counts_nothing(open_page):
    definition = proposed("basket_tax_rate")
    review = open_review_of(definition)
    page = open_page("chair")
    page.goto(f"/reviews/{review.pk}/")
    page.get_by_role("button", name="Reject").click()
    alert = page.locator("#messages .is-danger")
    alert.wait_for()
    assert "comment" in alert.inner_text().lower()
    assert not Vote.objects.filter(review=review).exists()


@pytest.mark.parametrize("username", ["victor", "eric"])
def test_a_vendor_or_an_engineer_opening_a_review_of_a_draft_it_may_not_read_gets_404(
    open_page, username
):
    definition = proposed(f"basket_margin_for_{username}")
    review = open_review_of(definition)
    page = open_page(username)
    page.watch.expect(f"/reviews/{review.pk}/")
    page.watch.expect(f"/definitions/{definition.key}/")
    response = page.goto(f"/reviews/{review.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert definition.key not in page.content()
    response = page.goto(f"/definitions/{definition.key}/")
    assert response.status == 404


def test_the_agenda_renders_prints_and_comes_as_markdown(open_page):
    committee = Committee.objects.get()
    page = open_page("chair")
    page.goto(f"/committees/{committee.pk}/agenda/")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == f"Agenda: {committee.name}"
    awaiting = page.get_by_role("region", name=re.compile("awaiting decision"))
    assert "order_amount_net" in awaiting.inner_text() or "Order amount, net" in (
        awaiting.inner_text()
    )
    assert page.get_by_role("button", name="Print").is_visible()
    assert_accessible(page)

    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main navigation").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.pdf()[:4] == b"%PDF"
    page.emulate_media(media="screen")

    markdown = page.request.get(page.get_by_role("link", name="As Markdown").get_attribute("href"))
    assert markdown.ok
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text().startswith(f"# Agenda: {committee.name}")


def test_the_conflicts_page_shows_the_amounts_side_by_side(open_page):
    page = open_page("chair")
    page.goto("/conflicts/")
    # Gross and net amounts share the word "amount": side by side, their differences marked.
    amounts = page.get_by_role("region", name=re.compile("order_amount_gross and order_amount_net"))
    table = amounts.get_by_role("table").inner_text()
    assert re.search(r"Tax treatment\s+differs\s+Tax included\s+Tax excluded", table), table
    # The points ledger's amount includes tax, mapped to the net amount without a conversion.
    ledger = page.get_by_role("region", name=re.compile("Fields mapped to order_amount_net"))
    assert "membership:loyalty.point_ledger.amount says Tax included" in ledger.inner_text()
    assert ledger.get_by_text("How to resolve it").is_visible()
    assert_accessible(page)


def test_a_member_decides_several_reviews_from_the_queue_in_a_row(open_page):
    reviews = [open_review_of(proposed(key)) for key in ("basket_size", "basket_value_band")]
    page = open_page("member")
    page.goto("/reviews/")
    for review in reviews:
        row = page.locator(f"#review-{review.pk}")
        row.get_by_role("button", name="Approve").click()
        row.get_by_text("Your vote is recorded.").wait_for()
    assert page.url.endswith("/reviews/")
    for review in reviews:
        assert Vote.objects.filter(review=review, voter__username="member").exists()


def test_the_owner_of_a_definition_due_for_recertification_confirms_it(open_page):
    definition = FieldDefinition.objects.get(key="customer_phone")
    assert definition.effective_version.status == VersionStatus.NEEDS_REVIEW
    page = open_page("stella")
    page.goto("/")
    page.get_by_role("region", name="Recertifications due").get_by_role(
        "link", name="Customer mobile phone"
    ).click()
    page.wait_for_url("**/definitions/customer_phone/recertify/")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm it is still right").click()
    page.wait_for_url("**/definitions/customer_phone/")
    assert page.get_by_text("Recertified: the definition is confirmed as it is.").is_visible()
    definition = FieldDefinition.objects.get(pk=definition.pk)
    assert definition.effective_version.status == VersionStatus.APPROVED
    assert definition.last_certified_by.username == "stella"

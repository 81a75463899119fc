"""The workspace as a whole, used as its people use it: the nav and the pages fit a desktop
window and a phone with every app's entries, and an engineer answers the two questions the
catalog is for from the pages alone, starting at the search box on the home page."""

from __future__ import annotations

import pytest

from tests.web.conftest import journey

pytestmark = journey(__name__)

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize(
    ("lang", "width"), [("en", 1280), ("zh-hant", 1280), ("en", 390), ("zh-hant", 390)]
)
def test_the_pages_fit_the_window_with_every_nav_entry(open_page, lang, width):
    page = open_page("chair", lang=lang)
    page.set_viewport_size({"width": width, "height": 800})
    pages = (
        "/", "/catalog/", "/catalog/datasets/pos:sales.transactions/",
        "/catalog/fields/cdp:cdp.customer_profile.lifetime_value/", "/reviews/", "/vendors/",
        "/consult/policies/", "/definitions/order_amount_net/",
    )  # fmt: skip
    for url in pages:
        page.goto(url)
        assert page.evaluate(OVERFLOW) <= 0, f"{url} is wider than a {width}px window"
    page.goto("/")
    nav = page.locator("nav.navbar")
    right = page.evaluate("() => document.documentElement.clientWidth")
    box = nav.get_by_role("button", name="Log out" if lang == "en" else "登出").bounding_box()
    assert box["x"] + box["width"] <= right
    # On a phone the nav leaves room for the page: its entries wrap side by side.
    assert nav.bounding_box()["height"] <= (300 if width < 1024 else 120)


def search_from_home(page, words: str) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill(words)
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url("**/search/?q=*")


def test_an_engineer_finds_where_a_field_comes_from(open_page):
    page = open_page("eric", lang="zh-hant")
    search_from_home(page, "lifetime_value")
    page.get_by_role("link", name="cdp:cdp.customer_profile.lifetime_value").click()
    page.wait_for_url("**/catalog/fields/cdp:cdp.customer_profile.lifetime_value/")
    lineage = page.get_by_role("region", name="直接血緣")
    assert lineage.get_by_role("link", name="dw:dw.sales_fact.net_amount").is_visible()
    decisions = page.get_by_role("region", name="各用途的查詢決策").inner_text()
    assert "此欄位沒有核准的定義" in decisions
    page.get_by_role("link", name="探索其血緣").first.click()
    page.wait_for_url("**/lineage/?field=*")
    listing = page.locator("main").inner_text()
    assert "dw:dw.sales_fact.net_amount" in listing


def test_an_engineer_finds_what_breaks_if_the_pos_amount_changes(open_page):
    page = open_page("eric")
    search_from_home(page, "amount")
    page.get_by_role("link", name="pos:sales.transactions.amount", exact=True).click()
    page.wait_for_url("**/catalog/fields/pos:sales.transactions.amount/")
    goes_to = page.get_by_role("region", name="Direct lineage")
    assert goes_to.get_by_role("link", name="dw:staging.pos_transactions.gross_amount").is_visible()
    page.get_by_role("link", name="Explore its lineage").first.click()
    page.wait_for_url("**/lineage/?field=*")
    for _ in range(3):
        page.get_by_role("link", name="One more hop downstream").click()
    listing = page.locator("main").inner_text()
    assert "dw:dw.sales_fact.net_amount" in listing

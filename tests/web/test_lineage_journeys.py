"""The engineers' lineage pages in Chromium on the retail demo: where a CDP column comes from,
what breaks when a POS column changes (picture, list, CSV equal to the API's answer), the
picture's cap around a field with 20,000 columns downstream, the pre-change check of the
README's breaking example, and what a vendor is shown and counted."""

from __future__ import annotations

import csv
import io
import re
import time
import warnings

from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError

from lineage import queries
from lineage.models import EtlJob
from tests.web.conftest import assert_accessible, journey
from tests.web.test_pages_in_both_languages import TEXTS_JS, untranslated

pytestmark = journey(__name__)

LIFETIME_VALUE = "cdp:cdp.customer_profile.lifetime_value"
POS_AMOUNT = "pos:sales.transactions.amount"
README_BREAKING_SQL = (
    "INSERT INTO dw.sales_fact (customer_key, channel, sale_date) "
    "SELECT 1, 'pos', txn_date FROM staging.pos_transactions"
)


def person(username: str):
    return get_user_model().objects.get(username=username)


def api_rows(username: str, ref: str, direction: str, depth: int) -> set[tuple]:
    """What GET /api/v1/lineage/graph/ answers (its service, lineage.queries.walk)."""
    user = person(username)
    body = queries.walk(user, queries.find_field(user, ref), direction=direction, depth=depth)
    return {
        (direction, r["ref"], str(r["depth"]), " > ".join(r["path"]), " ".join(r["jobs"]))
        for r in body[direction]["results"]
    }


def drawn(page) -> list[str]:
    return page.evaluate("() => window.lineageExplorer.cy.nodes().map(n => n.data('label'))")


def test_an_engineer_finds_where_the_lifetime_value_comes_from(open_page):
    page = open_page("eric")
    page.goto("/")
    page.get_by_role("link", name="Lineage", exact=True).click()
    page.get_by_label("Reference").fill(LIFETIME_VALUE)
    page.get_by_role("button", name="Explore").click()
    page.get_by_role("heading", name=f"Lineage of {LIFETIME_VALUE}").wait_for()
    for _ in range(2):
        page.get_by_role("link", name="One more hop upstream").click()
        page.wait_for_load_state()
    assert "up=3" in page.url
    listing = page.locator("#lineage-list")
    # The till's amount and the loyalty ledger's both flow into it, three hops up.
    assert "pos:sales.transactions.amount" in listing.inner_text()
    assert "membership:loyalty.point_ledger.amount" in listing.inner_text()
    assert "dw_sales_fact" in listing.inner_text()
    # The picture: datasets folded, the asked-about column's unfolded.
    page.wait_for_function(
        "() => window.lineageExplorer && window.lineageExplorer.cy.nodes().length > 3"
    )
    labels = drawn(page)
    assert "lifetime_value" in labels
    assert any(label.startswith("dw:dw.sales_fact\n") for label in labels)
    assert_accessible(page)


def test_what_breaks_if_pos_amount_changes_picture_list_and_csv(open_page):
    # Chromium's renderer has crashed ("Target crashed") in this journey in about one CI run in
    # three since 2026-12-06, at different steps, with the GPU path on or off; not understood yet.
    # A crash of the browser (never a failed assertion) gets one more try in a new page.
    # What the crashed page's watch saw (its requests cut off) goes with it; the crash is said.
    for attempt in (1, 2):
        page = open_page("eric")
        seen = len(page.watch.problems)
        try:
            return _pos_amount_journey(page)
        except PlaywrightError as exc:
            if "Target crashed" not in str(exc) or attempt == 2:
                raise
            del page.watch.problems[seen:]
            page.context.close()
            warnings.warn(f"Chromium's renderer crashed, journey tried again: {exc}", stacklevel=1)


def _pos_amount_journey(page):
    page.goto(f"/lineage/?field={POS_AMOUNT}&up=0")
    page.get_by_role("link", name="One more hop downstream").click()
    page.wait_for_load_state()
    assert "down=2" in page.url
    page.wait_for_function("() => window.lineageExplorer.cy.nodes().length > 2")
    before = len(drawn(page))
    # Unfold a dataset, then one more hop from one of its columns, in the picture.
    page.evaluate(
        "() => window.lineageExplorer.cy.nodes().filter(n => n.data('label')"
        ".startsWith('dw:dw.sales_fact')).emit('tap')"
    )
    page.get_by_role("button", name="Fold its columns").wait_for()
    page.evaluate(
        "() => window.lineageExplorer.cy.nodes().filter(n => n.data('label') === 'net_amount'"
        " && n.parent().data('label') === 'dw:dw.sales_fact').emit('tap')"
    )
    with page.expect_response(re.compile(r"/lineage/picture/")):
        page.get_by_role("button", name="Expand one hop downstream").click()
    page.wait_for_function(
        "() => window.lineageExplorer.cy.nodes().some(n => n.data('label')"
        ".startsWith('cdp:cdp.customer_profile'))"
    )
    assert len(drawn(page)) > before
    # An edge names its ETL job, one click away.
    page.evaluate(
        "() => window.lineageExplorer.cy.edges().filter(e => e.data('jobs')).first().emit('tap')"
    )
    job_link = page.locator("#lineage-panel a[href^='/lineage/jobs/']").first
    assert job_link.get_attribute("href").startswith("/lineage/jobs/")
    # The path between two columns.
    page.get_by_label("From column").fill(POS_AMOUNT)
    page.get_by_label("To column").fill(LIFETIME_VALUE)
    page.get_by_role("button", name="Highlight the path").click()
    page.get_by_text("Paths found: 1").wait_for()
    assert page.evaluate("() => window.lineageExplorer.cy.$('.path').length") >= 4
    # Switch to the list and download it.
    page.get_by_role("link", name="List", exact=True).click()
    listing = page.locator("#lineage-list")
    assert "dw:dw.sales_fact.net_amount" in listing.inner_text()
    link = listing.get_by_role("link", name="Download CSV")
    assert link.get_attribute("download") is not None
    # Fetched with the page's session (a real download in headless Chromium is slow to settle).
    download = page.request.get(link.get_attribute("href"))
    assert download.headers["content-disposition"].startswith("attachment;")
    text = download.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    got = {(r["direction"], r["ref"], r["depth"], r["path"], r["jobs"]) for r in rows}
    assert got == api_rows("eric", POS_AMOUNT, "downstream", 2)
    assert {"owners", "definitions", "consumers_last_30_days", "vendor_contracts"} <= set(rows[0])
    assert_accessible(page)


def test_the_picture_stays_responsive_around_20000_columns(open_page, django_db_blocker):
    with django_db_blocker.unblock():
        root = _wide_graph(datasets=200, columns=100)
    page = open_page("eric")
    started = time.monotonic()
    page.goto(f"/lineage/?field={root}&up=0&down=1")
    page.wait_for_function(
        "() => window.lineageExplorer && window.lineageExplorer.cy.nodes().length > 1"
    )
    elapsed = time.monotonic() - started
    cap = page.locator(".lineage-cap")
    assert re.search(r"\+[\d,]+ more", cap.inner_text())
    nodes = page.evaluate("() => window.lineageExplorer.cy.nodes().length")
    assert nodes < 400, nodes  # capped: never thousands of nodes in the browser
    # The list is capped too, and says so; the CSV has every row.
    assert "Showing the nearest 500" in page.locator("#lineage-list").inner_text()
    assert page.locator("#lineage-list tbody tr").count() == 500
    # Still responsive: the page answers a click at once.
    clicked = time.monotonic()
    page.get_by_role("checkbox", name="Show INDIRECT").uncheck()
    assert time.monotonic() - clicked < 5
    assert elapsed < 60, f"the page took {elapsed:.1f}s"


def test_the_pre_change_check_of_the_readmes_breaking_example(open_page):
    page = open_page("eric")
    page.goto("/lineage/check/?job=dw_sales_fact")
    assert "INSERT" in page.get_by_label("New SQL").input_value()
    page.get_by_label("New SQL").fill(README_BREAKING_SQL)
    page.get_by_role("button", name="Check the change").click()
    page.wait_for_load_state()
    verdict = page.locator(".verdict")
    assert "Breaking" in verdict.inner_text()
    lost = page.locator("#lost-columns")
    report = queries.check_change(
        EtlJob.objects.get(key="dw_sales_fact"), README_BREAKING_SQL, person("eric")
    )
    assert report["breaking"]
    for ref in report["lineage_lost"]:
        row = lost.get_by_role("row").filter(has_text=ref)
        assert "Data Platform" in row.inner_text()
    assert "exits with status 1" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_pages_in_traditional_chinese(open_page):
    page = open_page("eric", lang="zh-hant")
    page.goto(f"/lineage/?field={POS_AMOUNT}&down=2")
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert "血緣" in page.locator("h1").inner_text()
    assert_accessible(page)
    assert not untranslated(page.evaluate(TEXTS_JS))
    page.goto("/lineage/check/?job=dw_sales_fact")
    assert "變更前檢查" in page.locator("h1").inner_text()
    page.locator("#id_sql").fill(README_BREAKING_SQL)
    page.locator("form.box button[type=submit]").click()
    page.wait_for_load_state()
    assert "會造成中斷" in page.locator(".verdict").inner_text()
    assert_accessible(page)
    assert not untranslated(page.evaluate(TEXTS_JS))


def test_a_vendor_sees_only_what_its_contracts_allow_with_hidden_nodes_counted(open_page):
    page = open_page("victor")
    page.goto(f"/lineage/?field={POS_AMOUNT}&down=3")
    summary = page.locator(".lineage-summary").inner_text()
    user = person("victor")
    walk = queries.walk(user, queries.find_field(user, POS_AMOUNT), depth=3)
    hidden = walk["downstream"]["hidden"]["nodes"]
    assert hidden > 0
    assert f"{hidden} hidden nodes" in summary
    text = page.locator("main").inner_text()
    assert "dw:dw.sales_fact" not in text and "dw_sales_fact" not in text
    page.wait_for_function("() => window.lineageExplorer.cy.nodes().length > 0")
    assert not [label for label in drawn(page) if label.startswith("dw:")]
    # A field outside its contracts is a 404.
    page.watch.expect("/lineage/?field=cdp")
    response = page.goto(f"/lineage/?field={LIFETIME_VALUE}")
    assert response.status == 404


def _wide_graph(datasets: int, columns: int) -> str:
    """One field feeding datasets × columns columns directly, stored in bulk; its reference."""
    from catalog.models import Dataset, Field, SourceSystem
    from lineage.models import EtlJob, EtlJobVersion, LineageEdge

    system = SourceSystem.objects.create(key="wide", name="Wide", kind="warehouse")
    source = Dataset.objects.create(system=system, name="src.one")
    root = Field.objects.create(dataset=source, name="root", ordinal=1)
    made = Dataset.objects.bulk_create(
        Dataset(system=system, name=f"fan.t{d:03}") for d in range(datasets)
    )
    Field.objects.bulk_create(
        Field(dataset=dataset, name=f"c{c:03}", ordinal=c + 1)
        for dataset in made
        for c in range(columns)
    )
    job = EtlJob.objects.create(key="wide_fan_out", name="Wide fan-out", system=system)
    version = EtlJobVersion.objects.create(
        job=job, number=1, origin="sql", status="ok", submitted_by_name="tests"
    )
    targets = Field.objects.filter(dataset__in=made).values_list("pk", flat=True)
    LineageEdge.objects.bulk_create(
        (
            LineageEdge(
                source_id=root.pk,
                target_id=pk,
                type="DIRECT" if pk % 2 else "INDIRECT",
                job=job,
                job_version=version,
            )
            for pk in targets.iterator()
        ),
        batch_size=2000,
    )
    return root.ref

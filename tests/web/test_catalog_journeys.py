"""An engineer's way through the catalog in Chromium on the retail demo: from the catalog to a
system, a dataset and a field (its definition, its classifications and how they got there,
the consult answer per purpose), then to the job that feeds it, whose failing version shows its
error at its line and column, and two versions compared. A vendor opens the dataset its contract
carries and gets a 404 for one outside it. Each page is checked with axe-core."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from core.audit import Actor
from lineage.models import EtlJob
from lineage.services import submit_sql
from tests.web.conftest import assert_accessible, journey

pytestmark = journey(__name__)

SHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
DEMO_SQL = Path(__file__).resolve().parent.parent.parent / "demo" / "sql"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"catalog-{name}.png"), full_page=True)


def job_with_three_versions() -> tuple[EtlJob, dict]:
    """dw_customer_dim with version 2 dropping birth_date and version 3 failing to parse."""
    job = EtlJob.objects.get(key="dw_customer_dim")
    if job.versions.count() == 1:
        eric = Actor(get_user_model().objects.get(username="eric"))
        sql = (DEMO_SQL / "dw_customer_dim.sql").read_text()
        narrower = sql.replace("       c.birth_date,\n", "")
        assert narrower != sql
        submit_sql(eric, job, narrower)
        broken = narrower.replace("mb.crm_contact_id = c.contact_id;", "mb.crm_contact_id = ;")
        submit_sql(eric, job, broken)
    failed = job.versions.get(number=3)
    assert failed.status == "failed"
    return job, failed.errors[0]


def test_an_engineer_reads_a_system_a_dataset_a_field_and_a_job(open_page):
    job, error = job_with_three_versions()
    page = open_page("eric")
    page.goto("/")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Catalog", exact=True
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Catalog"
    assert_accessible(page)

    page.get_by_role("link", name="Customer relations").click()
    page.wait_for_url("**/catalog/systems/crm/")
    assert page.get_by_role("heading", name="Datasets").is_visible()
    assert page.get_by_text("crm-contacts-sync@1").is_visible()
    assert_accessible(page)
    shoot(page, "system")

    page.get_by_role("link", name="public.contacts").click()
    page.wait_for_url("**/catalog/datasets/crm:public.contacts/")
    table = page.get_by_role("table").first
    assert table.get_by_role("columnheader", name="Classifications").is_visible()
    email = table.get_by_role("row").filter(has=page.get_by_role("link", name="email", exact=True))
    assert "varchar(254)" in email.inner_text()
    assert "pii.direct" in email.inner_text()
    assert page.get_by_role("link", name="dw_customer_dim").first.is_visible()
    assert_accessible(page)
    shoot(page, "dataset")

    email.get_by_role("link", name="email", exact=True).click()
    page.wait_for_url("**/catalog/fields/crm:public.contacts.email/")
    definition = page.get_by_role("region", name="Definition")
    assert "customer_email" in definition.inner_text()
    labels = page.get_by_role("region", name="Classifications")
    assert "pii.direct" in labels.inner_text()
    assert "from its definition" in labels.inner_text()
    answers = page.get_by_role("region", name="Consult answer per purpose")
    profile = answers.get_by_role("row").filter(has_text="profile_unification")
    assert "Allowed with obligations" in profile.inner_text()
    assert "cdp-unification" in profile.inner_text()
    assert "Denied" in answers.get_by_role("row").filter(has_text="marketing_campaign").inner_text()
    explore = page.get_by_role("link", name="Explore its lineage").first
    assert explore.get_attribute("href") == "/lineage/?field=crm%3Apublic.contacts.email"
    assert_accessible(page)
    shoot(page, "field")

    # A field downstream carries the label by propagation, with its path.
    page.goto("/catalog/fields/dw:dw.customer_dim.email/")
    labels = page.get_by_role("region", name="Classifications")
    assert "propagated along lineage" in labels.inner_text()
    assert labels.get_by_role("link", name="crm:public.contacts.email").is_visible()

    page.get_by_role("link", name="dw_customer_dim").first.click()
    page.wait_for_url("**/lineage/jobs/dw_customer_dim/")
    assert "Failed to parse" in page.get_by_role("row").filter(has_text="Version 3").inner_text()
    marked = page.locator(f"#v3-L{error['line']} + .sql-error")
    assert f"Error at line {error['line']}, column {error['column']}:" in marked.inner_text()
    assert "needs a value on each side" in marked.inner_text()
    assert (
        "it produced no lineage"
        in page.get_by_role("region", name="Lineage of version 3").inner_text()
    )
    assert_accessible(page)
    shoot(page, "job-failed")

    page.get_by_label("Earlier version").select_option("1")
    page.get_by_label("Later version").select_option("2")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**a=1&b=2")
    compare = page.get_by_role("region", name="Compare the lineage of two versions")
    assert "0 column edges added, 3 removed" in compare.inner_text()
    removed = compare.get_by_role("table").filter(has_text="Column edges removed")
    assert "public.contacts.birth_date" in removed.inner_text()
    assert_accessible(page)
    shoot(page, "job-compared")

    page.get_by_role("link", name="Version 1", exact=True).click()
    assert "Parsed" in page.get_by_role("row").filter(has_text="Version 1").inner_text()
    assert page.get_by_role("region", name="Lineage of version 1").is_visible()


def test_the_pages_in_traditional_chinese(open_page):
    job_with_three_versions()
    page = open_page("eric", lang="zh-hant")
    page.goto("/catalog/fields/crm:public.contacts.email/")
    assert page.get_by_role("heading", name="分類").is_visible()
    assert "來自其定義" in page.get_by_role("region", name="分類").inner_text()
    shoot(page, "field-zh")
    page.goto("/lineage/jobs/dw_customer_dim/?a=1&b=2")
    assert "第 17 行" in page.locator(".sql-error").first.inner_text()
    shoot(page, "job-zh")


def test_a_vendor_opens_the_dataset_of_its_contract_and_not_found_outside_it(open_page):
    page = open_page("victor")
    page.goto("/catalog/datasets/pos:sales.transactions/")
    assert page.get_by_role("heading", level=1).inner_text() == "pos:sales.transactions"
    assert not page.get_by_role("columnheader", name="Classifications").count()
    assert_accessible(page)
    page.watch.expect("/catalog/datasets/crm:public.contacts/")
    page.watch.expect("/catalog/systems/pos/")
    assert page.goto("/catalog/datasets/crm:public.contacts/").status == 404
    assert page.goto("/catalog/systems/pos/").status == 404

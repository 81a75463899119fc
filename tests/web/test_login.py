"""Session login and logout at /accounts/login/ and /accounts/logout/, for every role of the
demo (not only staff): fields labelled Username and Password, a "Log in" button."""

from __future__ import annotations

import pytest

from tests.web.conftest import assert_accessible, journey, log_in

pytestmark = journey(__name__)

PEOPLE = [
    ("admin", "Administrator"),
    ("chair", "Committee member"),
    ("member", "Committee member"),
    ("stella", "Data steward"),
    ("eric", "Data engineer"),
    ("victor", "Vendor"),
    ("carla", "Vendor"),
    ("cdp-unification", "Consuming service"),
]


@pytest.mark.parametrize("username,role", PEOPLE)
def test_every_role_logs_in_sees_its_name_and_role_and_logs_out(open_page, site, username, role):
    page = open_page(None)
    log_in(page, site.url, username)
    assert page.url == f"{site.url}/"
    banner = page.get_by_role("navigation", name="Main navigation")
    assert username in banner.inner_text()
    assert role in banner.inner_text()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_a_wrong_password_is_refused_in_words_and_the_login_page_is_accessible(open_page, site):
    page = open_page(None)
    log_in(page, site.url, "chair", password="not-the-password")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page)


def test_a_page_asked_for_before_logging_in_opens_after_it(open_page, site):
    page = open_page(None)
    page.goto("/reviews/")
    assert "/accounts/login/?next=/reviews/" in page.url
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill("demo-chair")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/reviews/")
    assert page.get_by_role("heading", name="Reviews", level=1).is_visible()

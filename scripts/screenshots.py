"""Retake the README's screenshots of the web workspace (docs/screenshots/) from a running demo:

    make demo                      # in one shell
    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) as the demo's people, each
browser asking for the language the picture shows."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LOCALES = {"zh-Hant": "zh-TW", "en": "en-GB"}

# (file name, who, language, address; "{review}" is the first open review of the queue)
SHOTS = [
    ("home.zh-Hant.png", "chair", "zh-Hant", "/"),
    ("review.zh-Hant.png", "chair", "zh-Hant", "{review}"),
    ("proposal.en.png", "stella", "en", "/definitions/new/"),
    ("conflicts.en.png", "chair", "en", "/conflicts/"),
]


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for name, username, language, address in SHOTS:
            context = browser.new_context(
                base_url=base, locale=LOCALES[language], viewport={"width": 1200, "height": 760}
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.locator("#id_username").fill(username)
            page.locator("#id_password").fill(f"demo-{username}")
            page.locator("form button[type=submit].is-link").click()
            page.wait_for_load_state()
            if address == "{review}":
                page.goto("/reviews/?show=open")
                address = page.locator(".review-row h2 a").first.get_attribute("href")
            page.goto(address)
            page.screenshot(path=str(OUT / name))
            context.close()
            print(OUT / name)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")

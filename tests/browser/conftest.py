"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium), headless."""

import os
from pathlib import Path

import pytest

from tests.conftest import missing_service
from tests.factories import PASSWORD

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        missing_service(f"browser tests need Debian's chromium at {CHROMIUM} "
                        "(apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (arranging data) are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                   base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, user) -> None:
    """Log in through the real login form, as the person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/")


def browser_as(chromium, live_server, user, *, viewport=PHONE, language=None, **options):
    """A browser context already logged in as ``user`` (a session made by Django's test
    client, for tests whose subject is not the login form), phone-sized unless ``viewport``
    says otherwise, in ``language`` when given. Returns (context, page); close the context."""
    from django.test import Client

    phone = viewport == PHONE
    context = chromium.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                   base_url=live_server.url, **options)
    client = Client()
    client.force_login(user)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    cookies = [{"name": "sessionid", "value": client.cookies["sessionid"].value,
                "domain": host, "path": "/"}]
    if language:
        cookies.append({"name": "django_language", "value": language, "domain": host,
                        "path": "/"})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def fits(page) -> bool:
    """No wider than the phone's screen (measured once the page in view has loaded: a click
    that navigates may still be on its way)."""
    from playwright.sync_api import Error

    width = "document.documentElement.scrollWidth"
    page.wait_for_load_state()
    try:
        return page.evaluate(width) <= PHONE["width"]
    except Error:  # the document went away under us: measure the one that replaced it
        page.wait_for_load_state()
        return page.evaluate(width) <= PHONE["width"]

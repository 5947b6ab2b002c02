"""Hardening a visitor can observe: the Content-Security-Policy on every page, no inline code
in templates, private pages kept out of caches, the language cookie, error pages with the
hotline, plain-text email subjects and sign-up / password reset that do not tell whether an
address has an account."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import SuspiciousOperation
from django.test import override_settings
from django.urls import path, reverse

from config.urls import urlpatterns as rally_urlpatterns
from tests.factories import PASSWORD, EventFactory, ShiftFactory, SignupFactory, UserFactory
from tests.factories import organizer as make_organizer
from volunteers.messaging import delivery
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


# --- Content-Security-Policy ------------------------------------------------------------


@pytest.fixture
def pages(client):
    event = EventFactory(title="Herndon & Blackstone")
    ShiftFactory(event=event)
    return event


ANONYMOUS_PAGES = ["home", "event_list", "account_login", "account_signup",
                   "account_reset_password", "calendar_public_feed"]
VOLUNTEER_PAGES = ["profile", "my_shifts", "calendar_settings"]


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_csp_on_anonymous_pages_allows_no_inline_or_eval(client, pages, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]


@pytest.mark.parametrize("name", VOLUNTEER_PAGES)
def test_csp_on_volunteer_pages_allows_no_inline_or_eval(client, pages, name):
    client.force_login(UserFactory())

    response = client.get(reverse(name))

    assert response.status_code == 200
    script = directives(response)["script-src"]
    assert "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script


def test_csp_on_event_page_and_error_pages(client, pages):
    assert "script-src 'self'" in client.get(
        reverse("event_detail", args=[pages.pk]))["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/no-such-page/")["Content-Security-Policy"]


def test_admin_works_under_the_csp(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    for url in ("/admin/", f"/admin/volunteers/user/{admin.pk}/change/"):
        response = client.get(url)
        page = response.content.decode()

        assert response.status_code == 200
        assert directives(response)["script-src"] == ["'self'"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page), url
        assert not re.search(r"<style\b", page), url


def test_event_page_loads_htmx_without_eval_and_our_script(client, pages):
    page = client.get(reverse("event_detail", args=[pages.pk])).content.decode()

    assert '"allowEval":false' in page
    assert '"includeIndicatorStyles":false' in page
    assert "/static/js/rally.js" in page
    assert "hx-on" not in page


INLINE = [
    ("inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("<style> element", re.compile(r"<style\b", re.IGNORECASE)),
    ("style= attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("on…= handler", re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)),
    ("hx-on attribute", re.compile(r"\shx-on", re.IGNORECASE)),
    ("javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]


def test_templates_hold_no_inline_code_or_styles():
    """The CSP forbids inline code and styles; emails are not web pages and are exempt."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        relative = template.relative_to(TEMPLATES)
        if relative.parts[0] == "emails" or "email" in relative.parts[:-1]:
            continue  # emails/…, and allauth's account/email/…
        text = template.read_text(encoding="utf-8")
        found += [f"{relative}: {what}" for what, pattern in INLINE if pattern.search(text)]

    assert found == []


def test_csp_img_src_takes_the_tile_server_and_extra_hosts_from_the_environment():
    result = manage_shell(
        "from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        MAP_TILE_URL="https://tiles.example.net/{z}/{x}/{y}.png",
        CSP_IMG_SRC_EXTRA="https://tile.example.org,https://maps.example.org",
    )

    assert result.stdout.strip().splitlines()[-1] == (
        "[\"'self'\", 'data:', 'https://tiles.example.net', 'https://tile.example.org', "
        "'https://maps.example.org']"
    )


# --- Cache-Control on private pages -----------------------------------------------------


def cache_control(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize("name", VOLUNTEER_PAGES)
def test_private_pages_are_private_and_not_stored(client, name):
    volunteer = UserFactory()
    SignupFactory(volunteer=volunteer)
    client.force_login(volunteer)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)


def test_roster_csv_is_private_and_not_stored(client):
    shift = ShiftFactory()
    SignupFactory(shift=shift)
    client.force_login(make_organizer())

    response = client.get(reverse("event_roster_csv", args=[shift.event.pk]))

    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)


def test_public_pages_stay_publicly_cacheable_for_anonymous_visitors(client, pages):
    response = client.get(reverse("event_list"))

    assert cache_control(response) == {"public", "max-age=60"}


def test_public_page_for_a_logged_in_volunteer_is_not_stored(client, pages):
    client.force_login(UserFactory())

    response = client.get(reverse("event_list"))

    assert {"private", "no-store"} <= cache_control(response)


def test_personal_feed_is_private_and_revalidated_with_etag(client):
    volunteer = UserFactory()
    url = reverse("calendar_personal_feed", kwargs={"token": volunteer.calendar_token})

    response = client.get(url)

    assert cache_control(response) == {"private", "no-cache"}
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert cache_control(again) == {"private", "no-cache"}


def test_login_page_with_a_csrf_form_is_not_stored(client):
    response = client.get(reverse("account_login"))

    assert {"private", "no-store"} <= cache_control(response)


# --- Language cookie --------------------------------------------------------------------


@override_settings(LANGUAGE_COOKIE_SECURE=True)
def test_language_cookie_is_secure_httponly_lax_with_production_settings(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/events/"})

    cookie = response.cookies["django_language"]
    assert response.status_code == 302
    assert cookie.value == "es"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_settings_make_the_language_cookie_secure():
    result = manage_shell(
        "from django.conf import settings; print(settings.LANGUAGE_COOKIE_SECURE, "
        "settings.LANGUAGE_COOKIE_HTTPONLY, settings.LANGUAGE_COOKIE_SAMESITE)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x7Hq0pV_3kLr9ZmN2bT8cW1yF6dS4gJ5aE0uR7iO9pK2lQ3wX8vB1nM6zC4",
    )

    assert result.stdout.strip().splitlines()[-1] == "True True Lax", result.stderr


def manage_shell(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE",
                          "DJANGO_ALLOW_ASYNC_UNSAFE", "CSP_IMG_SRC_EXTRA"}}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


# --- Error pages ------------------------------------------------------------------------


def test_unknown_address_is_404_with_the_hotline_and_a_way_home(client, settings):
    response = client.get("/nonexistent")

    page = response.content.decode()
    assert response.status_code == 404
    assert settings.HOTLINE["phone"] in page
    assert settings.COALITION["name"] in page
    assert 'href="/"' in page


def test_404_speaks_the_readers_language(client):
    client.cookies["django_language"] = "es"

    response = client.get("/nonexistent")

    assert response.status_code == 404
    assert '<html lang="es">' in response.content.decode()


def broken_view(request):
    raise RuntimeError("the database is on fire")


def suspicious_view(request):
    raise SuspiciousOperation("a forged request")


urlpatterns = [path("broken/", broken_view), path("suspicious/", suspicious_view),
               *rally_urlpatterns]
handler400 = "volunteers.views.errors.bad_request"
handler500 = "volunteers.views.errors.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_page_has_the_hotline_without_database_or_context(client, settings,
                                                                       django_assert_num_queries):
    client.raise_request_exception = False

    with django_assert_num_queries(0):
        response = client.get("/broken/")

    page = response.content.decode()
    assert response.status_code == 500
    assert settings.HOTLINE["phone"] in page
    assert settings.COALITION["name"] in page
    assert "Something went wrong" in page


@override_settings(ROOT_URLCONF=__name__)
def test_bad_request_page_has_the_hotline(client, settings):
    response = client.get("/suspicious/")

    assert response.status_code == 400
    assert settings.HOTLINE["phone"] in response.content.decode()


# --- Email subjects ---------------------------------------------------------------------


def test_email_subject_is_plain_text_not_html_escaped(django_capture_on_commit_callbacks):
    volunteer = UserFactory()
    shift = ShiftFactory(title="Herndon & Blackstone", event=EventFactory(title="Tom's <Drive>"))
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()

    assert len(mail.outbox) == 1
    assert "Herndon & Blackstone" in mail.outbox[0].subject
    assert "&amp;" not in mail.outbox[0].subject
    assert "Tom's <Drive>" in mail.outbox[0].body


# --- Account enumeration ----------------------------------------------------------------


def visible_answer(client, response) -> tuple:
    """What a visitor sees: the status, where it leads, and the text of the page it leads to."""
    location = response.get("Location", "")
    followed = client.get(location) if location else response
    text = re.sub(r"\s+", " ", re.sub(r"<input[^>]*csrfmiddlewaretoken[^>]*>", "",
                                      followed.content.decode()))
    return response.status_code, location, followed.status_code, text


def test_signup_answers_alike_for_known_and_unknown_addresses(client):
    UserFactory(email="known@example.org")

    def sign_up(email: str) -> tuple:
        response = client.post(reverse("account_signup"), {
            "display_name": "Rosa", "email": email,
            "password1": "bucket-drive-sunday-42", "password2": "bucket-drive-sunday-42",
        })
        answer = visible_answer(client, response)
        client.logout()
        return answer

    known = sign_up("known@example.org")
    unknown = sign_up("stranger@example.org")

    assert known[0] == 302
    assert known[:3] == unknown[:3]
    assert known[3].replace("known@example.org", "X") == unknown[3].replace(
        "stranger@example.org", "X")


def test_password_reset_answers_alike_for_known_and_unknown_addresses(client):
    UserFactory(email="known@example.org")

    def reset(email: str) -> tuple:
        response = client.post(reverse("account_reset_password"), {"email": email})
        return visible_answer(client, response)

    assert reset("known@example.org") == reset("stranger@example.org")
    assert reset("known@example.org")[0] == 302


def test_login_failure_says_the_same_for_known_and_unknown_addresses(client):
    UserFactory(email="known@example.org")

    def login(email: str) -> str:
        response = client.post(reverse("account_login"),
                               {"login": email, "password": PASSWORD + "-wrong"})
        return response.status_code, re.sub(r"\s+", " ", re.sub(
            r'value="[^"]*"', "", response.content.decode()))

    assert login("known@example.org") == login("stranger@example.org")

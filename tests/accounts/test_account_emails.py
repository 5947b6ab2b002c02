"""Account emails (django-allauth's) go through the outbox and a real SMTP server on loopback
(aiosmtpd): read back in English and Spanish, in the coalition's name with the hotline, with
links that work, and delivered later when the mail server was down at sign-up."""

import datetime
import re
import socket

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sites.models import Site
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import UserFactory, organizer
from volunteers.adapters import site_row_sync
from volunteers.messaging import delivery
from volunteers.messaging.account import account_email
from volunteers.messaging.kinds import RULES, Kind
from volunteers.models import Message, User

pytestmark = pytest.mark.django_db

COALITION = "Central Valley Justice Coalition"
HOTLINE = "1-888-373-7888"
NEW_PASSWORD = "a-brand-new-password-9"
SIGNUP = {
    "display_name": "Rosa Castillo",
    "email": "rosa@example.org",
    "password1": "bucket-drive-sunday-42",
    "password2": "bucket-drive-sunday-42",
}


@pytest.fixture
def smtp_settings(settings, smtp_inbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_inbox


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what a request queued after its commit, as in production: the outbox wakes the
    dispatcher, which publishes the send task (Celery eager here), which talks SMTP."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def body(email, subtype: str = "plain") -> str:
    return email.get_body(preferencelist=(subtype,)).get_content()


def site_path(text: str, path_start: str) -> str:
    """The path of the link in ``text`` that starts with ``path_start``, checking that the
    link is on SITE_URL (not on example.com, not on the test client's host)."""
    match = re.search(r"(https?://[^/\s\"]+)(" + re.escape(path_start) + r"[^\s\"<]*)", text)
    assert match, text
    assert match.group(1) == "http://127.0.0.1:8000"
    return match.group(2)


def spanish(msgid: str) -> str:
    with translation.override("es"):
        return translation.gettext(msgid)


def assert_branded(email, *, language: str) -> None:
    text, html = body(email), body(email, "html")
    assert email["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    for part in (text, html):
        assert COALITION in part
        assert HOTLINE in part
        assert "example.com" not in part
        assert "Rally" in part
    assert "example.com" not in email["Subject"]
    assert "&amp;" not in text


def test_signup_confirmation_is_branded_and_its_link_verifies_the_account(
    client, smtp_settings, delivered
):
    with delivered():
        response = client.post(reverse("account_signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    [email] = smtp_settings.wait_for(1)
    assert email["To"] == "rosa@example.org"
    assert email["Subject"] == f"Confirm your email address for {COALITION}"
    assert_branded(email, language="en")
    assert "Hello Rosa Castillo," in body(email)
    link = site_path(body(email), "/accounts/confirm-email/")
    assert site_path(body(email, "html"), "/accounts/confirm-email/") == link

    assert client.get(link).status_code == 200
    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="rosa@example.org").verified is True
    assert client.get(reverse("profile")).status_code == 200


def test_signup_in_spanish_gets_the_confirmation_in_spanish(client, smtp_settings, delivered):
    with delivered():
        client.post(reverse("account_signup"), SIGNUP, HTTP_ACCEPT_LANGUAGE="es")

    assert User.objects.get(email="rosa@example.org").language == "es"
    [email] = smtp_settings.wait_for(1)
    assert_branded(email, language="es")
    text = body(email)
    assert spanish("National Human Trafficking Hotline") in text
    assert "Línea Nacional contra la Trata de Personas" in text
    assert spanish("If you did not sign up, you can ignore this email.") in text
    link = site_path(text, "/accounts/confirm-email/")
    client.post(link)
    assert EmailAddress.objects.get(email="rosa@example.org").verified is True


def test_password_reset_link_sets_a_new_password_in_the_accounts_language(
    client, smtp_settings, delivered
):
    user = UserFactory(email="sam@example.org", language="es")

    with delivered():
        response = client.post(reverse("account_reset_password"), {"email": "sam@example.org"})

    assert response.status_code == 302
    [email] = smtp_settings.wait_for(1)
    assert email["To"] == "sam@example.org"
    assert_branded(email, language="es")
    link = site_path(body(email), "/accounts/password/reset/key/")
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_unknown_address_answers_alike_and_emails_in_request_language(
    client, smtp_settings, delivered
):
    with delivered():
        response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"},
                               HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.kind, message.recipient, message.to_address) == (
        Kind.UNKNOWN_ACCOUNT, None, "nobody@example.org")
    [email] = smtp_settings.wait_for(1)
    assert email["To"] == "nobody@example.org"
    assert_branded(email, language="es")
    assert site_path(body(email), "/accounts/signup/") == reverse("account_signup")


def test_signup_with_a_registered_address_emails_its_owner_in_their_language(
    client, smtp_settings, delivered
):
    UserFactory(email="rosa@example.org", language="es")

    with delivered():
        response = client.post(reverse("account_signup"), SIGNUP)

    assert response.status_code == 302
    assert User.objects.filter(email="rosa@example.org").count() == 1
    [email] = smtp_settings.wait_for(1)
    assert_branded(email, language="es")
    assert site_path(body(email), "/accounts/password/reset/") == reverse("account_reset_password")


def test_signup_with_mail_server_down_answers_and_the_email_goes_when_it_is_back(
    client, settings, smtp_settings, delivered
):
    settings.EMAIL_PORT = closed_port()

    with delivered():
        response = client.post(reverse("account_signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="rosa@example.org")
    assert user.display_name == "Rosa Castillo"
    assert EmailAddress.objects.get(user=user).verified is False
    message = Message.objects.get()
    assert (message.kind, message.status, message.attempts) == (
        Kind.EMAIL_CONFIRMATION_SIGNUP, Message.Status.PENDING, 1)
    assert "Connection refused" in message.last_error
    assert message.due_at > timezone.now()
    assert smtp_settings.messages == []

    settings.EMAIL_PORT = smtp_settings.port
    Message.objects.update(due_at=timezone.now() - datetime.timedelta(seconds=1))
    with delivered():
        assert delivery.messages_dispatch() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)
    [email] = smtp_settings.wait_for(1)
    link = site_path(body(email), "/accounts/confirm-email/")
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified is True


def test_outbox_row_holds_no_key_and_nothing_after_it_is_sent(client, smtp_settings, delivered):
    UserFactory(email="sam@example.org")
    with delivered():
        client.post(reverse("account_reset_password"), {"email": "sam@example.org"})

    [email] = smtp_settings.wait_for(1)
    key = site_path(body(email), "/accounts/password/reset/key/").split("/")[-2]
    message = Message.objects.get()
    assert message.status == Message.Status.SENT
    assert message.context == {}

    client.post(reverse("account_reset_password"), {"email": "sam@example.org"})
    waiting = Message.objects.get(status=Message.Status.PENDING)
    assert key not in str(waiting.context)
    assert set(waiting.context) == {"language"}


def test_confirmation_for_an_address_confirmed_meanwhile_is_skipped(client, smtp_settings):
    client.post(reverse("account_signup"), SIGNUP)  # on_commit not run: the row waits
    EmailAddress.objects.filter(email="rosa@example.org").update(verified=True)

    assert delivery.message_send(message_id=Message.objects.get().pk) == "skipped"
    assert smtp_settings.messages == []


def test_site_name_and_domain_come_from_settings(settings):
    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("127.0.0.1:8000", "Rally")

    settings.SITE_URL, settings.SITE_NAME = "https://rally.example.org", "Valley Rally"
    site_row_sync()

    assert Site.objects.get_current().domain == "rally.example.org"
    assert Site.objects.get_current().name == "Valley Rally"


def test_failed_account_email_without_an_account_is_listed_for_organizers(client):
    Message.objects.create(kind=Kind.UNKNOWN_ACCOUNT, to_address="nobody@example.org",
                           dedupe_key="unknown_account:test", status=Message.Status.FAILED,
                           last_error="550 No such user")
    client.force_login(organizer())

    response = client.get(reverse("message_list"))

    assert response.status_code == 200
    assert "nobody@example.org" in response.content.decode()


ACCOUNT_KINDS = [kind for kind, rule in RULES.items() if rule.account]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ACCOUNT_KINDS)
def test_every_account_kind_renders_branded_in_both_languages(kind, language):
    user = UserFactory(email="sam@example.org", display_name="Sam Patel", language=language,
                       verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    recipient = None if kind == Kind.UNKNOWN_ACCOUNT else user
    message = Message.objects.create(
        kind=kind, recipient=recipient, to_address="sam@example.org", dedupe_key=f"{kind}:t",
        context={"language": language, "code": "K7Q2", "ip": "192.0.2.7",
                 "timestamp": timezone.now().isoformat(), "from_email": "old@example.org",
                 "to_email": "sam@example.org", "deleted_email": "old@example.org"},
    )

    email = account_email(message, now=timezone.now())

    assert email.to == ["sam@example.org"]
    assert email.extra_headers["Content-Language"] == language
    assert email.subject and "\n" not in email.subject
    for part in [email.body] + [content for content, _type in email.alternatives]:
        assert COALITION in part
        assert HOTLINE in part
        assert "example.com" not in part
        assert "{{" not in part and "{%" not in part

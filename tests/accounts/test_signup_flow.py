import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from volunteers.models import User

pytestmark = pytest.mark.django_db

GOOD = {
    "display_name": "Rosa Castillo",
    "email": "rosa@example.org",
    "password1": "bucket-drive-sunday-42",
    "password2": "bucket-drive-sunday-42",
}


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what a request queued after its commit, as in production: the outbox wakes the
    dispatcher, which sends (Celery eager here) into Django's test mail outbox."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_verify_email_and_login_through_the_pages(client, delivered):
    with delivered():
        response = client.post(reverse("account_signup"), GOOD)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="rosa@example.org")
    assert user.display_name == "Rosa Castillo"
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rosa@example.org"]

    link = confirmation_link(mail.outbox[0])
    assert client.get(link).status_code == 200
    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.get(reverse("profile")).status_code == 200

    client.post(reverse("account_logout"))
    assert client.get(reverse("profile")).status_code == 302
    response = client.post(
        reverse("account_login"),
        {"login": "rosa@example.org", "password": "bucket-drive-sunday-42"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("profile")).context["user"] == user


def test_login_before_verifying_email_is_held_at_verification(client):
    UserFactory(email="new@example.org", verified=False)

    response = client.post(reverse("account_login"), {"login": "new@example.org",
                                                      "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("profile")).status_code == 302


def test_signup_with_used_address_answers_alike_and_emails_the_owner(client, delivered):
    UserFactory(email="rosa@example.org")

    with delivered():
        response = client.post(reverse("account_signup"), {**GOOD, "email": "ROSA@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="rosa@example.org").count() == 1
    assert [m.subject for m in mail.outbox] == [
        "You already have an account with Central Valley Justice Coalition"
    ]
    assert [a.lower() for a in mail.outbox[0].to] == ["rosa@example.org"]


def test_signup_with_weak_password_shows_error_at_password(client):
    response = client.post(
        reverse("account_signup"), {**GOOD, "password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="rosa@example.org").exists()


def test_signup_without_name_shows_error_at_name(client):
    response = client.post(reverse("account_signup"), {**GOOD, "display_name": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["display_name"]
    html = response.content.decode()
    assert 'id="id_display_name"' in html


def test_password_reset_sends_a_link_that_sets_a_new_password(client, delivered):
    user = UserFactory(email="sam@example.org")

    with delivered():
        response = client.post(reverse("account_reset_password"), {"email": "sam@example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)",
                     mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "a-brand-new-password-9",
                                      "password2": "a-brand-new-password-9"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-password-9")


def test_rate_limits_are_on_in_real_settings():
    from config.settings import base

    assert base.ACCOUNT_RATE_LIMITS["login_failed"]
    assert base.ACCOUNT_EMAIL_VERIFICATION == "mandatory"

"""The organizers' reminder before a permit's return is due: queued by the daily beat task
into the outbox once per permit, return date and organizer, sent as an email with the link to
the return, and not sent when the permit's date changed or the person is no longer an
organizer."""

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse

from donations.exports import permit_return_reminders_queue
from donations.tasks import remind_permit_returns
from tests.donations.exports_fixtures import days_from_today
from tests.factories import PermitFactory, SiteFactory, organizer, treasurer
from volunteers.messaging import delivery
from volunteers.models import Message, Role

pytestmark = pytest.mark.django_db

KIND = "permit_return_reminder"


@pytest.fixture
def organizers():
    return [organizer(), organizer()]


def reminders():
    return Message.objects.filter(kind=KIND).order_by("pk")


def test_reminder_goes_to_every_active_organizer_once_per_permit(organizers):
    retired = organizer()
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    treasurer()
    due_soon = PermitFactory(return_due=days_from_today(3))

    offered = permit_return_reminders_queue(today=days_from_today(0))

    assert offered == 2
    assert sorted(reminders().values_list("recipient_id", flat=True)) == sorted(
        person.pk for person in organizers)
    assert {tuple(sorted(row.context.items())) for row in reminders()} == {
        (("due", due_soon.return_due.isoformat()), ("permit", due_soon.pk))}
    assert {row.dedupe_key for row in reminders()} == {
        f"{KIND}:permit={due_soon.pk}:due={due_soon.return_due.isoformat()}:user={person.pk}"
        for person in organizers}


def test_reminder_is_not_queued_again_on_later_runs(organizers):
    PermitFactory(return_due=days_from_today(5))

    for day in range(6):
        permit_return_reminders_queue(today=days_from_today(day))
    permit_return_reminders_queue(today=days_from_today(5))

    assert reminders().count() == 2


def test_reminder_window_runs_from_the_setting_to_the_return_date(organizers, settings):
    settings.PERMIT_RETURN_REMINDER_DAYS = 7
    in_window = [PermitFactory(return_due=days_from_today(days)) for days in (0, 7)]
    PermitFactory(return_due=days_from_today(8))
    PermitFactory(return_due=days_from_today(-1))
    PermitFactory(return_due=None)

    permit_return_reminders_queue(today=days_from_today(0))

    assert {row.context["permit"] for row in reminders()} == {permit.pk for permit in in_window}


def test_reminder_window_follows_the_setting(organizers, settings):
    settings.PERMIT_RETURN_REMINDER_DAYS = 2
    PermitFactory(return_due=days_from_today(3))

    assert permit_return_reminders_queue(today=days_from_today(0)) == 0
    assert permit_return_reminders_queue(today=days_from_today(1)) == 2


def test_reminder_email_names_the_permit_and_links_the_return(organizers):
    site = SiteFactory(name="Herndon & Blackstone")
    permit = PermitFactory(sites=[site], reference="SP-0099", return_due=days_from_today(4))
    permit_return_reminders_queue(today=days_from_today(0))

    outcomes = [delivery.message_send(message_id=row.pk) for row in reminders()]

    assert outcomes == ["sent", "sent"]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in organizers)
    email = mail.outbox[0]
    due = permit.return_due
    assert email.subject == f"Permit return due {due:%A}, {due:%B} {due.day}, {due:%Y}: " \
                            "City of Fresno SP-0099"
    assert "The return for permit City of Fresno SP-0099 is due" in email.body
    assert "in 4 days." in email.body
    assert "Sites: Herndon & Blackstone" in email.body
    link = settings.SITE_URL + reverse("permit_return", args=[permit.pk])
    assert f"Permit return: {link}" in email.body
    html = email.alternatives[0][0]
    assert f'href="{link}"' in html
    assert "Herndon &amp; Blackstone" in html
    assert set(reminders().values_list("status", flat=True)) == {Message.Status.SENT}


def test_reminder_due_today_says_today(organizers):
    PermitFactory(reference="SP-0100", return_due=days_from_today(0))
    permit_return_reminders_queue(today=days_from_today(0))

    delivery.message_send(message_id=reminders().first().pk)

    assert "The return for permit City of Fresno SP-0100 is due today." in mail.outbox[0].body


def test_reminder_for_a_moved_return_date_is_skipped_and_the_new_date_reminded(organizers):
    permit = PermitFactory(return_due=days_from_today(3))
    permit_return_reminders_queue(today=days_from_today(0))
    permit.return_due = days_from_today(6)
    permit.save(update_fields=["return_due"])

    permit_return_reminders_queue(today=days_from_today(0))
    outcomes = [delivery.message_send(message_id=row.pk) for row in reminders()]

    assert outcomes == ["skipped", "skipped", "sent", "sent"]
    assert reminders().filter(status=Message.Status.SKIPPED).first().last_error == (
        "The permit's return date changed.")
    assert len(mail.outbox) == 2


def test_reminder_to_someone_no_longer_an_organizer_is_skipped(organizers):
    PermitFactory(return_due=days_from_today(2))
    permit_return_reminders_queue(today=days_from_today(0))
    organizers[0].role_grants.filter(role=Role.ORGANIZER).delete()

    mine = reminders().get(recipient=organizers[0])

    assert delivery.message_send(message_id=mine.pk) == "skipped"
    mine.refresh_from_db()
    assert mine.last_error == "The recipient is no longer an organizer."


def test_reminder_task_queues_the_reminders(organizers):
    PermitFactory(return_due=days_from_today(1))

    assert remind_permit_returns.delay().get() == 2
    assert remind_permit_returns.delay().get() == 2
    assert reminders().count() == 2


def test_reminder_task_runs_every_morning_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["remind-permit-returns"]

    assert entry["task"] == "donations.remind_permit_returns"
    assert entry["schedule"] == crontab(hour=8, minute=0)
    assert entry["options"]["expires"] <= 24 * 3600

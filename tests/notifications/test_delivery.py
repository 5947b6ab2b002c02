"""Dispatcher, send step and sweeper, with Celery eager (in-process) and Django's test mail
outbox or a real SMTP server on loopback. Worker and broker tests: test_worker.py."""

import datetime
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from events import services as event_services
from tests.factories import UserFactory, organizer
from tests.notifications.ical import invite_parts, only_event, parse_calendar
from volunteers.messaging import delivery
from volunteers.messaging.kinds import RULES, Kind, Rule
from volunteers.models import Message
from volunteers.services.signups import signup_cancel, signup_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_due(django_capture_on_commit_callbacks):
    """Run the dispatcher as beat would; the send tasks run in-process (eager) after it."""

    def run(**kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return delivery.messages_dispatch(**kwargs)

    return run


def make_due(kind: str) -> None:
    Message.objects.filter(kind=kind).update(due_at=timezone.now() - datetime.timedelta(seconds=1))


def parsed(email) -> object:
    return message_from_bytes(email.message().as_bytes(), policy=email_policy)


@pytest.fixture
def smtp_settings(settings, smtp_inbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_inbox


def test_confirmation_is_sent_once_with_invite_part_and_attachment(shift, volunteer, send_due):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert send_due() == 1
    assert send_due() == 0

    assert len(mail.outbox) == 1
    email = parsed(mail.outbox[0])
    assert email["To"] == volunteer.email
    assert email["Subject"].startswith("You're signed up: Bucket collector")
    alternatives, attachments = invite_parts(email)
    assert [part.get_param("method") for part in alternatives] == ["REQUEST"]
    assert [part.get_filename() for part in attachments] == ["invite.ics"]
    same = alternatives[0].get_content().encode().replace(b"\r\n", b"\n")
    assert same == attachments[0].get_content().replace(b"\r\n", b"\n")
    parse_calendar(alternatives[0].get_content(), method="REQUEST")
    invite = only_event(parse_calendar(attachments[0].get_content(), method="REQUEST"))
    assert str(invite["UID"]) == f"signup-{signup.pk}@127.0.0.1"
    assert invite["SEQUENCE"] == 0
    assert invite["ATTENDEE"] == f"mailto:{volunteer.email}"
    assert str(invite["ORGANIZER"]) == f"mailto:{shift.event.contact.email}"
    assert "Peoples Church" in invite["LOCATION"]
    assert invite["GEO"].latitude == pytest.approx(36.8375)
    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert (message.status, message.attempts) == (Message.Status.SENT, 1)
    assert message.sent_at is not None


def test_text_and_html_parts_say_where_when_and_whom_to_call(shift, volunteer, send_due):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    make_due(Kind.REMINDER)
    send_due()

    reminder = next(m for m in mail.outbox if m.subject.startswith("Reminder"))
    html = reminder.alternatives[0].content
    for body in (reminder.body, html):
        assert "https://maps.google.com/?q=36.837500%2C-119.772000" in body
        assert "Water, a hat, sunscreen" in body
        assert "Marta Ruiz" in body and "(559) 555-0100" in body
        assert "(559) 555-0142" in body
        assert "Peoples Church" in body
    assert "geo:36.837500,-119.772000" in html
    assert "&amp;" not in reminder.body
    assert invite_parts(parsed(reminder)) == ([], [])


def test_message_is_in_the_recipients_language(shift, volunteer, send_due):
    volunteer.language = "es"
    volunteer.save()

    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    send_due()

    email = mail.outbox[0]
    assert email.extra_headers["Content-Language"] == "es"
    assert '<html lang="es">' in email.alternatives[0].content
    weekday = timezone.localtime(shift.starts_at)
    spanish_days = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    assert spanish_days[weekday.weekday()] in email.body


def test_reminder_is_sent_when_due_and_only_once(shift, volunteer, send_due):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    send_due()
    mail.outbox.clear()

    assert send_due() == 0
    make_due(Kind.REMINDER)
    assert send_due() == 2
    assert send_due() == 0

    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Reminder", "Reminder"]
    assert set(Message.objects.filter(kind=Kind.REMINDER).values_list("status", flat=True)) == {
        "sent"}


def test_no_reminders_when_turned_off_but_confirmation_goes(shift, volunteer, send_due):
    volunteer.reminders_enabled = False
    volunteer.save()
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    make_due(Kind.REMINDER)

    send_due()

    assert [m.subject.split(":")[0] for m in mail.outbox] == ["You're signed up"]
    skipped = Message.objects.filter(kind=Kind.REMINDER, status=Message.Status.SKIPPED)
    assert skipped.count() == 2
    assert skipped.first().last_error == "The volunteer turned reminders off."


def test_unverified_address_gets_no_reminder_and_confirmation_fails_visibly(
    shift, volunteer, send_due
):
    EmailAddress.objects.filter(user=volunteer).update(verified=False)
    signup_create(shift=shift, volunteer=volunteer, by=organizer())
    make_due(Kind.REMINDER)

    send_due()

    assert mail.outbox == []
    confirmation = Message.objects.get(kind=Kind.CONFIRMATION)
    assert confirmation.status == Message.Status.FAILED
    assert "not a verified e-mail address" in confirmation.last_error
    assert set(Message.objects.filter(kind=Kind.REMINDER).values_list("status", flat=True)) == {
        "skipped"}


def test_message_overtaken_by_a_later_change_is_skipped(shift, volunteer, send_due):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=signup, by=volunteer)

    send_due()

    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Cancelled"]
    assert Message.objects.get(kind=Kind.CONFIRMATION).status == Message.Status.SKIPPED
    assert Message.objects.filter(kind=Kind.REMINDER).count() == 0


def test_template_error_fails_once_and_is_not_retried(volunteer, send_due, monkeypatch):
    monkeypatch.setitem(RULES, "broken", Rule())
    Message.objects.create(kind="broken", recipient=volunteer, dedupe_key="broken:1")

    send_due()
    send_due()

    message = Message.objects.get(kind="broken")
    assert (message.status, message.attempts) == (Message.Status.FAILED, 0)
    assert "TemplateDoesNotExist" in message.last_error
    assert mail.outbox == []


def test_unknown_kind_fails(volunteer, send_due):
    Message.objects.create(kind="no-such-kind", recipient=volunteer, dedupe_key="x:1")

    send_due()

    assert Message.objects.get().status == Message.Status.FAILED


def test_temporary_smtp_refusal_retries_later_with_back_off(
    shift, volunteer, send_due, smtp_settings
):
    smtp_settings.reply = "451 4.3.0 Mailbox busy, try again later"
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    before = timezone.now()
    send_due()

    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert (message.status, message.attempts) == (Message.Status.PENDING, 1)
    assert "451" in message.last_error
    assert message.due_at >= before + datetime.timedelta(minutes=1)
    assert message.claimed_at is None
    assert send_due() == 0  # not due again before its back-off

    smtp_settings.reply = None
    make_due(Kind.CONFIRMATION)
    send_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)
    assert len(smtp_settings.messages) == 1


def test_permanent_smtp_refusal_fails_for_organizers(shift, volunteer, send_due, smtp_settings):
    smtp_settings.reply = "550 5.1.1 No such user"
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    send_due()

    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert message.status == Message.Status.FAILED
    assert "550" in message.last_error


def mail_server_unreachable(settings) -> None:
    """Point the SMTP backend at a loopback port nothing listens on."""
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_unreachable_smtp_server_is_temporary(shift, volunteer, send_due, settings):
    mail_server_unreachable(settings)
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    send_due()

    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert (message.status, message.attempts) == (Message.Status.PENDING, 1)
    assert "ConnectionRefusedError" in message.last_error


def test_temporary_failures_give_up_after_max_attempts(shift, volunteer, send_due, smtp_settings):
    smtp_settings.reply = "421 4.7.0 Too many connections"
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    for _attempt in range(delivery.MAX_ATTEMPTS):
        make_due(Kind.CONFIRMATION)
        send_due()

    message = Message.objects.get(kind=Kind.CONFIRMATION)
    assert (message.status, message.attempts) == (Message.Status.FAILED, delivery.MAX_ATTEMPTS)
    assert message.last_error.startswith(f"Gave up after {delivery.MAX_ATTEMPTS} attempts.")


def test_retry_delay_doubles_up_to_two_hours():
    delays = [delivery.retry_delay(n) for n in (1, 2, 3, 4, 20)]
    minutes = [int(d.total_seconds() // 60) for d in delays]
    assert minutes == [1, 2, 4, 8, 120]


def test_sweeper_returns_rows_stuck_in_flight(shift, volunteer, send_due):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    long_ago = timezone.now() - delivery.STUCK_AFTER - datetime.timedelta(minutes=1)
    Message.objects.filter(kind=Kind.CONFIRMATION).update(
        status=Message.Status.IN_FLIGHT, claimed_at=long_ago, attempts=1)
    Message.objects.filter(kind=Kind.REMINDER).update(
        status=Message.Status.IN_FLIGHT, claimed_at=timezone.now())

    assert delivery.messages_sweep() == 1
    send_due()

    confirmation = Message.objects.get(kind=Kind.CONFIRMATION)
    assert (confirmation.status, confirmation.attempts) == (Message.Status.SENT, 2)
    assert set(Message.objects.filter(kind=Kind.REMINDER).values_list("status", flat=True)) == {
        "in_flight"}


def test_claimed_row_whose_task_was_lost_is_claimed_again_later(shift, volunteer):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert len(delivery.messages_claim()) == 1  # its send task is never run here
    assert delivery.messages_claim() == []
    later = timezone.now() + delivery.CLAIM_EXPIRES + datetime.timedelta(seconds=1)
    assert len(delivery.messages_claim(now=later)) == 1


def test_send_task_run_twice_sends_once(shift, volunteer):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message = Message.objects.get(kind=Kind.CONFIRMATION)

    outcomes = [delivery.message_send(message_id=message.pk) for _ in range(2)]

    assert outcomes == ["sent", "not due (sent)"]
    assert len(mail.outbox) == 1
    assert delivery.message_send(message_id=10**9) == "gone"


def test_digest_lists_unfilled_shifts(event, shift, contact, send_due):
    from volunteers import outbox

    outbox.organizer_digests_queue(now=event.starts_at - datetime.timedelta(hours=1))
    make_due(Kind.DIGEST)
    send_due()

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [contact.email]
    assert digest.subject == f"{event.title} ({timezone.localtime(event.starts_at):%m/%d/%Y}): " \
                             "2 volunteers still needed"
    assert "0 of 2 needed, 0 waiting" in digest.body


def test_welcome_goes_out_when_email_is_confirmed(client, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailConfirmationHMAC

    user = UserFactory(verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False,
                                          primary=True)
    key = EmailConfirmationHMAC(address).key

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/accounts/confirm-email/{key}/")

    assert [m.subject for m in mail.outbox] == ["Welcome to Rally"]
    assert Message.objects.get(kind=Kind.WELCOME).status == Message.Status.SENT


def test_every_invite_kind_carries_its_method_with_one_uid_and_rising_sequence(
    event, shift, volunteer, send_due
):
    """confirmation → shift_changed → removed → (signed up again) confirmation → cancelled
    event: the same UID throughout, SEQUENCE strictly rising, METHOD as the kind says."""
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    send_due()
    later = shift.starts_at + datetime.timedelta(hours=1)
    event_services.shift_update(shift=shift, by=None, starts_at=later,
                                ends_at=later + datetime.timedelta(hours=3))
    send_due()
    signup_cancel(signup=signup, by=organizer())
    send_due()
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    send_due()
    event_services.event_cancel(event=event, by=None)
    send_due()

    seen = []
    for email in mail.outbox:
        alternatives, attachments = invite_parts(parsed(email))
        method = alternatives[0].get_param("method")
        invite = only_event(parse_calendar(attachments[0].get_content(), method=method))
        seen.append((method, str(invite["UID"]), invite["SEQUENCE"]))
    assert [method for method, _uid, _seq in seen] == [
        "REQUEST", "REQUEST", "CANCEL", "REQUEST", "CANCEL"]
    assert {uid for _m, uid, _s in seen} == {f"signup-{signup.pk}@127.0.0.1"}
    sequences = [seq for _m, _u, seq in seen]
    assert sequences == sorted(set(sequences))
    kinds = list(Message.objects.filter(signup=signup).exclude(kind=Kind.REMINDER)
                 .order_by("pk").values_list("kind", flat=True))
    assert kinds == [Kind.CONFIRMATION, Kind.SHIFT_CHANGED, Kind.REMOVED, Kind.CONFIRMATION,
                     Kind.SHIFT_CANCELLED]


# --- Every kind: one scenario each, rendered and read back as a mail client would ---------


def _holder(shift, volunteer):
    return signup_create(shift=shift, volunteer=volunteer, by=volunteer)


def _promoted(shift, volunteer):
    first, second = UserFactory(), UserFactory()
    signup_create(shift=shift, volunteer=first, by=first)
    taken = signup_create(shift=shift, volunteer=second, by=second)
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=taken, by=second)


def _waitlisted(shift, volunteer):
    for person in UserFactory.create_batch(2):
        signup_create(shift=shift, volunteer=person, by=person)
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)


def _moved(shift, volunteer):
    from tests.factories import ShiftFactory
    from volunteers.services.signups import signup_move

    other = ShiftFactory(event=shift.event, starts_at=shift.starts_at + datetime.timedelta(hours=4))
    signup_move(signup=_holder(shift, volunteer), to_shift=other, by=organizer())


def _changed(shift, volunteer):
    _holder(shift, volunteer)
    later = shift.starts_at + datetime.timedelta(hours=1)
    event_services.shift_update(shift=shift, by=None, starts_at=later,
                                ends_at=later + datetime.timedelta(hours=3))


def _reminded(shift, volunteer):
    _holder(shift, volunteer)
    make_due(Kind.REMINDER)


def _digest(shift, volunteer):
    from volunteers import outbox

    shift.event.contact = volunteer
    shift.event.save()
    outbox.organizer_digests_queue(now=shift.event.starts_at - datetime.timedelta(hours=1))
    make_due(Kind.DIGEST)


def _welcomed(shift, volunteer):
    from volunteers import outbox

    outbox.welcome(volunteer)


def _written_to(shift, volunteer):
    from volunteers.services.organizer_messages import Audience, organizer_message_send

    _holder(shift, volunteer)
    organizer_message_send(audience=Audience(event=shift.event, shift=shift), by=organizer(),
                           subject="Staging moved", body="Meet at the north lot.",
                           subject_es="Cambio de lugar", body_es="Nos vemos en el lote norte.")


def _going(shift, volunteer):
    from events.models import EventKind
    from tests.factories import EventFactory

    training = EventFactory(kind=EventKind.TRAINING, starts_at=shift.event.starts_at,
                            ends_at=shift.event.starts_at + datetime.timedelta(hours=2))
    return event_services.rsvp_create(event=training, user=volunteer)


def _held_for_captain(shift, volunteer):
    from events.holds import shift_hold
    from tests.factories import SiteFactory, TeamMembershipFactory

    shift.site = SiteFactory()
    shift.save()
    team = TeamMembershipFactory(user=volunteer, is_captain=True).team
    return shift_hold(shift=shift, team=team, by=organizer())


def _hold_released(shift, volunteer):
    from events.holds import shift_release

    shift_release(shift=_held_for_captain(shift, volunteer), by=organizer())


def _site_retired(shift, volunteer):
    from events.sites import site_retire
    from tests.factories import SiteFactory

    shift.site = SiteFactory()
    shift.save()
    _holder(shift, volunteer)
    site_retire(site=shift.site, by=organizer())



def _permit_return_due(shift, volunteer):
    from donations.exports import permit_return_reminders_queue
    from tests.factories import PermitFactory, RoleGrantFactory
    from volunteers.models import Role

    RoleGrantFactory(user=volunteer, role=Role.ORGANIZER)
    PermitFactory(return_due=timezone.localdate() + datetime.timedelta(days=3))
    permit_return_reminders_queue()


SCENARIOS = {
    Kind.WELCOME: _welcomed,
    Kind.CONFIRMATION: _holder,
    Kind.WAITLISTED: _waitlisted,
    Kind.PROMOTED: _promoted,
    Kind.REMINDER: _reminded,
    Kind.SHIFT_CHANGED: _changed,
    Kind.MOVED: _moved,
    Kind.CANCELLED: lambda shift, v: signup_cancel(signup=_holder(shift, v), by=v),
    Kind.REMOVED: lambda shift, v: signup_cancel(signup=_holder(shift, v), by=organizer()),
    Kind.SHIFT_CANCELLED: lambda shift, v: (
        _holder(shift, v), event_services.shift_cancel(shift=shift, by=None)),
    Kind.DIGEST: _digest,
    Kind.ORGANIZER_MESSAGE: _written_to,
    Kind.SHIFT_HELD: _held_for_captain,
    Kind.HOLD_RELEASED: _hold_released,
    Kind.SITE_RETIRED: _site_retired,
    Kind.PERMIT_RETURN_REMINDER: _permit_return_due,
    Kind.RSVP_CONFIRMATION: _going,
    Kind.RSVP_CANCELLED: lambda shift, v: event_services.rsvp_cancel(
        event=_going(shift, v).event, user=v),
}


# Account emails (RULES[kind].account): tests/accounts/test_account_emails.py. Emails a kind
# builds itself (RULES[kind].email: a donor's acknowledgment): tests/donations/test_ack.py.
MESSAGE_KINDS = [kind for kind in Kind.values
                 if not RULES[kind].account and RULES[kind].email is None]


def queue_kind(kind: str, language: str, shift, volunteer) -> None:
    """What ``SCENARIOS[kind]`` queues, for a volunteer who reads ``language``."""
    volunteer.language = language
    volunteer.save()
    SCENARIOS[kind](shift, volunteer)


def test_every_kind_has_a_scenario():
    assert set(Kind.values) == set(RULES)
    assert set(SCENARIOS) == set(MESSAGE_KINDS)


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_each_kind_renders_text_html_and_the_invite_its_rule_names(
    kind, language, shift, volunteer, send_due
):
    queue_kind(kind, language, shift, volunteer)

    send_due()

    message = Message.objects.filter(kind=kind, recipient=volunteer).order_by("due_at").first()
    assert message.status == Message.Status.SENT, message.last_error
    sent = [m for m in mail.outbox if m.extra_headers["Message-ID"].startswith(
        f"<message-{message.pk}@")]
    assert len(sent) == 1
    email = parsed(sent[0])
    assert email["Subject"] and "\n" not in email["Subject"]
    assert email["Content-Language"] == language
    greeting = {"en": "Hello ", "es": "Hola, "}[language]
    assert email.get_body(("plain",)).get_content().startswith(greeting)
    assert f'<html lang="{language}">' in email.get_body(("html",)).get_content()
    alternatives, attachments = invite_parts(email)
    method = RULES[kind].invite
    if method is None:
        assert (alternatives, attachments) == ([], [])
        return
    assert [part.get_param("method") for part in alternatives] == [method]
    assert [part.get_filename() for part in attachments] == ["invite.ics"]
    for ics in (alternatives[0].get_content(), attachments[0].get_content()):
        invite = only_event(parse_calendar(ics, method=method))
        if message.signup_id is None:  # an RSVP's invite: tests/notifications/test_rsvp_emails
            rsvp = message.event.rsvps.get(user=volunteer)
            assert str(invite["UID"]) == f"rsvp-{rsvp.pk}@127.0.0.1"
            assert invite.start == message.event.starts_at
            continue
        message.signup.refresh_from_db()
        assert str(invite["UID"]) == f"signup-{message.signup_id}@127.0.0.1"
        assert invite["SEQUENCE"] == message.signup.sequence
        assert invite.start == message.signup.shift.starts_at


# --- Batches: one SMTP session per batch, each row still claimed and marked on its own -------


class SessionInbox:
    """An SMTP server on loopback that notes which session (client address) each message
    came over, and refuses the messages to the addresses in ``refuse`` with that reply."""

    def __init__(self):
        import socket

        from aiosmtpd.controller import Controller

        self.received: list[tuple[tuple, str]] = []  # (session's client address, To)
        self.refuse: dict[str, str] = {}
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                to = envelope.rcpt_tos[0]
                if to in inbox.refuse:
                    return inbox.refuse[to]
                inbox.received.append((session.peer, to))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def sessions(self) -> int:
        return len({peer for peer, _to in self.received})


@pytest.fixture
def session_inbox(settings):
    inbox = SessionInbox()
    inbox.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield inbox
    inbox.controller.stop()


def confirmations_for(shift, count: int) -> list:
    shift.capacity = shift.needed = count
    shift.save()
    people = UserFactory.create_batch(count)
    for person in people:
        signup_create(shift=shift, volunteer=person, by=person)
    return people


def test_a_batch_goes_over_one_smtp_session_and_each_row_is_marked_sent(
    shift, send_due, session_inbox
):
    people = confirmations_for(shift, 5)

    assert send_due() == 5

    assert sorted(to for _peer, to in session_inbox.received) == sorted(p.email for p in people)
    assert session_inbox.sessions == 1
    rows = Message.objects.filter(kind=Kind.CONFIRMATION)
    assert {(row.status, row.attempts) for row in rows} == {(Message.Status.SENT, 1)}
    assert all(row.sent_at is not None and row.claimed_at is not None for row in rows)


def test_a_refused_message_does_not_stop_the_rest_of_its_batch(shift, send_due, session_inbox):
    people = confirmations_for(shift, 4)
    session_inbox.refuse[people[1].email] = "451 4.3.0 Mailbox busy, try again later"

    send_due()

    refused = Message.objects.get(kind=Kind.CONFIRMATION, recipient=people[1])
    assert (refused.status, refused.attempts, refused.claimed_at) == (
        Message.Status.PENDING, 1, None)
    assert "451" in refused.last_error
    others = Message.objects.filter(kind=Kind.CONFIRMATION).exclude(pk=refused.pk)
    assert set(others.values_list("status", flat=True)) == {Message.Status.SENT}
    assert sorted(to for _peer, to in session_inbox.received) == sorted(
        p.email for p in people if p != people[1])


def test_unreachable_server_releases_the_rest_of_the_batch_for_the_next_run(
    shift, send_due, settings
):
    mail_server_unreachable(settings)
    confirmations_for(shift, 3)

    assert send_due() == 3

    first, *rest = Message.objects.filter(kind=Kind.CONFIRMATION).order_by("pk")
    assert (first.status, first.attempts) == (Message.Status.PENDING, 1)
    assert "ConnectionRefusedError" in first.last_error
    assert [(row.status, row.attempts, row.claimed_at) for row in rest] == [
        (Message.Status.PENDING, 0, None)] * 2
    assert send_due() == 2  # released: due, and claimed again by the next run


def test_send_step_writes_once_per_message(shift, session_inbox):
    """Three reads for the whole batch (the rows, their shift, the verified addresses), then
    one statement per message (marking the previous one SENT and claiming this one, in one
    commit), and the last SENT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    confirmations_for(shift, 6)
    ids = list(Message.objects.filter(kind=Kind.CONFIRMATION).values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        outcomes = delivery.messages_send(message_ids=ids)

    assert set(outcomes.values()) == {"sent"}
    statements = [q["sql"] for q in queries.captured_queries
                  if not q["sql"].startswith(("SET ", "RESET "))]  # synchronous_commit
    if connection.vendor == "postgresql":
        assert len(statements) == 3 + len(ids) + 1
        assert [sql.split()[0] for sql in statements[3:]] == ["UPDATE"] + ["WITH"] * 5 + [
            "UPDATE"]
    assert len(session_inbox.received) == 6


def test_batch_run_twice_sends_each_message_once(shift, session_inbox):
    confirmations_for(shift, 3)
    ids = list(Message.objects.filter(kind=Kind.CONFIRMATION).values_list("pk", flat=True))

    first = delivery.messages_send(message_ids=ids)
    second = delivery.messages_send(message_ids=[*ids, 10**9])

    assert set(first.values()) == {"sent"}
    assert second == {**dict.fromkeys(ids, "not due (sent)"), 10**9: "gone"}
    assert len(session_inbox.received) == 3


def test_dispatcher_hands_over_a_backlog_in_as_many_batches_as_it_takes(send_due, session_inbox):
    from volunteers import outbox

    people = UserFactory.create_batch(23)
    for person in people:
        outbox.welcome(person)

    assert send_due(batch_size=5) == 23

    assert sorted(to for _peer, to in session_inbox.received) == sorted(p.email for p in people)
    assert session_inbox.sessions == 5
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}


@pytest.mark.postgres
@pytest.mark.parametrize("synchronous", [False, True])
def test_commits_wait_for_the_disk_again_after_a_batch(synchronous, shift, session_inbox,
                                                       settings):
    """``synchronous_commit`` is off only while a batch is sent (unless settings say every
    mark must reach the disk first), and the connection is left as it was found."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MESSAGE_SYNCHRONOUS_COMMIT = synchronous
    confirmations_for(shift, 2)
    ids = list(Message.objects.filter(kind=Kind.CONFIRMATION).values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        assert set(delivery.messages_send(message_ids=ids).values()) == {"sent"}

    settings_changed = [q["sql"] for q in queries.captured_queries
                        if q["sql"].startswith(("SET ", "RESET "))]
    assert settings_changed == ([] if synchronous else [
        "SET synchronous_commit TO OFF", "RESET synchronous_commit"])
    with connection.cursor() as sql:
        sql.execute("SHOW synchronous_commit")
        assert sql.fetchone()[0] == "on"

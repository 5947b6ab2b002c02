"""``messaging.mime`` writes an email's bytes in one pass: they must be Django's own
(``email.message().as_bytes(linesep="\\r\\n")``) but for the Date and the random MIME
boundaries, for every kind in both languages and for the shapes Rally never sends today, and
what reaches the SMTP server (envelope and message) must be what Django's backend sends."""

import re
import socket

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.utils import timezone

from tests.notifications.test_delivery import MESSAGE_KINDS, queue_kind
from volunteers.messaging import mime, render
from volunteers.models import Message

BOUNDARY = re.compile(rb"={15}\d{19}==")
DATE = re.compile(rb"^Date: [^\r\n]*\r\n", re.MULTILINE)


def comparable(raw: bytes) -> bytes:
    """The bytes with each MIME boundary named by its order of first use, and the Date
    blanked."""
    seen: dict[bytes, int] = {}
    raw = BOUNDARY.sub(lambda found: b"boundary-%d" % seen.setdefault(found.group(), len(seen)),
                       raw)
    return DATE.sub(b"Date: (when sent)\r\n", raw)


def djangos(email) -> bytes:
    return comparable(email.message().as_bytes(linesep="\r\n"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", MESSAGE_KINDS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_kind_is_written_as_django_writes_it(kind, language, shift, volunteer):
    queue_kind(kind, language, shift, volunteer)
    emails = []
    for message in render.load_batch(list(Message.objects.values_list("pk", flat=True))):
        try:
            emails.append(render.message_email(message, now=timezone.now()))
        except (render.MessageSkipped, render.MessageFailed):
            continue

    assert any(email.to == [volunteer.email] for email in emails)
    for email in emails:
        assert comparable(mime.message_bytes(email)) == djangos(email)


HEADERS = {"Message-ID": "<message-1@127.0.0.1>", "Auto-Submitted": "auto-generated",
           "Content-Language": "es"}
INVITE = (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nX-LONG:" + b"a" * 300
          + b"\r\nLOCATION:Pe\xc3\xb1a\r\nEND:VCALENDAR\r\n")


def with_invite():
    email = EmailMultiAlternatives(
        "Recordatorio: Esquina 3, sáb. 28/11/2026 a las 22:00", "Hola, Ana Gómez:\n\n· \u2013 ñ\n",
        to=["ana@example.org"], reply_to=["Marta Ruíz <marta@example.org>"], headers=HEADERS)
    email.attach_alternative("<p>Hola</p>\n", "text/html")
    email.attach_alternative(INVITE.decode(), "text/calendar; method=REQUEST")
    email.attach("invite.ics", INVITE, "application/ics")
    return email


def alternatives(subject: str, body: str = "Plain ASCII.\n", **kwargs):
    kwargs = {"to": ["a@example.org"], "headers": HEADERS, **kwargs}
    email = EmailMultiAlternatives(subject, body, **kwargs)
    email.attach_alternative("<p>Plain</p>", "text/html")
    return email


def attachments():
    email = EmailMessage("Count sheet", "Attached.", to=["a@example.org"], headers=HEADERS)
    email.attach("notes.txt", "texto ñ\n", "text/plain")
    email.attach("Café.pdf", b"%PDF" * 100, "application/pdf")
    return email


SHAPES = {
    "8bit text, HTML, invite part and attachment, non-ASCII subject and reply-to": with_invite,
    "subject that must be folded": lambda: alternatives(
        "You're signed up: a very long subject line that will certainly need folding, twice"),
    "subject of 69 characters": lambda: alternatives("S" * 69),
    "subject of 70 characters": lambda: alternatives("S" * 70),
    "subject with spaces at its ends and inside": lambda: alternatives("  two  spaces "),
    "subject with a tab": lambda: alternatives("a\tb"),
    "subject that looks encoded": lambda: alternatives("=?utf-8?q?caf=C3=A9?="),
    "subject of one long word": lambda: alternatives("x" * 120),
    "several recipients and a Cc": lambda: alternatives(
        "Hi", to=["a@example.org", "Zoë <z@example.org>"], cc=["c@example.org"]),
    "text only, CR and CRLF line ends": lambda: EmailMultiAlternatives(
        "Welcome", "Only text\r\nCRLF\rCR\n", to=["Zoë <z@example.org>"], headers=HEADERS),
    "no text body, only HTML": lambda: alternatives("Hi", body=""),
    "text and binary attachments": attachments,
    "a line too long for 8bit (Django's quoted-printable)": lambda: alternatives(
        "Long", body="x" * 1200),
    "From and To set as headers": lambda: alternatives(
        "Hi", headers={**HEADERS, "From": "Rally <a@example.org>", "To": "b@example.org"}),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_written_as_django_writes_it(shape):
    email = SHAPES[shape]()

    assert comparable(mime.message_bytes(email)) == djangos(email)


class EnvelopeInbox:
    """An SMTP server on loopback that keeps each message's envelope and bytes."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, list[str], bytes]] = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                inbox.received.append((envelope.mail_from, envelope.rcpt_tos,
                                       envelope.original_content))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture
def envelope_inbox():
    inbox = EnvelopeInbox()
    inbox.controller.start()
    yield inbox
    inbox.controller.stop()


# (sender, recipient)
ADDRESSES = [
    ("Rally <noreply@example.org>", "a@example.org"),
    ("Ñandú <n@example.org>", "a.b+c@ex-ample.org"),
    ("noreply@example.org", "UPPER@EXAMPLE.ORG"),
    ("Rally <noreply@example.org>", "a..b@example.org"),
    ("Rally <noreply@example.org>", "Zoë Gómez <zoe@example.org>"),
    ("Rally <noreply@example.org>", "x@bücher.de"),
    ("Rally <noreply@example.org>", '"quoted local"@example.org'),
]


def test_the_server_gets_what_djangos_backend_sends(envelope_inbox):
    backend = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1",
                             port=envelope_inbox.port, use_tls=False, use_ssl=False,
                             username="", password="", timeout=5)
    emails = [with_invite(), attachments()] + [
        EmailMultiAlternatives("Hi", "Text.\n", from_email=sender, to=[address],
                               headers=HEADERS)
        for sender, address in ADDRESSES]
    backend.open()
    try:
        for email in emails:
            backend.send_messages([email])
            sender, recipients = mime.envelope(email)
            backend.connection.sendmail(sender, recipients, mime.message_bytes(email))
    finally:
        backend.close()

    received = envelope_inbox.received
    assert len(received) == 2 * len(emails)
    for (djangos_from, djangos_to, djangos_bytes), (from_, to, raw) in zip(
            received[::2], received[1::2], strict=True):
        assert (from_, to) == (djangos_from, djangos_to)
        assert comparable(raw) == comparable(djangos_bytes)

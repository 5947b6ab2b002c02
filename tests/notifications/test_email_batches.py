"""Within a batch (``render.one_batch``, as ``delivery.messages_send`` renders), what many
messages share (the shift block per shift and language, the site's links) is rendered once and
kept. Every email must still come out exactly as it does rendered on its own, and as the
templates rendered it when they included emails/_shift.* by name."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.template import Context, engines
from django.utils import timezone, translation

from tests.factories import UserFactory
from tests.notifications.test_delivery import MESSAGE_KINDS, queue_kind
from volunteers.messaging import delivery, render
from volunteers.messaging.kinds import Kind
from volunteers.models import Message, Signup
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def what_is_sent(message, *, now) -> dict | tuple:
    """Everything of the email a recipient sees (all but Date and the MIME boundaries), or
    what became of the row instead."""
    try:
        email = render.message_email(message, now=now)
    except (render.MessageSkipped, render.MessageFailed) as error:
        return type(error).__name__, str(error)
    return {
        "subject": email.subject, "body": email.body, "from": email.from_email,
        "to": email.to, "cc": email.cc, "bcc": email.bcc, "reply_to": email.reply_to,
        "headers": email.extra_headers, "alternatives": email.alternatives,
        "attachments": email.attachments,
    }


def each_on_its_own(ids, *, now) -> dict:
    return {pk: what_is_sent(render.load(pk), now=now) for pk in ids}


def in_one_batch(ids, *, now) -> dict:
    with render.one_batch():
        return {message.pk: what_is_sent(message, now=now) for message in render.load_batch(ids)}


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_batch_renders_every_kind_as_each_message_on_its_own(kind, language, shift, volunteer):
    queue_kind(kind, language, shift, volunteer)
    ids = list(Message.objects.values_list("pk", flat=True))
    now = timezone.now()

    batch = in_one_batch(ids, now=now)

    assert batch == each_on_its_own(ids, now=now)
    assert any(isinstance(sent, dict) and sent["to"] == [volunteer.email]
               for pk, sent in batch.items()
               if Message.objects.get(pk=pk).kind == kind)


def test_the_shift_block_is_rendered_once_per_shift_and_language_in_a_send_batch(
    shift, renders
):
    """Confirmations and reminders for six volunteers on one shift, three in each language,
    sent as the worker sends them: one block per language and format, each email as it is
    rendered on its own."""
    shift.capacity = shift.needed = 6
    shift.save()
    for language in ("en", "es") * 3:
        person = UserFactory(language=language)
        signup_create(shift=shift, volunteer=person, by=person)
    ids = list(Message.objects.filter(kind__in=[Kind.CONFIRMATION, Kind.REMINDER])
               .values_list("pk", flat=True))
    assert len(ids) == 6 * 3  # a confirmation and two reminders (24 and 2 hours) each

    sent_as_each_alone(ids, renders)

    assert sorted(name for name in renders if "_shift" in name) == [
        "emails/_shift.html", "emails/_shift.html", "emails/_shift.txt", "emails/_shift.txt"]


def sent_as_each_alone(ids, renders) -> None:
    """Make ``ids`` due and send them as the worker does, then check every email is the one
    rendered on its own; ``renders`` is left with what the batch rendered."""
    now = timezone.now()
    Message.objects.update(due_at=now - datetime.timedelta(seconds=1))
    alone = each_on_its_own(ids, now=now)
    renders.clear()

    outcomes = delivery.messages_send(message_ids=ids, now=now)

    assert set(outcomes.values()) == {"sent"}
    by_id = {int(email.extra_headers["Message-ID"].split("-")[1].split("@")[0]): email
             for email in mail.outbox}
    assert set(by_id) == set(ids)
    for pk, email in by_id.items():
        assert alone[pk]["subject"] == email.subject
        assert alone[pk]["body"] == email.body
        assert alone[pk]["alternatives"] == email.alternatives
        assert alone[pk]["attachments"] == email.attachments
        assert alone[pk]["headers"] == email.extra_headers


def test_a_change_to_the_shift_between_batches_is_in_the_next_batch(shift, volunteer):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message_id = Message.objects.get(kind=Kind.CONFIRMATION).pk
    now = timezone.now()
    first = in_one_batch([message_id], now=now)[message_id]

    shift.notes = "Staging at the north lot."
    shift.save()
    second = in_one_batch([message_id], now=now)[message_id]

    assert "north lot" not in first["body"]
    assert "Staging at the north lot." in second["body"]


SHIFT_TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES)) for path in (TEMPLATES / "emails").glob("*.*")
    if "{% include shift_block." in path.read_text())


def test_every_email_with_a_shift_block_is_as_it_was_with_the_block_included_by_name(
    shift, volunteer
):
    """Rendered from the files (``{% include shift_block.html %}``) and from the same source
    with the block included by name as before: the same text, in both languages, with and
    without coordinates and a contact."""
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message = Message.objects.get(kind=Kind.CONFIRMATION)
    engine = engines["django"].engine
    assert len(SHIFT_TEMPLATES) == 24
    for language in ("en", "es"):
        for bare in (False, True):
            if bare:
                shift.event.contact = shift.event.latitude = shift.event.longitude = None
                shift.event.save()
            message = render.load(message.pk)
            with translation.override(language), timezone.override(settings.TIME_ZONE):
                context = render.message_context(message)
                for name in SHIFT_TEMPLATES:
                    source = (TEMPLATES / name).read_text()
                    before = re.sub(r"\{% include shift_block\.(html|txt) %\}",
                                    r'{% include "emails/_shift.\1" %}', source)
                    escape = name.endswith(".html")
                    assert (engine.get_template(name).render(Context(context, autoescape=escape))
                            == engine.from_string(before).render(
                                Context(context, autoescape=escape))), (name, language, bare)
    assert signup.status == Signup.Status.CONFIRMED


@pytest.mark.parametrize("name", ["emails/_shift.html", "emails/_shift.txt"])
def test_the_shift_block_is_kept_by_every_variable_it_reads(name):
    """A block is kept per value of ``ShiftBlock.reads``: a variable the block reads but the
    key leaves out (the recipient's name, say) would hand one volunteer's block to another."""
    source = (TEMPLATES / name).read_text()
    read = set(re.findall(r"(?:\{\{|\{%\s*if)\s*([A-Za-z_]\w*)", source))

    assert read <= set(render.ShiftBlock.reads)


def test_a_block_outside_a_batch_is_rendered_each_time(shift, volunteer, renders):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message = Message.objects.get(kind=Kind.CONFIRMATION)

    for _ in range(2):
        render.message_email(render.load(message.pk), now=timezone.now())

    assert [name for name in renders if "_shift" in name] == [
        "emails/_shift.txt", "emails/_shift.html"] * 2


def test_batches_do_not_share_what_they_keep(shift, volunteer, renders):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message_id = Message.objects.get(kind=Kind.CONFIRMATION).pk
    later = timezone.now() + datetime.timedelta(seconds=1)

    in_one_batch([message_id], now=later)
    in_one_batch([message_id], now=later)

    assert [name for name in renders if "_shift" in name] == [
        "emails/_shift.txt", "emails/_shift.html"] * 2


def test_a_batch_is_read_in_as_many_queries_for_one_message_as_for_many(shift):
    """The rows, their shifts (each once, with site, event and contact) and the verified
    addresses: the same few queries whatever the batch's size, and rendering its
    confirmations and reminders reads nothing more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shift.capacity = shift.needed = 5
    shift.save()
    for _ in range(5):
        person = UserFactory()
        signup_create(shift=shift, volunteer=person, by=person)
    ids = list(Message.objects.values_list("pk", flat=True))
    assert len(ids) == 5 * 3
    now = timezone.now()

    with CaptureQueriesContext(connection) as one:
        render.load_batch(ids[:1])
    with CaptureQueriesContext(connection) as many:
        rows = render.load_batch(ids)
        with render.one_batch():
            for row in rows:
                render.message_email(row, now=now)

    assert len(one.captured_queries) == len(many.captured_queries) == 3
    assert len({id(row.signup.shift) for row in rows}) == 1


def test_a_shift_deleted_while_the_batch_is_read_does_not_stop_the_read(shift, monkeypatch):
    """The batch reads its rows, then their shifts: a shift deleted in between is left to be
    read when its message needs it (and found missing then, as for a message on its own),
    instead of the batch's read failing for every message in it."""
    from events.models import Shift

    other = UserFactory()
    signup_create(shift=shift, volunteer=other, by=other)
    ids = list(Message.objects.filter(kind=Kind.CONFIRMATION).values_list("pk", flat=True))
    real = Shift.objects.select_related

    def gone(*fields):
        queryset = real(*fields)
        return queryset.none() if "event__contact" in fields else queryset

    monkeypatch.setattr(Shift.objects, "select_related", gone)
    rows = render.load_batch(ids)
    monkeypatch.undo()

    assert [row.pk for row in rows] == ids
    Shift.objects.filter(pk=shift.pk).delete()
    with pytest.raises(Shift.DoesNotExist):
        rows[0].signup.shift  # noqa: B018 (read when needed, and missing)

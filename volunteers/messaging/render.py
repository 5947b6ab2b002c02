"""Turn one outbox row into an e-mail, from the database as it is at send time: addresses,
names, times and places are read now, never carried in task arguments."""

import contextlib
import datetime
import decimal
import re
from contextvars import ContextVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from events.calendar import (
    calendar_bytes,
    calendar_domain,
    event_url,
    geo_uri,
    map_url,
    signup_invite,
)
from events.models import Event, Shift

from ..models import Message, OrganizerMessage, User
from . import kept
from .kinds import RULES, reason_not_to_send


class MessageSkipped(Exception):
    """The message is no longer wanted (the sign-up changed, reminders are off…)."""


class MessageFailed(Exception):
    """The message cannot be sent, and trying again will not help."""


def has_verified_email(user: User) -> bool:
    """Whether the account's address is verified (read once per batch by ``load_batch``)."""
    known = user.__dict__.get("_verified_email")
    if known is not None:
        return known
    return EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()


def site_link(name: str) -> str:
    return _kept(("site_link", name, translation.get_language()), lambda: _site_link(name))


def _site_link(name: str) -> str:
    try:
        return settings.SITE_URL + reverse(name)
    except NoReverseMatch:
        return settings.SITE_URL + "/"


# --- What many messages of a batch share, rendered once per batch ----------------------

_batch: ContextVar[dict | None] = ContextVar("messaging_batch", default=None)


@contextlib.contextmanager
def one_batch():
    """While a batch is sent (``delivery.messages_send``): what is the same for many of its
    messages (the shift block for each shift and language, the site's links) is made once and
    kept until the batch ends, a fraction of a second. Its rows and what they point to are
    read together when it starts (``load_batch``), so within it an id stands for the same
    values; the next batch reads them again."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def _kept(key: tuple, make):
    kept = _batch.get()
    if kept is None:
        return make()
    try:
        return kept[key]
    except KeyError:
        kept[key] = made = make()
        return made
    except TypeError:  # a value that cannot be a key (a list): not kept
        return make()


class KeptBlock:
    """A partial the email templates include as ``{% include shift_block.html %}`` (Django's
    include takes any object with ``render(context)``): rendered in the including template's
    context, so exactly as ``{% include "emails/_shift.html" %}`` would; within a batch, once
    for each value of what it reads (``reads``, every variable of the template) in each
    language, time zone and escaping, then kept for the batch's other messages about the same
    shift (tests/notifications/test_email_batches.py)."""

    def __init__(self, name: str, *, reads: tuple[str, ...]):
        self.name = name
        self.reads = reads

    def render(self, context) -> str:
        template = context.template.engine.get_template(self.name)
        key = (self.name, context.autoescape, translation.get_language(),
               timezone.get_current_timezone_name(),
               *(kept_key(context.get(name)) for name in self.reads))
        return _kept(key, lambda: template.render(context))


class ShiftBlock:
    """``shift_block.html`` and ``shift_block.txt``: emails/_shift.html and .txt, the shift's
    what, when, where and whom to call, the same for every volunteer on it."""

    reads = ("shift", "event", "place", "map_url", "geo_uri", "contact", "COALITION",
             "event_url")
    html = KeptBlock("emails/_shift.html", reads=reads)
    txt = KeptBlock("emails/_shift.txt", reads=reads)


SHIFT_BLOCK = ShiftBlock()


def load(message_id: int) -> Message | None:
    """The row with everything a template or invite reads."""
    rows = load_batch([message_id])
    return rows[0] if rows else None


def load_batch(message_ids: list[int]) -> list[Message]:
    """The rows (in the order the dispatcher claims them: due first) with everything their
    templates, rules and invites read, in a constant number of queries whatever the batch's
    size: the rows with their recipients and sign-ups; the shifts they are about, each once
    with its site, event and contact (a batch is mostly many people on few shifts, so these
    are not joined to every row); events without a shift, organizer messages, and whether
    each recipient's address is verified. Within the batch, one shift or event is one
    object, and a sign-up's volunteer is the message's recipient."""
    rows = list(Message.objects.select_related("recipient", "signup")
                .filter(pk__in=message_ids).order_by("due_at", "pk"))
    notes = OrganizerMessage.objects.select_related("author").in_bulk(
        {row.organizer_message_id for row in rows if row.organizer_message_id})
    shifts = Shift.objects.select_related("site", "event", "event__contact").in_bulk(
        {row.signup.shift_id for row in rows if row.signup is not None}
        | {note.shift_id for note in notes.values() if note.shift_id})
    events = {}
    for shift in shifts.values():
        shift.event = events.setdefault(shift.event_id, shift.event)
    events.update(Event.objects.select_related("contact").in_bulk(
        {row.event_id for row in rows if row.event_id} - events.keys()))
    # A row deleted between these reads is left to be read when it is needed (and found
    # missing then, as it would be on its own).
    for row in rows:
        if row.event_id in events:
            row.event = events[row.event_id]
        signup = row.signup
        if signup is not None:
            if signup.shift_id in shifts:
                signup.shift = shifts[signup.shift_id]
            if signup.volunteer_id == row.recipient_id:
                signup.volunteer = row.recipient
        if row.organizer_message_id in notes:
            row.organizer_message = note = notes[row.organizer_message_id]
            if note.shift_id in shifts:
                note.shift = shifts[note.shift_id]
    recipients = {row.recipient_id: row.recipient for row in rows if row.recipient_id}
    if recipients:
        verified = {
            (user_id, email.lower()) for user_id, email in EmailAddress.objects.filter(
                user_id__in=recipients, verified=True).values_list("user_id", "email")
        }
        for row in rows:
            if row.recipient is not None:
                row.recipient._verified_email = (
                    (row.recipient_id, row.recipient.email.lower()) in verified)
    return rows


def message_context(message: Message) -> dict:
    context = {
        "message": message,
        "recipient": message.recipient,
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "COALITION": settings.COALITION,
        "HOTLINE": settings.HOTLINE,
        "profile_url": site_link("profile"),
        "my_shifts_url": site_link("my_shifts"),
        "shift_block": SHIFT_BLOCK,
    }
    signup = message.signup
    event = signup.shift.event if signup is not None else message.event
    if signup is not None:
        place = signup.shift.place
        context.update({
            "signup": signup,
            "shift": signup.shift,
            "place": place,
            "map_url": map_url(place),
            "geo_uri": geo_uri(place),
        })
    if event is not None:
        context.update({"event": event, "contact": event.contact,
                        "event_url": _kept(("event_url", event.pk, translation.get_language()),
                                           lambda: event_url(event))})
    context.update(RULES[message.kind].context(message))
    return context


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_plain_text(name: str, context: dict) -> str:
    """A subject or text part: plain text, so never HTML-escaped ("Herndon & Blackstone",
    not "Herndon &amp; Blackstone"), whether or not the template says autoescape off."""
    template = engines["django"].engine.get_template(name)
    return template.render(Context(context, autoescape=False))


def render_part(name: str, context: dict, *, html: bool) -> str:
    """A part of a message (``render_plain_text``, or HTML escaped as ``render_to_string``
    escapes it). Within a batch, the template is rendered once for each value of everything
    it reads, and each recipient's copy filled in with their name (``kept``)."""
    plan = kept.plan(name) if _batch.get() is not None else None
    values = plan.personal(context) if plan is not None else None
    if values is None:
        return render_to_string(name, context) if html else render_plain_text(name, context)
    try:
        key = ("part", name, html, translation.get_language(),
               timezone.get_current_timezone_name(), plan.key(context, kept_key))
    except TypeError:  # an include that is not a kept block: rendered for this message
        return kept.fill(plan.render(context, autoescape=html), values)
    # A key with a value that cannot be one (a list) is rendered for this message (_kept).
    return kept.fill(_kept(key, lambda: plan.render(context, autoescape=html)), values)


def kept_key(value):
    """A value as part of a key: a row by its id (the batch read it once), a number with its
    exact form (Decimal("5.0") and Decimal("5.00") print differently), anything else with its
    type (True and 1 print differently)."""
    if isinstance(value, models.Model):
        return (type(value), value.pk)
    if isinstance(value, dict):
        return tuple((name, kept_key(item)) for name, item in value.items())
    if isinstance(value, (decimal.Decimal, float)):
        return (type(value), repr(value))
    return (type(value), value)


def message_email(message: Message, *, now: datetime.datetime) -> EmailMultiAlternatives:
    """Render ``message`` in the recipient's language and the coalition's time zone.

    Raises MessageSkipped when its rule says it is no longer wanted, MessageFailed when it can
    never be sent (unknown kind, no verified address); template errors propagate and are
    treated as permanent by the caller."""
    rule = RULES.get(message.kind)
    if rule is None:
        raise MessageFailed(f"Unknown message kind {message.kind!r}.")
    reason = reason_not_to_send(message, now)
    if reason:
        raise MessageSkipped(reason)
    if rule.account:
        from .account import account_email

        return account_email(message, now=now)
    if rule.email is not None:
        return rule.email(message, now=now)
    recipient = message.recipient
    if not has_verified_email(recipient):
        if rule.optional:
            raise MessageSkipped("The volunteer has no verified e-mail address.")
        raise MessageFailed(f"{recipient.email} is not a verified e-mail address.")
    language = recipient.language or settings.LANGUAGE_CODE
    name = message.kind
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = message_context(message)
        subject = _one_line(render_part(f"emails/{name}_subject.txt", context, html=False))
        text = render_part(f"emails/{name}.txt", context, html=False)
        html = render_part(f"emails/{name}.html", context, html=True)
        invite = None
        if rule.invite and rule.calendar is not None:
            invite = calendar_bytes(rule.calendar(message, method=rule.invite, now=now))
        elif rule.invite:
            invite = calendar_bytes(signup_invite(message.signup, method=rule.invite, stamp=now))
    headers = {
        # The same id on a resend lets mail systems drop the one duplicate a killed worker
        # can cause (README: delivery guarantees).
        "Message-ID": f"<message-{message.pk}@{calendar_domain()}>",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    reply_to = []
    event = context.get("event")
    if event is not None and event.contact is not None and event.contact.email:
        reply_to = [event.contact.email]
    email = EmailMultiAlternatives(
        subject, text, to=[recipient.email], reply_to=reply_to, headers=headers
    )
    email.attach_alternative(html, "text/html")
    if invite is not None:
        # Gmail and Apple Mail read the text/calendar alternative; Outlook and others offer
        # the attachment. Both are the same iTIP object.
        email.attach_alternative(invite.decode(), f"text/calendar; method={rule.invite}")
        email.attach("invite.ics", invite, "application/ics")
    return email

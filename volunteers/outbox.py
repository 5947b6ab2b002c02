"""The outbox's entry points, called by the sign-up and event services inside their own
transaction (so a message exists exactly when the change it reports was committed).

CONTRACT shared by the services (issue #3) and the notification work (issue #4). Each
function only writes Message rows (and, for a change of a whole shift, raises the SEQUENCE of
the sign-ups it touches); the dispatcher and the send task (``volunteers.messaging``) deliver
them later. Every row has a ``dedupe_key`` that names the change it reports, e.g.
``confirmation:signup=12:seq=3`` or ``reminder:signup=12:offset=1440:start=2026-05-02T16:00``,
and is inserted with ON CONFLICT DO NOTHING, so the same message can never be queued twice.

``Signup.sequence`` is raised by the sign-up services on every change of a sign-up, and here
when its shift moves or is cancelled; the calendar invite always carries the sign-up's current
SEQUENCE, so it only ever grows.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .messaging.kinds import Kind, immediate
from .models import Message, Role, Signup, User

logger = logging.getLogger(__name__)

MAX_REMINDERS = 5
DIGEST_BEFORE = datetime.timedelta(hours=72)


def signup_confirmed(signup, *, promoted: bool = False) -> None:
    """A volunteer holds a confirmed place (new, added by a captain/organizer, or promoted
    from the waitlist when ``promoted``): confirmation with invite, and reminders."""
    _queue(signup_confirmed_rows(signup, promoted=promoted))


def signup_confirmed_rows(signup, *, promoted: bool = False) -> list[Message]:
    """The rows ``signup_confirmed`` writes, for a caller that inserts them itself (with the
    sign-up, in one statement: ``volunteers.inserts``) and then calls ``rows_written``."""
    kind = Kind.PROMOTED if promoted else Kind.CONFIRMATION
    return [_for_signup(kind, signup), *_reminder_rows([signup])]


def signup_waitlisted(signup) -> None:
    """A volunteer joined a full shift's waitlist."""
    _queue(signup_waitlisted_rows(signup))


def signup_waitlisted_rows(signup) -> list[Message]:
    """The rows ``signup_waitlisted`` writes (as ``signup_confirmed_rows``)."""
    return [_for_signup(Kind.WAITLISTED, signup)]


def signup_cancelled(signup, *, by_organizer: bool = False) -> None:
    """A confirmed or waiting sign-up ended (by the volunteer, or removed by an organizer
    when ``by_organizer``): a cancelling invite; pending reminders are dropped."""
    _drop_pending_reminders(signup_ids=[signup.pk])
    _queue([_for_signup(Kind.REMOVED if by_organizer else Kind.CANCELLED, signup)])


def signup_moved(signup, *, previous_shift) -> None:
    """An organizer moved a sign-up from ``previous_shift`` to ``signup.shift``: the same
    invite (same UID, higher SEQUENCE) at the new time, and reminders for the new shift."""
    _drop_pending_reminders(signup_ids=[signup.pk])
    _queue([_for_signup(Kind.MOVED, signup)])
    _plan_reminders([signup])


def shift_changed(shift) -> None:
    """A shift's time or place changed: reminders re-timed, updated invites.

    Every confirmed sign-up's SEQUENCE is raised and gets one updated invite; the pending
    reminders of the shift are deleted and planned again from its new start."""
    signups = _raise_sequences(shift, statuses=[Signup.Status.CONFIRMED])
    _drop_pending_reminders(shift=shift)
    _queue([_for_signup(Kind.SHIFT_CHANGED, signup) for signup in signups])
    _plan_reminders(signups)


def shift_cancelled(shift) -> None:
    """A shift (or its whole event) was cancelled: a CANCEL to everyone holding it.

    Called while the sign-ups are still live (confirmed or waiting); each gets a higher
    SEQUENCE and one cancellation, and the shift's pending reminders are dropped."""
    signups = _raise_sequences(
        shift, statuses=[Signup.Status.CONFIRMED, Signup.Status.WAITLISTED]
    )
    _drop_pending_reminders(shift=shift)
    _queue([_for_signup(Kind.SHIFT_CANCELLED, signup) for signup in signups])


def event_changed(event) -> None:
    """The event's time or place changed: what ``shift_changed`` does, for each live shift."""
    for shift in event.shifts.filter(is_cancelled=False).select_related("event"):
        shift_changed(shift)


def event_reminders_changed(event) -> None:
    """The event's ``reminder_offsets`` changed: pending reminders of its live shifts are
    planned again (no invite: nothing a calendar shows has changed)."""
    signups = list(
        Signup.objects.filter(shift__event_id=event.pk, shift__is_cancelled=False,
                              status=Signup.Status.CONFIRMED)
        .select_related("shift")
    )
    for signup in signups:
        signup.shift.event = event
    _drop_pending_reminders(signup_ids=[s.pk for s in signups])
    _plan_reminders(signups)


def rsvp_going(rsvp) -> None:
    """Someone RSVP'd to an event (or came back after withdrawing): a confirmation with a
    calendar invite whose UID is the RSVP's (``events.calendar.rsvp_uid``)."""
    _queue([_for_rsvp(Kind.RSVP_CONFIRMATION, rsvp)])


def rsvp_withdrawn(rsvp) -> None:
    """An RSVP was withdrawn: a CANCEL for the invite ``rsvp_going`` sent."""
    _queue([_for_rsvp(Kind.RSVP_CANCELLED, rsvp)])


def site_retired(signups: list, *, site, at: datetime.datetime) -> None:
    """A collection site was retired (``at``): one message to each live sign-up on its
    coming shifts. No invite: the shift itself has not changed (yet)."""
    stamp = at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    _queue([
        Message(kind=Kind.SITE_RETIRED, recipient_id=signup.volunteer_id, signup_id=signup.pk,
                event_id=signup.shift.event_id,
                dedupe_key=f"{Kind.SITE_RETIRED}:signup={signup.pk}:site={site.pk}:at={stamp}")
        for signup in signups
    ])


def welcome(user) -> None:
    """A volunteer confirmed their e-mail address: one welcome, ever."""
    _queue([Message(kind=Kind.WELCOME, recipient_id=user.pk,
                    dedupe_key=f"welcome:user={user.pk}")])


def account_email(*, kind: str, to_address: str, recipient=None,
                  context: dict | None = None) -> None:
    """An account email (confirm an address, reset a password…) owed to ``to_address``,
    from django-allauth through ``volunteers.adapters``; ``recipient`` is the account it
    concerns, if any. Each request is its own message, so the dedupe key is random. The row
    holds no key: links are rebuilt when it is sent (``volunteers.messaging.account``)."""
    import uuid

    row = Message(
        kind=kind,
        recipient=recipient,
        to_address=to_address,
        context=context or {},
        dedupe_key=f"{kind}:user={getattr(recipient, 'pk', None)}:{uuid.uuid4().hex}",
    )
    _queue([row])


def organizer_message_queue(organizer_message, *, recipient_ids: list[int]) -> None:
    """One copy of an organizer's message (``volunteers.OrganizerMessage``) per recipient,
    inserted in one batch and sent at once; each is rendered in its recipient's language."""
    now = timezone.now()
    _queue([
        Message(kind=Kind.ORGANIZER_MESSAGE, recipient_id=user_id,
                event_id=organizer_message.event_id, organizer_message=organizer_message,
                due_at=now,
                dedupe_key=f"{Kind.ORGANIZER_MESSAGE}:id={organizer_message.pk}:user={user_id}")
        for user_id in recipient_ids
    ])


def shift_held(hold_change, *, recipient_ids: list[int]) -> None:
    """An organizer held a shift for a team (``events.holds``): one email per captain."""
    _queue([_for_hold(Kind.SHIFT_HELD, hold_change, user_id) for user_id in recipient_ids])


def hold_released(hold_change, *, recipient_ids: list[int]) -> None:
    """A team's hold on a shift was released: its captains and the people signed up through
    the team on that shift (their sign-ups stay) hear of it."""
    _queue([_for_hold(Kind.HOLD_RELEASED, hold_change, user_id) for user_id in recipient_ids])


def _for_hold(kind: str, hold_change, user_id: int) -> Message:
    return Message(
        kind=kind, recipient_id=user_id, event_id=hold_change.shift.event_id,
        context={"hold_change": hold_change.pk},
        dedupe_key=f"{kind}:hold={hold_change.pk}:user={user_id}",
    )


def organizer_digests_queue(*, now: datetime.datetime | None = None) -> int:
    """Queue, once per event and organizer, the digest of unfilled shifts for each published
    event that starts within 72 hours and has a shift with fewer volunteers than needed.
    Recipients: the event's organizer contact, or every organizer when it has none.
    Safe to run twice at the same time (the dedupe key holds). Returns rows offered."""
    from events.models import Event, Shift
    from events.selectors import shifts_with_fill

    now = now or timezone.now()
    short = (
        shifts_with_fill(
            Shift.objects.filter(
                is_cancelled=False,
                event__status=Event.Status.PUBLISHED,
                event__starts_at__gt=now,
                event__starts_at__lte=now + DIGEST_BEFORE,
            )
        )
        .filter(confirmed_count__lt=F("needed"))
        .values_list("event_id", "event__contact_id")
        .distinct()
    )
    organizers = None
    rows = []
    for event_id, contact_id in set(short):
        if contact_id is not None:
            recipients = [contact_id]
        else:
            if organizers is None:
                organizers = list(
                    User.objects.filter(role_grants__role=Role.ORGANIZER, is_active=True)
                    .values_list("pk", flat=True)
                )
            recipients = organizers
        rows += [
            Message(kind=Kind.DIGEST, recipient_id=user_id, event_id=event_id, due_at=now,
                    dedupe_key=f"digest:event={event_id}:user={user_id}")
            for user_id in recipients
        ]
    with transaction.atomic():
        _queue(rows)
    return len(rows)


# --- Writing rows ---------------------------------------------------------------------


def _for_signup(kind: str, signup) -> Message:
    return Message(
        kind=kind,
        recipient_id=signup.volunteer_id,
        signup_id=signup.pk,
        event_id=signup.shift.event_id,
        dedupe_key=f"{kind}:signup={signup.pk}:seq={signup.sequence}",
    )


def _for_rsvp(kind: str, rsvp) -> Message:
    # ``created_at`` is reset each time the person says "going" again, so it names one
    # spell of going: one confirmation, and at most one cancellation, per spell.
    stamp = rsvp.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Message(
        kind=kind,
        recipient_id=rsvp.user_id,
        event_id=rsvp.event_id,
        dedupe_key=f"{kind}:rsvp={rsvp.pk}:going={stamp}",
    )


def _queue(rows: list[Message]) -> None:
    """Insert rows, skipping any whose dedupe key exists (ON CONFLICT DO NOTHING, so the
    caller's transaction is never broken by a duplicate), and wake the dispatcher after
    commit when one of them should go out now."""
    if not rows:
        return
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    rows_written(rows)


def rows_written(rows: list[Message]) -> None:
    """Rows were inserted (ON CONFLICT DO NOTHING) in this transaction: wake the dispatcher
    after the commit when one of them should go out now."""
    if any(immediate(row.kind) for row in rows):
        _dispatch_after_commit()


def _dispatch_after_commit() -> None:
    """Once per transaction, however many messages it queued."""
    from .messaging.delivery import publish_dispatch

    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is publish_dispatch for entry in pending):
        return
    transaction.on_commit(publish_dispatch, robust=True)


def _raise_sequences(shift, *, statuses: list[str]) -> list:
    """Raise the SEQUENCE of the shift's sign-ups in ``statuses`` and return them, with
    ``shift`` (as the caller sees it, new time included) attached."""
    now = timezone.now()
    signups = Signup.objects.filter(shift_id=shift.pk, status__in=statuses)
    signups.update(sequence=F("sequence") + 1, updated_at=now)
    fresh = list(Signup.objects.filter(shift_id=shift.pk, status__in=statuses).order_by("pk"))
    for signup in fresh:
        signup.shift = shift
    if shift.event_id:
        from events.models import Event

        # Feeds answer Last-Modified from the event: a moved shift is a change to it.
        Event.objects.filter(pk=shift.event_id).update(updated_at=now)
    return fresh


def reminder_offsets(event) -> list[int]:
    """The event's reminder offsets in minutes, cleaned: positive whole numbers, largest
    first, at most five (anything else in the JSON is ignored)."""
    raw = event.reminder_offsets if isinstance(event.reminder_offsets, list) else []
    offsets = {int(m) for m in raw if isinstance(m, int | float) and 0 < m <= 60 * 24 * 60}
    return sorted(offsets, reverse=True)[:MAX_REMINDERS]


def reminder_key(signup_id: int, offset: int, start: datetime.datetime) -> str:
    stamp = start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"{Kind.REMINDER}:signup={signup_id}:offset={offset}:start={stamp}"


def _plan_reminders(signups: list) -> None:
    _queue(_reminder_rows(signups))


def _reminder_rows(signups: list) -> list[Message]:
    """One row per confirmed sign-up and offset, due at ``start - offset``; offsets already
    past are left out (the confirmation just said it all)."""
    now = timezone.now()
    rows = []
    for signup in signups:
        shift = signup.shift
        for offset in reminder_offsets(shift.event):
            due = shift.starts_at - datetime.timedelta(minutes=offset)
            if due <= now:
                continue
            rows.append(Message(
                kind=Kind.REMINDER,
                recipient_id=signup.volunteer_id,
                signup_id=signup.pk,
                event_id=shift.event_id,
                due_at=due,
                dedupe_key=reminder_key(signup.pk, offset, shift.starts_at),
            ))
    return rows


def _drop_pending_reminders(*, signup_ids: list[int] | None = None, shift=None) -> None:
    """Delete the reminders not yet being sent (PENDING). One a worker is sending right now
    (IN_FLIGHT) goes out as rendered; the updated invite queued beside this call follows."""
    reminders = Message.objects.filter(kind=Kind.REMINDER, status=Message.Status.PENDING)
    if signup_ids is not None:
        reminders = reminders.filter(signup_id__in=signup_ids)
    if shift is not None:
        reminders = reminders.filter(signup__shift_id=shift.pk)
    reminders.delete()

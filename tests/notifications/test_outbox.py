"""The outbox rows the sign-up and event services write, inside their transactions."""

import datetime

import pytest
from django.utils import timezone

from events import services as event_services
from tests.factories import ShiftFactory, UserFactory, organizer
from volunteers import outbox
from volunteers.messaging.kinds import Kind
from volunteers.models import Message, Signup
from volunteers.services.signups import signup_cancel, signup_create, signup_move

pytestmark = pytest.mark.django_db


def kinds_for(signup) -> list[str]:
    return list(
        Message.objects.filter(signup=signup).exclude(kind=Kind.REMINDER)
        .order_by("pk").values_list("kind", flat=True)
    )


def reminders_for(signup) -> list[datetime.datetime]:
    return list(
        Message.objects.filter(signup=signup, kind=Kind.REMINDER, status="pending")
        .order_by("due_at").values_list("due_at", flat=True)
    )


def test_signup_create_queues_one_confirmation_and_reminders_at_offsets(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert kinds_for(signup) == [Kind.CONFIRMATION]
    confirmation = Message.objects.get(signup=signup, kind=Kind.CONFIRMATION)
    assert confirmation.recipient == volunteer
    assert confirmation.dedupe_key == f"confirmation:signup={signup.pk}:seq=0"
    assert reminders_for(signup) == [
        shift.starts_at - datetime.timedelta(hours=24),
        shift.starts_at - datetime.timedelta(hours=2),
    ]


def test_signup_create_twice_queues_nothing_more(shift, volunteer):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert Message.objects.count() == 3


def test_same_change_reported_twice_is_queued_once(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    outbox.signup_confirmed(signup)

    assert kinds_for(signup) == [Kind.CONFIRMATION]
    assert len(reminders_for(signup)) == 2


def test_reminder_offsets_already_past_are_left_out(event, volunteer):
    soon = ShiftFactory(event=event, starts_at=timezone.now() + datetime.timedelta(hours=3))

    signup = signup_create(shift=soon, volunteer=volunteer, by=volunteer)

    assert reminders_for(signup) == [soon.starts_at - datetime.timedelta(hours=2)]


def test_reminder_offsets_come_from_the_event(event, shift, volunteer):
    event.reminder_offsets = [30, "junk", -5, 30, 60 * 48]
    event.save()

    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert reminders_for(signup) == [
        shift.starts_at - datetime.timedelta(hours=48),
        shift.starts_at - datetime.timedelta(minutes=30),
    ]


def test_full_shift_queues_waitlisted_then_promoted_on_cancel(shift, volunteer):
    first, second = UserFactory(), UserFactory()
    signup_create(shift=shift, volunteer=first, by=first)
    taken = signup_create(shift=shift, volunteer=second, by=second)
    waiting = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    assert waiting.status == Signup.Status.WAITLISTED
    assert kinds_for(waiting) == [Kind.WAITLISTED]
    assert reminders_for(waiting) == []

    signup_cancel(signup=taken, by=second)

    assert kinds_for(taken) == [Kind.CONFIRMATION, Kind.CANCELLED]
    assert reminders_for(taken) == []
    assert kinds_for(waiting) == [Kind.WAITLISTED, Kind.PROMOTED]
    assert len(reminders_for(waiting)) == 2


def test_removal_by_organizer_is_its_own_kind(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    signup_cancel(signup=signup, by=organizer())

    assert kinds_for(signup) == [Kind.CONFIRMATION, Kind.REMOVED]


def test_shift_moved_retimes_reminders_and_queues_one_update_with_higher_sequence(
    shift, volunteer
):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    later = shift.starts_at + datetime.timedelta(hours=1)

    event_services.shift_update(shift=shift, by=None, starts_at=later,
                                ends_at=later + datetime.timedelta(hours=3))

    signup.refresh_from_db()
    assert signup.sequence == 1
    assert kinds_for(signup) == [Kind.CONFIRMATION, Kind.SHIFT_CHANGED]
    assert Message.objects.get(kind=Kind.SHIFT_CHANGED).dedupe_key == (
        f"shift_changed:signup={signup.pk}:seq=1")
    assert reminders_for(signup) == [
        later - datetime.timedelta(hours=24), later - datetime.timedelta(hours=2)]
    assert Message.objects.filter(kind=Kind.REMINDER).count() == 2


def test_sent_reminder_is_kept_when_shift_moves(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    Message.objects.filter(kind=Kind.REMINDER).update(status=Message.Status.SENT)
    later = shift.starts_at + datetime.timedelta(hours=3)

    event_services.shift_update(shift=shift, by=None, starts_at=later,
                                ends_at=later + datetime.timedelta(hours=3))

    assert Message.objects.filter(kind=Kind.REMINDER, status="sent").count() == 2
    assert len(reminders_for(signup)) == 2


def test_shift_cancelled_queues_one_cancel_per_holder_and_drops_reminders(shift, volunteer):
    other = UserFactory()
    held = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    also = signup_create(shift=shift, volunteer=other, by=other)

    event_services.shift_cancel(shift=shift, by=None)

    assert kinds_for(held) == [Kind.CONFIRMATION, Kind.SHIFT_CANCELLED]
    assert kinds_for(also) == [Kind.CONFIRMATION, Kind.SHIFT_CANCELLED]
    assert Message.objects.filter(kind=Kind.REMINDER).count() == 0
    held.refresh_from_db()
    assert held.status == Signup.Status.CANCELLED


def test_event_cancelled_queues_one_cancel_per_holder(event, shift, volunteer):
    held = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    event_services.event_cancel(event=event, by=None)

    assert kinds_for(held) == [Kind.CONFIRMATION, Kind.SHIFT_CANCELLED]


def test_signup_move_queues_moved_and_retimes_reminders(event, shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    other = ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(hours=4))

    moved = signup_move(signup=signup, to_shift=other, by=organizer())

    assert kinds_for(moved) == [Kind.CONFIRMATION, Kind.MOVED]
    assert reminders_for(moved) == [
        other.starts_at - datetime.timedelta(hours=24),
        other.starts_at - datetime.timedelta(hours=2)]


def test_digest_queued_once_per_event_for_its_contact(event, shift, contact):
    now = event.starts_at - datetime.timedelta(hours=71)

    assert outbox.organizer_digests_queue(now=now) == 1
    outbox.organizer_digests_queue(now=now)

    digest = Message.objects.get(kind=Kind.DIGEST)
    assert (digest.recipient, digest.event) == (contact, event)


def test_digest_not_queued_before_72_hours_or_for_full_events(event, shift, contact):
    assert outbox.organizer_digests_queue(now=event.starts_at - datetime.timedelta(hours=73)) == 0
    for person in UserFactory.create_batch(2):
        signup_create(shift=shift, volunteer=person, by=person)

    assert outbox.organizer_digests_queue(now=event.starts_at - datetime.timedelta(hours=1)) == 0


def test_digest_without_contact_goes_to_every_organizer(event, shift, contact):
    event.contact = None
    event.save()
    organizers = {contact, organizer(), organizer()}

    outbox.organizer_digests_queue(now=event.starts_at - datetime.timedelta(hours=1))

    assert {m.recipient for m in Message.objects.filter(kind=Kind.DIGEST)} == organizers


def test_welcome_is_queued_once(volunteer):
    outbox.welcome(volunteer)
    outbox.welcome(volunteer)

    assert Message.objects.filter(kind=Kind.WELCOME, recipient=volunteer).count() == 1


def test_new_reminder_offsets_replan_pending_reminders(event, shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    event.reminder_offsets = [60]
    event.save()

    outbox.event_reminders_changed(event)

    assert reminders_for(signup) == [shift.starts_at - datetime.timedelta(hours=1)]
    assert kinds_for(signup) == [Kind.CONFIRMATION]


def test_organizer_changing_reminder_hours_retimes_pending_reminders(event, shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    event_services.event_update(event=event, by=organizer(), reminder_offsets=[180])

    assert reminders_for(signup) == [shift.starts_at - datetime.timedelta(hours=3)]

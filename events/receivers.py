"""Cached public pages go stale when what they show changes (see volunteers.access).

An event's own pages (its page, board, drive day, public total) follow that event's counter,
bumped by a change to the event, its shifts, sign-ups or RSVPs; the event list and the home
page show events only (title, kind, time, place, cancelled), so they follow the public
pages' counter, bumped by a change to an event or a series (and by sites and money,
elsewhere), not by a sign-up. Each event touched in a transaction is bumped once, after it
commits."""

import logging

from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from volunteers.access import drive_pages_changed, event_pages_changed, public_pages_changed
from volunteers.models import Signup, Team, TeamMembership, User

from .models import Event, EventSeries, HoldChange, Permit, PermitRequirement, Rsvp, Shift, Site

logger = logging.getLogger(__name__)


class _EventPagesChanged:
    """The events (and shifts whose event is not at hand) one transaction changed; called
    once after it commits."""

    def __init__(self):
        self.event_ids: set[int] = set()
        self.shift_ids: set[int] = set()
        # Run once: a test's transaction never commits, and its captured callbacks stay
        # listed after they ran; later changes must not be added to one that already ran.
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        event_ids = set(self.event_ids)
        if self.shift_ids:
            try:
                event_ids.update(Shift.objects.filter(pk__in=self.shift_ids)
                                 .values_list("event_id", flat=True))
            except DatabaseError:  # after the commit: the change stands, its pages expire
                logger.warning("Could not find the events of shifts %s", sorted(self.shift_ids),
                               exc_info=True)
        for event_id in sorted(event_ids):
            event_pages_changed(event_id)


def _event_changed(*, event_id: int | None = None, shift_id: int | None = None) -> None:
    connection = transaction.get_connection()
    changes = None
    if connection.in_atomic_block:
        changes = next((entry[1] for entry in connection.run_on_commit
                        if isinstance(entry[1], _EventPagesChanged) and not entry[1].ran),
                       None)
    fresh = changes is None
    if fresh:
        changes = _EventPagesChanged()
    if event_id is not None:
        changes.event_ids.add(event_id)
    elif shift_id is not None:
        changes.shift_ids.add(shift_id)
    if fresh:
        transaction.on_commit(changes)  # outside a transaction: at once


@receiver([post_save, post_delete], sender=Event)
def event_stale(sender, instance, **kwargs):
    transaction.on_commit(public_pages_changed)
    _event_changed(event_id=instance.pk)


@receiver([post_save, post_delete], sender=EventSeries)
def series_stale(sender, **kwargs):
    transaction.on_commit(public_pages_changed)


@receiver([post_save, post_delete], sender=Shift)
@receiver([post_save, post_delete], sender=Rsvp)
def event_part_stale(sender, instance, **kwargs):
    _event_changed(event_id=instance.event_id)


@receiver([post_save, post_delete], sender=Signup)
def signup_stale(sender, instance, **kwargs):
    if Signup.shift.is_cached(instance):
        _event_changed(event_id=instance.shift.event_id)
    else:
        _event_changed(shift_id=instance.shift_id)


@receiver([post_save, post_delete], sender=Site)
@receiver([post_save, post_delete], sender=Permit)
@receiver([post_save, post_delete], sender=PermitRequirement)
@receiver([post_save, post_delete], sender=HoldChange)
@receiver([post_save, post_delete], sender=Team)
@receiver([post_save, post_delete], sender=TeamMembership)
@receiver([post_save, post_delete], sender=User)
@receiver(m2m_changed, sender=Permit.sites.through)
def drive_pages_stale(sender, **kwargs):
    transaction.on_commit(drive_pages_changed)

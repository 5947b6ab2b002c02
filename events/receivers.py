"""Cached public pages go stale when what they show changes (see volunteers.access)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from volunteers.access import public_pages_changed
from volunteers.models import Signup

from .models import Event, EventSeries, Rsvp, Shift


@receiver([post_save, post_delete], sender=Event)
@receiver([post_save, post_delete], sender=EventSeries)
@receiver([post_save, post_delete], sender=Shift)
@receiver([post_save, post_delete], sender=Signup)
@receiver([post_save, post_delete], sender=Rsvp)
def public_pages_stale(sender, **kwargs):
    transaction.on_commit(public_pages_changed)

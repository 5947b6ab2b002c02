"""Cached public pages go stale when what they show changes (see volunteers.access)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from volunteers.access import drive_pages_changed, public_pages_changed
from volunteers.models import Signup, Team, TeamMembership, User

from .models import Event, EventSeries, HoldChange, Permit, PermitRequirement, Rsvp, Shift, Site


@receiver([post_save, post_delete], sender=Event)
@receiver([post_save, post_delete], sender=EventSeries)
@receiver([post_save, post_delete], sender=Shift)
@receiver([post_save, post_delete], sender=Signup)
@receiver([post_save, post_delete], sender=Rsvp)
def public_pages_stale(sender, **kwargs):
    transaction.on_commit(public_pages_changed)


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

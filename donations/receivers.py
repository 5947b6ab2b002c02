"""The street-drive pages' cached parts go stale when a bucket's custody, an incident or a
badge changes (see volunteers.access.drive_pages_changed)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from volunteers.access import drive_pages_changed

from .models import Badge, Bucket, CustodyEvent, Incident


@receiver([post_save, post_delete], sender=Bucket)
@receiver([post_save, post_delete], sender=CustodyEvent)
@receiver([post_save, post_delete], sender=Incident)
@receiver([post_save, post_delete], sender=Badge)
def drive_pages_stale(sender, **kwargs):
    transaction.on_commit(drive_pages_changed)

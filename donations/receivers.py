"""The street-drive pages' cached parts go stale when a bucket's custody, an incident or a
badge changes (see volunteers.access.drive_pages_changed); the public pages (a fundraiser's
public total and the "Raised so far" box on its event page and the home page, issue 12) when
what a drive raised changes (volunteers.access.public_pages_changed)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from volunteers.access import drive_pages_changed, public_pages_changed

from .models import (
    AdjustmentEntry,
    AgreedCount,
    Badge,
    BankAdjustment,
    Bucket,
    CardGift,
    CardImport,
    CustodyEvent,
    DriveMoneyStep,
    Incident,
    OddItemProceeds,
)


@receiver([post_save, post_delete], sender=Bucket)
@receiver([post_save, post_delete], sender=CustodyEvent)
@receiver([post_save, post_delete], sender=Incident)
@receiver([post_save, post_delete], sender=Badge)
def drive_pages_stale(sender, **kwargs):
    transaction.on_commit(drive_pages_changed)


# What a drive raised: an agreed count, an odd item's proceeds, a bank adjustment (its
# allocations are written with it), the books reconciled or reopened, an adjustment entry, card
# gifts (an import writes its CardImport row too, should its gifts be bulk-created).
@receiver([post_save, post_delete], sender=AgreedCount)
@receiver([post_save, post_delete], sender=OddItemProceeds)
@receiver([post_save, post_delete], sender=BankAdjustment)
@receiver([post_save, post_delete], sender=DriveMoneyStep)
@receiver([post_save, post_delete], sender=AdjustmentEntry)
@receiver([post_save, post_delete], sender=CardGift)
@receiver([post_save, post_delete], sender=CardImport)
def public_totals_stale(sender, **kwargs):
    transaction.on_commit(public_pages_changed)

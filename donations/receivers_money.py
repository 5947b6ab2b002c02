"""The treasurers' pages' cached parts (donations/money_pages.py) go stale after the commit of
any change to a row they show: the drive's own counter for a row that names its drive, the
counter of every drive for one that does not (a bucket, a custody step, a count's lines, a
deposit's items, a bank line, a team, a site, a person).

Rows written in bulk send no signal, but each bulk write of money is part of a service that
also saves a row that does, in the same transaction (a count and its lines, a deposit and its
items, a bank adjustment and its allocations, a card import and its gifts), and every money
service writes its audit line (MoneyAudit) too."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from events.models import Event, Shift, Site
from volunteers.models import Team, User

from .models import (
    AdjustmentAllocation,
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankLine,
    BankMatch,
    Bucket,
    CardGift,
    CardImport,
    Count,
    CountCheck,
    CountLine,
    CountSession,
    CountSheet,
    CustodyEvent,
    Deposit,
    DepositItem,
    DriveMoneyStep,
    MoneyAudit,
    OddItem,
    OddItemProceeds,
    VarianceNote,
)
from .money_pages import money_pages_changed

SHOWN = (
    # the money rows of a drive
    CountSession, CountSheet, Count, CountLine, CountCheck, OddItem, AgreedCount,
    OddItemProceeds, Deposit, DepositItem, BankLine, BankMatch, BankAdjustment,
    AdjustmentAllocation, DriveMoneyStep, VarianceNote, AdjustmentEntry, MoneyAudit,
    CardImport, CardGift,
    # where the money came from, and the names the pages print
    Bucket, CustodyEvent, Event, Shift, Team, Site, User,
)


def money_rows_changed(sender, instance, **kwargs):
    if sender is User and set(kwargs.get("update_fields") or ()) == {"last_login"}:
        return  # a login changes nothing the pages show
    event_id = instance.pk if sender is Event else getattr(instance, "event_id", None)
    transaction.on_commit(partial(money_pages_changed, event_id))


for model in SHOWN:
    receiver([post_save, post_delete], sender=model,
             dispatch_uid=f"money-pages-{model._meta.label}")(money_rows_changed)

"""Reads for the money home and the forms: every drive with money and its state, cash waiting
too long for the bank, the treasurers, what an adjustment entry may correct."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import Event
from volunteers.models import Role, User

from ..custody import buckets_with_state
from ..models import (
    AdjustmentAllocation,
    AgreedCount,
    BankLine,
    CountSession,
    CustodyEvent,
    Deposit,
    DepositItem,
    DriveMoneyStep,
    OddItemProceeds,
)
from .drive import days_since, money_state


def _sum_of(queryset, column: str = "amount_cents"):
    """A correlated SUM of ``column`` over ``queryset`` (already filtered on OuterRef)."""
    summed = (queryset.order_by().annotate(one=models.Value(1)).values("one")
              .annotate(total=Sum(column)).values("total"))
    return Coalesce(Subquery(summed), 0, output_field=models.BigIntegerField())


def _count_of(queryset):
    counted = (queryset.order_by().annotate(one=models.Value(1)).values("one")
               .annotate(n=models.Count("pk")).values("n"))
    return Coalesce(Subquery(counted), 0, output_field=models.IntegerField())


def drives_with_money():
    """Every drive with a returned bucket, a count session or a deposit, newest first, with
    its totals and state (``money_state``), in one query plus one for the buckets still out.
    Returns a list of Events."""
    returned = CustodyEvent.objects.filter(shift__event=OuterRef("pk"),
                                           kind=CustodyEvent.Kind.RETURNED)
    agreed = AgreedCount.objects.filter(event=OuterRef("pk"))
    steps = DriveMoneyStep.objects.filter(event=OuterRef("pk")).order_by("-at", "-pk")
    drives = list(
        Event.objects.filter(Exists(returned) | Exists(CountSession.objects.filter(
            event=OuterRef("pk"))) | Exists(Deposit.objects.filter(event=OuterRef("pk"))))
        .annotate(
            returns_n=_count_of(returned),
            agreed_n=_count_of(agreed),
            undeposited_n=_count_of(agreed.filter(deposit_item__isnull=True))
            + _count_of(OddItemProceeds.objects.filter(event=OuterRef("pk"), amount_cents__gt=0,
                                                       deposit_item__isnull=True)),
            counted_cents=_sum_of(agreed, "total_cents")
            + _sum_of(OddItemProceeds.objects.filter(event=OuterRef("pk")))
            + _sum_of(AdjustmentAllocation.objects.filter(agreed__event=OuterRef("pk"))),
            deposited_cents=_sum_of(DepositItem.objects.filter(deposit__event=OuterRef("pk"))),
            bank_cents=_sum_of(BankLine.objects.filter(match__event=OuterRef("pk"))),
            step_kind=Subquery(steps.values("kind")[:1]),
        ).order_by("-starts_at", "-pk"))
    out = dict(buckets_with_state().filter(custody_state="out",
                                           latest_event_id__in=[d.pk for d in drives])
               .order_by().values("latest_event_id").annotate(n=models.Count("pk"))
               .values_list("latest_event_id", "n"))
    for drive in drives:
        drive.out_n = out.get(drive.pk, 0)
        drive.money_state = money_state(
            reconciled=drive.step_kind == DriveMoneyStep.Kind.RECONCILED,
            uncounted=drive.returns_n - drive.agreed_n or not drive.returns_n,
            out=drive.out_n, undeposited=drive.undeposited_n)
    return drives


@dataclass(frozen=True)
class UndepositedAlert:
    event: Event
    buckets: int
    amount_cents: int
    oldest_days: int


def undeposited_alerts() -> list[UndepositedAlert]:
    """Drives with agreed counts not deposited for more than
    ``settings.MONEY_UNDEPOSITED_ALERT_DAYS`` days (two queries)."""
    today = timezone.localdate()
    limit = settings.MONEY_UNDEPOSITED_ALERT_DAYS
    first_day = today - datetime.timedelta(days=limit)
    before = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    rows = list(AgreedCount.objects.filter(deposit_item__isnull=True, agreed_at__lt=before)
                .order_by().values("event_id")
                .annotate(n=models.Count("pk"), total=Sum("total_cents"),
                          oldest=models.Min("agreed_at")))
    events = Event.objects.in_bulk([row["event_id"] for row in rows])
    alerts = [UndepositedAlert(event=events[row["event_id"]], buckets=row["n"],
                               amount_cents=row["total"],
                               oldest_days=days_since(row["oldest"], today))
              for row in rows]
    return sorted(alerts, key=lambda alert: (-alert.oldest_days, alert.event.pk))


def correction_targets(event: Event) -> dict[str, list]:
    """What an adjustment entry of this drive may correct: its agreed counts, its deposits
    and the bank lines matched to them (three queries)."""
    return {
        "agreed": list(AgreedCount.objects.filter(event=event).select_related("bucket")),
        "deposit": list(Deposit.objects.filter(event=event)),
        "bank_line": list(BankLine.objects.filter(match__event=event)
                          .select_related("match__deposit")),
    }


def treasurers() -> models.QuerySet[User]:
    """Everyone who handles money: treasurers and superusers, by name."""
    return (User.objects.filter(Q(role_grants__role=Role.TREASURER) | Q(is_superuser=True),
                                is_active=True)
            .distinct().order_by("display_name", "email"))

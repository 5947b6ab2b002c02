"""The reminder to organizers that a permit's return is due soon: an email through the outbox
(volunteers.Message, kind ``permit_return_reminder``) to every organizer, once per permit and
return date, from settings.PERMIT_RETURN_REMINDER_DAYS days before the date until the date.

Run daily by beat (``donations.remind_permit_returns``). Each row's dedupe key names the
permit, its return date and the organizer, and rows are inserted with ON CONFLICT DO NOTHING,
so two runs at the same moment (or a run each day of the window) queue one email each. A
return date moved later is a new date: the organizers hear of it again before it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.models import Permit
from volunteers.models import Message, Role, User
from volunteers.rules import is_organizer

KIND = "permit_return_reminder"


def reminder_key(permit: Permit, user_id: int) -> str:
    return f"{KIND}:permit={permit.pk}:due={permit.return_due.isoformat()}:user={user_id}"


def permits_due_soon(today: datetime.date) -> list[Permit]:
    """Permits whose return is due between ``today`` and the reminder window's end."""
    last = today + datetime.timedelta(days=settings.PERMIT_RETURN_REMINDER_DAYS)
    return list(Permit.objects.filter(return_due__gte=today, return_due__lte=last)
                .order_by("return_due", "pk"))


def permit_return_reminders_queue(*, today: datetime.date | None = None) -> int:
    """Queue the reminder of each permit due soon to each active organizer, in one
    transaction; rows already queued (same permit, date and organizer) are skipped by the
    database. Returns how many rows were offered (not how many were new)."""
    today = today or timezone.localdate()
    permits = permits_due_soon(today)
    if not permits:
        return 0
    organizers = list(User.objects.filter(role_grants__role=Role.ORGANIZER, is_active=True)
                      .distinct().values_list("pk", flat=True))
    now = timezone.now()
    rows = [
        Message(kind=KIND, recipient_id=user_id, due_at=now,
                context={"permit": permit.pk, "due": permit.return_due.isoformat()},
                dedupe_key=reminder_key(permit, user_id))
        for permit in permits for user_id in organizers
    ]
    with transaction.atomic():
        Message.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- At send time (volunteers.messaging.kinds: the rule of this kind) ----------------------


def message_permit(message: Message) -> Permit | None:
    cached = getattr(message, "_permit", None)
    if cached is None:
        permit_id = (message.context or {}).get("permit")
        cached = message._permit = (Permit.objects.prefetch_related("sites")
                                    .filter(pk=permit_id).first() if permit_id else None)
    return cached


def reason_not_to_remind(message: Message, now: datetime.datetime) -> str | None:
    permit = message_permit(message)
    if permit is None:
        return "The permit no longer exists."
    due = permit.return_due.isoformat() if permit.return_due else None
    if due != (message.context or {}).get("due"):
        return "The permit's return date changed."
    if message.recipient is None or not message.recipient.is_active \
            or not is_organizer(message.recipient):
        return "The recipient is no longer an organizer."
    return None


def reminder_context(message: Message) -> dict:
    from django.urls import reverse

    from events.permits import describe_dates

    permit = message_permit(message)
    return {
        "permit": permit,
        "return_due": permit.return_due,
        "days_left": (permit.return_due - timezone.localdate()).days,
        "dates_text": describe_dates(permit),
        "sites": [site.name for site in permit.sites.all()],
        "return_url": settings.SITE_URL + reverse("permit_return", args=[permit.pk]),
    }

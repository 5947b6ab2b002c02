"""What every money service shares: the domain error, the drive's lock, the audit trail and
the drive-level row lock that serializes changes to one drive's books.

Services in counting.py, banking.py and reconcile.py each run in ``transaction.atomic()`` and
start with :func:`lock_drive` (or a narrower row lock), check :func:`refuse_if_locked`, write
their rows, and call :func:`audit` in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event

from .models import DriveMoneyStep, MoneyAudit


class MoneyError(Exception):
    """A refusal written for the person who caused it; ``field`` names the form field (or
    ``row``/``line`` for a file's row) to show it at, or None for the whole form."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class MoneyConflict(MoneyError):
    """Someone else saved the same record first: nothing of this save was written."""


def latest_step(event: Event | int) -> DriveMoneyStep | None:
    event_id = event if isinstance(event, int) else event.pk
    return (DriveMoneyStep.objects.filter(event_id=event_id).order_by("-at", "-pk")
            .select_related("by").first())


def is_locked(event: Event | int) -> bool:
    step = latest_step(event)
    return bool(step and step.kind == DriveMoneyStep.Kind.RECONCILED)


def lock_drive(event: Event | int) -> Event:
    """Lock the drive's event row for the rest of the transaction: two treasurers changing the
    same drive's books (reconciling while a deposit is matched, say) take turns."""
    event_id = event if isinstance(event, int) else event.pk
    return Event.objects.select_for_update().get(pk=event_id)


def refuse_if_locked(event: Event | int) -> None:
    if is_locked(event):
        raise MoneyError(_("This drive's books are reconciled and locked. A correction is "
                           "recorded as an adjustment entry."))


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def audit(*, action: str, subject: str, by, event: Event | int | None = None,
          before: dict | None = None, after: dict | None = None, reason: str = "") -> MoneyAudit:
    """One line of the audit trail, in the caller's transaction. ``action`` is a short code
    (``count.submitted``, ``deposit.edited`` ...); ``subject`` names the record for a person
    ("Bucket 12, count B"); ``before``/``after`` hold the changed fields (amounts in cents)."""
    event_id = event if isinstance(event, int) or event is None else event.pk
    return MoneyAudit.objects.create(
        event_id=event_id, action=action, subject=subject[:120],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        reason=reason or "", by=by if getattr(by, "pk", None) else None, at=timezone.now(),
    )

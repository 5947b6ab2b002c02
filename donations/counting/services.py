"""The counting table's writes: open and edit a count session, open a returned bucket's count
sheet, submit a count (and agree it), post what an odd item brought. Each runs in one
transaction: the drive's row lock first, a locked drive refused, validation (MoneyError at its
field), the rows, then the audit line (see the package docstring)."""

from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from volunteers.models import User

from ..ledger import MoneyConflict, MoneyError, audit, lock_drive, refuse_if_locked
from ..models import (
    AgreedCount,
    Count,
    CountCheck,
    CountLine,
    CountSession,
    CountSheet,
    CustodyEvent,
    OddItem,
    OddItemProceeds,
)
from ..money import BY_CODE, MAX_CENTS, MAX_QUANTITY, format_cents, lines_total
from ..rules import can_handle_money
from .selectors import (
    Kind,
    count_signature,
    counter_refusal,
    counts_prefetch,
    last_saved_by,
    next_letter,
    sheet_agreed,
    signature_of,
    treasurers,
)

PLACE_MAX = CountSession._meta.get_field("place").max_length
OVERRIDE_MAX = Count._meta.get_field("override_reason").max_length
CHECK_NUMBER_MAX = CountCheck._meta.get_field("number").max_length
PAYER_MAX = CountCheck._meta.get_field("payer").max_length
DONOR_NAME_MAX = CountCheck._meta.get_field("donor_name").max_length
DONOR_ADDRESS_MAX = CountCheck._meta.get_field("donor_address").max_length
ODD_ITEM_MAX = OddItem._meta.get_field("description").max_length
PROCEEDS_NOTE_MAX = OddItemProceeds._meta.get_field("note").max_length


# --- Validation ----------------------------------------------------------------------------


def _refuse_unless_treasurer(person: User, field: str | None = None) -> None:
    if not can_handle_money(person):
        raise MoneyError(_("%(person)s is not a treasurer: only treasurers handle the "
                           "drive's money.") % {"person": person}, field)


def _clean_place(place) -> str:
    text = " ".join(str(place or "").split())
    if not text:
        raise MoneyError(_("Write where the counting happens (a room, an address)."), "place")
    if len(text) > PLACE_MAX:
        raise MoneyError(_("Keep the place under %(max)s characters.") % {"max": PLACE_MAX},
                         "place")
    return text


def _clean_present(present) -> list[User]:
    people = list(present or ())
    ids = {person.pk for person in people}
    allowed = set(treasurers().filter(pk__in=ids).values_list("pk", flat=True))
    strangers = [person for person in people if person.pk not in allowed]
    if strangers:
        raise MoneyError(_("Only treasurers are listed as present. Not a treasurer: "
                           "%(people)s.")
                         % {"people": ", ".join(str(p) for p in strangers)}, "present")
    return people


def _whole(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(_("Enter a whole number."), field)
    if value < 0:
        raise MoneyError(_("A quantity cannot be negative."), field)
    if value > MAX_QUANTITY:
        raise MoneyError(_("That quantity is too large to be right."), field)
    return value


def _clean_quantities(quantities: dict) -> dict[str, int]:
    cleaned = {}
    for code, value in (quantities or {}).items():
        if code not in BY_CODE:
            raise MoneyError(_("“%(code)s” is not a denomination Rally counts.")
                             % {"code": str(code)[:20]})
        quantity = _whole(value, code)
        if quantity:
            cleaned[code] = quantity
    return cleaned


def _text(value, *, field: str, limit: int, required_message: str | None = None) -> str:
    text = " ".join(str(value or "").split())
    if required_message and not text:
        raise MoneyError(required_message, field)
    if len(text) > limit:
        raise MoneyError(_("Keep this under %(max)s characters.") % {"max": limit}, field)
    return text


def _clean_checks(checks) -> list[dict]:
    cleaned = []
    for index, check in enumerate(checks or ()):
        prefix = f"checks-{index}-"
        amount = check.get("amount_cents")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise MoneyError(_("Write the amount of the check, like 25.00."), prefix + "amount")
        if amount <= 0:
            raise MoneyError(_("A check's amount is more than zero."), prefix + "amount")
        if amount > MAX_CENTS:
            raise MoneyError(_("That amount is too large to be right."), prefix + "amount")
        kind = check.get("kind") or CountCheck.Kind.CHECK
        if kind not in CountCheck.Kind.values:
            raise MoneyError(_("Choose whether this is a check or a named envelope."),
                             prefix + "kind")
        cleaned.append({
            "kind": kind,
            "number": _text(check.get("number"), field=prefix + "number",
                            limit=CHECK_NUMBER_MAX),
            "payer": _text(check.get("payer"), field=prefix + "payer", limit=PAYER_MAX,
                           required_message=_("Write who the check is from (the name "
                                              "printed on it).")),
            "amount_cents": amount,
            "donor_name": _text(check.get("donor_name"), field=prefix + "donor_name",
                                limit=DONOR_NAME_MAX),
            "donor_address": _text(check.get("donor_address"), field=prefix + "donor_address",
                                   limit=DONOR_ADDRESS_MAX),
        })
    return cleaned


def _clean_odd_items(odd_items) -> list[str]:
    return [
        _text(description, field=f"odd_items-{index}-description", limit=ODD_ITEM_MAX,
              required_message=_("Describe the item (a foreign coin, a gift card, a ring…)."))
        for index, description in enumerate(odd_items or ())
    ]


def _token(request_token) -> uuid.UUID | None:
    if request_token in (None, ""):
        return None
    if isinstance(request_token, uuid.UUID):
        return request_token
    try:
        return uuid.UUID(str(request_token))
    except ValueError:
        raise MoneyError(_("This form has expired. Reload the page and count again.")
                         ) from None


def _session_audit(session: CountSession) -> dict:
    return {
        "session": session.pk, "place": session.place, "started_at": session.started_at,
        "present": sorted(session.present.values_list("pk", flat=True)),
        "note": session.note, "closed_at": session.closed_at, "version": session.version,
    }


def _session_subject(session: CountSession) -> str:
    when = timezone.localtime(session.started_at).strftime("%Y-%m-%d %H:%M")
    return _("Count session at %(place)s, %(when)s") % {"place": session.place, "when": when}


def _count_subject(sheet: CountSheet, letter: str) -> str:
    return _("%(bucket)s, count %(letter)s") % {"bucket": sheet.bucket, "letter": letter}

# --- Sessions ------------------------------------------------------------------------------


@transaction.atomic
def session_open(*, event: Event, place: str, by: User,
                 started_at: datetime.datetime | None = None, present=(),
                 note: str = "") -> CountSession:
    """Open an evening at the counting table on ``event``'s drive: where, when, who is
    present (treasurers). Audit ``session.opened``."""
    event = lock_drive(event)
    _refuse_unless_treasurer(by)
    refuse_if_locked(event)
    place = _clean_place(place)
    people = _clean_present(present)
    session = CountSession.objects.create(
        event=event, place=place, started_at=started_at or timezone.now(),
        note=(note or "").strip(), opened_by=by)
    session.present.set(people)
    audit(action="session.opened", subject=_session_subject(session), by=by, event=event,
          after=_session_audit(session))
    return session

@transaction.atomic
def session_update(*, session: CountSession, version: int, place: str, present, note: str,
                   by: User, close: bool = False) -> CountSession:
    """Change a session's place, people present and note, and close it when the evening is
    over (a closed session stays closed; its sheets can still be counted). ``version`` is the
    one the form was shown with: if someone saved the session since, MoneyConflict and
    nothing is written. Audit ``session.edited`` with before and after."""
    lock_drive(session.event_id)
    _refuse_unless_treasurer(by)
    refuse_if_locked(session.event_id)
    current = CountSession.objects.get(pk=session.pk)
    if current.version != version:
        raise _session_conflict(current)
    place = _clean_place(place)
    people = _clean_present(present)
    before = _session_audit(current)
    closed_at = current.closed_at or (timezone.now() if close else None)
    updated = CountSession.objects.filter(pk=current.pk, version=version).update(
        place=place, note=(note or "").strip(), closed_at=closed_at, version=version + 1)
    if not updated:  # pragma: no cover - the drive lock makes this the same check as above
        raise _session_conflict(CountSession.objects.get(pk=session.pk))
    current.refresh_from_db()
    current.present.set(people)
    audit(action="session.edited", subject=_session_subject(current), by=by,
          event=current.event_id, before=before, after=_session_audit(current))
    return current


def _session_conflict(current: CountSession) -> MoneyConflict:
    who = last_saved_by(current)
    return MoneyConflict(
        _("%(person)s saved this count session a moment ago; your changes were not saved. "
          "Here is what is saved now; change it again if you need to.")
        % {"person": who or _("Another treasurer")})

# --- Sheets --------------------------------------------------------------------------------


@transaction.atomic
def sheet_open(*, session: CountSession, returned: CustodyEvent, by: User) -> CountSheet:
    """Open a returned bucket for counting at ``session``: one sheet per custody "returned"
    row of the session's drive (the bucket and the team answerable for it come from that
    row). A bucket already opened returns its sheet unchanged. Refused: a custody row that is
    not a return on this drive (a bucket never returned), a closed session. Audit
    ``sheet.opened``."""
    lock_drive(session.event_id)
    _refuse_unless_treasurer(by)
    refuse_if_locked(session.event_id)
    session = CountSession.objects.get(pk=session.pk)
    row = (CustodyEvent.objects.filter(pk=returned.pk).select_related("bucket", "shift")
           .first())
    if row is None or row.kind != Kind.RETURNED or row.shift is None or (
            row.shift.event_id != session.event_id):
        bucket = row.bucket if row is not None else _("This bucket")
        raise MoneyError(_("%(bucket)s was never returned on this drive, so it cannot be "
                           "counted here. Receive it at the staging point first.")
                         % {"bucket": bucket}, "returned")
    existing = CountSheet.objects.filter(returned_id=row.pk).first()
    if existing is not None:
        return existing
    if session.closed_at is not None:
        raise MoneyError(_("This count session is closed. Open a new session to count more "
                           "buckets."), "returned")
    try:
        with transaction.atomic():
            sheet = CountSheet.objects.create(session=session, event_id=session.event_id,
                                              bucket_id=row.bucket_id, returned=row,
                                              team_id=row.team_id, opened_by=by)
    except IntegrityError:  # pragma: no cover - the drive lock queues two openers
        return CountSheet.objects.get(returned_id=row.pk)
    audit(action="sheet.opened", subject=str(row.bucket), by=by, event=session.event_id,
          after={"sheet": sheet.pk, "session": session.pk, "bucket": row.bucket.number,
                 "returned": row.pk, "team": row.team_id})
    return sheet


# --- Counts --------------------------------------------------------------------------------


@transaction.atomic
def count_submit(*, sheet: CountSheet, counter: User, quantities: dict[str, int],
                 checks: list[dict], odd_items: list[str], override_reason: str = "",
                 request_token=None) -> Count:
    """Record ``counter``'s count of a sheet: its denomination lines (non-zero quantities),
    checks and odd items, and the totals worked out here. The letter is the next free one
    (A, B, then recounts C, D ...), decided under the drive's lock. B equal to A, or a
    recount equal to an earlier count, makes the sheet's AgreedCount.

    Refused: a counter who is not a treasurer; a sheet already agreed (MoneyConflict); B by
    the counter of A (never allowed); a counter on the collecting team, a holder of the
    bucket on that trip, or a recount by an earlier counter, unless ``override_reason`` says
    why; bad quantities, checks or odd items (at their field). A re-posted
    ``request_token`` returns the count it recorded. Audit ``count.submitted`` (without
    amounts for count A: see the module docstring) and ``count.agreed``."""
    lock_drive(sheet.event_id)
    token = _token(request_token)
    if token is not None:
        earlier = Count.objects.filter(request_token=token).first()
        if earlier is not None:
            if earlier.sheet_id != sheet.pk or earlier.counter_id != counter.pk:
                raise MoneyError(_("This form was already used. Reload the page and count "
                                   "again."))
            return earlier
    if not can_handle_money(counter):
        raise MoneyError(_("%(person)s is not a treasurer: only treasurers count money.")
                         % {"person": counter})
    refuse_if_locked(sheet.event_id)
    sheet = (CountSheet.objects.select_related("bucket", "team", "returned", "agreed")
             .prefetch_related(Prefetch("counts", queryset=Count.objects.order_by("letter")
                                        .prefetch_related("lines", "checks", "odd_items")))
             .get(pk=sheet.pk))
    agreed = sheet_agreed(sheet)
    if agreed is not None:
        raise MoneyConflict(
            _("Nothing was saved: %(bucket)s already has an agreed count (%(first)s and "
              "%(second)s match), so there is nothing more to count.")
            % {"bucket": sheet.bucket, "first": agreed.count.letter,
               "second": agreed.matched.letter})
    counts = list(sheet.counts.all())
    letter = next_letter(counts)
    if letter is None:
        raise MoneyError(_("%(bucket)s has been counted %(n)s times without agreement. "
                           "Ask the treasurers to look at it together.")
                         % {"bucket": sheet.bucket, "n": len(counts)})
    if letter == "B" and counts[0].counter_id == counter.pk:
        raise MoneyError(_("You made count A of %(bucket)s. Count B must be made by another "
                           "person: hand over the tablet, and they sign in as themselves.")
                         % {"bucket": sheet.bucket})
    reason = " ".join(str(override_reason or "").split())
    if len(reason) > OVERRIDE_MAX:
        raise MoneyError(_("Keep the reason under %(max)s characters.") % {"max": OVERRIDE_MAX},
                         "override_reason")
    refusal = counter_refusal(sheet=sheet, counter=counter)
    if refusal and not reason:
        raise MoneyError(refusal, "override_reason")
    if not refusal:
        reason = ""  # nothing to excuse: no exception is recorded
    lines = _clean_quantities(quantities)
    clean_checks = _clean_checks(checks)
    items = _clean_odd_items(odd_items)
    cash = lines_total(lines)
    checks_cents = sum(check["amount_cents"] for check in clean_checks)
    try:
        with transaction.atomic():
            count = Count.objects.create(
                sheet=sheet, event_id=sheet.event_id, letter=letter, counter=counter,
                cash_cents=cash, checks_cents=checks_cents, total_cents=cash + checks_cents,
                override_reason=reason, submitted_at=timezone.now(), request_token=token)
    except IntegrityError:
        if token is not None and Count.objects.filter(request_token=token).exists():
            raise MoneyError(_("This form was already used. Reload the page and count "
                               "again.")) from None
        raise
    CountLine.objects.bulk_create([
        CountLine(count=count, denomination=code, unit_cents=BY_CODE[code].unit_cents,
                  quantity=quantity) for code, quantity in lines.items()])
    CountCheck.objects.bulk_create([CountCheck(count=count, **check) for check in clean_checks])
    OddItem.objects.bulk_create([OddItem(count=count, description=text) for text in items])

    signature = count_signature(lines, [c["amount_cents"] for c in clean_checks], len(items))
    # No amounts here: the trail is open to every treasurer, and a count's figures stay hidden
    # until the bucket's count is agreed (the recount is blind too). ``count.agreed`` below
    # records every count's total.
    audit(action="count.submitted", subject=_count_subject(sheet, letter), by=counter,
          event=sheet.event_id,
          after={"sheet": sheet.pk, "count": count.pk, "letter": letter,
                 "counter": counter.pk, "bucket": sheet.bucket.number},
          reason=reason)

    match = next((earlier for earlier in counts if signature_of(earlier) == signature), None)
    if match is not None:
        AgreedCount.objects.create(
            sheet=sheet, count=match, matched=count, event_id=sheet.event_id,
            bucket_id=sheet.bucket_id, team_id=sheet.team_id, cash_cents=match.cash_cents,
            checks_cents=match.checks_cents, total_cents=match.total_cents)
        totals = {f"count_{c.letter.lower()}_total_cents": c.total_cents for c in counts}
        totals[f"count_{letter.lower()}_total_cents"] = count.total_cents
        audit(action="count.agreed", subject=str(sheet.bucket), by=counter,
              event=sheet.event_id,
              after={"sheet": sheet.pk, "count": match.letter, "matched": letter,
                     "cash_cents": match.cash_cents, "checks_cents": match.checks_cents,
                     "total_cents": match.total_cents, **totals})
    return count


def count_outcome(count: Count) -> str:
    """One sentence for the counter who just submitted ``count``: saved, agreed, or which
    recount is needed. Amounts only once agreed (every treasurer may see them then): a
    message left unread on a shared tablet must not show the next counter a figure."""
    sheet = (CountSheet.objects.select_related("bucket", "agreed__count", "agreed__matched")
             .prefetch_related(counts_prefetch()).get(pk=count.sheet_id))
    agreed = sheet_agreed(sheet)
    counts = list(sheet.counts.all())
    values = {"letter": count.letter, "bucket": sheet.bucket}
    if agreed is not None and count.pk in (agreed.count_id, agreed.matched_id):
        other = agreed.count if agreed.matched_id == count.pk else agreed.matched
        return _("Count %(letter)s is saved and equals count %(other)s: %(bucket)s is agreed "
                 "at %(total)s.") % {**values, "other": other.letter,
                                     "total": format_cents(agreed.total_cents)}
    if len(counts) == 1:
        return _("Count %(letter)s of %(bucket)s is saved. Now a second treasurer counts it "
                 "blind (count B).") % values
    if count.letter == "B":
        return _("Count B differs from count A: a recount (count C) is needed, by someone "
                 "who has not counted %(bucket)s yet. The counts are side by side below.") \
            % values
    return _("Count %(letter)s matches no earlier count of %(bucket)s: another recount is "
             "needed.") % values


# --- Odd items -----------------------------------------------------------------------------


@transaction.atomic
def proceeds_post(*, odd_item: OddItem, how: str, amount_cents: int, note: str,
                  by: User) -> OddItemProceeds:
    """What an odd item of a bucket's agreed count brought when exchanged or sold (or that it
    had no value), posted back to the bucket once. Refused: an item of a count that is not
    the agreed one, an item already posted, a locked drive. Audit ``proceeds.posted``."""
    item = OddItem.objects.select_related("count__sheet__bucket").get(pk=odd_item.pk)
    event_id = item.count.event_id
    lock_drive(event_id)
    _refuse_unless_treasurer(by)
    refuse_if_locked(event_id)
    agreed = AgreedCount.objects.filter(count_id=item.count_id).first()
    bucket = item.count.sheet.bucket
    if agreed is None:
        raise MoneyError(_("Only the odd items of %(bucket)s's agreed count are posted: this "
                           "one is on count %(letter)s, which is not the agreed count.")
                         % {"bucket": bucket, "letter": item.count.letter})
    earlier = OddItemProceeds.objects.filter(odd_item_id=item.pk).select_related("by").first()
    if earlier is not None:
        raise MoneyConflict(_("What “%(item)s” brought is already posted (%(amount)s, by "
                              "%(person)s). A correction is an adjustment entry.")
                            % {"item": item.description,
                               "amount": format_cents(earlier.amount_cents),
                               "person": earlier.by})
    if how not in OddItemProceeds.How.values:
        raise MoneyError(_("Say whether it was exchanged, sold, or had no value."), "how")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise MoneyError(_("Enter an amount in dollars and cents, like 12.50."), "amount")
    if amount_cents < 0:
        raise MoneyError(_("The amount cannot be negative."), "amount")
    if amount_cents > MAX_CENTS:
        raise MoneyError(_("That amount is too large to be right."), "amount")
    if how == OddItemProceeds.How.NO_VALUE and amount_cents:
        raise MoneyError(_("An item with no value brought nothing: leave the amount at 0, or "
                           "choose exchanged or sold."), "amount")
    if how != OddItemProceeds.How.NO_VALUE and not amount_cents:
        raise MoneyError(_("Write what it brought. If it brought nothing, choose “No "
                           "value”."), "amount")
    note = _text(note, field="note", limit=PROCEEDS_NOTE_MAX)
    if how == OddItemProceeds.How.NO_VALUE and not note:
        raise MoneyError(_("Say what became of it (returned to the donor, thrown away, kept "
                           "as a gift…)."), "note")
    proceeds = OddItemProceeds.objects.create(
        odd_item=item, agreed=agreed, event_id=event_id, how=how, amount_cents=amount_cents,
        note=note, by=by)
    audit(action="proceeds.posted",
          subject=_("%(bucket)s, odd item “%(item)s”") % {"bucket": bucket,
                                                         "item": item.description[:60]},
          by=by, event=event_id,
          after={"odd_item": item.pk, "agreed": agreed.pk, "how": how,
                 "amount_cents": amount_cents, "note": note})
    return proceeds

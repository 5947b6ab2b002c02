"""Bucket custody: the services that add rows to a bucket's custody log, and the reads.

A bucket's state is its latest CustodyEvent (never a field edited in place). Each service runs
in one transaction: lock the Bucket row (``select_for_update``), read its latest step, decide,
insert one row (and an Incident for lost / stolen). Two organizers issuing the same bucket at
the same moment therefore queue on the row lock, and the second one reads the first one's
"issued" step and is refused. Nothing here edits or deletes a custody row: a broken or
different seal on return stays flagged for the treasurers.

Every service takes an optional ``request_token`` (the form's one-time UUID): a re-post of the
same form (a weak signal in the street) returns the first row unchanged, without a second row
and without an error.

Refusals raise ``CustodyError`` with a message written for the organizer at the staging point
(or the volunteer on the phone) and the name of the form field it belongs to."""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    CharField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from events.models import Event, Shift
from volunteers.models import Signup, User
from volunteers.rules import is_organizer

from .handoff import code_matches
from .models import Bucket, CustodyEvent, Incident

Kind = CustodyEvent.Kind
OUT_KINDS = (Kind.ISSUED, Kind.HANDED_OVER)
MISSING_KINDS = (Kind.LOST, Kind.STOLEN)
# "In stock": never issued, returned, or found.
IN_STOCK_KINDS = (Kind.RETURNED, Kind.FOUND)

SEAL_NUMBER_MAX = CustodyEvent._meta.get_field("seal_number").max_length
OVERRIDE_REASON_MAX = CustodyEvent._meta.get_field("override_reason").max_length
POLICE_REPORT_MAX = Incident._meta.get_field("police_report_number").max_length


class CustodyError(Exception):
    """A custody step Rally refuses; ``field`` names the form field the message belongs to
    (None: a message for the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Reads ---------------------------------------------------------------------------------


def bucket_state(bucket: Bucket) -> CustodyEvent | None:
    """The bucket's latest custody step (None: never issued), with its people and place."""
    return (
        CustodyEvent.objects.filter(bucket_id=bucket.pk)
        .select_related("holder", "from_holder", "by", "team", "shift__site", "shift__event",
                        "incident")
        .order_by("-at", "-pk").first()
    )


def state_of(latest_kind: str | None, is_active: bool = True) -> str:
    """One word for a bucket's state from its latest step's kind: "in_stock" (never issued,
    returned or found), "out" (issued or handed over), "lost", "stolen"; "retired" for an
    inactive bucket."""
    if not is_active:
        return "retired"
    if latest_kind in OUT_KINDS:
        return "out"
    if latest_kind in MISSING_KINDS:
        return str(latest_kind)
    return "in_stock"


def buckets_with_state(queryset: QuerySet[Bucket] | None = None) -> QuerySet[Bucket]:
    """``queryset`` (default: every bucket) annotated with its latest custody step, in one
    query however many buckets:

    ``latest_id``, ``latest_kind`` (None: never issued), ``latest_at``, ``latest_holder_id``,
    ``latest_holder_name``, ``latest_shift_id``, ``latest_site_id``, ``latest_site_name``,
    ``latest_event_id``, ``latest_team_id``, ``latest_team_name``, ``latest_seal_number``,
    ``latest_shift_ends_at`` (overdue = out and ended), and ``custody_state`` ("in_stock",
    "out", "lost", "stolen", "retired", as ``state_of``)."""
    if queryset is None:
        queryset = Bucket.objects.all()
    # One correlated subquery finds each bucket's latest step (the (bucket, -at, -id) index
    # answers it); a filtered join then reads that row's columns.
    latest_pk = CustodyEvent.objects.filter(bucket_id=OuterRef("pk")).order_by("-at", "-pk")
    return queryset.annotate(
        latest_id=Subquery(latest_pk.values("pk")[:1]),
        latest=FilteredRelation("custody", condition=Q(custody__pk=F("latest_id"))),
    ).annotate(
        latest_kind=F("latest__kind"),
        latest_at=F("latest__at"),
        latest_holder_id=F("latest__holder_id"),
        latest_holder_name=F("latest__holder__display_name"),
        latest_shift_id=F("latest__shift_id"),
        latest_site_id=F("latest__shift__site_id"),
        latest_site_name=F("latest__shift__site__name"),
        latest_event_id=F("latest__shift__event_id"),
        latest_shift_ends_at=F("latest__shift__ends_at"),
        latest_team_id=F("latest__team_id"),
        latest_team_name=F("latest__team__name"),
        latest_seal_number=F("latest__seal_number"),
    ).annotate(
        custody_state=Case(
            When(is_active=False, then=Value("retired")),
            When(latest_kind__in=OUT_KINDS, then=Value("out")),
            When(latest_kind=Kind.LOST, then=Value("lost")),
            When(latest_kind=Kind.STOLEN, then=Value("stolen")),
            default=Value("in_stock"),
            output_field=CharField(),
        ),
    )


def bucket_history(bucket: Bucket) -> QuerySet[CustodyEvent]:
    """Every custody step of ``bucket``, oldest first, with its people, place and incident
    (one query)."""
    return (
        CustodyEvent.objects.filter(bucket_id=bucket.pk)
        .select_related("holder", "from_holder", "by", "team", "shift__site", "shift__event",
                        "incident")
        .order_by("at", "pk")
    )


# --- Helpers shared by the services -------------------------------------------------------


def _locked(bucket: Bucket) -> Bucket:
    return Bucket.objects.select_for_update().get(pk=bucket.pk)


def _token(request_token) -> uuid.UUID | None:
    if request_token in (None, ""):
        return None
    if isinstance(request_token, uuid.UUID):
        return request_token
    try:
        return uuid.UUID(str(request_token))
    except ValueError:
        raise CustodyError(_("This form has expired. Reload the page and try again."),
                           "request_token") from None


def _already_recorded(token: uuid.UUID | None) -> CustodyEvent | None:
    if token is None:
        return None
    return CustodyEvent.objects.filter(request_token=token).first()


def _begin(bucket: Bucket, request_token) -> tuple[uuid.UUID | None, Bucket, CustodyEvent | None]:
    """Every step starts here: lock the bucket row, then look for the row a re-post of the
    same form (same token) already recorded."""
    token = _token(request_token)
    bucket = _locked(bucket)
    return token, bucket, _already_recorded(token)


def _insert(token: uuid.UUID | None, **fields) -> CustodyEvent:
    """Add the row; if the same form was recorded meanwhile (another bucket's lock), return
    that row instead."""
    try:
        with transaction.atomic():
            return CustodyEvent.objects.create(request_token=token, **fields)
    except IntegrityError:
        first = _already_recorded(token)
        if first is None:
            raise
        return first


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "N j, P")


def _refuse_unless_in_stock(bucket: Bucket, latest: CustodyEvent | None) -> None:
    if not bucket.is_active:
        raise CustodyError(
            _("Bucket %(number)s is retired and cannot be issued. Pick another bucket.")
            % {"number": bucket.number}, "bucket")
    if latest is None or latest.kind in IN_STOCK_KINDS:
        return
    if latest.kind in OUT_KINDS:
        site = latest.shift.site.name if latest.shift and latest.shift.site else ""
        raise CustodyError(
            _("Bucket %(number)s is already out with %(holder)s%(at_site)s since %(when)s. "
              "It must come back to the staging point (or be handed over) first.")
            % {"number": bucket.number, "holder": latest.holder,
               "at_site": (_(" at %(site)s") % {"site": site}) if site else "",
               "when": _when(latest.at)}, "bucket")
    kind = _("stolen") if latest.kind == Kind.STOLEN else _("lost")
    raise CustodyError(
        _("Bucket %(number)s was reported %(kind)s on %(when)s. Record it as found before "
          "issuing it again.") % {"number": bucket.number, "kind": kind,
                                  "when": _when(latest.at)}, "bucket")


def _refuse_unless_out(bucket: Bucket, latest: CustodyEvent | None, action: str) -> None:
    """``action`` is a phrase: "returned", "handed over"."""
    if latest is not None and latest.kind in OUT_KINDS:
        return
    if latest is None:
        raise CustodyError(
            _("Bucket %(number)s was never issued, so it cannot be %(action)s. Check the "
              "number on the bucket.") % {"number": bucket.number, "action": action}, "bucket")
    if latest.kind == Kind.RETURNED:
        raise CustodyError(
            _("Bucket %(number)s was already returned on %(when)s (received by %(by)s). "
              "It cannot be %(action)s again until it is issued again.")
            % {"number": bucket.number, "when": _when(latest.at), "by": latest.by,
               "action": action}, "bucket")
    if latest.kind in MISSING_KINDS:
        kind = _("stolen") if latest.kind == Kind.STOLEN else _("lost")
        raise CustodyError(
            _("Bucket %(number)s was reported %(kind)s on %(when)s. If it is back, record it "
              "as found.") % {"number": bucket.number, "kind": kind, "when": _when(latest.at)},
            "bucket")
    raise CustodyError(
        _("Bucket %(number)s is in stock, not out on the street, so it cannot be %(action)s.")
        % {"number": bucket.number, "action": action}, "bucket")


def _check_receiver_code(*, to: User, event: Event, receiver_code, override_reason: str,
                         by: User) -> str:
    """The receiver's personal code must match, unless an organizer writes why it was not
    checked. Returns the override reason to record ("" when the code was checked)."""
    reason = (override_reason or "").strip()
    if reason:
        if not is_organizer(by):
            raise CustodyError(
                _("Only an organizer can skip the receiver's code. Ask %(person)s for the code "
                  "on their “My shifts” page.") % {"person": to}, "override_reason")
        if len(reason) > OVERRIDE_REASON_MAX:
            raise CustodyError(
                _("Keep the reason under %(max)s characters.") % {"max": OVERRIDE_REASON_MAX},
                "override_reason")
        return reason
    if not (receiver_code or "").strip():
        raise CustodyError(
            _("Enter %(person)s's personal code: it is on their “My shifts” page (or scan its "
              "QR code).") % {"person": to}, "receiver_code")
    if not code_matches(receiver_code, to, event):
        raise CustodyError(
            _("That is not %(person)s's code. Check the code on their own phone, or if you are "
              "sure who they are, an organizer can write a reason instead.") % {"person": to},
            "receiver_code")
    return ""


def _confirmed_signup(person: User, shift: Shift) -> Signup | None:
    return (
        Signup.objects.filter(shift=shift, volunteer=person, status=Signup.Status.CONFIRMED)
        .first()
    )


def _clean_seal(seal_number) -> str:
    seal = " ".join(str(seal_number or "").split())
    if not seal:
        raise CustodyError(_("Enter the number printed on the seal."), "seal_number")
    if len(seal) > SEAL_NUMBER_MAX:
        raise CustodyError(
            _("A seal number has at most %(max)s characters.") % {"max": SEAL_NUMBER_MAX},
            "seal_number")
    return seal


def _same_seal(a: str, b: str) -> bool:
    """Seal numbers compared as printed, ignoring case, spaces and dashes."""
    def norm(s):
        return "".join(ch for ch in s.upper() if ch.isalnum())
    return bool(a) and norm(a) == norm(b)


# --- Services ------------------------------------------------------------------------------


@transaction.atomic
def bucket_create(*, number: int, kind: str = Bucket.Kind.BUCKET, by: User) -> Bucket:
    """A new bucket, in stock. Numbers are unique (the database holds it too)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise CustodyError(_("Enter the number painted on the bucket."), "number") from None
    if number < 1:
        raise CustodyError(_("A bucket number is 1 or more."), "number")
    if kind not in Bucket.Kind.values:
        raise CustodyError(_("Choose bucket, tin or kettle."), "kind")
    if Bucket.objects.filter(number=number).exists():
        raise CustodyError(
            _("There is already a bucket %(number)s. Each bucket needs its own number.")
            % {"number": number}, "number")
    try:
        with transaction.atomic():
            return Bucket.objects.create(number=number, kind=kind)
    except IntegrityError:
        raise CustodyError(
            _("There is already a bucket %(number)s. Each bucket needs its own number.")
            % {"number": number}, "number") from None


@transaction.atomic
def bucket_retire(*, bucket: Bucket, by: User) -> Bucket:
    """Take a bucket out of use (it keeps its history). A bucket out on the street is refused:
    it comes back first. Retiring it again changes nothing."""
    bucket = _locked(bucket)
    latest = bucket_state(bucket)
    if latest is not None and latest.kind in OUT_KINDS:
        raise CustodyError(
            _("Bucket %(number)s is out with %(holder)s. Receive it back before retiring it.")
            % {"number": bucket.number, "holder": latest.holder}, "bucket")
    if bucket.is_active:
        bucket.is_active = False
        bucket.save(update_fields=["is_active"])
    return bucket


@transaction.atomic
def bucket_issue(*, bucket: Bucket, shift: Shift, to: User, seal_number: str, by: User,
                 receiver_code: str | None = None, override_reason: str = "",
                 request_token=None) -> CustodyEvent:
    """Issue a sealed bucket to ``to``, confirmed on the street ``shift``: one "issued" row
    (holder ``to``, the shift and its team, the seal number). Refused: a retired, lost,
    stolen or already-out bucket; a shift without a site or cancelled; a receiver not
    confirmed on the shift; no seal number; a wrong receiver's code without an organizer's
    override reason."""
    token, bucket, first = _begin(bucket, request_token)
    if first is not None:
        return first
    latest = bucket_state(bucket)
    _refuse_unless_in_stock(bucket, latest)
    shift = Shift.objects.select_related("event", "site").get(pk=shift.pk)
    if shift.site_id is None:
        raise CustodyError(
            _("Buckets go out only on street shifts. Choose a shift at a collection site."),
            "shift")
    if shift.is_cancelled or shift.event.is_cancelled:
        raise CustodyError(_("This shift is cancelled."), "shift")
    signup = _confirmed_signup(to, shift)
    if signup is None:
        raise CustodyError(
            _("%(person)s is not confirmed on this shift at %(site)s. Only someone on the "
              "shift can take its bucket.") % {"person": to, "site": shift.site.name}, "to")
    seal = _clean_seal(seal_number)
    reason = _check_receiver_code(to=to, event=shift.event, receiver_code=receiver_code,
                                  override_reason=override_reason, by=by)
    return _insert(
        token, bucket=bucket, kind=Kind.ISSUED, shift=shift,
        team_id=signup.team_id or shift.held_for_id, holder=to, seal_number=seal,
        override_reason=reason, by=by,
    )


def _receiving_shift(to: User, current: Shift) -> Signup | None:
    """The receiver's confirmed place at the bucket's site on the same drive: the first
    window from the end of the current one (the next shift), else the latest before it."""
    signups = list(
        Signup.objects.filter(
            volunteer=to, status=Signup.Status.CONFIRMED, shift__site_id=current.site_id,
            shift__event_id=current.event_id, shift__is_cancelled=False,
        ).select_related("shift").order_by("shift__starts_at", "shift__pk")
    )
    later = [s for s in signups if s.shift.starts_at >= current.ends_at]
    if later:
        return later[0]
    return signups[-1] if signups else None


@transaction.atomic
def bucket_hand_over(*, bucket: Bucket, to: User, by: User, receiver_code: str | None = None,
                     override_reason: str = "", request_token=None) -> CustodyEvent:
    """Hand an out bucket to ``to``, confirmed on a shift at the same site of the same drive
    (typically the next window): one "handed_over" row (from the current holder to ``to``, on
    the receiver's shift, the seal carried over). Only the current holder or an organizer
    hands over; the receiver's code is checked unless an organizer writes a reason."""
    token, bucket, first = _begin(bucket, request_token)
    if first is not None:
        return first
    latest = bucket_state(bucket)
    _refuse_unless_out(bucket, latest, _("handed over"))
    if not (is_organizer(by) or latest.holder_id == by.pk):
        raise CustodyError(
            _("Only %(holder)s, who holds bucket %(number)s, or an organizer can hand it over.")
            % {"holder": latest.holder, "number": bucket.number})
    if latest.holder_id == to.pk:
        raise CustodyError(
            _("%(person)s already holds bucket %(number)s.")
            % {"person": to, "number": bucket.number}, "to")
    current = latest.shift
    signup = _receiving_shift(to, current)
    if signup is None:
        raise CustodyError(
            _("%(person)s is not on a shift at %(site)s on this drive. A bucket is handed only "
              "to the volunteer taking the next shift at the same site.")
            % {"person": to, "site": current.site.name}, "to")
    reason = _check_receiver_code(to=to, event=current.event, receiver_code=receiver_code,
                                  override_reason=override_reason, by=by)
    return _insert(
        token, bucket=bucket, kind=Kind.HANDED_OVER, shift=signup.shift,
        team_id=signup.team_id or signup.shift.held_for_id, holder=to,
        from_holder_id=latest.holder_id, seal_number=latest.seal_number,
        override_reason=reason, by=by,
    )


def _issued_seal(bucket: Bucket) -> str:
    issued = (
        CustodyEvent.objects.filter(bucket_id=bucket.pk, kind=Kind.ISSUED)
        .order_by("-at", "-pk").values_list("seal_number", flat=True).first()
    )
    return issued or ""


@transaction.atomic
def bucket_return(*, bucket: Bucket, seal_number: str, seal_intact: bool, by: User,
                  note: str = "", request_token=None) -> CustodyEvent:
    """Receive an out bucket at the staging point: one "returned" row with the seal number
    seen, whether the seal was intact, and whether it is the seal applied at issue
    (``seal_matches``). A broken or different seal is recorded as seen and the row is
    ``flagged`` for the treasurers; no service edits or deletes it. A bucket never issued,
    already returned, lost or stolen is refused."""
    token, bucket, first = _begin(bucket, request_token)
    if first is not None:
        return first
    latest = bucket_state(bucket)
    _refuse_unless_out(bucket, latest, _("returned"))
    seal = _clean_seal(seal_number)
    if seal_intact is None or seal_intact == "":
        raise CustodyError(_("Say whether the seal was intact."), "seal_intact")
    return _insert(
        token, bucket=bucket, kind=Kind.RETURNED, shift_id=latest.shift_id,
        team_id=latest.team_id, holder=None, from_holder_id=latest.holder_id,
        seal_number=seal, seal_intact=bool(seal_intact),
        seal_matches=_same_seal(seal, _issued_seal(bucket)), note=(note or "").strip(), by=by,
    )


def _clean_description(description) -> str:
    text = (description or "").strip()
    if not text:
        raise CustodyError(_("Say what happened: where, when, who saw it."), "description")
    return text


def _clean_police_number(number) -> str:
    number = (number or "").strip()
    if len(number) > POLICE_REPORT_MAX:
        raise CustodyError(
            _("A police report number has at most %(max)s characters.")
            % {"max": POLICE_REPORT_MAX}, "police_report_number")
    return number


@transaction.atomic
def bucket_report_missing(*, bucket: Bucket, kind: str, description: str,
                          police_report_number: str = "", by: User, request_token=None,
                          event: Event | None = None) -> CustodyEvent:
    """Report a bucket lost or stolen: an Incident (lost bucket / theft, at the bucket's last
    site and shift, with the police report number if there is one) and a "lost" / "stolen"
    row pointing at it. The bucket cannot be issued until it is found. ``event`` is needed
    only for a bucket that was never out on a drive."""
    if kind not in MISSING_KINDS:
        raise CustodyError(_("Choose lost or stolen."), "kind")
    token, bucket, first = _begin(bucket, request_token)
    if first is not None:
        return first
    latest = bucket_state(bucket)
    if latest is not None and latest.kind in MISSING_KINDS:
        raise CustodyError(
            _("Bucket %(number)s was already reported %(kind)s on %(when)s.")
            % {"number": bucket.number, "kind": latest.get_kind_display().lower(),
               "when": _when(latest.at)}, "bucket")
    text = _clean_description(description)
    police = _clean_police_number(police_report_number)
    shift = latest.shift if latest is not None else None
    drive = event or (shift.event if shift is not None else None)
    if drive is None:
        raise CustodyError(
            _("Bucket %(number)s has never been out on a drive. Choose the drive it went "
              "missing from.") % {"number": bucket.number}, "event")
    incident = Incident.objects.create(
        event=drive,
        kind=Incident.Kind.THEFT if kind == Kind.STOLEN else Incident.Kind.LOST_BUCKET,
        site_id=shift.site_id if shift is not None else None, shift=shift, bucket=bucket,
        description=text, police_report_number=police, reported_by=by,
    )
    out = latest is not None and latest.kind in OUT_KINDS
    return _insert(
        token, bucket=bucket, kind=kind, shift=shift,
        team_id=latest.team_id if latest is not None else None, holder=None,
        from_holder_id=latest.holder_id if out else None,
        seal_number=latest.seal_number if out else "", note=text, incident=incident, by=by,
    )


@transaction.atomic
def bucket_found(*, bucket: Bucket, by: User, note: str = "", request_token=None
                 ) -> CustodyEvent:
    """A lost or stolen bucket is back: one "found" row (linked to the incident); the bucket
    is in stock again. Any other bucket is refused."""
    token, bucket, first = _begin(bucket, request_token)
    if first is not None:
        return first
    latest = bucket_state(bucket)
    if latest is None or latest.kind not in MISSING_KINDS:
        raise CustodyError(
            _("Bucket %(number)s was not reported lost or stolen, so it cannot be found.")
            % {"number": bucket.number}, "bucket")
    return _insert(
        token, bucket=bucket, kind=Kind.FOUND, shift_id=latest.shift_id,
        team_id=latest.team_id, note=(note or "").strip(), incident_id=latest.incident_id,
        by=by,
    )


@transaction.atomic
def incident_create(*, event: Event, kind: str, description: str, by: User, site=None,
                    shift: Shift | None = None, bucket: Bucket | None = None,
                    police_report_number: str = "") -> Incident:
    """Log an incident on a drive (theft, aggression, injury, lost bucket, other), at a site,
    shift and bucket when known. A shift gives its site. To report a bucket lost or stolen
    (so it cannot be issued) use ``bucket_report_missing``, which logs the incident too."""
    if kind not in Incident.Kind.values:
        raise CustodyError(_("Choose what happened."), "kind")
    text = _clean_description(description)
    police = _clean_police_number(police_report_number)
    if shift is not None:
        if shift.event_id != event.pk:
            raise CustodyError(_("That shift is not on this drive."), "shift")
        if site is None and shift.site_id is not None:
            site = shift.site
        elif site is not None and shift.site_id not in (None, site.pk):
            raise CustodyError(_("That shift is at another site."), "site")
    return Incident.objects.create(
        event=event, kind=kind, site=site, shift=shift, bucket=bucket, description=text,
        police_report_number=police, reported_by=by,
    )

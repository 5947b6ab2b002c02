"""The counting table's reads: who may count, the returns waiting to be opened, the sheets of
a session or drive (constant queries for list pages), a sheet's state, who held a bucket on a
trip, whether a counter is independent of it, and the blind rule (who may see which figures)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from events.models import Event
from volunteers.models import Role, TeamMembership, User

from ..models import AgreedCount, Count, CountSession, CountSheet, CustodyEvent, MoneyAudit
from ..rules import can_handle_money

Kind = CustodyEvent.Kind
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def treasurers() -> QuerySet[User]:
    """Everyone who may count: treasurers and superusers, active accounts only."""
    return (User.objects.filter(Q(role_grants__role=Role.TREASURER) | Q(is_superuser=True),
                                is_active=True)
            .distinct().order_by("display_name", "email"))


def returned_uncounted(event: Event) -> QuerySet[CustodyEvent]:
    """The drive's custody "returned" rows that no count sheet has opened yet, by bucket
    number (one query)."""
    return (CustodyEvent.objects
            .filter(kind=Kind.RETURNED, shift__event_id=event.pk, count_sheet__isnull=True)
            .select_related("bucket", "team", "from_holder")
            .order_by("bucket__number", "at", "pk"))


def counts_prefetch() -> Prefetch:
    return Prefetch("counts", queryset=Count.objects.select_related("counter")
                    .order_by("letter"))


def sheets_for(scope: CountSession | Event) -> QuerySet[CountSheet]:
    """The count sheets of a session (or of a whole drive) with their bucket, team, custody
    return, session, agreed count and counts (with their counters): two queries however
    many sheets. ``sheet_state`` reads them without asking the database again."""
    if isinstance(scope, CountSession):
        sheets = CountSheet.objects.filter(session_id=scope.pk)
    else:
        sheets = CountSheet.objects.filter(event_id=scope.pk)
    return (sheets.select_related("bucket", "team", "returned__from_holder", "session",
                                  "agreed")
            .prefetch_related(counts_prefetch())
            .order_by("bucket__number", "pk"))


def sheet_agreed(sheet: CountSheet) -> AgreedCount | None:
    try:
        return sheet.agreed
    except AgreedCount.DoesNotExist:
        return None


def sheet_state(sheet: CountSheet) -> str:
    """"opened" (no count yet), "counting" (A in, B not), "recount" (the counts differ and
    none agree yet) or "agreed"."""
    if sheet_agreed(sheet) is not None:
        return "agreed"
    submitted = len(sheet.counts.all())
    if submitted == 0:
        return "opened"
    if submitted == 1:
        return "counting"
    return "recount"


def next_letter(counts: list[Count]) -> str | None:
    """The letter the next count of a sheet gets (None past Z)."""
    return LETTERS[len(counts)] if len(counts) < len(LETTERS) else None


def trip_holders(returned: CustodyEvent) -> set[int]:
    """The people (user ids) who held the bucket on the trip that ``returned`` ends: the
    holders of the custody rows from the latest "issued" row before the return up to it."""
    rows = CustodyEvent.objects.filter(bucket_id=returned.bucket_id)
    before_return = Q(at__lt=returned.at) | Q(at=returned.at, pk__lt=returned.pk)
    issued = (rows.filter(before_return, kind=Kind.ISSUED).order_by("-at", "-pk")
              .values("at", "pk").first())
    if issued is None:  # a return without an issue before it: only its own row
        trip = rows.filter(pk=returned.pk)
    else:
        trip = rows.filter(before_return | Q(pk=returned.pk)).filter(
            Q(at__gt=issued["at"]) | Q(at=issued["at"], pk__gte=issued["pk"]))
    people = set()
    for holder, from_holder in trip.values_list("holder_id", "from_holder_id"):
        people.update(person for person in (holder, from_holder) if person is not None)
    return people


def counter_refusal(*, sheet: CountSheet, counter: User) -> str | None:
    """Why ``counter`` is not independent of this bucket (None: they are). Not being a
    treasurer is refused outright by ``count_submit``; the other reasons may be overridden
    with a written reason."""
    if not can_handle_money(counter):
        return _("%(person)s is not a treasurer: only treasurers count money.") % {
            "person": counter}
    reasons = []
    bucket = sheet.bucket
    if sheet.team_id and TeamMembership.objects.filter(team_id=sheet.team_id,
                                                       user_id=counter.pk).exists():
        reasons.append(_("You are on %(team)s, the team that collected %(bucket)s.") % {
            "team": sheet.team.name, "bucket": bucket})
    if counter.pk in trip_holders(sheet.returned):
        reasons.append(_("You held %(bucket)s on this trip (custody log).") % {
            "bucket": bucket})
    earlier = [c.letter for c in sheet.counts.all() if c.counter_id == counter.pk]
    if earlier:
        reasons.append(_("You already made count %(letters)s of %(bucket)s.") % {
            "letters": ", ".join(earlier), "bucket": bucket})
    if not reasons:
        return None
    return " ".join(reasons) + " " + _(
        "Counts are made by people independent of the bucket. If nobody else can count it, "
        "write why; the reason is kept with the count and shown in the reports.")


def figures_visible(*, sheet: CountSheet, user: User, count: Count | None = None) -> bool:
    """May ``user`` see the figures of ``count`` (or, without ``count``, of every count of
    the sheet)? Once agreed: yes. Before A and B are both in: only a counter, their own
    count. While a recount is pending: only the people who counted this bucket."""
    counts = list(sheet.counts.all())
    if count is not None and count.counter_id == user.pk:
        return True
    if sheet_agreed(sheet) is not None:
        return True
    if len(counts) < 2:
        return False
    return any(c.counter_id == user.pk for c in counts)


def count_signature(quantities: dict[str, int], check_amounts: Iterable[int],
                    odd_items: int) -> tuple:
    """What two counts must share to agree: the quantity of each denomination, the amounts
    of the checks (in any order), the number of odd items."""
    lines = frozenset((code, qty) for code, qty in quantities.items() if qty)
    return lines, tuple(sorted(check_amounts)), odd_items


def signature_of(count: Count) -> tuple:
    return count_signature({line.denomination: line.quantity for line in count.lines.all()},
                           [check.amount_cents for check in count.checks.all()],
                           len(count.odd_items.all()))


def counts_equal(a: Count, b: Count) -> bool:
    return signature_of(a) == signature_of(b)


def last_saved_by(session: CountSession) -> User | None:
    """Who last opened or edited the session (from the audit trail)."""
    row = (MoneyAudit.objects.filter(action__in=("session.opened", "session.edited"),
                                     event_id=session.event_id, after__session=session.pk)
           .select_related("by").order_by("-at", "-pk").first())
    return row.by if row is not None else None

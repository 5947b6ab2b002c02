"""Demo buckets for `manage.py seed_demo`: buckets 1-40 on the Fresno street drive
(events/demo_drive.py), in every custody state, written through the custody services with the
receivers' personal codes, as the staging point would:

- 1-4 issued to the first window's collectors at four corners (out);
- 5 issued, then handed over once to the next window's collector at the same corner;
- 6-7 returned with the seal intact; 8 returned with a broken seal (flagged);
- 9 lost; 10 stolen, with a theft incident and a police report number;
- 11-40 in stock.

The drive is three Saturdays ahead, so the custody steps are dated today, before the drive:
odd for a real drive, but it shows every state on the drive-day view, the map's popups and
the custody pages without a second demo drive. Safe to run twice: buckets are looked up by
number and every step carries a fixed request token, so the services return the first row
unchanged."""

import uuid

from events.models import Event, Shift
from volunteers.models import Signup, User

from .custody import (
    bucket_create,
    bucket_hand_over,
    bucket_issue,
    bucket_report_missing,
    bucket_return,
)
from .handoff import personal_code
from .models import Bucket

BUCKETS = range(1, 41)
POLICE_REPORT = "FPD-26-118734"
_TOKENS = uuid.UUID("5b0c1c4e-6d2a-4a8e-9a57-2f1d0c0ffee0")


def token(step: str) -> uuid.UUID:
    """The same request token on every run: a re-run is a re-post the services ignore."""
    return uuid.uuid5(_TOKENS, step)


def _crews(drive: Event) -> list[tuple[User, User]]:
    """(a first window's collector, another person of the second window) at each corner
    staffed in both windows, in site order."""
    first: dict[int, list[User]] = {}
    second: dict[int, list[User]] = {}
    rows = (Signup.objects.filter(shift__event=drive, shift__site__isnull=False,
                                  status=Signup.Status.CONFIRMED)
            .select_related("volunteer", "shift").order_by("shift__site__name", "pk"))
    starts = sorted(set(Shift.objects.filter(event=drive, site__isnull=False)
                        .values_list("starts_at", flat=True)))
    for signup in rows:
        window = first if signup.shift.starts_at == starts[0] else second
        window.setdefault(signup.shift.site_id, []).append(signup.volunteer)
    crews = []
    for site, collectors in first.items():
        takers = [p for p in second.get(site, []) if p.pk != collectors[0].pk]
        if takers:
            crews.append((collectors[0], takers[0]))
    return crews


def _shift_of(person: User, drive: Event, window_start) -> Shift:
    return Shift.objects.get(event=drive, starts_at=window_start, signups__volunteer=person,
                             signups__status=Signup.Status.CONFIRMED)


def seed_buckets(people: dict, drive: Event) -> None:
    organizer = people["organizers"][0]
    existing = set(Bucket.objects.filter(number__in=BUCKETS).values_list("number", flat=True))
    for number in BUCKETS:
        if number not in existing:
            bucket_create(number=number, kind=Bucket.Kind.BUCKET, by=organizer)
    buckets = {b.number: b for b in Bucket.objects.filter(number__in=BUCKETS)}
    crews = _crews(drive)
    if len(crews) < 10:
        return  # the demo drive's crews are not there (an edited database): leave stock
    window_start = min(Shift.objects.filter(event=drive, site__isnull=False)
                       .values_list("starts_at", flat=True))

    def issue(number: int, person: User) -> None:
        bucket_issue(bucket=buckets[number], shift=_shift_of(person, drive, window_start),
                     to=person, seal_number=f"FR-{4100 + number}", by=organizer,
                     receiver_code=personal_code(person, drive),
                     request_token=token(f"issue-{number}"))

    for number, (collector, _next) in zip(range(1, 11), crews, strict=False):
        issue(number, collector)
    handed_to = crews[4][1]
    bucket_hand_over(bucket=buckets[5], to=handed_to, by=organizer,
                     receiver_code=personal_code(handed_to, drive),
                     request_token=token("hand-over-5"))
    for number in (6, 7):
        bucket_return(bucket=buckets[number], seal_number=f"FR-{4100 + number}",
                      seal_intact=True, by=organizer, request_token=token(f"return-{number}"))
    bucket_return(bucket=buckets[8], seal_number="FR-4108", seal_intact=False, by=organizer,
                  note="Seal cut; the collector says it was like that when a driver took it "
                       "for a moment.", request_token=token("return-8"))
    bucket_report_missing(bucket=buckets[9], kind="lost",
                          description="Left on the bench at the bus stop during the change "
                                      "of shift; not there ten minutes later.",
                          by=organizer, request_token=token("lost-9"))
    bucket_report_missing(bucket=buckets[10], kind="stolen",
                          description="A man in a hi-vis vest said he was the driver, took "
                                      "the bucket and drove off. Nobody was hurt.",
                          police_report_number=POLICE_REPORT, by=organizer,
                          request_token=token("stolen-10"))

"""Demo for issue 12 (`manage.py seed_demo`), on October's Fresno drive (donations/demo_money):
every team and site gets a giving code; a Stripe export of card and online gifts made through
the coalition's donation page with those codes is imported (one with a code nobody has, left
unattributed for the treasurer; one from a Spanish-speaking donor of $250); the $300 check
from Robert and Linda Chen is acknowledged by letter; the drive gets its accounting code, a
public team leaderboard and its solicitation permit (for the permit return), and one journal
download has been made. Written through the services; safe to run twice (the import is skipped
once its first reference is in Rally, the acknowledgment, permit and download once they
exist)."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Event, Permit, Shift
from volunteers.models import Team, User

from .acknowledgments import acknowledgment_record, gifts_to_acknowledge
from .card_csv import card_import_commit, default_days, guess_mapping, read_card_csv
from .cards import giving_codes_make
from .exports.journal import journal_export_create
from .models import CardGift, JournalExport

PERMIT_REFERENCE = "SOL-2026-0977"

FILE_NAME = "stripe-payments-october.csv"
HEADER = ("id,Created (UTC),Amount,Fee,Amount Refunded,Currency,Status,Card Name,"
          "Customer Email,code (metadata),language (metadata)")
# (reference, minutes after the drive's start, dollars, fee, donor, email, team index or a
# code, language)
GIFTS = [
    ("ch_3Q1demoA001", 20, "25.00", "1.03", "Karen Whitmore", "karen.w@example.net", 0, ""),
    ("ch_3Q1demoA002", 45, "10.00", "0.59", "", "", 0, ""),
    ("ch_3Q1demoA003", 70, "50.00", "1.75", "Miguel Torres", "mtorres@example.net", 1, "es"),
    ("ch_3Q1demoA004", 95, "20.00", "0.88", "Jenny Lo", "jenny.lo@example.net", 1, ""),
    ("ch_3Q1demoA005", 110, "5.00", "0.45", "", "", 2, ""),
    ("ch_3Q1demoA006", 130, "100.00", "3.20", "Dave & Sue Carter", "carters@example.net", 2,
     ""),
    ("ch_3Q1demoA007", 150, "250.00", "7.55", "Rosa Elena Maldonado",
     "rosa.maldonado@example.net", 3, "es"),
    ("ch_3Q1demoA008", 175, "15.00", "0.74", "", "", 3, ""),
    ("ch_3Q1demoA009", 200, "35.00", "1.32", "Tom Baxter", "tbaxter@example.net", "FRESNO22",
     ""),
    ("ch_3Q1demoA010", 215, "20.00", "0.88", "Ana Lucia Perez", "alperez@example.net", 0,
     "es"),
]


def _export(drive: Event, codes: list[str]) -> bytes:
    lines = [HEADER]
    for reference, minutes, dollars, fee, name, email, team, language in GIFTS:
        stamp = (drive.starts_at.astimezone(datetime.UTC).replace(tzinfo=None)
                 + datetime.timedelta(minutes=minutes))
        code = codes[team] if isinstance(team, int) else team
        lines.append(",".join([reference, stamp.strftime("%Y-%m-%d %H:%M:%S"), dollars, fee,
                               "0.00", "usd", "Paid", f'"{name}"', email, code, language]))
    return ("\n".join(lines) + "\n").encode()


def seed_gifts(drive: Event | None) -> None:
    if drive is None:
        return
    treasurer = User.objects.get(email="treasurer3@example.org")  # Tom
    organizer = User.objects.get(email="organizer@example.org")
    giving_codes_make(by=organizer)
    if not drive.accounting_code or not drive.show_leaderboard:
        Event.objects.filter(pk=drive.pk).update(accounting_code="4010-P2ST-FRESNO",
                                                 show_leaderboard=True)
    teams = list(Team.objects.filter(custody_events__shift__event=drive, giving_code__isnull=False)
                 .distinct().order_by("name"))
    if len(teams) < 4:
        return
    if not CardGift.objects.filter(reference=GIFTS[0][0]).exists():
        upload = SimpleUploadedFile(FILE_NAME, _export(drive, [t.giving_code for t in teams]),
                                    content_type="text/csv")
        headers, rows = read_card_csv(upload)
        since, until = default_days(drive)
        mapping = {**guess_mapping(headers, rows, processor="stripe"),
                   "since": since.isoformat(), "until": until.isoformat()}
        card_import_commit(event=drive, file_name=FILE_NAME, headers=headers, rows=rows,
                           mapping=mapping, by=treasurer)
    for gift in gifts_to_acknowledge(event=drive):
        if gift.how != "card" and "Chen" in gift.donor_name and gift.acknowledgment is None:
            acknowledgment_record(gift=gift, method="letter", to_address=gift.address,
                                  language="en", with_item=False, by=treasurer)
    _permit(drive, organizer)
    if not JournalExport.objects.filter(event=drive).exists():
        journal_export_create(by=treasurer, event=drive)


def _permit(drive: Event, organizer: User) -> Permit:
    """October's solicitation permit for its four corners, its return due a month after."""
    permit = Permit.objects.filter(reference=PERMIT_REFERENCE).first()
    if permit is None:
        day = drive.starts_at.date()
        permit = Permit.objects.create(
            authority="City of Fresno, Business Tax and Permits", reference=PERMIT_REFERENCE,
            valid_from=day, valid_until=day, daily_start=datetime.time(8),
            daily_end=datetime.time(14), max_collectors=8,
            conditions="Collectors on the sidewalk only; badges visible; sealed containers.",
            return_due=day + datetime.timedelta(days=30), created_by=organizer)
        permit.sites.set(Shift.objects.filter(event=drive, site__isnull=False)
                         .values_list("site_id", flat=True))
    return permit


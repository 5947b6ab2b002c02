"""Card gifts for the tests: a drive three days ago whose team and site have giving codes,
processor exports as Stripe, PayPal, Square and Givebutter write them, the import's steps
through the client, and card gifts written straight with the ORM (for the list pages)."""

import datetime
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from donations.models import CardGift
from tests.donations.money_world import MoneyWorld
from tests.factories import EventFactory

TEAM_CODE = "PCY-27"
SITE_CODE = "BS-44"


def past_world(buckets: int = 1) -> MoneyWorld:
    """A MoneyWorld whose drive was three days ago; its team's code PCY-27, its site's
    BS-44."""
    start = timezone.now().replace(hour=15, minute=0, second=0, microsecond=0) - (
        datetime.timedelta(days=3))
    event = EventFactory(title="Fresno Street Drive", starts_at=start,
                         ends_at=start + datetime.timedelta(hours=6))
    world = MoneyWorld(buckets=buckets, event=event)
    world.team.giving_code = TEAM_CODE
    world.team.save(update_fields=["giving_code"])
    world.site.giving_code = SITE_CODE
    world.site.save(update_fields=["giving_code"])
    world.day = timezone.localdate(start)
    return world


def stripe_csv(day: datetime.date, rows=None) -> str:
    """Stripe's payments export (a few of its many columns, in its order)."""
    header = ("id,Description,Seller Message,Created (UTC),Amount,Amount Refunded,Currency,"
              "Converted Amount,Fee,Tax,Mode,Status,Customer ID,Customer Email,Card Name,"
              "code (metadata)\n")
    rows = rows if rows is not None else [
        ("ch_3PaaA1", "Donation", "25.00", "0.00", "usd", "1.03", "Paid", "ana@example.org",
         "Ana Donor", TEAM_CODE),
        ("ch_3PaaA2", "Donation", "300.00", "0.00", "usd", "9.00", "Paid", "BO@Example.org",
         "Bo Giver", SITE_CODE.lower()),
        ("ch_3PaaA3", "Donation", "10.00", "0.00", "usd", "0.59", "Paid", "", "", "ZZZ-99"),
        ("ch_3PaaA4", "Donation", "40.00", "0.00", "usd", "1.46", "Failed", "", "", TEAM_CODE),
        ("ch_3PaaA5", "Donation", "50.00", "50.00", "usd", "1.75", "Refunded", "", "",
         TEAM_CODE),
        ("ch_3PaaA6", "Donation", "20.00", "5.00", "usd", "0.88", "Paid", "", "Cy Partial",
         TEAM_CODE),
    ]
    lines = [header]
    for index, (ref, desc, amount, refunded, currency, fee, status, email, name,
                code) in enumerate(rows):
        lines.append(f"{ref},{desc},Payment complete.,{day:%Y-%m-%d} 17:{index:02d},{amount},"
                     f"{refunded},{currency},{amount},{fee},0.00,Live,{status},cus_{index},"
                     f"{email},{name},{code}\n")
    return "".join(lines)


def paypal_csv(day: datetime.date) -> str:
    """PayPal's activity download: a donation with the code in "Custom Number", one with the
    giving link there, a withdrawal to the bank, a refund."""
    return (
        '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
        '"From Email Address","To Email Address","Transaction ID","Item Title",'
        '"Custom Number","Note","Balance"\n'
        f'"{day:%m/%d/%Y}","10:15:22","PDT","Dee Giver","Donation Payment","Completed","USD",'
        '"1,250.00","-36.55","1,213.45","dee@example.org","give@coalition.org",'
        '"7XY12345AB678901C","Street drive","PCY-27","","1,213.45"\n'
        f'"{day:%m/%d/%Y}","11:40:00","PDT","Eli Giver","Donation Payment","Completed","USD",'
        '"15.00","-0.82","14.18","eli@example.org","give@coalition.org",'
        '"8AB12345CD678901E","Street drive","https://example.org/donate?code=bs-44",'
        '"For the Blackstone corner","1,227.63"\n'
        f'"{day:%m/%d/%Y}","18:00:00","PDT","","General Withdrawal","Completed","USD",'
        '"-1,000.00","0.00","-1,000.00","give@coalition.org","","9WD0000000000000F","","","",'
        '"227.63"\n'
        f'"{day:%m/%d/%Y}","19:00:00","PDT","Eli Giver","Payment Refund","Completed","USD",'
        '"-15.00","0.82","-14.18","","eli@example.org","1RF0000000000000G","","","",'
        '"212.63"\n'
    )


def square_csv(day: datetime.date) -> str:
    return (
        "Date,Time,Time Zone,Gross Sales,Partial Refunds,Total Collected,Fees,Net Total,"
        "Transaction ID,Payment ID,Description,Event Type,Customer Name,Transaction Status,"
        "Notes\n"
        f"{day:%Y-%m-%d},11:02:10,Pacific Time (US & Canada),$20.00,$0.00,$20.00,-$0.88,"
        "$19.12,sqTx1,sqPay1,Custom Amount,Payment,Cy Donor,Complete,code pcy 27\n"
        f"{day:%Y-%m-%d},12:30:00,Pacific Time (US & Canada),$5.00,$0.00,$5.00,-$0.44,$4.56,"
        "sqTx2,sqPay2,Custom Amount,Payment,,Complete,\n"
    )


def givebutter_csv(day: datetime.date) -> str:
    return (
        "Transaction ID,Campaign Code,Campaign Title,First Name,Last Name,Email,Amount,Fee,"
        "Transaction Date,Method,Status,Team Code\n"
        f"gb_1001,FRESNO26,Street Drive,Flor,Núñez,flor@example.org,100.00,3.20,"
        f"{day:%Y-%m-%d} 09:30:00,card,succeeded,PCY-27\n"
        f"gb_1002,FRESNO26,Street Drive,Gus,Lee,gus@example,35.00,1.32,"
        f"{day:%Y-%m-%d} 10:00:00,card,succeeded,\n"
    )


def other_csv(day: datetime.date) -> str:
    """A processor without a preset (Benevity-like), dates the US way, code in the memo."""
    return (
        "Donation Date,Donor,Donor Email,Gross,Processing Fee,Receipt Number,Memo,Language\n"
        f"{day:%m/%d/%Y},Hana Oda,hana@example.org,75.00,2.50,BNV-0001,Team PCY-27 rocks,"
        "Español\n"
    )


def upload(client, event, text: str, *, processor: str = "stripe",
           name: str = "payments.csv"):
    return client.post(reverse("money_card_import", args=[event.pk]), {
        "step": "upload", "processor": processor,
        "file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def mapping_data(response, **changes) -> dict:
    """What the mapping form on ``response`` would send, with ``changes``."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = "" if value is None else value
    data.update(changes)
    return data


def import_url(event) -> str:
    return reverse("money_card_import", args=[event.pk])


_references = itertools.count(1)


def gift(world, amount_cents: int = 2_500, *, team=None, site=None, code: str = "",
         donor_name: str = "", given_at=None, fee_cents: int = 0, event=None) -> CardGift:
    """A card gift of the drive written with the ORM."""
    number = next(_references)
    return CardGift.objects.create(
        event=event or world.event, processor="Stripe", reference=f"ch_test_{number}",
        code=code, team=team, site=site, amount_cents=amount_cents, fee_cents=fee_cents,
        donor_name=donor_name, given_at=given_at or timezone.now(), entered_by=world.ann)

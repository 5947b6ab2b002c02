"""The newcomer's road to a bucket-collector shift, on a phone, in English and in Spanish:
register, verify, RSVP to the training, be marked attended by an organizer at the training,
confirm 18+ in place, sign up for the collector shift, add it to the calendar, cancel with
confirmation; no page wider than the screen on the way."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from events.models import EventKind, Rsvp, ShiftRole
from tests.factories import EventFactory, ShiftFactory, in_days, organizer
from volunteers.models import Signup, User

from .conftest import browser_as, fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "volunteer": "Volunteer with us", "name": "Your name", "email": "Email",
        "password": "Password:", "again": "Password (again)", "sign_up_account": "Sign Up",
        "verify": "Verify Your Email Address", "confirm": "Confirm",
        "rsvp_training": "RSVP to the training", "rsvp": "RSVP: I am going",
        "going": "You are going.",
        "attended": "Attended", "adult": "I confirm I am 18 or older", "sign_up": "Sign up",
        "signed_up": "You are signed up.", "calendar": "Add to my calendar",
        "my_shifts": "My shifts", "cancel_place": "Cancel my place",
        "cancel_shift": "Cancel my shift", "cancelled": "Cancelled",
    },
    "es": {
        "volunteer": "Haz voluntariado con nosotros", "name": "Tu nombre",
        "email": "Correo electrónico", "password": "Contraseña:",
        "again": "Contraseña (otra vez)", "sign_up_account": "Inscríbete",
        "verify": "Confirma tu correo electrónico", "confirm": "Confirmar",
        "rsvp_training": "Confirma tu asistencia a la capacitación",
        "rsvp": "Sí, voy a asistir",
        "going": "Vas a asistir.", "attended": "Asistió",
        "adult": "Confirmo que tengo 18 años o más", "sign_up": "Inscríbete",
        "signed_up": "Ya tienes tu lugar.", "calendar": "Agregar a mi calendario",
        "my_shifts": "Mis turnos", "cancel_place": "Cancelar mi lugar",
        "cancel_shift": "Cancelar mi turno", "cancelled": "Cancelado",
    },
}




@pytest.mark.parametrize("language", ["en", "es"])
def test_newcomer_becomes_a_bucket_collector_and_cancels(phone, chromium, live_server,
                                                         language):
    t = TEXT[language]
    now = timezone.now()
    training = EventFactory(
        kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training",
        starts_at=now + datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(minutes=150), rsvp_capacity=30,
    )
    drive = EventFactory(kind=EventKind.FUNDRAISER, title="Pledge 2 Stop Trafficking")
    ShiftFactory(event=drive, role=ShiftRole.COLLECTOR, capacity=4, needed=2, min_age=18,
                 required_training=training, starts_at=in_days(5, 7), ends_at=in_days(5, 9))
    boss = organizer()
    widths = []

    phone.goto("/")
    if language == "es":
        phone.get_by_label("Language").select_option("es")
        phone.get_by_role("button", name="Change").click()
    phone.get_by_role("link", name=t["volunteer"]).click()
    phone.get_by_label(t["name"]).fill("Yesenia Romero")
    phone.get_by_label(t["email"]).fill("yesenia@example.org")
    phone.get_by_label(t["password"], exact=True).fill("bucket-drive-sunday-42")
    phone.get_by_label(t["again"]).fill("bucket-drive-sunday-42")
    phone.get_by_role("button", name=t["sign_up_account"]).click()
    phone.get_by_role("heading", name=t["verify"]).wait_for()
    widths.append(fits(phone))
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)",
                     mail.outbox[-1].body).group(1)
    phone.goto(link)
    phone.get_by_role("button", name=t["confirm"]).click()
    phone.wait_for_url("**/")
    newcomer = User.objects.get(email="yesenia@example.org")
    assert newcomer.language == language

    # The drive page says, before any click, what to do: RSVP to the training.
    phone.goto(f"/events/{drive.pk}/")
    widths.append(fits(phone))
    phone.get_by_role("link", name=t["rsvp_training"]).first.click()
    phone.get_by_role("button", name=t["rsvp"]).click()
    phone.get_by_text(t["going"], exact=True).wait_for()
    assert Rsvp.objects.filter(event=training, user=newcomer, status="going").exists()

    # At the training, the organizer taps "Attended" on the RSVP list.
    context, desk = browser_as(chromium, live_server, boss)
    try:
        desk.goto(f"/organize/events/{training.pk}/rsvps/")
        widths.append(fits(desk))
        desk.get_by_role("button", name=re.compile("^Attended.*Yesenia Romero")).click()
        desk.locator(".att-present").wait_for()
    finally:
        context.close()
    assert Rsvp.objects.get(event=training, user=newcomer).attended

    # Back on the drive page: confirm 18+ in place, then sign up.
    phone.goto(f"/events/{drive.pk}/")
    phone.get_by_role("button", name=t["adult"]).click()
    phone.get_by_role("button", name=t["sign_up"]).click()
    phone.get_by_text(t["signed_up"]).wait_for()
    widths.append(fits(phone))
    assert Signup.objects.get(volunteer=newcomer).status == Signup.Status.CONFIRMED

    # Add to calendar: the link gives the shift's invite.
    href = phone.get_by_role("link", name=t["calendar"]).first.get_attribute("href")
    invite = phone.request.get(href)
    assert invite.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in invite.text()

    # My shifts: cancel, with an "are you sure?" step.
    phone.get_by_role("navigation").get_by_role("link", name=t["my_shifts"]).click()
    widths.append(fits(phone))
    phone.get_by_role("link", name=re.compile(t["cancel_place"])).first.click()
    assert Signup.objects.get(volunteer=newcomer).status == Signup.Status.CONFIRMED
    phone.get_by_role("button", name=t["cancel_shift"]).click()
    phone.get_by_text(t["cancelled"], exact=True).first.wait_for()
    widths.append(fits(phone))

    assert Signup.objects.get(volunteer=newcomer).status == Signup.Status.CANCELLED
    assert widths == [True] * len(widths)

"""Within a send batch, a whole email template is rendered once for each value of everything
it reads (``messaging.kept``), and each recipient's copy has their own name filled in. Every
copy must be exactly the email rendered on its own; a template read any other way by the
recipient is kept per recipient; a tag whose reads are unknown is never kept."""

import datetime
import decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.template import engines
from django.utils import timezone

from tests.factories import ShiftFactory, UserFactory
from tests.notifications.test_email_batches import (
    each_on_its_own,
    in_one_batch,
    sent_as_each_alone,
)
from volunteers.messaging import kept, render
from volunteers.messaging.kinds import Kind
from volunteers.models import Message
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PARTS = sorted(
    str(path.relative_to(TEMPLATES)) for path in (TEMPLATES / "emails").glob("*.*")
    if not path.name.startswith(("_", "base."))
)
NAMES = ["Ana O'Brien & <Co>", "José Núñez", "Dee \"D\" Smith"]


def analysed(source: str) -> kept.Reads:
    return kept.reads(engines["django"].engine.from_string(source))


@pytest.mark.parametrize("name", PARTS)
def test_every_email_template_is_known_and_fills_in_only_the_recipients_name(name):
    """No email template falls back to being rendered per message, and the only values left
    out of a template's key are the recipient's printed ones: their name."""
    plan = kept.plan(name)

    assert plan is not None, name
    assert set(plan.printed) <= {("recipient", "name")}
    assert not any(variable.lookups[0] == "recipient" for variable in plan.keyed), name


def test_each_volunteer_on_a_shift_gets_their_own_name_from_one_render(shift, renders):
    """Reminders and confirmations for six volunteers on one shift, in two languages, names
    with quotes, ampersands and angle brackets, and one more on a later shift: each template
    once per shift and language, and every email exactly as rendered on its own."""
    shift.capacity = shift.needed = 6
    shift.save()
    people = [UserFactory(language=language, display_name=name)
              for name in NAMES for language in ("en", "es")]
    for person in people:
        signup_create(shift=shift, volunteer=person, by=person)
    later = ShiftFactory(event=shift.event, title="Second corner", capacity=1, needed=1,
                         starts_at=shift.starts_at + datetime.timedelta(hours=3),
                         ends_at=shift.ends_at + datetime.timedelta(hours=3))
    latecomer = UserFactory(language="en", display_name="Lee")
    signup_create(shift=later, volunteer=latecomer, by=latecomer)
    ids = list(Message.objects.filter(kind__in=[Kind.CONFIRMATION, Kind.REMINDER])
               .values_list("pk", flat=True))

    sent_as_each_alone(ids, renders)

    assert len(mail.outbox) == len(ids) == 7 * 3
    # One render per template, shift and language (both reminders of a shift read the same).
    assert sorted(renders.count(name) for name in set(renders) if "reminder" in name) == [3] * 3
    ana = [email for email in mail.outbox if email.to == [people[0].email]]
    assert len(ana) == 3
    for email in ana:
        assert "Ana O'Brien & <Co>," in email.body
        html = {kind: text for text, kind in email.alternatives}["text/html"]
        assert "Ana O&#x27;Brien &amp; &lt;Co&gt;," in html
        assert "\ue000" not in email.body + html + email.subject
        assert "Núñez" not in email.body + html
        assert "Second corner" not in email.body + html + email.subject
    (lee,) = [email for email in mail.outbox if email.to == [latecomer.email]
              and email.subject.startswith("Reminder")][:1]
    assert "Second corner" in lee.subject and "Hello Lee," in lee.body


def test_text_like_a_marker_is_printed_as_it_is(shift):
    """A name that is exactly this process's markers is printed as it is (each copy is filled
    in one pass), and so is a shift title that looks like one."""
    person = UserFactory(display_name=f"{kept.Slot('0')} {kept.Slot('0').__html__()}")
    shift.title = "Corner \ue000R0\ue001"
    shift.save()
    signup_create(shift=shift, volunteer=person, by=person)
    ids = list(Message.objects.values_list("pk", flat=True))
    now = timezone.now()

    assert in_one_batch(ids, now=now) == each_on_its_own(ids, now=now)


def test_the_recipient_read_in_a_condition_or_a_filter_is_part_of_the_key():
    assert analysed("{{ recipient.name }} {{ recipient.email }}").printed == {
        ("recipient", "name"), ("recipient", "email")}
    for source in ("{% if recipient.name %}{{ recipient.name }}{% endif %}",
                   "{{ recipient.name|upper }}",
                   "{{ shift.label|default:recipient.name }}",
                   "{% for x in recipient.name %}{{ x }}{% endfor %}",
                   "{% load i18n %}{% blocktranslate with n=recipient.name asvar hi %}Hi {{ n }}"
                   "{% endblocktranslate %}{{ hi|upper }}"):
        found = analysed(source)
        assert ("recipient", "name") in found.keyed, source
        assert ("recipient", "name") not in found.printed, source


def test_a_recipient_read_once_as_a_key_is_keyed_for_every_read():
    template = engines["django"].engine.from_string(
        "{% if recipient.email %}{% endif %}Hello {{ recipient.name }}")
    plan = kept.plan_for(template)
    ana = {"recipient": UserFactory.build(display_name="Ana", email="ana@example.org")}
    bo = {"recipient": UserFactory.build(display_name="Bo", email="ana@example.org")}

    assert plan.printed == ()
    assert plan.key(ana, render.kept_key) != plan.key(bo, render.kept_key)


def test_a_template_with_an_unknown_tag_is_never_kept():
    engine = engines["django"].engine
    for source in ('{% now "Y" %}', "{% csrf_token %}", "{% include template_name with a=1 %}",
                   "{% extends base_name %}", "{% debug %}"):
        assert kept.plan_for(engine.from_string(source)) is None, source


def test_outside_a_batch_every_message_is_rendered(shift, volunteer, renders):
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    message = Message.objects.get(kind=Kind.CONFIRMATION)

    for _ in range(2):
        render.message_email(render.load(message.pk), now=timezone.now())

    assert renders.count("emails/confirmation.html") == 2


def test_values_that_print_differently_are_different_keys():
    key = render.kept_key
    assert key(decimal.Decimal("5.0")) != key(decimal.Decimal("5.00"))
    assert key(True) != key(1)
    assert key(-0.0) != key(0.0)
    assert key("5") != key(5)

"""Organizers writing to the volunteers of a shift or of a whole event (a new staging point,
rain): who receives it, and sending it through the outbox.

The audience is read when the message is sent: the confirmed volunteers of the shift (or of
every live shift of the event), the waitlist too when asked, and for a whole event the people
who RSVP'd "going" when asked. Each person gets one copy however many shifts they hold. The
copies are outbox rows inserted in one batch, so sending to 300 volunteers takes as many
queries as sending to 3 (the database may split a large insert: SQLite's 999-parameter
limit; PostgreSQL takes it in one statement)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Rsvp, Shift

from .. import outbox
from ..models import OrganizerMessage, Signup, User
from ..rules import is_organizer

SUBJECT_MAX = 200
BODY_MAX = 5000


class OrganizerMessageError(Exception):
    """A message Rally refuses to send; ``field`` names the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Audience:
    """Who a message goes to: one shift of ``event`` (or all of them when ``shift`` is None),
    the confirmed volunteers, and optionally the waitlist and (whole event only) the RSVPs."""

    event: Event
    shift: Shift | None = None
    include_waitlisted: bool = False
    include_rsvps: bool = False


def audience_recipients(audience: Audience) -> QuerySet[User]:
    """The active accounts the message goes to, each once (one query when evaluated)."""
    statuses = [Signup.Status.CONFIRMED]
    if audience.include_waitlisted:
        statuses.append(Signup.Status.WAITLISTED)
    signups = Signup.objects.filter(
        status__in=statuses, shift__event_id=audience.event.pk, shift__is_cancelled=False
    )
    if audience.shift is not None:
        signups = signups.filter(shift_id=audience.shift.pk)
    wanted = Q(pk__in=signups.values("volunteer_id"))
    if audience.shift is None and audience.include_rsvps:
        going = Rsvp.objects.filter(event_id=audience.event.pk, status=Rsvp.Status.GOING)
        wanted |= Q(pk__in=going.values("user_id"))
    return User.objects.filter(wanted, is_active=True)


def audience_count(audience: Audience) -> int:
    """How many people the message would go to now (the preview before sending)."""
    return audience_recipients(audience).count()


def organizer_message_check(*, audience: Audience, subject: str, body: str,
                            subject_es: str = "", body_es: str = "") -> None:
    """Raise OrganizerMessageError when the message could not be sent as written (also used
    by the preview, so a mistake shows before the organizer confirms)."""
    subject, body = subject.strip(), body.strip()
    subject_es, body_es = subject_es.strip(), body_es.strip()
    if audience.shift is not None and audience.shift.event_id != audience.event.pk:
        raise OrganizerMessageError(_("Choose a shift of this event."), field="shift")
    if not subject.strip():
        raise OrganizerMessageError(_("Write a subject."), field="subject")
    if not body.strip():
        raise OrganizerMessageError(_("Write the message."), field="body")
    for name, text, limit in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX),
                              ("subject_es", subject_es, SUBJECT_MAX),
                              ("body_es", body_es, BODY_MAX)):
        if len(text) > limit:
            raise OrganizerMessageError(
                _("At most %(limit)s characters, please (this has %(count)s).") % {
                    "limit": limit, "count": len(text)},
                field=name,
            )
    if bool(subject_es.strip()) != bool(body_es.strip()):
        raise OrganizerMessageError(
            _("Write both the Spanish subject and the Spanish message, or leave both empty "
              "(Spanish readers then get the English text)."),
            field="body_es" if subject_es.strip() else "subject_es",
        )


@transaction.atomic
def organizer_message_send(*, audience: Audience, by: User, subject: str, body: str,
                           subject_es: str = "", body_es: str = "") -> OrganizerMessage:
    """Record an organizer's message and queue one outbox copy per recipient, in this
    transaction (the copies go out at once after commit, each in its reader's language).

    Raises OrganizerMessageError for a refused message (not an organizer, empty text, a
    shift of another event, nobody to write to); nothing is saved then."""
    if not is_organizer(by):
        raise OrganizerMessageError(_("Only organizers can write to volunteers."))
    subject, body = subject.strip(), body.strip()
    subject_es, body_es = subject_es.strip(), body_es.strip()
    organizer_message_check(audience=audience, subject=subject, body=body,
                            subject_es=subject_es, body_es=body_es)
    recipient_ids = list(audience_recipients(audience).order_by("pk").values_list(
        "pk", flat=True))
    if not recipient_ids:
        raise OrganizerMessageError(
            _("Nobody would receive this message: nobody holds a place on this shift or "
              "event yet."),
            field="shift",
        )
    written = OrganizerMessage.objects.create(
        event=audience.event,
        shift=audience.shift,
        include_waitlisted=audience.include_waitlisted,
        include_rsvps=audience.include_rsvps and audience.shift is None,
        author=by,
        subject=subject,
        body=body,
        subject_es=subject_es,
        body_es=body_es,
        sent_at=timezone.now(),
        recipient_count=len(recipient_ids),
    )
    outbox.organizer_message_queue(written, recipient_ids=recipient_ids)
    return written

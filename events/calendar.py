"""Calendar files (RFC 5545) and e-mailed invitations (RFC 5546, iTIP), built with icalendar.

Pure functions: they read the objects they are given (and their loaded relations) and return
``icalendar.Calendar`` objects; nothing here queries on its own beyond those relations.

One UID per thing a calendar shows, the same wherever it appears, so that an e-mailed invite,
a downloaded file and a subscribed feed update each other instead of showing the same shift
twice:
- a volunteer's sign-up: ``signup-<pk>@<domain>`` (invites, the personal feed, the shift
  download for that volunteer); its SEQUENCE is ``Signup.sequence``, raised by the outbox on
  every change the volunteer is told about;
- an event: ``event-<pk>@<domain>`` (public feed, RSVPs in the personal feed, event download);
- a shift as organizers see it: ``shift-<pk>@<domain>`` (organizer feed, shift download for
  someone not signed up).
"""

import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress

from .models import Place

PRODID = "-//Rally//Rally volunteer calendar//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def calendar_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def signup_uid(signup_id: int) -> str:
    return f"signup-{signup_id}@{calendar_domain()}"


def shift_uid(shift_id: int) -> str:
    return f"shift-{shift_id}@{calendar_domain()}"


def event_uid(event_id: int) -> str:
    return f"event-{event_id}@{calendar_domain()}"


def map_url(place: Place) -> str:
    """A link that opens the place in the phone's map app (or the browser)."""
    if place.latitude is not None and place.longitude is not None:
        query = f"{place.latitude},{place.longitude}"
    else:
        query = place.address or place.name
    return f"https://maps.google.com/?q={quote(query)}"


def geo_uri(place: Place) -> str:
    """An RFC 5870 ``geo:`` URI, or "" when the place has no coordinates."""
    if place.latitude is None or place.longitude is None:
        return ""
    label = quote(str(place))
    return f"geo:{place.latitude},{place.longitude}?q={label}"


def event_url(event) -> str:
    try:
        path = reverse("event_detail", kwargs={"pk": event.pk})
    except NoReverseMatch:
        path = "/"
    return settings.SITE_URL + path


def _local(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def _organizer(event) -> vCalAddress:
    contact = event.contact
    if contact is not None and contact.email:
        return vCalAddress.new(contact.email, cn=contact.name)
    return vCalAddress.new(settings.COALITION["email"], cn=settings.COALITION["name"])


def _contact_line(event, *, private: bool) -> str:
    """Whom to ask. The organizer's own phone and e-mail only go to the people on the shift
    (invites, personal and organizer feeds); public files name them, with the coalition's
    phone, as the event page does."""
    contact = event.contact
    if contact is not None and private:
        parts = [contact.name, contact.phone, contact.email]
    elif contact is not None:
        parts = [contact.name, settings.COALITION["phone"]]
    else:
        parts = [settings.COALITION["name"], settings.COALITION["phone"]]
    return _("Questions: %(contact)s") % {"contact": " · ".join(p for p in parts if p)}


def _add_place(vevent: Event, place: Place) -> None:
    if str(place):
        vevent.add("location", str(place))
    if place.latitude is not None and place.longitude is not None:
        vevent.add("geo", (float(place.latitude), float(place.longitude)))


def _shift_vevent(shift, *, uid: str, sequence: int, stamp: datetime.datetime,
                  cancelled: bool, private: bool = True) -> Event:
    event = shift.event
    lines = [event.title]
    if shift.notes:
        lines.append(shift.notes)
    if event.what_to_bring:
        lines.append(_("What to bring: %(items)s") % {"items": event.what_to_bring})
    lines.append(_contact_line(event, private=private))
    lines.append(event_url(event))
    vevent = Event.new(
        uid=uid,
        summary=f"{shift.label} · {event.title}",
        start=_local(shift.starts_at),
        end=_local(shift.ends_at),
        sequence=sequence,
        stamp=stamp.astimezone(datetime.UTC),
        status="CANCELLED" if cancelled else "CONFIRMED",
        description="\n\n".join(lines),
        url=event_url(event),
    )
    _add_place(vevent, shift.place)
    return vevent


def _event_vevent(event) -> Event:
    place = Place(name=event.venue_name, address=event.address,
                  latitude=event.latitude, longitude=event.longitude)
    lines = [event.description] if event.description else []
    lines += [_contact_line(event, private=False), event_url(event)]
    vevent = Event.new(
        uid=event_uid(event.pk),
        summary=event.title,
        start=_local(event.starts_at),
        end=_local(event.ends_at),
        sequence=event.sequence,
        stamp=event.updated_at.astimezone(datetime.UTC),
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        description="\n\n".join(lines),
        url=event_url(event),
    )
    _add_place(vevent, place)
    return vevent


def _calendar(components: list[Event], *, method: str | None = None, name: str | None = None,
              uid: str | None = None) -> Calendar:
    """Wrap VEVENTs with a VTIMEZONE for the coalition's zone, covering only the years they
    use so a feed stays small and its bytes (and ETag) stay the same between requests."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.calendar_name = name
        calendar.add("x-wr-timezone", settings.TIME_ZONE)
    if uid:
        calendar.uid = uid
    for component in components:
        calendar.add_component(component)
    years = [c.start.year for c in components] + [c.end.year for c in components]
    if years:
        calendar.add_missing_timezones(
            first_date=datetime.date(min(years) - 1, 1, 1),
            last_date=datetime.date(max(years) + 2, 1, 1),
        )
    else:
        calendar.subcomponents.insert(0, Timezone.from_tzid(settings.TIME_ZONE))
    return calendar


def signup_invite(signup, *, method: str, stamp: datetime.datetime | None = None) -> Calendar:
    """The iTIP invitation for one sign-up: ``REQUEST`` (new or changed) or ``CANCEL``.

    The volunteer has already said yes by signing up, so the attendee is ACCEPTED and no
    reply is asked for; the UID is the sign-up's, so every later invite replaces this one."""
    assert method in (REQUEST, CANCEL)
    shift, volunteer = signup.shift, signup.volunteer
    vevent = _shift_vevent(
        shift,
        uid=signup_uid(signup.pk),
        sequence=signup.sequence,
        stamp=stamp or timezone.now(),
        cancelled=method == CANCEL,
    )
    vevent.organizer = _organizer(shift.event)
    vevent.attendees = [
        vCalAddress.new(
            volunteer.email,
            cn=volunteer.name,
            role="REQ-PARTICIPANT",
            partstat="DECLINED" if method == CANCEL else "ACCEPTED",
            rsvp=False,
        )
    ]
    return _calendar([vevent], method=method)


def shift_download(shift, *, signup=None) -> Calendar:
    """An ``.ics`` file for one shift. For a volunteer holding the shift it carries their
    sign-up's UID and SEQUENCE, so importing it matches the e-mailed invite."""
    if signup is not None:
        vevent = _shift_vevent(shift, uid=signup_uid(signup.pk), sequence=signup.sequence,
                               stamp=signup.updated_at, cancelled=False)
    else:
        vevent = _shift_vevent(shift, uid=shift_uid(shift.pk), sequence=shift.sequence,
                               stamp=shift.event.updated_at,
                               cancelled=shift.is_cancelled or shift.event.is_cancelled,
                               private=False)
    return _calendar([vevent], method="PUBLISH")


def event_download(event) -> Calendar:
    return _calendar([_event_vevent(event)], method="PUBLISH")


def personal_feed(*, user, signups, rsvps) -> Calendar:
    """A volunteer's subscribed calendar: the shifts they hold (UID of the sign-up, as in
    their invites) and the events they said they would attend (UID of the event)."""
    components = [
        _shift_vevent(s.shift, uid=signup_uid(s.pk), sequence=s.sequence, stamp=s.updated_at,
                      cancelled=False)
        for s in signups
    ]
    components += [_event_vevent(rsvp.event) for rsvp in rsvps]
    name = _("%(site)s: my shifts") % {"site": settings.SITE_NAME}
    return _calendar(components, name=name, uid=f"feed-user-{user.pk}@{calendar_domain()}")


def public_feed(*, events) -> Calendar:
    name = _("%(coalition)s events") % {"coalition": settings.COALITION["name"]}
    return _calendar([_event_vevent(e) for e in events], name=name,
                     uid=f"feed-public@{calendar_domain()}")


def organizer_feed(*, event, shifts) -> Calendar:
    """Every shift of one event, for its organizers; each shift's description says how full
    it is (``shifts`` carry ``confirmed_count`` and ``waitlist_count`` annotations)."""
    components = [_event_vevent(event)]
    for shift in shifts:
        vevent = _shift_vevent(shift, uid=shift_uid(shift.pk), sequence=shift.sequence,
                               stamp=event.updated_at,
                               cancelled=shift.is_cancelled or event.is_cancelled)
        fill = _("%(filled)s of %(needed)s needed, %(waiting)s waiting") % {
            "filled": shift.confirmed_count, "needed": shift.needed,
            "waiting": shift.waitlist_count}
        vevent.summary = f"[{shift.confirmed_count}/{shift.needed}] {vevent.summary}"
        vevent.description = f"{fill}\n\n{vevent.description}"
        components.append(vevent)
    name = _("%(event)s: shifts") % {"event": event.title}
    return _calendar(components, name=name, uid=f"feed-event-{event.pk}@{calendar_domain()}")


def calendar_bytes(calendar: Calendar) -> bytes:
    return calendar.to_ical()

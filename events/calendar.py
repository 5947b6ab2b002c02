"""Calendar files (RFC 5545) and e-mailed invitations (RFC 5546, iTIP), built with icalendar.

Pure functions: they read the objects they are given (and their loaded relations) and return
``icalendar.Calendar`` objects; nothing here queries on its own beyond those relations.

One UID per thing a calendar shows, the same wherever it appears, so that an e-mailed invite,
a downloaded file and a subscribed feed update each other instead of showing the same shift
twice:
- a volunteer's sign-up: ``signup-<pk>@<domain>`` (invites, the personal feed, the shift
  download for that volunteer); its SEQUENCE is ``Signup.sequence``, raised by the outbox on
  every change the volunteer is told about;
- an event: ``event-<pk>@<domain>`` (public feed, event download);
- a person's RSVP: ``rsvp-<pk>@<domain>`` (its e-mailed invites, the personal feed);
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

from config.input_bounds import CONTROL_CHARACTERS, STORED_FIRST_YEAR, STORED_LAST_YEAR, single_line

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


def rsvp_uid(rsvp_id: int) -> str:
    return f"rsvp-{rsvp_id}@{calendar_domain()}"


def map_url(place: Place) -> str:
    """A link that opens the place in the phone's map app (or the browser)."""
    if place.latitude is not None and place.longitude is not None:
        query = f"{place.latitude},{place.longitude}"
    else:
        query = place.address or place.name
    return f"https://maps.google.com/?q={quote(query)}"


def geo_uri(place: Place) -> str:
    """An RFC 5870 ``geo:`` URI, or "" when the place has no (usable) coordinates."""
    if not _has_coordinates(place):
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


def _text(value: str) -> str:
    """Multi-line text for a DESCRIPTION: line breaks are kept (icalendar escapes them), other
    control characters, which RFC 5545 TEXT may not hold, are dropped (older rows)."""
    return CONTROL_CHARACTERS.sub("", value or "")


def _has_coordinates(place: Place) -> bool:
    """Coordinates a GEO property can carry (rows from before the range checks may not)."""
    if place.latitude is None or place.longitude is None:
        return False
    return -90 <= place.latitude <= 90 and -180 <= place.longitude <= 180


def shift_place(shift, *, private: bool) -> Place:
    """Where the shift is, as a file for this reader may say it: a site that keeps its
    address for the people signed up there (``Site.address_private``) is only named, without
    address or coordinates, in what goes to anyone else (a public download)."""
    if not private and shift.site_id is not None and shift.site.address_private:
        return Place(name=shift.site.name, address="")
    return shift.place


def _add_place(vevent: Event, place: Place) -> None:
    if str(place):
        vevent.add("location", single_line(str(place)))
    if _has_coordinates(place):
        vevent.add("geo", (float(place.latitude), float(place.longitude)))


def _shift_vevent(shift, *, uid: str, sequence: int, stamp: datetime.datetime,
                  cancelled: bool, private: bool = True) -> Event:
    event = shift.event
    text = event.localized  # organizer-entered text in the active (recipient's) language
    lines = [text.title]
    if shift.localized.notes:
        lines.append(shift.localized.notes)
    if text.what_to_bring:
        lines.append(_("What to bring: %(items)s") % {"items": text.what_to_bring})
    lines.append(_contact_line(event, private=private))
    lines.append(event_url(event))
    vevent = Event.new(
        uid=uid,
        summary=single_line(f"{shift.label} · {text.title}"),
        start=_local(shift.starts_at),
        end=_local(shift.ends_at),
        sequence=sequence,
        stamp=stamp.astimezone(datetime.UTC),
        status="CANCELLED" if cancelled else "CONFIRMED",
        description=_text("\n\n".join(lines)),
        url=event_url(event),
    )
    _add_place(vevent, shift_place(shift, private=private))
    return vevent


def _event_vevent(event, *, uid: str | None = None, sequence: int | None = None,
                  stamp: datetime.datetime | None = None, cancelled: bool = False) -> Event:
    place = Place(name=event.venue_name, address=event.address,
                  latitude=event.latitude, longitude=event.longitude)
    description = event.localized.description
    lines = [description] if description else []
    lines += [_contact_line(event, private=False), event_url(event)]
    vevent = Event.new(
        uid=uid or event_uid(event.pk),
        summary=single_line(event.localized.title),
        start=_local(event.starts_at),
        end=_local(event.ends_at),
        sequence=event.sequence if sequence is None else sequence,
        stamp=(stamp or event.updated_at).astimezone(datetime.UTC),
        status="CANCELLED" if cancelled or event.is_cancelled else "CONFIRMED",
        description=_text("\n\n".join(lines)),
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
        calendar.calendar_name = single_line(name)
        calendar.add("x-wr-timezone", settings.TIME_ZONE)
    if uid:
        calendar.uid = uid
    for component in components:
        calendar.add_component(component)
    years = [c.start.year for c in components] + [c.end.year for c in components]
    if years:
        # Clamped to the years the database holds, so an older row (year 1 or 9999) still
        # gives a file instead of an error.
        first = min(max(min(years) - 1, STORED_FIRST_YEAR), STORED_LAST_YEAR - 1)
        last = max(min(max(years) + 2, STORED_LAST_YEAR), first + 1)
        calendar.add_missing_timezones(
            first_date=datetime.date(first, 1, 1), last_date=datetime.date(last, 1, 1)
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


def rsvp_invite(rsvp, *, method: str, sequence: int,
                stamp: datetime.datetime | None = None) -> Calendar:
    """The iTIP invitation for one RSVP: ``REQUEST`` (going) or ``CANCEL`` (withdrawn). The
    UID is the RSVP's, as in the personal feed; ``sequence`` only grows (the caller counts
    the RSVP's earlier invites on top of the event's own SEQUENCE)."""
    assert method in (REQUEST, CANCEL)
    event, person = rsvp.event, rsvp.user
    vevent = _event_vevent(event, uid=rsvp_uid(rsvp.pk), sequence=sequence,
                           stamp=stamp or timezone.now(), cancelled=method == CANCEL)
    vevent.organizer = _organizer(event)
    vevent.attendees = [
        vCalAddress.new(
            person.email,
            cn=person.name,
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
    their invites) and the events they said they would attend (UID of the RSVP, as in its
    invites)."""
    components = [
        _shift_vevent(s.shift, uid=signup_uid(s.pk), sequence=s.sequence, stamp=s.updated_at,
                      cancelled=False)
        for s in signups
    ]
    components += [_event_vevent(rsvp.event, uid=rsvp_uid(rsvp.pk)) for rsvp in rsvps]
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
    name = _("%(event)s: shifts") % {"event": event.localized.title}
    return _calendar(components, name=name, uid=f"feed-event-{event.pk}@{calendar_domain()}")


def calendar_bytes(calendar: Calendar) -> bytes:
    return calendar.to_ical()

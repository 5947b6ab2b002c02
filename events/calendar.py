"""Calendar files (RFC 5545) and e-mailed invitations (RFC 5546, iTIP).

Pure functions: they read the objects they are given (and their loaded relations); nothing here
queries on its own beyond those relations.

What a calendar entry says is worked out in one place, ``_shift_entry`` (a shift) or
``_event_entry`` (an event), into an ``Entry``, which one of two writers puts into a file:
- icalendar, for invites (``Calendar`` objects, which the mail code attaches, with ORGANIZER
  and ATTENDEE);
- ``Feed.to_ical``, for the subscribed feeds (up to a thousand entries) and the downloads:
  the bytes icalendar would write for the same entries (property order, TEXT escaping,
  folding at 75 octets on UTF-8 character boundaries, VTIMEZONE), written directly, with
  what entries share (an event's texts, a place, a repeated line) worked out once per file.
  ``Feed.to_icalendar`` writes the same file with icalendar, which the tests compare it with.

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
import functools
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress

from config.input_bounds import CONTROL_CHARACTERS, STORED_FIRST_YEAR, STORED_LAST_YEAR, single_line

from .models import Place
from .translated import language_code, localized

PRODID = "-//Rally//Rally volunteer calendar//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def calendar_domain() -> str:
    return _hostname(settings.SITE_URL)


@functools.lru_cache(maxsize=8)
def _hostname(site_url: str) -> str:
    return urlsplit(site_url).hostname or "localhost"


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


# What ``_shift_entry`` reads of a shift and its site, as ``only()`` names them: a feed of a
# thousand shifts loads these and nothing else (and each event once, on its own).
SHIFT_ENTRY_FIELDS = (
    "event", "role", "title", "title_es", "notes", "notes_es", "starts_at", "ends_at",
    "site", "site__name", "site__address", "site__latitude", "site__longitude",
    "site__address_private",
)


@dataclass(slots=True)
class Entry:
    """What one VEVENT says, whichever writer writes it: ``start`` and ``end`` in the
    coalition's zone, ``stamp`` in UTC."""

    uid: str
    summary: str
    start: datetime.datetime
    end: datetime.datetime
    stamp: datetime.datetime
    sequence: int
    status: str
    description: str
    url: str
    location: str | None = None
    geo: tuple[float, float] | None = None


class _Shared:
    """What the entries of one file have in common (the language, an event's texts and link,
    a place, a role's name), worked out once per file: a feed of 1,000 shifts of one event
    asks for the event's title, contact line and address once, not 1,000 times. Kept by
    event id, so only for saved events."""

    __slots__ = ("descriptions", "events", "language", "places", "roles", "summaries", "urls",
                 "zone")

    def __init__(self):
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.language = language_code()
        self.events: dict = {}
        self.descriptions: dict = {}
        self.places: dict = {}
        self.summaries: dict = {}
        self.roles: dict = {}
        self.urls: dict = {}

    def url(self, event) -> str:
        url = self.urls.get(event.pk)
        if url is None:
            url = event_url(event)
            if event.pk is not None:
                self.urls[event.pk] = url
        return url


def _place_parts(place: Place) -> tuple[str | None, tuple[float, float] | None]:
    """The LOCATION and GEO of a place; either may be missing."""
    text = str(place)
    location = single_line(text) if text else None
    geo = (float(place.latitude), float(place.longitude)) if _has_coordinates(place) else None
    return location, geo


def _shift_place_parts(shift, *, private: bool, shared: _Shared):
    if shift.event_id is None:
        return _place_parts(shift_place(shift, private=private))
    key = ("site", shift.site_id, private) if shift.site_id else ("event", shift.event_id)
    parts = shared.places.get(key)
    if parts is None:
        parts = shared.places[key] = _place_parts(shift_place(shift, private=private))
    return parts


def _shift_event_texts(event, *, private: bool, shared: _Shared) -> tuple[str, str, str, str]:
    """What a shift's entry takes from its event: title, what to bring, whom to ask, link."""
    key = (event.pk, private)
    texts = shared.events.get(key) if event.pk is not None else None
    if texts is None:
        # Organizer-entered text in the active (recipient's) language.
        bring = localized(event, "what_to_bring", shared.language)
        texts = (
            localized(event, "title", shared.language),
            _("What to bring: %(items)s") % {"items": bring} if bring else "",
            _contact_line(event, private=private),
            shared.url(event),
        )
        if event.pk is not None:
            shared.events[key] = texts
    return texts


def _shift_label(shift, shared: _Shared) -> str:
    """``Shift.label``, each role's name looked up once per file."""
    title = localized(shift, "title", shared.language)
    if title:
        return title
    label = shared.roles.get(shift.role)
    if label is None:
        label = shared.roles[shift.role] = shift.label
    return label


def _shift_entry(shift, *, uid: str, sequence: int, stamp: datetime.datetime,
                 cancelled: bool, private: bool = True, shared: _Shared | None = None) -> Entry:
    shared = shared or _Shared()
    event = shift.event
    title, bring, contact, url = _shift_event_texts(event, private=private, shared=shared)
    notes = localized(shift, "notes", shared.language)
    key = (shift.event_id, private, notes)
    description = shared.descriptions.get(key) if shift.event_id is not None else None
    if description is None:
        lines = [title]
        if notes:
            lines.append(notes)
        if bring:
            lines.append(bring)
        lines += [contact, url]
        description = _text("\n\n".join(lines))
        if shift.event_id is not None:
            shared.descriptions[key] = description
    label = _shift_label(shift, shared)
    summary = shared.summaries.get((label, title))
    if summary is None:
        summary = shared.summaries[(label, title)] = single_line(f"{label} · {title}")
    location, geo = _shift_place_parts(shift, private=private, shared=shared)
    return Entry(
        uid=uid,
        summary=summary,
        start=shift.starts_at.astimezone(shared.zone),
        end=shift.ends_at.astimezone(shared.zone),
        stamp=stamp.astimezone(datetime.UTC),
        sequence=sequence,
        status="CANCELLED" if cancelled else "CONFIRMED",
        description=description,
        url=url,
        location=location,
        geo=geo,
    )


def _event_entry(event, *, uid: str | None = None, sequence: int | None = None,
                 stamp: datetime.datetime | None = None, cancelled: bool = False,
                 shared: _Shared | None = None) -> Entry:
    shared = shared or _Shared()
    url = shared.url(event)
    description = localized(event, "description", shared.language)
    lines = [description] if description else []
    lines += [_contact_line(event, private=False), url]
    location, geo = _place_parts(Place(name=event.venue_name, address=event.address,
                                       latitude=event.latitude, longitude=event.longitude))
    return Entry(
        uid=uid or event_uid(event.pk),
        summary=single_line(localized(event, "title", shared.language)),
        start=event.starts_at.astimezone(shared.zone),
        end=event.ends_at.astimezone(shared.zone),
        stamp=(stamp or event.updated_at).astimezone(datetime.UTC),
        sequence=event.sequence if sequence is None else sequence,
        status="CANCELLED" if cancelled or event.is_cancelled else "CONFIRMED",
        description=_text("\n\n".join(lines)),
        url=url,
        location=location,
        geo=geo,
    )


def _vevent(entry: Entry) -> Event:
    """An entry as an icalendar VEVENT (one-entry files, invites, and the tests' reference)."""
    vevent = Event.new(
        uid=entry.uid,
        summary=entry.summary,
        start=entry.start,
        end=entry.end,
        sequence=entry.sequence,
        stamp=entry.stamp,
        status=entry.status,
        description=entry.description,
        url=entry.url,
    )
    if entry.location is not None:
        vevent.add("location", entry.location)
    if entry.geo is not None:
        vevent.add("geo", entry.geo)
    return vevent


def _shift_vevent(shift, **entry) -> Event:
    return _vevent(_shift_entry(shift, **entry))


def _event_vevent(event, **entry) -> Event:
    return _vevent(_event_entry(event, **entry))


def _timezone_years(years: list[int]) -> tuple[int, int]:
    """The years a VTIMEZONE covers for entries in ``years``: one before and two after,
    clamped to the years the database holds, so an older row (year 1 or 9999) still gives a
    file instead of an error."""
    first = min(max(min(years) - 1, STORED_FIRST_YEAR), STORED_LAST_YEAR - 1)
    last = max(min(max(years) + 2, STORED_LAST_YEAR), first + 1)
    return first, last


@functools.lru_cache(maxsize=32)
def _timezone(tzid: str, first: int | None = None, last: int | None = None) -> Timezone:
    """A zone's VTIMEZONE over some years (icalendar's default range without them). Kept:
    working one out takes milliseconds (30 for the default range) and gives the same
    component every time; calendars only ever write it, so they may share it."""
    if first is None:
        return Timezone.from_tzid(tzid)
    return Timezone.from_tzid(tzid, first_date=datetime.date(first, 1, 1),
                              last_date=datetime.date(last, 1, 1))


@functools.lru_cache(maxsize=32)
def _timezone_ical(tzid: str, first: int | None = None, last: int | None = None) -> bytes:
    return _timezone(tzid, first, last).to_ical()


def _calendar(components: list[Event], *, method: str | None = None, name: str | None = None,
              uid: str | None = None) -> Calendar:
    """Wrap VEVENTs with a VTIMEZONE for the coalition's zone, covering only the years they
    use so a feed stays small and its bytes stay the same between requests."""
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
        first, last = _timezone_years(years)
        for tzid in sorted(calendar.get_missing_tzids()):  # UTC needs none
            calendar.subcomponents.insert(len(calendar.timezones), _timezone(tzid, first, last))
    else:
        calendar.subcomponents.insert(0, _timezone(settings.TIME_ZONE))
    return calendar


# --- The feeds' writer -------------------------------------------------------------------


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping, step for step as icalendar does it (a literal ``\\N`` is a
    line break to it too, and a leading byte-order mark is dropped)."""
    return (text.removeprefix("\ufeff").replace("\\N", "\n").replace("\\", "\\\\")
            .replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n").replace("\r", "\\n"))


def _uri(text: str) -> str:
    """A URI as icalendar writes it: as it is, but for a leading byte-order mark."""
    return text.removeprefix("\ufeff")


def _fold(line: str) -> bytes:
    """One content line, folded as RFC 5545 section 3.1 asks and as icalendar folds: at most
    74 octets, then CRLF and a space before each next 74, never inside a UTF-8 character,
    and a backslash (or caret) that would end a line starts the next one instead, so no
    client sees an escape split in two."""
    data = line.encode()
    if len(data) < 75:
        return data
    pieces = []
    start, size = 0, len(data)
    while size - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _ical_time(moment: datetime.datetime) -> str:
    # %-formatting: three times faster than format specifiers, for two times a feed's entries.
    return "%04d%02d%02dT%02d%02d%02d" % (  # noqa: UP031
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


@functools.lru_cache(maxsize=8)
def _local_time_form(tzid: str) -> tuple[str, str]:
    """What icalendar writes around a local time in this zone: the parameters before the
    colon and the suffix after the time (``";TZID=America/Los_Angeles"`` and ``""``, or
    ``""`` and ``"Z"`` in UTC)."""
    sample = Event()
    sample.start = datetime.datetime(2001, 1, 1, tzinfo=ZoneInfo(tzid))
    line = sample.to_ical().split(b"\r\n")[1].decode()
    head, _colon, value = line.rpartition(":")
    return head.removeprefix("DTSTART"), value.removeprefix("20010101T000000")


@dataclass
class Feed:
    """A calendar file of entries, in order: a subscribed feed (with a name and a UID) or a
    download (``method="PUBLISH"``)."""

    entries: list[Entry]
    name: str = ""
    uid: str = ""
    method: str = ""

    def to_icalendar(self) -> Calendar:
        """The same calendar built with icalendar (slow: what ``to_ical`` is checked against)."""
        return _calendar([_vevent(entry) for entry in self.entries], method=self.method,
                         name=self.name, uid=self.uid)

    def to_ical(self) -> bytes:
        """The bytes ``self.to_icalendar().to_ical()`` would give, written directly."""
        tzid = settings.TIME_ZONE
        params, suffix = _local_time_form(tzid)
        dtstart, dtend = f"DTSTART{params}:", f"DTEND{params}:"
        # icalendar knows NAME, X-WR-CALNAME and X-WR-TIMEZONE as "unknown" values, which it
        # writes as they are (a comma in a name unescaped, a leading byte-order mark dropped):
        # so do these, to give its bytes.
        head = [b"BEGIN:VCALENDAR", b"VERSION:2.0", _fold("PRODID:" + _escape(PRODID)),
                b"CALSCALE:GREGORIAN"]
        if self.method:
            head.append(_fold("METHOD:" + _escape(self.method)))
        if self.name:
            name = single_line(self.name).removeprefix("\ufeff")
            head += [_fold("NAME:" + name), _fold("X-WR-CALNAME:" + name)]
        if self.uid:
            head.append(_fold("UID:" + _escape(self.uid)))
        if self.name:
            head.append(_fold("X-WR-TIMEZONE:" + tzid))
        lines = []
        add = lines.append
        seen: dict[tuple[str, str], bytes] = {}  # escaped and folded once per feed

        def repeated(name: str, value: str, escape=_escape) -> bytes:
            line = seen.get((name, value))
            if line is None:
                line = seen[(name, value)] = _fold(name + escape(value))
            return line

        first_year = last_year = None
        for entry in self.entries:
            start, end = entry.start, entry.end
            low, high = min(start.year, end.year), max(start.year, end.year)
            if first_year is None or low < first_year:
                first_year = low
            if last_year is None or high > last_year:
                last_year = high
            add(b"BEGIN:VEVENT")
            add(repeated("SUMMARY:", entry.summary))
            add(_fold(dtstart + _ical_time(start) + suffix))
            add(_fold(dtend + _ical_time(end) + suffix))
            add(f"DTSTAMP:{_ical_time(entry.stamp)}Z".encode())
            add(_fold("UID:" + _escape(entry.uid)))
            add(b"SEQUENCE:%d" % entry.sequence)
            add(repeated("DESCRIPTION:", entry.description))
            if entry.geo is not None:
                add(f"GEO:{entry.geo[0]};{entry.geo[1]}".encode())
            if entry.location is not None:
                add(repeated("LOCATION:", entry.location))
            add(b"STATUS:" + entry.status.encode())
            add(repeated("URL:", entry.url, _uri))
            add(b"END:VEVENT")
        if first_year is None:
            timezones = _timezone_ical(tzid)
        elif suffix:  # UTC: no VTIMEZONE
            timezones = b""
        else:
            timezones = _timezone_ical(tzid, *_timezone_years([first_year, last_year]))
        lines.append(b"END:VCALENDAR")
        return b"\r\n".join(head) + b"\r\n" + timezones + b"\r\n".join(lines) + b"\r\n"


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


def shift_download(shift, *, signup=None) -> Feed:
    """An ``.ics`` file for one shift. For a volunteer holding the shift it carries their
    sign-up's UID and SEQUENCE, so importing it matches the e-mailed invite."""
    if signup is not None:
        entry = _shift_entry(shift, uid=signup_uid(signup.pk), sequence=signup.sequence,
                             stamp=signup.updated_at, cancelled=False)
    else:
        entry = _shift_entry(shift, uid=shift_uid(shift.pk), sequence=shift.sequence,
                             stamp=shift.event.updated_at,
                             cancelled=shift.is_cancelled or shift.event.is_cancelled,
                             private=False)
    return Feed(entries=[entry], method="PUBLISH")


def event_download(event) -> Feed:
    return Feed(entries=[_event_entry(event)], method="PUBLISH")


def personal_feed(*, user, signups, rsvps) -> Feed:
    """A volunteer's subscribed calendar: the shifts they hold (UID of the sign-up, as in
    their invites) and the events they said they would attend (UID of the RSVP, as in its
    invites). ``signups`` are sign-ups, or anything with their ``pk``, ``sequence``,
    ``updated_at`` and ``shift`` (``feeds.HeldShift``)."""
    shared, domain = _Shared(), calendar_domain()
    entries = [
        _shift_entry(s.shift, uid=f"signup-{s.pk}@{domain}", sequence=s.sequence,
                     stamp=s.updated_at, cancelled=False, shared=shared)
        for s in signups
    ]
    entries += [_event_entry(rsvp.event, uid=f"rsvp-{rsvp.pk}@{domain}", shared=shared)
                for rsvp in rsvps]
    name = _("%(site)s: my shifts") % {"site": settings.SITE_NAME}
    return Feed(entries=entries, name=name, uid=f"feed-user-{user.pk}@{domain}")


def public_feed(*, events) -> Feed:
    shared = _Shared()
    name = _("%(coalition)s events") % {"coalition": settings.COALITION["name"]}
    return Feed(entries=[_event_entry(e, shared=shared) for e in events], name=name,
                uid=f"feed-public@{calendar_domain()}")


def organizer_feed(*, event, shifts) -> Feed:
    """Every shift of one event, for its organizers; each shift's description says how full
    it is (``shifts`` carry ``confirmed_count`` and ``waitlist_count`` annotations)."""
    shared, domain = _Shared(), calendar_domain()
    entries = [_event_entry(event, shared=shared)]
    for shift in shifts:
        entry = _shift_entry(shift, uid=f"shift-{shift.pk}@{domain}", sequence=shift.sequence,
                             stamp=event.updated_at,
                             cancelled=shift.is_cancelled or event.is_cancelled, shared=shared)
        fill = _("%(filled)s of %(needed)s needed, %(waiting)s waiting") % {
            "filled": shift.confirmed_count, "needed": shift.needed,
            "waiting": shift.waitlist_count}
        entry.summary = f"[{shift.confirmed_count}/{shift.needed}] {entry.summary}"
        entry.description = f"{fill}\n\n{entry.description}"
        entries.append(entry)
    name = _("%(event)s: shifts") % {"event": event.localized.title}
    return Feed(entries=entries, name=name, uid=f"feed-event-{event.pk}@{domain}")


def calendar_bytes(calendar: Calendar | Feed) -> bytes:
    return calendar.to_ical()

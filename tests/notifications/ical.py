"""Checks every calendar Rally produces must pass, read back as a calendar client would."""

from email.message import EmailMessage

from icalendar import Calendar

ITIP_REQUIRED = {
    # RFC 5546 section 3.2.2 (REQUEST) and 3.2.5 (CANCEL): properties a VEVENT must carry.
    "REQUEST": {"ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID", "SEQUENCE"},
    "CANCEL": {"ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID"},
}


def parse_calendar(ics: bytes | str, *, method: str | None = None) -> Calendar:
    """Parse, then prove: no component errors, icalendar's validate(), a VTIMEZONE for every
    TZID used, the RFC 5545 required properties, and for iTIP methods RFC 5546's."""
    raw = ics.encode() if isinstance(ics, str) else ics
    calendar = Calendar.from_ical(raw)
    assert all(not component.errors for component in calendar.walk()), [
        (c.name, c.errors) for c in calendar.walk() if c.errors
    ]
    calendar.validate()
    assert calendar.get_missing_tzids() == set()
    assert calendar.timezones, "no VTIMEZONE"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    if method is not None:
        assert calendar["METHOD"] == method
    for line in raw.replace(b"\r\n", b"\n").split(b"\n"):
        assert len(line) <= 75, line  # folded at 75 octets
    for event in calendar.events:
        assert {"UID", "DTSTAMP", "DTSTART"} <= set(event.keys())
        assert event.start.tzinfo is not None and event.end > event.start
        assert "TZID" in event["DTSTART"].params
        if method in ITIP_REQUIRED:
            missing = ITIP_REQUIRED[method] - set(event.keys())
            assert not missing, missing
        if method == "CANCEL":
            assert event["STATUS"] == "CANCELLED"
    return calendar


def only_event(calendar: Calendar):
    events = calendar.events
    assert len(events) == 1
    return events[0]


def invite_parts(message: EmailMessage) -> tuple[list, list]:
    """The text/calendar alternative parts and the .ics attachments of a parsed e-mail."""
    alternatives, attachments = [], []
    for part in message.walk():
        if part.get_content_type() == "text/calendar" and not part.get_filename():
            alternatives.append(part)
        elif (part.get_filename() or "").endswith(".ics"):
            attachments.append(part)
    return alternatives, attachments

"""Calendar feeds without waiting (issue 13): an unchanged feed is a 304 from one query, before
any row is loaded or any byte written; the ETag follows every change a feed shows, a change
without a timestamp too; a feed of a thousand shifts takes four queries; the public feed is
kept in the cache until events change; and the feeds' own writer gives the bytes icalendar
gives for the same entries, tricky text included."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.input_bounds import single_line
from events import calendar, services
from events.models import Rsvp, Shift, ShiftRole
from events.sites import site_update
from tests.factories import EventFactory, ShiftFactory, SignupFactory, SiteFactory, UserFactory
from tests.factories import organizer as make_organizer
from tests.notifications.ical import parse_calendar
from volunteers.models import Signup
from volunteers.services.messages import organizer_calendar_token_reset
from volunteers.services.signups import signup_cancel, signup_create

LA = ZoneInfo("America/Los_Angeles")


def soon(days: int = 5, hour: int = 9) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def contact(db):
    person = make_organizer()
    person.display_name = "Marta Ruiz"
    person.phone = "(559) 555-0100"
    person.save()
    return person


@pytest.fixture
def event(contact):
    start = soon()
    return EventFactory(contact=contact, what_to_bring="Water, a hat", starts_at=start,
                        ends_at=start + datetime.timedelta(hours=10),
                        latitude=Decimal("36.8375"), longitude=Decimal("-119.772"))


@pytest.fixture
def site(db):
    return SiteFactory(name="Blackstone & Shaw", address="N Blackstone Ave & E Shaw Ave")


@pytest.fixture
def volunteer(db):
    return UserFactory(display_name="Ana Gómez")


@pytest.fixture
def shifts(event, site):
    return [ShiftFactory(event=event, starts_at=event.starts_at + datetime.timedelta(hours=h),
                         ends_at=event.starts_at + datetime.timedelta(hours=h + 2),
                         site=site if h == 0 else None, capacity=4, needed=2)
            for h in range(3)]


@pytest.fixture
def held(shifts, volunteer):
    return [SignupFactory(shift=shift, volunteer=volunteer) for shift in shifts]


def feed_url(user) -> str:
    return reverse("calendar_personal_feed", kwargs={"token": user.calendar_token})


def organizer_url(contact, event) -> str:
    token = contact.organizer_calendar_token or organizer_calendar_token_reset(user=contact)
    return reverse("calendar_organizer_feed", kwargs={"token": token, "pk": event.pk})


# --- A 304 is one query, and nothing is loaded or written ----------------------------------


def test_unchanged_personal_feed_is_a_304_from_one_query(client, volunteer, held,
                                                         django_assert_num_queries):
    first = client.get(feed_url(volunteer))

    with django_assert_num_queries(1):  # the token and the version; no row, no writing
        again = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert again["Cache-Control"] == "private, no-cache"
    assert client.get(feed_url(volunteer))["ETag"] == first["ETag"]  # nothing changed


def test_if_modified_since_alone_is_answered_in_full(client, volunteer, held):
    first = client.get(feed_url(volunteer))

    again = client.get(feed_url(volunteer), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 200
    assert again.content == first.content


def test_thousand_shift_feed_takes_four_queries_and_its_304_one(client, event, volunteer,
                                                                django_assert_num_queries):
    start = event.starts_at
    shifts = Shift.objects.bulk_create(
        Shift(event=event, role=ShiftRole.COLLECTOR, title=f"Corner {n % 10}",
              starts_at=start + datetime.timedelta(days=n // 10, hours=n % 10),
              ends_at=start + datetime.timedelta(days=n // 10, hours=n % 10 + 1))
        for n in range(1000))
    Signup.objects.bulk_create(Signup(shift=shift, volunteer=volunteer, status="confirmed")
                               for shift in shifts)

    with django_assert_num_queries(4):  # owner and version, shifts, events, RSVPs
        response = client.get(feed_url(volunteer))
    with django_assert_num_queries(1):
        unchanged = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=response["ETag"])

    assert response.content.count(b"BEGIN:VEVENT") == 1000
    assert unchanged.status_code == 304


def test_unchanged_organizer_feed_is_a_304_without_loading_shifts(client, contact, event,
                                                                  held,
                                                                  django_assert_num_queries):
    url = organizer_url(contact, event)
    first = client.get(url)

    with django_assert_num_queries(3):  # the organizer, their roles, the event and versions
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""


def test_personal_feed_shows_shifts_that_ended_up_to_90_days_ago(client, volunteer):
    now = timezone.now()
    kept, gone = (SignupFactory(volunteer=volunteer, shift=ShiftFactory(
        starts_at=now - datetime.timedelta(days=days, hours=3),
        ends_at=now - datetime.timedelta(days=days))) for days in (89, 91))

    entries = parse_calendar(client.get(feed_url(volunteer)).content).events

    assert [str(e["UID"]) for e in entries] == [calendar.signup_uid(kept.pk)]
    assert gone.pk != kept.pk


# --- The ETag follows what the feed shows -------------------------------------------------


def _change_shift_time(held, **_):
    shift = held[1].shift
    later = shift.starts_at + datetime.timedelta(minutes=30)
    services.shift_update(shift=shift, by=None, starts_at=later,
                          ends_at=later + datetime.timedelta(hours=2))


def _change_shift_notes(held, **_):  # no timestamp anywhere changes
    services.shift_update(shift=held[1].shift, by=None, notes="Meet at the north door")


def _change_shift_title(held, **_):
    services.shift_update(shift=held[2].shift, by=None, title="Greeter, main door")


def _cancel_signup(held, volunteer, **_):
    signup_cancel(signup=held[0], by=make_organizer())


def _sign_up_again(held, volunteer, **_):
    signup_create(shift=ShiftFactory(event=held[0].shift.event,
                                     starts_at=held[0].shift.event.starts_at
                                     + datetime.timedelta(hours=6)),
                  volunteer=volunteer, by=volunteer)


def _rename_event(held, **_):
    services.event_update(event=held[0].shift.event, by=None, title="Spring Bucket Drive")


def _move_site(held, site, **_):
    site_update(site=site, by=None, address="E Shaw Ave & N Fresno St")


def _change_contact_phone(held, contact, **_):
    contact.phone = "(559) 555-0199"
    contact.save()


def _read_in_spanish(held, volunteer, **_):
    volunteer.language = "es"
    volunteer.save()


def _rsvp(held, volunteer, **_):
    services.rsvp_create(event=EventFactory(kind="meeting"), user=volunteer)


CHANGES = [_change_shift_time, _change_shift_notes, _change_shift_title, _cancel_signup,
           _sign_up_again, _rename_event, _move_site, _change_contact_phone, _read_in_spanish,
           _rsvp]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_personal_feed_etag_changes_with_what_it_shows(client, volunteer, held, site, contact,
                                                       change):
    before = client.get(feed_url(volunteer))

    change(held=held, volunteer=volunteer, site=site, contact=contact)
    after = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content
    parse_calendar(after.content)


def test_rsvp_withdrawn_changes_the_etag(client, volunteer, held):
    meeting = EventFactory(kind="meeting")
    services.rsvp_create(event=meeting, user=volunteer)
    before = client.get(feed_url(volunteer))

    services.rsvp_cancel(event=meeting, user=volunteer)

    assert client.get(feed_url(volunteer))["ETag"] != before["ETag"]


def test_other_peoples_signups_leave_the_personal_etag_alone(client, volunteer, held):
    before = client.get(feed_url(volunteer))

    SignupFactory(shift=held[0].shift)
    Rsvp.objects.create(event=EventFactory(kind="meeting"), user=UserFactory())

    assert client.get(feed_url(volunteer))["ETag"] == before["ETag"]


@pytest.mark.parametrize("change", [_cancel_signup, _change_shift_notes, _move_site,
                                    _rename_event],
                         ids=lambda change: change.__name__.strip("_"))
def test_organizer_feed_etag_changes_with_what_it_shows(client, contact, event, volunteer, held,
                                                        site, change):
    url = organizer_url(contact, event)
    before = client.get(url)

    change(held=held, volunteer=volunteer, site=site, contact=contact)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content


def test_organizer_feed_etag_follows_someone_signing_up(client, contact, event, held):
    url = organizer_url(contact, event)
    before = client.get(url)

    SignupFactory(shift=held[0].shift)

    after = client.get(url)
    assert after["ETag"] != before["ETag"]
    assert b"[2/2]" in after.content


# --- The public feed is kept until events change --------------------------------------------


def test_public_feed_is_served_from_the_cache_until_an_event_changes(
    client, event, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = reverse("calendar_public_feed")
    with django_assert_num_queries(1):
        first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url)
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    with django_capture_on_commit_callbacks(execute=True):  # the version bump, after commit
        services.event_update(event=event, by=None, title="Tower District Walk")
    with django_assert_num_queries(1):
        changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert (again.content, again["ETag"]) == (first.content, first["ETag"])
    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert b"SUMMARY:Tower District Walk" in changed.content
    assert changed["ETag"] != first["ETag"]


# --- The feeds' writer gives icalendar's bytes ------------------------------------------------


def entry(**fields) -> calendar.Entry:
    start = fields.pop("start", datetime.datetime(2027, 3, 14, 9, tzinfo=LA))
    fields = {
        "uid": "signup-1@127.0.0.1", "summary": "Bucket collector · Spring Drive",
        "start": start, "end": start + datetime.timedelta(hours=2),
        "stamp": datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "sequence": 2, "status": "CONFIRMED", "description": "Spring Drive",
        "url": "http://127.0.0.1:8000/events/1/", "location": "Peoples Church",
        "geo": (36.8375, -119.772), **fields,
    }
    return calendar.Entry(**fields)


def unescaped(text: str) -> str:
    """What a calendar reads back from a TEXT value written from ``text`` (icalendar drops a
    leading byte-order mark)."""
    text = text.removeprefix("\ufeff")
    return text.replace("\\N", "\n").replace("\r\n", "\n").replace("\r", "\n")


def assert_same_as_icalendar(feed: calendar.Feed) -> None:
    fast = feed.to_ical()
    assert fast == feed.to_icalendar().to_ical()
    parsed = parse_calendar(fast)
    assert len(parsed.events) == len(feed.entries)
    for written, read in zip(feed.entries, parsed.events, strict=True):
        assert str(read["SUMMARY"]) == unescaped(written.summary)
        assert str(read["DESCRIPTION"]) == unescaped(written.description)
        assert read.start == written.start and read.end == written.end
        if written.location is not None:
            assert str(read["LOCATION"]) == unescaped(written.location)
    if feed.name:
        # As icalendar writes it: unescaped, without a leading byte-order mark.
        assert parsed.calendar_name == single_line(feed.name).removeprefix("\ufeff")


SPANISH = ("Colecta con botes en la esquina de Blackstone y Shaw: traigan agua, gorra, "
           "bloqueador; ¡gracias! Niños con un adulto. Señales en la acera 🪣🙌🏽")


def test_writer_matches_icalendar_on_tricky_text():
    entries = [
        entry(summary="Greeter, main door; bring a vest \\ sign",
              description="Line one\nLine two\r\nLine three\rfour; five, six \\N seven"),
        entry(summary=SPANISH, description=SPANISH * 3, location=SPANISH),
        # A backslash and a caret right where a line folds, and a 4-octet emoji across it.
        entry(summary="x" * 65 + "\\,", description="y" * 61 + "^" + "z" * 40,
              location="w" * 58 + "🪣" * 5),
        entry(description="", location=None, geo=None, sequence=0, status="CANCELLED",
              start=datetime.datetime(2026, 11, 1, 1, 30, tzinfo=LA)),  # DST ends
    ]

    assert_same_as_icalendar(calendar.Feed(name="Rally: mis turnos, ¿sí?", uid="feed-user-1@x",
                                           entries=entries))
    assert_same_as_icalendar(calendar.Feed(name="Empty", uid="feed-user-2@x", entries=[]))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Pacific/Chatham"])
def test_writer_matches_icalendar_in_another_time_zone(settings, zone):
    settings.TIME_ZONE = zone
    start = datetime.datetime(2027, 3, 28, 0, 30, tzinfo=datetime.UTC).astimezone(ZoneInfo(zone))
    entries = [entry(start=start + datetime.timedelta(hours=n)) for n in range(3)]

    for feed in (calendar.Feed(name="Shifts", uid="feed-user-1@x", entries=entries),
                 calendar.Feed(name="Shifts", uid="feed-user-1@x", entries=[])):
        if zone == "UTC":  # times end in Z and need no VTIMEZONE, which parse_calendar wants
            assert feed.to_ical() == feed.to_icalendar().to_ical()
        else:
            assert_same_as_icalendar(feed)


def test_downloads_match_icalendar(event, volunteer):
    site = SiteFactory(name="Shaw; NE, corner", address="Private \\ 5082 N Fresno St",
                       address_private=True)
    shift = ShiftFactory(event=event, site=site, notes="Bring the vest,\nand water")
    signup = SignupFactory(shift=shift, volunteer=volunteer)

    for download in (calendar.event_download(event), calendar.shift_download(shift),
                     calendar.shift_download(shift, signup=signup)):
        assert download.to_ical() == download.to_icalendar().to_ical()
        parse_calendar(download.to_ical(), method="PUBLISH")


TRICKY = st.sampled_from([",", ";", ":", "\\", "\\N", "\n", "\r\n", "\r", "^", "\t", " ", "ñ",
                          "é", "·", "¿", "😀", "🙌🏽", "\u2028", "\x0b", '"', "\ufeff"])
TEXT = st.lists(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=160).map("".join)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(st.tuples(TEXT, TEXT, st.one_of(st.none(), TEXT)), min_size=1,
                      max_size=4),
       name=TEXT,
       starts=st.datetimes(min_value=datetime.datetime(2001, 1, 1),
                           max_value=datetime.datetime(2098, 12, 31)))
def test_writer_matches_icalendar_on_any_text(texts, name, starts):
    start = starts.replace(microsecond=0, tzinfo=datetime.UTC).astimezone(LA)
    entries = [entry(summary=summary, description=description, location=location,
                     uid=f"signup-{n}@127.0.0.1", start=start + datetime.timedelta(days=n))
               for n, (summary, description, location) in enumerate(texts)]

    assert_same_as_icalendar(calendar.Feed(name=name, uid="feed-user-1@127.0.0.1",
                                           entries=entries))


def test_feed_through_the_view_matches_icalendar_with_tricky_rows(client, volunteer, contact):
    volunteer.language = "es"
    volunteer.save()
    start = soon(6)
    event = EventFactory(
        contact=contact, title="Drive, spring; north \\ south", title_es=SPANISH,
        what_to_bring_es="Agua,\ngorra; bloqueador " * 4, venue_name="Iglesia; salón",
        starts_at=start, ends_at=start + datetime.timedelta(hours=8))
    site = SiteFactory(name="Shaw, NE; corner", address="Esquina 🪣 " * 10)
    for hour, notes in enumerate(["", "Quédense en la acera,\r\nno en la calle;", SPANISH]):
        SignupFactory(volunteer=volunteer, shift=ShiftFactory(
            event=event, notes_es=notes, site=site if hour == 1 else None,
            title="" if hour else "Capitán; esquina",
            starts_at=start + datetime.timedelta(hours=hour),
            ends_at=start + datetime.timedelta(hours=hour + 1)))
    services.rsvp_create(event=EventFactory(kind="meeting", description_es=SPANISH,
                                            contact=contact), user=volunteer)

    response = client.get(feed_url(volunteer))

    # The same rows, loaded the plain way, through icalendar.
    signups = list(Signup.objects.filter(volunteer=volunteer)
                   .select_related("shift__event__contact", "shift__site")
                   .order_by("shift__starts_at", "pk"))
    rsvps = list(Rsvp.objects.filter(user=volunteer).select_related("event__contact"))
    with translation.override("es"):
        reference = calendar.personal_feed(user=volunteer, signups=signups,
                                           rsvps=rsvps).to_icalendar().to_ical()
    assert response.content == reference
    parsed = parse_calendar(response.content)
    assert [str(e["SUMMARY"]) for e in parsed.events][:2] == [
        f"Capitán; esquina · {SPANISH}", f"Recolector con bote · {SPANISH}"]


# --- A poll of an unchanged feed makes no query at all (events/feed_versions.py) --------------


def test_unchanged_personal_feed_polled_again_makes_no_query(
        client, volunteer, held, django_assert_num_queries, django_capture_on_commit_callbacks):
    someone = UserFactory()
    first = client.get(feed_url(volunteer))
    client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=first["ETag"])  # learns the counters
    with django_capture_on_commit_callbacks(execute=True):
        SignupFactory(shift=held[0].shift, volunteer=someone)  # not in this feed

    with django_assert_num_queries(0):
        again = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    assert again["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_a_committed_change_ends_the_no_query_304(client, volunteer, held, site, contact,
                                                 change, django_capture_on_commit_callbacks):
    before = client.get(feed_url(volunteer))
    assert client.get(feed_url(volunteer),
                      HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        change(held=held, volunteer=volunteer, site=site, contact=contact)
    after = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_reset_feed_address_is_gone_even_for_a_remembered_etag(
        client, volunteer, held, django_capture_on_commit_callbacks):
    from volunteers.services.messages import calendar_token_reset

    old_url = feed_url(volunteer)
    first = client.get(old_url)
    assert client.get(old_url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        calendar_token_reset(user=volunteer)

    assert client.get(old_url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404


@pytest.mark.parametrize("when", ["after the rows were read", "after the ETag was kept"])
@pytest.mark.parametrize("change", ["sign up", "cancel", "rsvp"])
def test_own_change_committed_during_a_poll_is_never_hidden(
        client, volunteer, held, event, change, when, monkeypatch,
        django_capture_on_commit_callbacks):
    """A poll reads the rows, then a change to the volunteer's own sign-ups or RSVPs (nothing
    anyone else's feed shows) commits before, or after, the poll keeps its ETag: the next poll
    still gets the new feed, not a 304 of the old one."""
    from events import feed_versions, feeds

    later = ShiftFactory(event=event, starts_at=event.starts_at + datetime.timedelta(hours=7))
    meeting = EventFactory(kind="meeting")
    own_changes = {
        "sign up": lambda: SignupFactory(shift=later, volunteer=volunteer),
        "cancel": lambda: Signup.objects.filter(pk=held[0].pk).get().delete(),
        "rsvp": lambda: Rsvp.objects.create(event=meeting, user=volunteer),
    }
    before = client.get(feed_url(volunteer))
    where = (feeds, "_feed_owner") if when.startswith("after the rows") else (
        feed_versions, "remember")
    original = getattr(*where)

    def then_change(*args, **kwargs):
        result = original(*args, **kwargs)
        monkeypatch.setattr(*where, original)  # once
        with django_capture_on_commit_callbacks(execute=True):
            own_changes[change]()
        return result

    monkeypatch.setattr(*where, then_change)
    during = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=before["ETag"])
    assert during.status_code == 304  # it read the rows before the change
    after = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]

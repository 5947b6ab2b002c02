"""Hostile input to every page of Rally, found by walking the URL configuration: huge and
negative numbers, Infinity/NaN/1e1000000, NUL bytes and other control characters, line
breaks, years 1 and 9999, very long strings, unusual unicode. Each page is posted to (and
asked with hostile ``?`` filters) as the person who may use it. Rally must never answer 500,
and a refused submission must save nothing.

A new page is covered without being listed here; a page whose address needs an object this
file does not know how to find fails ``test_every_page_has_its_objects`` with its name."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.forms import BaseForm
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from events.models import Event, EventSeries, Rsvp, Shift
from tests.factories import organizer
from volunteers.models import Signup, TeamMembership, User

pytestmark = pytest.mark.django_db

# Apps whose rows are counted before and after every refused submission.
PROJECT_APPS = ("events", "volunteers", "donations")
# allauth's own pages are covered where Rally's forms or settings shape them.
ACCOUNT_PAGES = {"account_signup", "account_login", "account_reset_password"}
# Keys that views read straight from request.POST or request.GET, beside their forms.
RAW_KEYS = ("next", "view", "language", "action", "is_captain", "q", "kind", "status", "when",
            "page", "partial", "shift",
            # the treasurers' pages (issue 11)
            "step", "item", "line", "add_up", "save", "deposit", "all", "agreed", "proceeds",
            "add-agreed", "add-proceeds", "declared_cents", "payload", "anyway", "more_checks",
            "more_odd_items", "work_out",
            # issue 12
            "format", "processor", "show", "event")

HOSTILE_VALUES = [
    "2147483647", "2147483648", "-2147483649", "9223372036854775808", "9" * 40, "-1", "0",
    "Infinity", "-Infinity", "NaN", "1e1000000", "1e300000", "-1e309", "1.5e-400",
    "\x00", "a\x00b", "\x07\x1b[31m", "line\nbreak", "\r\n", "tab\there",
    "0001-01-01", "9999-12-31", "10000-01-01", "0001-01-01T00:00", "9999-12-31T23:59",
    "1999-12-31T23:59", "2101-01-01", "24:61", "x" * 5000, "💥" * 300, "\u202eevil",
    "ﷺ", "Ω≈ç√∫", "%00", "'; DROP TABLE events_event; --", "<script>alert(1)</script>",
    "FREQ=DAILY;BYSETPOS=366", "FREQ=YEARLY;BYSETPOS=366", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31",
    "", " ", "true", "on", "None", "[]",
]
# Finding is enough: shrinking a failure across every page would take minutes, and the
# failing page, key and value are in the assertion message.
FIND = [Phase.explicit, Phase.generate]
hostile = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
)


def named_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace:  # the admin: Django's own forms
                continue
            yield from named_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            if prefix.startswith("accounts/") and entry.name not in ACCOUNT_PAGES:
                continue
            yield prefix + str(entry.pattern), entry


def model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


# Which object a ``<pk>`` stands for, by the page's name (first match wins).
PK_OBJECTS = [
    # The treasurers' books (issue 11): drive pages stand for October's drive (Demo.kwargs).
    ("money_session_new", "events.Event"), ("money_deposit_new", "events.Event"),
    ("money_drive", "events.Event"), ("money_reconcile", "events.Event"),
    ("money_reopen", "events.Event"), ("money_adjustment_new", "events.Event"),
    ("money_session", "donations.CountSession"), ("money_sheet", "donations.CountSheet"),
    ("money_count", "donations.CountSheet"), ("money_switch_counter", "donations.CountSheet"),
    ("money_proceeds", "donations.OddItem"), ("money_deposit", "donations.Deposit"),
    # Totals, card gifts, acknowledgments and exports (issue 12).
    ("money_dashboard", "events.Event"), ("money_card_gifts", "events.Event"),
    ("money_card_import", "events.Event"), ("money_reconciliation_report", "events.Event"),
    ("money_journal_export", "donations.JournalExport"),
    ("money_giving_code_team", "volunteers.Team"), ("money_giving_code_site", "events.Site"),
    ("money_acknowledgment", "donations.CountCheck"), ("team_raised", "volunteers.Team"),
    ("fundraiser_raised", "events.Event"),
    ("rsvp", "events.Rsvp"), ("invitation", "volunteers.TeamInvitation"),
    ("series", "events.EventSeries"), ("message", "volunteers.Message"),
    ("signup", "volunteers.Signup"), ("shift", "events.Shift"), ("team", "volunteers.Team"),
    ("event", "events.Event"), ("organizer_feed", "events.Event"),
    ("permit_requirement", "events.PermitRequirement"), ("permit", "events.Permit"),
    ("organize_site", "events.Site"), ("site_board", "events.Event"), ("drive_", "events.Event"),
    ("organize_badge", "donations.Badge"),
    ("bucket", "donations.Bucket"),
]


class Demo:
    """The demo coalition, and who may use each page."""

    def __init__(self):
        call_command("seed_demo", stdout=io.StringIO())
        self.organizer = organizer()
        membership = TeamMembership.objects.filter(is_captain=True).select_related("team").first()
        self.team = membership.team
        self.captain = membership.user
        self.signup = Signup.objects.filter(status=Signup.Status.CONFIRMED).first()
        self.volunteer = self.signup.volunteer
        self.shift = self.signup.shift
        self.event = self.shift.event
        rsvp = Rsvp.objects.first()
        self.rsvp = rsvp
        self.member = self.team.members.exclude(pk=self.captain.pk).first()
        # The street drive's board cells: a shift at a site.
        self.site_shift = Shift.objects.filter(site__isnull=False).order_by("pk").first()
        # Collector badges of the street drive (issue #10): badge pages, /verify/<code>/.
        from donations.badges import badge_issue_all

        badge_issue_all(event=self.site_shift.event, by=self.organizer)
        badge = model("donations.Badge").objects.order_by("pk").first()
        self.badge_code = badge.code if badge else "not-a-badge-code"
        # The treasurers' books (issue 11): October's drive, half counted, and its treasurer.
        self.money_drive = model("donations.CountSession").objects.first().event
        self.treasurer = User.objects.get(email="treasurer@example.org")
        from donations.acknowledgments import gifts_to_acknowledge

        self.gift = next(g for g in gifts_to_acknowledge(event=self.money_drive)
                         if g.kind == "check")

    def object_pk(self, name: str) -> int | None:
        chosen = {"events.Rsvp": self.rsvp, "volunteers.Signup": self.signup,
                  "events.Shift": self.shift, "volunteers.Team": self.team,
                  "events.Event": self.event}
        for keyword, label in PK_OBJECTS:
            if keyword in name:
                if label in chosen and chosen[label] is not None:
                    return chosen[label].pk
                found = model(label)
                row = found.objects.order_by("pk").first() if found else None
                return row.pk if row else 1
        return None

    def kwargs(self, name: str, params: list[str]) -> dict | None:
        if params == ["pk"] and dict(PK_OBJECTS).get(name) == "events.Event" and (
                name.startswith("money_") or name == "fundraiser_raised"):
            return {"pk": self.money_drive.pk}
        if "kind" in params:  # a gift to acknowledge (issue 12): the demo's $300 check
            return {"kind": self.gift.kind, "pk": self.gift.pk}
        if name.startswith(("site_board", "drive_")):
            street = {"pk": self.site_shift.event_id, "shift_pk": self.site_shift.pk}
            return {param: street[param] for param in params}
        values = {
            "event_pk": self.event.pk, "shift_pk": self.shift.pk,
            "user_pk": self.member.pk if self.member else self.captain.pk,
            "token": self.volunteer.calendar_token,
            "code": self.badge_code,
            "invitation_pk": self.object_pk("invitation"),
            "pk": self.object_pk(name),
        }
        if any(values.get(param) is None for param in params):
            return None
        return {param: values[param] for param in params}

    def person(self, route: str, name: str) -> User | None:
        if name in ACCOUNT_PAGES:
            return None
        if route.startswith("organize/"):
            return self.organizer
        if route.startswith("money/"):
            return self.treasurer
        if route.startswith("teams/"):
            return self.captain
        return self.volunteer


def pages(demo: Demo) -> list[tuple[str, str, User | None]]:
    found = []
    for route, pattern in named_patterns():
        params = list(pattern.pattern.converters)
        kwargs = demo.kwargs(pattern.name, params)
        if kwargs is None:
            raise AssertionError(f"{pattern.name}: say which object its {params} stand for "
                                 "(PK_OBJECTS in tests/test_hostile_forms.py)")
        found.append((pattern.name, reverse(pattern.name, kwargs=kwargs),
                      demo.person(route, pattern.name)))
    return found


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for app in PROJECT_APPS if apps.is_installed(app)
        for m in apps.get_app_config(app).get_models()
    }


def form_fields(response) -> list[str]:
    """The names a page's forms send (``response.context`` of a GET)."""
    names = []
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            forms = value if isinstance(value, list | tuple) else [value]
            for form in forms:
                if isinstance(form, BaseForm):
                    names += [form.add_prefix(name) for name in form.fields]
    return sorted(set(names))


def refused(response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code != 200 or not response.context:
        return False
    return any(
        isinstance(value, BaseForm) and value.is_bound and value.errors
        for context in response.context
        for value in (context.flatten().values() if hasattr(context, "flatten") else [])
    )


@settings(max_examples=40, deadline=None, derandomize=True, phases=FIND,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["title", "description", "starts_at", "ends_at", "latitude",
                              "longitude", "rsvp_capacity", "cancel_cutoff_hours",
                              "reminder_hours", "venue_name", "address", "what_to_bring"]),
       value=hostile)
def test_hostile_value_in_an_otherwise_valid_event_form(client, field, value):
    """One hostile field in a form that is otherwise accepted reaches the deeper checks."""
    from tests.events.test_organize_events import event_form

    user = getattr(test_hostile_value_in_an_otherwise_valid_event_form, "user", None)
    if user is None or not User.objects.filter(pk=user.pk).exists():
        user = organizer()
        test_hostile_value_in_an_otherwise_valid_event_form.user = user
    client.force_login(user)
    before = Event.objects.count()

    response = client.post(reverse("organize_event_create"), event_form(**{field: value}))

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Event.objects.count() == before
    else:
        event = Event.objects.latest("pk")
        assert 2000 <= event.starts_at.year <= 2100
        assert "\n" not in event.title and "\x00" not in event.description


@settings(max_examples=30, deadline=None, derandomize=True, phases=FIND,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["role", "title", "starts_at", "ends_at", "needed", "capacity",
                              "min_age", "notes"]),
       value=hostile)
def test_hostile_value_in_an_otherwise_valid_shift_form(client, field, value):
    from tests.events.conftest import local
    from tests.factories import EventFactory

    user = organizer()
    client.force_login(user)
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    payload = {"role": "collector", "starts_at": "2027-03-06T08:00",
               "ends_at": "2027-03-06T11:00", "needed": 2, "capacity": 3, field: value}

    response = client.post(reverse("organize_event_shifts", args=[event.pk]), payload)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Shift.objects.filter(event=event).count() == 0


@settings(max_examples=30, deadline=None, derandomize=True, phases=FIND,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.lists(st.sampled_from([
        "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=YEARLY", "BYSETPOS=366",
        "BYSETPOS=-1", "BYMONTH=2", "BYMONTHDAY=31", "BYMONTHDAY=-31", "BYYEARDAY=366",
        "BYWEEKNO=53", "BYDAY=5MO", "BYDAY=MO,TU", "COUNT=120", "INTERVAL=99",
        "UNTIL=99991231", "UNTIL=00010101",
    ]), min_size=1, max_size=6).map(";".join),
), first_date=st.sampled_from(["2027-01-01", "0001-01-01", "9999-12-31", "2100-12-31"]))
def test_hostile_series_rule_answers_quickly(client, rule, first_date):
    import time

    from tests.events.test_recurrence import series_form

    client.force_login(organizer())
    started = time.monotonic()

    response = client.post(reverse("organize_series_create"),
                           series_form(rrule=rule, first_date=first_date, until=""))

    assert response.status_code in (200, 302)
    assert time.monotonic() - started < 2, rule
    if response.status_code == 200:
        assert not EventSeries.objects.exists()
    else:
        EventSeries.objects.all().delete()
        Event.objects.all().delete()


def test_every_project_form_is_bounded():
    """Every form class of Rally's apps goes through the one bounding mechanism."""
    import importlib
    import pkgutil

    from config.input_bounds import BoundedFormMixin

    for app in ("events", "volunteers", "donations"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    unbounded = {
        f"{form.__module__}.{form.__qualname__}" for form in set(subclasses(BaseForm))
        if form.__module__.split(".")[0] in ("events", "volunteers", "donations")
        and not issubclass(form, BoundedFormMixin)
    }
    assert sorted(unbounded) == []


# Last in the module: from the first test that asks for the demo on, the module runs inside
# the transaction that holds it (tests/conftest.py module_transaction).
@pytest.fixture(scope="module")
def demo_module(module_transaction):
    """Seeded once for this module, in a transaction rolled back at its end
    (tests/conftest.py): every test still runs in its own savepoint."""
    with module_transaction.unblock():
        return Demo()


@pytest.fixture
def demo(demo_module, db):
    return demo_module


def test_every_page_has_its_objects(demo):
    assert len(pages(demo)) >= 40


# The pages are walked in PAGE_GROUPS groups, each its own Hypothesis run: one run over every
# page draws more than Hypothesis allows for one example (8 KB of choices).
PAGE_GROUPS = 6


@pytest.mark.parametrize("group", range(PAGE_GROUPS))
@settings(max_examples=6, deadline=None, derandomize=True, phases=FIND,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_input_to_every_page_is_refused_without_500(client, demo, data, group):
    fields_by_page: dict[str, list[str]] = getattr(demo, "fields_by_page", {})
    demo.fields_by_page = fields_by_page
    for name, url, person in pages(demo)[group::PAGE_GROUPS]:
        client.logout()
        if person is not None:
            client.force_login(person)
        if name not in fields_by_page:
            fields_by_page[name] = form_fields(client.get(url))
        keys = fields_by_page[name] + list(RAW_KEYS)
        payload = {key: data.draw(hostile, label=f"{name}.{key}") for key in keys
                   if data.draw(st.booleans(), label=f"{name}.{key}?")}
        query = {key: data.draw(hostile, label=f"{name}?{key}") for key in ("q", "kind", "page")}

        before = row_counts()
        response = client.post(url, payload)
        assert response.status_code < 500, (name, payload)
        if refused(response):
            assert row_counts() == before, (name, payload, response.status_code)

        response = client.get(url, query)
        assert response.status_code < 500, (name, query)

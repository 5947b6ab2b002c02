import datetime
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from donations.models import Bucket
from events.models import Event, EventKind, Permit, Shift, ShiftRole, Site, SiteKind
from volunteers.models import Role, RoleGrant, Signup, Team, TeamMembership, User

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    confirmed_adult = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
        if create:
            obj.save()


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.ORGANIZER


def organizer() -> User:
    return RoleGrantFactory(role=Role.ORGANIZER).user


def treasurer() -> User:
    return RoleGrantFactory(role=Role.TREASURER).user


def captain() -> User:
    return RoleGrantFactory(role=Role.CAPTAIN).user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    partner_organization = "Peoples Church"


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    is_captain = False


def in_days(days: int, hour: int = 9) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    kind = EventKind.FUNDRAISER
    title = factory.Sequence(lambda n: f"Bucket Drive {n}")
    venue_name = "Peoples Church"
    address = "7172 N Cedar Ave, Fresno, CA 93720"
    starts_at = factory.LazyFunction(lambda: in_days(7, 7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=10))
    status = Event.Status.PUBLISHED


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    event = factory.SubFactory(EventFactory)
    role = ShiftRole.COLLECTOR
    starts_at = factory.LazyAttribute(lambda o: o.event.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=3))
    needed = 3
    capacity = 5


class SignupFactory(factory.django.DjangoModelFactory):
    """A row as the services would leave it; use volunteers.services.signups to test rules."""

    class Meta:
        model = Signup

    shift = factory.SubFactory(ShiftFactory)
    volunteer = factory.SubFactory(UserFactory)
    status = Signup.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)


class SiteFactory(factory.django.DjangoModelFactory):
    """A sidewalk corner in Fresno (lat ~36.8, lon ~-119.8), 2 to 4 people."""

    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Blackstone & Shaw {n}, NE corner")
    address = "N Blackstone Ave & E Shaw Ave, Fresno, CA"
    latitude = factory.Sequence(lambda n: Decimal("36.808000") + Decimal(n % 500) / 10000)
    longitude = factory.Sequence(lambda n: Decimal("-119.790000") - Decimal(n % 500) / 10000)
    kind = SiteKind.SIDEWALK
    jurisdiction = "Fresno"
    min_people = 2
    max_people = 4


class PermitFactory(factory.django.DjangoModelFactory):
    """Valid from 30 days ago to 30 days ahead, all day, no collector cap.
    Pass sites=[site, ...] to cover sites."""

    class Meta:
        model = Permit
        skip_postgeneration_save = True

    authority = "City of Fresno"
    reference = factory.Sequence(lambda n: f"SP-{n:04d}")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    daily_start = None
    daily_end = None
    max_collectors = None

    @factory.post_generation
    def sites(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.sites.set(extracted)


class BucketFactory(factory.django.DjangoModelFactory):
    """A sealable street bucket, in stock (no custody rows yet)."""

    class Meta:
        model = Bucket

    number = factory.Sequence(lambda n: 100 + n)
    kind = Bucket.Kind.BUCKET
    is_active = True

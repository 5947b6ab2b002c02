"""A street drive whose buckets are back at the counting table, for the treasurer tests.

``MoneyWorld(buckets=3)`` builds one fundraiser with one site and one collector shift, a team
(captain Carla, collectors), ``buckets`` buckets each issued to a collector of the team and
returned with an intact seal through the real custody services, and the people the books need:
three treasurers (``ann``, ``ben``, ``tess``, who did not collect), an organizer who is not a
treasurer, a plain volunteer, and a superuser. ``world.returns`` lists the custody "returned"
rows, one per bucket, in bucket order; ``world.collectors[i]`` held ``world.buckets[i]``."""

import datetime

from donations.custody import bucket_issue, bucket_return
from donations.handoff import personal_code
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    organizer,
    treasurer,
)
from volunteers.models import Team


class MoneyWorld:
    def __init__(self, buckets: int = 3, *, event=None):
        self.event = event or EventFactory(title="Fresno Street Drive")
        self.site = SiteFactory()
        start = self.event.starts_at
        self.shift = ShiftFactory(event=self.event, site=self.site, starts_at=start,
                                  ends_at=start + datetime.timedelta(hours=3),
                                  capacity=max(5, buckets + 1))
        # A second world in the same test gets "Peoples Church Youth 2" (names are unique).
        taken = Team.objects.filter(name__startswith="Peoples Church Youth").count()
        self.team = TeamFactory(name="Peoples Church Youth" + (f" {taken + 1}" if taken else ""))
        self.organizer = organizer()
        self.ann = treasurer()
        self.ben = treasurer()
        self.tess = treasurer()
        self.volunteer = UserFactory()
        self.superuser = UserFactory(is_superuser=True, is_staff=True)
        self.collectors = []
        self.buckets = []
        self.returns = []
        for index in range(buckets):
            collector = SignupFactory(shift=self.shift, team=self.team).volunteer
            TeamMembershipFactory(team=self.team, user=collector)
            bucket = BucketFactory()
            bucket_issue(bucket=bucket, shift=self.shift, to=collector,
                         seal_number=f"S-{1000 + index}", by=self.organizer,
                         receiver_code=personal_code(collector, self.event))
            self.returns.append(bucket_return(bucket=bucket, seal_number=f"S-{1000 + index}",
                                              seal_intact=True, by=self.organizer))
            self.collectors.append(collector)
            self.buckets.append(bucket)

    def return_another(self, *, team=None):
        """One more bucket out with a new collector of ``team`` (default: the world's team)
        and back; returns its "returned" custody row."""
        team = team or self.team
        collector = SignupFactory(shift=self.shift, team=team).volunteer
        TeamMembershipFactory(team=team, user=collector)
        bucket = BucketFactory()
        bucket_issue(bucket=bucket, shift=self.shift, to=collector, seal_number="S-9",
                     by=self.organizer, receiver_code=personal_code(collector, self.event))
        returned = bucket_return(bucket=bucket, seal_number="S-9", seal_intact=True,
                                 by=self.organizer)
        self.collectors.append(collector)
        self.buckets.append(bucket)
        self.returns.append(returned)
        return returned

    def bucket_out(self):
        """A bucket issued on the drive and not returned."""
        collector = SignupFactory(shift=self.shift, team=self.team).volunteer
        bucket = BucketFactory()
        bucket_issue(bucket=bucket, shift=self.shift, to=collector, seal_number="S-8",
                     by=self.organizer, receiver_code=personal_code(collector, self.event))
        return bucket

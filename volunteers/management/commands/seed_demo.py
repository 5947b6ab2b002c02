from django.core.management.base import BaseCommand
from django.db import transaction

from volunteers.demo import DEMO_PASSWORD, STAFF, seed_people


class Command(BaseCommand):
    help = "Create demo data that looks like a real coalition. Safe to run again."

    def handle(self, *args, **options):
        from donations.demo import seed_buckets
        from donations.demo_gifts import seed_gifts
        from donations.demo_money import seed_books
        from events.demo import seed_events
        from events.demo_drive import seed_street_drive
        from volunteers.demo_signups import seed_signups

        with transaction.atomic():
            people = seed_people()
            events = seed_events(people)
            seed_signups(people, events)
            drive = seed_street_drive(people)
            seed_buckets(people, drive)
            seed_gifts(seed_books(people))
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, name, roles, _language in STAFF:
            label = ", ".join(str(role.label) for role in roles) or "Volunteer"
            self.stdout.write(f"  {email:<26} {name} ({label})")
        self.stdout.write(f"  {'admin@example.org':<26} Django admin (superuser)")

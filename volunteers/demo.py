"""Demo people for `manage.py seed_demo`: organizers, treasurers, captains, ~40 volunteers."""

import functools

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from .models import Role, User
from .services.roles import role_grant

DEMO_PASSWORD = "stop-trafficking-2026"  # noqa: S105 - printed and documented on purpose

STAFF = [
    ("organizer@example.org", "Maria Delgado", [Role.ORGANIZER], "es"),
    ("organizer2@example.org", "Pastor James Whitfield", [Role.ORGANIZER, Role.TREASURER],
     "en"),
    ("treasurer@example.org", "Grace Nakamura", [Role.TREASURER], "en"),
    ("treasurer2@example.org", "Ruth Okafor", [Role.TREASURER], "en"),
    ("treasurer3@example.org", "Tom Alvarez", [Role.TREASURER], "es"),
    ("captain@example.org", "Daniel Reyes", [Role.CAPTAIN], "en"),
    ("captain2@example.org", "Hannah Sorensen", [Role.CAPTAIN], "en"),
    ("captain3@example.org", "Luis Ochoa", [Role.CAPTAIN], "es"),
    ("volunteer@example.org", "Sam Patel", [], "en"),
]

VOLUNTEER_NAMES = [
    "Ana Gutierrez", "Brian Kowalski", "Carmen Vasquez", "David Nguyen", "Elena Morales",
    "Frank Yamamoto", "Gabriela Ruiz", "Henry Thao", "Isabel Fuentes", "Jacob Miller",
    "Karina Sandoval", "Leo Hernandez", "Mei Lin", "Nathan Brooks", "Olivia Chavez",
    "Paul Vang", "Rosa Castillo", "Steven Her", "Teresa Avila", "Victor Mendoza",
    "Wendy Lor", "Xavier Cruz", "Yesenia Romero", "Zach Peterson", "Alicia Ramos",
    "Ben Moua", "Claudia Silva", "Derek Johnson", "Esther Kim", "Fernando Lopez",
    "Gloria Xiong", "Hector Ibarra", "Irene Walker", "Jorge Espinoza", "Kelly Yang",
    "Lupe Navarro", "Marcus Green", "Nina Cha", "Oscar Ponce", "Priya Shah",
]


def demo_email(name: str) -> str:
    first, last = name.lower().split(" ", 1)
    return f"{first}.{last.replace(' ', '')}@example.org"


@functools.cache
def demo_password_hash() -> str:
    """Hashed once: hashing is slow on purpose, and every demo account shares the password."""
    return make_password(DEMO_PASSWORD)


def ensure_person(email: str, name: str, language: str = "en") -> User:
    """Create the demo person once; a second run finds and returns them unchanged."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            password=demo_password_hash(),
            display_name=name,
            language=language,
            confirmed_adult=True,
            phone="(559) 555-01" + f"{len(name) % 90 + 10}",
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_people() -> dict[str, list[User]]:
    people: dict[str, list[User]] = {"organizers": [], "treasurers": [], "captains": [],
                                     "volunteers": []}
    for email, name, roles, language in STAFF:
        user = ensure_person(email, name, language)
        for role in roles:
            role_grant(user=user, role=role, by=None)
            people[f"{role}s"].append(user)
        if not roles:
            people["volunteers"].append(user)
    for index, name in enumerate(VOLUNTEER_NAMES):
        person = ensure_person(demo_email(name), name, "es" if index % 4 == 0 else "en")
        people["volunteers"].append(person)
    admin = User.objects.filter(email="admin@example.org").first()
    if admin is None:
        admin = User.objects.create(
            email="admin@example.org", password=demo_password_hash(), display_name="Rally Admin",
            is_staff=True, is_superuser=True, confirmed_adult=True,
        )
    EmailAddress.objects.get_or_create(
        user=admin, email=admin.email, defaults={"verified": True, "primary": True}
    )
    return people

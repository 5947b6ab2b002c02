"""Giving codes, and the card and online gifts that come back with them (issue 12).

A team or a site may have a giving code (3 to 20 of A-Z, 0-9 and inner hyphens, unique across
teams AND sites). Its giving link is the coalition's own donation page with ``?code=<code>``
(``donations.totals.giving_link``), printed with a QR code on the team's run sheet and on each
collector's badge. When the processor's export comes back, ``read_code`` finds the code in the
column the treasurer named (a custom field, or free text such as a note or a description) and
the gift counts toward that team or site; a gift whose code Rally does not know is imported
unattributed and listed, and stays so (card gifts are final once written).

Services (writes): ``giving_code_set``, ``giving_codes_make``; the import itself is in
donations/card_csv.py. Selectors (reads): ``known_codes``, ``read_code``, ``giving_holders``,
``card_gifts_for``, ``card_gift_summary``, ``card_imports_for``."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from events.models import Event, Site
from volunteers.models import Team, User
from volunteers.rules import is_organizer, is_treasurer

from .ledger import MoneyError, audit
from .models import CardGift, CardImport

CODE_MIN, CODE_MAX = 3, 20
CODE_SHAPE = re.compile(r"^[A-Z0-9](?:[A-Z0-9-]{1,18})[A-Z0-9]$")
# A code inside free text ("Donation via giving page, code=PCY-27", a URL with ?code=...).
TOKEN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
MARKED = re.compile(r"(?<![A-Z])CODE(?![A-Z])\s*[:=#]?\s*([A-Z0-9]+(?:-[A-Z0-9]+)*)")
# The random part of a made code: no 0/O, 1/I/L, so a code read aloud or off paper is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Serializes code changes, so a team and a site cannot take the same code at the same moment
# (each table's unique index only sees its own rows). Any constant; "RALLYGC" in hex-ish.
CODES_LOCK = 0x5241_4C47


def can_set_giving_codes(user) -> bool:
    """The giving codes page: organizers (who print run sheets and badges) and treasurers."""
    return bool(is_organizer(user) or is_treasurer(user))


# --- Codes as people type and read them ------------------------------------------------------


def normal_code(text) -> str:
    """What a person typed, as Rally stores codes: no spaces around, upper case."""
    return str(text or "").strip().upper()


def clean_code(text) -> str | None:
    """A giving code as typed, checked: None to clear it; MoneyError at ``code``."""
    code = normal_code(text)
    if not code:
        return None
    if len(code) < CODE_MIN or len(code) > CODE_MAX:
        raise MoneyError(_("A giving code has %(min)s to %(max)s characters.")
                         % {"min": CODE_MIN, "max": CODE_MAX}, "code")
    if not CODE_SHAPE.match(code):
        raise MoneyError(_("Use only letters A to Z, digits and hyphens (not at the start or "
                           "the end), like PCY-27."), "code")
    return code


@dataclass(frozen=True)
class Holder:
    """Whose a giving code is."""

    kind: str  # "team" or "site"
    pk: int
    name: str


def known_codes() -> dict[str, Holder]:
    """Every giving code in use, teams' and sites': two queries."""
    codes = {code: Holder("team", pk, name) for pk, name, code in
             Team.objects.exclude(giving_code=None).values_list("pk", "name", "giving_code")}
    codes.update({code: Holder("site", pk, name) for pk, name, code in
                  Site.objects.exclude(giving_code=None).values_list("pk", "name",
                                                                     "giving_code")})
    return codes


@dataclass(frozen=True)
class CodeRead:
    code: str  # as found in the file ("" when none was found)
    holder: Holder | None  # None: unattributed (no code, or one Rally does not know)


class CodeReader:
    """Finds a giving code in a cell of the processor's file. Built once per import."""

    def __init__(self, codes: dict[str, Holder]):
        self.codes = codes
        squashed: dict[str, str | None] = {}
        for code in codes:
            key = code.replace("-", "")
            squashed[key] = None if key in squashed else code  # ambiguous: not used
        self.squashed = {key: code for key, code in squashed.items() if code}

    def _known(self, token: str) -> str | None:
        if token in self.codes:
            return token
        return self.squashed.get(token.replace("-", ""))

    def read(self, text: str) -> CodeRead:
        """The cell's code: the whole cell ("PCY-27", "pcy 27"), the word after "code"
        ("code=PCY-27", "Giving code: PCY-27", a link with ?code=PCY-27), or a known code
        anywhere in the text. A code-like value Rally does not know is kept as read (the gift
        is unattributed); free text without a code gives ""."""
        text = " ".join(str(text or "").split()).upper()[:1000]
        if not text:
            return CodeRead("", None)
        for candidate in (text, text.replace(" ", "-"), text.replace(" ", "")):
            found = self._known(candidate)
            if found:
                return CodeRead(found, self.codes[found])
        marked = MARKED.search(text)
        if marked:  # "code PCY 27": the words after "code", joined as a code is written
            words = TOKEN.findall(text[marked.start(1):])[:3]
            for count in range(len(words), 0, -1):
                for joiner in ("-", ""):
                    found = self._known(joiner.join(words[:count]))
                    if found:
                        return CodeRead(found, self.codes[found])
        for token in TOKEN.findall(text):
            found = self._known(token)
            if found:
                return CodeRead(found, self.codes[found])
        if marked:
            return CodeRead(marked[1][:40], None)
        if CODE_SHAPE.match(text):
            return CodeRead(text, None)
        return CodeRead("", None)


def read_code(text: str, codes: dict[str, Holder] | None = None) -> CodeRead:
    return CodeReader(known_codes() if codes is None else codes).read(text)


# --- Services -----------------------------------------------------------------------------------


def _lock_codes() -> None:
    """Take the giving codes' lock for the rest of the transaction (PostgreSQL; SQLite
    serializes every write anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CODES_LOCK])


def _holder_of(code: str, *, except_team: int | None = None,
               except_site: int | None = None) -> str | None:
    team = Team.objects.filter(giving_code=code).exclude(pk=except_team).first()
    if team is not None:
        return _("the team %(name)s") % {"name": team.name}
    site = Site.objects.filter(giving_code=code).exclude(pk=except_site).first()
    if site is not None:
        return _("the site %(name)s") % {"name": site.name}
    return None


def giving_code_set(*, holder: Team | Site, code: str, by: User) -> Team | Site:
    """Set (or clear, with "") the giving code of a team or a site. Refused at ``code``
    when it is not a code's shape, or another team or site has it. One transaction under
    the codes' lock; audit ``giving_code.set`` (nothing when the code is unchanged). Gifts
    already imported with the old code stay with the team or site they named."""
    new = clean_code(code)
    with transaction.atomic():
        _lock_codes()
        model = type(holder)
        holder = model.objects.select_for_update().get(pk=holder.pk)
        old = holder.giving_code
        if old == new:
            return holder
        if new is not None:
            taken = _holder_of(new, except_team=holder.pk if model is Team else None,
                               except_site=holder.pk if model is Site else None)
            if taken:
                raise MoneyError(_("%(code)s is already the giving code of %(holder)s. Each "
                                   "team and site has its own code.")
                                 % {"code": new, "holder": taken}, "code")
        holder.giving_code = new
        holder.save(update_fields=["giving_code"])
        kind = _("Team") if model is Team else _("Site")
        audit(action="giving_code.set", by=by,
              subject=_("%(kind)s %(name)s: giving code") % {"kind": kind, "name": holder.name},
              before={"code": old}, after={"code": new, model.__name__.lower(): holder.pk})
    return holder


def _stem(name: str, fallback: str) -> str:
    """The letters a made code starts with: a name's initials ("Peoples Church Youth":
    PCY), or the start of a one-word name ("Rotary": ROTA)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = re.findall(r"[A-Z0-9]+", plain)
    stem = ("".join(word[0] for word in words) if len(words) > 1
            else (words[0] if words else ""))[:4]
    return stem if len(stem) >= 2 else (fallback + stem)[:4]


def new_code(name: str, taken: set[str], *, fallback: str = "T") -> str:
    """A short readable code for ``name`` not in ``taken``: its stem, a hyphen and two
    random characters (three, then four, when those run out)."""
    stem = _stem(name, fallback)
    for length in (2,) * 20 + (3,) * 20 + (4,) * 40:
        code = f"{stem}-{''.join(secrets.choice(CODE_ALPHABET) for _n in range(length))}"
        if code not in taken:
            return code
    raise MoneyError(_("Rally could not make a free code for %(name)s: type one.")
                     % {"name": name}, "code")


def giving_codes_make(*, by: User) -> list[tuple[Team | Site, str]]:
    """Give every team, and every active site, that has no giving code a short readable
    one. One transaction under the codes' lock; audit ``giving_code.made`` listing them.
    Returns (team or site, code) for each new code, teams first."""
    made: list[tuple[Team | Site, str]] = []
    with transaction.atomic():
        _lock_codes()
        taken = set(known_codes())
        teams = list(Team.objects.select_for_update().filter(giving_code=None).order_by("name"))
        sites = list(Site.objects.select_for_update().filter(giving_code=None, is_active=True)
                     .order_by("name"))
        for holder, fallback in [*((team, "T") for team in teams),
                                 *((site, "S") for site in sites)]:
            code = new_code(holder.name, taken, fallback=fallback)
            taken.add(code)
            holder.giving_code = code
            holder.save(update_fields=["giving_code"])
            made.append((holder, code))
        if made:
            audit(action="giving_code.made", by=by, subject=_("Giving codes made"),
                  after={"teams": {team.name: code for team, code in made
                                   if isinstance(team, Team)},
                         "sites": {site.name: code for site, code in made
                                   if isinstance(site, Site)}})
    return made


# --- Selectors ----------------------------------------------------------------------------------


def giving_holders() -> tuple[list[Team], list[Site]]:
    """The giving codes page: every team, and the active sites (and retired ones that still
    have a code), by name. Two queries."""
    teams = list(Team.objects.order_by("name"))
    sites = list(Site.objects.filter(Q(is_active=True) | Q(giving_code__isnull=False))
                 .order_by("name"))
    return teams, sites


def unattributed_q() -> Q:
    return Q(team__isnull=True, site__isnull=True)


def card_gifts_for(event: Event, *, unattributed: bool = False) -> QuerySet[CardGift]:
    """The drive's card and online gifts, newest first, with their team, site and import."""
    gifts = (CardGift.objects.filter(event=event)
             .select_related("team", "site"))
    if unattributed:
        gifts = gifts.filter(unattributed_q())
    return gifts.order_by("-given_at", "-pk")


def card_gift_summary(event: Event) -> dict:
    """How many gifts, gross, fees; how many and how much not attributed. One query."""
    zero = 0
    return CardGift.objects.filter(event=event).aggregate(
        gifts=Count("pk"),
        gross_cents=Coalesce(Sum("amount_cents"), zero),
        fees_cents=Coalesce(Sum("fee_cents"), zero),
        unattributed=Count("pk", filter=unattributed_q()),
        unattributed_cents=Coalesce(Sum("amount_cents", filter=unattributed_q()), zero),
    )


def card_imports_for(event: Event, *, limit: int = 20) -> list[CardImport]:
    """The drive's latest imports with who made them and their total. One query."""
    zero = 0
    return list(CardImport.objects.filter(event=event).select_related("imported_by")
                .annotate(total_cents=Coalesce(Sum("gifts__amount_cents"), zero))
                .order_by("-at", "-pk")[:limit])

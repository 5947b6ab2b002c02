"""Holding a street collection shift for a team, and releasing it.

An organizer holds a cell of the assignment board (one shift at one site) for a team before
names are known: only that team's members may then take its places (the sign-up rule lives in
``volunteers.services.signups``). Each change is a ``HoldChange`` row (the history) and the
current state is ``Shift.held_for``; the emails are outbox rows written in the same
transaction (``volunteers.outbox.shift_held`` / ``hold_released``)."""

from django.db import transaction
from django.utils.translation import gettext as _

from volunteers import outbox
from volunteers.models import Signup, Team, TeamMembership, User

from .models import HoldChange, Shift
from .services import EventError


def _locked(shift: Shift) -> Shift:
    return (
        Shift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("event", "site", "held_for").get(pk=shift.pk)
    )


def _captain_ids(team_id: int) -> list[int]:
    return list(
        TeamMembership.objects.filter(team_id=team_id, is_captain=True, user__is_active=True)
        .order_by("user_id").values_list("user_id", flat=True)
    )


def _release(shift: Shift, *, by: User | None) -> HoldChange:
    team_id = shift.held_for_id
    change = HoldChange.objects.create(shift=shift, team_id=team_id,
                                       action=HoldChange.Action.RELEASED, by=by)
    shift.held_for = None
    shift.save(update_fields=["held_for"])
    through_team = (
        Signup.objects.filter(shift=shift, team_id=team_id,
                              status__in=[Signup.Status.CONFIRMED, Signup.Status.WAITLISTED])
        .values_list("volunteer_id", flat=True)
    )
    recipients = sorted(set(_captain_ids(team_id)) | set(through_team))
    outbox.hold_released(change, recipient_ids=recipients)
    return change


@transaction.atomic
def shift_hold(*, shift: Shift, team: Team, by: User | None) -> Shift:
    """Hold ``shift`` for ``team``: a HoldChange(held), ``Shift.held_for`` set, and a
    ``shift_held`` email to each of the team's captains, all in this transaction. A team
    without a captain is refused (nobody would hear of it). Holding it again for the same
    team changes nothing; holding it for another team releases the first hold (with its
    emails) before. Sign-ups already on the shift stay."""
    shift = _locked(shift)
    if shift.is_cancelled or shift.event.is_cancelled:
        raise EventError(_("This shift is cancelled and cannot be held."))
    if shift.site_id is not None and not shift.site.is_active:
        raise EventError(_("“%(site)s” is retired; its shifts cannot be held.") % {
            "site": shift.site.name}, field="team")
    if shift.held_for_id == team.pk:
        return shift
    captains = _captain_ids(team.pk)
    if not captains:
        raise EventError(
            _("%(team)s has no captain yet. Make one of its members captain first, so someone "
              "hears about the hold and fills the places.") % {"team": team.name},
            field="team",
        )
    if shift.held_for_id is not None:
        _release(shift, by=by)
    change = HoldChange.objects.create(shift=shift, team=team, action=HoldChange.Action.HELD,
                                       by=by)
    shift.held_for = team
    shift.save(update_fields=["held_for"])
    outbox.shift_held(change, recipient_ids=captains)
    return shift


@transaction.atomic
def shift_release(*, shift: Shift, by: User | None) -> Shift:
    """Release a shift's hold: a HoldChange(released), ``Shift.held_for`` emptied, and a
    ``hold_released`` email to the team's captains and to the people signed up through the
    team on that shift, whose sign-ups stay. Releasing a shift that is not held changes
    nothing."""
    shift = _locked(shift)
    if shift.held_for_id is None:
        return shift
    _release(shift, by=by)
    return shift

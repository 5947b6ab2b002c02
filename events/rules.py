"""Who may see and change events. Views check these on the server; templates only hide."""

import rules

from volunteers.rules import is_organizer

from .models import Event


@rules.predicate
def can_see_event(user, event: Event) -> bool:
    """Same rule as ``selectors.visible_events``: drafts for organizers only, members-only
    events for anyone logged in, everything else for everyone."""
    if event.status == Event.Status.DRAFT:
        return bool(is_organizer(user))
    if event.visibility == Event.Visibility.MEMBERS:
        return bool(user.is_authenticated)
    return True


can_manage_events = is_organizer

rules.add_perm("events.view_event", can_see_event)
rules.add_perm("events.manage_events", can_manage_events)

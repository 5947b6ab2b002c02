"""The outbox's entry points, called by the sign-up and event services inside their own
transaction (so a message exists exactly when the change it reports was committed).

CONTRACT shared by the services (issue #3) and the notification work (issue #4); the bodies
are filled in by the notifications work. Each function only writes Message rows.
"""


def signup_confirmed(signup, *, promoted: bool = False) -> None:
    """A volunteer holds a confirmed place (new, added by a captain/organizer, or promoted
    from the waitlist when ``promoted``): confirmation with invite, and reminders."""


def signup_waitlisted(signup) -> None:
    """A volunteer joined a full shift's waitlist."""


def signup_cancelled(signup, *, by_organizer: bool = False) -> None:
    """A confirmed or waiting sign-up ended (by the volunteer, or removed by an organizer
    when ``by_organizer``): a cancelling invite; pending reminders are dropped."""


def signup_moved(signup, *, previous_shift) -> None:
    """An organizer moved a sign-up from ``previous_shift`` to ``signup.shift``."""


def shift_changed(shift) -> None:
    """A shift's time or place changed: reminders re-timed, updated invites."""


def shift_cancelled(shift) -> None:
    """A shift (or its whole event) was cancelled: a CANCEL to everyone holding it."""

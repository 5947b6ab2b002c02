"""Who may do what with street money. Views check these on the server; templates only hide
links. The custody services check again, under the bucket lock, the two rules that depend on
the bucket's state: only its current holder (or an organizer) hands a bucket over, and only an
organizer may skip the receiver's personal code (with a written reason).

- Organizers do everything: create and retire buckets, issue, hand over, return, report lost
  or stolen, record found, log incidents, override a receiver's code with a reason, print.
- The volunteer holding a bucket (the holder of its latest issued / handed-over step) may hand
  it over to the next shift's volunteer at the same site, by entering the receiver's code on
  their phone. Nothing else: no override, no return, no issue.
- Captains have no custody powers of their own for now: a captain who holds a bucket hands it
  over like any holder; the staging point (organizers) issues and receives.
- Treasurers see custody (buckets, history, flagged returns, incidents) read-only.
- Everyone else: nothing (403); anonymous people are sent to log in by the views.
"""

import rules

from volunteers.rules import is_organizer, is_treasurer

from .models import CustodyEvent

OUT_KINDS = (CustodyEvent.Kind.ISSUED, CustodyEvent.Kind.HANDED_OVER)


def can_see_custody(user) -> bool:
    """Bucket lists, a bucket's history, incidents: organizers and treasurers."""
    return bool(is_organizer(user) or is_treasurer(user))


def can_manage_buckets(user) -> bool:
    """Create and retire buckets, issue, return, report lost / stolen, record found."""
    return bool(is_organizer(user))


def can_issue(user) -> bool:
    return can_manage_buckets(user)


def can_return(user) -> bool:
    return can_manage_buckets(user)


def can_report_missing(user) -> bool:
    return can_manage_buckets(user)


def can_record_found(user) -> bool:
    return can_manage_buckets(user)


def can_log_incident(user) -> bool:
    return can_manage_buckets(user)


def can_override_code(user) -> bool:
    """Skip the receiver's personal code, with a written reason (logged)."""
    return bool(is_organizer(user))


def holds_bucket(user, latest: CustodyEvent | None) -> bool:
    """``latest`` is the bucket's latest custody step (``custody.bucket_state``): the person
    holds the bucket when it is out and they are its holder."""
    return bool(
        user.is_authenticated and latest is not None and latest.kind in OUT_KINDS
        and latest.holder_id == user.pk
    )


def can_hand_over(user, latest: CustodyEvent | None) -> bool:
    """Organizers, and the bucket's current holder (to the next shift's volunteer)."""
    return bool(is_organizer(user) or holds_bucket(user, latest))


@rules.predicate
def _sees_custody(user) -> bool:
    return can_see_custody(user)


@rules.predicate
def _hands_over(user, latest) -> bool:
    return can_hand_over(user, latest)


rules.add_perm("donations.see_custody", _sees_custody)
rules.add_perm("donations.manage_buckets", is_organizer)
rules.add_perm("donations.hand_over_bucket", _hands_over)
rules.add_perm("donations.override_code", is_organizer)


# --- The treasurers' books --------------------------------------------------------------------
# Only treasurers (and superusers) enter and see money: counts, deposits, the bank, the audit
# trail. Organizers see custody but not counts unless they are treasurers too. Reopening a
# reconciled drive is for superusers only, with a reason.


def can_handle_money(user) -> bool:
    return bool(is_treasurer(user))


def can_reopen_books(user) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


rules.add_perm("donations.handle_money", is_treasurer)

"""Counting returned buckets: count sessions, count sheets, blind double counts, recounts,
the agreed figure, and what odd items brought when exchanged or sold.

An evening at the counting table is a :class:`CountSession`; each returned bucket opened there
is a :class:`CountSheet` (one per custody "returned" row). Two treasurers count it blind, each
signed in as themselves: counts A and B. Equal counts make an :class:`AgreedCount`; a
difference needs a recount (C, D ...) that equals an earlier count. Nothing is overwritten:
every count is a final row (PostgreSQL triggers hold that too, migration 0005).

Counters must be independent of the bucket: not on the team that collected it, not a
volunteer who held it on that trip, and A and B two different people. A small coalition may
override the first two (and a recount by someone who already counted) with a written reason,
kept on the count and in the audit trail; A and B by the same person is never allowed.

Blind counting: nobody sees a count's figures until A and B are both in, except its own
counter; while a recount is pending, only the people who have counted the bucket see the
figures, so a recount is blind too. Once agreed, every treasurer sees every count. The audit
trail is open to every treasurer, so a ``count.submitted`` row carries no amounts; the
``count.agreed`` row records the agreed figures and every count's total.

Every service runs in one transaction, takes the drive's row lock first (``lock_drive``: two
counters sending the first count of a bucket at the same moment get A and B, never two A),
refuses a locked drive, validates (``MoneyError`` with the form field it belongs to), writes
its rows, then its audit line."""

from .selectors import (
    count_signature,
    counter_refusal,
    counts_equal,
    figures_visible,
    last_saved_by,
    next_letter,
    returned_uncounted,
    sheet_agreed,
    sheet_state,
    sheets_for,
    treasurers,
    trip_holders,
)
from .services import (
    count_outcome,
    count_submit,
    proceeds_post,
    session_open,
    session_update,
    sheet_open,
)

__all__ = [
    "count_outcome", "count_signature", "count_submit", "counter_refusal", "counts_equal",
    "figures_visible", "last_saved_by", "next_letter", "proceeds_post", "returned_uncounted",
    "session_open", "session_update", "sheet_agreed", "sheet_open", "sheet_state",
    "sheets_for", "treasurers", "trip_holders",
]

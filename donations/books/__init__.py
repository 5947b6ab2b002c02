"""A drive's books as a whole: where its money stands (open → counted → deposited →
reconciled), its totals and variances, what still stands between it and reconciliation, the
reconciliation by an independent treasurer (which locks the drive), a superuser's reopening,
and the adjustment entries that correct a drive after it is locked.

The reads (drive.py: :func:`drive_books`; selectors.py: :func:`drives_with_money`,
:func:`undeposited_alerts`) look at the money tables directly, in a fixed number of queries
however many buckets a drive has; they never call the counting or banking services. The writes
(services.py) follow donations/ledger.py: one transaction, the drive's row locked first,
refusals as :class:`MoneyError`, an audit line.

A bucket's figure is its agreed count, plus what its odd items brought, plus the bank
adjustments allocated to it; adjustment entries that correct it are shown apart. When every
bucket is counted and deposited and every bank difference is covered by bank adjustments, the
buckets' figures add up to what the bank received."""

from .drive import (
    EXPLANATION_MAX,
    REASON_MAX,
    STATES,
    BucketTrip,
    DepositState,
    DriveBooks,
    Undeposited,
    Variance,
    drive_books,
)
from .selectors import (
    UndepositedAlert,
    correction_targets,
    drives_with_money,
    treasurers,
    undeposited_alerts,
)
from .services import adjustment_entry_create, drive_reconcile, drive_reopen

__all__ = [
    "EXPLANATION_MAX", "REASON_MAX", "STATES", "BucketTrip", "DepositState", "DriveBooks",
    "Undeposited", "UndepositedAlert", "Variance", "adjustment_entry_create",
    "correction_targets", "drive_books", "drive_reconcile", "drive_reopen", "drives_with_money",
    "treasurers", "undeposited_alerts",
]

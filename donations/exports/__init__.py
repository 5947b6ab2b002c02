"""What leaves Rally for someone outside the counting room: the accountant's CSV journal
(journal.py), the printable reconciliation report of a drive (report.py), the permit return a
city asks for after a collection (permit_return.py), and the organizers' reminder before that
return is due (reminders.py). Reads, except the journal's record of what it exported and the
reminders' outbox rows."""

from .journal import (
    COLUMNS,
    KINDS,
    JournalRow,
    journal_csv,
    journal_export_create,
    journal_rows,
    kinds_summary,
)
from .permit_return import PermitReturn, ReturnRow, permit_return, permit_return_csv
from .reminders import permit_return_reminders_queue
from .report import ReconciliationReport, reconciliation_report

__all__ = [
    "COLUMNS", "KINDS", "JournalRow", "PermitReturn", "ReconciliationReport", "ReturnRow",
    "journal_csv", "journal_export_create", "journal_rows", "kinds_summary", "permit_return",
    "permit_return_csv", "permit_return_reminders_queue", "reconciliation_report",
]

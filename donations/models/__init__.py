"""Street money: custody (buckets, their log, incidents, badges) before it is counted, and the
treasurers' books after (count sessions, blind double counts, deposits, bank lines, adjustments,
the drive's reconciliation and lock, the audit trail)."""

from .custody import Badge, Bucket, CustodyEvent, Incident, new_badge_code
from .money import (
    AdjustmentAllocation,
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankImport,
    BankLine,
    BankMatch,
    Count,
    CountCheck,
    CountLine,
    CountSession,
    CountSheet,
    Deposit,
    DepositItem,
    DriveMoneyStep,
    MoneyAudit,
    OddItem,
    OddItemProceeds,
    VarianceNote,
)

__all__ = [

    "AdjustmentAllocation",
    "AdjustmentEntry",
    "AgreedCount",
    "Badge",
    "BankAdjustment",
    "BankImport",
    "BankLine",
    "BankMatch",
    "Bucket",


    "Count",
    "CountCheck",
    "CountLine",
    "CountSession",
    "CountSheet",
    "CustodyEvent",
    "Deposit",
    "DepositItem",
    "DriveMoneyStep",
    "Incident",


    "MoneyAudit",
    "OddItem",
    "OddItemProceeds",
    "VarianceNote",
    "new_badge_code",
]

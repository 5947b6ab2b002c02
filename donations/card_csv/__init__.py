"""The card processor's CSV export, read into card gifts for a drive: all of the file or none.

It follows the bank import (donations/bank_csv.py), whose reading helpers it reuses:

1. ``read_card_csv`` reads the uploaded file (the same encodings and separators) into the
   column names and the rows, each with its row number as a spreadsheet shows it.
2. ``guess_mapping`` proposes which column holds what, from a preset for the processor
   (Stripe, PayPal, Square, Givebutter, or "Other": common names), the date format and the
   decimal mark; the treasurer checks it.
3. ``card_import_preview`` parses every row: the gifts to import (with the team or site whose
   giving code each carries, or unattributed), the rows refused (row number, column, why),
   the rows passed over (not a gift: a refund, a payout, a failed payment, dated outside the
   drive's days), and the gifts already in Rally (their processor reference was imported
   before). A column most of whose rows fail is refused at that column.
4. ``card_import_commit`` does the same inside one transaction with the drive locked, and
   saves every gift or none: any refused row, or a gift already in Rally (unless the
   treasurer chose to pass over those), raises ``CardImportError`` with every row's message.
   Audit ``card_import.imported``."""

from .columns import (
    COLUMN_KEYS,
    PRESETS,
    PROCESSOR_LABELS,
    TIMES,
    CardImportError,
    clean_mapping,
    default_days,
    guess_mapping,
    read_card_csv,
)
from .gifts import (
    CardPreview,
    ParsedGift,
    already_imported_message,
    card_import_commit,
    card_import_preview,
    language_of,
    parse_gift_time,
)

__all__ = [
    "COLUMN_KEYS", "PRESETS", "PROCESSOR_LABELS", "TIMES", "CardImportError", "CardPreview",
    "ParsedGift", "already_imported_message", "card_import_commit", "card_import_preview",
    "clean_mapping", "default_days", "guess_mapping", "language_of", "parse_gift_time",
    "read_card_csv",
]

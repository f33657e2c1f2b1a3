"""Settlement: holds, reversals, clawbacks, statements and payouts in an append-only ledger."""

from alliance.settlement._ledger import (
    Entry,
    EntryKind,
    Settlement,
    Statement,
    account,
    check_balanced,
)

__all__ = [
    "Entry",
    "EntryKind",
    "Settlement",
    "Statement",
    "account",
    "check_balanced",
]

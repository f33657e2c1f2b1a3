"""Settlement: holds, reversals, clawbacks, statements and payouts in an append-only ledger.

`settle` turns commissions into a payout period's statements, the double-entry ledger entries
that record them, and each commission line's movements behind those entries; stores
(`MemoryStore`, `SQLiteStore`) keep the ledger between runs.
"""

from alliance.settlement._export import export, to_records, write_csv, write_json, write_parquet
from alliance.settlement._ledger import (
    Entry,
    EntryKind,
    Movements,
    Settlement,
    Statement,
    account,
    check_balanced,
)
from alliance.settlement._settle import Action, settle
from alliance.settlement._store import MemoryStore, SQLiteStore, Store

__all__ = [
    "Action",
    "Entry",
    "EntryKind",
    "MemoryStore",
    "Movements",
    "SQLiteStore",
    "Settlement",
    "Statement",
    "Store",
    "account",
    "check_balanced",
    "export",
    "settle",
    "to_records",
    "write_csv",
    "write_json",
    "write_parquet",
]

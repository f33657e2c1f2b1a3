"""The ledger's records: entries (double-entry postings), statements, and a settlement run.

An entry is one posting to one account, in one currency, signed: a positive amount is a debit,
a negative one a credit. The postings of one transaction (``txn_id``) add up to zero in each
currency. Entry ids derive from what the entry records (an order line, a reversal, a statement),
so settling the same inputs twice produces the same ids and a store adds nothing new.

Accounts:

* ``expense``: commission cost of the programme (debited when commission accrues, credited when
  it is voided or clawed back);
* ``pending:<partner>``: commission accrued and still on hold;
* ``payable:<partner>``: commission approved and owed to the partner; it may go negative after
  a clawback, and is netted against later earnings;
* ``withholding:<partner>``: tax withheld from a payout, owed to the tax authority;
* ``fx:<currency>``: the clearing account of a payout converted into another currency (each
  currency's postings balance on their own);
* ``cash``: money paid out.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alliance._money import Money
from alliance._periods import Period
from alliance.errors import SettlementError

__all__ = [
    "Entry",
    "EntryKind",
    "Settlement",
    "Statement",
    "account",
    "check_balanced",
]

EntryKind = Literal[
    "accrual", "approval", "void", "clawback", "adjustment", "withholding", "payout", "fx"
]


def account(kind: str, owner: str | None = None) -> str:
    """An account name: ``expense``, ``cash``, or ``<kind>:<owner>`` (``payable:kol-1``)."""
    return kind if owner is None else f"{kind}:{owner}"


class Entry(BaseModel):
    """One posting of a balanced transaction.

    Attributes:
        entry_id: Derived from the source and the leg, stable across runs.
        txn_id: The transaction; its postings add up to zero per currency.
        kind: What the transaction records.
        account: Account posted to (see the module documentation).
        partner_id: The partner concerned (``None`` for a programme account).
        amount: Signed amount: a debit is positive, a credit negative.
        ts: When the event happened (the order, the reversal, the end of the hold …).
        period: Label of the payout period the entry is booked in.
        source: What the entry derives from, e.g. ``sale|o1|1|kol-1`` or a reversal id.
        memo: A short explanation for people.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: str
    txn_id: str
    kind: EntryKind
    account: str
    partner_id: str | None
    amount: Money
    ts: AwareDatetime
    period: str
    source: str
    memo: str = ""


class Statement(BaseModel):
    """What a partner is owed for one payout period in one contract currency.

    ``closing = opening + approved + adjustments + clawbacks``; when the statement pays,
    ``paid = closing - withheld`` leaves in the payout currency and ``carried`` is zero;
    otherwise the whole closing balance is carried to the next statement.

    Attributes:
        statement_id: ``<partner>|<period>|<currency>``.
        partner_id: The partner.
        period: The payout period.
        currency: The contract currency the balance is kept in.
        opening: Balance carried in from the previous statement (negative after clawbacks).
        approved: Commission approved in this period (net of what was voided before approval).
        adjustments: Close adjustments: bonuses, guarantee top-ups, whole-volume true-ups.
        voided: Commission reversed before it was locked in a statement (never paid).
        clawbacks: Commission taken back after it was locked or paid (negative).
        closing: The balance at the end of the period.
        withheld: Tax withheld from the payout (zero when nothing is paid).
        paid: What is paid, in the statement currency.
        carried: What is carried to the next statement.
        payout: What is paid, in the partner's payout currency.
        fx_rate: Units of payout currency per unit of statement currency (``None``: same).
        fx_at: The instant of the rate used.
        reason: Why nothing is paid, when nothing is.
        commissions: Number of commission lines locked in this statement.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    statement_id: str
    partner_id: str
    period: Period
    currency: str
    opening: Money
    approved: Money
    adjustments: Money
    voided: Money
    clawbacks: Money
    closing: Money
    withheld: Money
    paid: Money
    carried: Money
    payout: Money
    fx_rate: Decimal | None = None
    fx_at: AwareDatetime | None = None
    reason: str | None = None
    commissions: int = Field(default=0, ge=0)


class Settlement(BaseModel):
    """What `settle` returns: the period's statements and the entries new to the store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    statements: tuple[Statement, ...]
    entries: tuple[Entry, ...]


def check_balanced(entries: tuple[Entry, ...] | list[Entry]) -> None:
    """Raise `SettlementError` unless every transaction adds up to zero in each currency."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        totals[entry.txn_id, entry.amount.currency] += entry.amount.minor
    unbalanced = sorted(key for key, total in totals.items() if total != 0)
    if unbalanced:
        shown = ", ".join(f"{txn} ({code})" for txn, code in unbalanced[:5])
        raise SettlementError(f"{len(unbalanced)} transaction(s) do not balance: {shown}")

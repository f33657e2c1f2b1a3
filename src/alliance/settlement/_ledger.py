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
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alliance._frames import optional_import
from alliance._money import Money
from alliance._periods import Period, from_micros
from alliance.errors import SettlementError

__all__ = [
    "Entry",
    "EntryKind",
    "Factorized",
    "Movements",
    "Settlement",
    "Statement",
    "account",
    "check_balanced",
    "commission_ids",
    "factorize",
    "refuse_unbalanced",
]

_Model = TypeVar("_Model", bound=BaseModel)

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


def commission_ids(
    source: npt.NDArray[Any],
    order_id: npt.NDArray[Any],
    line_id: npt.NDArray[Any],
    partner_id: npt.NDArray[Any],
) -> npt.NDArray[np.object_]:
    """Commission line ids, ``source|order|line|partner`` (``-`` for no line), from columns."""
    lines = ["-" if line is None else line for line in line_id.tolist()]
    joined = map(
        "|".join,
        zip(source.tolist(), order_id.tolist(), lines, partner_id.tolist(), strict=True),
    )
    return np.fromiter(joined, dtype=object, count=len(lines))


class Factorized(NamedTuple):
    """A column as codes into its distinct values.

    Attributes:
        codes: Each row's position in `distinct`.
        distinct: The distinct values, in order of first appearance.
        first: The row where each distinct value first appears.
    """

    codes: npt.NDArray[np.intp]
    distinct: npt.NDArray[np.object_]
    first: npt.NDArray[np.intp]


def factorize(values: npt.NDArray[Any], name: str = "txn_id") -> Factorized:
    """The distinct values of an object column and each row's code into them.

    Args:
        values: The column (one-dimensional, of hashable values).
        name: The column's name, for errors.

    Returns:
        The codes, the distinct values and the row where each first appears.

    Raises:
        SettlementError: A value cannot be hashed.

    Examples:
        >>> codes, distinct, first = factorize(np.array(["b", "a", "b", None], dtype=object))
        >>> codes.tolist(), distinct.tolist(), first.tolist()
        ([0, 1, 0, 2], ['b', 'a', None], [0, 1, 3])
    """
    items: list[Any] = values.tolist()
    firsts: dict[Any, int] = {}
    try:
        # Each row maps to the row where its value first appears: the dictionary does it in C.
        seen = np.fromiter(map(firsts.setdefault, items, range(len(items))), np.intp, len(items))
    except TypeError:
        wrong = next(v for v in items if not isinstance(v, str | None))
        raise SettlementError(
            f"movement column {name!r} holds {type(wrong).__name__} {wrong!r}; text columns "
            "hold strings or None"
        ) from None
    first = np.fromiter(firsts.values(), np.intp, len(firsts))
    position = np.empty(len(items), dtype=np.intp)
    position[first] = np.arange(first.size)
    distinct = np.empty(first.size, dtype=object)
    distinct[:] = list(firsts)
    return Factorized(position[seen], distinct, first)


class Movements:
    """What settling did to each commission line: the detail behind the ledger's transactions.

    The ledger posts one transaction per partner, currency, booking period and kind in a
    run (all the partner's lines accrued by one settlement are one accrual), and each line's
    share of it is a movement here: the amounts of a transaction's movements add up to its
    first leg. One row per commission line and transaction, with columns:

    * ``txn_id``: the transaction the movement belongs to;
    * ``kind``: ``accrual``, ``approval``, ``void`` or ``clawback``;
    * ``source``, ``order_id``, ``line_id``, ``partner_id``: the commission line (as in the
      `CommissionTable`); ``commission_id`` joins them as ``source|order|line|partner``
      (``-`` for no line);
    * ``contract_id``, ``version``: the contract version the line earned under;
    * ``currency`` and ``amount``: int64 minor units moved, signed as the commission was
      earned (an accrual moves the whole commission, an approval what is left of it after
      voids, a void or clawback the share reversed);
    * ``ts``: when, in µs since the epoch (UTC): the order for an accrual, the end of the hold
      for an approval, the reversal (or the period's end, for a risk block) for the others;
    * ``period``: label of the payout period the movement is booked in;
    * ``reversal_id``: the last reversal counted, for a void or clawback caused by one;
    * ``rejected``: a void or clawback because risk blocked the order.

    Examples:
        >>> moved = Movements.empty()
        >>> len(moved), moved.columns[:3]
        (0, ('txn_id', 'kind', 'source'))
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "txn_id",
        "kind",
        "source",
        "order_id",
        "line_id",
        "partner_id",
        "contract_id",
        "version",
        "currency",
        "amount",
        "ts",
        "period",
        "reversal_id",
        "rejected",
    )
    #: Columns of integers (int64) and flags (bool); the others hold text (or ``None``).
    INTEGERS: ClassVar[tuple[str, ...]] = ("version", "amount", "ts")
    FLAGS: ClassVar[tuple[str, ...]] = ("rejected",)
    KINDS: ClassVar[tuple[str, ...]] = ("accrual", "approval", "void", "clawback")

    __slots__ = ("_columns", "_size", "_txns")

    def __init__(self, columns: Mapping[str, npt.ArrayLike]) -> None:
        """Movements from their columns (every name of `COLUMNS`, of one length).

        Raises:
            ValueError: A column is missing, unknown, or of another length.
        """
        names = set(columns)
        if names != set(self.COLUMNS):
            missing = sorted(set(self.COLUMNS) - names)
            unknown = sorted(names - set(self.COLUMNS))
            raise ValueError(f"movement columns: missing {missing}, unknown {unknown}")
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name in self.COLUMNS:
            if name in self.INTEGERS:
                array = np.asarray(columns[name], dtype=np.int64)
            elif name in self.FLAGS:
                array = np.asarray(columns[name], dtype=bool)
            else:
                array = np.asarray(columns[name], dtype=object)
            if array.ndim != 1:
                raise ValueError(f"movement column {name!r} is not one-dimensional")
            array.flags.writeable = False
            arrays[name] = array
        sizes = {array.size for array in arrays.values()}
        if len(sizes) > 1:
            raise ValueError(f"movement columns differ in length: {sorted(sizes)}")
        self._columns = arrays
        self._size = sizes.pop()
        self._txns: Factorized | None = None

    @classmethod
    def _with_txns(cls, columns: Mapping[str, npt.ArrayLike], txns: Factorized) -> Movements:
        """Movements whose ``txn_id`` column is known factorized already (taken as given)."""
        movements = cls(columns)
        movements._txns = txns
        return movements

    def _txn_codes(self) -> Factorized:
        """``factorize(self["txn_id"])``, computed once: the columns never change."""
        txns: Factorized | None = getattr(self, "_txns", None)  # unset in an older pickle
        if txns is None:
            txns = self._txns = factorize(self._columns["txn_id"])
        return txns

    @classmethod
    def empty(cls) -> Movements:
        """No movements."""
        return cls({name: [] for name in cls.COLUMNS})

    @classmethod
    def concat(cls, parts: Iterable[Movements]) -> Movements:
        """The movements of `parts`, one after the other."""
        parts = [part for part in parts if len(part)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls({name: np.concatenate([p[name] for p in parts]) for name in cls.COLUMNS})

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, ``commission_id`` aside (it is computed when asked for)."""
        return self.COLUMNS

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        if name == "commission_id":
            return self.commission_ids()
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"no movement column {name!r}; columns: {self.COLUMNS}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.COLUMNS)

    def commission_ids(self) -> npt.NDArray[np.object_]:
        """Each row's commission line as ``source|order|line|partner`` (``-``: no line)."""
        return commission_ids(
            self._columns["source"],
            self._columns["order_id"],
            self._columns["line_id"],
            self._columns["partner_id"],
        )

    def take(self, rows: npt.ArrayLike) -> Movements:
        """The movements at ``rows`` (positions, or a mask as long as the table)."""
        picked = np.asarray(rows)
        return Movements({name: self._columns[name][picked] for name in self.COLUMNS})

    def where(self, *, partner_id: str | None = None, period: str | None = None) -> Movements:
        """The movements of one partner, of one booking period, or both."""
        rows = np.ones(self._size, dtype=bool)
        if partner_id is not None:
            rows &= self._columns["partner_id"] == partner_id
        if period is not None:
            rows &= self._columns["period"] == period
        return self if bool(rows.all()) else self.take(rows)

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dictionaries: the amount as `Money`, the time as an aware datetime (UTC)."""
        names = [name for name in self.COLUMNS if name not in ("amount", "ts")]
        values = {name: self._columns[name].tolist() for name in names}
        amounts = self._columns["amount"].tolist()
        stamps = self._columns["ts"].tolist()
        records = []
        for row in range(self._size):
            record = {name: values[name][row] for name in names}
            record["amount"] = Money.from_minor(amounts[row], record["currency"])
            record["ts"] = from_micros(stamps[row])
            records.append({name: record[name] for name in self.COLUMNS})
        return records

    def to_pandas(self) -> Any:
        """A pandas DataFrame; the amount stays in int64 minor units (``amount_minor``)."""
        pd = optional_import("pandas", "Movements.to_pandas")
        frame = pd.DataFrame(
            {("amount_minor" if n == "amount" else n): self._columns[n] for n in self.COLUMNS}
        )
        frame["ts"] = pd.to_datetime(frame["ts"], unit="us", utc=True)
        return frame

    def equals(self, other: object) -> bool:
        """Whether ``other`` holds the same movements in the same order."""
        if not isinstance(other, Movements) or len(other) != self._size:
            return False
        return all(bool(np.array_equal(self._columns[name], other[name])) for name in self.COLUMNS)

    def __eq__(self, other: object) -> bool:
        return self.equals(other) if isinstance(other, Movements) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Movements(<{self._size} rows>)"


class Settlement(BaseModel):
    """What `settle` returns: the period's statements, and what is new to the store.

    Attributes:
        statements: One statement per partner and contract currency with activity or a
            balance.
        entries: The new ledger entries; every transaction balances.
        movements: Each commission line's part in the new transactions.
        basis: The store revision the settlement was computed from (0 without a store); a
            store refuses to append a settlement computed from an older revision than its own,
            unless everything in it is stored already.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    statements: tuple[Statement, ...]
    entries: tuple[Entry, ...]
    movements: Movements = Field(default_factory=Movements.empty)
    basis: int = Field(default=0, ge=0)


_new = object.__new__
_set = object.__setattr__


def trusted(model: type[_Model], values: dict[str, Any]) -> _Model:
    """A ledger record from values already checked, without validating them again.

    For records this package builds from validated parts (money, instants, periods), and for
    what a store has checked field by field as it read it back: every field must be given,
    of its declared type.
    """
    record = _new(model)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", set(values))
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record


def check_balanced(entries: tuple[Entry, ...] | list[Entry]) -> None:
    """Raise `SettlementError` unless every transaction adds up to zero in each currency."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        totals[entry.txn_id, entry.amount.currency] += entry.amount.minor
    refuse_unbalanced(totals)


def refuse_unbalanced(totals: Mapping[tuple[str, str], int]) -> None:
    """Raise `SettlementError` unless every ``(txn_id, currency)`` total is zero."""
    unbalanced = sorted(key for key, total in totals.items() if total != 0)
    if unbalanced:
        shown = ", ".join(f"{txn} ({code})" for txn, code in unbalanced[:5])
        raise SettlementError(f"{len(unbalanced)} transaction(s) do not balance: {shown}")

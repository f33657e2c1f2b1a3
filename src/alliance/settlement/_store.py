"""Ledger stores: append-only persistence of what `settle` returns.

A store holds what every settlement appended to it brought: its ledger entries, its
statements and its movements (each commission line's part in the entries' transactions), in
append order, and never changes or forgets any of them. Appending is idempotent: an entry
whose ``entry_id`` is already stored is skipped, and so is a statement identical to the stored
one of the same ``statement_id``; the movements of a transaction already stored are not
written again. A statement that differs from the stored one is refused, because a statement is
locked once stored. An append is all or nothing: nothing of a refused settlement is written.

A store counts its revisions: every append that writes something is one. A settlement records
the revision it was computed from (`Settlement.basis`), and a store refuses a settlement that
brings something new when it has been appended to since (optimistic concurrency: settle again
from the current ledger). A settlement appended before adds nothing, whatever its basis.

`MemoryStore` keeps everything in memory; `SQLiteStore` keeps it in an SQLite file (the
embedded default, standard library only). Both follow the `Store` protocol and behave the same.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self, get_args, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from alliance._kernels import INT64_MAX
from alliance._memo import collector_paused
from alliance._money import Money
from alliance._periods import Period, to_micros
from alliance.errors import MoneyOverflow, SettlementError
from alliance.settlement._ledger import (
    Entry,
    EntryKind,
    Factorized,
    Movements,
    Settlement,
    Statement,
    refuse_unbalanced,
    trusted,
)
from alliance.settlement._segments import decode, encode

__all__ = ["MemoryStore", "SQLiteStore", "Store"]


@runtime_checkable
class Store(Protocol):
    """An append-only ledger of settlements: what `settle` reads history from.

    A store keeps the entries, statements and movements of every settlement appended to it,
    and counts its revisions. `MemoryStore` and `SQLiteStore` are the two implementations; any
    object with these methods is a store.
    """

    def append(self, settlement: Settlement) -> int:
        """Add the settlement's new entries, statements and movements, all or nothing.

        Entries whose ``entry_id`` is stored already are skipped, as are statements identical
        to the stored statement of the same ``statement_id`` and the movements of transactions
        already stored. An append that writes something is one revision.

        Args:
            settlement: What `settle` returned.

        Returns:
            The number of entries added (0 when the settlement was appended before).

        Raises:
            TypeError: `settlement` is not a `Settlement`.
            SettlementError: The settlement brings something new but was computed from an
                older revision (settle again); a statement differs from the locked one of the
                same id; the new entries do not balance; or the movements do not match the
                entries (a transaction without entries, or movements that do not add up to
                the first leg of their transaction). Nothing is written.
            MoneyOverflow: An entry amount does not fit in a signed 64-bit count of minor
                units; nothing is written.
        """

    def revision(self) -> int:
        """The number of appends that wrote something (0 for a new store)."""

    def entries(
        self, *, partner_id: str | None = None, period: str | None = None
    ) -> tuple[Entry, ...]:
        """The stored entries in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the entries of this partner.
            period: Only the entries booked in the period with this label.

        Returns:
            The entries, in the order they were appended.
        """

    def movements(self, *, partner_id: str | None = None, period: str | None = None) -> Movements:
        """The stored movements in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the movements of this partner.
            period: Only the movements booked in the period with this label.

        Returns:
            The movements, in the order they were appended.
        """

    def statements(self, *, partner_id: str | None = None) -> tuple[Statement, ...]:
        """The stored statements in append order, optionally of one partner.

        Args:
            partner_id: Only the statements of this partner.

        Returns:
            The statements, in the order they were appended.
        """

    def balances(self) -> dict[tuple[str, str], Money]:
        """The exact balance of every account, per currency, zero balances included.

        Returns:
            ``{(account, currency): balance}``, sorted by account then currency.
        """

    def entry_ids(self) -> frozenset[str]:
        """The ids of every stored entry."""

    def last_statement(self, partner_id: str, currency: str) -> Statement | None:
        """The partner's statement in `currency` whose period ends last, if any.

        Args:
            partner_id: The partner.
            currency: The statement (contract) currency.

        Returns:
            The latest statement by period end (the last appended among equal ends), or
            ``None`` when the partner has no statement in that currency.
        """


# -- what an append adds: the rules, once for every store -----------------------------------


class _Additions(NamedTuple):
    """What an append writes: the records of a settlement that the store does not hold."""

    entries: list[Entry]
    statements: list[Statement]
    movements: Movements
    #: The movements' ``txn_id`` factorized, when the checks did it (it is not done twice).
    txns: Factorized | None = None
    #: The amount of each entry in minor units, as checked.
    minors: Sequence[int] = ()

    @property
    def new(self) -> bool:
        """Whether the settlement brings anything new (movements come with new entries)."""
        return bool(self.entries or self.statements)


def _new_records(
    settlement: Settlement,
    known_entries: Callable[[list[str]], set[str]],
    stored_statements: Callable[[list[str]], dict[str, Statement]],
    revision: int,
) -> _Additions:
    """The entries, statements and movements of `settlement` that a store does not hold yet.

    Args:
        settlement: The settlement being appended.
        known_entries: Which of the given entry ids the store holds.
        stored_statements: The stored statements among the given statement ids, by id.
        revision: The store's revision.

    Returns:
        The new entries and the new statements, in the settlement's order, and the movements
        of the transactions of the new entries; nothing when the settlement brings nothing
        new (whatever its basis).

    Raises:
        TypeError: `settlement` is not a `Settlement`.
        SettlementError: The settlement brings something new and was computed from another
            revision; a statement differs from the stored one, or from another of the same id
            in the settlement; the new entries do not balance; or the movements do not match
            the entries.
        MoneyOverflow: An entry amount does not fit in a signed 64-bit count of minor units.
    """
    if not isinstance(settlement, Settlement):
        raise TypeError(f"settlement must be a Settlement, got {type(settlement).__name__}")
    statements: dict[str, Statement] = {}
    for statement in settlement.statements:
        first = statements.setdefault(statement.statement_id, statement)
        if first != statement:
            raise SettlementError(
                f"statement {statement.statement_id!r} appears twice in the settlement with "
                f"different content ({_differences(first, statement)})"
            )
    stored = stored_statements(list(statements))
    entries: dict[str, Entry] = {}
    for entry in settlement.entries:
        entries.setdefault(entry.entry_id, entry)
    known = known_entries(list(entries))
    new_entries = [entry for entry_id, entry in entries.items() if entry_id not in known]
    new_statements = [s for statement_id, s in statements.items() if statement_id not in stored]
    if (new_entries or new_statements) and settlement.basis != revision:
        raise SettlementError(
            f"the settlement was computed from revision {settlement.basis} of the ledger, "
            f"which is now at revision {revision}; settle again"
        )
    for statement_id, statement in statements.items():
        locked = stored.get(statement_id)
        if locked is not None and locked != statement:
            raise SettlementError(
                f"statement {statement_id!r} is locked and differs from the one given "
                f"({_differences(locked, statement)}); a stored statement never changes, "
                "later events belong in the next period"
            )
    if not (new_entries or new_statements):
        return _Additions([], [], Movements.empty())
    minors: list[int] = []
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    for entry in new_entries:
        amount = entry.amount
        minor = _whole_minor(amount)
        if minor is None:
            raise SettlementError(
                f"entry {entry.entry_id!r} has amount {amount}, finer than the minor unit "
                f"of {amount.currency}; ledger amounts are whole minor units"
            )
        if abs(minor) > INT64_MAX:
            raise MoneyOverflow(
                f"entry {entry.entry_id!r} has amount {amount}, which does not fit in a "
                "signed 64-bit count of minor units"
            )
        minors.append(minor)
        totals[entry.txn_id, amount.currency] += minor
    refuse_unbalanced(totals)
    movements, txns = _new_movements(
        settlement.movements,
        entries,
        {entry.entry_id: minor for entry, minor in zip(new_entries, minors, strict=True)},
        {e.txn_id for e in new_entries},
    )
    return _Additions(new_entries, new_statements, movements, txns, minors)


def _whole_minor(amount: Money) -> int | None:
    """The amount in minor units, or ``None`` when it is finer than the minor unit.

    `Money.minor` by exact integer arithmetic on the amount's ratio (an amount is finite).
    """
    numerator, denominator = amount.amount.as_integer_ratio()
    minor, rest = divmod(numerator * 10**amount.currency_info.exponent, denominator)
    return None if rest else minor


def _new_movements(
    movements: Movements, entries: dict[str, Entry], minors: dict[str, int], new_txns: set[str]
) -> tuple[Movements, Factorized | None]:
    """The movements of the new transactions, once every movement is checked against its entries.

    Every movement must belong to a transaction of the settlement, and the movements of a
    transaction must be in the currency of its first leg (``<txn_id>/0``) and add up to it.

    Args:
        movements: The settlement's movements.
        entries: The settlement's entries, by id.
        minors: The amounts of some of the entries in minor units, by id (the others are
            computed here).
        new_txns: The transactions of the entries the store does not hold.

    Returns:
        The movements to write, and their ``txn_id`` factorized (``None`` when they are only
        some of the settlement's movements).

    Raises:
        SettlementError: A movement does not match the entries.
    """
    if not len(movements):
        return movements, None
    txn_ids = movements._txn_codes()
    codes, distinct = txn_ids.codes, txn_ids.distinct
    txns: list[Any] = distinct.tolist()
    in_settlement = {entry.txn_id for entry in entries.values()}
    unknown = [txn for txn in txns if txn not in in_settlement]
    if unknown:
        raise SettlementError(
            f"movements of {len(unknown)} transaction(s) without entries in the settlement: "
            f"{_shown([repr(txn) for txn in unknown])}"
        )
    legs = [entries.get(f"{txn}/0") for txn in txns]
    headless = [txn for txn, leg in zip(txns, legs, strict=True) if leg is None]
    if headless:
        raise SettlementError(
            f"movements of {len(headless)} transaction(s) without a first leg "
            f"('<txn_id>/0') in the settlement: {_shown([repr(txn) for txn in headless])}"
        )
    first_legs = [leg for leg in legs if leg is not None]
    currency = np.empty(len(txns), dtype=object)
    currency[:] = [leg.amount.currency for leg in first_legs]
    differs = np.not_equal(movements["currency"], currency[codes])
    if differs.any():
        odd = np.unique(codes[differs]).tolist()
        raise SettlementError(
            f"movements of {len(odd)} transaction(s) in another currency than the "
            f"transaction: {_shown([f'{txns[t]!r} (in {currency[t]})' for t in odd])}"
        )
    totals = _sums(codes, movements["amount"], len(txns))
    # The first legs of new entries are in `minors`; those of stored entries are computed.
    expected = [minors.get(leg.entry_id) for leg in first_legs]
    wrong = [
        f"{txn!r} (movements {Money.from_minor(total, leg.amount.currency)}, first leg "
        f"{leg.amount})"
        for txn, total, leg, minor in zip(txns, totals, first_legs, expected, strict=True)
        if total != (_whole_minor(leg.amount) if minor is None else minor)
    ]
    if wrong:
        raise SettlementError(
            f"movements of {len(wrong)} transaction(s) do not add up to the first leg of "
            f"their transaction: {_shown(wrong)}"
        )
    fresh = np.fromiter((txn in new_txns for txn in txns), dtype=bool, count=len(txns))
    if fresh.all():
        return movements, txn_ids
    return (movements.take(fresh[codes]) if fresh.any() else Movements.empty()), None


def _sums(codes: npt.NDArray[np.intp], amounts: npt.NDArray[np.int64], size: int) -> list[int]:
    """The exact total of ``amounts`` per code (never wrapping around, whatever the count)."""
    # Each amount is split in 32-bit halves: neither half's total can overflow int64.
    low = np.zeros(size, dtype=np.int64)
    high = np.zeros(size, dtype=np.int64)
    np.add.at(low, codes, amounts & 0xFFFF_FFFF)
    np.add.at(high, codes, amounts >> 32)
    return [(h << 32) + lo for h, lo in zip(high.tolist(), low.tolist(), strict=True)]


def _shown(items: list[str]) -> str:
    """The first few of ``items``, for an error."""
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    return ", ".join(items[:5]) + more


def _differences(old: Statement, new: Statement) -> str:
    """The fields in which two statements differ, as ``name: old -> new``."""
    changed = [
        f"{name}: {getattr(old, name)} -> {getattr(new, name)}"
        for name in Statement.model_fields
        if getattr(old, name) != getattr(new, name)
    ]
    return "; ".join(changed)


def _balances(totals: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], Money]:
    """Balances from ``(account, currency, minor units)`` totals, sorted by key."""
    return {
        (account_name, code): Money.from_minor(minor, code)
        for account_name, code, minor in sorted(totals)
    }


def _matches(entry: Entry, partner_id: str | None, period: str | None) -> bool:
    return (partner_id is None or entry.partner_id == partner_id) and (
        period is None or entry.period == period
    )


# -- memory ---------------------------------------------------------------------------------


class MemoryStore:
    """A ledger kept in memory: for tests, notebooks and one-off runs.

    It keeps the entries, statements and movements appended, in append order, the balance of
    every account, and the revision (the number of appends that wrote something). Movements
    are kept as given; `SQLiteStore` also refuses text it cannot encode (a NUL character, a
    value that is neither a string nor ``None``), which `settle` never produces.

    Examples:
        >>> from datetime import UTC
        >>> txn = "accrual|kol-1|USD|2026-10|1"
        >>> accrued = Entry(
        ...     entry_id=f"{txn}/0", txn_id=txn, kind="accrual", account="expense",
        ...     partner_id="kol-1", amount=Money("8.00", "USD"),
        ...     ts=datetime(2026, 10, 3, 9, 30, tzinfo=UTC), period="2026-10",
        ...     source="accrual|kol-1|USD|2026-10",
        ... )
        >>> pending = accrued.model_copy(
        ...     update={"entry_id": f"{txn}/1", "account": "pending:kol-1",
        ...             "amount": Money("-8.00", "USD")}
        ... )
        >>> line = {"txn_id": txn, "kind": "accrual", "source": "sale", "order_id": "o1",
        ...         "line_id": None, "partner_id": "kol-1", "contract_id": "std", "version": 1,
        ...         "currency": "USD", "amount": 800, "ts": 1_791_019_800_000_000,
        ...         "period": "2026-10", "reversal_id": None, "rejected": False}
        >>> moved = Movements({name: [value] for name, value in line.items()})
        >>> store = MemoryStore()
        >>> run = Settlement(statements=(), entries=(accrued, pending), movements=moved,
        ...                  basis=store.revision())
        >>> store.append(run)
        2
        >>> store.append(run)  # appended before: nothing new
        0
        >>> store.revision(), len(store.movements()), store.movements()["commission_id"]
        (1, 1, array(['sale|o1|-|kol-1'], dtype=object))
        >>> store.balances()
        {('expense', 'USD'): Money('8.00', 'USD'), ('pending:kol-1', 'USD'): Money('-8.00', 'USD')}
    """

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._entry_ids: set[str] = set()
        self._statements: list[Statement] = []
        self._statement_ids: dict[str, Statement] = {}
        self._totals: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._segments: list[Movements] = []
        self._moved: Movements | None = Movements.empty()  # the segments joined, when asked
        self._revision = 0

    def __repr__(self) -> str:
        return (
            f"MemoryStore(<{len(self._entries)} entries, {len(self._statements)} statements, "
            f"revision {self._revision}>)"
        )

    def append(self, settlement: Settlement) -> int:
        """Add the settlement's new entries, statements and movements, all or nothing.

        Args:
            settlement: What `settle` returned.

        Returns:
            The number of entries added (0 when the settlement was appended before).

        Raises:
            TypeError: `settlement` is not a `Settlement`.
            SettlementError: The settlement brings something new but was computed from an
                older revision (settle again); a statement differs from the locked one of the
                same id; the new entries do not balance; or the movements do not match the
                entries. Nothing is written.
            MoneyOverflow: An entry amount does not fit in a signed 64-bit count of minor
                units; nothing is written.
        """
        added = _new_records(
            settlement,
            lambda ids: self._entry_ids.intersection(ids),
            lambda ids: {i: self._statement_ids[i] for i in ids if i in self._statement_ids},
            self._revision,
        )
        if not added.new:
            return 0
        # Everything is checked above; from here on nothing can fail half-way.
        for entry in added.entries:
            self._entries.append(entry)
            self._entry_ids.add(entry.entry_id)
            self._totals[entry.account, entry.amount.currency] += entry.amount.minor
        for statement in added.statements:
            self._statements.append(statement)
            self._statement_ids[statement.statement_id] = statement
        if len(added.movements):
            self._segments.append(added.movements)
            self._moved = None
        self._revision += 1
        return len(added.entries)

    def revision(self) -> int:
        """The number of appends that wrote something (0 for a new store)."""
        return self._revision

    def movements(self, *, partner_id: str | None = None, period: str | None = None) -> Movements:
        """The stored movements in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the movements of this partner.
            period: Only the movements booked in the period with this label.

        Returns:
            The movements, in the order they were appended.
        """
        if self._moved is None:
            self._moved = Movements.concat(self._segments)
        return self._moved.where(partner_id=partner_id, period=period)

    def entries(
        self, *, partner_id: str | None = None, period: str | None = None
    ) -> tuple[Entry, ...]:
        """The stored entries in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the entries of this partner.
            period: Only the entries booked in the period with this label.

        Returns:
            The entries, in the order they were appended.
        """
        if partner_id is None and period is None:
            return tuple(self._entries)
        return tuple(e for e in self._entries if _matches(e, partner_id, period))

    def statements(self, *, partner_id: str | None = None) -> tuple[Statement, ...]:
        """The stored statements in append order, optionally of one partner.

        Args:
            partner_id: Only the statements of this partner.

        Returns:
            The statements, in the order they were appended.
        """
        return tuple(
            s for s in self._statements if partner_id is None or s.partner_id == partner_id
        )

    def balances(self) -> dict[tuple[str, str], Money]:
        """The exact balance of every account, per currency, zero balances included.

        Returns:
            ``{(account, currency): balance}``, sorted by account then currency.
        """
        return _balances((key[0], key[1], minor) for key, minor in self._totals.items())

    def entry_ids(self) -> frozenset[str]:
        """The ids of every stored entry."""
        return frozenset(self._entry_ids)

    def last_statement(self, partner_id: str, currency: str) -> Statement | None:
        """The partner's statement in `currency` whose period ends last, if any.

        Args:
            partner_id: The partner.
            currency: The statement (contract) currency.

        Returns:
            The latest statement by period end (the last appended among equal ends), or
            ``None`` when the partner has no statement in that currency.
        """
        latest: Statement | None = None
        for statement in self._statements:
            if statement.partner_id != partner_id or statement.currency != currency:
                continue
            if latest is None or statement.period.end >= latest.period.end:
                latest = statement
        return latest


# -- SQLite ---------------------------------------------------------------------------------

#: Version of the table layout, kept in ``PRAGMA user_version``.
SCHEMA_VERSION = 2

_MONEY_FIELDS = (
    "opening",
    "approved",
    "adjustments",
    "voided",
    "clawbacks",
    "closing",
    "withheld",
    "paid",
    "carried",
    "payout",
)

_MONEY_COLUMNS = ", ".join(
    f"{name} TEXT NOT NULL, {name}_currency TEXT NOT NULL" for name in _MONEY_FIELDS
)

# Amounts are exact decimal text (as `Money` writes them in JSON) beside their currency code;
# entries also keep the amount in integer minor units, which SQL can sum exactly. Instants are
# ISO 8601 text with their UTC offset (the instant and the JSON of the model), beside the IANA
# zone they were given in, if any (see `_instant`). A period is its JSON. Entries have no index
# beyond their id: a ledger is written far more than it is filtered, and each index costs every
# write (settling writes several entries per commission line), while a filter scans quickly.
# Movements are kept per revision: one row for each append that wrote something, holding the
# append's movements in the binary form of `alliance.settlement._segments` (possibly none).
_SCHEMA = (
    """CREATE TABLE entries (
        seq INTEGER PRIMARY KEY,
        entry_id TEXT NOT NULL UNIQUE,
        txn_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        partner_id TEXT,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL,
        amount_minor INTEGER NOT NULL,
        ts TEXT NOT NULL,
        ts_zone TEXT,
        period TEXT NOT NULL,
        source TEXT NOT NULL,
        memo TEXT NOT NULL
    )""",
    f"""CREATE TABLE statements (
        seq INTEGER PRIMARY KEY,
        statement_id TEXT NOT NULL UNIQUE,
        partner_id TEXT NOT NULL,
        period TEXT NOT NULL,
        period_end_us INTEGER NOT NULL,
        currency TEXT NOT NULL,
        {_MONEY_COLUMNS},
        fx_rate TEXT,
        fx_at TEXT,
        fx_at_zone TEXT,
        reason TEXT,
        commissions INTEGER NOT NULL
    )""",
    "CREATE INDEX statements_by_partner ON statements (partner_id, currency, period_end_us)",
    """CREATE TABLE revisions (
        revision INTEGER PRIMARY KEY,
        movements INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
)

_ENTRY_COLUMNS = (
    "entry_id, txn_id, kind, account, partner_id, amount, currency, amount_minor, ts, ts_zone, "
    "period, source, memo"
)
#: The columns a statement is read from, in the order `_Records.statement` expects.
_STATEMENT_FIELDS = ", ".join(
    [
        "statement_id, partner_id, period, currency",
        *(f"{name}, {name}_currency" for name in _MONEY_FIELDS),
        "fx_rate, fx_at, fx_at_zone, reason, commissions",
    ]
)
#: What is written: those, and the end of the period as an integer that SQL can order by.
_STATEMENT_COLUMNS = f"period_end_us, {_STATEMENT_FIELDS}"
_INSERT_ENTRY = f"INSERT INTO entries ({_ENTRY_COLUMNS}) VALUES ({', '.join('?' * 13)})"
_INSERT_STATEMENT = (
    f"INSERT INTO statements ({_STATEMENT_COLUMNS}) "
    f"VALUES ({', '.join('?' * (10 + 2 * len(_MONEY_FIELDS)))})"
)
_INSERT_REVISION = "INSERT INTO revisions (revision, movements, data) VALUES (?, ?, ?)"
#: Room left in an SQLite row beside the movements' bytes (its other columns, its header).
_ROW_OVERHEAD = 1_024
#: Ids looked up per query: well under SQLite's smallest limit on bound parameters (999).
_CHUNK = 500


def _amount_text(money: Money) -> str:
    return format(money.amount, "f")


def _instant_columns(value: datetime | None) -> tuple[str | None, str | None]:
    """An instant as ISO 8601 text (local time and UTC offset) and its IANA zone, if any."""
    if value is None:
        return None, None
    zone = value.tzinfo
    return value.isoformat(), zone.key if isinstance(zone, ZoneInfo) and zone.key else None


def _instant(text: str | None, zone_name: str | None) -> datetime | None:
    """The instant written by `_instant_columns`, with its original zone when it had one.

    The zone matters beyond the offset: Python compares a local time that falls in a DST gap
    or fold as unequal to the same instant in any other zone, so the zone is restored, and
    the fold is the one that gives the stored offset. Should the zone's rules have changed
    since, the stored offset wins: the instant never moves.
    """
    if text is None:
        return None
    written = datetime.fromisoformat(text)
    if zone_name is None:
        return written
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return written
    for fold in (0, 1):
        candidate = written.replace(tzinfo=zone, fold=fold)
        if candidate.utcoffset() == written.utcoffset():
            return candidate
    return written


class _StatementColumns:
    """The rows of statements, writing each period and amount object once.

    The statements of one settlement share their period, and amounts (the zero of a
    currency above all) are shared objects: their columns are kept by object, for the
    statements of one append (which keeps every object alive meanwhile).
    """

    def __init__(self) -> None:
        self._periods: dict[int, tuple[Period, int, str]] = {}
        self._amounts: dict[int, tuple[Money, str]] = {}

    def row(self, statement: Statement) -> tuple[Any, ...]:
        """The row of one statement."""
        period = statement.period
        known = self._periods.get(id(period))
        if known is None or known[0] is not period:
            known = self._periods[id(period)] = (
                period,
                to_micros(period.end),
                period.model_dump_json(),
            )
        _, end_us, period_json = known
        money: list[str] = []
        for name in _MONEY_FIELDS:
            value: Money = getattr(statement, name)
            text = self._amounts.get(id(value))
            if text is None or text[0] is not value:
                text = self._amounts[id(value)] = (value, _amount_text(value))
            money += [text[1], value.currency]
        return (
            end_us,
            statement.statement_id,
            statement.partner_id,
            period_json,
            statement.currency,
            *money,
            None if statement.fx_rate is None else str(statement.fx_rate),
            *_instant_columns(statement.fx_at),
            statement.reason,
            statement.commissions,
        )


class _Records:
    """Entries and statements from their rows, each repeated text parsed once.

    The legs of a transaction share their instant, the statements of a period share it and
    many amounts (zero above all): one reader builds each of those once, for the rows of one
    query. Every field is checked as the model checks it; a row that fails a check is handed
    to the model, which says what is wrong.
    """

    def __init__(self) -> None:
        self._instants: dict[tuple[str, str | None], datetime | None] = {}
        self._money: dict[tuple[str, str], Money] = {}
        self._periods: dict[str, Period] = {}

    def instant(self, text: Any, zone_name: Any) -> datetime | None:
        """`_instant`, once per distinct text and zone."""
        if type(text) is not str or not (zone_name is None or type(zone_name) is str):
            return _instant(text, zone_name)
        key = (text, zone_name)
        try:
            return self._instants[key]
        except KeyError:
            found = self._instants[key] = _instant(text, zone_name)
            return found

    def money(self, amount: Any, code: Any) -> Money:
        """``Money(amount, code)``, once per distinct amount text and code."""
        if type(amount) is not str or type(code) is not str:
            return Money(amount, code)
        key = (amount, code)
        try:
            return self._money[key]
        except KeyError:
            found = self._money[key] = Money(amount, code)
            return found

    def period(self, text: Any) -> Period:
        """The period of its JSON text, once per distinct text."""
        if type(text) is not str:
            return Period.model_validate_json(text)
        try:
            return self._periods[text]
        except KeyError:
            found = self._periods[text] = Period.model_validate_json(text)
            return found

    def entry(self, row: Sequence[Any]) -> Entry:
        """The entry of a row of `_ENTRY_READ`."""
        entry_id, txn_id, kind, account_name, partner_id, amount, code = row[:7]
        ts, ts_zone, period, source, memo = row[7:]
        values = {
            "entry_id": entry_id,
            "txn_id": txn_id,
            "kind": kind,
            "account": account_name,
            "partner_id": partner_id,
            "amount": self.money(amount, code),
            "ts": self.instant(ts, ts_zone),
            "period": period,
            "source": source,
            "memo": memo,
        }
        if (
            type(entry_id) is str
            and type(txn_id) is str
            and kind in _ENTRY_KINDS
            and type(account_name) is str
            and (partner_id is None or type(partner_id) is str)
            and type(period) is str
            and type(source) is str
            and type(memo) is str
            and _aware(values["ts"])
        ):
            return trusted(Entry, values)
        return Entry(**values)

    def statement(self, row: Sequence[Any]) -> Statement:
        """The statement of a row of `_STATEMENT_READ`."""
        money = {
            name: self.money(row[4 + 2 * i], row[5 + 2 * i]) for i, name in enumerate(_MONEY_FIELDS)
        }
        fx_rate, fx_at, fx_at_zone, reason, commissions = row[4 + 2 * len(_MONEY_FIELDS) :]
        statement_id, partner_id, period, code = row[:4]
        values = {
            "statement_id": statement_id,
            "partner_id": partner_id,
            "period": self.period(period),
            "currency": code,
            **money,
            "fx_rate": None if fx_rate is None else Decimal(fx_rate),
            "fx_at": self.instant(fx_at, fx_at_zone),
            "reason": reason,
            "commissions": commissions,
        }
        rate, at = values["fx_rate"], values["fx_at"]
        if (
            type(statement_id) is str
            and type(partner_id) is str
            and type(code) is str
            and (rate is None or rate.is_finite())
            and (at is None or _aware(at))
            and (reason is None or type(reason) is str)
            and type(commissions) is int
            and commissions >= 0
        ):
            return trusted(Statement, values)
        return Statement(**values)


_ENTRY_KINDS = frozenset(get_args(EntryKind))


def _aware(value: Any) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


_ENTRY_READ = (
    "SELECT entry_id, txn_id, kind, account, partner_id, amount, currency, ts, ts_zone, period, "
    "source, memo FROM entries"
)
_STATEMENT_READ = f"SELECT {_STATEMENT_FIELDS} FROM statements"


class SQLiteStore:
    """A ledger kept in an SQLite file: the embedded default (standard library only).

    Entries and statements are rows of their own tables. Each append that writes something
    adds one row to ``revisions``: its revision number, its number of movements and the
    movements themselves, in a compact columnar binary form. Each `append` is one
    ``BEGIN IMMEDIATE`` … ``COMMIT`` transaction: the revision a settlement is checked
    against cannot change before its rows are written, and a crash or an error part-way
    leaves the file as it was before the append. The file is in WAL mode; reopening it gives
    the same entries, statements, movements, balances and revision. Money is stored exactly:
    the decimal text and the currency code, plus integer minor units for entries, and integer
    minor units for movements.

    Args:
        path: The database file, created (with its tables) when missing.

    Raises:
        SettlementError: `path` is not an SQLite database, or holds a ledger written by
            another version of the table layout.

    Examples:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     with SQLiteStore(pathlib.Path(folder) / "ledger.db") as store:
        ...         store.entry_ids(), store.revision(), len(store.movements())
        (frozenset(), 0, 0)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        #: The last instant written and its columns (see `_entry_row`).
        self._last_instant: tuple[datetime | None, tuple[str | None, str | None]] = (
            None,
            (None, None),
        )
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            raise SettlementError(
                f"path={self._path!r} cannot be opened as a ledger: {exc}"
            ) from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("BEGIN IMMEDIATE")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise SettlementError(
                    f"path={self._path!r} holds a ledger in table layout version {version}; "
                    f"this version of alliance reads version {SCHEMA_VERSION}"
                )
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._abandon()
            raise SettlementError(
                f"path={self._path!r} cannot be opened as a ledger: {exc}"
            ) from exc
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._db.close()

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database; closing twice is harmless."""
        self._db.close()

    def append(self, settlement: Settlement) -> int:
        """Add the settlement's new entries, statements and movements in one transaction.

        Args:
            settlement: What `settle` returned.

        Returns:
            The number of entries added (0 when the settlement was appended before).

        Raises:
            TypeError: `settlement` is not a `Settlement`.
            SettlementError: The settlement brings something new but was computed from an
                older revision (settle again); a statement differs from the locked one of the
                same id; the new entries do not balance; the movements do not match the
                entries; or they are too many for one SQLite value. Nothing is written.
            MoneyOverflow: An entry amount does not fit in a signed 64-bit count of minor
                units; nothing is written.
        """
        db = self._db
        # IMMEDIATE takes the write lock first, so what is read below cannot change before
        # the rows are written.
        db.execute("BEGIN IMMEDIATE")
        try:
            with collector_paused():  # many rows, no reference cycles
                added = self._write(settlement)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return len(added.entries)

    def _write(self, settlement: Settlement) -> _Additions:
        """Write what the settlement adds, inside the append's transaction; what it added."""
        db = self._db
        revision = self.revision()
        added = _new_records(settlement, self._known_entries, self._stored_statements, revision)
        if not added.new:
            return added
        data = encode(added.movements, txns=added.txns)
        limit = db.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
        if len(data) > limit - _ROW_OVERHEAD:
            raise SettlementError(
                f"the {len(added.movements):,} movements of the settlement take "
                f"{len(data):,} bytes, more than SQLite keeps in one row ({limit:,}); "
                "settle fewer commission lines at a time"
            )
        # The revision and its movements are written first, the entries after: a crash at
        # any point before COMMIT leaves none of them in the file.
        db.execute(_INSERT_REVISION, (revision + 1, len(added.movements), data))
        db.executemany(_INSERT_ENTRY, map(self._entry_row, added.entries, added.minors))
        db.executemany(_INSERT_STATEMENT, map(_StatementColumns().row, added.statements))
        return added

    def _entry_row(self, entry: Entry, minor: int) -> tuple[Any, ...]:
        """The row of one entry, of ``minor`` minor units.

        A method, so that one insert at a time can be observed.
        """
        ts = entry.ts
        last, columns = self._last_instant
        if ts is not last:  # the legs of a transaction share their instant: format it once
            columns = _instant_columns(ts)
            self._last_instant = (ts, columns)
        amount = entry.amount
        return (
            entry.entry_id,
            entry.txn_id,
            entry.kind,
            entry.account,
            entry.partner_id,
            format(amount.amount, "f"),
            amount.currency,
            minor,
            *columns,
            entry.period,
            entry.source,
            entry.memo,
        )

    def _lookup(self, query: str, ids: list[str]) -> list[Any]:
        rows: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows += self._db.execute(query.format(marks=", ".join("?" * len(chunk))), chunk)
        return rows

    def _known_entries(self, ids: list[str]) -> set[str]:
        if self._db.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is None:
            return set()  # a new ledger: nothing to look up
        rows = self._lookup("SELECT entry_id FROM entries WHERE entry_id IN ({marks})", ids)
        return {row[0] for row in rows}

    def _stored_statements(self, ids: list[str]) -> dict[str, Statement]:
        rows = self._lookup(_STATEMENT_READ + " WHERE statement_id IN ({marks})", ids)
        records = _Records()
        return {row[0]: records.statement(row) for row in rows}

    def revision(self) -> int:
        """The number of appends that wrote something (0 for a new store)."""
        query = "SELECT COALESCE(MAX(revision), 0) FROM revisions"
        return int(self._db.execute(query).fetchone()[0])

    def movements(self, *, partner_id: str | None = None, period: str | None = None) -> Movements:
        """The stored movements in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the movements of this partner.
            period: Only the movements booked in the period with this label.

        Returns:
            The movements, in the order they were appended.

        Raises:
            SettlementError: The movements stored are damaged.
        """
        rows = self._db.execute(
            "SELECT revision, movements, data FROM revisions WHERE movements > 0 ORDER BY revision"
        )
        parts = []
        for revision, count, data in rows:
            part = decode(data)
            if len(part) != count:
                raise SettlementError(
                    f"path={self._path!r}: revision {revision} holds {len(part)} movements, "
                    f"not the {count} recorded"
                )
            parts.append(part)
        return Movements.concat(parts).where(partner_id=partner_id, period=period)

    def entries(
        self, *, partner_id: str | None = None, period: str | None = None
    ) -> tuple[Entry, ...]:
        """The stored entries in append order, optionally of one partner and one period.

        Args:
            partner_id: Only the entries of this partner.
            period: Only the entries booked in the period with this label.

        Returns:
            The entries, in the order they were appended.
        """
        conditions = {"partner_id": partner_id, "period": period}
        given = {name: value for name, value in conditions.items() if value is not None}
        where = " AND ".join(f"{name} = ?" for name in given)
        query = f"{_ENTRY_READ}{' WHERE ' + where if where else ''} ORDER BY seq"
        rows = self._db.execute(query, tuple(given.values()))
        with collector_paused():
            return tuple(map(_Records().entry, rows))

    def statements(self, *, partner_id: str | None = None) -> tuple[Statement, ...]:
        """The stored statements in append order, optionally of one partner.

        Args:
            partner_id: Only the statements of this partner.

        Returns:
            The statements, in the order they were appended.
        """
        if partner_id is None:
            rows = self._db.execute(f"{_STATEMENT_READ} ORDER BY seq")
        else:
            query = f"{_STATEMENT_READ} WHERE partner_id = ? ORDER BY seq"
            rows = self._db.execute(query, (partner_id,))
        with collector_paused():
            return tuple(map(_Records().statement, rows))

    def balances(self) -> dict[tuple[str, str], Money]:
        """The exact balance of every account, per currency, zero balances included.

        Returns:
            ``{(account, currency): balance}``, sorted by account then currency.
        """
        query = "SELECT account, currency, SUM(amount_minor) FROM entries GROUP BY 1, 2"
        return _balances(self._db.execute(query))

    def entry_ids(self) -> frozenset[str]:
        """The ids of every stored entry."""
        return frozenset(row[0] for row in self._db.execute("SELECT entry_id FROM entries"))

    def last_statement(self, partner_id: str, currency: str) -> Statement | None:
        """The partner's statement in `currency` whose period ends last, if any.

        Args:
            partner_id: The partner.
            currency: The statement (contract) currency.

        Returns:
            The latest statement by period end (the last appended among equal ends), or
            ``None`` when the partner has no statement in that currency.
        """
        query = (
            f"{_STATEMENT_READ} WHERE partner_id = ? AND currency = ? "
            "ORDER BY period_end_us DESC, seq DESC LIMIT 1"
        )
        row = self._db.execute(query, (partner_id, currency)).fetchone()
        return None if row is None else _Records().statement(row)

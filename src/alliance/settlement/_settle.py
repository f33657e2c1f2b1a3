"""`settle`: a payout period's statements and ledger entries, from commissions and history.

Every commission line moves through: accrued (pending, on hold) → approved (hold over, not
reversed in full, risk allows) → locked in the partner's statement for the period → paid when
the statement pays. A reversal before the line is locked voids (that part never reaches a
statement); after, it is clawed back in the next statement, where a balance may go negative and
is netted against later earnings.

The ledger is posted in aggregate, as a general ledger is from its sub-ledger: in one run, all
that happens to a partner's lines of one kind (accrual, approval, void, clawback) in one
contract currency is one balanced transaction, and each line's share of it is a row of
`Movements`. The work is done over columns, so a run over millions of lines posts a few
entries per partner.

Nothing here mutates: history comes from a store (read only), and the result is what to append.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance._fx import FxRates
from alliance._kernels import INT64_MAX, decimal_to_ratio, round_quotient, rounding_mode
from alliance._memo import collector_paused
from alliance._money import Money
from alliance._periods import Period, from_micros, shift_days_us, zone
from alliance._schedules import PayoutSchedule
from alliance._tables import Lines, Orders, Partners, Reversals
from alliance.commission import Adjustment, CommissionTable, ContractBook, close_period
from alliance.errors import CurrencyMismatch, DataError, Problem, SettlementError
from alliance.risk._decisions import Decisions
from alliance.settlement._ledger import (
    Entry,
    EntryKind,
    Factorized,
    Movements,
    Settlement,
    Statement,
    account,
    factorize,
    trusted,
)
from alliance.settlement._store import Store

__all__ = ["Action", "settle"]

#: What a risk decision does to an order's commission: pay it, hold it, or reject it.
Action = Literal["allow", "review", "block"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

_DAY_US = 86_400_000_000
_HALF_EVEN = rounding_mode("half_even")
#: The kinds of movement, in the order a run posts their transactions.
_KINDS: tuple[EntryKind, ...] = ("accrual", "void", "clawback", "approval")

#: The postings of a transaction: account, partner, amount, and the amount in minor units
#: (``None`` where nothing here needs it).
Legs = list[tuple[str, str | None, Money, int | None]]


#: Per kind of movement, the accounts its transaction debits and credits (``None``: expense).
_SIDES: dict[str, tuple[str | None, str | None]] = {
    "accrual": (None, "pending"),
    "approval": ("pending", "payable"),
    "void": ("pending", None),
    "clawback": ("payable", None),
}


def _legs(kind: str, partner_id: str, minor: int, code: str) -> Legs:
    """The postings of a movement transaction: the first leg is debited ``minor``."""
    debit, credit = _SIDES[kind]
    amount = Money.from_minor(minor, code)
    return [
        (account("expense"), None, amount, minor)
        if debit is None
        else (account(debit, partner_id), partner_id, amount, minor),
        (account("expense"), None, -amount, -minor)
        if credit is None
        else (account(credit, partner_id), partner_id, -amount, -minor),
    ]


def _memo(kind: str, lines: int, rejected: int) -> str:
    plural = "line" if lines == 1 else "lines"
    if kind == "accrual":
        text = f"commission accrued on {lines} {plural}"
    elif kind == "approval":
        text = f"hold over for {lines} {plural}"
    elif kind == "void":
        text = f"{lines} {plural} voided before lock"
    else:
        text = f"{lines} {plural} clawed back after lock"
    return f"{text} ({rejected} blocked by risk)" if rejected else text


@dataclass
class _Items:
    """The commission lines placed before the period's end, as columns, with their state."""

    source: ObjArray
    order_id: ObjArray
    line_id: ObjArray
    partner_id: ObjArray
    contract_id: ObjArray
    version: IntArray
    currency: ObjArray
    ts: IntArray
    amount: IntArray
    #: Partner and currency codes, and what they stand for.
    partner: IntArray
    partners: list[str]
    code: IntArray
    codes: list[str]
    #: Contract version per line, as a code into ``terms`` (contract id, version).
    term: IntArray
    terms: list[tuple[str, int]]
    accrued: BoolArray
    approved: BoolArray
    #: Rejected by a risk decision: voided in full, nothing more to reverse or approve.
    rejected: BoolArray
    #: Minor units already reversed (voided or clawed back) in earlier runs.
    reversed_before: IntArray
    #: The text columns that hold one value throughout.
    uniform: frozenset[str] = frozenset()
    #: The row of each order id, when every order has one row and it was worked out.
    order_rows: dict[Any, int] | None = None

    def __len__(self) -> int:
        return int(self.ts.size)


@dataclass
class _Block:
    """Movements of one kind, before they are booked: item rows and what moved."""

    kind: EntryKind
    rows: IntArray
    amount: IntArray
    ts: IntArray
    reversal_id: ObjArray
    rejected: BoolArray


@dataclass
class _Run:
    """Entries being built, and where each partner's new entries are booked."""

    period: Period
    known: frozenset[str]
    #: Movement transactions in the ledger, by ``kind|partner|currency|period``: how many.
    counts: Counter[str] = field(default_factory=Counter)
    #: Per partner and currency, the next period without a locked statement, when that is
    #: later than `period`: what happens now for it is booked there, not in a locked one.
    reopened: dict[tuple[str, str], Period] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    #: The amount of each of `entries` in minor units (``None``: not worked out).
    minors: list[int | None] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    #: Transactions added by this run.
    posted: set[str] = field(default_factory=set)
    #: The label of `period`.
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = self.period.label

    def booking(self, partner_id: str, currency: str) -> Period:
        """The period a partner's new entry in ``currency`` is booked in."""
        return self.reopened.get((partner_id, currency), self.period)

    def post(
        self,
        txn_id: str,
        kind: EntryKind,
        legs: Legs,
        *,
        ts: datetime,
        source: str,
        memo: str = "",
        booked: Period | None = None,
    ) -> bool:
        """Add a balanced transaction, unless the store already has it; whether it was added.

        The transaction is booked in ``booked``, by default where its partner's next
        statement will take it.
        """
        if f"{txn_id}/0" in self.known or txn_id in self.posted:
            return False
        self.posted.add(txn_id)
        if booked is None:
            owner = next((p for _, p, _, _ in legs if p is not None), None)
            booked = self.period if owner is None else self.booking(owner, legs[0][2].currency)
        label = self.label if booked is self.period else booked.label
        entries, minors = self.entries, self.minors
        for number, (name, partner_id, amount, minor) in enumerate(legs):
            values = {
                "entry_id": f"{txn_id}/{number}",
                "txn_id": txn_id,
                "kind": kind,
                "account": name,
                "partner_id": partner_id,
                "amount": amount,
                "ts": ts,
                "period": label,
                "source": source,
                "memo": memo,
            }
            entries.append(trusted(Entry, values))
            minors.append(minor)
        return True

    def move(
        self,
        kind: EntryKind,
        rows: IntArray,
        amount: IntArray,
        ts: IntArray | int,
        *,
        reversal_id: ObjArray | None = None,
        rejected: bool = False,
    ) -> None:
        """Record movements of ``kind`` for item ``rows``; `book` posts them."""
        if rows.size == 0:
            return
        self.blocks.append(
            _Block(
                kind=kind,
                rows=rows,
                amount=amount,
                ts=np.broadcast_to(np.asarray(ts, dtype=np.int64), rows.shape),
                reversal_id=(
                    np.full(rows.size, None, dtype=object) if reversal_id is None else reversal_id
                ),
                rejected=np.full(rows.size, rejected, dtype=bool),
            )
        )


def settle(
    commissions: CommissionTable,
    *,
    book: ContractBook,
    period: Period,
    reversals: Reversals | None = None,
    fx: FxRates | None = None,
    partners: Partners | None = None,
    decisions: Mapping[str, Action] | Decisions | None = None,
    store: Store | None = None,
    adjustments: Iterable[Adjustment] | None = None,
    schedule: PayoutSchedule | None = None,
    withholding: Mapping[str, Decimal | str] | None = None,
) -> Settlement:
    """Settle a payout period: the ledger entries new to ``store`` and the period's statements.

    A pure function: the store is read for history (what was accrued, approved, locked and
    paid before; balances carried) and never written; append the result to persist it.
    Settling the same inputs again adds no entries and returns the same statements; a late
    event (a reversal, an order) adds only its difference.

    Args:
        commissions: What `commission.compute` returned for the orders (of this period and
            earlier ones still on hold).
        book: The contracts: hold days, minimum payout and rounding come from them.
        period: The payout period.
        reversals: Refunds, chargebacks, cancellations and fraud reversals up to now; each is
            taken in proportion to the order (or line) amount reversed.
        fx: Rates, for partners paid in another currency than their contract's.
        partners: Partners, for their payout currency.
        decisions: Risk decisions: what `risk.screen` returned (an order takes the stricter
            of its own and its partner's action), or a mapping of order id to action.
            ``review`` holds the order's commission, ``block`` rejects it (voided),
            ``allow`` (the default) lets it through.
        store: The ledger so far; none means a first settlement.
        adjustments: Close adjustments (bonuses, guarantees, true-ups) for the period; by
            default `commission.close_period` is run for it.
        schedule: Payout dates; a period pays when a date falls in ``[end, next end)``,
            and is paid on that date. Without one, every period pays at its end.
        withholding: Tax withholding rate by partner id (``"0.1"`` withholds 10%).

    Returns:
        The new entries (every transaction balances), each commission line's movements in
        them, one statement per partner and contract currency with activity or a balance,
        and the store revision they were computed from.

    Raises:
        DataError: Reversals of unknown orders, or past what the order (or line) was worth.
        CurrencyMismatch: A reversal in another currency than its order.
        MissingRate: No rate to a partner's payout currency at the payout date.
        SettlementError: The ledger holds reversals that were not passed, or a partner is
            paid in another currency and no rates were given.
    """
    if not isinstance(commissions, CommissionTable):
        raise TypeError(f"commissions must be a CommissionTable, got {type(commissions).__name__}")
    if not isinstance(book, ContractBook):
        raise TypeError(f"book must be a commission.ContractBook, got {type(book).__name__}")
    if not isinstance(period, Period):
        raise TypeError(f"period must be an al.Period, got {type(period).__name__}")
    if reversals is not None and not isinstance(reversals, Reversals):
        raise TypeError(f"reversals must be an al.Reversals table, got {type(reversals).__name__}")
    actions = _checked_decisions(decisions)
    rates = _checked_withholding(withholding)
    with collector_paused():
        return _settle(
            commissions,
            book,
            period,
            reversals,
            fx,
            partners,
            actions,
            store,
            adjustments,
            schedule,
            rates,
        )


def _settle(
    commissions: CommissionTable,
    book: ContractBook,
    period: Period,
    reversals: Reversals | None,
    fx: FxRates | None,
    partners: Partners | None,
    actions: Mapping[str, Action],
    store: Store | None,
    adjustments: Iterable[Adjustment] | None,
    schedule: PayoutSchedule | None,
    rates: Mapping[str, Decimal],
) -> Settlement:
    # The revision is read first: should another writer append in between, the basis is older
    # than what was read and the store refuses the result as stale, never the other way round.
    basis = store.revision() if store is not None else 0
    history = store.entries() if store is not None else ()
    moved_before = store.movements() if store is not None else Movements.empty()
    stored = store.statements() if store is not None else ()
    run = _Run(period=period, known=frozenset(e.entry_id for e in history))
    run.counts.update(
        e.txn_id.rsplit("|", 1)[0] for e in history if e.kind in _KINDS and e.entry_id[-2:] == "/0"
    )
    _reopen(run, stored)
    items = _items(commissions, period)
    booked_reversals = _recall(items, moved_before)
    _accrue(run, items)
    reversed_now = _reverse(run, items, commissions, reversals, period, booked_reversals)
    blocked = _orders_marked(items, actions, "block")
    held = _orders_marked(items, actions, "review")
    _reject(run, items, blocked, reversed_now)
    _approve(run, items, book, held, reversed_now)
    movements, locked = _book(run, items)
    if adjustments is None:
        adjustments = close_period(commissions, book, period, reversals=reversals)
    _adjust(run, adjustments, history)
    locked.update(_locked_before(moved_before, period.label))
    statements = _statements(
        run, store, stored, history, items, locked, book, partners, fx, schedule, rates
    )
    return Settlement.model_construct(
        statements=tuple(statements),
        entries=tuple(run.entries),
        movements=movements,
        basis=basis,
    )


_ACTIONS = ("allow", "review", "block")


def _checked_decisions(decisions: Mapping[str, Action] | Decisions | None) -> dict[str, Action]:
    """Risk decisions by order id, each one of the known actions."""
    if decisions is None:
        return {}
    if isinstance(decisions, Decisions):
        held: dict[str, Action] = dict(decisions.for_settlement())
        return held
    if not isinstance(decisions, Mapping):
        raise TypeError(f"decisions must map order ids to actions, got {type(decisions).__name__}")
    bad = {str(k): v for k, v in decisions.items() if v not in _ACTIONS}
    if bad:
        shown = ", ".join(f"{k}: {v!r}" for k, v in list(bad.items())[:5])
        raise ValueError(f"unknown risk actions ({shown}); use one of {', '.join(_ACTIONS)}")
    return {str(k): v for k, v in decisions.items()}


def _checked_withholding(withholding: Mapping[str, Decimal | str] | None) -> dict[str, Decimal]:
    """Withholding rates by partner id, exact, in [0, 1): ``"0.1"``, ``"10%"`` or a Decimal."""
    rates: dict[str, Decimal] = {}
    for partner_id, given in (withholding or {}).items():
        if isinstance(given, float | bool) or not isinstance(given, Decimal | str | int):
            raise TypeError(
                f"withholding for {partner_id} must be a string or Decimal (a rate multiplies "
                f"money; floats are not exact), got {given!r}"
            )
        text = str(given).strip()
        try:
            rate = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
        except ArithmeticError:
            raise ValueError(f"withholding for {partner_id} is not a rate: {given!r}") from None
        if not rate.is_finite() or not Decimal(0) <= rate < 1:
            raise ValueError(f"withholding for {partner_id} must be in [0, 1), got {given!r}")
        rates[str(partner_id)] = rate
    return rates


def _items(commissions: CommissionTable, period: Period) -> _Items:
    """The commission lines placed before the period's end, nothing yet known of them."""
    columns = commissions.columns
    ts = np.asarray(columns["ts"], dtype=np.int64)
    before = ts < period.end_us
    every = bool(before.all())

    def column(name: str) -> npt.NDArray[Any]:
        values: npt.NDArray[Any] = columns[name]
        return values if every else values[before]

    partner_id, currency = column("partner_id"), column("currency")
    contract_id, version = column("contract_id"), np.asarray(column("version"), dtype=np.int64)
    size = partner_id.size
    source, order_id, line_id = column("source"), column("order_id"), column("line_id")
    uniform = frozenset(
        name
        for name, values in (
            ("source", source),
            ("line_id", line_id),
            ("contract_id", contract_id),
            ("currency", currency),
        )
        if _uniform(values)
    )
    partner, partners, _ = factorize(partner_id, "partner_id")
    if "contract_id" in uniform:
        contract = np.zeros(size, dtype=np.int64)
    else:
        contract = factorize(contract_id, "contract_id").codes.astype(np.int64, copy=False)
    # A line's currency is its contract version's: code the versions, then their currencies.
    term, first_row = _dense_codes(contract * (int(version.max(initial=0)) + 1) + version)
    code_of_term, codes, _ = factorize(currency[first_row], "currency")
    return _Items(
        source=source,
        order_id=order_id,
        line_id=line_id,
        partner_id=partner_id,
        contract_id=contract_id,
        version=version,
        currency=currency,
        ts=ts if every else ts[before],
        amount=np.asarray(column("commission"), dtype=np.int64),
        partner=partner.astype(np.int64, copy=False),
        partners=[str(p) for p in partners.tolist()],
        code=code_of_term.astype(np.int64, copy=False)[term],
        codes=[str(c) for c in codes.tolist()],
        term=term,
        terms=[(str(contract_id[row]), int(version[row])) for row in first_row.tolist()],
        accrued=np.zeros(size, dtype=bool),
        approved=np.zeros(size, dtype=bool),
        rejected=np.zeros(size, dtype=bool),
        reversed_before=np.zeros(size, dtype=np.int64),
        uniform=uniform,
    )


def _uniform(values: ObjArray) -> bool:
    """Whether a column holds one value throughout (most likely one object: quick to tell)."""
    return values.size == 0 or values.tolist().count(values[0]) == values.size


def _dense_codes(keys: IntArray) -> tuple[IntArray, IntArray]:
    """Codes of non-negative integer keys in ascending key order, and a row of each code."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    span = int(keys.max()) + 1
    if span > 4 * keys.size + 1_024:  # too wide for a table: sort
        _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        return codes.astype(np.int64, copy=False), first.astype(np.int64, copy=False)
    seen = np.zeros(span, dtype=bool)
    seen[keys] = True
    rank = np.cumsum(seen, dtype=np.int64) - 1
    codes = rank[keys]
    first = np.full(int(rank[-1]) + 1, keys.size, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(keys.size, dtype=np.int64))
    return codes, first


def _recall(items: _Items, moved: Movements) -> frozenset[str]:
    """Mark what the ledger holds of each line; the reversals the ledger has taken so far."""
    if len(moved) == 0:
        return frozenset()
    line, own = _lines_of(items, moved)
    kind = moved["kind"]
    known = line >= 0
    size = len(items)
    accrued = np.zeros(size, dtype=bool)
    accrued[line[known & (kind == "accrual")]] = True
    approved = np.zeros(size, dtype=bool)
    approved[line[known & (kind == "approval")]] = True
    rejected = np.zeros(size, dtype=bool)
    rejected[line[known & moved["rejected"]]] = True
    taken = (kind == "void") | (kind == "clawback")
    reversed_total = np.zeros(size, dtype=np.int64)
    np.add.at(reversed_total, line[known & taken], moved["amount"][known & taken])
    items.accrued[:] = accrued[own]
    items.approved[:] = approved[own]
    items.rejected[:] = rejected[own]
    items.reversed_before[:] = reversed_total[own]
    reversal_ids = moved["reversal_id"][taken]
    return frozenset(r for r in reversal_ids.tolist() if r is not None)


def _lines_of(items: _Items, moved: Movements) -> tuple[IntArray, IntArray]:
    """Which item line each stored movement belongs to, found by its commission line's id.

    A commission line is its source, order, line and partner. The order id finds the line
    (an order's last item row, by a dictionary); the rest is checked over whole columns.
    Only the lines of orders with several item rows are looked up by their whole id. When
    every order has one item row, the dictionary is kept as ``items.order_rows``.

    Returns:
        For each movement, the item row standing for its line (-1: none of the items); for
        each item row, the row standing for its line (itself, unless a later row has the
        same id).
    """
    size = len(items)
    orders: list[Any] = items.order_id.tolist()
    last = dict(zip(orders, range(size), strict=True))
    if len(last) == size:
        items.order_rows = last
    stored: list[Any] = moved["order_id"].tolist()
    line = np.fromiter(map(last.get, stored, repeat(-1)), np.int64, len(stored))
    own = np.arange(size, dtype=np.int64)
    shared = np.zeros(size, dtype=bool)  # rows of orders with more than one item row
    if len(last) < size:
        last_row = np.fromiter(map(last.__getitem__, orders), np.int64, size)
        shared = np.bincount(last_row, minlength=size)[last_row] > 1
    found = np.flatnonzero(line >= 0)
    single = found[~shared[line[found]]]
    same = np.ones(single.size, dtype=bool)
    for name in ("source", "line_id", "partner_id"):
        ours, theirs = getattr(items, name), moved[name]
        if not _same_value(ours, theirs):
            same &= np.equal(ours[line[single]], theirs[single])
    line[single[~same]] = -1
    if shared.any():
        rows = np.flatnonzero(shared)
        ids = list(zip(*(getattr(items, n)[rows].tolist() for n in _LINE_ID), strict=True))
        by_id = dict(zip(ids, rows.tolist(), strict=True))  # the last row of each id
        own[rows] = np.fromiter(map(by_id.__getitem__, ids), np.int64, rows.size)
        several = found[shared[line[found]]]
        wanted = zip(*(moved[n][several].tolist() for n in _LINE_ID), strict=True)
        line[several] = np.fromiter(map(by_id.get, wanted, repeat(-1)), np.int64, several.size)
    return line, own


#: The columns that make a commission line's id, as `Movements.commission_ids` joins them.
_LINE_ID = ("source", "order_id", "line_id", "partner_id")


def _same_value(ours: ObjArray, theirs: ObjArray) -> bool:
    """Whether two columns hold one and the same value throughout (then it needs no check)."""
    if ours.size == 0 or theirs.size == 0:
        return True
    first = ours[0]
    if not (first is None or type(first) is str) or first != theirs[0]:
        return False
    return all(values.tolist().count(first) == values.size for values in (ours, theirs))


def _money(minor: int, code: str) -> Money:
    if minor:
        return Money.from_minor(minor, code)
    zero = _ZEROS.get(code)
    if zero is None:
        zero = _ZEROS[code] = Money.from_minor(0, code)
    return zero  # money is immutable: one zero per currency serves every statement


_ZEROS: dict[str, Money] = {}


def _instants(us: IntArray) -> list[datetime]:
    """The aware datetimes (UTC) of microseconds since the epoch, as `from_micros` gives them."""
    utc = zone("UTC")
    naive: list[Any] = us.astype("datetime64[us]").astype(object).tolist()
    if all(type(value) is datetime for value in naive):
        return [value.replace(tzinfo=utc) for value in naive]
    return [from_micros(value) for value in us.tolist()]  # beyond datetime: let it say so


def _accrue(run: _Run, items: _Items) -> None:
    rows = np.flatnonzero(~items.accrued & (items.amount != 0))
    run.move("accrual", rows, items.amount[rows], items.ts[rows])
    items.accrued[rows] = True


def _orders_marked(items: _Items, actions: Mapping[str, Action], action: Action) -> BoolArray:
    """The lines of orders with the risk decision ``action``."""
    marked = {order for order, given in actions.items() if given == action}
    if not marked:
        return np.zeros(len(items), dtype=bool)
    return np.fromiter(map(marked.__contains__, items.order_id.tolist()), bool, len(items))


def _reverse(
    run: _Run,
    items: _Items,
    commissions: CommissionTable,
    reversals: Reversals | None,
    period: Period,
    booked: frozenset[str],
) -> IntArray:
    """Void or claw back each line's share of the reversals so far; the total per line."""
    _require_every_reversal(booked, reversals)
    total = items.reversed_before.copy()
    if reversals is None or len(reversals) == 0:
        return total
    orders = commissions.inputs.get("orders")
    if not isinstance(orders, Orders):
        raise SettlementError("the commission table does not carry its orders; re-run compute")
    shares = _reversed_shares(orders, commissions, reversals, period)
    by_order = {order: share for (order, line), share in shares.items() if line is None}
    by_line = {key: share for key, share in shares.items() if key[1] is not None}
    hit = {order for order, _ in shares}
    if items.order_rows is None:
        order_ids = items.order_id.tolist()
        candidates = np.fromiter(map(hit.__contains__, order_ids), bool, len(items))
    else:  # one row per order, found already: look the few orders up
        candidates = np.zeros(len(items), dtype=bool)
        found = np.fromiter(map(items.order_rows.get, hit, repeat(-1)), np.int64, len(hit))
        candidates[found[found >= 0]] = True
    hits = np.flatnonzero(candidates & ~items.rejected)
    rows: list[int] = []
    picked: list[tuple[tuple[int, int], str, int]] = []
    for row, order_id, line_id in zip(
        hits.tolist(), items.order_id[hits].tolist(), items.line_id[hits].tolist(), strict=True
    ):
        share = by_line.get((order_id, line_id)) if line_id is not None else None
        if share is None:
            share = by_order.get(order_id)
        if share is not None:
            rows.append(row)
            picked.append(share)
    lines = np.array(rows, dtype=np.int64)
    # Cumulative, so a late partial reversal adds only its difference and a full one takes
    # back exactly what was earned.
    due = _share_of(items.amount[lines], [ratio for ratio, _, _ in picked])
    delta = due - total[lines]
    changed = delta != 0
    lines, moved = lines[changed], delta[changed]
    total[lines] = due[changed]
    when = np.array([at for _, _, at in picked], dtype=np.int64)[changed]
    cause = np.array([last for _, last, _ in picked], dtype=object)[changed]
    after = items.approved[lines]
    run.move("void", lines[~after], moved[~after], when[~after], reversal_id=cause[~after])
    run.move("clawback", lines[after], moved[after], when[after], reversal_id=cause[after])
    return total


def _share_of(amount: IntArray, ratios: list[tuple[int, int]]) -> IntArray:
    """Each ``amount`` times its ratio ``(numerator, denominator)``, rounded half to even.

    Exact: in int64 when no product can overflow, in Python integers otherwise.
    """
    if not ratios:
        return np.zeros(0, dtype=np.int64)
    numerators = [numerator for numerator, _ in ratios]
    denominators = [denominator for _, denominator in ratios]
    widest = max(abs(int(amount.max())), abs(int(amount.min()))) * max(map(abs, numerators))
    if widest <= INT64_MAX:
        numerator = np.array(numerators, dtype=np.int64)
        denominator = np.array(denominators, dtype=np.int64)
        return round_quotient(amount * numerator, denominator, _HALF_EVEN)
    products = [a * n for a, n in zip(amount.tolist(), numerators, strict=True)]
    exact = round_quotient(
        np.array(products, dtype=object), np.array(denominators, dtype=object), _HALF_EVEN
    )
    return np.array(exact.tolist(), dtype=np.int64)


def _require_every_reversal(booked: frozenset[str], reversals: Reversals | None) -> None:
    """Refuse reversals that leave out ones the ledger already took into account.

    Shares are cumulative: each run needs every reversal so far, or a later partial one would
    be measured against too little.
    """
    given = set(reversals["reversal_id"].tolist()) if reversals is not None else set()
    missing = sorted(booked - given)
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise SettlementError(
            f"the ledger holds reversals {shown} that were not passed; pass every reversal so "
            "far, not only the new ones"
        )


def _reversed_shares(
    orders: Orders, commissions: CommissionTable, reversals: Reversals, period: Period
) -> dict[tuple[str, str | None], tuple[tuple[int, int], str, int]]:
    """Per order (line ``None``) or line: the share reversed so far, and the last reversal.

    Returns:
        ``{(order, line): ((numerator, denominator), last reversal id, its time in µs)}``.
    """
    targets = reversals["order_id"].tolist()
    order_row = _rows_of_orders(orders, sorted(set(targets)))
    # Each reversal's order: its row, amount and currency (row -1: no such order).
    rows = np.array([order_row.get(t, -1) for t in targets], dtype=np.int64)
    whole_order = orders["amount"][rows].tolist()
    currency_codes, currency_names = orders.codes("currency")
    order_currency = currency_names[currency_codes[rows]].tolist()
    # A line is worth its amount as given, in its order's currency, like the reversal.
    lines = commissions.inputs.get("lines")
    line_amount: dict[tuple[str, str], int] = {}
    if isinstance(lines, Lines):
        pairs = zip(lines["order_id"].tolist(), lines["line_id"].tolist(), strict=True)
        line_amount = dict(zip(pairs, lines["amount"].tolist(), strict=True))
    problems: list[Problem] = []
    taken: dict[tuple[str, str | None], int] = defaultdict(int)
    full: set[tuple[str, str | None]] = set()
    last: dict[tuple[str, str | None], tuple[str, int]] = {}
    worth: dict[tuple[str, str | None], int] = {}
    ids = reversals["reversal_id"].tolist()
    stamps = reversals["ts"].tolist()
    line_of = reversals["line_id"].tolist()
    currencies = reversals["currency"].tolist()
    minors = reversals["amount"].tolist()
    in_full = reversals.missing("amount").tolist()
    end = period.end_us
    for at, _, row in sorted(zip(stamps, ids, range(len(ids)), strict=True)):
        if at >= end:
            continue
        order_id, line_id = targets[row], line_of[row]
        if rows[row] < 0:
            problems.append(Problem(row, "order_id", order_id, "no such order"))
            continue
        currency = order_currency[row]
        if currencies[row] is not None and currencies[row] != currency:
            raise CurrencyMismatch(
                f"reversal {ids[row]} is in {currencies[row]}, its order {order_id} in {currency}"
            )
        key = (order_id, line_id)
        if line_id is None:
            worth[key] = whole_order[row]
        elif key in line_amount:
            worth[key] = line_amount[key]
        else:
            reason = (
                f"order {order_id} has no such line"
                if isinstance(lines, Lines)
                else "a line reversal needs the commissions computed with lines="
            )
            problems.append(Problem(row, "line_id", line_id, reason))
            continue
        if in_full[row]:
            full.add(key)
        else:
            taken[key] += minors[row]
            if taken[key] > worth[key]:
                problems.append(
                    Problem(
                        row,
                        "amount",
                        Money.from_minor(minors[row], currency).amount,
                        f"reversals of {order_id}{'' if line_id is None else '/' + line_id}"
                        f" add up to more than it was worth "
                        f"({Money.from_minor(worth[key], currency)})",
                    )
                )
        last[key] = (ids[row], at)
    if problems:
        raise DataError("reversals", problems)
    shares = {}
    for key, (last_id, at) in last.items():
        whole = worth[key]
        share = (1, 1) if key in full or whole <= 0 else (taken[key], whole)
        shares[key] = (share, last_id, at)
    return shares


def _rows_of_orders(orders: Orders, wanted: list[str]) -> dict[str, int]:
    """The rows of the ``wanted`` order ids that the orders table holds."""
    codes, categories = orders.codes("order_id")
    if categories.size == 0 or not wanted:
        return {}
    needles = np.array(wanted, dtype=object)
    # The categories are sorted: a binary search compares a few strings per id wanted.
    found = np.minimum(np.searchsorted(categories, needles), categories.size - 1)
    known = np.equal(categories[found], needles)
    row_of_code = np.empty(categories.size, dtype=np.int64)
    row_of_code[codes] = np.arange(codes.size, dtype=np.int64)
    return dict(zip(needles[known].tolist(), row_of_code[found[known]].tolist(), strict=True))


def _reject(run: _Run, items: _Items, blocked: BoolArray, total: IntArray) -> None:
    """Risk blocked these orders: void what is left of their commission, or claw it back.

    A line not yet approved is voided; one already approved (locked, perhaps paid) is clawed
    back into the next statement.
    """
    rows = np.flatnonzero(blocked & ~items.rejected)
    left = items.amount[rows] - total[rows]
    rows, left = rows[left != 0], left[left != 0]
    after = items.approved[rows]
    end = run.period.end_us
    run.move("void", rows[~after], left[~after], end, rejected=True)
    run.move("clawback", rows[after], left[after], end, rejected=True)
    total[rows] = items.amount[rows]
    items.rejected[rows] = True


def _approve(
    run: _Run, items: _Items, book: ContractBook, held: BoolArray, total: IntArray
) -> None:
    """Approve lines whose hold is over by the period's end, net of what was voided."""
    hold = {(c.id, c.version): (c.hold_days, c.timezone) for c in book.contracts}
    open_rows = np.flatnonzero(~items.approved & ~items.rejected & ~held)
    if open_rows.size == 0:
        return
    term = items.term[open_rows]
    release = np.empty(open_rows.size, dtype=np.int64)
    for number, (contract_id, version) in enumerate(items.terms):
        picked = np.flatnonzero(term == number) if len(items.terms) > 1 else slice(None)
        days, tz = hold.get((contract_id, version), (0, "UTC"))
        stamps = items.ts[open_rows[picked]]
        release[picked] = (
            stamps + days * _DAY_US if tz == "UTC" else shift_days_us(stamps, tz=tz, days=days)
        )
    net = items.amount[open_rows] - total[open_rows]
    due = (release <= run.period.end_us) & (net != 0)
    rows = open_rows[due]
    when = np.maximum(release[due], items.ts[rows])
    run.move("approval", rows, net[due], when)
    items.approved[rows] = True


def _book(run: _Run, items: _Items) -> tuple[Movements, Counter[tuple[str, str]]]:
    """Post one transaction per kind, partner and currency for the run's movements.

    Returns:
        The movements (accruals, voids, clawbacks, then approvals, each in line order), and
        the number of lines approved (locked in a statement) per partner and currency.
    """
    locked: Counter[tuple[str, str]] = Counter()
    blocks = run.blocks
    if not blocks:
        return Movements.empty(), locked
    # Movements stay in block order (each block's rows ascending), so the line columns are
    # gathered in sequence; transactions are found by a dense rank of their key, not a sort.
    rows = np.concatenate([b.rows for b in blocks])
    kind = np.concatenate([np.full(b.rows.size, _KINDS.index(b.kind)) for b in blocks])
    amount = np.concatenate([b.amount for b in blocks])
    ts = np.concatenate([b.ts for b in blocks])
    rejected = np.concatenate([b.rejected for b in blocks])
    partners, codes = len(items.partners), len(items.codes)
    key = (kind * partners + items.partner[rows]) * codes + items.code[rows]
    span = len(_KINDS) * partners * codes
    if span <= 4 * key.size + 1_024:
        count = np.bincount(key, minlength=span)
        keys = np.flatnonzero(count)
        rank = np.cumsum(count > 0) - 1
        txn_of = rank[key]
        sizes = count[keys]
    else:  # too many partners and currencies for a table: rank by sorting
        keys, txn_of, sizes = np.unique(key, return_inverse=True, return_counts=True)
    sums = np.zeros(keys.size, dtype=np.int64)
    np.add.at(sums, txn_of, amount)
    latest = np.full(keys.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, txn_of, ts)
    refused = np.bincount(txn_of[rejected], minlength=keys.size)
    per_kind = partners * codes
    txn_ids: list[str] = []
    labels: list[str] = []
    for what_number, partner, code_number, size, total, at, blocked in zip(
        (keys // per_kind).tolist(),
        (keys // codes % partners).tolist(),
        (keys % codes).tolist(),
        sizes.tolist(),
        sums.tolist(),
        _instants(latest),
        refused.tolist(),
        strict=True,
    ):
        what = _KINDS[what_number]
        partner_id = items.partners[partner]
        code = items.codes[code_number]
        booked = run.booking(partner_id, code)
        label = run.label if booked is run.period else booked.label
        prefix = f"{what}|{partner_id}|{code}|{label}"
        number = run.counts.get(prefix, 0) + 1
        run.counts[prefix] = number
        txn_id = f"{prefix}|{number}"
        run.post(
            txn_id,
            what,
            _legs(what, partner_id, total, code),
            ts=at,
            source=prefix,
            memo=_memo(what, size, blocked),
            booked=booked,
        )
        if what == "approval" and booked is run.period:
            locked[partner_id, code] = locked.get((partner_id, code), 0) + size
        txn_ids.append(txn_id)
        labels.append(label)
    txns = _in_order_of_appearance(txn_of, np.array(txn_ids, dtype=object))
    movements = Movements._with_txns(
        {
            "txn_id": txns.distinct[txns.codes],
            "kind": np.array(_KINDS, dtype=object)[kind],
            "source": _gather(items, "source", rows),
            "order_id": items.order_id[rows],
            "line_id": _gather(items, "line_id", rows),
            "partner_id": items.partner_id[rows],
            "contract_id": _gather(items, "contract_id", rows),
            "version": items.version[rows],
            "currency": _gather(items, "currency", rows),
            "amount": amount,
            "ts": ts,
            "period": np.array(labels, dtype=object)[txn_of],
            "reversal_id": np.concatenate([b.reversal_id for b in blocks]),
            "rejected": rejected,
        },
        txns,
    )
    return movements, locked


def _gather(items: _Items, name: str, rows: IntArray) -> ObjArray:
    """A text column of the items at ``rows``; filled, when it holds one value."""
    values: ObjArray = getattr(items, name)
    if name not in items.uniform or values.size == 0:
        return values[rows]
    filled = np.empty(rows.size, dtype=object)
    filled.fill(values[0])
    return filled


def _in_order_of_appearance(codes: IntArray, values: ObjArray) -> Factorized:
    """``factorize(values[codes])``, from codes into distinct values (every value is used)."""
    first = np.full(values.size, codes.size, dtype=np.intp)
    np.minimum.at(first, codes, np.arange(codes.size, dtype=np.intp))
    order = np.argsort(first, kind="stable")
    renumber = np.empty(values.size, dtype=np.intp)
    renumber[order] = np.arange(values.size, dtype=np.intp)
    return Factorized(renumber[codes], values[order], first[order])


def _locked_before(moved: Movements, label: str) -> Counter[tuple[str, str]]:
    """Lines approved in earlier runs and booked in the period ``label``, per partner."""
    if not len(moved):
        return Counter()
    rows = np.flatnonzero((moved["kind"] == "approval") & (moved["period"] == label))
    if rows.size == 0:
        return Counter()
    partner = factorize(moved["partner_id"][rows], "partner_id")
    currency = factorize(moved["currency"][rows], "currency")
    width = currency.distinct.size
    counts = np.bincount(partner.codes * width + currency.codes)
    pairs = np.flatnonzero(counts).tolist()
    return Counter(
        {
            (partner.distinct[pair // width], currency.distinct[pair % width]): count
            for pair, count in zip(pairs, counts[pairs].tolist(), strict=True)
        }
    )


def _adjust(run: _Run, adjustments: Iterable[Adjustment], history: Iterable[Entry]) -> None:
    """Book the period's close adjustments; on a later run, only what changed.

    An adjustment is owed in full once: when the close is run again (a late reversal changed a
    guarantee's shortfall, a bonus is no longer reached) the difference from what was booked
    is added, and an adjustment no longer due is taken back.
    """
    label = run.period.label
    due: dict[str, Adjustment] = {}
    seen: dict[str, int] = defaultdict(int)
    for adjustment in adjustments:
        if not isinstance(adjustment, Adjustment):
            raise TypeError(f"adjustments must be commission.Adjustment, got {adjustment!r}")
        key = (
            f"{adjustment.kind}|{adjustment.partner_id}|{adjustment.contract_id}"
            f"|{adjustment.period}"
        )
        # Two bonuses of one contract and period are two adjustments: number them, in order.
        seen[key] += 1
        due[f"{key}|{seen[key]}"] = adjustment
    booked: dict[str, tuple[int, int, str, str, str]] = {}
    for entry in history:
        if entry.kind != "adjustment" or not entry.account.startswith("payable:"):
            continue
        total, count, *_ = booked.get(entry.source, (0, 0, "", "", ""))
        booked[entry.source] = (
            total - entry.amount.minor,
            count + 1,
            entry.partner_id or "",
            entry.memo,
            entry.amount.currency,
        )
    gone = [source for source in booked if source.split("|")[3] == label and source not in due]
    for source in [*due, *gone]:
        owed = due.get(source)
        before, count, partner_id, memo, code = booked.get(source, (0, 0, "", "", ""))
        if owed is not None:
            partner_id, memo = owed.partner_id, owed.reason
            code, target = owed.amount.currency, owed.amount.minor
        else:
            target, memo = 0, f"no longer due: {memo}"
        delta = target - before
        if delta == 0:
            continue
        amount = _money(delta, code)
        run.post(
            f"adjustment|{source}" + (f"|{count}" if count else ""),
            "adjustment",
            [
                (account("expense"), None, amount, delta),
                (account("payable", partner_id), partner_id, -amount, -delta),
            ],
            ts=run.period.end,
            source=source,
            memo=memo,
        )


@dataclass
class _Figures:
    """A statement's movements, summed from the entries booked in its period."""

    approved: int = 0
    adjusted: int = 0
    voided: int = 0
    clawed: int = 0


#: The kinds of entry a statement sums, and the account (by owner kind) each is read from.
_FIGURED = {
    "approval": "payable",
    "adjustment": "payable",
    "clawback": "payable",
    "void": "pending",
}


def _figures(
    entries: Iterable[tuple[Entry, int | None]], label: str
) -> dict[tuple[str, str], _Figures]:
    """Per partner and currency, the movements booked in the period ``label``.

    Args:
        entries: Entries, each with its amount in minor units when that is known.
        label: The period.
    """
    found: dict[tuple[str, str], _Figures] = defaultdict(_Figures)
    for entry, known in entries:
        kind = entry.kind
        if kind not in _FIGURED or entry.period != label or entry.partner_id is None:
            continue
        amount = entry.amount
        figures = found[entry.partner_id, amount.currency]
        if entry.account.split(":", 1)[0] != _FIGURED[kind]:
            continue
        minor = amount.minor if known is None else known
        if kind == "approval":
            figures.approved -= minor
        elif kind == "adjustment":
            figures.adjusted -= minor
        elif kind == "clawback":
            figures.clawed += minor
        else:
            figures.voided += minor
    return found


def _reopen(run: _Run, stored: Iterable[Statement]) -> None:
    """Book partners whose statement for this period (or a later one) is locked further on."""
    latest: dict[tuple[str, str], Period] = {}
    for statement in stored:
        key = (statement.partner_id, statement.currency)
        if key not in latest or statement.period.end > latest[key].end:
            latest[key] = statement.period
    for key, last in latest.items():
        if last.end > run.period.start:
            run.reopened[key] = last.next()


def _statements(
    run: _Run,
    store: Store | None,
    stored_statements: Iterable[Statement],
    history: Iterable[Entry],
    items: _Items,
    locked: Mapping[tuple[str, str], int],
    book: ContractBook,
    partners: Partners | None,
    fx: FxRates | None,
    schedule: PayoutSchedule | None,
    withholding: Mapping[str, Decimal],
) -> list[Statement]:
    period = run.period
    stored = {s.statement_id: s for s in stored_statements}
    figures = _figures(
        [*zip(history, repeat(None)), *zip(run.entries, run.minors, strict=True)], period.label
    )
    keys = set(figures)
    latest: dict[tuple[str, str], Statement] = {}
    for statement in stored.values():
        key = (statement.partner_id, statement.currency)
        if key not in latest or statement.period.end >= latest[key].period.end:
            latest[key] = statement
    keys |= {key for key, statement in latest.items() if statement.carried.minor != 0}
    keys |= {(s.partner_id, s.currency) for s in stored.values() if s.period.label == period.label}
    payout_currency: dict[str, str] = {}
    if partners is not None:
        pairs = zip(partners["partner_id"], partners["payout_currency"], strict=True)
        payout_currency = {str(p): str(c) for p, c in pairs if c is not None}
    minimum = _minimum_payouts(items, book)
    paid_at = _payout_date(period, schedule)
    statements = []
    for partner_id, code in sorted(keys):
        statement_id = f"{partner_id}|{period.label}|{code}"
        if statement_id in stored:
            statements.append(stored[statement_id])  # locked: settling again changes nothing
            continue
        if run.booking(partner_id, code) is not period:
            continue  # a later statement is locked; this partner's news waits for the next
        previous = latest.get((partner_id, code))
        opening = previous.carried.minor if previous is not None else 0
        moved = figures.get((partner_id, code), _Figures())
        closing = opening + moved.approved + moved.adjusted - moved.clawed
        reason = None
        if paid_at is None:
            reason = f"no payout date for {period.label}"
        elif closing <= 0:
            reason = "nothing owed" if closing == 0 else "negative balance carried"
        elif closing < minimum.get((partner_id, code), 0):
            floor_text = Money.from_minor(minimum[partner_id, code], code)
            reason = f"under the minimum payout of {floor_text}"
        withheld = 0
        rate = withholding.get(partner_id, _NO_RATE)
        if reason is None and rate:
            numerator, denominator = decimal_to_ratio(rate)
            withheld = int(round_quotient(closing * numerator, denominator, rounding_mode("floor")))
        paid = closing - withheld if reason is None else 0
        target = payout_currency.get(partner_id, code)
        payout, fx_rate, fx_at = None, None, None
        at = paid_at or period.end
        if reason is None and target != code:
            if fx is None:
                raise SettlementError(
                    f"partner {partner_id} is paid in {target}, its statement is in {code}; "
                    "pass fx= with the rates"
                )
            payout = fx.convert(_money(paid, code), target, at=at)
            exact = fx.rate(code, target, at=at)
            fx_rate, fx_at = Decimal(exact.numerator) / Decimal(exact.denominator), at
        figures_of = {
            "opening": opening,
            "approved": moved.approved,
            "adjustments": moved.adjusted,
            "voided": moved.voided,
            "clawbacks": -moved.clawed,
            "closing": closing,
            "withheld": withheld,
            "paid": paid,
            "carried": 0 if reason is None else closing,
        }
        amounts: dict[int, Money] = {}  # equal amounts share one (immutable) Money
        for value in figures_of.values():
            if value not in amounts:
                amounts[value] = _money(value, code)
        if payout is None:
            payout = amounts[paid]
        if reason is None:
            _post_payout(run, partner_id, code, (amounts[closing], closing), withheld, payout, at)
        record: dict[str, Any] = {
            "statement_id": statement_id,
            "partner_id": partner_id,
            "period": period,
            "currency": code,
            **{name: amounts[value] for name, value in figures_of.items()},
            "payout": payout,
            "fx_rate": fx_rate,
            "fx_at": fx_at,
            "reason": reason,
            "commissions": locked.get((partner_id, code), 0),
        }
        statements.append(trusted(Statement, record))
    return statements


_NO_RATE = Decimal(0)


def _minimum_payouts(items: _Items, book: ContractBook) -> dict[tuple[str, str], int]:
    """Per partner and currency, the minimum payout of the contract version of its last line."""
    if len(items) == 0:
        return {}
    group, _ = _dense_codes(items.partner * len(items.codes) + items.code)
    groups = int(group.max()) + 1
    # The last line in time of each group (the last row, among lines of the same time).
    latest = np.full(groups, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, group, items.ts)
    at_latest = np.flatnonzero(items.ts == latest[group])
    last = np.full(groups, -1, dtype=np.int64)
    np.maximum.at(last, group[at_latest], at_latest)
    terms = {(c.id, c.version): c for c in book.contracts}
    minimum: dict[tuple[str, str], int] = {}
    for row in last.tolist():
        version = terms.get((items.contract_id[row], int(items.version[row])))
        floor = None if version is None else version.minimum_payout
        key = (items.partners[items.partner[row]], items.codes[items.code[row]])
        minimum[key] = 0 if floor is None else floor.minor
    return minimum


def _payout_date(period: Period, schedule: PayoutSchedule | None) -> datetime | None:
    if schedule is None:
        return period.end
    dates = schedule.occurrences(period.end, period.next().end)
    return dates[0] if dates else None


def _post_payout(
    run: _Run,
    partner_id: str,
    code: str,
    closing: tuple[Money, int],
    withheld: int,
    payout: Money,
    at: datetime,
) -> None:
    """Pay a statement: ``closing`` (as money and in minor units) less what is withheld."""
    txn = f"payout|{partner_id}|{run.label}|{code}"
    owed_money, owed = closing
    legs: Legs = [(account("payable", partner_id), partner_id, owed_money, owed)]
    if withheld:
        kept = _money(-withheld, code)
        legs.append((account("withholding", partner_id), partner_id, kept, -withheld))
    net = _money(owed - withheld, code) if withheld else owed_money
    if payout.currency == code:
        legs.append((account("cash"), None, -net, withheld - owed))
    else:
        legs += [
            (account("fx", code), None, -net, withheld - owed),
            (account("fx", payout.currency), None, payout, None),
            (account("cash"), None, -payout, None),
        ]
    run.post(txn, "payout", legs, ts=at, source=f"{partner_id}|{run.label}|{code}")

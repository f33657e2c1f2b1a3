"""`settle`: a payout period's statements and ledger entries, from commissions and history.

Every commission line moves through: accrued (pending, on hold) → approved (hold over, not
reversed in full, risk allows) → locked in the partner's statement for the period → paid when
the statement pays. A reversal before the line is locked voids (that part never reaches a
statement); after, it is clawed back in the next statement, where a balance may go negative and
is netted against later earnings.

Nothing here mutates: history comes from a store (read only), and the result is what to append.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from alliance._fx import FxRates
from alliance._kernels import decimal_to_ratio, round_quotient, rounding_mode
from alliance._money import Money
from alliance._periods import Period, shift
from alliance._schedules import PayoutSchedule
from alliance._tables import Lines, Orders, Partners, Reversals
from alliance.commission import Adjustment, CommissionTable, ContractBook, close_period
from alliance.errors import CurrencyMismatch, DataError, Problem, SettlementError
from alliance.settlement._ledger import Entry, EntryKind, Settlement, Statement, account
from alliance.settlement._store import Store

__all__ = ["Action", "settle"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: What a risk decision does to an order's commission: pay it, hold it, or reject it.
Action = Literal["allow", "review", "block"]


@dataclass
class _Item:
    """One commission line, as the ledger follows it."""

    item_id: str
    partner_id: str
    contract_id: str
    version: int
    currency: str
    order_id: str
    line_id: str | None
    ts: datetime
    amount: int  # minor units, signed as earned
    base: int
    source: str
    accrued: bool = False
    approved: bool = False
    #: Rejected by a risk decision: voided in full, nothing more to reverse or approve.
    rejected: bool = False
    #: Minor units already reversed (voided or clawed back) in earlier runs.
    reversed_before: int = 0


@dataclass
class _Run:
    """Entries being built, and where each partner's new entries are booked."""

    period: Period
    known: frozenset[str]
    #: Per partner and currency, the next period without a locked statement, when that is
    #: later than `period`: what happens now for it is booked there, not in a locked one.
    reopened: dict[tuple[str, str], Period] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    #: Transactions of voids and clawbacks already in the ledger (their ids end in the
    #: reversal's id, or in ``risk``).
    reversal_txns: set[str] = field(default_factory=set)
    #: Transactions added by this run.
    posted: set[str] = field(default_factory=set)

    def booking(self, partner_id: str, currency: str) -> Period:
        """The period a partner's new entry in ``currency`` is booked in."""
        return self.reopened.get((partner_id, currency), self.period)

    def post(
        self,
        txn_id: str,
        kind: EntryKind,
        legs: Iterable[tuple[str, str | None, Money]],
        *,
        ts: datetime,
        source: str,
        memo: str = "",
    ) -> bool:
        """Add a balanced transaction, unless the store already has it; whether it was added.

        The transaction is booked where its partner's next statement will take it.
        """
        if f"{txn_id}/0" in self.known or txn_id in self.posted:
            return False
        self.posted.add(txn_id)
        legs = list(legs)
        owner = next((p for _, p, _ in legs if p is not None), None)
        booked = self.period if owner is None else self.booking(owner, legs[0][2].currency)
        for number, (name, partner_id, amount) in enumerate(legs):
            self.entries.append(
                Entry(
                    entry_id=f"{txn_id}/{number}",
                    txn_id=txn_id,
                    kind=kind,
                    account=name,
                    partner_id=partner_id,
                    amount=amount,
                    ts=ts,
                    period=booked.label,
                    source=source,
                    memo=memo,
                )
            )
        return True


def settle(
    commissions: CommissionTable,
    *,
    book: ContractBook,
    period: Period,
    reversals: Reversals | None = None,
    fx: FxRates | None = None,
    partners: Partners | None = None,
    decisions: Mapping[str, Action] | None = None,
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
        decisions: Risk decisions by order id: ``review`` holds the order's commission,
            ``block`` rejects it (voided), ``allow`` (the default) lets it through.
        store: The ledger so far; none means a first settlement.
        adjustments: Close adjustments (bonuses, guarantees, true-ups) for the period; by
            default `commission.close_period` is run for it.
        schedule: Payout dates; a period pays when a date falls in ``[end, next end)``,
            and is paid on that date. Without one, every period pays at its end.
        withholding: Tax withholding rate by partner id (``"0.1"`` withholds 10%).

    Returns:
        The new entries (every transaction balances) and one statement per partner and
        contract currency with activity or a balance.

    Raises:
        DataError: Reversals of unknown orders, or past what the order (or line) was worth.
        CurrencyMismatch: A reversal in another currency than its order.
        MissingRate: No rate to a partner's payout currency at the payout date.
        SettlementError: A statement of this period was already locked with other figures.
    """
    if not isinstance(commissions, CommissionTable):
        raise TypeError(f"commissions must be a CommissionTable, got {type(commissions).__name__}")
    if not isinstance(book, ContractBook):
        raise TypeError(f"book must be a commission.ContractBook, got {type(book).__name__}")
    if not isinstance(period, Period):
        raise TypeError(f"period must be an al.Period, got {type(period).__name__}")
    if reversals is not None and not isinstance(reversals, Reversals):
        raise TypeError(f"reversals must be an al.Reversals table, got {type(reversals).__name__}")
    known = store.entry_ids() if store is not None else frozenset()
    history = store.entries() if store is not None else ()
    run = _Run(period=period, known=known)
    run.reversal_txns = {e.txn_id for e in history if e.kind in ("void", "clawback")}
    _reopen(run, store.statements() if store is not None else ())
    items = _items(commissions, period)
    _recall(items, history)
    _accrue(run, items)
    reversed_now = _reverse(run, items, commissions, reversals, period)
    actions = _checked_decisions(decisions)
    rates = _checked_withholding(withholding)
    blocked = {order for order, action in actions.items() if action == "block"}
    held = {order for order, action in actions.items() if action == "review"}
    _reject(run, items, blocked, reversed_now)
    _approve(run, items, book, held, reversed_now)
    if adjustments is None:
        adjustments = close_period(commissions, book, period, reversals=reversals)
    _adjust(run, adjustments, history)
    statements = _statements(run, store, history, items, book, partners, fx, schedule, rates)
    return Settlement(statements=tuple(statements), entries=tuple(run.entries))


_ACTIONS = ("allow", "review", "block")


def _checked_decisions(decisions: Mapping[str, Action] | None) -> dict[str, Action]:
    """Risk decisions by order id, each one of the known actions."""
    if decisions is None:
        return {}
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


def _items(commissions: CommissionTable, period: Period) -> list[_Item]:
    """The commission lines placed before the period's end."""
    columns = commissions.columns
    rows = np.flatnonzero(columns["ts"] < period.end_us)

    def values(name: str) -> list[Any]:
        listed: list[Any] = columns[name][rows].tolist()  # one conversion per column
        return listed

    found = []
    for source, order_id, line, partner_id, contract_id, version, code, ts, amount, base in zip(
        values("source"),
        values("order_id"),
        values("line_id"),
        values("partner_id"),
        values("contract_id"),
        values("version"),
        values("currency"),
        values("ts"),
        values("commission"),
        values("base"),
        strict=True,
    ):
        line_id = None if line is None else str(line)
        found.append(
            _Item(
                item_id=f"{source}|{order_id}|{line_id or '-'}|{partner_id}",
                partner_id=str(partner_id),
                contract_id=str(contract_id),
                version=int(version),
                currency=str(code),
                order_id=str(order_id),
                line_id=line_id,
                ts=_EPOCH + timedelta(microseconds=ts),
                amount=int(amount),
                base=int(base),
                source=str(source),
            )
        )
    return found


def _recall(items: list[_Item], history: Iterable[Entry]) -> None:
    """Mark what the ledger already holds for each line: accrued, approved, reversed."""
    accrued, approved, rejected = set(), set(), set()
    reversed_before: dict[str, int] = defaultdict(int)
    for entry in history:
        if not entry.entry_id.endswith("/0"):
            continue  # one leg per transaction says enough
        if entry.kind == "accrual":
            accrued.add(entry.source)
        elif entry.kind == "approval":
            approved.add(entry.source)
        elif entry.kind in ("void", "clawback"):
            # The first leg takes the amount off the partner's account (a debit).
            reversed_before[entry.source] += entry.amount.minor
            if entry.txn_id.endswith("|risk"):
                rejected.add(entry.source)
    for item in items:
        item.accrued = item.item_id in accrued
        item.approved = item.item_id in approved
        item.rejected = item.item_id in rejected
        item.reversed_before = reversed_before.get(item.item_id, 0)


def _money(minor: int, code: str) -> Money:
    return Money.from_minor(minor, code)


def _accrue(run: _Run, items: list[_Item]) -> None:
    for item in items:
        if item.accrued or item.amount == 0:
            continue
        amount = _money(item.amount, item.currency)
        run.post(
            f"accrual|{item.item_id}",
            "accrual",
            [
                (account("expense"), None, amount),
                (account("pending", item.partner_id), item.partner_id, -amount),
            ],
            ts=item.ts,
            source=item.item_id,
            memo=f"{item.source} commission on order {item.order_id}",
        )
        item.accrued = True


def _reverse(
    run: _Run,
    items: list[_Item],
    commissions: CommissionTable,
    reversals: Reversals | None,
    period: Period,
) -> dict[str, int]:
    """Void or claw back each line's share of the reversals so far; the total per line."""
    _require_every_reversal(run, reversals)
    if reversals is None or len(reversals) == 0:
        return {item.item_id: item.reversed_before for item in items}
    orders = commissions.inputs.get("orders")
    if not isinstance(orders, Orders):
        raise SettlementError("the commission table does not carry its orders; re-run compute")
    shares = _reversed_shares(orders, commissions, reversals, period)
    total: dict[str, int] = {}
    for item in items:
        share = shares.get((item.order_id, item.line_id)) or shares.get((item.order_id, None))
        taken = item.reversed_before
        if share is not None and not item.rejected:
            fraction, last_id, at = share
            # Cumulative, so a late partial reversal adds only its difference and a full one
            # takes back exactly what was earned.
            due = round_quotient(
                item.amount * fraction.numerator, fraction.denominator, rounding_mode("half_even")
            )
            delta = int(due) - item.reversed_before
            if delta:
                _post_reversal(run, item, delta, last_id, at)
                taken += delta
        total[item.item_id] = taken
    return total


def _require_every_reversal(run: _Run, reversals: Reversals | None) -> None:
    """Refuse reversals that leave out ones the ledger already took into account.

    Shares are cumulative: each run needs every reversal so far, or a later partial one would
    be measured against too little.
    """
    given = {str(r) for r in reversals["reversal_id"]} if reversals is not None else set()
    booked = {txn.rsplit("|", 1)[1] for txn in run.reversal_txns if not txn.endswith("|risk")}
    missing = sorted(booked - given)
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise SettlementError(
            f"the ledger holds reversals {shown} that were not passed; pass every reversal so "
            "far, not only the new ones"
        )


def _post_reversal(run: _Run, item: _Item, delta: int, last_id: str, at: datetime) -> None:
    amount = _money(delta, item.currency)
    if item.approved:
        kind: EntryKind = "clawback"
        holder = account("payable", item.partner_id)
        memo = f"clawback: reversal {last_id} of order {item.order_id}"
    else:
        kind = "void"
        holder = account("pending", item.partner_id)
        memo = f"void before lock: reversal {last_id} of order {item.order_id}"
    run.post(
        f"{kind}|{item.item_id}|{last_id}",
        kind,
        [(holder, item.partner_id, amount), (account("expense"), None, -amount)],
        ts=at,
        source=item.item_id,
        memo=memo,
    )


def _reversed_shares(
    orders: Orders, commissions: CommissionTable, reversals: Reversals, period: Period
) -> dict[tuple[str, str | None], tuple[Fraction, str, datetime]]:
    """Per order (line ``None``) or line: share reversed so far, the last reversal, its time."""
    order_row = {str(o): r for r, o in enumerate(orders["order_id"])}
    order_amount = orders["amount"]
    order_currency = orders["currency"]
    # A line is worth its amount as given, in its order's currency, like the reversal.
    lines = commissions.inputs.get("lines")
    line_amount: dict[tuple[str, str], int] = {}
    if isinstance(lines, Lines):
        for order_id, line_id, amount in zip(
            lines["order_id"], lines["line_id"], lines["amount"], strict=True
        ):
            line_amount[str(order_id), str(line_id)] = int(amount)
    problems: list[Problem] = []
    taken: dict[tuple[str, str | None], int] = defaultdict(int)
    full: set[tuple[str, str | None]] = set()
    last: dict[tuple[str, str | None], tuple[str, datetime]] = {}
    worth: dict[tuple[str, str | None], int] = {}
    records = reversals.to_records()
    order = sorted(range(len(records)), key=lambda r: (records[r]["ts"], records[r]["reversal_id"]))
    for row in order:
        record = records[row]
        at: datetime = record["ts"]
        if at >= period.end:
            continue
        order_id, line_id = str(record["order_id"]), record["line_id"]
        if order_id not in order_row:
            problems.append(Problem(row, "order_id", order_id, "no such order"))
            continue
        target = order_row[order_id]
        currency = str(order_currency[target])
        if record["currency"] is not None and record["currency"] != currency:
            raise CurrencyMismatch(
                f"reversal {record['reversal_id']} is in {record['currency']}, its order "
                f"{order_id} in {currency}"
            )
        key = (order_id, None if line_id is None else str(line_id))
        if line_id is None:
            worth[key] = int(order_amount[target])
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
        amount = record["amount"]
        if amount is None:
            full.add(key)
        else:
            minor = Money(amount, currency).minor
            taken[key] += minor
            if taken[key] > worth[key]:
                problems.append(
                    Problem(
                        row,
                        "amount",
                        amount,
                        f"reversals of {order_id}{'' if line_id is None else '/' + str(line_id)}"
                        f" add up to more than it was worth "
                        f"({Money.from_minor(worth[key], currency)})",
                    )
                )
        last[key] = (str(record["reversal_id"]), at)
    if problems:
        raise DataError("reversals", problems)
    shares = {}
    for key, (last_id, at) in last.items():
        whole = worth[key]
        fraction = Fraction(1) if key in full or whole <= 0 else Fraction(taken[key], whole)
        shares[key] = (fraction, last_id, at)
    return shares


def _reject(run: _Run, items: list[_Item], blocked: set[str], reversed_now: dict[str, int]) -> None:
    """Risk blocked these orders: void what is left of their commission, or claw it back.

    A line not yet approved is voided; one already approved (locked, perhaps paid) is clawed
    back into the next statement.
    """
    for item in items:
        if item.order_id not in blocked or item.rejected:
            continue
        left = item.amount - reversed_now.get(item.item_id, 0)
        if left == 0:
            continue
        amount = _money(left, item.currency)
        kind: EntryKind = "clawback" if item.approved else "void"
        holder = account("payable" if item.approved else "pending", item.partner_id)
        run.post(
            f"{kind}|{item.item_id}|risk",
            kind,
            [(holder, item.partner_id, amount), (account("expense"), None, -amount)],
            ts=run.period.end,
            source=item.item_id,
            memo=f"rejected: order {item.order_id} blocked by risk",
        )
        reversed_now[item.item_id] = item.amount
        item.rejected = True


def _approve(
    run: _Run,
    items: list[_Item],
    book: ContractBook,
    held: set[str],
    reversed_now: dict[str, int],
) -> None:
    """Approve lines whose hold is over by the period's end, net of what was voided."""
    hold = {(c.id, c.version): (c.hold_days, c.timezone) for c in book.contracts}
    for item in items:
        if item.approved or item.rejected or item.order_id in held:
            continue
        days, tz = hold.get((item.contract_id, item.version), (0, "UTC"))
        release = shift(item.ts, tz=tz, days=days)
        if release > run.period.end:
            continue
        net = item.amount - reversed_now.get(item.item_id, 0)
        if net == 0:
            continue
        amount = _money(net, item.currency)
        run.post(
            f"approval|{item.item_id}",
            "approval",
            [
                (account("pending", item.partner_id), item.partner_id, amount),
                (account("payable", item.partner_id), item.partner_id, -amount),
            ],
            ts=max(release, item.ts),
            source=item.item_id,
            memo=f"hold of {days} days over",
        )
        item.approved = True


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
                (account("expense"), None, amount),
                (account("payable", partner_id), partner_id, -amount),
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
    locked: int = 0


def _figures(entries: Iterable[Entry], label: str) -> dict[tuple[str, str], _Figures]:
    """Per partner and currency, the movements booked in the period ``label``."""
    found: dict[tuple[str, str], _Figures] = defaultdict(_Figures)
    for entry in entries:
        if entry.period != label or entry.partner_id is None:
            continue
        owner = entry.account.split(":", 1)[0]
        if entry.kind not in ("approval", "adjustment", "clawback", "void"):
            continue
        figures = found[entry.partner_id, entry.amount.currency]
        minor = entry.amount.minor
        if entry.kind == "approval" and owner == "payable":
            figures.approved -= minor
            figures.locked += 1
        elif entry.kind == "adjustment" and owner == "payable":
            figures.adjusted -= minor
        elif entry.kind == "clawback" and owner == "payable":
            figures.clawed += minor
        elif entry.kind == "void" and owner == "pending":
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
    history: Iterable[Entry],
    items: list[_Item],
    book: ContractBook,
    partners: Partners | None,
    fx: FxRates | None,
    schedule: PayoutSchedule | None,
    withholding: Mapping[str, Decimal],
) -> list[Statement]:
    period = run.period
    stored = {s.statement_id: s for s in (store.statements() if store is not None else ())}
    figures = _figures([*history, *run.entries], period.label)
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
    # The minimum payout of the contract version under which the partner last earned.
    terms = {(c.id, c.version): c for c in book.contracts}
    minimum: dict[tuple[str, str], int] = {}
    for item in sorted(items, key=lambda i: i.ts):
        version = terms.get((item.contract_id, item.version))
        floor = None if version is None else version.minimum_payout
        minimum[item.partner_id, item.currency] = 0 if floor is None else floor.minor
    paid_at = _payout_date(period, schedule)
    statements = []
    for partner_id, code in sorted(keys):
        statement_id = f"{partner_id}|{period.label}|{code}"
        if statement_id in stored:
            statements.append(stored[statement_id])  # locked: settling again changes nothing
            continue
        if run.booking(partner_id, code) is not period:
            continue  # a later statement is locked; this partner's news waits for the next
        previous = store.last_statement(partner_id, code) if store is not None else None
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
        rate = withholding.get(partner_id, Decimal(0))
        if reason is None and rate:
            numerator, denominator = decimal_to_ratio(rate)
            withheld = int(round_quotient(closing * numerator, denominator, rounding_mode("floor")))
        paid = closing - withheld if reason is None else 0
        target = payout_currency.get(partner_id, code)
        payout, fx_rate, fx_at = _money(paid, code), None, None
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
        if reason is None:
            _post_payout(run, partner_id, code, closing, withheld, payout, at)
        statements.append(
            Statement(
                statement_id=statement_id,
                partner_id=partner_id,
                period=period,
                currency=code,
                opening=_money(opening, code),
                approved=_money(moved.approved, code),
                adjustments=_money(moved.adjusted, code),
                voided=_money(moved.voided, code),
                clawbacks=_money(-moved.clawed, code),
                closing=_money(closing, code),
                withheld=_money(withheld, code),
                paid=_money(paid, code),
                carried=_money(0 if reason is None else closing, code),
                payout=payout,
                fx_rate=fx_rate,
                fx_at=fx_at,
                reason=reason,
                commissions=moved.locked,
            )
        )
    return statements


def _payout_date(period: Period, schedule: PayoutSchedule | None) -> datetime | None:
    if schedule is None:
        return period.end
    dates = schedule.occurrences(period.end, period.next().end)
    return dates[0] if dates else None


def _post_payout(
    run: _Run,
    partner_id: str,
    code: str,
    closing: int,
    withheld: int,
    payout: Money,
    at: datetime,
) -> None:
    txn = f"payout|{partner_id}|{run.period.label}|{code}"
    legs: list[tuple[str, str | None, Money]] = [
        (account("payable", partner_id), partner_id, _money(closing, code))
    ]
    if withheld:
        legs.append((account("withholding", partner_id), partner_id, _money(-withheld, code)))
    net = _money(closing - withheld, code)
    if payout.currency == code:
        legs.append((account("cash"), None, -net))
    else:
        legs += [
            (account("fx", code), None, -net),
            (account("fx", payout.currency), None, payout),
            (account("cash"), None, -payout),
        ]
    run.post(txn, "payout", legs, ts=at, source=f"{partner_id}|{run.period.label}|{code}")

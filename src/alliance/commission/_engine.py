"""The commission engine: `compute` over many orders, `evaluate` for one, the same cent.

`evaluate` is not a second implementation: it runs `compute` on a one-order table, starting
from the period-to-date state the caller carries, and hands back the new state.

Rounding happens once per order: the plan's exact commission for all of an order's lines is
rounded to the contract currency's minor unit with the contract's rounding mode, then split
back over the lines by largest remainder, so lines always add up to the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._kernels import INT64_MAX, mul_div_round, round_quotient, runs, spread_minor
from alliance._models import Order, OrderLine
from alliance._money import Money
from alliance._periods import from_micros, period_index
from alliance._tables import Clicks, Lines, Orders, Partners, Reversals
from alliance.commission._contracts import ContractBook
from alliance.commission._evaluate_rules import carry_state, evaluate_plan, exponent_of
from alliance.commission._extras import click_rows, override_rows
from alliance.commission._lines import LineFrame, flatten
from alliance.commission._run import Evaluation, Labels, RunState, places_needed
from alliance.errors import MoneyOverflow

__all__ = [
    "Commission",
    "CommissionLine",
    "CommissionState",
    "CommissionTable",
    "compute",
    "evaluate",
]

IntArray = npt.NDArray[np.int64]


class CommissionState(BaseModel):
    """Period-to-date facts a service stores between calls to `evaluate`.

    Attributes:
        volumes: Volume reached per tier group (contract, basis, period, scope, partner,
            category, period label): minor units of the contract currency, orders or units.
        paid: Commission paid so far against each period cap, exact, in the contract currency.
        subscriptions: Per contract and subscription: first payment (µs) and payments seen.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    volumes: dict[str, int] = Field(default_factory=dict)
    paid: dict[str, Decimal] = Field(default_factory=dict)
    subscriptions: dict[str, tuple[int, int]] = Field(default_factory=dict)


_COLUMNS = (
    "order_id",
    "line_id",
    "partner_id",
    "contract_id",
    "version",
    "currency",
    "ts",
    "period",
    "branch",
    "tier",
    "rate",
    "base",
    "commission",
    "quantity",
    "notes",
    "source",
)


@dataclass(frozen=True)
class CommissionTable:
    """One row per order line that earns under a contract (``source="sale"``).

    Plans that pay overrides add a row per ancestor and line (``source="override"``, the
    ancestor as ``partner_id``, the child's commission as ``base``); plans that pay per click
    add a row per click (``source="click"``, the click id in ``order_id``).

    Money columns (``base``, ``commission``) are int64 minor units of the row's contract
    ``currency``; ``ts`` is the order time in µs since the epoch (UTC); ``tier`` is the tier
    index reached (-1 when no tiered rule paid the line); ``rate`` is commission / base (a
    ratio, for reading, never for money).

    Attributes:
        columns: The arrays by name.
        skipped: Orders that earn nothing, each with the reason (no partner, no contract).
        state: The period-to-date state after these orders (see `CommissionState`).
    """

    columns: Mapping[str, npt.NDArray[Any]]
    skipped: tuple[tuple[str, str], ...]
    state: CommissionState
    #: What the table was computed from, so `close_period` can re-run it at period end.
    inputs: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.columns["commission"].size)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.columns[name]

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dictionaries: money as `Money`, time as aware datetimes (UTC)."""
        records = []
        exponents: dict[str, int] = {}
        for row in range(len(self)):
            record = {name: _plain(self.columns[name][row]) for name in _COLUMNS}
            code = record["currency"]
            if code not in exponents:
                exponents[code] = lookup_currency(code).exponent
            record["base"] = Money.from_minor(record["base"], code)
            record["commission"] = Money.from_minor(record["commission"], code)
            record["ts"] = from_micros(record["ts"])
            records.append(record)
        return records

    def to_pandas(self) -> Any:
        """A pandas DataFrame; money columns stay int64 minor units (``*_minor``)."""
        pd = optional_import("pandas", "CommissionTable.to_pandas")
        data = {
            (f"{name}_minor" if name in ("base", "commission") else name): self.columns[name]
            for name in _COLUMNS
        }
        frame = pd.DataFrame(data)
        frame["ts"] = pd.to_datetime(frame["ts"], unit="us", utc=True)
        return frame

    def total(self, partner_id: str | None = None) -> dict[str, Money]:
        """Commission per currency, for one partner or for everyone."""
        rows = np.ones(len(self), dtype=bool)
        if partner_id is not None:
            rows = self.columns["partner_id"] == partner_id
        totals: dict[str, Money] = {}
        for code in sorted(set(self.columns["currency"][rows].tolist())):
            picked = rows & (self.columns["currency"] == code)
            amount = int(self.columns["commission"][picked].sum())
            totals[code] = Money.from_minor(amount, code)
        return totals


class LazyColumns(Mapping[str, npt.NDArray[Any]]):
    """Columns by name, some computed on first access.

    Decoding millions of ids costs time that a caller reading only amounts should not pay.
    """

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self._columns = dict(columns)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        value = self._columns[name]
        if callable(value):
            value = self._columns[name] = value()
        result: npt.NDArray[Any] = value
        return result

    def __iter__(self) -> Any:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class CommissionLine(BaseModel):
    """One line of a `Commission`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: str | None
    base: Money
    commission: Money
    branch: str
    tier: int
    notes: str


class Commission(BaseModel):
    """The commission of one order, with the state to carry to the next one.

    Attributes:
        order_id: The order.
        partner_id: Partner credited (``None`` when the order earns nothing).
        contract_id: Contract applied.
        version: Its version.
        amount: Commission for the whole order (the sum of its lines).
        period: Settlement period label in the contract's time zone.
        lines: Per-line detail of the partner's own commission.
        overrides: What the order pays each ancestor partner (plans with `override`).
        skipped: Why the order earns nothing, when it does not.
        state: Period-to-date state after this order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    partner_id: str | None
    contract_id: str | None
    version: int | None
    amount: Money | None
    period: str | None
    lines: tuple[CommissionLine, ...]
    overrides: dict[str, Money] = Field(default_factory=dict)
    skipped: str | None
    state: CommissionState


def compute(
    orders: Orders,
    book: ContractBook,
    *,
    lines: Lines | None = None,
    fx: FxRates | None = None,
    partners: Partners | None = None,
    state: CommissionState | None = None,
    clicks: Clicks | None = None,
) -> CommissionTable:
    """Commission for every order line, exactly, under the contracts in force.

    Args:
        orders: Orders with their ``partner_id`` (attribution happens before).
        book: The contracts.
        lines: Order lines; an order without lines is one line for its amount (less tax and
            shipping, by the contract's base policy).
        fx: Exchange rates, for orders in another currency than their contract.
        partners: Partners, needed when the book looks at partner groups.
        state: Period-to-date state from earlier runs (tier volumes, period caps, subscription
            payments); empty by default.
        clicks: Clicks, for plans that pay per click (rows with ``source="click"``).

    Returns:
        One row per earning line, plus the orders skipped and the new state.

    Raises:
        DataError: Lines of unknown orders, or in another currency than their order.
        MissingRate: No exchange rate for an order in another currency than its contract.
        ContractError: A plan that cannot be evaluated (a threshold finer than a cent).
        MoneyOverflow: Amounts times rates past int64.
    """
    return _compute(orders, book, lines=lines, fx=fx, partners=partners, state=state, clicks=clicks)


def _compute(
    orders: Orders,
    book: ContractBook,
    *,
    lines: Lines | None,
    fx: FxRates | None,
    partners: Partners | None,
    state: CommissionState | None,
    finalize: bool = False,
    reversals: Reversals | None = None,
    clicks: Clicks | None = None,
) -> CommissionTable:
    frame = flatten(orders, book, lines=lines, fx=fx, partners=partners)
    if reversals is not None:
        frame.mark_reversals(orders, reversals)
    carried = state or CommissionState()
    run_state = RunState(
        volumes=dict(carried.volumes),
        paid=dict(carried.paid),
        subscriptions=dict(carried.subscriptions),
    )
    size = len(frame)
    commission = np.zeros(size, dtype=np.int64)
    branch = Labels(size, " > ")
    tier = np.full(size, -1, dtype=np.int64)
    notes = Labels(size, "; ")
    period = Labels(size, "")
    touched: dict[str, int] = {}
    # Versions in time order, so period caps carry from one version to the next.
    order_of_versions = sorted(
        range(len(frame.contracts)), key=lambda n: frame.contracts[n].effective_from
    )
    for number in order_of_versions:
        contract = frame.contracts[number]
        rows = np.flatnonzero(frame.contract == number)
        if rows.size == 0:
            continue
        scale = 10 ** places_needed(contract.plan)
        run = Evaluation(
            frame=frame,
            contract=contract,
            scale=scale,
            exponent=exponent_of(contract),
            state=run_state,
            branch=branch,
            tier=tier,
            notes=notes,
            finalize=finalize,
        )
        exact = evaluate_plan(run, contract.plan, rows)
        carry_state(run)
        touched.update(run.touched_volumes)
        commission[rows] = _round_per_order(frame, rows, exact, scale, contract.rounding)
        codes, periods = period_index(frame.ts[rows], contract.period, tz=contract.timezone)
        period.assign(rows, codes, [p.label for p in periods])
    run_state.volumes.update(touched)
    base = frame.base

    def rate() -> npt.NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio: npt.NDArray[np.float64] = np.where(
                base != 0, commission / np.where(base != 0, base, 1), 0.0
            )
        return ratio

    def reversed_base() -> IntArray:
        if not frame.reversed_numerator.any():
            return np.zeros(size, dtype=np.int64)
        return mul_div_round(base, frame.reversed_numerator, frame.reversed_denominator, "floor")

    contract_ids = np.array([c.id for c in frame.contracts] + [None], dtype=object)
    versions = np.array([c.version for c in frame.contracts] + [0], dtype=np.int64)
    currencies = np.array([c.currency for c in frame.contracts] + [None], dtype=object)
    columns = {
        "order_id": lambda: frame.order_id,
        "line_id": lambda: frame.line_id,
        "partner_id": lambda: frame.partner,
        "contract_id": lambda: contract_ids[frame.contract],
        "version": versions[frame.contract],
        "currency": lambda: currencies[frame.contract],
        "ts": frame.ts,
        "period": period.decoded,
        "branch": branch.decoded,
        "tier": tier,
        "rate": rate,
        "base": base,
        "commission": commission,
        "quantity": lambda: frame.quantity,
        "reversed_base": reversed_base,
        "notes": notes.decoded,
        "source": lambda: np.full(size, "sale", dtype=object),
    }
    lazy = LazyColumns(columns)
    blocks = override_rows(frame, lazy, partners, _round_per_order)
    if clicks is not None:
        click_block, _ = click_rows(clicks, book, partners, lazy)
        if click_block is not None:
            blocks.append(click_block)
    if blocks:
        lazy = LazyColumns(
            {name: np.concatenate([lazy[name], *(b[name] for b in blocks)]) for name in lazy}
        )
    new_state = _settled(run_state)
    inputs = {
        "orders": orders,
        "book": book,
        "lines": lines,
        "fx": fx,
        "partners": partners,
        "state": state,
        "clicks": clicks,
    }
    return CommissionTable(lazy, tuple(frame.skipped), new_state, inputs)


def _settled(run_state: RunState) -> CommissionState:
    """The state a run leaves, built without validating again what the run made.

    The run owns its dictionaries (copies of the carried state, updated), so the new state
    can hold them as they are: they are never changed after this.
    """
    return CommissionState.model_construct(
        volumes=run_state.volumes,
        paid=run_state.paid,
        subscriptions=run_state.subscriptions,
    )


def _round_per_order(
    frame: LineFrame, rows: npt.NDArray[np.intp], exact: IntArray, scale: int, mode: Any
) -> IntArray:
    """Round each order's exact total once, then split it over its lines by largest remainder."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    if rows.size == 1:  # one line is its order's total: nothing to add up or split
        return round_quotient(exact, scale, mode).astype(np.int64, copy=False)
    # An order's lines are adjacent among ascending rows: find the groups in one pass.
    starts, groups = runs(frame.order_row[rows])
    if int(np.abs(exact).max()) > INT64_MAX // max(rows.size, 1):
        raise MoneyOverflow("an order's commission is past int64 at the plan's precision")
    totals = np.add.reduceat(exact, starts)
    rounded = round_quotient(totals, scale, mode)
    if starts.size == rows.size:  # one line per order: nothing to split
        return rounded.astype(np.int64, copy=False)
    return spread_minor(rounded, np.where(exact > 0, exact, 0), groups)


def evaluate(
    order: Order,
    book: ContractBook,
    state: CommissionState | None = None,
    *,
    lines: list[OrderLine] | None = None,
    fx: FxRates | None = None,
    partners: Partners | None = None,
) -> Commission:
    """The commission of one order, and the period-to-date state after it.

    The same cent as `compute` over the same orders in the same order: it is `compute` on a
    one-order table, started from ``state``.

    Args:
        order: The order, with its ``partner_id``.
        book: The contracts.
        state: The state returned with the previous order (empty for the first).
        lines: The order's lines, if it has them.
        fx: Exchange rates, for an order in another currency than its contract.
        partners: Partners, when the book looks at partner groups.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from alliance import Order
        >>> from alliance.commission import Contract, ContractBook, default, percent
        >>> book = ContractBook([Contract(
        ...     id="std", version=1, applies_to=default(), currency="USD", timezone="UTC",
        ...     plan=percent("8%"), effective_from=datetime(2026, 1, 1, tzinfo=timezone.utc))])
        >>> order = Order(order_id="o1", ts="2026-10-01T10:00:00Z", amount="25.00",
        ...               currency="USD", partner_id="kol-1")
        >>> evaluate(order, book).amount
        Money('2.00', 'USD')
    """
    if not isinstance(order, Order):
        raise TypeError(f"order must be an al.Order, got {type(order).__name__}")
    table = compute(
        Orders.one(order),
        book,
        lines=Lines.from_models(lines, currency=order.currency) if lines else None,
        fx=fx,
        partners=partners,
        state=state,
    )
    carried = table.state
    # The engine made every value below, of the fields' types: the models are built as they
    # are, without validating them again.
    if len(table) == 0:
        reason = table.skipped[0][1] if table.skipped else "nothing earned"
        return Commission.model_construct(
            order_id=order.order_id,
            partner_id=order.partner_id,
            contract_id=None,
            version=None,
            amount=None,
            period=None,
            lines=(),
            skipped=reason,
            state=carried,
        )
    code = str(table["currency"][0])
    source = table["source"].tolist()
    line_id, branch, notes = (table[name].tolist() for name in ("line_id", "branch", "notes"))
    base, paid, tier = (table[name].tolist() for name in ("base", "commission", "tier"))
    sales = [row for row, kind in enumerate(source) if kind == "sale"]
    detail = tuple(
        CommissionLine.model_construct(
            line_id=_plain(line_id[row]),
            base=Money.from_minor(base[row], code),
            commission=Money.from_minor(paid[row], code),
            branch=str(branch[row]),
            tier=tier[row],
            notes=str(notes[row]),
        )
        for row in sales
    )
    overrides: dict[str, Money] = {}
    for row, kind in enumerate(source):
        if kind == "override":
            ancestor = str(table["partner_id"][row])
            share = Money.from_minor(paid[row], code)
            overrides[ancestor] = overrides.get(ancestor, Money.from_minor(0, code)) + share
    return Commission.model_construct(
        order_id=order.order_id,
        partner_id=order.partner_id,
        contract_id=str(table["contract_id"][0]),
        version=int(table["version"][0]),
        amount=Money.from_minor(sum(paid[row] for row in sales), code),
        period=str(table["period"][0]),
        lines=detail,
        overrides=overrides,
        skipped=None,
        state=carried,
    )

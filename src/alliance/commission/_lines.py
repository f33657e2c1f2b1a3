"""The engine's input, flattened: one row per order line, with its order's facts beside it.

Orders without lines count as one line each. Every array here is aligned to the same line
index, which the rule evaluation works on; lines are arranged once, deterministically, by order
time, then order id, then line id, so volume accumulates in the same order on every run.

Text (ids, categories, countries, coupon codes) stays as integer codes into each column's
sorted distinct values; it is decoded only where a caller reads it, and conditions compare
codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._columns import positions
from alliance._fx import FxRates
from alliance._kernels import runs, spread_minor
from alliance._tables import Lines, Orders, Partners, Reversals
from alliance.commission._contracts import (
    Contract,
    ContractBook,
    GroupTarget,
    PartnerTarget,
    in_force_us,
)
from alliance.errors import DataError, Problem

__all__ = ["LineFacts", "LineFrame", "flatten", "resolve_contracts"]

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
Coded = tuple[IntArray, ObjArray]

_SPECIFICITY = {"partner": 0, "group": 1, "default": 2}


class LineFacts(Mapping[str, ObjArray]):
    """Text facts per line, as codes into each column's distinct values, decoded on demand.

    ``category``, ``sku`` and ``line_id`` are the lines' own; ``country``, ``coupon_code`` and
    the other order columns come from each line's order; ``attribute:<name>`` reads an order
    column, an extra one too. Reading a fact by name decodes it for every line.
    """

    def __init__(
        self,
        orders: Orders,
        order_row: IntArray,
        own: Mapping[str, Coded | Callable[[], Coded]],
    ) -> None:
        self._orders = orders
        self._order_row = order_row
        self._own = dict(own)
        self._decoded: dict[str, ObjArray] = {}

    def coded(self, name: str, rows: npt.NDArray[np.intp] | None = None) -> Coded | None:
        """Codes of the lines ``rows`` (all lines by default; -1 where missing) and the values.

        ``None`` for an extra column, which is not dictionary-encoded.

        Raises:
            KeyError: Neither the lines nor the orders have the column.
        """
        if name in self._own:
            own = self._own[name]
            if callable(own):  # gathered for every line on first use
                own = self._own[name] = own()
            codes, values = own
            return (codes if rows is None else codes[rows]), values
        column = name.removeprefix("attribute:")
        if column not in self._orders:
            raise KeyError(name)
        try:
            order_codes, values = self._orders.codes(column)
        except (KeyError, TypeError):
            return None
        at = self._order_row if rows is None else self._order_row[rows]
        return order_codes[at].astype(np.int64, copy=False), values

    def isin(
        self,
        name: str,
        wanted: Iterable[str],
        rows: npt.NDArray[np.intp],
        *,
        fold_case: bool = False,
    ) -> BoolArray:
        """Whether each line of ``rows`` has one of the ``wanted`` values (never when missing).

        Raises:
            KeyError: Neither the lines nor the orders have the column.
        """
        coded = self.coded(name, rows)
        if coded is None:  # an extra column: compare its text
            values = self[name][rows]
            text = np.array([_fold(str(v), fold_case) for v in values], dtype=object)
            wanted_text = np.array([_fold(w, fold_case) for w in wanted], dtype=object)
            found: BoolArray = np.isin(text, wanted_text) & (values != None)  # noqa: E711
            return found
        codes, values = coded
        wanted_set = {_fold(w, fold_case) for w in wanted}
        hit = [_fold(str(v), fold_case) in wanted_set for v in values.tolist()]
        lookup = np.array([*hit, False], dtype=bool)  # code -1 (missing) reads the last slot
        return lookup[codes]

    def present(self, name: str, rows: npt.NDArray[np.intp]) -> BoolArray:
        """Whether each line of ``rows`` has a value for the fact."""
        coded = self.coded(name, rows)
        if coded is None:
            given: BoolArray = self[name][rows] != None  # noqa: E711 - elementwise
            return given
        return coded[0] >= 0

    def __getitem__(self, name: str) -> ObjArray:
        if name not in self._decoded:
            coded = self.coded(name)
            if coded is None:
                values = np.asarray(self._orders[name.removeprefix("attribute:")], dtype=object)
                self._decoded[name] = values[self._order_row]
            else:
                self._decoded[name] = with_missing(coded[1])[coded[0]]
        return self._decoded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._own)

    def __len__(self) -> int:
        return len(self._own)


def _fold(text: str, fold_case: bool) -> str:
    return text.casefold() if fold_case else text


@dataclass
class LineFrame:
    """Aligned per-line arrays for the rule evaluation.

    Attributes:
        order_row: Position of the line's order in the orders table; an order's lines are
            adjacent.
        partner_code: Partner per line as a code into ``partner_names`` (sorted; -1: none).
        partner_names: The distinct partner ids.
        group_by_partner: Each partner's group, by partner code (``None`` last, for -1).
        order_id_of_order: Order id per order row, as a code into ``order_id_names``.
        order_id_names: The distinct order ids, sorted.
        new_customer_of_order: Per order row, 1, 0, or -1 when the order does not say.
        by_time: Order rows in time order.
        lines_per_order: Lines of each order in the frame, in time order (see `per_line`).
        ts: Order time, µs since the epoch (UTC).
        contract: Index into ``contracts`` of the version that applies.
        contracts: The contract versions in use.
        base: Commission base in minor units of the line's contract currency.
        amount: Line amount in minor units of the order currency, by the base policy.
        quantity_of: Computes `quantity`, the units on each line, when first asked for.
        text: Text facts per line by name (line_id, category, sku, country, coupon_code …).
        skipped: Orders that earn nothing, with the reason.
    """

    order_row: IntArray
    partner_code: IntArray
    partner_names: ObjArray
    group_by_partner: ObjArray
    order_id_of_order: IntArray
    order_id_names: ObjArray
    new_customer_of_order: npt.NDArray[np.int8]
    by_time: IntArray
    lines_per_order: IntArray
    ts: IntArray
    contract: IntArray
    contracts: list[Contract]
    base: IntArray
    amount: IntArray
    quantity_of: Callable[[], IntArray]
    text: LineFacts
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Share of each line reversed, as numerator / denominator (0 / 1 when none).
    reversed_numerator: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    reversed_denominator: IntArray = field(default_factory=lambda: np.ones(0, np.int64))

    def mark_reversals(self, orders: Orders, reversals: Reversals) -> None:
        """Record what share of each line the reversals take back."""
        numerator = np.zeros(len(self), dtype=np.int64)
        denominator = np.ones(len(self), dtype=np.int64)
        order_amount = orders["amount"].astype(np.int64, copy=False)
        # Only the lines of reversed orders: found by code, not by comparing every line's id.
        reversed_ids = reversals["order_id"]
        wanted = positions(self.order_id_names, np.unique(reversed_ids.astype(str)))
        rows = np.flatnonzero(np.isin(self.order_id_code, wanted[wanted >= 0]))
        by_order: dict[str, list[int]] = {}
        for row, code in zip(rows.tolist(), self.order_id_code[rows].tolist(), strict=True):
            by_order.setdefault(str(self.order_id_names[code]), []).append(row)
        amounts = reversals["amount"]
        missing = reversals.missing("amount")
        line_ids = self.line_id
        for order_id, line_id, amount, full in zip(
            reversed_ids, reversals["line_id"], amounts, missing, strict=True
        ):
            for row in by_order.get(str(order_id), []):
                if line_id is not None and line_ids[row] != line_id:
                    continue
                total = (
                    int(order_amount[self.order_row[row]])
                    if line_id is None
                    else int(self.amount[row])
                )
                if full or total <= 0:
                    numerator[row], denominator[row] = 1, 1
                    continue
                # Partial reversals of one order add up, never past the whole.
                taken = numerator[row] if denominator[row] == total else 0
                numerator[row] = min(taken + int(amount), total)
                denominator[row] = total
        self.reversed_numerator, self.reversed_denominator = numerator, denominator

    def __len__(self) -> int:
        return int(self.order_row.size)

    def per_line(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """An order-level array (by order row) per line.

        Orders in time order, each repeated for its lines: the orders are read in sequence.
        """
        return np.repeat(values[self.by_time], self.lines_per_order)

    @cached_property
    def order_id_code(self) -> IntArray:
        """Order id per line, as a code into ``order_id_names`` (see `order_id`)."""
        return self.per_line(self.order_id_of_order)

    @cached_property
    def new_customer(self) -> npt.NDArray[np.int8]:
        """Per line, 1 for a new customer, 0 for a returning one, -1 when the order does not say."""
        return self.per_line(self.new_customer_of_order)

    @cached_property
    def order_id(self) -> ObjArray:
        """Order id per line, decoded when first asked for (a gather of many strings)."""
        return with_missing(self.order_id_names)[self.order_id_code]

    @property
    def line_id(self) -> ObjArray:
        """Line id per line (``None`` for an order without lines), decoded on first use."""
        return self.text["line_id"]

    @cached_property
    def quantity(self) -> IntArray:
        """Units on each line."""
        return self.quantity_of()

    @cached_property
    def partner(self) -> ObjArray:
        """Partner id per line, decoded on first use."""
        return with_missing(self.partner_names)[self.partner_code]

    @cached_property
    def group(self) -> ObjArray:
        """Partner group per line (``None`` when unknown), decoded on first use."""
        return self.group_by_partner[self.partner_code]

    def group_in(self, wanted: Iterable[str], rows: npt.NDArray[np.intp]) -> BoolArray:
        """Whether the partner of each line of ``rows`` is in one of the ``wanted`` groups."""
        wanted_set = set(wanted)
        lookup = np.array([g in wanted_set for g in self.group_by_partner.tolist()], dtype=bool)
        return lookup[self.partner_code[rows]]

    @property
    def subscription(self) -> ObjArray:
        """Subscription id per line (``None`` when not a subscription payment)."""
        return self.text["subscription_id"]


def resolve_contracts(
    book: ContractBook, partner: ObjArray, group: ObjArray, at: IntArray
) -> tuple[IntArray, list[Contract]]:
    """Per row, the index of the most specific contract version in force (or -1).

    ``partner`` and ``group`` are per row; rows without a partner get no contract.
    """
    partner_names, partner_code = np.unique(
        np.array(["" if p is None else str(p) for p in partner], dtype=object),
        return_inverse=True,
    )
    partner_code = partner_code.reshape(-1).astype(np.int64, copy=False)
    partner_code[np.asarray(partner == None, dtype=bool)] = -1  # noqa: E711 - elementwise
    group_by_partner = np.full(partner_names.size + 1, None, dtype=object)
    group_by_partner[partner_code[partner_code >= 0]] = np.asarray(group, dtype=object)[
        partner_code >= 0
    ]
    return _resolve(book, partner_names, group_by_partner, partner_code, at)


def _resolve(
    book: ContractBook,
    partner_names: ObjArray,
    group_by_partner: ObjArray,
    partner_code: IntArray,
    at: IntArray,
) -> tuple[IntArray, list[Contract]]:
    """`resolve_contracts` on partner codes: targets are matched once per distinct partner."""
    contracts = list(book.contracts)
    chosen = np.full(partner_code.size, -1, dtype=np.int64)
    rank = np.full(partner_code.size, 99, dtype=np.int64)
    names = [*partner_names.tolist(), None]
    groups = group_by_partner.tolist()
    for number, contract in enumerate(contracts):
        target = contract.applies_to
        if isinstance(target, PartnerTarget):
            by_partner = [n == target.partner_id for n in names]
        elif isinstance(target, GroupTarget):
            by_partner = [
                g == target.group and n is not None for n, g in zip(names, groups, strict=True)
            ]
        else:
            by_partner = [n is not None for n in names]
        applies = np.array(by_partner, dtype=bool)[partner_code]
        start, end = in_force_us(contract)
        applies &= at >= start
        if end is not None:
            applies &= at < end
        better = applies & (_SPECIFICITY[target.kind] < rank)
        chosen[better] = number
        rank[better] = _SPECIFICITY[target.kind]
    return chosen, contracts


def flatten(
    orders: Orders,
    book: ContractBook,
    *,
    lines: Lines | None,
    fx: FxRates | None,
    partners: Partners | None,
) -> LineFrame:
    """Join orders, their lines, partners and contracts into one line frame.

    Raises:
        DataError: Lines of unknown orders, or in another currency than their order.
        MissingRate: An order in another currency than its contract has no rate.
        ValueError: The book looks at partner groups and no partners table was given.
    """
    if not isinstance(orders, Orders):
        raise TypeError(f"orders must be an al.Orders table, got {type(orders).__name__}")
    if not isinstance(book, ContractBook):
        raise TypeError(f"book must be a commission.ContractBook, got {type(book).__name__}")
    if lines is not None and not isinstance(lines, Lines):
        raise TypeError(f"lines must be an al.Lines table, got {type(lines).__name__}")
    if partners is not None and not isinstance(partners, Partners):
        raise TypeError(f"partners must be an al.Partners table, got {type(partners).__name__}")
    if partners is None and book.uses_groups():
        raise ValueError(
            "the contract book looks at partner groups; pass partners= so groups are known"
        )
    code32, partner_names = orders.codes("partner_id")
    partner_code = code32.astype(np.int64, copy=False)
    group_of: dict[str, Any] = {}
    if partners is not None:
        group_of = dict(zip(partners["partner_id"], partners["group"], strict=True))
    # Groups are looked up once per distinct partner, not once per order.
    group_by_partner = np.array([group_of.get(p) for p in partner_names] + [None], dtype=object)
    order_ts = orders["ts"].astype(np.int64, copy=False)
    order_contract, contracts = _resolve(
        book, partner_names, group_by_partner, partner_code, order_ts
    )
    order_contract = _lock_at_click(
        orders, book, order_contract, contracts, partner_names, group_by_partner, partner_code
    )
    code32, order_names = orders.codes("order_id")
    order_code = code32.astype(np.int64, copy=False)

    def order_id_at(row: Any) -> str:
        return str(order_names[order_code[row]])

    skipped = [(order_id_at(r), "no partner") for r in np.flatnonzero(partner_code < 0)]
    no_contract = (partner_code >= 0) & (order_contract < 0)
    skipped += [(order_id_at(r), "no contract in force") for r in np.flatnonzero(no_contract)]

    # Deterministic volume order: order time, then order id (ids as sorted codes), then line id.
    by_time = _time_order(order_ts, order_code)
    earning = order_contract >= 0
    merchandise = _order_merchandise(orders, contracts, order_contract)
    own: dict[str, Coded | Callable[[], Coded]] = {}
    if lines is None or len(lines) == 0:
        ranked = earning[by_time].astype(np.int64, copy=False)
        order_row = by_time[earning[by_time]].astype(np.int64, copy=False)
        amount = merchandise[order_row]
        size = order_row.size

        def quantity() -> IntArray:
            return np.ones(size, dtype=np.int64)

        for name in ("line_id", "category", "sku"):
            own[name] = (np.full(size, -1, dtype=np.int64), np.empty(0, dtype=object))
    else:
        line_id_code = lines.codes("line_id")[0].astype(np.int64, copy=False)
        ranked, source = _arrange(_orders_of_lines(orders, lines), line_id_code, by_time, earning)
        order_row = np.repeat(by_time, ranked)
        bare = source < 0
        any_bare = bool(bare.any())

        def gather(values: IntArray, fill: IntArray | int) -> IntArray:
            taken = values[source]
            return np.where(bare, fill, taken) if any_bare else taken

        amount = gather(
            lines["amount"].astype(np.int64, copy=False), merchandise[order_row] if any_bare else 0
        )
        table = lines

        def quantity() -> IntArray:
            return gather(table["quantity"].astype(np.int64, copy=False), 1)

        def own_fact(name: str) -> Callable[[], Coded]:
            def load() -> Coded:
                codes, values = table.codes(name)
                return gather(codes.astype(np.int64, copy=False), -1), values

            return load

        for name in ("line_id", "category", "sku"):
            own[name] = own_fact(name)
        has_line = source >= 0
        amount = _take_out_tax_and_shipping(
            orders, contracts, order_contract, order_row, amount, has_line
        )
        amount = _add_back_discount(orders, contracts, order_contract, order_row, amount, has_line)

    def per_line(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        # Orders in time order, each repeated for its lines: reads the orders in sequence.
        return np.repeat(values[by_time], ranked)

    base = _to_contract_currency(orders, contracts, order_contract, order_row, amount, fx)
    return LineFrame(
        order_row=order_row,
        partner_code=per_line(partner_code),
        partner_names=partner_names,
        group_by_partner=group_by_partner,
        order_id_of_order=order_code,
        order_id_names=order_names,
        new_customer_of_order=orders["is_new_customer"].astype(np.int8),
        by_time=by_time,
        lines_per_order=ranked,
        ts=per_line(order_ts),
        contract=per_line(order_contract),
        contracts=contracts,
        base=base,
        amount=amount,
        quantity_of=quantity,
        text=LineFacts(orders, order_row, own),
        skipped=skipped,
        reversed_numerator=np.zeros(order_row.size, np.int64),
        reversed_denominator=np.ones(order_row.size, np.int64),
    )


def _time_order(ts: IntArray, tie_break: IntArray) -> IntArray:
    """Rows sorted by time, then by ``tie_break``; one sort when no two times are equal."""
    order = np.argsort(ts, kind="stable")
    ordered = ts[order]
    if ordered.size < 2 or not bool(np.any(ordered[1:] == ordered[:-1])):
        return order.astype(np.int64, copy=False)
    return np.lexsort((tie_break, ts)).astype(np.int64, copy=False)


def _orders_of_lines(orders: Orders, lines: Lines) -> IntArray:
    """Per line, the row of its order.

    Raises:
        DataError: Lines of unknown orders, or in another currency than their order.
    """
    line_order = _rows_of(orders, "order_id", lines, "order_id")
    unknown = np.flatnonzero(line_order < 0)
    problems = [Problem(int(r), "order_id", lines["order_id"][r], "no such order") for r in unknown]
    order_currencies, line_currencies = orders.codes("currency")[1], lines.codes("currency")[1]
    if order_currencies.size == 1 and line_currencies.tolist() == order_currencies.tolist():
        # One currency throughout (a table's rows all have one): no line can differ.
        if problems:
            raise DataError("lines", problems)
        return line_order
    known = np.flatnonzero(line_order >= 0)
    line_currency = _rows_of(orders, "currency", lines, "currency", values=True)
    order_currency_code = orders.codes("currency")[0].astype(np.int64, copy=False)
    differs = known[line_currency[known] != order_currency_code[line_order[known]]]
    for row in differs:
        problems.append(
            Problem(
                int(row),
                "currency",
                lines["currency"][row],
                f"line in {lines['currency'][row]}, its order in "
                f"{orders['currency'][line_order[row]]}",
            )
        )
    if problems:
        raise DataError("lines", sorted(problems, key=lambda p: (p.row, p.column)))
    return line_order


def _arrange(
    line_order: IntArray, line_id: IntArray, by_time: IntArray, earning: BoolArray
) -> tuple[IntArray, IntArray]:
    """How many lines each order has in the frame, and each frame line's row in the lines table.

    The frame holds the lines of earning orders, orders in ``by_time`` order, each order's
    lines in line-id order (codes of sorted ids); an order without lines gets one line, whose
    source is -1. Counts are per order in ``by_time`` order (0 for an order that earns
    nothing). Lines stored order by order in line-id order, as tables usually hold them, are
    placed without a sort.
    """
    size = line_order.size
    in_place = size < 2 or bool(
        np.all(
            (line_order[1:] > line_order[:-1])
            | ((line_order[1:] == line_order[:-1]) & (line_id[1:] > line_id[:-1]))
        )
    )
    stored = np.arange(size, dtype=np.int64)
    if not in_place:
        stored = np.lexsort((line_id, line_order)).astype(np.int64, copy=False)
        line_order = line_order[stored]
    count = np.bincount(line_order, minlength=earning.size).astype(np.int64, copy=False)
    first_stored = np.cumsum(count) - count
    per_order = np.where(earning, np.maximum(count, 1), 0)
    ranked = per_order[by_time]
    first = np.empty(earning.size, dtype=np.int64)
    first[by_time] = np.cumsum(ranked) - ranked
    source = np.full(int(ranked.sum()), -1, dtype=np.int64)
    kept = earning[line_order]
    place = first[line_order] + np.arange(size, dtype=np.int64) - first_stored[line_order]
    source[place[kept]] = stored[kept]
    return ranked, source


def _rows_of(
    orders: Orders, order_column: str, lines: Lines, line_column: str, *, values: bool = False
) -> IntArray:
    """Match a lines column to an orders column through their categories, not row by row.

    Returns, per line, the row of the order holding the same value (an id column), or with
    ``values=True`` the code of that value among the orders' categories; -1 where none does.
    """
    order_codes, order_categories = orders.codes(order_column)
    line_codes, line_categories = lines.codes(line_column)
    category_map = np.append(positions(order_categories, line_categories), -1)
    matched = category_map[line_codes.astype(np.int64, copy=False)]
    if values:
        return matched
    row_of_code = np.full(len(order_categories) + 1, -1, dtype=np.int64)
    present = order_codes >= 0
    row_of_code[order_codes[present]] = np.flatnonzero(present)
    rows: IntArray = row_of_code[matched]
    return rows


def with_missing(categories: ObjArray) -> ObjArray:
    """Categories with ``None`` at the end, so that code -1 decodes to ``None``."""
    return np.concatenate([categories, np.array([None], dtype=object)])


def _click_times(orders: Orders) -> tuple[IntArray, BoolArray]:
    """The ``click_ts`` extra column as µs since the epoch, and where it is missing."""
    from alliance._fields import parse_timestamp
    from alliance._periods import to_micros

    values = orders["click_ts"] if "click_ts" in orders else np.full(len(orders), None, object)
    micros = np.zeros(len(orders), dtype=np.int64)
    missing = np.zeros(len(orders), dtype=bool)
    problems = []
    for row, value in enumerate(values):
        if value is None:
            missing[row] = True
        elif isinstance(value, int | np.integer):
            micros[row] = int(value)
        else:
            try:
                micros[row] = to_micros(parse_timestamp(value))
            except (ValueError, TypeError) as error:
                problems.append(Problem(row, "click_ts", value, str(error)))
    if problems:
        raise DataError("orders", problems)
    return micros, missing


def _lock_at_click(
    orders: Orders,
    book: ContractBook,
    order_contract: IntArray,
    contracts: list[Contract],
    partner_names: ObjArray,
    group_by_partner: ObjArray,
    partner_code: IntArray,
) -> IntArray:
    """Where the terms in force say so, take the terms in force at the click instead.

    The click time comes from an extra ``click_ts`` column on the orders (an aware timestamp
    or µs since the epoch), set by attribution.
    """
    locking = [n for n, c in enumerate(contracts) if c.rate_lock == "click"]
    if not locking:
        return order_contract
    rows = np.flatnonzero(np.isin(order_contract, locking))
    if rows.size == 0:
        return order_contract
    clicked, missing = _click_times(orders)
    lacking = rows[missing[rows]]
    if lacking.size:
        raise DataError(
            "orders",
            [
                Problem(
                    int(r),
                    "click_ts",
                    None,
                    f"{contracts[order_contract[r]].label} locks terms at click time; the "
                    "order needs its click time in a click_ts column",
                )
                for r in lacking
            ],
        )
    at_click, _ = _resolve(book, partner_names, group_by_partner, partner_code[rows], clicked[rows])
    result = order_contract.copy()
    result[rows] = np.where(at_click >= 0, at_click, order_contract[rows])
    return result


def _order_merchandise(
    orders: Orders, contracts: list[Contract], order_contract: IntArray
) -> IntArray:
    """An order's base before lines: its amount less tax and shipping, plus discount, by policy."""
    amount = orders["amount"].astype(np.int64, copy=True)
    for name, sign in (("tax", -1), ("shipping", -1), ("discount", 1)):
        counted = [
            n
            for n, c in enumerate(contracts)
            if getattr(c.base, name) == ("include" if sign > 0 else "exclude")
        ]
        values = orders[name].astype(np.int64, copy=False)
        if not counted or not values.any():
            continue
        rows = np.isin(order_contract, counted)
        amount[rows] += sign * values[rows]
    return amount


def _take_out_tax_and_shipping(
    orders: Orders,
    contracts: list[Contract],
    order_contract: IntArray,
    order_row: IntArray,
    line_amount: IntArray,
    has_line: BoolArray,
) -> IntArray:
    """Exclude tax and shipping from lines that include them, by the contract's policy.

    Lines whose amounts add up to their order's amount include the order's tax and shipping;
    those are spread over the lines by amount (largest remainder) and taken out where the
    policy excludes them. Lines that add up to less are taken as merchandise values already.
    """
    excluded = np.zeros(len(orders), dtype=np.int64)
    for name in ("tax", "shipping"):
        counted = [n for n, c in enumerate(contracts) if getattr(c.base, name) == "exclude"]
        values = orders[name].astype(np.int64, copy=False)
        if counted and values.any():
            rows = np.isin(order_contract, counted)
            excluded[rows] += values[rows]
    if not excluded.any():
        return line_amount
    summed = np.zeros(len(orders), dtype=np.int64)
    np.add.at(summed, order_row[has_line], line_amount[has_line])
    inclusive = (summed == orders["amount"].astype(np.int64, copy=False)) & (excluded > 0)
    wanted = inclusive[order_row] & has_line
    if not wanted.any():
        return line_amount
    return line_amount - _share_by_amount(excluded, wanted, order_row, line_amount)


def _share_by_amount(
    per_order: IntArray, wanted: BoolArray, order_row: IntArray, line_amount: IntArray
) -> IntArray:
    """Each wanted line's share of its order's amount, split by line amount (largest remainder).

    An order's lines are adjacent in ``order_row``.
    """
    shares = np.zeros(line_amount.size, dtype=np.int64)
    rows = np.flatnonzero(wanted)
    starts, groups = runs(order_row[rows])
    shares[rows] = spread_minor(per_order[order_row[rows][starts]], line_amount[rows], groups)
    return shares


def _add_back_discount(
    orders: Orders,
    contracts: list[Contract],
    order_contract: IntArray,
    order_row: IntArray,
    line_amount: IntArray,
    has_line: BoolArray,
) -> IntArray:
    """Spread an order's discount over its lines by amount, where the policy counts it."""
    including = [n for n, c in enumerate(contracts) if c.base.discount == "include"]
    discount = orders["discount"].astype(np.int64, copy=False)
    if not including or not discount.any():
        return line_amount
    counted = np.isin(order_contract, including) & (discount > 0)
    wanted = counted[order_row] & has_line
    if not wanted.any():
        return line_amount
    return line_amount + _share_by_amount(discount, wanted, order_row, line_amount)


def _to_contract_currency(
    orders: Orders,
    contracts: list[Contract],
    order_contract: IntArray,
    order_row: IntArray,
    amount: IntArray,
    fx: FxRates | None,
) -> IntArray:
    """Line amounts in minor units of their contract's currency, at the order's time."""
    currency_code, currency_names = orders.codes("currency")
    foreign = np.zeros(len(orders), dtype=bool)
    for number, terms in enumerate(contracts):
        own = np.flatnonzero(currency_names == terms.currency)
        foreign |= (order_contract == number) & (currency_code != (own[0] if own.size else -2))
    if not foreign.any():
        return amount
    base = amount.copy()
    ts = orders["ts"].astype(np.int64, copy=False)
    for number, terms in enumerate(contracts):
        rows = np.flatnonzero(foreign[order_row] & (order_contract[order_row] == number))
        if rows.size == 0:
            continue
        codes_here = currency_names[currency_code[order_row[rows]]]
        if fx is None:
            raise ValueError(
                f"orders in {codes_here[0]} fall under {terms.label}, paid in "
                f"{terms.currency}; pass fx= with the rates to convert them"
            )
        base[rows] = fx.convert_minor(
            amount[rows], codes_here.astype(str), terms.currency, at=ts[order_row[rows]]
        )
    return base

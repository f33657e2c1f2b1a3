"""The engine's input, flattened: one row per order line, with its order's facts beside it.

Orders without lines count as one line each. Every array here is aligned to the same line
index, which the rule evaluation works on; lines are sorted once, deterministically, by order
time, then order id, then line id, so volume accumulates in the same order on every run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._fx import FxRates
from alliance._kernels import spread_minor
from alliance._tables import Lines, Orders, Partners, Reversals
from alliance.commission._contracts import (
    Contract,
    ContractBook,
    GroupTarget,
    PartnerTarget,
)
from alliance.errors import DataError, Problem

__all__ = ["LineFrame", "flatten", "resolve_contracts"]

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]

_SPECIFICITY = {"partner": 0, "group": 1, "default": 2}


class OrderFacts(Mapping[str, ObjArray]):
    """Text facts per line, gathered from the orders only when a rule asks for them.

    ``category`` and ``sku`` are the lines' own; ``country``, ``coupon_code`` and other order
    columns come from each line's order; ``attribute:<name>`` reads an extra order column.
    """

    def __init__(self, orders: Orders, line_order: IntArray, own: dict[str, ObjArray]) -> None:
        self._orders = orders
        self._line_order = line_order
        self._cache = dict(own)

    def __getitem__(self, name: str) -> ObjArray:
        if name not in self._cache:
            column = name.removeprefix("attribute:")
            if column not in self._orders:
                raise KeyError(name)
            values = np.asarray(self._orders[column], dtype=object)
            self._cache[name] = values[self._line_order]
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cache)

    def __len__(self) -> int:
        return len(self._cache)


@dataclass
class LineFrame:
    """Aligned per-line arrays for the rule evaluation.

    Attributes:
        order_row: Position of the line's order in the orders table.
        partner_code: Partner per line as a code into ``partner_names`` (sorted).
        partner_names: The distinct partner ids.
        order_id_code: Order id per line, as a code into ``order_id_names`` (see `order_id`).
        order_id_names: The distinct order ids, sorted.
        line_id: Line id per line (``None`` for an order without lines).
        ts: Order time, µs since the epoch (UTC).
        partner: Partner id per line.
        group: Partner group per line (``None`` when unknown).
        contract: Index into ``contracts`` of the version that applies.
        contracts: The contract versions in use.
        base: Commission base in minor units of the line's contract currency.
        quantity: Units on the line.
        text: Text facts per line by name (category, sku, country, coupon_code, device …).
        new_customer: 1, 0, or -1 when the order does not say.
        subscription: Subscription id per line (``None`` when not a subscription payment).
        skipped: Orders that earn nothing, with the reason.
    """

    order_row: IntArray
    partner_code: IntArray
    partner_names: ObjArray
    order_id_code: IntArray
    order_id_names: ObjArray
    line_id: ObjArray
    ts: IntArray
    partner: ObjArray
    group: ObjArray
    contract: IntArray
    contracts: list[Contract]
    base: IntArray
    amount: IntArray
    quantity: IntArray
    text: OrderFacts
    new_customer: npt.NDArray[np.int8]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Share of each line reversed, as numerator / denominator (0 / 1 when none).
    reversed_numerator: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    reversed_denominator: IntArray = field(default_factory=lambda: np.ones(0, np.int64))

    def mark_reversals(self, orders: Orders, reversals: Reversals) -> None:
        """Record what share of each line the reversals take back."""
        numerator = np.zeros(len(self), dtype=np.int64)
        denominator = np.ones(len(self), dtype=np.int64)
        order_amount = orders["amount"].astype(np.int64)
        by_order: dict[str, list[int]] = {}
        for row, order_id in enumerate(self.order_id):
            by_order.setdefault(str(order_id), []).append(row)
        amounts = reversals["amount"]
        missing = reversals.missing("amount")
        for order_id, line_id, amount, full in zip(
            reversals["order_id"], reversals["line_id"], amounts, missing, strict=True
        ):
            for row in by_order.get(str(order_id), []):
                if line_id is not None and self.line_id[row] != line_id:
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

    @cached_property
    def order_id(self) -> ObjArray:
        """Order id per line, decoded when first asked for (a gather of many strings)."""
        return _with_missing(self.order_id_names)[self.order_id_code]

    @property
    def subscription(self) -> ObjArray:
        """Subscription id per line (``None`` when not a subscription payment)."""
        return self.text["subscription_id"]


def resolve_contracts(
    book: ContractBook, partner: ObjArray, group: ObjArray, at: IntArray
) -> tuple[IntArray, list[Contract]]:
    """Per order, the index of the most specific contract version in force (or -1)."""
    contracts = list(book.contracts)
    chosen = np.full(partner.size, -1, dtype=np.int64)
    rank = np.full(partner.size, 99, dtype=np.int64)
    has_partner = partner != None  # noqa: E711 - elementwise
    for number, contract in enumerate(contracts):
        target = contract.applies_to
        if isinstance(target, PartnerTarget):
            applies = partner == target.partner_id
        elif isinstance(target, GroupTarget):
            applies = group == target.group
        else:
            applies = has_partner.copy()
        start = _micros(contract.effective_from)
        applies &= at >= start
        if contract.effective_to is not None:
            applies &= at < _micros(contract.effective_to)
        better = applies & (_SPECIFICITY[target.kind] < rank)
        chosen[better] = number
        rank[better] = _SPECIFICITY[target.kind]
    return chosen, contracts


def _micros(value: Any) -> int:
    from alliance._periods import to_micros

    return to_micros(value)


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
    order_ids = orders["order_id"]
    order_partner = orders["partner_id"]
    partner_code, partner_names = orders.codes("partner_id")
    group_of: dict[str, Any] = {}
    if partners is not None:
        group_of = dict(zip(partners["partner_id"], partners["group"], strict=True))
    # Look groups up once per distinct partner, not once per order.
    group_by_code = np.array([group_of.get(p) for p in partner_names] + [None], dtype=object)
    order_group = group_by_code[partner_code]
    order_ts = orders["ts"].astype(np.int64)
    order_contract, contracts = resolve_contracts(book, order_partner, order_group, order_ts)
    order_contract = _lock_at_click(orders, book, order_contract, contracts, order_group)

    skipped = [(str(order_ids[r]), "no partner") for r in np.flatnonzero(partner_code < 0)]
    no_contract = (partner_code >= 0) & (order_contract < 0)
    skipped += [(str(order_ids[r]), "no contract in force") for r in np.flatnonzero(no_contract)]

    # Lines: given, or one per order.
    bare_orders_only = lines is None or len(lines) == 0
    merchandise_all = np.zeros(0, dtype=np.int64)
    if lines is None or len(lines) == 0:
        merchandise_all = _order_merchandise(orders, contracts, order_contract)
        line_order = np.arange(len(orders), dtype=np.int64)
        line_ids = category = sku = np.empty(0, dtype=object)
        line_amount = merchandise_all
        quantity = np.ones(len(orders), dtype=np.int64)
    else:
        line_order = _rows_of(orders, "order_id", lines, "order_id")
        unknown = np.flatnonzero(line_order < 0)
        problems = [
            Problem(int(r), "order_id", lines["order_id"][r], "no such order") for r in unknown
        ]
        known = np.flatnonzero(line_order >= 0)
        line_currency = _rows_of(orders, "currency", lines, "currency", values=True)
        order_currency_code = orders.codes("currency")[0].astype(np.int64)
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
        # Lines in line-id order within their order, so largest-remainder ties (shares of tax,
        # shipping and discount) go to the first line in line order, whatever the input order.
        # Line-id codes index sorted categories, so comparing codes compares the ids.
        by_line = np.lexsort((lines.codes("line_id")[0], line_order))
        line_order = line_order[by_line]
        line_ids = lines["line_id"][by_line]
        line_amount = lines["amount"].astype(np.int64)[by_line]
        quantity = lines["quantity"].astype(np.int64)[by_line]
        category = lines["category"][by_line]
        sku = lines["sku"][by_line]
        line_amount = _take_out_tax_and_shipping(
            orders, contracts, order_contract, line_order, line_amount
        )
        line_amount = _add_back_discount(orders, contracts, order_contract, line_order, line_amount)
        with_lines = np.zeros(len(orders), dtype=bool)
        with_lines[line_order] = True
        if not with_lines.all():
            # Orders without lines still count, as one line.
            bare = np.flatnonzero(~with_lines)
            merchandise = _order_merchandise(orders, contracts, order_contract)
            line_order = np.concatenate([line_order, bare])
            line_ids = np.concatenate([line_ids, np.full(bare.size, None, dtype=object)])
            line_amount = np.concatenate([line_amount, merchandise[bare]])
            quantity = np.concatenate([quantity, np.ones(bare.size, dtype=np.int64)])
            category = np.concatenate([category, np.full(bare.size, None, dtype=object)])
            sku = np.concatenate([sku, np.full(bare.size, None, dtype=object)])

    # Only lines of orders with a contract earn.
    if not bare_orders_only:
        keep = order_contract[line_order] >= 0
        line_order, line_ids, line_amount = line_order[keep], line_ids[keep], line_amount[keep]
        quantity, category, sku = quantity[keep], category[keep], sku[keep]

    # Deterministic volume order: order time, then order id, then line id. Orders are ranked
    # once (ids as sorted codes); lines keep their line-id order within an order (sorted above,
    # and a bare order has one line), so a stable sort on the order rank finishes the job.
    order_code, order_names = orders.codes("order_id")
    by_time = np.lexsort((order_code, order_ts))
    if bare_orders_only:
        # One line per order, in order-row order: the orders' own ranking is the line order.
        sort = by_time[order_contract[by_time] >= 0]
        line_order, line_amount = sort.astype(np.int64), merchandise_all[sort]
        quantity = np.ones(sort.size, dtype=np.int64)
        line_ids = np.full(sort.size, None, dtype=object)
        category = line_ids
        sku = line_ids
    else:
        order_rank = np.empty(len(orders), dtype=np.int64)
        order_rank[by_time] = np.arange(len(orders))
        sort = np.argsort(order_rank[line_order], kind="stable")
        line_order, line_ids, line_amount = line_order[sort], line_ids[sort], line_amount[sort]
        quantity, category, sku = quantity[sort], category[sort], sku[sort]

    contract = order_contract[line_order]
    base = _to_contract_currency(orders, contracts, contract, line_order, line_amount, fx)
    text = OrderFacts(orders, line_order, {"category": category, "sku": sku})
    return LineFrame(
        order_row=line_order,
        partner_code=partner_code[line_order].astype(np.int64),
        partner_names=partner_names,
        order_id_code=order_code[line_order].astype(np.int64),
        order_id_names=order_names,
        line_id=line_ids,
        ts=order_ts[line_order],
        partner=_with_missing(partner_names)[partner_code[line_order]],
        group=group_by_code[partner_code[line_order]],
        contract=contract,
        contracts=contracts,
        base=base,
        amount=line_amount,
        quantity=quantity,
        text=text,
        new_customer=orders["is_new_customer"][line_order].astype(np.int8),
        skipped=skipped,
        reversed_numerator=np.zeros(line_order.size, np.int64),
        reversed_denominator=np.ones(line_order.size, np.int64),
    )


def _rows_of(
    orders: Orders, order_column: str, lines: Lines, line_column: str, *, values: bool = False
) -> IntArray:
    """Match a lines column to an orders column through their categories, not row by row.

    Returns, per line, the row of the order holding the same value (an id column), or with
    ``values=True`` the code of that value among the orders' categories; -1 where none does.
    """
    order_codes, order_categories = orders.codes(order_column)
    line_codes, line_categories = lines.codes(line_column)
    position = (
        np.searchsorted(order_categories, line_categories)
        if len(order_categories)
        else (np.zeros(len(line_categories), dtype=np.int64))
    )
    position = np.minimum(position, max(len(order_categories) - 1, 0))
    found = (
        order_categories[position] == line_categories
        if len(order_categories)
        else np.zeros(len(line_categories), dtype=bool)
    )
    category_map = np.append(np.where(found, position, -1), -1).astype(np.int64)
    matched = category_map[line_codes.astype(np.int64)]
    if values:
        return matched
    row_of_code = np.full(len(order_categories) + 1, -1, dtype=np.int64)
    present = order_codes >= 0
    row_of_code[order_codes[present]] = np.flatnonzero(present)
    return row_of_code[matched]


def _with_missing(categories: ObjArray) -> ObjArray:
    """Categories with ``None`` at the end, so that code -1 decodes to ``None``."""
    return np.concatenate([categories, np.array([None], dtype=object)])


def _click_times(orders: Orders) -> tuple[IntArray, npt.NDArray[np.bool_]]:
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
    order_group: ObjArray,
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
    at_click, _ = resolve_contracts(
        book, orders["partner_id"][rows], order_group[rows], clicked[rows]
    )
    result = order_contract.copy()
    result[rows] = np.where(at_click >= 0, at_click, order_contract[rows])
    return result


def _order_merchandise(
    orders: Orders, contracts: list[Contract], order_contract: IntArray
) -> IntArray:
    """An order's base before lines: its amount less tax and shipping, plus discount, by policy."""
    amount = orders["amount"].astype(np.int64).copy()
    tax, shipping, discount = orders["tax"], orders["shipping"], orders["discount"]
    for number, contract in enumerate(contracts):
        rows = order_contract == number
        if contract.base.tax == "exclude":
            amount[rows] -= tax[rows]
        if contract.base.shipping == "exclude":
            amount[rows] -= shipping[rows]
        if contract.base.discount == "include":
            amount[rows] += discount[rows]
    return amount


def _take_out_tax_and_shipping(
    orders: Orders,
    contracts: list[Contract],
    order_contract: IntArray,
    line_order: IntArray,
    line_amount: IntArray,
) -> IntArray:
    """Exclude tax and shipping from lines that include them, by the contract's policy.

    Lines whose amounts add up to their order's amount include the order's tax and shipping;
    those are spread over the lines by amount (largest remainder) and taken out where the
    policy excludes them. Lines that add up to less are taken as merchandise values already.
    """
    amount = orders["amount"].astype(np.int64)
    summed = np.zeros(len(orders), dtype=np.int64)
    np.add.at(summed, line_order, line_amount)
    excluded = np.zeros(len(orders), dtype=np.int64)
    tax, shipping = orders["tax"].astype(np.int64), orders["shipping"].astype(np.int64)
    for number, contract in enumerate(contracts):
        rows = order_contract == number
        if contract.base.tax == "exclude":
            excluded[rows] += tax[rows]
        if contract.base.shipping == "exclude":
            excluded[rows] += shipping[rows]
    inclusive = (summed == amount) & (excluded > 0)
    wanted = inclusive[line_order]
    if not wanted.any():
        return line_amount
    return line_amount - _share_by_amount(excluded, wanted, line_order, line_amount)


def _share_by_amount(
    per_order: IntArray, wanted: npt.NDArray[np.bool_], line_order: IntArray, line_amount: IntArray
) -> IntArray:
    """Each wanted line's share of its order's amount, split by line amount (largest remainder)."""
    shares = np.zeros(line_amount.size, dtype=np.int64)
    rows = np.flatnonzero(wanted)
    distinct, groups = np.unique(line_order[rows], return_inverse=True)
    shares[rows] = spread_minor(per_order[distinct], line_amount[rows], groups.reshape(-1))
    return shares


def _add_back_discount(
    orders: Orders,
    contracts: list[Contract],
    order_contract: IntArray,
    line_order: IntArray,
    line_amount: IntArray,
) -> IntArray:
    """Spread an order's discount over its lines by amount, where the policy counts it."""
    including = [n for n, c in enumerate(contracts) if c.base.discount == "include"]
    if not including:
        return line_amount
    discount = orders["discount"].astype(np.int64)
    wanted = np.isin(order_contract[line_order], including) & (discount[line_order] > 0)
    if not wanted.any():
        return line_amount
    return line_amount + _share_by_amount(discount, wanted, line_order, line_amount)


def _to_contract_currency(
    orders: Orders,
    contracts: list[Contract],
    contract: IntArray,
    line_order: IntArray,
    amount: IntArray,
    fx: FxRates | None,
) -> IntArray:
    """Line amounts in minor units of their contract's currency, at the order's time."""
    currency_code, currency_names = orders.codes("currency")
    line_currency = currency_code[line_order]
    ts = orders["ts"].astype(np.int64)[line_order]
    base = amount.copy()
    for number, contract_terms in enumerate(contracts):
        own = np.flatnonzero(currency_names == contract_terms.currency)
        same = line_currency == (own[0] if own.size else -2)
        rows = np.flatnonzero((contract == number) & ~same)
        if rows.size == 0:
            continue
        codes_here = currency_names[line_currency[rows]]
        if fx is None:
            raise ValueError(
                f"orders in {codes_here[0]} fall under {contract_terms.label}, paid in "
                f"{contract_terms.currency}; pass fx= with the rates to convert them"
            )
        base[rows] = fx.convert_minor(
            amount[rows], codes_here.astype(str), contract_terms.currency, at=ts[rows]
        )
    return base

"""The six tables of a programme's records, each tied to its model, with its own checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from alliance._columns import Stored, factorize
from alliance._currency import currency as lookup_currency
from alliance._fields import parse_id
from alliance._frames import RawColumn
from alliance._models import Click, Order, OrderLine, Partner, Reversal, Touchpoint
from alliance._table import Rejects, Table, row_problems
from alliance.errors import Problem

__all__ = ["Clicks", "Lines", "Orders", "Partners", "Rejects", "Reversals", "Table", "Touchpoints"]


class Partners(Table):
    """Partners, one row per `Partner`; ``partner_id`` is unique, parents must exist."""

    model = Partner
    name = "partners"
    key = ("partner_id",)

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        ids = columns["partner_id"].categories
        parent = columns["parent_id"]
        if ids is None or parent.categories is None:  # pragma: no cover - encoded
            return []
        partner_codes = columns["partner_id"].values
        # Map parent codes into the partner_id code space.
        lookup = {v: i for i, v in enumerate(ids)}
        parent_in_ids = np.array(
            [lookup.get(v, -2) for v in parent.categories] + [-1], dtype=np.int64
        )[parent.values]
        problems = row_problems(
            columns, size, parent_in_ids == -2, "parent_id", "parent_id is not a known partner"
        )
        problems += row_problems(
            columns,
            size,
            (parent_in_ids >= 0) & (parent_in_ids == partner_codes),
            "parent_id",
            "a partner cannot be its own parent",
        )
        # Cycles: follow parents from every partner (the table is small).
        parent_of = {
            int(partner_codes[r]): int(parent_in_ids[r])
            for r in range(size)
            if partner_codes[r] >= 0 and parent_in_ids[r] >= 0
        }
        in_cycle = set()
        for start in parent_of:
            seen = [start]
            node = parent_of.get(start, -1)
            while node >= 0 and node not in seen and len(seen) <= len(parent_of):
                seen.append(node)
                node = parent_of.get(node, -1)
            if node == start and len(seen) > 1:
                in_cycle.add(start)
        cycle_rows = np.isin(partner_codes, list(in_cycle)) if in_cycle else np.zeros(size, bool)
        problems += row_problems(
            columns, size, cycle_rows, "parent_id", "parent_id makes a cycle of parents"
        )
        return problems + _shared_coupon_codes(columns["coupon_codes"])


def _shared_coupon_codes(codes: Stored) -> list[Problem]:
    """Exclusive codes: a code held by two partners cannot say whom an order belongs to."""
    holders: dict[str, list[int]] = {}
    for row, tags in enumerate(codes.values):
        for code in tags or ():
            holders.setdefault(code, []).append(row)
    problems = []
    for code, rows in holders.items():
        for row in rows if len(rows) > 1 else ():
            others = ", ".join(str(r) for r in rows if r != row)
            problems.append(
                Problem(row, "coupon_codes", code, f"coupon code also held at rows {others}")
            )
    return problems


class Clicks(Table):
    """Clicks, one row per `Click`; ``click_id`` is unique."""

    model = Click
    name = "clicks"
    key = ("click_id",)


class Orders(Table):
    """Orders, one row per `Order`; ``order_id`` is unique.

    Examples:
        >>> orders = Orders.from_records([
        ...     {"order_id": "o1", "ts": "2026-10-01T10:00:00+08:00", "amount": "25.00",
        ...      "currency": "USD"},
        ...     {"order_id": "o2", "ts": "2026-10-01T11:00:00+08:00", "amount": "1200",
        ...      "currency": "JPY"},
        ... ])
        >>> orders["amount"].tolist(), orders["currency"].tolist()
        ([2500, 1200], ['USD', 'JPY'])
    """

    model = Order
    name = "orders"
    key = ("order_id",)

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        included = columns["tax"].values + columns["shipping"].values
        return row_problems(
            columns,
            size,
            included > columns["amount"].values,
            "amount",
            "tax + shipping exceed the order amount",
        )


class _ChildOfOrders(Table):
    """Lines and reversals: their currency may come from a column, an option or the orders."""

    @classmethod
    def _prepare(
        cls, raw: dict[str, RawColumn], size: int, context: Mapping[str, Any]
    ) -> list[Problem]:
        unknown = set(context) - {"currency", "orders"}
        if unknown:
            raise TypeError(f"{cls.__name__} takes no options {sorted(unknown)}")
        given = raw.get("currency")
        problems = []
        if "currency" in context:
            code = lookup_currency(context["currency"]).code
            fill = np.full(size, code, dtype=object)
        elif "orders" in context:
            orders = context["orders"]
            if not isinstance(orders, Orders):
                raise TypeError(f"orders must be an Orders table, got {type(orders).__name__}")
            by_order = dict(zip(orders["order_id"], orders["currency"], strict=True))
            order_ids = raw.get("order_id")
            if order_ids is None:  # reported as a missing required column
                return []
            codes, distinct = factorize(order_ids.values, ~order_ids.missing)
            found: list[str | None] = []
            unknown_orders: list[int] = []
            for number, cell in enumerate(distinct):
                try:
                    order_id = parse_id(cell.item() if isinstance(cell, np.generic) else cell)
                except ValueError:  # reported by the order_id column itself
                    found.append(None)
                    continue
                found.append(by_order.get(order_id))
                if found[-1] is None:
                    unknown_orders.append(number)
            fill = np.array([*found, None], dtype=object)[codes]
            for row in np.flatnonzero(np.isin(codes, unknown_orders)).tolist():
                value = order_ids.values[row]
                value = value.item() if isinstance(value, np.generic) else value
                problems.append(Problem(row, "order_id", value, "unknown order"))
        else:
            return []
        if given is not None:
            present = ~given.missing
            fill[present] = given.values[present]
        missing = np.fromiter((v is None for v in fill), dtype=bool, count=size)
        raw["currency"] = RawColumn(fill, missing, "object")
        return problems


class Lines(_ChildOfOrders):
    """Order lines, one row per `OrderLine`; ``(order_id, line_id)`` is unique.

    Every line needs a currency to be stored in minor units: a ``currency`` column, or
    ``currency="USD"`` for all rows, or ``orders=`` to take each line's order currency.
    """

    model = OrderLine
    name = "lines"
    key = ("order_id", "line_id")

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        return row_problems(
            columns,
            size,
            columns["currency"].values < 0,
            "currency",
            "no currency: give a currency column, currency=..., or orders=...",
        )


class Reversals(_ChildOfOrders):
    """Reversals, one row per `Reversal`; ``reversal_id`` is unique.

    A reversal with an amount needs its currency (a column, ``currency=``, or ``orders=``);
    one without an amount reverses the order or line in full.
    """

    model = Reversal
    name = "reversals"
    key = ("reversal_id",)

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        amount = columns["amount"]
        has_amount = ~(amount.missing if amount.missing is not None else np.zeros(size, bool))
        problems = row_problems(
            columns,
            size,
            has_amount & (columns["currency"].values < 0),
            "currency",
            "an amount needs its currency: give a currency column, currency=, or orders=",
        )
        problems += row_problems(
            columns,
            size,
            has_amount & (columns["currency"].values >= 0) & (amount.values == 0),
            "amount",
            "a reversal amount must be positive; leave it empty to reverse in full",
        )
        return problems


class Touchpoints(Table):
    """Touchpoints of visitors' journeys, one row per `Touchpoint`."""

    model = Touchpoint
    name = "touchpoints"

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        no_partner = columns["partner_id"].values < 0
        no_coupon = columns["coupon_code"].values < 0
        kind = columns["kind"]
        categories = [] if kind.categories is None else list(kind.categories)
        coupon_kind = (
            kind.values == categories.index("coupon")
            if "coupon" in categories
            else np.zeros(size, dtype=bool)
        )
        problems = row_problems(
            columns,
            size,
            no_partner & no_coupon,
            "partner_id",
            "a touchpoint needs a partner_id or a coupon_code",
        )
        problems += row_problems(
            columns,
            size,
            coupon_kind & no_coupon,
            "coupon_code",
            "a coupon touchpoint needs its coupon_code",
        )
        return problems

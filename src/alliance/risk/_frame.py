"""The inputs of a screening, encoded once and shared by every check.

A `Frame` holds the tables handed to `screen` (or to one check) and derives, on first use, the
integer codes the checks work on: ids of partners, visitors, IP addresses, devices, e-mails and
payment methods in one vocabulary per kind across tables (so an order's e-mail can be compared
with a partner's), each order's winning click, and the owners of exclusive coupon codes.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._table import Table
from alliance._tables import Clicks, Orders, Partners, Reversals
from alliance.risk._windows import (
    IntArray,
    ObjArray,
    joint_codes,
    last_at_or_before,
    pair_key,
    shared_codes,
    stable_order,
    text_codes,
)

__all__ = ["Frame"]

Codes: TypeAlias = tuple[IntArray, ObjArray]
TableName: TypeAlias = Literal["orders", "clicks", "partners", "reversals"]
_EMPTY_CODES: Codes = (np.empty(0, dtype=np.int64), np.empty(0, dtype=object))


def _check_table(value: Any, kind: type[Table], name: str) -> Any:
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be an al.{kind.__name__} table, got {type(value).__name__}")
    return value


def column_codes(table: Table | None, name: str) -> Codes:
    """Codes (-1 missing) and categories of a text column, model or extra; all missing if absent."""
    if table is None:
        return _EMPTY_CODES
    if name not in table:
        return np.full(len(table), -1, dtype=np.int64), np.empty(0, dtype=object)
    if name in table._extras:
        return text_codes(np.asarray(table[name], dtype=object))
    codes, categories = table.codes(name)
    return codes.astype(np.int64), categories


class Frame:
    """Encoded inputs of a screening (see the module docstring).

    Args:
        orders: Orders to screen.
        clicks: Clicks to screen, and the clicks orders are matched with.
        partners: Partners, for their identities, kinds and coupon codes.
        reversals: Refunds, chargebacks and cancellations of the orders.
        lookback_us: How far back a click may win an order, in microseconds (30 days).

    Raises:
        TypeError: A table of the wrong type.
    """

    def __init__(
        self,
        *,
        orders: Orders | None = None,
        clicks: Clicks | None = None,
        partners: Partners | None = None,
        reversals: Reversals | None = None,
        lookback_us: int = 30 * 86_400_000_000,
    ) -> None:
        self.orders: Orders | None = _check_table(orders, Orders, "orders")
        self.clicks: Clicks | None = _check_table(clicks, Clicks, "clicks")
        self.partners: Partners | None = _check_table(partners, Partners, "partners")
        self.reversals: Reversals | None = _check_table(reversals, Reversals, "reversals")
        self.lookback_us = lookback_us
        self._codes: dict[tuple[str, str], Codes] = {}

    # -- sizes and timestamps ------------------------------------------------------------------

    @property
    def order_count(self) -> int:
        """Number of orders (0 without an orders table)."""
        return 0 if self.orders is None else len(self.orders)

    @property
    def click_count(self) -> int:
        """Number of clicks (0 without a clicks table)."""
        return 0 if self.clicks is None else len(self.clicks)

    @cached_property
    def order_ts(self) -> IntArray:
        """Order instants, microseconds UTC."""
        return np.empty(0, np.int64) if self.orders is None else self.orders["ts"].astype(np.int64)

    @cached_property
    def click_ts(self) -> IntArray:
        """Click instants, microseconds UTC."""
        return np.empty(0, np.int64) if self.clicks is None else self.clicks["ts"].astype(np.int64)

    def order_ids(self, rows: npt.ArrayLike | None = None) -> ObjArray:
        """Order ids (of some rows)."""
        return _ids(self.orders, "order_id", rows)

    def click_ids(self, rows: npt.ArrayLike | None = None) -> ObjArray:
        """Click ids (of some rows)."""
        return _ids(self.clicks, "click_id", rows)

    def codes(self, table: TableName, name: str) -> Codes:
        """`column_codes` of one of the frame's tables, computed once and read-only."""
        found = self._codes.get((table, name))
        if found is None:
            codes, categories = column_codes(getattr(self, table), name)
            codes.flags.writeable = False
            found = self._codes[table, name] = (codes, categories)
        return found

    # -- shared vocabularies ------------------------------------------------------------------

    @cached_property
    def _partner_codes(self) -> tuple[list[IntArray], ObjArray]:
        return joint_codes(
            self.codes("partners", "partner_id"),
            self.codes("clicks", "partner_id"),
            self.codes("orders", "partner_id"),
        )

    @property
    def partner_ids(self) -> ObjArray:
        """Every partner id seen in any table, sorted; partner codes index into it."""
        return self._partner_codes[1]

    @property
    def partner_row(self) -> IntArray:
        """Per partner code, its row in the partners table (-1 if not listed)."""
        codes = self._partner_codes[0][0]
        rows = np.full(self.partner_ids.size, -1, dtype=np.int64)
        rows[codes[codes >= 0]] = np.flatnonzero(codes >= 0)
        return rows

    @property
    def partner_of_row(self) -> IntArray:
        """Partner code of each row of the partners table."""
        return self._partner_codes[0][0]

    @property
    def click_partner(self) -> IntArray:
        """Partner code of each click."""
        return self._partner_codes[0][1]

    @property
    def order_partner(self) -> IntArray:
        """Partner code of each order (-1 where not credited)."""
        return self._partner_codes[0][2]

    def _shared(self, name: str, *, partners: bool = False, clicks: bool = True) -> list[IntArray]:
        tables: list[TableName] = ["orders"]
        if clicks:
            tables.append("clicks")
        if partners:
            tables.append("partners")
        return shared_codes(*(self.codes(t, name) for t in tables))

    @cached_property
    def _visitors(self) -> list[IntArray]:
        return self._shared("visitor_id")

    @property
    def order_visitor(self) -> IntArray:
        """Visitor code of each order (shared with clicks)."""
        return self._visitors[0]

    @property
    def click_visitor(self) -> IntArray:
        """Visitor code of each click (shared with orders)."""
        return self._visitors[1]

    @cached_property
    def _ips(self) -> list[IntArray]:
        return self._shared("ip", partners=True)

    @property
    def order_ip(self) -> IntArray:
        """IP address code of each order (shared with clicks and partners)."""
        return self._ips[0]

    @property
    def click_ip(self) -> IntArray:
        """IP address code of each click."""
        return self._ips[1]

    @property
    def partner_ip(self) -> IntArray:
        """IP address code of each partners row (from an ``ip`` extra column, if any)."""
        return self._ips[2]

    @cached_property
    def _devices(self) -> list[IntArray]:
        return self._shared("device_id", partners=True)

    @property
    def order_device(self) -> IntArray:
        """Device code of each order (shared with clicks and partners)."""
        return self._devices[0]

    @property
    def click_device(self) -> IntArray:
        """Device code of each click."""
        return self._devices[1]

    @property
    def partner_device(self) -> IntArray:
        """Device code of each partners row (from a ``device_id`` extra column, if any)."""
        return self._devices[2]

    @cached_property
    def _emails(self) -> list[IntArray]:
        return self._shared("email_hash", partners=True, clicks=False)

    @property
    def order_email(self) -> IntArray:
        """E-mail hash code of each order (shared with partners)."""
        return self._emails[0]

    @property
    def partner_email(self) -> IntArray:
        """E-mail hash code of each partners row."""
        return self._emails[1]

    @cached_property
    def _cards(self) -> list[IntArray]:
        return self._shared("payment_fingerprint", partners=True, clicks=False)

    @property
    def order_card(self) -> IntArray:
        """Payment fingerprint code of each order (shared with partners)."""
        return self._cards[0]

    @property
    def partner_card(self) -> IntArray:
        """Payment fingerprint code of each partners row."""
        return self._cards[1]

    @cached_property
    def order_customer(self) -> IntArray:
        """Customer code of each order (-1 where unknown)."""
        return self.codes("orders", "customer_id")[0]

    @cached_property
    def order_buyer(self) -> IntArray:
        """Who bought: the customer, else the e-mail, else the visitor (codes never collide)."""
        customer, email, visitor = self.order_customer, self.order_email, self.order_visitor
        base_email = int(customer.max()) + 1 if customer.size else 0
        base_visitor = base_email + (int(email.max()) + 1 if email.size else 0)
        return np.where(
            customer >= 0,
            customer,
            np.where(
                email >= 0, base_email + email, np.where(visitor >= 0, base_visitor + visitor, -1)
            ),
        )

    # -- coupons ------------------------------------------------------------------------------

    @cached_property
    def _coupons(self) -> tuple[IntArray, ObjArray, IntArray]:
        codes, categories = self.codes("orders", "coupon_code")
        owner = np.full(categories.size, -1, dtype=np.int64)
        if self.partners is not None and categories.size:
            held = self.partners["coupon_codes"].tolist()
            partner_of_row = self.partner_of_row
            index = {code: i for i, code in enumerate(categories.tolist())}
            for row, tags in enumerate(held):
                for code in tags or ():
                    position = index.get(code)
                    if position is not None:
                        owner[position] = partner_of_row[row]
        return codes, categories, owner

    @property
    def order_coupon(self) -> IntArray:
        """Coupon code of each order, as a code into `coupon_codes` (-1 none)."""
        return self._coupons[0]

    @property
    def coupon_codes(self) -> ObjArray:
        """The coupon codes redeemed, sorted."""
        return self._coupons[1]

    @property
    def coupon_owner(self) -> IntArray:
        """Per coupon code, the partner code of its exclusive owner (-1 when not exclusive)."""
        return self._coupons[2]

    # -- orders and their clicks --------------------------------------------------------------

    @cached_property
    def winning_click(self) -> IntArray:
        """Per order, the last click of its partner by its visitor at or before it (-1 none).

        Only a click less than the look-back before the order can win it.
        """
        span = self.partner_ids.size
        rows = self.buyers_clicks
        visitor, partner = self.click_visitor[rows], self.click_partner[rows]
        click_key = np.where((visitor >= 0) & (partner >= 0), visitor * span + partner, -1)
        order_key = np.where(
            (self.order_visitor >= 0) & (self.order_partner >= 0),
            self.order_visitor * span + self.order_partner,
            -1,
        )
        found = last_at_or_before(click_key, self.click_ts[rows], order_key, self.order_ts)
        won = np.full(found.size, -1, dtype=np.int64)
        won[found >= 0] = rows[found[found >= 0]]
        stale = won >= 0
        stale[stale] = self.click_ts[won[stale]] <= self.order_ts[stale] - self.lookback_us
        won[stale] = -1
        return won

    @cached_property
    def ctit(self) -> npt.NDArray[np.float64]:
        """Click-to-order time of each order in seconds (NaN without a winning click)."""
        won = self.winning_click
        seconds = np.full(won.size, np.nan)
        has = won >= 0
        seconds[has] = (self.order_ts[has] - self.click_ts[won[has]]) / 1e6
        return seconds

    @cached_property
    def buyers_clicks(self) -> npt.NDArray[np.intp]:
        """Rows of the clicks whose visitor placed an order: the only ones that can win one."""
        visitor = self.click_visitor
        if self.order_count == 0 or visitor.size == 0:
            return np.empty(0, dtype=np.intp)
        buyers = self.order_visitor[self.order_visitor >= 0]
        size = int(max(visitor.max(initial=-1), buyers.max(initial=-1))) + 2
        bought = np.zeros(size, dtype=bool)
        bought[buyers] = True
        return np.flatnonzero((visitor >= 0) & bought[np.maximum(visitor, 0)])

    @cached_property
    def click_before_other_partner(self) -> IntArray:
        """Per click, the visitor's last earlier click of another partner (-1 none).

        Only the clicks of visitors who ordered are looked at (the others can win nothing):
        the rest read -1.
        """
        out = np.full(self.click_count, -1, dtype=np.int64)
        rows = self.buyers_clicks
        size = rows.size
        if size == 0:
            return out
        order = rows[stable_order(self.click_visitor[rows], self.click_ts[rows])]
        visitor = self.click_visitor[order]
        partner = self.click_partner[order]
        new_run = np.ones(size, dtype=bool)
        new_run[1:] = (visitor[1:] != visitor[:-1]) | (partner[1:] != partner[:-1])
        run_start = np.maximum.accumulate(np.where(new_run, np.arange(size), 0))
        before = run_start - 1
        valid = (before >= 0) & (visitor >= 0)
        valid[valid] &= visitor[before[valid]] == visitor[valid]
        out[order[valid]] = order[before[valid]]
        return out

    def rows_of(self, subject: Literal["click", "order"], ids: ObjArray) -> IntArray:
        """The row of each click (or order) id in its table, -1 where it is not there."""
        table, name = (self.clicks, "click_id") if subject == "click" else (self.orders, "order_id")
        if table is None or ids.size == 0:
            return np.full(ids.size, -1, dtype=np.int64)
        codes, categories = table.codes(name)
        words, inverse = np.unique(ids.astype(str), return_inverse=True)  # distinct, sorted
        mine, found = shared_codes((codes, categories), (inverse, words.astype(object)))
        row_of = np.full(categories.size + ids.size, -1, dtype=np.int64)  # -1: not in the table
        present = np.flatnonzero(mine >= 0)
        row_of[mine[present]] = present
        return row_of[found]

    def pair(self, a: IntArray, b: IntArray) -> IntArray:
        """One code per pair of codes (see `alliance.risk._windows.pair_key`)."""
        return pair_key(a, b)


def _ids(table: Table | None, name: str, rows: npt.ArrayLike | None) -> ObjArray:
    if table is None:
        return np.empty(0, dtype=object)
    codes, categories = table.codes(name)
    picked = codes if rows is None else codes[np.asarray(rows, dtype=np.intp)]
    values: ObjArray = categories[picked]
    return values

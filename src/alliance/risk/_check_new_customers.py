"""The check on new-customer claims: buyers already known from earlier orders.

Also `correct_new_customers`, which turns the flagged claims off before pricing. The check
judges an order from the past alone, so it has a streaming form that flags exactly what its
batch run flags when the events come in time order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from alliance._columns import Stored
from alliance._tables import Orders
from alliance.risk._check import Check
from alliance.risk._check_common import DAY, _evidence, event_flags
from alliance.risk._events import OrderEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import Instants

__all__ = ["FalseNewCustomer", "correct_new_customers"]

reason(
    "false_new_customer",
    "false_new_customer",
    "order",
    "claimed a new customer already seen on earlier orders",
    op=">=",
    unit="orders",
    action="allow",
    weight=0.3,
)


# -- false new customers ------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("customer_id", "email_hash", "payment_fingerprint")


class FalseNewCustomer(Check):
    """A new-customer claim on an order whose buyer is already known from earlier orders.

    The order says ``is_new_customer`` but its customer id, e-mail hash or payment
    fingerprint (checked in that order) is on an earlier order of the table (earlier in time,
    or at the same instant and earlier in the table), within ``seen_days`` when given. It
    concerns only a new-customer bonus, not the commission: `correct_new_customers` turns the
    claim off before pricing.

    Reason code ``false_new_customer`` (order, allow, 0.3): observed the number of earlier
    orders with the first key that has any, threshold 1, evidence that key's field name and
    the earliest such order id.

    The streaming form keeps every key seen (within ``seen_days`` when given): with
    ``seen_days=None`` its memory grows with the customers.

    Attributes:
        seen_days: How long a customer stays known, days; ``None`` (default) for all history.
    """

    check: Literal["false_new_customer"] = "false_new_customer"
    needs: ClassVar[tuple[str, ...]] = ("orders",)
    codes: ClassVar[tuple[str, ...]] = ("false_new_customer",)

    seen_days: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @property
    def _width(self) -> int | None:
        return None if self.seen_days is None else round(self.seen_days * DAY)

    def run(self, frame: Frame) -> Flags:
        """Flag new-customer claims of buyers seen on earlier orders."""
        if frame.orders is None:  # pragma: no cover - needs orders
            return Flags.empty()
        claims = frame.orders["is_new_customer"] == 1
        size = claims.size
        observed = np.zeros(size, dtype=np.int64)
        field = np.full(size, -1, dtype=np.int64)
        earliest = np.full(size, -1, dtype=np.int64)
        instants = Instants(frame.order_ts)
        keys = (frame.order_customer, frame.order_email, frame.order_card)
        for index, key in enumerate(keys):
            pending = claims & (field < 0)
            if not pending.any():
                break
            count, first = instants.earlier(instants.group(key, more_than=1), self._width)
            found = pending & (count > 0)
            observed[found] = count[found]
            field[found] = index
            earliest[found] = first[found]
        rows = np.flatnonzero(field >= 0)
        return event_flags(
            frame,
            "order",
            rows,
            "false_new_customer",
            observed=observed[rows],
            threshold=1.0,
            evidence=_evidence(
                [_CUSTOMER_FIELDS[i] for i in field[rows].tolist()],
                frame.order_ids(earliest[rows]).tolist(),
            ),
        )

    def stream(self, context: StreamContext) -> Stream:
        """Remember the keys of the orders seen (within ``seen_days`` when set)."""
        return _FalseNewCustomerStream(self._width)


class _Seen:
    """The orders seen per key value: all of them (count and first), or a trailing window."""

    __slots__ = ("_all", "_recent", "_width")

    def __init__(self, width: int | None) -> None:
        self._width = width
        self._all: dict[Hashable, tuple[int, str]] = {}
        self._recent: dict[Hashable, deque[tuple[int, str]]] = {}

    def add(self, value: Hashable, ts: int, order_id: str) -> tuple[int, str | None]:
        """Record an order; return how many came before it and the first of them."""
        if self._width is None:
            before = self._all.get(value)
            if before is None:
                self._all[value] = (1, order_id)
                return 0, None
            self._all[value] = (before[0] + 1, before[1])
            return before
        events = self._recent.get(value)
        if events is None:
            events = self._recent[value] = deque()
        limit = ts - self._width
        while events and events[0][0] <= limit:
            events.popleft()
        found = (len(events), events[0][1] if events else None)
        events.append((ts, order_id))
        return found

    def sweep(self, now: int) -> None:
        if self._width is None:
            return
        limit = now - self._width
        stale = [value for value, events in self._recent.items() if events[-1][0] <= limit]
        for value in stale:
            del self._recent[value]


class _FalseNewCustomerStream(Stream):
    def __init__(self, width: int | None) -> None:
        self._seen = [(name, _Seen(width)) for name in _CUSTOMER_FIELDS]

    def order(self, event: OrderEvent) -> list[Flag]:
        found: tuple[str, int, str] | None = None
        for name, seen in self._seen:
            value = getattr(event, name)
            if value is None:
                continue
            count, first = seen.add(value, event.ts, event.order_id)
            if found is None and count and first is not None:
                found = (name, count, first)
        if found is None or event.is_new_customer is not True:
            return []
        name, count, first = found
        return [
            flag(
                "order",
                event.order_id,
                "false_new_customer",
                count,
                1,
                evidence=(name, first),
                partner_id=event.partner_id,
            )
        ]

    def sweep(self, now: int) -> None:
        for _, seen in self._seen:
            seen.sweep(now)


def correct_new_customers(orders: Orders, flags: Flags) -> Orders:
    """The orders with ``is_new_customer`` turned off where ``false_new_customer`` flagged.

    Columnar: the other columns are shared with ``orders``, not copied; only the
    ``is_new_customer`` column is new.

    Args:
        orders: The orders screened.
        flags: Flags of a screening (other codes, and ids not in ``orders``, are ignored).

    Returns:
        New orders, row for row the same except the flagged claims.

    Raises:
        TypeError: ``orders`` is not an `al.Orders` table or ``flags`` not `Flags`.

    Examples:
        >>> import alliance as al
        >>> orders = al.Orders.from_records([
        ...     {"order_id": "o1", "ts": "2026-10-01T10:00:00Z", "amount": "9.00",
        ...      "currency": "USD", "customer_id": "c1", "is_new_customer": True},
        ...     {"order_id": "o2", "ts": "2026-10-02T10:00:00Z", "amount": "9.00",
        ...      "currency": "USD", "customer_id": "c1", "is_new_customer": True},
        ... ])
        >>> flags = FalseNewCustomer()(orders=orders)
        >>> correct_new_customers(orders, flags)["is_new_customer"].tolist()
        [1, 0]
    """
    if not isinstance(orders, Orders):
        raise TypeError(f"orders must be an al.Orders table, got {type(orders).__name__}")
    if not isinstance(flags, Flags):
        raise TypeError(f"flags must be Flags, got {type(flags).__name__}")
    picked = flags.where(subject="order", code="false_new_customer")["id"]
    codes, categories = orders.codes("order_id")
    if picked.size == 0 or categories.size == 0:
        return orders
    positions = np.clip(np.searchsorted(categories, picked), 0, categories.size - 1)
    marked = np.zeros(categories.size + 1, dtype=bool)  # the last slot: a missing id
    marked[positions[categories[positions] == picked]] = True
    rows = marked[codes]
    # Tables are immutable and share their stored columns; replace just this one.
    column = orders._columns["is_new_customer"]
    values = column.values.copy()
    values[rows] = 0
    missing = None if column.missing is None else column.missing & ~rows
    columns = dict(orders._columns)
    columns["is_new_customer"] = Stored(
        column.kind,
        values,
        column.categories,
        missing if missing is not None and missing.any() else None,
    )
    return type(orders)(columns, len(orders), orders._extras)

"""Checks on how fast orders come: velocity limits over trailing windows, and brushing.

Also the trailing-window counts they share with the rule language (`window_feature` and its
streaming twin `TrailingFeature`). Each check here judges an order from the past alone, so
each has a streaming form that flags exactly what its batch run flags when the events come
in time order.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alliance.risk._check import Check
from alliance.risk._check_common import _evidence, _order_partners, event_flags
from alliance.risk._events import OrderEvent, Stream, StreamContext, TrailingWindow, flag
from alliance.risk._features import ORDER_KEYS, WINDOWS
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import SECOND, Instants, IntArray, KeyGroup

__all__ = [
    "Brushing",
    "TrailingFeature",
    "Velocity",
    "VelocityLimit",
    "check_window_feature",
    "feature_name",
    "window_feature",
]

reason(
    "velocity",
    "velocity",
    "order",
    "too many orders in a trailing window",
    op=">",
    unit="",
    action="review",
    weight=0.7,
)
reason(
    "brushing",
    "brushing",
    "order",
    "many orders per distinct buyer in a short window",
    op=">=",
    unit="orders/buyer",
    action="block",
    weight=0.8,
)


def _order_text(frame: Frame, name: str, rows: npt.NDArray[np.intp]) -> list[Any]:
    """The text of an encoded orders column at some rows (``None`` where missing)."""
    if frame.orders is None:  # pragma: no cover - only called with orders
        return []
    codes, categories = frame.orders.codes(name)
    decoded = np.append(categories, np.array([None], dtype=object))
    values: list[Any] = decoded[codes[rows]].tolist()
    return values


# -- velocity ---------------------------------------------------------------------------------

CountKind: TypeAlias = Literal["orders", "distinct"]
WindowKey: TypeAlias = Literal["ip", "card", "email", "device", "customer", "partner", "coupon"]
DistinctOf: TypeAlias = Literal["card", "email", "ip", "device", "customer"]
WindowName: TypeAlias = Literal["hourly", "daily", "weekly"]

#: The orders column (and `OrderEvent` attribute) behind each window key: the rule language's
#: order keys, but the visitor (a velocity limit is about who pays, not who browses).
_FIELDS: dict[str, str] = {key: field for key, (field, _) in ORDER_KEYS.items() if key != "visitor"}
_COUNTS = ("orders", "distinct")
_DISTINCT_OF = ("card", "email", "ip", "device", "customer")


def check_window_feature(count: str, key: str, window: str, of: str | None) -> None:
    """Raise `ValueError` unless the arguments name a window feature (see `window_feature`)."""
    if count not in _COUNTS:
        raise ValueError(f"count must be one of {_COUNTS}, got count={count!r}")
    if key not in _FIELDS:
        raise ValueError(f"key must be one of {tuple(_FIELDS)}, got key={key!r}")
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {tuple(WINDOWS)}, got window={window!r}")
    if count == "distinct":
        if of is None:
            raise ValueError("count='distinct' needs of=, what to count distinct")
        if of not in _DISTINCT_OF:
            raise ValueError(f"of must be one of {_DISTINCT_OF}, got of={of!r}")
        if of == key:
            raise ValueError(f"cannot count distinct of={of!r} per its own key={key!r}")
    elif of is not None:
        raise ValueError(f"of={of!r} is only for count='distinct', got count={count!r}")


def feature_name(count: str, key: str, window: str, of: str | None = None) -> str:
    """The attribute name of a window feature, e.g. ``orders_per_ip_hourly``.

    Examples:
        >>> feature_name("orders", "ip", "hourly"), feature_name("distinct", "ip", "daily", "card")
        ('orders_per_ip_hourly', 'cards_per_ip_daily')
    """
    counted = "orders" if of is None else f"{of}s"
    return f"{counted}_per_{key}_{window}"


def window_feature(
    frame: Frame,
    count: CountKind,
    key: WindowKey,
    window: WindowName,
    of: DistinctOf | None = None,
) -> IntArray:
    """Per order, how many orders (or distinct values) its key has in a trailing window.

    The window of an order at ``t`` is ``(t - width, t]`` with width 1 h (hourly), 24 h
    (daily) or 7 days (weekly); it holds the order itself and the orders before it in time
    (at the same instant, those earlier in the table). An order without the key counts 0.
    The rule language reads these as ``orders_per_ip_hourly``, ``cards_per_ip_daily``, …
    (`feature_name`); `TrailingFeature` counts the same one event at a time.

    Args:
        frame: The encoded inputs (with orders).
        count: ``"orders"`` to count orders, ``"distinct"`` to count distinct values of ``of``.
        key: What the orders are grouped by.
        window: ``"hourly"``, ``"daily"`` or ``"weekly"``.
        of: For ``count="distinct"``: what to count distinct (a missing value is not counted).

    Returns:
        int64 counts, one per order.

    Raises:
        ValueError: An unknown count, key, window or ``of``.

    Examples:
        >>> import alliance as al
        >>> from alliance.risk._frame import Frame
        >>> orders = al.Orders.from_records([
        ...     {"order_id": f"o{i}", "ts": f"2026-10-01T10:{10 * i:02d}:00Z", "amount": "9.00",
        ...      "currency": "USD", "ip": "10.0.0.1", "payment_fingerprint": f"card{i % 2}"}
        ...     for i in range(4)
        ... ])
        >>> frame = Frame(orders=orders)
        >>> window_feature(frame, "orders", "ip", "hourly").tolist()
        [1, 2, 3, 4]
        >>> window_feature(frame, "distinct", "ip", "daily", of="card").tolist()
        [1, 2, 2, 2]
    """
    check_window_feature(count, key, window, of)
    # Orders are only compared with orders here: the orders' own codes do, without the
    # vocabularies shared with clicks and partners.
    instants = Instants(frame.order_ts)
    group = instants.group(frame.codes("orders", _FIELDS[key])[0])
    return _feature(frame, instants, group, count, window, of)


def _feature(
    frame: Frame,
    instants: Instants,
    group: KeyGroup,
    count: str,
    window: WindowName,
    of: str | None,
) -> IntArray:
    width = WINDOWS[window]
    if count == "orders" or of is None:
        return instants.count(group, width)
    return instants.distinct(group, frame.codes("orders", _FIELDS[of])[0], width)


class TrailingFeature:
    """The streaming twin of `window_feature`: the same count, one order at a time.

    Args:
        count: ``"orders"`` or ``"distinct"``.
        key: What the orders are grouped by.
        window: ``"hourly"``, ``"daily"`` or ``"weekly"``.
        of: For ``count="distinct"``: what to count distinct.

    Raises:
        ValueError: An unknown count, key, window or ``of``.

    Examples:
        >>> from alliance.risk._events import OrderEvent
        >>> feature = TrailingFeature("orders", "ip", "hourly")
        >>> [feature.add(OrderEvent(f"o{i}", i * 1_200_000_000, ip="10.0.0.1")) for i in range(5)]
        [1, 2, 3, 3, 3]
    """

    __slots__ = ("_distinct", "_key_of", "_value_of", "_window")

    def __init__(
        self,
        count: CountKind,
        key: WindowKey,
        window: WindowName,
        of: DistinctOf | None = None,
    ) -> None:
        check_window_feature(count, key, window, of)
        self._key_of = attrgetter(_FIELDS[key])
        self._value_of = None if of is None else attrgetter(_FIELDS[of])
        self._distinct = count == "distinct"
        self._window = TrailingWindow(WINDOWS[window])

    def add(self, event: OrderEvent) -> int:
        """Count the order in; return the count of its window (0 without the key)."""
        key = self._key_of(event)
        if key is None:
            return 0
        value = None if self._value_of is None else self._value_of(event)
        orders, distinct = self._window.add(key, event.ts, value)
        return distinct if self._distinct else orders

    def sweep(self, now: int) -> None:
        """Forget the keys with no order in a window reaching ``now`` or later."""
        self._window.sweep(now)


class VelocityLimit(BaseModel):
    """A velocity limit: at most ``max`` orders (or distinct values) per key in a window.

    Attributes:
        count: ``"orders"`` counts orders; ``"distinct"`` counts distinct values of ``of``.
        key: What the orders are grouped by (the IP address, the payment card, …).
        of: For ``count="distinct"`` only: what is counted distinct.
        window: ``"hourly"`` (1 h), ``"daily"`` (24 h) or ``"weekly"`` (7 days), trailing.
        max: The most allowed; an order whose window counts more is flagged.

    Examples:
        >>> VelocityLimit(count="distinct", key="ip", of="card", window="daily", max=3).label
        'cards per ip daily'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: CountKind = "orders"
    key: WindowKey
    of: DistinctOf | None = None
    window: WindowName
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> VelocityLimit:
        check_window_feature(self.count, self.key, self.window, self.of)
        return self

    @property
    def name(self) -> str:
        """The feature's attribute name, e.g. ``orders_per_card_daily``."""
        return feature_name(self.count, self.key, self.window, self.of)

    @property
    def label(self) -> str:
        """The feature in words, e.g. ``orders per card daily`` (the first evidence item)."""
        return self.name.replace("_", " ")


DEFAULT_LIMITS: tuple[VelocityLimit, ...] = (
    VelocityLimit(key="card", window="daily", max=3),
    VelocityLimit(key="ip", window="hourly", max=5),
    VelocityLimit(count="distinct", key="ip", of="card", window="daily", max=3),
    VelocityLimit(key="email", window="daily", max=5),
    VelocityLimit(key="device", window="hourly", max=5),
)


class Velocity(Check):
    """Velocity: too many orders (or distinct cards, …) per key in a trailing window.

    Each limit is checked on its own; an order over several limits gets one flag per limit.
    Defaults (industry practice): orders per card > 3 in 24 h, orders per IP > 5 in 1 h,
    distinct cards per IP > 3 in 24 h, orders per e-mail > 5 in 24 h, orders per device > 5
    in 1 h.

    Reason code ``velocity`` (order, review, 0.7): observed the count, threshold the limit's
    ``max``, evidence the limit's label (``"orders per card daily"``) and the key's value.

    Attributes:
        limits: The limits (at least one).
    """

    check: Literal["velocity"] = "velocity"
    needs: ClassVar[tuple[str, ...]] = ("orders",)
    codes: ClassVar[tuple[str, ...]] = ("velocity",)

    limits: tuple[VelocityLimit, ...] = Field(default=DEFAULT_LIMITS, min_length=1)

    def run(self, frame: Frame) -> Flags:
        """Flag the orders over each limit."""
        parts = []
        instants = Instants(frame.order_ts)
        groups: dict[str, KeyGroup] = {}
        for limit in self.limits:
            group = groups.get(limit.key)
            if group is None:
                fewest = min(other.max for other in self.limits if other.key == limit.key)
                group = groups[limit.key] = instants.group(
                    frame.codes("orders", _FIELDS[limit.key])[0], more_than=fewest
                )
            counts = _feature(frame, instants, group, limit.count, limit.window, limit.of)
            rows = np.flatnonzero(counts > limit.max)
            values = _order_text(frame, _FIELDS[limit.key], rows)
            parts.append(
                event_flags(
                    frame,
                    "order",
                    rows,
                    "velocity",
                    observed=counts[rows],
                    threshold=float(limit.max),
                    evidence=_evidence([limit.label] * rows.size, values),
                )
            )
        return Flags.concat(parts)

    def stream(self, context: StreamContext) -> Stream:
        """Count each limit's window one order at a time."""
        return _VelocityStream(self.limits)


class _VelocityStream(Stream):
    def __init__(self, limits: tuple[VelocityLimit, ...]) -> None:
        self._limits = [
            (limit, TrailingFeature(limit.count, limit.key, limit.window, limit.of), limit.label)
            for limit in limits
        ]

    def order(self, event: OrderEvent) -> list[Flag]:
        flags = []
        for limit, feature, label in self._limits:
            count = feature.add(event)
            if count > limit.max:
                flags.append(
                    flag(
                        "order",
                        event.order_id,
                        "velocity",
                        count,
                        limit.max,
                        evidence=(label, str(getattr(event, _FIELDS[limit.key]))),
                        partner_id=event.partner_id,
                    )
                )
        return flags

    def sweep(self, now: int) -> None:
        for _, feature, _ in self._limits:
            feature.sweep(now)


# -- brushing -----------------------------------------------------------------------------------


class Brushing(Check):
    """Brushing (刷单): many orders from few buyers for one partner or coupon within an hour.

    For each order, the trailing window of its partner, and separately of its coupon code,
    holds the orders before it (and itself) less than ``window_seconds`` earlier. Only orders
    with a known buyer (customer, else e-mail, else visitor) count. The order is flagged when
    a window holds at least ``min_orders`` orders and orders ÷ distinct buyers ≥ ``min_ratio``.

    Reason code ``brushing`` (order, block, 0.8): observed the larger ratio of the two
    windows, threshold ``min_ratio``, evidence ``("partner" or "coupon", the key,
    "<n> orders / <m> buyers")``.

    Attributes:
        window_seconds: Width of the trailing window, seconds (1 hour).
        min_ratio: Orders per distinct buyer at which to flag (3).
        min_orders: Fewest orders in the window to flag (3).
    """

    check: Literal["brushing"] = "brushing"
    needs: ClassVar[tuple[str, ...]] = ("orders",)
    codes: ClassVar[tuple[str, ...]] = ("brushing",)

    window_seconds: float = Field(default=3600.0, gt=0, allow_inf_nan=False)
    min_ratio: float = Field(default=3.0, gt=1, allow_inf_nan=False)
    min_orders: int = Field(default=3, ge=2)

    @property
    def _width(self) -> int:
        return max(1, round(self.window_seconds * SECOND))

    def run(self, frame: Frame) -> Flags:
        """Flag the orders whose partner or coupon window is brushed."""
        ts, buyer = frame.order_ts, frame.order_buyer
        known = buyer >= 0
        size = ts.size
        best_ratio = np.zeros(size)
        best_side = np.full(size, -1, dtype=np.int64)
        best_orders = np.zeros(size, dtype=np.int64)
        best_buyers = np.zeros(size, dtype=np.int64)
        instants = Instants(ts)
        for side, codes in enumerate((frame.order_partner, frame.order_coupon)):
            key = np.where(known, codes, -1)
            group = instants.group(key, more_than=self.min_orders - 1)
            orders = instants.count(group, self._width)
            buyers = instants.distinct(group, buyer, self._width)
            ratio = orders / np.maximum(buyers, 1)
            hit = (key >= 0) & (orders >= self.min_orders) & (ratio >= self.min_ratio)
            better = hit & ((best_side < 0) | (ratio > best_ratio))
            best_ratio[better] = ratio[better]
            best_side[better] = side
            best_orders[better] = orders[better]
            best_buyers[better] = buyers[better]
        rows = np.flatnonzero(best_side >= 0)
        sides = best_side[rows]
        keys = np.where(
            sides == 0,
            _order_partners(frame, rows),
            np.asarray(_order_text(frame, "coupon_code", rows), dtype=object),
        )
        counts = [
            f"{n} orders / {m} buyers"
            for n, m in zip(best_orders[rows].tolist(), best_buyers[rows].tolist(), strict=True)
        ]
        names = [("partner", "coupon")[s] for s in sides.tolist()]
        return event_flags(
            frame,
            "order",
            rows,
            "brushing",
            observed=best_ratio[rows],
            threshold=self.min_ratio,
            evidence=_evidence(names, keys.tolist(), counts),
        )

    def stream(self, context: StreamContext) -> Stream:
        """Count each partner's and coupon's window one order at a time."""
        return _BrushingStream(self)


class _BrushingStream(Stream):
    def __init__(self, check: Brushing) -> None:
        self._min_ratio = check.min_ratio
        self._min_orders = check.min_orders
        self._windows = (
            ("partner", TrailingWindow(check._width)),
            ("coupon", TrailingWindow(check._width)),
        )

    def order(self, event: OrderEvent) -> list[Flag]:
        buyer = event.buyer
        if buyer is None:
            return []
        best: tuple[float, str, str, int, int] | None = None
        for (side, window), key in zip(
            self._windows, (event.partner_id, event.coupon_code), strict=True
        ):
            if key is None:
                continue
            orders, buyers = window.add(key, event.ts, buyer)
            ratio = orders / buyers
            if (
                orders >= self._min_orders
                and ratio >= self._min_ratio
                and (best is None or ratio > best[0])
            ):
                best = (ratio, side, key, orders, buyers)
        if best is None:
            return []
        ratio, side, key, orders, buyers = best
        evidence = (side, key, f"{orders} orders / {buyers} buyers")
        return [
            flag(
                "order",
                event.order_id,
                "brushing",
                ratio,
                self._min_ratio,
                evidence=evidence,
                partner_id=event.partner_id,
            )
        ]

    def sweep(self, now: int) -> None:
        for _, window in self._windows:
            window.sweep(now)

"""One event at a time: the parsed click and order a `Screener` hands to each check's stream.

A check that can judge an event from the past alone (a window that trails it, the partners
known up front) also has a streaming form, `Stream`, fed by `alliance.risk.Screener` in time
order. It must flag exactly what its batch `run` flags for the same events in the same order;
the tests hold every such check to that.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from alliance.risk._flags import REASONS, Flag

__all__ = [
    "NO_EXTRAS",
    "ClickEvent",
    "OrderEvent",
    "Stream",
    "StreamContext",
    "TrailingWindow",
    "flag",
]


#: The extra columns of an event that has none (shared, read-only).
NO_EXTRAS: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class ClickEvent:
    """A click as the screener sees it: ids and text as ``str`` (``None`` when missing)."""

    click_id: str
    ts: int  # microseconds since the epoch, UTC
    partner_id: str
    visitor_id: str | None = None
    ip: str | None = None
    device_id: str | None = None
    user_agent: str | None = None
    country: str | None = None
    extras: Mapping[str, Any] = field(default_factory=lambda: NO_EXTRAS)


@dataclass(slots=True)
class OrderEvent:
    """An order as the screener sees it, with its winning click found by the screener.

    ``won`` is the last click of the order's partner by its visitor at or before the order
    (within the look-back); ``ctit`` the seconds from it to the order (NaN without one);
    ``before_won`` the visitor's last click of another partner before the winning click.
    ``buyer`` is the customer id, else ``"email:" + email_hash``, else ``"visitor:" +
    visitor_id``.
    """

    order_id: str
    ts: int
    partner_id: str | None = None
    visitor_id: str | None = None
    customer_id: str | None = None
    coupon_code: str | None = None
    is_new_customer: bool | None = None
    country: str | None = None
    ip: str | None = None
    device_id: str | None = None
    payment_fingerprint: str | None = None
    email_hash: str | None = None
    extras: Mapping[str, Any] = field(default_factory=lambda: NO_EXTRAS)
    won: ClickEvent | None = None
    before_won: ClickEvent | None = None
    ctit: float = math.nan
    buyer: str | None = None


@dataclass(frozen=True)
class StreamContext:
    """What a stream may know up front: the partners' identities and exclusive codes.

    Attributes:
        partner_emails: E-mail hash to the partner ids holding it.
        partner_cards: Payment fingerprint to the partner ids holding it.
        partner_ips: IP address to partner ids (from a partners ``ip`` column).
        partner_devices: Device id to partner ids (from a partners ``device_id`` column).
        partner_addresses: Normalised raw e-mail (a partners ``email`` column) to partner ids.
        coupon_owner: Exclusive coupon code to its owner's partner id.
        lookback_us: How far back a click may win an order, in microseconds.
    """

    partner_emails: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    partner_cards: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    partner_ips: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    partner_devices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    partner_addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    coupon_owner: Mapping[str, str] = field(default_factory=dict)
    lookback_us: int = 30 * 86_400_000_000


class Stream:
    """A check's streaming state; the default flags nothing."""

    def click(self, event: ClickEvent) -> list[Flag]:
        """Flags for a click, given the clicks and orders before it."""
        return []

    def order(self, event: OrderEvent) -> list[Flag]:
        """Flags for an order, given the clicks and orders before it."""
        return []

    def sweep(self, now: int) -> None:
        """Forget what no window reaching ``now`` or later can need."""


def flag(
    subject: Any,
    id: str,
    code: str,
    observed: float,
    threshold: float,
    *,
    peer: float = math.nan,
    evidence: tuple[str, ...] = (),
    partner_id: str | None = None,
) -> Flag:
    """A `Flag` of a declared reason code."""
    return Flag(
        subject,
        id,
        code,
        REASONS[code].check,
        float(observed),
        float(threshold),
        float(peer),
        evidence,
        partner_id,
    )


class TrailingWindow:
    """Counts and distinct values per key over a trailing window, one event at a time.

    The streaming twin of `alliance.risk._windows.trailing_count` and
    `~alliance.risk._windows.trailing_distinct`: an event at ``t`` sees the events of its key
    in ``(t - width, t]`` that came before it, and itself. Memory is bounded by the events
    inside the window; `sweep` drops keys whose events have all expired.

    Examples:
        >>> window = TrailingWindow(10)
        >>> [window.add("ip1", t, v) for t, v in [(0, "a"), (5, "b"), (10, "a"), (15, None)]]
        [(1, 1), (2, 2), (2, 2), (2, 1)]
    """

    __slots__ = ("_keys", "_values", "width")

    def __init__(self, width: int) -> None:
        self.width = width
        # key -> the events in its window, and the count of each value among them (made on
        # the first value: a window that only counts keeps one container per key, which
        # keeps the garbage collector's work down in a long-running service).
        self._keys: dict[Hashable, deque[tuple[int, Hashable]]] = {}
        self._values: dict[Hashable, dict[Hashable, int]] = {}

    def add(self, key: Hashable, ts: int, value: Hashable = None) -> tuple[int, int]:
        """Add an event; return the events and distinct non-missing values in its window."""
        events = self._keys.get(key)
        if events is None:
            events = self._keys[key] = deque()
        values = self._values.get(key)
        limit = ts - self.width
        while events and events[0][0] <= limit:
            _, old = events.popleft()
            if old is not None and values is not None:
                left = values[old] - 1
                if left:
                    values[old] = left
                else:
                    del values[old]
        events.append((ts, value))
        if value is not None:
            if values is None:
                values = self._values[key] = {}
            values[value] = values.get(value, 0) + 1
        return len(events), 0 if values is None else len(values)

    def sweep(self, now: int) -> None:
        """Drop the keys whose last event is out of every window from ``now`` on."""
        limit = now - self.width
        stale = [key for key, events in self._keys.items() if events[-1][0] <= limit]
        for key in stale:
            del self._keys[key]
            self._values.pop(key, None)

    def __len__(self) -> int:
        return len(self._keys)

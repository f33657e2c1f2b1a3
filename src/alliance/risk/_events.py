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
    in ``(t - width, t]`` that came before it, and itself. Events must be added in time
    order. They wait in one queue in that order; each `add` first lets go of the events that
    have left the window, of every key, so memory is bounded by the events inside the window
    without any sweep, and the state is a few large containers rather than one per key (which
    keeps the garbage collector's work down in a long-running service).

    Examples:
        >>> window = TrailingWindow(10)
        >>> [window.add("ip1", t, v) for t, v in [(0, "a"), (5, "b"), (10, "a"), (15, None)]]
        [(1, 1), (2, 2), (2, 2), (2, 1)]
    """

    __slots__ = ("_counts", "_events", "_values", "width")

    def __init__(self, width: int) -> None:
        self.width = width
        self._events: deque[tuple[int, Hashable, Hashable]] = deque()  # (ts, key, value)
        self._counts: dict[Hashable, int] = {}  # key -> its events in the window
        self._values: dict[Hashable, dict[Hashable, int]] = {}  # key -> value -> its events

    def _expire(self, limit: int) -> None:
        events, counts, values = self._events, self._counts, self._values
        while events and events[0][0] <= limit:
            _, key, value = events.popleft()
            left = counts[key] - 1
            if left:
                counts[key] = left
            else:
                del counts[key]
            if value is not None:
                kinds = values[key]
                same = kinds[value] - 1
                if same:
                    kinds[value] = same
                elif len(kinds) > 1:
                    del kinds[value]
                else:
                    del values[key]

    def add(self, key: Hashable, ts: int, value: Hashable = None) -> tuple[int, int]:
        """Add an event; return the events and distinct non-missing values in its window."""
        self._expire(ts - self.width)
        self._events.append((ts, key, value))
        count = self._counts[key] = self._counts.get(key, 0) + 1
        kinds = self._values.get(key)
        if value is not None:
            if kinds is None:
                kinds = self._values[key] = {}
            kinds[value] = kinds.get(value, 0) + 1
        return count, 0 if kinds is None else len(kinds)

    def sweep(self, now: int) -> None:
        """Let go of the events that are out of every window from ``now`` on."""
        self._expire(now - self.width)

    def __len__(self) -> int:
        return len(self._counts)

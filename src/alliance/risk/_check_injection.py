"""Checks on the clicks that win orders, and on clicking itself: injection, spam, hijack.

Each check here judges an event from the past alone, so each has a streaming form that flags
exactly what its batch `run` flags when the same events are fed in time order.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from pydantic import Field

from alliance._fields import parse_timestamp
from alliance._periods import to_micros
from alliance.errors import DataError, Problem
from alliance.risk._check import Check
from alliance.risk._check_common import (
    NonEmpty,
    Seconds,
    _tuples,
    event_flags,
)
from alliance.risk._events import (
    ClickEvent,
    OrderEvent,
    Stream,
    StreamContext,
    TrailingWindow,
    flag,
)
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import HOUR, IntArray, pair_key, rows_of_busy_keys, trailing_count

__all__ = ["ClickHijack", "ClickInjection", "ClickSpam"]

BoolArray: TypeAlias = npt.NDArray[np.bool_]

reason(
    "ctit_too_short",
    "click_injection",
    "order",
    "click to order in under the threshold",
    op="<",
    unit="s",
    action="block",
    weight=0.9,
)
reason(
    "click_after_checkout",
    "click_injection",
    "order",
    "winning click came after the checkout started",
    op=">",
    unit="s",
    action="block",
    weight=0.9,
)
reason(
    "click_flood",
    "click_spam",
    "click",
    "clicks of one device or IP address for one partner in the trailing hour",
    op=">",
    unit="clicks",
    action="discard_click",
    weight=0.6,
)
reason(
    "click_hijack",
    "click_hijack",
    "order",
    "winning click came right after another partner's click",
    op="<=",
    unit="s",
    action="review",
    weight=0.6,
)


# --- click injection --------------------------------------------------------------------------


def _instant_us(value: Any) -> int | None:
    """Microseconds UTC of an aware datetime or ISO 8601 string with an offset (None: missing).

    Raises:
        ValueError: Not an aware instant (a naive datetime, text without an offset, a number).
    """
    if value is None or value != value:  # None, NaN, NaT
        return None
    if isinstance(value, np.datetime64):
        raise ValueError(f"{value!r} is a numpy datetime64, which carries no time zone")
    return to_micros(parse_timestamp(value))


def _checkout_instants(frame: Frame, column: str) -> tuple[IntArray, BoolArray]:
    """Checkout start of each order in microseconds UTC, and where it is known.

    Raises:
        DataError: Some cells are not aware instants; every such row is listed.
    """
    size = frame.order_count
    instants = np.zeros(size, dtype=np.int64)
    known = np.zeros(size, dtype=bool)
    if frame.orders is None or column not in frame.orders:
        return instants, known
    problems = []
    for row, value in enumerate(frame.orders[column].tolist()):
        try:
            parsed = _instant_us(value)
        except ValueError as error:
            problems.append(Problem(row, column, value, str(error)))
            continue
        if parsed is not None:
            instants[row] = parsed
            known[row] = True
    if problems:
        raise DataError("orders", problems)
    return instants, known


class ClickInjection(Check):
    """Click injection: the winning click came seconds before the order, or after checkout.

    An order's winning click is the last click of its partner by its visitor at or before the
    order. A click-to-order time (CTIT) under ``max_seconds`` is a click fired while the buyer
    was already checking out (industry default: 10 s); a click after the checkout started
    (an orders extra column) was fired by something watching the checkout.

    Reason codes:
        ``ctit_too_short`` (order, block, 0.9): observed CTIT in seconds ``< max_seconds``;
        evidence the winning click.
        ``click_after_checkout`` (order, block, 0.9): observed seconds from the checkout
        start to the winning click ``> 0``; evidence the winning click.

    Attributes:
        max_seconds: Shortest believable CTIT in seconds (default 10; exactly 10 s passes).
        checkout_column: Orders extra column with the checkout start: tz-aware datetimes or
            ISO 8601 strings with an offset, ``None`` when unknown (default
            ``"checkout_started_at"``); without the column the second rule is off. A naive or
            unreadable value raises `alliance.errors.DataError` listing every bad row.

    Examples:
        >>> import alliance as al
        >>> clicks = al.Clicks.from_records([{"click_id": "C1", "ts": "2026-10-01T12:00:00Z",
        ...                                   "partner_id": "P1", "visitor_id": "V1"}])
        >>> orders = al.Orders.from_records([{"order_id": "O1", "ts": "2026-10-01T12:00:04Z",
        ...                                   "amount": "25.00", "currency": "USD",
        ...                                   "partner_id": "P1", "visitor_id": "V1"}])
        >>> print(ClickInjection()(orders=orders, clicks=clicks).explain())
        order O1 (partner P1): click to order in under the threshold: 4 s < 10 s [evidence: C1]
    """

    check: Literal["click_injection"] = "click_injection"
    needs: ClassVar[tuple[str, ...]] = ("orders", "clicks")
    codes: ClassVar[tuple[str, ...]] = ("ctit_too_short", "click_after_checkout")

    max_seconds: Seconds = 10.0
    checkout_column: NonEmpty = "checkout_started_at"

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        return Flags.concat([self._too_short(frame), self._after_checkout(frame)])

    def _too_short(self, frame: Frame) -> Flags:
        ctit = frame.ctit
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(ctit < self.max_seconds)
        won = frame.winning_click[rows]
        return event_flags(
            frame,
            "order",
            rows,
            "ctit_too_short",
            observed=ctit[rows],
            threshold=self.max_seconds,
            evidence=_tuples((c,) for c in frame.click_ids(won).tolist()),
        )

    def _after_checkout(self, frame: Frame) -> Flags:
        checkout, known = _checkout_instants(frame, self.checkout_column)
        won = frame.winning_click
        rows = np.flatnonzero(known & (won >= 0))
        click_us = frame.click_ts[won[rows]]
        late = click_us > checkout[rows]
        rows = rows[late]
        observed = (click_us[late] - checkout[rows]) / 1e6
        return event_flags(
            frame,
            "order",
            rows,
            "click_after_checkout",
            observed=observed,
            threshold=0.0,
            evidence=_tuples((c,) for c in frame.click_ids(won[rows]).tolist()),
        )

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: judges each order by its winning click."""
        return _ClickInjectionStream(self.max_seconds, self.checkout_column)


class _ClickInjectionStream(Stream):
    __slots__ = ("_column", "_max_seconds")

    def __init__(self, max_seconds: float, column: str) -> None:
        self._max_seconds = max_seconds
        self._column = column

    def order(self, event: OrderEvent) -> list[Flag]:
        value = event.extras.get(self._column)
        try:
            checkout = _instant_us(value)
        except ValueError as error:
            raise DataError("orders", [Problem(0, self._column, value, str(error))]) from None
        won = event.won
        if won is None:
            return []
        flags = []
        ctit = (event.ts - won.ts) / 1e6
        if ctit < self._max_seconds:
            flags.append(
                flag(
                    "order",
                    event.order_id,
                    "ctit_too_short",
                    ctit,
                    self._max_seconds,
                    evidence=(won.click_id,),
                    partner_id=event.partner_id,
                )
            )
        if checkout is not None and won.ts > checkout:
            flags.append(
                flag(
                    "order",
                    event.order_id,
                    "click_after_checkout",
                    (won.ts - checkout) / 1e6,
                    0.0,
                    evidence=(won.click_id,),
                    partner_id=event.partner_id,
                )
            )
        return flags


# --- click spam -------------------------------------------------------------------------------


class ClickSpam(Check):
    """Click spam: one device or IP address clicking a partner's links over and over.

    Counts each click's trailing hour ``(t - 1 h, t]`` twice: the clicks of its device for
    its partner, and the clicks of its IP address for its partner. A click is flagged when
    either count exceeds ``max_clicks_per_hour`` (industry default: 5). A click without a
    device (or IP address) is in no device (or IP address) window.

    Reason codes:
        ``click_flood`` (click, discard_click, 0.6): observed the larger of the two counts
        ``> max_clicks_per_hour``; evidence the device id or IP address of that count (the
        device on a tie).

    Attributes:
        max_clicks_per_hour: Most clicks allowed per device or IP address per partner in any
            trailing hour (default 5: the sixth click is flagged).
    """

    check: Literal["click_spam"] = "click_spam"
    needs: ClassVar[tuple[str, ...]] = ("clicks",)
    codes: ClassVar[tuple[str, ...]] = ("click_flood",)

    max_clicks_per_hour: int = Field(default=5, ge=1)

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        if frame.clicks is None:
            return Flags.empty()
        partner, ts = frame.click_partner, frame.click_ts
        device, devices = frame.codes("clicks", "device_id")
        ip, ips = frame.codes("clicks", "ip")
        limit = self.max_clicks_per_hour
        by_device = _busy_count(device, partner, ts, limit)
        by_ip = _busy_count(ip, partner, ts, limit)
        count = np.maximum(by_device, by_ip)
        rows = np.flatnonzero(count > self.max_clicks_per_hour)
        use_device = by_device[rows] >= by_ip[rows]
        shown = np.empty(rows.size, dtype=object)
        shown[use_device] = devices[device[rows[use_device]]]
        shown[~use_device] = ips[ip[rows[~use_device]]]
        return event_flags(
            frame,
            "click",
            rows,
            "click_flood",
            observed=count[rows],
            threshold=self.max_clicks_per_hour,
            evidence=_tuples((v,) for v in shown.tolist()),
        )

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: two trailing-hour windows, by device and by IP address."""
        return _ClickSpamStream(self.max_clicks_per_hour)


def _busy_count(key: IntArray, partner: IntArray, ts: IntArray, limit: int) -> IntArray:
    """Trailing-hour counts per key and partner, for keys with more than ``limit`` clicks.

    The others read 0: no hour of theirs can pass the limit.
    """
    counts = np.zeros(key.size, dtype=np.int64)
    rows = rows_of_busy_keys(key, limit)
    counts[rows] = trailing_count(pair_key(key[rows], partner[rows]), ts[rows], HOUR)
    return counts


class _ClickSpamStream(Stream):
    __slots__ = ("_by_device", "_by_ip", "_limit")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._by_device = TrailingWindow(HOUR)
        self._by_ip = TrailingWindow(HOUR)

    def click(self, event: ClickEvent) -> list[Flag]:
        by_device = by_ip = 0
        if event.device_id is not None:
            by_device = self._by_device.add((event.device_id, event.partner_id), event.ts)[0]
        if event.ip is not None:
            by_ip = self._by_ip.add((event.ip, event.partner_id), event.ts)[0]
        count = max(by_device, by_ip)
        if count <= self._limit:
            return []
        shown = event.device_id if by_device >= by_ip else event.ip
        return [
            flag(
                "click",
                event.click_id,
                "click_flood",
                count,
                self._limit,
                evidence=(str(shown),),
                partner_id=event.partner_id,
            )
        ]

    def sweep(self, now: int) -> None:
        self._by_device.sweep(now)
        self._by_ip.sweep(now)


# --- click hijack -----------------------------------------------------------------------------


class ClickHijack(Check):
    """Click hijacking: the winning click came right after another partner's click.

    A partner that fires its own click the moment a visitor arrives through someone else's
    link takes the credit. For each order with a winning click, the visitor's last click of
    another partner before it (the end of the previous run of clicks) is looked up; the
    order is flagged when the winning click came at most ``max_seconds`` after it.

    Reason codes:
        ``click_hijack`` (order, review, 0.6): observed seconds between the other partner's
        click and the winning click ``<= max_seconds``; evidence (winning click, other
        click).

    Attributes:
        max_seconds: Longest gap in seconds that still counts as hijacking (default 10;
            exactly 10 s is flagged).
    """

    check: Literal["click_hijack"] = "click_hijack"
    needs: ClassVar[tuple[str, ...]] = ("orders", "clicks")
    codes: ClassVar[tuple[str, ...]] = ("click_hijack",)

    max_seconds: Seconds = 10.0

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        won = frame.winning_click
        rows = np.flatnonzero(won >= 0)
        other = frame.click_before_other_partner[won[rows]]
        keep = other >= 0
        rows, winner, other = rows[keep], won[rows][keep], other[keep]
        seconds = (frame.click_ts[winner] - frame.click_ts[other]) / 1e6
        close = seconds <= self.max_seconds
        rows, winner, other, seconds = rows[close], winner[close], other[close], seconds[close]
        winners = frame.click_ids(winner).tolist()
        others = frame.click_ids(other).tolist()
        return event_flags(
            frame,
            "order",
            rows,
            "click_hijack",
            observed=seconds,
            threshold=self.max_seconds,
            evidence=_tuples(zip(winners, others, strict=True)),
        )

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: judges each order by ``won`` and ``before_won``."""
        return _ClickHijackStream(self.max_seconds)


class _ClickHijackStream(Stream):
    __slots__ = ("_max_seconds",)

    def __init__(self, max_seconds: float) -> None:
        self._max_seconds = max_seconds

    def order(self, event: OrderEvent) -> list[Flag]:
        won, other = event.won, event.before_won
        if won is None or other is None:
            return []
        seconds = (won.ts - other.ts) / 1e6
        if seconds > self._max_seconds:
            return []
        return [
            flag(
                "order",
                event.order_id,
                "click_hijack",
                seconds,
                self._max_seconds,
                evidence=(won.click_id, other.click_id),
                partner_id=event.partner_id,
            )
        ]

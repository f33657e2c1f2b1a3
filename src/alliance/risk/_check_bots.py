"""The check on clicks made by machines: bot user agents, regular intervals, identical times.

It judges a click from the past alone, so it has a streaming form that flags exactly what its
batch `run` flags when the same clicks are fed in time order.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from itertools import pairwise
from typing import ClassVar, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import Field

from alliance.risk._check import Check
from alliance.risk._check_common import (
    NonEmpty,
    Seconds,
    _memo,
    _tuples,
    event_flags,
)
from alliance.risk._events import ClickEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import (
    SECOND,
    IntArray,
    ObjArray,
    pair_key,
    rows_of_busy_keys,
    stable_order,
)

__all__ = ["BotTiming"]

_T = TypeVar("_T")

reason(
    "bot_user_agent",
    "bot_timing",
    "click",
    "user agent of a bot",
    op="==",
    unit="",
    action="discard_click",
    weight=0.8,
)
reason(
    "regular_intervals",
    "bot_timing",
    "click",
    "clicks at machine-regular intervals (coefficient of variation of the gaps)",
    op="<",
    unit="",
    action="discard_click",
    weight=0.6,
)
reason(
    "identical_timestamps",
    "bot_timing",
    "click",
    "clicks of one device or IP address for one partner at the same microsecond",
    op=">=",
    unit="clicks",
    action="discard_click",
    weight=0.5,
)


def _category_verdicts(
    codes: IntArray, categories: ObjArray, judge: Callable[[str], _T | None]
) -> tuple[IntArray, list[_T | None]]:
    """Judge each distinct value of a dictionary-encoded column once.

    Returns:
        The rows whose value has a verdict, and the verdict per category (``None``: none).
    """
    verdicts = [judge(value) for value in categories.tolist()]
    hit = np.array([v is not None for v in verdicts] + [False], dtype=bool)
    rows: IntArray = np.flatnonzero(hit[codes]).astype(np.int64)
    return rows, verdicts


# --- bot timing -------------------------------------------------------------------------------

DEFAULT_BOT_MARKERS = (
    "bot",
    "crawler",
    "spider",
    "headless",
    "phantomjs",
    "python-requests",
    "curl/",
    "wget",
    "scrapy",
    "httpclient",
    "slurp",
)


def _bot_marker(user_agent: str, markers: tuple[tuple[str, str], ...]) -> str | None:
    """The first marker (as given) found in a user agent, ignoring case; ``None`` if none."""
    lowered = user_agent.lower()
    for given, marker in markers:
        if marker in lowered:
            return given
    return None


def _coefficient_of_variation(gaps: list[float]) -> float:
    """Population standard deviation over mean of some gaps (0 when every gap is 0).

    The batch kernel runs the very same float operations column by column, so both agree
    to the last bit.
    """
    total = 0.0
    for gap in gaps:
        total = total + gap
    mean = total / len(gaps)
    squares = 0.0
    for gap in gaps:
        deviation = gap - mean
        squares = squares + deviation * deviation
    spread = math.sqrt(squares / len(gaps))
    return spread / mean if mean > 0 else 0.0


def _sorted_runs(key: IntArray, ts: IntArray) -> tuple[npt.NDArray[np.intp], IntArray]:
    """Rows sorted by key, time and row, and each sorted position's offset in its key."""
    order = stable_order(key, ts)
    k = key[order]
    positions = np.arange(k.size, dtype=np.int64)
    first = np.ones(k.size, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    start = np.maximum.accumulate(np.where(first, positions, 0))
    return order, positions - start


def _shared_instants(ts: IntArray) -> npt.NDArray[np.intp]:
    """Rows whose instant another row has too (in row order): the only ones that can tie."""
    if ts.size and not bool(np.all(ts[1:] >= ts[:-1])):
        order = np.argsort(ts, kind="stable")
        return np.sort(order[_shared_instants(ts[order])])
    tie = np.zeros(ts.size, dtype=bool)
    same = ts[1:] == ts[:-1]
    tie[1:] |= same
    tie[:-1] |= same
    return np.flatnonzero(tie)


class BotTiming(Check):
    """Bots: bot user agents, clicks at machine-regular intervals, identical timestamps.

    Reason codes:
        ``bot_user_agent`` (click, discard_click, 0.8): the user agent contains one of
        ``bot_markers`` (ignoring case); observed 1, threshold 1; evidence the marker.
        ``regular_intervals`` (click, discard_click, 0.6): among the last ``min_events``
        clicks of the click's device for its partner (the click included), all within the
        trailing ``window_seconds``, the coefficient of variation (population standard
        deviation over mean) of the ``min_events - 1`` gaps in seconds is ``< max_cv``
        (0 when every gap is 0); evidence the earlier clicks of those.
        ``identical_timestamps`` (click, discard_click, 0.5): an earlier click of the same
        device (or, without a device, IP address) for the same partner has the very same
        microsecond; observed how many share it so far, this click included (``>= 2``);
        evidence the first of them.

    Attributes:
        bot_markers: Substrings of bot user agents (defaults: common crawlers, headless
            browsers and HTTP libraries).
        min_events: Clicks needed before the intervals are judged (default 10, at least 3).
        max_cv: Coefficient of variation under which intervals are machine-regular
            (default 0.1).
        window_seconds: Window the ``min_events`` clicks must fall in (default 86,400 s).
    """

    check: Literal["bot_timing"] = "bot_timing"
    needs: ClassVar[tuple[str, ...]] = ("clicks",)
    codes: ClassVar[tuple[str, ...]] = (
        "bot_user_agent",
        "regular_intervals",
        "identical_timestamps",
    )

    bot_markers: tuple[NonEmpty, ...] = DEFAULT_BOT_MARKERS
    min_events: int = Field(default=10, ge=3)
    max_cv: Seconds = 0.1
    window_seconds: Seconds = 86_400.0

    @property
    def _markers(self) -> tuple[tuple[str, str], ...]:
        return tuple((marker, marker.lower()) for marker in self.bot_markers)

    @property
    def _window_us(self) -> int:
        return round(self.window_seconds * SECOND)

    def run(self, frame: Frame) -> Flags:
        """The flags of this check over the frame's tables."""
        if frame.clicks is None:
            return Flags.empty()
        device, devices = frame.codes("clicks", "device_id")
        ip, _ = frame.codes("clicks", "ip")
        return Flags.concat(
            [
                self._user_agents(frame),
                self._intervals(frame, device),
                self._identical(frame, device, devices.size, ip),
            ]
        )

    def _user_agents(self, frame: Frame) -> Flags:
        codes, agents = frame.codes("clicks", "user_agent")
        markers = self._markers
        rows, verdicts = _category_verdicts(codes, agents, lambda ua: _bot_marker(ua, markers))
        return event_flags(
            frame,
            "click",
            rows,
            "bot_user_agent",
            observed=1.0,
            threshold=1.0,
            evidence=_tuples((str(verdicts[c]),) for c in codes[rows].tolist()),
        )

    def _intervals(self, frame: Frame, device: IntArray) -> Flags:
        # Only devices with min_events clicks in all can have that many for one partner.
        busy = rows_of_busy_keys(device, self.min_events - 1)
        ts = frame.click_ts[busy]
        key = pair_key(device[busy], frame.click_partner[busy])
        local, offset = _sorted_runs(key, ts)
        order = busy[local]  # rows in (key, time, row) order
        t = ts[local]
        key = key[local]
        span = self.min_events - 1
        last = np.flatnonzero((key >= 0) & (offset >= span))
        last = last[t[last - span] > t[last] - self._window_us]
        gaps = np.zeros(t.size)
        gaps[1:] = (t[1:] - t[:-1]) / 1e6
        # The same float operations as `_coefficient_of_variation`, one gap column at a time.
        total = np.zeros(last.size)
        for j in range(span):
            total = total + gaps[last - span + 1 + j]
        mean = total / span
        squares = np.zeros(last.size)
        for j in range(span):
            deviation = gaps[last - span + 1 + j] - mean
            squares = squares + deviation * deviation
        spread = np.sqrt(squares / span)
        cv = np.zeros(last.size)
        np.divide(spread, mean, out=cv, where=mean > 0)
        regular = cv < self.max_cv
        last, cv = last[regular], cv[regular]
        rows = order[last]
        earlier = frame.click_ids(order[(last[:, None] + np.arange(-span, 0)).ravel()])
        return event_flags(
            frame,
            "click",
            rows,
            "regular_intervals",
            observed=cv,
            threshold=self.max_cv,
            evidence=_tuples(
                tuple(earlier[i * span : (i + 1) * span].tolist()) for i in range(last.size)
            ),
        )

    def _identical(self, frame: Frame, device: IntArray, devices: int, ip: IntArray) -> Flags:
        identity = np.where(device >= 0, device, np.where(ip >= 0, devices + ip, -1))
        busy = _shared_instants(frame.click_ts)
        busy = busy[rows_of_busy_keys(identity[busy], 1)]
        ts = frame.click_ts[busy]
        key = pair_key(identity[busy], frame.click_partner[busy])
        local = stable_order(key, ts)
        order = busy[local]
        k, t = key[local], ts[local]
        positions = np.arange(k.size, dtype=np.int64)
        first = np.ones(k.size, dtype=bool)
        first[1:] = (k[1:] != k[:-1]) | (t[1:] != t[:-1])
        start = np.maximum.accumulate(np.where(first, positions, 0))
        sharing = positions - start + 1
        hit = np.flatnonzero((k >= 0) & (sharing >= 2))
        rows = order[hit]
        return event_flags(
            frame,
            "click",
            rows,
            "identical_timestamps",
            observed=sharing[hit],
            threshold=2.0,
            evidence=_tuples((c,) for c in frame.click_ids(order[start[hit]]).tolist()),
        )

    def stream(self, context: StreamContext) -> Stream:
        """The streaming form: per device and partner, the last clicks' instants."""
        return _BotTimingStream(self)


class _BotTimingStream(Stream):
    __slots__ = (
        "_agents",
        "_expiry",
        "_markers",
        "_max_cv",
        "_recent",
        "_same",
        "_same_at",
        "_size",
        "_window_us",
    )

    def __init__(self, check: BotTiming) -> None:
        self._markers = check._markers
        self._size = check.min_events
        self._max_cv = check.max_cv
        self._window_us = check._window_us
        self._agents: dict[str, str | None] = {}
        # Plain tuples, replaced on each click: the garbage collector stops tracking them,
        # where a deque or list per key would be traversed at every full collection.
        # (device, partner) -> the last min_events - 1 clicks, as (instant, click id)
        self._recent: dict[tuple[str, str], tuple[tuple[int, str], ...]] = {}
        # (instant, key) per click, in time order: keys leave `_recent` as their clicks expire.
        self._expiry: deque[tuple[int, tuple[str, str]]] = deque()
        # (kind, device or IP, partner) -> (clicks so far, first click), at instant `_same_at`
        self._same: dict[tuple[str, str, str], tuple[int, str]] = {}
        self._same_at: int | None = None

    def click(self, event: ClickEvent) -> list[Flag]:
        flags = []
        if event.user_agent is not None:
            markers = self._markers
            marker = _memo(self._agents, event.user_agent, lambda ua: _bot_marker(ua, markers))
            if marker is not None:
                flags.append(self._flag(event, "bot_user_agent", 1.0, 1.0, (marker,)))
        if event.device_id is not None:
            self._forget(event.ts - self._window_us)
            key = (event.device_id, event.partner_id)
            recent = self._recent.get(key, ())
            kept = self._size - 1
            if len(recent) == kept and recent[0][0] > event.ts - self._window_us:
                times = [ts for ts, _ in recent]
                times.append(event.ts)
                gaps = [(b - a) / 1e6 for a, b in pairwise(times)]
                cv = _coefficient_of_variation(gaps)
                if cv < self._max_cv:
                    earlier = tuple(click_id for _, click_id in recent)
                    flags.append(self._flag(event, "regular_intervals", cv, self._max_cv, earlier))
            self._recent[key] = (*recent[len(recent) - kept + 1 :], (event.ts, event.click_id))
            self._expiry.append((event.ts, key))
        identity = (
            ("device", event.device_id)
            if event.device_id is not None
            else ("ip", event.ip)
            if event.ip is not None
            else None
        )
        if identity is not None:
            if event.ts != self._same_at:  # a new instant: the clicks of the last are over
                self._same.clear()
                self._same_at = event.ts
            same_key = (*identity, event.partner_id)
            seen = self._same.get(same_key)
            if seen is None:
                self._same[same_key] = (1, event.click_id)
            else:
                count, first = seen[0] + 1, seen[1]
                self._same[same_key] = (count, first)
                flags.append(self._flag(event, "identical_timestamps", count, 2.0, (first,)))
        return flags

    @staticmethod
    def _flag(
        event: ClickEvent, code: str, observed: float, threshold: float, evidence: tuple[str, ...]
    ) -> Flag:
        return flag(
            "click",
            event.click_id,
            code,
            observed,
            threshold,
            evidence=evidence,
            partner_id=event.partner_id,
        )

    def _forget(self, limit: int) -> None:
        """Drop the keys whose last click is at or before ``limit`` (out of every window)."""
        expiry, recent = self._expiry, self._recent
        while expiry and expiry[0][0] <= limit:
            _, key = expiry.popleft()
            kept = recent.get(key)
            if kept is not None and kept[-1][0] <= limit:
                del recent[key]

    def sweep(self, now: int) -> None:
        self._forget(now - self._window_us)
        if self._same_at is not None and self._same_at < now:
            self._same.clear()

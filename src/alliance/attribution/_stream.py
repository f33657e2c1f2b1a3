"""The matching kernel: touches and orders in one event stream, sorted once.

Every touch and two queries per order (the start of its window, the order itself) become
events keyed by identity, then time. One sort puts each
identity's events together in time order; counting the touches before each query then gives,
per order, the range of touches in its window as positions in the touches' sorted order. Last
click is the end of that range; multi-touch models enumerate it.

The sort is a plain value sort of packed 64-bit keys (identity, coarse time, event index),
which numpy runs several times faster than an argsort; the few events of one identity that
share a coarse time bucket are then put in exact time order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Matches", "enumerate_ranges", "match", "sort_events"]

Int64Array = npt.NDArray[np.int64]

#: Events of one kind: (identity, time, tie). An event's stamp is ``time * 2 + tie``, so at
#: equal times events with tie 0 sort before events with tie 1.
Segment = tuple[Int64Array, Int64Array, int]


def sort_events(segments: Sequence[Segment]) -> Int64Array:
    """The permutation ordering events by identity, then stamp, then position.

    Args:
        segments: Kinds of events, laid end to end: each ``(identity, time, tie)`` with
            non-negative int64 identities, int64 times and a tie of 0 or 1.

    Returns:
        Event positions (in the segments laid end to end) in sorted order; events with equal
        identity and stamp keep their input order.

    Examples:
        >>> import numpy as np
        >>> touches = (np.array([1, 0, 1]), np.array([5, 9, 2]), 0)
        >>> queries = (np.array([0, 1]), np.array([9, 2]), 1)
        >>> sort_events([touches, queries]).tolist()
        [1, 3, 2, 4, 0]
    """
    size = sum(identity.size for identity, _, _ in segments)
    present = [segment for segment in segments if segment[0].size]
    if not present:
        return np.zeros(0, dtype=np.int64)
    low = min(int(time.min()) for _, time, _ in present)
    high = max(int(time.max()) for _, time, _ in present)
    index_bits = max(1, (size - 1).bit_length())
    identity_bits = max(1, max(int(identity.max()) for identity, _, _ in present).bit_length())
    stamp_bits = ((high - low) * 2 + 1).bit_length()
    room = 63 - index_bits - identity_bits
    if room < 2:  # pragma: no cover - needs over 2**30 identities and events
        return np.lexsort(
            (_stamps(segments, low, np.arange(size)), np.concatenate([s[0] for s in segments]))
        ).astype(np.int64)
    shift = max(0, stamp_bits - room)
    # One packed key per event (identity, coarse stamp, position), built in place.
    key = np.empty(size, dtype=np.int64)
    offset = 0
    for identity, time, tie in segments:
        part = key[offset : offset + identity.size]
        offset += identity.size
        np.left_shift(identity, room + index_bits, out=part)
        coarse = time - low
        if shift:  # (2 * t + tie) >> shift, the tie being below the coarse unit
            coarse >>= shift - 1
        else:
            coarse *= 2
            coarse += tie
        coarse <<= index_bits
        part |= coarse
    key |= np.arange(size, dtype=np.int64)
    key.sort()
    order: Int64Array = key & ((1 << index_bits) - 1)
    if shift == 0:
        return order
    # Events of one identity in one coarse bucket are in input order: put them in time order.
    key >>= index_bits
    tied = key[1:] == key[:-1]
    if not tied.any():
        return order
    member = np.zeros(size, dtype=bool)
    member[1:] |= tied
    member[:-1] |= tied
    rows = np.flatnonzero(member)
    picked = order[rows]
    order[rows] = picked[np.lexsort((picked, _stamps(segments, low, picked), key[rows]))]
    return order


def _stamps(segments: Sequence[Segment], low: int, events: npt.NDArray[np.intp]) -> Int64Array:
    """The exact stamps ``(time - low) * 2 + tie`` of some events."""
    stamps = np.empty(events.size, dtype=np.int64)
    offset = 0
    for _, time, tie in segments:
        inside = (events >= offset) & (events < offset + time.size)
        stamps[inside] = (time[events[inside] - offset] - low) * 2 + tie
        offset += time.size
    return stamps


@dataclass(frozen=True, slots=True)
class Matches:
    """Per order, its touches as a range of positions in the touches' sorted order.

    Attributes:
        touch_order: The touches (their indices) sorted by identity, then time, then index.
        low: Per order, the first sorted position in its window.
        high: Per order, one past the last sorted position at or before the order.
        earlier: Per order, whether its identity has a touch at or before the order (in its
            window or not).
    """

    touch_order: Int64Array
    low: Int64Array
    high: Int64Array
    earlier: npt.NDArray[np.bool_]


def match(
    touch_identity: Int64Array,
    touch_ts: Int64Array,
    order_identity: Int64Array,
    order_ts: Int64Array,
    reach: int,
) -> Matches:
    """Find each order's touches: same identity, ``ts <= order ts < ts + reach``.

    Args:
        touch_identity: Identity of each touch, non-negative.
        touch_ts: Time of each touch, µs.
        order_identity: Identity of each order, non-negative.
        order_ts: Time of each order, µs.
        reach: The window, µs (non-negative).

    Returns:
        The ranges; ``low <= high`` for every order.

    Examples:
        >>> import numpy as np
        >>> found = match(np.array([0, 0, 1]), np.array([10, 20, 5]),
        ...               np.array([0, 1]), np.array([25, 5]), reach=10)
        >>> found.touch_order.tolist(), found.low.tolist(), found.high.tolist()
        ([0, 1, 2], [1, 2], [2, 3])
    """
    touches = touch_identity.size
    orders = order_identity.size
    if orders == 0 or touches == 0:
        nothing = np.zeros(orders, dtype=np.int64)
        return Matches(
            np.arange(touches, dtype=np.int64), nothing, nothing, np.zeros(orders, dtype=bool)
        )
    # A window longer than the data reaches every touch: cut it there, so times stay small.
    span = max(int(order_ts.max()) - int(touch_ts.min()) + 1, 0)
    start = order_ts - min(reach, span)
    # A touch at t sorts before a query at t: a touch at the order instant counts, and a touch
    # at the window's start falls before it, outside.
    order = sort_events(
        [(touch_identity, touch_ts, 0), (order_identity, start, 1), (order_identity, order_ts, 1)]
    )
    is_touch = order < touches
    touches_so_far = np.cumsum(is_touch, dtype=np.int64)
    queries = np.flatnonzero(~is_touch)
    counted = np.empty(2 * orders, dtype=np.int64)
    counted[order[queries] - touches] = touches_so_far[queries]
    touch_order = order[is_touch]
    low, high = counted[:orders], counted[orders:]
    last = touch_order[np.maximum(high - 1, 0)]
    earlier = (high > 0) & (touch_identity[last] == order_identity)
    return Matches(touch_order, low, high, earlier)


def enumerate_ranges(low: Int64Array, high: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Every position of each range ``[low, high)``: the range's number and the position.

    Examples:
        >>> import numpy as np
        >>> owner, position = enumerate_ranges(np.array([3, 7, 0]), np.array([5, 7, 1]))
        >>> owner.tolist(), position.tolist()
        ([0, 0, 2], [3, 4, 0])
    """
    counts = high - low
    total = int(counts.sum())
    owner = np.repeat(np.arange(low.size, dtype=np.int64), counts)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(low, counts) + offset

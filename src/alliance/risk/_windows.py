"""Exact sliding-window counts and joins over integer codes and timestamps, in numpy.

Every window here trails its event: the window of an event at ``t`` is ``(t - width, t]``, and
of the events at the very instant ``t`` only those that come earlier in row order (and the
event itself) are in it. That is what a service sees when events arrive in time order, so
`alliance.risk.Screener` can count the same windows one event at a time.

Keys and values are non-negative integer codes; ``-1`` means missing: an event with a missing
key is in no window (its count is 0) and a missing value is never counted as distinct.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "HOUR",
    "SECOND",
    "Instants",
    "KeyGroup",
    "joint_codes",
    "last_at_or_before",
    "pair_key",
    "rows_of_busy_keys",
    "shared_codes",
    "sorted_distinct",
    "stable_order",
    "text_codes",
    "trailing_count",
    "trailing_distinct",
    "with_missing",
]

IntArray: TypeAlias = npt.NDArray[np.int64]
ObjArray: TypeAlias = npt.NDArray[np.object_]

SECOND = 1_000_000
HOUR = 3_600 * SECOND


def pair_key(a: npt.NDArray[np.integer[Any]], b: npt.NDArray[np.integer[Any]]) -> IntArray:
    """One code per pair of codes (``-1`` where either is missing)."""
    left = a.astype(np.int64)
    right = b.astype(np.int64)
    span = int(right.max()) + 1 if right.size else 1
    key: IntArray = left * span + right
    key[(left < 0) | (right < 0)] = -1
    return key


def sorted_distinct(values: IntArray) -> IntArray:
    """The sorted distinct values of an integer array (a sort, faster than hashing here)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def stable_order(
    key: npt.NDArray[np.integer[Any]], ts: npt.NDArray[np.integer[Any]] | None = None
) -> npt.NDArray[np.intp]:
    """Positions sorted by key, then time, then position: ``np.lexsort((ts, key))``, faster.

    When the times never decrease along the positions (tables in time order, the usual
    case), sorting by key and position is the same; key and position then pack into one
    integer, and numpy sorts plain integers several times faster than it sorts positions.

    Examples:
        >>> import numpy as np
        >>> stable_order(np.array([2, 1, 2, 1]), np.array([5, 6, 7, 8])).tolist()
        [1, 3, 0, 2]
        >>> stable_order(np.array([2, 1, 2, 1]), np.array([9, 6, 7, 8])).tolist()
        [1, 3, 2, 0]
    """
    size = key.size
    if size < 2:
        return np.arange(size, dtype=np.intp)
    if ts is not None and not bool(np.all(ts[1:] >= ts[:-1])):
        return np.lexsort((ts, key)).astype(np.intp)
    bits = (size - 1).bit_length()
    low, high = int(key.min()), int(key.max())
    if high - low >= 1 << (62 - bits):  # keys too far apart to pack with the positions
        return np.argsort(key, kind="stable").astype(np.intp)
    packed = (key.astype(np.int64) - low) << bits
    packed |= np.arange(size, dtype=np.int64)
    packed.sort()
    packed &= (1 << bits) - 1
    return packed.astype(np.intp, copy=False)


def _time_order(ts: IntArray) -> npt.NDArray[np.intp]:
    """Positions in time order, ties in position order (no sort when in order already)."""
    if ts.size < 2 or bool(np.all(ts[1:] >= ts[:-1])):
        return np.arange(ts.size, dtype=np.intp)
    return np.argsort(ts, kind="stable").astype(np.intp)


def _merged(
    first_key: IntArray, first_ts: IntArray, second_key: IntArray, second_ts: IntArray
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], IntArray]:
    """Two sets of (key, instant) items in one stable order: key, instant, first set first.

    Returns the order (positions into the concatenation, first set then second), whether each
    sorted item is of the first set, and for each sorted item how many items of the first set
    with its key come before it (itself included when it is of the first set).
    """
    keys = np.concatenate([first_key, second_key])
    second = np.zeros(keys.size, dtype=np.int8)
    second[first_key.size :] = 1
    # Lay both sets out in time order, the first set first at an instant (a merge of two
    # sorted runs); one stable sort by key then gives key, instant, set and row order.
    first_rows, second_rows = _time_order(first_ts), _time_order(second_ts)
    first_sorted, second_sorted = first_ts[first_rows], second_ts[second_rows]
    merged = np.empty(keys.size, dtype=np.intp)
    merged[
        np.searchsorted(second_sorted, first_sorted, side="left") + np.arange(first_key.size)
    ] = first_rows
    merged[
        np.searchsorted(first_sorted, second_sorted, side="right") + np.arange(second_key.size)
    ] = second_rows + first_key.size
    order = merged[stable_order(keys[merged])]
    is_first = second[order] == 0
    sorted_keys = keys[order]
    running = np.cumsum(is_first, dtype=np.int64)
    group_start = np.ones(keys.size, dtype=bool)
    group_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    before_group = np.where(group_start, running - is_first, 0)
    np.maximum.accumulate(before_group, out=before_group)
    return order, is_first, running - before_group


def _pair_order(key: IntArray, value: IntArray) -> npt.NDArray[np.intp]:
    """Positions sorted by key, value and position (codes >= 0)."""
    if key.size == 0:
        return np.empty(0, dtype=np.intp)
    span = int(value.max()) + 1
    if int(key.max()) < (1 << 62) // span:  # one int64 per pair: a one-key sort is faster
        return stable_order(key * span + value)
    return np.lexsort((value, key)).astype(np.intp)  # pragma: no cover - codes past 2**62


class KeyGroup:
    """Orders with a key, in (key, time, row) order: the sort every window of the key shares."""

    __slots__ = ("base", "order", "rank", "size", "z")

    def __init__(self, order: npt.NDArray[np.intp], base: IntArray, rank: IntArray, size: int):
        self.order = order  # rows with a key, sorted by key, time, row
        self.base = base  # key * span, in that order
        self.rank = rank  # rank of each row's instant, in that order
        self.z = base + rank  # sorted
        self.size = size  # rows in the table


class Instants:
    """Exact trailing-window counts over one column of instants, sharing work between calls.

    The engine of `trailing_count` and `trailing_distinct` (window ``(t - width, t]``; at one
    instant only earlier rows): the instants are ranked once, queries run in time order, and
    the sort by key is shared by every width and count of that key.
    """

    def __init__(self, ts: IntArray) -> None:
        size = ts.size
        by_time = np.argsort(ts, kind="stable")
        ordered = ts[by_time]
        new = np.ones(size, dtype=bool)
        new[1:] = ordered[1:] != ordered[:-1]
        self._by_time = by_time
        self._ordered = ordered
        self._distinct = ordered[new]
        self.span = int(self._distinct.size) + 1
        self.rank = np.empty(size, dtype=np.int64)
        self.rank[by_time] = np.cumsum(new) - 1
        self._after: dict[int, IntArray] = {}

    def after(self, width: int) -> IntArray:
        """Per row, how many distinct instants are at or before ``t - width`` (its window start)."""
        found = self._after.get(width)
        if found is None:
            found = np.empty(self.rank.size, dtype=np.int64)
            # Queries in time order: a sorted searchsorted walks memory in order.
            found[self._by_time] = np.searchsorted(
                self._distinct, self._ordered - width, side="right"
            )
            self._after[width] = found
        return found

    def group(self, key: IntArray, *, more_than: int = 0) -> KeyGroup:
        """The rows with a key (>= 0), sorted by key, time and row.

        With ``more_than``, only the rows of keys with more rows than that in all: a check
        that needs more in one window spares itself sorting the rest (their counts read 0).
        """
        rows = np.flatnonzero(key >= 0)
        if more_than > 0 and rows.size:
            totals = np.bincount(key[rows])
            rows = rows[totals[key[rows]] > more_than]
        order = rows[stable_order(key[rows], self.rank[rows])]
        return KeyGroup(order, key[order] * self.span, self.rank[order], key.size)

    def count(self, group: KeyGroup, width: int) -> IntArray:
        """Per row, the rows of its key in its window, itself included (0 without a key)."""
        out = np.zeros(group.size, dtype=np.int64)
        first = np.searchsorted(group.z, group.base + self.after(width)[group.order])
        out[group.order] = np.arange(group.order.size, dtype=np.int64) - first + 1
        return out

    def distinct(self, group: KeyGroup, value: IntArray, width: int) -> IntArray:
        """Per row, the distinct values (>= 0) of its key in its window (0 without a key).

        A value is active for a key from a row carrying it until ``width`` after the last
        such row; rows of a (key, value) pair less than ``width`` apart form one interval.
        The count at a row is the intervals started at or before it less those ended by its
        instant.
        """
        out = np.zeros(group.size, dtype=np.int64)
        after = self.after(width)
        has_value = value[group.order] >= 0
        counted = group.order[has_value]
        key = group.base[has_value]
        values = value[counted]
        # Within a key the rows are in time order already: sorting by (key, value) and
        # position keeps that order among a pair's rows.
        by_pair = _pair_order(key // self.span, values)
        rows, pair_key, pair_value = counted[by_pair], key[by_pair], values[by_pair]
        rank = self.rank[rows]
        same_pair = np.zeros(rows.size, dtype=bool)
        same_pair[1:] = (pair_key[1:] == pair_key[:-1]) & (pair_value[1:] == pair_value[:-1])
        previous = np.full(rows.size, -1, dtype=np.int64)
        previous[1:] = rank[:-1]
        starts = ~same_pair | (previous < after[rows])
        last = np.ones(rows.size, dtype=bool)
        last[:-1] = starts[1:]
        ends = np.sort(pair_key[last] + rank[last])
        start_of_row = np.zeros(group.size, dtype=np.int64)
        start_of_row[rows] = starts
        in_group = start_of_row[group.order]
        cumulative = np.cumsum(in_group)
        group_first = np.ones(group.order.size, dtype=bool)
        group_first[1:] = group.base[1:] != group.base[:-1]
        before = np.maximum.accumulate(np.where(group_first, cumulative - in_group, 0))
        ended = np.searchsorted(ends, group.base + after[group.order])
        ended -= np.searchsorted(ends, group.base)
        out[group.order] = cumulative - before - ended
        return out

    def earlier(self, group: KeyGroup, width: int | None) -> tuple[IntArray, IntArray]:
        """Per row, the rows of its key before it (within ``width``, or ever) and the first.

        Before means earlier in time, or at the same instant and earlier in the table.
        Returns their count (0 without a key) and the row of the earliest (-1 where none).
        """
        count = np.zeros(group.size, dtype=np.int64)
        first = np.full(group.size, -1, dtype=np.int64)
        position = np.arange(group.order.size, dtype=np.int64)
        if width is None:
            group_first = np.ones(group.order.size, dtype=bool)
            group_first[1:] = group.base[1:] != group.base[:-1]
            start = np.maximum.accumulate(np.where(group_first, position, 0))
        else:
            start = np.searchsorted(group.z, group.base + self.after(width)[group.order])
        earlier = position - start
        count[group.order] = earlier
        first[group.order] = np.where(earlier > 0, group.order[start], -1)
        return count, first


def trailing_count(key: IntArray, ts: IntArray, width: int) -> IntArray:
    """How many events of each event's key fall in its trailing window ``(t - width, t]``.

    Args:
        key: Integer code per event (-1: no key).
        ts: Microseconds per event.
        width: Window width in microseconds (> 0).

    Returns:
        The count per event, the event itself included (0 where the key is missing).

    Examples:
        >>> import numpy as np
        >>> trailing_count(np.array([0, 0, 1, 0, 0]), np.array([0, 5, 5, 10, 10]), 10).tolist()
        [1, 2, 1, 2, 3]
    """
    instants = Instants(ts)
    return instants.count(instants.group(key), width)


def trailing_distinct(key: IntArray, value: IntArray, ts: IntArray, width: int) -> IntArray:
    """How many distinct values each event's key has in its trailing window ``(t - width, t]``.

    A value is active for a key from an event carrying it until ``width`` after the last such
    event; runs of a (key, value) pair whose events are less than ``width`` apart merge into
    one interval. The count at an event is the intervals started at or before it (in
    key, time, row order) less those ended by its instant.

    Args:
        key: Integer code per event (-1: no key).
        value: Integer code per event (-1: missing, not counted).
        ts: Microseconds per event.
        width: Window width in microseconds (> 0).

    Returns:
        The number of distinct values per event (0 where the key is missing).

    Examples:
        >>> import numpy as np
        >>> key = np.array([0, 0, 0, 0])
        >>> value = np.array([7, 8, 7, 9])
        >>> trailing_distinct(key, value, np.array([0, 1, 12, 30]), 20).tolist()
        [1, 2, 2, 2]
    """
    instants = Instants(ts)
    return instants.distinct(instants.group(key), value, width)


def last_at_or_before(
    event_key: IntArray, event_ts: IntArray, query_key: IntArray, query_ts: IntArray
) -> IntArray:
    """For each query, the last event of its key at or before its instant (-1 if none).

    Of several events at the same instant the last in row order is taken.

    Examples:
        >>> import numpy as np
        >>> last_at_or_before(np.array([1, 1, 2]), np.array([10, 20, 15]),
        ...                   np.array([1, 1, 2, 3]), np.array([19, 20, 14, 99])).tolist()
        [0, 1, -1, -1]
    """
    out = np.full(query_key.size, -1, dtype=np.int64)
    if event_key.size == 0 or query_key.size == 0:
        return out
    order, is_event, seen = _merged(event_key, event_ts, query_key, query_ts)
    latest = np.where(is_event, np.arange(order.size), -1)
    np.maximum.accumulate(latest, out=latest)
    queries = np.flatnonzero(~is_event)
    found = seen[queries] > 0
    rows = order[queries] - event_key.size
    hits = queries[found]
    out[rows[found]] = order[latest[hits]]
    out[query_key < 0] = -1
    return out


def with_missing(values: npt.NDArray[Any]) -> ObjArray:
    """The values as objects with ``None`` appended, so that code ``-1`` decodes to ``None``."""
    out: ObjArray = np.empty(values.size + 1, dtype=object)
    out[:-1] = values
    return out


def text_codes(values: ObjArray) -> tuple[IntArray, ObjArray]:
    """Codes (-1 for None) and sorted categories of an object array of strings."""
    present = np.array([v is not None for v in values.tolist()], dtype=bool)
    codes = np.full(values.size, -1, dtype=np.int64)
    if not present.any():
        return codes, np.empty(0, dtype=object)
    categories, inverse = np.unique(values[present].astype(str), return_inverse=True)
    codes[present] = inverse
    return codes, categories.astype(object)


def joint_codes(
    *columns: tuple[npt.NDArray[np.integer[Any]], ObjArray],
) -> tuple[list[IntArray], ObjArray]:
    """Re-code several dictionary-encoded columns into one shared, sorted vocabulary.

    Examples:
        >>> import numpy as np
        >>> codes, vocabulary = joint_codes(
        ...     (np.array([0, 1, -1]), np.array(["a", "c"], dtype=object)),
        ...     (np.array([0, 1]), np.array(["b", "c"], dtype=object)),
        ... )
        >>> [c.tolist() for c in codes], vocabulary.tolist()
        ([[0, 2, -1], [1, 2]], ['a', 'b', 'c'])
    """
    if not columns:
        return [], np.empty(0, dtype=object)
    texts = [categories.astype(str) for _, categories in columns]
    common = np.result_type(*texts) if any(t.size for t in texts) else np.dtype("<U1")
    texts = [t.astype(common, copy=False) for t in texts]
    largest = max(range(len(texts)), key=lambda i: texts[i].size)
    base = texts[largest]
    ordered = base.size < 2 or bool(np.all(base[1:] > base[:-1]))
    if not ordered:
        base = np.unique(base)
    others = [t for i, t in enumerate(texts) if i != largest and t.size]
    extra = np.unique(np.concatenate(others)) if others else base[:0]
    position = np.searchsorted(base, extra)
    inside = position < base.size
    inside[inside] = base[position[inside]] == extra[inside]
    missing = extra[~inside]
    words = np.insert(base, np.searchsorted(base, missing), missing) if missing.size else base
    out = []
    for index, ((codes, _), text) in enumerate(zip(columns, texts, strict=True)):
        if index == largest and ordered:
            # Sorted and distinct already: each word moves up by the missing ones before it.
            moved = np.arange(text.size, dtype=np.int64)
            if missing.size:
                moved += np.searchsorted(missing, text)
            lookup = np.append(moved, -1)
        else:
            lookup = np.append(np.searchsorted(words, text).astype(np.int64), -1)
        out.append(lookup[codes.astype(np.int64)])
    vocabulary: ObjArray = words.astype(object)
    return out, vocabulary


def shared_codes(*columns: tuple[npt.NDArray[np.integer[Any]], ObjArray]) -> list[IntArray]:
    """Codes of several encoded columns in one vocabulary, when only equality matters.

    The cheap form of `joint_codes` for large columns (ten million clicks' visitors): the
    largest column keeps its own codes; a word of another column gets the largest column's
    code for it, or a code past its end (in sorted order). Each column's categories must be
    distinct, as a table's are. Categories are sorted already, so
    one stable sort of all of them merges sorted runs in linear time, and only the words of
    the smaller columns are compared with their neighbours.

    Examples:
        >>> import numpy as np
        >>> codes = shared_codes(
        ...     (np.array([0, 1, -1]), np.array(["a", "c"], dtype=object)),
        ...     (np.array([0, 1, 2, 2]), np.array(["b", "c", "d"], dtype=object)),
        ... )
        >>> [c.tolist() for c in codes]
        [[3, 1, -1], [0, 1, 2, 2]]
    """
    if not columns:
        return []
    sizes = [categories.size for _, categories in columns]
    largest = max(range(len(columns)), key=sizes.__getitem__)
    big = sizes[largest]
    # The largest column first: at equal words the stable sort puts its word ahead.
    rest = [i for i in range(len(columns)) if i != largest]
    words = np.concatenate([columns[largest][1]] + [columns[i][1] for i in rest])
    order = np.argsort(words, kind="stable")
    other = np.flatnonzero(order >= big)  # sorted positions of the smaller columns' words
    head = np.ones(words.size, dtype=bool)  # first of its word, in sorted order
    later = other[other > 0]
    head[later] = words[order[later]] != words[order[later - 1]]
    group = (np.cumsum(head) - 1)[other]
    first = order[np.flatnonzero(head)[group]]  # where in `words` each word first is
    new_groups = sorted_distinct(group[first >= big])  # words only the smaller columns have
    code = np.empty(words.size, dtype=np.int64)
    code[order[other]] = np.where(first < big, first, big + np.searchsorted(new_groups, group))
    out: list[IntArray] = [np.empty(0, dtype=np.int64)] * len(columns)
    out[largest] = columns[largest][0].astype(np.int64)
    offset = big
    for i in rest:
        lookup = np.append(code[offset : offset + sizes[i]], -1)
        out[i] = lookup[columns[i][0].astype(np.int64)]
        offset += sizes[i]
    return out


def rows_of_busy_keys(codes: IntArray, more_than: int) -> npt.NDArray[np.intp]:
    """Rows whose code (>= 0) has more than ``more_than`` rows in all, in row order.

    A window never holds more events than its key has in all: a check that needs more than
    ``n`` events in one window can run on these rows alone, with the same result.

    Examples:
        >>> import numpy as np
        >>> rows_of_busy_keys(np.array([3, 1, 3, -1, 3, 1]), 2).tolist()
        [0, 2, 4]
    """
    if codes.size == 0:
        return np.empty(0, dtype=np.intp)
    shifted = codes + 1  # -1 (missing) counts in bucket 0, which is never busy
    busy = np.bincount(shifted) > more_than
    busy[0] = False
    return np.flatnonzero(busy[shifted])  # a gather from bools stays in cache

"""Vectorised kernels behind `Paths`: splitting path strings, grouping identical journeys.

Journeys are stored as CSR: a flat array of integer channel codes and the journeys' lengths.
The kernels here turn a million path strings into that layout without a Python object per
touch, and group identical code sequences exactly (a hash is only ever a hint, confirmed by
comparing the values themselves).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["factorize", "group_sequences", "split_names"]

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]

#: Texts split at once: enough to amortise numpy's calls, few enough for the cache.
_BLOCK = 1 << 14
#: ``_LOW_BYTES[k]`` keeps the low ``k`` bytes of a little-endian word (``k`` = 0 .. 8).
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_MIX = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)


def _sorted_order(keys: npt.NDArray[np.integer]) -> Int64Array:
    """A stable argsort of integer keys.

    Small non-negative keys are packed with their position into one int64 and sorted by
    value, which numpy does several times faster than an argsort.
    """
    size = keys.size
    position_bits = max(size - 1, 1).bit_length()
    if keys.dtype.kind in "iu" and size and int(keys.min()) >= 0:
        largest = int(keys.max())
        if largest.bit_length() + position_bits <= 62:
            packed = keys.astype(np.int64) << position_bits
            packed |= np.arange(size, dtype=np.int64)
            packed.sort()
            packed &= (1 << position_bits) - 1
            return packed
    order: Int64Array = np.argsort(keys, kind="stable").astype(np.int64, copy=False)
    return order


def factorize(keys: npt.NDArray[np.integer]) -> tuple[Int64Array, Int64Array]:
    """Number equal keys by first appearance.

    Returns:
        ``(group, first)``: each key's group, and each group's first position (ascending).
    """
    size = keys.size
    if size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = _sorted_order(keys)
    ordered = keys[order]
    starts = np.empty(size, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first = order[starts]  # stable: each key's first position
    by_appearance = _sorted_order(first)
    rank = np.empty(first.size, dtype=np.int64)
    rank[by_appearance] = np.arange(first.size)
    group = np.empty(size, dtype=np.int64)
    group[order] = rank[np.cumsum(starts) - 1]
    return group, first[by_appearance]


def group_sequences(
    codes: npt.NDArray[np.integer], lengths: Int64Array
) -> tuple[Int64Array, Int64Array]:
    """Group identical code sequences (CSR rows), numbered by first appearance.

    Args:
        codes: Non-negative integer codes, row after row.
        lengths: Each row's number of codes, at least 1.

    Returns:
        ``(group, first)``: each row's group and each group's first row.
    """
    rows = lengths.size
    if rows == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    symbols = int(codes.max()) + 2
    longest = int(lengths.max())
    # Exact when it fits: the row read as a number in base `symbols` (code + 1 per digit, so
    # a shorter row never equals a longer one); else a 64-bit hash, confirmed below.
    exact = longest * np.log2(symbols) < 62
    if exact:
        powers = symbols ** np.arange(longest, dtype=np.int64)
    else:
        powers = np.cumprod(np.full(longest, _MIX[0], dtype=np.uint64))
    keys = np.empty(rows, dtype=np.int64 if exact else np.uint64)
    block = max(1, _BLOCK * 8 // max(longest, 1))
    for begin in range(0, rows, block):
        end = min(rows, begin + block)
        low, high = int(offsets[begin]), int(offsets[end])
        sizes = lengths[begin:end]
        starts = offsets[begin:end] - low
        position = np.arange(high - low, dtype=np.int64)
        position -= np.repeat(starts, sizes)
        digits = codes[low:high].astype(powers.dtype)
        digits += powers.dtype.type(1)
        digits *= powers[position]
        keys[begin:end] = np.add.reduceat(digits, starts)
    if exact:
        return factorize(keys)
    keys ^= lengths.astype(np.uint64) * _MIX[1]
    group, first = factorize(keys)
    # Confirm the hash: every row equals its group's first row, code by code.
    starts = offsets[:-1]
    position = np.arange(codes.size, dtype=np.int64) - np.repeat(starts, lengths)
    representative = np.repeat(starts[first][group], lengths) + position
    if np.array_equal(lengths[first][group], lengths) and np.array_equal(
        codes[representative], codes
    ):
        return group, first
    return _group_exactly(codes, starts, lengths)  # pragma: no cover - a 64-bit collision


def _group_exactly(
    codes: npt.NDArray[np.integer], starts: Int64Array, lengths: Int64Array
) -> tuple[Int64Array, Int64Array]:  # pragma: no cover - only after a hash collision
    seen: dict[tuple[int, ...], int] = {}
    flat = codes.tolist()
    group = [
        seen.setdefault(tuple(flat[s : s + n]), len(seen))
        for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)
    ]
    return factorize(np.array(group, dtype=np.int64))


def split_names(texts: list[str], sep: str) -> tuple[Int64Array, Int32Array, list[str]]:
    """Split path strings into channel names: trimmed, empty names dropped.

    Each text is read as ``[name.strip() for name in text.split(sep)]`` without the empty
    names. The bytes of all texts are cut at once and each distinct raw piece is stripped
    once, in Python, so the result is exactly that expression's.

    Returns:
        ``(lengths, codes, names)``: each text's number of names, the names' codes text after
        text, and the distinct names, in no particular order (codes index them).

    Raises:
        TypeError: A text is not a string (or AttributeError, from the Python fallback).
    """
    index: dict[str, int] = {}
    parts = []
    # Block by block: the arrays of a block stay in the processor's cache.
    for begin in range(0, len(texts), _BLOCK):
        block = texts[begin : begin + _BLOCK]
        found = _split_bytes(block, sep, index)
        parts.append(found if found is not None else _split_python(block, sep, index))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), []
    lengths = np.concatenate([lengths for lengths, _ in parts])
    codes = np.concatenate([codes for _, codes in parts])
    return lengths, codes, list(index)


def _split_python(
    texts: list[str], sep: str, index: dict[str, int]
) -> tuple[Int64Array, Int32Array]:
    """`split_names` in plain Python, adding new names to ``index``."""
    codes: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        before = len(codes)
        codes.extend(
            index.setdefault(name, len(index))
            for name in (part.strip() for part in text.split(sep))
            if name
        )
        lengths[row] = len(codes) - before
    return lengths, np.array(codes, dtype=np.int32)


def _split_bytes(
    texts: list[str], sep: str, index: dict[str, int]
) -> tuple[Int64Array, Int32Array] | None:
    """`split_names` on the UTF-8 bytes of the texts (adding new names to ``index``).

    Returns ``None`` when a text holds a NUL (the byte that ends each text here).
    """
    rows = len(texts)
    # Texts end with a NUL each; seven more pad the buffer for the 8-byte reads below.
    joined = "\x00".join([*texts, "\x00" * 7])
    if len(sep) == 1 and sep.isascii():
        cut = ord(sep)
    elif "\x01" not in joined:
        joined, cut = joined.replace(sep, "\x01"), 1
    else:  # pragma: no cover - a multi-character separator and \x01 in the text
        return None
    try:
        encoded = joined.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    del joined
    size = len(encoded) - 8
    body = np.frombuffer(encoded, dtype=np.uint8, count=size)
    flags = body == cut
    flags |= body == 0
    cuts = np.flatnonzero(flags)
    del flags
    row_ends = np.flatnonzero(body[cuts] == 0)
    if row_ends.size != rows - 1:
        return None  # a NUL inside a text
    pieces = cuts.size + 1
    starts = np.empty(pieces, dtype=np.int64)
    starts[0] = 0
    np.add(cuts, 1, out=starts[1:])
    width = np.empty(pieces, dtype=np.int64)
    np.subtract(cuts, starts[:-1], out=width[:-1])
    width[-1] = size - starts[-1]
    del cuts
    # A piece's bytes as little-endian words, zero-padded: no piece holds a NUL, so equal
    # words are equal pieces.
    words_at = np.ndarray((size + 1,), dtype="<u8", buffer=encoded, strides=(1,))
    chunks = []
    left = np.empty(pieces, dtype=np.int64)
    for chunk in range((int(width.max()) + 7) // 8):
        if chunk == 0:
            word = words_at[starts]
            np.minimum(width, 8, out=left)
        else:
            at = starts + 8 * chunk
            np.minimum(at, size, out=at)
            word = words_at[at]
            np.subtract(width, 8 * chunk, out=left)
            np.clip(left, 0, 8, out=left)
        word &= _LOW_BYTES[left]
        chunks.append(word)
    del starts, width, left
    piece_ids, words = _identify(chunks)
    # Each distinct raw piece is stripped once; pieces of only whitespace are dropped.
    raw_pieces = [
        b"".join(int(w).to_bytes(8, "little") for w in piece).rstrip(b"\x00").decode("utf-8")
        for piece in words.tolist()
    ]
    code_of_piece = np.array(
        [index.setdefault(name, len(index)) if name else -1 for name in map(str.strip, raw_pieces)],
        dtype=np.int32,
    )
    codes = code_of_piece[piece_ids]
    row_starts = np.empty(rows, dtype=np.int64)
    row_starts[0] = 0
    np.add(row_ends, 1, out=row_starts[1:])
    if (code_of_piece >= 0).all():
        return np.diff(np.append(row_starts, pieces)), codes
    kept = codes >= 0
    lengths = np.add.reduceat(kept.view(np.int8), row_starts, dtype=np.int64)
    return lengths, codes[kept]


def _identify(chunks: list[npt.NDArray[np.uint64]]) -> tuple[Int64Array, npt.NDArray[np.uint64]]:
    """An id per distinct piece (by its words), exact, and each id's words.

    Pieces are hashed into a small table of words; a slot whose pieces all equal the words
    stored there is resolved. Clashing slots go round again in a larger table, and what
    still clashes after that is sorted.

    Returns:
        ``(ids, words)``: each piece's id, and per id its words (one row per id).
    """
    size = chunks[0].size
    mixed = chunks[0] * _MIX[0]
    for number, word in enumerate(chunks[1:], start=1):
        mixed ^= word * _MIX[number % 3]
        mixed ^= mixed >> np.uint64(29)
    ids = np.full(size, -1, dtype=np.int64)
    pending: Int64Array | None = None  # None: every piece
    found: list[npt.NDArray[np.uint64]] = []
    assigned = 0
    for attempt, bits in enumerate((12, 16, 20)):
        selected = chunks if pending is None else [word[pending] for word in chunks]
        key = mixed * _MIX[attempt] if pending is None else mixed[pending] * _MIX[attempt]
        key >>= np.uint64(64 - bits)
        slot = key.view(np.int64)
        tables = [np.zeros(1 << bits, dtype=np.uint64) for _ in selected]
        same = np.ones(slot.size, dtype=bool)
        for table, word in zip(tables, selected, strict=True):
            table[slot] = word  # one piece per slot stands for the slot
            same &= table[slot] == word
        if same.all():
            resolved = None
            used = np.zeros(1 << bits, dtype=bool)
            used[slot] = True
        else:
            clash = np.zeros(1 << bits, dtype=bool)
            clash[slot[~same]] = True
            resolved = ~clash[slot]
            used = np.zeros(1 << bits, dtype=bool)
            used[slot[resolved]] = True
        id_of_slot = np.cumsum(used) - 1 + assigned
        occupied = np.flatnonzero(used)
        found.append(np.stack([table[occupied] for table in tables], axis=1))
        assigned += occupied.size
        if resolved is None:
            if pending is None:
                return id_of_slot[slot], np.concatenate(found)
            ids[pending] = id_of_slot[slot]
            return ids, np.concatenate(found)
        if pending is None:
            pending = np.flatnonzero(resolved)
            ids[pending] = id_of_slot[slot[resolved]]
            pending = np.flatnonzero(~resolved)
        else:
            ids[pending[resolved]] = id_of_slot[slot[resolved]]
            pending = pending[~resolved]
    if pending is None:  # pragma: no cover - the loop returns or sets it
        raise AssertionError("unreachable")
    columns = [word[pending] for word in chunks]
    order = np.lexsort(columns[::-1])
    differs = np.zeros(order.size, dtype=bool)
    differs[0] = True
    for column in columns:
        ordered = column[order]
        differs[1:] |= ordered[1:] != ordered[:-1]
    ids[pending[order]] = np.cumsum(differs) - 1 + assigned
    firsts = order[differs]
    found.append(np.stack([column[firsts] for column in columns], axis=1))
    return ids, np.concatenate(found)

"""Tables straight from numpy columns: the generator's fast path into `alliance` tables.

The public readers (``from_records``, ``from_frame``) parse every cell, which is right for
outside data and far too slow for ten million generated clicks (``Clicks.from_records`` takes
about 19 s for a million rows, before building the million dictionaries it reads). The
generator's columns are valid by construction, so they are stored directly: integer codes into
sorted categories, int64 minor units, int64 microseconds, exactly the layout the readers
produce. ``tests/test_datasets.py`` holds this path to the readers: each generated table read
back through ``from_records`` must give the same columns, codes and categories.

This module leans on the tables' private storage (`Stored`, the ``Table`` constructor); a public
columnar constructor on `Table` would replace it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from alliance._columns import ENCODED, Stored
from alliance._fields import ColumnKind
from alliance._tables import Table

__all__ = ["LabelMaker", "Labels", "build_table", "fixed_text"]

T = TypeVar("T", bound=Table)
LabelMaker = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.object_]]


@dataclass(frozen=True, slots=True)
class Labels:
    """A text column given as integer codes and the text of each code.

    Attributes:
        codes: One code per row, -1 where the cell is missing.
        labels: The text of every code (an object array of ``str``), or a function that gives
            the text of the codes it is passed, so that only the codes in use are formatted.
            Distinct codes must have distinct text.
    """

    codes: npt.NDArray[np.integer[Any]]
    labels: npt.NDArray[np.object_] | LabelMaker

    @classmethod
    def of(cls, codes: npt.NDArray[np.integer[Any]], vocabulary: tuple[str, ...]) -> Labels:
        """Codes into a fixed vocabulary."""
        return cls(codes, np.array(vocabulary, dtype=object))


def fixed_text(size: int, *parts: str | tuple[npt.NDArray[np.integer[Any]], int]) -> Any:
    """Fixed-width ASCII text per row, from literal text and zero-padded numbers.

    A part is either literal text, the same on every row, or ``(numbers, digits)``: one
    non-negative integer per row written with exactly ``digits`` digits. Because every row has
    the same width, text order is the order of the numbers. Writing digits into a byte matrix
    is several times faster than formatting ten million strings one by one.

    Returns:
        An object array of ``str``.

    Examples:
        >>> fixed_text(2, "C", (np.array([7, 42]), 3)).tolist()
        ['C007', 'C042']
    """
    width = sum(len(part) if isinstance(part, str) else part[1] for part in parts)
    buffer = np.empty((size, width), dtype=np.uint8)
    column = 0
    for part in parts:
        if isinstance(part, str):
            buffer[:, column : column + len(part)] = np.frombuffer(part.encode("ascii"), np.uint8)
            column += len(part)
            continue
        numbers, digits = part
        value = np.asarray(numbers, dtype=np.int64).copy()
        if value.size and (int(value.min()) < 0 or int(value.max()) >= 10**digits):
            raise ValueError(f"numbers must be non-negative and fit in {digits} digits")
        for position in range(column + digits - 1, column - 1, -1):
            buffer[:, position] = value % 10 + 48
            value //= 10
        column += digits
    text = buffer.view(f"S{max(width, 1)}").reshape(size) if width else np.zeros(size, "S1")
    return text.astype(f"U{max(width, 1)}").astype(object)


def _encode(kind: ColumnKind, given: Labels, size: int) -> Stored:
    codes = np.asarray(given.codes, dtype=np.int64)
    if codes.shape != (size,):
        raise ValueError(f"expected {size} codes, got shape {codes.shape}")
    present = codes >= 0
    top = int(codes.max()) + 1 if size else 0
    used = np.zeros(max(top, 0), dtype=bool)
    used[codes[present]] = True
    kept = np.flatnonzero(used).astype(np.int64)
    labels = given.labels
    text = labels(kept) if callable(labels) else labels[kept]
    remap = np.full(max(top, 0) + 1, -1, dtype=np.int64)  # the last slot maps code -1 to -1
    if text.size > 1 and not bool(np.all(text[1:] > text[:-1])):
        categories, rank = np.unique(text, return_inverse=True)
        remap[kept] = rank.reshape(-1)
    else:
        categories = text
        remap[kept] = np.arange(kept.size)
    stored_codes = remap[codes].astype(np.int32)
    missing = ~present
    return Stored(
        kind,
        stored_codes,
        np.asarray(categories, dtype=object),
        missing if missing.any() else None,
    )


def _absent(kind: ColumnKind, default: Any, size: int) -> Stored:
    """A column the generator leaves empty, stored as the readers store an absent column."""
    everything = np.ones(size, dtype=bool) if size else None
    if kind in ENCODED:
        if default is not None and size:
            return Stored(kind, np.zeros(size, np.int32), np.array([default], dtype=object))
        return Stored(kind, np.full(size, -1, np.int32), np.array([], dtype=object), everything)
    if kind is ColumnKind.TAGS:
        values = np.empty(size, dtype=object)
        values[:] = [()] * size
        return Stored(kind, values)
    if kind is ColumnKind.INT and default is not None:
        return Stored(kind, np.full(size, default, np.int64))
    if kind is ColumnKind.BOOL:
        return Stored(kind, np.full(size, -1, np.int8), None, everything)
    if kind is ColumnKind.RATIO:
        return Stored(kind, np.full(size, np.nan), None, everything)
    return Stored(kind, np.zeros(size, np.int64), None, everything)


def _plain(
    kind: ColumnKind, values: npt.NDArray[Any], missing: npt.NDArray[np.bool_] | None
) -> Stored:
    if kind is ColumnKind.BOOL:
        flags = values.astype(np.int8)
        unknown = flags < 0
        return Stored(kind, flags, None, unknown if unknown.any() else None)
    if kind is ColumnKind.RATIO:
        ratios = values.astype(np.float64)
        unknown = np.isnan(ratios)
        return Stored(kind, ratios, None, unknown if unknown.any() else None)
    if kind is ColumnKind.TAGS:
        return Stored(kind, values)
    numbers = values.astype(np.int64)
    if missing is not None and missing.any():
        numbers = np.where(missing, 0, numbers)
        return Stored(kind, numbers, None, missing)
    return Stored(kind, numbers)


def build_table(
    cls: type[T],
    size: int,
    columns: Mapping[str, Labels | npt.NDArray[Any]],
    *,
    missing: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    extras: Mapping[str, npt.NDArray[Any]] | None = None,
) -> T:
    """A table of `cls` from generated columns; model columns not given are left empty.

    Args:
        cls: The table class.
        size: Row count.
        columns: Text columns as `Labels`; money as int64 minor units; timestamps as int64
            microseconds (UTC); flags as int8 (-1 unknown); ratios as float64 (NaN missing).
        missing: Where a money, timestamp or count cell is missing.
        extras: Extra columns kept beside the model's (object arrays, ``None`` missing).
    """
    unknown = set(columns) - {spec.name for spec in cls.specs}
    if unknown:
        raise ValueError(f"{cls.__name__} has no columns {sorted(unknown)}")
    stored: dict[str, Stored] = {}
    for spec in cls.specs:
        given = columns.get(spec.name)
        if given is None:
            stored[spec.name] = _absent(spec.kind, spec.default, size)
        elif isinstance(given, Labels):
            stored[spec.name] = _encode(spec.kind, given, size)
        else:
            if given.shape != (size,):
                raise ValueError(f"{spec.name}: expected {size} values, got {given.shape}")
            stored[spec.name] = _plain(spec.kind, given, (missing or {}).get(spec.name))
    return cls(stored, size, dict(extras or {}))

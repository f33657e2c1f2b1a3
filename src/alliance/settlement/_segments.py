"""A compact binary form of `Movements`: how a ledger store keeps one batch of them.

The data starts with a fixed prefix: the magic bytes ``ALMOVES`` and a NUL, then the length of
the header and a CRC-32 of everything after the prefix (both unsigned 32-bit little-endian).
The header is UTF-8 JSON: the format name and version, the number of rows, and for each
column how it is encoded and where its buffers lie in the body that follows (``[offset,
length]`` in bytes, counted from the start of the body). Nothing is evaluated or unpickled on
the way back: the buffers are read as numbers and UTF-8 text, and every range, count and code
is checked first.

Column encodings:

* ``int``: the integers as raw little-endian bytes, in the narrowest of int8, int16, int32
  and int64 that holds them all (``dtype``); read back as int64. A column of one value keeps
  just that ``value``.
* ``bool``: the flags packed eight to a byte, first row in the lowest bit (``data``); or
  their one ``value``.
* ``text``: the strings joined with NUL and UTF-8 encoded (``data``, ``count`` strings),
  after a presence mask packed like flags (``mask``, for ``rows`` values) when some values
  are ``None``. Text never contains NUL (the library refuses it in ids and names), and what
  does is refused.
* ``codes``: an unsigned code per row (``dtype``: uint8, uint16 or uint32) into
  ``categories``, a ``text`` encoding of the column's distinct values.
* ``shared``: a column that has one value per transaction (the kind, the partner …): it
  reuses the codes of ``txn_id`` and keeps one value per transaction in ``categories``.
* ``constant``: every row holds ``value`` (a string, or ``null`` for ``None``).

``txn_id`` is always coded. Each other text column is encoded the cheapest way its content
allows: constant, shared, text when mostly ``None``, codes when its first rows repeat values
enough, text otherwise. Decoding a coded or shared column builds each distinct string once.

Examples:
    >>> data = encode(Movements.empty())
    >>> data[:7], len(decode(data))
    (b'ALMOVES', 0)
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance.errors import SettlementError
from alliance.settlement._ledger import Factorized, Movements, factorize

__all__ = ["FORMAT_VERSION", "Factorized", "decode", "encode", "factorize"]

#: Version of the layout, written in every header; other versions are refused.
FORMAT_VERSION = 1

_MAGIC = b"ALMOVES\x00"
_PREFIX = struct.Struct("<8sII")  # magic, header length, CRC-32 of header and body
_FORMAT = "alliance.movements"
_KEY = "txn_id"
_INT_TYPES = ("i1", "<i2", "<i4", "<i8")
_CODE_TYPES = ("u1", "<u2", "<u4")
#: Rows sampled to choose a text column's encoding before the whole column is checked.
_SAMPLE = 1024
#: Rows looked at before deciding whether a text column is worth coding.
_PROBE = 1 << 16
#: A probed prefix with more distinct values than a quarter of its rows is kept as text.
_REPEATS = 4
_SEPARATOR = "\x00"
#: Strings listed and joined at a time (see `_joined`).
_JOIN_CHUNK = 4096
_NONE = np.array(None, dtype=object)
_UTF8 = "utf-8"
#: Lone surrogates are legal in a Python string: they round-trip instead of failing.
_ERRORS = "surrogatepass"

_Put = Callable[[Any], list[int]]


# -- encoding -------------------------------------------------------------------------------


def encode(movements: Movements, *, txns: Factorized | None = None) -> bytes:
    """The movements as bytes that `decode` reads back.

    Args:
        movements: One batch of movements.
        txns: ``factorize(movements["txn_id"])``, when the caller has it already (it is
            taken as given).

    Returns:
        The encoded batch: a header and the column buffers.

    Raises:
        TypeError: `movements` is not `Movements`.
        SettlementError: A text column holds something other than a string or ``None``, or
            a string with the NUL character.

    Examples:
        >>> moved = Movements({name: [] for name in Movements.COLUMNS})
        >>> decode(encode(moved)) == moved
        True
    """
    if not isinstance(movements, Movements):
        raise TypeError(f"movements must be Movements, got {type(movements).__name__}")
    buffers: list[memoryview] = []
    size = 0

    def put(buffer: Any) -> list[int]:
        nonlocal size
        view = memoryview(buffer).cast("B")
        buffers.append(view)
        start, size = size, size + view.nbytes
        return [start, view.nbytes]

    key = movements._txn_codes() if txns is None else txns
    columns: dict[str, dict[str, Any]] = {}
    for name in Movements.COLUMNS:
        values = movements[name]
        if name in Movements.INTEGERS:
            columns[name] = _encode_ints(values, put)
        elif name in Movements.FLAGS:
            columns[name] = _encode_flags(values, put)
        elif name == _KEY:
            columns[name] = _encode_codes(name, key[0], list(key[1]), put)
        else:
            columns[name] = _encode_text_column(name, values, key, put)
    header = json.dumps(
        {"format": _FORMAT, "version": FORMAT_VERSION, "rows": len(movements), "columns": columns},
        separators=(",", ":"),
    ).encode(_UTF8)
    checksum = zlib.crc32(header)
    for buffer in buffers:
        checksum = zlib.crc32(buffer, checksum)
    return b"".join([_PREFIX.pack(_MAGIC, len(header), checksum), header, *buffers])


def _encode_ints(values: npt.NDArray[np.int64], put: _Put) -> dict[str, Any]:
    """An int64 column in the narrowest integer type that holds it, or its one value."""
    dtype = _INT_TYPES[-1]
    if values.size:
        low, high = int(values.min()), int(values.max())
        if low == high:
            return {"type": "int", "value": low}
        dtype = next(t for t in _INT_TYPES if _fits(low, high, np.dtype(t)))
    data = np.ascontiguousarray(values.astype(dtype, copy=False))
    return {"type": "int", "dtype": dtype, "data": put(data)}


def _encode_flags(values: npt.NDArray[np.bool_], put: _Put) -> dict[str, Any]:
    """A bool column packed eight flags to a byte, or its one value."""
    if values.size and (values.all() or not values.any()):
        return {"type": "bool", "value": bool(values[0])}
    return {"type": "bool", "data": put(_bits(values))}


def _bits(values: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint8]:
    return np.packbits(values, bitorder="little")


def _fits(low: int, high: int, dtype: np.dtype[Any]) -> bool:
    info = np.iinfo(dtype)
    return info.min <= low and high <= info.max


def _encode_codes(
    name: str, codes: npt.NDArray[np.intp], categories: list[Any], put: _Put
) -> dict[str, Any]:
    dtype = next(t for t in _CODE_TYPES if len(categories) - 1 <= np.iinfo(t).max)
    return {
        "type": "codes",
        "dtype": dtype,
        "codes": put(codes.astype(dtype)),
        "categories": _encode_text(name, categories, put),
    }


def _encode_text_column(
    name: str, values: npt.NDArray[Any], key: Factorized, put: _Put
) -> dict[str, Any]:
    """A text column in the cheapest encoding its content allows."""
    rows = values.size
    if not rows:
        return _encode_text(name, [], put)
    sample = values[:: max(1, rows // _SAMPLE)].tolist()
    first = sample[0]
    if (first is None or isinstance(first, str)) and _constant(values, sample, first):
        if first is not None:
            _refuse_nul(name, first)
        return {"type": "constant", "value": None if first is None else str(first)}
    codes, _, txn_first = key
    if _shared(values, codes, txn_first):
        return {"type": "shared", "categories": _encode_text(name, values[txn_first].tolist(), put)}
    if sample.count(None) * 2 <= len(sample):
        coded = _factorize(values)
        if coded is not None:
            return _encode_codes(name, *coded, put)
    return _encode_text(name, values, put)


def _constant(values: npt.NDArray[Any], sample: list[Any], first: Any) -> bool:
    """Whether every value equals ``first`` (the sample is tried before the whole column)."""
    if sample.count(first) != len(sample):
        return False
    if all(value is first for value in sample):  # one object throughout, most likely
        items: list[Any] = values.tolist()
        return items.count(first) == len(items)  # compares identity first: fast
    return bool(np.equal(values, np.array(first, dtype=object)).all())


def _shared(
    values: npt.NDArray[Any], codes: npt.NDArray[np.intp], txn_first: npt.NDArray[np.intp]
) -> bool:
    """Whether every row holds the value of its transaction's first row."""
    per_txn = values[txn_first]
    sample = slice(None, None, max(1, values.size // _SAMPLE))
    if not np.equal(values[sample], per_txn[codes[sample]]).all():
        return False
    return bool(np.equal(values, per_txn[codes]).all())


def _factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], list[Any]] | None:
    """Dense codes (in order of first appearance) and the distinct values, if few enough.

    ``None`` when the first rows hold too many distinct values for codes to pay off.
    """
    rows = values.size
    firsts: dict[Any, int] = {}
    seen = np.empty(rows, dtype=np.intp)
    probe = min(rows, _PROBE)
    try:
        seen[:probe] = np.fromiter(
            map(firsts.setdefault, values[:probe].tolist(), range(probe)), np.intp, probe
        )
        if len(firsts) * _REPEATS > probe:
            return None
        seen[probe:] = np.fromiter(
            map(firsts.setdefault, values[probe:].tolist(), range(probe, rows)),
            np.intp,
            rows - probe,
        )
    except TypeError:  # an unhashable item: refused with the others that are not text
        return None
    position = np.empty(rows, dtype=np.intp)
    position[np.fromiter(firsts.values(), np.intp, len(firsts))] = np.arange(len(firsts))
    return position[seen], list(firsts)


def _encode_text(name: str, values: list[Any] | npt.NDArray[Any], put: _Put) -> dict[str, Any]:
    """Strings joined with NUL, after a presence mask when some are ``None``.

    Args:
        name: The column, for errors.
        values: The values, as a list or an object array.
        put: Adds a buffer to the body and returns its range.
    """
    spec: dict[str, Any] = {"type": "text"}
    present: list[Any] | npt.NDArray[Any] = values
    try:
        joined = _SEPARATOR.join(values) if isinstance(values, list) else _joined(values)
    except TypeError:
        if isinstance(values, np.ndarray):
            present_rows = np.not_equal(values, _NONE)
            present = values[present_rows].tolist()
        else:
            present_rows = np.fromiter((v is not None for v in values), bool, len(values))
            present = [v for v in values if v is not None]
        spec["rows"] = present_rows.size
        spec["mask"] = put(_bits(present_rows))
        try:
            joined = _SEPARATOR.join(present)
        except TypeError:
            wrong = next(v for v in present if not isinstance(v, str))
            raise SettlementError(
                f"movement column {name!r} holds {type(wrong).__name__} {wrong!r}; "
                "text columns hold strings or None"
            ) from None
    data = joined.encode(_UTF8, _ERRORS)
    if len(present) and data.count(0) != len(present) - 1:
        _refuse_nul(name, next(v for v in present if _SEPARATOR in v))
    spec["count"] = len(present)
    spec["data"] = put(data)
    return spec


def _joined(values: npt.NDArray[Any]) -> str:
    """The strings of `values` joined with NUL (`TypeError` when one is not a string).

    A chunk at a time: joining reads each string right after listing the chunk touched it,
    while it is still in the processor's cache.
    """
    chunks = range(0, values.size, _JOIN_CHUNK)
    return _SEPARATOR.join([_SEPARATOR.join(values[i : i + _JOIN_CHUNK].tolist()) for i in chunks])


def _refuse_nul(name: str, value: str) -> None:
    if _SEPARATOR in value:
        raise SettlementError(
            f"movement column {name!r} holds {value!r}: text must not contain the NUL "
            "character (\\x00)"
        )


# -- decoding -------------------------------------------------------------------------------


class _Corrupt(Exception):
    """Why the data cannot be movements; turned into a `SettlementError`."""


def decode(data: bytes) -> Movements:
    """The movements that `encode` wrote.

    Args:
        data: What `encode` returned.

    Returns:
        The movements, with columns of their own (they do not refer to `data`).

    Raises:
        SettlementError: `data` is not encoded movements, is damaged, or is of another
            format version.
    """
    view = memoryview(data).cast("B")
    if view.nbytes < _PREFIX.size or bytes(view[: len(_MAGIC)]) != _MAGIC:
        raise SettlementError("the data is not encoded movements (no ALMOVES header)")
    _, header_size, checksum = _PREFIX.unpack(view[: _PREFIX.size])
    start = _PREFIX.size + header_size
    try:
        if start > view.nbytes:
            raise _Corrupt("the header runs past the end")
        if zlib.crc32(view[_PREFIX.size :]) != checksum:
            raise _Corrupt("the checksum does not match")
        header = _header(view[_PREFIX.size : start])
        reader = _Reader(header["rows"], header["columns"], view[start:])
        return Movements({name: reader.column(name) for name in Movements.COLUMNS})
    except _Corrupt as exc:
        raise SettlementError(f"the encoded movements are damaged: {exc}") from None


def _header(raw: memoryview) -> dict[str, Any]:
    try:
        header = json.loads(str(raw, _UTF8))
    except (UnicodeDecodeError, ValueError):
        raise _Corrupt("the header is not JSON") from None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise _Corrupt("the header does not describe movements")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise SettlementError(
            f"the movements are encoded in format version {version!r}; this version of "
            f"alliance reads version {FORMAT_VERSION}"
        )
    columns = header.get("columns")
    if not _count(header.get("rows")) or not isinstance(columns, dict):
        raise _Corrupt("the header has no row count or no columns")
    if set(columns) != set(Movements.COLUMNS) or not all(
        isinstance(spec, dict) for spec in columns.values()
    ):
        raise _Corrupt(f"the columns are {sorted(columns)}")
    return header


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Reader:
    """Reads the columns of one batch, checking every range, count and code."""

    def __init__(self, rows: int, columns: dict[str, dict[str, Any]], body: memoryview) -> None:
        self.rows = rows
        self.columns = columns
        self.body = body
        self.key: npt.NDArray[np.intp] | None = None  # the codes of txn_id

    def column(self, name: str) -> npt.NDArray[Any]:
        spec = self.columns[name]
        kind = spec.get("type")
        if name in Movements.INTEGERS:
            if kind != "int":
                raise _Corrupt(f"column {name!r} is not encoded as integers")
            if "value" in spec:
                return self.constant(name, spec, int, np.int64)
            if spec.get("dtype") not in _INT_TYPES:
                raise _Corrupt(f"column {name!r} has integers of an unknown type")
            return self.numbers(spec, "data", np.dtype(spec["dtype"]), self.rows).astype(np.int64)
        if name in Movements.FLAGS:
            if kind != "bool":
                raise _Corrupt(f"column {name!r} is not encoded as flags")
            if "value" in spec:
                return self.constant(name, spec, bool, np.bool_)
            return self.flags(spec, "data", self.rows)
        if name == _KEY:
            if kind != "codes":
                raise _Corrupt(f"column {name!r} is not coded")
            self.key = self.codes(name, spec)
            return self.categories(name, spec, self.key)
        if kind == "constant":
            value = spec.get("value")
            if value is not None and not isinstance(value, str):
                raise _Corrupt(f"column {name!r} has a constant that is not text")
            values = np.empty(self.rows, dtype=object)
            values.fill(value)
            return values
        if kind == "codes":
            return self.categories(name, spec, self.codes(name, spec))
        if kind == "shared" and self.key is not None:
            return self.categories(name, spec, self.key)
        if kind == "text":
            return self.text(name, spec, self.rows)
        raise _Corrupt(f"column {name!r} has an unknown encoding {kind!r}")

    def codes(self, name: str, spec: dict[str, Any]) -> npt.NDArray[np.intp]:
        if spec.get("dtype") not in _CODE_TYPES:
            raise _Corrupt(f"column {name!r} has malformed codes")
        codes = self.numbers(spec, "codes", np.dtype(spec["dtype"]), self.rows)
        return codes.astype(np.intp)

    def categories(
        self, name: str, spec: dict[str, Any], codes: npt.NDArray[np.intp]
    ) -> npt.NDArray[Any]:
        """The column from the codes of each row into its ``categories``."""
        categories = spec.get("categories")
        if not isinstance(categories, dict) or categories.get("type") != "text":
            raise _Corrupt(f"column {name!r} has malformed categories")
        size: Any = categories.get("rows", categories.get("count"))
        if not _count(size):
            raise _Corrupt(f"column {name!r} has no count of values")
        distinct = self.text(name, categories, size)
        if codes.size and int(codes.max()) >= size:
            raise _Corrupt(f"column {name!r} has a code beyond its {size} values")
        return distinct[codes]

    def span(self, spec: dict[str, Any], key: str) -> tuple[int, int]:
        where = spec.get(key)
        if (
            not isinstance(where, list)
            or len(where) != 2
            or not all(_count(v) for v in where)
            or where[0] + where[1] > self.body.nbytes
        ):
            raise _Corrupt(f"buffer {key!r} lies outside the data")
        return where[0], where[1]

    def numbers(
        self, spec: dict[str, Any], key: str, dtype: np.dtype[Any], rows: int
    ) -> npt.NDArray[Any]:
        offset, length = self.span(spec, key)
        if length != rows * dtype.itemsize:
            raise _Corrupt(f"buffer {key!r} holds {length} bytes, not {rows * dtype.itemsize}")
        return np.frombuffer(self.body, dtype=dtype, count=rows, offset=offset)

    def constant(
        self, name: str, spec: dict[str, Any], kind: type[Any], dtype: type[np.generic]
    ) -> npt.NDArray[Any]:
        value = spec["value"]
        if type(value) is not kind:
            raise _Corrupt(f"column {name!r} has a constant that is not {kind.__name__}")
        try:
            return np.full(self.rows, value, dtype=dtype)
        except OverflowError:
            raise _Corrupt(f"column {name!r} has a constant beyond 64 bits") from None

    def flags(self, spec: dict[str, Any], key: str, rows: int) -> npt.NDArray[np.bool_]:
        raw = self.numbers(spec, key, np.dtype(np.uint8), (rows + 7) // 8)
        bits = np.unpackbits(raw, bitorder="little")
        if bits[rows:].any():
            raise _Corrupt(f"buffer {key!r} has flags past its {rows} rows")
        return bits[:rows].astype(bool)

    def text(self, name: str, spec: dict[str, Any], rows: int) -> npt.NDArray[Any]:
        count = spec.get("count")
        if not _count(count):
            raise _Corrupt(f"column {name!r} has no string count")
        offset, length = self.span(spec, "data")
        present: npt.NDArray[np.bool_] | None = None
        if "mask" in spec:
            if spec.get("rows") != rows:
                raise _Corrupt(f"column {name!r} has a mask that is not for {rows} values")
            present = self.flags(spec, "mask", rows)
            if int(np.count_nonzero(present)) != count:
                raise _Corrupt(f"column {name!r} has a mask that disagrees with its strings")
        elif count != rows:
            raise _Corrupt(f"column {name!r} holds {count} strings for {rows} rows")
        try:
            text = str(self.body[offset : offset + length], _UTF8, _ERRORS)
        except UnicodeDecodeError:
            raise _Corrupt(f"column {name!r} is not UTF-8 text") from None
        strings = text.split(_SEPARATOR) if count else []
        if len(strings) != count or (not count and length):
            raise _Corrupt(f"column {name!r} holds {len(strings)} strings, not {count}")
        if present is None:
            return np.fromiter(strings, dtype=object, count=rows)
        values = np.empty(rows, dtype=object)
        values[present] = strings
        return values

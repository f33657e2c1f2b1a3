"""Journeys of channels for path-level attribution, stored column-wise.

`Paths` holds one row per journey (or per distinct journey, with counts): the channel codes of
all journeys in one flat array with each journey's offset into it, and per row the number of
conversions, of non-converting journeys ("nulls") and the conversion value. The path-level
models (`heuristics`, `markov`, `shapley`) read it; `ChannelCredits` is the table they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._tables import Orders, Touchpoints
from alliance.attribution._journeys import journeys
from alliance.attribution._rules import int64_vector
from alliance.attribution._sequences import group_sequences, split_names
from alliance.errors import DataError, Problem

__all__ = ["ChannelCredits", "Paths", "take_rows"]

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

_MICROSECOND = timedelta(microseconds=1)


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.flags.writeable = False
    return array


def take_rows(
    codes: npt.NDArray[np.integer[Any]], offsets: Int64Array, rows: Int64Array
) -> npt.NDArray[np.integer[Any]]:
    """The codes of the given CSR rows, one after the other."""
    lengths = offsets[rows + 1] - offsets[rows]
    index = np.arange(int(lengths.sum()), dtype=np.int64)
    index += np.repeat(offsets[rows] - (np.cumsum(lengths) - lengths), lengths)
    taken: npt.NDArray[np.integer[Any]] = codes[index]
    return taken


class Paths:
    """Journeys of channels with their conversions, non-conversions and value.

    A row is a journey: a sequence of channel names, oldest touch first. ``conversions`` and
    ``nulls`` count the journeys that took that path and converted or did not; ``value`` is
    their total conversion value. Counts are float64 as given (fractions are kept, never
    truncated). Paths read from strings are aggregated: one row per distinct path. Paths built
    from touchpoints keep one row per journey with each touch's age (microseconds before the
    conversion, or before the journey's last touch when it did not convert), which
    `heuristics` needs for time decay; `aggregate` drops the ages and merges identical paths.

    Channels are dictionary-encoded: `codes` index `channels` (sorted names), and journey ``i``
    is ``codes[offsets[i]:offsets[i + 1]]``.

    Build with `from_strings` or `from_touchpoints`, or from the arrays themselves: channel
    names, one code per touch and each journey's length (at least 1).

    Args:
        channels: Distinct channel names; codes index them.
        codes: Each touch's channel code, journey after journey.
        lengths: Each journey's number of touches.
        conversions: Conversions per row (default: 1 per row when ``nulls`` is not given
            either, else 0).
        nulls: Non-converting journeys per row (default 0).
        values: Conversion value per row (default 0).
        ages: Microseconds from each touch to its journey's end, touch by touch.
        currency: The currency of ``values``, when known.

    Raises:
        TypeError: Channel names that are not strings; codes, lengths or ages that are not
            integers; counts that are not numbers.
        ValueError: Arrays of the wrong length, codes out of range, a journey without touches,
            empty or repeated channel names, negative ages.
        DataError: A count or value that is negative, NaN or infinite (every bad row listed).

    Examples:
        >>> paths = Paths.from_strings(
        ...     ["email > search", "search", "email>search"],
        ...     conversions=[1, 2, 1], nulls=[3, 0, 1], values=[20.0, 50.0, 10.0],
        ... )
        >>> paths
        Paths(2 rows, 2 channels, 4 conversions, 4 nulls)
        >>> paths.to_strings(), paths.conversions.tolist(), paths.value.tolist()
        (['email > search', 'search'], [2.0, 2.0], [30.0, 50.0])
    """

    __slots__ = (
        "_ages",
        "_channels",
        "_codes",
        "_conversions",
        "_currency",
        "_names",
        "_nulls",
        "_offsets",
        "_value",
    )

    _channels: tuple[str, ...]
    _names: npt.NDArray[np.object_]
    _codes: Int32Array
    _offsets: Int64Array
    _conversions: FloatArray
    _nulls: FloatArray
    _value: FloatArray
    _ages: Int64Array | None
    _currency: str | None

    def __init__(
        self,
        channels: Sequence[str],
        codes: npt.ArrayLike,
        lengths: npt.ArrayLike,
        *,
        conversions: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        values: npt.ArrayLike | None = None,
        ages: npt.ArrayLike | None = None,
        currency: str | None = None,
    ) -> None:
        if isinstance(channels, str):
            raise TypeError("channels must be a sequence of channel names, not a single string")
        names = tuple(channels)
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"channel names must be strings, got {name!r}")
            if not name:
                raise ValueError("channel names must not be empty")
        if len(set(names)) != len(names):
            raise ValueError("channel names must be distinct")
        flat = int64_vector(codes, "codes")
        sizes = int64_vector(lengths, "lengths")
        if sizes.size and sizes.min() < 1:
            row = int(np.flatnonzero(sizes < 1)[0])
            raise ValueError(f"every journey needs a touch; journey {row} has length {sizes[row]}")
        if int(sizes.sum()) != flat.size:
            raise ValueError(f"lengths add up to {int(sizes.sum())} touches, codes has {flat.size}")
        if flat.size and (flat.min() < 0 or flat.max() >= len(names)):
            raise ValueError(f"codes must index the {len(names)} channels (0 .. {len(names) - 1})")
        rows = sizes.size
        weights = _weights(rows, conversions, nulls, values)
        age = None
        if ages is not None:
            age = int64_vector(ages, "ages")
            if age.size != flat.size:
                raise ValueError(f"ages has {age.size} values for {flat.size} touches")
            if age.size and age.min() < 0:
                raise ValueError(f"ages must not be negative, got {int(age.min())}")
        # Sorted names, so equal paths built two ways compare equal.
        order = sorted(range(len(names)), key=names.__getitem__)
        recode = np.empty(len(names), dtype=np.int64)
        recode[order] = np.arange(len(names))
        self._set(
            tuple(names[i] for i in order),
            recode[flat],
            np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
            *weights,
            age,
            None if currency is None else lookup_currency(currency).code,
        )

    def _set(
        self,
        channels: tuple[str, ...],
        codes: npt.NDArray[np.integer[Any]],
        offsets: Int64Array,
        conversions: FloatArray,
        nulls: FloatArray,
        value: FloatArray,
        ages: Int64Array | None,
        currency: str | None,
    ) -> None:
        self._channels = channels
        self._names = _frozen(np.array(channels, dtype=object))
        self._codes = _frozen(codes.astype(np.int32, copy=False))
        self._offsets = _frozen(offsets)
        self._conversions = _frozen(conversions)
        self._nulls = _frozen(nulls)
        self._value = _frozen(value)
        self._ages = None if ages is None else _frozen(ages)
        self._currency = currency

    @classmethod
    def _trusted(
        cls,
        channels: tuple[str, ...],
        codes: npt.NDArray[np.integer[Any]],
        offsets: Int64Array,
        conversions: FloatArray,
        nulls: FloatArray,
        value: FloatArray,
        ages: Int64Array | None = None,
        currency: str | None = None,
    ) -> Paths:
        """Paths from arrays already checked (channels sorted, codes in range)."""
        paths = cls.__new__(cls)
        paths._set(channels, codes, offsets, conversions, nulls, value, ages, currency)
        return paths

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def from_strings(
        cls,
        paths: Iterable[str],
        *,
        conversions: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        values: npt.ArrayLike | None = None,
        sep: str = ">",
    ) -> Paths:
        """Paths from strings such as ``"email > search > affiliate"``, aggregated.

        Each string is split at ``sep``; names are stripped of surrounding whitespace and
        empty names are skipped (``"a > > b"`` is ``a > b``). Identical paths are merged and
        their counts and values summed; rows keep the order in which each path first appears.

        Args:
            paths: One string per row (a list, a numpy array or a pandas / polars Series).
            conversions: Conversions per row. Defaults to 1 per row when ``nulls`` is not
                given either, else to 0.
            nulls: Non-converting journeys per row; default 0.
            values: Conversion value per row; default 0.
            sep: The separator between channel names.

        Returns:
            Aggregated paths, without touch ages.

        Raises:
            TypeError: ``paths`` is a single string, or ``sep`` is not a string.
            ValueError: ``sep`` is empty, or a count array has the wrong length.
            DataError: A row that is not a string or has no channel name, or a count or
                value that is negative, NaN or infinite (every bad row listed).

        Examples:
            >>> paths = Paths.from_strings([" a > > b ", "a>b", "b"], conversions=[1, 0.5, 2])
            >>> paths.to_strings(), paths.conversions.tolist()
            (['a > b', 'b'], [1.5, 2.0])
        """
        if not isinstance(sep, str):
            raise TypeError(f"sep must be a string, got {sep!r}")
        if not sep or "\x00" in sep:
            raise ValueError(f"sep must be a non-empty string without NUL, got {sep!r}")
        texts = _texts(paths)
        rows = len(texts)
        weights = _weights(rows, conversions, nulls, values)
        try:
            lengths, codes, names = split_names(texts, sep)
        except (TypeError, AttributeError):
            raise _not_strings(texts) from None
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise DataError(
                "paths",
                [
                    Problem(row, "path", texts[row], "a path needs at least one channel name")
                    for row in empty.tolist()
                ],
            )
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return _aggregated(tuple(names), codes, offsets, *weights)

    @classmethod
    def from_touchpoints(
        cls,
        touchpoints: Touchpoints,
        orders: Orders,
        *,
        window: timedelta = timedelta(days=30),
        currency: str | None = None,
        fx: FxRates | None = None,
    ) -> Paths:
        """Each visitor's journeys, from touchpoints and orders, one row per journey.

        The channel is the touch's ``partner_id``. A touch leads to an order when the order is
        the visitor's next one at or after the touch and comes less than ``window`` after it
        (``touch.ts <= order.ts < touch.ts + window``). An order's journey is the touches that
        led to it, oldest first: one conversion worth the order ``amount``. The visitor's other
        touches make non-converting journeys (one null each): those between the same two
        orders, split where ``window`` or more passes between two touches.

        Ages are microseconds from each touch to the order (to the journey's last touch for a
        journey that did not convert). ``value`` is the order amount in major units as a float
        (``12.34`` for 1234 cents): attribution shares value out in ratios, so floats are the
        right tool; round the credited value back to money with `alliance.allocate` when you
        pay it. The orders with a journey must share one currency, kept as `currency`, unless
        ``currency=`` names the one to value them in: each order is converted with ``fx`` at
        its own time (rounded half-even to the minor unit, as `FxRates.convert_minor` does).

        Rows come visitor by visitor (by ``visitor_id``), then in time order. Touches without
        a ``partner_id`` (coupon touches not yet resolved) are left out, and so are orders
        without a ``visitor_id`` or without a touch before them within ``window``.

        Args:
            touchpoints: The touches (`alliance.Touchpoints`).
            orders: The orders (`alliance.Orders`).
            window: How long a touch can lead to an order; positive.
            currency: Currency to value the orders in (ISO 4217 code); ``None`` keeps the
                orders' own, which must then be one.
            fx: Rates to convert orders in other currencies to ``currency``.

        Returns:
            One row per journey, with ages; `aggregate` merges identical paths.

        Raises:
            TypeError: The tables or the window are of the wrong type.
            ValueError: The window is not positive.
            CurrencyMismatch: Orders with a journey are in more than one currency (without
                ``currency=``), or not in ``currency`` and no ``fx`` is given.
            MissingRate: ``fx`` has no rate for an order's currency at its time.

        Examples:
            >>> touches = al.Touchpoints.from_records([
            ...     {"visitor_id": "v1", "ts": "2026-10-01T10:00:00Z", "partner_id": "blog"},
            ...     {"visitor_id": "v1", "ts": "2026-10-03T10:00:00Z", "partner_id": "coupons"},
            ...     {"visitor_id": "v2", "ts": "2026-10-02T10:00:00Z", "partner_id": "blog"},
            ... ])
            >>> orders = al.Orders.from_records([{"order_id": "o1", "visitor_id": "v1",
            ...     "ts": "2026-10-04T10:00:00Z", "amount": "80.00", "currency": "EUR"}])
            >>> paths = Paths.from_touchpoints(touches, orders)
            >>> paths.to_strings(), paths.conversions.tolist(), paths.value.tolist()
            (['blog > coupons', 'blog'], [1.0, 0.0], [80.0, 0.0])
            >>> [age // 3_600_000_000 for age in paths.ages.tolist()]  # hours
            [72, 24, 0]
        """
        if not isinstance(touchpoints, Touchpoints):
            raise TypeError(
                f"touchpoints must be a Touchpoints table, got {type(touchpoints).__name__}"
            )
        if not isinstance(orders, Orders):
            raise TypeError(f"orders must be an Orders table, got {type(orders).__name__}")
        if not isinstance(window, timedelta):
            raise TypeError(f"window must be a timedelta, got {window!r}")
        if window <= timedelta(0):
            raise ValueError(f"window must be positive, got {window}")
        if fx is not None and not isinstance(fx, FxRates):
            raise TypeError(f"fx must be FxRates, got {type(fx).__name__}")
        if fx is not None and currency is None:
            raise ValueError("fx= converts order values to currency=; name the currency")
        target = None if currency is None else lookup_currency(currency).code
        found = journeys(touchpoints, orders, window // _MICROSECOND, fx, target)
        return cls._trusted(
            found.channels,
            found.codes,
            found.offsets,
            found.conversions,
            found.nulls,
            found.value,
            found.ages,
            found.currency,
        )

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._offsets.size - 1)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel names, sorted; `codes` index them."""
        return self._channels

    @property
    def codes(self) -> Int32Array:
        """Each touch's channel code, journey after journey (read-only)."""
        return self._codes

    @property
    def offsets(self) -> Int64Array:
        """Where each journey starts in `codes`, and the end: ``len(paths) + 1`` values."""
        return self._offsets

    @property
    def lengths(self) -> Int64Array:
        """Each journey's number of touches."""
        return np.diff(self._offsets)

    @property
    def conversions(self) -> FloatArray:
        """Conversions per row."""
        return self._conversions

    @property
    def nulls(self) -> FloatArray:
        """Non-converting journeys per row."""
        return self._nulls

    @property
    def value(self) -> FloatArray:
        """Conversion value per row."""
        return self._value

    @property
    def ages(self) -> Int64Array | None:
        """Microseconds from each touch to its journey's end, or ``None`` (aggregated)."""
        return self._ages

    @property
    def has_ages(self) -> bool:
        """Whether the touches carry their ages (so time decay can run)."""
        return self._ages is not None

    @property
    def currency(self) -> str | None:
        """The currency of `value`, when known."""
        return self._currency

    @property
    def total_conversions(self) -> float:
        """All conversions."""
        return float(self._conversions.sum())

    @property
    def total_nulls(self) -> float:
        """All non-converting journeys."""
        return float(self._nulls.sum())

    @property
    def total_value(self) -> float:
        """All conversion value."""
        return float(self._value.sum())

    def journey(self, row: int) -> tuple[str, ...]:
        """The channel names of one row's journey.

        Examples:
            >>> Paths.from_strings(["a > b > a"]).journey(0)
            ('a', 'b', 'a')
        """
        if not -len(self) <= row < len(self):
            raise IndexError(f"row {row} is out of range for {len(self)} rows")
        row %= len(self)
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        return tuple(self._names[self._codes[start:end]].tolist())

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        for row in range(len(self)):
            yield self.journey(row)

    def to_strings(self, sep: str = " > ") -> list[str]:
        """Each row's journey as one string."""
        names = self._names[self._codes].tolist()
        bounds = self._offsets.tolist()
        return [sep.join(names[bounds[i] : bounds[i + 1]]) for i in range(len(self))]

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per row: ``path``, ``conversions``, ``nulls``, ``value`` (and ``ages``).

        Examples:
            >>> Paths.from_strings(["a > b"], values=[9.5]).to_records()
            [{'path': 'a > b', 'conversions': 1.0, 'nulls': 0.0, 'value': 9.5}]
        """
        columns: dict[str, list[Any]] = {
            "path": self.to_strings(),
            "conversions": self._conversions.tolist(),
            "nulls": self._nulls.tolist(),
            "value": self._value.tolist(),
        }
        if self._ages is not None:
            ages = self._ages.tolist()
            bounds = self._offsets.tolist()
            columns["ages"] = [tuple(ages[bounds[i] : bounds[i + 1]]) for i in range(len(self))]
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per path (ages as tuples when present)."""
        pd = optional_import("pandas", "Paths.to_pandas")
        records = self.to_records()
        columns = ["path", "conversions", "nulls", "value"] + (["ages"] if self.has_ages else [])
        return pd.DataFrame(records, columns=columns)

    def aggregate(self) -> Paths:
        """One row per distinct path: ages dropped, counts and values summed.

        Examples:
            >>> paths = Paths(["a", "b"], [0, 1, 0, 1, 1], [2, 2, 1], ages=[5, 0, 9, 0, 0])
            >>> paths.aggregate().to_strings(), paths.aggregate().conversions.tolist()
            (['a > b', 'b'], [2.0, 1.0])
        """
        return _aggregated(
            self._channels,
            self._codes,
            self._offsets,
            self._conversions,
            self._nulls,
            self._value,
            self._currency,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Paths):
            return NotImplemented
        return (
            self._channels == other._channels
            and self._currency == other._currency
            and np.array_equal(self._offsets, other._offsets)
            and np.array_equal(self._codes, other._codes)
            and np.array_equal(self._conversions, other._conversions)
            and np.array_equal(self._nulls, other._nulls)
            and np.array_equal(self._value, other._value)
            and (
                (self._ages is None and other._ages is None)
                or (
                    self._ages is not None
                    and other._ages is not None
                    and np.array_equal(self._ages, other._ages)
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        def count(number: float, noun: str) -> str:
            whole = float(number).is_integer() and abs(number) < 1e15
            shown = f"{int(number)}" if whole else f"{number:.10g}"
            return f"{shown} {noun}{'' if shown == '1' else 's'}"

        parts = [
            count(len(self), "row"),
            count(len(self._channels), "channel"),
            count(self.total_conversions, "conversion"),
            count(self.total_nulls, "null"),
        ]
        if self._ages is not None:
            parts.append("with ages")
        return f"Paths({', '.join(parts)})"


def _aggregated(
    channels: tuple[str, ...],
    codes: npt.NDArray[np.integer[Any]],
    offsets: Int64Array,
    conversions: FloatArray,
    nulls: FloatArray,
    value: FloatArray,
    currency: str | None = None,
) -> Paths:
    """Identical code sequences merged (first appearance order).

    ``channels`` may come in any order: the result's are sorted, without those no row uses.
    """
    lengths = np.diff(offsets)
    group, first = group_sequences(codes, lengths)
    rows = first.size
    kept_lengths = lengths[first]
    kept_codes = take_rows(codes, offsets, first)
    used = np.zeros(len(channels), dtype=bool)
    used[kept_codes] = True
    names = [channels[i] for i in np.flatnonzero(used).tolist()]
    if len(names) < len(channels) or names != sorted(names):
        order = sorted(np.flatnonzero(used).tolist(), key=channels.__getitem__)
        recode = np.full(len(channels), -1, dtype=np.int32)
        recode[order] = np.arange(len(order), dtype=np.int32)
        kept_codes = recode[kept_codes]
        names = [channels[i] for i in order]
    return Paths._trusted(
        tuple(names),
        kept_codes,
        np.concatenate(([0], np.cumsum(kept_lengths))).astype(np.int64),
        _sums(group, conversions, rows),
        _sums(group, nulls, rows),
        _sums(group, value, rows),
        None,
        currency,
    )


def _texts(paths: Iterable[str]) -> list[str]:
    if isinstance(paths, str | bytes):
        raise TypeError("paths must be a sequence of strings, one per path, not a single string")
    tolist = getattr(paths, "tolist", None) or getattr(paths, "to_list", None)
    texts: list[str] = tolist() if callable(tolist) else list(paths)
    return texts


def _not_strings(texts: list[Any]) -> DataError:
    return DataError(
        "paths",
        [
            Problem(row, "path", text, f"expected a string, got {type(text).__name__}")
            for row, text in enumerate(texts)
            if not isinstance(text, str)
        ],
    )


def _sums(group: Int64Array, weights: FloatArray, rows: int) -> FloatArray:
    sums: FloatArray = np.bincount(group, weights=weights, minlength=rows).astype(np.float64)
    return sums


def _weights(
    rows: int,
    conversions: npt.ArrayLike | None,
    nulls: npt.ArrayLike | None,
    values: npt.ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row conversions, nulls and values, checked: finite, not negative, one per row."""
    default_conversions = 1.0 if conversions is None and nulls is None else 0.0
    columns = []
    problems: list[Problem] = []
    for name, given, default in (
        ("conversions", conversions, default_conversions),
        ("nulls", nulls, 0.0),
        ("values", values, 0.0),
    ):
        if given is None:
            columns.append(np.full(rows, default, dtype=np.float64))
            continue
        array = np.asarray(given)
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
        if array.shape != (rows,):
            raise ValueError(f"{name} has {array.size} values for {rows} paths")
        numbers = array.astype(np.float64)
        bad = ~np.isfinite(numbers) | (numbers < 0)
        problems += [
            Problem(row, name, float(numbers[row]), "must be a finite number, not negative")
            for row in np.flatnonzero(bad).tolist()
        ]
        columns.append(numbers)
    if problems:
        problems.sort(key=lambda p: p.row)
        raise DataError("paths", problems)
    return columns[0], columns[1], columns[2]


class ChannelCredits:
    """Credit per channel, as a small table: a ``channel`` column and numeric columns.

    Examples:
        >>> table = ChannelCredits(("a", "b"), {"conversions": [1.5, 0.5]})
        >>> table["conversions"].tolist(), table.to_records()[0]
        ([1.5, 0.5], {'channel': 'a', 'conversions': 1.5})
    """

    def __init__(self, channels: tuple[str, ...], columns: Mapping[str, npt.ArrayLike]) -> None:
        self._channels = tuple(channels)
        self._columns = {
            name: _frozen(np.asarray(v, dtype=np.float64)) for name, v in columns.items()
        }
        for name, column in self._columns.items():
            if column.shape != (len(self._channels),):
                raise ValueError(
                    f"column {name!r} has shape {column.shape}, expected one value for each "
                    f"of the {len(self._channels)} channels"
                )

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels, one per row."""
        return self._channels

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names, ``channel`` first."""
        return ("channel", *self._columns)

    def __len__(self) -> int:
        return len(self._channels)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column: ``channel`` as an object array of names, the others as float64."""
        if name == "channel":
            return np.array(self._channels, dtype=object)
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns: {self.columns}") from None

    def to_dict(self, column: str) -> dict[str, float]:
        """One column as ``{channel: number}``."""
        return dict(zip(self._channels, self[column].tolist(), strict=True))

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per channel."""
        names = list(self._columns)
        values = [self._columns[n].tolist() for n in names]
        return (
            [
                {"channel": channel, **dict(zip(names, row, strict=True))}
                for channel, row in zip(self._channels, zip(*values, strict=True), strict=True)
            ]
            if names
            else [{"channel": channel} for channel in self._channels]
        )

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per channel."""
        pd = optional_import("pandas", f"{type(self).__name__}.to_pandas")
        return pd.DataFrame({"channel": list(self._channels), **self._columns})

    def __repr__(self) -> str:
        header = self.columns
        rows = [
            [channel, *(f"{self._columns[n][i]:.4f}" for n in self._columns)]
            for i, channel in enumerate(self._channels)
        ]
        widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(header)]
        lines = [
            "  ".join(
                h.ljust(w) if k == 0 else h.rjust(w)
                for k, (h, w) in enumerate(zip(header, widths, strict=True))
            )
        ]
        lines += [
            "  ".join(
                c.ljust(w) if k == 0 else c.rjust(w)
                for k, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        return f"{type(self).__name__}\n" + "\n".join(lines)

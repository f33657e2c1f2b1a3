"""Columnar tables of programme records: validated once, stored as numpy arrays.

Ids and other strings are dictionary-encoded (int32 codes into sorted categories), money is
int64 minor units of the row's currency, timestamps are int64 microseconds since the epoch
(UTC). Ingestion reports every bad cell of every bad row in one `DataError`, or, with
``errors="collect"``, returns the clean rows and a `Rejects` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from typing import Any, ClassVar, Literal, Self, overload

import numpy as np
import numpy.typing as npt

from alliance import _export
from alliance._columns import (
    ENCODED,
    ColumnSpec,
    Stored,
    as_objects,
    exponents_of,
    parse_column,
    parse_money,
    specs_of,
)
from alliance._currency import currency as lookup_currency
from alliance._fields import ColumnKind
from alliance._frames import (
    RawColumn,
    columns_from_arrays,
    columns_from_csv,
    columns_from_frame,
    columns_from_records,
    optional_import,
)
from alliance._kernels import decimal_to_minor
from alliance._models import _Record
from alliance._periods import from_micros, to_micros
from alliance.errors import DataError, Problem

__all__ = ["Errors", "Rejects", "Table", "decode_cells", "row_problems"]

Errors = Literal["raise", "collect"]


@dataclass(frozen=True)
class Rejects:
    """The rows refused by a table reader run with ``errors="collect"``.

    Attributes:
        table: Name of the table read.
        problems: Every problem, in row order (a row may have several).
    """

    table: str
    problems: tuple[Problem, ...]

    @property
    def rows(self) -> tuple[int, ...]:
        """Input positions of the refused rows, sorted."""
        return tuple(sorted({p.row for p in self.problems}))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per problem: ``row``, ``column``, ``value``, ``reason``."""
        return [
            {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
            for p in self.problems
        ]

    def to_pandas(self) -> Any:
        """The problems as a pandas DataFrame."""
        pd = optional_import("pandas", "Rejects.to_pandas")
        return pd.DataFrame(self.to_records(), columns=["row", "column", "value", "reason"])

    def error(self) -> DataError:
        """The `DataError` that ``errors="raise"`` would have raised."""
        return DataError(self.table, self.problems)


class Table:
    """Base of the columnar tables; each subclass is tied to one record model."""

    model: ClassVar[type[_Record]]
    name: ClassVar[str]
    key: ClassVar[tuple[str, ...]] = ()
    specs: ClassVar[tuple[ColumnSpec, ...]]

    #: Per column, the one-row column of a missing cell (see `one`).
    _missing_cells: ClassVar[dict[str, Stored]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "model" in cls.__dict__:
            cls.specs = specs_of(cls.model)
            cls._missing_cells = {spec.name: _missing_cell(spec.kind) for spec in cls.specs}

    def __init__(
        self,
        columns: Mapping[str, Stored],
        length: int,
        extras: Mapping[str, npt.NDArray[Any]] | None = None,
    ) -> None:
        self._columns = dict(columns)
        self._length = length
        self._extras = dict(extras or {})

    # -- reading ------------------------------------------------------------------------------

    @overload
    @classmethod
    def from_records(
        cls, records: Iterable[Any], *, errors: Literal["raise"] = ..., **context: Any
    ) -> Self: ...

    @overload
    @classmethod
    def from_records(
        cls, records: Iterable[Any], *, errors: Literal["collect"], **context: Any
    ) -> tuple[Self, Rejects]: ...

    @classmethod
    def from_records(
        cls, records: Iterable[Any], *, errors: Errors = "raise", **context: Any
    ) -> Self | tuple[Self, Rejects]:
        """Build from mappings (or models) with the model's field names as keys.

        Args:
            records: One mapping per row; unknown keys are kept as extra columns.
            errors: ``"raise"`` (default) raises one `DataError` listing every bad row;
                ``"collect"`` returns ``(table, rejects)`` with the good rows kept.
            **context: Table-specific options (``currency=``, ``orders=`` for lines and
                reversals without a currency column).

        Raises:
            DataError: Some rows are bad (with ``errors="raise"``).
        """
        raw, size = columns_from_records(records)
        return cls._build(raw, size, errors, context)

    @classmethod
    def one(cls, model: _Record) -> Self:
        """A one-row table of a model instance, stored without parsing it again.

        The model was validated when it was made, so its fields go straight into the stored
        layout; this is the fast path for one event at a time (`commission.evaluate`). The
        table's own checks across columns still run (a partner's parent must be in the table).

        Raises:
            TypeError: ``model`` is not this table's model.
            DataError: The table's checks refuse the row.
        """
        if not isinstance(model, cls.model):
            raise TypeError(f"expected a {cls.model.__name__}, got {type(model).__name__}")
        missing = cls._missing_cells
        columns = {}
        for spec in cls.specs:
            value = getattr(model, spec.name)
            # Most optional fields are empty: their columns are shared, read-only.
            columns[spec.name] = (
                missing[spec.name]
                if not value and (value is None or spec.kind is ColumnKind.TAGS)
                else _stored_cell(spec, value, model)
            )
        problems = cls._row_problems(columns, 1)
        if problems:
            raise DataError(cls.name, problems)
        return cls(columns, 1)

    @classmethod
    def from_models(cls, models: Iterable[_Record], **context: Any) -> Self:
        """Build from model instances (already valid).

        Args:
            models: Instances of the table's model.
            **context: Table-specific options, as for `from_records` (``currency=``,
                ``orders=`` for lines and reversals whose models leave the currency out).

        Raises:
            DataError: A check across rows fails (duplicate ids, unknown parents, a line
                without a currency).
        """
        items = list(models)
        for position, item in enumerate(items):
            if not isinstance(item, cls.model):
                raise TypeError(
                    f"item {position} is a {type(item).__name__}, not a {cls.model.__name__}"
                )
        return cls.from_records(items, errors="raise", **context)

    @overload
    @classmethod
    def from_frame(cls, frame: Any, *, errors: Literal["raise"] = ..., **context: Any) -> Self: ...

    @overload
    @classmethod
    def from_frame(
        cls, frame: Any, *, errors: Literal["collect"], **context: Any
    ) -> tuple[Self, Rejects]: ...

    @classmethod
    def from_frame(
        cls, frame: Any, *, errors: Errors = "raise", **context: Any
    ) -> Self | tuple[Self, Rejects]:
        """Build from a pandas, polars or pyarrow table (through narwhals).

        Money columns must hold strings, Decimals or ints (whole units); float columns are
        refused because a float cannot hold money exactly. Integer minor units can be given
        in a column named ``<money column>_minor`` (``amount_minor``). Timestamps must be
        tz-aware.
        """
        raw, size = columns_from_frame(frame)
        return cls._build(raw, size, errors, context)

    @overload
    @classmethod
    def read_csv(
        cls,
        path: str | PathLike[str],
        *,
        errors: Literal["raise"] = ...,
        delimiter: str = ...,
        **context: Any,
    ) -> Self: ...

    @overload
    @classmethod
    def read_csv(
        cls,
        path: str | PathLike[str],
        *,
        errors: Literal["collect"],
        delimiter: str = ...,
        **context: Any,
    ) -> tuple[Self, Rejects]: ...

    @classmethod
    def read_csv(
        cls,
        path: str | PathLike[str],
        *,
        errors: Errors = "raise",
        delimiter: str = ",",
        **context: Any,
    ) -> Self | tuple[Self, Rejects]:
        """Read a CSV file with a header row (no DataFrame library needed).

        Empty cells are missing; amounts are read as exact decimals; timestamps must carry
        an offset (``2026-10-01T12:00:00+08:00`` or ``...Z``); tags are ``|``-separated.
        """
        raw, size = columns_from_csv(path, delimiter=delimiter)
        return cls._build(raw, size, errors, context)

    @overload
    @classmethod
    def read_parquet(
        cls, path: str | PathLike[str], *, errors: Literal["raise"] = ..., **context: Any
    ) -> Self: ...

    @overload
    @classmethod
    def read_parquet(
        cls, path: str | PathLike[str], *, errors: Literal["collect"], **context: Any
    ) -> tuple[Self, Rejects]: ...

    @classmethod
    def read_parquet(
        cls, path: str | PathLike[str], *, errors: Errors = "raise", **context: Any
    ) -> Self | tuple[Self, Rejects]:
        """Read a Parquet file (needs pyarrow)."""
        parquet = optional_import("pyarrow.parquet", "read_parquet")
        raw, size = columns_from_frame(parquet.read_table(path))
        return cls._build(raw, size, errors, context)

    @overload
    @classmethod
    def from_arrays(
        cls, columns: Mapping[str, Any], *, errors: Literal["raise"] = ..., **context: Any
    ) -> Self: ...

    @overload
    @classmethod
    def from_arrays(
        cls, columns: Mapping[str, Any], *, errors: Literal["collect"], **context: Any
    ) -> tuple[Self, Rejects]: ...

    @classmethod
    def from_arrays(
        cls, columns: Mapping[str, Any], *, errors: Errors = "raise", **context: Any
    ) -> Self | tuple[Self, Rejects]:
        """Build from numpy arrays in the stored layout, with no Python object per row.

        The fast way in for data already in arrays (a generator, a Spark partition, a
        simulation). Every value is still validated; text is checked once per distinct value.

        Args:
            columns: One entry per column:

                - ids and text: a numpy string array, or a pair ``(codes, categories)`` of
                  integer codes (-1 where missing) into a sequence of distinct strings;
                - money: ``<name>_minor`` integer arrays in minor units of each row's
                  currency (``amount_minor``), or ``<name>`` with decimal strings;
                - timestamps: int64 microseconds since the epoch, UTC (numpy ``datetime64``
                  is refused: it carries no time zone);
                - flags: bool, or integers 1 / 0 / -1 (unknown); counts: integers; ratios:
                  floats (NaN missing); tags: an object array of tuples.

                Other names are kept as extra columns.
            errors: ``"raise"`` or ``"collect"``, as for `from_records`.
            **context: Table-specific options, as for `from_records`.

        Raises:
            DataError: Some rows are bad (with ``errors="raise"``).
            ValueError: Columns of different lengths, or codes out of range.
            TypeError: A column of an unsupported dtype.

        Examples:
            >>> import numpy as np
            >>> clicks = Clicks.from_arrays({
            ...     "click_id": np.array(["c1", "c2", "c3"]),
            ...     "ts": np.array([1_790_820_000_000_000] * 3),
            ...     "partner_id": (np.array([0, 1, 0]), ["kol-1", "site-9"]),
            ... })
            >>> clicks["partner_id"].tolist()
            ['kol-1', 'site-9', 'kol-1']
        """
        kinds = {spec.name: spec.kind for spec in cls.specs}
        timestamps = [n for n, k in kinds.items() if k is ColumnKind.TIMESTAMP]
        flags = [n for n, k in kinds.items() if k is ColumnKind.BOOL]
        raw, size = columns_from_arrays(columns, timestamps, flags)
        return cls._build(raw, size, errors, context)

    @classmethod
    def _prepare(
        cls, raw: dict[str, RawColumn], size: int, context: Mapping[str, Any]
    ) -> list[Problem]:
        """Fill columns the input may leave out (a currency from context); extra checks."""
        if context:
            raise TypeError(f"{cls.__name__} takes no options {sorted(context)}")
        return []

    @classmethod
    def _row_problems(cls, columns: Mapping[str, Stored], size: int) -> list[Problem]:
        """Checks across columns of a row (beyond each cell on its own)."""
        return []

    @classmethod
    def _build(
        cls, raw: dict[str, RawColumn], size: int, errors: Errors, context: Mapping[str, Any]
    ) -> Self | tuple[Self, Rejects]:
        if errors not in ("raise", "collect"):
            raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")
        problems = cls._prepare(raw, size, context)
        spec_names = {spec.name for spec in cls.specs}
        minor_names = {f"{s.name}_minor" for s in cls.specs if s.kind is ColumnKind.MONEY}
        absent = [
            spec.name
            for spec in cls.specs
            if spec.required
            and spec.name not in raw
            and not (spec.kind is ColumnKind.MONEY and f"{spec.name}_minor" in raw)
        ]
        if absent and (raw or size):  # no records at all is an empty table, not an error
            raise DataError(
                cls.name,
                [Problem(-1, name, None, "required column is missing") for name in absent],
            )
        columns: dict[str, Stored] = {}
        everything_missing = RawColumn(
            np.full(size, None, dtype=object), np.ones(size, dtype=bool), "object"
        )
        for spec in cls.specs:
            if spec.kind is ColumnKind.MONEY:
                continue
            stored, found = parse_column(spec, raw.get(spec.name, everything_missing), size)
            columns[spec.name] = _fill_default(spec, stored)
            problems += found
        money = [spec for spec in cls.specs if spec.kind is ColumnKind.MONEY]
        if money:
            exponents = exponents_of(columns["currency"])
            for spec in money:
                minor = f"{spec.name}_minor"
                if spec.name not in raw and minor in raw:
                    stored, found = parse_money(spec, raw[minor], size, exponents, minor_units=True)
                else:
                    stored, found = parse_money(
                        spec, raw.get(spec.name, everything_missing), size, exponents
                    )
                columns[spec.name] = stored
                problems += found
        columns = {spec.name: columns[spec.name] for spec in cls.specs}
        # A check across columns means nothing on a cell that could not be read.
        unreadable = {(p.row, p.column) for p in problems}
        problems += [
            p for p in cls._row_problems(columns, size) if (p.row, p.column) not in unreadable
        ]
        problems += _duplicate_keys(cls.name, cls.key, columns, size)
        extras = {
            name: _extra_values(column)
            for name, column in raw.items()
            if name not in spec_names and name not in minor_names
        }
        table = cls(columns, size, extras)
        problems.sort(key=lambda p: (p.row, p.column))
        if errors == "raise":
            if problems:
                raise DataError(cls.name, problems)
            return table
        bad = np.zeros(size, dtype=bool)
        bad[[p.row for p in problems if p.row >= 0]] = True
        return table.take(np.flatnonzero(~bad)), Rejects(cls.name, tuple(problems))

    # -- access -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._length

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names: the model's fields, then the extra columns kept from the input."""
        return (*self._columns, *self._extras)

    def __contains__(self, name: object) -> bool:
        return name in self._columns or name in self._extras

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column as a numpy array.

        Ids and text come back as object arrays of ``str`` (``None`` where missing); money
        as int64 minor units (0 where missing, see `missing`); timestamps as int64
        microseconds since the epoch, UTC; flags as int8 (1, 0, -1 when unknown); counts as
        int64; ratios as float64 (NaN when missing); tags as tuples.
        """
        if name in self._extras:
            return self._extras[name]
        column = self._column(name)
        if column.categories is not None:
            decoded: npt.NDArray[np.object_] = np.append(
                column.categories, np.array([None], dtype=object)
            )
            strings: npt.NDArray[np.object_] = decoded[column.values]
            return strings
        return column.values

    def _column(self, name: str) -> Stored:
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"{self.name} has no column {name!r}; columns: {self.columns}") from None

    def codes(self, name: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.object_]]:
        """Integer codes (-1 where missing) and the sorted categories of an encoded column."""
        column = self._column(name)
        if column.categories is None:
            raise TypeError(f"{self.name}.{name} is not a dictionary-encoded column")
        return column.values, column.categories

    def missing(self, name: str) -> npt.NDArray[np.bool_]:
        """True where the cell of a column is missing."""
        if name in self._extras:
            return np.array([v is None for v in self._extras[name]], dtype=bool)
        column = self._column(name)
        if column.missing is None:
            return np.zeros(self._length, dtype=bool)
        return column.missing

    def take(self, rows: npt.ArrayLike) -> Self:
        """The rows at the given positions (or where a boolean mask is true), in that order."""
        index = np.asarray(rows)
        if index.dtype == bool:
            if index.shape != (self._length,):
                raise ValueError("a boolean mask must have one value per row")
            index = np.flatnonzero(index)
        positions = index.astype(np.intp)
        columns = {name: column.take(positions) for name, column in self._columns.items()}
        extras = {name: values[positions] for name, values in self._extras.items()}
        return type(self)(columns, int(positions.size), extras)

    # -- writing ------------------------------------------------------------------------------

    def _python_column(self, name: str) -> list[Any]:
        column = self._column(name)
        missing = self.missing(name)
        if column.categories is not None:
            return list(self[name])
        if column.kind is ColumnKind.TIMESTAMP:
            return [
                None if m else from_micros(int(v))
                for v, m in zip(column.values, missing, strict=True)
            ]
        if column.kind is ColumnKind.MONEY:
            exponents = exponents_of(self._columns["currency"])
            return [
                None if m else Decimal(int(v)).scaleb(-int(e))
                for v, e, m in zip(column.values, exponents, missing, strict=True)
            ]
        if column.kind is ColumnKind.BOOL:
            return [None if v < 0 else bool(v) for v in column.values]
        if column.kind is ColumnKind.INT:
            return [None if m else int(v) for v, m in zip(column.values, missing, strict=True)]
        if column.kind is ColumnKind.RATIO:
            return [None if np.isnan(v) else float(v) for v in column.values]
        return list(column.values)

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as dictionaries of plain values (Decimal amounts, UTC datetimes)."""
        names = self.columns
        data = [self._python_column(n) if n in self._columns else list(self[n]) for n in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*data, strict=True)]

    def to_models(self) -> list[Any]:
        """The rows as model instances (extra columns are left out)."""
        names = list(self._columns)
        data = [self._python_column(n) for n in names]
        return [
            self.model(**{k: v for k, v in zip(names, row, strict=True) if v is not None})
            for row in zip(*data, strict=True)
        ]

    def to_pandas(self) -> Any:
        """A pandas DataFrame: money as Decimal objects, timestamps UTC, nullable flags."""
        return _export.to_pandas(self)

    def to_arrow(self) -> Any:
        """A pyarrow Table: money as decimal128, timestamps as UTC microseconds."""
        return _export.to_arrow(self)

    def to_polars(self) -> Any:
        """A polars DataFrame: money as Decimal, timestamps as UTC microseconds."""
        return _export.to_polars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._length} rows; columns {', '.join(self.columns)})"

    def equals(self, other: object) -> bool:
        """Whether two tables of the same kind hold the same rows in the same order."""
        return (
            isinstance(other, Table)
            and type(other) is type(self)
            and self.to_records() == other.to_records()
        )


def _stored_cell(spec: ColumnSpec, value: Any, model: _Record) -> Stored:
    """One validated field of ``model``, ``value``, not missing, as a one-row stored column."""
    kind = spec.kind
    if kind in _ENCODED_KINDS:
        return Stored(kind, np.zeros(1, np.int32), np.array([value], dtype=object))
    if kind is ColumnKind.TIMESTAMP:
        return Stored(kind, np.array([to_micros(value)], np.int64))
    if kind is ColumnKind.MONEY:
        code = getattr(model, "currency", None)
        if code is None:
            raise ValueError(f"{spec.name} needs the record's currency to be stored")
        minor = decimal_to_minor(value, lookup_currency(code).exponent, None)
        return Stored(kind, np.array([minor], np.int64))
    if kind is ColumnKind.TAGS:
        tags = np.empty(1, dtype=object)
        tags[0] = tuple(value)
        return Stored(kind, tags)
    if kind is ColumnKind.RATIO:
        return Stored(kind, np.array([value], np.float64))
    if kind is ColumnKind.BOOL:
        return Stored(kind, np.array([int(bool(value))], np.int8))
    return Stored(kind, np.array([int(value)], np.int64))


#: `ENCODED` as a tuple: enum members are found by identity, without hashing them.
_ENCODED_KINDS = tuple(ENCODED)


def _frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values.flags.writeable = False
    return values


def _missing_cell(kind: ColumnKind) -> Stored:
    """A one-row column holding a missing cell (no tags for tags); read-only, to be shared."""
    missing = _frozen(np.array([True]))
    if kind in ENCODED:
        codes = _frozen(np.array([-1], np.int32))
        cell = Stored(kind, codes, _frozen(np.array([], dtype=object)), missing)
    elif kind is ColumnKind.TAGS:
        tags = np.empty(1, dtype=object)
        tags[0] = ()
        cell = Stored(kind, _frozen(tags))
    elif kind is ColumnKind.RATIO:
        cell = Stored(kind, _frozen(np.array([np.nan])))
    elif kind is ColumnKind.BOOL:
        cell = Stored(kind, _frozen(np.array([-1], np.int8)), None, missing)
    else:
        cell = Stored(kind, _frozen(np.zeros(1, np.int64)), None, missing)
    return cell


def _fill_default(spec: ColumnSpec, stored: Stored) -> Stored:
    if spec.default is None or stored.missing is None or stored.categories is None:
        return stored
    categories = list(stored.categories)
    if spec.default not in categories:
        categories = sorted([*categories, spec.default])
        old = np.array([categories.index(c) for c in stored.categories] + [-1], dtype=np.int32)
        values = old[stored.values]
    else:
        values = stored.values.copy()
    values[stored.missing] = categories.index(spec.default)
    return Stored(stored.kind, values, np.array(categories, dtype=object), None)


def _extra_values(raw: RawColumn) -> npt.NDArray[Any]:
    """An extra column as given: typed numpy values, or objects with ``None`` where null."""
    if raw.kind == "datetime":
        values = np.empty(len(raw.values), dtype=object)
        values[:] = [
            None if m else from_micros(int(v)) for v, m in zip(raw.values, raw.missing, strict=True)
        ]
        return values
    if raw.kind in ("strings", "codes"):
        return as_objects(raw).values
    if raw.kind in ("int", "bool") and raw.missing.any():
        values = raw.values.astype(object)
        values[raw.missing] = None
        return values
    return raw.values


def _duplicate_keys(
    table: str, key: Sequence[str], columns: Mapping[str, Stored], size: int
) -> list[Problem]:
    if not key or size == 0:
        return []
    usable = np.ones(size, dtype=bool)
    combined = np.zeros(size, dtype=np.int64)
    for name in key:
        codes = columns[name].values.astype(np.int64)
        categories = columns[name].categories
        usable &= codes >= 0
        # Codes index sorted categories, so one int64 per key stays unique (< 2**31 each).
        combined = combined * (len(categories) if categories is not None else 1) + codes
    rows = np.flatnonzero(usable)
    _, inverse, counts = np.unique(combined[rows], return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    repeated = counts[inverse] > 1
    if not repeated.any():
        return []
    problems = []
    groups: dict[int, list[int]] = {}
    for row, group in zip(rows[repeated], inverse[repeated], strict=True):
        groups.setdefault(int(group), []).append(int(row))
    label = " + ".join(key)
    for members in groups.values():
        values = list(zip(*(decode_cells(columns, name, members) for name in key), strict=True))
        for row, value in zip(members, values, strict=True):
            others = [r for r in members[:11] if r != row][:10]
            more = f" and {len(members) - 11} more" if len(members) > 11 else ""
            problems.append(
                Problem(
                    row,
                    label,
                    value[0] if len(value) == 1 else value,
                    f"duplicate {label} (also at rows {', '.join(map(str, others))}{more})",
                )
            )
    return problems


def decode_cells(columns: Mapping[str, Stored], name: str, rows: Sequence[int]) -> list[Any]:
    """Stored cells as plain values: text, Decimal amounts, ints (``None`` where missing)."""
    column = columns[name]
    index = np.asarray(rows, dtype=np.intp)
    if column.categories is not None:
        decoded = np.append(column.categories, np.array([None], dtype=object))
        return list(decoded[column.values[index]])
    missing = np.zeros(index.size, bool) if column.missing is None else column.missing[index]
    values = column.values[index].tolist()
    if column.kind is ColumnKind.MONEY and "currency" in columns:
        exponents = exponents_of(columns["currency"].take(index)).tolist()
        values = [
            Decimal(v).scaleb(-e) if e >= 0 else v for v, e in zip(values, exponents, strict=True)
        ]
    return [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]


def row_problems(
    columns: Mapping[str, Stored], size: int, rule: npt.NDArray[np.bool_], column: str, reason: str
) -> list[Problem]:
    """A problem for each row where ``rule`` holds, showing the cell of ``column``."""
    if not rule.any():
        return []
    rows = np.flatnonzero(rule).tolist()
    return [
        Problem(row, column, value, reason)
        for row, value in zip(rows, decode_cells(columns, column, rows), strict=True)
    ]

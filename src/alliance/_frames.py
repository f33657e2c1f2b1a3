"""Getting columns in and out: records, CSV, and any DataFrame through narwhals.

Nothing here imports pandas, polars or pyarrow at module level; they are reached through
narwhals (the ``dataframes`` extra) or imported inside the function that needs them.
"""

from __future__ import annotations

import csv
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from alliance.errors import DataError, MissingDependency, Problem

__all__ = [
    "RawColumn",
    "columns_from_arrays",
    "columns_from_csv",
    "columns_from_frame",
    "columns_from_records",
    "frame_to_records",
    "optional_import",
]

RawKind = Literal[
    "object", "strings", "codes", "int", "float", "bool", "datetime", "naive_datetime"
]

_EXTRAS = {
    "narwhals": "dataframes",
    "pandas": "dev",
    "polars": "dev",
    "pyarrow": "dev",
    "pyarrow.parquet": "dev",
    "matplotlib": "plot",
    "scipy": "stats",
    "rich": "cli",
    "hypothesis": "testing",
    "yaml": "yaml",
}


def optional_import(module: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or fail with the command that installs it.

    Raises:
        MissingDependency: The module is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        extra = _EXTRAS.get(module, _EXTRAS.get(top, "dev"))
        hint = f"pip install 'alliance[{extra}]'" if extra != "dev" else f"pip install {top}"
        raise MissingDependency(f"{purpose} needs {top}; install it with: {hint}") from None


@dataclass(frozen=True, slots=True)
class RawColumn:
    """A column as it arrived, before parsing.

    Attributes:
        values: An object array, or a typed numpy array for numeric, boolean and datetime
            input (datetimes as int64 microseconds since the epoch, UTC), a numpy string
            array (``strings``), or int64 codes into `categories` (``codes``, -1 missing).
        missing: True where the cell is null.
        kind: What ``values`` holds.
        categories: The distinct values that ``codes`` index into.
    """

    values: npt.NDArray[Any]
    missing: npt.NDArray[np.bool_]
    kind: RawKind
    categories: npt.NDArray[Any] | None = None

    def cell(self, row: int) -> Any:
        """The value of one cell as given (``None`` when missing)."""
        if self.missing[row]:
            return None
        value = self.values[row]
        if self.kind == "codes" and self.categories is not None:
            value = self.categories[int(value)]
        return value.item() if isinstance(value, np.generic) else value


def _object_column(values: list[Any]) -> RawColumn:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    return RawColumn(array, missing, "object")


def columns_from_records(rows: Iterable[Any]) -> tuple[dict[str, RawColumn], int]:
    """Columns from an iterable of mappings or pydantic models (absent keys are missing)."""
    dicts: list[Mapping[str, Any]] = []
    for position, row in enumerate(rows):
        if isinstance(row, BaseModel):
            dicts.append(dict(row))
        elif isinstance(row, Mapping):
            dicts.append(row)
        else:
            raise TypeError(
                f"record {position} is a {type(row).__name__}; expected a mapping or a model"
            )
    names: dict[str, None] = {}
    for row in dicts:
        for key in row:
            names.setdefault(str(key), None)
    columns = {name: _object_column([row.get(name) for row in dicts]) for name in names}
    return columns, len(dicts)


def columns_from_arrays(
    columns: Mapping[str, Any], timestamps: Iterable[str] = (), flags: Iterable[str] = ()
) -> tuple[dict[str, RawColumn], int]:
    """Columns from numpy arrays (or ``(codes, categories)`` pairs), without a cell loop.

    Args:
        columns: Arrays by column name (see `Table.from_arrays`).
        timestamps: Names whose integer arrays are microseconds since the epoch, UTC.
        flags: Names whose integer arrays are flags (1, 0, or -1 when unknown).
    """
    timestamp_names, flag_names = set(timestamps), set(flags)
    raw: dict[str, RawColumn] = {}
    for name, given in columns.items():
        raw[name] = _raw_array(name, given, name in timestamp_names, name in flag_names)
    lengths = {name: len(column.values) for name, column in raw.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns differ in length: {lengths}")
    return raw, next(iter(lengths.values()), 0)


def _raw_array(name: str, given: Any, is_timestamp: bool, is_flag: bool) -> RawColumn:
    if isinstance(given, tuple):
        if len(given) != 2:
            raise TypeError(f"{name}: a coded column is a pair (codes, categories)")
        codes = np.asarray(given[0])
        categories = np.asarray(given[1], dtype=object).reshape(-1)
        if codes.ndim != 1 or codes.dtype.kind not in "iu":
            raise TypeError(f"{name}: codes must be a 1-d integer array, got {codes.dtype}")
        codes = codes.astype(np.int64)
        if codes.size and (int(codes.min()) < -1 or int(codes.max()) >= categories.size):
            raise ValueError(
                f"{name}: codes must lie in -1 .. {categories.size - 1} "
                f"(-1 for missing), got {int(codes.min())} .. {int(codes.max())}"
            )
        return RawColumn(codes, codes < 0, "codes", categories)
    array = np.asarray(given)
    if array.ndim != 1:
        raise TypeError(f"{name}: expected a 1-d array, got shape {array.shape}")
    kind = array.dtype.kind
    if kind in "UT":
        return RawColumn(array, np.zeros(array.size, dtype=bool), "strings")
    if kind == "M":
        raise TypeError(
            f"{name}: numpy datetime64 carries no time zone; give int64 microseconds since the "
            "epoch (UTC)"
        )
    if kind == "b":
        return RawColumn(array, np.zeros(array.size, dtype=bool), "bool")
    if kind in "iu":
        if kind == "u" and array.size and int(array.max()) > 2**63 - 1:
            raise ValueError(f"{name}: values past the int64 range")
        values = array.astype(np.int64)
        if is_flag:
            return RawColumn(values > 0, values < 0, "bool")
        return RawColumn(
            values, np.zeros(array.size, dtype=bool), "datetime" if is_timestamp else "int"
        )
    if kind == "f":
        return RawColumn(array.astype(np.float64), np.isnan(array), "float")
    if kind == "O":
        missing = np.fromiter((v is None for v in array), dtype=bool, count=array.size)
        return RawColumn(array, missing, "object")
    raise TypeError(f"{name}: cannot read a column of dtype {array.dtype}")


def columns_from_csv(
    path: str | PathLike[str], *, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> tuple[dict[str, RawColumn], int]:
    """Columns of strings from a CSV file with a header row; empty cells are missing."""
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return {}, 0
        cells: list[list[str]] = [[] for _ in header]
        problems = []
        for line_number, row in enumerate(reader):
            if len(row) != len(header):
                problems.append(
                    Problem(
                        line_number,
                        "*",
                        row,
                        f"has {len(row)} fields where the header has {len(header)}",
                    )
                )
                row = (row + [""] * len(header))[: len(header)]
            for column, cell in zip(cells, row, strict=True):
                column.append(cell)
    if problems:
        raise DataError(str(path), problems)
    columns = {
        name.strip(): _object_column([cell if cell != "" else None for cell in column])
        for name, column in zip(header, cells, strict=True)
    }
    return columns, len(cells[0]) if cells else 0


def columns_from_frame(frame: Any) -> tuple[dict[str, RawColumn], int]:
    """Columns from a pandas, polars or pyarrow table (or anything narwhals reads)."""
    nw = optional_import("narwhals", "reading a DataFrame")
    try:
        data = nw.from_native(frame, eager_only=True)
    except TypeError as error:
        raise TypeError(
            f"cannot read a table from {type(frame).__name__}: expected a pandas, polars or "
            "pyarrow table"
        ) from error
    columns: dict[str, RawColumn] = {}
    for name in data.columns:
        series = data[name]
        missing = np.asarray(series.is_null().to_numpy(), dtype=bool)
        dtype = series.dtype
        if dtype.is_integer():
            kind: RawKind = "int"
            values = np.asarray(series.fill_null(0).to_numpy())
            if values.dtype.kind == "u" and values.size and int(values.max()) > 2**63 - 1:
                # Past int64: keep Python ints, so that a huge value is reported as it is.
                kind, values = "object", values.astype(object)
                values[missing] = np.array(None, dtype=object)
            else:
                values = values.astype(np.int64)
        elif dtype.is_float():
            kind = "float"
            values = np.asarray(series.to_numpy(), dtype=np.float64)
        elif dtype == nw.Boolean:
            kind = "bool"
            values = np.asarray(series.fill_null(False).to_numpy(), dtype=bool)
        elif dtype == nw.Datetime:
            if dtype.time_zone is None:
                kind = "naive_datetime"
                # Microseconds, so that a cell reads back as a datetime, not nanoseconds.
                values = np.asarray(series.to_numpy()).astype("datetime64[us]")
            else:
                kind = "datetime"
                micros = series.dt.convert_time_zone("UTC").dt.timestamp("us")
                values = np.asarray(micros.fill_null(0).to_numpy()).astype(np.int64)
        else:
            kind = "object"
            values = np.asarray(series.to_numpy(), dtype=object)
            if missing.any():
                values = values.copy()
                values[missing] = np.array(None, dtype=object)
        columns[str(name)] = RawColumn(values, missing, kind)
    return columns, len(data)


def frame_to_records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a DataFrame as dictionaries of plain Python values."""
    nw = optional_import("narwhals", "reading a DataFrame")
    data = nw.from_native(frame, eager_only=True)
    rows: list[dict[str, Any]] = data.rows(named=True)
    return rows

"""Writing tables out: pandas, polars and Arrow, each imported only when asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alliance._columns import ENCODED
from alliance._currency import currency as lookup_currency
from alliance._fields import ColumnKind
from alliance._frames import optional_import

if TYPE_CHECKING:
    from alliance._table import Table

__all__ = ["to_arrow", "to_pandas", "to_polars"]


def _scale(table: Table) -> int:
    if "currency" not in table._columns:
        return 0
    categories = table._columns["currency"].categories
    if categories is None or len(categories) == 0:
        return 2
    return max(lookup_currency(c).exponent for c in categories)


def to_pandas(table: Table) -> Any:
    """A pandas DataFrame: money as Decimal objects, timestamps UTC, nullable flags."""
    pd = optional_import("pandas", "to_pandas")
    data: dict[str, Any] = {}
    for name in table.columns:
        if name in table._extras:
            data[name] = table._extras[name]
            continue
        column = table._columns[name]
        if column.kind is ColumnKind.TIMESTAMP:
            series = pd.to_datetime(column.values, unit="us", utc=True)
            data[name] = series.where(~table.missing(name), pd.NaT)
        elif column.kind is ColumnKind.BOOL:
            data[name] = pd.array(table._python_column(name), dtype="boolean")
        elif column.kind is ColumnKind.INT:
            data[name] = pd.array(table._python_column(name), dtype="Int64")
        elif column.kind is ColumnKind.RATIO:
            data[name] = column.values
        else:
            values = np.empty(table._length, dtype=object)
            values[:] = table._python_column(name)
            data[name] = values
    return pd.DataFrame(data, columns=list(table.columns))


def to_arrow(table: Table) -> Any:
    """A pyarrow Table: money as decimal128, timestamps as UTC microseconds."""
    pa = optional_import("pyarrow", "to_arrow")
    arrays = {}
    for name in table.columns:
        if name in table._extras:
            arrays[name] = pa.array(list(table._extras[name]))
            continue
        column = table._columns[name]
        mask = table.missing(name)
        if column.kind is ColumnKind.TIMESTAMP:
            arrays[name] = pa.array(column.values, pa.timestamp("us", tz="UTC"), mask=mask)
        elif column.kind is ColumnKind.MONEY:
            arrays[name] = pa.array(table._python_column(name), pa.decimal128(38, _scale(table)))
        elif column.kind is ColumnKind.TAGS:
            arrays[name] = pa.array([list(t) for t in column.values], pa.list_(pa.string()))
        elif column.kind is ColumnKind.RATIO:
            arrays[name] = pa.array(column.values, pa.float64(), from_pandas=True)
        elif column.kind in ENCODED:
            arrays[name] = pa.array(table._python_column(name), pa.string())
        else:
            arrays[name] = pa.array(table._python_column(name))
    return pa.table(arrays)


def to_polars(table: Table) -> Any:
    """A polars DataFrame: money as Decimal, timestamps as UTC microseconds."""
    pl = optional_import("polars", "to_polars")
    series = []
    for name in table.columns:
        if name in table._extras:
            series.append(pl.Series(name, list(table._extras[name])))
            continue
        column = table._columns[name]
        if column.kind is ColumnKind.TIMESTAMP:
            micros = pl.Series(name, column.values, dtype=pl.Int64)
            micros = micros.set(pl.Series(table.missing(name)), None)
            series.append(micros.cast(pl.Datetime("us", "UTC")))
        elif column.kind is ColumnKind.MONEY:
            series.append(
                pl.Series(name, table._python_column(name), dtype=pl.Decimal(38, _scale(table)))
            )
        elif column.kind is ColumnKind.TAGS:
            series.append(
                pl.Series(name, [list(t) for t in column.values], dtype=pl.List(pl.String))
            )
        elif column.kind is ColumnKind.RATIO:
            series.append(pl.Series(name, column.values, dtype=pl.Float64, nan_to_null=True))
        elif column.kind in ENCODED:
            series.append(pl.Series(name, table._python_column(name), dtype=pl.String))
        elif column.kind is ColumnKind.BOOL:
            series.append(pl.Series(name, table._python_column(name), dtype=pl.Boolean))
        else:
            series.append(pl.Series(name, table._python_column(name), dtype=pl.Int64))
    return pl.DataFrame(series)

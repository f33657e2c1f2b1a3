"""Ledger entries and statements as flat rows, and as CSV, JSON or Parquet files.

Every format holds the same columns, taken from the fields of `Entry` or `Statement` in order:

* a `Money` field ``<name>`` becomes ``<name>`` (the exact amount as a decimal string, with at
  least the currency's minor-unit places: ``"12.30"``, JPY ``"1200"``, ``"-0.05"``) and
  ``<name>_currency``; each money field has its own currency column, even when all of a
  record's amounts share one currency. Parquet adds ``<name>_minor``, the amount as int64
  minor units, which an analyst can sum;
* a `Period` becomes ``<name>`` (its label, ``2026-10``), ``<name>_start`` and
  ``<name>_end`` (its bounds, in the period's own time zone);
* a `datetime` becomes ISO 8601 text with its UTC offset (a timestamp in UTC microseconds in
  Parquet), a `Decimal` a plain decimal string, and ``None`` an empty CSV cell or a JSON
  ``null``.

Nothing is ever rounded: an amount finer than its currency's minor unit keeps its digits in
CSV and JSON, and cannot be written to Parquet, whose ``_minor`` column would have to round it.
"""

from __future__ import annotations

import csv
import functools
import json
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

from alliance._frames import optional_import
from alliance._kernels import INT64_MAX
from alliance._money import Money
from alliance._periods import Period, require_aware, to_micros
from alliance.errors import InvalidAmount, MoneyOverflow
from alliance.settlement._ledger import Entry, Settlement, Statement

__all__ = ["export", "to_records", "write_csv", "write_json", "write_parquet"]

_Format = Literal["csv", "json", "parquet"]

_SUFFIXES: dict[str, _Format] = {".csv": "csv", ".json": "json", ".parquet": "parquet"}

#: A spreadsheet reads a cell starting with one of these as a formula (``=``, ``+``, ``-``,
#: ``@``; tab and carriage return are stripped before it looks). The quote itself is on the
#: list so that escaping can always be undone by dropping one leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

_FieldKind = Literal["text", "money", "period", "datetime", "decimal", "int"]
_Record = Entry | Statement
_Kind = type[Entry] | type[Statement]


@dataclass(frozen=True, slots=True)
class _Field:
    """One field of a record and how it is written out."""

    name: str
    kind: _FieldKind

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the field becomes in records, CSV and JSON."""
        if self.kind == "money":
            return (self.name, f"{self.name}_currency")
        if self.kind == "period":
            return (self.name, f"{self.name}_start", f"{self.name}_end")
        return (self.name,)


#: Field types and how they are written, checked in this order.
_KINDS: tuple[tuple[type, _FieldKind], ...] = (
    (Money, "money"),
    (Period, "period"),
    (datetime, "datetime"),
    (Decimal, "decimal"),
    (str, "text"),
    (int, "int"),
)


def _field_kind(owner: str, name: str, annotation: Any) -> _FieldKind:
    """Classify a model field by its annotation; a type this module cannot write is an error."""
    candidates = [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        candidates = [arg for arg in get_args(annotation) if arg is not type(None)]
    if len(candidates) == 1:
        (kind,) = candidates
        if get_origin(kind) is Literal and all(isinstance(a, str) for a in get_args(kind)):
            return "text"
        if kind is AwareDatetime:
            return "datetime"
        # A bool is an int to issubclass, but a flag is not a count: refused until one exists.
        if isinstance(kind, type) and not issubclass(kind, bool):
            for base, found in _KINDS:
                if issubclass(kind, base):
                    return found
    raise TypeError(f"{owner}.{name}: cannot export a field of type {annotation!r}")


@functools.cache
def _fields(kind: _Kind) -> tuple[_Field, ...]:
    return tuple(
        _Field(name, _field_kind(kind.__name__, name, info.annotation))
        for name, info in kind.model_fields.items()
    )


def _columns(kind: _Kind) -> list[str]:
    return [column for field in _fields(kind) for column in field.columns]


def _collect(items: Iterable[_Record], kind: _Kind | None) -> tuple[_Kind | None, list[_Record]]:
    """The items as a list, all of one kind (``None`` when there are none and no kind)."""
    if kind is not None and kind is not Entry and kind is not Statement:
        raise TypeError(f"kind={kind!r} must be Entry or Statement")
    if isinstance(items, Settlement):
        raise TypeError("items is a Settlement; export settlement.entries or settlement.statements")
    if isinstance(items, BaseModel | str | bytes):
        raise TypeError(
            f"items must be an iterable of Entry or Statement, got a single "
            f"{type(items).__name__}; wrap it in a list"
        )
    records = list(items)
    for position, item in enumerate(records):
        found = type(item)
        if found is not Entry and found is not Statement:
            raise TypeError(f"items[{position}] is a {found.__name__}; expected Entry or Statement")
        if kind is None:
            kind = found
        elif found is not kind:
            first = f"kind={kind.__name__}" if position == 0 else f"items[0] is {kind.__name__}"
            raise TypeError(
                f"items[{position}] is {found.__name__} where {first}; "
                "export entries and statements separately"
            )
    return kind, records


def _require_kind(kind: _Kind | None) -> _Kind:
    if kind is None:
        raise ValueError(
            "items is empty and kind is None; pass kind=Entry or kind=Statement so that the "
            "file has the columns of that kind"
        )
    return kind


def _amount_text(money: Money) -> str:
    """The exact amount, with at least the currency's minor-unit places (``12.30``)."""
    try:
        minor = money.minor
    except InvalidAmount:
        return format(money.amount, "f")
    # Rebuilt from minor units: exactly the minor-unit places, and never "-0.00".
    return format(Money.from_minor(minor, money.currency_info).amount, "f")


def _datetime_text(value: datetime, where: str) -> str:
    return require_aware(value, name=where).isoformat()


def _record(item: _Record, position: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in _fields(type(item)):
        value = getattr(item, field.name)
        if value is None:
            row.update(dict.fromkeys(field.columns))
        elif field.kind == "money":
            row[field.name] = _amount_text(value)
            row[f"{field.name}_currency"] = value.currency
        elif field.kind == "period":
            row[field.name] = value.label
            row[f"{field.name}_start"] = value.local_start.isoformat()
            row[f"{field.name}_end"] = value.local_end.isoformat()
        elif field.kind == "datetime":
            row[field.name] = _datetime_text(value, f"items[{position}].{field.name}")
        elif field.kind == "decimal":
            row[field.name] = format(value, "f")
        else:
            row[field.name] = value
    return row


def to_records(items: Iterable[Entry] | Iterable[Statement]) -> list[dict[str, Any]]:
    """Flat rows of entries or statements, for files and spreadsheets.

    Each row holds plain values: exact decimal strings for amounts and rates, ISO 8601 text
    for instants, ``int`` for counts, ``str`` for text, and ``None`` for what is absent (see
    the module documentation for the columns).

    Args:
        items: Entries, or statements (not both).

    Returns:
        One dictionary per item, in order, with the same keys in the same order.

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, or the items mix the two.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.

    Examples:
        >>> from datetime import UTC, datetime
        >>> entry = Entry(
        ...     entry_id="e1",
        ...     txn_id="t1",
        ...     kind="approval",
        ...     account="payable:kol-1",
        ...     partner_id="kol-1",
        ...     amount=Money.from_minor(-1230, "USD"),
        ...     ts=datetime(2026, 10, 5, 12, tzinfo=UTC),
        ...     period="2026-10",
        ...     source="sale|o1|1|kol-1",
        ... )
        >>> row = to_records([entry])[0]
        >>> row["amount"], row["amount_currency"], row["ts"]
        ('-12.30', 'USD', '2026-10-05T12:00:00+00:00')
        >>> list(row)  # doctest: +NORMALIZE_WHITESPACE
        ['entry_id', 'txn_id', 'kind', 'account', 'partner_id', 'amount', 'amount_currency',
         'ts', 'period', 'source', 'memo']
    """
    _, records = _collect(items, None)
    return [_record(item, position) for position, item in enumerate(records)]


def _csv_cell(value: str | int | None, free_text: bool) -> str:
    if value is None:
        return ""
    text = str(value)
    if free_text and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(
    items: Iterable[Entry] | Iterable[Statement],
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries or statements to a UTF-8 CSV file with a header row.

    The cells are those of `to_records`; ``None`` is an empty cell.

    Formula injection: a spreadsheet may run a cell that starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return as a formula (OWASP, "CSV Injection"). So every cell of a
    free-text column (ids, ``account``, ``partner_id``, ``source``, ``memo``, ``reason`` …)
    that starts with one of those characters, or with a single quote, gets a single quote
    (``'``) in front: ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, ``-2+3`` is written
    ``'-2+3``. The cells this module formats itself (amounts such as ``-12.30`` and their
    currency codes, rates, ISO instants, period labels and bounds, counts) are never escaped,
    so amounts stay numbers. To read a free-text cell back, drop its first character when it
    is a quote: that gives the original text exactly.

    Args:
        items: Entries, or statements (not both).
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`: the columns to write when `items` is empty.

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            or an item is not of `kind`.
        ValueError: `items` is empty and `kind` is ``None``.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
    """
    found, records = _collect(items, kind)
    found = _require_kind(found)
    columns = _columns(found)
    free_text = {field.name for field in _fields(found) if field.kind == "text"}
    rows = [_record(item, position) for position, item in enumerate(records)]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(
            [_csv_cell(row[column], column in free_text) for column in columns] for row in rows
        )


def write_json(
    items: Iterable[Entry] | Iterable[Statement],
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries or statements to a UTF-8 JSON file: an array of `to_records` rows.

    Amounts and rates are strings holding exact decimals; absent values are ``null``.

    Args:
        items: Entries, or statements (not both).
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`, required when `items` is empty (the file is ``[]``).

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            or an item is not of `kind`.
        ValueError: `items` is empty and `kind` is ``None``.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
    """
    found, records = _collect(items, kind)
    _require_kind(found)
    rows = [_record(item, position) for position, item in enumerate(records)]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, ensure_ascii=False, indent=2)
        handle.write("\n")


def _minor_units(money: Money, where: str) -> int:
    if not money.is_whole():
        raise InvalidAmount(
            f"{where}={money} is finer than the {money.currency} minor unit; Parquet keeps "
            "whole minor units, so round it first"
        )
    minor = money.minor
    if not -INT64_MAX - 1 <= minor <= INT64_MAX:
        raise MoneyOverflow(f"{where}={money} does not fit in int64 minor units")
    return minor


def _micros(value: datetime, where: str) -> int:
    return to_micros(require_aware(value, name=where))


_Cell = Callable[[Any, str], Any]


def _parquet_columns(field: _Field, pa: Any) -> list[tuple[str, Any, _Cell]]:
    """The Parquet columns of one field: name, Arrow type, and the cell of a present value."""
    text, instant = pa.string(), pa.timestamp("us", tz="UTC")
    name = field.name
    if field.kind == "money":
        return [
            (name, text, lambda money, _: _amount_text(money)),
            (f"{name}_currency", text, lambda money, _: money.currency),
            (f"{name}_minor", pa.int64(), _minor_units),
        ]
    if field.kind == "period":
        return [
            (name, text, lambda period, _: period.label),
            (f"{name}_start", instant, lambda period, _: period.start_us),
            (f"{name}_end", instant, lambda period, _: period.end_us),
        ]
    if field.kind == "datetime":
        return [(name, instant, _micros)]
    if field.kind == "decimal":
        return [(name, text, lambda rate, _: format(rate, "f"))]
    if field.kind == "int":
        return [(name, pa.int64(), lambda count, _: count)]
    return [(name, text, lambda value, _: value)]


def write_parquet(
    items: Iterable[Entry] | Iterable[Statement],
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries or statements to a Parquet file (needs pyarrow).

    The columns are those of `to_records`, typed: each amount stays an exact decimal string,
    followed by its currency and by ``<name>_minor``, the amount in int64 minor units (sum
    those, per currency); instants and period bounds are ``timestamp[us, tz=UTC]``; counts
    are int64; rates are decimal strings; everything else is a string.

    Args:
        items: Entries, or statements (not both).
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`: the schema to write when `items` is empty.

    Raises:
        MissingDependency: pyarrow is not installed.
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            or an item is not of `kind`.
        ValueError: `items` is empty and `kind` is ``None``.
        InvalidAmount: An amount is finer than its currency's minor unit.
        MoneyOverflow: An amount does not fit in int64 minor units.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
    """
    pa = optional_import("pyarrow", "write_parquet")
    parquet = optional_import("pyarrow.parquet", "write_parquet")
    found, records = _collect(items, kind)
    found = _require_kind(found)
    names, types_, arrays = [], [], []
    for field in _fields(found):
        values = [getattr(item, field.name) for item in records]
        for name, type_, cell in _parquet_columns(field, pa):
            cells = [
                None if value is None else cell(value, f"items[{position}].{field.name}")
                for position, value in enumerate(values)
            ]
            names.append(name)
            types_.append(type_)
            arrays.append(pa.array(cells, type_))
    schema = pa.schema(list(zip(names, types_, strict=True)))
    parquet.write_table(pa.Table.from_arrays(arrays, schema=schema), Path(path))


def export(
    items: Iterable[Entry] | Iterable[Statement],
    path: str | PathLike[str],
    *,
    format: Literal["csv", "json", "parquet"] | None = None,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries or statements to CSV, JSON or Parquet, chosen by the file's suffix.

    Args:
        items: Entries, or statements (not both).
        path: The file to write (replaced if it exists).
        format: ``"csv"``, ``"json"`` or ``"parquet"``; ``None`` picks it by the suffix of
            `path` (``.csv``, ``.json``, ``.parquet``, in any case).
        kind: `Entry` or `Statement`: the columns to write when `items` is empty.

    Raises:
        ValueError: `format` is not one of the three, or is ``None`` and the suffix is none
            of theirs; or `items` is empty and `kind` is ``None``.
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            or an item is not of `kind`.
        MissingDependency: Parquet was asked for and pyarrow is not installed.
        InvalidAmount: Parquet was asked for and an amount is finer than its minor unit.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
    """
    if format is None:
        suffix = Path(path).suffix
        chosen = _SUFFIXES.get(suffix.lower())
        if chosen is None:
            raise ValueError(
                f"cannot tell the format of {str(path)!r} from its suffix {suffix!r}; "
                f"expected one of {', '.join(_SUFFIXES)}, or pass format="
                f"{' / '.join(repr(f) for f in _SUFFIXES.values())}"
            )
        format = chosen
    writers = {"csv": write_csv, "json": write_json, "parquet": write_parquet}
    writer = writers.get(format)
    if writer is None:
        raise ValueError(f"format={format!r} is not one of {', '.join(repr(f) for f in writers)}")
    writer(items, path, kind=kind)

"""Ledger entries, statements and movements as flat rows, and as CSV, JSON or Parquet files.

Every format holds the same columns. For entries and statements they are taken from the fields
of `Entry` or `Statement` in order:

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

`Movements` (a settlement's detail per commission line, ``settlement.movements``) are written
from their columns, without building an object per row. Their columns are ``txn_id, kind,
commission_id, source, order_id, line_id, partner_id, contract_id, version, amount, currency,
ts, period, reversal_id, rejected``:

* ``commission_id`` is computed, ``source|order|line|partner`` (``-`` for no line);
* ``amount`` is the exact decimal text of the int64 minor units, with the currency's
  minor-unit places (``"12.30"``, JPY ``"1200"``, ``"-0.05"``), and ``currency`` its ISO 4217
  code; Parquet adds ``amount_minor`` (int64 minor units) right after ``currency``;
* ``ts`` is ISO 8601 text in UTC (``2026-10-05T12:00:00+00:00``; a timestamp in UTC
  microseconds in Parquet);
* ``version`` is an int, ``rejected`` a bool (``true``/``false`` in CSV and JSON);
* the other columns are text, and ``None`` an empty CSV cell or a JSON ``null``.

Movements always carry their columns, so an empty one still writes a header row, ``[]`` or a
Parquet file with the schema.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import numpy as np
import numpy.typing as npt
from pydantic import AwareDatetime, BaseModel

from alliance._currency import currency
from alliance._frames import optional_import
from alliance._kernels import INT64_MAX
from alliance._money import Money
from alliance._periods import Period, require_aware, to_micros
from alliance.errors import CurrencyError, InvalidAmount, MoneyOverflow
from alliance.settlement._ledger import Entry, Movements, Settlement, Statement, commission_ids

__all__ = ["export", "to_records", "write_csv", "write_json", "write_parquet"]

_Format = Literal["csv", "json", "parquet"]

_SUFFIXES: dict[str, _Format] = {".csv": "csv", ".json": "json", ".parquet": "parquet"}

#: A spreadsheet reads a cell starting with one of these as a formula (``=``, ``+``, ``-``,
#: ``@``; tab and carriage return are stripped before it looks). The quote itself is on the
#: list so that escaping can always be undone by dropping one leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
#: A formula character starting a cell, in cells each led by a NUL.
_ESCAPE_AFTER_NUL = re.compile("\0[" + re.escape("".join(_FORMULA_START)) + "]")

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
        raise TypeError(
            "items is a Settlement; export settlement.entries, settlement.statements or "
            "settlement.movements"
        )
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


# -- movements ----------------------------------------------------------------------------------

#: The columns of exported movements, in order (Parquet adds ``amount_minor`` after
#: ``currency``).
_MOVEMENT_COLUMNS = (
    "txn_id",
    "kind",
    "commission_id",
    "source",
    "order_id",
    "line_id",
    "partner_id",
    "contract_id",
    "version",
    "amount",
    "currency",
    "ts",
    "period",
    "reversal_id",
    "rejected",
)
#: Movement columns that hold stored text (``commission_id`` is joined from four of them).
_MOVEMENT_TEXT = tuple(
    name for name in Movements.COLUMNS if name not in Movements.INTEGERS + Movements.FLAGS
)
#: Text that must be present: the commission line's parts, and the currency of the amount.
_MOVEMENT_REQUIRED = frozenset({"source", "order_id", "partner_id", "currency"})
#: The free-text columns CSV escapes, as for entries (whose ``kind`` and ``period`` are
#: escaped too; a real kind or period label never starts with a formula character). The
#: cells written here from checked values are not: amounts, ISO currency codes, instants,
#: versions and flags.
_MOVEMENT_FREE_TEXT = frozenset(_MOVEMENT_TEXT) - {"currency"} | {"commission_id"}
#: Rows formatted at a time, which bounds the memory an export of millions of rows needs.
_CHUNK_ROWS = 65_536
#: Rows per Parquet row group.
_PARQUET_ROWS = 1_048_576
_US_PER_DAY = 86_400_000_000
#: The instants an aware `datetime` can hold, in µs since the epoch: years 1 to 9999.
_FIRST_US = to_micros(datetime.min.replace(tzinfo=UTC))
_LAST_US = to_micros(datetime.max.replace(tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class _Movements:
    """Movements checked for export, with each row's ISO currency code and minor unit.

    Attributes:
        columns: The movements.
        currency: Each row's ISO 4217 code.
        exponent: Each row's minor-unit places.
        exponents: The distinct minor-unit places, ascending.
        holding_none: The text columns that hold ``None`` somewhere.
    """

    columns: Movements
    currency: npt.NDArray[np.object_]
    exponent: npt.NDArray[np.int64]
    exponents: tuple[int, ...]
    holding_none: frozenset[str]

    def __len__(self) -> int:
        return len(self.columns)


def _check_movements(movements: Movements) -> _Movements:
    """Check what the formats rely on, so that a bad row is refused before anything is written.

    Raises:
        TypeError: A text column holds something other than text, or ``None`` where the
            commission line or the currency needs text.
        CurrencyError: A currency is not an ISO 4217 code.
        OverflowError: An instant is outside the years 1 to 9999.
    """
    holding_none: set[str] = set()
    for name in _MOVEMENT_TEXT:
        values = movements[name].tolist()
        required = name in _MOVEMENT_REQUIRED
        found = set(map(type, values))
        if all(issubclass(kind, str) or (kind is type(None) and not required) for kind in found):
            if type(None) in found:
                holding_none.add(name)
            continue
        row, value = next(
            (row, value)
            for row, value in enumerate(values)
            if not (isinstance(value, str) or (value is None and not required))
        )
        expected = "text" if required else "text or None"
        raise TypeError(
            f"movements[{name!r}][{row}] is {type(value).__name__} {value!r}; expected {expected}"
        )
    codes = movements["currency"].tolist()
    units = {}
    for code in set(codes):
        try:
            units[code] = currency(code)
        except CurrencyError as error:
            row = codes.index(code)
            raise CurrencyError(f"movements['currency'][{row}]: {error}") from None
    places = {code: unit.exponent for code, unit in units.items()}
    exponent = np.fromiter(map(places.__getitem__, codes), dtype=np.int64, count=len(codes))
    canonical = movements["currency"]
    if any(unit.code != code for code, unit in units.items()):  # "usd" is USD
        names = {code: unit.code for code, unit in units.items()}
        canonical = np.array([names[code] for code in codes], dtype=object)
    stamps = movements["ts"]
    if stamps.size and (int(stamps.min()) < _FIRST_US or int(stamps.max()) > _LAST_US):
        row = int(np.flatnonzero((stamps < _FIRST_US) | (stamps > _LAST_US))[0])
        raise OverflowError(
            f"movements['ts'][{row}]={int(stamps[row])} µs is outside the range of datetime "
            "(years 1 to 9999)"
        )
    exponents = tuple(sorted(set(places.values())))
    return _Movements(movements, canonical, exponent, exponents, frozenset(holding_none))


def _amount_texts(
    minor: npt.NDArray[np.int64], exponent: npt.NDArray[np.int64], exponents: tuple[int, ...]
) -> npt.NDArray[np.str_]:
    """Exact decimal text of minor units, with each row's minor-unit places (``-0.05``).

    The same text as ``format(Money.from_minor(minor, code).amount, "f")``, worked out with
    integer division by ``10 ** exponent`` over whole columns.
    """
    negative = minor < 0
    bits = minor.view(np.uint64)
    # |minor| as uint64: exact for every int64, the most negative one included.
    magnitude = np.where(negative, np.uint64(0) - bits, bits)
    widest = max(exponents, default=0)
    if widest == 0:
        text = magnitude.astype(np.str_)
    else:
        whole, part = np.divmod(magnitude, np.uint64(10) ** exponent.astype(np.uint64))
        text = whole.astype(f"U{20 + 1 + widest}")
        for places in exponents:
            rows = np.flatnonzero(exponent == places) if places else None
            if rows is not None and rows.size:
                fraction = np.strings.zfill(part[rows].astype(np.str_), places)
                text[rows] = np.strings.add(np.strings.add(text[rows], "."), fraction)
    if negative.any():
        text = np.strings.add(np.where(negative, "-", ""), text)
    return text


@functools.cache
def _clock() -> npt.NDArray[np.str_]:
    """``T00:00:00`` … ``T23:59:59``, indexed by the second of the day."""
    return np.array(
        [f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
    )


def _instant_texts(micros: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """ISO 8601 text in UTC of µs since the epoch, as `datetime.isoformat` writes it.

    The microseconds are written only when there are some: ``2026-10-05T12:00:00+00:00``,
    ``2026-10-05T12:00:00.000250+00:00``.
    """
    day, in_day = np.divmod(micros, _US_PER_DAY)
    days, inverse = np.unique(day, return_inverse=True)
    dates = np.datetime_as_string(days.astype("datetime64[D]"), unit="D")
    second, fraction = np.divmod(in_day, 1_000_000)
    text = np.strings.add(dates[inverse.reshape(-1)], _clock()[second])
    fine = np.flatnonzero(fraction)
    if fine.size:
        text = text.astype("U26")
        digits = np.strings.zfill(fraction[fine].astype(np.str_), 6)
        text[fine] = np.strings.add(np.strings.add(text[fine], "."), digits)
    return np.strings.add(text, "+00:00")


def _movement_chunks(movements: _Movements) -> Iterator[list[list[Any]]]:
    """The movements' cells as in `to_records`, a column list per export column, in chunks."""
    columns = movements.columns
    for start in range(0, len(movements), _CHUNK_ROWS):
        rows = slice(start, start + _CHUNK_ROWS)
        minor = columns["amount"][rows]
        cells: dict[str, list[Any]] = {
            "commission_id": commission_ids(
                columns["source"][rows],
                columns["order_id"][rows],
                columns["line_id"][rows],
                columns["partner_id"][rows],
            ).tolist(),
            "amount": _amount_texts(minor, movements.exponent[rows], movements.exponents).tolist(),
            "currency": movements.currency[rows].tolist(),
            "ts": _instant_texts(columns["ts"][rows]).tolist(),
        }
        yield [
            cells[name] if name in cells else columns[name][rows].tolist()
            for name in _MOVEMENT_COLUMNS
        ]


def _movement_records(movements: Movements) -> list[dict[str, Any]]:
    checked = _check_movements(movements)
    return [
        dict(zip(_MOVEMENT_COLUMNS, row, strict=True))
        for chunk in _movement_chunks(checked)
        for row in zip(*chunk, strict=True)
    ]


def _escaped(values: list[Any], holding_none: bool) -> list[str]:
    """Free-text cells as `_csv_cell` writes them."""
    cells = ["" if value is None else value for value in values] if holding_none else values
    # Most columns have nothing to escape, which one search of the joined cells shows: a cell
    # starting with a formula character follows a NUL (a NUL inside a cell can only make
    # this look at every cell, never skip one).
    if _ESCAPE_AFTER_NUL.search("\0" + "\0".join(cells)):
        return ["'" + cell if cell.startswith(_FORMULA_START) else cell for cell in cells]
    return cells


def _write_movements_csv(movements: Movements, path: str | PathLike[str]) -> None:
    checked = _check_movements(movements)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_MOVEMENT_COLUMNS)
        for chunk in _movement_chunks(checked):
            cells: list[list[str]] = []
            for name, values in zip(_MOVEMENT_COLUMNS, chunk, strict=True):
                if name in _MOVEMENT_FREE_TEXT:
                    cells.append(_escaped(values, name in checked.holding_none))
                elif name == "version":
                    cells.append(list(map(str, values)))
                elif name == "rejected":
                    cells.append(["true" if flag else "false" for flag in values])
                else:
                    cells.append(values)
            writer.writerows(zip(*cells, strict=True))


#: Encodes a list as a JSON array with a bare newline between items: JSON text never holds
#: one inside a value (a string escapes it as ``\n``), so splitting on it gives each item.
_JSON_ITEMS = json.JSONEncoder(ensure_ascii=False, separators=("\n", ": "))
#: One row as ``json.dump(rows, indent=2)`` lays it out inside the array.
_JSON_ROW = (
    "  {\n" + ",\n".join(f"    {json.dumps(name)}: %s" for name in _MOVEMENT_COLUMNS) + "\n  }"
)


def _json_cells(values: list[Any]) -> list[str]:
    """Each value (text, int, bool or ``None``) as JSON text."""
    return _JSON_ITEMS.encode(values)[1:-1].split("\n")


def _write_movements_json(movements: Movements, path: str | PathLike[str]) -> None:
    checked = _check_movements(movements)
    with open(path, "w", encoding="utf-8") as handle:
        if not len(checked):
            handle.write("[]\n")
            return
        separator = "[\n"
        for chunk in _movement_chunks(checked):
            cells = [_json_cells(values) for values in chunk]
            handle.write(separator)
            handle.write(",\n".join([_JSON_ROW % row for row in zip(*cells, strict=True)]))
            separator = ",\n"
        handle.write("\n]\n")


def _movements_schema(pa: Any) -> Any:
    text, count = pa.string(), pa.int64()
    types_ = {
        "version": count,
        "amount_minor": count,
        "ts": pa.timestamp("us", tz="UTC"),
        "rejected": pa.bool_(),
    }
    names = [*_MOVEMENT_COLUMNS]
    names.insert(names.index("currency") + 1, "amount_minor")
    return pa.schema([(name, types_.get(name, text)) for name in names])


def _write_movements_parquet(
    movements: Movements, path: str | PathLike[str], pa: Any, parquet: Any
) -> None:
    compute = optional_import("pyarrow.compute", "write_parquet")
    checked = _check_movements(movements)
    columns = checked.columns
    schema = _movements_schema(pa)
    with parquet.ParquetWriter(Path(path), schema) as writer:
        for start in range(0, len(checked), _PARQUET_ROWS):
            rows = slice(start, start + _PARQUET_ROWS)
            arrays: dict[str, Any] = {
                name: pa.array(columns[name][rows], pa.string())
                for name in _MOVEMENT_TEXT
                if name != "currency"
            }
            arrays["currency"] = pa.array(checked.currency[rows], pa.string())
            line = compute.fill_null(arrays["line_id"], "-")
            parts = [arrays["source"], arrays["order_id"], line, arrays["partner_id"]]
            arrays["commission_id"] = compute.binary_join_element_wise(*parts, "|")
            minor = columns["amount"][rows]
            amounts = _amount_texts(minor, checked.exponent[rows], checked.exponents)
            arrays["amount"] = pa.array(amounts, pa.string())
            arrays["amount_minor"] = pa.array(minor, pa.int64())
            arrays["version"] = pa.array(columns["version"][rows], pa.int64())
            arrays["ts"] = pa.array(columns["ts"][rows], schema.field("ts").type)
            arrays["rejected"] = pa.array(columns["rejected"][rows], pa.bool_())
            table = pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)
            writer.write_table(table)
        if not len(checked):
            writer.write_table(schema.empty_table())


def _refuse_kind_for_movements(kind: _Kind | None) -> None:
    if kind is not None:
        raise TypeError(
            f"items is Movements where kind={getattr(kind, '__name__', kind)}; kind is for "
            "entries and statements: movements carry their columns even when empty"
        )


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


def to_records(
    items: Iterable[Entry] | Iterable[Statement] | Movements,
) -> list[dict[str, Any]]:
    """Flat rows of entries, statements or movements, for files and spreadsheets.

    Each row holds plain values: exact decimal strings for amounts and rates, ISO 8601 text
    for instants, ``int`` for counts and versions, ``bool`` for flags, ``str`` for text, and
    ``None`` for what is absent (see the module documentation for the columns).

    Args:
        items: Entries, or statements (not both), or a `Movements` table.

    Returns:
        One dictionary per item or movement, in order, with the same keys in the same order.

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two, or
            `items` is a `Settlement`; or a movements text column holds something else than
            text (or ``None`` in ``source``, ``order_id``, ``partner_id`` or ``currency``).
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
        CurrencyError: A movement's currency is not an ISO 4217 code.
        OverflowError: A movement's ``ts`` is outside the years 1 to 9999.

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

        Movements are written from their columns:

        >>> moved = Movements(
        ...     {
        ...         "txn_id": ["accrual|kol-1|JPY|2026-10|1"],
        ...         "kind": ["accrual"],
        ...         "source": ["sale"],
        ...         "order_id": ["o1"],
        ...         "line_id": [None],
        ...         "partner_id": ["kol-1"],
        ...         "contract_id": ["c1"],
        ...         "version": [2],
        ...         "currency": ["JPY"],
        ...         "amount": [-1200],
        ...         "ts": [1791201600000000],
        ...         "period": ["2026-10"],
        ...         "reversal_id": [None],
        ...         "rejected": [False],
        ...     }
        ... )
        >>> row = to_records(moved)[0]
        >>> row["commission_id"], row["amount"], row["currency"], row["ts"]
        ('sale|o1|-|kol-1', '-1200', 'JPY', '2026-10-05T12:00:00+00:00')
        >>> row["version"], row["line_id"], row["rejected"]
        (2, None, False)
    """
    if isinstance(items, Movements):
        return _movement_records(items)
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
    items: Iterable[Entry] | Iterable[Statement] | Movements,
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries, statements or movements to a UTF-8 CSV file with a header row.

    The cells are those of `to_records`; ``None`` is an empty cell, and a movement's
    ``rejected`` flag is ``true`` or ``false``.

    Formula injection: a spreadsheet may run a cell that starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return as a formula (OWASP, "CSV Injection"). So every cell of a
    free-text column (ids, ``account``, ``partner_id``, ``source``, ``memo``, ``reason`` …)
    that starts with one of those characters, or with a single quote, gets a single quote
    (``'``) in front: ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, ``-2+3`` is written
    ``'-2+3``. The cells this module formats itself (amounts such as ``-12.30`` and their
    currency codes, rates, ISO instants, period labels and bounds, counts, a movement's
    ``version`` and ``rejected``) are never escaped, so amounts stay numbers. A movement's text
    columns (``txn_id``, ``kind``, ``commission_id``, ``source``, ``order_id``, ``line_id``,
    ``partner_id``, ``contract_id``, ``period``, ``reversal_id``) are escaped like an entry's.
    To read a free-text cell back, drop its first character when it is a quote: that gives
    the original text exactly.

    Args:
        items: Entries, or statements (not both), or a `Movements` table.
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`: the columns to write when `items` is empty (not for
            movements, which carry their columns).

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            an item is not of `kind`, `items` is a `Settlement`, or `kind` is given with
            movements; or a movements text column holds something else than text.
        ValueError: `items` is empty and `kind` is ``None``.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
        CurrencyError: A movement's currency is not an ISO 4217 code.
        OverflowError: A movement's ``ts`` is outside the years 1 to 9999.
    """
    if isinstance(items, Movements):
        _refuse_kind_for_movements(kind)
        _write_movements_csv(items, path)
        return
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
    items: Iterable[Entry] | Iterable[Statement] | Movements,
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries, statements or movements to a UTF-8 JSON file: an array of `to_records` rows.

    Amounts and rates are strings holding exact decimals; absent values are ``null``; a
    movement's ``version`` is a number and ``rejected`` is ``true`` or ``false``.

    Args:
        items: Entries, or statements (not both), or a `Movements` table.
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`, required when `items` is empty (the file is ``[]``);
            not for movements, which carry their columns.

    Raises:
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            an item is not of `kind`, `items` is a `Settlement`, or `kind` is given with
            movements; or a movements text column holds something else than text.
        ValueError: `items` is empty and `kind` is ``None``.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
        CurrencyError: A movement's currency is not an ISO 4217 code.
        OverflowError: A movement's ``ts`` is outside the years 1 to 9999.
    """
    if isinstance(items, Movements):
        _refuse_kind_for_movements(kind)
        _write_movements_json(items, path)
        return
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
    items: Iterable[Entry] | Iterable[Statement] | Movements,
    path: str | PathLike[str],
    *,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries, statements or movements to a Parquet file (needs pyarrow).

    The columns are those of `to_records`, typed: each amount stays an exact decimal string,
    followed by its currency and by ``<name>_minor``, the amount in int64 minor units (sum
    those, per currency); instants and period bounds are ``timestamp[us, tz=UTC]``; counts
    are int64; rates are decimal strings; everything else is a string.

    Movements keep their column order with ``amount``, ``currency``, then ``amount_minor``
    (int64 minor units); ``version`` is int64, ``ts`` is ``timestamp[us, tz=UTC]``,
    ``rejected`` is bool, and the other columns are strings.

    Args:
        items: Entries, or statements (not both), or a `Movements` table.
        path: The file to write (replaced if it exists).
        kind: `Entry` or `Statement`: the schema to write when `items` is empty (not for
            movements, which carry their columns).

    Raises:
        MissingDependency: pyarrow is not installed.
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            an item is not of `kind`, `items` is a `Settlement`, or `kind` is given with
            movements; or a movements text column holds something else than text.
        ValueError: `items` is empty and `kind` is ``None``.
        InvalidAmount: An amount is finer than its currency's minor unit.
        MoneyOverflow: An amount does not fit in int64 minor units.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
        CurrencyError: A movement's currency is not an ISO 4217 code.
        OverflowError: A movement's ``ts`` is outside the years 1 to 9999.
    """
    pa = optional_import("pyarrow", "write_parquet")
    parquet = optional_import("pyarrow.parquet", "write_parquet")
    if isinstance(items, Movements):
        _refuse_kind_for_movements(kind)
        _write_movements_parquet(items, path, pa, parquet)
        return
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
    items: Iterable[Entry] | Iterable[Statement] | Movements,
    path: str | PathLike[str],
    *,
    format: Literal["csv", "json", "parquet"] | None = None,
    kind: type[Entry] | type[Statement] | None = None,
) -> None:
    """Write entries, statements or movements to CSV, JSON or Parquet, chosen by the suffix.

    Args:
        items: Entries, or statements (not both), or a `Movements` table.
        path: The file to write (replaced if it exists).
        format: ``"csv"``, ``"json"`` or ``"parquet"``; ``None`` picks it by the suffix of
            `path` (``.csv``, ``.json``, ``.parquet``, in any case).
        kind: `Entry` or `Statement`: the columns to write when `items` is empty (not for
            movements, which carry their columns).

    Raises:
        ValueError: `format` is not one of the three, or is ``None`` and the suffix is none
            of theirs; or `items` is empty and `kind` is ``None``.
        TypeError: An item is neither an `Entry` nor a `Statement`, the items mix the two,
            an item is not of `kind`, `items` is a `Settlement`, or `kind` is given with
            movements; or a movements text column holds something else than text.
        MissingDependency: Parquet was asked for and pyarrow is not installed.
        InvalidAmount: Parquet was asked for and an amount is finer than its minor unit.
        TimezoneError: A statement's ``fx_at`` is a naive datetime.
        CurrencyError: A movement's currency is not an ISO 4217 code.
        OverflowError: A movement's ``ts`` is outside the years 1 to 9999.
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

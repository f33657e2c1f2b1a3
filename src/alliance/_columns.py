"""Column specs derived from the models, and the parsing of raw columns into stored ones.

A table's columns are not declared twice: `specs_of` reads them off the model's fields (their
`ColumnKind` marker, whether they are optional, the allowed values of a `Literal`), and
each cell is parsed by the same function the model's validator uses.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from alliance._currency import currency
from alliance._fields import (
    NUL_REFUSED,
    Column,
    ColumnKind,
    parse_bool,
    parse_country,
    parse_currency_code,
    parse_id,
    parse_ratio,
    parse_tags,
    parse_text,
    parse_timestamp,
)
from alliance._frames import RawColumn
from alliance._kernels import INT64_MAX, decimal_to_minor
from alliance._money import parse_amount
from alliance._periods import to_micros
from alliance.errors import AllianceError, InvalidAmount, Problem

__all__ = [
    "ColumnSpec",
    "Stored",
    "exponents_of",
    "factorize",
    "parse_column",
    "parse_money",
    "specs_of",
]

ENCODED = {
    ColumnKind.ID,
    ColumnKind.TEXT,
    ColumnKind.CURRENCY,
    ColumnKind.COUNTRY,
    ColumnKind.ENUM,
}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a table, read off a model field."""

    name: str
    kind: ColumnKind
    required: bool
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    default: Any = None


@dataclass(frozen=True, slots=True)
class Stored:
    """A parsed column.

    Attributes:
        kind: Column kind.
        values: int32 codes for encoded kinds (-1 where missing), int64 for timestamps, money
            and counts, int8 for booleans (-1 missing), float64 for ratios, object (tuples) for
            tags.
        categories: The distinct values of an encoded column, sorted; codes index into it.
        missing: True where the cell is missing (``None`` when nothing is).
    """

    kind: ColumnKind
    values: npt.NDArray[Any]
    categories: npt.NDArray[np.object_] | None = None
    missing: npt.NDArray[np.bool_] | None = None

    def take(self, rows: npt.NDArray[np.intp]) -> Stored:
        """The same column restricted to some rows."""
        missing = None if self.missing is None else self.missing[rows]
        if missing is not None and not missing.any():
            missing = None
        return Stored(self.kind, self.values[rows], self.categories, missing)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def specs_of(model: type[BaseModel]) -> tuple[ColumnSpec, ...]:
    """The column specs of a model, in field order."""
    specs = []
    for name, field in model.model_fields.items():
        annotation, _ = _strip_optional(field.annotation)
        kind: ColumnKind | None = None
        choices: tuple[str, ...] = ()
        if get_origin(annotation) is Literal:
            kind, choices = ColumnKind.ENUM, tuple(str(a) for a in get_args(annotation))
        for marker in field.metadata:
            if isinstance(marker, Column):
                kind = marker.kind
        if kind is None:
            # Annotated aliases leave their markers on the field when not optional, and on
            # the inner argument when optional.
            for marker in getattr(annotation, "__metadata__", ()):
                if isinstance(marker, Column):
                    kind = marker.kind
        if kind is None:
            raise TypeError(f"{model.__name__}.{name} has no column kind")
        minimum = None
        for constraint in field.metadata:
            bound = getattr(constraint, "ge", None)
            if bound is not None:
                minimum = int(bound)
        required = field.is_required()
        specs.append(
            ColumnSpec(
                name=name,
                kind=kind,
                required=required,
                choices=choices,
                minimum=minimum,
                default=None if required else field.get_default(),
            )
        )
    return tuple(specs)


_CELL_PARSERS: dict[ColumnKind, Callable[[Any], Any]] = {
    ColumnKind.ID: parse_id,
    ColumnKind.TEXT: parse_text,
    ColumnKind.CURRENCY: parse_currency_code,
    ColumnKind.COUNTRY: parse_country,
    ColumnKind.BOOL: parse_bool,
    ColumnKind.RATIO: parse_ratio,
    ColumnKind.TAGS: parse_tags,
}


def _reason(error: Exception) -> str:
    return str(error).split("\n")[0]


def _problems_at(
    rows: npt.NDArray[np.intp], name: str, raw: RawColumn, reason: str
) -> list[Problem]:
    return [Problem(int(r), name, raw.cell(int(r)), reason) for r in rows]


def _missing_problems(spec: ColumnSpec, raw: RawColumn) -> list[Problem]:
    if not spec.required or not raw.missing.any():
        return []
    return _problems_at(np.flatnonzero(raw.missing), spec.name, raw, f"{spec.name} is required")


def factorize(
    values: npt.NDArray[Any], present: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Codes in order of first appearance (-1 where not present) and the distinct cells.

    Cells of different types never share a code: ``1``, ``1.0``, ``True`` and ``Decimal(1)``
    are equal as dictionary keys but do not parse alike (a float is refused as money, a bool
    as an id). Unhashable cells get a code each.
    """
    codes = np.full(len(values), -1, dtype=np.int64)
    rows = np.flatnonzero(present)
    if rows.size == 0:
        return codes, []
    cells = values[rows] if rows.size < len(values) else values
    if len(set(map(type, cells))) == 1:
        try:
            index: dict[Any, int] = dict.fromkeys(cells, 0)
        except TypeError:  # an unhashable cell: take the careful path below
            pass
        else:
            for number, cell in enumerate(index):
                index[cell] = number
            codes[rows] = np.fromiter(map(index.__getitem__, cells), np.int64, count=rows.size)
            return codes, list(index)
    lookup: dict[tuple[type, Any], int] = {}
    distinct: list[Any] = []
    found = np.empty(rows.size, dtype=np.int64)
    for position, cell in enumerate(cells):
        key: tuple[type, Any] | None = (type(cell), cell)
        try:
            code = lookup.get(key)  # type: ignore[arg-type]
        except TypeError:
            key, code = None, None
        if code is None:
            code = len(distinct)
            distinct.append(cell)
            if key is not None:
                lookup[key] = code
        found[position] = code
    codes[rows] = found
    return codes, distinct


def positions(
    haystack: npt.NDArray[np.object_], needles: npt.NDArray[np.object_]
) -> npt.NDArray[np.int64]:
    """Where each needle sits in the sorted, distinct ``haystack`` (-1 where it does not)."""
    if haystack.size == 0:
        return np.full(needles.size, -1, dtype=np.int64)
    if needles.size == haystack.size and bool(np.all(needles == haystack)):
        return np.arange(needles.size, dtype=np.int64)  # the same ids: the usual case
    try:  # fixed-width text compares in C, far faster than Python strings
        keys, wanted = haystack.astype(str), needles.astype(str)
    except (TypeError, ValueError):  # pragma: no cover - ids are text
        keys, wanted = haystack, needles
    position = np.minimum(np.searchsorted(keys, wanted), haystack.size - 1)
    return np.where(keys[position] == wanted, position, -1).astype(np.int64, copy=False)


def _encode(spec: ColumnSpec, raw: RawColumn, size: int) -> tuple[Stored, list[Problem]]:
    problems = _missing_problems(spec, raw)
    present = ~raw.missing
    if raw.kind == "object":
        first_codes, distinct = factorize(raw.values, present)
    elif raw.kind == "codes" and raw.categories is not None:
        first_codes, distinct = raw.values, list(raw.categories)
    elif raw.kind in ("int", "bool", "float", "strings"):
        distinct_values, inverse = np.unique(raw.values[present], return_inverse=True)
        first_codes = np.full(size, -1, dtype=np.int64)
        first_codes[present] = inverse.reshape(-1)
        distinct = [v.item() for v in distinct_values]
    else:
        rows = np.flatnonzero(present)
        stored = Stored(
            spec.kind,
            np.full(size, -1, np.int32),
            np.array([], dtype=object),
            np.ones(size, dtype=bool) if size else None,
        )
        return stored, problems + _problems_at(
            rows, spec.name, raw, f"expected text, got a {raw.kind.replace('_', ' ')} column"
        )
    categories, remap, reasons = _categorize(spec, distinct)
    codes = remap[first_codes].astype(np.int32)  # -1 indexes the trailing -1
    if reasons:
        bad = np.array(sorted(reasons), dtype=np.int64)
        for row in np.flatnonzero(np.isin(first_codes, bad)):
            problems.append(
                Problem(int(row), spec.name, raw.cell(int(row)), reasons[int(first_codes[row])])
            )
    missing = codes < 0
    return (
        Stored(
            spec.kind,
            codes,
            categories,
            missing if missing.any() else None,
        ),
        problems,
    )


def _categorize(
    spec: ColumnSpec, distinct: list[Any]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64], dict[int, str]]:
    """Parse each distinct value once and number the clean ones in sorted order.

    Returns:
        The sorted categories; for each distinct value its category number (-1 when it was
        refused) followed by a trailing -1 for missing cells; the reason for each refusal.
    """
    reasons: dict[int, str] = {}
    if spec.kind in (ColumnKind.ID, ColumnKind.TEXT) and all(type(v) is str for v in distinct):
        # Plain strings, the common case: check and sort them in numpy, not one by one.
        text = np.array(distinct, dtype=str) if distinct else np.array([], dtype=str)
        if "\x00" in "".join(distinct):  # numpy text would drop it silently
            for number, value in enumerate(distinct):
                if "\x00" in value:
                    reasons[number] = NUL_REFUSED
        if spec.kind is ColumnKind.ID:
            text = np.strings.strip(text)
            for number in np.flatnonzero(text == "").tolist():
                reasons[number] = "an id must not be empty"
        accepted = np.ones(len(distinct), dtype=bool)
        accepted[list(reasons)] = False
    else:
        parse = _CELL_PARSERS.get(spec.kind)
        cleaned: list[str] = []
        accepted = np.zeros(len(distinct), dtype=bool)
        for number, value in enumerate(distinct):
            try:
                if spec.kind is ColumnKind.ENUM:
                    # Exactly as the model's Literal: the same value means the same thing.
                    if not isinstance(value, str) or value not in spec.choices:
                        raise ValueError(f"{value!r} is not one of {', '.join(spec.choices)}")
                    cleaned.append(value)
                elif parse is not None:
                    cleaned.append(parse(value))
                else:  # pragma: no cover - every encoded kind has a parser
                    cleaned.append(str(value))
                accepted[number] = True
            except (ValueError, TypeError, AllianceError) as error:
                reasons[number] = _reason(error)
        text = np.array(cleaned, dtype=str) if cleaned else np.array([], dtype=str)
    kept = text[accepted] if text.size == accepted.size else text
    categories, rank = np.unique(kept, return_inverse=True)
    remap = np.full(len(distinct) + 1, -1, dtype=np.int64)
    remap[np.flatnonzero(accepted)] = rank.reshape(-1)
    return categories.astype(object), remap, reasons


def _parse_cells(
    spec: ColumnSpec,
    raw: RawColumn,
    size: int,
    parse: Callable[[Any], Any],
    dtype: Any,
    fill: Any,
) -> tuple[npt.NDArray[Any], list[Problem]]:
    problems: list[Problem] = []
    out = np.full(size, fill, dtype=dtype) if dtype is not object else np.empty(size, object)
    for row in np.flatnonzero(~raw.missing):
        value = raw.values[row]
        try:
            out[row] = parse(value.item() if isinstance(value, np.generic) else value)
        except (ValueError, TypeError, OverflowError, AllianceError) as error:
            problems.append(Problem(int(row), spec.name, raw.cell(int(row)), _reason(error)))
    return out, problems


def _timestamp_us(value: Any) -> int:
    parsed: datetime = parse_timestamp(value)
    return to_micros(parsed)


def _count(value: Any) -> int:
    """A whole number from an int, an integral float or Decimal, or a decimal string."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a whole number, got {value!r}")


def as_objects(raw: RawColumn) -> RawColumn:
    """A string or coded column as an object column, for the parsers that read cells."""
    if raw.kind == "strings":
        return RawColumn(raw.values.astype(object), raw.missing, "object")
    if raw.kind == "codes" and raw.categories is not None:
        decoded = np.append(raw.categories, np.array([None], dtype=object))[raw.values]
        return RawColumn(decoded, raw.missing, "object")
    return raw


def parse_column(spec: ColumnSpec, raw: RawColumn, size: int) -> tuple[Stored, list[Problem]]:
    """Parse one raw column (any kind but money) into its stored form.

    Returns:
        The stored column, and a problem for every bad cell (missing required cells too).
    """
    if spec.kind in ENCODED:
        return _encode(spec, raw, size)
    raw = as_objects(raw)
    problems = _missing_problems(spec, raw)
    missing = raw.missing.copy()
    if spec.kind is ColumnKind.TIMESTAMP:
        if raw.kind == "datetime":
            values = raw.values.astype(np.int64)
        elif raw.kind == "object":
            values, bad = _parse_cells(spec, raw, size, _timestamp_us, np.int64, 0)
            problems += bad
        else:
            reason = (
                "naive timestamp: attach a time zone (e.g. tz_localize('UTC') in pandas)"
                if raw.kind == "naive_datetime"
                else f"expected a timestamp, got a {raw.kind} column"
            )
            problems += _problems_at(np.flatnonzero(~raw.missing), spec.name, raw, reason)
            values = np.zeros(size, np.int64)
    elif spec.kind is ColumnKind.BOOL:
        if raw.kind == "bool":
            values = raw.values.astype(np.int8)
        else:
            values, bad = _parse_cells(spec, raw, size, parse_bool, np.int8, -1)
            problems += bad
        values[missing] = -1
    elif spec.kind is ColumnKind.INT:
        if raw.kind == "int":
            values = raw.values.astype(np.int64)
        else:
            values, bad = _parse_cells(spec, raw, size, _count, np.int64, 0)
            problems += bad
        if spec.minimum is not None:
            unparsed = np.zeros(size, dtype=bool)
            unparsed[[p.row for p in problems]] = True  # already reported
            low = np.flatnonzero(~missing & ~unparsed & (values < spec.minimum))
            problems += _problems_at(low, spec.name, raw, f"must be at least {spec.minimum}")
        if spec.default is not None:
            values[missing] = spec.default
            missing[:] = False
    elif spec.kind is ColumnKind.RATIO:
        values, bad = _parse_cells(spec, raw, size, parse_ratio, np.float64, np.nan)
        problems += bad
    elif spec.kind is ColumnKind.TAGS:
        values, bad = _parse_cells(spec, raw, size, parse_tags, object, None)
        problems += bad
        for row in np.flatnonzero(missing):
            values[row] = ()
        missing[:] = False
    else:  # pragma: no cover - money is parsed by parse_money
        raise TypeError(f"cannot parse {spec.kind} here")
    return Stored(spec.kind, values, None, missing if missing.any() else None), problems


def _minor_of(value: Any, exponent: int) -> int:
    amount = parse_amount(value)
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    # Refuse huge exponents before they become huge integers ("1e999999999").
    if amount and amount.adjusted() > 18:
        raise ValueError("amount is too large for int64 minor units")
    try:
        minor = decimal_to_minor(amount, exponent, None)
    except InvalidAmount:
        raise InvalidAmount(
            f"amount {amount} is finer than its currency's minor unit "
            f"({exponent} decimal place{'s' if exponent != 1 else ''})"
        ) from None
    if minor > INT64_MAX:
        raise ValueError("amount is too large for int64 minor units")
    return minor


def _given_minor(value: Any) -> int:
    if isinstance(value, float):
        raise ValueError(f"minor units must be a whole number, not a float: got {value!r}")
    minor = _count(value)
    if minor < 0:
        raise ValueError(f"amount must not be negative, got {minor} minor units")
    if minor > INT64_MAX:
        raise ValueError("amount is too large for int64 minor units")
    return minor


def parse_money(
    spec: ColumnSpec,
    raw: RawColumn,
    size: int,
    exponents: npt.NDArray[np.int64],
    *,
    minor_units: bool = False,
) -> tuple[Stored, list[Problem]]:
    """Parse an amount column to int64 minor units, given each row's currency exponent.

    Args:
        spec: The money column.
        raw: Its raw values (decimal strings, Decimals, ints; or ints already in minor units).
        size: Row count.
        exponents: Minor-unit exponent of each row's currency; -1 where it is unknown (those
            rows are already reported for their currency).
        minor_units: ``raw`` holds integer minor units (an ``amount_minor`` column).
    """
    raw = as_objects(raw)
    problems = _missing_problems(spec, raw)
    present = ~raw.missing & (exponents >= 0)
    values = np.zeros(size, dtype=np.int64)
    if raw.kind == "float":
        reason = (
            "a float cannot hold money exactly; give amounts as strings or Decimals, or "
            f"integer minor units in a '{spec.name}_minor' column"
        )
        return Stored(spec.kind, values, None, raw.missing.copy()), problems + _problems_at(
            np.flatnonzero(present), spec.name, raw, reason
        )
    if raw.kind == "int":
        given = raw.values.astype(np.int64)
        negative = present & (given < 0)
        problems += _problems_at(
            np.flatnonzero(negative), spec.name, raw, "amount must not be negative"
        )
        ok = present & ~negative
        if not minor_units:
            scale = np.power(10, np.maximum(exponents, 0)).astype(np.int64)
            too_big = ok & (given > INT64_MAX // scale)
            problems += _problems_at(
                np.flatnonzero(too_big), spec.name, raw, "amount is too large for int64"
            )
            ok &= ~too_big
            given = given * np.where(ok, scale, 1)
        values[ok] = given[ok]
    elif raw.kind == "object":
        rows = np.flatnonzero(present)
        first_codes, distinct = factorize(raw.values, present)
        if rows.size:
            # Parse each distinct (cell, exponent) pair once: a million rows of prices
            # hold far fewer distinct amounts.
            span = int(exponents[rows].max()) + 1
            pairs, inverse = np.unique(
                first_codes[rows] * span + exponents[rows], return_inverse=True
            )
            inverse = inverse.reshape(-1)
            minor = np.zeros(pairs.size, dtype=np.int64)
            reasons: dict[int, str] = {}
            for number, pair in enumerate(pairs.tolist()):
                cell, exponent = distinct[pair // span], pair % span
                try:
                    minor[number] = _given_minor(cell) if minor_units else _minor_of(cell, exponent)
                except (ValueError, TypeError, AllianceError) as error:
                    reasons[number] = _reason(error)
            values[rows] = minor[inverse]
            if reasons:
                failed = np.zeros(pairs.size, dtype=bool)
                failed[list(reasons)] = True
                for row, number in zip(
                    rows[failed[inverse]], inverse[failed[inverse]], strict=True
                ):
                    problems.append(
                        Problem(int(row), spec.name, raw.cell(int(row)), reasons[int(number)])
                    )
    else:
        problems += _problems_at(
            np.flatnonzero(present),
            spec.name,
            raw,
            f"expected an amount, got a {raw.kind.replace('_', ' ')} column",
        )
    missing = raw.missing.copy()
    return Stored(spec.kind, values, None, missing if missing.any() else None), problems


def exponents_of(currency_column: Stored) -> npt.NDArray[np.int64]:
    """Minor-unit exponent per row of an encoded currency column; -1 where missing."""
    if currency_column.categories is None:  # pragma: no cover - currencies are encoded
        raise TypeError("currency column is not encoded")
    table = np.array(
        [currency(code).exponent for code in currency_column.categories] + [-1], dtype=np.int64
    )
    return table[currency_column.values.astype(np.int64)]

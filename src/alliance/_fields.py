"""Field types shared by the models and the tables: one parser per kind of value.

Each kind of column (an id, a timestamp, an amount, a currency code …) is parsed by one pure
function here. The pydantic models use it through a thin `BeforeValidator`, the columnar
tables call it on every cell they cannot check vectorised, so a value means the same thing
whichever way it enters.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from alliance._currency import currency
from alliance._money import parse_amount
from alliance._periods import require_aware
from alliance.errors import FloatNotAllowed, TimezoneError

__all__ = [
    "Amount",
    "ColumnKind",
    "Country",
    "CurrencyCode",
    "Id",
    "Ratio",
    "Tags",
    "Text",
    "Timestamp",
    "parse_bool",
    "parse_country",
    "parse_currency_code",
    "parse_id",
    "parse_ratio",
    "parse_tags",
    "parse_text",
    "parse_timestamp",
]


class ColumnKind(enum.Enum):
    """How a model field is stored as a column."""

    ID = "id"  # non-empty string, dictionary-encoded
    TEXT = "text"  # free string, dictionary-encoded
    CURRENCY = "currency"  # ISO 4217 code, dictionary-encoded
    COUNTRY = "country"  # ISO 3166 alpha-2, dictionary-encoded
    ENUM = "enum"  # one of a fixed set, dictionary-encoded with fixed categories
    TIMESTAMP = "timestamp"  # int64 microseconds since the epoch, UTC
    MONEY = "money"  # int64 minor units of the row's currency
    BOOL = "bool"  # int8: 0, 1, or -1 when missing
    INT = "int"  # int64
    RATIO = "ratio"  # float64, NaN when missing
    TAGS = "tags"  # tuple of strings per row


@dataclass(frozen=True, slots=True)
class Column:
    """Marker attached to a field's annotation: the column kind it is stored as."""

    kind: ColumnKind


#: Why a text with the NUL character is refused: many stores and formats cut text there.
NUL_REFUSED = "text must not contain the NUL character (\\x00)"


def parse_id(value: Any) -> str:
    """An identifier: a non-empty string (ints are accepted and written in decimal)."""
    # Strings first: a table parses every distinct id through here.
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("an id must not be empty")
        if "\x00" in text:
            raise ValueError(NUL_REFUSED)
        return text
    if isinstance(value, bool) or value is None:
        raise ValueError(f"an id must be a non-empty string, got {value!r}")
    if isinstance(value, int | np.integer):
        return str(int(value))
    raise ValueError(f"an id must be a string, got {type(value).__name__} {value!r}")


def parse_text(value: Any) -> str:
    """Free text: a string, kept as given (without the NUL character)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
    if "\x00" in value:
        raise ValueError(NUL_REFUSED)
    return value


def parse_currency_code(value: Any) -> str:
    """An active ISO 4217 code, upper-cased."""
    return currency(value).code


_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_country(value: Any) -> str:
    """An ISO 3166-1 alpha-2 country code (two letters), upper-cased."""
    if not isinstance(value, str) or not _COUNTRY.match(value.strip().upper()):
        raise ValueError(f"a country must be a two-letter ISO 3166 code, got {value!r}")
    return value.strip().upper()


def parse_timestamp(value: Any) -> datetime:
    """An aware instant from a datetime or an ISO 8601 string with an offset.

    Raises:
        TimezoneError: The instant has no time zone.
        ValueError: The value is not a timestamp.
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise TimezoneError(
                f"timestamp {value!r} has no UTC offset; write it as e.g. "
                "'2026-10-01T12:00:00+08:00' or with a trailing 'Z'"
            )
        return parsed
    if isinstance(value, datetime):
        return require_aware(value, name="timestamp")
    raise ValueError(f"expected a timestamp, got {type(value).__name__} {value!r}")


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def parse_bool(value: Any) -> bool:
    """A boolean from a bool, 0 / 1, or the words true / false / yes / no."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and int(value) in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"expected true or false, got {value!r}")


def parse_ratio(value: Any) -> float:
    """A ratio between 0 and 1 (a float is right here: it is not money)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return number


def parse_tags(value: Any) -> tuple[str, ...]:
    """A tuple of non-empty strings, from a list or a ``|``-separated string."""
    if isinstance(value, str):
        items: list[Any] = value.split("|") if value.strip() else []
    elif isinstance(value, list | tuple | np.ndarray):
        items = list(value)
    else:
        raise ValueError(f"expected a list of strings, got {type(value).__name__} {value!r}")
    tags = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"tags must be non-empty strings, got {item!r}")
        tags.append(item.strip())
    return tuple(tags)


def _money_amount(value: Any) -> Decimal:
    if isinstance(value, float):
        raise FloatNotAllowed(
            f"amount {value!r} is a float; floats cannot hold money exactly. "
            f"Pass a string such as '{value!r}', an int or a Decimal"
        )
    return parse_amount(value)


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"amount must not be negative, got {value}")
    return value


def _dump_decimal(value: Decimal) -> str:
    return format(value, "f")


Id = Annotated[str, Column(ColumnKind.ID), BeforeValidator(parse_id)]
Text = Annotated[str, Column(ColumnKind.TEXT), BeforeValidator(parse_text)]
CurrencyCode = Annotated[str, Column(ColumnKind.CURRENCY), BeforeValidator(parse_currency_code)]
Country = Annotated[str, Column(ColumnKind.COUNTRY), BeforeValidator(parse_country)]
Timestamp = Annotated[datetime, Column(ColumnKind.TIMESTAMP), BeforeValidator(parse_timestamp)]
Amount = Annotated[
    Decimal,
    Column(ColumnKind.MONEY),
    BeforeValidator(_money_amount),
    AfterValidator(_non_negative),
    PlainSerializer(_dump_decimal, return_type=str, when_used="json"),
    # What validation really accepts: exact decimal text or a whole number, never a float.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$"},
                {"type": "integer"},
            ],
            "description": "Exact amount as decimal text ('12.34') or a whole number.",
        },
        mode="validation",
    ),
]
Ratio = Annotated[float, Column(ColumnKind.RATIO), BeforeValidator(parse_ratio)]
Tags = Annotated[tuple[str, ...], Column(ColumnKind.TAGS), BeforeValidator(parse_tags)]
Flag = Annotated[bool, Column(ColumnKind.BOOL), BeforeValidator(parse_bool)]
Count = Annotated[int, Column(ColumnKind.INT)]

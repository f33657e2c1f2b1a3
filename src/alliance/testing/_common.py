"""Shared pieces of the strategies: option checks, defaults and constants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from alliance._currency import Currency
from alliance._currency import currency as lookup_currency
from alliance._fields import parse_id
from alliance._money import Money, parse_amount
from alliance._periods import (
    require_aware,
    zone,
)
from alliance._tables import Table
from alliance.errors import AllianceError

T = TypeVar("T")
Tab = TypeVar("Tab", bound=Table)

CurrencyOption = str | Currency | Iterable[str | Currency] | None
AmountOption = str | int | Decimal | Money | None
IdOption = str | SearchStrategy[str] | None
OptionalIdOption = str | SearchStrategy[str | None] | None
TimestampOption = datetime | SearchStrategy[datetime] | None

#: Default bound on amounts, in units of the currency: a billion still fits int64 minor units
#: of a 4-place currency (CLF) about 900,000 times over, so batch sums of generated data do not
#: overflow.
_LARGEST_AMOUNT: Final = 10**9
#: Extra decimal places an amount may carry beyond its minor unit when ``whole=False``.
_FINER_PLACES: Final = 6
_EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
#: Zones with DST in either hemisphere, negative DST (Dublin), half- and quarter-hour offsets,
#: half-hour DST (Lord Howe), midnight transitions (Sao Paulo before 2019) and a skipped day
#: (Apia, 2011-12-30). UTC first, so failing examples shrink to it.
_ZONES: Final = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Shanghai",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
    "America/St_Johns",
)
#: Within each minor unit, these codes come first (and shrink first); the rest follow A-Z.
_FAVOURITE_CODES: Final = ("USD", "EUR", "GBP", "CNY", "JPY", "KRW", "KWD", "BHD", "CLF")
#: Exponent groups in drawing order: 2 first, so examples shrink to USD.
_EXPONENT_ORDER: Final = (2, 0, 3, 4)
_COUNTRIES: Final = (
    "US", "CN", "GB", "DE", "FR", "JP", "KR", "BR", "IN", "ID", "MX", "KW", "BH", "CL", "VN",
    "NG", "ZA", "AU", "NZ", "CA", "IE", "NP", "WS", "ES", "IT", "NL", "SE", "TR", "AE", "SG",
)  # fmt: skip
_CATEGORIES: Final = ("beauty", "fashion", "electronics", "home", "food", "travel", "games")
_USER_AGENTS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "curl/8.5.0",
)
_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# -- checking options ---------------------------------------------------------------------------


def _invalid(name: str, value: object, expected: str) -> InvalidArgument:
    return InvalidArgument(f"{name}={value!r} is not valid: expected {expected}")


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def _check_order(
    low: Any,
    high: Any,
    low_name: str,
    high_name: str,
    *,
    given: tuple[object, object] | None = None,
) -> None:
    """Refuse ``low > high``, naming both options with the values as given (`given`)."""
    if low > high:
        shown_low, shown_high = given or (low, high)
        raise InvalidArgument(
            f"Cannot have {high_name}={_show(shown_high)} < {low_name}={_show(shown_low)}"
        )


def _check_sizes(min_size: int, max_size: int) -> None:
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid(name, value, "a non-negative int")
    _check_order(min_size, max_size, "min_size", "max_size")


def _codes_option(value: CurrencyOption, name: str) -> tuple[str, ...] | None:
    """The codes a currency option allows, in the order given; None allows every code."""
    if value is None:
        return None
    items: Iterable[Any] = [value] if isinstance(value, str | Currency) else value
    codes: dict[str, None] = {}
    try:
        for item in items:
            codes[lookup_currency(item).code] = None
    except (AllianceError, TypeError) as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None
    if not codes:
        raise _invalid(name, value, "a currency code or a non-empty collection of codes")
    return tuple(codes)


def _amount_option(value: AmountOption, name: str) -> tuple[Fraction | None, str | None]:
    """An amount bound as an exact fraction, and its currency when given as `Money`."""
    if value is None:
        return None, None
    if isinstance(value, Money):
        return Fraction(value.amount), value.currency
    try:
        return Fraction(parse_amount(value, what=name)), None
    except (AllianceError, TypeError) as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None


def _zones_option(value: str | Iterable[str] | None, name: str) -> tuple[str, ...]:
    if value is None:
        return _ZONES
    names = (value,) if isinstance(value, str) else tuple(value)
    for item in names:
        if not isinstance(item, str):
            raise _invalid(name, value, "IANA zone names such as 'Asia/Shanghai'")
        try:
            zone(item)
        except AllianceError as error:
            raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None
    if not names:
        raise _invalid(name, value, "at least one IANA zone name")
    return tuple(dict.fromkeys(names))


def _instant_option(value: datetime, name: str) -> datetime:
    try:
        return require_aware(value, name=name)
    except AllianceError as error:
        raise InvalidArgument(str(error)) from None


def _choices_option(
    value: T | Iterable[T] | None, name: str, allowed: tuple[T, ...]
) -> tuple[T, ...]:
    if value is None:
        return allowed
    chosen = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
    bad = [item for item in chosen if item not in allowed]
    if bad or not chosen:
        raise _invalid(name, value, f"one or more of {', '.join(map(repr, allowed))}")
    return tuple(dict.fromkeys(chosen))


def _id_option(value: Any, name: str, default: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """A field option: None keeps the default, a strategy is used as is, a value is pinned."""
    if value is None:
        return default
    if isinstance(value, SearchStrategy):
        return value
    try:
        return st.just(parse_id(value))
    except ValueError as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None

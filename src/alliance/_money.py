"""Exact money: `Money` and largest-remainder `allocate`."""

from __future__ import annotations

import decimal
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import gcd, lcm
from typing import Any, NoReturn, overload

import numpy as np
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from alliance._currency import Currency, currency
from alliance._kernels import (
    INT64_MAX,
    RoundingMode,
    allocate_minor,
    decimal_to_minor,
    rounding_mode,
)
from alliance.errors import CurrencyMismatch, FloatNotAllowed, InvalidAmount

__all__ = ["Money", "allocate", "parse_amount"]

#: Arithmetic context for amounts: wide enough that sums and products of real money are
#: exact; rounding to the minor unit is always an explicit, separate step.
MONEY_CONTEXT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

#: Bounds on parsed amounts: far beyond any real money, and they keep a hostile input such as
#: "1E+999999999" from turning into a billion-digit integer later on.
MAX_DIGITS = 30
MAX_PLACES = 30

_MONEY_TEXT = re.compile(
    r"^\s*(?:(?P<pre>[A-Za-z]{3})\s+)?(?P<amount>[-+]?[0-9][0-9_]*(?:\.[0-9]*)?|[-+]?\.[0-9]+)"
    r"(?:\s+(?P<post>[A-Za-z]{3}))?\s*$"
)


def _refuse_float(value: float, what: str) -> NoReturn:
    raise FloatNotAllowed(
        f"{what} {value!r} is a float; a binary float cannot hold money exactly "
        f"(0.1 is stored as 0.1000000000000000055…). Pass a string such as '{value!r}', "
        "an int or a Decimal"
    )


def parse_amount(value: Any, *, what: str = "amount") -> Decimal:
    """Parse an exact decimal amount from a string, an int or a Decimal.

    Args:
        value: ``"12.34"``, ``12``, ``Decimal("12.34")``. Floats and bools are refused.
        what: The argument's name, used in error messages.

    Returns:
        The amount as a finite `Decimal`.

    Raises:
        FloatNotAllowed: ``value`` is a float.
        InvalidAmount: ``value`` is not a finite decimal number.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidAmount(f"{what} must be a number, got bool {value!r}")
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            result = Decimal(text)
        except decimal.InvalidOperation:
            raise InvalidAmount(f"{what} {value!r} is not a decimal number") from None
    elif isinstance(value, float | np.floating):
        _refuse_float(float(value), what)
    elif isinstance(value, np.integer):
        return Decimal(int(value))
    else:
        raise InvalidAmount(
            f"{what} must be a str, int or Decimal, got {type(value).__name__} {value!r}"
        )
    if not result.is_finite():
        raise InvalidAmount(f"{what} {value!r} is not a finite number")
    places = -int(result.as_tuple().exponent)
    if result and (result.adjusted() >= MAX_DIGITS or places > MAX_PLACES):
        raise InvalidAmount(
            f"{what} {value!r} is out of range: at most {MAX_DIGITS} digits before the point "
            f"and {MAX_PLACES} after it"
        )
    return result


class Money:
    """An exact amount in one currency; immutable.

    The amount is a `Decimal` kept exactly as given (``Money("19.9", "USD")`` is not rounded);
    `round` brings it to the currency's minor unit, and `minor` gives it in minor units.

    Args:
        amount: ``"19.99"``, ``1999`` or ``Decimal("19.99")``. A float is refused.
        currency: ISO 4217 code (``"USD"``) or a `Currency`.

    Raises:
        FloatNotAllowed: ``amount`` is a float.
        InvalidAmount: ``amount`` is not a finite decimal number.
        CurrencyError: ``currency`` is not an active ISO 4217 currency.

    Examples:
        >>> price = Money("19.99", "USD")
        >>> price * 3
        Money('59.97', 'USD')
        >>> sum([price, price]) / price
        Decimal('2')
        >>> (price * Decimal("0.075")).round()
        Money('1.50', 'USD')
    """

    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: Currency

    def __init__(self, amount: str | int | Decimal, currency: str | Currency) -> None:
        object.__setattr__(self, "_amount", parse_amount(amount))
        object.__setattr__(self, "_currency", _currency_of(currency))

    @classmethod
    def _make(cls, amount: Decimal, unit: Currency) -> Money:
        money = object.__new__(cls)
        object.__setattr__(money, "_amount", amount)
        object.__setattr__(money, "_currency", unit)
        return money

    @classmethod
    def from_minor(cls, minor: int | np.integer[Any], currency: str | Currency) -> Money:
        """Build money from an integer count of minor units.

        Examples:
            >>> Money.from_minor(1999, "USD")
            Money('19.99', 'USD')
            >>> Money.from_minor(1999, "JPY")
            Money('1999', 'JPY')
        """
        if type(minor) is not int:  # the common case skips the slower checks
            if isinstance(minor, bool) or not isinstance(minor, int | np.integer):
                raise InvalidAmount(
                    f"minor units must be an int, got {type(minor).__name__} {minor!r}"
                )
            minor = int(minor)
        unit = _currency_of(currency)
        # Built from text, which is exact whatever the thread's decimal context says.
        return cls._make(Decimal(f"{minor}E-{unit.exponent}"), unit)

    @property
    def amount(self) -> Decimal:
        """The exact amount."""
        return self._amount

    @property
    def currency(self) -> str:
        """The ISO 4217 code."""
        return self._currency.code

    @property
    def currency_info(self) -> Currency:
        """The `Currency`, with its minor unit."""
        return self._currency

    @property
    def minor(self) -> int:
        """The amount in minor units (cents for USD).

        Raises:
            InvalidAmount: The amount is finer than the minor unit; call `round` first.
        """
        return decimal_to_minor(self._amount, self._currency.exponent, None)

    def round(self, mode: RoundingMode | str = "half_even") -> Money:
        """Round to the currency's minor unit.

        Args:
            mode: One of ``half_even`` (default, banker's rounding), ``half_up``,
                ``half_down``, ``down`` (toward zero), ``up`` (away from zero), ``floor``,
                ``ceiling``, or a `decimal` rounding constant.

        Examples:
            >>> Money("0.125", "USD").round()
            Money('0.12', 'USD')
            >>> Money("0.125", "USD").round("half_up")
            Money('0.13', 'USD')
        """
        unit = self._currency
        minor = decimal_to_minor(self._amount, unit.exponent, rounding_mode(mode))
        return Money.from_minor(minor, unit)

    def is_whole(self) -> bool:
        """Whether the amount is an exact number of minor units."""
        try:
            decimal_to_minor(self._amount, self._currency.exponent, None)
        except InvalidAmount:
            return False
        return True

    # -- operators ----------------------------------------------------------------------------

    def _same_currency(self, other: Money, verb: str) -> Currency:
        if other._currency is not self._currency:
            raise CurrencyMismatch(
                f"cannot {verb} {self} and {other}: currencies differ "
                f"({self.currency} vs {other.currency}); convert with FxRates first"
            )
        return self._currency

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            unit = self._same_currency(other, "add")
            return Money._make(MONEY_CONTEXT.add(self._amount, other._amount), unit)
        if _is_zero_int(other):
            return self
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # sum() starts from the int 0.
        if _is_zero_int(other):
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            unit = self._same_currency(other, "subtract")
            return Money._make(MONEY_CONTEXT.subtract(self._amount, other._amount), unit)
        if _is_zero_int(other):
            return self
        return NotImplemented

    def __rsub__(self, other: object) -> Money:
        if _is_zero_int(other):
            return -self
        return NotImplemented

    def __mul__(self, other: object) -> Money:
        factor = _factor(other, "multiply money by")
        if factor is None:
            return NotImplemented
        return Money._make(MONEY_CONTEXT.multiply(self._amount, factor), self._currency)

    __rmul__ = __mul__

    @overload
    def __truediv__(self, other: Money) -> Decimal: ...

    @overload
    def __truediv__(self, other: int | Decimal) -> Money: ...

    def __truediv__(self, other: object) -> Money | Decimal:
        if isinstance(other, Money):
            self._same_currency(other, "divide")
            if not other._amount:
                raise ZeroDivisionError("division by zero money")
            return MONEY_CONTEXT.divide(self._amount, other._amount)
        divisor = _factor(other, "divide money by")
        if divisor is None:
            return NotImplemented
        if not divisor:
            raise ZeroDivisionError("division of money by zero")
        return Money._make(MONEY_CONTEXT.divide(self._amount, divisor), self._currency)

    def __rtruediv__(self, other: object) -> NoReturn:
        raise TypeError("cannot divide a number by money")

    def __neg__(self) -> Money:
        return Money._make(self._amount.copy_negate(), self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._make(self._amount.copy_abs(), self._currency)

    def __bool__(self) -> bool:
        return bool(self._amount)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency is other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._amount, self._currency.code))

    def _compare(self, other: object) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other, "compare")
        # -1, 0 or 1, exactly (a subtraction would round in the thread's decimal context).
        return self._amount.compare(other._amount)

    def __lt__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff < 0

    def __le__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff <= 0

    def __gt__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff > 0

    def __ge__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff >= 0

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Money is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self._amount), self._currency.code))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Money:
        return self

    def __repr__(self) -> str:
        return f"Money({format(self._amount, 'f')!r}, {self._currency.code!r})"

    def __str__(self) -> str:
        return f"{format(self._amount, 'f')} {self._currency.code}"

    # -- pydantic -----------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_money,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _dump_money, when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Money",
            "description": "An exact amount and its ISO 4217 currency.",
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }


def _currency_of(value: str | Currency) -> Currency:
    return currency(value)


def _is_zero_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _factor(value: object, verb: str) -> Decimal | None:
    if isinstance(value, Money):
        raise TypeError(f"cannot {verb} money; Money * Money has no meaning")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"cannot {verb} {value}")
        return value
    if isinstance(value, float | np.floating):
        raise FloatNotAllowed(
            f"cannot {verb} the float {value!r}: floats are not exact; use Decimal({str(value)!r})"
        )
    return None


def _validate_money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, dict):
        extra = set(value) - {"amount", "currency"}
        if extra or "amount" not in value or "currency" not in value:
            raise ValueError(
                "money must be an object with exactly the keys 'amount' and 'currency', "
                f"got keys {sorted(value)}"
            )
        return Money(value["amount"], value["currency"])
    if isinstance(value, list | tuple) and len(value) == 2:
        return Money(value[0], value[1])
    if isinstance(value, str):
        match = _MONEY_TEXT.match(value)
        code = match and (match["pre"] or match["post"])
        if match is None or not code or (match["pre"] and match["post"]):
            raise ValueError(
                f"cannot read money from {value!r}; write it as '12.34 USD' or "
                "{'amount': '12.34', 'currency': 'USD'}"
            )
        return Money(match["amount"], code)
    raise ValueError(
        f"cannot read money from {type(value).__name__} {value!r}; give a Money, "
        "{'amount': '12.34', 'currency': 'USD'}, ('12.34', 'USD') or '12.34 USD'"
    )


def _dump_money(value: Money) -> dict[str, str]:
    return {"amount": format(value.amount, "f"), "currency": value.currency}


def _weight(value: Any, position: int) -> Fraction:
    if isinstance(value, bool):
        raise TypeError(f"weights[{position}] must be a number, got bool {value!r}")
    if isinstance(value, int | np.integer):
        weight = Fraction(int(value))
    elif isinstance(value, Decimal | Fraction):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"weights[{position}] must be finite, got {value!r}")
        weight = Fraction(value)
    elif isinstance(value, float | np.floating):
        # A weight is a ratio, not money. Read it as the shortest decimal that prints as the
        # float, so 0.3 weighs 3/10 and ties between equal-looking weights go to the earlier one.
        if not np.isfinite(value):
            raise ValueError(f"weights[{position}] must be finite, got {value!r}")
        weight = Fraction(Decimal(repr(float(value))))
    elif isinstance(value, str):
        weight = Fraction(parse_amount(value, what=f"weights[{position}]"))
    else:
        raise TypeError(
            f"weights[{position}] must be a number, got {type(value).__name__} {value!r}"
        )
    if weight < 0:
        raise ValueError(f"weights[{position}] is negative ({value!r}); weights must be >= 0")
    return weight


def allocate(money: Money, weights: Sequence[Any] | np.ndarray[Any, Any]) -> list[Money]:
    """Split money by weights so that the parts add up exactly to the whole.

    Largest-remainder method: each part is the floor or the ceiling (in minor units) of its
    exact share; the units left over go to the largest remainders, and ties go to the earlier
    weight, so the result is deterministic. A negative total is split as its magnitude and
    negated.

    Args:
        money: The total; it must be a whole number of minor units (`Money.round` first).
        weights: Non-negative numbers (int, Decimal, Fraction, numeric str, or float ratios,
            taken at their exact binary value); not all zero.

    Returns:
        One `Money` per weight, in order.

    Raises:
        InvalidAmount: ``money`` is finer than its currency's minor unit.
        ValueError: No weights, a negative weight, or all weights zero.

    Examples:
        >>> allocate(Money("100.00", "USD"), [1, 1, 1])
        [Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD')]
    """
    if not isinstance(money, Money):
        raise TypeError(f"money must be Money, got {type(money).__name__}")
    if isinstance(weights, str | bytes) or not isinstance(weights, Sequence | np.ndarray):
        raise TypeError("weights must be a sequence of numbers")
    exact = [_weight(w, i) for i, w in enumerate(weights)]
    if not exact:
        raise ValueError("weights is empty; give at least one weight")
    if not any(exact):
        raise ValueError("all weights are zero; nothing to allocate by")
    scale = lcm(*(w.denominator for w in exact))
    integer_weights = [int(w * scale) for w in exact]
    if max(integer_weights) > INT64_MAX:
        # Only the proportions matter; keep them exact by reducing by their gcd first.
        divisor = gcd(*integer_weights)
        integer_weights = [w // divisor for w in integer_weights]
    # Ratios of very different sizes (1e-20 beside 0.5) stay past int64 even so: the kernel
    # takes them as Python integers, exactly.
    dtype: Any = np.int64 if max(integer_weights) <= INT64_MAX else object
    total = money.minor
    parts = allocate_minor(
        np.array([total], dtype=np.int64), np.array(integer_weights, dtype=dtype)
    )
    unit = money.currency_info
    return [Money.from_minor(int(p), unit) for p in parts]

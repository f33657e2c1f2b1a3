"""`Money`: construction, operators, rounding, minor units and the pydantic boundary."""

from __future__ import annotations

import copy
import decimal
import pickle
from decimal import Decimal
from fractions import Fraction
from typing import Any, assert_type

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from alliance._currency import Currency, currency
from alliance._kernels import ROUNDING_MODES, RoundingMode
from alliance._money import Money, parse_amount
from alliance.errors import (
    AllianceError,
    CurrencyError,
    CurrencyMismatch,
    FloatNotAllowed,
    InvalidAmount,
)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("19.99", Decimal("19.99")),
        ("19.9", Decimal("19.9")),
        (" 12.5 ", Decimal("12.5")),
        ("1_000.25", Decimal("1000.25")),
        ("-0.125", Decimal("-0.125")),
        (7, Decimal(7)),
        (-3, Decimal(-3)),
        (Decimal("0.1"), Decimal("0.1")),
        (np.int64(42), Decimal(42)),
    ],
)
def test_money_from_exact_values(amount: Any, expected: Decimal) -> None:
    money = Money(amount, "USD")
    assert money.amount == expected
    assert money.amount.as_tuple() == expected.as_tuple()  # kept as given, not rounded
    assert money.currency == "USD"


def test_money_keeps_the_amount_exactly_as_given() -> None:
    assert repr(usd("19.9")) == "Money('19.9', 'USD')"
    assert repr(usd("0.001")) == "Money('0.001', 'USD')"
    assert usd("1E+3").amount == 1000


def test_float_amounts_are_refused_with_the_reason() -> None:
    with pytest.raises(FloatNotAllowed) as caught:
        Money(0.1, "USD")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "amount 0.1 is a float; a binary float cannot hold money exactly "
        "(0.1 is stored as 0.1000000000000000055…). Pass a string such as '0.1', "
        "an int or a Decimal"
    )
    # FloatNotAllowed is both an InvalidAmount (a ValueError) and a TypeError.
    assert isinstance(caught.value, InvalidAmount)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, AllianceError)


def test_numpy_float_amounts_are_refused() -> None:
    with pytest.raises(FloatNotAllowed, match=r"amount 2\.5 is a float; a binary float"):
        Money(np.float64(2.5), "USD")  # type: ignore[arg-type]


def test_bool_amounts_are_refused() -> None:
    with pytest.raises(InvalidAmount, match=r"^amount must be a number, got bool True$"):
        Money(True, "USD")


@pytest.mark.parametrize(
    "amount", ["NaN", "nan", "Infinity", "-inf", "sNaN", Decimal("NaN"), Decimal("-Infinity")]
)
def test_non_finite_amounts_are_refused(amount: Any) -> None:
    with pytest.raises(InvalidAmount, match="is not a finite number"):
        Money(amount, "USD")


@pytest.mark.parametrize("amount", ["12,34", "", "twelve", "1.2.3", "$5"])
def test_unparsable_amounts_are_refused(amount: str) -> None:
    with pytest.raises(InvalidAmount, match=r"^amount '.*' is not a decimal number$"):
        Money(amount, "USD")


@pytest.mark.parametrize("amount", [None, [1], b"12", object()])
def test_amounts_of_other_types_are_refused(amount: Any) -> None:
    with pytest.raises(InvalidAmount, match=r"^amount must be a str, int or Decimal, got "):
        Money(amount, "USD")


def test_parse_amount_names_the_argument() -> None:
    with pytest.raises(FloatNotAllowed, match=r"^fee 0\.5 is a float"):
        parse_amount(0.5, what="fee")
    assert parse_amount("3.10", what="fee") == Decimal("3.10")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(CurrencyError, match=r"^unknown currency 'ABC': not an active ISO 4217"):
        Money("1", "ABC")
    with pytest.raises(CurrencyError, match=r"^XAU is an ISO 4217 code without a minor unit"):
        Money("1", "XAU")
    with pytest.raises(CurrencyError, match=r"must be an ISO 4217 code string, got int 840"):
        Money("1", 840)  # type: ignore[arg-type]


def test_currency_code_in_any_case() -> None:
    assert Money("1", "usd").currency == "USD"
    assert Money("1", " eur ").currency == "EUR"
    assert Money("1", "usd") == Money("1", "USD")


def test_currency_objects_are_accepted() -> None:
    jpy = currency("JPY")
    assert Money("5", jpy).currency_info is jpy
    copied = Currency("JPY", "392", 0, jpy.name)
    # An equal Currency built by hand is the table's currency: same money, same arithmetic.
    assert Money("5", copied) == Money("5", "JPY")
    assert Money("5", copied) + Money("1", "JPY") == Money("6", "JPY")
    with pytest.raises(CurrencyError, match="is not the ISO 4217 table's entry for JPY"):
        Money("5", Currency("JPY", "392", 2, "Yen with cents"))


@pytest.mark.parametrize(
    ("code", "exponent", "per_major"),
    [("USD", 2, 100), ("JPY", 0, 1), ("KWD", 3, 1000), ("CLF", 4, 10000), ("EUR", 2, 100)],
)
def test_currency_exponents(code: str, exponent: int, per_major: int) -> None:
    unit = currency(code)
    assert unit.exponent == exponent
    assert unit.minor_per_major == per_major
    assert str(unit) == code
    assert Money("1", code).currency_info.exponent == exponent


# -- operators ------------------------------------------------------------------------------


def test_add_and_subtract_within_a_currency() -> None:
    assert usd("19.99") + usd("0.01") == usd("20.00")
    assert usd("19.99") - usd("20") == usd("-0.01")
    assert repr(usd("0.10") + usd("0.2")) == "Money('0.30', 'USD')"
    assert usd("5") + 0 == usd("5")
    assert 0 + usd("5") == usd("5")
    assert usd("5") - 0 == usd("5")
    assert 0 - usd("5") == usd("-5")


def test_sum_of_money() -> None:
    prices = [usd("19.99"), usd("0.01"), usd("5.5")]
    assert sum(prices) == usd("25.50")
    assert sum([usd("1")]) == usd("1")


def test_adding_numbers_to_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        usd("5") + 1
    with pytest.raises(TypeError):
        usd("5") + Decimal("1")
    with pytest.raises(TypeError):
        usd("5") - 1.5


def test_mixed_currencies_raise() -> None:
    dollars, euros = usd("1.00"), Money("1.00", "EUR")
    with pytest.raises(CurrencyMismatch) as caught:
        dollars + euros
    assert str(caught.value) == (
        "cannot add 1.00 USD and 1.00 EUR: currencies differ (USD vs EUR); "
        "convert with FxRates first"
    )
    with pytest.raises(CurrencyMismatch, match=r"^cannot subtract 1\.00 USD and 1\.00 EUR"):
        dollars - euros
    with pytest.raises(CurrencyMismatch, match=r"^cannot compare 1\.00 USD and 1\.00 EUR"):
        dollars < euros  # noqa: B015
    with pytest.raises(CurrencyMismatch, match=r"^cannot compare"):
        dollars >= euros  # noqa: B015
    with pytest.raises(CurrencyMismatch, match=r"^cannot divide"):
        dollars / euros
    with pytest.raises(CurrencyMismatch):
        sum([dollars, euros])


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert usd("1.00") != Money("1.00", "EUR")
    assert not usd("1.00") == Money("1.00", "EUR")  # noqa: SIM201
    assert usd("0") != 0
    assert usd("1") != "1 USD"


def test_comparisons_within_a_currency() -> None:
    assert usd("19.99") < usd("20")
    assert usd("20") <= usd("20.00")
    assert usd("20.01") > usd("20")
    assert usd("-1") >= usd("-1.0")
    assert max([usd("3"), usd("10"), usd("-4")]) == usd("10")
    assert sorted([usd("3"), usd("-4"), usd("0.5")]) == [usd("-4"), usd("0.5"), usd("3")]
    with pytest.raises(TypeError):
        usd("1") < 2  # noqa: B015


def test_multiplication_by_exact_numbers() -> None:
    assert usd("19.99") * 3 == usd("59.97")
    assert 3 * usd("19.99") == usd("59.97")
    assert usd("19.99") * Decimal("0.075") == usd("1.49925")
    assert usd("2") * np.int64(4) == usd("8")


def test_money_times_money_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"Money \* Money has no meaning"):
        usd("2") * usd("3")


def test_money_times_float_is_refused() -> None:
    with pytest.raises(FloatNotAllowed) as caught:
        usd("2") * 0.5
    assert str(caught.value) == (
        "cannot multiply money by the float 0.5: floats are not exact; use Decimal('0.5')"
    )
    with pytest.raises(FloatNotAllowed):
        0.5 * usd("2")
    with pytest.raises(FloatNotAllowed, match=r"cannot divide money by the float 0\.5"):
        usd("2") / 0.5  # type: ignore[operator]


@pytest.mark.parametrize(
    ("factor", "message"),
    [
        (True, r"unsupported operand type\(s\) for \*: 'Money' and 'bool'"),
        (None, r"unsupported operand type\(s\) for \*: 'Money' and 'NoneType'"),
        (Fraction(1, 2), r"unsupported operand type\(s\) for \*: 'Money' and 'Fraction'"),
        ("2", r"can't multiply sequence by non-int of type 'Money'"),  # str * Money, reflected
    ],
)
def test_money_times_other_things_is_a_type_error(factor: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        usd("2") * factor


def test_money_times_non_finite_decimals_is_refused() -> None:
    with pytest.raises(InvalidAmount, match=r"^cannot multiply money by NaN$"):
        usd("2") * Decimal("NaN")
    with pytest.raises(InvalidAmount, match=r"^cannot divide money by Infinity$"):
        usd("2") / Decimal("Infinity")


def test_division() -> None:
    ratio = usd("10") / usd("4")
    assert isinstance(ratio, Decimal)
    assert ratio == Decimal("2.5")
    assert usd("20.00") / 4 == usd("5.00")
    assert usd("1") / Decimal("8") == usd("0.125")
    third = usd("1") / 3
    assert isinstance(third, Money)
    assert third.round() == usd("0.33")
    with pytest.raises(ZeroDivisionError, match="division of money by zero"):
        usd("1") / 0
    with pytest.raises(ZeroDivisionError, match="division by zero money"):
        usd("1") / usd("0")
    with pytest.raises(TypeError, match="cannot divide a number by money"):
        2 / usd("1")


def test_unary_operators_and_truth() -> None:
    assert -usd("1.50") == usd("-1.50")
    assert abs(usd("-1.50")) == usd("1.50")
    assert +usd("1.50") == usd("1.50")
    assert bool(usd("0.01"))
    assert not usd("0.00")


def test_typing_of_the_operators() -> None:
    price = usd("1")
    assert_type(price + price, Money)
    assert_type(price - price, Money)
    assert_type(price * 2, Money)
    assert_type(-price, Money)
    assert_type(price.round(), Money)
    assert_type(price.minor, int)
    assert_type(price.amount, Decimal)
    assert_type(price < price, bool)


def test_results_do_not_depend_on_the_threads_decimal_context() -> None:
    big = usd("1234567.89")
    with decimal.localcontext() as context:
        context.prec = 5
        context.traps[decimal.Inexact] = True
        assert Money.from_minor(123456789, "USD").amount == Decimal("1234567.89")
        assert (-big).amount == Decimal("-1234567.89")
        assert abs(-big).amount == Decimal("1234567.89")
        assert big < usd("1234567.90")
        assert big + usd("0.01") == usd("1234567.90")
    assert Money.from_minor(10**40 + 1, "USD").amount == Decimal("1" + "0" * 38 + ".01")


# -- value semantics ------------------------------------------------------------------------


def test_money_is_immutable() -> None:
    price = usd("1")
    with pytest.raises(AttributeError, match="Money is immutable"):
        price._amount = Decimal(2)
    with pytest.raises(AttributeError):
        price.amount = Decimal(2)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="Money is immutable"):
        del price._currency
    with pytest.raises(AttributeError):
        price.note = "x"
    assert price == usd("1")


def test_hash_agrees_with_equality() -> None:
    assert usd("19.9") == usd("19.90")
    assert hash(usd("19.9")) == hash(usd("19.90"))
    assert len({usd("19.9"), usd("19.90"), usd("19.900")}) == 1
    assert len({usd("1"), Money("1", "EUR")}) == 2
    assert {usd("5"): "five"}[usd("5.00")] == "five"


@pytest.mark.parametrize("money", [usd("19.90"), Money("1234", "JPY"), Money("-0.001", "KWD")])
def test_pickle_and_copy_round_trip(money: Money) -> None:
    for clone in (pickle.loads(pickle.dumps(money)), copy.copy(money), copy.deepcopy(money)):
        assert clone == money
        assert repr(clone) == repr(money)
        assert clone.currency_info is money.currency_info


def test_repr_and_str() -> None:
    assert repr(usd("19.99")) == "Money('19.99', 'USD')"
    assert str(usd("19.99")) == "19.99 USD"
    assert repr(Money("1E+3", "JPY")) == "Money('1000', 'JPY')"
    assert str(Money("-0.5", "KWD")) == "-0.5 KWD"


# -- rounding and minor units ---------------------------------------------------------------

# Hand-computed: 0.125 and -0.125 sit exactly half-way between two cents.
ROUNDED: dict[RoundingMode, tuple[str, str]] = {
    "half_even": ("0.12", "-0.12"),
    "half_up": ("0.13", "-0.13"),
    "half_down": ("0.12", "-0.12"),
    "down": ("0.12", "-0.12"),
    "up": ("0.13", "-0.13"),
    "floor": ("0.12", "-0.13"),
    "ceiling": ("0.13", "-0.12"),
}


@pytest.mark.parametrize("mode", ROUNDING_MODES)
def test_round_every_mode(mode: RoundingMode) -> None:
    positive, negative = ROUNDED[mode]
    assert repr(usd("0.125").round(mode)) == f"Money('{positive}', 'USD')"
    assert repr(usd("-0.125").round(mode)) == f"Money('{negative}', 'USD')"


def test_round_default_is_half_even() -> None:
    assert usd("0.125").round() == usd("0.12")
    assert usd("0.135").round() == usd("0.14")
    assert usd("0.1251").round() == usd("0.13")
    assert usd("19.9").round() == usd("19.90")
    assert repr(usd("19.9").round()) == "Money('19.90', 'USD')"


def test_round_accepts_decimal_constants_and_refuses_unknown_modes() -> None:
    assert usd("0.125").round(decimal.ROUND_HALF_UP) == usd("0.13")
    with pytest.raises(ValueError, match="unknown rounding mode 'nearest'"):
        usd("0.125").round("nearest")


@pytest.mark.parametrize(
    ("amount", "code", "rounded"),
    [
        ("1234.5", "JPY", "Money('1234', 'JPY')"),
        ("1235.5", "JPY", "Money('1236', 'JPY')"),
        ("1.2345", "KWD", "Money('1.234', 'KWD')"),
        ("1.2355", "KWD", "Money('1.236', 'KWD')"),
        ("1.23456", "CLF", "Money('1.2346', 'CLF')"),
        ("7", "KWD", "Money('7.000', 'KWD')"),
    ],
)
def test_round_to_each_currencys_minor_unit(amount: str, code: str, rounded: str) -> None:
    assert repr(Money(amount, code).round()) == rounded


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [
        ("19.99", "USD", 1999),
        ("19.9", "USD", 1990),
        ("-0.01", "USD", -1),
        ("1234", "JPY", 1234),
        ("1.234", "KWD", 1234),
        ("0.0001", "CLF", 1),
        ("1E+2", "USD", 10000),
    ],
)
def test_minor_units(amount: str, code: str, minor: int) -> None:
    money = Money(amount, code)
    assert money.minor == minor
    assert money.is_whole()
    assert Money.from_minor(minor, code) == money


def test_minor_refuses_amounts_finer_than_the_minor_unit() -> None:
    with pytest.raises(InvalidAmount) as caught:
        _ = usd("19.999").minor
    assert str(caught.value) == "19.999 has more than 2 decimal places; round it first"
    with pytest.raises(InvalidAmount, match=r"^0\.5 has more than 0 decimal places"):
        _ = Money("0.5", "JPY").minor
    assert not usd("19.999").is_whole()
    assert usd("19.999").round().minor == 2000


def test_from_minor() -> None:
    assert repr(Money.from_minor(1999, "USD")) == "Money('19.99', 'USD')"
    assert repr(Money.from_minor(1999, "JPY")) == "Money('1999', 'JPY')"
    assert repr(Money.from_minor(1234, "KWD")) == "Money('1.234', 'KWD')"
    assert repr(Money.from_minor(-5, "usd")) == "Money('-0.05', 'USD')"
    assert repr(Money.from_minor(np.int64(7), "CLF")) == "Money('0.0007', 'CLF')"
    with pytest.raises(InvalidAmount, match=r"^minor units must be an int, got float 1\.5$"):
        Money.from_minor(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="got bool True"):
        Money.from_minor(True, "USD")
    with pytest.raises(InvalidAmount, match="got str '5'"):
        Money.from_minor("5", "USD")  # type: ignore[arg-type]


# -- laws -----------------------------------------------------------------------------------

amounts = st.decimals(
    min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False
)
whole_cents = st.integers(-(10**15), 10**15)
money_usd = amounts.map(lambda a: Money(a, "USD"))


@given(money_usd, money_usd)
def test_addition_commutes(a: Money, b: Money) -> None:
    assert a + b == b + a


@given(money_usd, money_usd, money_usd)
def test_addition_associates(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)


@given(money_usd)
def test_a_minus_a_is_zero(a: Money) -> None:
    assert a - a == usd("0")
    assert a + (-a) == usd("0")
    assert sum([a, -a]) == usd("0")


@given(money_usd, money_usd)
def test_subtraction_undoes_addition(a: Money, b: Money) -> None:
    assert (a + b) - b == a


@given(whole_cents, st.integers(-(10**6), 10**6))
def test_whole_money_times_an_int_is_exact(cents: int, factor: int) -> None:
    money = Money.from_minor(cents, "USD")
    product = money * factor
    assert product.is_whole()
    assert product.round() == product
    assert product.minor == cents * factor


@given(whole_cents, st.sampled_from(["USD", "JPY", "KWD", "CLF"]))
def test_from_minor_and_minor_round_trip(minor: int, code: str) -> None:
    assert Money.from_minor(minor, code).minor == minor


@given(amounts, st.integers(0, 6))
def test_hash_and_equality_ignore_trailing_zeros(amount: Decimal, zeros: int) -> None:
    padded = amount.quantize(Decimal(1).scaleb(-(4 + zeros)))
    assert Money(amount, "USD") == Money(padded, "USD")
    assert hash(Money(amount, "USD")) == hash(Money(padded, "USD"))


@given(amounts, st.sampled_from(ROUNDING_MODES))
def test_rounding_lands_within_one_minor_unit(amount: Decimal, mode: RoundingMode) -> None:
    rounded = Money(amount, "USD").round(mode)
    assert rounded.is_whole()
    assert abs(rounded.amount - amount) < Decimal("0.01")
    assert rounded.round(mode) == rounded


# -- pydantic -------------------------------------------------------------------------------


class Priced(BaseModel):
    price: Money


@pytest.mark.parametrize(
    "given_price",
    [
        {"amount": "12.34", "currency": "USD"},
        {"amount": 12, "currency": "usd"},
        ("12.34", "USD"),
        ["12.34", "USD"],
        "12.34 USD",
        "USD 12.34",
        "  12.34   usd ",
        Money("12.34", "USD"),
    ],
)
def test_pydantic_accepts_the_documented_forms(given_price: Any) -> None:
    price = Priced.model_validate({"price": given_price}).price
    assert isinstance(price, Money)
    assert price.currency == "USD"
    assert price.amount in (Decimal("12.34"), Decimal(12))


def test_pydantic_keeps_the_instance() -> None:
    price = usd("12.34")
    assert Priced(price=price).price is price


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"amount": "12.34"}, "exactly the keys 'amount' and 'currency', got keys ['amount']"),
        ({"amount": "1", "currency": "USD", "note": "x"}, "got keys ['amount', 'currency', 'n"),
        ({"amount": 12.34, "currency": "USD"}, "a binary float cannot hold money exactly"),
        ({"amount": "1", "currency": "ABC"}, "unknown currency 'ABC'"),
        ("12.34", "cannot read money from '12.34'; write it as '12.34 USD'"),
        ("USD 12.34 EUR", "cannot read money from 'USD 12.34 EUR'"),
        ("12.34 DOLLARS", "cannot read money from '12.34 DOLLARS'"),
        ("NaN USD", "cannot read money from 'NaN USD'"),
        (12.34, "cannot read money from float 12.34"),
        (("12.34", "USD", "x"), "cannot read money from tuple"),
        (None, "cannot read money from NoneType None"),
    ],
)
def test_pydantic_refuses_bad_forms(bad: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Priced.model_validate({"price": bad})
    errors = caught.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == ("price",)
    assert errors[0]["type"] == "value_error"
    assert message in errors[0]["msg"]


def test_pydantic_json_dump() -> None:
    model = Priced(price=usd("12.34"))
    assert model.model_dump_json() == '{"price":{"amount":"12.34","currency":"USD"}}'
    assert model.model_dump() == {"price": usd("12.34")}
    assert model.model_dump(mode="json") == {"price": {"amount": "12.34", "currency": "USD"}}
    assert Priced(price=Money("1E+3", "JPY")).model_dump_json() == (
        '{"price":{"amount":"1000","currency":"JPY"}}'
    )


def test_pydantic_json_round_trip_keeps_every_digit() -> None:
    amount = "-123456789012345678.123456789012345678901234567890"
    model = Priced(price=Money(amount, "USD"))
    text = model.model_dump_json()
    assert text == f'{{"price":{{"amount":"{amount}","currency":"USD"}}}}'
    again = Priced.model_validate_json(text)
    assert again.price.amount.as_tuple() == Decimal(amount).as_tuple()
    assert again == model


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=30, min_value=-(10**20)).filter(
        lambda d: d <= 10**20
    ),
    st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"]),
)
def test_pydantic_json_round_trip_is_lossless(amount: Decimal, code: str) -> None:
    model = Priced(price=Money(amount, code))
    again = Priced.model_validate_json(model.model_dump_json())
    assert again.price == model.price
    assert again.price.amount == amount
    assert Priced.model_validate(model.model_dump(mode="json")) == model


def test_pinned_json_schema() -> None:
    assert Priced.model_json_schema() == {
        "title": "Priced",
        "type": "object",
        "properties": {
            "price": {
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
        },
        "required": ["price"],
    }
    assert Priced.model_json_schema(mode="serialization") == Priced.model_json_schema()


def test_amounts_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidAmount, match="out of range"):
        Money("1E+999999999", "USD")
    with pytest.raises(InvalidAmount, match="30 after it"):
        Money("0." + "0" * 30 + "1", "USD")
    assert Money("9" * 30, "USD").amount == Decimal("9" * 30)


def test_money_division_types() -> None:
    ratio: Decimal = Money("3.00", "USD") / Money("1.50", "USD")
    share: Money = Money("3.00", "USD") / 4
    assert ratio == Decimal(2)
    assert share == Money("0.75", "USD")

"""`FxRates`: dated rates, exact inverse and cross rates, and the batch twin `convert_minor`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance._fx import FxRate, FxRates
from alliance._kernels import INT64_MAX, ROUNDING_MODES, RoundingMode
from alliance._money import Money
from alliance._periods import from_micros, to_micros
from alliance.errors import (
    CurrencyError,
    FloatNotAllowed,
    InvalidAmount,
    MissingRate,
    MoneyOverflow,
    TimezoneError,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)
T1 = datetime(2026, 10, 2, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def eur_quotes() -> FxRates:
    """EUR quotes of USD and JPY on 1 October, and a new EUR/USD rate on 2 October."""
    return FxRates.from_records(
        [
            {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0},
            {"base": "EUR", "quote": "JPY", "rate": "162.45", "as_of": T0},
            {"base": "EUR", "quote": "USD", "rate": "1.0900", "as_of": T1},
        ]
    )


# -- scalar conversion, hand-computed -------------------------------------------------------


def test_direct_conversion() -> None:
    fx = eur_quotes()
    # 10.00 EUR * 1.0832 = 10.832 USD
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T0) == Money("10.83", "USD")
    assert repr(fx.convert(Money("10", "EUR"), "USD", at=T0)) == "Money('10.83', 'USD')"
    # 19.99 EUR * 1.0832 = 21.653168 USD
    assert fx.convert(Money("19.99", "EUR"), "USD", at=T0) == Money("21.65", "USD")


def test_inverse_is_an_exact_rational_rounded_once() -> None:
    fx = eur_quotes()
    # 1.0832 = 677/625, so one USD is exactly 625/677 EUR: not a finite decimal.
    assert fx.rate("USD", "EUR", at=T0) == Fraction(625, 677)
    # 10.83 / 1.0832 = 9.99815.. EUR
    assert fx.convert(Money("10.83", "USD"), "EUR", at=T0) == Money("10.00", "EUR")
    # 1,000,000 / 1.0832 = 923190.5465.. EUR; a rounded inverse (0.9232) would say 923200.00.
    assert fx.convert(Money("1000000.00", "USD"), "EUR", at=T0) == Money("923190.55", "EUR")


def test_jpy_and_kwd_minor_units() -> None:
    fx = FxRates.from_records(
        [
            {"base": "EUR", "quote": "JPY", "rate": "162.45", "as_of": T0},
            {"base": "USD", "quote": "JPY", "rate": "151.25", "as_of": T0},
            {"base": "USD", "quote": "KWD", "rate": "0.3075", "as_of": T0},
        ]
    )
    # 10.00 EUR * 162.45 = 1624.5 JPY: a tie, so the mode decides
    assert repr(fx.convert(Money("10.00", "EUR"), "JPY", at=T0)) == "Money('1624', 'JPY')"
    assert fx.convert(Money("10.00", "EUR"), "JPY", at=T0, mode="half_up") == Money("1625", "JPY")
    # 1000 JPY / 151.25 = 800/121 = 6.6115.. USD
    assert fx.convert(Money("1000", "JPY"), "USD", at=T0) == Money("6.61", "USD")
    # 12.34 USD * 0.3075 = 3.79455 KWD = 3794.55 fils
    assert repr(fx.convert(Money("12.34", "USD"), "KWD", at=T0)) == "Money('3.795', 'KWD')"
    assert fx.convert(Money("12.34", "USD"), "KWD", at=T0, mode="floor") == Money("3.794", "KWD")
    # 1.000 KWD / 0.3075 = 3.2520.. USD
    assert fx.convert(Money("1.000", "KWD"), "USD", at=T0) == Money("3.25", "USD")


def test_cross_rate_through_the_pivot() -> None:
    fx = eur_quotes()
    assert fx.pivot == "EUR"  # every quote has base EUR
    assert fx.rate("USD", "JPY", at=T0) == Fraction("162.45") / Fraction("1.0832")
    # 100.00 USD / 1.0832 * 162.45 = 10153125/677 = 14997.23.. JPY
    assert fx.convert(Money("100.00", "USD"), "JPY", at=T0) == Money("14997", "JPY")
    # 14997 JPY / 162.45 * 1.0832 = 99.9985.. USD
    assert fx.convert(Money("14997", "JPY"), "USD", at=T0) == Money("100.00", "USD")


def test_explicit_pivot_and_no_pivot() -> None:
    rows = [
        {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0},
        {"base": "USD", "quote": "JPY", "rate": "151.25", "as_of": T0},
    ]
    without = FxRates.from_records(rows)
    assert without.pivot is None
    with pytest.raises(MissingRate) as caught:
        without.convert(Money("10.00", "EUR"), "JPY", at=T0)
    assert str(caught.value) == (
        "no rate converts EUR to JPY: neither EUR/JPY nor JPY/EUR is quoted (and no pivot is set)"
    )
    through_usd = FxRates.from_records(rows, pivot="usd")
    assert through_usd.pivot == "USD"
    # 10.00 EUR * 1.0832 * 151.25 = 1638.34 JPY
    assert through_usd.convert(Money("10.00", "EUR"), "JPY", at=T0) == Money("1638", "JPY")
    with pytest.raises(MissingRate, match=r"neither EUR/GBP nor GBP/EUR is quoted, and no cross"):
        through_usd.convert(Money("10.00", "EUR"), "GBP", at=T0)


def test_same_currency_is_rate_one_rounded_once() -> None:
    fx = eur_quotes()
    assert fx.rate("EUR", "EUR", at=T0) == 1
    assert fx.convert(Money("10.005", "EUR"), "EUR", at=T0) == Money("10.00", "EUR")
    assert fx.convert(Money("10.005", "EUR"), "EUR", at=T0, mode="up") == Money("10.01", "EUR")


def test_converting_a_fine_amount_rounds_only_once() -> None:
    fx = eur_quotes()
    # 0.004999 EUR * 1.0832 = 0.0054149 USD: rounds to 0.01; rounding the euros first gives 0.00
    assert fx.convert(Money("0.004999", "EUR"), "USD", at=T0) == Money("0.01", "USD")


# -- which rate is in force -----------------------------------------------------------------


def test_latest_rate_at_or_before_the_instant() -> None:
    fx = eur_quotes()
    ten = Money("10.00", "EUR")
    assert fx.convert(ten, "USD", at=T1) == Money("10.90", "USD")  # exactly at as_of
    assert fx.convert(ten, "USD", at=T1 - ONE_US) == Money("10.83", "USD")
    assert fx.convert(ten, "USD", at=T0) == Money("10.83", "USD")
    assert fx.convert(ten, "USD", at=T1 + timedelta(days=400)) == Money("10.90", "USD")
    assert fx.rate("EUR", "USD", at=T1) == Fraction("1.09")


def test_a_pair_quoted_both_ways_uses_the_latest_quote() -> None:
    fx = FxRates.from_records(
        [
            {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0},
            {"base": "USD", "quote": "EUR", "rate": "0.9", "as_of": T0},
            {"base": "USD", "quote": "EUR", "rate": "0.95", "as_of": T1},
        ]
    )
    # at the same instant, the quote in the asked direction wins
    assert fx.rate("EUR", "USD", at=T0) == Fraction("1.0832")
    assert fx.rate("USD", "EUR", at=T0) == Fraction("0.9")
    # a later quote the other way round is newer, so it is used, inverted
    assert fx.rate("EUR", "USD", at=T1) == 1 / Fraction("0.95")
    # 10.00 EUR / 0.95 = 10.526.. USD
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T1) == Money("10.53", "USD")


def test_instants_in_other_time_zones() -> None:
    fx = eur_quotes()
    shanghai = timezone(timedelta(hours=8))
    # 2 October 07:59:59 in Shanghai is 1 October 23:59:59 UTC: still the old rate.
    just_before = datetime(2026, 10, 2, 7, 59, 59, tzinfo=shanghai)
    assert fx.rate("EUR", "USD", at=just_before) == Fraction("1.0832")
    assert fx.rate("EUR", "USD", at=just_before + timedelta(seconds=1)) == Fraction("1.09")


def test_missing_rate_before_the_first() -> None:
    fx = eur_quotes()
    with pytest.raises(MissingRate) as caught:
        fx.convert(Money("10.00", "EUR"), "USD", at=T0 - ONE_US)
    assert str(caught.value) == (
        "no EUR/USD rate at or before 2026-09-30T23:59:59.999999+00:00 converting EUR to USD; "
        "the earliest is as of 2026-10-01T00:00:00+00:00"
    )
    assert isinstance(caught.value, LookupError)
    with pytest.raises(MissingRate, match=r"no EUR/USD rate at or before 2026-09-30T23:59:59"):
        fx.convert(Money("10.00", "USD"), "JPY", at=T0 - ONE_US)


def test_max_age_refuses_stale_rates() -> None:
    records = eur_quotes().to_records()
    fx = FxRates.from_records(records, max_age=timedelta(hours=24))
    ten = Money("10.00", "EUR")
    assert fx.convert(ten, "USD", at=T1 + timedelta(hours=24)) == Money("10.90", "USD")
    with pytest.raises(MissingRate) as caught:
        fx.convert(ten, "USD", at=T1 + timedelta(hours=24) + ONE_US)
    assert str(caught.value) == (
        "the EUR/USD rate in force at 2026-10-03T00:00:00.000001+00:00 is older than "
        "max_age=1 day, 0:00:00 converting EUR to USD"
    )
    # EUR/JPY was last quoted on 1 October: stale on the 2nd, at 00:00:00.000001
    assert fx.convert(ten, "JPY", at=T1) == Money("1624", "JPY")
    with pytest.raises(MissingRate, match=r"EUR/JPY rate in force at 2026-10-02T00:00:00\.000001"):
        fx.convert(ten, "JPY", at=T1 + ONE_US)
    with pytest.raises(ValueError, match=r"max_age must be positive, got 0:00:00"):
        FxRates.from_records(records, max_age=timedelta(0))


# -- building the table ---------------------------------------------------------------------


def test_from_records_accepts_iso_strings_and_decimals() -> None:
    fx = FxRates.from_records(
        [
            {"base": "eur", "quote": "usd", "rate": Decimal("1.0832"), "as_of": T0.isoformat()},
            {"base": "EUR", "quote": "USD", "rate": 2, "as_of": "2026-10-02T08:00:00+08:00"},
        ]
    )
    assert len(fx) == 2
    assert fx.rate("EUR", "USD", at=T0) == Fraction("1.0832")
    assert fx.rate("EUR", "USD", at=T1) == 2
    assert repr(fx) == "FxRates(2 rates; pairs EUR/USD; pivot EUR)"
    assert fx.to_records()[0] == {
        "base": "EUR",
        "quote": "USD",
        "rate": Decimal("1.0832"),
        "as_of": T0,
    }


def test_to_records_round_trips() -> None:
    fx = eur_quotes()
    again = FxRates.from_records(fx.to_records())
    assert again.to_records() == fx.to_records()
    assert again.convert(Money("100.00", "USD"), "JPY", at=T0) == Money("14997", "JPY")


def test_fx_rate_values() -> None:
    fx = FxRates([FxRate("EUR", "USD", Decimal("1.0832"), T0)])
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T0) == Money("10.83", "USD")
    with pytest.raises(TypeError, match="rates must be FxRate values, got dict"):
        FxRates([{"base": "EUR"}])  # type: ignore[list-item]


def test_the_same_rate_twice_is_kept_once() -> None:
    row = {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0}
    fx = FxRates.from_records([row, {**row, "rate": "1.08320"}])
    assert fx.rate("EUR", "USD", at=T0) == Fraction("1.0832")


def test_two_different_rates_at_one_instant_are_refused() -> None:
    row = {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0}
    with pytest.raises(InvalidAmount) as caught:
        FxRates.from_records([row, {**row, "rate": "1.0833"}])
    assert str(caught.value).startswith(
        "two different EUR/USD rates as of 2026-10-01T00:00:00+00:00: "
    )
    assert str(caught.value).endswith(" and 1.0833")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"rate": 1.0832}, FloatNotAllowed, r"^EUR/USD rate 1\.0832 is a float; a binary float"),
        ({"rate": "0"}, InvalidAmount, r"^EUR/USD rate must be positive, got 0$"),
        ({"rate": "-1.2"}, InvalidAmount, r"^EUR/USD rate must be positive, got -1\.2$"),
        ({"rate": "NaN"}, InvalidAmount, r"^EUR/USD rate 'NaN' is not a finite number$"),
        ({"rate": "abc"}, InvalidAmount, r"^EUR/USD rate 'abc' is not a decimal number$"),
        ({"quote": "EUR"}, InvalidAmount, r"^a rate from EUR to itself is always 1; remove it$"),
        ({"quote": "ABC"}, CurrencyError, r"^unknown currency 'ABC'"),
        ({"as_of": datetime(2026, 10, 1)}, TimezoneError, r"^as_of=datetime.* is naive"),
        ({"as_of": "2026-10-01T00:00:00"}, TimezoneError, r"^as_of=datetime.* is naive"),
    ],
)
def test_bad_rates_are_refused(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    row = {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0, **change}
    with pytest.raises(error, match=message):
        FxRates.from_records([row])


def test_rows_missing_a_column_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^rate row 1 lacks \['as_of', 'rate'\]$"):
        FxRates.from_records(
            [
                {"base": "EUR", "quote": "USD", "rate": "1.0832", "as_of": T0},
                {"base": "EUR", "quote": "JPY"},
            ]
        )


def test_bad_conversion_arguments() -> None:
    fx = eur_quotes()
    with pytest.raises(
        TimezoneError, match=r"^at=datetime\.datetime\(2026, 10, 1, 0, 0\) is naive"
    ):
        fx.convert(Money("1.00", "EUR"), "USD", at=datetime(2026, 10, 1))
    with pytest.raises(TimezoneError, match="is naive"):
        fx.rate("EUR", "USD", at=datetime(2026, 10, 1))
    with pytest.raises(TypeError, match=r"^money must be Money, got Decimal$"):
        fx.convert(Decimal("1.00"), "USD", at=T0)  # type: ignore[arg-type]
    with pytest.raises(CurrencyError, match="unknown currency 'XYZ'"):
        fx.convert(Money("1.00", "EUR"), "XYZ", at=T0)
    with pytest.raises(ValueError, match="unknown rounding mode 'nearest'"):
        fx.convert(Money("1.00", "EUR"), "USD", at=T0, mode="nearest")


# -- the batch twin -------------------------------------------------------------------------

T0_US = to_micros(T0)
T1_US = to_micros(T1)


def test_convert_minor_hand_computed() -> None:
    fx = eur_quotes()
    # 10.00 and 19.99 EUR at 1.0832 = 10.832 and 21.653168 USD; at 1.09 = 10.90 and 21.7891
    result = fx.convert_minor(
        np.array([1000, 1999, 1000, 1999]), "EUR", "USD", at=[T0_US, T0_US, T1_US, T1_US]
    )
    assert result.dtype == np.int64
    assert result.tolist() == [1083, 2165, 1090, 2179]
    # one instant for every row
    assert fx.convert_minor(np.array([1000, -1999]), "EUR", "USD", at=T0_US).tolist() == [
        1083,
        -2165,
    ]


def test_convert_minor_with_a_currency_per_row() -> None:
    fx = eur_quotes()
    # 10.00 EUR -> 1624.5 -> 1624 JPY; 10.00 USD -> 1499.72 JPY; 1000 JPY -> 1000 JPY
    result = fx.convert_minor(
        np.array([1000, 1000, 1000]), np.array(["EUR", "usd", "JPY"]), "JPY", at=T0_US
    )
    assert result.tolist() == [1624, 1500, 1000]
    # and to a currency with more decimals: 1624 JPY -> 1624 / 162.45 = 9.99692.. EUR
    assert fx.convert_minor(np.array([1624]), ["JPY"], "EUR", at=T0_US).tolist() == [1000]


def test_convert_minor_accepts_numpy_datetimes_of_any_unit() -> None:
    fx = eur_quotes()
    just_before = np.array(["2026-10-01T23:59:59.999999"], dtype="datetime64[ns]")
    on_time = np.array(["2026-10-02T00:00:00"], dtype="datetime64[s]")
    assert fx.convert_minor(np.array([1000]), "EUR", "USD", at=just_before).tolist() == [1083]
    assert fx.convert_minor(np.array([1000]), "EUR", "USD", at=on_time).tolist() == [1090]


def test_convert_minor_missing_rate_names_the_callers_rows() -> None:
    fx = eur_quotes()
    before = T0_US - 1
    with pytest.raises(MissingRate) as caught:
        fx.convert_minor(
            np.array([100, 200, 300, 400, 500]),
            np.array(["USD", "EUR", "USD", "EUR", "EUR"]),
            "JPY",
            at=[T0_US, before, T0_US, before, T0_US],
        )
    assert str(caught.value) == (
        "no EUR/JPY rate at or before 2026-09-30T23:59:59.999999+00:00 converting EUR to JPY "
        "(rows 1, 3); the earliest is as of 2026-10-01T00:00:00+00:00"
    )


def test_convert_minor_missing_rate_lists_ten_rows() -> None:
    fx = eur_quotes()
    with pytest.raises(MissingRate, match=r"\(rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more\)"):
        fx.convert_minor(np.ones(13, dtype=np.int64), "EUR", "USD", at=[T0_US] + [0] * 12)


def test_convert_minor_stale_rate_names_the_rows() -> None:
    fx = FxRates.from_records(eur_quotes().to_records(), max_age=timedelta(days=1))
    late = T1_US + 86_400_000_000 + 1
    with pytest.raises(MissingRate, match=r"older than max_age=1 day, 0:00:00 .*\(rows 2\)$"):
        fx.convert_minor(np.array([1, 2, 3]), "EUR", "USD", at=[T0_US, T1_US, late])


def test_convert_minor_overflow_names_the_callers_rows() -> None:
    fx = eur_quotes()
    # 9e18 cents of EUR is 9.7488e18 cents of USD: past int64
    with pytest.raises(MoneyOverflow, match=r"at rows 2;"):
        fx.convert_minor(
            np.array([5, 7, 9_000_000_000_000_000_000], dtype=np.int64),
            np.array(["USD", "EUR", "EUR"]),
            "USD",
            at=T0_US,
        )
    with pytest.raises(MoneyOverflow, match="amounts hold values past the int64 range"):
        fx.convert_minor(np.array([2**63], dtype=np.uint64), "EUR", "USD", at=T0_US)


def test_convert_minor_bad_arguments() -> None:
    fx = eur_quotes()
    with pytest.raises(TypeError, match="amounts must be integer minor units, got dtype float64"):
        fx.convert_minor(np.array([10.5]), "EUR", "USD", at=T0_US)
    with pytest.raises(TypeError, match="at must be int64 microseconds since the epoch"):
        fx.convert_minor(np.array([10]), "EUR", "USD", at=np.array([1.5e15]))
    with pytest.raises(ValueError, match="currencies must be one code or one code per amount"):
        fx.convert_minor(np.array([10, 20]), ["EUR"], "USD", at=T0_US)
    with pytest.raises(CurrencyError, match="unknown currency 'EURO'"):
        fx.convert_minor(np.array([10]), ["EURO"], "USD", at=T0_US)


# -- batch == scalar ------------------------------------------------------------------------

CODES = ["EUR", "USD", "JPY", "KWD", "CLF"]
rate_values = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(20000), places=6)
offsets_us = st.integers(0, 10 * 86_400_000_000)


@st.composite
def rate_tables(draw: st.DrawFn) -> FxRates:
    """EUR quotes of the other currencies from T0 on, some dates later, some pairs direct."""
    rows: list[dict[str, Any]] = []
    for quote in CODES[1:]:
        rows.append({"base": "EUR", "quote": quote, "rate": draw(rate_values), "as_of": T0})
        for offset in draw(st.lists(offsets_us, max_size=3, unique=True)):
            at = T0 + timedelta(microseconds=offset)
            if offset:
                rows.append({"base": "EUR", "quote": quote, "rate": draw(rate_values), "as_of": at})
    if draw(st.booleans()):  # a direct pair, quoted the "other" way round
        rows.append({"base": "JPY", "quote": "USD", "rate": draw(rate_values), "as_of": T0})
    return FxRates.from_records(rows, pivot="EUR")


batch_amounts = st.one_of(
    st.integers(-(10**12), 10**12),
    st.integers(-INT64_MAX, INT64_MAX),
)


@given(st.data(), rate_tables(), st.sampled_from(CODES), st.sampled_from(ROUNDING_MODES))
def test_convert_minor_equals_convert_row_by_row(
    data: st.DataObject, fx: FxRates, target: str, mode: RoundingMode
) -> None:
    size = data.draw(st.integers(1, 12))
    amounts = data.draw(st.lists(batch_amounts, min_size=size, max_size=size))
    codes = data.draw(st.lists(st.sampled_from(CODES), min_size=size, max_size=size))
    instants = data.draw(
        st.lists(offsets_us.map(lambda o: T0_US + o), min_size=size, max_size=size)
    )
    expected = [
        fx.convert(Money.from_minor(amount, code), target, at=from_micros(at), mode=mode).minor
        for amount, code, at in zip(amounts, codes, instants, strict=True)
    ]
    if any(abs(value) > INT64_MAX for value in expected):
        with pytest.raises(MoneyOverflow, match="does not fit in int64 minor units at rows"):
            fx.convert_minor(np.array(amounts), np.array(codes), target, at=instants, mode=mode)
        return
    result = fx.convert_minor(np.array(amounts), np.array(codes), target, at=instants, mode=mode)
    assert result.tolist() == expected


@given(rate_tables(), st.sampled_from(CODES), st.sampled_from(CODES), offsets_us)
def test_rate_composes_with_its_inverse(fx: FxRates, source: str, target: str, o: int) -> None:
    at = T0 + timedelta(microseconds=o)
    assert fx.rate(source, target, at=at) * fx.rate(target, source, at=at) == 1


# -- DataFrames -----------------------------------------------------------------------------


def test_from_pandas_frame() -> None:
    frame = pd.DataFrame(
        {
            "base": ["EUR", "EUR", "EUR"],
            "quote": ["USD", "JPY", "USD"],
            "rate": ["1.0832", "162.45", "1.0900"],
            "as_of": pd.to_datetime(
                ["2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"]
            ),
        }
    )
    fx = FxRates.from_frame(frame)
    assert len(fx) == 3
    assert fx.pivot == "EUR"
    assert fx.convert(Money("100.00", "USD"), "JPY", at=T0) == Money("14997", "JPY")
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T1) == Money("10.90", "USD")
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T1 - ONE_US) == Money("10.83", "USD")


def test_from_polars_frame() -> None:
    frame = pl.DataFrame(
        {
            "base": ["EUR", "EUR", "EUR"],
            "quote": ["USD", "JPY", "USD"],
            "rate": ["1.0832", "162.45", "1.0900"],
            "as_of": [T0, T0, T1],
        }
    )
    fx = FxRates.from_frame(frame, max_age=timedelta(days=2))
    assert fx.convert(Money("100.00", "USD"), "JPY", at=T0) == Money("14997", "JPY")
    assert fx.convert(Money("10.00", "EUR"), "USD", at=T1) == Money("10.90", "USD")
    with pytest.raises(MissingRate, match="older than max_age=2 days"):
        fx.convert(Money("10.00", "EUR"), "JPY", at=T1 + timedelta(days=1, microseconds=1))


def test_from_frame_refuses_float_rates() -> None:
    frame = pd.DataFrame(
        {"base": ["EUR"], "quote": ["USD"], "rate": [1.0832], "as_of": [pd.Timestamp(T0)]}
    )
    with pytest.raises(FloatNotAllowed, match=r"^EUR/USD rate 1\.0832 is a float"):
        FxRates.from_frame(frame)

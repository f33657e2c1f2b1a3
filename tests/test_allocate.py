"""`allocate`: largest-remainder splitting of money, whose parts always add up to the whole."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance._money import Money, allocate
from alliance.errors import FloatNotAllowed, InvalidAmount


def exact_weight(weight: Any) -> Fraction:
    """A weight as allocate reads it: a float as the shortest decimal that prints as it."""
    if isinstance(weight, float):
        return Fraction(Decimal(repr(weight)))
    return Fraction(weight)


def reference_allocate(total_minor: int, weights: list[Fraction]) -> list[int]:
    """Largest remainder with exact fractions of the weights as given."""
    weight_sum = sum(weights, Fraction(0))
    magnitude = abs(total_minor)
    shares = [magnitude * w / weight_sum for w in weights]
    parts = [math.floor(s) for s in shares]
    left = magnitude - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [-p if total_minor < 0 else p for p in parts]


def minors(parts: list[Money]) -> list[int]:
    return [part.minor for part in parts]


# -- examples -------------------------------------------------------------------------------


def test_the_design_example() -> None:
    parts = allocate(Money("100.00", "USD"), [1, 1, 1])
    assert parts == [Money("33.34", "USD"), Money("33.33", "USD"), Money("33.33", "USD")]
    assert repr(parts) == "[Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD')]"
    assert sum(parts) == Money("100.00", "USD")


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # a negative total is split as its magnitude, then negated
        (Money("-100.00", "USD"), [1, 1, 1], ["-33.34", "-33.33", "-33.33"]),
        # ties go to the earlier weight
        (Money("0.05", "USD"), [1, 1], ["0.03", "0.02"]),
        (Money("0.02", "USD"), [1, 1, 1], ["0.01", "0.01", "0.00"]),
        # 100 JPY has no cents: 33.3 yen each, the leftover yen to the first
        (Money("100", "JPY"), [1, 1, 1], ["34", "33", "33"]),
        # 1 KWD = 1000 fils by 1:2 = 333.3 and 666.6 fils: the larger remainder wins the unit
        (Money("1.000", "KWD"), [1, 2], ["0.333", "0.667"]),
        # 7 cents by 1.5 : 1.5 : 1 = 2.625, 2.625, 1.75: the units go to 1.75, then the first .625
        (Money("0.07", "USD"), [Decimal("1.5"), Decimal("1.5"), 1], ["0.03", "0.02", "0.02"]),
        # 100.00 by 1/3 : 2/3 = 3333.3 and 6666.6 cents
        (Money("100.00", "USD"), [Fraction(1, 3), Fraction(2, 3)], ["33.33", "66.67"]),
        # float weights are ratios, taken at their exact binary value
        (Money("1.00", "USD"), [0.1, 0.2, 0.7], ["0.10", "0.20", "0.70"]),
        # 1000 cents by 0.5 : 0.25 : 1 = 285.71, 142.86, 571.43
        (Money("10.00", "USD"), ["0.5", "0.25", np.int64(1)], ["2.86", "1.43", "5.71"]),
        # zero weights get nothing
        (Money("9.99", "USD"), [0, 3, 0], ["0.00", "9.99", "0.00"]),
        (Money("0.00", "USD"), [2, 1], ["0.00", "0.00"]),
        (Money("12.34", "USD"), [5], ["12.34"]),
        # a whole amount written with fewer digits is fine
        (Money("100", "USD"), [1, 3], ["25.00", "75.00"]),
    ],
)
def test_allocate_hand_computed(total: Money, weights: list[Any], expected: list[str]) -> None:
    parts = allocate(total, weights)
    assert parts == [Money(amount, total.currency) for amount in expected]
    assert all(part.currency_info is total.currency_info for part in parts)
    assert sum(parts) == total


def test_allocate_accepts_numpy_arrays_and_tuples() -> None:
    total = Money("1.00", "USD")
    assert minors(allocate(total, np.array([1, 1, 1]))) == [34, 33, 33]
    assert minors(allocate(total, np.array([0.5, 0.25, 0.25]))) == [50, 25, 25]
    assert minors(allocate(total, (3, 1))) == [75, 25]


# -- properties -----------------------------------------------------------------------------

int_weights = st.integers(0, 10**6)
decimal_weights = st.decimals(min_value=0, max_value=10**4, places=3)
fraction_weights = st.fractions(min_value=0, max_value=1000, max_denominator=10**4)
float_weights = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
weight_lists = st.one_of(
    st.lists(int_weights, min_size=1, max_size=12),
    st.lists(decimal_weights, min_size=1, max_size=12),
    st.lists(fraction_weights, min_size=1, max_size=12),
    st.lists(float_weights, min_size=1, max_size=12),
    st.lists(st.one_of(int_weights, decimal_weights, fraction_weights), min_size=1, max_size=12),
).filter(any)
totals = st.builds(
    Money.from_minor,
    st.one_of(st.integers(-(10**6), 10**6), st.integers(-(10**17), 10**17)),
    st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"]),
)


@given(totals, weight_lists)
def test_parts_add_up_and_stay_within_one_unit_of_the_share(
    total: Money, weights: list[Any]
) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert all(part.currency == total.currency for part in parts)
    assert sum(parts) == total
    # A float weight is read as the shortest decimal that prints as it (see allocate).
    exact = [exact_weight(w) for w in weights]
    weight_sum = sum(exact, Fraction(0))
    for part, weight in zip(parts, exact, strict=True):
        share = total.minor * weight / weight_sum
        assert math.floor(share) <= part.minor <= math.ceil(share)


@given(totals, weight_lists)
def test_allocation_matches_the_reference(total: Money, weights: list[Any]) -> None:
    assert minors(allocate(total, weights)) == reference_allocate(
        total.minor, [exact_weight(w) for w in weights]
    )


@given(totals, weight_lists)
def test_allocation_is_deterministic_and_symmetric_in_sign(
    total: Money, weights: list[Any]
) -> None:
    first = allocate(total, weights)
    assert allocate(total, list(weights)) == first
    assert allocate(-total, weights) == [-part for part in first]


@given(totals, weight_lists, st.integers(1, 1000))
def test_scaling_every_weight_changes_nothing(total: Money, weights: list[Any], k: int) -> None:
    scaled = [exact_weight(w) * k for w in weights]
    assert allocate(total, scaled) == allocate(total, weights)


# -- bad input ------------------------------------------------------------------------------


def test_empty_weights_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^weights is empty; give at least one weight$"):
        allocate(Money("1.00", "USD"), [])


def test_all_zero_weights_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^all weights are zero; nothing to allocate by$"):
        allocate(Money("1.00", "USD"), [0, Decimal("0.000"), 0.0])


def test_negative_weights_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^weights\[1\] is negative \(-1\); weights must be >= 0"):
        allocate(Money("1.00", "USD"), [2, -1])
    with pytest.raises(ValueError, match=r"weights\[0\] is negative \(Decimal\('-0\.5'\)\)"):
        allocate(Money("1.00", "USD"), [Decimal("-0.5"), 1])


def test_money_finer_than_its_minor_unit_is_refused() -> None:
    with pytest.raises(InvalidAmount) as caught:
        allocate(Money("100.001", "USD"), [1, 1])
    assert str(caught.value) == "100.001 has more than 2 decimal places; round it first"
    with pytest.raises(InvalidAmount, match="round it first"):
        allocate(Money("0.5", "JPY"), [1])
    assert minors(allocate(Money("100.001", "USD").round(), [1, 1])) == [5000, 5000]


@pytest.mark.parametrize(
    ("weight", "error", "message"),
    [
        (None, TypeError, r"^weights\[1\] must be a number, got NoneType None$"),
        (True, TypeError, r"^weights\[1\] must be a number, got bool True$"),
        (b"1", TypeError, r"^weights\[1\] must be a number, got bytes b'1'$"),
        (Money("1", "USD"), TypeError, r"^weights\[1\] must be a number, got Money"),
        ("one", InvalidAmount, r"^weights\[1\] 'one' is not a decimal number$"),
        (Decimal("NaN"), ValueError, r"^weights\[1\] must be finite, got Decimal\('NaN'\)$"),
        (float("inf"), ValueError, r"^weights\[1\] must be finite, got inf$"),
        (float("nan"), ValueError, r"^weights\[1\] must be finite, got nan$"),
    ],
)
def test_non_number_weights_are_refused(weight: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        allocate(Money("1.00", "USD"), [1, weight])


def test_weights_must_be_a_sequence_and_money_must_be_money() -> None:
    with pytest.raises(TypeError, match=r"^weights must be a sequence of numbers$"):
        allocate(Money("1.00", "USD"), "111")
    with pytest.raises(TypeError, match=r"^weights must be a sequence of numbers$"):
        allocate(Money("1.00", "USD"), {1, 2})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^money must be Money, got Decimal$"):
        allocate(Decimal("1.00"), [1])  # type: ignore[arg-type]
    with pytest.raises(FloatNotAllowed):
        allocate(Money(1.0, "USD"), [1])  # type: ignore[arg-type]


def test_ratios_of_very_different_sizes_are_exact() -> None:
    # 1e-300 as an exact binary fraction needs about a thousand bits beside a weight of 1: the
    # integer weights are past int64, and the exact path still gives each its share.
    assert minors(allocate(Money("1.00", "USD"), [1e-300, 1.0])) == [0, 100]
    assert minors(allocate(Money("1.00", "USD"), [0.5, 1e-20, 0.5])) == [50, 0, 50]
    # 2**-70 of a cent is a sliver; the earlier of two tied halves takes the odd cent.
    tiny = Fraction(1, 2**70)
    assert minors(allocate(Money("0.03", "USD"), [1, tiny, 1])) == [2, 0, 1]
    assert minors(allocate(Money("0.03", "USD"), [tiny, tiny, tiny])) == [1, 1, 1]


def test_float_weights_read_as_their_shortest_decimal() -> None:
    # 0.1 + 0.2 prints as 0.30000000000000004, which is heavier than 0.3: the cent goes there.
    assert allocate(Money("0.01", "USD"), [0.3, 0.1 + 0.2]) == [
        Money("0.00", "USD"),
        Money("0.01", "USD"),
    ]
    # Equal-looking floats are equal weights: the tie goes to the earlier one.
    assert allocate(Money("0.01", "USD"), [0.3, 0.3]) == [Money("0.01", "USD"), Money("0", "USD")]

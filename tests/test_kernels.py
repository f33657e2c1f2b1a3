"""The exact integer kernels: one rounding function, mul-div-round and allocation.

Every kernel is held to a slow, obviously-correct oracle written here with `Decimal` or
`Fraction` arithmetic on Python integers.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance._kernels import (
    INT64_MAX,
    ROUNDING_MODES,
    RoundingMode,
    allocate_minor,
    decimal_to_minor,
    decimal_to_ratio,
    mul_div_round,
    round_quotient,
    rounding_mode,
)
from alliance.errors import InvalidAmount, MoneyOverflow

INT64_MIN = -(2**63)

DECIMAL_CONSTANT: dict[RoundingMode, str] = {
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_up": decimal.ROUND_HALF_UP,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
}

MODE_ORDER: tuple[RoundingMode, ...] = (
    "half_even",
    "half_up",
    "half_down",
    "down",
    "up",
    "floor",
    "ceiling",
)

# 200 digits: a quotient n/d with d <= 10**12 is either exact in far fewer digits or at least
# 1/(2d) away from every integer and every half, so the division's own rounding (200 digits
# out) can never move it across the boundary that `quantize` then decides on.
WIDE = decimal.Context(prec=200, Emax=10**6, Emin=-(10**6))


# -- oracles --------------------------------------------------------------------------------


def decimal_round(numerator: int, denominator: int, mode: RoundingMode) -> int:
    quotient = WIDE.divide(Decimal(numerator), Decimal(denominator))
    return int(quotient.quantize(Decimal(1), rounding=DECIMAL_CONSTANT[mode], context=WIDE))


def fraction_round(value: Fraction, mode: RoundingMode) -> int:
    """Round a rational to an integer, spelled out case by case."""
    low = math.floor(value)
    fraction = value - low
    if fraction == 0:
        return low
    positive = value > 0
    if mode == "floor":
        return low
    if mode == "ceiling":
        return low + 1
    if mode == "down":
        return low if positive else low + 1
    if mode == "up":
        return low + 1 if positive else low
    if fraction < Fraction(1, 2):
        return low
    if fraction > Fraction(1, 2):
        return low + 1
    if mode == "half_even":
        return low if low % 2 == 0 else low + 1
    if mode == "half_up":
        return low + 1 if positive else low
    return low if positive else low + 1  # half_down


def reference_allocate(totals: list[int], weights: list[int], groups: list[int]) -> list[int]:
    """Largest remainder, one group at a time, with exact fractions."""
    parts = [0] * len(weights)
    for group, total in enumerate(totals):
        rows = [row for row, g in enumerate(groups) if g == group]
        if not rows:
            continue
        weight_sum = sum(weights[row] for row in rows)
        magnitude = abs(total)
        share = {row: Fraction(magnitude * weights[row], weight_sum) for row in rows}
        given_out = {row: math.floor(share[row]) for row in rows}
        left = magnitude - sum(given_out.values())
        for row in sorted(rows, key=lambda r: (-(share[r] - given_out[r]), r))[:left]:
            given_out[row] += 1
        for row in rows:
            parts[row] = -given_out[row] if total < 0 else given_out[row]
    return parts


# -- strategies -----------------------------------------------------------------------------

modes = st.sampled_from(ROUNDING_MODES)
denominators = st.integers(min_value=1, max_value=10**12)
int64s = st.integers(min_value=INT64_MIN, max_value=INT64_MAX)


@st.composite
def quotients(draw: st.DrawFn) -> tuple[int, int]:
    """(numerator, denominator) in int64, often an exact tie or an exact multiple."""
    kind = draw(st.sampled_from(["any", "tie", "exact", "small"]))
    if kind == "small":
        return draw(st.integers(-1000, 1000)), draw(st.integers(1, 20))
    if kind == "tie":
        denominator = 2 * draw(st.integers(1, 10**6))
        return draw(st.integers(-(10**12), 10**12)) * denominator + denominator // 2, denominator
    denominator = draw(denominators)
    if kind == "any":
        return draw(int64s), denominator
    limit = INT64_MAX // denominator
    return draw(st.integers(-limit, limit)) * denominator, denominator


# -- rounding_mode --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ROUNDING_MODES)
def test_rounding_mode_accepts_alliance_and_decimal_spellings(mode: RoundingMode) -> None:
    assert set(ROUNDING_MODES) == set(MODE_ORDER) == set(DECIMAL_CONSTANT)
    assert rounding_mode(mode) == mode
    assert rounding_mode(DECIMAL_CONSTANT[mode]) == mode


def test_rounding_mode_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"unknown rounding mode 'bankers'; expected one of"):
        rounding_mode("bankers")
    with pytest.raises(ValueError, match="ROUND_05UP"):
        rounding_mode(decimal.ROUND_05UP)


# -- round_quotient -------------------------------------------------------------------------

# Hand-computed: 5/2 = 2.5, -5/2 = -2.5, 7/2 = 3.5, 7/3 = 2.33.., -7/3 = -2.33.., 8/3 = 2.66..
# (numerator, denominator, the rounded quotient in each mode of MODE_ORDER)
HAND_ROUNDED: list[tuple[int, int, tuple[int, ...]]] = [
    (5, 2, (2, 3, 2, 2, 3, 2, 3)),
    (-5, 2, (-2, -3, -2, -2, -3, -3, -2)),
    (7, 2, (4, 4, 3, 3, 4, 3, 4)),
    (7, 3, (2, 2, 2, 2, 3, 2, 3)),
    (-7, 3, (-2, -2, -2, -2, -3, -3, -2)),
    (8, 3, (3, 3, 3, 2, 3, 2, 3)),
    (-6, 3, (-2, -2, -2, -2, -2, -2, -2)),
    (0, 7, (0, 0, 0, 0, 0, 0, 0)),
]


@pytest.mark.parametrize(("numerator", "denominator", "expected"), HAND_ROUNDED)
def test_round_quotient_hand_computed(
    numerator: int, denominator: int, expected: tuple[int, ...]
) -> None:
    for mode, rounded in zip(MODE_ORDER, expected, strict=True):
        assert round_quotient(numerator, denominator, mode) == rounded, mode
        array = round_quotient(np.array([numerator], dtype=np.int64), denominator, mode)
        assert array.tolist() == [rounded], mode


def test_round_quotient_on_ints_returns_a_plain_int() -> None:
    result = round_quotient(7, 2, "half_even")
    assert type(result) is int
    assert result == 4


@given(quotients(), modes)
def test_round_quotient_on_ints_matches_decimal_quantize(
    pair: tuple[int, int], mode: RoundingMode
) -> None:
    numerator, denominator = pair
    assert round_quotient(numerator, denominator, mode) == decimal_round(
        numerator, denominator, mode
    )


@given(st.lists(quotients(), min_size=1, max_size=30), modes)
def test_round_quotient_on_int64_arrays_matches_decimal_and_ints(
    pairs: list[tuple[int, int]], mode: RoundingMode
) -> None:
    numerators = np.array([n for n, _ in pairs], dtype=np.int64)
    denominators_ = np.array([d for _, d in pairs], dtype=np.int64)
    result = round_quotient(numerators, denominators_, mode)
    assert result.dtype == np.int64
    expected = [decimal_round(n, d, mode) for n, d in pairs]
    assert result.tolist() == expected
    assert result.tolist() == [round_quotient(n, d, mode) for n, d in pairs]


@given(st.lists(int64s, min_size=1, max_size=30), denominators, modes)
def test_round_quotient_array_with_one_denominator_matches_ints(
    numerators: list[int], denominator: int, mode: RoundingMode
) -> None:
    result = round_quotient(np.array(numerators, dtype=np.int64), denominator, mode)
    assert result.tolist() == [decimal_round(n, denominator, mode) for n in numerators]


@given(
    st.lists(st.integers(-(10**40), 10**40), min_size=1, max_size=10),
    st.integers(1, 10**30),
    modes,
)
def test_round_quotient_on_object_arrays_past_int64(
    numerators: list[int], denominator: int, mode: RoundingMode
) -> None:
    result = round_quotient(np.array(numerators, dtype=object), denominator, mode)
    assert [int(v) for v in result] == [
        fraction_round(Fraction(n, denominator), mode) for n in numerators
    ]


# -- decimal_to_ratio / decimal_to_minor ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("19.99", (1999, 100)),
        ("-0.005", (-5, 1000)),
        ("1E+3", (1000, 1)),
        ("12", (12, 1)),
        ("0.10", (10, 100)),
        ("-0", (0, 1)),
    ],
)
def test_decimal_to_ratio(text: str, ratio: tuple[int, int]) -> None:
    assert decimal_to_ratio(Decimal(text)) == ratio


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_decimal_to_ratio_refuses_non_finite(text: str) -> None:
    with pytest.raises(InvalidAmount, match="is not a finite number"):
        decimal_to_ratio(Decimal(text))


@pytest.mark.parametrize(
    ("text", "exponent", "mode", "minor"),
    [
        ("19.99", 2, None, 1999),
        ("19.9", 2, None, 1990),
        ("1E+3", 0, None, 1000),
        ("1.234", 3, None, 1234),
        ("19.999", 2, "half_even", 2000),
        ("0.125", 2, "half_even", 12),
        ("0.125", 2, "half_up", 13),
        ("-0.005", 2, "half_even", 0),
        ("-0.005", 2, "half_up", -1),
        ("-0.005", 2, "floor", -1),
        ("-0.005", 2, "ceiling", 0),
        ("1.5", 0, "half_even", 2),
        ("2.5", 0, "half_even", 2),
    ],
)
def test_decimal_to_minor(text: str, exponent: int, mode: RoundingMode | None, minor: int) -> None:
    assert decimal_to_minor(Decimal(text), exponent, mode) == minor


def test_decimal_to_minor_refuses_inexact_without_a_mode() -> None:
    with pytest.raises(InvalidAmount, match=r"^19\.999 has more than 2 decimal places; round it"):
        decimal_to_minor(Decimal("19.999"), 2, None)
    with pytest.raises(InvalidAmount, match=r"^0\.5 has more than 0 decimal places"):
        decimal_to_minor(Decimal("0.5"), 0, None)
    with pytest.raises(InvalidAmount, match=r"more than 1 decimal place;"):
        decimal_to_minor(Decimal("0.55"), 1, None)


# -- mul_div_round --------------------------------------------------------------------------


def expected_mul_div(
    values: list[int], numerators: list[int], denominators_: list[int], mode: RoundingMode
) -> list[int]:
    return [
        fraction_round(Fraction(v * n, d), mode)
        for v, n, d in zip(values, numerators, denominators_, strict=True)
    ]


def overflowing_rows(results: list[int]) -> list[int]:
    return [row for row, value in enumerate(results) if abs(value) > INT64_MAX]


def test_mul_div_round_hand_computed() -> None:
    # 1999 cents at 1.0832 = 2165.3168 cents; 1000 at 1.0832 = 1083.2; -1005 at 1/2 = -502.5
    values = np.array([1999, 1000, -1005], dtype=np.int64)
    assert mul_div_round(values[:2], 10832, 10000, "half_even").tolist() == [2165, 1083]
    assert mul_div_round(values[2:], 1, 2, "half_even").tolist() == [-502]
    assert mul_div_round(values[2:], 1, 2, "half_up").tolist() == [-503]
    assert mul_div_round(values[2:], 1, 2, "ceiling").tolist() == [-502]


def test_mul_div_round_past_the_fast_path_is_exact() -> None:
    # 9e18 * 10000 does not fit in int64, the result 9e22 / 10832 = 8308714918759231905 + 315/677
    # does: the row takes the exact path.
    nine_e18 = 9_000_000_000_000_000_000
    values = np.array([nine_e18, 1999], dtype=np.int64)
    assert mul_div_round(values, 10000, 10832, "half_even").tolist() == [
        8308714918759231905,
        1845,  # 1999 / 1.0832 = 1845.45
    ]
    assert mul_div_round(values, 10000, 10832, "ceiling").tolist() == [8308714918759231906, 1846]
    # INT64_MAX * 3 / 7 is exact, since 2**63 - 1 = 7 * 1317624576693539401.
    edge = np.array([INT64_MAX, -INT64_MAX], dtype=np.int64)
    assert mul_div_round(edge, 3, 7, "half_even").tolist() == [
        3952873730080618203,
        -3952873730080618203,
    ]


def test_mul_div_round_with_a_rate_past_int64() -> None:
    # A many-digit rate: 3 * 10**20 / 10**20 is 3, but both parts are past int64.
    values = np.array([123, -7], dtype=np.int64)
    assert mul_div_round(values, 3 * 10**20, 10**20, "half_even").tolist() == [369, -21]
    big = np.array([3 * 10**20, 10**20], dtype=object)
    assert mul_div_round(values, big, 10**20, "half_even").tolist() == [369, -7]


def test_mul_div_round_overflow_names_the_rows() -> None:
    # 9e18 * 1.0832 = 9748800000000000000 > 2**63 - 1.
    values = np.array([1, 2, 9_000_000_000_000_000_000, 3], dtype=np.int64)
    with pytest.raises(MoneyOverflow, match=r"does not fit in int64 minor units at rows 2;"):
        mul_div_round(values, 10832, 10000, "half_even")
    with pytest.raises(MoneyOverflow, match=r"at rows 2, 3; split the amounts"):
        mul_div_round(np.array([0, 0, INT64_MAX, INT64_MAX]), 10**20, 10**19, "down")


def test_mul_div_round_overflow_names_the_callers_rows() -> None:
    values = np.array([5, 9_000_000_000_000_000_000], dtype=np.int64)
    with pytest.raises(MoneyOverflow, match=r"at rows 41;"):
        mul_div_round(values, 2, 1, "half_even", positions=np.array([40, 41]))


def test_mul_div_round_overflow_lists_ten_rows_then_counts() -> None:
    values = np.full(13, INT64_MAX, dtype=np.int64)
    with pytest.raises(MoneyOverflow, match=r"rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 3 more;"):
        mul_div_round(values, 2, 1, "half_even")


def test_mul_div_round_int64_min_is_out_of_range() -> None:
    # The kernels keep amounts in [-(2**63 - 1), 2**63 - 1], so negation never overflows.
    with pytest.raises(MoneyOverflow, match="rows 0"):
        mul_div_round(np.array([INT64_MIN], dtype=np.int64), 1, 1, "half_even")


@pytest.mark.parametrize(
    "denominator",
    [
        0,
        -3,
        np.array([5, 0], dtype=np.int64),
        -(2**64),  # past int64: the exact path checks too
        np.array([2**64, 0], dtype=object),
    ],
)
def test_mul_div_round_refuses_non_positive_denominators(denominator: npt.ArrayLike) -> None:
    with pytest.raises(ValueError, match="denominators must be strictly positive"):
        mul_div_round(np.array([1, 2], dtype=np.int64), 1, denominator, "half_even")


def test_mul_div_round_refuses_non_integer_amounts() -> None:
    with pytest.raises(TypeError, match=r"values must hold integers, got floats \(float64\)"):
        mul_div_round(np.array([1.5]), 1, 1, "half_even")
    with pytest.raises(MoneyOverflow, match="values holds values past the int64 range"):
        mul_div_round(np.array([2**63], dtype=np.uint64), 1, 1, "half_even")


amount_values = st.one_of(
    st.integers(-(10**12), 10**12),
    st.integers(8 * 10**18, INT64_MAX),
    st.integers(-INT64_MAX, -8 * 10**18),
    int64s.filter(lambda v: v != INT64_MIN),
)
rate_numerators = st.one_of(
    st.integers(0, 10**6),
    st.integers(-(10**6), 10**6),
    st.integers(10**12, INT64_MAX),
)


@given(st.data(), modes)
def test_mul_div_round_matches_fractions(data: st.DataObject, mode: RoundingMode) -> None:
    size = data.draw(st.integers(1, 12))
    values = data.draw(st.lists(amount_values, min_size=size, max_size=size))
    per_row = data.draw(st.booleans())
    if per_row:
        numerators = data.draw(st.lists(rate_numerators, min_size=size, max_size=size))
        denominators_ = data.draw(st.lists(denominators, min_size=size, max_size=size))
        got_num: npt.ArrayLike = np.array(numerators, dtype=np.int64)
        got_den: npt.ArrayLike = np.array(denominators_, dtype=np.int64)
    else:
        numerator, denominator = data.draw(rate_numerators), data.draw(denominators)
        numerators, denominators_ = [numerator] * size, [denominator] * size
        got_num, got_den = numerator, denominator
    expected = expected_mul_div(values, numerators, denominators_, mode)
    bad_rows = overflowing_rows(expected)
    array = np.array(values, dtype=np.int64)
    if bad_rows:
        shown = ", ".join(map(str, bad_rows[:10]))
        with pytest.raises(MoneyOverflow, match=rf"at rows {shown}\b"):
            mul_div_round(array, got_num, got_den, mode)
    else:
        assert mul_div_round(array, got_num, got_den, mode).tolist() == expected


@given(
    st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=10),
    st.integers(1, 10**30),
    st.integers(1, 10**30),
    modes,
)
def test_mul_div_round_with_big_rates_matches_fractions(
    values: list[int], numerator: int, denominator: int, mode: RoundingMode
) -> None:
    expected = expected_mul_div(
        values, [numerator] * len(values), [denominator] * len(values), mode
    )
    bad_rows = overflowing_rows(expected)
    array = np.array(values, dtype=np.int64)
    if bad_rows:
        with pytest.raises(MoneyOverflow, match=rf"at rows {bad_rows[0]}\b"):
            mul_div_round(array, numerator, denominator, mode)
    else:
        assert mul_div_round(array, numerator, denominator, mode).tolist() == expected


@given(st.lists(int64s.filter(lambda v: v != INT64_MIN), min_size=1, max_size=20), modes)
def test_mul_div_round_by_one_is_identity(values: list[int], mode: RoundingMode) -> None:
    array = np.array(values, dtype=np.int64)
    assert mul_div_round(array, 1, 1, mode).tolist() == values
    assert mul_div_round(array, 10**20, 10**20, mode).tolist() == values


# -- allocate_minor -------------------------------------------------------------------------


def test_allocate_minor_hand_computed() -> None:
    assert allocate_minor([10000], [1, 1, 1]).tolist() == [3334, 3333, 3333]
    assert allocate_minor([-10000], [1, 1, 1]).tolist() == [-3334, -3333, -3333]
    # ties go to the earlier row
    assert allocate_minor([1], [1, 1]).tolist() == [1, 0]
    assert allocate_minor([2], [1, 1, 1]).tolist() == [1, 1, 0]
    # 10 by 1:2:3 = 1.66, 3.33, 5: the largest remainder (row 0) gets the leftover unit
    assert allocate_minor([10], [1, 2, 3]).tolist() == [2, 3, 5]
    # zero weight, zero part; zero total, zero parts
    assert allocate_minor([10], [0, 1, 0]).tolist() == [0, 10, 0]
    assert allocate_minor([0], [3, 1]).tolist() == [0, 0]
    assert allocate_minor(7, [1]).tolist() == [7]


def test_allocate_minor_with_unsorted_groups() -> None:
    # group 0 (rows 1, 3) splits 7 into 4 + 3; group 1 (rows 0, 2) splits 10 into 5 + 5;
    # group 2 (rows 4, 5) splits -5 by 1:4 into -1 and -4.
    parts = allocate_minor([7, 10, -5], [1, 1, 1, 1, 1, 4], [1, 0, 1, 0, 2, 2])
    assert parts.dtype == np.int64
    assert parts.tolist() == [5, 4, 5, 3, -1, -4]


def test_allocate_minor_with_no_rows() -> None:
    assert allocate_minor([0], []).tolist() == []
    assert allocate_minor([5, 0], [2], [0]).tolist() == [5]


def test_allocate_minor_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match=r"all weights are zero in group\(s\) \[1\]"):
        allocate_minor([5, 5], [1, 0, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        allocate_minor([5], [1, -1])
    with pytest.raises(ValueError, match="group numbers must index into totals"):
        allocate_minor([5], [1, 1], [0, 1])
    with pytest.raises(ValueError, match="group numbers must index into totals"):
        allocate_minor([5], [1, 1], [0, -1])
    with pytest.raises(ValueError, match="one group number per weight"):
        allocate_minor([5], [1, 1], [0])
    with pytest.raises(ValueError, match=r"total\(s\) in group\(s\) \[1\] have no rows"):
        allocate_minor([5, 3], [1, 1], [0, 0])
    with pytest.raises(ValueError, match=r"total\(s\) in group\(s\) \[0\] have no rows"):
        allocate_minor([5], [])
    with pytest.raises(TypeError, match=r"weights must hold integers, got floats \(float64\)"):
        allocate_minor([5], [0.5, 0.5])
    with pytest.raises(MoneyOverflow, match="totals hold -2"):
        allocate_minor(np.array([INT64_MIN], dtype=np.int64), [1, 1])


weights_small = st.integers(0, 1000)
weights_big = st.integers(0, 2**62)


@st.composite
def allocations(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    group_count = draw(st.integers(1, 4))
    totals = draw(
        st.lists(
            st.one_of(st.integers(-(10**6), 10**6), int64s.filter(lambda v: v != INT64_MIN)),
            min_size=group_count,
            max_size=group_count,
        )
    )
    weight = draw(st.sampled_from([weights_small, weights_big]))
    rows = draw(st.lists(st.tuples(st.integers(0, group_count - 1), weight), max_size=20))
    # Every group has a row, and some row of each group weighs something.
    rows += [(group, draw(st.integers(1, 1000))) for group in range(group_count)]
    rows = draw(st.permutations(rows))
    return totals, [w for _, w in rows], [g for g, _ in rows]


@given(allocations())
def test_allocate_minor_matches_the_reference(
    case: tuple[list[int], list[int], list[int]],
) -> None:
    totals, weights, groups = case
    parts = allocate_minor(
        np.array(totals, dtype=np.int64), np.array(weights, dtype=np.int64), np.array(groups)
    ).tolist()
    assert parts == reference_allocate(totals, weights, groups)
    for group, total in enumerate(totals):
        rows = [row for row, g in enumerate(groups) if g == group]
        assert sum(parts[row] for row in rows) == total
        weight_sum = sum(weights[row] for row in rows)
        for row in rows:
            share = Fraction(total * weights[row], weight_sum)
            assert math.floor(share) <= parts[row] <= math.ceil(share)


@given(st.lists(weights_big, min_size=2, max_size=8).filter(any), int64s)
def test_allocate_minor_with_sums_past_int64(weights: list[int], total: int) -> None:
    total = max(total, -INT64_MAX)
    parts = allocate_minor([total], weights).tolist()
    assert sum(parts) == total
    assert parts == reference_allocate([total], weights, [0] * len(weights))


@given(st.lists(st.integers(0, 10**40), min_size=1, max_size=8).filter(any), int64s)
def test_allocate_minor_with_weights_past_int64(weights: list[int], total: int) -> None:
    total = max(total, -INT64_MAX)
    parts = allocate_minor([total], np.array(weights, dtype=object)).tolist()
    assert sum(parts) == total
    assert parts == reference_allocate([total], weights, [0] * len(weights))


def test_allocate_minor_object_weights() -> None:
    # 10 by 1 : 2**70 : 1 = 0.0000.., 9.9999.., 0.0000..: all of it to the middle row
    assert allocate_minor([10], np.array([1, 2**70, 1], dtype=object)).tolist() == [0, 10, 0]
    # object arrays of small ints take the int64 path
    assert allocate_minor([5], np.array([1, 1], dtype=object)).tolist() == [3, 2]
    with pytest.raises(TypeError, match="weights of dtype object must all be integers"):
        allocate_minor([5], np.array([1, "2"], dtype=object))
    with pytest.raises(ValueError, match="weights must be non-negative"):
        allocate_minor([5], np.array([2**70, -1], dtype=object))


def test_spread_minor_shares_equally_where_every_weight_is_zero() -> None:
    from alliance._kernels import spread_minor

    # group 0: 10 by 3 : 1 -> 7.5 / 2.5 -> 8 + 2 (the spare unit to the larger remainder, the
    # earlier row on the tie); group 1 weighs nothing: 5 split equally over two rows -> 3 + 2.
    parts = spread_minor([10, 5], [3, 1, 0, 0], [0, 0, 1, 1])
    assert parts.tolist() == [8, 2, 3, 2]


# -- one value at a time --------------------------------------------------------------------


@given(st.lists(quotients(), min_size=1, max_size=1), modes)
def test_round_quotient_on_one_value_is_the_array_rule(
    pairs: list[tuple[int, int]], mode: RoundingMode
) -> None:
    (numerator, denominator), padding = pairs[0], (0, 1)
    one = round_quotient(np.array([numerator], dtype=np.int64), denominator, mode)
    many = round_quotient(
        np.array([numerator, padding[0]], dtype=np.int64),
        np.array([denominator, padding[1]], dtype=np.int64),
        mode,
    )
    assert one.dtype == np.int64
    assert one.shape == (1,)
    assert one.tolist() == many[:1].tolist()
    per_row = round_quotient(
        np.array([numerator], dtype=np.int64), np.array([denominator], dtype=np.int64), mode
    )
    assert per_row.tolist() == one.tolist()


def test_labels_on_one_line_match_labels_on_many() -> None:
    from alliance.commission._run import Labels

    one, many = Labels(3, " > "), Labels(3, " > ")
    for text in ("tiered", "when #1", "tiered"):
        one.append(np.array([1]), text)
        many.append(np.array([1, 2]), text)
    assert one.decoded().tolist() == ["", "tiered > when #1 > tiered", ""]
    assert many.decoded().tolist()[:2] == one.decoded().tolist()[:2]

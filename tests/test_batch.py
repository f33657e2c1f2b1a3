"""The public batch twins give the scalar path's cent, row for row."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alliance as al
from alliance.errors import FloatNotAllowed, MoneyOverflow

MODES = list(al.ROUNDING_MODES)
rates = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=6)
minors = st.integers(min_value=-(10**12), max_value=10**12)


def test_multiply_minor_hand_computed() -> None:
    # 19.99 * 7.5% = 1.49925 -> 1.50; 10.00 * 7.5% = 0.75; 0.05 * 7.5% = 0.00375 -> 0.00
    assert al.multiply_minor([1999, 1000, 5], "0.075").tolist() == [150, 75, 0]
    # ties: 0.125 -> 0.12 half-even, 0.13 half-up; -0.125 -> -0.13 half-up (away from zero)
    assert al.multiply_minor([125, -125], "0.1", mode="half_even").tolist() == [12, -12]
    assert al.multiply_minor([125, -125], "0.1", mode="half_up").tolist() == [13, -13]
    assert al.multiply_minor([125, -125], "0.1", mode="floor").tolist() == [12, -13]


@given(st.lists(st.tuples(minors, rates), min_size=1, max_size=30), st.sampled_from(MODES))
def test_multiply_minor_matches_money(rows: list[tuple[int, Decimal]], mode: str) -> None:
    amounts = np.array([m for m, _ in rows], dtype=np.int64)
    batch = al.multiply_minor(amounts, [r for _, r in rows], mode=mode)
    scalar = [(al.Money.from_minor(m, "USD") * r).round(mode).minor for m, r in rows]
    assert batch.tolist() == scalar


@given(st.lists(minors, min_size=1, max_size=30), rates, st.sampled_from(MODES))
def test_multiply_minor_single_rate(amounts: list[int], rate: Decimal, mode: str) -> None:
    batch = al.multiply_minor(amounts, rate, mode=mode)
    scalar = [(al.Money.from_minor(m, "JPY") * rate).round(mode).minor for m in amounts]
    assert batch.tolist() == scalar


@given(st.lists(minors, min_size=1, max_size=30), st.sampled_from(MODES))
def test_rescale_minor_matches_money(values: list[int], mode: str) -> None:
    batch = al.rescale_minor(values, exponent=4, to_exponent=2, mode=mode)
    scalar = [al.Money(Decimal(v).scaleb(-4), "USD").round(mode).minor for v in values]
    assert batch.tolist() == scalar
    assert al.rescale_minor([7, -3], exponent=0, to_exponent=3).tolist() == [7000, -3000]


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
)
def test_allocate_minor_matches_allocate(total: int, weights: list[int]) -> None:
    batch = al.allocate_minor([total], weights)
    scalar = [m.minor for m in al.allocate(al.Money.from_minor(total, "USD"), weights)]
    assert batch.tolist() == scalar
    assert int(batch.sum()) == total


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**6), max_value=10**6),
            st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=20).filter(any),
        ),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_allocate_minor_groups_match_allocate(
    groups: list[tuple[int, list[int]]], shuffled: bool
) -> None:
    # Groups of up to 20 rows, in group order or interleaved: small groups are ranked in a
    # padded matrix, larger or unordered ones by a sort; both must split as `allocate` does.
    totals = [total for total, _ in groups]
    placed = [
        (number, position, w)
        for number, (_, weights) in enumerate(groups)
        for position, w in enumerate(weights)
    ]
    if shuffled:  # round robin over the groups: each group's rows keep their order
        placed.sort(key=lambda row: (row[1], row[0]))
    rows = [(number, w) for number, _, w in placed]
    batch = al.allocate_minor(totals, [w for _, w in rows], [g for g, _ in rows])
    for number, (total, weights) in enumerate(groups):
        scalar = [m.minor for m in al.allocate(al.Money.from_minor(total, "USD"), weights)]
        mine = [int(part) for part, (g, _) in zip(batch, rows, strict=True) if g == number]
        assert mine == scalar


def test_allocate_minor_groups_hand_computed() -> None:
    # group 1: 7 over weights 2:1 -> exact 4.667 / 2.333 -> 4 + 2, the spare unit to row 3
    parts = al.allocate_minor([10000, 7], [1, 1, 1, 2, 1], [0, 0, 0, 1, 1])
    assert parts.tolist() == [3334, 3333, 3333, 5, 2]


def test_batch_refuses_floats_and_overflow() -> None:
    with pytest.raises(TypeError, match="float"):
        al.multiply_minor(np.array([1.5]), "2")
    with pytest.raises(FloatNotAllowed, match="float"):
        al.multiply_minor([1], 0.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyOverflow, match="rows 1"):
        al.multiply_minor([1, 2**62], "4")
    with pytest.raises(ValueError, match="2 rates for 1 amounts"):
        al.multiply_minor([1], ["1", "2"])
    with pytest.raises(ValueError, match="all weights are zero"):
        al.allocate_minor([5], [0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        al.allocate_minor([5], [1, -1])

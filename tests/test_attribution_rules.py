"""Rule-based attribution models: hand-computed shares, validation, invariants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.attribution import (
    AttributionModel,
    Touches,
    custom,
    first_click,
    last_click,
    linear,
    position_based,
    time_decay,
)
from alliance.attribution._rules import ZeroWeightJourney, parse_share
from alliance.errors import AttributionError

DAY_US = 86_400_000_000
WEEK = timedelta(days=7)


def shares(
    model: AttributionModel, lengths: list[int], age: list[int] | None = None
) -> list[float]:
    return [float(v) for v in model.shares(Touches.of_lengths(lengths, age=age))]


# -- Touches ------------------------------------------------------------------------------------


def test_touches_of_lengths_lays_journeys_end_to_end() -> None:
    touches = Touches.of_lengths([3, 1, 2])
    assert touches.position.tolist() == [0, 1, 2, 0, 0, 1]
    assert touches.length.tolist() == [3, 3, 3, 1, 2, 2]
    assert touches.journey.tolist() == [0, 0, 0, 1, 2, 2]
    assert touches.starts.tolist() == [0, 3, 4]
    assert touches.journeys == 3
    assert len(touches) == 6
    assert touches.age is None
    assert touches.position.dtype == np.int64


def test_touches_accept_ages_and_empty() -> None:
    touches = Touches.of_lengths([2], age=[5, 0])
    assert touches.age is not None
    assert touches.age.tolist() == [5, 0]
    empty = Touches.of_lengths([])
    assert len(empty) == 0
    assert empty.journeys == 0


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Touches(np.array([0, 1]), np.array([2])), ValueError, "position has 2 touches"),
        (lambda: Touches(np.array([0, 0]), np.array([2, 2])), ValueError, "whole journeys"),
        (lambda: Touches(np.array([1, 0]), np.array([2, 2])), ValueError, "whole journeys"),
        (lambda: Touches(np.array([0, 1]), np.array([2, 3])), ValueError, "whole journeys"),
        (lambda: Touches(np.array([0.0]), np.array([1])), TypeError, "position must hold integers"),
        (lambda: Touches(np.array([[0]]), np.array([1])), ValueError, "one-dimensional"),
        (
            lambda: Touches(np.array([0]), np.array([1]), np.array([-3])),
            ValueError,
            "age must not be negative",
        ),
        (
            lambda: Touches(np.array([0]), np.array([1]), np.array([1, 2])),
            ValueError,
            "age has 2",
        ),
        (
            lambda: Touches.of_lengths([2, 0]),
            ValueError,
            "every journey needs at least one touch, journey 1 has 0",
        ),
    ],
)
def test_touches_refuse_bad_layouts(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


# -- the models, by hand ------------------------------------------------------------------------


def test_last_and_first_click() -> None:
    assert shares(last_click(), [1, 3, 2]) == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    assert shares(first_click(), [1, 3, 2]) == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_linear_counts_repeats() -> None:
    # a > a > b: a earns 2/3 once aggregated by channel.
    values = shares(linear(), [3])
    channels = ["a", "a", "b"]
    by_channel = {c: sum(v for v, n in zip(values, channels, strict=True) if n == c) for c in "ab"}
    assert by_channel["a"] == pytest.approx(2 / 3)
    assert by_channel["b"] == pytest.approx(1 / 3)
    assert shares(linear(), [1, 4]) == [1.0, 0.25, 0.25, 0.25, 0.25]


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (1, [1.0]),
        (2, [0.5, 0.5]),
        (3, [0.4, 0.2, 0.4]),
        (5, [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]),
    ],
)
def test_position_based_default(length: int, expected: list[float]) -> None:
    assert shares(position_based(), [length]) == pytest.approx(expected)


def test_position_based_custom_ends() -> None:
    model = position_based(first="30%", last=Decimal("0.5"))
    assert shares(model, [1]) == [1.0]
    assert shares(model, [2]) == [0.375, 0.625]  # 0.3 : 0.5, exactly
    assert shares(model, [3]) == pytest.approx([0.3, 0.2, 0.5])
    assert shares(model, [4]) == pytest.approx([0.3, 0.1, 0.1, 0.5])
    assert shares(position_based(0.7, 0.3), [3]) == pytest.approx([0.7, 0.0, 0.3])


def test_position_based_with_nothing_to_the_ends() -> None:
    model = position_based(0, 0)
    assert shares(model, [2]) == [0.5, 0.5]
    assert shares(model, [4]) == pytest.approx([0.0, 0.5, 0.5, 0.0])


def test_time_decay_halves_each_half_life() -> None:
    # Ages 14, 7 and 0 days with a 7-day half-life: weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7.
    values = shares(time_decay(WEEK), [3], age=[14 * DAY_US, 7 * DAY_US, 0])
    assert values == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    assert shares(time_decay(WEEK), [1], age=[3 * DAY_US]) == [1.0]


def test_time_decay_is_stable_for_old_journeys() -> None:
    # Decades-old touches would underflow 2**(-age/half_life) to 0 taken absolutely.
    old = 40 * 365 * DAY_US
    values = shares(time_decay(timedelta(hours=1)), [2], age=[old + 3_600_000_000, old])
    assert values == pytest.approx([1 / 3, 2 / 3])


def test_time_decay_needs_times() -> None:
    with pytest.raises(ValueError, match="the time_decay model needs each touch's time"):
        time_decay(WEEK).shares(Touches.of_lengths([2]))


def test_custom_weights() -> None:
    later = custom(lambda position, length, age: position + 1, name="later")
    assert shares(later, [3]) == pytest.approx([1 / 6, 2 / 6, 3 / 6])
    assert later.name == "later"
    assert later.kind == "custom"


def test_custom_model_may_use_ages() -> None:
    seen: list[Any] = []

    def recent(position: Any, length: Any, age: Any) -> Any:
        seen.append(age)
        return np.where(age < DAY_US, 1.0, 0.0)

    model = custom(recent, name="recent", needs_times=True)
    assert shares(model, [3], age=[5 * DAY_US, 10, 0]) == [0.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="the recent model needs each touch's time"):
        model.shares(Touches.of_lengths([1]))
    assert len(seen) == 1


def _weights(values: Any) -> Any:
    return lambda position, length, age: values


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 2.0], r"must return one weight per touch, shape \(3,\), got shape \(2,\)"),
        ([1.0, float("nan"), 1.0], "not finite: nan at touch 1"),
        ([1.0, float("inf"), 1.0], "not finite: inf at touch 1"),
        ([1.0, -1.0, 1.0], "negative weight -1.0 at touch 1"),
        (["a", "b", "c"], "must be numbers"),
    ],
)
def test_custom_refuses_bad_weights(weights: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        custom(_weights(weights), name="bad").shares(Touches.of_lengths([3]))


def test_custom_refuses_a_journey_with_no_weight() -> None:
    model = custom(lambda position, length, age: (position > 0).astype(float), name="skip")
    with pytest.raises(ZeroWeightJourney, match="every touch of journey 1 a weight of 0") as info:
        model.shares(Touches.of_lengths([2, 1, 2]))
    assert info.value.journey == 1
    assert isinstance(info.value, AttributionError)
    assert isinstance(info.value, ValueError)


def test_custom_does_not_see_inner_arrays() -> None:
    def meddle(position: Any, length: Any, age: Any) -> Any:
        position[:] = 7
        return np.ones(position.size)

    touches = Touches.of_lengths([2])
    custom(meddle).shares(touches)
    assert touches.position.tolist() == [0, 1]


@pytest.mark.parametrize(
    "model",
    [
        last_click(),
        first_click(),
        linear(),
        position_based(),
        time_decay(WEEK),
        custom(_weights([])),
    ],
)
def test_no_touches_no_shares(model: AttributionModel) -> None:
    result = model.shares(Touches.of_lengths([], age=[]))
    assert result.dtype == np.float64
    assert result.size == 0


def test_models_compare_and_show() -> None:
    assert last_click() == last_click()
    assert last_click() != first_click()
    assert position_based() == position_based("40%", "0.4")
    assert time_decay(WEEK) != time_decay(timedelta(days=1))
    assert repr(last_click()) == "AttributionModel('last_click')"
    assert repr(position_based()) == "AttributionModel('position_based', first=0.4, last=0.4)"
    assert "half_life=datetime.timedelta(days=7)" in repr(time_decay(WEEK))
    assert not last_click().needs_times
    assert time_decay(WEEK).needs_times


def test_shares_wants_touches() -> None:
    with pytest.raises(TypeError, match="touches must be Touches, got list"):
        last_click().shares([0, 1])  # type: ignore[arg-type]


# -- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: time_decay(7), TypeError, "half_life must be a timedelta, got 7"),  # type: ignore[arg-type]
        (lambda: time_decay(timedelta(0)), ValueError, "half_life must be positive, got 0:00:00"),
        (lambda: time_decay(-WEEK), ValueError, "half_life must be positive"),
        (lambda: position_based(0.7, 0.5), ValueError, r"Cannot have first=0.7 \+ last=0.5 > 1"),
        (lambda: position_based(-0.1), ValueError, "first must be a number between 0 and 1"),
        (lambda: position_based(0.4, "1.5"), ValueError, "last must be a number between 0 and 1"),
        (lambda: position_based("x"), ValueError, "first must be a number between 0 and 1"),
        (lambda: position_based(float("nan")), ValueError, "first must be a number"),
        (lambda: position_based(True), TypeError, "first must be a number between 0 and 1"),
        (lambda: position_based(None), TypeError, "first must be a number between 0 and 1"),  # type: ignore[arg-type]
        (lambda: custom(3), TypeError, "weights_fn must be callable, got 3"),  # type: ignore[arg-type]
        (lambda: custom(_weights([]), name=""), ValueError, "name must not be empty"),
        (lambda: custom(_weights([]), name=3), TypeError, "name must be a string"),  # type: ignore[arg-type]
        (lambda: custom(_weights([]), needs_times=1), TypeError, "needs_times must be True"),  # type: ignore[arg-type]
    ],
)
def test_builders_refuse_bad_arguments(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_shares_accept_exact_decimal_inputs() -> None:
    assert parse_share("40%") == Decimal("0.4")
    assert parse_share(Decimal("0.25")) == Decimal("0.25")
    assert parse_share(1) == Decimal(1)
    assert position_based(0.6, 0.4).first == 0.6  # 0.6 + 0.4 is 1 exactly, not above it


# -- invariants ---------------------------------------------------------------------------------

MODELS = st.one_of(
    st.sampled_from([last_click(), first_click(), linear()]),
    st.builds(
        position_based,
        first=st.decimals(0, "0.5", places=3),
        last=st.decimals(0, "0.5", places=3),
    ),
    st.builds(
        time_decay, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=60))
    ),
    st.just(custom(lambda position, length, age: 1.0 + position % 3, name="wavy")),
)


@st.composite
def journeys(draw: st.DrawFn) -> Touches:
    lengths = draw(st.lists(st.integers(1, 12), max_size=20))
    total = sum(lengths)
    ages = draw(st.lists(st.integers(0, 90 * DAY_US), min_size=total, max_size=total))
    return Touches.of_lengths(lengths, age=ages)


def _per_journey(values: npt.NDArray[Any], touches: Touches) -> npt.NDArray[Any]:
    return np.bincount(touches.journey, weights=values, minlength=touches.journeys)


@given(model=MODELS, touches=journeys())
def test_shares_sum_to_one_per_journey(model: AttributionModel, touches: Touches) -> None:
    values = model.shares(touches)
    assert values.shape == (len(touches),)
    assert (values >= 0).all()
    np.testing.assert_allclose(_per_journey(values, touches), 1.0, rtol=1e-12)
    single = touches.length == 1
    assert (values[single] == 1.0).all()


@given(touches=journeys())
def test_click_models_give_exactly_one_touch_everything(touches: Touches) -> None:
    for model, winner in ((last_click(), touches.length - 1), (first_click(), 0)):
        values = model.shares(touches)
        assert set(values.tolist()) <= {0.0, 1.0}
        assert (values[touches.position == winner] == 1.0).all()
        assert (_per_journey(values, touches) == 1.0).all()


@given(touches=journeys())
def test_equal_touches_get_equal_shares(touches: Touches) -> None:
    values = linear().shares(touches)
    assert (values == 1.0 / touches.length).all()

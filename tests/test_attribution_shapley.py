"""Shapley path attribution: simplified, exact over coalitions, sampled; a brute-force oracle."""

from __future__ import annotations

from itertools import permutations
from math import factorial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import attribution as at
from alliance.attribution import _shapley
from alliance.errors import AttributionError


def brute_force(data: list[tuple[list[str], float, float]], rate: bool) -> dict[str, float]:
    """Shapley values by averaging marginal contributions over every order of the channels."""
    sets: dict[frozenset[str], list[float]] = {}
    for journey, conversions, nulls in data:
        totals = sets.setdefault(frozenset(journey), [0.0, 0.0])
        totals[0] += conversions
        totals[1] += nulls

    def w(members: frozenset[str]) -> float:
        conversions, nulls = sets[members]
        if not rate:
            return conversions
        return conversions / (conversions + nulls) if conversions + nulls else 0.0

    def v(coalition: set[str]) -> float:
        return sum(w(members) for members in sets if members <= coalition)

    channels = sorted({c for j, _, _ in data for c in j})
    values = dict.fromkeys(channels, 0.0)
    for ordering in permutations(channels):
        joined: set[str] = set()
        for channel in ordering:
            before = v(joined)
            joined.add(channel)
            values[channel] += v(joined) - before
    return {c: total / factorial(len(channels)) for c, total in values.items()}


def paths_of(data: list[tuple[list[str], float, float]]) -> at.Paths:
    return at.Paths.from_strings(
        [" > ".join(j) for j, _, _ in data],
        conversions=[c for _, c, _ in data],
        nulls=[n for _, _, n in data],
        values=[10 * c + 1 for _, c, _ in data],
    )


def test_simplified_splits_each_conversion_over_distinct_channels() -> None:
    paths = at.Paths.from_strings(
        ["a > b > a", "b", "c > b", "a > b > c"], conversions=[2, 1, 3, 3], values=[20, 5, 30, 9]
    )
    result = at.shapley(paths)
    assert result.method == "simplified"
    assert result.value_function == "conversions"
    assert result.samples is None
    assert result.to_dict("conversions") == pytest.approx({"a": 2.0, "b": 4.5, "c": 2.5})
    assert result.to_dict("value") == pytest.approx({"a": 13.0, "b": 33.0, "c": 18.0})
    assert result.columns == ("channel", "conversions", "value")


def test_full_with_conversion_rates_by_hand() -> None:
    # Sets {a}: rate 1/2, {b}: rate 1/5, {a, b}: rate 4/5.
    # v(a) = 0.5, v(b) = 0.2, v(ab) = 1.5: phi_a = (0.5 + 1.3) / 2 = 0.9, phi_b = 0.6.
    paths = at.Paths.from_strings(
        ["a", "b", "a > b"], conversions=[1, 1, 4], nulls=[1, 4, 1], values=[10, 10, 40]
    )
    result = at.shapley(paths, "full", value="rate")
    assert result.to_dict("conversions") == pytest.approx({"a": 6 * 0.9 / 1.5, "b": 6 * 0.6 / 1.5})
    # The value game: value / journeys per set: a 5, b 2, ab 8; v(ab) = 15.
    # phi_a = (5 + 13) / 2 = 9, phi_b = (2 + 10) / 2 = 6, scaled to the total value 60.
    assert result.to_dict("value") == pytest.approx({"a": 36.0, "b": 24.0})


def test_full_equals_simplified_for_conversions_by_hand() -> None:
    paths = at.Paths.from_strings(
        ["a > b > a", "b", "c > b", "a > b > c", "d"],
        conversions=[2, 1, 3, 3, 0],
        nulls=[1, 1, 1, 1, 9],
    )
    full = at.shapley(paths, "full")
    simplified = at.shapley(paths, "simplified")
    for column in ("conversions", "value"):
        np.testing.assert_allclose(full[column], simplified[column], rtol=1e-12, atol=1e-12)


def test_sampled_is_reproducible_and_reports_its_error() -> None:
    paths = at.Paths.from_strings(
        ["a > b", "b > c", "a > c > d", "d"], conversions=[3, 1, 2, 1], nulls=[1, 5, 0, 2]
    )
    first = at.shapley(paths, "sampled", value="rate", samples=500, seed=11)
    again = at.shapley(paths, "sampled", value="rate", samples=500, seed=11)
    other = at.shapley(paths, "sampled", value="rate", samples=500, seed=12)
    assert first.to_records() == again.to_records()
    assert first.to_records() != other.to_records()
    assert first.columns == ("channel", "conversions", "conversions_se", "value", "value_se")
    assert first.samples == 500
    assert first.seed == 11
    assert (first["conversions_se"] > 0).all()
    assert first["conversions"].sum() == pytest.approx(paths.total_conversions)


def test_sampled_converges_to_full() -> None:
    paths = at.Paths.from_strings(
        ["a > b", "b > c", "a > c > d", "d", "e > a"],
        conversions=[3, 1, 2, 1, 2],
        nulls=[1, 5, 0, 2, 2],
        values=[30, 10, 25, 5, 4],
    )
    full = at.shapley(paths, "full", value="rate")
    sampled = at.shapley(paths, "sampled", value="rate", samples=20_000, seed=3)
    for column in ("conversions", "value"):
        error = np.abs(sampled[column] - full[column])
        assert (error <= 5 * sampled[f"{column}_se"] + 1e-9).all()
        np.testing.assert_allclose(sampled[column], full[column], rtol=0.05, atol=0.02)


def test_channel_sets_by_sorting_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = at.Paths.from_strings(
        ["a > b > a", "b", "c > b", "a > b > c"], conversions=[2, 1, 3, 3], nulls=[1, 0, 2, 2]
    )
    expected = at.shapley(paths, "full", value="rate").to_records()
    monkeypatch.setattr(_shapley, "_PRESENCE_CELLS", 0)
    assert at.shapley(paths, "full", value="rate").to_records() == expected


def test_many_channels() -> None:
    channels = [f"c{i:02d}" for i in range(20)]
    texts = [" > ".join(channels[i : i + 3]) for i in range(18)]
    paths = at.Paths.from_strings(texts, conversions=range(18))
    with pytest.raises(AttributionError, match="takes at most 15 channels; these paths have 20"):
        at.shapley(paths, "full")
    sampled = at.shapley(paths, "sampled", samples=4000)
    simplified = at.shapley(paths)
    # Each set's worth goes to its last member to arrive: on average, 1/3 to each of its 3.
    error = np.abs(sampled["conversions"] - simplified["conversions"])
    assert (error <= 5 * sampled["conversions_se"] + 1e-9).all()
    assert sampled["conversions"].sum() == pytest.approx(paths.total_conversions)


@pytest.mark.parametrize(
    ("arguments", "options", "error", "message"),
    [
        (("a > b",), {}, TypeError, "paths must be Paths, got str"),
        ((None, "exact"), {}, ValueError, "method must be 'simplified', 'full' or 'sampled'"),
        ((None, "full"), {"value": "revenue"}, ValueError, "value must be 'conversions' or 'rate'"),
        ((None,), {"value": "rate"}, ValueError, "for value='rate' use method='full' or 'sampled'"),
        ((None, "sampled"), {"samples": 1}, ValueError, "samples must be at least 2"),
        ((None, "sampled"), {"samples": 10.0}, TypeError, "samples must be an integer"),
        ((None, "sampled"), {"seed": "x"}, TypeError, "seed must be an integer or None"),
    ],
)
def test_bad_input(
    arguments: tuple[Any, ...], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    paths = at.Paths.from_strings(["a > b", "b"])
    given_arguments: tuple[Any, ...] = tuple(paths if a is None else a for a in arguments)
    with pytest.raises(error, match=message):
        at.shapley(*given_arguments, **options)


@pytest.mark.parametrize("method", ["simplified", "full", "sampled"])
def test_no_conversions_credits_nothing(method: Any) -> None:
    paths = at.Paths.from_strings(["a > b", "b"], nulls=[3, 1])
    result = at.shapley(paths, method)
    assert result["conversions"].tolist() == [0.0, 0.0]


def test_empty_paths() -> None:
    methods: tuple[Any, ...] = ("simplified", "full", "sampled")
    for method in methods:
        assert len(at.shapley(at.Paths.from_strings([]), method)) == 0


# -- invariants and the oracle ------------------------------------------------------------------

journeys = st.lists(st.sampled_from("abcde"), min_size=1, max_size=5)
rows = st.lists(
    st.tuples(journeys, st.integers(0, 5).map(float), st.integers(0, 5).map(float)),
    min_size=1,
    max_size=10,
)


@given(rows)
def test_full_equals_simplified_for_conversions(data: list[tuple[list[str], float, float]]) -> None:
    paths = paths_of(data)
    full = at.shapley(paths, "full")
    simplified = at.shapley(paths)
    for column in ("conversions", "value"):
        np.testing.assert_allclose(full[column], simplified[column], rtol=1e-9, atol=1e-9)


@given(rows, st.booleans())
def test_full_matches_brute_force(data: list[tuple[list[str], float, float]], rate: bool) -> None:
    paths = paths_of(data)
    result = at.shapley(paths, "full", value="rate" if rate else "conversions")
    phi = brute_force(data, rate)
    total = sum(phi.values())
    expected = {
        c: paths.total_conversions * value / total if total else 0.0 for c, value in phi.items()
    }
    assert result.to_dict("conversions") == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(rows, st.sampled_from(["simplified", "full", "sampled"]), st.booleans())
def test_credits_add_up_to_the_totals(
    data: list[tuple[list[str], float, float]], method: Any, rate: bool
) -> None:
    paths = paths_of(data)
    value = "rate" if rate and method != "simplified" else "conversions"
    result = at.shapley(paths, method, value=value, samples=50)  # type: ignore[arg-type]
    assert (result["conversions"] >= 0).all()
    assert result["conversions"].sum() == pytest.approx(paths.total_conversions, rel=1e-9, abs=1e-9)
    if paths.total_conversions:
        assert result["value"].sum() == pytest.approx(paths.total_value, rel=1e-9, abs=1e-9)

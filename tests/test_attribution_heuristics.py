"""Heuristic path attribution: hand-computed credits, time decay, invariants, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alliance as al
from alliance import attribution as at

MODELS = ("first_touch", "last_touch", "linear", "position_based")


def test_hand_computed_credits() -> None:
    paths = at.Paths.from_strings(
        ["a > a > b", "b > c", "c", "a > b > c > d"],
        conversions=[3, 1, 2, 1],
        nulls=[5, 0, 1, 0],
        values=[30.0, 10.0, 20.0, 8.0],
    )
    credits = at.heuristics(paths)
    assert credits.models == MODELS
    assert credits.channels == ("a", "b", "c", "d")
    assert credits.conversions("first_touch") == {"a": 4.0, "b": 1.0, "c": 2.0, "d": 0.0}
    assert credits.conversions("last_touch") == {"a": 0.0, "b": 3.0, "c": 3.0, "d": 1.0}
    # Linear: repeats count (a > a > b gives a 2/3); four touches give 1/4 each.
    linear = credits.conversions("linear")
    assert linear == pytest.approx(
        {"a": 2 + 0.25, "b": 1 + 0.5 + 0.25, "c": 0.5 + 2 + 0.25, "d": 0.25}
    )
    # Position-based 40/20/40: three touches 0.4/0.2/0.4, two 0.5/0.5, four 0.4/0.1/0.1/0.4.
    positions = credits.conversions("position_based")
    expected = {"a": 3 * 0.6 + 0.4, "b": 3 * 0.4 + 0.5 + 0.1, "c": 0.5 + 2 + 0.1, "d": 0.4}
    assert positions == pytest.approx(expected)
    assert credits.value("linear") == pytest.approx(
        {"a": 20 + 2.0, "b": 10 + 5 + 2.0, "c": 5 + 20 + 2.0, "d": 2.0}
    )
    assert credits["linear_value"].sum() == pytest.approx(68.0)


def test_position_based_shares_are_configurable() -> None:
    paths = at.Paths.from_strings(["a > b > c", "a > b"])
    credits = at.heuristics(paths, first="30%", last=0.5)
    # Three touches: 0.3 / 0.2 / 0.5; two touches split 30 : 50.
    assert credits.conversions("position_based") == pytest.approx(
        {"a": 0.3 + 0.375, "b": 0.2 + 0.625, "c": 0.5}
    )


def test_columns_records_and_frames() -> None:
    credits = at.heuristics(at.Paths.from_strings(["a > b"]))
    assert credits.columns == (
        "channel",
        "first_touch_conversions",
        "first_touch_value",
        "last_touch_conversions",
        "last_touch_value",
        "linear_conversions",
        "linear_value",
        "position_based_conversions",
        "position_based_value",
    )
    assert credits["channel"].tolist() == ["a", "b"]
    assert credits.to_records()[0]["linear_conversions"] == 0.5
    assert len(credits) == 2
    assert repr(credits).splitlines()[0] == "HeuristicCredits"
    pytest.importorskip("pandas")
    assert credits.to_pandas()["first_touch_conversions"].tolist() == [1.0, 0.0]


def test_time_decay_is_left_out_without_a_half_life() -> None:
    credits = at.heuristics(at.Paths.from_strings(["a > b"]))
    assert "time_decay" not in credits.models
    assert "no touch ages" in credits.skipped["time_decay"]
    assert "time_decay_conversions" not in credits.columns
    with pytest.raises(KeyError, match="time_decay was not computed: the paths carry no touch"):
        credits.conversions("time_decay")
    with pytest.raises(KeyError, match="unknown model 'u_shaped'"):
        credits.value("u_shaped")
    with pytest.raises(KeyError, match="no column 'nope'"):
        credits["nope"]


T0 = datetime(2026, 10, 1, tzinfo=UTC)


def journey_paths() -> at.Paths:
    touches = al.Touchpoints.from_records(
        [
            {"visitor_id": "v1", "ts": T0, "partner_id": "a"},
            {"visitor_id": "v1", "ts": T0 + timedelta(days=7), "partner_id": "b"},
            {"visitor_id": "v1", "ts": T0 + timedelta(days=14), "partner_id": "a"},
            {"visitor_id": "v2", "ts": T0, "partner_id": "c"},
        ]
    )
    orders = al.Orders.from_records(
        [
            {
                "order_id": "o1",
                "visitor_id": "v1",
                "ts": T0 + timedelta(days=14),
                "amount": "70.00",
                "currency": "USD",
            },
        ]
    )
    return at.Paths.from_touchpoints(touches, orders)


def test_time_decay_with_ages() -> None:
    paths = journey_paths()
    credits = at.heuristics(paths, half_life=timedelta(days=7))
    assert credits.models[-1] == "time_decay"
    # Ages 14, 7 and 0 days with a 7-day half-life weigh 1 : 2 : 4.
    assert credits.conversions("time_decay") == pytest.approx({"a": 5 / 7, "b": 2 / 7, "c": 0.0})
    assert credits.value("time_decay") == pytest.approx({"a": 50.0, "b": 20.0, "c": 0.0})
    without = at.heuristics(paths)
    assert "no half_life given" in without.skipped["time_decay"]


@pytest.mark.parametrize(
    ("paths", "options", "error", "message"),
    [
        ("paths", {}, TypeError, "paths must be Paths, got str"),
        (None, {"half_life": timedelta(days=7)}, ValueError, "time decay needs each touch's age"),
        (None, {"half_life": 7}, TypeError, "half_life must be a timedelta"),
        (None, {"half_life": timedelta(0)}, ValueError, "half_life must be positive"),
        (None, {"first": 0.7, "last": 0.7}, ValueError, "Cannot have first=0.7 \\+ last=0.7 > 1"),
        (None, {"first": "lots"}, ValueError, "first must be a number between 0 and 1"),
    ],
)
def test_bad_input(
    paths: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    given_paths = at.Paths.from_strings(["a > b"]) if paths is None else paths
    with pytest.raises(error, match=message):
        at.heuristics(given_paths, **options)


def test_empty_paths_give_an_empty_table() -> None:
    credits = at.heuristics(at.Paths.from_strings([]))
    assert len(credits) == 0
    assert credits.to_records() == []


# -- invariants -------------------------------------------------------------------------------

journeys = st.lists(st.sampled_from("abcde"), min_size=1, max_size=7)
rows = st.lists(
    st.tuples(journeys, st.floats(0, 10), st.floats(0, 10), st.floats(0, 1000)),
    min_size=1,
    max_size=20,
)


def paths_of(data: list[tuple[list[str], float, float, float]]) -> at.Paths:
    return at.Paths.from_strings(
        [" > ".join(j) for j, _, _, _ in data],
        conversions=[c for _, c, _, _ in data],
        nulls=[n for _, _, n, _ in data],
        values=[v for _, _, _, v in data],
    )


@given(rows, st.floats(0, 0.5), st.floats(0, 0.5))
def test_every_model_credits_all_conversions_and_value(
    data: list[tuple[list[str], float, float, float]], first: float, last: float
) -> None:
    paths = paths_of(data)
    credits = at.heuristics(paths, first=first, last=last)
    for model in MODELS:
        conversions = credits[f"{model}_conversions"]
        value = credits[f"{model}_value"]
        assert (conversions >= 0).all()
        assert conversions.sum() == pytest.approx(paths.total_conversions, rel=1e-9, abs=1e-9)
        assert value.sum() == pytest.approx(paths.total_value, rel=1e-9, abs=1e-9)


@given(journeys, st.floats(0, 0.5), st.floats(0, 0.5), st.lists(st.integers(0, 10**12), min_size=7))
def test_shares_of_one_journey_sum_to_one(
    journey: list[str], first: float, last: float, ages: list[int]
) -> None:
    paths = at.Paths(
        sorted(set(journey)),
        [sorted(set(journey)).index(name) for name in journey],
        [len(journey)],
        ages=sorted(ages[: len(journey)], reverse=True),
    )
    credits = at.heuristics(paths, first=first, last=last, half_life=timedelta(days=3))
    for model in (*MODELS, "time_decay"):
        shares = credits[f"{model}_conversions"]
        assert shares.sum() == pytest.approx(1.0, rel=1e-12)
        assert (shares >= 0).all()
    assert credits.conversions("first_touch")[journey[0]] >= 1.0 - 1e-12
    assert credits.conversions("last_touch")[journey[-1]] >= 1.0 - 1e-12


@given(rows)
def test_aggregating_does_not_change_credits(
    data: list[tuple[list[str], float, float, float]],
) -> None:
    texts = [" > ".join(j) for j, _, _, _ in data]
    conversions = [c for _, c, _, _ in data]
    one_by_one = at.Paths(
        sorted({n for j, _, _, _ in data for n in j}),
        [sorted({n for j, _, _, _ in data for n in j}).index(n) for j, _, _, _ in data for n in j],
        [len(j) for j, _, _, _ in data],
        conversions=conversions,
    )
    merged = at.Paths.from_strings(texts, conversions=conversions)
    for model in MODELS:
        np.testing.assert_allclose(
            at.heuristics(one_by_one)[f"{model}_conversions"],
            at.heuristics(merged)[f"{model}_conversions"],
            rtol=1e-9,
            atol=1e-9,
        )

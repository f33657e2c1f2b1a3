"""Markov-chain attribution: the published check, hand-computed chains, an exact reference."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import attribution as at
from alliance.attribution import _markov
from alliance.errors import AttributionError

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def reference(
    journeys: list[tuple[list[str], int, int]], order: int
) -> tuple[Fraction, dict[str, Fraction]]:
    """P(conversion) and removal effects in exact rational arithmetic, by the textbook.

    Collapse repeats, count transitions between order-k windows, then solve the absorbing
    system x = Q x + r by Gauss-Jordan elimination over fractions.
    """
    counts: dict[str, dict[str, int]] = {}

    def add(source: str, target: str, weight: int) -> None:
        if weight:
            row = counts.setdefault(source, {})
            row[target] = row.get(target, 0) + weight

    for journey, conversions, nulls in journeys:
        collapsed = [c for i, c in enumerate(journey) if i == 0 or c != journey[i - 1]]
        states = [
            " > ".join(collapsed[max(0, i - order + 1) : i + 1]) for i in range(len(collapsed))
        ]
        total = conversions + nulls
        add(START, states[0], total)
        for source, target in pairwise(states):
            add(source, target, total)
        add(states[-1], CONVERSION, conversions)
        add(states[-1], NULL, nulls)

    def probability(removed: set[str]) -> Fraction:
        nodes = [n for n in counts if n not in removed]
        index = {n: i for i, n in enumerate(nodes)}
        size = len(nodes)
        matrix = [[Fraction(int(i == j)) for j in range(size)] + [Fraction(0)] for i in range(size)]
        for node in nodes:
            out = sum(counts[node].values())
            for target, weight in counts[node].items():
                p = Fraction(weight, out)
                if target == CONVERSION:
                    matrix[index[node]][size] += p
                elif target in index:
                    matrix[index[node]][index[target]] -= p
        for col in range(size):
            pivot = next(r for r in range(col, size) if matrix[r][col] != 0)
            matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
            lead = matrix[col][col]
            matrix[col] = [v / lead for v in matrix[col]]
            for r in range(size):
                if r != col and matrix[r][col] != 0:
                    factor = matrix[r][col]
                    matrix[r] = [
                        a - factor * b for a, b in zip(matrix[r], matrix[col], strict=True)
                    ]
        return matrix[index[START]][size]

    base = probability(set())
    channels = sorted({c for j, _, _ in journeys for c in j})
    effects = {}
    for channel in channels:
        removed = {n for n in counts if n != START and channel in n.split(" > ")}
        effects[channel] = 1 - probability(removed) / base
    return base, effects


def published() -> at.Paths:
    return at.Paths.from_strings(
        ["C1 > C2 > C3", "C1", "C2 > C3"], conversions=[1, 0, 0], nulls=[0, 1, 1]
    )


def test_the_published_three_path_check() -> None:
    result = at.markov(published())
    assert result.conversion_probability == pytest.approx(1 / 3, rel=1e-12)
    assert result.removal_effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0}, rel=1e-12)
    assert result.to_dict("conversions") == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert result["conversions"].sum() == pytest.approx(1.0)
    assert result.order == 1
    assert result.solver == "dense"
    assert result.states == ("C1", "C2", "C3")


def test_the_transition_matrix() -> None:
    result = at.markov(published())
    assert result.matrix_rows == (START, "C1", "C2", "C3")
    assert result.matrix_columns == (START, "C1", "C2", "C3", CONVERSION, NULL)
    np.testing.assert_allclose(
        result.transition_matrix,
        np.array(
            [
                [0, 2 / 3, 1 / 3, 0, 0, 0],
                [0, 0, 1 / 2, 0, 0, 1 / 2],
                [0, 0, 0, 1, 0, 0],
                [0, 0, 0, 0, 1 / 2, 1 / 2],
            ]
        ),
    )
    transitions = result.transitions()
    assert list(zip(transitions["from"], transitions["to"], strict=True))[:2] == [
        (START, "C1"),
        (START, "C2"),
    ]
    assert transitions["probability"].sum() == pytest.approx(4.0)  # one per row


def test_repeats_collapse() -> None:
    repeated = at.Paths.from_strings(
        ["C1 > C1 > C2 > C3 > C3", "C1 > C1", "C2 > C2 > C3"],
        conversions=[1, 0, 0],
        nulls=[0, 1, 1],
    )
    assert at.markov(repeated).to_records() == at.markov(published()).to_records()


def test_order_two_sees_which_path_led_to_the_shared_channel() -> None:
    # a > c converts, b > c does not. Order 1 blurs them through c; order 2 does not.
    paths = at.Paths.from_strings(["a > c", "b > c"], conversions=[1, 0], nulls=[0, 1])
    first = at.markov(paths)
    assert first.conversion_probability == pytest.approx(0.5)
    assert first.removal_effects == pytest.approx({"a": 0.5, "b": 0.5, "c": 1.0})
    assert first.to_dict("conversions") == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.5})
    second = at.markov(paths, order=2)
    assert second.states == ("a", "a > c", "b", "b > c")
    assert second.conversion_probability == pytest.approx(0.5)
    assert second.removal_effects == pytest.approx({"a": 1.0, "b": 0.0, "c": 1.0})
    assert second.to_dict("conversions") == pytest.approx({"a": 0.5, "b": 0.0, "c": 0.5})


def test_value_is_credited_like_conversions() -> None:
    paths = at.Paths.from_strings(
        ["C1 > C2 > C3", "C1", "C2 > C3"], conversions=[1, 0, 0], nulls=[0, 1, 1], values=[50, 0, 0]
    )
    assert at.markov(paths).to_dict("value") == pytest.approx({"C1": 10.0, "C2": 20.0, "C3": 20.0})


def test_journeys_without_counts_are_ignored() -> None:
    paths = at.Paths.from_strings(
        ["C1 > C2 > C3", "C1", "C2 > C3", "C4 > C1"], conversions=[1, 0, 0, 0], nulls=[0, 1, 1, 0]
    )
    result = at.markov(paths)
    assert result.removal_effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0, "C4": 0.0})
    assert result.states == ("C1", "C2", "C3")


def test_the_iterative_solver_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = at.Paths.from_strings(
        ["a > b > a > c", "b > c > b", "c > a", "a", "b > a > b > a"],
        conversions=[3, 1, 2, 0, 1],
        nulls=[1, 4, 2, 5, 1],
        values=[1, 2, 3, 4, 5],
    )
    dense = at.markov(paths, order=2)
    monkeypatch.setattr(_markov, "DENSE_STATES", 0)
    monkeypatch.setattr(_markov, "_DENSE_CELLS", 0)  # and sort rather than count in tables
    iterative = at.markov(paths, order=2)
    assert iterative.solver == "iterative"
    assert iterative.conversion_probability == pytest.approx(dense.conversion_probability, 1e-12)
    for column in ("removal_effect", "conversions", "value"):
        np.testing.assert_allclose(iterative[column], dense[column], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("paths", "order", "error", "message"),
    [
        ("C1 > C2", 1, TypeError, "paths must be Paths, got str"),
        (None, 0, ValueError, "order must be at least 1, got 0"),
        (None, -2, ValueError, "order must be at least 1, got -2"),
        (None, 1.5, TypeError, "order must be an integer, got 1.5"),
        (None, True, TypeError, "order must be an integer, got True"),
    ],
)
def test_bad_input(paths: Any, order: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        at.markov(published() if paths is None else paths, order=order)


@pytest.mark.parametrize(
    "paths",
    [
        at.Paths.from_strings([]),
        at.Paths.from_strings(["a > b", "b"], nulls=[2, 1]),
    ],
)
def test_no_conversion_is_refused(paths: at.Paths) -> None:
    with pytest.raises(AttributionError, match="markov needs at least one conversion"):
        at.markov(paths)


def test_state_numbering_by_table_or_by_sort_agree() -> None:
    key = np.array([7, 3, 7, 0, 12, 3], dtype=np.int64)
    by_table = _markov._dense_ids(key, 13)
    by_sort = _markov._dense_ids(key, 1 << 40)
    assert by_table[0].tolist() == by_sort[0].tolist() == [2, 1, 2, 0, 3, 1]
    assert by_table[1] == by_sort[1] == 4


def test_too_large_a_dense_matrix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_markov, "_DENSE_MATRIX_CELLS", 10)
    result = at.markov(published())
    with pytest.raises(ValueError, match="3 states make too large a dense matrix"):
        result.transition_matrix  # noqa: B018


# -- invariants and the reference ---------------------------------------------------------------

journeys = st.lists(st.sampled_from("abcd"), min_size=1, max_size=6)
rows = st.lists(
    st.tuples(journeys, st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=12
).filter(lambda data: any(c for _, c, _ in data))


def paths_of(data: list[tuple[list[str], int, int]], values: bool = False) -> at.Paths:
    return at.Paths.from_strings(
        [" > ".join(j) for j, _, _ in data],
        conversions=[c for _, c, _ in data],
        nulls=[n for _, _, n in data],
        values=[3.5 * c for _, c, _ in data] if values else None,
    )


@given(rows)
def test_order_one_probability_is_the_conversion_rate(
    data: list[tuple[list[str], int, int]],
) -> None:
    paths = paths_of(data)
    expected = paths.total_conversions / (paths.total_conversions + paths.total_nulls)
    assert at.markov(paths).conversion_probability == pytest.approx(expected, rel=1e-9)


@given(rows, st.integers(1, 3))
def test_removal_effects_and_credits(data: list[tuple[list[str], int, int]], order: int) -> None:
    paths = paths_of(data, values=True)
    result = at.markov(paths, order=order)
    effects = result["removal_effect"]
    assert ((effects >= 0) & (effects <= 1)).all()
    assert result["conversions"].sum() == pytest.approx(paths.total_conversions, rel=1e-9)
    assert result["value"].sum() == pytest.approx(paths.total_value, rel=1e-9)
    matrix = result.transition_matrix
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)


@given(rows, st.integers(1, 3))
def test_matches_the_exact_reference(data: list[tuple[list[str], int, int]], order: int) -> None:
    probability, effects = reference(data, order)
    result = at.markov(paths_of(data), order=order)
    assert result.conversion_probability == pytest.approx(float(probability), rel=1e-9)
    assert result.removal_effects == pytest.approx(
        {c: float(e) for c, e in effects.items()}, rel=1e-9, abs=1e-12
    )

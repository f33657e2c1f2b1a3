"""Markov-chain attribution: removal effects of an absorbing chain fitted to the paths, exactly.

States follow the common convention: consecutive repeats of a channel collapse into one
touch; an order-k state is the last k touches (fewer at the start of a journey). The chain
starts in ``(start)``, moves from state to state along each journey and ends in
``(conversion)`` or ``(null)``; transition probabilities are counts over all journeys,
normalised per state. The conversion probability is computed by solving the absorbing
system, never by simulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance.attribution._paths import ChannelCredits, Paths, take_rows
from alliance.errors import AttributionError

__all__ = ["DENSE_STATES", "MarkovCredits", "markov"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Up to this many transient states the system is solved densely (LU); beyond, by iterating
#: the sparse transitions until the probabilities stop changing.
DENSE_STATES = 1500
#: Largest matrix `MarkovCredits.transition_matrix` builds (rows * columns).
_DENSE_MATRIX_CELLS = 50_000_000
#: Dense bookkeeping (a cell per possible state or transition) up to this many cells, or four
#: per touch; beyond, a sort.
_DENSE_CELLS = 1 << 22
_START, _CONVERSION, _NULL = "(start)", "(conversion)", "(null)"


class MarkovCredits(ChannelCredits):
    """Removal effects and credit per channel of an absorbing Markov chain.

    Columns: ``channel``, ``removal_effect`` (in [0, 1]), ``conversions`` (the total
    conversions shared in proportion to the removal effects) and ``value`` (the total value,
    likewise).

    Attributes:
        order: The chain's order (states are the last ``order`` touches).
        conversion_probability: P(conversion) from ``(start)``.
        states: The state names: channels, or ``"a > b"`` for order 2 and above.
        solver: ``"dense"`` (LU) or ``"iterative"`` (sparse fixed point, large chains).
    """

    def __init__(
        self,
        channels: tuple[str, ...],
        columns: Mapping[str, FloatArray],
        *,
        order: int,
        conversion_probability: float,
        states: tuple[str, ...],
        edges: tuple[Int64Array, Int64Array, FloatArray],
        solver: Literal["dense", "iterative"],
    ) -> None:
        super().__init__(channels, columns)
        self.order = order
        self.conversion_probability = conversion_probability
        self.states = states
        self.solver = solver
        self._edges = edges

    @property
    def removal_effects(self) -> dict[str, float]:
        """Removal effect per channel: ``1 - P(conversion without it) / P(conversion)``."""
        return self.to_dict("removal_effect")

    @property
    def matrix_rows(self) -> tuple[str, ...]:
        """Row names of `transition_matrix`: ``(start)``, then the states."""
        return (_START, *self.states)

    @property
    def matrix_columns(self) -> tuple[str, ...]:
        """Column names of `transition_matrix`: the rows, then ``(conversion)``, ``(null)``."""
        return (_START, *self.states, _CONVERSION, _NULL)

    @property
    def transition_matrix(self) -> FloatArray:
        """Transition probabilities, ``matrix_rows`` * ``matrix_columns``; each row sums to 1.

        Raises:
            ValueError: The chain has too many states for a dense matrix (see `transitions`).
        """
        rows, columns = len(self.states) + 1, len(self.states) + 3
        if rows * columns > _DENSE_MATRIX_CELLS:
            raise ValueError(
                f"{len(self.states)} states make too large a dense matrix; read transitions()"
            )
        source, target, probability = self._edges
        matrix = np.zeros((rows, columns), dtype=np.float64)
        matrix[source, target] = probability
        return matrix

    def transitions(self) -> dict[str, npt.NDArray[Any]]:
        """The observed transitions: ``from`` and ``to`` names and their ``probability``."""
        names = np.array(self.matrix_columns, dtype=object)
        source, target, probability = self._edges
        return {"from": names[source], "to": names[target], "probability": probability.copy()}


def markov(paths: Paths, order: int = 1) -> MarkovCredits:
    """Credit channels by their removal effects in an absorbing Markov chain of the paths.

    The chain is fitted by counting: consecutive repeats collapse (``a > a > b`` is
    ``a > b``), an order-``k`` state is the last ``k`` touches (a sliding window, shorter at
    the start), and each journey adds its count (conversions + nulls) to ``(start)`` → first
    state and to each step, then its conversions to last state → ``(conversion)`` and its
    nulls to last state → ``(null)``. Each state's outgoing counts, normalised, are its
    transition probabilities.

    P(conversion) is the probability of absorption in ``(conversion)`` from ``(start)``,
    solved exactly from the linear system of the transient states. The removal effect of a
    channel is ``1 - P'(conversion) / P(conversion)``, where in P' every state containing the
    channel is removed and the transitions into it go to ``(null)``; it lies in [0, 1]
    (clipped there against rounding). A channel's credit is the total conversions (and
    value) times its removal effect over the sum of all removal effects. For order 1,
    P(conversion) equals total conversions / (conversions + nulls).

    The absorbing system is solved by LU (numpy) up to `DENSE_STATES` transient states;
    larger chains (high orders over many channels) iterate x = r + Q x over the sparse
    transitions until no probability changes by more than 1e-15.

    Args:
        paths: The journeys; rows with neither conversions nor nulls are ignored.
        order: How many of the last touches make a state; 1 or more.

    Returns:
        One row per channel of ``paths``, with the chain's transition matrix.

    Raises:
        TypeError: ``paths`` is not `Paths`, or ``order`` is not an integer.
        ValueError: ``order`` is below 1, or no journey converts (removal effects are then
            undefined).

    Examples:
        The published three-path check: ``C1 > C2 > C3`` converts, ``C1`` and ``C2 > C3`` do
        not.

        >>> paths = Paths.from_strings(
        ...     ["C1 > C2 > C3", "C1", "C2 > C3"], conversions=[1, 0, 0], nulls=[0, 1, 1]
        ... )
        >>> result = markov(paths)
        >>> round(result.conversion_probability, 6)
        0.333333
        >>> {c: round(v, 6) for c, v in result.removal_effects.items()}
        {'C1': 0.5, 'C2': 1.0, 'C3': 1.0}
        >>> result["conversions"].round(6).tolist()
        [0.2, 0.4, 0.4]
    """
    if not isinstance(paths, Paths):
        raise TypeError(f"paths must be Paths, got {type(paths).__name__}")
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise TypeError(f"order must be an integer, got {order!r}")
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    order = int(order)
    total_conversions, total_value = paths.total_conversions, paths.total_value
    if total_conversions <= 0:
        raise AttributionError(
            "markov needs at least one conversion: with none, P(conversion) is 0 and removal "
            "effects are undefined"
        )
    chain = _Chain(paths, order)
    probability, solver = chain.conversion_probability(None)
    without = np.array(
        [chain.conversion_probability(chain.containing(c))[0] for c in range(chain.channels)]
    )
    removal_effect = np.clip(1.0 - without / probability, 0.0, 1.0)
    shares = removal_effect / removal_effect.sum()
    return MarkovCredits(
        paths.channels,
        {
            "removal_effect": removal_effect,
            "conversions": total_conversions * shares,
            "value": total_value * shares,
        },
        order=order,
        conversion_probability=float(probability),
        states=chain.state_names(paths.channels),
        edges=chain.edges,
        solver=solver,
    )


class _Chain:
    """The chain of a set of paths: states, counted transitions, and its absorbing system."""

    def __init__(self, paths: Paths, order: int) -> None:
        self.channels = len(paths.channels)
        self.order = order
        counts = paths.conversions + paths.nulls
        rows = np.flatnonzero(counts > 0)
        offsets = paths.offsets
        codes: npt.NDArray[np.integer[Any]] = paths.codes
        lengths = paths.lengths
        if rows.size < len(paths):
            codes, lengths = take_rows(paths.codes, offsets, rows), np.diff(offsets)[rows]
        conversions, nulls, counts = paths.conversions[rows], paths.nulls[rows], counts[rows]
        starts = np.cumsum(lengths) - lengths
        # Collapse consecutive repeats of a channel.
        keep = np.empty(codes.size, dtype=bool)
        keep[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=keep[1:])
        keep[starts] = True
        if not keep.all():
            codes = codes[keep]
            lengths = np.add.reduceat(keep.view(np.int8), starts, dtype=np.int64)
            starts = np.cumsum(lengths) - lengths
        position = np.arange(codes.size, dtype=np.int64)
        position -= np.repeat(starts, lengths)
        self.state, self.representative, self.window = _states(
            codes, position, order, self.channels
        )
        self.codes = codes
        states = self.representative.size
        self.size = states + 1  # transient nodes: (start) and the states
        node = self.state + 1
        ends = starts + lengths - 1
        self.edges = _transitions(node, lengths, starts, ends, counts, conversions, nulls, states)
        # One absorbing system: transient → transient transitions and → conversion.
        source, target, probability = self.edges
        transient = target < self.size
        self.step = (source[transient], target[transient], probability[transient])
        self.to_conversion = np.bincount(
            source[target == states + 1],
            weights=probability[target == states + 1],
            minlength=self.size,
        ).astype(np.float64)
        self._dense: FloatArray | None = None
        self._membership: BoolArray | None = None

    def containing(self, channel: int) -> BoolArray:
        """Which transient nodes (``(start)`` never) hold the channel."""
        if self._membership is None:
            membership = np.zeros((self.size, self.channels), dtype=bool)
            for back in range(self.order):
                has = self.window > back
                membership[np.flatnonzero(has) + 1, self.codes[self.representative[has] - back]] = (
                    True
                )
            self._membership = membership
        column: BoolArray = self._membership[:, channel]
        return column

    def conversion_probability(
        self, removed: BoolArray | None
    ) -> tuple[float, Literal["dense", "iterative"]]:
        """P(conversion) from ``(start)``, with the ``removed`` states turned into nulls."""
        kept = np.ones(self.size, dtype=bool) if removed is None else ~removed
        if self.size <= DENSE_STATES:
            if self._dense is None:
                source, target, probability = self.step
                matrix = np.eye(self.size)
                np.subtract.at(matrix, (source, target), probability)
                self._dense = matrix
            system = self._dense[np.ix_(kept, kept)]
            solution = np.linalg.solve(system, self.to_conversion[kept])
            return float(solution[0]), "dense"
        return _iterate(self.step, self.to_conversion, kept), "iterative"

    def state_names(self, channels: tuple[str, ...]) -> tuple[str, ...]:
        names = np.array(channels, dtype=object)
        if self.order == 1:
            return tuple(names[self.codes[self.representative]].tolist())
        result = []
        for end, width in zip(self.representative.tolist(), self.window.tolist(), strict=True):
            result.append(" > ".join(names[self.codes[end - width + 1 : end + 1]].tolist()))
        return tuple(result)


def _states(
    codes: npt.NDArray[np.integer[Any]], position: Int64Array, order: int, channels: int
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Each touch's state (its last ``order`` touches) and, per state, a touch and its width.

    States are numbered by their touches read oldest first, so channel order for order 1.
    """
    if order == 1 or not codes.size:
        present = np.zeros(channels, dtype=bool)
        present[codes] = True
        number = np.cumsum(present) - 1
        state = number[codes]
        representative = np.zeros(int(present.sum()), dtype=np.int64)
        representative[state] = np.arange(codes.size)
        return state, representative, np.ones(representative.size, dtype=np.int64)
    # A window of j + 1 touches is (the window of j touches ending one step earlier, this
    # touch), or this touch alone at a journey's start.
    state = codes.astype(np.int64)
    count = channels
    at_start = position == 0
    for _ in range(1, order):
        key = np.empty(codes.size, dtype=np.int64)
        key[1:] = state[:-1]
        key += 1
        key[at_start] = 0
        key *= channels
        key += codes
        state, count = _dense_ids(key, (count + 1) * channels)
    representative = np.zeros(count, dtype=np.int64)
    representative[state] = np.arange(codes.size)
    width = np.minimum(position[representative] + 1, order)
    # Number states by their touches read oldest first.
    names = [
        tuple(codes[end - w + 1 : end + 1].tolist())
        for end, w in zip(representative.tolist(), width.tolist(), strict=True)
    ]
    ranked = sorted(range(count), key=names.__getitem__)
    rank = np.empty(count, dtype=np.int64)
    rank[ranked] = np.arange(count)
    return rank[state], representative[ranked], width[ranked]


def _dense_ids(key: Int64Array, bound: int) -> tuple[Int64Array, int]:
    """Renumber non-negative keys below ``bound`` as 0 .. n - 1 (in key order)."""
    if bound <= max(4 * key.size, _DENSE_CELLS):
        present = np.zeros(bound, dtype=bool)
        present[key] = True
        number = np.cumsum(present) - 1
        return number[key], int(present.sum())
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), int(distinct.size)


def _transitions(
    node: Int64Array,
    lengths: Int64Array,
    starts: Int64Array,
    ends: Int64Array,
    counts: FloatArray,
    conversions: FloatArray,
    nulls: FloatArray,
    states: int,
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Counted transitions between nodes, with their probabilities.

    Nodes: 0 is ``(start)``, 1 .. ``states`` the states, then ``(conversion)`` and
    ``(null)``. Each journey's steps weigh its count; its end, its conversions and nulls.
    """
    columns = states + 3
    steps = np.repeat(counts, lengths)
    steps[ends] = 0.0  # no step from a journey's last touch into the next journey
    if columns * columns <= max(4 * node.size, _DENSE_CELLS):
        key = node[:-1] * columns
        key += node[1:]
        flat = np.bincount(key, weights=steps[:-1], minlength=columns * columns)
        matrix = flat.astype(np.float64, copy=False).reshape(columns, columns)
        matrix[0] += np.bincount(node[starts], weights=counts, minlength=columns)
        matrix[:, states + 1] += np.bincount(node[ends], weights=conversions, minlength=columns)
        matrix[:, states + 2] += np.bincount(node[ends], weights=nulls, minlength=columns)
        source, target = np.nonzero(matrix > 0)
        weight = matrix[source, target]
    else:
        last = node.size - 1
        source = np.concatenate(
            (np.zeros(starts.size, np.int64), node[:last], node[ends], node[ends])
        )
        target = np.concatenate(
            (
                node[starts],
                node[1:],
                np.full(starts.size, states + 1),
                np.full(starts.size, states + 2),
            )
        )
        all_weights = np.concatenate((counts, steps[:last], conversions, nulls))
        positive = all_weights > 0
        pair, inverse = np.unique(
            source[positive] * columns + target[positive], return_inverse=True
        )
        weight = np.bincount(inverse.reshape(-1), weights=all_weights[positive]).astype(
            np.float64, copy=False
        )
        source, target = pair // columns, pair % columns
    outflow = np.bincount(source, weights=weight)
    return (
        source.astype(np.int64),
        target.astype(np.int64),
        (weight / outflow[source]).astype(np.float64),
    )


def _iterate(
    step: tuple[Int64Array, Int64Array, FloatArray], to_conversion: FloatArray, kept: BoolArray
) -> float:
    """Absorption probabilities by the fixed point x = r + Q x (from x = 0, increasing)."""
    source, target, probability = step
    usable = kept[source] & kept[target]
    source, target, probability = source[usable], target[usable], probability[usable]
    direct = np.where(kept, to_conversion, 0.0)
    solution = direct.copy()
    for _ in range(1_000_000):
        following = direct + np.bincount(
            source, weights=probability * solution[target], minlength=direct.size
        )
        change = float(np.max(np.abs(following - solution))) if following.size else 0.0
        solution = following
        if change <= 1e-15:
            return float(solution[0])
    raise AttributionError("the Markov chain did not converge")  # pragma: no cover

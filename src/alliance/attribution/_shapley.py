"""Shapley-value attribution over paths: simplified, exact over coalitions, or sampled.

The channels are the players. A journey counts for the set of distinct channels it touched;
the worth of a coalition is what the journeys touching only its channels bring. See `shapley`
for the precise definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import factorial
from typing import Literal

import numpy as np
import numpy.typing as npt

from alliance.attribution._paths import ChannelCredits, Paths
from alliance.attribution._sequences import group_sequences
from alliance.errors import AttributionError

__all__ = ["FULL_CHANNELS", "ShapleyCredits", "shapley"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The most channels ``method="full"`` takes (it visits all 2**n coalitions).
FULL_CHANNELS = 15
#: Presence matrices (journeys * channels) up to this many cells; beyond, a sort.
_PRESENCE_CELLS = 50_000_000
#: Cells of one batch of sampled permutations (permutations * channel memberships).
_BATCH_CELLS = 1 << 22

Method = Literal["simplified", "full", "sampled"]
Worth = Literal["conversions", "rate"]


class ShapleyCredits(ChannelCredits):
    """Shapley credit per channel.

    Columns: ``channel``, ``conversions`` and ``value`` (they add up to the paths' totals);
    with ``method="sampled"`` also ``conversions_se`` and ``value_se``, the Monte-Carlo
    standard errors of the two.

    Attributes:
        method: ``"simplified"``, ``"full"`` or ``"sampled"``.
        value_function: ``"conversions"`` or ``"rate"``: the worth of a channel set.
        samples: Permutations drawn (``"sampled"``), else ``None``.
        seed: The seed of the permutations (``"sampled"``), else ``None``.
    """

    def __init__(
        self,
        channels: tuple[str, ...],
        columns: Mapping[str, FloatArray],
        *,
        method: Method,
        value_function: Worth,
        samples: int | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(channels, columns)
        self.method = method
        self.value_function = value_function
        self.samples = samples
        self.seed = seed


def shapley(
    paths: Paths,
    method: Method = "simplified",
    *,
    value: Worth = "conversions",
    samples: int = 10_000,
    seed: int | None = 0,
) -> ShapleyCredits:
    """Credit channels with Shapley values of the game their journeys define.

    Definitions. The players are the channels of ``paths`` (n of them). Each journey counts
    for its set of *distinct* channels. For a channel set T, w(T) is

    - ``value="conversions"``: the conversions of the journeys whose distinct channels are
      exactly T;
    - ``value="rate"``: their conversion rate, conversions / (conversions + nulls) (0 when
      no journey has that set).

    The worth of a coalition S is v(S) = Σ_{T ⊆ S} w(T), and channel i's Shapley value is

        φ_i = Σ_{S ⊆ N - {i}} |S|! (n - |S| - 1)! / n! · (v(S + i) - v(S)),

    S + i being S with channel i added. A channel's credited conversions are the share
    φ_i / Σ_j φ_j of the total conversions; its credited value is the same computation with
    w built from the conversion value (the value of the journeys with set T, or that value /
    (conversions + nulls) for ``"rate"``), as a share of the total value.

    The three methods:

    - ``"simplified"``: each journey's conversions (and value) split equally over its
      distinct channels. Because v is a sum of unanimity games, φ_i = Σ_{T ∋ i} w(T) / |T|:
      this *is* the Shapley value of the ``"conversions"`` game, computed directly.
    - ``"full"``: the formula above over all 2**n coalitions (n ≤ 15), vectorised over
      bitmasks; with ``value="conversions"`` it equals ``"simplified"``.
    - ``"sampled"``: the mean marginal contribution over ``samples`` random orders of the
      channels (Monte Carlo, reproducible with ``seed``), with its standard error; for any
      number of channels.

    Args:
        paths: The journeys.
        method: ``"simplified"``, ``"full"`` or ``"sampled"``.
        value: The worth of a channel set: ``"conversions"`` or ``"rate"``
            (``"simplified"`` takes ``"conversions"`` only).
        samples: Permutations to draw for ``"sampled"``; at least 2.
        seed: Seed of the permutations for ``"sampled"``; ``None`` draws a fresh one.

    Returns:
        One row per channel of ``paths``.

    Raises:
        TypeError: ``paths`` is not `Paths`, or ``samples`` / ``seed`` are not integers.
        ValueError: An unknown method or value, ``"simplified"`` with ``value="rate"``,
            ``"full"`` with more than 15 channels, fewer than 2 samples.

    Examples:
        >>> paths = Paths.from_strings(["a > b > a", "b", "c > b"], conversions=[2, 1, 3])
        >>> shapley(paths).to_dict("conversions")
        {'a': 1.0, 'b': 3.5, 'c': 1.5}
        >>> full = shapley(paths, "full")
        >>> {c: round(v, 9) for c, v in full.to_dict("conversions").items()}
        {'a': 1.0, 'b': 3.5, 'c': 1.5}
    """
    if not isinstance(paths, Paths):
        raise TypeError(f"paths must be Paths, got {type(paths).__name__}")
    if method not in ("simplified", "full", "sampled"):
        raise ValueError(f"method must be 'simplified', 'full' or 'sampled', got {method!r}")
    if value not in ("conversions", "rate"):
        raise ValueError(f"value must be 'conversions' or 'rate', got {value!r}")
    if method == "simplified" and value != "conversions":
        raise ValueError(
            "the simplified Shapley value splits conversions; for value='rate' use "
            "method='full' or 'sampled'"
        )
    players = len(paths.channels)
    if method == "full" and players > FULL_CHANNELS:
        raise AttributionError(
            f"method='full' visits all 2**n coalitions and takes at most {FULL_CHANNELS} "
            f"channels; these paths have {players}: use method='sampled' (or 'simplified')"
        )
    if method == "sampled":
        if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
            raise TypeError(f"samples must be an integer, got {samples!r}")
        if samples < 2:
            raise ValueError(f"samples must be at least 2 (for a standard error), got {samples}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"seed must be an integer or None, got {seed!r}")
    sets = _ChannelSets(paths)
    worth = sets.worth(value)
    totals = (paths.total_conversions, paths.total_value)
    if method == "simplified":
        columns = {
            name: np.bincount(
                sets.codes,
                weights=np.repeat(game / sets.lengths, sets.lengths),
                minlength=players,
            ).astype(np.float64)
            for name, game in zip(("conversions", "value"), worth, strict=True)
        }
        return ShapleyCredits(
            paths.channels, _scaled(columns, totals), method=method, value_function=value
        )
    if method == "full":
        masks = (
            np.add.reduceat(np.left_shift(1, sets.codes), sets.offsets[:-1])
            if sets.codes.size
            else sets.codes
        )
        columns = {
            name: _full(
                np.bincount(masks, weights=game, minlength=1 << players).astype(np.float64),
                players,
            )
            for name, game in zip(("conversions", "value"), worth, strict=True)
        }
        return ShapleyCredits(
            paths.channels, _scaled(columns, totals), method=method, value_function=value
        )
    rng = np.random.default_rng(seed)
    draws = _sampled(sets, worth, players, int(samples), rng)
    columns = {}
    for (name, contributions), game, total in zip(draws.items(), worth, totals, strict=True):
        grand = float(game.sum())  # every permutation shares out exactly v(N)
        scale = total / grand if grand > 0 else 0.0
        columns[name] = contributions.mean(axis=0) * scale
        columns[f"{name}_se"] = contributions.std(axis=0, ddof=1) / np.sqrt(samples) * scale
    return ShapleyCredits(
        paths.channels,
        columns,
        method=method,
        value_function=value,
        samples=int(samples),
        seed=None if seed is None else int(seed),
    )


class _ChannelSets:
    """The distinct channel sets of the journeys, each with its journeys' counts summed."""

    def __init__(self, paths: Paths) -> None:
        rows, players = len(paths), len(paths.channels)
        journey = np.repeat(np.arange(rows), paths.lengths)
        if rows * players <= _PRESENCE_CELLS:
            presence = np.zeros((rows, players), dtype=bool)
            presence[journey, paths.codes] = True
            row_of, code_of = np.nonzero(presence)
        else:
            pairs = np.unique(journey * players + paths.codes)
            row_of, code_of = pairs // players, pairs % players
        lengths = np.bincount(row_of, minlength=rows)
        group, first = group_sequences(code_of, lengths)
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        self.lengths = lengths[first]
        self.offsets = np.concatenate(([0], np.cumsum(self.lengths))).astype(np.int64)
        starts = offsets[first]
        within = np.arange(int(self.lengths.sum())) - np.repeat(self.offsets[:-1], self.lengths)
        self.codes = code_of[np.repeat(starts, self.lengths) + within].astype(np.int64)
        count = first.size
        self.conversions = _sums(group, paths.conversions, count)
        self.nulls = _sums(group, paths.nulls, count)
        self.value = _sums(group, paths.value, count)

    def worth(self, value: Worth) -> tuple[FloatArray, FloatArray]:
        """w(T) per set, for conversions and for value."""
        if value == "conversions":
            return self.conversions, self.value
        journeys = self.conversions + self.nulls
        safe = np.where(journeys > 0, journeys, 1.0)
        return (
            np.where(journeys > 0, self.conversions / safe, 0.0),
            np.where(journeys > 0, self.value / safe, 0.0),
        )


def _sums(group: Int64Array, weights: FloatArray, groups: int) -> FloatArray:
    sums: FloatArray = np.bincount(group, weights=weights, minlength=groups).astype(np.float64)
    return sums


def _scaled(
    columns: Mapping[str, FloatArray], totals: tuple[float, float]
) -> dict[str, FloatArray]:
    """Each column scaled to add up to its total (zero when it has no worth)."""
    scaled = {}
    for (name, column), total in zip(columns.items(), totals, strict=True):
        worth = float(column.sum())
        scaled[name] = column * (total / worth) if worth > 0 else np.zeros_like(column)
    return scaled


def _full(weights: FloatArray, players: int) -> FloatArray:
    """Exact Shapley values of v(S) = Σ_{T ⊆ S} w(T), over all coalitions (bitmasks)."""
    worth = weights.astype(np.float64).copy()
    for player in range(players):  # subset sums: v(S) from w, one player at a time
        view = worth.reshape(-1, 2, 1 << player)
        view[:, 1, :] += view[:, 0, :]
    masks = np.arange(1 << players)
    size = np.zeros(1 << players, dtype=np.int64)
    for player in range(players):
        size += (masks >> player) & 1
    # |S|! (n - |S| - 1)! / n! for coalitions S without the player (|S| < n).
    weight_of_size = np.array(
        [factorial(s) * factorial(players - s - 1) / factorial(players) for s in range(players)]
    )
    values = np.zeros(players, dtype=np.float64)
    for player in range(players):
        view = worth.reshape(-1, 2, 1 << player)
        without = size.reshape(-1, 2, 1 << player)[:, 0, :]
        values[player] = float(np.sum((view[:, 1, :] - view[:, 0, :]) * weight_of_size[without]))
    return values


def _sampled(
    sets: _ChannelSets,
    worth: tuple[FloatArray, FloatArray],
    players: int,
    samples: int,
    rng: np.random.Generator,
) -> dict[str, FloatArray]:
    """Each permutation's marginal contributions (samples * players), for both games.

    In a permutation a set T's worth w(T) is added when its last member arrives, so that
    member's marginal contribution gains w(T): one segment-maximum per set and permutation.
    """
    contributions = {
        "conversions": np.zeros((samples, players)),
        "value": np.zeros((samples, players)),
    }
    if not players or not sets.codes.size:
        return contributions
    starts = sets.offsets[:-1]
    batch = max(1, _BATCH_CELLS // max(sets.codes.size, players))
    for begin in range(0, samples, batch):
        size = min(batch, samples - begin)
        order = np.argsort(rng.random((size, players)), axis=1)
        rank = np.argsort(order, axis=1)
        last = np.maximum.reduceat(rank[:, sets.codes], starts, axis=1)
        winner = np.take_along_axis(order, last, axis=1)
        flat = (winner + (np.arange(size) * players)[:, None]).ravel()
        for name, game in zip(("conversions", "value"), worth, strict=True):
            gained = np.bincount(flat, weights=np.tile(game, size), minlength=size * players)
            contributions[name][begin : begin + size] = gained.reshape(size, players)
    return contributions

"""Rule-based (heuristic) attribution over paths: first, last, linear, position-based, decay.

Each model shares every journey's conversions and value over its touches with the shared
rule-based models of `alliance.attribution` (`first_click`, `last_click`, `linear`,
`position_based`, `time_decay`); a channel's credit is the sum over its touches.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from alliance.attribution._paths import ChannelCredits, Paths
from alliance.attribution._rules import (
    AttributionModel,
    Touches,
    first_click,
    last_click,
    linear,
    position_based,
    time_decay,
)

__all__ = ["HEURISTICS", "HeuristicCredits", "heuristics"]

FloatArray = npt.NDArray[np.float64]

#: Journeys credited at once: enough to amortise numpy's calls, few enough for the cache.
_BLOCK = 1 << 14

#: The heuristic models, in the order of their columns.
HEURISTICS = ("first_touch", "last_touch", "linear", "position_based", "time_decay")


class HeuristicCredits(ChannelCredits):
    """Credited conversions and value per channel under each heuristic model.

    Columns: ``channel``, then for each model ``<model>_conversions`` and ``<model>_value``,
    for the models in `models` (``first_touch``, ``last_touch``, ``linear``,
    ``position_based`` and, when it could run, ``time_decay``). Each model's conversions add
    up to the paths' total conversions, and its value to their total value.

    Attributes:
        models: The models computed, in column order.
        skipped: Models left out, each with the reason.
    """

    def __init__(
        self,
        channels: tuple[str, ...],
        columns: Mapping[str, FloatArray],
        models: tuple[str, ...],
        skipped: Mapping[str, str],
    ) -> None:
        super().__init__(channels, columns)
        self.models = models
        self.skipped = dict(skipped)

    def conversions(self, model: str) -> dict[str, float]:
        """One model's credited conversions as ``{channel: conversions}``."""
        return self.to_dict(f"{self._model(model)}_conversions")

    def value(self, model: str) -> dict[str, float]:
        """One model's credited value as ``{channel: value}``."""
        return self.to_dict(f"{self._model(model)}_value")

    def _model(self, model: str) -> str:
        if model in self.models:
            return model
        if model in self.skipped:
            raise KeyError(f"{model} was not computed: {self.skipped[model]}")
        raise KeyError(f"unknown model {model!r}; models: {self.models}")


def heuristics(
    paths: Paths,
    *,
    half_life: timedelta | None = None,
    first: float | Decimal | str = 0.4,
    last: float | Decimal | str = 0.4,
) -> HeuristicCredits:
    """Credit each channel under the classic rule-based models.

    Every journey's conversions (and value) are shared over its touches, then summed per
    channel:

    - ``first_touch``: all to the first touch; ``last_touch``: all to the last.
    - ``linear``: equal shares per touch; repeats count, so ``a > a > b`` gives ``a`` 2/3.
    - ``position_based``: ``first`` to the first touch, ``last`` to the last, the rest in
      equal parts to the touches between (40 / 20 / 40 by default); one touch gets all, two
      touches split ``first : last``.
    - ``time_decay``: a touch's weight halves with every ``half_life`` between it and the
      conversion. It needs the touches' ages, which only paths built with
      `Paths.from_touchpoints` (and not aggregated) carry, so it runs only when ``half_life``
      is given; without it the model is left out and `HeuristicCredits.skipped` says why.

    Args:
        paths: The journeys.
        half_life: The half-life of the time-decay model; ``None`` leaves it out.
        first: The first touch's share in the position-based model (0 to 1).
        last: The last touch's share in the position-based model (0 to 1).

    Returns:
        One row per channel of ``paths``.

    Raises:
        TypeError: ``paths`` is not `Paths`, or ``half_life`` is not a timedelta.
        ValueError: ``half_life`` is given but the paths carry no touch ages, or is not
            positive; ``first`` / ``last`` are outside 0 to 1 or add up to more than 1.

    Examples:
        >>> paths = Paths.from_strings(["a > a > b", "b > c"], conversions=[3, 1])
        >>> credits = heuristics(paths)
        >>> credits.conversions("linear")
        {'a': 2.0, 'b': 1.5, 'c': 0.5}
        >>> credits.conversions("last_touch"), credits.models[-1], "time_decay" in credits.skipped
        ({'a': 0.0, 'b': 3.0, 'c': 1.0}, 'position_based', True)
    """
    if not isinstance(paths, Paths):
        raise TypeError(f"paths must be Paths, got {type(paths).__name__}")
    models: dict[str, AttributionModel] = {
        "first_touch": first_click(),
        "last_touch": last_click(),
        "linear": linear(),
        "position_based": position_based(first, last),
    }
    skipped: dict[str, str] = {}
    if half_life is None:
        skipped["time_decay"] = (
            "no half_life given: pass a timedelta, with paths built by Paths.from_touchpoints"
            if paths.has_ages
            else "the paths carry no touch ages (build them with Paths.from_touchpoints, "
            "without aggregating) and no half_life was given"
        )
    else:
        decay = time_decay(half_life)
        if not paths.has_ages:
            raise ValueError(
                "time decay needs each touch's age, and these paths have none: build them with "
                "Paths.from_touchpoints (aggregate() and from_strings drop the ages)"
            )
        models["time_decay"] = decay
    channels = len(paths.channels)
    columns = {
        f"{name}_{column}": np.zeros(channels, dtype=np.float64)
        for name in models
        for column in ("conversions", "value")
    }
    offsets, lengths, ages = paths.offsets, paths.lengths, paths.ages
    # Journeys block by block, so each block's arrays stay in the processor's cache.
    for begin in range(0, len(paths), _BLOCK):
        end = min(len(paths), begin + _BLOCK)
        low, high = int(offsets[begin]), int(offsets[end])
        sizes = lengths[begin:end]
        touches = Touches.of_lengths(sizes, age=None if ages is None else ages[low:high])
        codes = paths.codes[low:high]
        per_touch = {
            "conversions": np.repeat(paths.conversions[begin:end], sizes),
            "value": np.repeat(paths.value[begin:end], sizes),
        }
        weighted = np.empty(high - low, dtype=np.float64)
        for name, model in models.items():
            shares = model.shares(touches)
            for column, amounts in per_touch.items():
                np.multiply(shares, amounts, out=weighted)
                columns[f"{name}_{column}"] += np.bincount(
                    codes, weights=weighted, minlength=channels
                )
    return HeuristicCredits(paths.channels, columns, tuple(models), skipped)

"""Division for metrics: a zero denominator gives NaN that says why, never an exception.

A scalar metric over nothing (a conversion rate with no clicks) returns `Undefined`: a float
NaN carrying its reason, so a notebook keeps going and the value explains itself. Vectorised
metrics return float arrays with NaN in the same places; their docstrings name the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Undefined", "ratio", "ratios"]

FloatArray = npt.NDArray[np.float64]


class Undefined(float):
    """NaN with the reason a metric has no value (its denominator is zero).

    It is a `float`: arithmetic with it gives NaN, ``math.isnan`` is true, and it formats as
    ``nan``; its ``reason`` and ``repr`` say why.

    Examples:
        >>> value = Undefined("no clicks")
        >>> value, value.reason, value == value
        (Undefined('no clicks'), 'no clicks', False)
    """

    __slots__ = ("reason",)
    reason: str

    def __new__(cls, reason: str) -> Undefined:
        """A NaN whose ``reason`` is ``reason``."""
        value = super().__new__(cls, "nan")
        value.reason = reason
        return value

    def __repr__(self) -> str:
        return f"Undefined({self.reason!r})"

    def __reduce__(self) -> tuple[type[Undefined], tuple[str]]:
        return Undefined, (self.reason,)


def ratio(numerator: Any, denominator: Any, reason: str) -> float:
    """``numerator / denominator`` as a float, or `Undefined(reason)` when the denominator is 0.

    Numbers may be ints, floats or Decimals (converted exactly as far as a float can).

    Examples:
        >>> ratio(3, 4, "no clicks"), ratio(3, 0, "no clicks")
        (0.75, Undefined('no clicks'))
    """
    if denominator == 0:
        return Undefined(reason)
    return float(numerator) / float(denominator)


def ratios(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """Element-wise ``numerator / denominator`` as float64, NaN where the denominator is 0.

    Examples:
        >>> ratios([1, 2, 3], [2, 0, 3]).tolist()
        [0.5, nan, 1.0]
    """
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)
    top, bottom = np.broadcast_arrays(top, bottom)
    out = np.full(top.shape, np.nan)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out

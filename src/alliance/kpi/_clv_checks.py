"""Checks shared by the customer-value code: units, parameters, horizons, customers' RFM.

scipy (the ``stats`` extra) is imported by the functions that need it, never by these
modules, so ``import alliance.kpi`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance._frames import optional_import
from alliance.errors import DataError, Problem

__all__ = [
    "UNITS",
    "Unit",
    "check_horizon",
    "check_parameter",
    "check_unit",
    "check_weights",
    "checked_rfm",
    "hyp2f1",
    "scipy_optimize",
    "scipy_special",
]

FloatArray = npt.NDArray[np.float64]
Unit = Literal["days", "weeks"]
UNITS: tuple[Unit, ...] = ("days", "weeks")
_PURPOSE = "customer-value models (BG/NBD, Pareto/NBD, Gamma-Gamma)"


def scipy_special() -> ModuleType:
    """`scipy.special`, or `MissingDependency` with the install command."""
    return optional_import("scipy.special", _PURPOSE)


def scipy_optimize() -> ModuleType:
    """`scipy.optimize`, or `MissingDependency` with the install command."""
    return optional_import("scipy.optimize", _PURPOSE)


def hyp2f1(a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, elementwise.

    scipy's `hyp2f1` gives NaN for some large ``c`` with ``z`` near 1 (a heavy buyer over a
    long horizon); there the power series, which then converges quickly, is summed directly.
    """
    special = scipy_special()
    value = np.array(special.hyp2f1(a, b, c, z), dtype=np.float64)
    failed = ~np.isfinite(value)
    if failed.any():
        shape = value.shape
        a_, b_, c_, z_ = (
            np.broadcast_to(np.asarray(v, dtype=np.float64), shape)[failed] for v in (a, b, c, z)
        )
        value[failed] = _hyp2f1_series(a_, b_, c_, z_)
    return value


def _hyp2f1_series(
    a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray, limit: int = 100_000
) -> FloatArray:
    """Sum of the 2F1 power series until the terms stop counting (NaN if they never do)."""
    total = np.ones_like(z)
    term = np.ones_like(z)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(limit):
            term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            total = total + term
            if not bool((np.abs(term) > 1e-17 * np.abs(total)).any()):
                return total
    return np.where(np.abs(term) > 1e-17 * np.abs(total), np.nan, total)


def check_unit(unit: Any, *, allow_none: bool = False) -> Unit | None:
    """``"days"`` or ``"weeks"`` (or ``None`` when allowed), else `ValueError`."""
    if unit is None and allow_none:
        return None
    if unit not in UNITS:
        raise ValueError(f"unit must be 'days' or 'weeks', got {unit!r}")
    chosen: Unit = unit
    return chosen


def check_parameter(name: str, value: Any) -> float:
    """A model parameter as a float: a real number, finite and strictly positive."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return number


def check_horizon(t: npt.ArrayLike, name: str = "t") -> FloatArray:
    """A horizon (time after the observation end): finite and not negative."""
    horizon = _float_array(t, name)
    bad = ~np.isfinite(horizon) | (horizon < 0)
    if bad.any():
        first = horizon.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise ValueError(f"{name} must be finite and not negative, got {float(first)!r}")
    return horizon


def _float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values)
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def checked_rfm(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Frequency, recency and age as float arrays of one shape, every customer checked.

    A customer's row is refused when its frequency is negative or not a whole number, when a
    value is not finite or negative, when recency exceeds T, or when a customer without
    repeat purchases (frequency 0) has a recency other than 0.

    Raises:
        TypeError: An argument does not hold numbers.
        ValueError: The arrays do not broadcast to one shape.
        DataError: Some customers' values are impossible; every one is listed.
    """
    x = _float_array(frequency, "frequency")
    tx = _float_array(recency, "recency")
    age = _float_array(T, "T")
    try:
        x, tx, age = np.broadcast_arrays(x, tx, age)
    except ValueError:
        raise ValueError(
            f"frequency, recency and T must have one shape, got {x.shape}, {tx.shape} and "
            f"{age.shape}"
        ) from None
    flat_x, flat_tx, flat_age = x.reshape(-1), tx.reshape(-1), age.reshape(-1)
    with np.errstate(invalid="ignore"):
        rules: Sequence[tuple[str, npt.NDArray[np.bool_], FloatArray, str]] = (
            ("frequency", ~np.isfinite(flat_x), flat_x, "frequency must be finite"),
            ("recency", ~np.isfinite(flat_tx), flat_tx, "recency must be finite"),
            ("T", ~np.isfinite(flat_age), flat_age, "T must be finite"),
            ("frequency", flat_x < 0, flat_x, "frequency (repeat purchases) cannot be negative"),
            (
                "frequency",
                np.isfinite(flat_x) & (flat_x != np.floor(flat_x)),
                flat_x,
                "frequency counts repeat purchases and must be a whole number",
            ),
            ("recency", flat_tx < 0, flat_tx, "recency cannot be negative"),
            ("T", flat_age < 0, flat_age, "T cannot be negative"),
            (
                "recency",
                flat_tx > flat_age,
                flat_tx,
                "recency (age at the last purchase) cannot exceed T (age at the end)",
            ),
            (
                "recency",
                (flat_x == 0) & (flat_tx != 0),
                flat_tx,
                "a customer with frequency 0 has no repeat purchase, so recency must be 0",
            ),
        )
        bad = np.zeros(flat_x.size, dtype=bool)
        for _, mask, _, _ in rules:
            bad |= mask
    if bad.any():
        problems = []
        for column, mask, values, reason in rules:
            for row in np.flatnonzero(mask).tolist():
                problems.append(Problem(row, column, float(values[row]), reason))
        problems.sort(key=lambda p: p.row)
        raise DataError("customers", problems)
    return x, tx, age


def check_weights(weights: npt.ArrayLike | None, size: int) -> FloatArray:
    """Customer weights (how many customers share a row): finite, not negative, not all 0."""
    if weights is None:
        return np.ones(size, dtype=np.float64)
    array = _float_array(weights, "weights").reshape(-1)
    if array.size != size:
        raise ValueError(f"weights must have one value per customer ({size}), got {array.size}")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"weights must be finite and not negative; row {row} has {float(array[row])!r}"
        )
    return array

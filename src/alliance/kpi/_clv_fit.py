"""Maximum likelihood for the customer-value models, and what the fitted models share.

Every model is fitted the same way: the mean negative log-likelihood over the customers is
minimised over the logarithms of the parameters (which keeps them positive without
constraints) with L-BFGS-B, and the standard errors come from the curvature of the
log-likelihood at the optimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from alliance.kpi._clv_checks import (
    Unit,
    check_horizon,
    check_parameter,
    check_unit,
    check_weights,
    checked_rfm,
    scipy_optimize,
)
from alliance.kpi._rfm import RFMSummary

__all__ = ["FitInfo", "Model", "Observations", "maximise", "observations_of"]

FloatArray = npt.NDArray[np.float64]

#: Log-parameters are kept within ±LOG_BOUND (e^25 ≈ 7e10): a parameter that runs there is
#: not identified by the data, and the fit says so instead of overflowing.
LOG_BOUND = 25.0


@dataclass(frozen=True)
class FitInfo:
    """How a maximum-likelihood fit went.

    Attributes:
        log_likelihood: The log-likelihood at the estimate, summed over the customers.
        customers: How many customers the fit used (the sum of the weights).
        converged: Whether the optimiser met its tolerance at a proper maximum (every
            parameter inside its bounds, the curvature positive definite); when false,
            `message` says why and the estimate should not be trusted.
        iterations: Optimiser iterations.
        evaluations: Log-likelihood evaluations.
        message: The optimiser's own words, or why the fit is not trusted.
        standard_errors: Per parameter, the asymptotic standard error from the observed
            information (the inverse Hessian of the log-likelihood); NaN when the Hessian is
            not positive definite.
    """

    log_likelihood: float
    customers: float
    converged: bool
    iterations: int
    evaluations: int
    message: str
    standard_errors: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "standard_errors", MappingProxyType(dict(self.standard_errors)))

    def __reduce__(self) -> tuple[Any, ...]:
        return FitInfo, (
            self.log_likelihood,
            self.customers,
            self.converged,
            self.iterations,
            self.evaluations,
            self.message,
            dict(self.standard_errors),
        )


class Model:
    """What the models share: checked parameters, `params`, and a repr that shows the fit.

    Subclasses are frozen dataclasses whose parameter fields are named in `names`, with a
    ``fit_info`` field; their ``__post_init__`` calls `_check_parameters`.
    """

    names: ClassVar[tuple[str, ...]]
    fit_info: FitInfo | None

    def _check_parameters(self) -> None:
        for name in self.names:
            object.__setattr__(self, name, check_parameter(name, getattr(self, name)))
        if self.fit_info is not None and not isinstance(self.fit_info, FitInfo):
            raise TypeError(f"fit_info must be FitInfo, got {type(self.fit_info).__name__}")

    @property
    def params(self) -> dict[str, float]:
        """The parameters by name."""
        return {name: getattr(self, name) for name in self.names}

    def _described(self) -> str:
        """What the repr adds after the parameters (a unit, a currency)."""
        return ""

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name):.4g}" for name in self.names)
        fitted = ""
        if self.fit_info is not None:
            state = "converged" if self.fit_info.converged else "NOT converged"
            fitted = (
                f"; fitted to {self.fit_info.customers:,.0f} customers, "
                f"log-likelihood {self.fit_info.log_likelihood:,.2f}, {state}"
            )
        return f"{type(self).__name__}({shown}{self._described()}{fitted})"


class PurchaseModel(Model):
    """A model of how often customers buy (BG/NBD, Pareto/NBD): parameters and a time unit.

    Subclasses are frozen dataclasses with a ``unit`` field (``"days"``, ``"weeks"`` or None).
    """

    unit: Unit | None

    def __post_init__(self) -> None:
        self._check_parameters()
        object.__setattr__(self, "unit", check_unit(self.unit, allow_none=True))

    def _described(self) -> str:
        return f", unit={self.unit!r}" if self.unit else ""

    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) (each model states its formula)."""
        raise NotImplementedError  # pragma: no cover - every model overrides it

    def _purchases_if_alive(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover - every model overrides it

    def _conditional_purchases(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: purchases expected if alive, times P(alive); arrays broadcast."""
        horizon = check_horizon(t)
        x, tx, age = checked_rfm(frequency, recency, T)
        horizon, x, tx, age = np.broadcast_arrays(horizon, x, tx, age)
        return self._purchases_if_alive(horizon, x, age) * self.p_alive(x, tx, age)


def observations_of(rfm: Any, weights: npt.ArrayLike | None) -> Observations:
    """The customers of an RFM summary as a likelihood reads them (see `Observations`).

    Raises:
        TypeError: ``rfm`` is not an `RFMSummary`.
        ValueError: No customers, or bad weights.
    """
    if not isinstance(rfm, RFMSummary):
        raise TypeError(
            "rfm must be an RFMSummary (rfm_summary or RFMSummary.from_arrays), got "
            f"{type(rfm).__name__}"
        )
    if len(rfm) == 0:
        raise ValueError("cannot fit a model to no customers")
    frequency = rfm["frequency"].astype(np.float64)
    weight = check_weights(weights, frequency.size)
    if weight.sum() <= 0:
        raise ValueError("weights must not all be 0")
    return Observations.build(frequency, rfm["recency"], rfm["T"], weight)


@dataclass(frozen=True)
class Observations:
    """Customers as the likelihoods read them: distinct rows with weights, grouped by x.

    Customers that share (frequency, recency, T) are one row whose weight is their count, so
    a likelihood over a million customers observed in whole days costs as much as one over
    their few thousand distinct patterns. ``x_values`` are the distinct frequencies and
    ``x_index`` maps each row to one, so terms that depend on the frequency alone (the
    gamma functions) are computed once per distinct frequency.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    weight: FloatArray
    x_values: FloatArray
    x_index: npt.NDArray[np.intp]
    x_weight: FloatArray

    @property
    def total_weight(self) -> float:
        """How many customers the rows stand for."""
        return float(self.weight.sum())

    @classmethod
    def build(
        cls,
        frequency: FloatArray,
        recency: FloatArray,
        T: FloatArray,
        weights: FloatArray,
    ) -> Observations:
        """Merge identical customers and index the distinct frequencies.

        Rows of weight 0 are dropped.
        """
        keep = weights > 0
        if not keep.all():
            frequency, recency, T, weights = (
                frequency[keep],
                recency[keep],
                T[keep],
                weights[keep],
            )
        x_codes, x_values = _codes(frequency)
        merged = _merge(x_codes, x_values.size, recency, T, weights)
        if merged is not None:
            x_codes, recency, T, weights = merged
            frequency = x_values[x_codes]
        x_weight = np.bincount(x_codes, weights=weights, minlength=x_values.size).astype(np.float64)
        return cls(frequency, recency, T, weights, x_values, x_codes, x_weight)


def _codes(values: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Dense codes of the values and the sorted distinct values they index."""
    if values.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    if high - low <= 4 * values.size + 1024 and bool((values == np.floor(values)).all()):
        # Whole numbers in a short range (frequencies, ages in days): no sort needed.
        offsets = (values - low).astype(np.intp)
        present = np.zeros(int(high - low) + 1, dtype=bool)
        present[offsets] = True
        codes = (np.cumsum(present) - 1)[offsets]
        distinct_values = (np.flatnonzero(present) + low).astype(np.float64)
        return codes.astype(np.intp, copy=False), distinct_values
    distinct, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp, copy=False), distinct


def _merge(
    x_codes: npt.NDArray[np.intp],
    x_count: int,
    recency: FloatArray,
    T: FloatArray,
    weights: FloatArray,
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray] | None:
    """Identical (frequency, recency, T) rows merged, or ``None`` when too few repeat."""
    size = recency.size
    if size < 1000:
        return None
    t_codes, t_values = _codes(T)
    if t_values.size > size // 4:  # ages in continuous time: nothing to merge
        return None
    r_codes, r_values = _codes(recency)
    if r_values.size > size // 4 or x_count * r_values.size * t_values.size >= 2**62:
        return None
    key = (x_codes.astype(np.int64) * r_values.size + r_codes) * t_values.size + t_codes
    distinct, inverse = np.unique(key, return_inverse=True)
    if distinct.size > size // 2:
        return None
    merged_weights = np.bincount(
        inverse.reshape(-1), weights=weights, minlength=distinct.size
    ).astype(np.float64)
    t_part = distinct % t_values.size
    rest = distinct // t_values.size
    return (
        (rest // r_values.size).astype(np.intp),
        np.asarray(r_values[rest % r_values.size], dtype=np.float64),
        np.asarray(t_values[t_part], dtype=np.float64),
        merged_weights,
    )


#: A negative mean log-likelihood of log-parameters, with its gradient or without one.
Objective = Callable[[FloatArray], float]
ObjectiveWithGradient = Callable[[FloatArray], tuple[float, FloatArray]]


def maximise(
    names: Sequence[str],
    start: FloatArray,
    total_weight: float,
    *,
    objective: Objective | None = None,
    with_gradient: ObjectiveWithGradient | None = None,
) -> tuple[FloatArray, FitInfo]:
    """Maximum likelihood over log-parameters with L-BFGS-B; the estimate and how it went.

    Args:
        names: Parameter names, in the order of ``start``.
        start: Initial log-parameters.
        total_weight: How many customers the mean is over (to report the summed
            log-likelihood and to scale the curvature for the standard errors).
        objective: The mean negative log-likelihood (gradient by finite differences).
        with_gradient: The mean negative log-likelihood and its exact gradient.

    Returns:
        The estimated parameters (not their logarithms) and the `FitInfo`.
    """
    optimize = scipy_optimize()
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    with np.errstate(all="ignore"):
        if with_gradient is not None:
            gradient_fn = with_gradient
            result = optimize.minimize(
                _finite_pair(gradient_fn),
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-8},
            )
        elif objective is not None:
            value_fn = objective
            result = optimize.minimize(
                _finite(value_fn),
                start,
                jac="3-point",
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-7},
            )
        else:  # pragma: no cover - a programming error
            raise TypeError("maximise needs an objective")
    estimate = np.asarray(result.x, dtype=np.float64)
    converged, message = bool(result.success), str(result.message)
    pinned = [
        n for n, v in zip(names, estimate.tolist(), strict=True) if abs(v) >= LOG_BOUND - 1e-6
    ]
    if pinned:
        converged = False
        message = (
            f"{', '.join(pinned)} ran to the bound e^±{LOG_BOUND:g}: the data do not identify "
            f"{'it' if len(pinned) == 1 else 'them'} (optimiser: {message})"
        )
    hessian = _hessian(estimate, objective, with_gradient) * total_weight
    errors = _standard_errors(hessian, np.exp(estimate))
    if converged and bool(np.isnan(errors).any()):
        converged = False
        message = (
            "the log-likelihood is flat at the estimate (its curvature is not positive "
            f"definite): the data do not identify the parameters (optimiser: {message})"
        )
    info = FitInfo(
        log_likelihood=-float(result.fun) * total_weight,
        customers=total_weight,
        converged=converged,
        iterations=int(result.nit),
        evaluations=int(result.nfev),
        message=message,
        standard_errors=dict(zip(names, errors.tolist(), strict=True)),
    )
    return np.exp(estimate), info


def _finite(fn: Objective) -> Objective:
    """``fn``, with a non-finite value (an overflowing trial step) made a large finite one."""

    def wrapped(point: FloatArray) -> float:
        value = fn(point)
        return value if math.isfinite(value) else 1e300

    return wrapped


def _finite_pair(fn: ObjectiveWithGradient) -> ObjectiveWithGradient:
    def wrapped(point: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = fn(point)
        if math.isfinite(value) and bool(np.isfinite(gradient).all()):
            return value, gradient
        return 1e300, np.zeros_like(point)

    return wrapped


def _hessian(
    point: FloatArray,
    objective: Objective | None,
    with_gradient: ObjectiveWithGradient | None,
) -> FloatArray:
    """Curvature of the mean negative log-likelihood at ``point``, by central differences."""
    size = point.size
    hessian = np.empty((size, size), dtype=np.float64)
    with np.errstate(all="ignore"):
        if with_gradient is not None:
            step = 1e-5
            for j in range(size):
                shift = np.zeros(size)
                shift[j] = step
                hessian[:, j] = (
                    with_gradient(point + shift)[1] - with_gradient(point - shift)[1]
                ) / (2 * step)
        elif objective is not None:
            step = 1e-4
            centre = objective(point)
            unit = np.eye(size) * step
            for i in range(size):
                up, down = objective(point + unit[i]), objective(point - unit[i])
                hessian[i, i] = (up - 2 * centre + down) / step**2
                for j in range(i):
                    hessian[i, j] = (
                        objective(point + unit[i] + unit[j])
                        - objective(point + unit[i] - unit[j])
                        - objective(point - unit[i] + unit[j])
                        + objective(point - unit[i] - unit[j])
                    ) / (4 * step**2)
                    hessian[j, i] = hessian[i, j]
    return (hessian + hessian.T) / 2


def _standard_errors(hessian: FloatArray, parameters: FloatArray) -> FloatArray:
    """Standard errors of the parameters from the Hessian over their logarithms (delta rule)."""
    if not bool(np.isfinite(hessian).all()):
        return np.full(parameters.size, np.nan)
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return np.full(parameters.size, np.nan)
    covariance = np.linalg.inv(hessian)
    return np.sqrt(np.diag(covariance)) * parameters

"""Robust statistics for comparing partners with their peers: float maths, never money.

Everything here is plain numpy over whole arrays and works on rates, shares, counts and
scores; money never comes through these functions.

- `robust_z`: how far values lie from the peers' median, in robust standard deviations.
- `beta_binomial_prior` and `shrunk_rate`: empirical-Bayes rates, so that a partner with 3
  clicks and 1 order does not look like a 33% converter.
- `cusum` and `ewma`: control charts on many series at once (one row per series), to tell a
  sustained rise of a daily rate from noise.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "beta_binomial_prior",
    "cusum",
    "ewma",
    "robust_scale",
    "robust_z",
    "shrunk_rate",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

#: MAD x 1.4826 estimates the standard deviation of a normal sample (1 / Phi^-1(3/4)).
MAD_TO_SD = 1.4826
#: Mean absolute deviation x 1.2533 estimates the standard deviation of a normal sample
#: (sqrt(pi/2)).
MEAN_AD_TO_SD = 1.2533
#: Smallest prior strength alpha + beta the method of moments may return (keeps both > 0).
MIN_STRENGTH = 1e-3


def _floats(values: npt.ArrayLike) -> FloatArray:
    array: FloatArray = np.asarray(values, dtype=np.float64)
    return array


def robust_scale(reference: npt.ArrayLike, *, center: float | None = None) -> float:
    """The robust standard deviation of some values around a centre.

    ``1.4826 x MAD`` where ``MAD = median(|x - center|)``; when the MAD is 0 (more than half
    the values sit on the centre), ``1.2533 x mean(|x - center|)``; 0 when every value is the
    centre. NaNs are ignored.

    Args:
        reference: The values (any shape).
        center: The centre; their median when not given.

    Returns:
        The scale (NaN without any value).

    Examples:
        >>> robust_scale([1.0, 2.0, 3.0, 4.0, 100.0])  # median 3, MAD 1
        1.4826
        >>> round(robust_scale([0.0, 0.0, 0.0, 5.0]), 6)  # MAD 0: 1.2533 x mean |x - 0| = 1.25
        1.566625
    """
    values = _floats(reference).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan
    middle = float(np.median(values)) if center is None else float(center)
    deviation = np.abs(values - middle)
    mad = float(np.median(deviation))
    if mad > 0:
        return MAD_TO_SD * mad
    return MEAN_AD_TO_SD * float(deviation.mean())


def robust_z(
    values: npt.ArrayLike,
    *,
    center: float | None = None,
    reference: npt.ArrayLike | None = None,
) -> FloatArray:
    """Robust z-scores: ``z = (x - center) / robust_scale(reference, center=center)``.

    The centre is the median of the reference values (the peers; ``values`` themselves when
    not given) and the scale `robust_scale`: ``1.4826 x MAD``, else ``1.2533 x mean absolute
    deviation`` when the MAD is 0. When both are 0 (every peer equals the centre) a value equal
    to the centre scores 0 and any other ``+inf`` or ``-inf``: against peers that never vary,
    any difference is infinitely unusual. The scores do not change when every value and peer
    is shifted or multiplied by a positive number.

    Args:
        values: The values to score (any shape); NaN scores NaN.
        center: The centre to measure from; the reference's median when not given.
        reference: The peer values (NaNs ignored); ``values`` when not given.

    Returns:
        The z-scores, shaped like ``values``; all NaN when there is no reference value.

    Examples:
        >>> robust_z([1.0, 2.0, 3.0, 4.0, 100.0]).round(3).tolist()
        [-1.349, -0.674, 0.0, 0.674, 65.426]
        >>> robust_z([5.0, 7.0, 9.0], reference=[7.0, 7.0, 7.0]).tolist()
        [-inf, 0.0, inf]
    """
    x = _floats(values)
    peers = x if reference is None else _floats(reference)
    present = peers[~np.isnan(peers)]
    if present.size == 0:
        return np.full(x.shape, np.nan)
    middle = float(np.median(present)) if center is None else float(center)
    scale = robust_scale(present, center=middle)
    deviation = x - middle
    if scale > 0:
        z: FloatArray = deviation / scale
        return z
    signed: FloatArray = np.where(deviation > 0, np.inf, np.where(deviation < 0, -np.inf, 0.0))
    signed[np.isnan(deviation)] = np.nan
    return signed


def beta_binomial_prior(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    fallback_strength: float = 2.0,
) -> tuple[float, float]:
    """A beta prior ``Beta(alpha, beta)`` for the rates of many groups, by the method of moments.

    Groups with no trial are left out. With ``N = sum n_i`` trials in ``k`` groups, pooled rate
    ``p = sum s_i / N`` and weighted spread ``S = sum n_i (s_i/n_i - p)^2``, a beta-binomial with
    intra-class correlation ``rho = 1 / (alpha + beta + 1)`` has
    ``E[S] = p(1 - p) [(k - 1) + rho sum (n_i - 1)(1 - n_i/N)]`` (Kleinman's weighted moments), so::

        rho = (S / (p(1 - p)) - (k - 1)) / sum (n_i - 1)(1 - n_i/N)
        m = alpha + beta = max(1/rho - 1, 0.001),  alpha = p m,  beta = (1 - p) m

    When the spread is no larger than binomial noise (``rho <= 0``), or cannot be measured
    (fewer than two groups, a pooled rate of 0 or 1, only one trial per group), the groups
    look alike and a weak prior of strength ``fallback_strength`` is used at the pooled rate
    ``p~ = (sum s_i + 1/2) / (N + 1)``, nudged by half a success so that alpha and beta stay
    positive: ``alpha = p~ fallback_strength``, ``beta = (1 - p~) fallback_strength``.

    Args:
        successes: Successes per group (orders, reversed orders), ``0 <= s_i <= n_i``.
        trials: Trials per group (clicks, orders), ``n_i >= 0``.
        fallback_strength: ``alpha + beta`` of the fallback prior (> 0).

    Returns:
        ``(alpha, beta)``, both positive.

    Raises:
        ValueError: Shapes differ, counts are negative or successes exceed trials.

    Examples:
        >>> alpha, beta = beta_binomial_prior([0, 10, 20], [100, 100, 100])
        >>> round(alpha, 6), round(beta, 6)  # 80/91 and 720/91
        (0.879121, 7.912088)
        >>> [round(v, 6) for v in beta_binomial_prior([10, 10], [100, 100])]  # 2 x 20.5/201
        [0.20398, 1.79602]
    """
    s = _floats(successes).ravel()
    n = _floats(trials).ravel()
    if s.shape != n.shape:
        raise ValueError(f"successes ({s.size}) and trials ({n.size}) differ in length")
    if np.any(n < 0) or np.any(s < 0):
        raise ValueError("successes and trials must not be negative")
    if np.any(s > n):
        raise ValueError("successes must not exceed trials")
    if not fallback_strength > 0:
        raise ValueError(f"fallback_strength must be > 0, got {fallback_strength!r}")
    used = n > 0
    s, n = s[used], n[used]
    total = float(n.sum())
    pooled_successes = float(s.sum())
    groups = int(n.size)
    if groups >= 2:
        pooled = pooled_successes / total
        noise = pooled * (1.0 - pooled)
        spread = float((n * (s / n - pooled) ** 2).sum())
        weight = float(((n - 1.0) * (1.0 - n / total)).sum())
        if noise > 0 and weight > 0:
            rho = (spread / noise - (groups - 1)) / weight
            if rho > 0:
                strength = max(1.0 / rho - 1.0, MIN_STRENGTH)
                return pooled * strength, (1.0 - pooled) * strength
    smoothed = (pooled_successes + 0.5) / (total + 1.0)
    return smoothed * fallback_strength, (1.0 - smoothed) * fallback_strength


def shrunk_rate(
    successes: npt.ArrayLike, trials: npt.ArrayLike, alpha: float, beta: float
) -> FloatArray:
    """The posterior mean rate of each group: ``(s + alpha) / (n + alpha + beta)``.

    It lies between the raw rate ``s / n`` and the prior mean ``alpha / (alpha + beta)``, nearer the
    raw rate the more trials there are.

    Args:
        successes: Successes per group.
        trials: Trials per group.
        alpha: The prior's alpha (> 0).
        beta: The prior's beta (> 0).

    Returns:
        The shrunk rates.

    Examples:
        >>> shrunk_rate([0, 1], [0, 3], 1.0, 9.0).tolist()  # 1/10 and 2/13
        [0.1, 0.15384615384615385]
    """
    rate: FloatArray = (_floats(successes) + alpha) / (_floats(trials) + alpha + beta)
    return rate


def _chart_inputs(
    series: npt.ArrayLike, target: npt.ArrayLike, sigma: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _floats(series)
    if x.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D or 2-D (rows = series), got {x.ndim} dimensions")
    mean = np.broadcast_to(_floats(target), x.shape)
    scale = np.broadcast_to(_floats(sigma), x.shape)
    if np.any(scale <= 0):
        raise ValueError("sigma must be > 0")
    return x, mean, scale


def _first_alarm(alarm: npt.NDArray[np.bool_]) -> IntArray:
    first: IntArray = np.where(alarm.any(axis=-1), alarm.argmax(axis=-1), -1).astype(np.int64)
    return first


def cusum(
    series: npt.ArrayLike,
    *,
    target: npt.ArrayLike,
    sigma: npt.ArrayLike,
    k: float = 0.5,
    h: float = 5.0,
) -> tuple[FloatArray, IntArray]:
    """One-sided upper CUSUM of one series or many (rows), in units of sigma.

    ``S_0 = 0``, ``S_t = max(0, S_(t-1) + (x_t - target) / sigma - k)``; the chart alarms at
    the first ``t`` with ``S_t > h``. ``k`` is half the shift to detect (0.5: one sigma), ``h`` the
    decision interval (4-5 in practice). A NaN ``x_t`` (no data that day) leaves ``S`` as it was.

    Args:
        series: Values, 1-D (one series) or 2-D (one row per series, time along the row).
        target: The in-control mean: a number, or an array broadcastable to ``series``
            (per series: shape ``(rows, 1)``; per step: the shape of ``series``).
        sigma: The standard deviation of each value (> 0), broadcast like ``target``.
        k: The allowance, in sigmas (>= 0).
        h: The decision interval, in sigmas (> 0).

    Returns:
        ``(statistic, alarm_index)``: ``S_t`` shaped like ``series``, and per series the first
        index where ``S_t > h`` (-1 if never; a 0-d array for a 1-D series).

    Raises:
        ValueError: Bad shapes or a non-positive sigma, k < 0 or h <= 0.

    Examples:
        >>> statistic, alarm = cusum([1.0, 4.0, 4.0, 0.0], target=1.0, sigma=1.0, k=0.5, h=5.0)
        >>> statistic.tolist(), int(alarm)  # 0, 2.5, 5.0, 3.5: 5.0 is not above 5
        ([0.0, 2.5, 5.0, 3.5], -1)
    """
    if not k >= 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    if not h > 0:
        raise ValueError(f"h must be > 0, got {h!r}")
    x, mean, scale = _chart_inputs(series, target, sigma)
    step = (x - mean) / scale - k
    step[np.isnan(step)] = 0.0
    statistic = np.empty_like(step)
    running = np.zeros(x.shape[:-1])
    for t in range(x.shape[-1]):
        running = np.maximum(0.0, running + step[..., t])
        statistic[..., t] = running
    return statistic, _first_alarm(statistic > h)


def ewma(
    series: npt.ArrayLike,
    *,
    target: npt.ArrayLike,
    sigma: npt.ArrayLike,
    lam: float = 0.2,
    L: float = 3.0,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """EWMA chart of one series or many (rows), with its exact upper control limit.

    ``z_0 = target``, ``z_t = lambda x_t + (1 - lambda) z_(t-1)``; its variance is
    ``V_t = (1 - lambda)^2 V_(t-1) + lambda^2 sigma_t^2`` (``V_0 = 0``), which for a constant
    sigma is ``sigma^2 lambda/(2 - lambda) (1 - (1 - lambda)^(2t))``, so the upper limit at
    step ``t = 1, 2, ...`` is the exact time-varying limit::

        target + L sigma sqrt(lambda/(2 - lambda) (1 - (1 - lambda)^(2t)))

    The chart alarms at the first ``t`` with ``z_t`` above the limit. A NaN ``x_t`` leaves
    ``z_t`` and ``V_t`` as they were.

    Args:
        series: Values, 1-D (one series) or 2-D (one row per series, time along the row).
        target: The in-control mean, broadcastable to ``series`` (per series ``(rows, 1)``).
        sigma: The standard deviation of each value (> 0), broadcast like ``target``.
        lam: The smoothing weight lambda, in (0, 1].
        L: The width of the limit in standard deviations of ``z_t`` (> 0).

    Returns:
        ``(statistic, limit, alarm_index)``: ``z_t`` and the upper limit, shaped like
        ``series``, and per series the first index above the limit (-1 if never).

    Raises:
        ValueError: Bad shapes or a non-positive sigma, lambda outside (0, 1] or L <= 0.

    Examples:
        >>> statistic, limit, alarm = ewma([0.0, 5.0], target=0.0, sigma=1.0, lam=0.5, L=3.0)
        >>> # limits 3 sqrt(1/3 (1 - 1/4)) = 1.5 and 3 sqrt(1/3 (1 - 1/16)) = 1.6771
        >>> statistic.tolist(), limit.round(4).tolist(), int(alarm)
        ([0.0, 2.5], [1.5, 1.6771], 1)
    """
    if not 0 < lam <= 1:
        raise ValueError(f"lam must be in (0, 1], got {lam!r}")
    if not L > 0:
        raise ValueError(f"L must be > 0, got {L!r}")
    x, mean, scale = _chart_inputs(series, target, sigma)
    statistic = np.empty_like(x)
    variance = np.empty_like(x)
    level = mean[..., 0].copy() if x.shape[-1] else np.zeros(x.shape[:-1])
    spread = np.zeros(x.shape[:-1])
    keep = 1.0 - lam
    for t in range(x.shape[-1]):
        value = x[..., t]
        seen = ~np.isnan(value)
        level = np.where(seen, lam * value + keep * level, level)
        spread = np.where(seen, keep * keep * spread + lam * lam * scale[..., t] ** 2, spread)
        statistic[..., t] = level
        variance[..., t] = spread
    limit: FloatArray = mean + L * np.sqrt(variance)
    return statistic, limit, _first_alarm(statistic > limit)

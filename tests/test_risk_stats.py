"""Robust z, beta-binomial shrinkage, CUSUM and EWMA: hand-computed numbers and properties."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.risk._stats import (
    beta_binomial_prior,
    cusum,
    ewma,
    robust_scale,
    robust_z,
    shrunk_rate,
)

# -- robust z ---------------------------------------------------------------------------------


def test_robust_z_median_and_mad() -> None:
    # median 3; |x - 3| = 2, 1, 0, 1, 97 -> MAD 1; scale 1.4826 x 1 = 1.4826
    z = robust_z([1.0, 2.0, 3.0, 4.0, 100.0])
    expected = [-2 / 1.4826, -1 / 1.4826, 0.0, 1 / 1.4826, 97 / 1.4826]
    assert z.tolist() == pytest.approx(expected, rel=1e-12)


def test_robust_z_against_peers_and_a_given_center() -> None:
    peers = [10.0, 12.0, 14.0, 16.0, 18.0]
    # median 14; |x - 14| = 4, 2, 0, 2, 4 -> MAD 2; scale 2.9652
    assert robust_z([14.0, 20.0], reference=peers).tolist() == pytest.approx(
        [0.0, 6 / 2.9652], rel=1e-12
    )
    # around 10: |x - 10| = 0, 2, 4, 6, 8 -> MAD 4; scale 5.9304; (20 - 10) / 5.9304
    assert robust_z([20.0], reference=peers, center=10.0).tolist() == pytest.approx(
        [10 / 5.9304], rel=1e-12
    )


def test_robust_z_falls_back_to_mean_absolute_deviation() -> None:
    # median 0, MAD median(0, 0, 0, 5) = 0; mean |x| = 5/4 = 1.25; scale 1.2533 x 1.25 = 1.566625
    assert robust_scale([0.0, 0.0, 0.0, 5.0]) == pytest.approx(1.566625, rel=1e-12)
    assert robust_z([5.0], reference=[0.0, 0.0, 0.0, 5.0]).tolist() == pytest.approx(
        [5 / 1.566625], rel=1e-12
    )


def test_robust_z_without_any_spread_is_zero_or_infinite() -> None:
    z = robust_z([5.0, 7.0, 9.0, math.nan], reference=[7.0, 7.0, 7.0])
    assert z[:3].tolist() == [-math.inf, 0.0, math.inf]
    assert math.isnan(z[3])


def test_robust_z_ignores_nan_peers_and_needs_one() -> None:
    assert robust_z([3.0], reference=[1.0, math.nan, 3.0, 5.0]).tolist() == [0.0]
    assert np.isnan(robust_z([1.0, 2.0], reference=[math.nan])).all()
    assert math.isnan(robust_scale([]))


small_values = st.lists(st.integers(-50, 50), min_size=1, max_size=12)


@given(
    small_values,
    st.sampled_from([0.25, 0.5, 2.0, 8.0]),
    st.integers(-1000, 1000),
)
def test_robust_z_is_invariant_to_shift_and_scale(
    values: list[int], scale: float, shift: int
) -> None:
    # Powers of two and integer shifts keep the arithmetic exact: the scores are identical.
    x = np.array(values, dtype=np.float64)
    assert robust_z(x * scale + shift).tolist() == robust_z(x).tolist()
    # A negative scale mirrors the scores.
    assert robust_z(-x * scale + shift).tolist() == (-robust_z(x) + 0.0).tolist()


@given(
    small_values,
    st.floats(0.01, 100.0),
    st.floats(-1e3, 1e3),
)
def test_robust_z_is_invariant_to_any_positive_affine_map(
    values: list[int], scale: float, shift: float
) -> None:
    x = np.array(values, dtype=np.float64)
    before = robust_z(x)
    after = robust_z(x * scale + shift)
    finite = np.isfinite(before)
    if robust_scale(x) > 0:
        assert after == pytest.approx(before, rel=1e-6, abs=1e-6)
    else:
        assert (np.sign(after) == np.sign(before)).all()
        assert (np.isfinite(after) == finite).all()


# -- beta-binomial prior and shrinkage ---------------------------------------------------------


def test_prior_by_weighted_moments_equal_groups() -> None:
    # N = 300, p = 30/300 = 0.1, rates 0, 0.1, 0.2
    # S = 100 (0.01 + 0 + 0.01) = 2; S / (p (1 - p)) = 2 / 0.09 = 200/9; minus k - 1 = 2: 182/9
    # weight = 3 x 99 x (1 - 1/3) = 198; rho = 182 / (9 x 198) = 91/891
    # m = 891/91 - 1 = 800/91; alpha = 0.1 m = 80/91, beta = 0.9 m = 720/91
    alpha, beta = beta_binomial_prior([0, 10, 20], [100, 100, 100])
    assert alpha == pytest.approx(80 / 91, rel=1e-12)
    assert beta == pytest.approx(720 / 91, rel=1e-12)


def test_prior_by_weighted_moments_unequal_groups() -> None:
    # N = 40, p = 10/40 = 0.25, rates 0.1 and 0.3
    # S = 10 x 0.15^2 + 30 x 0.05^2 = 0.225 + 0.075 = 0.3; S / 0.1875 = 1.6; minus 1: 0.6
    # weight = 9 (1 - 10/40) + 29 (1 - 30/40) = 6.75 + 7.25 = 14; rho = 0.6 / 14 = 3/70
    # m = 70/3 - 1 = 67/3; alpha = 0.25 m = 67/12, beta = 0.75 m = 67/4
    alpha, beta = beta_binomial_prior([1, 9], [10, 30])
    assert alpha == pytest.approx(67 / 12, rel=1e-12)
    assert beta == pytest.approx(67 / 4, rel=1e-12)


def test_prior_ignores_groups_without_trials() -> None:
    assert beta_binomial_prior([0, 1, 9], [0, 10, 30]) == beta_binomial_prior([1, 9], [10, 30])


@pytest.mark.parametrize(
    ("successes", "trials", "pooled"),
    [
        # spread no larger than noise: S = 0, rho = -1/198 < 0; p~ = (20 + 1/2) / 201
        ([10, 10], [100, 100], 20.5 / 201),
        # one group: no spread to measure; p~ = (3 + 1/2) / (10 + 1)
        ([3], [10], 3.5 / 11),
        # nobody succeeded: p(1 - p) = 0; p~ = (0 + 1/2) / (200 + 1)
        ([0, 0], [100, 100], 0.5 / 201),
        # one trial per group: weight 0; p~ = (1 + 1/2) / (2 + 1)
        ([1, 0], [1, 1], 1.5 / 3),
        # no group at all: p~ = 1/2, the uniform prior
        ([], [], 0.5),
    ],
)
def test_prior_falls_back_to_a_weak_prior(
    successes: list[int], trials: list[int], pooled: float
) -> None:
    alpha, beta = beta_binomial_prior(successes, trials)
    assert alpha == pytest.approx(2 * pooled, rel=1e-12)
    assert beta == pytest.approx(2 * (1 - pooled), rel=1e-12)
    assert beta_binomial_prior(successes, trials, fallback_strength=10.0)[0] == pytest.approx(
        10 * pooled, rel=1e-12
    )


def test_prior_strength_has_a_floor() -> None:
    # all-or-nothing groups: N = 20, p = 0.5, S = 10 x 0.25 x 2 = 5; 5 / 0.25 - 1 = 19
    # weight = 2 x 9 x 0.5 = 9; rho = 19/9 > 1: m = 1/rho - 1 < 0, floored at 0.001
    alpha, beta = beta_binomial_prior([0, 10], [10, 10])
    assert (alpha, beta) == pytest.approx((0.0005, 0.0005), rel=1e-12)


@pytest.mark.parametrize(
    ("successes", "trials", "kwargs", "message"),
    [
        ([1, 2], [3], {}, "differ in length"),
        ([-1], [3], {}, "negative"),
        ([1], [-3], {}, "negative"),
        ([4], [3], {}, "exceed"),
        ([1], [3], {"fallback_strength": 0.0}, "fallback_strength"),
    ],
)
def test_prior_rejects_bad_counts(
    successes: list[int], trials: list[int], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        beta_binomial_prior(successes, trials, **kwargs)


def test_shrunk_rate_by_hand() -> None:
    # (s + alpha) / (n + alpha + beta) with alpha = 1, beta = 9: 1/10, (1 + 1)/(3 + 10), 51/510
    rates = shrunk_rate([0, 1, 50], [0, 3, 500], 1.0, 9.0)
    assert rates.tolist() == pytest.approx([0.1, 2 / 13, 51 / 510], rel=1e-12)


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), min_size=1, max_size=20),
    st.floats(0.01, 50.0),
    st.floats(0.01, 50.0),
)
def test_shrunk_rate_lies_between_raw_rate_and_prior_mean(
    pairs: list[tuple[int, int]], alpha: float, beta: float
) -> None:
    trials = np.array([max(a, b) for a, b in pairs])
    successes = np.array([min(a, b) for a, b in pairs])
    rates = shrunk_rate(successes, trials, alpha, beta)
    prior_mean = alpha / (alpha + beta)
    raw = np.where(trials > 0, successes / np.maximum(trials, 1), prior_mean)
    low, high = np.minimum(raw, prior_mean), np.maximum(raw, prior_mean)
    assert (rates >= low - 1e-12).all()
    assert (rates <= high + 1e-12).all()


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 100)), min_size=1, max_size=20))
def test_fitted_prior_is_proper(pairs: list[tuple[int, int]]) -> None:
    trials = [max(a, b) for a, b in pairs]
    successes = [min(a, b) for a, b in pairs]
    alpha, beta = beta_binomial_prior(successes, trials)
    assert alpha > 0
    assert beta > 0
    rates = shrunk_rate(successes, trials, alpha, beta)
    assert ((rates > 0) & (rates < 1)).all()


# -- CUSUM ------------------------------------------------------------------------------------


def test_cusum_by_hand() -> None:
    # target 1, sigma 1, k 0.5: steps x - 1 - 0.5 = -0.5, 2.5, 2.5, -1.5, 2.5
    # S = max(0, -0.5) = 0, 2.5, 5.0, 3.5, 6.0: 5.0 is not above h = 5, 6.0 is (index 4)
    statistic, alarm = cusum([1.0, 4.0, 4.0, 0.0, 4.0], target=1.0, sigma=1.0)
    assert statistic.tolist() == [0.0, 2.5, 5.0, 3.5, 6.0]
    assert alarm.shape == ()
    assert int(alarm) == 4
    _, never = cusum([1.0, 4.0, 4.0, 0.0], target=1.0, sigma=1.0)
    assert int(never) == -1


def test_cusum_runs_many_series_with_their_own_targets() -> None:
    series = np.array([[0.2, 0.6, 0.6], [1.0, 1.0, 1.0]])
    target = np.array([[0.2], [0.5]])
    sigma = np.array([[0.1], [0.25]])
    # row 0: steps (x - 0.2)/0.1 - 0.5 = -0.5, 3.5, 3.5 -> S = 0, 3.5, 7.0: alarm at 2 (h 5)
    # row 1: steps (1 - 0.5)/0.25 - 0.5 = 1.5 each -> S = 1.5, 3.0, 4.5: no alarm
    statistic, alarm = cusum(series, target=target, sigma=sigma)
    assert statistic == pytest.approx(np.array([[0.0, 3.5, 7.0], [1.5, 3.0, 4.5]]), rel=1e-12)
    assert alarm.tolist() == [2, -1]


def test_cusum_skips_missing_values_and_uses_k_and_h() -> None:
    # k = 0, h = 1.5: steps 1, (NaN: none), 1 -> S = 1, 1, 2: alarm at index 2
    statistic, alarm = cusum([2.0, math.nan, 2.0], target=1.0, sigma=1.0, k=0.0, h=1.5)
    assert statistic.tolist() == [1.0, 1.0, 2.0]
    assert int(alarm) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"k": -0.1}, "k must"),
        ({"h": 0.0}, "h must"),
    ],
)
def test_cusum_rejects_bad_parameters(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"target": 0.0, "sigma": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        cusum([1.0, 2.0], **arguments)


def test_charts_reject_three_dimensional_series() -> None:
    with pytest.raises(ValueError, match="1-D or 2-D"):
        cusum(np.zeros((2, 2, 2)), target=0.0, sigma=1.0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ewma(np.zeros((2, 2, 2)), target=0.0, sigma=1.0)


# -- EWMA -------------------------------------------------------------------------------------


def test_ewma_by_hand() -> None:
    # lambda 0.2, target 0, sigma 1, x = 2, 2, 2:
    # z = 0.4, 0.4 + 0.8 x 0.4 = 0.72, 0.4 + 0.8 x 0.72 = 0.976
    # limit_t = 3 sqrt(0.2/1.8 (1 - 0.8^(2t))): t=1 3 sqrt(0.36/9) = 0.6,
    # t=2 3 sqrt(0.5904/9) = 3 x 0.256125 = 0.768375, t=3 3 sqrt(0.737856/9) = 3 x 0.286328
    statistic, limit, alarm = ewma([2.0, 2.0, 2.0], target=0.0, sigma=1.0)
    assert statistic.tolist() == pytest.approx([0.4, 0.72, 0.976], rel=1e-12)
    assert limit.tolist() == pytest.approx([0.6, 0.768375, 0.858985], abs=1e-6)
    assert int(alarm) == 2


@given(
    st.floats(0.05, 1.0),
    st.floats(0.5, 4.0),
    st.floats(-5.0, 5.0),
    st.floats(0.1, 10.0),
    st.integers(1, 40),
)
def test_ewma_limit_is_the_exact_time_varying_formula(
    lam: float, width: float, target: float, sigma: float, steps: int
) -> None:
    _, limit, _ = ewma(np.zeros(steps), target=target, sigma=sigma, lam=lam, L=width)
    t = np.arange(1, steps + 1)
    formula = target + width * sigma * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    assert limit == pytest.approx(formula, rel=1e-9, abs=1e-12)


def test_ewma_runs_many_series_and_skips_missing_values() -> None:
    series = np.array([[1.0, math.nan, 1.0], [0.0, 0.0, 0.0]])
    statistic, limit, alarm = ewma(series, target=0.0, sigma=1.0, lam=0.5, L=1.0)
    # row 0: z = 0.5, 0.5 (skipped), 0.75; V = 0.25, 0.25, 0.25 x 0.25 + 0.25 = 0.3125
    # limits 0.5, 0.5, sqrt(0.3125) = 0.559017: 0.5 is not above 0.5, 0.75 is (index 2)
    assert statistic[0].tolist() == [0.5, 0.5, 0.75]
    assert limit[0].tolist() == pytest.approx([0.5, 0.5, math.sqrt(0.3125)], rel=1e-12)
    assert alarm.tolist() == [2, -1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma": 0.0}, "sigma"),
        ({"lam": 0.0}, "lam"),
        ({"lam": 1.5}, "lam"),
        ({"L": 0.0}, "L must"),
    ],
)
def test_ewma_rejects_bad_parameters(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"target": 0.0, "sigma": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        ewma([1.0, 2.0], **arguments)

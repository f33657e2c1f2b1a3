"""The BG/NBD model of repeat purchases (Fader, Hardie and Lee, 2005).

While alive, a customer buys at a Poisson rate lambda; after each repeat purchase they drop
out with probability p. Across customers lambda ~ Gamma(r, alpha) (shape r, rate alpha) and
p ~ Beta(a, b). A customer with ``x`` repeat purchases, the last at age ``t_x``, observed to
age ``T`` has likelihood::

    L = B(a, b + x) / B(a, b) · Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
      + [x > 0] · B(a + 1, b + x - 1) / B(a, b)
                · Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))

computed in log space as in Fader and Hardie's note 004: ``log L = A1 + A2 + log(e^A3 +
[x > 0] e^A4)``, the sum of the two terms taken by ``logaddexp``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from alliance.kpi._clv_checks import (
    Unit,
    check_horizon,
    checked_rfm,
    hyp2f1,
    scipy_special,
)
from alliance.kpi._clv_fit import FitInfo, Observations, PurchaseModel, maximise, observations_of
from alliance.kpi._rfm import RFMSummary

__all__ = ["BetaGeo"]

FloatArray = npt.NDArray[np.float64]
#: Within this distance of a = 1, the expectations (which divide by a - 1, a removable
#: singularity) are the mean of their values at a ± this distance.
_NEAR_ONE = 1e-6


@dataclass(frozen=True, repr=False)
class BetaGeo(PurchaseModel):
    """A BG/NBD model: purchase rates Gamma(r, alpha), dropout after a purchase Beta(a, b).

    Make one with known parameters (``BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426,
    unit="weeks")``, the CDNOW estimates) or estimate them with `fit`. Times (``recency``,
    ``T``, horizons) are in the model's `unit`; alpha is in the same unit.

    Attributes:
        r: Shape of the purchase-rate distribution.
        alpha: Rate (inverse scale) of the purchase-rate distribution, in units of time.
        a: First shape of the dropout-probability distribution.
        b: Second shape of the dropout-probability distribution.
        unit: ``"days"`` or ``"weeks"``, or ``None`` when not stated.
        fit_info: How the fit went (log-likelihood, convergence, standard errors), for a
            fitted model.

    Examples:
        The CDNOW estimates (Fader, Hardie and Lee, 2005), in weeks. A customer with two
        repeat purchases, the last at 30.43 weeks, observed for 38.86 weeks, is expected to
        buy 1.226 times in the next 39 weeks (the published figure):

        >>> cdnow = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> round(cdnow.expected_purchases(39, 2, 30.43, 38.86).item(), 3)
        1.226
        >>> round(cdnow.p_alive(2, 30.43, 38.86).item(), 4), cdnow.p_alive(0, 0, 38.0).item()
        (0.7266, 1.0)
        >>> round(cdnow.expected_purchases_new(39).item(), 4)
        1.1967
    """

    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    r: float
    alpha: float
    a: float
    b: float
    unit: Unit | None = None
    fit_info: FitInfo | None = field(default=None, compare=False)

    # -- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(cls, rfm: RFMSummary, *, weights: npt.ArrayLike | None = None) -> BetaGeo:
        """Estimate r, alpha, a and b by maximum likelihood from customers' frequency, recency, T.

        The mean negative log-likelihood is minimised over the logarithms of the parameters
        by L-BFGS-B with its exact gradient; customers with the same (frequency, recency, T)
        are evaluated once. Check ``fit_info.converged`` before reading the estimates.

        Args:
            rfm: The customers (`rfm_summary`, or `RFMSummary.from_arrays`).
            weights: How many customers each row stands for (a compressed table); default 1.

        Returns:
            The fitted model, in the summary's unit, with `fit_info`.

        Raises:
            TypeError: ``rfm`` is not an `RFMSummary`.
            ValueError: No customers, or bad weights.
            MissingDependency: scipy is not installed.

        Examples:
            Customers simulated from the CDNOW estimates, observed for 39 weeks:

            >>> import numpy as np
            >>> truth = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
            >>> fitted = BetaGeo.fit(truth.simulate(np.full(5000, 39.0), seed=1))
            >>> fitted.fit_info.converged, round(fitted.r, 2), fitted.unit
            (True, 0.23, 'weeks')
        """
        observations = observations_of(rfm, weights)
        x = observations.frequency
        mean_x = float(np.dot(observations.weight, x)) / observations.total_weight
        mean_t = float(np.dot(observations.weight, observations.T)) / observations.total_weight
        # A start of the right scale: r = 1 and alpha so that r / alpha is about the repeat rate.
        start = np.log([1.0, max(mean_t, 1e-3) / max(mean_x, 0.1), 1.0, 1.0])
        split = _Split.of(observations)
        estimate, info = maximise(
            cls.names,
            start,
            observations.total_weight,
            with_gradient=lambda point: split.objective(point),
        )
        r, alpha, a, b = estimate.tolist()
        return cls(r, alpha, a, b, unit=rfm.unit, fit_info=info)

    # -- reading ------------------------------------------------------------------------------

    def log_likelihood(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Each customer's log-likelihood under the model (the sum is what `fit` maximises).

        Raises:
            DataError: Impossible customer values (see `RFMSummary.from_arrays`).
        """
        x, tx, age = checked_rfm(frequency, recency, T)
        special = scipy_special()
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        gammaln = special.gammaln
        with np.errstate(divide="ignore"):
            head = (
                gammaln(r + x)
                - gammaln(r)
                + r * np.log(alpha)
                + gammaln(a + b)
                + gammaln(b + x)
                - gammaln(b)
                - gammaln(a + b + x)
            )
        log_t = np.log(alpha + age)
        gap = self._log_odds_dead(x, tx, log_t)
        tail = -(r + x) * log_t + np.where(x > 0, np.logaddexp(0.0, gap), 0.0)
        return np.asarray(head + tail, dtype=np.float64)

    def _log_odds_dead(self, x: FloatArray, tx: FloatArray, log_t: FloatArray) -> FloatArray:
        """log[a / (b + x - 1) · ((alpha + T) / (alpha + t_x))^(r + x)] for x > 0, else -inf."""
        repeat = x > 0
        safe_x = np.where(repeat, x, 1.0)
        odds = (
            np.log(self.a)
            - np.log(self.b + safe_x - 1)
            + (self.r + x) * (log_t - np.log(self.alpha + tx))
        )
        return np.where(repeat, odds, -np.inf)

    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T), the probability that the customer is still active.

        P = 1 / (1 + [x > 0] · a / (b + x - 1) · ((alpha + T) / (alpha + t_x))^(r + x)).
        A customer without a repeat purchase cannot have dropped out (dropout follows a
        purchase), so their probability is exactly 1.

        Raises:
            DataError: Impossible customer values.
        """
        x, tx, age = checked_rfm(frequency, recency, T)
        special = scipy_special()
        odds = self._log_odds_dead(x, tx, np.log(self.alpha + age))
        return np.asarray(special.expit(-odds), dtype=np.float64)

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """Expected purchases in the next ``t`` (after T) of a customer with (x, t_x, T).

        E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
        · [1 - ((alpha + T) / (alpha + T + t))^(r + x) ₂F₁(r + x, b + x; a + b + x - 1; z)]
        · P(alive), with z = t / (alpha + T + t), evaluated through Euler's
        transformation, ``(1 - z)^(a-1) ₂F₁(a+b-1-r, a-1; a+b+x-1; z)``, which stays finite
        for heavy buyers and long horizons. Arrays broadcast against each other.

        Raises:
            ValueError: A negative or non-finite horizon.
            DataError: Impossible customer values.
        """
        return self._conditional_purchases(t, frequency, recency, T)

    def expected_purchases_new(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)]: expected repeat purchases within ``t`` of a new customer's first purchase.

        E[X(t)] = (a + b - 1) / (a - 1)
        · [1 - (alpha / (alpha + t))^r ₂F₁(r, b; a + b - 1; t / (alpha + t))].

        Raises:
            ValueError: A negative or non-finite horizon.
        """
        horizon = check_horizon(t)
        zero = np.zeros_like(horizon)
        return self._purchases_if_alive(horizon, zero, zero)

    def _purchases_if_alive(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        """E[Y(t)] / P(alive), on checked arrays: (a+b+x-1)/(a-1) · [1 - (1-z)^(a-1) ₂F₁(...)].

        The ₂F₁ is ₂F₁(a+b-1-r, a-1; a+b+x-1; z) with z = t/(alpha+T+t). Near a = 1 (a
        removable singularity) the value is the mean of the values either side.
        """
        if abs(self.a - 1) >= _NEAR_ONE:
            return _growth(self.r, self.alpha, self.a, self.b, t, x, age)
        below = _growth(self.r, self.alpha, 1 - _NEAR_ONE, self.b, t, x, age)
        above = _growth(self.r, self.alpha, 1 + _NEAR_ONE, self.b, t, x, age)
        return np.asarray((below + above) / 2, dtype=np.float64)

    # -- simulation ---------------------------------------------------------------------------

    def simulate(
        self, T: npt.ArrayLike, *, seed: int | np.random.Generator | None = None
    ) -> RFMSummary:
        """Customers drawn from the model: one per age in ``T``, exactly, without time steps.

        Each customer draws λ ~ Gamma(r, alpha) and p ~ Beta(a, b). Without dropout their repeat
        purchases in (0, T] would number n ~ Poisson(λT); dropout comes after purchase
        D ~ Geometric(p), so x = min(n, D), and the x-th of n uniform purchase times gives
        t_x = T · Beta(x, n - x + 1).

        Args:
            T: Each customer's age at the end of the observation.
            seed: A seed or a numpy `Generator`.

        Returns:
            The customers, in the model's unit (continuous ages, no spend).
        """
        age = check_horizon(T, "T").reshape(-1)
        rng = np.random.default_rng(seed)
        size = age.size
        rate = rng.gamma(self.r, 1 / self.alpha, size)
        dropout = np.maximum(rng.beta(self.a, self.b, size), 1e-12)
        possible = rng.poisson(rate * age)
        until_dropout = rng.geometric(dropout)
        x = np.minimum(possible, until_dropout)
        repeat = x > 0
        recency = np.zeros(size)
        recency[repeat] = age[repeat] * rng.beta(x[repeat], possible[repeat] - x[repeat] + 1)
        return RFMSummary.from_arrays(x, recency, age, unit=self.unit)


def _growth(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, age: FloatArray
) -> FloatArray:
    z = t / (alpha + age + t)
    shrink = np.exp(-(a - 1) * np.log1p(t / (alpha + age)))  # (1 - z)^(a - 1)
    series = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return np.asarray((a + b + x - 1) / (a - 1) * (1 - shrink * series), dtype=np.float64)


@dataclass(frozen=True)
class _Split:
    """Observations split by whether the customer repeated (only repeaters have the A₄ term)."""

    zero_T: FloatArray
    zero_weight: FloatArray
    x: FloatArray
    recency: FloatArray
    T: FloatArray
    weight: FloatArray
    x_index: npt.NDArray[np.intp]
    x_values: FloatArray
    x_weight: FloatArray

    @classmethod
    def of(cls, observations: Observations) -> _Split:
        repeat = observations.frequency > 0
        zero = ~repeat
        return cls(
            observations.T[zero],
            observations.weight[zero],
            observations.frequency[repeat],
            observations.recency[repeat],
            observations.T[repeat],
            observations.weight[repeat],
            observations.x_index[repeat],
            observations.x_values,
            observations.x_weight,
        )

    def objective(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood and its gradient over the log-parameters."""
        special = scipy_special()
        gammaln, digamma = special.gammaln, special.digamma
        r, alpha, a, b = np.exp(log_params).tolist()
        xs, counts = self.x_values, self.x_weight
        total = float(counts.sum())
        # Terms of the frequency alone, once per distinct frequency.
        head = (
            gammaln(r + xs)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs)
        )
        # Customers without a repeat purchase: A₃ alone.
        log_t0 = np.log(alpha + self.zero_T)
        # Repeat customers: A₃ and A₄ through log(1 + e^(A₄ - A₃)).
        log_t = np.log(alpha + self.T)
        log_tx = np.log(alpha + self.recency)
        rx = r + self.x
        inverse_b = 1.0 / (b + np.maximum(xs, 1) - 1)
        gap = np.log(a) + np.log(inverse_b)[self.x_index] + rx * (log_t - log_tx)
        dead = special.expit(gap)  # the weight of the A₄ term
        value = (
            float(np.dot(counts, head))
            - r * float(np.dot(self.zero_weight, log_t0))
            + float(np.dot(self.weight, np.logaddexp(0.0, gap) - rx * log_t))
        )
        weighted_dead = self.weight * dead
        d_r = (
            float(np.dot(counts, digamma(r + xs) - digamma(r) + np.log(alpha)))
            - float(np.dot(self.zero_weight, log_t0))
            - float(np.dot(self.weight, log_t))
            + float(np.dot(weighted_dead, log_t - log_tx))
        )
        d_alpha = (
            r / alpha * total
            - r * float(np.dot(self.zero_weight, 1.0 / (alpha + self.zero_T)))
            - float(
                np.dot(
                    self.weight * rx,
                    (1 - dead) / (alpha + self.T) + dead / (alpha + self.recency),
                )
            )
        )
        d_a = (
            float(np.dot(counts, digamma(a + b) - digamma(a + b + xs)))
            + float(weighted_dead.sum()) / a
        )
        d_b = float(
            np.dot(counts, digamma(a + b) + digamma(b + xs) - digamma(b) - digamma(a + b + xs))
        ) - float(np.dot(weighted_dead, inverse_b[self.x_index]))
        gradient = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / -total
        return -value / total, gradient

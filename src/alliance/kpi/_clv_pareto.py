"""The Pareto/NBD model of repeat purchases (Schmittlein, Morrison and Colombo, 1987).

While alive, a customer buys at a Poisson rate lambda; their lifetime is exponential with
rate mu, so they may drop out at any moment (not only after a purchase, as in BG/NBD).
Across customers lambda ~ Gamma(r, alpha) and mu ~ Gamma(s, beta). The likelihood of a
customer with ``x`` repeat purchases, the last at age ``t_x``, observed to age ``T`` is
(Fader and Hardie, "A note on deriving the Pareto/NBD model", 2005)::

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [1 / ((alpha + T)^(r + x) (beta + T)^s) + s / (r + s + x) * A0]

    A0 = F(t_x) - F(T),  F(y) = 2F1(r + s + x, k; r + s + x + 1; |alpha - beta| / (m + y))
                                / (m + y)^(r + s + x)

with ``m = max(alpha, beta)`` and ``k = s + 1`` when alpha >= beta, ``k = r + x`` otherwise.
Here F is evaluated after Euler's transformation (see `_Likelihood`), ``log A0 = log F(t_x) +
log(1 - F(T) / F(t_x))``, and the bracket is a ``logaddexp``.
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
from alliance.kpi._clv_fit import FitInfo, PurchaseModel, maximise, observations_of
from alliance.kpi._rfm import RFMSummary

__all__ = ["ParetoNBD"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, repr=False)
class ParetoNBD(PurchaseModel):
    """A Pareto/NBD model: purchase rates Gamma(r, alpha), dropout rates Gamma(s, beta).

    Make one with known parameters or estimate them with `fit`. Times are in the model's
    `unit`; alpha and beta are in the same unit.

    Attributes:
        r: Shape of the purchase-rate distribution.
        alpha: Rate (inverse scale) of the purchase-rate distribution.
        s: Shape of the dropout-rate distribution.
        beta: Rate (inverse scale) of the dropout-rate distribution.
        unit: ``"days"`` or ``"weeks"``, or ``None`` when not stated.
        fit_info: How the fit went, for a fitted model.

    Examples:
        The CDNOW estimates (Fader, Hardie and Lee, 2005), in weeks:

        >>> cdnow = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669, unit="weeks")
        >>> round(cdnow.p_alive(2, 30.43, 38.86).item(), 4)
        0.8692
        >>> round(cdnow.expected_purchases(39, 2, 30.43, 38.86).item(), 4)
        1.4551
        >>> round(cdnow.expected_purchases_new(39).item(), 4)
        1.213
    """

    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    r: float
    alpha: float
    s: float
    beta: float
    unit: Unit | None = None
    fit_info: FitInfo | None = field(default=None, compare=False)

    # -- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(cls, rfm: RFMSummary, *, weights: npt.ArrayLike | None = None) -> ParetoNBD:
        """Estimate r, alpha, s and beta by maximum likelihood.

        The mean negative log-likelihood is minimised over the logarithms of the parameters
        by L-BFGS-B with a central-difference gradient (the Gauss hypergeometric function
        has no cheap derivative in its parameters); the function is evaluated once per
        distinct (frequency, recency) and (frequency, T), so ages in whole days keep it
        quick. It is slower than `BetaGeo.fit`. Check ``fit_info.converged``.

        Args:
            rfm: The customers.
            weights: How many customers each row stands for; default 1.

        Returns:
            The fitted model, in the summary's unit, with `fit_info`.

        Raises:
            TypeError: ``rfm`` is not an `RFMSummary`.
            ValueError: No customers, or bad weights.
            MissingDependency: scipy is not installed.
        """
        observations = observations_of(rfm, weights)
        weight = observations.weight
        total = observations.total_weight
        mean_x = float(np.dot(weight, observations.frequency)) / total
        mean_t = float(np.dot(weight, observations.T)) / total
        scale = max(mean_t, 1e-3)
        start = np.log([1.0, scale / max(mean_x, 0.1), 1.0, scale])
        likelihood = _Likelihood(observations.frequency, observations.recency, observations.T)

        def objective(log_params: FloatArray) -> float:
            r, alpha, s, beta = np.exp(log_params).tolist()
            return -float(np.dot(weight, likelihood(r, alpha, s, beta))) / total

        estimate, info = maximise(cls.names, start, total, objective=objective)
        r, alpha, s, beta = estimate.tolist()
        return cls(r, alpha, s, beta, unit=rfm.unit, fit_info=info)

    # -- reading ------------------------------------------------------------------------------

    def log_likelihood(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Each customer's log-likelihood under the model (the sum is what `fit` maximises).

        Raises:
            DataError: Impossible customer values (see `RFMSummary.from_arrays`).
        """
        x, tx, age = checked_rfm(frequency, recency, T)
        shape = x.shape
        likelihood = _Likelihood(x.reshape(-1), tx.reshape(-1), age.reshape(-1))
        return likelihood(self.r, self.alpha, self.s, self.beta).reshape(shape)

    def _log_odds_dead(self, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
        """log[s / (r + s + x) (alpha + T)^(r + x) (beta + T)^s A0]: dead versus alive."""
        flat = _Likelihood(x.reshape(-1), tx.reshape(-1), age.reshape(-1))
        alive, dead = flat.terms(self.r, self.alpha, self.s, self.beta)
        return (dead - alive).reshape(x.shape)

    def p_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) = 1 / (1 + s / (r+s+x) (alpha+T)^(r+x) (beta+T)^s A0).

        Raises:
            DataError: Impossible customer values.
        """
        x, tx, age = checked_rfm(frequency, recency, T)
        special = scipy_special()
        return np.asarray(special.expit(-self._log_odds_dead(x, tx, age)), dtype=np.float64)

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """Expected purchases in the next ``t`` (after T) of a customer with (x, t_x, T).

        E[Y(t) | x, t_x, T] = (r + x) (beta + T) / ((alpha + T) (s - 1))
        · [1 - ((beta + T) / (beta + T + t))^(s - 1)] · P(alive); at s = 1 the bracket over
        (s - 1) is its limit, log((beta + T + t) / (beta + T)).

        Raises:
            ValueError: A negative or non-finite horizon.
            DataError: Impossible customer values.
        """
        return self._conditional_purchases(t, frequency, recency, T)

    def expected_purchases_new(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] = r beta / (alpha (s - 1)) · [1 - (beta / (beta + t))^(s - 1)].

        Expected repeat purchases within ``t`` of a new customer's first purchase.

        Raises:
            ValueError: A negative or non-finite horizon.
        """
        horizon = check_horizon(t)
        rate = self.r * self.beta / self.alpha
        return rate * self._lifetime_share(horizon, np.zeros_like(horizon))

    def _purchases_if_alive(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        """E[Y(t)] / P(alive), on checked arrays."""
        rate = (self.r + x) * (self.beta + age) / (self.alpha + age)
        return np.asarray(rate * self._lifetime_share(t, age), dtype=np.float64)

    def _lifetime_share(self, t: FloatArray, age: FloatArray) -> FloatArray:
        """[1 - ((beta + T) / (beta + T + t))^(s - 1)] / (s - 1), exact near s = 1."""
        growth = np.log1p(t / (self.beta + age))
        shifted = self.s - 1
        if shifted == 0:
            return growth
        return np.asarray(-np.expm1(-shifted * growth) / shifted, dtype=np.float64)

    # -- simulation ---------------------------------------------------------------------------

    def simulate(
        self, T: npt.ArrayLike, *, seed: int | np.random.Generator | None = None
    ) -> RFMSummary:
        """Customers drawn from the model: one per age in ``T``.

        Each customer draws lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta) and a lifetime
        tau ~ Exponential(mu); they buy x ~ Poisson(lambda · min(tau, T)) times, the last at
        t_x = min(tau, T) · Beta(x, 1) (the latest of x uniform instants).

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
        dropout = rng.gamma(self.s, 1 / self.beta, size)
        with np.errstate(divide="ignore"):
            lifetime = rng.standard_exponential(size) / dropout
        active = np.minimum(lifetime, age)
        x = rng.poisson(rate * active)
        repeat = x > 0
        recency = np.zeros(size)
        recency[repeat] = active[repeat] * rng.beta(x[repeat], 1.0)
        return RFMSummary.from_arrays(x, recency, age, unit=self.unit)


class _Likelihood:
    """Per-customer log-likelihoods of checked (x, t_x, T), evaluated at any parameters.

    With Euler's transformation, ``F(y) = (alpha + y)^-(r+x) (beta + y)^-s G(y)`` where
    ``G(y) = (alpha + y) / (beta + y) · 2F1(1, s + 1; r + s + x + 1; z)`` when alpha < beta
    and ``2F1(1, r + x; r + s + x + 1; z)`` otherwise: no factor grows with the frequency,
    so heavy buyers stay finite. The hypergeometric function, the costly part, is evaluated
    once per distinct (x, t_x) and (x, T) pair.
    """

    def __init__(self, x: FloatArray, tx: FloatArray, age: FloatArray) -> None:
        self.x, self.tx, self.age = x, tx, age
        pairs = np.concatenate((np.stack((x, tx), axis=1), np.stack((x, age), axis=1)))
        distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        self.pair_x, self.pair_y = distinct[:, 0], distinct[:, 1]
        self.at_tx, self.at_t = inverse[: x.size], inverse[x.size :]

    def terms(self, r: float, alpha: float, s: float, beta: float) -> tuple[FloatArray, FloatArray]:
        """Logs of the alive term and of the dead term (``s / (r+s+x) A0``), without A1."""
        x = self.x
        # log F(y) per distinct pair, then log A0 = log F(t_x) + log(1 - F(T) / F(t_x)).
        px, py = self.pair_x, self.pair_y
        log_alpha, log_beta = np.log(alpha + py), np.log(beta + py)
        log_f = -(r + px) * log_alpha - s * log_beta
        z = abs(alpha - beta) / (max(alpha, beta) + py)
        with np.errstate(divide="ignore", invalid="ignore"):
            if alpha < beta:
                log_f += log_alpha - log_beta + np.log(hyp2f1(1.0, s + 1, r + s + px + 1, z))
            else:
                log_f += np.log(hyp2f1(1.0, r + px, r + s + px + 1, z))
            first = log_f[self.at_tx]
            alive = -(r + x) * np.log(alpha + self.age) - s * np.log(beta + self.age)
            log_a0 = first + _log1mexp(np.minimum(log_f[self.at_t] - first, 0.0))
            dead = np.log(s) - np.log(r + s + x) + log_a0
        return alive, dead

    def __call__(self, r: float, alpha: float, s: float, beta: float) -> FloatArray:
        """Each customer's log-likelihood."""
        special = scipy_special()
        x = self.x
        alive, dead = self.terms(r, alpha, s, beta)
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return np.asarray(head + np.logaddexp(alive, dead), dtype=np.float64)


def _log1mexp(value: FloatArray) -> FloatArray:
    """log(1 - e^value) for value <= 0, accurate at both ends (-inf at 0)."""
    near = value > -np.log(2)
    out = np.empty_like(value)
    with np.errstate(divide="ignore"):
        out[near] = np.log(-np.expm1(value[near]))
    out[~near] = np.log1p(-np.exp(value[~near]))
    return out

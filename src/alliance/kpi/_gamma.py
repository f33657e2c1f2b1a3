"""The Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee, 2005).

Each of a customer's purchases is worth z ~ Gamma(p, nu) (shape p, rate nu); across
customers nu ~ Gamma(q, v). The mean m of a customer's x repeat purchases then has density

    f(m | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) · v^q m^(p x - 1) x^(p x)
               / (v + x m)^(p x + q),

which is independent of how often the customer buys: check that the frequency and the mean
spend of the repeat customers are not correlated before relying on the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance.errors import DataError, Problem
from alliance.kpi._clv_checks import checked_rfm, scipy_special
from alliance.kpi._clv_fit import FitInfo, Model, maximise
from alliance.kpi._rfm import RFMSummary

__all__ = ["GammaGamma"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, repr=False)
class GammaGamma(Model):
    """A Gamma-Gamma model of spend per purchase: Gamma(p, nu) with nu ~ Gamma(q, v).

    Spend is in major units of `currency` (``12.5`` for USD 12.50), so ``v`` is in those
    units too. Make one with known parameters or estimate them with `fit`.

    Attributes:
        p: Shape of the spend per purchase.
        q: Shape of the distribution of the customers' spend rates nu.
        v: Rate of that distribution, in major units of `currency`.
        currency: The currency the spend is in, or ``None`` when not stated.
        fit_info: How the fit went, for a fitted model.

    Examples:
        The CDNOW estimates (Fader, Hardie and Lee, 2005), in US dollars: customers spend
        $35.22 per purchase on average; one whose two repeat purchases averaged $20 is
        expected to spend less, one without a repeat purchase the average:

        >>> cdnow = GammaGamma(p=6.25, q=3.74, v=15.44, currency="USD")
        >>> round(cdnow.mean_spend, 2)
        35.22
        >>> cdnow.expected_average_spend([2, 0], [20.0, float("nan")]).round(2).tolist()
        [22.74, 35.22]
    """

    names: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    p: float
    q: float
    v: float
    currency: str | None = None
    fit_info: FitInfo | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self._check_parameters()
        if self.currency is not None:
            object.__setattr__(self, "currency", lookup_currency(self.currency).code)

    def _described(self) -> str:
        return f", currency={self.currency!r}" if self.currency else ""

    @property
    def mean_spend(self) -> float:
        """Mean spend per purchase across customers, p v / (q - 1); infinite when q <= 1."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else math.inf

    # -- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(cls, rfm: RFMSummary) -> GammaGamma:
        """Estimate p, q and v by maximum likelihood from the repeat customers' mean spend.

        Only customers with at least one repeat purchase count (``frequency`` > 0); their
        ``monetary_value`` is the mean of their repeat purchases in major units. The mean
        negative log-likelihood is minimised over the logarithms of p, q, v by L-BFGS-B with
        its exact gradient. Check ``fit_info.converged``.

        Args:
            rfm: The customers, with spend (``monetary="mean_repeat"``).

        Returns:
            The fitted model, in the summary's currency, with `fit_info`.

        Raises:
            TypeError: ``rfm`` is not an `RFMSummary`.
            ValueError: The summary has no spend, averages all purchases (``mean_all``), or
                has no repeat customer.
            DataError: A repeat customer whose mean spend is 0.
            MissingDependency: scipy is not installed.
        """
        if not isinstance(rfm, RFMSummary):
            raise TypeError(
                "rfm must be an RFMSummary (rfm_summary or RFMSummary.from_arrays), got "
                f"{type(rfm).__name__}"
            )
        if not rfm.has_spend:
            raise ValueError("the Gamma-Gamma model needs spend: this RFM summary has none")
        if rfm.monetary != "mean_repeat":
            raise ValueError(
                "the Gamma-Gamma model reads the mean of the repeat purchases; summarise with "
                f"monetary='mean_repeat', not {rfm.monetary!r}"
            )
        frequency = rfm["frequency"].astype(np.float64)
        repeat = np.flatnonzero(frequency > 0)
        if repeat.size == 0:
            raise ValueError("the Gamma-Gamma model needs customers with a repeat purchase")
        x, spend = frequency[repeat], rfm["monetary_value"][repeat]
        free = spend <= 0
        if free.any():
            raise DataError(
                "customers",
                [
                    Problem(row, "monetary_value", 0.0, "Gamma-Gamma needs positive mean spend")
                    for row in repeat[free].tolist()
                ],
            )
        # Terms of the data alone, computed once.
        log_spend, log_x = np.log(spend), np.log(x)
        total = float(repeat.size)
        mean_spend = float(spend.mean())
        start = np.log([1.0, 2.0, mean_spend])

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            special = scipy_special()
            p, q, v = np.exp(log_params).tolist()
            shape = p * x
            log_spent = np.log(v + x * spend)
            value = np.sum(
                special.gammaln(shape + q)
                - special.gammaln(shape)
                + (shape - 1) * log_spend
                + shape * log_x
                - (shape + q) * log_spent
            ) + total * (q * math.log(v) - float(special.gammaln(q)))
            both = special.digamma(shape + q)
            d_p = np.dot(x, both - special.digamma(shape) + log_spend + log_x - log_spent)
            d_q = np.sum(both - log_spent) + total * (math.log(v) - float(special.digamma(q)))
            d_v = total * q / v - np.sum((shape + q) / (v + x * spend))
            gradient = np.array([p * d_p, q * d_q, v * d_v]) / -total
            return -float(value) / total, gradient

        estimate, info = maximise(cls.names, start, total, with_gradient=objective)
        p, q, v = estimate.tolist()
        return cls(p, q, v, currency=rfm.currency, fit_info=info)

    # -- reading ------------------------------------------------------------------------------

    def log_likelihood(self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """Each repeat customer's log-density of their mean spend (the sum `fit` maximises).

        Raises:
            DataError: A frequency that is not a whole number above 0, or a mean spend that is
                not positive.
        """
        x, spend = _checked_spend(frequency, monetary_value, repeat_only=True)
        special = scipy_special()
        p, q, v = self.p, self.q, self.v
        shape = p * x
        return np.asarray(
            special.gammaln(shape + q)
            - special.gammaln(shape)
            - special.gammaln(q)
            + q * np.log(v)
            + (shape - 1) * np.log(spend)
            + shape * np.log(x)
            - (shape + q) * np.log(v + x * spend),
            dtype=np.float64,
        )

    def expected_average_spend(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """E[spend per purchase | x, m] = p (v + x m) / (p x + q - 1), in major units.

        A weighted mean of the population mean ``p v / (q - 1)`` and the customer's own mean
        ``m``, the weight of ``m`` growing with ``x``. A customer without a repeat purchase
        (``x`` = 0; their ``monetary_value`` is ignored and may be NaN) gets the population
        mean.

        Raises:
            ValueError: A customer without a repeat purchase while q <= 1 (the population
                mean is then infinite).
            DataError: A frequency that is not a whole number, or a repeat customer's mean
                spend that is not positive.
        """
        x, spend = _checked_spend(frequency, monetary_value, repeat_only=False)
        if self.q <= 1 and bool((x == 0).any()):
            raise ValueError(
                f"q={self.q:.4g} <= 1: the mean spend of a customer without a repeat purchase "
                "(p v / (q - 1)) is infinite"
            )
        p = self.p
        return np.asarray(p * (self.v + x * spend) / (p * x + self.q - 1), dtype=np.float64)

    # -- simulation ---------------------------------------------------------------------------

    def simulate(
        self,
        rfm: RFMSummary,
        *,
        currency: str,
        seed: int | np.random.Generator | None = None,
    ) -> RFMSummary:
        """The customers of ``rfm`` with spend drawn from the model for their repeat purchases.

        Each repeat customer draws nu ~ Gamma(q, v); their x repeat purchases then total
        Gamma(p x, nu) in major units, rounded half-even to minor units of ``currency``
        (once, per customer).

        Args:
            rfm: Customers (their frequency, recency and T are kept).
            currency: The currency of the spend.
            seed: A seed or a numpy `Generator`.

        Returns:
            A summary with ``monetary="mean_repeat"`` spend.
        """
        if not isinstance(rfm, RFMSummary):
            raise TypeError(f"rfm must be an RFMSummary, got {type(rfm).__name__}")
        code = lookup_currency(currency)
        rng = np.random.default_rng(seed)
        frequency = rfm["frequency"]
        repeat = frequency > 0
        spend_rate = rng.gamma(self.q, 1 / self.v, int(repeat.sum()))
        totals = rng.gamma(self.p * frequency[repeat], 1 / spend_rate)
        minor = np.zeros(len(rfm), dtype=np.int64)
        minor[repeat] = np.rint(totals * 10**code.exponent).astype(np.int64)
        return RFMSummary.from_arrays(
            frequency,
            rfm["recency"],
            rfm["T"],
            customer_id=rfm["customer_id"],
            monetary_total_minor=minor,
            currency=code.code,
            unit=rfm.unit,
        )


def _checked_spend(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, *, repeat_only: bool
) -> tuple[FloatArray, FloatArray]:
    """Frequencies and mean spends of one shape; spend 0 where the frequency is 0."""
    x, _, _ = checked_rfm(frequency, 0.0, 0.0)
    spend = np.asarray(monetary_value)
    if spend.dtype.kind == "b" or spend.dtype.kind not in "iuf":
        raise TypeError(f"monetary_value must hold numbers, got dtype {spend.dtype}")
    try:
        x, spend = np.broadcast_arrays(x, spend.astype(np.float64))
    except ValueError:
        raise ValueError(
            f"frequency and monetary_value must have one shape, got {x.shape} and {spend.shape}"
        ) from None
    flat_x, flat_spend = x.reshape(-1), spend.reshape(-1)
    problems = []
    if repeat_only:
        problems += [
            Problem(row, "frequency", float(flat_x[row]), "the spend model reads repeat customers")
            for row in np.flatnonzero(flat_x == 0).tolist()
        ]
    with np.errstate(invalid="ignore"):
        bad = (flat_x > 0) & ~(np.isfinite(flat_spend) & (flat_spend > 0))
    problems += [
        Problem(
            row,
            "monetary_value",
            float(flat_spend[row]),
            "a repeat customer's mean spend must be positive and finite",
        )
        for row in np.flatnonzero(bad).tolist()
    ]
    if problems:
        raise DataError("customers", sorted(problems, key=lambda p: p.row))
    return x, np.where(x > 0, spend, 0.0)

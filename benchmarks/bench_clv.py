"""BG/NBD fitted to a million customers, beside lifetimes and a hand-written scipy fit.

Two benchmarks on simulated RFM data (fixed seed), from the published CDNOW BG/NBD estimates
converted to days (r = 0.243, alpha = 4.414 * 7, a = 0.793, b = 2.426), customers observed
for 189 to 273 days (CDNOW's 27 to 39 weeks):

* **whole days** (the subject): ages and recencies in whole days, as `rfm_summary` gives
  them. alliance is `RFMSummary.from_arrays` (which checks every customer) plus
  `BetaGeo.fit` (which merges identical customers, then L-BFGS-B with the exact gradient,
  then the standard errors). Peers: lifetimes 0.11.3 ``BetaGeoFitter().fit`` (autograd
  gradient and Hessian, BFGS), and a hand-written fit, the straightforward way a user without
  lifetimes would do it: the numpy log-likelihood of Fader and Hardie's note, minimised by
  ``scipy.optimize.minimize`` (L-BFGS-B, finite-difference gradient) over the
  log-parameters, timed on 100,000 customers and extrapolated. Target: alliance at most
  0.5x lifetimes' time.
* **continuous ages**: the same customers before rounding to days, where no two customers
  are alike and merging cannot help; alliance beside lifetimes.

Every fit must agree with alliance's parameters within 1e-3 (relative), else `Mismatch`; the
notes give the largest relative difference and the difference in log-likelihood (alliance's
minus the peer's, both evaluated by `BetaGeo.log_likelihood`). lifetimes is not a dependency
of `alliance`; install it with ``pip install lifetimes==0.11.3`` (it works with numpy 2.4,
scipy 1.17 and pandas 3). Without it, its rows are skipped and the note says so.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance.kpi import BetaGeo, RFMSummary
from benchmarks._harness import Mismatch, Result, measure, subsample_size

__all__ = ["run"]

FloatArray = npt.NDArray[np.float64]

SEED = 20_261_203
CUSTOMERS = 1_000_000
REPEATS = 3
PEER_REPEATS = 1  # lifetimes takes tens of seconds per fit
TARGET_RATIO = 0.5
PARAMETER_TOLERANCE = 1e-3
TRUTH = BetaGeo(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426, unit="days")
NAMES = ("r", "alpha", "a", "b")
LIFETIMES = "lifetimes 0.11.3"
INSTALL = "pip install lifetimes==0.11.3"


def progress(step: str) -> None:
    print(f"  clv: {step}", file=sys.stderr, flush=True)


def verdict(met: bool, full_size: bool) -> str:
    """``MET`` or ``MISSED``; in lower case, and said to be indicative, below the target size."""
    if full_size:
        return "MET" if met else "MISSED"
    return f"{'met' if met else 'missed'} at this size (indicative only)"


@dataclass(frozen=True, slots=True)
class Customers:
    """Frequency, recency and age (days) of simulated customers."""

    frequency: npt.NDArray[np.int64]
    recency: FloatArray
    T: FloatArray

    @property
    def count(self) -> int:
        return int(self.frequency.size)

    def head(self, count: int) -> Customers:
        return Customers(self.frequency[:count], self.recency[:count], self.T[:count])


def make_customers(count: int) -> tuple[Customers, Customers]:
    """The same customers in continuous time and in whole days."""
    rng = np.random.default_rng(SEED)
    ages = rng.uniform(189.0, 274.0, count)
    simulated = TRUTH.simulate(ages, seed=rng)
    continuous = Customers(simulated["frequency"], simulated["recency"], simulated["T"])
    days_t = np.floor(ages)
    days_recency = np.minimum(np.floor(simulated["recency"]), days_t)
    return continuous, Customers(simulated["frequency"], days_recency, days_t)


def alliance_fit(customers: Customers) -> dict[str, float]:
    rfm = RFMSummary.from_arrays(customers.frequency, customers.recency, customers.T, unit="days")
    fitted = BetaGeo.fit(rfm)
    if fitted.fit_info is None or not fitted.fit_info.converged:
        raise Mismatch(f"alliance's BG/NBD fit did not converge: {fitted.fit_info}")
    return fitted.params


def lifetimes_fit(module: Any, customers: Customers) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = module.BetaGeoFitter().fit(customers.frequency, customers.recency, customers.T)
    return {name: float(fitter.params_[name]) for name in NAMES}


def hand_fit(customers: Customers) -> dict[str, float]:
    """A user's fit: Fader and Hardie's log-likelihood in numpy, minimised by scipy."""
    from scipy.optimize import minimize
    from scipy.special import gammaln

    x = customers.frequency.astype(np.float64)
    t_x, age = customers.recency, customers.T

    def negative_log_likelihood(log_params: FloatArray) -> float:
        r, alpha, a, b = np.exp(log_params)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + age)
        a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
        top = np.maximum(a3, a4)
        mixed = np.log(np.exp(a3 - top) + (x > 0) * np.exp(a4 - top)) + top
        return -float(np.mean(a1 + a2 + mixed))

    with np.errstate(all="ignore"):
        result = minimize(negative_log_likelihood, np.log([1.0, 30.0, 1.0, 1.0]), method="L-BFGS-B")
    return dict(zip(NAMES, np.exp(result.x).tolist(), strict=True))


def log_likelihood(params: dict[str, float], customers: Customers) -> float:
    model = BetaGeo(params["r"], params["alpha"], params["a"], params["b"])
    return float(model.log_likelihood(customers.frequency, customers.recency, customers.T).sum())


def agreement(
    ours: dict[str, float], theirs: dict[str, float], customers: Customers, who: str
) -> str:
    """The note on how close a peer's estimate is to ours; `Mismatch` past the tolerance."""
    worst = max(abs(theirs[name] / ours[name] - 1) for name in NAMES)
    gap = log_likelihood(ours, customers) - log_likelihood(theirs, customers)
    shown = ", ".join(f"{name} {theirs[name]:.4f}" for name in NAMES)
    if worst > PARAMETER_TOLERANCE:
        raise Mismatch(f"{who}'s estimate ({shown}) is {worst:.1e} off alliance's")
    return f"{shown}; max rel. diff {worst:.1e}; log-lik. alliance - it {gap:+.2e}"


def bench_fit(
    name: str,
    customers: Customers,
    lifetimes: Any,
    missing: str,
    *,
    with_hand_fit: bool,
    full: bool,
) -> list[Result]:
    count = customers.count
    progress(f"{name}: alliance")
    subject = measure(lambda: alliance_fit(customers), REPEATS)
    ours = subject.value
    notes = ["from_arrays + BetaGeo.fit; " + ", ".join(f"{n} {ours[n]:.4f}" for n in NAMES)]
    rows: list[Result] = []
    if lifetimes is not None:
        progress(f"{name}: lifetimes (tens of seconds)")
        peer = measure(lambda: lifetimes_fit(lifetimes, customers), PEER_REPEATS)
        ratio = subject.seconds / peer.seconds
        notes.insert(
            0,
            f"target <= {TARGET_RATIO:g}x lifetimes: {verdict(ratio <= TARGET_RATIO, full)} "
            f"({ratio:.2f}x)",
        )
        rows.append(
            Result.timed(
                name,
                f"{LIFETIMES} BetaGeoFitter.fit",
                peer,
                rows=count,
                baseline=True,
                note=agreement(ours, peer.value, customers, "lifetimes"),
            )
        )
    else:
        notes.insert(0, f"lifetimes skipped ({missing}): {INSTALL}")
    if with_hand_fit:
        sample = subsample_size(count, count / CUSTOMERS)
        progress(f"{name}: hand-written scipy fit on {sample:,} customers")
        part = customers.head(sample)
        hand = measure(lambda: hand_fit(part), PEER_REPEATS)
        reference = alliance_fit(part)
        rows.append(
            Result.timed(
                name,
                "numpy log-likelihood + scipy minimize",
                hand,
                rows=count,
                measured_rows=sample,
                baseline=True,
                note=agreement(reference, hand.value, part, "the hand-written fit"),
            )
        )
    rows.insert(
        0,
        Result.timed(
            name, "alliance BetaGeo.fit", subject, rows=count, baseline=False, note="; ".join(notes)
        ),
    )
    return rows


def load_lifetimes() -> tuple[Any, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module("lifetimes"), ""
    except Exception as error:  # a peer that cannot be imported is skipped, whatever the reason
        return None, str(error)


def run(scale: float) -> list[Result]:
    """BG/NBD fits at ``scale`` times 1M customers."""
    count = max(10_000, round(CUSTOMERS * scale))
    full = count == CUSTOMERS
    progress(f"simulating {count:,} customers")
    continuous, days = make_customers(count)
    lifetimes, missing = load_lifetimes()
    results = bench_fit(
        f"BG/NBD fit, {count:,} customers in whole days",
        days,
        lifetimes,
        missing,
        with_hand_fit=True,
        full=full,
    )
    results += bench_fit(
        f"BG/NBD fit, {count:,} customers in continuous time",
        continuous,
        lifetimes,
        missing,
        with_hand_fit=False,
        full=full,
    )
    return results

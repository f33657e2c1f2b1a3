"""Customer value: RFM summaries, BG/NBD, Pareto/NBD, Gamma-Gamma and CLV.

The models are checked three ways: their log-likelihoods against direct formulas written
here (the textbook products, and for Pareto/NBD a numerical integral in place of the
hypergeometric function), their predictions against the published CDNOW figures and the
original (untransformed) formulas, and their fits against data simulated from known
parameters, which the estimates must recover within four of their standard errors.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from collections import defaultdict
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from scipy import integrate, optimize, special

import alliance as al
from alliance.errors import (
    CurrencyMismatch,
    DataError,
    MissingDependency,
    MoneyOverflow,
    TimezoneError,
)
from alliance.kpi._bgnbd import BetaGeo
from alliance.kpi._clv import CustomerValues, customer_lifetime_value
from alliance.kpi._clv_checks import Unit
from alliance.kpi._clv_fit import FitInfo
from alliance.kpi._clv_pareto import ParetoNBD
from alliance.kpi._gamma import GammaGamma
from alliance.kpi._rfm import RFMSummary, rfm_summary

FloatArray = npt.NDArray[np.float64]

#: The published CDNOW estimates (Fader, Hardie and Lee 2005), in weeks and US dollars.
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
CDNOW_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}
#: How far an estimate may fall from the truth, in its own standard errors. With a fixed seed
#: the outcome is deterministic; 4 standard errors is what a correct estimator passes for
#: all but about 1 in 16,000 seeds per parameter, and what a biased one (a wrong gradient,
#: a wrong likelihood term) fails by far at these sample sizes.
Z_LIMIT = 4.0


def cdnow(unit: Unit | None = "weeks") -> BetaGeo:
    return BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit=unit)


def pareto(params: dict[str, float], unit: Unit | None = None) -> ParetoNBD:
    return ParetoNBD(params["r"], params["alpha"], params["s"], params["beta"], unit=unit)


def cdnow_spend(currency: str | None = None) -> GammaGamma:
    return GammaGamma(p=6.25, q=3.74, v=15.44, currency=currency)


def order(
    order_id: str,
    ts: str,
    amount: str,
    customer: str | None,
    currency: str = "USD",
) -> dict[str, Any]:
    row: dict[str, Any] = {"order_id": order_id, "ts": ts, "amount": amount, "currency": currency}
    if customer is not None:
        row["customer_id"] = customer
    return row


#: Four purchases of ann (two on one Shanghai day that are two UTC days), bob, a row without
#: a customer, and cat's order at the last second of 10 January in Shanghai.
SHANGHAI_ORDERS = [
    order("o1", "2026-01-01T20:00:00+00:00", "30.00", "ann"),  # 2 Jan 04:00 in Shanghai
    order("o2", "2026-01-02T03:00:00+00:00", "5.00", "ann"),  # 2 Jan 11:00
    order("o3", "2026-01-05T02:00:00+00:00", "20.00", "ann"),  # 5 Jan
    order("o4", "2026-01-09T17:00:00+00:00", "12.50", "ann"),  # 10 Jan 01:00
    order("o5", "2026-01-03T00:00:00+00:00", "40.00", "bob"),  # 3 Jan
    order("o6", "2026-01-04T00:00:00+00:00", "99.00", None),
    order("o7", "2026-01-10T15:59:59+00:00", "7.00", "cat"),  # 10 Jan 23:59:59
]


def by_customer(rfm: RFMSummary) -> dict[str, dict[str, Any]]:
    return {row["customer_id"]: row for row in rfm.to_records()}


# -- RFM summary ------------------------------------------------------------------------------


def test_rfm_summary_groups_purchases_by_day_in_the_programme_time_zone() -> None:
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    rfm = rfm_summary(orders, tz="Asia/Shanghai")
    rows = by_customer(rfm)
    # ann: 2 Jan (30 + 5), 5 Jan (20), 10 Jan (12.50); the end is cat's order, 10 Jan.
    assert rows["ann"] == {
        "customer_id": "ann",
        "frequency": 2,
        "recency": 8.0,
        "T": 8.0,
        "monetary_total_minor": 3250,
        "monetary_minor": 1625,
        "monetary_value": 16.25,
    }
    assert (rows["bob"]["frequency"], rows["bob"]["recency"], rows["bob"]["T"]) == (0, 0.0, 7.0)
    assert rows["bob"]["monetary_total_minor"] == rows["bob"]["monetary_minor"] == 0
    assert math.isnan(rows["bob"]["monetary_value"])
    assert (rows["cat"]["frequency"], rows["cat"]["T"]) == (0, 0.0)
    assert rfm["customer_id"].tolist() == ["ann", "bob", "cat"]
    assert rfm.currency == "USD"
    assert rfm.unit == "days"
    assert rfm.tz == "Asia/Shanghai"
    assert rfm.skipped_without_customer == 1
    assert rfm.skipped_after_end == 0
    assert rfm.observation_end == datetime(
        2026, 1, 10, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert "1 orders without a customer skipped" in repr(rfm)
    assert rfm.total() == al.Money("32.50", "USD")
    # In UTC the first two orders are two days: one more repeat purchase, one more day of age.
    utc = by_customer(rfm_summary(orders))["ann"]
    assert (utc["frequency"], utc["recency"], utc["T"], utc["monetary_minor"]) == (
        3,
        8.0,
        9.0,
        1250,
    )


def test_rfm_summary_observation_end_leaves_later_orders_out_and_counts_them() -> None:
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    end = datetime(2026, 1, 6, tzinfo=ZoneInfo("Asia/Shanghai"))
    rfm = rfm_summary(orders, tz="Asia/Shanghai", observation_end=end)
    rows = by_customer(rfm)
    assert set(rows) == {"ann", "bob"}  # cat bought only after the end
    assert (rows["ann"]["frequency"], rows["ann"]["recency"], rows["ann"]["T"]) == (1, 3.0, 4.0)
    assert rows["ann"]["monetary_total_minor"] == 2000
    assert rows["bob"]["T"] == 3.0
    assert rfm.skipped_after_end == 2
    assert rfm.skipped_without_customer == 1
    assert "2 orders after the end skipped" in repr(rfm)


def test_rfm_summary_in_weeks_and_with_the_first_purchase_in_the_mean() -> None:
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    weeks = by_customer(rfm_summary(orders, tz="Asia/Shanghai", unit="weeks"))["ann"]
    assert (weeks["recency"], weeks["T"]) == (8 / 7, 8 / 7)
    every = rfm_summary(orders, tz="Asia/Shanghai", monetary="mean_all")
    assert every.monetary == "mean_all"
    # ann's days total 35.00, 20.00 and 12.50: 67.50 over 3; bob 40.00 over 1.
    assert every["monetary_total_minor"].tolist() == [6750, 4000, 700]
    assert every["monetary_minor"].tolist() == [2250, 4000, 700]
    assert every["monetary_value"].tolist() == [22.5, 40.0, 7.0]


def test_rfm_summary_reads_another_customer_column() -> None:
    rows = [
        {**order("a", "2026-03-01T10:00:00+00:00", "10.00", None), "email_hash": "h1"},
        {**order("b", "2026-03-04T10:00:00+00:00", "30.00", None), "email_hash": "h1"},
        {**order("c", "2026-03-05T10:00:00+00:00", "30.00", None), "account": 7},
        {**order("d", "2026-03-06T10:00:00+00:00", "20.00", None), "account": 7},
    ]
    orders = al.Orders.from_records(rows)
    by_email = rfm_summary(orders, customer="email_hash")
    assert by_email["customer_id"].tolist() == ["h1"]
    assert by_email["frequency"].tolist() == [1]
    assert by_email["T"].tolist() == [5.0]
    assert by_email.skipped_without_customer == 2
    by_account = rfm_summary(orders, customer="account")  # an extra column of numbers
    assert by_account["customer_id"].tolist() == ["7"]
    assert by_account["monetary_minor"].tolist() == [2000]
    assert by_account.skipped_without_customer == 2


def fx_orders() -> al.Orders:
    return al.Orders.from_records(
        [
            order("u1", "2026-01-02T10:00:00+00:00", "5.00", "c1", "USD"),
            order("e1", "2026-01-03T10:00:00+00:00", "10.00", "c1", "EUR"),
        ]
    )


def eur_usd() -> al.FxRates:
    return al.FxRates.from_records(
        [
            {
                "base": "EUR",
                "quote": "USD",
                "rate": "1.0832",
                "as_of": datetime(2026, 1, 1, tzinfo=UTC),
            }
        ]
    )


def test_rfm_summary_converts_currencies_exactly_with_fx() -> None:
    rfm = rfm_summary(fx_orders(), currency="USD", fx=eur_usd())
    # EUR 10.00 at 1.0832 is USD 10.832, rounded once: 10.83.
    assert rfm.currency == "USD"
    assert rfm["monetary_total_minor"].tolist() == [1083]
    every = rfm_summary(fx_orders(), currency="USD", fx=eur_usd(), monetary="mean_all")
    # (500 + 1083) / 2 = 791.5, half to even: 792.
    assert every["monetary_minor"].tolist() == [792]
    assert every["monetary_value"].tolist() == [7.915]


def test_rfm_summary_refuses_mixed_currencies_without_fx() -> None:
    with pytest.raises(CurrencyMismatch, match=r"orders are in EUR, USD: give currency="):
        rfm_summary(fx_orders())
    with pytest.raises(CurrencyMismatch, match=r"orders are in EUR, not USD: give fx="):
        rfm_summary(fx_orders(), currency="USD")
    with pytest.raises(CurrencyMismatch, match=r"give currency="):
        rfm_summary(fx_orders(), fx=eur_usd())
    one = al.Orders.from_records([order("u1", "2026-01-02T10:00:00+00:00", "5.00", "c1")])
    assert rfm_summary(one, currency="USD").currency == "USD"  # no fx needed


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda o: rfm_summary([1, 2]), TypeError, "orders must be an Orders table, got list"),  # type: ignore[arg-type]
        (lambda o: rfm_summary(o, customer="user"), ValueError, "no column 'user'"),
        (lambda o: rfm_summary(o, unit="months"), ValueError, "unit must be 'days' or 'weeks'"),  # type: ignore[arg-type]
        (lambda o: rfm_summary(o, monetary="median"), ValueError, "monetary must be"),  # type: ignore[arg-type]
        (lambda o: rfm_summary(o, tz="Mars/Olympus"), TimezoneError, "not a known IANA"),
        (
            lambda o: rfm_summary(o, observation_end=datetime(2026, 1, 1)),
            TimezoneError,
            "observation_end=.* is naive",
        ),
        (lambda o: rfm_summary(o, fx={"EUR": 1}), TypeError, "fx must be FxRates"),  # type: ignore[arg-type]
    ],
)
def test_rfm_summary_bad_input(call: Any, error: type[Exception], message: str) -> None:
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    with pytest.raises(error, match=message):
        call(orders)


def test_rfm_summary_of_no_orders_is_empty() -> None:
    orders = al.Orders.from_records([order("o6", "2026-01-04T00:00:00+00:00", "9.00", None)])
    rfm = rfm_summary(orders)
    assert len(rfm) == 0
    assert rfm.skipped_without_customer == 1
    assert rfm.observation_end == datetime(2026, 1, 4, tzinfo=UTC)
    assert rfm.to_records() == []


def test_rfm_summary_refuses_totals_past_int64() -> None:
    huge = "90000000000000000"  # 9e16 dollars, 9e18 cents: two of them overflow int64
    orders = al.Orders.from_records(
        [
            order("a", "2026-01-01T00:00:00+00:00", huge, "c"),
            order("b", "2026-01-02T00:00:00+00:00", huge, "c"),
        ]
    )
    with pytest.raises(MoneyOverflow, match="sum past the int64 range"):
        rfm_summary(orders)


def reference_rfm(
    rows: list[dict[str, Any]], tz: str, end: datetime
) -> dict[str, tuple[int, int, int, int]]:
    """Per customer: frequency, recency and T in days and the repeat total, by the book."""
    zone = ZoneInfo(tz)
    days: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row.get("customer_id") is None:
            continue
        instant = datetime.fromisoformat(row["ts"])
        if instant > end:
            continue
        cents = int(Decimal(row["amount"]) * 100)
        days[row["customer_id"]][instant.astimezone(zone).date()] += cents
    end_day = end.astimezone(zone).date()
    out = {}
    for customer, spend in days.items():
        ordered = sorted(spend)
        first, last = ordered[0], ordered[-1]
        repeat_total = sum(spend[d] for d in ordered[1:])
        out[customer] = (
            len(ordered) - 1,
            (last - first).days,
            (end_day - first).days,
            repeat_total,
        )
    return out


def test_rfm_summary_matches_a_reference_across_daylight_saving_changes() -> None:
    rng = np.random.default_rng(7)
    start = datetime(2026, 2, 20, tzinfo=UTC)
    rows = []
    for number in range(600):
        instant = start + timedelta(seconds=int(rng.integers(0, 60 * 86_400)))
        customer = None if rng.random() < 0.05 else f"c{int(rng.integers(0, 80)):02d}"
        cents = int(rng.integers(100, 20_000))
        rows.append(
            order(f"o{number}", instant.isoformat(), f"{cents // 100}.{cents % 100:02d}", customer)
        )
    orders = al.Orders.from_records(rows)
    end = datetime(2026, 4, 10, tzinfo=UTC)
    rfm = rfm_summary(orders, tz="America/New_York", observation_end=end)  # DST on 8 March
    expected = reference_rfm(rows, "America/New_York", end)
    got = {
        row["customer_id"]: (
            row["frequency"],
            int(row["recency"]),
            int(row["T"]),
            row["monetary_total_minor"],
        )
        for row in rfm.to_records()
    }
    assert got == expected
    assert rfm.skipped_without_customer == sum(r.get("customer_id") is None for r in rows)
    assert rfm.skipped_after_end == sum(
        datetime.fromisoformat(r["ts"]) > end for r in rows if r.get("customer_id")
    )


def test_rfm_summary_table_reads_and_exports() -> None:
    rfm = rfm_summary(al.Orders.from_records(SHANGHAI_ORDERS), tz="Asia/Shanghai")
    assert rfm.columns == (
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_total_minor",
        "monetary_minor",
        "monetary_value",
    )
    frame = rfm.to_pandas()
    assert frame["frequency"].tolist() == [2, 0, 0]
    assert frame.columns.tolist() == list(rfm.columns)
    with pytest.raises(KeyError, match="no column 'clv'"):
        rfm["clv"]
    with pytest.raises(ValueError, match="read-only"):
        rfm["frequency"][0] = 5
    with pytest.raises(AttributeError, match="immutable; cannot set 'currency'"):
        rfm.currency = "EUR"


# -- RFM from arrays --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "column", "reason"),
    [
        ([-1], [0.0], [5.0], "frequency", "cannot be negative"),
        ([1.5], [2.0], [5.0], "frequency", "must be a whole number"),
        ([2], [6.0], [5.0], "recency", "cannot exceed T"),
        ([0], [2.0], [5.0], "recency", "frequency 0 has no repeat purchase, so recency must be 0"),
        ([1], [-1.0], [5.0], "recency", "cannot be negative"),
        ([1], [1.0], [math.inf], "T", "T must be finite"),
        ([1], [math.nan], [5.0], "recency", "recency must be finite"),
    ],
)
def test_rfm_from_arrays_refuses_impossible_customers(
    frequency: list[float], recency: list[float], T: list[float], column: str, reason: str
) -> None:
    with pytest.raises(DataError, match=reason) as caught:
        RFMSummary.from_arrays([0, *frequency], [0.0, *recency], [1.0, *T])
    assert caught.value.rows == (1,)
    assert {p.column for p in caught.value.problems} == {column}


def test_rfm_from_arrays_checks_spend_ids_and_shapes() -> None:
    with pytest.raises(TypeError, match="a float cannot hold money exactly"):
        RFMSummary.from_arrays([1], [1.0], [2.0], monetary_total_minor=[2.5], currency="USD")
    with pytest.raises(ValueError, match="needs its currency"):
        RFMSummary.from_arrays([1], [1.0], [2.0], monetary_total_minor=[250])
    with pytest.raises(ValueError, match="currency is given without monetary_total_minor"):
        RFMSummary.from_arrays([1], [1.0], [2.0], currency="USD")
    with pytest.raises(DataError, match="frequency 0 has no repeat purchase to spend on"):
        RFMSummary.from_arrays([0], [0.0], [2.0], monetary_total_minor=[250], currency="USD")
    with pytest.raises(DataError, match="spend cannot be negative"):
        RFMSummary.from_arrays([1], [1.0], [2.0], monetary_total_minor=[-1], currency="USD")
    with pytest.raises(ValueError, match=r"customer_id must be unique; repeated: \['a'\]"):
        RFMSummary.from_arrays([1, 1], [1.0, 1.0], [2.0, 2.0], customer_id=["a", "a"])
    with pytest.raises(ValueError, match="one shape"):
        RFMSummary.from_arrays([1, 1], [1.0, 1.0, 1.0], [2.0, 2.0])
    with pytest.raises(TypeError, match="frequency must hold numbers"):
        RFMSummary.from_arrays(["1"], [1.0], [2.0])
    kept = RFMSummary.from_arrays(
        [1], [1.0], [2.0], monetary_total_minor=[1999], currency="jpy", customer_id=[42]
    )
    assert kept.currency == "JPY"
    assert kept["monetary_value"].tolist() == [1999.0]
    assert kept["customer_id"].tolist() == ["42"]
    assert "1 customers; spend in JPY" in repr(kept)


# -- references for the models ----------------------------------------------------------------


def bgnbd_likelihood(params: dict[str, float], x: int, tx: float, T: float) -> float:
    """The BG/NBD likelihood as Fader, Hardie and Lee print it (a product, not in logs)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]

    def beta_fn(p: float, q: float) -> float:
        return math.exp(math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q))

    rate_part = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    alive = beta_fn(a, b + x) / beta_fn(a, b) * rate_part / (alpha + T) ** (r + x)
    if x == 0:
        return float(alive)
    dead = beta_fn(a + 1, b + x - 1) / beta_fn(a, b) * rate_part / (alpha + tx) ** (r + x)
    return float(alive + dead)


def bgnbd_expected(params: dict[str, float], t: float, x: int, tx: float, T: float) -> float:
    """E[Y(t) | x, t_x, T] in its original form (no Euler transformation)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    return float((a + b + x - 1) / (a - 1) * bracket / (1 + odds))


def pareto_likelihood(params: dict[str, float], x: int, tx: float, T: float) -> float:
    """The Pareto/NBD likelihood with A0 as the integral it comes from (no 2F1)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    head = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r * beta**s
    alive = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    integral, _ = integrate.quad(
        lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
        tx,
        T,
        epsabs=0,
        epsrel=1e-12,
    )
    return float(head * (alive + s * integral))


def gamma_gamma_density(params: dict[str, float], x: int, m: float) -> float:
    p, q, v = params["p"], params["q"], params["v"]
    log = (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(v + x * m)
    )
    return math.exp(log)


TINY = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 36.0), (3, 20.0, 20.0)]


# -- BG/NBD -----------------------------------------------------------------------------------


def test_bgnbd_log_likelihood_matches_the_printed_formula() -> None:
    model = cdnow()
    x, tx, T = (np.array(column) for column in zip(*TINY, strict=True))
    got = model.log_likelihood(x, tx, T)
    expected = [math.log(bgnbd_likelihood(CDNOW_BGNBD, *row)) for row in TINY]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_bgnbd_predictions_match_the_published_cdnow_figures_and_the_original_formula() -> None:
    model = cdnow()
    # Fader, Hardie and Lee (2005): 1.226 purchases in the next 39 weeks for this customer.
    assert round(model.expected_purchases(39, 2, 30.43, 38.86).item(), 3) == 1.226
    for t in (1.0, 39.0, 104.0):
        for x, tx, T in TINY:
            assert model.expected_purchases(t, x, tx, T).item() == pytest.approx(
                bgnbd_expected(CDNOW_BGNBD, t, x, tx, T), rel=1e-10
            )
        # A new customer is one with nothing yet: x = 0 at age 0.
        assert model.expected_purchases_new(t).item() == pytest.approx(
            bgnbd_expected(CDNOW_BGNBD, t, 0, 0.0, 0.0), rel=1e-10
        )


def test_bgnbd_p_alive() -> None:
    model = cdnow()
    # No repeat purchase: dropout follows a purchase, so the customer is alive for sure.
    assert model.p_alive([0, 0], [0.0, 0.0], [1.0, 500.0]).tolist() == [1.0, 1.0]
    # 1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)), by hand:
    odds = 0.793 / (2.426 + 1) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    assert model.p_alive(2, 30.43, 38.86).item() == pytest.approx(1 / (1 + odds), rel=1e-13)
    # The longer since the last purchase, the less likely alive.
    recencies = np.array([38.0, 30.0, 20.0, 10.0, 1.0])
    alive = model.p_alive(3, recencies, 38.0)
    assert bool((np.diff(alive) < 0).all())


def test_bgnbd_expected_purchases_grow_with_the_horizon() -> None:
    model = cdnow()
    horizons = np.array([0.0, 1.0, 5.0, 39.0, 100.0, 1000.0])
    for x, tx, T in TINY:
        expected = model.expected_purchases(horizons, x, tx, T)
        assert expected[0] == 0.0
        assert bool((np.diff(expected) > 0).all())
    new = model.expected_purchases_new(horizons)
    assert new[0] == 0.0
    assert bool((np.diff(new) > 0).all())


def test_bgnbd_stays_finite_for_heavy_buyers_and_long_horizons() -> None:
    model = BetaGeo(r=0.5, alpha=2.0, a=1.5, b=3.0, unit="days")
    expected = model.expected_purchases([10.0, 1e4, 1e6], 400, 999.0, 1000.0)
    assert bool(np.isfinite(expected).all())
    assert bool((np.diff(expected) > 0).all())
    # Over a lifetime a customer who keeps buying makes (about) (b + x - 1) / (a - 1) more:
    # the limit of E[Y(t)] as t grows, times P(alive).
    limit = (3.0 + 400 - 1) / (1.5 - 1) * model.p_alive(400, 999.0, 1000.0).item()
    assert expected[-1] == pytest.approx(limit, rel=0.05)


def test_bgnbd_expectations_are_continuous_at_a_equal_to_one() -> None:
    near = [BetaGeo(r=0.3, alpha=5.0, a=a, b=2.0) for a in (1 - 1e-3, 1.0, 1 + 1e-3)]
    values = [m.expected_purchases(20.0, 2, 10.0, 30.0).item() for m in near]
    new = [m.expected_purchases_new(20.0).item() for m in near]
    for series in (values, new):
        assert math.isfinite(series[1])
        assert min(series[0], series[2]) < series[1] < max(series[0], series[2])
        assert series[1] == pytest.approx((series[0] + series[2]) / 2, rel=1e-6)


def test_bgnbd_simulation_has_the_model_mean() -> None:
    # Customers observed for 39 weeks: the mean of their repeat purchases estimates E[X(39)].
    model = cdnow()
    rfm = model.simulate(np.full(200_000, 39.0), seed=11)
    frequency = rfm["frequency"].astype(float)
    standard_error = frequency.std() / math.sqrt(frequency.size)
    assert abs(frequency.mean() - model.expected_purchases_new(39.0).item()) < 4 * standard_error
    assert rfm.unit == "weeks"
    assert len(rfm) == 200_000


def assert_recovered(fitted: Any, truth: dict[str, float]) -> None:
    info = fitted.fit_info
    assert isinstance(info, FitInfo)
    assert info.converged, info
    for name, value in truth.items():
        error = info.standard_errors[name]
        assert 0 < error < value, (name, error)
        z = (getattr(fitted, name) - value) / error
        assert abs(z) < Z_LIMIT, f"{name}: {getattr(fitted, name):.4f} vs {value} ({z:+.1f} SE)"


def test_bgnbd_fit_recovers_the_cdnow_parameters() -> None:
    ages = np.random.default_rng(1).uniform(27.0, 39.0, 20_000)  # CDNOW's cohort: 27 to 39 weeks
    rfm = cdnow().simulate(ages, seed=2)
    fitted = BetaGeo.fit(rfm)
    assert_recovered(fitted, CDNOW_BGNBD)
    assert fitted.unit == "weeks"
    assert fitted.fit_info is not None
    assert fitted.fit_info.customers == 20_000
    # The reported log-likelihood is the model's own at the estimate.
    direct = fitted.log_likelihood(rfm["frequency"], rfm["recency"], rfm["T"]).sum()
    assert fitted.fit_info.log_likelihood == pytest.approx(direct, rel=1e-12)
    # And it is a maximum: the published parameters explain these data less well.
    truth = cdnow().log_likelihood(rfm["frequency"], rfm["recency"], rfm["T"]).sum()
    assert fitted.fit_info.log_likelihood > truth
    # The relative standard errors at 20,000 customers are about 2 % (r) to 9 % (b).
    errors = fitted.fit_info.standard_errors
    assert 0.01 < errors["r"] / fitted.r < 0.03
    assert 0.05 < errors["b"] / fitted.b < 0.15
    assert "converged" in repr(fitted)
    assert "fitted to 20,000 customers" in repr(fitted)


def test_bgnbd_fit_is_the_maximum_of_the_printed_likelihood() -> None:
    # An independent optimiser (Nelder-Mead, no gradient) on the textbook product formula.
    rfm = cdnow().simulate(np.random.default_rng(13).uniform(27.0, 39.0, 300), seed=14)
    rows = list(
        zip(rfm["frequency"].tolist(), rfm["recency"].tolist(), rfm["T"].tolist(), strict=True)
    )

    def negative(log_params: FloatArray) -> float:
        params = dict(zip(BetaGeo.names, np.exp(log_params).tolist(), strict=True))
        return -sum(math.log(bgnbd_likelihood(params, *row)) for row in rows)

    reference = optimize.minimize(
        negative,
        np.log([0.3, 5.0, 1.0, 2.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 20_000, "maxfev": 20_000},
    )
    assert reference.success
    fitted = BetaGeo.fit(rfm)
    assert fitted.fit_info is not None
    assert fitted.fit_info.log_likelihood == pytest.approx(-reference.fun, abs=1e-7)
    for name, value in zip(BetaGeo.names, np.exp(reference.x).tolist(), strict=True):
        assert getattr(fitted, name) == pytest.approx(value, rel=1e-4)


def test_bgnbd_fit_in_whole_days_merges_identical_customers_without_changing_the_estimate() -> None:
    truth = BetaGeo(r=0.25, alpha=30.0, a=0.8, b=2.5, unit="days")
    ages = np.random.default_rng(3).integers(180, 360, 6000).astype(float)
    simulated = truth.simulate(ages, seed=4)
    days = RFMSummary.from_arrays(
        simulated["frequency"], np.floor(simulated["recency"]), ages, unit="days"
    )
    merged = BetaGeo.fit(days)  # ages in whole days: identical customers are evaluated once
    # The same data, merged by hand into distinct rows with their counts as weights.
    rows = np.stack([days["frequency"], days["recency"], days["T"]], axis=1)
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert distinct.shape[0] < 3000
    weighted = BetaGeo.fit(
        RFMSummary.from_arrays(distinct[:, 0], distinct[:, 1], distinct[:, 2], unit="days"),
        weights=counts,
    )
    for name in BetaGeo.names:
        assert getattr(merged, name) == pytest.approx(getattr(weighted, name), rel=1e-6)
    assert merged.fit_info is not None
    assert weighted.fit_info is not None
    assert merged.fit_info.customers == weighted.fit_info.customers == 6000
    direct = merged.log_likelihood(days["frequency"], days["recency"], days["T"]).sum()
    assert merged.fit_info.log_likelihood == pytest.approx(direct, rel=1e-12)
    assert_recovered(merged, truth.params)


def test_bgnbd_fit_says_when_the_data_do_not_identify_a_parameter() -> None:
    # Nobody ever repeats: the purchase rate runs to zero and dropout is not identified.
    rfm = RFMSummary.from_arrays(np.zeros(50), np.zeros(50), np.linspace(1, 50, 50))
    fitted = BetaGeo.fit(rfm)
    assert fitted.fit_info is not None
    assert not fitted.fit_info.converged
    assert "do not identify" in fitted.fit_info.message
    assert "NOT converged" in repr(fitted)


# -- Pareto/NBD -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        CDNOW_PARETO,  # alpha < beta
        {"r": 0.7, "alpha": 12.0, "s": 1.3, "beta": 4.0},  # alpha > beta
        {"r": 0.7, "alpha": 6.0, "s": 0.5, "beta": 6.0},  # alpha = beta
    ],
)
def test_pareto_log_likelihood_matches_the_integral(params: dict[str, float]) -> None:
    model = pareto(params)
    x, tx, T = (np.array(column) for column in zip(*TINY, strict=True))
    got = model.log_likelihood(x, tx, T)
    expected = [math.log(pareto_likelihood(params, *row)) for row in TINY]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_pareto_predictions() -> None:
    model = pareto(CDNOW_PARETO)
    r, alpha, s, beta = (CDNOW_PARETO[n] for n in ("r", "alpha", "s", "beta"))
    for x, tx, T in TINY:
        # P(alive) = 1 / (1 + s / (r+s+x) (alpha+T)^(r+x) (beta+T)^s A0), A0 by integration.
        integral, _ = integrate.quad(
            lambda tau, x=x: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
            tx,
            T,
            epsabs=0,
            epsrel=1e-12,
        )
        odds = s * (alpha + T) ** (r + x) * (beta + T) ** s * integral
        alive = 1 / (1 + odds)
        assert model.p_alive(x, tx, T).item() == pytest.approx(alive, rel=1e-9)
        expected = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        expected *= 1 - ((beta + T) / (beta + T + 39)) ** (s - 1)
        assert model.expected_purchases(39, x, tx, T).item() == pytest.approx(
            expected * alive, rel=1e-9
        )
    # Bought at the very end: certainly alive. Without a repeat: not certainly (unlike BG/NBD).
    assert model.p_alive(3, 20.0, 20.0).item() == 1.0
    assert 0 < model.p_alive(0, 0.0, 38.0).item() < 1
    new = model.expected_purchases_new([0.0, 39.0, 100.0])
    assert new[0] == 0.0
    assert bool((np.diff(new) > 0).all())
    assert new[1] == pytest.approx(
        r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + 39)) ** (s - 1))
    )


def test_pareto_expectations_are_continuous_at_s_equal_to_one() -> None:
    near = [ParetoNBD(r=0.5, alpha=10.0, s=s, beta=8.0) for s in (1 - 1e-7, 1.0, 1 + 1e-7)]
    values = [m.expected_purchases(30.0, 2, 10.0, 25.0).item() for m in near]
    assert values[1] == pytest.approx(values[0], rel=1e-6)
    assert values[1] == pytest.approx(values[2], rel=1e-6)
    # At s = 1 exactly: (r + x)(beta + T)/(alpha + T) log((beta + T + t)/(beta + T)) P(alive).
    alive = near[1].p_alive(2, 10.0, 25.0).item()
    assert values[1] == pytest.approx(2.5 * 33 / 35 * math.log(63 / 33) * alive, rel=1e-12)


def test_pareto_fit_recovers_its_parameters() -> None:
    truth = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
    ages = np.random.default_rng(5).uniform(52.0, 104.0, 5000)
    rfm = pareto(truth, "weeks").simulate(ages, seed=6)
    fitted = ParetoNBD.fit(rfm)
    assert_recovered(fitted, truth)
    assert fitted.fit_info is not None
    direct = fitted.log_likelihood(rfm["frequency"], rfm["recency"], rfm["T"]).sum()
    assert fitted.fit_info.log_likelihood == pytest.approx(direct, rel=1e-12)
    # The mean purchase rate r / alpha is identified much better than each of its parts.
    assert fitted.r / fitted.alpha == pytest.approx(truth["r"] / truth["alpha"], rel=0.08)


def test_pareto_simulation_has_the_model_mean() -> None:
    model = pareto(CDNOW_PARETO, "weeks")
    frequency = model.simulate(np.full(200_000, 39.0), seed=12)["frequency"].astype(float)
    standard_error = frequency.std() / math.sqrt(frequency.size)
    assert abs(frequency.mean() - model.expected_purchases_new(39.0).item()) < 4 * standard_error


# -- Gamma-Gamma ------------------------------------------------------------------------------


def test_gamma_gamma_density_matches_the_formula() -> None:
    model = cdnow_spend()
    x = np.array([1, 2, 5, 40])
    m = np.array([10.0, 35.0, 120.5, 3.0])
    got = model.log_likelihood(x, m)
    expected = [
        math.log(gamma_gamma_density(CDNOW_SPEND, int(a), float(b)))
        for a, b in zip(x, m, strict=True)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gamma_gamma_expected_spend_by_hand() -> None:
    model = cdnow_spend("USD")
    # p (v + x m) / (p x + q - 1): 6.25 (15.44 + 2 * 20) / (12.5 + 2.74) = 346.5 / 15.24.
    assert model.expected_average_spend(2, 20.0).item() == pytest.approx(346.5 / 15.24, rel=1e-14)
    # Without a repeat purchase, the population mean p v / (q - 1) = 96.5 / 2.74.
    assert model.expected_average_spend(0, math.nan).item() == pytest.approx(96.5 / 2.74)
    assert model.mean_spend == pytest.approx(96.5 / 2.74)
    # Many purchases: the customer's own mean dominates.
    assert model.expected_average_spend(1000, 20.0).item() == pytest.approx(20.0, rel=0.01)
    heavy_tail = GammaGamma(p=2.0, q=0.8, v=10.0)
    assert heavy_tail.mean_spend == math.inf
    with pytest.raises(ValueError, match=r"q=0.8 <= 1: the mean spend .* is infinite"):
        heavy_tail.expected_average_spend([3, 0], [10.0, 0.0])
    assert heavy_tail.expected_average_spend(3, 10.0).item() == pytest.approx(2 * 40 / 5.8)


def test_gamma_gamma_fit_recovers_the_cdnow_parameters() -> None:
    frequency = np.random.default_rng(8).integers(1, 8, 4000)
    rfm = RFMSummary.from_arrays(frequency, np.ones(4000), np.full(4000, 2.0), unit="weeks")
    with_spend = cdnow_spend().simulate(rfm, currency="USD", seed=9)
    assert with_spend.currency == "USD"
    assert with_spend.monetary == "mean_repeat"
    fitted = GammaGamma.fit(with_spend)
    assert_recovered(fitted, CDNOW_SPEND)
    assert fitted.currency == "USD"
    assert fitted.fit_info is not None
    assert fitted.fit_info.customers == 4000
    direct = fitted.log_likelihood(with_spend["frequency"], with_spend["monetary_value"]).sum()
    assert fitted.fit_info.log_likelihood == pytest.approx(direct, rel=1e-12)


def test_gamma_gamma_fit_reads_repeat_customers_only_and_checks_them() -> None:
    no_spend = RFMSummary.from_arrays([1, 2], [1.0, 2.0], [3.0, 3.0])
    with pytest.raises(ValueError, match="needs spend: this RFM summary has none"):
        GammaGamma.fit(no_spend)
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    with pytest.raises(ValueError, match="monetary='mean_repeat', not 'mean_all'"):
        GammaGamma.fit(rfm_summary(orders, monetary="mean_all"))
    nobody = RFMSummary.from_arrays([0], [0.0], [3.0], monetary_total_minor=[0], currency="USD")
    with pytest.raises(ValueError, match="needs customers with a repeat purchase"):
        GammaGamma.fit(nobody)
    free = RFMSummary.from_arrays(
        [0, 1, 2], [0.0, 1.0, 2.0], [3.0] * 3, monetary_total_minor=[0, 0, 500], currency="USD"
    )
    with pytest.raises(DataError, match="Gamma-Gamma needs positive mean spend") as caught:
        GammaGamma.fit(free)
    assert caught.value.rows == (1,)
    with pytest.raises(TypeError, match="rfm must be an RFMSummary"):
        GammaGamma.fit({"frequency": [1]})  # type: ignore[arg-type]
    with pytest.raises(DataError, match="the spend model reads repeat customers"):
        cdnow_spend().log_likelihood([0, 1], [5.0, 5.0])
    with pytest.raises(DataError, match="mean spend must be positive and finite"):
        cdnow_spend().expected_average_spend([1, 2], [5.0, -1.0])


# -- parameters, horizons, shared checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: BetaGeo(r=-1, alpha=1, a=1, b=1), ValueError, "r must be a positive finite"),
        (lambda: BetaGeo(r=1, alpha=math.inf, a=1, b=1), ValueError, "alpha must be a positive"),
        (lambda: BetaGeo(r=1, alpha=1, a="1", b=1), TypeError, "a must be a positive number"),  # type: ignore[arg-type]
        (lambda: BetaGeo(r=1, alpha=1, a=1, b=True), TypeError, "b must be a positive number"),
        (lambda: BetaGeo(r=1, alpha=1, a=1, b=1, unit="months"), ValueError, "unit must be"),  # type: ignore[arg-type]
        (lambda: ParetoNBD(r=1, alpha=1, s=0, beta=1), ValueError, "s must be a positive"),
        (lambda: GammaGamma(p=1, q=1, v=-2), ValueError, "v must be a positive"),
        (lambda: GammaGamma(p=1, q=1, v=2, currency="XXY"), ValueError, "XXY"),
        (
            lambda: cdnow().expected_purchases(-1, 1, 1.0, 2.0),
            ValueError,
            "t must be finite and not negative",
        ),
        (lambda: cdnow().expected_purchases_new(math.nan), ValueError, "t must be finite"),
        (lambda: cdnow().p_alive(1, 3.0, 2.0), DataError, "cannot exceed T"),
        (lambda: pareto(CDNOW_PARETO).p_alive(-2, 0.0, 2.0), DataError, "cannot be negative"),
        (lambda: BetaGeo.fit([1, 2, 3]), TypeError, "rfm must be an RFMSummary"),  # type: ignore[arg-type]
        (lambda: BetaGeo.fit(RFMSummary.from_arrays([], [], [])), ValueError, "no customers"),
        (
            lambda: BetaGeo.fit(RFMSummary.from_arrays([1], [1.0], [2.0]), weights=[-1]),
            ValueError,
            "weights must be finite and not negative",
        ),
        (
            lambda: ParetoNBD.fit(RFMSummary.from_arrays([1], [1.0], [2.0]), weights=[1, 2]),
            ValueError,
            "one value per customer",
        ),
    ],
)
def test_bad_input_is_refused_in_words(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_models_are_frozen_values() -> None:
    model = cdnow()
    with pytest.raises(FrozenInstanceError):
        model.r = 1.0  # type: ignore[misc]
    assert model == cdnow()
    assert model.params == CDNOW_BGNBD
    assert repr(model) == "BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit='weeks')"
    assert repr(cdnow_spend("usd")) == ("GammaGamma(p=6.25, q=3.74, v=15.44, currency='USD')")


def test_fitted_models_and_tables_pickle() -> None:
    rfm = cdnow_spend().simulate(
        cdnow().simulate(np.linspace(27.0, 39.0, 2000), seed=15), currency="USD", seed=16
    )
    fitted = BetaGeo.fit(rfm)
    spend = GammaGamma.fit(rfm)
    values = customer_lifetime_value(fitted, spend, rfm)
    for thing in (fitted, spend, rfm, values):
        copy = pickle.loads(pickle.dumps(thing))
        assert type(copy) is type(thing)
        assert repr(copy) == repr(thing)
    copied = pickle.loads(pickle.dumps(fitted))
    assert copied == fitted
    assert copied.fit_info == fitted.fit_info
    assert copied.fit_info is not None
    with pytest.raises(TypeError):
        copied.fit_info.standard_errors["r"] = 0.0
    table = pickle.loads(pickle.dumps(rfm))
    for column in rfm.columns:
        np.testing.assert_array_equal(table[column], rfm[column])
    assert (table.unit, table.currency, table.monetary) == ("weeks", "USD", "mean_repeat")
    with pytest.raises(ValueError, match="read-only"):
        table["T"][0] = 0.0
    assert pickle.loads(pickle.dumps(values))["clv_minor"].tolist() == values["clv_minor"].tolist()


def test_missing_scipy_is_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    rfm = RFMSummary.from_arrays([1, 0], [1.0, 0.0], [2.0, 2.0])
    hint = r"needs scipy; install it with: pip install 'alliance\[stats\]'"
    with pytest.raises(MissingDependency, match=hint) as caught:
        BetaGeo.fit(rfm)
    assert isinstance(caught.value, ImportError)
    with pytest.raises(MissingDependency, match=hint):
        cdnow().p_alive(1, 1.0, 2.0)
    # Reading an RFM summary needs no scipy.
    assert rfm["frequency"].tolist() == [1, 0]


def test_importing_customer_value_does_not_import_scipy() -> None:
    code = (
        "import sys, alliance.kpi._clv, alliance.kpi._rfm\n"
        "print(sorted(m for m in ('scipy', 'pandas', 'polars', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- customer lifetime value ------------------------------------------------------------------


def clv_customers() -> RFMSummary:
    return RFMSummary.from_arrays(
        [0, 2, 6],
        [0.0, 30.0, 80.0],
        [40.0, 90.0, 90.0],
        customer_id=["new", "lapsing", "loyal"],
        monetary_total_minor=[0, 5000, 18_000],
        currency="USD",
        unit="days",
    )


def test_customer_lifetime_value_by_hand() -> None:
    purchases = BetaGeo(r=0.25, alpha=30.0, a=0.8, b=2.5, unit="days")
    spend = cdnow_spend("USD")
    rfm = clv_customers()
    values = customer_lifetime_value(purchases, spend, rfm, months=3, monthly_discount_rate=0.02)
    assert isinstance(values, CustomerValues)
    assert len(values) == 3
    assert values["customer_id"].tolist() == ["new", "lapsing", "loyal"]
    for row, (x, tx, T, mean) in enumerate(
        [(0, 0.0, 40.0, 0.0), (2, 30.0, 90.0, 25.0), (6, 80.0, 90.0, 30.0)]
    ):
        # Spend per purchase: p (v + x m) / (p x + q - 1).
        per_purchase = 6.25 * (15.44 + x * mean) / (6.25 * x + 3.74 - 1)
        cumulative = [purchases.expected_purchases(30.0 * i, x, tx, T).item() for i in range(4)]
        value = sum(
            per_purchase * (cumulative[i] - cumulative[i - 1]) / 1.02**i for i in range(1, 4)
        )
        assert values["clv_minor"][row] == round(value * 100)
        assert values["expected_spend_minor"][row] == round(per_purchase * 100)
        assert values["expected_purchases"][row] == pytest.approx(cumulative[3], rel=1e-12)
        assert values["p_alive"][row] == purchases.p_alive(x, tx, T).item()
    assert values["p_alive"][0] == 1.0
    assert values["clv_minor"].dtype == np.int64
    assert values.total() == al.Money.from_minor(int(values["clv_minor"].sum()), "USD")
    assert values.to_records()[2]["customer_id"] == "loyal"
    assert values.to_pandas()["clv_minor"].tolist() == values["clv_minor"].tolist()
    assert "3 months at 0.02 a month" in repr(values)
    with pytest.raises(AttributeError, match="immutable"):
        values.months = 24
    with pytest.raises(ValueError, match="read-only"):
        values["clv_minor"][0] = 0


def test_customer_lifetime_value_without_discounting_is_spend_times_purchases() -> None:
    purchases = pareto(CDNOW_PARETO, "weeks")
    spend = cdnow_spend("USD")
    rfm = RFMSummary.from_arrays(
        [2], [30.43], [38.86], monetary_total_minor=[7000], currency="USD", unit="weeks"
    )
    values = customer_lifetime_value(purchases, spend, rfm, months=1, monthly_discount_rate=0)
    expected = purchases.expected_purchases(4.345, 2, 30.43, 38.86).item()
    per_purchase = spend.expected_average_spend(2, 35.0).item()
    assert values["clv_minor"].tolist() == [round(expected * per_purchase * 100)]
    assert values["discounted_purchases"][0] == pytest.approx(expected, rel=1e-12)
    # More months, more value; a higher discount rate, less.
    longer = customer_lifetime_value(purchases, spend, rfm, months=24)
    dearer = customer_lifetime_value(purchases, spend, rfm, months=24, monthly_discount_rate=0.05)
    assert values["clv_minor"][0] < dearer["clv_minor"][0] < longer["clv_minor"][0]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"purchases": "bgnbd"}, TypeError, "purchases must be a BetaGeo or ParetoNBD"),
        ({"spend": cdnow()}, TypeError, "spend must be a GammaGamma"),
        ({"months": 0}, ValueError, "months must be at least 1"),
        ({"months": 1.5}, TypeError, "months must be a whole number"),
        ({"monthly_discount_rate": -0.01}, ValueError, "finite and not negative"),
        ({"monthly_discount_rate": "1%"}, TypeError, "must be a number"),
        (
            {"purchases": cdnow()},
            ValueError,
            "counts time in weeks but the RFM summary in days",
        ),
        (
            {"spend": cdnow_spend("EUR")},
            ValueError,
            "the spend model is in EUR but the RFM summary in USD",
        ),
        (
            {"rfm": RFMSummary.from_arrays([1], [1.0], [2.0], unit="days")},
            ValueError,
            "needs spend",
        ),
        (
            {
                "purchases": cdnow(None),
                "rfm": RFMSummary.from_arrays(
                    [1], [1.0], [2.0], monetary_total_minor=[100], currency="USD"
                ),
            },
            ValueError,
            "states its unit of time",
        ),
    ],
)
def test_customer_lifetime_value_bad_input(
    change: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments: dict[str, Any] = {
        "purchases": BetaGeo(r=0.25, alpha=30.0, a=0.8, b=2.5, unit="days"),
        "spend": cdnow_spend("USD"),
        "rfm": clv_customers(),
    }
    arguments.update(change)
    with pytest.raises(error, match=message):
        customer_lifetime_value(**arguments)


def test_customer_lifetime_value_from_orders_end_to_end() -> None:
    orders = al.Orders.from_records(SHANGHAI_ORDERS)
    rfm = rfm_summary(orders, tz="Asia/Shanghai")
    purchases = BetaGeo(r=0.25, alpha=30.0, a=0.8, b=2.5, unit="days")
    spend = cdnow_spend("USD")
    values = customer_lifetime_value(purchases, spend, rfm)
    assert values["customer_id"].tolist() == ["ann", "bob", "cat"]
    assert values.currency == "USD"
    assert values.months == 12
    assert values.unit == "days"
    # bob and cat have no repeat purchase: the population spend, and P(alive) = 1.
    assert values["expected_spend_minor"][1] == values["expected_spend_minor"][2] == 3522
    assert values["p_alive"][1:].tolist() == [1.0, 1.0]
    assert bool((values["clv_minor"] > 0).all())

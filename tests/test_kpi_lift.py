"""Incrementality (Wilson, Newcombe, bootstrap) and partner contribution shares."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest

import alliance as al
from alliance import attribution as at
from alliance.errors import CurrencyMismatch, InvalidAmount
from alliance.kpi import Undefined
from alliance.kpi._lift import Contribution, Interval, contribution, lift, wilson

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def usd(amount: str) -> al.Money:
    return al.Money(amount, "USD")


# -- Wilson ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Table I, method 3 (score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table_i(
    successes: int, total: int, low: float, high: float
) -> None:
    interval = wilson(successes, total)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)
    assert interval.method == "wilson"
    assert interval.confidence == 0.95


def test_wilson_by_hand() -> None:
    # 1 of 4 at z = 1.959964 (z² = 3.841459): centre (0.25 + z²/8) / (1 + z²/4)
    # = 0.730182 / 1.960365 = 0.372473; half z / 1.960365 x sqrt(0.25 x 0.75 / 4 + z²/64)
    # = 0.999796 x sqrt(0.106898) = 0.326885.
    interval = wilson(1, 4)
    assert interval.low == pytest.approx(0.045587, abs=1e-6)
    assert interval.high == pytest.approx(0.699358, abs=1e-6)


@pytest.mark.parametrize(
    ("successes", "total", "confidence"),
    [(0, 1, 0.95), (1, 1, 0.95), (3, 10, 0.9), (56, 70, 0.95), (48, 80, 0.99), (7, 1000, 0.8)],
)
def test_wilson_matches_scipy(successes: int, total: int, confidence: float) -> None:
    expected = binomtest(successes, total).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    interval = wilson(successes, total, confidence)
    assert interval.low == pytest.approx(expected.low, abs=1e-12)
    assert interval.high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_ends_are_exact_at_zero_and_all() -> None:
    assert wilson(0, 7).low == 0.0
    assert wilson(7, 7).high == 1.0
    # numpy integers are whole numbers too
    assert wilson(np.int64(3), np.int64(7)) == wilson(3, 7)  # type: ignore[arg-type]


def test_wilson_of_no_one_is_undefined() -> None:
    interval = wilson(0, 0)
    assert isinstance(interval.low, Undefined)
    assert interval.low.reason == "total is 0: no users to convert"
    assert math.isnan(interval.high)
    assert 0.5 not in interval
    assert not interval.excludes(0.0)


# -- Newcombe ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "difference", "low", "high"),
    [
        # Newcombe (1998), "Interval estimation for the difference between independent
        # proportions", Table II, method 10 (hybrid score), examples (a) to (h).
        (56, 70, 48, 80, 0.2, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.6, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
        (0, 10, 0, 20, 0.0, -0.1611, 0.2775),
        (0, 10, 0, 10, 0.0, -0.2775, 0.2775),
        (10, 10, 0, 20, 1.0, 0.6791, 1.0),
        (10, 10, 0, 10, 1.0, 0.6075, 1.0),
    ],
)
def test_newcombe_matches_table_ii(
    a: int, m: int, b: int, n: int, difference: float, low: float, high: float
) -> None:
    result = lift(a, m, b, n)
    assert round(result.difference, 4) == difference
    assert round(result.difference_interval.low, 4) == low
    assert round(result.difference_interval.high, 4) == high
    assert result.difference_interval.method == "newcombe"
    assert result.significant is (low > 0 or high < 0)


def test_newcombe_from_the_wilson_intervals() -> None:
    # d - sqrt((p1 - l1)² + (u2 - p2)²) and d + sqrt((u1 - p1)² + (p2 - l2)²).
    one, two = wilson(56, 70), wilson(48, 80)
    result = lift(56, 70, 48, 80)
    assert result.difference_interval.low == pytest.approx(
        0.2 - math.hypot(0.8 - one.low, two.high - 0.6), abs=1e-15
    )
    assert result.difference_interval.high == pytest.approx(
        0.2 + math.hypot(one.high - 0.8, 0.6 - two.low), abs=1e-15
    )


def test_lift_figures_for_newcombe_example_a() -> None:
    result = lift(56, 70, 48, 80)
    assert (result.exposed_rate, result.holdout_rate) == (0.8, 0.6)
    assert result.relative == pytest.approx(1 / 3)
    # 56 conversions less the 70 x 0.6 = 42 the exposed users would have made anyway.
    assert result.incremental == pytest.approx(14.0)
    # 70 x the difference's interval: 70 x 0.052431 and 70 x 0.333873.
    assert result.incremental_interval == result.difference_interval.scaled(70)
    assert round(result.incremental_interval.low, 2) == 3.67
    assert round(result.incremental_interval.high, 2) == 23.37
    # Katz: ln(4/3) ± 1.959964 sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.287682 ± 0.213850.
    assert result.relative_interval.low == pytest.approx(
        math.exp(0.287682 - 0.213850) - 1, abs=1e-6
    )
    assert result.relative_interval.high == pytest.approx(
        math.exp(0.287682 + 0.213850) - 1, abs=1e-6
    )
    assert round(result.relative_interval.low, 4) == 0.0766
    assert round(result.relative_interval.high, 4) == 0.6512
    assert result.relative_interval.method == "katz log"
    assert result.method == "newcombe"
    assert result.significant


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    narrow = lift(56, 70, 48, 80, confidence=0.9).difference_interval
    wide = lift(56, 70, 48, 80, confidence=0.99).difference_interval
    assert wide.low < narrow.low < narrow.high < wide.high
    assert narrow.confidence == 0.9


def test_no_holdout_conversion_leaves_the_relative_lift_undefined() -> None:
    result = lift(5, 56, 0, 29)
    assert isinstance(result.relative, Undefined)
    assert result.relative.reason == "holdout rate is 0: the relative lift has no base"
    assert isinstance(result.relative_interval.low, Undefined)
    assert result.relative_interval.low.reason == "the log method needs a conversion in each group"
    assert result.incremental == 5.0
    assert not result.significant


@pytest.mark.parametrize(
    ("counts", "reason"),
    [
        ((0, 0, 3, 10), "exposed_total is 0: no exposed users"),
        ((3, 10, 0, 0), "holdout_total is 0: no holdout users"),
        ((0, 0, 0, 0), "exposed_total is 0: no exposed users"),
    ],
)
@pytest.mark.parametrize("method", ["newcombe", "bootstrap"])
def test_an_empty_group_gives_undefined_figures(
    counts: tuple[int, int, int, int], reason: str, method: Any
) -> None:
    result = lift(*counts, method=method, seed=1)
    for figure in (
        result.difference,
        result.relative,
        result.incremental,
        result.difference_interval.low,
        result.relative_interval.high,
        result.incremental_interval.low,
    ):
        assert isinstance(figure, Undefined)
        assert figure.reason == reason
    assert result.significant is False


def test_bootstrap_is_the_documented_resampling() -> None:
    result = lift(56, 70, 48, 80, method="bootstrap", resamples=1000, seed=7)
    rng = np.random.default_rng(7)
    exposed = rng.binomial(70, 0.8, size=1000) / 70
    holdout = rng.binomial(80, 0.6, size=1000) / 80
    tails = [0.025, 0.975]
    low, high = np.quantile(exposed - holdout, tails, method="inverted_cdf")
    assert (result.difference_interval.low, result.difference_interval.high) == (low, high)
    # Order statistics of 1000 differences: multiples of 1/560.
    assert round(result.difference_interval.low * 560, 9) == 30
    assert round(result.difference_interval.high * 560, 9) == 190
    rel_low, rel_high = np.quantile(exposed / holdout - 1, tails, method="inverted_cdf")
    assert (result.relative_interval.low, result.relative_interval.high) == (rel_low, rel_high)
    assert result.difference_interval.method == "bootstrap percentile"
    assert result.incremental_interval.low == pytest.approx(70 * low)
    assert result.significant


def test_bootstrap_is_deterministic_for_a_seed_and_near_newcombe() -> None:
    first = lift(56, 70, 48, 80, method="bootstrap", seed=11)
    again = lift(56, 70, 48, 80, method="bootstrap", seed=11)
    other = lift(56, 70, 48, 80, method="bootstrap", seed=12)
    assert first == again
    assert first.difference_interval != other.difference_interval
    # Same point estimates as the score method; an interval within 0.02 of Newcombe's.
    assert first.difference == lift(56, 70, 48, 80).difference
    assert first.difference_interval.low == pytest.approx(0.0524, abs=0.02)
    assert first.difference_interval.high == pytest.approx(0.3339, abs=0.02)


def test_bootstrap_with_no_holdout_conversion() -> None:
    result = lift(5, 56, 0, 29, method="bootstrap", resamples=500, seed=3)
    assert isinstance(result.relative_interval.low, Undefined)
    assert result.relative_interval.low.reason == "holdout rate is 0: the relative lift has no base"
    assert result.difference_interval.low >= 0.0  # every resampled holdout rate is 0


def test_bootstrap_relative_lift_is_unbounded_when_a_resampled_holdout_has_none() -> None:
    # Holdout 1 of 50: about 36% of resamples have no holdout conversion, so the upper end is
    # +inf while the lower end stays finite.
    result = lift(10, 50, 1, 50, method="bootstrap", resamples=2000, seed=5)
    assert result.relative_interval.high == math.inf
    assert math.isfinite(result.relative_interval.low)


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [
        ((-1, 10, 1, 10), {}, ValueError, "exposed_conversions=-1 must not be negative"),
        ((1, 10, 1, -10), {}, ValueError, "holdout_total=-10 must not be negative"),
        ((11, 10, 1, 10), {}, ValueError, "exposed_conversions=11 exceeds exposed_total=10"),
        ((1, 10, 3, 2), {}, ValueError, "holdout_conversions=3 exceeds holdout_total=2"),
        ((1.0, 10, 1, 10), {}, TypeError, "exposed_conversions must be a whole number"),
        ((True, 10, 1, 10), {}, TypeError, "exposed_conversions must be a whole number"),
        ((1, 10, 1, "10"), {}, TypeError, "holdout_total must be a whole number"),
        ((1, 10, 1, 10), {"confidence": 0}, ValueError, "confidence=0 must lie strictly"),
        ((1, 10, 1, 10), {"confidence": 1.0}, ValueError, "confidence=1.0 must lie strictly"),
        ((1, 10, 1, 10), {"confidence": 95}, ValueError, "confidence=95 must lie strictly"),
        ((1, 10, 1, 10), {"confidence": "0.95"}, TypeError, "confidence must be a number"),
        ((1, 10, 1, 10), {"method": "wald"}, ValueError, "method='wald' is not a lift method"),
        (
            (1, 10, 1, 10),
            {"method": "bootstrap", "resamples": 99},
            ValueError,
            "resamples=99 is too few; use at least 100",
        ),
        (
            (1, 10, 1, 10),
            {"method": "bootstrap", "resamples": 1e4},
            TypeError,
            "resamples must be a whole number",
        ),
        (
            (1, 10, 1, 10),
            {"method": "bootstrap", "seed": "abc"},
            TypeError,
            "seed must be a whole number or None",
        ),
    ],
)
def test_lift_refuses_bad_input(
    args: tuple[Any, ...], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        lift(*args, **options)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((-1, 5), ValueError, "successes=-1 must not be negative"),
        ((6, 5), ValueError, "successes=6 exceeds total=5"),
        ((1, 5.0), TypeError, "total must be a whole number"),
        ((1, 5, 1.5), ValueError, "confidence=1.5 must lie strictly between 0 and 1"),
    ],
)
def test_wilson_refuses_bad_input(
    args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        wilson(*args)


def test_interval_helpers() -> None:
    interval = Interval(-0.1, 0.3, 0.95, "newcombe")
    assert 0.0 in interval
    assert not interval.excludes(0.0)
    assert interval.excludes(0.31)
    assert interval.width == pytest.approx(0.4)
    assert interval.scaled(10) == Interval(-1.0, 3.0, 0.95, "newcombe")


# -- contribution ------------------------------------------------------------------------------


def attributed(**options: Any) -> at.Attribution:
    """Three orders: v1 clicked kol-anna then blog-b, v2 only blog-b, v3 only kol-anna.

    Linear credit: O1 (100.00) 50.00 / 50.00, O2 (30.01) all blog-b, O3 (19.99) all kol-anna.
    """
    touches = al.Touchpoints.from_records(
        [
            {"visitor_id": "v1", "ts": T0, "partner_id": "kol-anna"},
            {"visitor_id": "v1", "ts": T0 + timedelta(hours=1), "partner_id": "blog-b"},
            {"visitor_id": "v2", "ts": T0, "partner_id": "blog-b"},
            {"visitor_id": "v3", "ts": T0, "partner_id": "kol-anna", "kind": "impression"},
        ]
    )
    orders = al.Orders.from_records(
        [
            {
                "order_id": "O1",
                "ts": T0 + timedelta(days=1),
                "amount": "100.00",
                "currency": "USD",
                "visitor_id": "v1",
            },
            {
                "order_id": "O2",
                "ts": T0 + timedelta(days=1),
                "amount": "30.01",
                "currency": "USD",
                "visitor_id": "v2",
            },
            {
                "order_id": "O3",
                "ts": T0 + timedelta(days=2),
                "amount": "19.99",
                "currency": options.pop("o3_currency", "USD"),
                "visitor_id": "v3",
            },
        ]
    )
    return at.attribute(touches, orders, model=at.linear(), **options)


def test_contribution_of_an_attribution() -> None:
    result = contribution(attributed())
    # kol-anna 50.00 + 19.99 = 69.99, blog-b 50.00 + 30.01 = 80.01, of 150.00.
    assert result.keys == ("blog-b", "kol-anna")
    assert result.credited == (8001, 6999)
    assert result.shares == (8001 / 15000, 6999 / 15000)
    assert sum(result.shares) == pytest.approx(1.0)
    assert result.total == usd("150.00")
    assert result.currency == "USD"
    assert result.model == "linear"
    assert result.by == ("partner_id",)
    assert len(result) == 2
    assert result.share("kol-anna") == 0.4666
    assert result.share("nobody") == 0.0
    assert result.amounts() == {"blog-b": usd("80.01"), "kol-anna": usd("69.99")}
    assert result.to_records() == [
        {"partner_id": "blog-b", "credited": usd("80.01"), "share": 0.5334},
        {"partner_id": "kol-anna", "credited": usd("69.99"), "share": 0.4666},
    ]


def test_split_is_exact_by_largest_remainder() -> None:
    result = contribution(attributed())
    # 100.00 x 0.5334 = 53.34 and x 0.4666 = 46.66 exactly; 0.01 x the shares: 0.005334 and
    # 0.004666, floors 0 and 0, the cent to the larger remainder.
    assert result.split(usd("100.00")) == {"blog-b": usd("53.34"), "kol-anna": usd("46.66")}
    assert result.split(usd("0.01")) == {"blog-b": usd("0.01"), "kol-anna": usd("0.00")}
    pool = al.Money("1000", "JPY")
    assert sum(result.split(pool).values(), al.Money("0", "JPY")) == pool


def test_contribution_by_basis_and_both() -> None:
    by_basis = contribution(attributed(), by="basis")
    # clicks earned O1 and O2 (130.01), the impression O3 (19.99).
    assert by_basis.keys == ("click", "impression")
    assert by_basis.credited == (13001, 1999)
    both = contribution(attributed().credits, by=["partner_id", "basis"])
    assert both.keys == (("blog-b", "click"), ("kol-anna", "click"), ("kol-anna", "impression"))
    assert both.credited == (8001, 5000, 1999)
    assert both.model is None  # Credits alone do not say which model shared them
    assert both.to_records()[2] == {
        "partner_id": "kol-anna",
        "basis": "impression",
        "credited": usd("19.99"),
        "share": 1999 / 15000,
    }


def test_paid_only_leaves_out_non_partner_channels() -> None:
    touches = al.Touchpoints.from_records(
        [
            {"visitor_id": "v1", "ts": T0, "partner_id": "kol-anna"},
            {"visitor_id": "v1", "ts": T0 + timedelta(hours=1), "partner_id": "direct"},
        ]
    )
    orders = al.Orders.from_records(
        [
            {
                "order_id": "O1",
                "ts": T0 + timedelta(days=1),
                "amount": "10.00",
                "currency": "USD",
                "visitor_id": "v1",
            }
        ]
    )
    result = at.attribute(
        touches, orders, model=at.linear(), non_partner=["direct"], non_partner_rule="win"
    )
    assert contribution(result).to_dict() == {"direct": 0.5, "kol-anna": 0.5}
    assert contribution(result, paid_only=True).to_dict() == {"kol-anna": 1.0}


def test_several_currencies_need_fx() -> None:
    result = attributed(o3_currency="EUR")
    with pytest.raises(CurrencyMismatch, match=r"2 currencies \(EUR, USD\); pass currency="):
        contribution(result)
    with pytest.raises(CurrencyMismatch, match="credits in EUR cannot be added to USD"):
        contribution(result, currency="USD")
    only_eur = contribution(
        result,
        currency="EUR",
        fx=al.FxRates.from_records([{"base": "EUR", "quote": "USD", "rate": "1.25", "as_of": T0}]),
    )
    # USD credits go to EUR at 1 / 1.25 = 0.8: 80.01 -> 64.008 -> 64.01; 50.00 -> 40.00.
    assert only_eur.credited == (6401, 4000 + 1999)
    assert only_eur.keys == ("blog-b", "kol-anna")
    fx = al.FxRates.from_records([{"base": "EUR", "quote": "USD", "rate": "1.10", "as_of": T0}])
    in_usd = contribution(result, currency="USD", fx=fx)
    # 19.99 EUR x 1.10 = 21.989 -> 21.99 USD.
    assert in_usd.credited == (8001, 5000 + 2199)
    assert in_usd.total == usd("152.00")


def test_contribution_of_a_mapping() -> None:
    result = contribution({"a": usd("10.00"), "b": usd("30.00"), "c": usd("10.00")})
    assert result.keys == ("b", "a", "c")  # largest first, ties by key
    assert result.shares == (0.6, 0.2, 0.2)
    assert result.model is None


def test_contribution_with_nothing_credited() -> None:
    empty = contribution(at.Credits.empty())
    assert isinstance(empty, Contribution)
    assert (len(empty), empty.currency, empty.total, empty.amounts()) == (0, None, None, {})
    zero = contribution({"a": usd("0.00")})
    assert isinstance(zero.shares[0], Undefined)
    assert zero.shares[0].reason == "no attributed revenue"
    assert isinstance(zero.share("b"), Undefined)
    with pytest.raises(ValueError, match="there is no attributed revenue to split by"):
        zero.split(usd("1.00"))
    assert contribution(at.Credits.empty(), currency="USD").total == usd("0.00")


@pytest.mark.parametrize(
    ("credits", "options", "error", "message"),
    [
        ([("a", 1)], {}, TypeError, "credits must be an Attribution, its Credits, or a mapping"),
        ({"a": "10.00"}, {}, TypeError, "credited revenue of 'a' must be Money"),
        ({"a": usd("-1.00")}, {}, ValueError, "credited revenue of 'a' is negative"),
        ({"a": usd("1.005")}, {}, InvalidAmount, "'a' is 1.005 USD, finer than the USD minor"),
        (
            {"a": usd("1.00"), "b": al.Money("1.00", "EUR")},
            {},
            CurrencyMismatch,
            "credited revenue of 'b' is in EUR, the others in USD",
        ),
        ({"a": usd("1.00")}, {"currency": "EUR"}, CurrencyMismatch, "'a' is in USD"),
        ({"a": usd("1.00")}, {"by": "basis"}, ValueError, "can only be grouped by partner_id"),
        ({"a": usd("1.00")}, {"by": "channel"}, ValueError, "group by 'partner_id', 'basis'"),
        ({"a": usd("1.00")}, {"by": []}, ValueError, "group by 'partner_id', 'basis'"),
        (
            {"a": usd("1.00")},
            {"fx": al.FxRates.from_records([])},
            ValueError,
            "fx= needs credits with times",
        ),
    ],
)
def test_contribution_refuses_bad_input(
    credits: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        contribution(credits, **options)


def test_split_refuses_what_is_not_money() -> None:
    result = contribution({"a": usd("1.00")})
    with pytest.raises(TypeError, match="amount must be Money"):
        result.split("10.00")  # type: ignore[arg-type]


def test_the_log_interval_is_undefined_when_everyone_converts_in_both_groups() -> None:
    result = lift(10, 10, 10, 10)
    assert result.difference_interval.low == pytest.approx(-0.2775, abs=1e-4)
    interval = result.relative_interval
    assert isinstance(interval.low, Undefined)
    assert interval.low.reason == "the log method needs a group where not everyone converted"
    assert isinstance(interval.high, Undefined)

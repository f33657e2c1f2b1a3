"""KPI metric definitions: hand-computed values, zero denominators, bad input, scalar == array."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import Money, kpi
from alliance.errors import CurrencyMismatch, FloatNotAllowed
from alliance.kpi._metrics import (
    aov,
    approval_rate,
    cac,
    commission_cost,
    conversion_rate,
    cost_of_sale,
    cpa,
    epc,
    epc_100,
    funnel,
    gmv,
    net_revenue,
    new_customer_share,
    nps,
    repeat_purchase_rate,
    revenue_epc,
    reversal_rate,
    roas,
    roi,
)

USD = "USD"


def usd(amount: str) -> Money:
    return Money(amount, USD)


def test_undefined_is_a_nan_that_says_why() -> None:
    value = kpi.Undefined("no clicks")
    assert math.isnan(value)
    assert value.reason == "no clicks"
    assert repr(value) == "Undefined('no clicks')"
    assert f"{value:.2f}" == "nan"
    assert math.isnan(value + 1)
    copy = pickle.loads(pickle.dumps(value))
    assert isinstance(copy, kpi.Undefined)
    assert copy.reason == "no clicks"


def test_traffic_metrics_by_hand() -> None:
    # 7 orders from 280 clicks; $21.00 commission; $630.00 revenue.
    assert conversion_rate(7, 280) == 0.025
    assert epc(usd("21.00"), 280) == 0.075
    assert epc_100(usd("21.00"), 280) == 7.5
    assert revenue_epc(usd("630.00"), 280) == 2.25
    assert epc(21, 280) == 0.075  # plain numbers too


def test_money_metrics_by_hand() -> None:
    assert gmv([usd("10.00"), usd("5.50"), usd("0.25")]) == usd("15.75")
    assert gmv(np.array([1000, 550, 25])) == 1575
    assert gmv([]) == 0
    assert commission_cost([usd("8.00"), usd("2.40")]) == usd("10.40")
    assert commission_cost(np.array([800, 240])) == 1040
    with pytest.raises(FloatNotAllowed, match="commission_cost sums Money"):
        commission_cost([8.0])
    assert net_revenue(usd("630.00"), usd("45.00")) == usd("585.00")
    assert net_revenue(np.array([63000]), np.array([4500])).tolist() == [58500]
    assert aov(usd("630.00"), 7) == usd("90.00")
    # 100 / 3 = 33.333… and 0.05 / 2 = 0.025: half to even gives 0.02.
    assert aov(usd("100.00"), 3) == usd("33.33")
    assert aov(usd("0.05"), 2) == usd("0.02")
    assert aov(usd("0.07"), 2) == usd("0.04")
    assert aov(Money("1000", "JPY"), 3) == Money("333", "JPY")
    assert cac(usd("90.00"), 4) == usd("22.50")
    assert cpa(usd("10.00"), 3) == usd("3.33")
    # Arrays of minor units: whole minor units as float, half to even, NaN where undefined.
    assert aov(np.array([10000, 5, 7, 500]), np.array([3, 2, 2, 0])).tolist()[:3] == [
        3333.0,
        2.0,
        4.0,
    ]
    assert math.isnan(aov([500], [0])[0])
    assert cost_of_sale(usd("8.00"), usd("100.00")) == 0.08
    assert roas(usd("1250.00"), usd("100.00")) == 12.5
    assert roi(usd("1250.00"), usd("100.00")) == 11.5
    assert roi(1250, 100, margin=0.4) == 4.0
    assert roi(np.array([1250, 50]), np.array([100, 100]), margin=0.4).tolist() == [4.0, -0.8]


def test_quality_and_customer_metrics_by_hand() -> None:
    assert reversal_rate(3, 40) == 0.075
    assert reversal_rate(usd("45.00"), usd("600.00")) == 0.075  # amount basis
    assert approval_rate(45, 50) == 0.9
    assert new_customer_share(12, 48) == 0.25
    assert repeat_purchase_rate(30, 120) == 0.25
    # 3 promoters (10, 9, 10), 2 detractors (6, 0), 2 passives, 7 answers: 100 * 1 / 7.
    assert nps([10, 9, 8, 7, 6, 0, 10]) == pytest.approx(100 / 7)
    assert nps([9, 10]) == 100.0
    assert nps([0, 6]) == -100.0
    assert nps([7, 8]) == 0.0


ZERO_CASES: list[tuple[Callable[..., Any], tuple[Any, ...], str]] = [
    (conversion_rate, (0, 0), "no clicks"),
    (epc, (usd("5.00"), 0), "no clicks"),
    (epc_100, (usd("5.00"), 0), "no clicks"),
    (revenue_epc, (0, 0), "no clicks"),
    (aov, (usd("0.00"), 0), "no orders"),
    (cac, (usd("90.00"), 0), "no new customers"),
    (cpa, (usd("10.00"), 0), "no actions"),
    (cost_of_sale, (usd("8.00"), usd("0.00")), "no revenue"),
    (roas, (usd("10.00"), usd("0.00")), "no cost"),
    (roi, (usd("10.00"), usd("0.00")), "no cost"),
    (reversal_rate, (0, 0), "no orders"),
    (approval_rate, (0, 0), "nothing decided"),
    (new_customer_share, (0, 0), "no orders"),
    (repeat_purchase_rate, (0, 0), "no customers"),
    (nps, ([],), "no survey responses"),
]


@pytest.mark.parametrize(("metric", "args", "reason"), ZERO_CASES, ids=lambda x: str(x)[:20])
def test_a_zero_denominator_is_undefined_with_its_reason(
    metric: Callable[..., Any], args: tuple[Any, ...], reason: str
) -> None:
    value = metric(*args)
    assert isinstance(value, kpi.Undefined)
    assert value.reason == reason


def test_funnel_step_and_overall_conversion() -> None:
    steps = funnel([("visit", 2000), ("product", 800), ("cart", 200), ("order", 50)])
    assert [s.name for s in steps] == ["visit", "product", "cart", "order"]
    assert [s.step_rate for s in steps] == [1.0, 0.4, 0.25, 0.25]
    assert [s.overall_rate for s in steps] == [1.0, 0.4, 0.1, 0.025]
    empty = funnel({"visit": 0, "order": 0})
    assert isinstance(empty[0].step_rate, kpi.Undefined)
    assert empty[1].step_rate.reason == "no one at visit"  # type: ignore[attr-defined]
    assert empty[1].overall_rate.reason == "no one entered"  # type: ignore[attr-defined]


def test_bad_inputs_fail_in_domain_words() -> None:
    with pytest.raises(CurrencyMismatch, match="currencies differ"):
        cost_of_sale(usd("8.00"), Money("100.00", "EUR"))
    with pytest.raises(CurrencyMismatch, match="currencies differ"):
        gmv([usd("1.00"), Money("1.00", "EUR")])
    with pytest.raises(TypeError, match="Money only or numbers only"):
        gmv([usd("1.00"), 5])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be negative"):
        aov(usd("10.00"), -1)
    with pytest.raises(ValueError, match="must not be negative"):
        aov([100], [-1])
    with pytest.raises(TypeError, match="needs a Money amount or arrays"):
        aov(100, 3)
    with pytest.raises(TypeError, match="divided by one count"):
        aov(usd("10.00"), [1, 2])  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="margin must be between 0 and 1"):
        roi(100, 10, margin=1.5)
    with pytest.raises(ValueError, match="whole numbers from 0 to 10"):
        nps([11])
    with pytest.raises(ValueError, match="whole numbers from 0 to 10"):
        nps([8.5])
    with pytest.raises(ValueError, match="flat list"):
        nps([[9]])
    with pytest.raises(ValueError, match="at least one step"):
        funnel({})
    with pytest.raises(ValueError, match="only 10: each step is a subset"):
        funnel({"visit": 10, "order": 11})
    with pytest.raises(ValueError, match="a count is a whole number"):
        funnel({"visit": -1})
    # Counts are whole, non-negative numbers; money arrays are whole minor units.
    with pytest.raises(TypeError, match="a count is a whole number"):
        aov(usd("100.00"), 2.5)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="a count is a whole number"):
        aov(usd("100.00"), True)
    with pytest.raises(FloatNotAllowed, match="whole minor units"):
        aov(np.array([100.7, 99.9]), np.array([1, 1]))
    with pytest.raises(TypeError, match="counts are whole numbers"):
        aov(np.array([100]), np.array([1.5]))
    with pytest.raises(FloatNotAllowed, match="not floats"):
        gmv([0.1, 0.2])
    with pytest.raises(FloatNotAllowed, match="whole minor units"):
        gmv(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="counts must not be negative"):
        conversion_rate(-3, 10)
    with pytest.raises(ValueError, match="counts must not be negative"):
        epc(np.array([10, 20]), np.array([5, -1]))
    with pytest.raises(TypeError, match="a count is a number"):
        conversion_rate("3", 10)
    with pytest.raises(TypeError, match="numbers or Money"):
        roas("10", 2)


RATIOS = [conversion_rate, epc, epc_100, revenue_epc, cost_of_sale, roas, reversal_rate, roi]


@given(
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**6)), min_size=1, max_size=20),
    st.sampled_from(RATIOS),
)
def test_arrays_give_what_each_value_gives(
    pairs: list[tuple[int, int]], metric: Callable[..., Any]
) -> None:
    top = np.array([p[0] for p in pairs])
    bottom = np.array([p[1] for p in pairs])
    vector = metric(top, bottom)
    for value, (a, b) in zip(vector.tolist(), pairs, strict=True):
        one = metric(a, b)
        if b == 0:
            assert math.isnan(value)
            assert isinstance(one, kpi.Undefined)
        else:
            assert value == pytest.approx(one, rel=1e-12)


@given(st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**4)), min_size=1))
def test_money_per_unit_arrays_round_as_money_does(pairs: list[tuple[int, int]]) -> None:
    minor = aov(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    for value, (amount, count) in zip(minor.tolist(), pairs, strict=True):
        one = aov(Money.from_minor(amount, USD), count)
        if count == 0:
            assert math.isnan(value)
        else:
            assert value == one.minor

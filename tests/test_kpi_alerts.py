"""Alerts on metric series: thresholds, period-over-period change, EWMA and CUSUM."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

import alliance as al
from alliance import kpi
from alliance.kpi._alerts import (
    Alert,
    Alerts,
    Skipped,
    change_alerts,
    cusum_alerts,
    ewma_alerts,
    threshold_alerts,
)

NAN = math.nan


def found(alerts: Alerts) -> list[tuple[int, str]]:
    """(index, direction) of each alert."""
    return [(a.index, a.direction) for a in alerts]


# -- series shapes -----------------------------------------------------------------------------


def test_every_series_shape_reads_the_same() -> None:
    values = [1.0, 5.0, 2.0]
    labels = ["2026-W40", "2026-W41", "2026-W42"]
    shapes: list[Any] = [
        dict(zip(labels, values, strict=True)),
        list(zip(labels, values, strict=True)),
        [list(pair) for pair in zip(labels, values, strict=True)],
        pd.Series(values, index=labels),
    ]
    for series in shapes:
        result = threshold_alerts(series, above=4)
        assert result.periods == ("2026-W41",)
        assert result.alerts[0].index == 1
    for series in (values, np.array(values), tuple(values)):
        assert threshold_alerts(series, above=4).periods == (1,)


def test_labels_can_be_periods_and_datetimes() -> None:
    weeks = [al.Period.week(2026, week, tz="Asia/Shanghai") for week in (40, 41)]
    result = threshold_alerts(dict(zip(weeks, [1, 9], strict=True)), above=5)
    assert result.periods == (weeks[1],)
    assert (
        result.alerts[0].reason == "value week 2026-W41 (Asia/Shanghai): 9 is above the threshold 5"
    )
    days = [datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=d) for d in range(2)]
    assert threshold_alerts(list(zip(days, [9, 1], strict=True)), above=5).periods == (days[0],)


def test_values_may_be_ints_decimals_and_none() -> None:
    result = threshold_alerts({"a": 3, "b": Decimal("7.5"), "c": None, "d": np.float32(6)}, above=5)
    assert result.periods == ("b", "d")
    assert result.alerts[0].observed == 7.5
    assert result.skipped == (Skipped("value", "c", 2, "missing value"),)
    assert result.checked == 3


# -- threshold ---------------------------------------------------------------------------------


def test_threshold_at_the_bound() -> None:
    # Strictly above / below: a value equal to the bound does not alert.
    result = threshold_alerts([99.99, 100, 100.01, 50.01, 50, 49.99], above=100, below=50)
    assert found(result) == [(2, "above"), (5, "below")]
    high, low = result.alerts
    assert high == Alert("value", 2, 2, "threshold", "above", 100.01, 100.0, 100.0, 100.01)
    assert (low.expected, low.limit, low.statistic) == (50.0, 50.0, 49.99)
    assert result.rule == "threshold"
    assert result.checked == 6
    assert len(result) == 2
    assert bool(result)
    assert list(result) == [high, low]


def test_threshold_with_one_bound_and_nothing_found() -> None:
    result = threshold_alerts([1.0, 2.0], below=1.0, metric="cr")
    assert not result
    assert result.metric == "cr"
    assert result.alerts == ()


def test_nan_never_alerts_and_is_reported() -> None:
    result = threshold_alerts([NAN, 200.0, None], above=100, metric="epc")
    assert result.periods == (1,)
    assert result.skipped == (
        Skipped("epc", 0, 0, "missing value"),
        Skipped("epc", 2, 2, "missing value"),
    )
    assert result.checked == 1


def test_an_undefined_metric_is_skipped_with_its_reason() -> None:
    daily_cr = {"Mon": 0.02, "Tue": kpi.ratio(3, 0, "no clicks"), "Wed": 0.09}
    for result in (
        threshold_alerts(daily_cr, above=0.04),
        cusum_alerts(daily_cr, warmup=0, target=0.02, sigma=0.01),
        ewma_alerts(daily_cr, warmup=0, target=0.02, sigma=0.01, lam=1.0),
    ):
        assert result.periods == ("Wed",)
        assert result.skipped == (Skipped("value", "Tue", 1, "missing value (no clicks)"),)
    change = change_alerts(daily_cr, rise=0.5)
    assert [s.reason for s in change.skipped] == [
        "missing value (no clicks)",
        "no value 1 period earlier ('Tue')",
    ]


def test_alerts_to_records() -> None:
    result = threshold_alerts({"Mon": 120}, above=100, metric="orders")
    assert result.to_records() == [
        {
            "metric": "orders",
            "period": "Mon",
            "index": 0,
            "rule": "threshold",
            "direction": "above",
            "observed": 120.0,
            "expected": 100.0,
            "limit": 100.0,
            "statistic": 120.0,
            "reason": "orders Mon: 120 is above the threshold 100",
        }
    ]


# -- change ------------------------------------------------------------------------------------


def test_weekly_actives_down_15_percent() -> None:
    weeks = {"W1": 1000, "W2": 850, "W3": 1000, "W4": 851, "W5": 1000, "W6": 849}
    result = change_alerts(weeks, drop=0.15, metric="weekly actives")
    # 850 is exactly 15% down (alerts), 851 is 14.9% (does not), 849 is 15.1% (alerts).
    assert result.periods == ("W2", "W6")
    first = result.alerts[0]
    assert (first.observed, first.expected, first.limit) == (850.0, 1000.0, 850.0)
    assert first.statistic == pytest.approx(-0.15)
    assert first.direction == "below"
    assert first.reason == "weekly actives W2: 850 fell 15.0% from 1000"
    assert result.checked == 5  # W1 has no earlier week


@pytest.mark.parametrize(
    ("base", "value"),
    [(700, 595), (0.7, 0.595), (0.3, 0.255), (1.1, 0.935), (33.33, 28.3305)],
)
def test_a_drop_of_exactly_the_threshold_alerts_despite_binary_rounding(
    base: float, value: float
) -> None:
    assert change_alerts([base, value], drop=0.15).periods == (1,)
    assert change_alerts([base, value * 1.0001], drop=0.15).periods == ()


def test_rise_at_the_threshold() -> None:
    result = change_alerts([100, 120, 100, 119.99, 100, 120.01], drop=None, rise=0.2)
    assert found(result) == [(1, "above"), (5, "above")]
    assert result.alerts[0].limit == 120.0
    assert result.alerts[0].reason == "value 1: 120 rose 20.0% from 100"


def test_drop_and_rise_together() -> None:
    result = change_alerts([100, 70, 100], drop=0.3, rise=0.4)
    assert found(result) == [(1, "below"), (2, "above")]  # -30%, then +42.9%


def test_periods_back_compares_further_back() -> None:
    # Year over year on a quarterly series: Q1 2027 against Q1 2026.
    quarters = {"26Q1": 200, "26Q2": 100, "26Q3": 100, "26Q4": 100, "27Q1": 150, "27Q2": 100}
    result = change_alerts(quarters, drop=0.2, periods_back=4)
    assert result.periods == ("27Q1",)  # -25%; 27Q2 is flat against 26Q2
    assert result.alerts[0].expected == 200.0
    assert result.alerts[0].limit == 160.0
    assert result.checked == 2


def test_change_skips_what_it_cannot_compare() -> None:
    result = change_alerts({"a": 10, "b": None, "c": 5, "d": 0, "e": 3, "f": -2, "g": 1})
    assert [(s.period, s.reason) for s in result.skipped] == [
        ("b", "missing value"),
        ("c", "no value 1 period earlier ('b')"),
        ("e", "the value 1 period earlier is 0; a change needs a positive base"),
        ("g", "the value 1 period earlier is -2; a change needs a positive base"),
    ]
    # d (5 -> 0) is a 100% drop; f (3 -> -2) is a drop of 167%.
    assert result.periods == ("d", "f")
    assert result.checked == 2
    two_back = change_alerts([10, None, 5, 1], periods_back=2)
    assert two_back.skipped == (Skipped("value", 3, 3, "no value 2 periods earlier (1)"),)
    assert two_back.periods == (2,)  # 10 -> 5


# -- EWMA --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # lam 0.5, target 10, sigma 2, k 3: z_1 = 0.5 x + 5 and the first limits are
        # 10 ± 3 x 2 x sqrt(0.5 / 1.5 x (1 - 0.25)) = 10 ± 3, so z_1 = 13 at x = 16.
        (16.0, []),
        (16.02, [(0, "above")]),
        (15.98, []),
        (4.0, []),
        (3.98, [(0, "below")]),
        (4.02, []),
    ],
)
def test_ewma_at_its_first_limits(value: float, expected: list[tuple[int, str]]) -> None:
    result = ewma_alerts([value], lam=0.5, k=3, warmup=0, target=10, sigma=2)
    assert found(result) == expected


def test_ewma_alert_figures() -> None:
    result = ewma_alerts([16.02], lam=0.5, k=3, warmup=0, target=10, sigma=2, metric="cr")
    (alert,) = result.alerts
    assert alert.rule == "ewma"
    assert (alert.observed, alert.expected, alert.limit) == (16.02, 10.0, 13.0)
    assert alert.statistic == pytest.approx(13.01)
    assert alert.reason == (
        "cr 0: 16.02: the EWMA 13.01 is above its control limit 13 (baseline 10)"
    )


def test_ewma_limits_widen_over_time_and_the_chart_is_not_reset() -> None:
    # z: 7.5, 13.75 (limit 10 + 6 sqrt(0.3125) = 13.354), 11.875 (limit 13.437): one alert.
    result = ewma_alerts([5.0, 20.0, 10.0], lam=0.5, k=3, warmup=0, target=10, sigma=2)
    assert found(result) == [(1, "above")]
    assert result.alerts[0].limit == pytest.approx(10 + 6 * math.sqrt(0.3125))
    assert result.alerts[0].statistic == 13.75


def test_ewma_baseline_from_the_warmup() -> None:
    # Baseline 10, 12, 14 (a missing value ignored): mean 12, sample sd 2. lam = 1 charts the
    # raw values against 12 ± 3 x 2.
    series = {"d1": 10, "d2": None, "d3": 12, "d4": 14, "d5": 18, "d6": 18.5, "d7": 5.5}
    result = ewma_alerts(series, lam=1.0, k=3, warmup=4)
    assert found(result) == [(5, "above"), (6, "below")]
    assert result.alerts[0].expected == 12.0
    assert result.alerts[1].limit == 6.0
    assert result.checked == 3
    assert result.skipped == ()  # the baseline's missing value is not a checked period


def test_ewma_direction_and_missing_values() -> None:
    series = [30.0, NAN, -30.0]
    both = ewma_alerts(series, lam=1.0, warmup=0, target=0, sigma=1)
    assert found(both) == [(0, "above"), (2, "below")]
    assert both.skipped == (Skipped("value", 1, 1, "missing value"),)
    assert found(ewma_alerts(series, lam=1.0, warmup=0, target=0, sigma=1, direction="below")) == [
        (2, "below")
    ]


# -- CUSUM -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        # target 0, sigma 1, k 0.5, h 5: S = 2.5, 5.0, then 5.0 + last - 0.5.
        (0.5, []),  # S = 5.0, equal to h: no alarm
        (0.6, [(2, "above")]),  # 5.1
        (0.4, []),  # 4.9
    ],
)
def test_cusum_at_the_decision_interval(last: float, expected: list[tuple[int, str]]) -> None:
    result = cusum_alerts([3.0, 3.0, last], k=0.5, h=5, warmup=0, target=0, sigma=1)
    assert found(result) == expected
    mirrored = cusum_alerts([-3.0, -3.0, -last], k=0.5, h=5, warmup=0, target=0, sigma=1)
    assert found(mirrored) == [(i, "below") for i, _ in expected]


def test_cusum_is_standardised_on_the_baseline() -> None:
    # Baseline 90, 100, 110: mean 100, sample sd 10; then u = 3, 3, 0.6: S = 2.5, 5.0, 5.1.
    result = cusum_alerts([90, 100, 110, 130, 130, 106, 105], warmup=3, metric="refund rate")
    assert found(result) == [(5, "above"), (6, "above")]  # 5.1, then 5.1 + 0.5 - 0.5
    alert = result.alerts[0]
    assert (alert.observed, alert.expected, alert.limit) == (106.0, 100.0, 5.0)
    assert alert.statistic == pytest.approx(5.1)
    assert alert.reason == (
        "refund rate 5: 106: the upper CUSUM 5.1 exceeds h = 5 standard deviations (baseline 100)"
    )
    assert result.rule == "cusum"
    assert result.checked == 4


def test_cusum_missing_values_leave_the_sums_alone() -> None:
    result = cusum_alerts([3.0, NAN, 3.0, 0.6], warmup=0, target=0, sigma=1)
    assert found(result) == [(3, "above")]
    assert result.skipped == (Skipped("value", 1, 1, "missing value"),)


def test_cusum_direction() -> None:
    series = [6.0, 0.0, -6.0, -6.0]  # S = 5.5 (alarm); T = 0, 0, 5.5, 11 (alarms)
    assert found(cusum_alerts(series, warmup=0, target=0, sigma=1)) == [
        (0, "above"),
        (2, "below"),
        (3, "below"),
    ]
    assert found(cusum_alerts(series, warmup=0, target=0, sigma=1, direction="above")) == [
        (0, "above")
    ]


# -- bad input ---------------------------------------------------------------------------------


def bad(value: object) -> Any:
    """A value of the wrong type, past the type checker."""
    return value


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: threshold_alerts([1]), ValueError, "give above=, below= or both"),
        (lambda: threshold_alerts([1], above=1, below=2), ValueError, "below=2 is greater"),
        (lambda: threshold_alerts([1], above=bad("5")), TypeError, "above must be a number"),
        (lambda: threshold_alerts([1], above=math.inf), ValueError, "above=inf must be a finite"),
        (lambda: threshold_alerts([True], above=1), TypeError, "the value at 0 is a bool"),
        (lambda: threshold_alerts(["x"], above=1), TypeError, "the value at 0 must be a number"),
        (
            lambda: threshold_alerts({"W1": al.Money("1.00", "USD")}, above=1),
            TypeError,
            "the value at 'W1' is money",
        ),
        (lambda: threshold_alerts([math.inf], above=1), ValueError, "the value at 0 is inf"),
        (lambda: threshold_alerts("123", above=1), TypeError, "got a string"),
        (lambda: threshold_alerts(5, above=1), TypeError, "series must be a mapping"),
        (lambda: threshold_alerts(np.ones((2, 2)), above=1), ValueError, "must be 1-D"),
        (lambda: threshold_alerts([1], above=1, metric=""), TypeError, "metric must be a non"),
        (lambda: change_alerts([1], drop=None), ValueError, "give drop=, rise= or both"),
        (lambda: change_alerts([1], drop=0), ValueError, r"drop=0 must be a share in \(0, 1\]"),
        (lambda: change_alerts([1], drop=15), ValueError, "drop=15 must be a share"),
        (lambda: change_alerts([1], rise=-0.1), ValueError, "rise=-0.1 must be a share > 0"),
        (lambda: change_alerts([1], periods_back=0), ValueError, "periods_back=0 must be at"),
        (lambda: change_alerts([1], periods_back=bad(1.0)), TypeError, "periods_back must be a"),
        (lambda: ewma_alerts([1, 2, 3], lam=0), ValueError, r"lam=0.0 must be in \(0, 1\]"),
        (lambda: ewma_alerts([1, 2, 3], lam=1.5), ValueError, "lam=1.5 must be in"),
        (lambda: ewma_alerts([1, 2, 3], k=0), ValueError, "k=0 must be > 0"),
        (lambda: ewma_alerts([1, 2, 3], warmup=-1), ValueError, "warmup=-1 must be at least 0"),
        (lambda: ewma_alerts([1, 2, 3], sigma=0, target=1), ValueError, "sigma=0 must be > 0"),
        (lambda: ewma_alerts([1, 2, 3], warmup=0), ValueError, "has 0 value"),
        (lambda: ewma_alerts([1, None, 3], warmup=2), ValueError, "has 1 value"),
        (lambda: ewma_alerts([5] * 8 + [9]), ValueError, "does not vary"),
        (lambda: ewma_alerts([1, 2, 3], direction=bad("up")), ValueError, "direction='up'"),
        (lambda: cusum_alerts([1, 2, 3], k=-1), ValueError, "k=-1 must be >= 0"),
        (lambda: cusum_alerts([1, 2, 3], h=0), ValueError, "h=0 must be > 0"),
        (lambda: cusum_alerts([1, 2, 3], target=1, warmup=0), ValueError, "pass target= and"),
    ],
)
def test_bad_input_is_refused(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_series_no_longer_than_its_warmup_checks_nothing() -> None:
    result = ewma_alerts([1, 2, 3])
    assert (result.alerts, result.skipped, result.checked) == ((), (), 0)
    assert cusum_alerts([1, 2, 3, 4, 5, 6, 7, 8]).checked == 0


def test_a_given_target_keeps_the_baseline_sd() -> None:
    # Baseline 10, 12, 14 gives sd 2 even when the target is given as 0.
    result = cusum_alerts([10, 12, 14, 11], warmup=3, target=0, h=5)
    # u = 5.5 -> S = 5.0: equal to h, no alarm.
    assert found(result) == []
    assert cusum_alerts([10, 12, 14, 11.2], warmup=3, target=0, h=5).periods == (3,)


def test_a_series_no_longer_than_the_warmup_checks_nothing() -> None:
    for rule in (ewma_alerts, cusum_alerts):
        for series in ([1.0], [1.0, 1.0], [3.0] * 8):
            result = rule(series)
            assert (result.alerts, result.skipped, result.checked) == ((), (), 0)

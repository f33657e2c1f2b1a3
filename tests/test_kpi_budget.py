"""Budget: reserve fund, pace against a period's budget, payout forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import alliance as al
from alliance import commission as cm
from alliance.errors import CurrencyMismatch, FloatNotAllowed, InvalidAmount, TimezoneError
from alliance.kpi import Undefined
from alliance.kpi._budget import (
    Forecast,
    Pending,
    forecast_payouts,
    pace,
    reserve_fund,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def usd(amount: str) -> al.Money:
    return al.Money(amount, "USD")


def bad(value: object) -> Any:
    """A value of the wrong type, past the type checker."""
    return value


# -- reserve -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "share", "reserve", "spendable"),
    [
        (usd("10000.00"), "0.15", usd("1500.00"), usd("8500.00")),
        # 150.0015 and 850.0085: floors 150.00 and 850.00, the cent to the larger remainder.
        (usd("1000.01"), "0.15", usd("150.00"), usd("850.01")),
        # 0.0045 and 0.0255: floors 0.00 and 0.02, the cent left goes to .55 over .45.
        (usd("0.03"), "0.15", usd("0.00"), usd("0.03")),
        (al.Money("80000", "JPY"), "12.5%", al.Money("10000", "JPY"), al.Money("70000", "JPY")),
        # KWD has 3 decimals: 0.15015 and 0.85085 -> 0.150 and 0.851.
        (
            al.Money("1.001", "KWD"),
            Decimal("0.15"),
            al.Money("0.150", "KWD"),
            al.Money("0.851", "KWD"),
        ),
        (usd("99.99"), 0, usd("0.00"), usd("99.99")),
        (usd("99.99"), "100%", usd("99.99"), usd("0.00")),
        (usd("0.00"), "0.15", usd("0.00"), usd("0.00")),
    ],
)
def test_reserve_fund(budget: al.Money, share: Any, reserve: al.Money, spendable: al.Money) -> None:
    fund = reserve_fund(budget, share=share)
    assert (fund.reserve, fund.spendable) == (reserve, spendable)
    assert fund.reserve + fund.spendable == budget
    assert fund.budget == budget


def test_reserve_is_15_percent_by_default() -> None:
    fund = reserve_fund(usd("2000.00"))
    assert fund.share == Decimal("0.15")
    assert fund.reserve == usd("300.00")


@pytest.mark.parametrize(
    ("budget", "share", "error", "message"),
    [
        (usd("100.00"), 0.15, FloatNotAllowed, "share=0.15 is a float"),
        (usd("100.00"), "1.5", ValueError, "share='1.5' must be a share between 0 and 1"),
        (usd("100.00"), "-5%", ValueError, "share='-5%' must be a share between 0 and 1"),
        (usd("100.00"), "lots", InvalidAmount, "share='lots' is not a share"),
        (usd("-1.00"), "0.15", ValueError, "budget=-1.00 USD is negative"),
        (usd("1.005"), "0.15", InvalidAmount, "budget=1.005 USD is finer than the USD minor unit"),
        ("100.00", "0.15", TypeError, "budget must be Money, got str"),
    ],
)
def test_reserve_fund_refuses_bad_input(
    budget: Any, share: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        reserve_fund(budget, share=share)


# -- pace --------------------------------------------------------------------------------------

OCTOBER = al.Period.month(2026, 10, tz="Asia/Shanghai")
TEN_DAYS_IN = datetime(2026, 10, 11, tzinfo=SHANGHAI)  # 10 of October's 31 days


def test_pace_ten_days_into_october() -> None:
    result = pace(usd("4000.00"), usd("9300.00"), period=OCTOBER, as_of=TEN_DAYS_IN)
    assert result.elapsed == 10 / 31
    assert result.prorated == usd("3000.00")  # 9300 x 10/31
    assert result.pace == 4000 / 3000
    assert result.projected == usd("12400.00")  # 4000 x 31/10
    assert result.remaining == usd("5300.00")
    assert result.status == "over"
    assert result.tolerance == Decimal("0.05")
    assert (result.period, result.as_of) == (OCTOBER, TEN_DAYS_IN)


@pytest.mark.parametrize(
    ("spent", "status"),
    [
        # Pro-rated 3000.00; ±5% is 2850.00 to 3150.00, both ends on pace.
        ("3150.00", "on"),
        ("3150.01", "over"),
        ("2850.00", "on"),
        ("2849.99", "under"),
        ("3000.00", "on"),
    ],
)
def test_pace_status_at_the_tolerance(spent: str, status: str) -> None:
    result = pace(usd(spent), usd("9300.00"), period=OCTOBER, as_of=TEN_DAYS_IN)
    assert result.status == status


def test_pace_with_another_tolerance() -> None:
    within = pace(
        usd("3150.01"), usd("9300.00"), period=OCTOBER, as_of=TEN_DAYS_IN, tolerance="10%"
    )
    assert within.status == "on"
    strict = pace(usd("3000.01"), usd("9300.00"), period=OCTOBER, as_of=TEN_DAYS_IN, tolerance="0")
    assert strict.status == "over"


def test_the_month_is_the_programme_time_zone() -> None:
    # 11 October 00:00 in Shanghai is 10 October 16:00 UTC: 9 days 16 hours of the UTC month.
    utc_october = al.Period.month(2026, 10, tz="UTC")
    result = pace(usd("0.00"), usd("7440.00"), period=utc_october, as_of=TEN_DAYS_IN)
    assert result.prorated == usd("2320.00")  # 7440 x 232 h / 744 h
    assert result.status == "under"


def test_a_month_with_a_daylight_saving_change() -> None:
    # November 2026 in New York has 30 days and one extra hour (clocks go back on 1 November):
    # 721 hours. At 2 November 00:00 local, 25 of them have passed.
    november = al.Period.month(2026, 11, tz="America/New_York")
    assert november.duration == timedelta(hours=721)
    result = pace(
        usd("30.00"), usd("721.00"), period=november, as_of=datetime(2026, 11, 2, tzinfo=NEW_YORK)
    )
    assert result.elapsed == 25 / 721
    assert result.prorated == usd("25.00")
    assert result.projected == usd("865.20")  # 30 x 721 / 25
    assert result.status == "over"


def test_pro_rating_and_projection_round_exactly() -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    three_days = al.Period.custom(start, start + timedelta(days=3))
    one_day = pace(usd("10.00"), usd("100.00"), period=three_days, as_of=start + timedelta(days=1))
    # 100.00 x 1/3 = 33.333.. and x 2/3 = 66.666..: the cent goes to the larger remainder.
    assert one_day.prorated == usd("33.33")
    assert one_day.projected == usd("30.00")
    two_days = start + timedelta(days=2)
    # 0.01 x 3/2 = 1.5 cents and 0.03 x 3/2 = 4.5 cents: half-even gives 2 and 4.
    assert pace(usd("0.01"), usd("1.00"), period=three_days, as_of=two_days).projected == usd(
        "0.02"
    )
    assert pace(usd("0.03"), usd("1.00"), period=three_days, as_of=two_days).projected == usd(
        "0.04"
    )


def test_pace_before_and_after_the_period() -> None:
    before = pace(
        usd("10.00"), usd("300.00"), period=OCTOBER, as_of=OCTOBER.start - timedelta(days=1)
    )
    assert (before.elapsed, before.prorated, before.projected, before.status) == (
        0.0,
        usd("0.00"),
        None,
        "over",
    )
    assert isinstance(before.pace, Undefined)
    assert before.pace.reason == "the period has not started"
    nothing = pace(usd("0.00"), usd("300.00"), period=OCTOBER, as_of=OCTOBER.start)
    assert nothing.status == "on"
    after = pace(
        usd("250.00"), usd("300.00"), period=OCTOBER, as_of=OCTOBER.end + timedelta(days=3)
    )
    assert (after.elapsed, after.prorated, after.projected) == (1.0, usd("300.00"), usd("250.00"))
    assert after.pace == 250 / 300
    assert after.status == "under"
    assert after.remaining == usd("50.00")


def test_pace_with_no_budget() -> None:
    result = pace(usd("1.00"), usd("0.00"), period=OCTOBER, as_of=TEN_DAYS_IN)
    assert result.status == "over"
    assert isinstance(result.pace, Undefined)
    assert result.pace.reason == "the budget is 0"
    assert result.remaining == usd("-1.00")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"spent": al.Money("1.00", "EUR")}, CurrencyMismatch, "spent is in EUR and budget in USD"),
        ({"budget": usd("-1.00")}, ValueError, "budget=-1.00 USD is negative"),
        ({"spent": usd("-1.00")}, ValueError, "spent=-1.00 USD is negative"),
        ({"spent": 5}, TypeError, "spent must be Money"),
        ({"period": "2026-10"}, TypeError, "period must be an al.Period"),
        ({"as_of": datetime(2026, 10, 11)}, TimezoneError, "as_of"),
        ({"tolerance": 0.05}, FloatNotAllowed, "tolerance=0.05 is a float"),
        (
            {"tolerance": "-0.05"},
            ValueError,
            "tolerance='-0.05' is negative; a share is at least 0",
        ),
    ],
)
def test_pace_refuses_bad_input(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments: dict[str, Any] = {
        "spent": usd("1.00"),
        "budget": usd("100.00"),
        "period": OCTOBER,
        "as_of": TEN_DAYS_IN,
    } | options
    spent, budget = arguments.pop("spent"), arguments.pop("budget")
    with pytest.raises(error, match=message):
        pace(spent, budget, **arguments)


# -- forecast ----------------------------------------------------------------------------------


def utc(month: int, day: int, year: int = 2026, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


NOVEMBER = al.Period.month(2026, 11, tz="UTC")
HELD = Pending.of(
    [usd("100.00"), usd("200.00"), usd("50.00"), usd("70.00"), usd("999.00")],
    [
        utc(10, 28),  # hold over before November: approved in the first period
        utc(11, 30, hour=23, minute=59),
        utc(12, 1),  # exactly November's end: approved in November, as settlement does
        utc(12, 15),
        utc(3, 1, year=2027),  # beyond the forecast
    ],
)


def test_pending_of() -> None:
    assert len(HELD) == 5
    assert HELD.total == usd("1419.00")
    assert HELD.currency == "USD"
    assert HELD.amount.tolist() == [10000, 20000, 5000, 7000, 99900]
    assert HELD.release[0] == al.to_micros(utc(10, 28))
    assert not HELD.amount.flags.writeable
    empty = Pending.of([], [], currency="eur")
    assert (len(empty), empty.total) == (0, al.Money("0.00", "EUR"))


def test_forecast_adds_the_trend_to_what_is_due() -> None:
    history = [usd("300.00"), usd("400.00"), usd("500.00")]  # +100.00 a month
    result = forecast_payouts(HELD, history, start=NOVEMBER, periods=3)
    assert [p.period.label for p in result.periods] == ["2026-11", "2026-12", "2027-01"]
    rows = [(p.due, p.trend, p.forecast, p.new) for p in result.periods]
    assert rows == [
        (usd("350.00"), usd("600.00"), usd("600.00"), usd("250.00")),
        (usd("70.00"), usd("700.00"), usd("700.00"), usd("630.00")),
        (usd("0.00"), usd("800.00"), usd("800.00"), usd("800.00")),
    ]
    assert result.slope == usd("100.00")
    assert result.history_used == 3
    assert result.total == usd("2100.00")
    assert result.currency == "USD"
    assert result.to_records()[0] == {
        "period": "2026-11",
        "due": usd("350.00"),
        "trend": usd("600.00"),
        "new": usd("250.00"),
        "forecast": usd("600.00"),
    }


def test_what_is_due_is_a_floor_under_the_trend() -> None:
    history = {"2026-09": usd("300.00"), "2026-10": usd("300.00")}  # flat
    result = forecast_payouts(HELD, history, start=NOVEMBER, periods=1)
    (november,) = result.periods
    assert (november.due, november.trend, november.forecast) == (
        usd("350.00"),
        usd("300.00"),
        usd("350.00"),
    )
    assert november.new == usd("0.00")


def test_the_trend_is_least_squares_on_the_last_periods() -> None:
    history = [usd("100.00"), usd("400.00"), usd("400.00"), usd("700.00")]
    nothing = Pending.of([], [], currency="USD")
    # x = 0..3, mean 1.5 and 400.00: slope 900 / 5 = 180.00, intercept 130.00; x = 4, 5.
    four = forecast_payouts(nothing, history, start=NOVEMBER, periods=2, trend_periods=4)
    assert [p.trend for p in four.periods] == [usd("850.00"), usd("1030.00")]
    assert four.slope == usd("180.00")
    # The last two only: 400.00 and 700.00, slope 300.00; x = 2 gives 1000.00.
    two = forecast_payouts(nothing, history, start=NOVEMBER, periods=1, trend_periods=2)
    assert two.periods[0].trend == usd("1000.00")
    assert two.history_used == 2
    # One period: a flat trend.
    one = forecast_payouts(nothing, history, start=NOVEMBER, periods=1, trend_periods=1)
    assert (one.periods[0].trend, one.slope) == (usd("700.00"), usd("0.00"))


def test_the_trend_is_exact_and_rounded_once() -> None:
    # 100.00, 100.00, 100.01: mean 10000 1/3 cents, slope 1/2 cent; x = 3 gives 10001 1/3.
    history = [usd("100.00"), usd("100.00"), usd("100.01")]
    result = forecast_payouts(
        Pending.of([], [], currency="USD"), history, start=NOVEMBER, periods=2
    )
    assert [p.trend for p in result.periods] == [usd("100.01"), usd("100.02")]  # 10001.83 next
    assert result.slope == usd("0.00")  # half a cent, half-even


def test_a_falling_trend_stops_at_zero() -> None:
    history = [usd("300.00"), usd("200.00"), usd("100.00")]
    result = forecast_payouts(HELD, history, start=NOVEMBER, periods=3)
    assert [p.trend for p in result.periods] == [usd("0.00")] * 3
    assert [p.forecast for p in result.periods] == [usd("350.00"), usd("70.00"), usd("0.00")]
    assert result.slope == usd("-100.00")


def test_no_history_forecasts_what_is_due() -> None:
    result = forecast_payouts(HELD, [], start=NOVEMBER, periods=2)
    assert [p.forecast for p in result.periods] == [usd("350.00"), usd("70.00")]
    assert result.history_used == 0


def test_reversal_rate_trims_what_is_due() -> None:
    result = forecast_payouts(HELD, [], start=NOVEMBER, periods=2, reversal_rate="10%")
    assert [p.due for p in result.periods] == [usd("315.00"), usd("63.00")]
    tiny = Pending.of([usd("0.05")], [utc(11, 5)])
    # 0.05 x 0.9 = 0.045: half-even to 0.04.
    assert forecast_payouts(tiny, [], start=NOVEMBER, periods=1, reversal_rate="0.1").periods[
        0
    ].due == usd("0.04")


def settlement_commissions() -> tuple[cm.CommissionTable, cm.ContractBook]:
    """10% in USD, months in Shanghai, 30 days' hold (as in the settlement guide)."""
    contract = cm.Contract(
        id="std",
        version=1,
        applies_to=cm.default(),
        currency="USD",
        timezone="Asia/Shanghai",
        plan=cm.percent("10%"),
        effective_from=datetime(2026, 1, 1, tzinfo=SHANGHAI),
        hold_days=30,
    )
    book = cm.ContractBook([contract])
    orders = al.Orders.from_records(
        [
            {"order_id": order_id, "ts": f"2026-{day}T10:00:00+08:00", "amount": amount}
            | {"currency": "USD", "partner_id": "kol-anna"}
            for order_id, day, amount in [
                ("A1", "01-05", "400.00"),
                ("A2", "01-12", "250.00"),
                ("A3", "01-20", "150.00"),
                ("A4", "01-28", "80.00"),
                ("A5", "02-10", "300.00"),
                ("A6", "02-25", "120.00"),
            ]
        ]
    )
    return cm.compute(orders, book), book


def test_pending_from_commissions() -> None:
    commissions, book = settlement_commissions()
    as_of = datetime(2026, 2, 15, tzinfo=SHANGHAI)
    held = Pending.from_commissions(commissions, book, as_of=as_of)
    # A1 and A2 came off hold on 4 and 11 February; A6 is after as_of. A3, A4 and A5 are held
    # until 19 February, 27 February and 12 March, 10:00 in Shanghai.
    assert held.amount.tolist() == [1500, 800, 3000]
    assert [al.from_micros(int(t), "Asia/Shanghai").date().isoformat() for t in held.release] == [
        "2026-02-19",
        "2026-02-27",
        "2026-03-12",
    ]
    february = al.Period.month(2026, 2, tz="Asia/Shanghai")
    result = forecast_payouts(held, [], start=february, periods=2)
    assert [p.due for p in result.periods] == [usd("23.00"), usd("30.00")]
    assert len(Pending.from_commissions(commissions, book, as_of=as_of, currency="EUR")) == 0


def test_pending_from_commissions_refuses_bad_input() -> None:
    commissions, book = settlement_commissions()
    as_of = datetime(2026, 2, 15, tzinfo=SHANGHAI)
    with pytest.raises(TypeError, match="commissions must be a CommissionTable"):
        Pending.from_commissions(bad([]), book, as_of=as_of)
    with pytest.raises(TypeError, match="book must be a ContractBook"):
        Pending.from_commissions(commissions, bad([]), as_of=as_of)
    with pytest.raises(TimezoneError):
        Pending.from_commissions(commissions, book, as_of=datetime(2026, 2, 15))
    other = cm.ContractBook([book.contracts[0].model_copy(update={"id": "other"})])
    with pytest.raises(ValueError, match="contract 'std' version 1 is not in the book"):
        Pending.from_commissions(commissions, other, as_of=as_of)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Pending.of([usd("1.00")], []), ValueError, "1 amounts but 0 release times"),
        (
            lambda: Pending.of([usd("1.00"), al.Money("1", "JPY")], [utc(11, 1)] * 2),
            CurrencyMismatch,
            "pending commission in JPY, USD",
        ),
        (lambda: Pending.of([usd("1.00")], [datetime(2026, 11, 1)]), TimezoneError, "release"),
        (lambda: Pending.of([], []), ValueError, "no pending line and no currency"),
        (lambda: Pending.of([bad(1)], [utc(11, 1)]), TypeError, r"amounts\[0\] must be Money"),
        (
            lambda: Pending("USD", np.zeros(2, dtype=np.int64), np.zeros(3, dtype=np.int64)),
            ValueError,
            "must be 1-D and of one",
        ),
        (
            lambda: Pending("USD", bad(np.array([1.5])), np.zeros(1, dtype=np.int64)),
            TypeError,
            "amount must hold integer minor units, got dtype float64",
        ),
        (lambda: forecast_payouts(bad([]), [], start=NOVEMBER), TypeError, "pending must be"),
        (lambda: forecast_payouts(HELD, [], start=bad("2026-11")), TypeError, "start must be"),
        (lambda: forecast_payouts(HELD, [], start=NOVEMBER, periods=0), ValueError, "periods=0"),
        (
            lambda: forecast_payouts(HELD, [], start=NOVEMBER, trend_periods=bad(2.0)),
            TypeError,
            "trend_periods must be a whole number",
        ),
        (
            lambda: forecast_payouts(HELD, [al.Money("1", "JPY")], start=NOVEMBER),
            CurrencyMismatch,
            r"history\[0\] is in JPY, the pending commission in USD",
        ),
        (
            lambda: forecast_payouts(HELD, [bad("1.00")], start=NOVEMBER),
            TypeError,
            r"history\[0\] must be Money",
        ),
        (lambda: forecast_payouts(HELD, bad("1.00"), start=NOVEMBER), TypeError, "history must"),
        (
            lambda: forecast_payouts(HELD, [], start=NOVEMBER, reversal_rate="1.5"),
            ValueError,
            "reversal_rate='1.5' must be a share between 0 and 1",
        ),
        (
            lambda: forecast_payouts(HELD, [], start=NOVEMBER, reversal_rate=bad(0.1)),
            FloatNotAllowed,
            "reversal_rate=0.1 is a float",
        ),
    ],
)
def test_forecast_refuses_bad_input(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_forecast_is_a_frozen_result() -> None:
    result = forecast_payouts(HELD, [], start=NOVEMBER, periods=1)
    assert isinstance(result, Forecast)
    with pytest.raises(AttributeError):
        result.currency = "EUR"  # type: ignore[misc]

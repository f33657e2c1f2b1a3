"""`kpi.summary`: a hand-computed programme, pandas on random data, windows and bad input."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

import alliance as al
from alliance import commission as cm
from alliance import kpi
from alliance.errors import CurrencyMismatch

START = datetime(2026, 1, 1, tzinfo=UTC)


def _book() -> cm.ContractBook:
    return cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency="USD",
                timezone="Asia/Shanghai",
                plan=cm.percent("10%"),
                effective_from=START,
            )
        ]
    )


# Shanghai is UTC+8: 2026-10-31T17:00Z is already November there.
CLICKS = [
    ("c1", "2026-10-05T10:00:00Z", "kol"),
    ("c2", "2026-10-06T10:00:00Z", "kol"),
    ("c3", "2026-10-07T10:00:00Z", "kol"),
    ("c4", "2026-10-31T17:00:00Z", "kol"),  # November in Shanghai
    ("c5", "2026-10-08T10:00:00Z", "deals"),
]
ORDERS = [
    ("o1", "2026-10-05T11:00:00Z", "kol", "100.00", True),
    ("o2", "2026-10-07T11:00:00Z", "kol", "50.00", False),
    ("o3", "2026-10-31T18:00:00Z", "kol", "30.00", None),  # November in Shanghai
    ("o4", "2026-10-08T11:00:00Z", "deals", "20.00", True),
]


def _programme() -> tuple[al.Clicks, al.Orders, al.Reversals]:
    clicks = al.Clicks.from_records(
        [{"click_id": c, "ts": t, "partner_id": p, "country": "BR"} for c, t, p in CLICKS]
    )
    orders = al.Orders.from_records(
        [
            {
                "order_id": o,
                "ts": t,
                "partner_id": p,
                "amount": a,
                "currency": "USD",
                "is_new_customer": n,
                "country": "BR",
            }
            for o, t, p, a, n in ORDERS
        ]
    )
    reversals = al.Reversals.from_records(
        [
            # o1 loses 40.00 twice over (80.00 of 100.00); o4 is refunded in full.
            {"reversal_id": "r1", "order_id": "o1", "ts": "2026-10-20T00:00:00Z",
             "amount": "40.00", "currency": "USD", "kind": "refund"},
            {"reversal_id": "r2", "order_id": "o1", "ts": "2026-10-21T00:00:00Z",
             "amount": "40.00", "currency": "USD", "kind": "refund"},
            {"reversal_id": "r3", "order_id": "o4", "ts": "2026-10-22T00:00:00Z",
             "kind": "chargeback"},
            {"reversal_id": "r4", "order_id": "o9", "ts": "2026-10-22T00:00:00Z",
             "kind": "chargeback"},
        ]
    )  # fmt: skip
    return clicks, orders, reversals


def test_a_small_programme_by_partner_and_month_by_hand() -> None:
    clicks, orders, reversals = _programme()
    commissions = cm.compute(orders, _book())
    result = kpi.summary(
        orders=orders,
        clicks=clicks,
        commissions=commissions,
        reversals=reversals,
        by=["partner_id", "month"],
        tz="Asia/Shanghai",
        min_clicks=2,
        min_orders=2,
    )
    assert result.currency == "USD"
    assert result.unmatched == {"commissions": 0, "reversals": 1}  # r4's order is unknown
    rows = {(r["partner_id"], r["month"]): r for r in result.to_records()}
    assert list(rows) == [("deals", "2026-10"), ("kol", "2026-10"), ("kol", "2026-11")]
    october = rows[("kol", "2026-10")]
    # 3 clicks, 2 orders (100 + 50), 10% commission, o1 reversed 80.00 of 100.00.
    assert (october["clicks"], october["orders"]) == (3, 2)
    assert (october["revenue"], october["reversed"], october["net_revenue"]) == (15000, 8000, 7000)
    assert october["commission"] == 1500
    assert october["conversion_rate"] == pytest.approx(2 / 3)
    assert october["epc"] == pytest.approx(15.00 / 3)
    assert october["epc_100"] == pytest.approx(500.0)
    assert october["revenue_epc"] == pytest.approx(150.00 / 3)
    assert october["aov"] == 7500.0
    assert october["cost_of_sale"] == pytest.approx(0.1)
    assert october["roas"] == pytest.approx(10.0)
    assert october["reversal_rate"] == 0.5
    assert october["new_customer_share"] == 0.5  # o1 new, o2 returning
    assert october["small_sample"] is False
    november = rows[("kol", "2026-11")]
    assert (november["clicks"], november["orders"], november["revenue"]) == (1, 1, 3000)
    assert math.isnan(november["new_customer_share"])  # o3 does not say
    assert november["small_sample"] is True
    deals = rows[("deals", "2026-10")]
    assert (deals["reversed"], deals["net_revenue"], deals["reversal_rate"]) == (2000, 0, 1.0)
    ranked = result.ranked("conversion_rate")
    assert ranked["partner_id"].tolist() == ["kol"]  # the small groups are not ranked


def test_no_keys_give_one_row_and_a_window_keeps_what_is_in_it() -> None:
    clicks, orders, _ = _programme()
    everything = kpi.summary(orders=orders, clicks=clicks, by=[])
    assert len(everything) == 1
    assert (everything["clicks"][0], everything["orders"][0], everything["revenue"][0]) == (
        5,
        4,
        20000,
    )
    # The 30 days before 2026-11-08 less the last 7: [2026-10-02, 2026-11-01) UTC.
    lagged = kpi.summary(
        orders=orders,
        clicks=clicks,
        by=["partner_id"],
        as_of=datetime(2026, 11, 8, tzinfo=UTC),
        window=timedelta(days=30),
        lag=timedelta(days=7),
    )
    assert dict(zip(lagged["partner_id"], lagged["orders"], strict=True)) == {"deals": 1, "kol": 3}
    later = kpi.summary(
        orders=orders,
        clicks=clicks,
        by=["partner_id"],
        as_of=datetime(2026, 11, 8, tzinfo=UTC),
        window=timedelta(days=30),
        lag=timedelta(days=8, hours=6),  # ends 2026-10-30T18:00Z: o3 and c4 fall out
    )
    assert dict(zip(later["partner_id"], later["clicks"], strict=True)) == {"deals": 1, "kol": 3}


def test_bad_calls_say_what_is_wrong() -> None:
    clicks, orders, _ = _programme()
    with pytest.raises(ValueError, match="needs orders or clicks"):
        kpi.summary()
    with pytest.raises(ValueError, match="clicks have no column 'customer_id'"):
        kpi.summary(orders=orders, clicks=clicks, by=["customer_id"])
    with pytest.raises(ValueError, match="by lists a key twice"):
        kpi.summary(orders=orders, by=["month", "month"])
    with pytest.raises(ValueError, match="a window needs as_of"):
        kpi.summary(orders=orders, window=timedelta(days=1))
    with pytest.raises(ValueError, match="as_of and lag go with window"):
        kpi.summary(orders=orders, as_of=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="window must be positive"):
        kpi.summary(orders=orders, as_of=START, window=timedelta(0))
    with pytest.raises(ValueError, match="must not be negative"):
        kpi.summary(orders=orders, min_clicks=-1)
    mixed = al.Orders.from_records(
        [
            {"order_id": "a", "ts": "2026-10-01T00:00:00Z", "amount": "1", "currency": "USD"},
            {"order_id": "b", "ts": "2026-10-01T00:00:00Z", "amount": "1", "currency": "EUR"},
        ]
    )
    with pytest.raises(CurrencyMismatch, match="pass currency="):
        kpi.summary(orders=mixed)
    with pytest.raises(CurrencyMismatch, match="pass fx= to convert them"):
        kpi.summary(orders=mixed, currency="USD")
    with pytest.raises(KeyError, match="no column 'cr'"):
        kpi.summary(orders=orders)["cr"]


def test_money_in_several_currencies_is_converted_at_each_order_time() -> None:
    at = datetime(2026, 9, 1, tzinfo=UTC)
    fx = al.FxRates.from_records([{"base": "EUR", "quote": "USD", "rate": "1.25", "as_of": at}])
    orders = al.Orders.from_records(
        [
            {"order_id": "a", "ts": "2026-10-01T00:00:00Z", "amount": "10.00",
             "currency": "USD", "partner_id": "p"},
            {"order_id": "b", "ts": "2026-10-01T00:00:00Z", "amount": "10.01",
             "currency": "EUR", "partner_id": "p"},
        ]
    )  # fmt: skip
    reversals = al.Reversals.from_records(
        [{"reversal_id": "r", "order_id": "b", "ts": "2026-10-02T00:00:00Z", "kind": "refund",
          "amount": "5.00", "currency": "EUR"}]
    )  # fmt: skip
    result = kpi.summary(orders=orders, reversals=reversals, currency="USD", fx=fx)
    # 10.01 EUR = 12.5125 USD -> 12.51; the 5.00 EUR reversed is 6.25 USD, converted once.
    assert result["revenue"].tolist() == [1000 + 1251]
    assert result["reversed"].tolist() == [625]


def test_reversed_money_is_converted_once_at_its_order_time() -> None:
    at = datetime(2026, 9, 1, tzinfo=UTC)
    fx = al.FxRates.from_records([{"base": "EUR", "quote": "USD", "rate": "1.25", "as_of": at}])
    orders = al.Orders.from_records(
        [
            {"order_id": "a", "ts": "2026-10-01T00:00:00Z", "amount": "0.03", "currency": "EUR"},
            {"order_id": "z", "ts": "2026-10-01T00:00:00Z", "amount": "0.00", "currency": "EUR"},
        ]
    )
    reversals = al.Reversals.from_records(
        [{"reversal_id": "r", "order_id": "a", "ts": "2026-10-02T00:00:00Z", "kind": "refund",
          "amount": "0.02", "currency": "EUR"},
         {"reversal_id": "q", "order_id": "z", "ts": "2026-10-02T00:00:00Z", "kind": "refund"}]
    )  # fmt: skip
    result = kpi.summary(orders=orders, reversals=reversals, currency="USD", fx=fx)
    # 0.03 EUR = 0.0375 -> 0.04 USD; 0.02 EUR = 0.025 -> 0.02 USD (half to even), not 0.03,
    # which a share of the converted order (0.04 * 2 / 3 = 0.0267) would give.
    assert result["revenue"].tolist() == [4]
    assert result["reversed"].tolist() == [2]
    assert result["reversal_rate"].tolist() == [1.0]  # both orders have a reversal


def test_a_reversal_must_be_in_its_order_currency_and_a_line_needs_its_amount() -> None:
    orders = al.Orders.from_records(
        [{"order_id": "o1", "ts": "2026-10-01T00:00:00Z", "amount": "100.00", "currency": "USD"}]
    )
    in_yen = al.Reversals.from_records(
        [{"reversal_id": "r1", "order_id": "o1", "ts": "2026-10-02T00:00:00Z", "kind": "refund",
          "amount": "1000", "currency": "JPY"}]
    )  # fmt: skip
    with pytest.raises(CurrencyMismatch, match="reversal r1 is in JPY but its order is in USD"):
        kpi.summary(orders=orders, reversals=in_yen)
    a_line = al.Reversals.from_records(
        [{"reversal_id": "r2", "order_id": "o1", "line_id": "L2", "ts": "2026-10-02T00:00:00Z",
          "kind": "refund"}]
    )  # fmt: skip
    with pytest.raises(ValueError, match="reversals r2 reverse an order line in full"):
        kpi.summary(orders=orders, reversals=a_line)


def test_commissions_of_unknown_orders_are_counted_whatever_the_keys() -> None:
    clicks, orders, _ = _programme()
    commissions = cm.compute(orders, _book())
    known = orders.take([0, 1])  # o1 and o2 only: the commissions of o3 and o4 are unknown
    for keys in (["partner_id"], ["partner_id", "country"], []):
        result = kpi.summary(orders=known, commissions=commissions, by=keys)
        assert result.unmatched == {"commissions": 2}
        assert int(result["commission"].sum()) == 1500  # 10% of 100.00 + 50.00
    # Without orders there is nothing to match them with: by partner and time, all count.
    alone = kpi.summary(clicks=clicks, commissions=commissions, by=["partner_id"])
    assert alone.unmatched == {"commissions": 0}
    assert int(alone["commission"].sum()) == 2000


def test_metrics_that_need_an_input_not_given_are_nan() -> None:
    clicks, orders, _ = _programme()
    no_commissions = kpi.summary(orders=orders, clicks=clicks, by=[])
    assert no_commissions["commission"].tolist() == [0]
    for metric in ("epc", "epc_100", "cost_of_sale", "roas"):
        assert math.isnan(no_commissions[metric][0])
    assert no_commissions["conversion_rate"].tolist() == [0.8]  # 4 orders / 5 clicks
    no_clicks = kpi.summary(orders=orders, by=[])
    assert math.isnan(no_clicks["conversion_rate"][0])
    assert no_clicks["aov"].tolist() == [5000.0]  # 200.00 / 4
    no_orders = kpi.summary(clicks=clicks, by=[])
    assert math.isnan(no_orders["aov"][0])
    assert math.isnan(no_orders["revenue_epc"][0])


def _random_programme(seed: int) -> tuple[al.Clicks, al.Orders]:
    rng = np.random.default_rng(seed)
    base = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    partners = [f"p{i}" for i in range(7)] + [None]
    clicks = al.Clicks.from_records(
        [
            {
                "click_id": f"c{i}",
                "ts": datetime.fromtimestamp(base + int(rng.integers(0, 200 * 86400)), UTC),
                "partner_id": partners[int(rng.integers(0, 7))],
                "country": ["BR", "MX", None][int(rng.integers(0, 3))],
            }
            for i in range(600)
        ]
    )
    orders = al.Orders.from_records(
        [
            {
                "order_id": f"o{i}",
                "ts": datetime.fromtimestamp(base + int(rng.integers(0, 200 * 86400)), UTC),
                "partner_id": partners[int(rng.integers(0, 8))],
                "country": ["BR", "MX", None][int(rng.integers(0, 3))],
                "amount": f"{int(rng.integers(1, 50_000)) / 100:.2f}",
                "currency": "USD",
                "is_new_customer": [True, False, None][int(rng.integers(0, 3))],
            }
            for i in range(300)
        ]
    )
    return clicks, orders


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_summary_equals_pandas_on_random_data(seed: int) -> None:
    clicks, orders = _random_programme(seed)
    tz = "America/Sao_Paulo"
    rng = np.random.default_rng(seed + 100)
    reversed_rows = rng.choice(len(orders), size=60, replace=True)  # some orders twice
    reversals = al.Reversals.from_records(
        [
            {
                "reversal_id": f"r{i}",
                "order_id": orders["order_id"][int(row)],
                "ts": "2026-12-01T00:00:00Z",
                "kind": "refund",
                **(
                    {}
                    if i % 4 == 0  # in full
                    else {
                        "amount": f"{int(rng.integers(1, 40_000)) / 100:.2f}",  # may pass the order
                        "currency": "USD",
                    }
                ),
            }
            for i, row in enumerate(reversed_rows)
        ]
    )
    commissions = cm.compute(orders, _book())
    result = kpi.summary(
        orders=orders,
        clicks=clicks,
        commissions=commissions,
        reversals=reversals,
        by=["partner_id", "country", "month"],
        tz=tz,
    )
    c = clicks.to_pandas()
    o = orders.to_pandas()
    r = reversals.to_pandas()
    r["minor"] = r["amount"].map(lambda amount: None if amount is None else int(amount * 100))
    cents = o["amount"].map(lambda amount: int(amount * 100))
    whole = dict(zip(o["order_id"], cents, strict=True))
    r["minor"] = [
        whole[i] if m is None or m != m else m  # no amount: the order in full
        for i, m in zip(r["order_id"], r["minor"], strict=True)
    ]
    per_order = r.groupby("order_id")["minor"].sum()
    o["reversed"] = [min(per_order.get(i, 0), whole[i]) for i in o["order_id"]]
    o["was_reversed"] = o["order_id"].isin(per_order.index).astype(int)

    def month(frame: Any) -> Any:
        return pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m")

    c = c.assign(month=month(c)).fillna({"partner_id": "~", "country": "~"})
    o = o.assign(
        month=month(o),
        minor=o["amount"].map(lambda amount: int(amount * 100)),
        new=o["is_new_customer"].map(lambda v: 1.0 if v is True else 0.0),
        said=o["is_new_customer"].map(lambda v: 0.0 if v is None or v is pd.NA else 1.0),
    ).fillna({"partner_id": "~", "country": "~"})
    keys = ["partner_id", "country", "month"]
    # Commission rows: their own partner and time, the order's country.
    paid = pd.DataFrame(
        {
            "order_id": commissions["order_id"],
            "partner_id": commissions["partner_id"],
            "cents": np.asarray(commissions["commission"], dtype=np.int64),
        }
    ).merge(o[["order_id", "country", "month"]], on="order_id")
    expected = (
        c.groupby(keys)
        .size()
        .rename("clicks")
        .to_frame()
        .join(
            o.groupby(keys).agg(
                orders=("order_id", "size"),
                revenue=("minor", "sum"),
                reversed=("reversed", "sum"),
                reversed_orders=("was_reversed", "sum"),
                new=("new", "sum"),
                said=("said", "sum"),
            ),
            how="outer",
        )
        .join(paid.groupby(keys).agg(commission=("cents", "sum")), how="outer")
        .fillna(0)
        .sort_index()
    )
    got = result.to_pandas()
    got[["partner_id", "country"]] = got[["partner_id", "country"]].fillna("~")
    got = got.set_index(keys).sort_index()
    assert got.index.tolist() == expected.index.tolist()
    assert got["clicks"].tolist() == expected["clicks"].astype(int).tolist()
    assert got["orders"].tolist() == expected["orders"].astype(int).tolist()
    assert got["revenue"].tolist() == expected["revenue"].astype(int).tolist()
    assert got["reversed"].tolist() == expected["reversed"].astype(int).tolist()
    assert got["commission"].tolist() == expected["commission"].astype(int).tolist()
    assert expected["commission"].sum() > 0
    epc = expected["commission"] / 100 / expected["clicks"].where(expected["clicks"] > 0)
    assert np.allclose(got["epc"], epc, equal_nan=True)
    roas = expected["revenue"] / expected["commission"].where(expected["commission"] > 0)
    assert np.allclose(got["roas"], roas, equal_nan=True)
    assert (got["net_revenue"] == got["revenue"] - got["reversed"]).all()
    assert expected["reversed"].sum() > 0
    rate = expected["reversed_orders"] / expected["orders"].where(expected["orders"] > 0)
    assert np.allclose(got["reversal_rate"], rate, equal_nan=True)
    cr = expected["orders"] / expected["clicks"].where(expected["clicks"] > 0)
    assert np.allclose(got["conversion_rate"], cr, equal_nan=True)
    share = expected["new"] / expected["said"].where(expected["said"] > 0)
    assert np.allclose(got["new_customer_share"], share, equal_nan=True)
    aov = (expected["revenue"] / expected["orders"].where(expected["orders"] > 0)).round()
    assert np.allclose(got["aov"], aov, equal_nan=True, atol=1.0)

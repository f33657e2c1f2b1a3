"""`kpi.cohorts`: a hand-computed example, a plain-Python reference on random data, bad input."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

import alliance as al
from alliance import kpi
from alliance._periods import period_of

ORDERS = [
    # order, time (UTC), customer, partner, amount
    ("o1", "2026-01-05T00:00:00Z", "ann", "kol", "10.00"),
    ("o2", "2026-01-20T00:00:00Z", "ann", "deals", "20.00"),  # ann repeats in her first month
    ("o3", "2026-03-02T00:00:00Z", "ann", "kol", "5.00"),
    ("o4", "2026-01-31T20:00:00Z", "bob", "deals", "8.00"),  # February in Shanghai (UTC+8)
    ("o5", "2026-02-10T00:00:00Z", "cat", "kol", "12.00"),
    ("o6", "2026-03-15T00:00:00Z", "cat", "kol", "12.00"),
    ("o7", "2026-02-11T00:00:00Z", None, "kol", "99.00"),  # no customer: left out
]


def _orders() -> al.Orders:
    return al.Orders.from_records(
        [
            {"order_id": o, "ts": t, "customer_id": c, "partner_id": p, "amount": a,
             "currency": "USD"}
            for o, t, c, p, a in ORDERS
        ]
    )  # fmt: skip


def test_retention_repeat_and_revenue_per_customer_by_hand() -> None:
    table = kpi.cohorts(_orders(), tz="Asia/Shanghai")
    assert table.cohort.tolist() == ["2026-01", "2026-02"]
    assert table.customers.tolist() == [1, 2]  # ann; bob and cat
    assert table.ages.tolist() == [0, 1, 2]
    assert table.observed.tolist() == [[True, True, True], [True, True, False]]
    assert table.active.tolist() == [[1, 0, 1], [2, 1, 0]]
    assert table.orders.tolist() == [[2, 0, 1], [2, 1, 0]]
    assert table.revenue.tolist() == [[3000, 0, 500], [2000, 1200, 0]]
    retention = table.retention
    assert retention[0].tolist() == [1.0, 0.0, 1.0]
    assert retention[1, :2].tolist() == [1.0, 0.5]
    assert math.isnan(retention[1, 2])  # February's cohort has not reached age 2
    # ann repeats at age 0; cat at age 1; bob never.
    assert table.repeat_rate[0].tolist() == [1.0, 1.0, 1.0]
    assert table.repeat_rate[1, :2].tolist() == [0.0, 0.5]
    # Cumulative revenue per acquired customer: the historical LTV curve.
    assert table.revenue_per_customer[0].tolist() == [3000.0, 3000.0, 3500.0]
    assert table.revenue_per_customer[1, :2].tolist() == [1000.0, 1600.0]
    records = table.to_records()
    assert len(records) == 5  # observed cells only
    assert records[-1] == {
        "cohort": "2026-02",
        "group": None,
        "age": 1,
        "customers": 2,
        "active": 1,
        "orders": 1,
        "revenue": 1200,
        "retention": 0.5,
        "repeat_rate": 0.5,
        "revenue_per_customer": 1600.0,
    }


def test_cohorts_by_acquiring_partner() -> None:
    table = kpi.cohorts(_orders(), tz="Asia/Shanghai", by="partner_id")
    # ann came through kol (her first order), bob through deals, cat through kol.
    assert list(zip(table.cohort, table.group, table.customers, strict=True)) == [
        ("2026-01", "kol", 1),
        ("2026-02", "deals", 1),
        ("2026-02", "kol", 1),
    ]
    # ann's later order through deals still counts for her acquiring partner.
    assert table.revenue[0].tolist() == [3000, 0, 500]


def _reference(
    rows: list[tuple[int, str, str | None]], tz: str
) -> dict[tuple[str, str | None], Any]:
    """Plain Python: per (cohort, group), customers and per-age active, orders and repeaters."""
    first: dict[str, tuple[int, str | None]] = {}
    for ts, who, group in sorted(rows, key=lambda r: r[0]):
        first.setdefault(who, (ts, group))
    months = sorted(
        {period_of(datetime.fromtimestamp(ts / 1e6, UTC), "month", tz).label for ts, _, _ in rows}
    )
    index = {label: number for number, label in enumerate(months)}

    def month(ts: int) -> int:
        return index[period_of(datetime.fromtimestamp(ts / 1e6, UTC), "month", tz).label]

    cells: dict[tuple[str, str | None], Any] = {}
    seen_orders: dict[str, list[int]] = defaultdict(list)
    for ts, who, _ in sorted(rows, key=lambda r: r[0]):
        seen_orders[who].append(ts)
    for who, stamps in seen_orders.items():
        start_ts, group = first[who]
        key = (months[month(start_ts)], group)
        cell = cells.setdefault(
            key,
            {
                "customers": 0,
                "active": defaultdict(set),
                "orders": defaultdict(int),
                "rep": defaultdict(int),
            },
        )
        cell["customers"] += 1
        for ts in stamps:
            age = month(ts) - month(start_ts)
            cell["active"][age].add(who)
            cell["orders"][age] += 1
        if len(stamps) > 1:
            cell["rep"][month(stamps[1]) - month(start_ts)] += 1
    return cells


@pytest.mark.parametrize("seed", [4, 5])
def test_cohorts_equal_a_plain_python_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    rows = [
        (
            base + int(rng.integers(0, 150 * 86_400)) * 1_000_000,
            f"u{int(rng.integers(0, 40))}",
            ["kol", "deals", None][int(rng.integers(0, 3))],
        )
        for _ in range(250)
    ]
    orders = al.Orders.from_records(
        [
            {"order_id": f"o{i}", "ts": datetime.fromtimestamp(ts / 1e6, UTC), "customer_id": who,
             "partner_id": group, "amount": "1.00", "currency": "USD"}
            for i, (ts, who, group) in enumerate(rows)
        ]
    )  # fmt: skip
    tz = "America/Sao_Paulo"
    table = kpi.cohorts(orders, tz=tz, by="partner_id")
    expected = _reference(rows, tz)
    got = {(c, g): i for i, (c, g) in enumerate(zip(table.cohort, table.group, strict=True))}
    assert set(got) == set(expected)
    for key, row in got.items():
        cell = expected[key]
        assert table.customers[row] == cell["customers"]
        for age in range(table.active.shape[1]):
            assert table.active[row, age] == len(cell["active"].get(age, ()))
            assert table.orders[row, age] == cell["orders"].get(age, 0)
            repeaters = sum(n for a, n in cell["rep"].items() if a <= age)
            assert table.repeaters[row, age] == repeaters


def test_bad_input_and_money_in_several_currencies() -> None:
    with pytest.raises(ValueError, match="orders have no column 'shopper'"):
        kpi.cohorts(_orders(), customer="shopper")
    with pytest.raises(ValueError, match="orders have no column 'channel'"):
        kpi.cohorts(_orders(), by="channel")
    mixed = al.Orders.from_records(
        [
            {"order_id": "a", "ts": "2026-01-01T00:00:00Z", "customer_id": "x", "amount": "1",
             "currency": "USD"},
            {"order_id": "b", "ts": "2026-01-02T00:00:00Z", "customer_id": "x", "amount": "1",
             "currency": "EUR"},
        ]
    )  # fmt: skip
    with pytest.raises(al.errors.CurrencyMismatch, match="pass currency="):
        kpi.cohorts(mixed)
    fx = al.FxRates.from_records(
        [{"base": "EUR", "quote": "USD", "rate": "1.1", "as_of": datetime(2025, 1, 1, tzinfo=UTC)}]
    )
    table = kpi.cohorts(mixed, currency="USD", fx=fx)
    assert table.revenue.tolist() == [[100 + 110]]
    empty = kpi.cohorts(al.Orders.from_records([]))
    assert len(empty) == 0
    assert empty.retention.shape == (0, 0)

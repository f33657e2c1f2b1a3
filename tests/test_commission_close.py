"""Period close: whole-volume true-ups (with reversals), bonuses and guaranteed minimums."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

import alliance as al
from alliance import commission as cm

START = datetime(2026, 1, 1, tzinfo=UTC)
OCTOBER = al.Period.month(2026, 10, tz="UTC")


def usd(amount: str) -> al.Money:
    return al.Money(amount, "USD")


def book(plan: Any, *, tz: str = "UTC", applies_to: Any = None) -> cm.ContractBook:
    return cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=applies_to if applies_to is not None else cm.default(),
                currency="USD",
                timezone=tz,
                plan=plan,
                effective_from=START,
            )
        ]
    )


def orders(*rows: tuple[str, str, str] | tuple[str, str, str, str]) -> al.Orders:
    """Orders as (order_id, ts, amount[, partner_id]) in USD, partner p1 by default."""
    return al.Orders.from_records(
        [
            {
                "order_id": row[0],
                "ts": row[1],
                "amount": row[2],
                "currency": "USD",
                "partner_id": row[3] if len(row) > 3 else "p1",
            }
            for row in rows
        ]
    )


def reversals(placed: al.Orders, *rows: dict[str, Any]) -> al.Reversals:
    return al.Reversals.from_records(
        [
            {"reversal_id": f"r{n}", "ts": "2026-10-25T00:00:00Z", **row}
            for n, row in enumerate(rows)
        ],
        orders=placed,
    )


def summary(adjustments: list[cm.Adjustment]) -> list[tuple[str, str, str]]:
    return [(a.partner_id, a.kind, str(a.amount)) for a in adjustments]


# -- whole-volume tiers ---------------------------------------------------------------------------

WHOLE = cm.tiered(mode="whole", tiers=[("0", "5%"), ("50", "10%"), ("90", "12%")])
THREE = (
    ("a", "2026-10-02T10:00:00Z", "30.00"),
    ("b", "2026-10-03T10:00:00Z", "50.00"),
    ("c", "2026-10-04T10:00:00Z", "20.00"),
)


def test_whole_tiers_are_provisional_during_the_period() -> None:
    table = cm.compute(orders(*THREE), book(WHOLE))
    # The tier reached so far: a 30 -> 5% = 1.50; b 80 -> 10% = 5.00; c 100 -> 12% = 2.40.
    assert table["commission"].tolist() == [150, 500, 240]
    assert table["tier"].tolist() == [0, 1, 2]
    assert set(table["notes"].tolist()) == {"provisional tier; trued up at period close"}


def test_whole_tiers_true_up_at_close() -> None:
    contracts = book(WHOLE)
    table = cm.compute(orders(*THREE), contracts)
    adjustments = cm.close_period(table, contracts, OCTOBER)
    # The period ended at 100.00, tier 3: 12% of 100.00 = 12.00 due; 8.90 paid -> 3.10.
    assert summary(adjustments) == [("p1", "true_up", "3.10 USD")]
    (true_up,) = adjustments
    assert (true_up.contract_id, true_up.version, true_up.period) == ("std", 1, "2026-10")
    assert true_up.reason == (
        "whole-volume tiers: the period ended in tier 3; lines re-priced at it "
        "(12.00 USD due, 8.90 USD paid)"
    )


def test_a_reversal_lowers_the_final_tier_and_only_kept_volume_is_trued_up() -> None:
    placed = orders(*THREE)
    contracts = book(WHOLE)
    table = cm.compute(placed, contracts)
    refund = reversals(placed, {"order_id": "a"})
    adjustments = cm.close_period(table, contracts, OCTOBER, reversals=refund)
    # Without a (30.00 refunded) the period ends at 70.00, tier 2 (10%). The partner keeps b
    # and c: 10% of 70.00 = 7.00 due on them; 5.00 + 2.40 = 7.40 was paid -> -0.40.
    # (a's 1.50 is voided with its reversal; re-pricing it would pay for a refunded sale.)
    assert summary(adjustments) == [("p1", "true_up", "-0.40 USD")]
    assert adjustments[0].reason == (
        "whole-volume tiers: the period ended in tier 2; lines re-priced at it "
        "(7.00 USD due, 7.40 USD paid)"
    )


def test_a_fully_refunded_period_owes_no_true_up() -> None:
    placed = orders(("a", "2026-10-02T10:00:00Z", "100.00"))
    contracts = book(WHOLE)
    table = cm.compute(placed, contracts)
    # Provisionally 12% of 100.00 = 12.00; the order is refunded, so its 12.00 is voided and
    # nothing remains to re-price: no true-up (not 5% x 100 - 12.00 = -7.00 on top).
    assert table["commission"].tolist() == [1200]
    refund = reversals(placed, {"order_id": "a"})
    assert cm.close_period(table, contracts, OCTOBER, reversals=refund) == []


def test_a_partial_reversal_trues_up_the_share_kept() -> None:
    placed = orders(*THREE)
    contracts = book(WHOLE)
    table = cm.compute(placed, contracts)
    refund = reversals(placed, {"order_id": "c", "amount": "15.00"})
    adjustments = cm.close_period(table, contracts, OCTOBER, reversals=refund)
    # Final volume 100 - 15 = 85.00, tier 2 (10%). Per line, (due - paid) x share kept:
    # a (3.00 - 1.50) x 1 = 1.50; b (5.00 - 5.00) x 1 = 0; c (2.00 - 2.40) x 5/20 = -0.10.
    # True-up 1.40; with c's voided 1.80 the partner nets 1.50 + 5.00 + 0.60 + 1.40 = 8.50,
    # which is 10% of the 85.00 kept.
    assert summary(adjustments) == [("p1", "true_up", "1.40 USD")]


def test_whole_tiers_close_by_the_month_in_shanghai() -> None:
    placed = orders(
        ("a", "2026-10-20T10:00:00+08:00", "80.00"),
        ("b", "2026-10-31T23:30:00+08:00", "50.00"),
        ("c", "2026-11-01T00:10:00+08:00", "50.00"),
    )
    contracts = book(
        cm.tiered(mode="whole", tiers=[("0", "5%"), ("100", "10%")]), tz="Asia/Shanghai"
    )
    table = cm.compute(placed, contracts)
    # Provisional: a 80 -> 5% = 4.00; b 130 -> 10% = 5.00; c is November: 50 -> 5% = 2.50.
    assert table["commission"].tolist() == [400, 500, 250]
    october = cm.close_period(table, contracts, al.Period.month(2026, 10, tz="Asia/Shanghai"))
    # October ended at 130.00: 10% of 130.00 = 13.00 due, 9.00 paid -> 4.00.
    assert summary(october) == [("p1", "true_up", "4.00 USD")]
    assert october[0].period == "2026-10"
    # November ended at 50.00, the tier paid provisionally: nothing to true up.
    assert cm.close_period(table, contracts, al.Period.month(2026, 11, tz="Asia/Shanghai")) == []


def test_orders_basis_whole_tiers_count_an_order_while_any_line_is_kept() -> None:
    placed = orders(
        ("a", "2026-10-02T10:00:00Z", "100.00"),
        ("b", "2026-10-03T10:00:00Z", "100.00"),
        ("c", "2026-10-04T10:00:00Z", "100.00"),
    )
    detail = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "100.00"},
            {"order_id": "b", "line_id": "1", "amount": "50.00"},
            {"order_id": "b", "line_id": "2", "amount": "50.00"},
            {"order_id": "c", "line_id": "1", "amount": "100.00"},
        ],
        orders=placed,
    )
    contracts = book(cm.tiered(basis="orders", mode="whole", tiers=[("0", "5%"), ("3", "10%")]))
    table = cm.compute(placed, contracts, lines=detail)
    # Provisional: a (1 order) 5% = 5.00; b (2) 5% = 2.50 + 2.50; c (3) 10% = 10.00.
    assert table["commission"].tolist() == [500, 250, 250, 1000]
    assert summary(cm.close_period(table, contracts, OCTOBER)) == [
        # 3 orders: all at 10% = 30.00 due, 20.00 paid.
        ("p1", "true_up", "10.00 USD")
    ]
    refund = reversals(placed, {"order_id": "b", "line_id": "1"})
    # Line b/1 is refunded but b/2 is kept, so b still counts: 3 orders, tier 2 (10%).
    # Kept lines: a +5.00, b/2 +2.50, c 0 -> 7.50 (b/1 is voided, not re-priced).
    assert summary(cm.close_period(table, contracts, OCTOBER, reversals=refund)) == [
        ("p1", "true_up", "7.50 USD")
    ]


def test_true_ups_are_per_partner() -> None:
    placed = orders(
        ("a", "2026-10-02T10:00:00Z", "60.00", "p1"),
        ("b", "2026-10-03T10:00:00Z", "40.00", "p1"),
        ("c", "2026-10-04T10:00:00Z", "40.00", "p2"),
    )
    contracts = book(WHOLE)
    table = cm.compute(placed, contracts)
    # p1: a 60 -> 10% = 6.00, b 100 -> 12% = 4.80; final 100 at 12% = 12.00, paid 10.80.
    # p2: c 40 -> 5% = 2.00 and ends there: nothing to true up.
    assert summary(cm.close_period(table, contracts, OCTOBER)) == [("p1", "true_up", "1.20 USD")]


# -- bonuses and guarantees -----------------------------------------------------------------------

PAID_AT_CLOSE = cm.add(
    cm.guarantee("5%", usd("20.00")),
    cm.bonus("600", amount=usd("50.00")),
    cm.bonus("2", basis="orders", rate="1%"),
)
FOUR = (
    ("a", "2026-10-02T10:00:00Z", "400.00", "p1"),
    ("b", "2026-10-03T10:00:00Z", "300.00", "p1"),
    ("c", "2026-10-04T10:00:00Z", "100.00", "p2"),
    ("d", "2026-11-04T10:00:00Z", "1000.00", "p2"),
)


def test_bonuses_and_guarantee_top_ups_at_close() -> None:
    contracts = book(PAID_AT_CLOSE)
    table = cm.compute(orders(*FOUR), contracts)
    # 5% of each order: 20.00, 15.00, 5.00 and (November) 50.00.
    assert table["commission"].tolist() == [2000, 1500, 500, 5000]
    adjustments = cm.close_period(table, contracts, OCTOBER)
    assert summary(adjustments) == [
        # p1: October revenue 700.00 >= 600.00 -> 50.00; 2 orders >= 2 -> 1% of 700.00 = 7.00;
        # commission 35.00 is above the 20.00 minimum.
        ("p1", "bonus", "50.00 USD"),
        ("p1", "bonus", "7.00 USD"),
        # p2: October revenue 100.00, one order: no bonus; commission 5.00 -> top-up 15.00.
        ("p2", "guarantee", "15.00 USD"),
    ]
    reasons = [a.reason for a in adjustments]
    assert reasons == [
        "bonus: revenue volume 700.00 USD reached the threshold 600.00 USD; pays 50.00 USD",
        "bonus: orders volume 2 reached the threshold 2; pays 1% of 700.00 USD",
        "guaranteed minimum 20.00 USD per month; commission came to 5.00 USD",
    ]


def test_a_reversal_takes_volume_off_a_bonus_and_commission_off_a_guarantee() -> None:
    placed = orders(*FOUR)
    contracts = book(PAID_AT_CLOSE)
    table = cm.compute(placed, contracts)
    refund = reversals(placed, {"order_id": "b", "amount": "150.00"})
    adjustments = cm.close_period(table, contracts, OCTOBER, reversals=refund)
    # p1 keeps 400.00 + 150.00 = 550.00 < 600.00: no revenue bonus. Both orders still count
    # (b is only partly refunded): 1% of 550.00 = 5.50. Commission kept 20.00 + 7.50 = 27.50
    # is above the minimum. p2 unchanged.
    assert summary(adjustments) == [
        ("p1", "bonus", "5.50 USD"),
        ("p2", "guarantee", "15.00 USD"),
    ]


def test_a_refunded_order_does_not_count_toward_the_guarantee() -> None:
    placed = orders(("a", "2026-10-02T10:00:00Z", "100.00"))
    contracts = book(cm.guarantee("10%", usd("20.00")))
    table = cm.compute(placed, contracts)
    # 10% of 100.00 = 10.00 -> top-up 10.00 to the 20.00 minimum.
    assert summary(cm.close_period(table, contracts, OCTOBER)) == [("p1", "guarantee", "10.00 USD")]
    # Refunded, its 10.00 is voided: the guarantee tops up the full 20.00.
    refund = reversals(placed, {"order_id": "a"})
    adjustments = cm.close_period(table, contracts, OCTOBER, reversals=refund)
    assert summary(adjustments) == [("p1", "guarantee", "20.00 USD")]
    assert adjustments[0].reason == (
        "guaranteed minimum 20.00 USD per month; commission came to 0.00 USD"
    )


def test_a_partner_guarantee_pays_even_without_sales() -> None:
    contracts = book(cm.guarantee("5%", usd("200.00")), applies_to=cm.partner("kol-1"))
    table = cm.compute(orders(("x", "2026-10-02T10:00:00Z", "100.00", "someone")), contracts)
    assert len(table) == 0
    assert summary(cm.close_period(table, contracts, OCTOBER)) == [
        ("kol-1", "guarantee", "200.00 USD")
    ]
    # Not before the contract starts.
    assert cm.close_period(table, contracts, al.Period.month(2025, 12, tz="UTC")) == []


def test_the_guarantee_counts_the_true_up() -> None:
    contracts = book(cm.guarantee(WHOLE, usd("15.00")))
    table = cm.compute(orders(*THREE), contracts)
    # Provisional 8.90, true-up 3.10 -> 12.00 earned; the minimum 15.00 tops up 3.00.
    assert summary(cm.close_period(table, contracts, OCTOBER)) == [
        ("p1", "true_up", "3.10 USD"),
        ("p1", "guarantee", "3.00 USD"),
    ]


def test_only_rules_of_the_period_kind_settle() -> None:
    contracts = book(cm.add("5%", cm.bonus("100", amount=usd("10.00"), period="quarter")))
    table = cm.compute(orders(("a", "2026-10-02T10:00:00Z", "500.00")), contracts)
    # A quarterly bonus does not settle at a monthly close, and does at the quarter's.
    assert cm.close_period(table, contracts, OCTOBER) == []
    quarter = al.Period.quarter(2026, 4, tz="UTC")
    assert summary(cm.close_period(table, contracts, quarter)) == [("p1", "bonus", "10.00 USD")]


# -- bad inputs -----------------------------------------------------------------------------------


def test_close_period_refuses_wrong_types() -> None:
    contracts = book(WHOLE)
    table = cm.compute(orders(*THREE), contracts)
    with pytest.raises(TypeError, match="commissions must be a CommissionTable from compute"):
        cm.close_period([], contracts, OCTOBER)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"book must be a commission\.ContractBook, got list"):
        cm.close_period(table, [], OCTOBER)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"period must be an al\.Period, got str"):
        cm.close_period(table, contracts, "2026-10")  # type: ignore[arg-type]


def test_close_period_needs_a_table_made_by_compute() -> None:
    made = cm.compute(orders(*THREE), book(WHOLE))
    bare = cm.CommissionTable(
        columns={name: np.asarray(values) for name, values in made.columns.items()},
        skipped=(),
        state=cm.CommissionState(),
    )
    with pytest.raises(
        ValueError, match=r"close_period needs a CommissionTable made by compute\(\)"
    ):
        cm.close_period(bare, book(WHOLE), OCTOBER)


@pytest.mark.parametrize(
    ("reversed_volume", "expected"),
    [("excluded", []), ("counted", [("p1", "bonus", "20.00 USD")])],
)
def test_a_contract_may_count_reversed_volume_at_close(
    reversed_volume: str, expected: list[tuple[str, str, str]]
) -> None:
    plan = cm.add(cm.percent("10%"), cm.bonus("200", amount=usd("20"), period="month"))
    contracts = cm.ContractBook(
        [book(plan).contracts[0].model_copy(update={"reversed_volume": reversed_volume})]
    )
    placed = orders(
        ("a", "2026-10-02T10:00:00Z", "150.00"), ("b", "2026-10-03T10:00:00Z", "100.00")
    )
    refund = reversals(placed, {"order_id": "b"})
    adjustments = cm.close_period(
        cm.compute(placed, contracts), contracts, OCTOBER, reversals=refund
    )
    # b (100.00) is refunded in full. Excluded, October's volume is 150.00, under the 200.00
    # threshold: no bonus. Counted, it is 250.00: the 20.00 bonus is due.
    assert summary(adjustments) == expected

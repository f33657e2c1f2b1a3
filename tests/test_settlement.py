"""Settlement scenarios over several months, each figure computed by hand in the comments."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import alliance as al
from alliance import commission as cm
from alliance import settlement as st
from alliance.errors import CurrencyMismatch, DataError, SettlementError
from alliance.settlement._ledger import factorize
from alliance.settlement._settle import _instants

START = datetime(2026, 1, 1, tzinfo=UTC)


def month(number: int) -> al.Period:
    return al.Period.month(2026, number, tz="UTC")


def usd(text: str) -> al.Money:
    return al.Money(text, "USD")


def book(plan: Any = None, **terms: Any) -> cm.ContractBook:
    """``std v1``: 10% by default, USD, UTC, 30 days' hold unless the test says otherwise."""
    return cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency="USD",
                timezone="UTC",
                plan=plan if plan is not None else cm.percent("10%"),
                effective_from=START,
                **{"hold_days": 30, **terms},
            )
        ]
    )


def orders(*rows: tuple[str, str, str]) -> al.Orders:
    """Orders of partner ``kol`` as (order id, time, USD amount)."""
    return al.Orders.from_records(
        [
            {"order_id": o, "ts": ts, "amount": a, "currency": "USD", "partner_id": "kol"}
            for o, ts, a in rows
        ]
    )


def reversals(placed: al.Orders, *rows: tuple[str, str, str, str | None]) -> al.Reversals:
    """Reversals as (reversal id, order id, time, amount or None for in full)."""
    return al.Reversals.from_records(
        [{"reversal_id": r, "order_id": o, "ts": ts, "amount": a} for r, o, ts, a in rows],
        orders=placed,
    )


def run_months(
    table: cm.CommissionTable,
    contracts: cm.ContractBook,
    months: range,
    store: st.Store,
    **options: Any,
) -> dict[str, st.Statement]:
    """Settle month after month into ``store``; the statement of each month by label."""
    found = {}
    for number in months:
        result = st.settle(table, book=contracts, period=month(number), store=store, **options)
        st.check_balanced(result.entries)
        store.append(result)
        for statement in result.statements:
            found[statement.period.label] = statement
    return found


def figures(statement: st.Statement) -> tuple[str, ...]:
    """opening, approved, adjustments, clawbacks, closing, paid, carried, as text."""
    names = ("opening", "approved", "adjustments", "clawbacks", "closing", "paid", "carried")
    return tuple(str(getattr(statement, name).amount) for name in names)


def test_hold_then_payment() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-01-20T10:00:00Z", "50.00"),
        ("o3", "2026-02-10T10:00:00Z", "80.00"),
    )
    store = st.MemoryStore()
    found = run_months(cm.compute(placed, book()), book(), range(1, 4), store)
    # January: 10.00 and 5.00 accrue, both still on hold (30 days: 4 and 19 February).
    assert "2026-01" not in found
    # February: both holds end: 15.00 approved and paid. o3 (8.00) is held to 12 March.
    assert figures(found["2026-02"]) == ("0.00", "15.00", "0.00", "0.00", "15.00", "15.00", "0.00")
    assert found["2026-02"].commissions == 2
    assert figures(found["2026-03"]) == ("0.00", "8.00", "0.00", "0.00", "8.00", "8.00", "0.00")
    balances = store.balances()
    # Everything accrued was paid: 23.00 of expense, 23.00 out of cash, nothing left owed.
    assert balances["expense", "USD"] == usd("23.00")
    assert balances["cash", "USD"] == usd("-23.00")
    assert balances["payable:kol", "USD"] == usd("0.00")
    assert balances["pending:kol", "USD"] == usd("0.00")


def test_partial_refund_before_lock_is_voided() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    refunds = reversals(placed, ("r1", "o1", "2026-01-20T00:00:00Z", "40.00"))
    store = st.MemoryStore()
    found = run_months(cm.compute(placed, book()), book(), range(1, 3), store, reversals=refunds)
    # 40.00 of 100.00 refunded before approval: 40% of the 10.00 commission, 4.00, is voided
    # in January and never reaches a statement; February approves and pays the other 6.00.
    assert found["2026-01"].voided == usd("4.00")
    assert figures(found["2026-01"]) == ("0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00")
    assert figures(found["2026-02"]) == ("0.00", "6.00", "0.00", "0.00", "6.00", "6.00", "0.00")
    assert store.balances()["expense", "USD"] == usd("6.00")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_refund_after_payment_is_clawed_back_and_netted(kind: str, tmp_path: Path) -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-03-10T10:00:00Z", "200.00"),
    )
    refunds = reversals(placed, ("r1", "o1", "2026-03-03T00:00:00Z", None))
    store: st.Store = (
        st.MemoryStore() if kind == "memory" else st.SQLiteStore(tmp_path / "ledger.db")
    )
    table = cm.compute(placed, book())
    found = run_months(table, book(), range(1, 5), store, reversals=refunds)
    # February pays o1's 10.00. The full refund on 3 March claws it back: March closes at
    # -10.00, carried. April approves o2's 20.00 (hold to 9 April): -10.00 + 20.00 = 10.00 paid.
    assert figures(found["2026-02"]) == ("0.00", "10.00", "0.00", "0.00", "10.00", "10.00", "0.00")
    assert figures(found["2026-03"]) == (
        "0.00",
        "0.00",
        "0.00",
        "-10.00",
        "-10.00",
        "0.00",
        "-10.00",
    )
    assert found["2026-03"].reason == "negative balance carried"
    assert figures(found["2026-04"]) == (
        "-10.00",
        "20.00",
        "0.00",
        "0.00",
        "10.00",
        "10.00",
        "0.00",
    )
    # Conservation: earned 30.00 = paid 20.00 + clawed back 10.00.
    assert store.balances()["cash", "USD"] == usd("-20.00")
    assert store.balances()["expense", "USD"] == usd("20.00")


def test_settling_again_adds_nothing_and_a_late_refund_only_its_difference() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    store = st.MemoryStore()
    table = cm.compute(placed, book())
    run_months(table, book(), range(1, 3), store)
    before = store.entries()
    again = st.settle(table, book=book(), period=month(2), store=store)
    assert again.entries == ()
    assert store.append(again) == 0
    assert store.entries() == before
    # A 25.00 refund dated 20 February reaches us after February was settled: re-settling
    # February adds only the clawback of 2.50, booked into March, the next open statement.
    late = reversals(placed, ("r1", "o1", "2026-02-20T00:00:00Z", "25.00"))
    result = st.settle(table, book=book(), period=month(2), store=store, reversals=late)
    assert [(e.kind, e.account, str(e.amount.amount), e.period) for e in result.entries] == [
        ("clawback", "payable:kol", "2.50", "2026-03"),
        ("clawback", "expense", "-2.50", "2026-03"),
    ]
    assert [s.statement_id for s in result.statements] == ["kol|2026-02|USD"]
    assert result.statements[0].paid == usd("10.00")  # February's statement is locked
    store.append(result)
    march = st.settle(table, book=book(), period=month(3), store=store, reversals=late)
    assert figures(march.statements[0]) == (
        "0.00",
        "0.00",
        "0.00",
        "-2.50",
        "-2.50",
        "0.00",
        "-2.50",
    )


def test_minimum_payout_carries_forward() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-02-05T10:00:00Z", "150.00"),
    )
    contracts = book(minimum_payout=usd("20.00"))
    found = run_months(cm.compute(placed, contracts), contracts, range(1, 4), st.MemoryStore())
    # February: 10.00 approved, under the 20.00 minimum: carried. March: 10.00 + 15.00 = 25.00.
    assert figures(found["2026-02"]) == ("0.00", "10.00", "0.00", "0.00", "10.00", "0.00", "10.00")
    assert found["2026-02"].reason == "under the minimum payout of 20.00 USD"
    assert figures(found["2026-03"]) == (
        "10.00",
        "15.00",
        "0.00",
        "0.00",
        "25.00",
        "25.00",
        "0.00",
    )


def test_payout_in_the_partners_currency_with_withholding() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "250.00"))
    partners = al.Partners.from_records([{"partner_id": "kol", "payout_currency": "EUR"}])
    fx = al.FxRates.from_records(
        [{"base": "USD", "quote": "EUR", "rate": "0.92", "as_of": "2026-01-01T00:00:00Z"}]
    )
    store = st.MemoryStore()
    found = run_months(
        cm.compute(placed, book()),
        book(),
        range(1, 3),
        store,
        partners=partners,
        fx=fx,
        withholding={"kol": "0.1"},
    )
    february = found["2026-02"]
    # 25.00 owed; 10% withheld (2.50); 22.50 paid, at 0.92: 20.70 EUR, rate and instant kept.
    assert (february.closing, february.withheld, february.paid) == (
        usd("25.00"),
        usd("2.50"),
        usd("22.50"),
    )
    assert february.payout == al.Money("20.70", "EUR")
    assert str(february.fx_rate) == "0.92"
    assert february.fx_at == month(2).end
    balances = store.balances()
    assert balances["withholding:kol", "USD"] == usd("-2.50")
    assert balances["cash", "EUR"] == al.Money("-20.70", "EUR")
    assert balances["fx:USD", "USD"] == usd("-22.50")
    assert balances["fx:EUR", "EUR"] == al.Money("20.70", "EUR")


def test_guarantee_top_up_is_paid_with_the_statement() -> None:
    plan = cm.guarantee(cm.percent("10%"), minimum=usd("100.00"), period="month")
    placed = orders(("o1", "2026-01-05T10:00:00Z", "300.00"))
    contracts = book(plan, hold_days=0)
    found = run_months(cm.compute(placed, contracts), contracts, range(1, 2), st.MemoryStore())
    # January: 30.00 commission, guaranteed 100.00: a 70.00 top-up at close, paid with it.
    assert figures(found["2026-01"]) == (
        "0.00",
        "30.00",
        "70.00",
        "0.00",
        "100.00",
        "100.00",
        "0.00",
    )


def test_risk_review_holds_and_block_rejects() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-01-06T10:00:00Z", "100.00"),
        ("o3", "2026-01-07T10:00:00Z", "100.00"),
    )
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts)
    result = st.settle(
        table, book=contracts, period=month(1), decisions={"o2": "review", "o3": "block"}
    )
    statement = result.statements[0]
    # o1 is approved (10.00); o2 waits for review; o3 is rejected: its 10.00 is voided.
    assert (statement.approved, statement.voided, statement.paid) == (
        usd("10.00"),
        usd("10.00"),
        usd("10.00"),
    )


def test_screening_decisions_hold_and_reject_through_settle() -> None:
    from alliance import risk

    placed = al.Orders.from_records(
        [
            # o1 comes 4 s after its click: injection, blocked; o2 bought with the partner's own
            # e-mail: self-referral, blocked, and the partner held, so o3 waits for review.
            {"order_id": "o1", "ts": "2026-01-05T10:00:04Z", "amount": "100.00",
             "currency": "USD", "partner_id": "kol", "visitor_id": "v1"},
            {"order_id": "o2", "ts": "2026-01-06T10:00:00Z", "amount": "100.00",
             "currency": "USD", "partner_id": "kol", "email_hash": "own"},
            {"order_id": "o3", "ts": "2026-01-07T10:00:00Z", "amount": "100.00",
             "currency": "USD", "partner_id": "kol"},
        ]
    )  # fmt: skip
    clicks = al.Clicks.from_records(
        [{"click_id": "c1", "ts": "2026-01-05T10:00:00Z", "partner_id": "kol", "visitor_id": "v1"}]
    )
    partners = al.Partners.from_records([{"partner_id": "kol", "email_hash": "own"}])
    decisions = risk.screen(orders=placed, clicks=clicks, partners=partners)
    # The partner's own reason (self-referral) does not hold its other orders by default.
    assert decisions.for_settlement() == {"o1": "block", "o2": "block"}
    held = risk.screen(
        orders=placed,
        clicks=clicks,
        partners=partners,
        policy=risk.Policy.default(partner_spares_orders=()),
    )
    assert held.for_settlement() == {"o1": "block", "o2": "block", "o3": "review"}
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts)
    statement = st.settle(table, book=contracts, period=month(1), decisions=held).statements[0]
    # o1 and o2 are rejected (20.00 voided); o3 waits for review; nothing is approved.
    assert (statement.approved, statement.voided, statement.paid) == (
        usd("0.00"),
        usd("20.00"),
        usd("0.00"),
    )


@pytest.mark.parametrize(
    ("row", "error", "match"),
    [
        (("r1", "nope", "2026-01-10T00:00:00Z", None), DataError, "no such order"),
        (("r1", "o1", "2026-01-10T00:00:00Z", "150.00"), DataError, "more than it was worth"),
    ],
)
def test_bad_reversals_fail_clearly(row: Any, error: type[Exception], match: str) -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    table = cm.compute(placed, book())
    bad = al.Reversals.from_records(
        [{"reversal_id": row[0], "order_id": row[1], "ts": row[2], "amount": row[3]}],
        currency="USD",
    )
    with pytest.raises(error, match=match):
        st.settle(table, book=book(), period=month(1), reversals=bad)


def test_a_reversal_in_another_currency_is_refused() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    table = cm.compute(placed, book())
    euros = al.Reversals.from_records(
        [{"reversal_id": "r1", "order_id": "o1", "ts": "2026-01-10T00:00:00Z", "amount": "5"}],
        currency="EUR",
    )
    with pytest.raises(CurrencyMismatch, match="EUR"):
        st.settle(table, book=book(), period=month(1), reversals=euros)


def test_paying_in_another_currency_needs_rates() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    partners = al.Partners.from_records([{"partner_id": "kol", "payout_currency": "EUR"}])
    contracts = book(hold_days=0)
    with pytest.raises(SettlementError, match="fx="):
        st.settle(cm.compute(placed, contracts), book=contracts, period=month(1), partners=partners)


def test_a_payout_schedule_decides_which_periods_pay() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-02-05T10:00:00Z", "100.00"),
    )
    # Payout dates every other month on the 10th: 10 January, 10 March, 10 May ... A month
    # pays when a date falls in [its end, the next month's end), on that date.
    every_other = al.PayoutSchedule(
        rule="FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=10",
        tz="UTC",
        dtstart=datetime(2026, 1, 10, tzinfo=UTC),
    )
    contracts = book(hold_days=0)
    store = st.MemoryStore()
    table = cm.compute(placed, contracts)
    found = run_months(table, contracts, range(1, 3), store, schedule=every_other)
    # January: 10.00 approved; no date between 1 February and 1 March: carried.
    assert figures(found["2026-01"]) == ("0.00", "10.00", "0.00", "0.00", "10.00", "0.00", "10.00")
    assert found["2026-01"].reason == "no payout date for 2026-01"
    # February: 10.00 more; 10 March falls in [1 March, 1 April): 20.00 paid on 10 March.
    assert figures(found["2026-02"]) == (
        "10.00",
        "10.00",
        "0.00",
        "0.00",
        "20.00",
        "20.00",
        "0.00",
    )
    payouts = [e for e in store.entries() if e.kind == "payout" and e.account == "cash"]
    assert [(e.ts, str(e.amount.amount)) for e in payouts] == [
        (datetime(2026, 3, 10, tzinfo=UTC), "-20.00")
    ]


def test_a_refund_of_a_rejected_order_takes_nothing_more() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts)
    store = st.MemoryStore()
    january = st.settle(table, book=contracts, period=month(1), decisions={"o1": "block"})
    store.append(january)
    # Blocked in January: the whole 10.00 voided. The refund of half the order in February
    # has nothing left to take: no entry, and nothing approved later either.
    refund = reversals(placed, ("r1", "o1", "2026-02-02T00:00:00Z", "50.00"))
    february = st.settle(table, book=contracts, period=month(2), store=store, reversals=refund)
    assert february.entries == ()
    assert january.statements[0].voided == usd("10.00")
    assert store.balances()["expense", "USD"] == usd("0.00")


def test_a_line_refund_is_a_share_of_the_line_as_the_shopper_paid_it() -> None:
    placed = al.Orders.from_records(
        [
            {
                "order_id": "o1",
                "ts": "2026-01-05T00:00:00Z",
                "amount": "110.00",
                "tax": "10.00",
                "currency": "USD",
                "partner_id": "kol",
            }
        ]
    )
    detail = al.Lines.from_records(
        [{"order_id": "o1", "line_id": "1", "amount": "110.00"}], orders=placed
    )
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts, lines=detail)
    assert int(table["commission"][0]) == 1000  # 10% of 100.00, tax left out

    def voided(amount: str | None) -> al.Money:
        refund = al.Reversals.from_records(
            [
                {
                    "reversal_id": "r1",
                    "order_id": "o1",
                    "line_id": "1",
                    "ts": "2026-01-10T00:00:00Z",
                    "amount": amount,
                }
            ],
            orders=placed,
        )
        result = st.settle(table, book=contracts, period=month(1), reversals=refund)
        return result.statements[0].voided

    # Refunding 55.00 of the 110.00 the shopper paid takes half the commission, 5.00; the
    # whole 110.00 (or the line in full) takes all 10.00.
    assert voided("55.00") == usd("5.00")
    assert voided("110.00") == usd("10.00")
    assert voided(None) == usd("10.00")


def test_two_bonuses_of_one_period_are_two_entries() -> None:
    plan = cm.add(
        cm.percent("10%"),
        cm.bonus("100", amount=usd("5"), period="month"),
        cm.bonus("200", amount=usd("7"), period="month"),
    )
    contracts = book(plan, hold_days=0)
    placed = orders(("o1", "2026-01-05T10:00:00Z", "300.00"))
    store = st.MemoryStore()
    found = run_months(cm.compute(placed, contracts), contracts, range(1, 2), store)
    # 30.00 commission and both bonuses reached (5.00 + 7.00): 42.00 paid, nothing left owed.
    assert found["2026-01"].adjustments == usd("12.00")
    assert found["2026-01"].paid == usd("42.00")
    assert store.balances()["payable:kol", "USD"] == usd("0.00")
    assert store.balances()["expense", "USD"] == usd("42.00")


def test_the_minimum_payout_is_the_partners_own_contract() -> None:
    contracts = cm.ContractBook(
        [
            *book(hold_days=0).contracts,
            cm.Contract(
                id="vip",
                version=1,
                applies_to=cm.partner("vip"),
                currency="USD",
                timezone="UTC",
                plan=cm.percent("20%"),
                effective_from=START,
                hold_days=0,
                minimum_payout=usd("500.00"),
            ),
        ]
    )
    placed = al.Orders.from_records(
        [
            {"order_id": o, "ts": "2026-01-05T00:00:00Z", "amount": "100.00", "currency": "USD"}
            | {"partner_id": p}
            for o, p in (("o1", "kol"), ("o2", "vip"))
        ]
    )
    result = st.settle(cm.compute(placed, contracts), book=contracts, period=month(1))
    by_partner = {s.partner_id: s for s in result.statements}
    # kol's contract has no minimum: 10.00 paid. vip's 20.00 is under its own 500.00.
    assert by_partner["kol"].paid == usd("10.00")
    assert by_partner["vip"].carried == usd("20.00")
    assert by_partner["vip"].reason == "under the minimum payout of 500.00 USD"


def test_a_settled_balance_stops_producing_statements() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-03-10T10:00:00Z", "200.00"),
    )
    refunds = reversals(placed, ("r1", "o1", "2026-03-03T00:00:00Z", None))
    found = run_months(
        cm.compute(placed, book()), book(), range(1, 7), st.MemoryStore(), reversals=refunds
    )
    # March carries -10.00, April nets it and pays; May and June have nothing to say.
    assert sorted(found) == ["2026-02", "2026-03", "2026-04"]


@pytest.mark.parametrize(
    ("rate", "error", "match"),
    [
        (0.1, TypeError, "floats are not exact"),
        ("1.5", ValueError, r"in \[0, 1\)"),
        ("-0.1", ValueError, r"in \[0, 1\)"),
        ("ten", ValueError, "not a rate"),
    ],
)
def test_bad_withholding_rates_are_refused(rate: Any, error: type[Exception], match: str) -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    with pytest.raises(error, match=match):
        st.settle(
            cm.compute(placed, book()), book=book(), period=month(1), withholding={"kol": rate}
        )


def test_withholding_as_a_percentage() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "250.00"))
    contracts = book(hold_days=0)
    result = st.settle(
        cm.compute(placed, contracts), book=contracts, period=month(1), withholding={"kol": "10%"}
    )
    # 25.00 owed, 10% withheld: 2.50; 22.50 paid.
    assert (result.statements[0].withheld, result.statements[0].paid) == (usd("2.50"), usd("22.50"))


def test_unknown_risk_actions_are_refused() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    decisions: dict[str, Any] = {"o1": "hold"}
    with pytest.raises(ValueError, match=r"unknown risk actions.*'hold'"):
        st.settle(cm.compute(placed, book()), book=book(), period=month(1), decisions=decisions)


def test_a_block_after_payment_claws_the_commission_back() -> None:
    placed = orders(
        ("o1", "2026-01-05T10:00:00Z", "100.00"),
        ("o2", "2026-02-05T10:00:00Z", "300.00"),
    )
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts)
    store = st.MemoryStore()
    store.append(st.settle(table, book=contracts, period=month(1)))  # o1's 10.00 paid
    february = st.settle(
        table, book=contracts, period=month(2), store=store, decisions={"o1": "block"}
    )
    # Blocked after payment: o1's 10.00 is clawed back; o2's 30.00 earned: 20.00 paid.
    assert figures(february.statements[0]) == (
        "0.00",
        "30.00",
        "0.00",
        "-10.00",
        "20.00",
        "20.00",
        "0.00",
    )


def test_a_late_refund_corrects_the_guarantee_top_up() -> None:
    plan = cm.guarantee(cm.percent("10%"), minimum=usd("100.00"), period="month")
    placed = orders(("o1", "2026-01-05T10:00:00Z", "300.00"))
    contracts = book(plan, hold_days=0)
    table = cm.compute(placed, contracts)
    store = st.MemoryStore()
    store.append(st.settle(table, book=contracts, period=month(1)))  # 30.00 + 70.00 paid
    # The order is refunded in full, dated January, after January was settled. Settled
    # again, January owes a 100.00 top-up (nothing earned): the 30.00 is clawed back and the
    # top-up rises by 30.00, both booked into February, the next open statement.
    late = reversals(placed, ("r1", "o1", "2026-01-20T00:00:00Z", None))
    again = st.settle(table, book=contracts, period=month(1), store=store, reversals=late)
    assert sorted((e.kind, e.account, str(e.amount.amount), e.period) for e in again.entries) == [
        ("adjustment", "expense", "30.00", "2026-02"),
        ("adjustment", "payable:kol", "-30.00", "2026-02"),
        ("clawback", "expense", "-30.00", "2026-02"),
        ("clawback", "payable:kol", "30.00", "2026-02"),
    ]
    store.append(again)
    assert store.balances()["expense", "USD"] == usd("100.00")
    assert (
        st.settle(table, book=contracts, period=month(1), store=store, reversals=late).entries == ()
    )


def test_every_reversal_so_far_must_be_passed() -> None:
    placed = orders(("o1", "2026-01-05T10:00:00Z", "100.00"))
    table = cm.compute(placed, book())
    store = st.MemoryStore()
    first = reversals(placed, ("r1", "o1", "2026-01-20T00:00:00Z", "25.00"))
    store.append(st.settle(table, book=book(), period=month(1), store=store, reversals=first))
    # February passes only the new refund: r1, already in the ledger, is missing. Measured
    # alone, r2 would look like the first quarter of the order: refused instead.
    second = reversals(placed, ("r2", "o1", "2026-02-01T00:00:00Z", "25.00"))
    with pytest.raises(SettlementError, match="r1 that were not passed"):
        st.settle(table, book=book(), period=month(2), store=store, reversals=second)
    both = reversals(
        placed,
        ("r1", "o1", "2026-01-20T00:00:00Z", "25.00"),
        ("r2", "o1", "2026-02-01T00:00:00Z", "25.00"),
    )
    february = st.settle(table, book=book(), period=month(2), store=store, reversals=both)
    # Half the order reversed: 5.00 of the 10.00; 2.50 was voided in January, 2.50 more now,
    # and the 5.00 left is approved on 4 February.
    assert (february.statements[0].voided, february.statements[0].approved) == (
        usd("2.50"),
        usd("5.00"),
    )


def test_a_stored_line_is_found_by_its_whole_id() -> None:
    # Two lines of one order: a refund of line 2 after payment claws back line 2 alone,
    # because the ledger's history is matched to each line by source, order, line and partner.
    placed = al.Orders.from_records(
        [
            {
                "order_id": "o1",
                "ts": "2026-01-05T00:00:00Z",
                "amount": "300.00",
                "currency": "USD",
                "partner_id": "kol",
            }
        ]
    )
    detail = al.Lines.from_records(
        [
            {"order_id": "o1", "line_id": "1", "amount": "100.00"},
            {"order_id": "o1", "line_id": "2", "amount": "200.00"},
        ],
        orders=placed,
    )
    contracts = book(hold_days=0)
    table = cm.compute(placed, contracts, lines=detail)
    refund = al.Reversals.from_records(
        [{"reversal_id": "r1", "order_id": "o1", "line_id": "2", "ts": "2026-02-03T00:00:00Z"}],
        orders=placed,
    )
    store = st.MemoryStore()
    store.append(st.settle(table, book=contracts, period=month(1), store=store))
    february = st.settle(table, book=contracts, period=month(2), reversals=refund, store=store)
    moved = february.movements
    assert moved["kind"].tolist() == ["clawback"]
    assert moved["line_id"].tolist() == ["2"]
    assert moved["amount"].tolist() == [2000]  # 10% of 200.00, taken back
    store.append(february)
    again = st.settle(table, book=contracts, period=month(2), reversals=refund, store=store)
    assert again.entries == ()
    assert len(again.movements) == 0


def test_a_share_past_64_bits_is_still_exact() -> None:
    # 10% of 1,000,000,000,000,000.00 is 1e16 cents; a refund of 333,333,333,333,333.33 takes
    # 1e16 * 33333333333333333 / 1e17 cents: a product past int64, rounded half to even.
    placed = orders(("o1", "2026-01-05T00:00:00Z", "1000000000000000.00"))
    contracts = book(hold_days=30)
    table = cm.compute(placed, contracts)
    refund = reversals(placed, ("r1", "o1", "2026-01-06T00:00:00Z", "333333333333333.33"))
    result = st.settle(table, book=contracts, period=month(1), reversals=refund)
    voided = result.movements.where(period="2026-01").take(result.movements["kind"] == "void")
    commission = int(table["commission"][0])
    exact = (commission * 33333333333333333 * 2 + 10**17) // (2 * 10**17)
    assert voided["amount"].tolist() == [exact] == [3333333333333333]


def test_settled_movements_know_their_transactions() -> None:
    placed = orders(
        ("o1", "2026-01-05T00:00:00Z", "100.00"),
        ("o2", "2026-01-06T00:00:00Z", "50.00"),
        ("o3", "2026-01-20T00:00:00Z", "80.00"),
    )
    contracts = book(hold_days=10)
    table = cm.compute(placed, contracts)
    refund = reversals(placed, ("r1", "o2", "2026-01-08T00:00:00Z", None))
    moved = st.settle(table, book=contracts, period=month(1), reversals=refund).movements
    known = moved._txn_codes()
    found = factorize(moved["txn_id"])
    assert known.codes.tolist() == found.codes.tolist()
    assert known.distinct.tolist() == found.distinct.tolist()
    assert known.first.tolist() == found.first.tolist()
    copied = pickle.loads(pickle.dumps(moved))
    assert copied == moved
    assert copied._txn_codes().distinct.tolist() == found.distinct.tolist()
    del copied._txns  # as a pickle written before the factorization was kept
    assert copied._txn_codes().codes.tolist() == found.codes.tolist()


def test_instants_are_those_of_from_micros() -> None:
    stamps = [0, 1, -1, 1_790_812_800_123_456, -62_135_596_800_000_000, 253_402_300_799_999_999]
    values = np.array(stamps, dtype=np.int64)
    assert _instants(values) == [al.from_micros(us) for us in stamps]
    assert [t.tzinfo for t in _instants(values)] == [al.from_micros(0).tzinfo] * len(stamps)
    with pytest.raises(OverflowError):
        _instants(np.array([np.iinfo(np.int64).max], dtype=np.int64))

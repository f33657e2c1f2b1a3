"""Settlement invariants on random programmes: balance, replay, conservation."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as stg

import alliance as al
from alliance import commission as cm
from alliance import settlement as st
from alliance.settlement import Movements
from settlement_reference import Figures, Line, Reference, Refund

START = datetime(2026, 1, 1, tzinfo=UTC)
MONTHS = range(1, 7)


@stg.composite
def programmes(draw: Any) -> dict[str, Any]:
    """Orders of 1 to 3 partners over four months, some reversed (before or after payment),
    some held for review or blocked by risk."""
    count = draw(stg.integers(min_value=1, max_value=12))
    rows = []
    for number in range(count):
        rows.append(
            {
                "order_id": f"o{number}",
                "ts": START + timedelta(hours=draw(stg.integers(0, 24 * 120))),
                "amount": f"{draw(stg.integers(1, 50_000)) / 100:.2f}",
                "currency": "USD",
                "partner_id": draw(stg.sampled_from(["a", "b", "c"])),
            }
        )
    placed = al.Orders.from_records(rows)
    refunds = []
    for number, row in enumerate(rows):
        if draw(stg.booleans()):
            cents = int(row["amount"].replace(".", ""))
            full = draw(stg.booleans())
            refunds.append(
                {
                    "reversal_id": f"r{number}",
                    "order_id": row["order_id"],
                    "ts": row["ts"] + timedelta(days=draw(stg.integers(0, 90))),
                    "amount": None if full else f"{draw(stg.integers(1, cents)) / 100:.2f}",
                }
            )
    contracts = cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency="USD",
                timezone="UTC",
                plan=cm.percent(draw(stg.sampled_from(["5%", "7.5%", "12%"]))),
                effective_from=START,
                hold_days=draw(stg.integers(0, 45)),
                minimum_payout=al.Money(draw(stg.sampled_from(["0", "5", "25"])), "USD"),
            )
        ]
    )
    decisions = {
        row["order_id"]: draw(stg.sampled_from(["allow", "review", "block"]))
        for row in rows
        if draw(stg.integers(0, 4)) == 0
    }
    return {
        "decisions": decisions,
        "orders": placed,
        "reversals": al.Reversals.from_records(refunds, orders=placed) if refunds else None,
        "book": contracts,
    }


def _sum(values: list[al.Money]) -> int:
    return sum(value.minor for value in values)


@settings(max_examples=40, deadline=None)
@given(programmes())
def test_settlement_balances_replays_to_nothing_and_conserves_money(case: dict[str, Any]) -> None:
    check_programme(case, st.MemoryStore())


@settings(max_examples=10, deadline=None)
@given(programmes())
def test_the_sqlite_ledger_settles_as_the_memory_one(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder, st.SQLiteStore(Path(folder) / "l.db") as store:
        check_programme(case, store)
        memory = st.MemoryStore()
        check_programme(case, memory)
        assert store.entries() == memory.entries()
        assert store.statements() == memory.statements()


def check_programme(case: dict[str, Any], store: st.Store) -> None:
    """Settle six months into ``store``, checking each step, then the money."""
    table = cm.compute(case["orders"], case["book"])
    for number in MONTHS:
        period = al.Period.month(2026, number, tz="UTC")
        options = {
            "book": case["book"],
            "period": period,
            "reversals": case["reversals"],
            "decisions": case["decisions"],
        }
        result = st.settle(table, store=store, **options)
        st.check_balanced(result.entries)
        store.append(result)
        again = st.settle(table, store=store, **options)
        assert again.entries == ()
        assert again.statements == result.statements
    statements = store.statements()
    balances = store.balances()

    def balance(name: str) -> int:
        found = balances.get((name, "USD"))
        return 0 if found is None else found.minor

    earned = int(table["commission"].sum())
    paid = _sum([s.paid for s in statements])
    voided = _sum([s.voided for s in statements])
    clawed = -_sum([s.clawbacks for s in statements])
    last: dict[str, st.Statement] = {}
    for statement in statements:
        if (
            statement.partner_id not in last
            or statement.period.end > last[statement.partner_id].period.end
        ):
            last[statement.partner_id] = statement
    carried = _sum([s.carried for s in last.values()])
    pending = -sum(balance(f"pending:{p}") for p in ("a", "b", "c"))
    # Every cent earned is paid, carried, voided, clawed back, or still on hold.
    assert earned == paid + carried + voided + clawed + pending
    assert -balance("cash") == paid
    # What each partner's last statement carries is what the ledger says it is owed.
    for partner, statement in last.items():
        assert -balance(f"payable:{partner}") == statement.carried.minor


def reference_of(case: dict[str, Any], table: cm.CommissionTable) -> Reference:
    """The programme as the one-line-at-a-time reference sees it."""
    (contract,) = case["book"].contracts
    stamps = table["ts"].tolist()
    lines = [
        Line(str(order_id), str(partner_id), al.from_micros(ts), int(amount))
        for order_id, partner_id, ts, amount in zip(
            table["order_id"], table["partner_id"], stamps, table["commission"], strict=True
        )
    ]
    orders = case["orders"]
    refunds = []
    if case["reversals"] is not None:
        for record in case["reversals"].to_records():
            amount = record["amount"]
            refunds.append(
                Refund(
                    record["order_id"],
                    record["ts"],
                    None if amount is None else al.Money(amount, "USD").minor,
                )
            )
    return Reference(
        lines=lines,
        order_amount=dict(zip(orders["order_id"].tolist(), orders["amount"].tolist(), strict=True)),
        refunds=refunds,
        hold_days=contract.hold_days,
        minimum=0 if contract.minimum_payout is None else contract.minimum_payout.minor,
        decisions=dict(case["decisions"]),
    )


def figures_of(statement: st.Statement) -> Figures:
    return Figures(
        opening=statement.opening.minor,
        approved=statement.approved.minor,
        voided=statement.voided.minor,
        clawbacks=statement.clawbacks.minor,
        closing=statement.closing.minor,
        paid=statement.paid.minor,
        carried=statement.carried.minor,
        commissions=statement.commissions,
    )


@settings(max_examples=60, deadline=None)
@given(programmes())
def test_statements_equal_the_one_line_at_a_time_reference(case: dict[str, Any]) -> None:
    table = cm.compute(case["orders"], case["book"])
    reference = reference_of(case, table)
    store = st.MemoryStore()
    for number in MONTHS:
        period = al.Period.month(2026, number, tz="UTC")
        result = st.settle(
            table,
            book=case["book"],
            period=period,
            reversals=case["reversals"],
            decisions=case["decisions"],
            store=store,
        )
        store.append(result)
        expected = reference.settle(period.end)
        assert {s.partner_id: figures_of(s) for s in result.statements} == expected
        # Each transaction's first leg is the sum of its lines' movements.
        moved = result.movements
        for entry in result.entries:
            if entry.entry_id.endswith("/0") and entry.kind in Movements.KINDS:
                mine = moved["txn_id"] == entry.txn_id
                assert int(moved["amount"][mine].sum()) == entry.amount.minor

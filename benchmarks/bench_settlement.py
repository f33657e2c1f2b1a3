"""Settling a quarter's commissions into the embedded ledger, beside the cost of writing it.

One benchmark on synthetic data (fixed seed): 1M commission lines (orders without lines) of
10,000 partners of very uneven size, placed over January to March 2026 (UTC), one contract
(10 %, 14 days' hold, 20 USD minimum payout), and 50,000 reversals (a fifth in full, the rest
partial), some before approval and some after. `settlement.settle` settles March (every
line placed before its end) into a fresh `SQLiteStore`: the time is `settle` plus `append`.

Baseline: writing the same number of ledger rows into SQLite by hand (one `executemany` in
one transaction, rows prepared outside the time): the floor of persisting the ledger at all.
Target: alliance within 5 s for 1M commissions on 2 cores.

The result is checked: every transaction balances, and every cent earned is paid, carried,
voided, clawed back, or still on hold.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import alliance as al
from alliance import commission as cm
from alliance import settlement as st
from benchmarks._harness import Measurement, Mismatch, Result, measure

__all__ = ["run"]

COMMISSIONS = 1_000_000
REVERSALS = 50_000
PARTNERS = 10_000
SEED = 20_261_122
TARGET_SECONDS = 5.0
#: Above this many commissions, alliance is timed on this many and scaled up linearly.
LARGEST_TIMED = 100_000
START = datetime(2026, 1, 1, tzinfo=UTC)
MARCH = al.Period.month(2026, 3, tz="UTC")


def progress(step: str) -> None:
    print(f"  settlement: {step}", file=sys.stderr, flush=True)


def programme(rng: np.random.Generator, count: int, reversals: int) -> dict[str, Any]:
    """Orders, reversals and the book of the benchmark (built outside every timed call)."""
    popularity = rng.lognormal(0.0, 1.5, PARTNERS)
    partner = rng.choice(PARTNERS, size=count, p=popularity / popularity.sum())
    start_us = al.to_micros(START)
    span = al.to_micros(MARCH.end) - start_us
    ts = start_us + rng.integers(0, span, count, dtype=np.int64)
    amount = np.maximum(np.rint(4_600 * rng.lognormal(0.0, 0.9, count)), 100).astype(np.int64)
    ids = np.char.add("o", np.char.zfill(np.arange(count).astype(str), 8))
    orders = al.Orders.from_arrays(
        {
            "order_id": ids,
            "ts": ts,
            "amount_minor": amount,
            "currency": (np.zeros(count, dtype=np.int64), ["USD"]),
            "partner_id": (partner.astype(np.int64), [f"p{n:05d}" for n in range(PARTNERS)]),
        }
    )
    reversed_rows = rng.choice(count, size=min(reversals, count), replace=False)
    later = rng.integers(0, 40 * 86_400_000_000, reversed_rows.size, dtype=np.int64)
    at = np.minimum(ts[reversed_rows] + later, al.to_micros(MARCH.end) - 1)
    full = rng.random(reversed_rows.size) < 0.2
    part = np.maximum(amount[reversed_rows] // rng.integers(2, 5, reversed_rows.size), 1)
    reversals_table = al.Reversals.from_records(
        [
            {
                "reversal_id": f"r{n}",
                "order_id": str(ids[row]),
                "ts": al.from_micros(int(when)),
                "amount": None if whole else al.Money.from_minor(int(cents), "USD").amount,
                "currency": "USD",
            }
            for n, (row, when, whole, cents) in enumerate(
                zip(reversed_rows.tolist(), at.tolist(), full.tolist(), part.tolist(), strict=True)
            )
        ]
    )
    book = cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency="USD",
                timezone="UTC",
                plan=cm.percent("10%"),
                effective_from=START,
                hold_days=14,
                minimum_payout=al.Money("20", "USD"),
            )
        ]
    )
    return {"orders": orders, "reversals": reversals_table, "book": book}


def settle_into_sqlite(case: dict[str, Any], table: cm.CommissionTable) -> tuple[int, int]:
    """Settle March into a fresh SQLite ledger; the entries written and the total paid."""
    with tempfile.TemporaryDirectory() as folder, st.SQLiteStore(Path(folder) / "l.db") as store:
        result = st.settle(
            table, book=case["book"], period=MARCH, reversals=case["reversals"], store=store
        )
        written = store.append(result)
        check(table, result, store)
        return written, sum(s.paid.minor for s in result.statements)


def check(table: cm.CommissionTable, result: st.Settlement, store: st.Store) -> None:
    st.check_balanced(result.entries)
    balances = store.balances()
    statements = result.statements
    paid = sum(s.paid.minor for s in statements)
    if -balances.get(("cash", "USD"), al.Money("0", "USD")).minor != paid:
        raise Mismatch("cash paid out differs from the statements' total")
    pending = -sum(m.minor for (name, _), m in balances.items() if name.startswith("pending:"))
    kept = sum(s.carried.minor + s.voided.minor - s.clawbacks.minor for s in statements)
    if int(table["commission"].sum()) != paid + kept + pending:
        raise Mismatch("settlement does not conserve money")


def write_rows_by_hand(rows: list[tuple[Any, ...]]) -> int:
    """The floor: the same number of ledger rows written to SQLite in one transaction."""
    with tempfile.TemporaryDirectory() as folder:
        connection = sqlite3.connect(Path(folder) / "floor.db")
        try:
            connection.execute(
                "CREATE TABLE entries (entry_id TEXT PRIMARY KEY, txn_id TEXT, kind TEXT, "
                "account TEXT, partner_id TEXT, minor INTEGER, currency TEXT, ts INTEGER, "
                "period TEXT, source TEXT)"
            )
            with connection:
                connection.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            return int(connection.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        finally:
            connection.close()


def run(scale: float) -> list[Result]:
    """The benchmark at ``scale`` times 1M commissions and 50,000 reversals."""
    count = max(2_000, round(COMMISSIONS * scale))
    timed = min(count, LARGEST_TIMED)
    name = f"settle into SQLite, {count:,} commissions"
    progress(f"building {timed:,} commissions")
    rng = np.random.default_rng(SEED)
    case = programme(rng, timed, round(REVERSALS * timed / COMMISSIONS))
    table = cm.compute(case["orders"], case["book"])
    progress("alliance")
    start = time.perf_counter()
    written, paid = settle_into_sqlite(case, table)
    alliance_run = Measurement((time.perf_counter() - start,), (written, paid))
    rows = [
        (f"e{n}", f"t{n // 2}", "accrual", "expense", "p", n, "USD", n, "2026-03", "s")
        for n in range(written)
    ]
    progress("SQLite by hand")
    floor_run = measure(lambda: write_rows_by_hand(rows), 3)
    if floor_run.value != written:
        raise Mismatch("the hand-written insert lost rows")
    seconds = alliance_run.seconds * COMMISSIONS / timed  # the target is per 1M commissions
    met = seconds <= TARGET_SECONDS
    verdict = ("MET" if met else "MISSED") if count == COMMISSIONS else "indicative only"
    return [
        Result.timed(
            name,
            "alliance settle + SQLiteStore.append",
            alliance_run,
            rows=count,
            measured_rows=timed,
            baseline=False,
            note=(
                f"target <= {TARGET_SECONDS:g} s per 1M: {verdict} ({seconds:.0f} s per 1M); "
                f"{written:,} entries for {timed:,} commissions; balances; conserves money"
            ),
        ),
        Result.timed(
            name,
            "SQLite executemany by hand",
            floor_run,
            rows=count,
            measured_rows=timed,
            baseline=True,
            note="the same number of ledger rows, prepared outside the time: the floor",
        ),
    ]

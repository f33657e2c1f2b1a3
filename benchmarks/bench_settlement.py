"""Settling a quarter's commissions into the embedded ledger, beside the floor of storing them.

One benchmark on synthetic data (fixed seed): 1M commission lines (orders without lines) of
10,000 partners of very uneven size, placed over January to March 2026 (UTC), one contract
(10 %, 14 days' hold, 20 USD minimum payout), and 50,000 reversals (a fifth in full, the rest
partial), some before approval and some after. Every count is timed in full: at ``--scale``
below 1 (``--quick``) the scaled count is timed and the verdict is indicative only; nothing is
extrapolated.

* **alliance settle + SQLiteStore.append**: open a `SQLiteStore` on a fresh file (which creates
  its tables), `settlement.settle` March (every line placed before its end) with that store,
  `append` the result, and close the store. The ledger books one transaction per kind,
  partner and currency in the run (``result.entries``); the per-line detail is
  ``result.movements`` (one row per commission line and transaction), which `append` stores as
  binary segments. Target: within 5 s for 1M commissions.
* **alliance settle again + append, same inputs**: the same `settle` and `append` against the
  filled store (opened outside the time): everything is stored already, so nothing is added.
  It is not a baseline; its ``time / alliance`` is its time over the first settlement's.
* **baseline, sqlite3 executemany by hand**: the floor of persisting one row per commission
  line at all: connect to a fresh file, create a table without keys or indexes, insert one
  row per commission line (commission id text, partner id, contract, amount in minor units,
  currency, time in µs, period label; the tuples are prepared outside the time) with one
  `executemany` in one transaction, commit and close, all in this process with SQLite's
  defaults. alliance / baseline is the note's ratio (the ``time / alliance`` column is its
  inverse).

The result is checked outside the time: every transaction balances; the cash paid equals the
statements' total; every cent earned is paid, carried, voided, clawed back, or still on hold
(from `SQLiteStore.balances`); every commission line has one accrual movement and there are at
least as many movements as lines; the store holds the result's entries and movements; and
appending the result again, or settling the same inputs again, adds nothing.
"""

from __future__ import annotations

import itertools
import sqlite3
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import alliance as al
from alliance import commission as cm
from alliance import settlement as st
from benchmarks._harness import Mismatch, Result, measure

__all__ = ["run"]

COMMISSIONS = 1_000_000
REVERSALS = 50_000
PARTNERS = 10_000
SEED = 20_261_122
TARGET_SECONDS = 5.0
REPEATS = 3
START = datetime(2026, 1, 1, tzinfo=UTC)
MARCH = al.Period.month(2026, 3, tz="UTC")

Row = tuple[str, str, str, int, str, int, str]


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


def settle(case: dict[str, Any], table: cm.CommissionTable, store: st.Store) -> st.Settlement:
    """`settle` March with ``store`` as the ledger so far."""
    return st.settle(
        table, book=case["book"], period=MARCH, reversals=case["reversals"], store=store
    )


def settle_into_fresh_file(
    case: dict[str, Any], table: cm.CommissionTable, path: Path
) -> tuple[st.Settlement, int, Path]:
    """The timed call: settle March into a new `SQLiteStore` at ``path``.

    Returns:
        The settlement, the number of entries appended, and ``path``.
    """
    with st.SQLiteStore(path) as store:
        result = settle(case, table, store)
        written = store.append(result)
    return result, written, path


def settle_again(
    case: dict[str, Any], table: cm.CommissionTable, store: st.Store
) -> tuple[st.Settlement, int]:
    """The timed call: settle the same inputs against the filled store and append the result."""
    result = settle(case, table, store)
    return result, store.append(result)


def check(table: cm.CommissionTable, result: st.Settlement, store: st.Store) -> Counter[str]:
    """Raise `Mismatch` unless the settlement and the store hold up; the movements by kind."""
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
    kinds = Counter(result.movements["kind"].tolist())
    if len(result.movements) < len(table) or kinds["accrual"] != len(table):
        raise Mismatch(
            f"{len(result.movements):,} movements ({kinds['accrual']:,} accruals) for "
            f"{len(table):,} commission lines"
        )
    if store.entry_ids() != {e.entry_id for e in result.entries}:
        raise Mismatch("the store does not hold exactly the settlement's entries")
    if not store.movements().equals(result.movements):
        raise Mismatch("the movements read back from the store differ from the settlement's")
    return kinds


def check_nothing_added(
    store: st.Store, revision: int, first: st.Settlement, again: tuple[st.Settlement, int]
) -> None:
    """Raise `Mismatch` unless appending ``first`` again, and settling again, added nothing."""
    if store.append(first) != 0:
        raise Mismatch("appending the same settlement again added entries")
    result, written = again
    if written or result.entries or len(result.movements):
        raise Mismatch(
            f"settling the same inputs again added {written:,} entries "
            f"({len(result.entries):,} new, {len(result.movements):,} movements)"
        )
    if store.revision() != revision:
        raise Mismatch(f"the store moved from revision {revision} to {store.revision()}")
    if result.statements != first.statements:
        raise Mismatch("settling the same inputs again gave other statements")


def baseline_rows(table: cm.CommissionTable) -> list[Row]:
    """One row per commission line, as a hand-written ledger would store it."""
    lines = ("-" if line is None else str(line) for line in table["line_id"].tolist())
    partners = table["partner_id"].tolist()
    sources, orders = table["source"].tolist(), table["order_id"].tolist()
    ids = map("|".join, zip(sources, orders, lines, partners, strict=True))
    return list(
        zip(
            ids,
            partners,
            table["contract_id"].tolist(),
            table["commission"].tolist(),
            table["currency"].tolist(),
            table["ts"].tolist(),
            itertools.repeat(MARCH.label),
            strict=False,  # the period label repeats without end
        )
    )


def write_rows_by_hand(rows: list[Row], path: Path) -> Path:
    """The floor: one row per commission line written to a fresh SQLite file in one transaction.

    Returns:
        ``path``, for the rows to be counted outside the time.
    """
    connection = sqlite3.connect(path)
    try:
        connection.execute(
            "CREATE TABLE commissions (commission_id TEXT, partner_id TEXT, contract_id TEXT, "
            "amount_minor INTEGER, currency TEXT, ts INTEGER, period TEXT)"
        )
        with connection:
            connection.executemany("INSERT INTO commissions VALUES (?,?,?,?,?,?,?)", rows)
    finally:
        connection.close()
    return path


def rows_in(path: Path) -> int:
    """The number of rows the baseline wrote to ``path``."""
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM commissions").fetchone()[0])
    finally:
        connection.close()


def verdict(met: bool, full_size: bool) -> str:
    """``MET`` or ``MISSED``; in lower case, and said to be indicative, below the target's size."""
    if full_size:
        return "MET" if met else "MISSED"
    return f"{'met' if met else 'missed'} at this size (indicative only)"


def run(scale: float) -> list[Result]:
    """The benchmark at ``scale`` times 1M commissions and 50,000 reversals."""
    count = max(2_000, round(COMMISSIONS * scale))
    name = f"settle into SQLite, {count:,} commissions"
    progress(f"building {count:,} commissions")
    rng = np.random.default_rng(SEED)
    case = programme(rng, count, round(REVERSALS * count / COMMISSIONS))
    table = cm.compute(case["orders"], case["book"])
    if len(table) != count:
        raise Mismatch(f"{count:,} orders gave {len(table):,} commission lines")
    with tempfile.TemporaryDirectory() as folder:
        files = (Path(folder) / f"ledger-{n}.db" for n in itertools.count())
        progress(f"alliance settle + append, {REPEATS} runs")
        first_run = measure(lambda: settle_into_fresh_file(case, table, next(files)), REPEATS)
        first, written, last = first_run.value
        with st.SQLiteStore(last) as store:
            kinds = check(table, first, store)
            if written != len(first.entries):
                raise Mismatch(f"append wrote {written:,} of {len(first.entries):,} entries")
            revision = store.revision()
            progress(f"alliance settle again, {REPEATS} runs")
            again_run = measure(lambda: settle_again(case, table, store), REPEATS)
            check_nothing_added(store, revision, first, again_run.value)
        rows = baseline_rows(table)
        progress(f"sqlite3 executemany by hand, {REPEATS} runs")
        floor_run = measure(lambda: write_rows_by_hand(rows, next(files)), REPEATS)
        if rows_in(floor_run.value) != count:
            raise Mismatch("the hand-written insert lost rows")
    seconds = first_run.seconds
    ratio = seconds / floor_run.seconds
    by_kind = ", ".join(f"{kinds[kind]:,} {kind}" for kind in st.Movements.KINDS if kinds[kind])
    return [
        Result.timed(
            name,
            "alliance settle + SQLiteStore.append",
            first_run,
            rows=count,
            baseline=False,
            note=(
                f"target <= {TARGET_SECONDS:g} s for {COMMISSIONS:,} commissions: "
                f"{verdict(seconds <= TARGET_SECONDS, count == COMMISSIONS)}; "
                f"alliance / floor {ratio:.1f}x; {len(first.entries):,} entries, "
                f"{len(first.movements):,} movements ({by_kind}), "
                f"{len(first.statements):,} statements; balances, conserves money"
            ),
        ),
        Result.timed(
            name,
            "alliance settle again + append (same inputs)",
            again_run,
            rows=count,
            baseline=False,
            note=(
                "against the filled store; adds 0 entries, 0 movements, same statements; "
                "time / alliance is over the first settlement"
            ),
        ),
        Result.timed(
            name,
            "sqlite3 executemany by hand",
            floor_run,
            rows=count,
            baseline=True,
            note=(
                "floor: one row per commission line, 7 columns, no key, fresh file, one "
                "transaction; rows prepared outside the time"
            ),
        ),
    ]

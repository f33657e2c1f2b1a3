"""Ledger stores: round trips, idempotent and atomic appends, revisions, balances, crash safety.

Every behaviour is checked on both stores through the `store` fixture: `MemoryStore` and
`SQLiteStore` must be indistinguishable to `settle`.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from alliance import Money, Period, to_micros
from alliance.errors import MoneyOverflow, SettlementError
from alliance.settlement import (
    Entry,
    EntryKind,
    MemoryStore,
    Settlement,
    SQLiteStore,
    Statement,
    Store,
)
from alliance.settlement._ledger import Movements
from alliance.settlement._segments import encode

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
SAO_PAULO = timezone(timedelta(hours=-3))
OCTOBER = Period.month(2026, 10, tz="Asia/Shanghai")
NOVEMBER = OCTOBER.next()


def leg(
    txn_id: str,
    number: int,
    kind: EntryKind,
    account_name: str,
    amount: str,
    currency: str,
    *,
    partner_id: str | None,
    ts: datetime,
    period: str = "2026-10",
) -> Entry:
    return Entry(
        entry_id=f"{txn_id}/{number}",
        txn_id=txn_id,
        kind=kind,
        account=account_name,
        partner_id=partner_id,
        amount=Money(amount, currency),
        ts=ts,
        period=period,
        source=txn_id.rsplit("|", 1)[0],
        memo=f"{kind} of {txn_id}",
    )


def posting(
    txn_id: str,
    kind: EntryKind,
    debit: str,
    credit: str,
    amount: str,
    currency: str,
    *,
    partner_id: str,
    ts: datetime,
    period: str = "2026-10",
) -> list[Entry]:
    """Two legs: ``debit`` gets ``amount`` (the first leg), ``credit`` its opposite."""
    return [
        leg(
            txn_id,
            number,
            kind,
            name,
            value,
            currency,
            partner_id=partner_id if ":" in name else None,
            ts=ts,
            period=period,
        )
        for number, (name, value) in enumerate([(debit, amount), (credit, f"-{amount}")])
    ]


def moves(
    txn: list[Entry],
    lines: list[tuple[str, str | None, int]],
    *,
    partner_id: str | None = None,
    reversal_id: str | None = None,
    rejected: bool = False,
) -> Movements:
    """The movements of ``txn``: one per ``(order_id, line_id, minor units)``."""
    head = txn[0]
    owner = partner_id or next(e.partner_id for e in txn if e.partner_id is not None)
    count = len(lines)
    columns: dict[str, Any] = {
        "txn_id": [head.txn_id] * count,
        "kind": [head.kind] * count,
        "source": ["sale"] * count,
        "order_id": [order for order, _, _ in lines],
        "line_id": [line for _, line, _ in lines],
        "partner_id": [owner] * count,
        "contract_id": ["std"] * count,
        "version": [1] * count,
        "currency": [head.amount.currency] * count,
        "amount": [minor for _, _, minor in lines],
        "ts": [to_micros(head.ts)] * count,
        "period": [head.period] * count,
        "reversal_id": [reversal_id] * count,
        "rejected": [rejected] * count,
    }
    return Movements(columns)


T1 = posting(
    "accrual|kol-1|USD|2026-10|1",
    "accrual",
    "expense",
    "pending:kol-1",
    "12.34",
    "USD",
    partner_id="kol-1",
    ts=datetime(2026, 10, 3, 9, 30, tzinfo=UTC),
)
M1 = moves(T1, [("o1", "1", 1000), ("o2", None, 234)])
T2 = posting(
    "approval|kol-1|USD|2026-10|1",
    "approval",
    "pending:kol-1",
    "payable:kol-1",
    "12.34",
    "USD",
    partner_id="kol-1",
    ts=datetime(2026, 10, 20, tzinfo=SHANGHAI),
)
M2 = moves(T2, [("o1", "1", 1000), ("o2", None, 234)])
T3 = posting(
    "accrual|kol-2|JPY|2026-10|1",
    "accrual",
    "expense",
    "pending:kol-2",
    "1500",
    "JPY",
    partner_id="kol-2",
    ts=datetime(2026, 10, 5, 23, 59, tzinfo=KOLKATA),
)
M3 = moves(T3, [("注文-3", "1", 1500)])
T5 = posting(
    "accrual|shop-9|KWD|2026-10|1",
    "accrual",
    "expense",
    "pending:shop-9",
    "10.005",
    "KWD",
    partner_id="shop-9",
    ts=datetime(2026, 10, 9, 14, 0, 0, 250_001, tzinfo=SAO_PAULO),
)
M5 = moves(T5, [("o4", "1", 7005), ("o4", "2", 3000)])
PAID_AT = datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI)
PAYOUT = "payout|kol-1|USD|2026-10|1"
T6 = [
    leg(PAYOUT, 0, "payout", "payable:kol-1", "12.34", "USD", partner_id="kol-1", ts=PAID_AT),
    leg(PAYOUT, 1, "payout", "withholding:kol-1", "-1.23", "USD", partner_id="kol-1", ts=PAID_AT),
    leg(PAYOUT, 2, "payout", "cash", "-11.11", "USD", partner_id=None, ts=PAID_AT),
]
CLAWED_AT = datetime(2026, 11, 12, 8, 15, tzinfo=SHANGHAI)
T4 = posting(
    "clawback|shop-9|KWD|2026-11|1",
    "clawback",
    "payable:shop-9",
    "expense",
    "2.750",
    "KWD",
    partner_id="shop-9",
    ts=CLAWED_AT,
    period="2026-11",
)
M4 = moves(T4, [("o4", "1", 2750)], reversal_id="r1")

MONEY_FIELDS = (
    "opening",
    "approved",
    "adjustments",
    "voided",
    "clawbacks",
    "closing",
    "withheld",
    "paid",
    "carried",
)


def statement(
    partner_id: str, period: Period, code: str, *, payout: Money | None = None, **fields: Any
) -> Statement:
    values: dict[str, Any] = {name: Money(0, code) for name in MONEY_FIELDS}
    values["payout"] = Money(0, code) if payout is None else payout
    for name, value in fields.items():
        values[name] = Money(value, code) if name in MONEY_FIELDS else value
    return Statement(
        statement_id=f"{partner_id}|{period.label}|{code}",
        partner_id=partner_id,
        period=period,
        currency=code,
        **values,
    )


KOL1_OCT = statement(
    "kol-1",
    OCTOBER,
    "USD",
    approved="12.34",
    closing="12.34",
    withheld="1.23",
    paid="11.11",
    payout=Money("11.11", "USD"),
    commissions=1,
)
KOL2_OCT = statement(
    "kol-2",
    OCTOBER,
    "JPY",
    approved="1500",
    closing="1500",
    carried="1500",
    reason="below the minimum payout of 5000 JPY",
    commissions=1,
)
SHOP9_OCT = statement(
    "shop-9",
    OCTOBER,
    "KWD",
    approved="10.005",
    closing="10.005",
    paid="10.005",
    payout=Money("32.58", "USD"),
    fx_rate=Decimal("3.2561"),
    fx_at=datetime(2026, 10, 31, 23, 59, 59, tzinfo=SHANGHAI),
    commissions=1,
)
SHOP9_NOV = statement(
    "shop-9",
    NOVEMBER,
    "KWD",
    clawbacks="-2.750",
    closing="-2.750",
    carried="-2.750",
    payout=Money(0, "USD"),
    reason="negative balance carried forward",
)

OCT_MOVEMENTS = Movements.concat([M1, M2, M3, M5])
OCT_RUN = Settlement(
    statements=(KOL1_OCT, KOL2_OCT, SHOP9_OCT),
    entries=(*T1, *T2, *T3, *T5, *T6),
    movements=OCT_MOVEMENTS,
)
NOV_RUN = Settlement(statements=(SHOP9_NOV,), entries=tuple(T4), movements=M4)

#: Hand-computed from the legs above.
BALANCES = {
    ("cash", "USD"): Money("-11.11", "USD"),
    ("expense", "JPY"): Money("1500", "JPY"),
    ("expense", "KWD"): Money("7.255", "KWD"),  # 10.005 accrued - 2.750 clawed back
    ("expense", "USD"): Money("12.34", "USD"),
    ("payable:kol-1", "USD"): Money("0.00", "USD"),  # approved 12.34, paid out 12.34
    ("payable:shop-9", "KWD"): Money("2.750", "KWD"),
    ("pending:kol-1", "USD"): Money("0.00", "USD"),  # accrued 12.34, approved 12.34
    ("pending:kol-2", "JPY"): Money("-1500", "JPY"),
    ("pending:shop-9", "KWD"): Money("-10.005", "KWD"),
    ("withholding:kol-1", "USD"): Money("-1.23", "USD"),
}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        with SQLiteStore(tmp_path / "ledger.db") as sqlite_store:
            yield sqlite_store


def based(store: Store, run: Settlement) -> Settlement:
    """``run`` as if settled from the store as it is now."""
    return Settlement(
        statements=run.statements,
        entries=run.entries,
        movements=run.movements,
        basis=store.revision(),
    )


def snapshot(store: Store) -> tuple[Any, ...]:
    return (
        store.entries(),
        store.statements(),
        store.balances(),
        store.entry_ids(),
        store.movements(),
        store.revision(),
    )


EMPTY: tuple[Any, ...] = ((), (), {}, frozenset(), Movements.empty(), 0)


def test_both_stores_follow_the_protocol(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "ledger.db") as sqlite_store:
        assert isinstance(sqlite_store, Store)
    assert isinstance(MemoryStore(), Store)
    assert not isinstance(object(), Store)


def test_a_new_store_is_empty(store: Store) -> None:
    assert snapshot(store) == EMPTY
    assert len(store.movements()) == 0
    assert store.movements().columns == Movements.COLUMNS


# -- round trips ----------------------------------------------------------------------------


def test_round_trip_of_entries_statements_and_movements(store: Store) -> None:
    assert store.append(based(store, OCT_RUN)) == 11
    assert store.append(based(store, NOV_RUN)) == 2

    entries = store.entries()
    assert entries == (*OCT_RUN.entries, *NOV_RUN.entries)
    assert [e.model_dump_json() for e in entries] == [
        e.model_dump_json() for e in (*OCT_RUN.entries, *NOV_RUN.entries)
    ]
    # The same instant and the same UTC offset, whatever the tzinfo object reads back as.
    assert [(e.ts, e.ts.utcoffset()) for e in entries] == [
        (e.ts, e.ts.utcoffset()) for e in (*OCT_RUN.entries, *NOV_RUN.entries)
    ]
    assert entries[6].ts.microsecond == 250_001
    assert entries[6].amount == Money("10.005", "KWD")
    assert entries[6].amount.currency_info.exponent == 3

    statements = store.statements()
    assert statements == (KOL1_OCT, KOL2_OCT, SHOP9_OCT, SHOP9_NOV)
    assert [s.model_dump_json() for s in statements] == [
        s.model_dump_json() for s in (KOL1_OCT, KOL2_OCT, SHOP9_OCT, SHOP9_NOV)
    ]
    shop = statements[2]
    assert shop.period == OCTOBER
    assert shop.period.label == "2026-10"
    assert shop.fx_rate == Decimal("3.2561")
    assert shop.payout == Money("32.58", "USD")
    assert shop.fx_at == datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC)
    assert statements[1].reason == "below the minimum payout of 5000 JPY"
    assert store.entry_ids() == {e.entry_id for e in (*OCT_RUN.entries, *NOV_RUN.entries)}

    moved = store.movements()
    assert moved == Movements.concat([M1, M2, M3, M5, M4])
    assert len(moved) == 8
    assert moved["order_id"].tolist() == ["o1", "o2", "o1", "o2", "注文-3", "o4", "o4", "o4"]
    assert moved["line_id"].tolist() == ["1", None, "1", None, "1", "1", "2", "1"]
    assert moved["amount"].tolist() == [1000, 234, 1000, 234, 1500, 7005, 3000, 2750]
    assert moved["amount"].dtype == np.int64
    assert moved["rejected"].dtype == np.bool_
    assert moved["reversal_id"].tolist() == [None] * 7 + ["r1"]
    assert moved["ts"][5] == to_micros(T5[0].ts)
    assert moved["commission_id"].tolist()[:2] == ["sale|o1|1|kol-1", "sale|o2|-|kol-1"]
    assert [r["amount"] for r in moved.to_records()][4:] == [
        Money("1500", "JPY"),
        Money("7.005", "KWD"),
        Money("3.000", "KWD"),
        Money("2.750", "KWD"),
    ]


def test_text_of_movements_round_trips_as_given(store: Store) -> None:
    txn = posting(
        "accrual|kol-ü|EUR|2026-10|1",
        "accrual",
        "expense",
        "pending:kol-ü",
        "3.00",
        "EUR",
        partner_id="kol-ü",
        ts=datetime(2026, 10, 1, tzinfo=UTC),
    )
    lines: list[tuple[str, str | None, int]] = [
        ("", "", 100),
        ("😀 order", None, 50),
        ("ordre n°7 — été", "línea 2", 149),
        ("a\tb\nc", "\\x00 is not a NUL", 1),
    ]
    moved = moves(txn, lines, reversal_id="rév-1", rejected=True)
    assert store.append(Settlement(statements=(), entries=tuple(txn), movements=moved)) == 2
    back = store.movements()
    assert back == moved
    assert back["order_id"].tolist() == ["", "😀 order", "ordre n°7 — été", "a\tb\nc"]
    assert back["line_id"].tolist() == ["", None, "línea 2", "\\x00 is not a NUL"]
    assert back["partner_id"].tolist() == ["kol-ü"] * 4
    assert back["reversal_id"].tolist() == ["rév-1"] * 4
    assert back["rejected"].tolist() == [True] * 4
    assert all(type(value) is str for value in back["order_id"].tolist())


def test_amount_text_is_kept_as_given(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    legs = (
        leg("t", 0, "adjustment", "expense", "1.5", "USD", partner_id=None, ts=ts),
        leg("t", 1, "adjustment", "payable:kol-1", "-1.500", "USD", partner_id="kol-1", ts=ts),
    )
    assert store.append(Settlement(statements=(), entries=legs)) == 2
    assert [e.model_dump_json() for e in store.entries()] == [e.model_dump_json() for e in legs]
    assert store.balances() == {
        ("expense", "USD"): Money("1.50", "USD"),
        ("payable:kol-1", "USD"): Money("-1.50", "USD"),
    }


@pytest.mark.parametrize(
    "ts",
    [
        datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK),  # the first 01:30 (EDT)
        datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=1),  # the second 01:30 (EST)
        datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),  # in the spring gap
        datetime(1919, 4, 13, tzinfo=SHANGHAI),  # a midnight the clocks skipped
    ],
)
def test_local_times_in_dst_folds_and_gaps_round_trip(store: Store, ts: datetime) -> None:
    # Python calls such a local time unequal to the same instant in any other zone, so a
    # store that kept only the offset would hand back entries unequal to those appended.
    legs = (
        leg("t", 0, "adjustment", "expense", "5.00", "USD", partner_id=None, ts=ts),
        leg("t", 1, "adjustment", "payable:kol-1", "-5.00", "USD", partner_id="kol-1", ts=ts),
    )
    paid = KOL1_OCT.model_copy(update={"fx_at": ts, "fx_rate": Decimal("1")})
    store.append(Settlement(statements=(paid,), entries=legs))
    assert store.entries() == legs
    assert store.statements() == (paid,)
    back = store.entries()[0].ts
    assert (back.replace(tzinfo=None), back.fold, back.utcoffset(), back.tzinfo) == (
        ts.replace(tzinfo=None),
        ts.fold,
        ts.utcoffset(),
        ts.tzinfo,
    )
    assert store.entries()[1].model_dump_json() == legs[1].model_dump_json()
    assert store.statements()[0].model_dump_json() == paid.model_dump_json()


@pytest.mark.parametrize("zone_name", ["Mars/Olympus", "Asia/Tokyo"])
def test_the_stored_offset_wins_over_a_zone_that_no_longer_fits(
    tmp_path: Path, zone_name: str
) -> None:
    # An unknown zone, or one whose rules no longer give the stored offset (tz data updated
    # since): the entry reads back at the same instant, with the offset it was written with.
    ts = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=1)
    legs = (
        leg("t", 0, "adjustment", "expense", "5.00", "USD", partner_id=None, ts=ts),
        leg("t", 1, "adjustment", "cash", "-5.00", "USD", partner_id=None, ts=ts),
    )
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(Settlement(statements=(), entries=legs))
    edit = sqlite3.connect(path)
    with edit:
        edit.execute("UPDATE entries SET ts_zone = ?", (zone_name,))
    edit.close()
    with SQLiteStore(path) as store:
        back = store.entries()[0].ts
    assert back.isoformat() == "2026-11-01T01:30:00-05:00"
    assert back.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "column", "value", "field"),
    [
        ("entries", "kind", "bogus", "kind"),
        ("entries", "ts", "2026-10-03T09:30:00", "ts"),
        ("statements", "commissions", -1, "commissions"),
        ("statements", "fx_rate", "NaN", "fx_rate"),
    ],
)
def test_a_row_edited_by_hand_is_refused_as_the_model_refuses_it(
    tmp_path: Path, table: str, column: str, value: Any, field: str
) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(OCT_RUN)
    edit = sqlite3.connect(path)
    with edit:
        edit.execute(f"UPDATE {table} SET {column} = ?", (value,))
    edit.close()
    with SQLiteStore(path) as store:
        read = store.entries if table == "entries" else store.statements
        with pytest.raises(ValidationError, match=field):
            read()


def test_a_row_edited_by_hand_reads_back_as_the_model_takes_it(tmp_path: Path) -> None:
    # Text stored as a blob is not text to SQLite; the model decodes it, and so the store.
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(OCT_RUN)
    edit = sqlite3.connect(path)
    with edit:
        edit.execute("UPDATE entries SET memo = ?", (b"edited",))
        edit.execute("UPDATE statements SET reason = ?", (b"edited",))
    edit.close()
    with SQLiteStore(path) as store:
        assert {entry.memo for entry in store.entries()} == {"edited"}
        assert {statement.reason for statement in store.statements()} == {"edited"}


def test_records_read_back_equal_the_ones_written(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "ledger.db") as store:
        store.append(OCT_RUN)
        store.append(based(store, NOV_RUN))
        entries, statements = store.entries(), store.statements()
    assert entries == (*OCT_RUN.entries, *NOV_RUN.entries)
    assert statements == (*OCT_RUN.statements, *NOV_RUN.statements)
    for record in (*entries, *statements):
        assert type(record).model_validate(record.model_dump()) == record
        assert record.model_fields_set == set(type(record).model_fields)


# -- revisions and stale settlements --------------------------------------------------------


def test_the_revision_counts_the_appends_that_wrote_something(store: Store) -> None:
    assert store.revision() == 0
    assert store.append(based(store, OCT_RUN)) == 11
    assert store.revision() == 1
    assert store.append(based(store, OCT_RUN)) == 0  # nothing new: no revision
    assert store.revision() == 1
    assert store.append(based(store, NOV_RUN)) == 2
    assert store.revision() == 2
    # A statement alone is something new: it makes a revision without entries or movements.
    late = statement("kol-2", NOVEMBER, "JPY", opening="1500", closing="1500", carried="1500")
    assert store.append(Settlement(statements=(late,), entries=(), basis=2)) == 0
    assert store.revision() == 3
    assert store.statements(partner_id="kol-2") == (KOL2_OCT, late)
    assert len(store.movements()) == 8
    assert store.append(Settlement(statements=(), entries=(), basis=0)) == 0
    assert store.revision() == 3


def test_a_stale_settlement_is_refused_and_nothing_is_written(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    before = snapshot(store)
    stale = Settlement(statements=NOV_RUN.statements, entries=NOV_RUN.entries, movements=M4)
    with pytest.raises(
        SettlementError,
        match=r"^the settlement was computed from revision 0 of the ledger, which is now at "
        r"revision 1; settle again$",
    ):
        store.append(stale)
    assert snapshot(store) == before
    ahead = based(store, NOV_RUN).model_copy(update={"basis": 5})
    with pytest.raises(SettlementError, match=r"from revision 5 of the ledger, .* revision 1;"):
        store.append(ahead)
    assert snapshot(store) == before
    assert store.append(based(store, NOV_RUN)) == 2
    assert store.revision() == 2


def test_a_stale_settlement_with_only_a_new_statement_is_refused(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    late = statement("kol-2", NOVEMBER, "JPY", reason="nothing happened")
    with pytest.raises(SettlementError, match=r"revision 0 of the ledger, which is now at"):
        store.append(Settlement(statements=(KOL2_OCT, late), entries=tuple(T3), basis=0))
    assert store.statements(partner_id="kol-2") == (KOL2_OCT,)
    assert store.revision() == 1


def test_a_settlement_appended_before_adds_nothing_whatever_its_basis(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    store.append(based(store, NOV_RUN))
    before = snapshot(store)
    for basis in (0, 1, 2, 9):
        assert store.append(OCT_RUN.model_copy(update={"basis": basis})) == 0
        assert store.append(NOV_RUN.model_copy(update={"basis": basis})) == 0
    assert snapshot(store) == before
    assert store.revision() == 2


# -- idempotence and atomicity --------------------------------------------------------------


def test_appending_twice_adds_nothing(store: Store) -> None:
    assert store.append(based(store, OCT_RUN)) == 11
    before = snapshot(store)
    assert store.append(based(store, OCT_RUN)) == 0
    assert snapshot(store) == before


def test_a_later_run_adds_only_the_difference(store: Store) -> None:
    store.append(
        Settlement(statements=(KOL1_OCT,), entries=(*T1, *T2), movements=Movements.concat([M1, M2]))
    )
    # A rerun that knows more: the same locked statement, the old entries and new ones, and
    # the movements of every transaction: only those of the new one are written.
    rerun = Settlement(
        statements=(KOL1_OCT, SHOP9_NOV),
        entries=(*T1, *T2, *T4, *T1),
        movements=Movements.concat([M1, M4, M2]),
        basis=store.revision(),
    )
    assert store.append(rerun) == 2
    assert store.entries() == (*T1, *T2, *T4)
    assert store.statements() == (KOL1_OCT, SHOP9_NOV)
    assert store.movements() == Movements.concat([M1, M2, M4])
    assert store.movements()["txn_id"].tolist() == [T1[0].txn_id] * 2 + [T2[0].txn_id] * 2 + [
        T4[0].txn_id
    ]
    assert store.revision() == 2


def test_a_changed_locked_statement_is_refused_and_nothing_is_written(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    before = snapshot(store)
    changed = KOL1_OCT.model_copy(
        update={"paid": Money("12.34", "USD"), "withheld": Money("0.00", "USD")}
    )
    late = Settlement(statements=(SHOP9_NOV, changed), entries=tuple(T4), movements=M4, basis=1)
    with pytest.raises(
        SettlementError,
        match=r"statement 'kol-1\|2026-10\|USD' is locked and differs .*"
        r"withheld: 1.23 USD -> 0.00 USD; paid: 11.11 USD -> 12.34 USD",
    ):
        store.append(late)
    assert snapshot(store) == before
    assert T4[0].entry_id not in store.entry_ids()
    assert store.last_statement("shop-9", "KWD") == SHOP9_OCT
    # Nothing new but a changed statement: refused all the same.
    with pytest.raises(SettlementError, match=r"'kol-1\|2026-10\|USD' is locked and differs"):
        store.append(Settlement(statements=(changed,), entries=tuple(T1), basis=0))
    assert snapshot(store) == before


def test_the_same_statement_id_twice_with_different_content_is_refused(store: Store) -> None:
    twice = Settlement(
        statements=(KOL1_OCT, KOL1_OCT.model_copy(update={"commissions": 2})),
        entries=tuple(T1),
    )
    with pytest.raises(SettlementError, match=r"'kol-1\|2026-10\|USD' appears twice .*commissions"):
        store.append(twice)
    assert snapshot(store) == EMPTY


def test_an_unbalanced_settlement_is_refused_and_nothing_is_written(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    before = snapshot(store)
    short = T4[1].model_copy(update={"amount": Money("-2.749", "KWD")})
    bad = Settlement(statements=(SHOP9_NOV,), entries=(*T3, T4[0], short), basis=1)
    with pytest.raises(
        SettlementError,
        match=r"1 transaction\(s\) do not balance: clawback\|shop-9\|KWD\|2026-11\|1",
    ):
        store.append(bad)
    assert snapshot(store) == before
    assert store.statements(partner_id="shop-9") == (SHOP9_OCT,)


def test_amounts_finer_than_the_minor_unit_are_refused(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    legs = (
        leg("t", 0, "adjustment", "expense", "0.125", "USD", partner_id=None, ts=ts),
        leg("t", 1, "adjustment", "payable:kol-1", "-0.125", "USD", partner_id="kol-1", ts=ts),
    )
    with pytest.raises(SettlementError, match=r"'t/0' has amount 0.125 USD, finer than"):
        store.append(Settlement(statements=(), entries=legs))
    assert snapshot(store) == EMPTY


def test_amounts_beyond_64_bit_minor_units_are_refused(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    huge = Money.from_minor(10**19, "USD")
    legs = (
        leg("t", 0, "adjustment", "expense", str(huge.amount), "USD", partner_id=None, ts=ts),
        leg("t", 1, "adjustment", "cash", str(-huge.amount), "USD", partner_id=None, ts=ts),
    )
    with pytest.raises(MoneyOverflow, match=r"'t/0' has amount 100000000000000000.00 USD"):
        store.append(Settlement(statements=(), entries=legs))
    assert snapshot(store) == EMPTY


@pytest.mark.parametrize("given", ["not a settlement", None, OCT_RUN.model_dump(), [OCT_RUN]])
def test_append_takes_a_settlement(store: Store, given: Any) -> None:
    with pytest.raises(TypeError, match=r"settlement must be a Settlement, got "):
        store.append(given)
    assert snapshot(store) == EMPTY


# -- movements that do not match their entries ----------------------------------------------


def test_movements_that_do_not_add_up_to_the_first_leg_are_refused(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    before = snapshot(store)
    short = moves(T4, [("o4", "1", 2000), ("o5", "1", 749)], reversal_id="r1")
    bad = Settlement(statements=(SHOP9_NOV,), entries=tuple(T4), movements=short, basis=1)
    with pytest.raises(
        SettlementError,
        match=r"^movements of 1 transaction\(s\) do not add up to the first leg of their "
        r"transaction: 'clawback\|shop-9\|KWD\|2026-11\|1' \(movements 2.749 KWD, first leg "
        r"2.750 KWD\)$",
    ):
        store.append(bad)
    assert snapshot(store) == before


def test_the_movements_of_every_transaction_are_checked_not_only_new_ones(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    before = snapshot(store)
    # T1 is stored already, but its movements in this settlement disagree with its entries.
    wrong = moves(T1, [("o1", "1", 1000)])
    bad = Settlement(
        statements=(SHOP9_NOV,),
        entries=(*T1, *T4),
        movements=Movements.concat([wrong, M4]),
        basis=1,
    )
    with pytest.raises(
        SettlementError,
        match=r"'accrual\|kol-1\|USD\|2026-10\|1' \(movements 10.00 USD, first leg 12.34 USD\)",
    ):
        store.append(bad)
    assert snapshot(store) == before


def test_movements_in_another_currency_than_their_transaction_are_refused(store: Store) -> None:
    euros = Movements(
        {name: ["EUR"] if name == "currency" else M4[name] for name in Movements.COLUMNS}
    )
    bad = Settlement(statements=(), entries=tuple(T4), movements=euros)
    with pytest.raises(
        SettlementError,
        match=r"^movements of 1 transaction\(s\) in another currency than the transaction: "
        r"'clawback\|shop-9\|KWD\|2026-11\|1' \(in KWD\)$",
    ):
        store.append(bad)
    assert snapshot(store) == EMPTY


def test_movements_of_a_transaction_not_in_the_settlement_are_refused(store: Store) -> None:
    # M4's transaction is not among the entries: the movements belong to nothing.
    bad = Settlement(statements=(), entries=tuple(T1), movements=Movements.concat([M1, M4]))
    with pytest.raises(
        SettlementError,
        match=r"^movements of 1 transaction\(s\) without entries in the settlement: "
        r"'clawback\|shop-9\|KWD\|2026-11\|1'$",
    ):
        store.append(bad)
    assert snapshot(store) == EMPTY


def test_movements_of_a_transaction_without_a_first_leg_are_refused(store: Store) -> None:
    legs = tuple(e.model_copy(update={"entry_id": f"{e.txn_id}/{n + 1}"}) for n, e in enumerate(T1))
    bad = Settlement(statements=(), entries=legs, movements=M1)
    with pytest.raises(
        SettlementError,
        match=r"^movements of 1 transaction\(s\) without a first leg \('<txn_id>/0'\) in the "
        r"settlement: 'accrual\|kol-1\|USD\|2026-10\|1'$",
    ):
        store.append(bad)
    assert snapshot(store) == EMPTY


def test_sqlite_refuses_movement_text_it_cannot_keep(tmp_path: Path) -> None:
    # Text with NUL never comes out of `settle` (ids refuse it); a hand-built table may hold it.
    nul = moves(T1, [("o1\x00", "1", 1000), ("o2", None, 234)])
    with SQLiteStore(tmp_path / "ledger.db") as store:
        with pytest.raises(
            SettlementError,
            match=r"column 'order_id' holds 'o1\\x00': text must not contain the NUL",
        ):
            store.append(Settlement(statements=(), entries=tuple(T1), movements=nul))
        assert snapshot(store) == EMPTY


# -- queries --------------------------------------------------------------------------------


def test_balances_are_exact_and_include_zero_balances(store: Store) -> None:
    assert store.balances() == {}
    store.append(based(store, OCT_RUN))
    store.append(based(store, NOV_RUN))
    balances = store.balances()
    assert balances == BALANCES
    assert list(balances) == sorted(BALANCES)
    assert balances["payable:kol-1", "USD"].minor == 0
    assert balances["expense", "KWD"].minor == 7255
    # Double entry: every currency adds up to zero over all accounts.
    for code in ("USD", "JPY", "KWD"):
        assert sum(v.minor for (_, c), v in balances.items() if c == code) == 0


def test_filters_by_partner_and_period(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    store.append(based(store, NOV_RUN))
    assert store.entries(partner_id="kol-1") == (T1[1], *T2, *T6[:2])
    assert store.entries(period="2026-11") == tuple(T4)
    assert store.entries(partner_id="shop-9", period="2026-10") == (T5[1],)
    assert store.entries(partner_id="shop-9", period="2026-11") == (T4[0],)
    assert store.entries(partner_id="kol-2", period="2026-11") == ()
    assert store.entries(partner_id="nobody") == ()
    assert len(store.entries(period="2026-10")) == 11
    assert store.statements(partner_id="shop-9") == (SHOP9_OCT, SHOP9_NOV)
    assert store.statements(partner_id="kol-2") == (KOL2_OCT,)
    assert store.statements(partner_id="nobody") == ()


def test_movements_are_filtered_by_partner_and_period(store: Store) -> None:
    store.append(based(store, OCT_RUN))
    store.append(based(store, NOV_RUN))
    assert store.movements(partner_id="kol-1") == Movements.concat([M1, M2])
    assert store.movements(partner_id="shop-9") == Movements.concat([M5, M4])
    assert store.movements(period="2026-11") == M4
    assert store.movements(partner_id="shop-9", period="2026-10") == M5
    assert store.movements(partner_id="shop-9", period="2026-10")["amount"].tolist() == [
        7005,
        3000,
    ]
    assert store.movements(period="2026-10") == OCT_MOVEMENTS
    assert len(store.movements(partner_id="kol-2", period="2026-11")) == 0
    assert len(store.movements(partner_id="nobody")) == 0
    assert store.movements(partner_id="nobody").columns == Movements.COLUMNS


def test_last_statement_is_the_latest_by_period_end(store: Store) -> None:
    assert store.last_statement("shop-9", "KWD") is None
    store.append(based(store, NOV_RUN))  # appended before October, still the latest
    store.append(based(store, OCT_RUN))
    assert store.last_statement("shop-9", "KWD") == SHOP9_NOV
    assert store.last_statement("kol-1", "USD") == KOL1_OCT
    assert store.last_statement("kol-1", "JPY") is None
    assert store.last_statement("nobody", "USD") is None


def test_last_statement_among_equal_period_ends_is_the_last_appended(store: Store) -> None:
    second_half = Period.custom(datetime(2026, 10, 16, tzinfo=SHANGHAI), OCTOBER.end, tz=SHANGHAI)
    late = statement("kol-1", second_half, "USD", reason="second half")
    store.append(Settlement(statements=(KOL1_OCT,), entries=(), basis=0))
    store.append(Settlement(statements=(late,), entries=(), basis=1))
    assert store.last_statement("kol-1", "USD") == late


# -- SQLite specifics -----------------------------------------------------------------------


def test_reopening_a_file_gives_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as first:
        first.append(based(first, OCT_RUN))
        first.append(based(first, NOV_RUN))
        before = snapshot(first)
    with SQLiteStore(str(path)) as again:
        assert snapshot(again) == before
        assert again.balances() == BALANCES
        assert again.movements() == Movements.concat([M1, M2, M3, M5, M4])
        assert again.movements(partner_id="kol-2")["order_id"].tolist() == ["注文-3"]
        assert again.revision() == 2
        assert again.last_statement("shop-9", "KWD") == SHOP9_NOV
        assert again.append(OCT_RUN) == 0
        assert repr(again) == f"SQLiteStore({str(path)!r})"
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()


def test_money_is_stored_exactly_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(based(store, OCT_RUN))
        store.append(Settlement(statements=(SHOP9_NOV,), entries=(), basis=1))
    check = sqlite3.connect(path)
    try:
        rows = check.execute(
            "SELECT amount, currency, amount_minor FROM entries WHERE entry_id = ?",
            ("accrual|shop-9|KWD|2026-10|1/1",),
        ).fetchall()
        totals = check.execute(
            "SELECT currency, SUM(amount_minor) FROM entries GROUP BY 1 ORDER BY 1"
        ).fetchall()
        columns = {row[1] for row in check.execute("PRAGMA table_info(statements)")}
        revisions = check.execute(
            "SELECT revision, movements, substr(data, 1, 7) FROM revisions ORDER BY 1"
        ).fetchall()
    finally:
        check.close()
    assert rows == [("-10.005", "KWD", -10005)]
    assert totals == [("JPY", 0), ("KWD", 0), ("USD", 0)]
    assert set(Statement.model_fields) <= columns
    # One row per revision: the second wrote a statement and no movements.
    assert revisions == [(1, 7, b"ALMOVES"), (2, 0, b"ALMOVES")]


def test_damaged_movements_in_the_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(based(store, OCT_RUN))
    data = encode(OCT_MOVEMENTS)
    edit = sqlite3.connect(path)
    with edit:
        flipped = data[:-1] + bytes([data[-1] ^ 1])
        edit.execute("UPDATE revisions SET data = ?", (flipped,))
    with SQLiteStore(path) as store:
        with pytest.raises(SettlementError, match=r"damaged: the checksum does not match"):
            store.movements()
        assert store.entries() == OCT_RUN.entries
    with edit:
        edit.execute("UPDATE revisions SET data = ?, movements = 6", (data,))
    edit.close()
    with (
        SQLiteStore(path) as store,
        pytest.raises(SettlementError, match=r"revision 1 holds 7 movements, not the 6"),
    ):
        store.movements()


def test_movements_beyond_what_sqlite_keeps_in_a_row_are_refused(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "ledger.db") as store:
        size = len(encode(OCT_MOVEMENTS))
        store._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, size + 1_000)
        with pytest.raises(
            SettlementError,
            match=rf"the 7 movements of the settlement take {size:,} bytes, more than SQLite "
            rf"keeps in one row \({size + 1_000:,}\); settle fewer commission lines at a time",
        ):
            store.append(OCT_RUN)
        assert snapshot(store) == EMPTY
        store._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, size + 1_024)
        assert store.append(OCT_RUN) == 11


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are notes, not a database" * 100)
    with pytest.raises(SettlementError, match=r"notes.db' cannot be opened as a ledger"):
        SQLiteStore(path)


def test_a_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettlementError, match=r"cannot be opened as a ledger: unable to open"):
        SQLiteStore(tmp_path / "missing" / "ledger.db")


@pytest.mark.parametrize("version", [1, 7])
def test_another_table_layout_is_refused(tmp_path: Path, version: int) -> None:
    path = tmp_path / "ledger.db"
    SQLiteStore(path).close()
    check = sqlite3.connect(path)
    check.execute(f"PRAGMA user_version = {version}")
    check.close()
    with pytest.raises(
        SettlementError,
        match=rf"holds a ledger in table layout version {version}; this version of alliance "
        r"reads version 2$",
    ):
        SQLiteStore(path)


CRASH = textwrap.dedent(
    """
    import json, os, signal, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from alliance import Money, to_micros
    from alliance.settlement import Entry, Settlement, SQLiteStore, Statement
    from alliance.settlement._ledger import Movements
    from alliance.settlement._segments import decode

    path, first, moved = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    kill_at = int(sys.argv[4])

    class DyingStore(SQLiteStore):
        armed = False
        rows = 0

        def _entry_row(self, entry, minor):
            if self.armed:
                self.rows += 1
                if self.rows == kill_at:
                    print(self.rows - 1, "rows inserted", flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)
            return super()._entry_row(entry, minor)

    store = DyingStore(path)
    records = json.loads(first.read_text())
    store.append(  # committed
        Settlement(
            statements=tuple(Statement.model_validate(s) for s in records["statements"]),
            entries=tuple(Entry.model_validate(e) for e in records["entries"]),
            movements=decode(moved.read_bytes()),
        )
    )

    ts = datetime(2026, 10, 31, tzinfo=UTC)
    legs, lines = [], []
    for n in range(10_000):
        amount = Money.from_minor(3 * n + 3, "USD")
        base = dict(txn_id=f"big|{n}", kind="accrual", partner_id=f"kol-{n % 7}",
                    ts=ts + timedelta(seconds=n), period="2026-10", source="big")
        legs.append(Entry(entry_id=f"big|{n}/0", account="expense", amount=amount, **base))
        legs.append(Entry(entry_id=f"big|{n}/1", account=f"pending:kol-{n % 7}",
                          amount=-amount, **base))
        lines += [(f"big|{n}", f"o{n}", str(line), f"kol-{n % 7}", n + 1) for line in (1, 2, 3)]
    txns, orders, line_ids, partners, amounts = zip(*lines)
    count = len(lines)
    movements = Movements({
        "txn_id": txns, "kind": ["accrual"] * count, "source": ["sale"] * count,
        "order_id": orders, "line_id": line_ids, "partner_id": partners,
        "contract_id": ["std"] * count, "version": [1] * count, "currency": ["USD"] * count,
        "amount": amounts, "ts": [to_micros(ts)] * count, "period": ["2026-10"] * count,
        "reversal_id": [None] * count, "rejected": [False] * count,
    })
    store.armed = True
    store.append(
        Settlement(statements=(), entries=tuple(legs), movements=movements, basis=store.revision())
    )
    print("the append finished", flush=True)
    """
)


@pytest.mark.parametrize("kill_at", [1, 15_000, 20_000])
def test_a_crash_mid_append_leaves_the_file_as_it_was(tmp_path: Path, kill_at: int) -> None:
    path = tmp_path / "ledger.db"
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps(
            {
                "statements": [s.model_dump(mode="json") for s in OCT_RUN.statements],
                "entries": [e.model_dump(mode="json") for e in OCT_RUN.entries],
            }
        )
    )
    moved = tmp_path / "first.movements"
    moved.write_bytes(encode(OCT_RUN.movements))
    expected = MemoryStore()
    expected.append(OCT_RUN)

    child = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), str(first), str(moved), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout == f"{kill_at - 1} rows inserted\n"
    with SQLiteStore(path) as reopened:
        assert snapshot(reopened) == snapshot(expected)
        assert reopened.revision() == 1
        assert reopened.movements() == OCT_MOVEMENTS
        assert reopened.entries(period="2026-10") == OCT_RUN.entries
        assert not any(entry_id.startswith("big|") for entry_id in reopened.entry_ids())
        assert reopened.append(based(reopened, NOV_RUN)) == 2  # the file is still writable
        assert reopened.revision() == 2
        assert reopened.movements() == Movements.concat([OCT_MOVEMENTS, M4])


# -- property: both stores agree with each other and with a plain model -------------------

CODES = ("USD", "JPY", "KWD")
ACCOUNTS = ("expense", "cash", "pending:kol-1", "payable:kol-1", "payable:kol-2", "fx:EUR")


@st.composite
def transactions(draw: st.DrawFn, number: int) -> tuple[list[Entry], Movements]:
    """A balanced transaction and its movements: lines that add up to its first leg."""
    code = draw(st.sampled_from(CODES))
    names = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=4, unique=True))
    amounts = draw(
        st.lists(st.integers(-(10**12), 10**12), min_size=len(names) - 1, max_size=len(names) - 1)
    )
    amounts.append(-sum(amounts))
    ts = draw(st.datetimes(timezones=st.sampled_from([UTC, SHANGHAI, KOLKATA, SAO_PAULO])))
    partner_id = draw(st.sampled_from(["kol-1", "kol-2", None]))
    period = draw(st.sampled_from(["2026-10", "2026-11"]))
    txn_id = f"t{number}"
    entries = [
        Entry(
            entry_id=f"{txn_id}/{leg_number}",
            txn_id=txn_id,
            kind="adjustment",
            account=name,
            partner_id=partner_id,
            amount=Money.from_minor(minor, code),
            ts=ts,
            period=period,
            source=txn_id,
        )
        for leg_number, (name, minor) in enumerate(zip(names, amounts, strict=True))
    ]
    parts = draw(st.lists(st.integers(-(10**9), 10**9), max_size=3))
    parts.append(amounts[0] - sum(parts))
    lines = [
        (f"o{number}-{n}", draw(st.sampled_from([None, "1", "é"])), p) for n, p in enumerate(parts)
    ]
    return entries, moves(entries, lines, partner_id=partner_id or "programme")


@given(st.data())
def test_any_order_with_repeats_gives_the_same_ledger_in_both_stores(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 8), label="transactions")
    pool = [data.draw(transactions(n)) for n in range(count)]
    chosen = data.draw(
        st.lists(st.sets(st.integers(0, count - 1), min_size=1), min_size=1, max_size=4),
        label="settlements",
    )

    def run(k: int, basis: int) -> Settlement:
        txns = sorted(chosen[k])
        return Settlement(
            statements=(statement(f"kol-{k}", OCTOBER, "USD", reason=f"run {k}"),),
            entries=tuple(e for t in txns for e in pool[t][0]),
            movements=Movements.concat(pool[t][1] for t in txns),
            basis=basis,
        )

    order = data.draw(
        st.lists(st.integers(0, len(chosen) - 1), min_size=1, max_size=10), label="order"
    )

    appended = set().union(*(chosen[k] for k in order))
    expected_entries = {e for t in appended for e in pool[t][0]}
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    for e in expected_entries:
        totals[e.account, e.amount.currency] += e.amount.minor
    expected_balances = {key: Money.from_minor(minor, key[1]) for key, minor in totals.items()}
    # The movements of each transaction, once, with the first append that brings it.
    written: list[int] = []
    for k in order:
        written += [t for t in sorted(chosen[k]) if t not in written]
    expected_movements = Movements.concat(pool[t][1] for t in written)

    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "l.db") as sqlite_:
        for k in order:
            assert memory.revision() == sqlite_.revision()
            assert memory.append(run(k, memory.revision())) == sqlite_.append(
                run(k, sqlite_.revision())
            )
        assert sqlite_.entries() == memory.entries()
        assert [e.model_dump_json() for e in sqlite_.entries()] == [
            e.model_dump_json() for e in memory.entries()
        ]
        assert sqlite_.statements() == memory.statements()
        assert sqlite_.balances() == memory.balances() == expected_balances
        assert sqlite_.entry_ids() == memory.entry_ids()
        assert sqlite_.movements() == memory.movements() == expected_movements
        assert sqlite_.revision() == memory.revision() == len(set(order))
        # Every settlement again, computed from revision 0: nothing new, nothing refused.
        for k in order:
            assert memory.append(run(k, 0)) == sqlite_.append(run(k, 0)) == 0
        assert sqlite_.revision() == memory.revision() == len(set(order))
    assert set(memory.entries()) == expected_entries
    assert len(memory.statements()) == len(set(order))

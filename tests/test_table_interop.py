"""Round trips through every format a table can be written to and read back from."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alliance as al

CURRENCIES = ["USD", "JPY", "KWD", "EUR", "CNY"]
ID_CHARS = st.characters(categories=["L", "N", "P", "S"], exclude_characters=" \u3000")
TEXT = st.text(ID_CHARS, min_size=1, max_size=6)

instants = st.builds(
    lambda micros, minutes: (
        datetime(1990, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    ).astimezone(timezone(timedelta(minutes=minutes))),
    st.integers(min_value=0, max_value=60 * 365 * 86_400 * 10**6),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)


@st.composite
def order_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few valid order records, some optional cells left out or empty."""
    ids = draw(st.lists(TEXT, max_size=8, unique_by=str.strip))
    rows = []
    for order_id in ids:
        currency = draw(st.sampled_from(CURRENCIES))
        exponent = al.currency(currency).exponent
        minor = draw(st.integers(min_value=0, max_value=10**12))
        row: dict[str, Any] = {
            "order_id": order_id,
            "ts": draw(instants),
            "amount": Decimal(minor).scaleb(-exponent),
            "currency": currency,
            "partner_id": draw(st.none() | st.sampled_from(["p1", "p2", "kol-九"])),
            "coupon_code": draw(st.none() | TEXT),
            "is_new_customer": draw(st.none() | st.booleans()),
            "country": draw(st.none() | st.sampled_from(["CN", "US", "BR"])),
        }
        if draw(st.booleans()):
            tax = draw(st.integers(min_value=0, max_value=minor))
            row["tax"] = Decimal(tax).scaleb(-exponent)
        rows.append(row)
    return rows


def _write_csv(table: al.Table, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        for record in table.to_records():
            cells = []
            for value in record.values():
                if value is None:
                    cells.append("")
                elif isinstance(value, datetime):
                    cells.append(value.isoformat())
                elif isinstance(value, bool):
                    cells.append("true" if value else "false")
                else:
                    cells.append(str(value))
            writer.writerow(cells)


# Example counts come from the hypothesis profile (tests/conftest.py: dev 30, ci 100).
ROUND_TRIP = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(order_records())
def test_dataframe_round_trips(rows: list[dict[str, Any]]) -> None:
    orders = al.Orders.from_records(rows)
    expected = orders.to_records()
    assert len(orders) == len(rows)
    assert al.Orders.from_frame(orders.to_pandas()).to_records() == expected
    assert al.Orders.from_frame(orders.to_polars()).to_records() == expected
    assert al.Orders.from_frame(orders.to_arrow()).to_records() == expected
    assert al.Orders.from_records(expected).to_records() == expected


@ROUND_TRIP
@given(order_records())
def test_file_round_trips(rows: list[dict[str, Any]]) -> None:
    orders = al.Orders.from_records(rows)
    expected = orders.to_records()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "orders.csv"
        _write_csv(orders, csv_path)
        assert al.Orders.read_csv(csv_path).to_records() == expected
        parquet_path = Path(folder) / "orders.parquet"
        pq.write_table(orders.to_arrow(), parquet_path)
        assert al.Orders.read_parquet(parquet_path).to_records() == expected


@ROUND_TRIP
@given(order_records())
def test_records_keep_the_input_values(rows: list[dict[str, Any]]) -> None:
    records = al.Orders.from_records(rows).to_records()
    for row, record in zip(rows, records, strict=True):
        assert record["order_id"] == row["order_id"].strip()
        assert record["amount"] == row["amount"]
        assert record["ts"] == row["ts"]
        assert record["tax"] == row.get("tax")
        assert record["is_new_customer"] == row["is_new_customer"]
        assert record["coupon_code"] == row["coupon_code"]


def test_extra_columns_survive_the_round_trips() -> None:
    rows = [
        {
            "order_id": "o1",
            "ts": "2026-10-01T00:00:00Z",
            "amount": "3.00",
            "currency": "USD",
            "channel": "app",
        },
        {
            "order_id": "o2",
            "ts": "2026-10-01T00:00:00Z",
            "amount": "4",
            "currency": "JPY",
            "channel": "web",
        },
    ]
    orders = al.Orders.from_records(rows)
    for frame in (orders.to_pandas(), orders.to_polars(), orders.to_arrow()):
        again = al.Orders.from_frame(frame)
        assert again["channel"].tolist() == ["app", "web"]
        assert again.to_records() == orders.to_records()


def test_partner_tables_round_trip() -> None:
    rows = [
        {
            "partner_id": "p1",
            "kind": "kol",
            "audience_size": 50_000,
            "engagement_rate": 0.05,
            "categories": ["beauty"],
            "joined_at": "2026-01-01T00:00:00+08:00",
        },
        {"partner_id": "p2", "parent_id": "p1", "categories": []},
    ]
    partners = al.Partners.from_records(rows)
    expected = partners.to_records()
    for frame in (partners.to_pandas(), partners.to_polars(), partners.to_arrow()):
        assert al.Partners.from_frame(frame).to_records() == expected
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "partners.parquet"
        pq.write_table(partners.to_arrow(), path)
        assert al.Partners.read_parquet(path).to_records() == expected


def test_import_alliance_stays_light() -> None:
    code = (
        "import sys, alliance\n"
        "heavy = ['pandas', 'polars', 'pyarrow', 'scipy', 'matplotlib', 'narwhals']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""

"""`kpi.summary` over 10M orders by partner and month, beside pandas and polars group-bys.

One benchmark on synthetic data (fixed seed): 10M orders in one currency (USD) of 5,000
partners of very uneven size, placed over 2026 in UTC, a tenth of them by new customers. Each
variant computes, per partner and calendar month in Asia/Shanghai: orders, revenue (exact
minor units), average order value and new-customer share.

* **alliance kpi.summary**: ``summary(orders=..., by=["partner_id", "month"], tz=...)``
  on an `al.Orders` table (built once with `Orders.from_arrays`, outside the time). It computes
  every column of `kpi.METRICS` that orders alone define.
* **baseline, pandas**: the DataFrame a user would hold (partner as a categorical, time as
  ``datetime64[us, UTC]``, amount in minor units, the new-customer flag), converted to the
  time zone, a month column from ``dt.to_period("M")``, then one
  ``groupby([...], observed=True).agg(...)``.
* **baseline, polars**: the same frame in polars, ``convert_time_zone``, ``dt.truncate("1mo")``
  and ``group_by(...).agg(...)``.

Every variant's groups, order counts and revenue are checked equal outside the time. The
target is alliance within 1.5 times polars.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import numpy as np

import alliance as al
from alliance import kpi
from benchmarks._harness import Mismatch, Result, measure

__all__ = ["run"]

ORDERS = 10_000_000
PARTNERS = 5_000
SEED = 20_261_203
REPEATS = 3
TZ = "Asia/Shanghai"
TARGET_RATIO = 1.5
START_US = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
SPAN_US = 365 * 86_400 * 1_000_000


def progress(step: str) -> None:
    print(f"  kpi summary: {step}", file=sys.stderr, flush=True)


def make_orders(count: int) -> tuple[al.Orders, dict[str, Any]]:
    rng = np.random.default_rng(SEED)
    popularity = rng.lognormal(0.0, 1.5, PARTNERS)
    partner = rng.choice(PARTNERS, size=count, p=popularity / popularity.sum()).astype(np.int64)
    ts = np.sort(START_US + rng.integers(0, SPAN_US, count, dtype=np.int64))
    amount = np.maximum(np.rint(4_000 * rng.lognormal(0.0, 0.9, count)), 1).astype(np.int64)
    new = rng.random(count) < 0.1
    names = [f"p{number:04d}" for number in range(PARTNERS)]
    orders = al.Orders.from_arrays(
        {
            "order_id": (np.arange(count, dtype=np.int64), [f"o{i}" for i in range(count)]),
            "ts": ts,
            "amount_minor": amount,
            "currency": (np.zeros(count, dtype=np.int64), ["USD"]),
            "partner_id": (partner, names),
            "is_new_customer": new,
        }
    )
    raw = {"partner": partner, "names": names, "ts": ts, "amount": amount, "new": new}
    return orders, raw


def pandas_frame(raw: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "partner_id": pd.Categorical.from_codes(raw["partner"], raw["names"]),
            "ts": pd.to_datetime(raw["ts"], unit="us", utc=True),
            "amount": raw["amount"],
            "new": raw["new"],
        }
    )


def pandas_summary(frame: Any) -> Any:
    month = frame["ts"].dt.tz_convert(TZ).dt.tz_localize(None).dt.to_period("M")
    grouped = frame.assign(month=month).groupby(["partner_id", "month"], observed=True)
    out = grouped.agg(orders=("amount", "size"), revenue=("amount", "sum"), new=("new", "sum"))
    out["aov"] = (out["revenue"] / out["orders"]).round()
    out["new_customer_share"] = out["new"] / out["orders"]
    return out


def polars_frame(raw: dict[str, Any]) -> Any:
    import polars as pl

    return pl.DataFrame(
        {
            "partner_id": pl.Series(np.asarray(raw["names"], dtype=object)[raw["partner"]]).cast(
                pl.Categorical
            ),
            "ts": pl.Series(raw["ts"]).cast(pl.Datetime("us", "UTC")),
            "amount": raw["amount"],
            "new": raw["new"],
        }
    )


def polars_summary(frame: Any) -> Any:
    import polars as pl

    month = pl.col("ts").dt.convert_time_zone(TZ).dt.truncate("1mo").alias("month")
    return (
        frame.with_columns(month)
        .group_by(["partner_id", "month"])
        .agg(
            pl.len().alias("orders"),
            pl.col("amount").sum().alias("revenue"),
            pl.col("new").sum().alias("new"),
        )
        .with_columns(
            (pl.col("revenue") / pl.col("orders")).round().alias("aov"),
            (pl.col("new") / pl.col("orders")).alias("new_customer_share"),
        )
    )


def check(result: kpi.Summary, pandas_out: Any, polars_out: Any) -> str:
    mine = sorted(
        zip(
            result["partner_id"].tolist(),
            result["month"].tolist(),
            result["orders"].tolist(),
            result["revenue"].tolist(),
            strict=True,
        )
    )
    theirs = sorted(
        (str(p), str(m), int(n), int(r))
        for (p, m), n, r in zip(
            pandas_out.index, pandas_out["orders"], pandas_out["revenue"], strict=True
        )
    )
    if mine != theirs:
        raise Mismatch("alliance and pandas disagree on orders or revenue per partner and month")
    columns = polars_out.select(["partner_id", "month", "orders", "revenue"])
    polars_rows = sorted(
        (str(p), m.strftime("%Y-%m"), int(n), int(r)) for p, m, n, r in columns.iter_rows()
    )
    if mine != polars_rows:
        raise Mismatch("alliance and polars disagree on orders or revenue per partner and month")
    return f"the same {len(mine):,} groups, orders and revenue in all three"


def run(scale: float) -> list[Result]:
    """The benchmark at ``scale`` times 10M orders."""
    count = max(10_000, round(ORDERS * scale))
    progress(f"building {count:,} orders")
    orders, raw = make_orders(count)
    name = f"summary by partner x month, {count:,} orders, {PARTNERS:,} partners"
    progress("alliance")
    subject = measure(
        lambda: kpi.summary(orders=orders, by=["partner_id", "month"], tz=TZ, min_clicks=0),
        REPEATS,
    )
    progress("pandas")
    pandas_in = pandas_frame(raw)
    with_pandas = measure(lambda: pandas_summary(pandas_in), REPEATS)
    progress("polars")
    polars_in = polars_frame(raw)
    with_polars = measure(lambda: polars_summary(polars_in), REPEATS)
    agreed = check(subject.value, with_pandas.value, with_polars.value)
    ratio = subject.seconds / with_polars.seconds
    verdict = "MET" if ratio <= TARGET_RATIO else "MISSED"
    if count != ORDERS:
        verdict = f"{verdict.lower()} at this size (indicative only)"
    return [
        Result.timed(
            name,
            "alliance kpi.summary",
            subject,
            rows=count,
            baseline=False,
            note=(
                f"target <= {TARGET_RATIO:g}x polars: {verdict} ({ratio:.2f}x polars); "
                f"{len(subject.value):,} groups, every orders-only metric; {agreed}"
            ),
        ),
        Result.timed(
            name,
            "pandas groupby (categorical partner, tz month)",
            with_pandas,
            rows=count,
            baseline=True,
        ),
        Result.timed(
            name,
            "polars group_by (categorical partner, tz month)",
            with_polars,
            rows=count,
            baseline=True,
        ),
    ]

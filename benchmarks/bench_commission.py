"""Exact commission over millions of orders and lines, and for one order, beside baselines.

Three benchmarks on synthetic but realistic data (fixed seed): 2,000 partners of very uneven
size, orders spread over three calendar months in Asia/Shanghai (July to September 2026),
lognormal order values in USD, and one programme-default contract.

* **tiers, 1M orders**: monthly *marginal* revenue tiers per partner (0: 5 %, 1,000: 7 %,
  10,000: 10 %), no lines, with `commission.compute`. Baselines: the vectorised pandas a user
  writes by hand (sort by time and order id, cumulative revenue per partner and month, clip
  each order's slice to each tier, multiply, round half to even, all in integer cents and
  hundredths of a cent so it is exact; it must equal alliance on every row) and a per-order
  `Decimal` loop (the naive exact way, timed on the earliest orders and extrapolated; it must
  equal alliance on them). Target: alliance at most 1.0x the pandas time.
* **tiers + category + cap, 10M lines**: about 2.5M orders of 1 to 8 lines; electronics lines
  earn the marginal tiers above (volume counts every line), other lines 8 %, and each order's
  commission is capped at 20 USD, which about 5 % of orders reach (the capped total is spread
  back over the lines by largest remainder; the order is rounded once and split over its lines
  by largest remainder, as the engine does). Baseline: a hand-written numpy kernel for exactly
  this plan and data layout (the practical limit); it must equal alliance on every line.
  Targets: alliance within 2 s and within 2x the kernel.
* **evaluate, one order**: `commission.evaluate` called once per order, in time order, with
  the state carried from call to call, beside a plain Python `Decimal` function computing the
  same marginal tiers for one order with a dictionary of month-to-date volumes. Each call is
  timed on its own and the median is reported (the ``median s`` column is that median times
  the number of calls). A second alliance row starts from a state that already holds last
  month's volume of all 2,000 partners, as a long-running service's state would. Target: a
  median of at most 25 µs per call.

Inputs are built with ``from_arrays`` from numpy arrays outside the timed calls; the time that
takes is reported in rows of its own, which are not baselines.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from alliance import Order
from alliance import commission as cm
from alliance._money import Money
from alliance._tables import Lines, Orders
from benchmarks._harness import (
    Measurement,
    Mismatch,
    Result,
    check_equal,
    measure,
    subsample_size,
)

__all__ = ["run"]

Int64Array = npt.NDArray[np.int64]
IntpArray = npt.NDArray[np.intp]

ORDERS = 1_000_000
LINES = 10_000_000
EVALUATE_CALLS = 3_000
PARTNERS = 2_000
#: Partners in the evaluate benchmark: few, so that each one's volume crosses every tier.
EVALUATE_PARTNERS = 5
SEED = 20_261_002
TZ = "Asia/Shanghai"
ZONE = ZoneInfo(TZ)
CURRENCY = "USD"
MONTH_STARTS = tuple(datetime(2026, month, 1, tzinfo=ZONE) for month in (7, 8, 9, 10))
REPEATS = 3
LOOP_REPEATS = 3
#: Stop repeating a variant once its first run took this long (seconds).
SLOW_RUN = 30.0

#: (threshold in USD, rate): monthly revenue per partner, marginal.
TIERS = (("0", "5%"), ("1000", "7%"), ("10000", "10%"))
OTHER_RATE = "8%"
CAP_PER_ORDER = "20"
#: Hundredths of a cent: every rate above is a whole percent, so products stay whole.
SCALE = 100
TARGET_PANDAS_RATIO = 1.0
TARGET_LINES_SECONDS = 2.0
TARGET_KERNEL_RATIO = 2.0
TARGET_EVALUATE_US = 25.0

CATEGORIES = ("electronics", "apparel", "beauty", "home", "grocery")
CATEGORY_SHARES = (0.25, 0.25, 0.20, 0.20, 0.10)
ELECTRONICS = CATEGORIES.index("electronics")
#: Lines per order, 1 to 8, mean about 3.9: ten million lines are about 2.5M orders.
LINES_PER_ORDER = (0.16, 0.16, 0.15, 0.14, 0.13, 0.11, 0.08, 0.07)
WIDTH = len(LINES_PER_ORDER)
LINE_IDS = tuple(str(number) for number in range(1, WIDTH + 1))


def _us(instant: datetime) -> int:
    return (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


MONTH_STARTS_US = np.array([_us(start) for start in MONTH_STARTS], dtype=np.int64)
START_US = int(MONTH_STARTS_US[0])
SPAN_US = int(MONTH_STARTS_US[-1]) - START_US


def _percent_points(rate: str) -> int:
    """A whole-percent rate as scaled units per cent: ``"7%"`` is 7 hundredths of a cent."""
    points = Decimal(rate.rstrip("%"))
    if points != points.to_integral_value() or SCALE != 100:
        raise ValueError(f"the numpy baselines take whole-percent rates, got {rate}")
    return int(points)


#: Per tier: lower bound and upper bound in cents, and scaled units per cent.
TIER_TABLE = tuple(
    (
        int(Decimal(low) * 100),
        int(Decimal(TIERS[number + 1][0]) * 100) if number + 1 < len(TIERS) else 2**62,
        _percent_points(rate),
    )
    for number, (low, rate) in enumerate(TIERS)
)
OTHER_POINTS = _percent_points(OTHER_RATE)
CAP_SCALED = int(Decimal(CAP_PER_ORDER) * 100) * SCALE


def tier_plan() -> cm.Tiered:
    return cm.tiered(basis="revenue", period="month", mode="marginal", tiers=TIERS)


def lines_plan() -> cm.Cap:
    return cm.cap(
        cm.when(cm.case(tier_plan(), category=["electronics"]), otherwise=cm.percent(OTHER_RATE)),
        per_order=Money(CAP_PER_ORDER, CURRENCY),
    )


def book_of(plan: Any) -> cm.ContractBook:
    contract = cm.Contract(
        id="std",
        version=1,
        applies_to=cm.default(),
        currency=CURRENCY,
        timezone=TZ,
        plan=plan,
        effective_from=datetime(2026, 1, 1, tzinfo=ZONE),
    )
    return cm.ContractBook([contract])


def progress(benchmark: str, step: str) -> None:
    print(f"  {benchmark}: {step}", file=sys.stderr, flush=True)


def measure_patient(fn: Callable[[], Any], repeats: int) -> Measurement[Any]:
    """`measure`, but one run only when the first already took `SLOW_RUN` seconds."""
    first = measure(fn, 1)
    if first.seconds >= SLOW_RUN or repeats == 1:
        return first
    times = first.times
    del first  # free the first result before the next run builds its own
    rest = measure(fn, repeats - 1)
    return Measurement(times + rest.times, rest.value)


def timed_build(build: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = build()
    return value, time.perf_counter() - start


def build_row(benchmark: str, what: str, seconds: float, rows: int) -> Result:
    return Result(
        benchmark,
        f"(input: {what})",
        rows,
        seconds,
        1,
        rows,
        baseline=True,
        note="not a baseline: building the input, outside every other row's time",
    )


def verdict(met: bool, full_size: bool = True) -> str:
    """``MET`` or ``MISSED``; in lower case, and said to be indicative, below the target's size."""
    if full_size:
        return "MET" if met else "MISSED"
    return f"{'met' if met else 'missed'} at this size (indicative only)"


# -- data -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sales:
    """Orders in input order (not sorted by time); ids follow the row number."""

    order_ids: npt.NDArray[np.str_]
    ts: Int64Array
    partner: Int64Array  # codes into `partner_names`
    amount: Int64Array  # US cents
    partner_names: list[str]


def order_ids(count: int) -> npt.NDArray[np.str_]:
    """``o00000000``, ``o00000001``, …: sorting the ids sorts by row number."""
    return np.char.add("o", np.char.zfill(np.arange(count).astype(str), 8))


def make_sales(rng: np.random.Generator, count: int, partners: int, median_cents: int) -> Sales:
    # Very uneven partners: a few large ones, a long tail of small ones.
    popularity = rng.lognormal(0.0, 1.5, partners)
    partner = rng.choice(partners, size=count, p=popularity / popularity.sum()).astype(np.int64)
    ts = START_US + rng.integers(0, SPAN_US, count, dtype=np.int64)
    amount = np.maximum(np.rint(median_cents * rng.lognormal(0.0, 0.9, count)), 1)
    names = [f"p{number:04d}" for number in range(partners)]
    return Sales(order_ids(count), ts, partner, amount.astype(np.int64), names)


def orders_table(sales: Sales) -> Orders:
    size = sales.ts.size
    return Orders.from_arrays(
        {
            "order_id": sales.order_ids,
            "ts": sales.ts,
            "amount_minor": sales.amount,
            "currency": (np.zeros(size, dtype=np.int64), [CURRENCY]),
            "partner_id": (sales.partner, sales.partner_names),
        }
    )


def time_order(sales: Sales) -> IntpArray:
    """Rows in the engine's volume order: time, then order id (here: row number)."""
    return np.lexsort((np.arange(sales.ts.size), sales.ts))


def commission_of(table: cm.CommissionTable) -> tuple[Int64Array, npt.NDArray[Any]]:
    return table["commission"].astype(np.int64), table["order_id"]


def check_rows(what: str, expected: npt.NDArray[Any], actual: npt.NDArray[Any]) -> None:
    """Raise `Mismatch` unless alliance's rows are the expected ones, in the expected order."""
    if expected.shape != actual.shape:
        raise Mismatch(f"{what}: {actual.size:,} rows, expected {expected.size:,}")
    differ = np.flatnonzero(expected != actual)
    if differ.size:
        first = int(differ[0])
        raise Mismatch(
            f"{what}: {differ.size:,} rows differ, first at {first}: "
            f"expected {expected[first]!r}, got {actual[first]!r}"
        )


# -- 1. marginal tiers over orders ------------------------------------------------------------


def pandas_frame(sales: Sales) -> Any:
    """The orders as a user's DataFrame: string ids, aware timestamps, integer cents."""
    return pd.DataFrame(
        {
            "order_id": sales.order_ids,
            "ts": pd.to_datetime(sales.ts, unit="us", utc=True),
            "partner_id": np.array(sales.partner_names)[sales.partner],
            "amount_minor": sales.amount,
        }
    )


def pandas_tiers(frame: Any) -> Any:
    """What a careful pandas user writes: exact in integers, rounded half to even once."""
    df = frame.sort_values(["ts", "order_id"])
    local = df["ts"].dt.tz_convert(TZ)
    month = local.dt.year * 12 + local.dt.month
    amount = df["amount_minor"]
    after = amount.groupby([df["partner_id"], month], sort=False).cumsum()
    before = after - amount
    scaled = 0
    for low, high, points in TIER_TABLE:
        scaled = scaled + (np.minimum(after, high) - np.maximum(before, low)).clip(lower=0) * points
    quotient, remainder = np.divmod(scaled, SCALE)
    bump = (2 * remainder > SCALE) | ((2 * remainder == SCALE) & (quotient % 2 == 1))
    return quotient + bump.astype(np.int64)  # indexed by the input row, in time order


def decimal_tiers(records: Sequence[tuple[str, datetime, str, Decimal]]) -> Int64Array:
    """The naive exact way: sort, then one `Decimal` step per order with a volume dictionary."""
    tiers = [
        (Decimal(low), Decimal(TIERS[n + 1][0]) if n + 1 < len(TIERS) else None, rate)
        for n, (low, rate) in enumerate(TIERS)
    ]
    rates = [Decimal(rate.rstrip("%")) / 100 for _, _, rate in tiers]
    cent = Decimal("0.01")
    volume: dict[tuple[str, int, int], Decimal] = {}
    paid: list[int] = []
    for _, ts, partner, amount in sorted(records, key=lambda r: (r[1], r[0])):
        local = ts.astimezone(ZONE)
        key = (partner, local.year, local.month)
        before = volume.get(key, Decimal(0))
        after = before + amount
        volume[key] = after
        commission = Decimal(0)
        for (low, high, _), rate in zip(tiers, rates, strict=True):
            top = after if high is None else min(after, high)
            portion = top - max(before, low)
            if portion > 0:
                commission += portion * rate
        paid.append(int(commission.quantize(cent, rounding=ROUND_HALF_EVEN).scaleb(2)))
    return np.array(paid, dtype=np.int64)


def bench_tiers(rows: int, scale: float, rng: np.random.Generator) -> list[Result]:
    name = f"tiers marginal, {rows:,} orders"
    progress(name, "building inputs")
    sales = make_sales(rng, rows, PARTNERS, 4_600)
    orders, build_seconds = timed_build(lambda: orders_table(sales))
    book = book_of(tier_plan())
    in_time_order = time_order(sales)

    progress(name, "alliance")
    alliance_run = measure_patient(lambda: commission_of(cm.compute(orders, book)), REPEATS)
    exact, ids = alliance_run.value
    check_rows(
        "alliance compute: rows in (ts, order id) order", sales.order_ids[in_time_order], ids
    )

    progress(name, "pandas")
    frame = pandas_frame(sales)
    pandas_run = measure(lambda: pandas_tiers(frame), REPEATS)
    by_row = pandas_run.value.sort_index().to_numpy(dtype=np.int64)
    check_equal("alliance compute vs hand-written pandas", by_row[in_time_order], exact)

    sample_rows = subsample_size(rows, scale)
    earliest = np.sort(in_time_order[:sample_rows])
    records = [
        (oid, datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at), partner, amount)
        for oid, at, partner, amount in zip(
            sales.order_ids[earliest].tolist(),
            sales.ts[earliest].tolist(),
            np.array(sales.partner_names)[sales.partner[earliest]].tolist(),
            [Decimal(cents).scaleb(-2) for cents in sales.amount[earliest].tolist()],
            strict=True,
        )
    ]
    progress(name, f"Decimal loop on the earliest {sample_rows:,} orders")
    loop_run = measure(lambda: decimal_tiers(records), LOOP_REPEATS)
    check_equal("alliance compute vs the Decimal loop", loop_run.value, exact[:sample_rows])

    ratio = pandas_run.seconds / alliance_run.seconds
    met = alliance_run.seconds <= TARGET_PANDAS_RATIO * pandas_run.seconds
    alliance = Result.timed(
        name,
        "alliance cm.compute",
        alliance_run,
        rows=rows,
        baseline=False,
        note=(
            f"target <= {TARGET_PANDAS_RATIO:g}x pandas: "
            f"{verdict(met, rows == ORDERS)} "
            f"({1 / ratio:.2f}x pandas); equals pandas on all rows, the Decimal loop on "
            f"{sample_rows:,}"
        ),
    )
    return [
        alliance,
        Result.timed(
            name,
            "pandas by hand (exact int)",
            pandas_run,
            rows=rows,
            baseline=True,
            note="sort_values + groupby.cumsum + clip per tier; str ids, aware ts",
        ),
        Result.timed(
            name,
            "Decimal loop, per order",
            loop_run,
            rows=rows,
            measured_rows=sample_rows,
            baseline=True,
            note="earliest orders; datetimes and Decimals prepared outside the time",
        ),
        build_row(name, "Orders.from_arrays", build_seconds, rows),
    ]


# -- 2. tiers + category + per-order cap over lines -------------------------------------------


@dataclass(frozen=True, slots=True)
class Basket:
    """Orders, and their lines stored order by order (line ids 1, 2, …) as a table keeps them."""

    sales: Sales
    sizes: Int64Array  # lines per order
    starts: Int64Array  # first line of each order
    amount: Int64Array  # per line, US cents
    category: Int64Array  # per line, codes into CATEGORIES
    quantity: Int64Array


def make_basket(rng: np.random.Generator, lines: int) -> Basket:
    mean_lines = sum((number + 1) * p for number, p in enumerate(LINES_PER_ORDER))
    sizes = 1 + rng.choice(
        len(LINES_PER_ORDER), size=int(lines / mean_lines) + 1_000, p=LINES_PER_ORDER
    )
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, lines, side="left")) + 1
    sizes = sizes[:count].astype(np.int64)
    sizes[-1] -= int(ends[count - 1]) - lines  # the last order ends at the last line
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    amount = np.maximum(np.rint(1_500 * rng.lognormal(0.0, 1.0, lines)), 1).astype(np.int64)
    category = rng.choice(len(CATEGORIES), size=lines, p=CATEGORY_SHARES).astype(np.int64)
    quantity = rng.integers(1, 4, lines, dtype=np.int64)
    drawn = make_sales(rng, count, PARTNERS, 1)
    # An order's amount is the sum of its lines (no tax or shipping to take out).
    totals = np.add.reduceat(amount, starts)
    sales = Sales(drawn.order_ids, drawn.ts, drawn.partner, totals, drawn.partner_names)
    return Basket(sales, sizes, starts, amount, category, quantity)


def lines_table(basket: Basket) -> Lines:
    size = basket.amount.size
    order_of_line = np.repeat(np.arange(basket.sizes.size, dtype=np.int64), basket.sizes)
    position = np.arange(size, dtype=np.int64) - basket.starts[order_of_line]
    return Lines.from_arrays(
        {
            "order_id": (order_of_line, basket.sales.order_ids),
            "line_id": (position, LINE_IDS),
            "category": (basket.category, CATEGORIES),
            "amount_minor": basket.amount,
            "quantity": basket.quantity,
            "currency": (np.zeros(size, dtype=np.int64), [CURRENCY]),
        }
    )


def largest_remainder(
    totals: Int64Array,
    weights: Int64Array,
    group: Int64Array,
    position: Int64Array,
    starts: Int64Array,
) -> Int64Array:
    """Split non-negative totals over contiguous groups of rows by largest remainder.

    Floors of ``total * w / sum(w)``, then one more unit to the ``leftover`` rows of each
    group with the largest remainders, ties to the earlier row: the rows whose key (remainder,
    then earlier first) is at least the group's ``leftover``-th largest, found by sorting each
    group's row of a padded matrix (a group has at most ``WIDTH`` rows).
    """
    sums = np.add.reduceat(weights, starts)
    floor_part, remainder = np.divmod(totals[group] * weights, sums[group])
    leftover = totals - np.add.reduceat(floor_part, starts)
    key = remainder * WIDTH + (WIDTH - 1 - position)  # distinct within a group
    padded = np.full((totals.size, WIDTH), -1, dtype=np.int64)
    padded[group, position] = key
    padded.sort(axis=1)
    kth = padded[np.arange(totals.size), WIDTH - np.maximum(leftover, 1)]
    parts: Int64Array = floor_part + ((leftover[group] > 0) & (key >= kth[group]))
    return parts


def numpy_lines(basket: Basket) -> Int64Array:
    """This plan by hand, for this layout: the practical limit. Lines in the engine's order.

    Works on the lines as stored (order by order) and sorts only orders: every line of an
    order shares its time, partner and month, so month-to-date volume before a line is the
    volume of the partner's earlier orders that month plus the order's earlier lines. Relies
    on what the data guarantee: order ids follow the row number, lines are stored in line-id
    order, months come from a table of month starts, every rate is a whole percent.
    """
    sales = basket.sales
    sizes, starts, amount = basket.sizes, basket.starts, basket.amount
    count = sizes.size
    order = np.repeat(np.arange(count, dtype=np.int64), sizes)
    position = np.arange(amount.size, dtype=np.int64) - starts[order]

    # Orders in volume order (time, ties to the lower id), then grouped by partner and month.
    by_time = np.argsort(sales.ts, kind="stable")
    months = MONTH_STARTS_US.size - 1
    month = np.searchsorted(MONTH_STARTS_US, sales.ts, side="right") - 1
    group = sales.partner * months + month
    groups = len(sales.partner_names) * months
    small = np.uint16 if groups <= 2**16 else np.int64  # 16-bit keys: a radix sort
    by_group = by_time[np.argsort(group[by_time].astype(small), kind="stable")]
    order_base = np.add.reduceat(amount, starts)
    running = np.cumsum(order_base[by_group])
    counts = np.bincount(group, minlength=groups)
    first = np.cumsum(counts) - counts
    offset = np.where(first > 0, running[np.maximum(first - 1, 0)], 0)
    order_before = np.empty(count, dtype=np.int64)
    order_before[by_group] = running - order_base[by_group] - offset[group[by_group]]
    line_before = np.cumsum(amount) - amount
    before = order_before[order] + line_before - line_before[starts][order]
    after = before + amount

    values = amount * OTHER_POINTS
    paid_by_tiers = np.flatnonzero(basket.category == ELECTRONICS)
    low_end, high_end = before[paid_by_tiers], after[paid_by_tiers]
    tiered = np.zeros_like(low_end)
    for low, high, points in TIER_TABLE:
        tiered += np.clip(np.minimum(high_end, high) - np.maximum(low_end, low), 0, None) * points
    values[paid_by_tiers] = tiered

    totals = np.add.reduceat(values, starts)
    over = totals > CAP_SCALED
    if over.any():
        lines = over[order]
        over_sizes = sizes[over]
        values[lines] = largest_remainder(
            np.full(over_sizes.size, CAP_SCALED, dtype=np.int64),
            values[lines],
            (np.cumsum(over) - 1)[order[lines]],
            position[lines],
            np.cumsum(over_sizes) - over_sizes,
        )
        totals = np.minimum(totals, CAP_SCALED)
    quotient, remainder = np.divmod(totals, SCALE)
    rounded = quotient + (
        (2 * remainder > SCALE) | ((2 * remainder == SCALE) & (quotient % 2 == 1))
    )
    # Every line earns (at least a cent at a positive rate), so every order has weights.
    commission = largest_remainder(rounded, values, order, position, starts)

    # The engine's line order: orders by time, each order's lines in line-id order.
    timed_sizes = sizes[by_time]
    shift = np.repeat(starts[by_time] - (np.cumsum(timed_sizes) - timed_sizes), timed_sizes)
    return commission[shift + np.arange(amount.size, dtype=np.int64)]


def bench_lines(rows: int, rng: np.random.Generator) -> list[Result]:
    name = f"tiers+category+cap, {rows:,} lines"
    progress(name, "building inputs")
    basket = make_basket(rng, rows)
    count = basket.sizes.size
    if int(basket.amount.max()) * 10 * CAP_SCALED > np.iinfo(np.int64).max // 2:
        raise OverflowError("amounts too large for the unchecked numpy kernel")
    (orders, lines), build_seconds = timed_build(
        lambda: (orders_table(basket.sales), lines_table(basket))
    )
    book = book_of(lines_plan())

    def alliance_lines() -> tuple[Int64Array, npt.NDArray[Any]]:
        table = cm.compute(orders, book, lines=lines)
        return table["commission"].astype(np.int64), table["order_id"]

    progress(name, "alliance")
    alliance_run = measure_patient(alliance_lines, REPEATS)
    exact, ids = alliance_run.value
    progress(name, "numpy")
    kernel_run = measure(lambda: numpy_lines(basket), REPEATS)
    by_time = np.argsort(basket.sales.ts, kind="stable")
    check_rows(
        "alliance compute: lines in (ts, order id, line id) order",
        np.repeat(basket.sales.order_ids[by_time], basket.sizes[by_time]),
        ids,
    )
    check_equal("alliance compute vs the hand-written numpy kernel", kernel_run.value, exact)
    sizes = basket.sizes[by_time]
    per_order = np.add.reduceat(exact, np.cumsum(sizes) - sizes)
    capped = int((per_order == CAP_SCALED // SCALE).sum())
    per_ten_million = alliance_run.seconds * LINES / rows  # the target is for 10M lines
    ratio = alliance_run.seconds / kernel_run.seconds
    met = per_ten_million <= TARGET_LINES_SECONDS and ratio <= TARGET_KERNEL_RATIO
    return [
        Result.timed(
            name,
            "alliance cm.compute",
            alliance_run,
            rows=rows,
            baseline=False,
            note=(
                f"target <= {TARGET_LINES_SECONDS:g} s per {LINES:,} lines and <= "
                f"{TARGET_KERNEL_RATIO:g}x numpy: {verdict(met, rows == LINES)} "
                f"({per_ten_million:.1f} s{'' if rows == LINES else ' scaled to 10M'}, "
                f"{ratio:.1f}x); {count:,} orders, "
                f"{capped:,} at the cap; equals numpy on all lines"
            ),
        ),
        Result.timed(
            name,
            "numpy int64 by hand (exact)",
            kernel_run,
            rows=rows,
            baseline=True,
            note="practical limit: sorts orders, not lines; relies on the data layout",
        ),
        build_row(name, "Orders + Lines.from_arrays", build_seconds, rows),
    ]


# -- 3. evaluate, one order at a time ---------------------------------------------------------


def decimal_one(order: Order, volume: dict[tuple[str, int, int], Decimal]) -> Decimal:
    """A plain function for one order: marginal tiers on month-to-date revenue, in `Decimal`."""
    local = order.ts.astimezone(ZONE)
    key = (order.partner_id or "", local.year, local.month)
    before = volume.get(key, Decimal(0))
    after = before + order.amount
    volume[key] = after
    commission = Decimal(0)
    for number, (low, rate) in enumerate(TIERS):
        top = after if number + 1 == len(TIERS) else min(after, Decimal(TIERS[number + 1][0]))
        portion = top - max(before, Decimal(low))
        if portion > 0:
            commission += portion * Decimal(rate.rstrip("%")) / 100
    return commission.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def per_call(orders: Sequence[Order], call: Callable[[Order], int]) -> Measurement[Int64Array]:
    times: list[float] = []
    cents: list[int] = []
    for order in orders:
        start = time.perf_counter()
        value = call(order)
        times.append(time.perf_counter() - start)
        cents.append(value)
    return Measurement(tuple(times), np.array(cents, dtype=np.int64))


def evaluate_all(
    orders: Sequence[Order], book: cm.ContractBook, start: cm.CommissionState | None
) -> Measurement[Int64Array]:
    state = [start]

    def one(order: Order) -> int:
        result = cm.evaluate(order, book, state[0])
        state[0] = result.state
        if result.amount is None:
            raise AssertionError(f"order {order.order_id} earned nothing: {result.skipped}")
        return result.amount.minor

    return per_call(orders, one)


def decimal_all(orders: Sequence[Order]) -> Measurement[Int64Array]:
    volume: dict[tuple[str, int, int], Decimal] = {}
    return per_call(orders, lambda order: int(decimal_one(order, volume).scaleb(2)))


def per_call_result(
    name: str, variant: str, run: Measurement[Int64Array], baseline: bool, note: str
) -> Result:
    median = statistics.median(run.times)
    calls = len(run.times)
    return Result(name, variant, calls, median * calls, calls, calls, baseline, note)


def last_month_state(rng: np.random.Generator, book: cm.ContractBook) -> cm.CommissionState:
    """What a service's state holds on 1 July: June's volume of every one of `PARTNERS`."""
    june_us = _us(datetime(2026, 6, 1, tzinfo=ZONE))
    june = Sales(
        order_ids(PARTNERS),
        june_us + rng.integers(0, START_US - june_us, PARTNERS, dtype=np.int64),
        np.arange(PARTNERS, dtype=np.int64),
        rng.integers(100, 100_000, PARTNERS, dtype=np.int64),
        [f"p{number:04d}" for number in range(PARTNERS)],
    )
    return cm.compute(orders_table(june), book).state


def bench_evaluate(calls: int, rng: np.random.Generator) -> list[Result]:
    name = f"evaluate, {calls:,} orders one by one"
    sales = make_sales(rng, calls, EVALUATE_PARTNERS, 20_000)
    ordered = time_order(sales)
    orders = [
        Order(
            order_id=str(sales.order_ids[row]),
            ts=datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(sales.ts[row])),
            amount=Decimal(int(sales.amount[row])).scaleb(-2),
            currency=CURRENCY,
            partner_id=sales.partner_names[int(sales.partner[row])],
        )
        for row in ordered.tolist()
    ]
    book = book_of(tier_plan())
    progress(name, "alliance")
    alliance_run = evaluate_all(orders, book, None)
    june = last_month_state(rng, book)
    carried_run = evaluate_all(orders, book, june)
    progress(name, "Decimal")
    decimal_run = decimal_all(orders)
    check_equal("alliance evaluate vs the Decimal function", decimal_run.value, alliance_run.value)
    check_equal("alliance evaluate from June's state", decimal_run.value, carried_run.value)
    median_us = statistics.median(alliance_run.times) * 1e6
    batch = commission_of(cm.compute(orders_table(sales), book))[0]
    check_equal("alliance evaluate vs compute on the same orders", batch, alliance_run.value)
    return [
        per_call_result(
            name,
            "alliance cm.evaluate",
            alliance_run,
            False,
            f"target <= {TARGET_EVALUATE_US:g} us/call: "
            f"{verdict(median_us <= TARGET_EVALUATE_US)} (median {median_us:,.0f} us, "
            f"p90 {np.percentile(alliance_run.times, 90) * 1e6:,.0f} us); state carried, "
            f"{EVALUATE_PARTNERS} partners; equals the Decimal function and compute",
        ),
        per_call_result(
            name,
            "alliance cm.evaluate, big state",
            carried_run,
            False,
            f"the same, from a state holding June's volume of {len(june.volumes):,} partners "
            f"(median {statistics.median(carried_run.times) * 1e6:,.0f} us)",
        ),
        per_call_result(
            name,
            "Decimal function, per order",
            decimal_run,
            True,
            f"median {statistics.median(decimal_run.times) * 1e6:.1f} us; dict of volumes",
        ),
    ]


def run(scale: float) -> list[Result]:
    """The three benchmarks at ``scale`` times 1M orders, 10M lines and 3,000 calls."""
    orders = max(1_000, round(ORDERS * scale))
    lines = max(1_000, round(LINES * scale))
    calls = max(300, round(EVALUATE_CALLS * min(scale, 1.0)))
    results = bench_tiers(orders, scale, np.random.default_rng(SEED))
    results += bench_lines(lines, np.random.default_rng(SEED + 1))
    results += bench_evaluate(calls, np.random.default_rng(SEED + 2))
    return results

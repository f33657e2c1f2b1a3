"""Exact FX conversion and allocation over ten million rows, beside loops and floats.

Two benchmarks on synthetic but realistic data (fixed seed):

* **fx convert**: order amounts in five currencies (EUR, GBP, JPY with no minor unit, CNY and
  KWD with three decimals), lognormal order values, instants spread over 90 days, daily rates
  quoted the way the market quotes them against USD (EUR/USD and GBP/USD multiply, USD/JPY,
  USD/CNY and USD/KWD are used inverted), converted to USD cents with
  `FxRates.convert_minor`. Baselines: a per-row `Decimal` loop (the naive exact approach,
  timed on a subsample and extrapolated; alliance must agree with it row for row), a
  hand-written exact int64 numpy kernel (the practical limit) and float64 numpy (fast, and
  off by a cent on some rows, which are counted).
* **allocate**: the same number of order lines grouped into ~2.5M orders of 1 to 8 lines;
  each order's flat fee (positive) or percentage discount (negative) is split over its lines
  in proportion to the line amounts with `allocate_minor`. Baselines: a Python loop calling
  `alliance.allocate` on `Money` per order (subsample, extrapolated; it must agree), a
  hand-written exact numpy kernel, and float64 numpy ``round(total * w / sum(w))``, whose
  orders that no longer add up to their total are counted.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from alliance._currency import currency
from alliance._fx import FxRates
from alliance._kernels import allocate_minor
from alliance._money import Money, allocate
from benchmarks._harness import Result, check_equal, measure, subsample_size

__all__ = ["run"]

Int64Array = npt.NDArray[np.int64]
IntpArray = npt.NDArray[np.intp]

ROWS = 10_000_000
SEED = 20_261_001
DAYS = 90
START = datetime(2026, 7, 1, tzinfo=UTC)
DAY_US = 86_400_000_000
TARGET = "USD"
REPEATS = 3
LOOP_REPEATS = 3


@dataclass(frozen=True, slots=True)
class Source:
    """One order currency: its share of orders, typical order value and USD pair."""

    code: str
    share: float
    median_order: int  # in major units of the currency
    base: str
    quote: str
    first_rate: str  # quoted with the market's usual number of decimals

    @property
    def inverse(self) -> bool:
        """Whether converting to USD divides by the quoted rate (USD is the base)."""
        return self.base == TARGET


SOURCES = (
    Source("EUR", 0.35, 46, "EUR", "USD", "1.0832"),
    Source("GBP", 0.15, 40, "GBP", "USD", "1.2714"),
    Source("JPY", 0.25, 7_500, "USD", "JPY", "149.523"),
    Source("CNY", 0.20, 360, "USD", "CNY", "7.1234"),
    Source("KWD", 0.05, 15, "USD", "KWD", "0.30745"),
)


@dataclass(frozen=True, slots=True)
class Market:
    """Daily quoted rates, and the same rates laid out for the numpy baselines.

    ``exact_num / exact_den`` and ``floats`` are ``[source, day]`` tables of the factor that
    turns minor units of the source into US cents.
    """

    day_starts_us: Int64Array
    quoted: dict[str, list[Decimal]]
    exact_num: Int64Array
    exact_den: Int64Array
    floats: npt.NDArray[np.float64]

    def records(self) -> list[dict[str, object]]:
        """The rates as `FxRates.from_records` rows."""
        return [
            {
                "base": source.base,
                "quote": source.quote,
                "rate": rate,
                "as_of": START + timedelta(days=day),
            }
            for source in SOURCES
            for day, rate in enumerate(self.quoted[source.code])
        ]


def make_market(rng: np.random.Generator) -> Market:
    """A daily random walk per pair, each rate rounded to the pair's quoted decimals."""
    target_exponent = currency(TARGET).exponent
    quoted: dict[str, list[Decimal]] = {}
    exact_num = np.empty((len(SOURCES), DAYS), dtype=np.int64)
    exact_den = np.empty((len(SOURCES), DAYS), dtype=np.int64)
    floats = np.empty((len(SOURCES), DAYS), dtype=np.float64)
    for number, source in enumerate(SOURCES):
        first = Decimal(source.first_rate)
        places = -int(first.as_tuple().exponent)
        walk = float(first) * np.exp(np.cumsum(rng.normal(0.0, 0.004, DAYS)))
        rates = [Decimal(f"{value:.{places}f}") for value in walk]
        quoted[source.code] = rates
        scale = Fraction(10) ** (target_exponent - currency(source.code).exponent)
        for day, rate in enumerate(rates):
            factor = scale / Fraction(rate) if source.inverse else scale * Fraction(rate)
            exact_num[number, day] = factor.numerator
            exact_den[number, day] = factor.denominator
            # What a float user writes: the rate as a float, times or over the unit scale.
            floats[number, day] = (
                float(scale) / float(rate) if source.inverse else float(rate) * float(scale)
            )
    day_starts = np.array(
        [int((START - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))], np.int64
    ) + DAY_US * np.arange(DAYS, dtype=np.int64)
    return Market(day_starts, quoted, exact_num, exact_den, floats)


@dataclass(frozen=True, slots=True)
class Orders:
    """Order amounts in minor units of their currency, with currency codes and instants."""

    amounts: Int64Array
    currencies: npt.NDArray[np.str_]
    at_us: Int64Array


def make_orders(rng: np.random.Generator, rows: int, market: Market) -> Orders:
    shares = np.array([source.share for source in SOURCES])
    source_of = rng.choice(len(SOURCES), size=rows, p=shares / shares.sum())
    medians = np.array(
        [source.median_order * 10 ** currency(source.code).exponent for source in SOURCES],
        dtype=np.float64,
    )
    values = medians[source_of] * rng.lognormal(0.0, 0.9, rows)
    amounts = np.maximum(np.rint(values), 1).astype(np.int64)
    del values
    codes = np.array([source.code for source in SOURCES], dtype="<U3")[source_of]
    at_us = market.day_starts_us[0] + rng.integers(0, DAYS * DAY_US, rows, dtype=np.int64)
    return Orders(amounts, codes, at_us)


# -- fx baselines -----------------------------------------------------------------------------


def decimal_loop(orders: Orders, market: Market) -> Int64Array:
    """The naive exact way: per row, find the day's rate and convert with `Decimal`."""
    cent = Decimal(1).scaleb(-currency(TARGET).exponent)
    exponents = {source.code: currency(source.code).exponent for source in SOURCES}
    inverse = {source.code: source.inverse for source in SOURCES}
    day_starts = market.day_starts_us.tolist()
    converted: list[int] = []
    for amount, code, instant in zip(
        orders.amounts.tolist(), orders.currencies.tolist(), orders.at_us.tolist(), strict=True
    ):
        rate = market.quoted[code][bisect_right(day_starts, instant) - 1]
        value = Decimal(amount).scaleb(-exponents[code])
        # Division rounds to 28 digits first; no exact quotient lies that close to a half cent
        # for these rates, and the comparison with alliance would show it if one did.
        usd = value / rate if inverse[code] else value * rate
        converted.append(int(usd.quantize(cent, rounding=ROUND_HALF_EVEN).scaleb(2)))
    return np.array(converted, dtype=np.int64)


def _lookup(orders: Orders, market: Market) -> tuple[IntpArray, IntpArray]:
    """Per row: the source's row in the rate tables and the day's column."""
    source_of = np.zeros(orders.amounts.shape, dtype=np.intp)
    for number, source in enumerate(SOURCES[1:], start=1):
        source_of[orders.currencies == source.code] = number
    day = np.searchsorted(market.day_starts_us, orders.at_us, side="right") - 1
    return source_of, day


def numpy_exact(orders: Orders, market: Market) -> Int64Array:
    """A hand-written exact kernel for exactly this data (no checks): the practical limit."""
    source_of, day = _lookup(orders, market)
    denominator = market.exact_den[source_of, day]
    quotient, remainder = np.divmod(orders.amounts * market.exact_num[source_of, day], denominator)
    twice = 2 * remainder
    bump = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    rounded: Int64Array = quotient + bump
    return rounded


def numpy_float(orders: Orders, market: Market) -> Int64Array:
    """Float64 rate per row, multiply, `np.round` (half to even, like the exact path)."""
    source_of, day = _lookup(orders, market)
    return np.round(orders.amounts * market.floats[source_of, day]).astype(np.int64)


def bench_fx(rows: int, scale: float, rng: np.random.Generator) -> list[Result]:
    name = f"fx convert 5 ccy -> {TARGET}"
    market = make_market(rng)
    orders = make_orders(rng, rows, market)
    fx = FxRates.from_records(market.records(), pivot=TARGET)
    # The hand-written kernel skips overflow checks; make sure it may.
    if int(orders.amounts.max()) > np.iinfo(np.int64).max // int(market.exact_num.max()):
        raise OverflowError("amounts too large for the unchecked numpy kernel")

    def convert() -> Int64Array:
        return fx.convert_minor(orders.amounts, orders.currencies, TARGET, at=orders.at_us)

    progress(name, "alliance")
    alliance_run = measure(convert, REPEATS)
    exact = alliance_run.value

    sample_rows = subsample_size(rows, scale)
    sample = Orders(
        orders.amounts[:sample_rows], orders.currencies[:sample_rows], orders.at_us[:sample_rows]
    )
    progress(name, f"Decimal loop on {sample_rows:,} rows")
    loop_run = measure(lambda: decimal_loop(sample, market), LOOP_REPEATS)
    check_equal("alliance convert_minor vs the Decimal loop", loop_run.value, exact[:sample_rows])

    progress(name, "numpy")
    exact_run = measure(lambda: numpy_exact(orders, market), REPEATS)
    check_equal("alliance convert_minor vs the hand-written numpy kernel", exact, exact_run.value)
    float_run = measure(lambda: numpy_float(orders, market), REPEATS)
    wrong = float_run.value != exact
    wrong_rows = int(wrong.sum())
    worst = int(np.abs(float_run.value - exact).max())
    by_code = ", ".join(
        f"{source.code} {int(wrong[orders.currencies == source.code].sum()):,}"
        for source in SOURCES
    )
    float_note = (
        f"WRONG on {wrong_rows:,} rows ({wrong_rows / rows:.4%}), by up to {worst} "
        f"minor unit{'s' if worst > 1 else ''}: {by_code}"
        if wrong_rows
        else "no row wrong at this size (float misses exact half-cent ties)"
    )
    return [
        Result.timed(
            name,
            "alliance FxRates.convert_minor",
            alliance_run,
            rows=rows,
            baseline=False,
            note=f"exact; equals the Decimal loop on {sample_rows:,} rows",
        ),
        Result.timed(
            name,
            "Decimal loop, per row",
            loop_run,
            rows=rows,
            measured_rows=sample_rows,
            baseline=True,
        ),
        Result.timed(
            name,
            "numpy int64 by hand (exact)",
            exact_run,
            rows=rows,
            baseline=True,
            note="practical limit: no checks, rates pre-tabled",
        ),
        Result.timed(
            name,
            "numpy float64 + np.round",
            float_run,
            rows=rows,
            baseline=True,
            note=float_note,
        ),
    ]


# -- allocation -------------------------------------------------------------------------------

#: Lines per order, 1 to 8, mean about 3.9: ten million lines are about 2.5M orders.
LINES_PER_ORDER = (0.16, 0.16, 0.15, 0.14, 0.13, 0.11, 0.08, 0.07)
FLAT_FEES = (199, 499, 999, 1_500)  # US cents
DISCOUNT_PERCENT = (5, 10, 15, 20)


@dataclass(frozen=True, slots=True)
class Basket:
    """Order lines (amounts in US cents), grouped into orders, and one total per order."""

    line_amounts: Int64Array
    order_of_line: Int64Array
    order_starts: Int64Array
    totals: Int64Array


def make_basket(rng: np.random.Generator, rows: int) -> Basket:
    mean_lines = sum((number + 1) * p for number, p in enumerate(LINES_PER_ORDER))
    sizes = 1 + rng.choice(
        len(LINES_PER_ORDER), size=int(rows / mean_lines) + 1_000, p=LINES_PER_ORDER
    )
    ends = np.cumsum(sizes)
    orders = int(np.searchsorted(ends, rows, side="left")) + 1
    sizes = sizes[:orders]
    sizes[-1] -= int(ends[orders - 1]) - rows  # the last order ends at the last line
    order_of_line = np.repeat(np.arange(orders, dtype=np.int64), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    line_amounts = np.maximum(np.rint(1_500 * rng.lognormal(0.0, 1.0, rows)), 1).astype(np.int64)
    order_amounts = np.add.reduceat(line_amounts, starts)
    flat = rng.random(orders) < 0.5
    fee = np.array(FLAT_FEES, dtype=np.int64)[rng.integers(0, len(FLAT_FEES), orders)]
    percent = np.array(DISCOUNT_PERCENT, dtype=np.int64)[
        rng.integers(0, len(DISCOUNT_PERCENT), orders)
    ]
    totals = np.where(flat, fee, -(order_amounts * percent // 100))
    return Basket(line_amounts, order_of_line, starts, totals)


def money_loop(basket: Basket, orders: int) -> Int64Array:
    """One `alliance.allocate` call on `Money` per order: what a scalar user writes."""
    bounds = np.append(basket.order_starts, basket.line_amounts.size)
    stops = bounds[1 : orders + 1].tolist()
    weights = basket.line_amounts.tolist()
    parts: list[int] = []
    for total, start, stop in zip(
        basket.totals[:orders].tolist(), basket.order_starts[:orders].tolist(), stops, strict=True
    ):
        split = allocate(Money.from_minor(total, TARGET), weights[start:stop])
        parts.extend(part.minor for part in split)
    return np.array(parts, dtype=np.int64)


def allocate_by_hand(basket: Basket) -> Int64Array:
    """Largest remainder written for this layout (lines sorted by order): the practical limit."""
    order_of_line, weights = basket.order_of_line, basket.line_amounts
    starts = np.flatnonzero(np.r_[True, order_of_line[1:] != order_of_line[:-1]])
    sums = np.add.reduceat(weights, starts)
    magnitude = np.abs(basket.totals)
    line_sums = sums[order_of_line]
    floor_part, remainder = np.divmod(magnitude[order_of_line] * weights, line_sums)
    leftover = magnitude - np.add.reduceat(floor_part, starts)
    # One sort key: order ascending, then remainder descending (one order's remainders share
    # a denominator); the stable sort keeps earlier lines first on ties. `bench_allocate`
    # checks that the key fits in int64.
    span = int(sums.max())
    ranked = np.argsort(order_of_line * span + (span - 1 - remainder), kind="stable")
    rank = np.empty(weights.size, dtype=np.int64)
    rank[ranked] = np.arange(weights.size) - starts[order_of_line[ranked]]
    parts = floor_part + (rank < leftover[order_of_line])
    return np.where(basket.totals[order_of_line] < 0, -parts, parts)


def allocate_float(basket: Basket) -> Int64Array:
    """``round(total * w / sum(w))`` in float64: each part rounded on its own."""
    order_of_line, weights = basket.order_of_line, basket.line_amounts
    sums = np.bincount(order_of_line, weights=weights)
    shares = basket.totals[order_of_line] * (weights / sums[order_of_line])
    return np.round(shares).astype(np.int64)


def bench_allocate(rows: int, scale: float, rng: np.random.Generator) -> list[Result]:
    name = "allocate order totals"
    basket = make_basket(rng, rows)
    orders = basket.totals.size
    span = int(np.add.reduceat(basket.line_amounts, basket.order_starts).max())
    if orders * span > np.iinfo(np.int64).max // 2:
        raise OverflowError("sort key of the hand-written allocation would overflow")

    def alliance_allocate() -> Int64Array:
        return allocate_minor(basket.totals, basket.line_amounts, basket.order_of_line)

    progress(name, "alliance")
    alliance_run = measure(alliance_allocate, REPEATS)
    exact = alliance_run.value
    per_order = np.add.reduceat(exact, basket.order_starts)
    check_equal("alliance allocate_minor: parts vs totals", basket.totals, per_order)

    sample_orders = int(np.searchsorted(basket.order_starts, subsample_size(rows, scale)))
    sample_orders = max(sample_orders, 1)
    sample_rows = int(basket.order_starts[sample_orders]) if sample_orders < orders else rows
    progress(name, f"Money loop on {sample_orders:,} orders")
    loop_run = measure(lambda: money_loop(basket, sample_orders), LOOP_REPEATS)
    check_equal("alliance allocate_minor vs the Money loop", loop_run.value, exact[:sample_rows])

    progress(name, "numpy")
    hand_run = measure(lambda: allocate_by_hand(basket), REPEATS)
    check_equal("alliance allocate_minor vs the hand-written numpy kernel", exact, hand_run.value)
    float_run = measure(lambda: allocate_float(basket), REPEATS)
    float_sums = np.add.reduceat(float_run.value, basket.order_starts)
    unbalanced = int((float_sums != basket.totals).sum())
    wrong_rows = int((float_run.value != exact).sum())
    return [
        Result.timed(
            name,
            "alliance allocate_minor",
            alliance_run,
            rows=rows,
            baseline=False,
            note=f"{orders:,} orders; equals the Money loop on {sample_orders:,} orders",
        ),
        Result.timed(
            name,
            "Money allocate loop, per order",
            loop_run,
            rows=rows,
            measured_rows=sample_rows,
            baseline=True,
        ),
        Result.timed(
            name,
            "numpy int64 by hand (exact)",
            hand_run,
            rows=rows,
            baseline=True,
            note="practical limit: one stable argsort, lines sorted by order",
        ),
        Result.timed(
            name,
            "numpy float64 + np.round",
            float_run,
            rows=rows,
            baseline=True,
            note=(
                f"WRONG: {unbalanced:,} orders ({unbalanced / max(orders, 1):.2%}) do not "
                f"add up to their total; {wrong_rows:,} lines differ from largest remainder"
            ),
        ),
    ]


def progress(benchmark: str, step: str) -> None:
    print(f"  {benchmark}: {step}", file=sys.stderr, flush=True)


def run(scale: float) -> list[Result]:
    """Both benchmarks at ``scale`` times ten million rows."""
    rows = max(1_000, round(ROWS * scale))
    results: list[Result] = []
    for bench in (bench_fx, bench_allocate):
        results.extend(bench(rows, scale, np.random.default_rng(SEED)))
    return results

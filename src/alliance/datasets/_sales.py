"""The later stages of the synthetic programme: orders and their lines, reversals, touchpoints.

Like the first stages (`alliance.datasets._traffic`), each draws from its own random stream of
the seed and works on whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliance._currency import currency
from alliance._kernels import round_quotient
from alliance.datasets import _world as world
from alliance.datasets._traffic import (
    DAY,
    HOUR,
    SECOND,
    BoolArray,
    ClickDraft,
    IntArray,
    Markets,
    PartnerDraft,
    Settings,
    rng,
    shares,
)

__all__ = [
    "REVERSAL_KINDS",
    "SKUS_PER_CATEGORY",
    "TOUCH_KINDS",
    "OrderDraft",
    "ReversalDraft",
    "TouchDraft",
    "orders",
    "price_list",
    "reversals",
    "touchpoints",
]

REVERSAL_KINDS: tuple[str, ...] = ("cancellation", "chargeback", "refund")
SKUS_PER_CATEGORY = 40


# -- orders and lines -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """Orders in time order, with their lines (grouped by order, in order)."""

    ts: IntArray
    partner: IntArray
    visitor: IntArray
    country: IntArray
    currency: IntArray
    coupon: BoolArray
    is_new: BoolArray
    customer: IntArray
    card: IntArray
    amount: IntArray
    discount: IntArray
    tax: IntArray
    visitor_country: IntArray  # per visitor, clicks' visitors then coupon-only ones
    line_order: IntArray
    line_sku: IntArray
    line_category: IntArray
    line_quantity: IntArray
    line_amount: IntArray


def orders(
    settings: Settings, market: Markets, crew: PartnerDraft, traffic: ClickDraft
) -> OrderDraft:
    """Orders from converting clicks, plus coupon orders that came without a click."""
    gen = rng(settings.seed, 4)
    converts = gen.random(traffic.ts.size) < crew.conversion[traffic.partner]
    rows = np.flatnonzero(converts)
    # Conversion lag: a minute and a half of checkout, then lognormal (median 3 hours).
    lag_s = 90.0 + np.exp(np.log(3 * 3600) + 1.7 * gen.standard_normal(rows.size))
    lag = np.minimum(lag_s, 400.0 * 86400) * SECOND
    ts = traffic.ts[rows] + lag.astype(np.int64)
    kept = (lag <= settings.cookie_days * DAY) & (ts < settings.end_us)
    rows, ts = rows[kept], ts[kept]
    partner, visitor = traffic.partner[rows], traffic.visitor[rows]
    kinds = world.KINDS
    has_code = np.array([code is not None for code in crew.codes], dtype=bool)
    use = np.array([k.coupon_use for k in kinds])[crew.kind[partner]]
    coupon = has_code[partner] & (gen.random(rows.size) < use)
    # Codes leak to deal sites: some orders redeem a partner's code without its click.
    coded = np.flatnonzero(has_code & (crew.reach > 0))
    owners = np.zeros(0, dtype=np.int64)
    if coded.size:
        picks = gen.binomial(rows.size, 0.04)
        owners = coded[gen.choice(coded.size, size=picks, p=shares(crew.reach[coded]))]
    leaked = owners.size
    fresh = traffic.visitor_country.size + np.arange(leaked)
    home = gen.random(leaked) < 0.6
    fresh_country = np.where(
        home, crew.country[owners], gen.choice(market.traffic.size, size=leaked, p=market.traffic)
    )
    visitor_country = np.concatenate([traffic.visitor_country, fresh_country])
    ts = np.concatenate([ts, gen.integers(settings.start_us, settings.end_us, leaked)])
    partner = np.concatenate([partner, owners])
    visitor = np.concatenate([visitor, fresh])
    coupon = np.concatenate([coupon, np.ones(leaked, dtype=bool)])
    order = np.argsort(ts, kind="stable")
    ts, partner, visitor, coupon = ts[order], partner[order], visitor[order], coupon[order]
    country = visitor_country[visitor]
    is_new = gen.random(ts.size) < np.array([k.new_customer for k in kinds])[crew.kind[partner]]
    customer = _customers(gen, country, is_new, market.traffic.size)
    card = customer * 2 + (gen.random(ts.size) < 0.08)  # some customers use a second card
    currency_index = market.currency_of[country]
    discount_percent = np.where(coupon, crew.discount[partner], 0)
    lines = _lines(gen, settings, crew.category[partner], currency_index, discount_percent)
    line_order, sku, category, quantity, net, off = lines
    first_line = np.searchsorted(line_order, np.arange(ts.size))
    amount = np.add.reduceat(net, first_line) if ts.size else np.zeros(0, np.int64)
    discount = np.add.reduceat(off, first_line) if ts.size else np.zeros(0, np.int64)
    vat = market.vat_percent[country]
    tax = amount - round_quotient(amount * 100, 100 + vat, "half_even")
    return OrderDraft(
        ts=ts,
        partner=partner,
        visitor=visitor,
        country=country,
        currency=currency_index,
        coupon=coupon,
        is_new=is_new,
        customer=customer,
        card=card,
        amount=amount,
        discount=discount,
        tax=tax,
        visitor_country=visitor_country,
        line_order=line_order,
        line_sku=sku,
        line_category=category,
        line_quantity=quantity,
        line_amount=net,
    )


def _customers(
    gen: np.random.Generator, country: IntArray, is_new: BoolArray, countries: int
) -> IntArray:
    """Customer numbers: new customers get the next number; returning ones reuse one.

    A returning customer is, one time in three, someone whose first order came earlier in the
    window (same country), else a customer from before the window (some of them often).
    Numbers below ``before`` are customers from before the window.
    """
    returning = ~is_new
    per_country = np.bincount(country[returning], minlength=countries)
    pool = np.maximum(5, per_country * 2)
    offsets = np.cumsum(pool) - pool
    before = int(pool.sum())
    customer = np.empty(country.size, dtype=np.int64)
    customer[is_new] = before + np.arange(int(is_new.sum()))
    skew = gen.random(country.size) ** 2  # low numbers are the loyal ones
    customer[returning] = offsets[country[returning]] + np.floor(
        skew[returning] * pool[country[returning]]
    ).astype(np.int64)
    again = returning & (gen.random(country.size) < 1 / 3)
    pick = gen.random(country.size)
    for number in range(countries):  # per country (a few dozen), vectorised within
        rows = np.flatnonzero(country == number)
        newcomers = rows[is_new[rows]]
        earlier: IntArray = np.cumsum(is_new[rows]) - is_new[rows]  # new customers before each row
        chosen = again[rows] & (earlier > 0)
        index = np.floor(pick[rows][chosen] * earlier[chosen]).astype(np.int64)
        customer[rows[chosen]] = customer[newcomers[index]]
    return customer


def _lines(
    gen: np.random.Generator,
    settings: Settings,
    preferred: IntArray,
    currency_index: IntArray,
    discount_percent: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
    """1-5 lines per order: category, sku, quantity, net amount and coupon discount."""
    count = preferred.size
    per_order = 1 + gen.choice(5, size=count, p=[0.55, 0.25, 0.12, 0.05, 0.03])
    line_order = np.repeat(np.arange(count), per_order)
    size = line_order.size
    weights = shares(world.CATEGORY_WEIGHTS)
    category = np.where(
        gen.random(size) < 0.6,
        preferred[line_order],
        gen.choice(len(world.CATEGORIES), size=size, p=weights),
    )
    # Best sellers first: the square of a uniform favours low sku numbers.
    rank = np.floor(gen.random(size) ** 2 * SKUS_PER_CATEGORY).astype(np.int64)
    sku = category * SKUS_PER_CATEGORY + rank
    quantity = np.minimum(gen.geometric(0.8, size), 5).astype(np.int64)
    prices = price_list(settings)
    gross = prices[sku, currency_index[line_order]] * quantity
    off = round_quotient(gross * discount_percent[line_order], 100, "half_even")
    return line_order, sku, category, quantity, gross - off, off


def price_list(settings: Settings) -> IntArray:
    """Unit price of every sku in every chosen currency, in minor units, at local price points.

    Prices are set once per market from a dollar list price at the start's exchange level
    (``19.99`` dollars, ``1980`` yen, ``12.490`` dinars) and do not follow the rate after.
    """
    gen = rng(settings.seed, 5)
    medians = np.repeat(np.array(world.CATEGORY_PRICE_USD), SKUS_PER_CATEGORY)
    dollars = medians * gen.lognormal(0.0, 0.45, medians.size)
    columns = []
    for code in settings.currencies:
        market = world.MARKETS[code]
        minor = dollars * market.usd_rate * 10 ** currency(code).exponent
        step, tick = market.price_step, market.price_tick
        points = np.ceil(minor / step).astype(np.int64) * step - tick
        columns.append(np.maximum(points, step - tick))
    return np.stack(columns, axis=1)


# -- reversals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReversalDraft:
    """Reversals in time order; ``amount`` is -1 for a full reversal, ``line`` -1 for none."""

    ts: IntArray
    order: IntArray
    kind: IntArray  # index into REVERSAL_KINDS
    line: IntArray  # line number within the order (0-based)
    amount: IntArray
    reason: IntArray  # index into the kind's reasons


def reversals(
    settings: Settings, market: Markets, crew: PartnerDraft, sales: OrderDraft
) -> ReversalDraft:
    """Cancellations within hours, refunds within weeks, chargebacks within two months."""
    gen = rng(settings.seed, 6)
    count = sales.ts.size
    refund_factor = np.array([k.refund_factor for k in world.KINDS])[crew.kind[sales.partner]]
    cancel = np.full(count, settings.cancellation_rate)
    refund = settings.refund_rate * refund_factor
    chargeback = settings.chargeback_rate * market.reversal_factor[sales.country]
    draw = gen.random(count)
    kind = np.full(count, -1, dtype=np.int64)
    kind[draw < cancel + refund + chargeback] = 1
    kind[draw < cancel + refund] = 2
    kind[draw < cancel] = 0
    rows = np.flatnonzero(kind >= 0)
    kind = kind[rows]
    normal = gen.standard_normal(rows.size)
    hours = np.select(
        [kind == 0, kind == 1],
        [
            np.minimum(1 / 6 + np.exp(np.log(5) + 0.8 * normal), 48),
            np.maximum(7 * 24, np.exp(np.log(35 * 24) + 0.35 * normal)),
        ],
        np.maximum(24, np.exp(np.log(10 * 24) + 0.5 * normal)),
    )
    ts = sales.ts[rows] + (hours * HOUR).astype(np.int64)
    order_amount = sales.amount[rows]
    amount = np.where(kind == 1, order_amount, -1)
    line = np.full(rows.size, -1, dtype=np.int64)
    style = gen.random(rows.size)
    per_order = np.bincount(sales.line_order, minlength=count)
    first_line = np.cumsum(per_order) - per_order
    one_line = (kind == 2) & (style >= 0.5) & (style < 0.85)
    chosen = np.floor(gen.random(rows.size) * per_order[rows]).astype(np.int64)
    line = np.where(one_line, chosen, line)
    amount = np.where(one_line, sales.line_amount[first_line[rows] + chosen], amount)
    goodwill = (kind == 2) & (style >= 0.85)
    percent = gen.integers(10, 51, rows.size)
    partial = np.maximum(1, round_quotient(order_amount * percent, 100, "half_even"))
    amount = np.where(goodwill, partial, amount)
    reason = gen.integers(0, 1 << 30, rows.size)
    visible = ts < settings.end_us
    order = np.argsort(ts[visible], kind="stable")
    return ReversalDraft(
        ts=ts[visible][order],
        order=rows[visible][order],
        kind=kind[visible][order],
        line=line[visible][order],
        amount=amount[visible][order],
        reason=reason[visible][order],
    )


# -- touchpoints ------------------------------------------------------------------------------

TOUCH_KINDS: tuple[str, ...] = ("click", "coupon", "impression")


@dataclass(frozen=True, slots=True)
class TouchDraft:
    """Touchpoints in time order; ``kind`` indexes TOUCH_KINDS; coupon touches carry a code."""

    ts: IntArray
    visitor: IntArray
    partner: IntArray
    kind: IntArray
    coupon: BoolArray


def touchpoints(
    settings: Settings, crew: PartnerDraft, traffic: ClickDraft, sales: OrderDraft
) -> TouchDraft:
    """Every click, impressions seen before some clicks, and code-only orders' coupon touches.

    An impression comes from a creator (KOL or content partner, by reach) between a minute and
    a few days before the click it precedes; impressions before the window are left out.
    """
    gen = rng(settings.seed, 7)
    count = traffic.ts.size
    creators = np.flatnonzero(
        np.isin(crew.kind, [n for n, p in enumerate(world.KINDS) if p.kind in ("kol", "content")])
        & (crew.reach > 0)
    )
    seen = np.zeros(0, dtype=np.int64)
    seen_by = np.zeros(0, dtype=np.int64)
    seen_at = np.zeros(0, dtype=np.int64)
    if creators.size:
        seen = np.flatnonzero(gen.random(count) < settings.impression_rate)
        weights = shares(crew.reach[creators])
        seen_by = creators[gen.choice(creators.size, size=seen.size, p=weights)]
        before = 60.0 + np.exp(np.log(6 * 3600) + 1.2 * gen.standard_normal(seen.size))
        seen_at = traffic.ts[seen] - (before * SECOND).astype(np.int64)
        inside = seen_at >= settings.start_us
        seen, seen_by, seen_at = seen[inside], seen_by[inside], seen_at[inside]
    coupon_only = np.flatnonzero(sales.visitor >= traffic.visitor_country.size)
    applied = sales.ts[coupon_only] - gen.integers(10, 300, coupon_only.size) * SECOND
    applied = np.maximum(applied, settings.start_us)
    ts = np.concatenate([traffic.ts, seen_at, applied])
    visitor = np.concatenate([traffic.visitor, traffic.visitor[seen], sales.visitor[coupon_only]])
    partner = np.concatenate([traffic.partner, seen_by, sales.partner[coupon_only]])
    kind = np.concatenate(
        [np.zeros(count, np.int64), np.full(seen.size, 2), np.ones(coupon_only.size, np.int64)]
    )
    order = np.argsort(ts, kind="stable")
    return TouchDraft(
        ts=ts[order],
        visitor=visitor[order],
        partner=partner[order],
        kind=kind[order],
        coupon=kind[order] == 1,
    )

"""The stages of the synthetic programme: partners, clicks, orders and lines, reversals.

Every stage is vectorised numpy over whole columns (no Python loop per click or order) and
draws from its own random stream, keyed by the seed and the stage, so that the partners of a
seed do not change when more clicks are asked for. Stages produce drafts: plain integer and
float columns, indices into the `_world` tables. `alliance.datasets._synthetic` turns drafts
into tables; that is also where a later stage that injects labelled fraud slots in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency
from alliance._kernels import round_quotient
from alliance.datasets import _world as world

__all__ = [
    "DAY",
    "GROUPS",
    "HOUR",
    "REVERSAL_KINDS",
    "SECOND",
    "SKUS_PER_CATEGORY",
    "STATUSES",
    "TOUCH_KINDS",
    "ClickDraft",
    "Markets",
    "OrderDraft",
    "PartnerDraft",
    "ReversalDraft",
    "Settings",
    "TouchDraft",
    "clicks",
    "markets",
    "mix",
    "orders",
    "partners",
    "reversals",
    "rng",
    "touchpoints",
    "visitor_devices",
]

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

STATUSES: tuple[str, ...] = ("active", "paused", "pending", "terminated")
GROUPS: tuple[str, ...] = ("kol-head", "premium", "standard")
REVERSAL_KINDS: tuple[str, ...] = ("cancellation", "chargeback", "refund")
SKUS_PER_CATEGORY = 40


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated arguments of `synthetic_program`, with the window in microseconds."""

    seed: int
    partners: int
    clicks: int
    currencies: tuple[str, ...]
    start_us: int
    end_us: int
    start_tod_us: int
    offset_minutes: int
    first_weekday: int
    days: int
    conversion_rate: float
    refund_rate: float
    chargeback_rate: float
    cancellation_rate: float
    cookie_days: int
    impression_rate: float


def rng(seed: int, *keys: int) -> np.random.Generator:
    """The random stream of one stage (or one currency) of a seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def mix(values: npt.NDArray[Any], salt: int) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of integers (splitmix64): stable fingerprints of generated entities."""
    z = values.astype(np.uint64) + np.uint64((salt * 0x9E3779B97F4A7C15) % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    result: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return result


def _shares(weights: npt.ArrayLike) -> FloatArray:
    array = np.asarray(weights, dtype=np.float64)
    shares: FloatArray = array / array.sum()
    return shares


@dataclass(frozen=True, slots=True)
class Markets:
    """The buyer countries of the chosen currencies, as parallel arrays."""

    countries: tuple[str, ...]
    currency_of: IntArray  # index into Settings.currencies
    offset_minutes: IntArray
    traffic: FloatArray
    vat_percent: IntArray
    reversal_factor: FloatArray


def markets(currencies: tuple[str, ...]) -> Markets:
    """Countries of the chosen currencies, sorted by code."""
    rows = sorted(
        (
            (country, number)
            for number, code in enumerate(currencies)
            for country in world.MARKETS[code].countries
        ),
        key=lambda row: row[0].code,
    )
    return Markets(
        countries=tuple(c.code for c, _ in rows),
        currency_of=np.array([n for _, n in rows], dtype=np.int64),
        offset_minutes=np.array([c.utc_offset_minutes for c, _ in rows], dtype=np.int64),
        traffic=_shares([c.traffic_weight for c, _ in rows]),
        vat_percent=np.array([c.vat_percent for c, _ in rows], dtype=np.int64),
        reversal_factor=np.array(
            [world.COUNTRY_REVERSAL_FACTOR.get(c.code, 1.0) for c, _ in rows], dtype=np.float64
        ),
    )


# -- partners ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerDraft:
    """Partners as columns; kinds, statuses, groups and countries are indices."""

    kind: IntArray
    audience: IntArray
    engagement: FloatArray
    status: IntArray
    group: IntArray
    country: IntArray
    parent: IntArray  # -1 for none
    joined_us: IntArray
    category: IntArray  # primary category
    categories: npt.NDArray[np.object_]  # tuples of category names
    names: npt.NDArray[np.object_]
    codes: npt.NDArray[np.object_]  # exclusive coupon code or None
    discount: IntArray  # percent off with the code
    conversion: FloatArray
    reach: FloatArray  # relative click volume


def partners(settings: Settings, market: Markets) -> PartnerDraft:
    """Partners with Pareto audiences, kinds, groups, parents and exclusive codes."""
    gen = rng(settings.seed, 1)
    count = settings.partners
    profiles = world.KINDS
    kind = gen.choice(len(profiles), size=count, p=_shares([p.share for p in profiles]))
    low = np.array([p.audience_min for p in profiles], dtype=np.float64)[kind]
    alpha = np.array([p.audience_alpha for p in profiles])[kind]
    cap = np.array([p.audience_cap for p in profiles], dtype=np.float64)[kind]
    audience = np.minimum(low * (1.0 + gen.pareto(alpha)), cap).astype(np.int64)
    # Engagement falls as audiences grow (a nano KOL's followers are closer to them).
    base = np.array([p.engagement for p in profiles])[kind]
    noise = gen.lognormal(0.0, 0.3, count)
    engagement = np.round(np.clip(base * (audience / low) ** -0.15 * noise, 0.002, 0.35), 4).astype(
        np.float64
    )
    status = gen.choice(len(STATUSES), size=count, p=[0.9, 0.05, 0.03, 0.02])
    reach = audience * engagement * np.array([1.0, 0.3, 0.0, 0.0])[status]
    if not reach.any():
        status[int(np.argmax(audience))] = 0
        reach = audience * engagement * (status == 0)
    kol = np.flatnonzero([p.kind == "kol" for p in profiles])[0]
    head = (kind == kol) & (audience >= world.KOL_HEAD)
    premium_line = np.quantile(audience * engagement, 0.9) if count else 0.0
    group = np.where(head, 0, np.where(audience * engagement >= premium_line, 1, 2))
    country = gen.choice(len(market.countries), size=count, p=market.traffic)
    parent = _parents(gen, kind, [p.kind for p in profiles].index("agency"))
    joined_days = np.where(status == 2, gen.uniform(0, 14, count), gen.uniform(30, 730, count))
    joined_us = settings.start_us - (joined_days * DAY).astype(np.int64)
    weights = _shares(world.CATEGORY_WEIGHTS)
    category = gen.choice(len(world.CATEGORIES), size=count, p=weights)
    extra = gen.choice(len(world.CATEGORIES), size=(count, 2), p=weights)
    spread = gen.integers(0, 3, count)
    has_code = gen.random(count) < np.array([p.has_code for p in profiles])[kind]
    discount = np.where(has_code, gen.choice([10, 15, 20], size=count), 0)
    first = gen.integers(0, len(world.NAME_FIRST), count)
    second = gen.integers(0, 6, count)
    categories = np.empty(count, dtype=object)
    names = np.empty(count, dtype=object)
    codes = np.empty(count, dtype=object)
    for row in range(count):  # per partner (thousands at most), not per click
        covered = [int(category[row]), *(int(c) for c in extra[row, : spread[row]])]
        categories[row] = tuple(world.CATEGORIES[c] for c in dict.fromkeys(covered))
        label = profiles[int(kind[row])].kind
        suffixes = world.NAME_SECOND[label]
        word = world.NAME_FIRST[int(first[row])]
        names[row] = f"{word} {suffixes[int(second[row]) % len(suffixes)]}"
        codes[row] = f"{word.upper()}{discount[row]}{row}" if has_code[row] else None
    conversion = np.array([p.conversion for p in profiles])[kind] * gen.lognormal(0, 0.35, count)
    # Scale so that the programme's click-weighted conversion rate is the one asked for.
    typical = float((conversion * reach).sum() / reach.sum())
    conversion = np.clip(conversion * settings.conversion_rate / typical, 0.0005, 0.5)
    return PartnerDraft(
        kind=kind,
        audience=audience,
        engagement=engagement,
        status=status,
        group=group,
        country=country,
        parent=parent,
        joined_us=joined_us,
        category=category,
        categories=categories,
        names=names,
        codes=codes,
        discount=discount,
        conversion=conversion,
        reach=reach,
    )


def _parents(gen: np.random.Generator, kind: IntArray, agency: int) -> IntArray:
    """Sub-affiliates: some partners recruited by an agency, some agencies by an older one.

    An agency's parent is always an agency listed before it, so parents never form a cycle.
    """
    parent = np.full(kind.size, -1, dtype=np.int64)
    agencies = np.flatnonzero(kind == agency)
    if agencies.size == 0:
        return parent
    others = np.flatnonzero(kind != agency)
    recruited = others[gen.random(others.size) < 0.12]
    parent[recruited] = agencies[gen.integers(0, agencies.size, recruited.size)]
    rank = np.arange(agencies.size)
    nested = (rank > 0) & (gen.random(agencies.size) < 0.2)
    chosen = np.floor(gen.random(agencies.size) * rank).astype(np.int64)
    parent[agencies[nested]] = agencies[chosen[nested]]
    return parent


# -- clicks -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClickDraft:
    """Clicks in time order; visitors are numbered densely, each in one country."""

    ts: IntArray
    partner: IntArray
    visitor: IntArray
    sub_id: IntArray  # index into SUB_IDS, -1 for none
    visitor_country: IntArray  # per visitor


def clicks(settings: Settings, market: Markets, crew: PartnerDraft) -> ClickDraft:
    """Clicks spread over partners by reach, over days and over the buyers' local hours."""
    gen = rng(settings.seed, 2)
    count = settings.clicks
    weights = crew.reach / crew.reach.sum()
    partner = gen.choice(weights.size, size=count, p=weights)
    # A partner's audience is mostly in its own country, the rest follows global traffic.
    home = gen.random(count) < 0.55
    country = np.where(
        home, crew.country[partner], gen.choice(market.traffic.size, size=count, p=market.traffic)
    )
    day = gen.choice(settings.days, size=count, p=_day_weights(gen, settings))
    hour = gen.choice(24, size=count, p=_shares(world.HOUR_WEIGHTS))
    wall = day * DAY + hour * HOUR + gen.integers(0, HOUR, count)
    # Local hours of the buyer's country, placed on the programme's clock.
    shift = (market.offset_minutes[country] - settings.offset_minutes) * 60 * SECOND
    span = settings.end_us - settings.start_us
    ts = settings.start_us + np.mod(wall - settings.start_tod_us - shift, span)
    order = np.argsort(ts, kind="stable")
    ts, partner, country = ts[order], partner[order], country[order]
    # Visitors: a pool per country about 0.7 times its clicks, so some visitors come back
    # through several partners (multi-touch journeys).
    per_country = np.bincount(country, minlength=market.traffic.size)
    pool = np.maximum(1, np.ceil(per_country * 0.7)).astype(np.int64)
    offsets = np.cumsum(pool) - pool
    keys = offsets[country] + np.floor(gen.random(count) * pool[country]).astype(np.int64)
    # Number the visitors that clicked densely, in key order (linear time, no sort).
    present = np.zeros(int(pool.sum()), dtype=bool)
    present[keys] = True
    visitor = np.cumsum(present)[keys] - 1
    visitor_country = np.searchsorted(offsets, np.flatnonzero(present), side="right") - 1
    creators = [n for n, p in enumerate(world.KINDS) if p.kind in ("kol", "content")]
    tracked = np.isin(crew.kind[partner], creators) & (gen.random(count) < 0.7)
    sub_id = np.where(tracked, gen.integers(0, len(world.SUB_IDS), count), -1)
    return ClickDraft(
        ts=ts,
        partner=partner,
        visitor=visitor.astype(np.int64),
        sub_id=sub_id,
        visitor_country=visitor_country.astype(np.int64),
    )


def _day_weights(gen: np.random.Generator, settings: Settings) -> FloatArray:
    """Weekends busier, a gentle growth trend, and a few promotion days."""
    number = np.arange(settings.days)
    weekend = (settings.first_weekday + number) % 7 >= 5
    weights = (1.0 + 0.25 * weekend) * (1.0 + 0.3 * number / max(settings.days, 1))
    promotions = gen.choice(settings.days, size=max(1, settings.days // 30), replace=False)
    weights[promotions] *= 2.5
    return _shares(weights)


def visitor_devices(settings: Settings, countries: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Per visitor: device class, user agent (flat index) and an IPv4 address as an integer.

    Octets are 100-255 (first 100-223, not 127), so an address's text sorts as its number.
    About 15% of visitors share an address with another (households, offices, carriers).
    """
    gen = rng(settings.seed, 3)
    count = countries.size
    device = gen.choice(len(world.DEVICE_WEIGHTS), size=count, p=world.DEVICE_WEIGHTS)
    sizes = np.array([len(agents) for agents in world.USER_AGENTS], dtype=np.int64)
    first = np.cumsum(sizes) - sizes
    agent = first[device] + np.floor(gen.random(count) * sizes[device]).astype(np.int64)
    leading = np.setdiff1d(np.arange(100, 224), [127])
    octets = [leading[gen.integers(0, leading.size, count)]]
    octets += [gen.integers(100, 256, count) for _ in range(3)]
    address = ((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3]
    shared = gen.random(count) < 0.15
    owner = np.where(shared, gen.integers(0, max(count, 1), count), np.arange(count))
    return device, agent, address[owner].astype(np.int64)


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
        owners = coded[gen.choice(coded.size, size=picks, p=_shares(crew.reach[coded]))]
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
    weights = _shares(world.CATEGORY_WEIGHTS)
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
        weights = _shares(crew.reach[creators])
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

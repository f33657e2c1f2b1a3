"""The first stages of the synthetic programme: markets, partners, clicks and visitors.

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

from alliance.datasets import _world as world

__all__ = [
    "DAY",
    "GROUPS",
    "HOUR",
    "SECOND",
    "STATUSES",
    "BoolArray",
    "ClickDraft",
    "FloatArray",
    "IntArray",
    "Markets",
    "PartnerDraft",
    "Settings",
    "clicks",
    "markets",
    "mix",
    "partners",
    "rng",
    "shares",
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


def shares(weights: npt.ArrayLike) -> FloatArray:
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
        traffic=shares([c.traffic_weight for c, _ in rows]),
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
    kind = gen.choice(len(profiles), size=count, p=shares([p.share for p in profiles]))
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
    weights = shares(world.CATEGORY_WEIGHTS)
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
    hour = gen.choice(24, size=count, p=shares(world.HOUR_WEIGHTS))
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
    return shares(weights)


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

"""The fixed facts the generator draws from: markets, currencies, kinds, products, devices.

Numbers here are assumptions about a typical cross-border retail programme, written down once so
the docstring of `synthetic_program` and ``docs/datasets.md`` can point at them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "CATEGORY_PRICE_USD",
    "CATEGORY_WEIGHTS",
    "COUNTRY_REVERSAL_FACTOR",
    "DEVICE_WEIGHTS",
    "HOUR_WEIGHTS",
    "KINDS",
    "KOL_HEAD",
    "KOL_MID",
    "KOL_NANO",
    "MARKETS",
    "NAME_FIRST",
    "NAME_SECOND",
    "REASONS",
    "SUB_IDS",
    "USER_AGENTS",
    "Country",
    "KindProfile",
    "Market",
]

#: KOL pyramid thresholds (followers): head, mid and nano tiers start here.
KOL_HEAD = 1_000_000
KOL_MID = 50_000
KOL_NANO = 10_000


@dataclass(frozen=True, slots=True)
class Country:
    """A buyer market: its time zone offset (standard time), traffic weight and VAT."""

    code: str
    utc_offset_minutes: int
    traffic_weight: float
    vat_percent: int


@dataclass(frozen=True, slots=True)
class Market:
    """A currency and the countries that pay in it.

    Attributes:
        usd_rate: Units of the currency one US dollar buys at the start (market level).
        annual_volatility: Standard deviation of the yearly log change of the rate.
        price_step: Local prices end on multiples of this many minor units ...
        price_tick: ... less this many (``1999`` cents, ``1980`` yen, ``12.490`` dinars).
        countries: The buyer countries.
    """

    usd_rate: float
    annual_volatility: float
    price_step: int
    price_tick: int
    countries: tuple[Country, ...]


MARKETS: dict[str, Market] = {
    "USD": Market(1.0, 0.0, 100, 1, (Country("US", -300, 28.0, 7),)),
    "EUR": Market(
        0.92,
        0.08,
        100,
        1,
        (
            Country("DE", 60, 8.0, 19),
            Country("FR", 60, 6.0, 20),
            Country("ES", 60, 4.0, 21),
            Country("IT", 60, 4.0, 22),
            Country("NL", 60, 2.0, 21),
        ),
    ),
    "GBP": Market(0.79, 0.09, 100, 1, (Country("GB", 0, 10.0, 20),)),
    "JPY": Market(149.5, 0.11, 100, 20, (Country("JP", 540, 10.0, 10),)),
    "CNY": Market(7.18, 0.04, 1000, 100, (Country("CN", 480, 12.0, 13),)),
    "BRL": Market(5.05, 0.16, 100, 10, (Country("BR", -180, 8.0, 17),)),
    "KWD": Market(0.307, 0.02, 500, 10, (Country("KW", 180, 2.0, 0),)),
    "CAD": Market(1.36, 0.07, 100, 1, (Country("CA", -300, 3.0, 13),)),
    "AUD": Market(1.52, 0.10, 100, 1, (Country("AU", 600, 3.0, 10),)),
    "KRW": Market(1330.0, 0.10, 1000, 100, (Country("KR", 540, 3.0, 10),)),
    "INR": Market(83.2, 0.05, 1000, 100, (Country("IN", 330, 4.0, 18),)),
    "MXN": Market(17.1, 0.13, 100, 1, (Country("MX", -360, 3.0, 16),)),
    "CHF": Market(0.88, 0.07, 100, 10, (Country("CH", 60, 1.0, 8),)),
    "SGD": Market(1.34, 0.05, 100, 10, (Country("SG", 480, 1.0, 9),)),
    "AED": Market(3.6725, 0.002, 100, 1, (Country("AE", 240, 2.0, 5),)),
    "BHD": Market(0.376, 0.002, 500, 10, (Country("BH", 180, 1.0, 10),)),
    "CLP": Market(940.0, 0.12, 1000, 10, (Country("CL", -240, 1.0, 19),)),
}

#: Chargebacks run higher in some markets (a multiplier of the programme's rate).
COUNTRY_REVERSAL_FACTOR: dict[str, float] = {"BR": 3.0, "MX": 2.0, "IN": 1.5, "CL": 1.5}


@dataclass(frozen=True, slots=True)
class KindProfile:
    """How one kind of partner behaves.

    Attributes:
        kind: `Partner.kind` value.
        share: Share of the partners of this kind.
        audience_min: Pareto scale: the smallest audience (followers or monthly visitors).
        audience_alpha: Pareto shape: smaller is a heavier tail.
        audience_cap: Audiences are capped here.
        engagement: Typical engaged share of the audience.
        conversion: Relative conversion rate; all are scaled to the programme's rate.
        new_customer: Share of the partner's orders from customers new to the brand.
        coupon_use: Share of the partner's orders that redeem its code, if it has one.
        has_code: Share of partners of this kind that own an exclusive code.
        refund_factor: Multiplier on the programme's refund rate.
    """

    kind: str
    share: float
    audience_min: int
    audience_alpha: float
    audience_cap: int
    engagement: float
    conversion: float
    new_customer: float
    coupon_use: float
    has_code: float
    refund_factor: float


KINDS: tuple[KindProfile, ...] = (
    KindProfile("kol", 0.45, KOL_NANO, 0.85, 30_000_000, 0.06, 0.018, 0.70, 0.35, 1.0, 1.2),
    KindProfile("content", 0.20, 5_000, 1.1, 5_000_000, 0.03, 0.028, 0.65, 0.20, 0.2, 1.0),
    KindProfile("coupon", 0.13, 50_000, 1.0, 20_000_000, 0.05, 0.060, 0.40, 0.85, 1.0, 1.1),
    KindProfile("cashback", 0.10, 100_000, 1.0, 20_000_000, 0.08, 0.050, 0.45, 0.0, 0.0, 1.3),
    KindProfile("agency", 0.07, 100_000, 1.2, 10_000_000, 0.02, 0.025, 0.60, 0.0, 0.0, 1.0),
    KindProfile("brand", 0.05, 20_000, 1.2, 5_000_000, 0.02, 0.020, 0.55, 0.10, 0.3, 0.9),
)

CATEGORIES: tuple[str, ...] = (
    "beauty",
    "books",
    "electronics",
    "fashion",
    "food",
    "home",
    "sports",
    "toys",
)
CATEGORY_WEIGHTS: tuple[float, ...] = (0.18, 0.05, 0.14, 0.24, 0.07, 0.14, 0.10, 0.08)
#: Median unit price of a category's products, in US dollars.
CATEGORY_PRICE_USD: tuple[float, ...] = (25.0, 18.0, 120.0, 45.0, 15.0, 40.0, 55.0, 30.0)

#: Relative traffic by hour of the buyer's local day (evening peak, night trough).
HOUR_WEIGHTS: tuple[float, ...] = (
    0.6, 0.4, 0.3, 0.2, 0.2, 0.3, 0.5, 0.8, 1.0, 1.1, 1.2, 1.3,
    1.3, 1.2, 1.2, 1.2, 1.3, 1.4, 1.6, 1.9, 2.1, 2.2, 1.8, 1.1,
)  # fmt: skip

#: User agents by device class: mobile, desktop, tablet.
USER_AGENTS: tuple[tuple[str, ...], ...] = (
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/138.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/137.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Instagram 380.0.0.28.104",
        "Mozilla/5.0 (Linux; Android 14; 23127PN0CG) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/136.0.0.0 Mobile Safari/537.36 XiaoMi/MiuiBrowser/18.4",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/138.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.5 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/137.0.0.0 Safari/537.36",
    ),
)
DEVICE_WEIGHTS: tuple[float, ...] = (0.62, 0.33, 0.05)

#: A partner's own tracking parameters (KOL and content partners use them).
SUB_IDS: tuple[str, ...] = tuple(
    f"{channel}-{number}"
    for channel in ("ig-reel", "ig-story", "tt-post", "yt-video", "blog", "newsletter")
    for number in range(1, 6)
)

REASONS: dict[str, tuple[str, ...]] = {
    "refund": ("changed mind", "damaged in transit", "not as described", "wrong size"),
    "chargeback": ("card not present fraud", "duplicate charge", "item not received"),
    "cancellation": ("customer request", "out of stock", "payment not captured"),
}

NAME_FIRST: tuple[str, ...] = (
    "Amber", "Aurora", "Bright", "Cedar", "Coral", "Daily", "Echo", "Glow", "Golden", "Harbor",
    "Jade", "Lotus", "Luna", "Maple", "Nova", "Pixel", "Sakura", "Silver", "Sunny", "Urban",
)  # fmt: skip
NAME_SECOND: dict[str, tuple[str, ...]] = {
    "kol": ("Beauty", "Diaries", "Looks", "Life", "Style", "Vlogs"),
    "content": ("Journal", "Magazine", "Reviews", "Guide", "Blog"),
    "coupon": ("Deals", "Coupons", "Codes", "Bargains"),
    "cashback": ("Cashback", "Rewards", "Points"),
    "agency": ("Media", "Agency", "Partners", "Network"),
    "brand": ("Brand", "Store", "Co."),
}

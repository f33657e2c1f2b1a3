"""`synthetic_program`: argument checks, the stages in order, and the drafts made into tables."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency
from alliance._fx import FxRates
from alliance._periods import periods_between, require_aware, shift, to_micros, zone
from alliance._tables import Clicks, Lines, Orders, Partners, Reversals, Touchpoints
from alliance.datasets import _inject, _sales, _traffic
from alliance.datasets import _world as world
from alliance.datasets._assemble import LabelMaker, Labels, build_table, fixed_text
from alliance.datasets._fraud import PATTERNS, SUBJECTS, FraudLabels
from alliance.datasets._program import Program

__all__ = ["DEFAULT_CURRENCIES", "DEFAULT_START", "synthetic_program"]

DEFAULT_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JPY", "CNY", "BRL", "KWD")
DEFAULT_START = datetime(2026, 7, 1, tzinfo=zone("Asia/Shanghai"))
_LINE_NUMBERS = ("1", "2", "3", "4", "5")


def synthetic_program(
    *,
    seed: int = 0,
    partners: int = 200,
    clicks: int = 50_000,
    days: int = 90,
    start: datetime = DEFAULT_START,
    currencies: Sequence[str] = DEFAULT_CURRENCIES,
    timezone: str = "Asia/Shanghai",
    conversion_rate: float = 0.03,
    refund_rate: float = 0.07,
    chargeback_rate: float = 0.005,
    cancellation_rate: float = 0.02,
    cookie_days: int = 30,
    impression_rate: float = 0.25,
    fraud: Mapping[str, float] | None = None,
    evasive: float = 0.3,
) -> Program:
    """Generate a deterministic, realistic cross-border affiliate programme.

    The same arguments give the same tables, row for row. Each stage draws from its own
    random stream of the seed, so the partners of a seed stay the same whatever the number of
    clicks. Generation is vectorised: ten million clicks take seconds, not hours.

    Assumptions (see ``docs/datasets.md`` for the figures):

    - Partners: kinds KOL 45%, content 20%, coupon 13%, cashback 10%, agency 7%, brand 5%.
      Audiences are Pareto (a KOL has at least 10k followers; shape 0.85, so heads of 1M and
      more are rare); KOLs fall into head (≥ 1M), mid (50k-1M) and nano (10k-50k) tiers.
      Engagement falls as audiences grow. Groups: ``kol-head`` for head KOLs, ``premium`` for
      the top tenth by engaged audience, ``standard`` for the rest. About 12% of partners are
      sub-affiliates of an agency, and some agencies of an older agency (no cycles). Status
      is 90% active; pending and terminated partners get no traffic, paused ones little. A
      partner's country follows buyer traffic; it is paid in that country's currency. KOLs
      and coupon sites (some content and brand partners too) own an exclusive code, kept in
      the partners' ``coupon_codes``.
    - Clicks: spread over partners in proportion to their engaged audience, over days
      (weekends +25%, a 30% growth trend over the window, a promotion day per month at 2.5x)
      and over the buyers' local hours (evening peak). A partner's clicks come 55% from its
      own country. Visitors number about 0.7 per click, so some come back through several
      partners; each has one device, user agent and IP address (15% share an address).
    - Orders: each click converts with its partner's rate (typical 3%: coupon and cashback
      sites higher, KOLs lower, lognormal spread), after 90 seconds plus a lognormal lag
      (median 3 hours, long tail), only within the cookie window and before ``end``. About 4%
      more orders redeem a partner's code without its click (code leakage). Every order is
      credited to a partner (``partner_id``); coupon sites' orders mostly carry their code.
      Buyers pay in their country's currency; 40-70% of customers are new (by partner
      kind); returning ones reuse customer ids, from before the window or earlier in it.
    - Lines: 1-5 per order from eight categories (60% the partner's main category), 40 skus
      each with a price list per currency at local price points (19.99 USD, 1980 JPY,
      12.490 KWD), quantities mostly 1. A code takes 10-20% off each line, rounded to the
      minor unit. An order's amount is the exact sum of its lines, in whole minor units;
      ``tax`` is the VAT or sales tax included in it, ``discount`` what the code took off.
    - Reversals: cancellations (2%, within two days, in full), refunds (7%, more for cashback
      and KOL traffic; a week or more later; half in full, a third one line, the rest a
      goodwill part) and chargebacks (0.5%, three times that in Brazil; weeks later, the full
      amount). Reversals after ``end`` have not happened yet and are left out.
    - Touchpoints: every click, an impression from a creator before a quarter of the clicks,
      and a coupon touch for each order placed with a code but no click.
    - FX: a daily rate of every currency per US dollar from the first local day of the
      window (a random walk at the currency's yearly volatility, from a market level),
      quoted to six significant digits.

    - Fraud (only with `fraud`): each pattern named adds rows to the tables, mostly from new
      partner accounts (ids after the organic partners', joined shortly before or early in
      the window), and labels them in `Program.labels`. ``click_injection``: a cashback
      account's click for the buyer 1-9 s before an organic order without a code (11-45 s when
      evasive), which takes the order's credit. ``click_spam``: content accounts fire clicks
      for real visitors, from bot devices in bursts of 6-30 an hour (evasive: from the
      visitors' own devices, one each); orders whose latest click is then spam are credited
      to the spammer. ``self_referral``: orders by existing partners through their own link,
      with the partner's e-mail (evasive: the partner's card and another e-mail).
      ``velocity``: bursts of 5-12 orders on one card within 1-6 hours (evasive: new device,
      address and e-mail per order). ``brushing``: bursts of 6-20 cheap orders on a coupon
      account's own code within an hour from 1-2 buyers (evasive: 3-4). ``leaked_coupon``:
      more orders with an exclusive code and no click of its owner; every such order is
      labelled, the organic ones included. ``duplicate_identity``: second accounts of
      existing partners with the same payment fingerprint (evasive: e-mail).
      ``reversal_abuse``: existing partners whose orders are 40-60% fully refunded or charged
      back (evasive: 20-30%). Every event stays in the window and ids stay in time order
      over all rows, so with fraud the organic rows keep their times but not always their
      ids. See ``docs/datasets.md`` for the rates and what each label covers.

    Args:
        seed: Seed of the random streams (a non-negative int).
        partners: Number of partners (at least 1).
        clicks: Number of clicks (0 or more).
        days: Length of the window in local days of `timezone`.
        start: First instant of the window (tz-aware).
        currencies: Order currencies (ISO codes, each with its buyer markets; see
            `supported_currencies`).
        timezone: The programme's IANA time zone: days and promotions follow its calendar.
        conversion_rate: Typical click-to-order conversion rate, in (0, 1].
        refund_rate: Share of orders refunded, in [0, 1).
        chargeback_rate: Share of orders charged back, in [0, 1).
        cancellation_rate: Share of orders cancelled, in [0, 1).
        cookie_days: Attribution window: clicks older than this convert no more.
        impression_rate: Share of clicks with an impression before them, in [0, 1].
        fraud: Fraud to inject: a rate in [0, 0.5] per pattern (see `DEFAULT_FRAUD` for the
            patterns and sensible rates). ``click_spam``'s rate is extra clicks as a share
            of the clicks, ``duplicate_identity``'s and ``reversal_abuse``'s a share of the
            partners, ``click_injection``'s the share of orders stolen, the others' a share
            of orders added. None (the default) or no positive rate: no fraud, and the
            programme is the same as without the argument.
        evasive: Share of each pattern's fraudsters, in [0, 1], that use its evasive variant
            (their labels have ``evasive`` set).

    Returns:
        The `Program`.

    Raises:
        ValueError: An argument is out of range (the message names it and its value), or
            `fraud` names an unknown pattern.
        TimezoneError: `start` is naive or `timezone` unknown.
        CurrencyError: A currency code is not ISO 4217.

    Examples:
        >>> program = synthetic_program(seed=7, partners=20, clicks=500)
        >>> len(program.partners), len(program.clicks)
        (20, 500)
        >>> program.equals(synthetic_program(seed=7, partners=20, clicks=500))
        True
        >>> from alliance.datasets import DEFAULT_FRAUD
        >>> risky = synthetic_program(seed=7, partners=60, clicks=5_000, fraud=DEFAULT_FRAUD)
        >>> risky.labels.patterns == tuple(sorted(DEFAULT_FRAUD)), len(risky.partners) > 60
        (True, True)
        >>> risky.labels.ids("order", "velocity") <= set(risky.orders["order_id"])
        True
    """
    rates = _fraud_rates(fraud)
    evasive_share = _ratio("evasive", evasive, low=0.0, high=1.0)
    settings = _settings(
        seed=seed,
        partners=partners,
        clicks=clicks,
        days=days,
        start=start,
        currencies=currencies,
        timezone=timezone,
        conversion_rate=conversion_rate,
        refund_rate=refund_rate,
        chargeback_rate=chargeback_rate,
        cancellation_rate=cancellation_rate,
        cookie_days=cookie_days,
        impression_rate=impression_rate,
    )
    market = _traffic.markets(settings.currencies)
    crew = _traffic.partners(settings, market)
    traffic = _traffic.clicks(settings, market, crew)
    sales = _sales.orders(settings, market, crew, traffic)
    returns = _sales.reversals(settings, market, crew, sales)
    journeys = _sales.touchpoints(settings, crew, traffic, sales)
    drafts = _inject.organic(settings, crew, traffic, sales, returns, journeys)
    if any(rate > 0 for rate in rates.values()):
        drafts = _inject.inject(settings, market, drafts, rates, evasive_share)
    return _program(settings, timezone, start, market, drafts)


def supported_currencies() -> tuple[str, ...]:
    """The currencies `synthetic_program` can generate orders in (with buyer markets)."""
    return tuple(sorted(world.MARKETS))


# -- arguments --------------------------------------------------------------------------------


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _ratio(name: str, value: Any, *, low: float, high: float, closed_low: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    below = number < low if closed_low else number <= low
    if below or number > high or number != number:
        bracket = "[" if closed_low else "("
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value!r}")
    return number


def _fraud_rates(fraud: Any) -> dict[str, float]:
    """The rate of every pattern asked for (validated), by pattern."""
    if fraud is None:
        return {}
    if not isinstance(fraud, Mapping):
        raise ValueError(
            "fraud must be a mapping of pattern to rate such as {'click_spam': 0.05} "
            f"(see DEFAULT_FRAUD), got {fraud!r}"
        )
    unknown = [key for key in fraud if key not in PATTERNS]
    if unknown:
        raise ValueError(
            f"fraud has unknown patterns {unknown}; known patterns: {', '.join(PATTERNS)}"
        )
    return {key: _ratio(f"fraud[{key!r}]", fraud[key], low=0.0, high=0.5) for key in fraud}


def _settings(
    *,
    seed: Any,
    partners: Any,
    clicks: Any,
    days: Any,
    start: Any,
    currencies: Any,
    timezone: Any,
    conversion_rate: Any,
    refund_rate: Any,
    chargeback_rate: Any,
    cancellation_rate: Any,
    cookie_days: Any,
    impression_rate: Any,
) -> _traffic.Settings:
    if isinstance(currencies, str) or not isinstance(currencies, Sequence):
        raise ValueError(
            f"currencies must be a sequence of codes such as ('USD', 'EUR'), got {currencies!r}"
        )
    codes = tuple(currency(code).code for code in currencies)
    if not codes:
        raise ValueError("currencies must name at least one currency")
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ValueError(f"currencies lists {', '.join(repeated)} more than once")
    unknown = [code for code in codes if code not in world.MARKETS]
    if unknown:
        supported = ", ".join(sorted(world.MARKETS))
        raise ValueError(f"no buyer market for currencies {unknown}; supported: {supported}")
    tz = zone(timezone)
    begin = require_aware(start, name="start")
    span = _whole("days", days, 1)
    end = shift(begin, tz=tz, days=span)
    local = begin.astimezone(tz)
    offset = local.utcoffset()
    rates = {
        "refund_rate": _ratio("refund_rate", refund_rate, low=0.0, high=0.9),
        "chargeback_rate": _ratio("chargeback_rate", chargeback_rate, low=0.0, high=0.3),
        "cancellation_rate": _ratio("cancellation_rate", cancellation_rate, low=0.0, high=0.5),
    }
    # Partner and market factors raise refunds up to 1.3x and chargebacks up to 3x.
    worst = 1.3 * rates["refund_rate"] + 3 * rates["chargeback_rate"] + rates["cancellation_rate"]
    if worst > 1:
        raise ValueError(
            "refund_rate * 1.3 + chargeback_rate * 3 + cancellation_rate must not exceed 1 "
            f"(partner and market factors apply), got {worst:.3f}"
        )
    return _traffic.Settings(
        seed=_whole("seed", seed, 0),
        partners=_whole("partners", partners, 1),
        clicks=_whole("clicks", clicks, 0),
        currencies=codes,
        start_us=to_micros(begin),
        end_us=to_micros(end),
        start_tod_us=(local - local.replace(hour=0, minute=0, second=0, microsecond=0))
        // timedelta(microseconds=1),
        offset_minutes=int(offset.total_seconds() // 60) if offset is not None else 0,
        first_weekday=local.weekday(),
        days=span,
        conversion_rate=_ratio(
            "conversion_rate", conversion_rate, low=0.0, high=1.0, closed_low=False
        ),
        cookie_days=_whole("cookie_days", cookie_days, 1),
        impression_rate=_ratio("impression_rate", impression_rate, low=0.0, high=1.0),
        **rates,
    )


# -- tables -----------------------------------------------------------------------------------


def _ids(prefix: str, count: int) -> LabelMaker:
    """Labels ``prefix`` + a zero-padded number, wide enough for `count` numbers."""
    width = max(4, len(str(max(count - 1, 0))))

    def make(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        made: npt.NDArray[np.object_] = fixed_text(numbers.size, prefix, (numbers, width))
        return made

    return make


def _shared(make: LabelMaker, count: int) -> LabelMaker:
    """A label maker that formats all `count` labels once, for columns of several tables."""
    cache: list[npt.NDArray[np.object_]] = []

    def lookup(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        if not cache:
            cache.append(make(np.arange(count, dtype=np.int64)))
        chosen: npt.NDArray[np.object_] = cache[0][numbers]
        return chosen

    return lookup


def _hashes(prefix: str, salt: int) -> LabelMaker:
    def make(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        digest = _traffic.mix(numbers, salt).tolist()
        return np.array([f"{prefix}{value:016x}" for value in digest], dtype=object)

    return make


def _either(codes: npt.NDArray[np.int64], own: LabelMaker, partners: LabelMaker) -> Labels:
    """An order's e-mail hash (or card): its customer's own, or a partner's (self-referral).

    Codes from 0 are customers' (`own`); ``-2 - n`` is partner ``n``'s (`partners`). Partners'
    codes are moved after the customers', so that the codes stay dense.
    """
    theirs = codes <= -2
    if not theirs.any():
        return Labels(codes, own)
    base = int(codes.max()) + 1 if (~theirs).any() else 0

    def make(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        made = np.empty(numbers.size, dtype=object)
        low = numbers < base
        made[low] = own(numbers[low])
        made[~low] = partners(numbers[~low] - base)
        return made

    return Labels(np.where(theirs, base - 2 - codes, codes), make)


def _labels(
    draft: _inject.LabelDraft,
    partner_id: LabelMaker,
    click_id: LabelMaker,
    order_id: LabelMaker,
) -> FraudLabels:
    """The labels with the ids of their rows."""
    if not draft.row.size:
        return FraudLabels.empty()
    ids = np.empty(draft.row.size, dtype=object)
    for number, make in enumerate((click_id, order_id, partner_id)):
        rows = draft.subject == number
        ids[rows] = make(draft.row[rows])
    return FraudLabels(
        subject=np.array(SUBJECTS, dtype=object)[draft.subject],
        id=ids,
        pattern=np.array(PATTERNS, dtype=object)[draft.pattern],
        partner_id=partner_id(draft.partner),
        evasive=draft.evasive,
    )


def _addresses(values: npt.NDArray[np.int64]) -> LabelMaker:
    def make(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        chosen = values[numbers]
        # Every octet has three digits (see `visitor_devices`), so the text is fixed-width.
        first, second, third, fourth = ((chosen >> bits) & 255 for bits in (24, 16, 8, 0))
        made: npt.NDArray[np.object_] = fixed_text(
            chosen.size, (first, 3), ".", (second, 3), ".", (third, 3), ".", (fourth, 3)
        )
        return made

    return make


def _program(
    settings: _traffic.Settings,
    timezone: str,
    start: datetime,
    market: _traffic.Markets,
    drafts: _inject.Drafts,
) -> Program:
    seed = settings.seed
    crew, traffic, sales = drafts.crew, drafts.traffic, drafts.sales
    returns, journeys, identities = drafts.returns, drafts.journeys, drafts.identities
    partner_count = crew.kind.size
    partner_id = _ids("P", partner_count)
    kinds = tuple(k.kind for k in world.KINDS)
    countries, codes = market.countries, settings.currencies
    partners = build_table(
        Partners,
        partner_count,
        {
            "partner_id": Labels(np.arange(partner_count), partner_id),
            "name": Labels(np.arange(partner_count), crew.names),
            "kind": Labels.of(crew.kind, kinds),
            "group": Labels.of(crew.group, _traffic.GROUPS),
            "parent_id": Labels(crew.parent, partner_id),
            "country": Labels.of(crew.country, countries),
            "payout_currency": Labels.of(market.currency_of[crew.country], codes),
            "email_hash": Labels(identities.partner_email, _hashes("", seed * 4 + 1)),
            "payment_fingerprint": Labels(identities.partner_card, _hashes("pm_", seed * 4 + 2)),
            "audience_size": crew.audience,
            "engagement_rate": crew.engagement,
            "categories": crew.categories,
            "coupon_codes": _code_tags(crew.codes),
            "status": Labels.of(crew.status, _traffic.STATUSES),
            "joined_at": crew.joined_us,
        },
    )
    # A click comes from its visitor's device and address, or from a bot's (click spam).
    visitor_count = sales.visitor_country.size
    bot = identities.click_device >= visitor_count
    addresses, address_code = np.unique(
        np.concatenate([identities.visitor_address, identities.click_address[bot]]),
        return_inverse=True,
    )
    click_address = address_code[traffic.visitor]
    click_address[bot] = address_code[visitor_count:]
    address_code = address_code[:visitor_count]
    visitor_id = _shared(_ids("V", visitor_count), visitor_count)
    device_id = _shared(_ids("D", identities.devices), identities.devices)
    ip = _shared(_addresses(addresses), addresses.size)
    agents = tuple(agent_text for group in world.USER_AGENTS for agent_text in group)
    visitor = traffic.visitor
    click_count = traffic.ts.size
    clicks = build_table(
        Clicks,
        click_count,
        {
            "click_id": Labels(np.arange(click_count), _ids("C", click_count)),
            "ts": traffic.ts,
            "partner_id": Labels(traffic.partner, partner_id),
            "visitor_id": Labels(visitor, visitor_id),
            "ip": Labels(click_address, ip),
            "device_id": Labels(identities.click_device, device_id),
            "user_agent": Labels.of(identities.click_agent, agents),
            "country": Labels.of(sales.visitor_country[visitor], countries),
            "sub_id": Labels.of(traffic.sub_id, world.SUB_IDS),
        },
    )
    order_count = sales.ts.size
    order_id = _ids("O", order_count)
    customer_id = _ids("U", int(sales.customer.max()) + 1 if order_count else 0)
    buyer = sales.visitor
    orders = build_table(
        Orders,
        order_count,
        {
            "order_id": Labels(np.arange(order_count), order_id),
            "ts": sales.ts,
            "amount": sales.amount,
            "currency": Labels.of(sales.currency, codes),
            "visitor_id": Labels(buyer, visitor_id),
            "customer_id": Labels(sales.customer, customer_id),
            "partner_id": Labels(sales.partner, partner_id),
            "coupon_code": Labels(identities.order_coupon, crew.codes),
            "is_new_customer": sales.is_new.astype(np.int8),
            "country": Labels.of(sales.country, countries),
            "ip": Labels(address_code[buyer], ip),
            "device_id": Labels(buyer, device_id),
            "payment_fingerprint": _either(
                identities.order_card, _hashes("pm_", seed * 4 + 3), _hashes("pm_", seed * 4 + 2)
            ),
            "email_hash": _either(
                identities.order_email, _hashes("", seed * 4 + 4), _hashes("", seed * 4 + 1)
            ),
            "tax": sales.tax,
            "discount": sales.discount,
        },
    )
    line_count = sales.line_order.size
    first_line = np.searchsorted(sales.line_order, np.arange(order_count))
    line_number = np.arange(line_count) - first_line[sales.line_order]
    sku_names = tuple(
        f"{name[:3].upper()}-{number:03d}"
        for name in world.CATEGORIES
        for number in range(1, _sales.SKUS_PER_CATEGORY + 1)
    )
    lines = build_table(
        Lines,
        line_count,
        {
            "order_id": Labels(sales.line_order, order_id),
            "line_id": Labels.of(line_number, _LINE_NUMBERS),
            "sku": Labels.of(sales.line_sku, sku_names),
            "category": Labels.of(sales.line_category, world.CATEGORIES),
            "amount": sales.line_amount,
            "quantity": sales.line_quantity,
            "currency": Labels.of(sales.currency[sales.line_order], codes),
        },
    )
    reversals = _reversal_table(returns, sales, order_id, codes)
    touchpoints = build_table(
        Touchpoints,
        journeys.ts.size,
        {
            "visitor_id": Labels(journeys.visitor, visitor_id),
            "ts": journeys.ts,
            "partner_id": Labels(journeys.partner, partner_id),
            "kind": Labels.of(journeys.kind, _sales.TOUCH_KINDS),
            "coupon_code": Labels(np.where(journeys.coupon, journeys.partner, -1), crew.codes),
        },
    )
    return Program(
        labels=_labels(drafts.labels, partner_id, _ids("C", click_count), order_id),
        partners=partners,
        clicks=clicks,
        orders=orders,
        lines=lines,
        reversals=reversals,
        touchpoints=touchpoints,
        fx=_rates(settings, timezone, start),
        currencies=codes,
        timezone=timezone,
        start=start,
        end=shift(start, tz=timezone, days=settings.days),
        seed=seed,
    )


def _reversal_table(
    returns: _sales.ReversalDraft,
    sales: _sales.OrderDraft,
    order_id: LabelMaker,
    codes: tuple[str, ...],
) -> Reversals:
    count = returns.ts.size
    kinds = _sales.REVERSAL_KINDS
    reasons = tuple(text for kind in kinds for text in world.REASONS[kind])
    sizes = np.array([len(world.REASONS[kind]) for kind in kinds], dtype=np.int64)
    first = np.cumsum(sizes) - sizes
    return build_table(
        Reversals,
        count,
        {
            "reversal_id": Labels(np.arange(count), _ids("R", count)),
            "order_id": Labels(returns.order, order_id),
            "line_id": Labels.of(returns.line, _LINE_NUMBERS),
            "ts": returns.ts,
            "amount": np.maximum(returns.amount, 0),
            "currency": Labels.of(sales.currency[returns.order], codes),
            "kind": Labels.of(returns.kind, kinds),
            "reason": Labels.of(
                first[returns.kind] + returns.reason % sizes[returns.kind], reasons
            ),
        },
        missing={"amount": returns.amount < 0},
    )


def _rates(settings: _traffic.Settings, timezone: str, start: datetime) -> FxRates:
    """Daily rates per US dollar from the first local day of the window to the last."""
    end = shift(start, tz=timezone, days=settings.days)
    days = periods_between(start, end, "day", tz=timezone)
    rows = []
    for code in settings.currencies:
        if code == "USD":
            continue
        market = world.MARKETS[code]
        gen = _traffic.rng(settings.seed, 8, sorted(world.MARKETS).index(code))
        daily = market.annual_volatility / np.sqrt(365.0)
        steps = np.concatenate([[0.0], gen.standard_normal(len(days) - 1) * daily])
        levels = market.usd_rate * np.exp(0.03 * gen.standard_normal() + np.cumsum(steps))
        for day, level in zip(days, levels.tolist(), strict=True):
            text = format(Decimal(f"{level:.6g}"), "f")
            rows.append({"base": "USD", "quote": code, "rate": text, "as_of": day.start})
    return FxRates.from_records(rows, pivot="USD")


def _code_tags(codes: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Each partner's exclusive code (or none) as the tuple a tags column holds."""
    tags = np.empty(codes.size, dtype=object)
    tags[:] = [() if code is None else (code,) for code in codes]
    return tags

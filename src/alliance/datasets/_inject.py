"""The fraud stage of the synthetic programme: labelled fraudulent rows added to the drafts.

It runs after the organic stages and before the drafts become tables. Each pattern draws from
its own random stream, ``rng(seed, 9, pattern number)``, and works on whole columns. Fraudsters
are mostly new partner accounts appended after the organic ones; their clicks, orders,
reversals and touchpoints are merged into the organic ones by time, so every table stays in
time order and ids are given in time order over all rows (an id says nothing about fraud).

The drafts hold visitors, customers and cards as numbers. What fraud shares between entities
(a bot's device on a real visitor's click, a partner's e-mail on an order) lives in
`Identities`, beside the drafts; `alliance.datasets._synthetic` turns both into tables, and
`LabelDraft` into `FraudLabels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._kernels import round_quotient
from alliance.datasets import _sales, _traffic
from alliance.datasets import _world as world
from alliance.datasets._fraud import PATTERNS, SUBJECTS
from alliance.datasets._traffic import (
    DAY,
    HOUR,
    SECOND,
    BoolArray,
    FloatArray,
    IntArray,
    rng,
    shares,
)

__all__ = [
    "SPAM_CONVERSION",
    "STREAM",
    "Drafts",
    "Identities",
    "LabelDraft",
    "inject",
    "organic",
    "partners_own",
]

#: First key of the fraud stage's random streams: ``rng(seed, STREAM, pattern number)``.
STREAM = 9
#: Share of a click spammer's clicks timed to land just before an order they take over.
SPAM_CONVERSION = 0.01
#: Organic clicks convert 90 seconds or more after the click; injected clicks land just before.
_INJECTION_PLAIN_S = (1.0, 9.0)
_INJECTION_EVASIVE_S = (11.0, 45.0)
_CLICK, _ORDER, _PARTNER = (SUBJECTS.index(name) for name in ("click", "order", "partner"))
_CHARGEBACK, _REFUND = (_sales.REVERSAL_KINDS.index(name) for name in ("chargeback", "refund"))
_KIND = {profile.kind: number for number, profile in enumerate(world.KINDS)}


@dataclass(frozen=True, slots=True)
class Identities:
    """Devices, addresses and identities of the drafts' rows, which fraud may share.

    Organic rows take them from their visitor or customer; a fraudulent row may carry a bot's
    device and address, or a partner's own e-mail or card.

    Attributes:
        visitor_agent: Per visitor: user agent (a flat index into ``USER_AGENTS``).
        visitor_address: Per visitor: IPv4 address as an integer.
        click_device: Per click: device number; visitors' own devices have their numbers,
            bots' devices come after them.
        click_agent: Per click: user agent.
        click_address: Per click: IPv4 address.
        devices: How many device numbers are in use.
        partner_email: Per partner: whose partner e-mail hash it has (its own number, or
            another partner's for a duplicate account).
        partner_card: Per partner: whose partner payment fingerprint it has.
        order_email: Per order: a customer number, or ``-2 - n`` for the e-mail of partner
            number ``n`` (a partner's own e-mail on an order; see `partners_own`).
        order_card: Per order: a card number, or ``-2 - n`` for partner ``n``'s card.
        order_coupon: Per order: the partner whose code it redeems, -1 for none.
    """

    visitor_agent: IntArray
    visitor_address: IntArray
    click_device: IntArray
    click_agent: IntArray
    click_address: IntArray
    devices: int
    partner_email: IntArray
    partner_card: IntArray
    order_email: IntArray
    order_card: IntArray
    order_coupon: IntArray


@dataclass(frozen=True, slots=True)
class LabelDraft:
    """Labels as numbers: subject (into SUBJECTS), row of that table, pattern, partner, variant."""

    subject: IntArray
    row: IntArray
    pattern: IntArray
    partner: IntArray
    evasive: BoolArray

    @classmethod
    def empty(cls) -> LabelDraft:
        """No labels."""
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, nothing, nothing, np.zeros(0, dtype=bool))


@dataclass(frozen=True, slots=True)
class Drafts:
    """Everything `_synthetic._program` makes into a `Program`."""

    crew: _traffic.PartnerDraft
    traffic: _traffic.ClickDraft
    sales: _sales.OrderDraft
    returns: _sales.ReversalDraft
    journeys: _sales.TouchDraft
    identities: Identities
    labels: LabelDraft


def partners_own(number: IntArray | int) -> Any:
    """The `Identities` code of partner e-mail or card `number` on an order (-2, -3, ...)."""
    return -2 - np.asarray(number)


def organic(
    settings: _traffic.Settings,
    crew: _traffic.PartnerDraft,
    traffic: _traffic.ClickDraft,
    sales: _sales.OrderDraft,
    returns: _sales.ReversalDraft,
    journeys: _sales.TouchDraft,
) -> Drafts:
    """The organic drafts with their visitors' devices and addresses, and no labels."""
    _, agent, address = _traffic.visitor_devices(settings, sales.visitor_country)
    visitor = traffic.visitor
    partners = np.arange(crew.kind.size, dtype=np.int64)
    identities = Identities(
        visitor_agent=agent,
        visitor_address=address,
        click_device=visitor,
        click_agent=agent[visitor],
        click_address=address[visitor],
        devices=sales.visitor_country.size,
        partner_email=partners,
        partner_card=partners,
        order_email=sales.customer,
        order_card=sales.card,
        order_coupon=np.where(sales.coupon, sales.partner, -1),
    )
    return Drafts(crew, traffic, sales, returns, journeys, identities, LabelDraft.empty())


def inject(
    settings: _traffic.Settings,
    market: _traffic.Markets,
    drafts: Drafts,
    rates: Mapping[str, float],
    evasive: float,
) -> Drafts:
    """The drafts with the fraud of every pattern with a positive rate, and its labels."""
    stage = _Stage(settings, market, drafts)
    for number, pattern in enumerate(PATTERNS):
        rate = rates.get(pattern, 0.0)
        if rate > 0:
            _PATTERN_STAGES[pattern](stage, rng(settings.seed, STREAM, number), rate, evasive)
    return stage.merged()


# -- helpers ----------------------------------------------------------------------------------


def _latest(
    click_visitor: IntArray,
    click_ts: IntArray,
    order_visitor: IntArray,
    order_ts: IntArray,
    *,
    click_partner: IntArray | None = None,
    order_partner: IntArray | None = None,
) -> IntArray:
    """Per order, the index of the latest click by its visitor at or before it (-1: none).

    With partners, only the clicks of the order's partner count. Clicks of visitors without
    an order are dropped first; the rest are sorted with the orders by visitor, partner and
    time (clicks before orders at the same instant), and the last click seen is carried
    forward.
    """
    if not click_visitor.size or not order_visitor.size:
        return np.full(order_visitor.size, -1, dtype=np.int64)
    buyers = np.zeros(int(max(click_visitor.max(), order_visitor.max())) + 1, dtype=bool)
    buyers[order_visitor] = True
    kept = np.flatnonzero(buyers[click_visitor])
    clicks = kept.size
    visitor = np.concatenate([click_visitor[kept], order_visitor])
    partner = (
        np.concatenate([click_partner[kept], order_partner])
        if click_partner is not None and order_partner is not None
        else np.zeros(visitor.size, dtype=np.int64)
    )
    ts = np.concatenate([click_ts[kept], order_ts])
    is_order = np.arange(visitor.size) >= clicks
    order = np.lexsort((is_order, ts, partner, visitor))
    sorted_order = is_order[order]
    position = np.where(sorted_order, -1, np.arange(order.size))
    last = np.maximum.accumulate(position)
    at = np.flatnonzero(sorted_order)
    seen = last[at]
    click_row = order[np.maximum(seen, 0)]
    same = (
        (seen >= 0)
        & (visitor[click_row] == visitor[order[at]])
        & (partner[click_row] == partner[order[at]])
    )
    found = np.full(order_visitor.size, -1, dtype=np.int64)
    found[order[at] - clicks] = np.where(same, kept[np.minimum(click_row, max(clicks - 1, 0))], -1)
    return found


def _merged_order(ordered: IntArray, added: IntArray) -> IntArray:
    """The stable sort order of `ordered` (already sorted) followed by `added`.

    Equal to ``np.argsort(np.concatenate([ordered, added]), kind="stable")``, without sorting
    the millions of organic rows again: the few added ones are slotted in after their equals.
    """
    added_order = np.argsort(added, kind="stable")
    slot = np.searchsorted(ordered, added[added_order], side="right")
    where_added = slot + np.arange(added.size)
    order = np.empty(ordered.size + added.size, dtype=np.int64)
    taken = np.zeros(order.size, dtype=bool)
    taken[where_added] = True
    order[where_added] = ordered.size + added_order
    order[~taken] = np.arange(ordered.size)
    return order


def _evasive_flags(gen: np.random.Generator, count: int, share: float) -> BoolArray:
    """Which of `count` fraudsters use the evasive variant: `share` of them, rounded."""
    flags = np.zeros(count, dtype=bool)
    flags[gen.permutation(count)[: int(np.floor(share * count + 0.5))]] = True
    return flags


def _split(total: int, parts: int) -> IntArray:
    """`total` split into `parts` nearly equal whole parts."""
    return np.full(parts, total // parts, dtype=np.int64) + (np.arange(parts) < total % parts)


def _seconds(gen: np.random.Generator, low: float, high: float, size: int) -> IntArray:
    """Durations drawn uniformly in [low, high] seconds, as whole microseconds."""
    return np.round(gen.uniform(low, high, size) * SECOND).astype(np.int64)


def _addresses(gen: np.random.Generator, count: int) -> IntArray:
    """IPv4 addresses with three-digit octets (see `_traffic.visitor_devices`)."""
    leading = np.setdiff1d(np.arange(100, 224), [127])
    octets = [leading[gen.integers(0, leading.size, count)]]
    octets += [gen.integers(100, 256, count) for _ in range(3)]
    address: IntArray = ((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3]
    return address.astype(np.int64)


def _agents(gen: np.random.Generator, count: int) -> IntArray:
    sizes = np.array([len(agents) for agents in world.USER_AGENTS], dtype=np.int64)
    first = np.cumsum(sizes) - sizes
    device = gen.choice(len(world.DEVICE_WEIGHTS), size=count, p=world.DEVICE_WEIGHTS)
    agent: IntArray = first[device] + np.floor(gen.random(count) * sizes[device]).astype(np.int64)
    return agent


class _Stage:
    """The drafts being grown: new partners, visitors, clicks, orders, reversals and labels.

    Partners and visitors grow in place (they are looked up by later patterns); clicks,
    orders, reversals and touchpoints are collected as parts and merged once, by time.
    Rows are numbered as if appended: organic rows first, then new ones in the order added.
    """

    def __init__(
        self, settings: _traffic.Settings, market: _traffic.Markets, drafts: Drafts
    ) -> None:
        self.settings = settings
        self.market = market
        self.drafts = drafts
        self.crew = drafts.crew
        self.organic_partners = drafts.crew.kind.size
        ids = drafts.identities
        self.partner_email = ids.partner_email
        self.partner_card = ids.partner_card
        self.organic_visitors = drafts.sales.visitor_country.size
        # New visitors are few: they grow on their own, and join the organic ones at the merge.
        self.new_visitors: dict[str, IntArray] = {
            "country": np.zeros(0, np.int64),
            "agent": np.zeros(0, np.int64),
            "address": np.zeros(0, np.int64),
        }
        self.clicking_visitors = drafts.traffic.visitor_country.size
        self.bots = 0  # bot devices (numbered -1, -2, ... until the merge)
        sales = drafts.sales
        self.credit = sales.partner.copy()  # organic orders' partner, after re-crediting
        self.stolen = np.zeros(sales.ts.size, dtype=bool)
        # Accounts opened here are numbered after the organic customers.
        self.first_customer = int(sales.customer.max()) + 1 if sales.customer.size else 0
        self.next_customer = self.first_customer
        self.prices = _sales.price_list(settings)
        self.cheapest = np.argsort(self.prices, axis=0, kind="stable")[:5]
        engaged = drafts.crew.audience * drafts.crew.engagement
        self.premium_line = float(np.quantile(engaged, 0.9)) if engaged.size else 0.0
        self.clicks: list[dict[str, npt.NDArray[Any]]] = []
        self.orders: list[dict[str, npt.NDArray[Any]]] = []
        self.reversals: list[dict[str, npt.NDArray[Any]]] = []
        self.touches: list[dict[str, npt.NDArray[Any]]] = []
        self.labels: list[dict[str, npt.NDArray[Any]]] = []
        self.click_count = drafts.traffic.ts.size
        self.order_count = sales.ts.size
        self.busy: set[int] = set()  # existing partners a pattern already uses
        self.leaked_coupons = False  # label every order with a code but no owner's click

    # -- partners -----------------------------------------------------------------------------

    @property
    def partner_count(self) -> int:
        return int(self.crew.kind.size)

    def active_from(self, partner: IntArray) -> IntArray:
        active: IntArray = np.maximum(self.crew.joined_us[partner], self.settings.start_us)
        return active

    def joined(self, gen: np.random.Generator, count: int) -> IntArray:
        """Join dates of new fraud accounts: shortly before the window or in its first quarter.

        The first account of a pattern joins before the window, so someone is active from the
        start.
        """
        start, end = self.settings.start_us, self.settings.end_us
        joined = gen.integers(start - 20 * DAY, start + (end - start) // 4, count)
        if count:
            joined[0] = gen.integers(start - 20 * DAY, start - DAY)
        return joined

    def add_partners(
        self,
        gen: np.random.Generator,
        kind: IntArray,
        country: IntArray,
        joined: IntArray,
        *,
        code: BoolArray | None = None,
        email_of: IntArray | None = None,
        card_of: IntArray | None = None,
    ) -> IntArray:
        """New active partners without a parent, drawn like organic ones of their kind."""
        count = kind.size
        rows = self.partner_count + np.arange(count, dtype=np.int64)
        profiles = world.KINDS
        low = np.array([p.audience_min for p in profiles], dtype=np.float64)[kind]
        alpha = np.array([p.audience_alpha for p in profiles])[kind]
        cap = np.array([p.audience_cap for p in profiles], dtype=np.float64)[kind]
        audience = np.minimum(low * (1.0 + gen.pareto(alpha)), cap).astype(np.int64)
        base = np.array([p.engagement for p in profiles])[kind]
        noise = gen.lognormal(0.0, 0.3, count)
        engagement = np.round(
            np.clip(base * (audience / low) ** -0.15 * noise, 0.002, 0.35), 4
        ).astype(np.float64)
        head = (kind == _KIND["kol"]) & (audience >= world.KOL_HEAD)
        premium = audience * engagement >= self.premium_line
        group = np.where(head, 0, np.where(premium, 1, 2)).astype(np.int64)
        category = gen.choice(len(world.CATEGORIES), size=count, p=shares(world.CATEGORY_WEIGHTS))
        has_code = np.zeros(count, dtype=bool) if code is None else code
        discount = np.where(has_code, gen.choice([10, 15, 20], size=count), 0).astype(np.int64)
        first = gen.integers(0, len(world.NAME_FIRST), count)
        second = gen.integers(0, 6, count)
        categories = np.empty(count, dtype=object)
        names = np.empty(count, dtype=object)
        codes = np.empty(count, dtype=object)
        for at in range(count):  # a few fraud accounts
            categories[at] = (world.CATEGORIES[int(category[at])],)
            suffixes = world.NAME_SECOND[profiles[int(kind[at])].kind]
            word = world.NAME_FIRST[int(first[at])]
            names[at] = f"{word} {suffixes[int(second[at]) % len(suffixes)]}"
            codes[at] = f"{word.upper()}{discount[at]}{rows[at]}" if has_code[at] else None
        crew = self.crew
        grown = {
            "kind": kind,
            "audience": audience,
            "engagement": engagement,
            "status": np.zeros(count, dtype=np.int64),
            "group": group,
            "country": country,
            "parent": np.full(count, -1, dtype=np.int64),
            "joined_us": joined,
            "category": category,
            "categories": categories,
            "names": names,
            "codes": codes,
            "discount": discount,
            "conversion": np.zeros(count),
            "reach": np.zeros(count),
        }
        self.crew = replace(
            crew,
            **{
                name: np.concatenate([getattr(crew, name), column])
                for name, column in grown.items()
            },
        )
        self.partner_email = np.concatenate(
            [self.partner_email, rows if email_of is None else email_of]
        )
        self.partner_card = np.concatenate(
            [self.partner_card, rows if card_of is None else card_of]
        )
        return rows

    def fraud_accounts(self, gen: np.random.Generator, kind: str) -> IntArray:
        """New accounts of one kind for a pattern: max(2, 1% of the partners)."""
        count = max(2, round(self.settings.partners * 0.01))
        country = gen.choice(self.market.traffic.size, size=count, p=self.market.traffic)
        kinds = np.full(count, _KIND[kind], dtype=np.int64)
        return self.add_partners(gen, kinds, country, self.joined(gen, count), code=None)

    def pick_active(self, gen: np.random.Generator, fraudsters: IntArray, at: IntArray) -> IntArray:
        """For each instant, the position in `fraudsters` of one already active then (-1: none)."""
        active = self.active_from(fraudsters)
        order = np.argsort(active, kind="stable")
        ready = np.searchsorted(active[order], at, side="right")
        pick = np.floor(gen.random(at.size) * ready).astype(np.int64)
        return np.where(ready > 0, order[np.minimum(pick, max(fraudsters.size - 1, 0))], -1)

    # -- visitors and customers -----------------------------------------------------------

    def add_visitors(self, gen: np.random.Generator, country: IntArray) -> IntArray:
        """New visitors, each with its own device, user agent and address."""
        rows = self.visitor_total + np.arange(country.size, dtype=np.int64)
        grown = {
            "country": country,
            "agent": _agents(gen, country.size),
            "address": _addresses(gen, country.size),
        }
        for name, column in grown.items():
            self.new_visitors[name] = np.concatenate([self.new_visitors[name], column])
        return rows

    @property
    def visitor_total(self) -> int:
        return self.organic_visitors + int(self.new_visitors["country"].size)

    def visitor(self, name: str, rows: IntArray) -> IntArray:
        """The ``country``, ``agent`` or ``address`` of visitors, organic or new."""
        organic = {
            "country": self.drafts.sales.visitor_country,
            "agent": self.drafts.identities.visitor_agent,
            "address": self.drafts.identities.visitor_address,
        }[name]
        fresh = rows >= self.organic_visitors
        values: IntArray = organic[np.where(fresh, 0, rows)] if organic.size else rows * 0
        if fresh.any():
            values[fresh] = self.new_visitors[name][rows[fresh] - self.organic_visitors]
        return values

    def traffic_countries(self, gen: np.random.Generator, count: int) -> IntArray:
        countries: IntArray = gen.choice(
            self.market.traffic.size, size=count, p=self.market.traffic
        )
        return countries

    def new_customers(self, count: int) -> IntArray:
        numbers = self.next_customer + np.arange(count, dtype=np.int64)
        self.next_customer += count
        return numbers

    def customers(
        self, gen: np.random.Generator, ts: IntArray, country: IntArray, new_share: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Customers and cards like organic ones: new, or one who ordered earlier in the window.

        A returning customer is the buyer of an organic order placed earlier in the same
        country, so a customer's first order stays their only new one.
        """
        sales = self.drafts.sales
        count = ts.size
        customer = np.full(count, -1, dtype=np.int64)
        returning = gen.random(count) >= new_share
        pick = gen.random(count)
        for number in np.unique(country[returning]).tolist():
            rows = np.flatnonzero(returning & (country == number))
            earlier = np.flatnonzero(sales.country == number)  # organic orders, in time order
            before = np.searchsorted(sales.ts[earlier], ts[rows], side="left")
            chosen = rows[before > 0]
            index = np.floor(pick[chosen] * before[before > 0]).astype(np.int64)
            customer[chosen] = sales.customer[earlier[index]]
        fresh = customer < 0
        customer[fresh] = self.new_customers(int(fresh.sum()))
        card = customer * 2 + (~fresh & (gen.random(count) < 0.08))
        return customer, card

    # -- events -------------------------------------------------------------------------------

    def add_clicks(
        self,
        gen: np.random.Generator,
        ts: IntArray,
        partner: IntArray,
        visitor: IntArray,
        *,
        device: IntArray | None = None,
        agent: IntArray | None = None,
        address: IntArray | None = None,
    ) -> IntArray:
        """New clicks (and their click touchpoints); by default from the visitor's own device."""
        count = ts.size
        rows = self.click_count + np.arange(count, dtype=np.int64)
        self.click_count += count
        creators = np.isin(self.crew.kind[partner], [_KIND["kol"], _KIND["content"]])
        tracked = creators & (gen.random(count) < 0.7)
        self.clicks.append(
            {
                "ts": ts,
                "partner": partner,
                "visitor": visitor,
                "sub_id": np.where(tracked, gen.integers(0, len(world.SUB_IDS), count), -1),
                "device": visitor if device is None else device,
                "agent": self.visitor("agent", visitor) if agent is None else agent,
                "address": self.visitor("address", visitor) if address is None else address,
            }
        )
        self.touch(ts, visitor, partner, coupon=False)
        return rows

    def touch(self, ts: IntArray, visitor: IntArray, partner: IntArray, *, coupon: bool) -> None:
        kind = _sales.TOUCH_KINDS.index("coupon" if coupon else "click")
        self.touches.append(
            {
                "ts": ts,
                "visitor": visitor,
                "partner": partner,
                "kind": np.full(ts.size, kind, dtype=np.int64),
                "coupon": np.full(ts.size, coupon, dtype=bool),
            }
        )

    def add_orders(
        self,
        gen: np.random.Generator,
        ts: IntArray,
        partner: IntArray,
        visitor: IntArray,
        *,
        customer: IntArray,
        card: IntArray,
        email: IntArray | None = None,
        card_code: IntArray | None = None,
        coupon: IntArray | None = None,
        cheapest: bool = False,
    ) -> IntArray:
        """New orders of one line each, in the buyer country's currency.

        Args:
            gen: The pattern's random stream.
            ts: Order instants.
            partner: Credited partners.
            visitor: Buyers' visitor numbers (their country is the order's).
            customer: Customer numbers.
            card: Card numbers (the payment fingerprint unless `card_code` says otherwise).
            email: Codes of `Identities.order_email`; default the customer's own e-mail.
            card_code: Codes of `Identities.order_card`; default `card`.
            coupon: The partner whose code each order redeems, -1 for none.
            cheapest: Buy one of the five cheapest skus (brushing), not a typical basket.
        """
        count = ts.size
        rows = self.order_count + np.arange(count, dtype=np.int64)
        self.order_count += count
        country = self.visitor("country", visitor)
        currency = self.market.currency_of[country]
        owner = np.full(count, -1, dtype=np.int64) if coupon is None else coupon
        if cheapest:
            sku = self.cheapest[gen.integers(0, self.cheapest.shape[0], count), currency]
            quantity = np.ones(count, dtype=np.int64)
        else:
            weights = shares(world.CATEGORY_WEIGHTS)
            category = np.where(
                gen.random(count) < 0.6,
                self.crew.category[partner],
                gen.choice(len(world.CATEGORIES), size=count, p=weights),
            )
            rank = np.floor(gen.random(count) ** 2 * _sales.SKUS_PER_CATEGORY).astype(np.int64)
            sku = category * _sales.SKUS_PER_CATEGORY + rank
            quantity = np.minimum(gen.geometric(0.8, count), 5).astype(np.int64)
        gross = self.prices[sku, currency] * quantity
        percent = np.where(owner >= 0, self.crew.discount[np.maximum(owner, 0)], 0)
        off = round_quotient(gross * percent, 100, "half_even")
        amount = gross - off
        vat = self.market.vat_percent[country]
        self.orders.append(
            {
                "ts": ts,
                "partner": partner,
                "visitor": visitor,
                "country": country,
                "currency": currency,
                "customer": customer,
                "card": card,
                "email": customer if email is None else email,
                "card_code": card if card_code is None else card_code,
                "coupon": owner,
                "amount": amount,
                "discount": off,
                "tax": amount - round_quotient(amount * 100, 100 + vat, "half_even"),
                "sku": sku,
                "quantity": quantity,
            }
        )
        return rows

    def add_reversals(
        self,
        gen: np.random.Generator,
        order: IntArray,
        ts: IntArray,
        kind: IntArray,
        amount: IntArray,
    ) -> None:
        """Full reversals: a chargeback carries the order's amount, a full refund none (-1)."""
        self.reversals.append(
            {
                "ts": ts,
                "order": order,
                "kind": kind,
                "line": np.full(ts.size, -1, dtype=np.int64),
                "amount": np.where(kind == _CHARGEBACK, amount, -1),
                "reason": gen.integers(0, 1 << 30, ts.size),
            }
        )

    def label(
        self, subject: int, rows: IntArray, pattern: str, partner: IntArray, evasive: BoolArray
    ) -> None:
        self.labels.append(
            {
                "subject": np.full(rows.size, subject, dtype=np.int64),
                "row": rows,
                "pattern": np.full(rows.size, PATTERNS.index(pattern), dtype=np.int64),
                "partner": partner,
                "evasive": evasive,
                "final": np.zeros(rows.size, dtype=bool),
            }
        )

    # -- views of the rows so far ---------------------------------------------------------

    def all_clicks(self) -> dict[str, IntArray]:
        traffic = self.drafts.traffic
        return {
            name: np.concatenate([getattr(traffic, name), *(part[name] for part in self.clicks)])
            for name in ("ts", "partner", "visitor")
        }

    def all_orders(self) -> dict[str, IntArray]:
        sales = self.drafts.sales
        organic = {
            "ts": sales.ts,
            "partner": self.credit,
            "visitor": sales.visitor,
            "amount": sales.amount,
            "coupon": self.drafts.identities.order_coupon,
        }
        return {
            name: np.concatenate([column, *(part[name] for part in self.orders)])
            for name, column in organic.items()
        }

    # -- the merge ------------------------------------------------------------------------------

    def merged(self) -> Drafts:
        """The grown drafts, every event table in time order, and the labels in final rows."""
        drafts = self.drafts
        traffic, sales, returns, journeys = (
            drafts.traffic,
            drafts.sales,
            drafts.returns,
            drafts.journeys,
        )
        ids = drafts.identities

        def joined(parts: list[dict[str, npt.NDArray[Any]]], name: str, first: Any) -> Any:
            return np.concatenate([first, *(part[name] for part in parts)])

        # Clicks.
        click_ts = joined(self.clicks, "ts", traffic.ts)
        click_order = _merged_order(traffic.ts, click_ts[traffic.ts.size :])
        click_row = np.empty_like(click_order)
        click_row[click_order] = np.arange(click_order.size)
        visitor_country = np.concatenate([sales.visitor_country, self.new_visitors["country"]])
        new_traffic = _traffic.ClickDraft(
            ts=click_ts[click_order],
            partner=joined(self.clicks, "partner", traffic.partner)[click_order],
            visitor=joined(self.clicks, "visitor", traffic.visitor)[click_order],
            sub_id=joined(self.clicks, "sub_id", traffic.sub_id)[click_order],
            visitor_country=visitor_country,
        )
        # Orders, and their lines: organic lines keep their order, each new order has one.
        organic_orders = sales.ts.size
        order_ts = joined(self.orders, "ts", sales.ts)
        order_order = _merged_order(sales.ts, order_ts[organic_orders:])
        order_row = np.empty_like(order_order)
        order_row[order_order] = np.arange(order_order.size)
        new_orders = order_ts.size - organic_orders
        currency = joined(self.orders, "currency", sales.currency)
        new_sku = joined(self.orders, "sku", np.zeros(0, np.int64))
        new_quantity = joined(self.orders, "quantity", np.zeros(0, np.int64))
        line_order = order_row[
            np.concatenate([sales.line_order, organic_orders + np.arange(new_orders)])
        ]
        line_sort = np.argsort(line_order, kind="stable")
        customer = joined(self.orders, "customer", sales.customer)[order_order]
        # A customer's first order is their new one; the accounts opened here are customer
        # numbers from `first_customer` on, and returning buyers reuse an organic customer.
        is_new = np.concatenate([sales.is_new, np.zeros(new_orders, dtype=bool)])[order_order]
        opened = np.flatnonzero(customer >= self.first_customer)
        _, first = np.unique(customer[opened], return_index=True)
        is_new[opened[first]] = True
        new_sales = _sales.OrderDraft(
            ts=order_ts[order_order],
            partner=joined(self.orders, "partner", self.credit)[order_order],
            visitor=joined(self.orders, "visitor", sales.visitor)[order_order],
            country=joined(self.orders, "country", sales.country)[order_order],
            currency=currency[order_order],
            coupon=joined(self.orders, "coupon", ids.order_coupon)[order_order] >= 0,
            is_new=is_new,
            customer=customer,
            card=joined(self.orders, "card", sales.card)[order_order],
            amount=joined(self.orders, "amount", sales.amount)[order_order],
            discount=joined(self.orders, "discount", sales.discount)[order_order],
            tax=joined(self.orders, "tax", sales.tax)[order_order],
            visitor_country=visitor_country,
            line_order=line_order[line_sort],
            line_sku=np.concatenate([sales.line_sku, new_sku])[line_sort],
            line_category=np.concatenate(
                [sales.line_category, new_sku // _sales.SKUS_PER_CATEGORY]
            )[line_sort],
            line_quantity=np.concatenate([sales.line_quantity, new_quantity])[line_sort],
            line_amount=np.concatenate(
                [sales.line_amount, joined(self.orders, "amount", np.zeros(0, np.int64))]
            )[line_sort],
        )
        # Reversals and touchpoints.
        reversal_ts = joined(self.reversals, "ts", returns.ts)
        reversal_order = _merged_order(returns.ts, reversal_ts[returns.ts.size :])
        new_returns = _sales.ReversalDraft(
            ts=reversal_ts[reversal_order],
            order=order_row[joined(self.reversals, "order", returns.order)][reversal_order],
            kind=joined(self.reversals, "kind", returns.kind)[reversal_order],
            line=joined(self.reversals, "line", returns.line)[reversal_order],
            amount=joined(self.reversals, "amount", returns.amount)[reversal_order],
            reason=joined(self.reversals, "reason", returns.reason)[reversal_order],
        )
        touch_ts = joined(self.touches, "ts", journeys.ts)
        touch_order = _merged_order(journeys.ts, touch_ts[journeys.ts.size :])
        new_journeys = _sales.TouchDraft(
            ts=touch_ts[touch_order],
            visitor=joined(self.touches, "visitor", journeys.visitor)[touch_order],
            partner=joined(self.touches, "partner", journeys.partner)[touch_order],
            kind=joined(self.touches, "kind", journeys.kind)[touch_order],
            coupon=joined(self.touches, "coupon", journeys.coupon)[touch_order],
        )
        device = joined(self.clicks, "device", ids.click_device)[click_order]
        identities = Identities(
            visitor_agent=np.concatenate([ids.visitor_agent, self.new_visitors["agent"]]),
            visitor_address=np.concatenate([ids.visitor_address, self.new_visitors["address"]]),
            click_device=np.where(device < 0, visitor_country.size - 1 - device, device),
            click_agent=joined(self.clicks, "agent", ids.click_agent)[click_order],
            click_address=joined(self.clicks, "address", ids.click_address)[click_order],
            devices=visitor_country.size + self.bots,
            partner_email=self.partner_email,
            partner_card=self.partner_card,
            order_email=joined(self.orders, "email", ids.order_email)[order_order],
            order_card=joined(self.orders, "card_code", ids.order_card)[order_order],
            order_coupon=joined(self.orders, "coupon", ids.order_coupon)[order_order],
        )
        labels = self.final_labels(click_row, order_row, new_traffic, new_sales, identities)
        return Drafts(
            self.crew, new_traffic, new_sales, new_returns, new_journeys, identities, labels
        )

    def final_labels(
        self,
        click_row: IntArray,
        order_row: IntArray,
        traffic: _traffic.ClickDraft,
        sales: _sales.OrderDraft,
        identities: Identities,
    ) -> LabelDraft:
        """The labels in final rows, sorted by pattern, subject and row, without repeats."""
        parts = list(self.labels)
        if self.leaked_coupons:
            parts.append(self.leaked_labels(traffic, sales, identities))
        if not parts:
            return LabelDraft.empty()
        subject = np.concatenate([part["subject"] for part in parts])
        given = np.concatenate([part["row"] for part in parts])
        final = np.concatenate([part["final"] for part in parts])
        clicks, orders = subject == _CLICK, subject == _ORDER
        row = given.copy()
        row[clicks & ~final] = click_row[given[clicks & ~final]]
        row[orders & ~final] = order_row[given[orders & ~final]]
        pattern = np.concatenate([part["pattern"] for part in parts])
        order = np.lexsort((row, subject, pattern))
        keys = np.stack([pattern[order], subject[order], row[order]])
        first = np.ones(order.size, dtype=bool)
        first[1:] = (keys[:, 1:] != keys[:, :-1]).any(axis=0)
        order = order[first]
        return LabelDraft(
            subject=subject[order],
            row=row[order],
            pattern=pattern[order],
            partner=np.concatenate([part["partner"] for part in parts])[order],
            evasive=np.concatenate([part["evasive"] for part in parts])[order],
        )

    def leaked_labels(
        self, traffic: _traffic.ClickDraft, sales: _sales.OrderDraft, identities: Identities
    ) -> dict[str, npt.NDArray[Any]]:
        """Every order with a code and no click of the code's owner within the cookie window.

        The organic programme's leaked codes count too: they are real leakage. Rows are the
        final (merged) order rows.
        """
        coded = np.flatnonzero(identities.order_coupon >= 0)
        owner = identities.order_coupon[coded]
        latest = _latest(
            traffic.visitor,
            traffic.ts,
            sales.visitor[coded],
            sales.ts[coded],
            click_partner=traffic.partner,
            order_partner=owner,
        )
        window = self.settings.cookie_days * DAY
        clicked = (latest >= 0) & (sales.ts[coded] - traffic.ts[np.maximum(latest, 0)] <= window)
        leaked = ~clicked
        return {
            "subject": np.full(int(leaked.sum()), _ORDER, dtype=np.int64),
            "row": coded[leaked],
            "pattern": np.full(int(leaked.sum()), PATTERNS.index("leaked_coupon"), np.int64),
            "partner": owner[leaked],
            "evasive": np.zeros(int(leaked.sum()), dtype=bool),
            "final": np.ones(int(leaked.sum()), dtype=bool),
        }


# -- the patterns -----------------------------------------------------------------------------


def _click_injection(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Stolen orders: a fraud partner's click for the buyer seconds before the order.

    Organic orders without a code are re-credited to a cashback account whose click, for the
    same visitor (device, address, user agent), lands 1-9 s before the order, or 11-45 s
    for the evasive accounts (under the usual 10 s line, but far shorter than organic clicks,
    which convert after 90 s or more).
    """
    settings, sales = stage.settings, stage.drafts.sales
    thieves = stage.fraud_accounts(gen, "cashback")
    evasive = _evasive_flags(gen, thieves.size, share)
    wanted = round(rate * sales.ts.size)
    latest_lead = int(_INJECTION_EVASIVE_S[1] * SECOND) + SECOND
    candidates = np.flatnonzero(
        (stage.drafts.identities.order_coupon < 0)
        & ~stage.stolen
        & (sales.ts >= settings.start_us + latest_lead)
    )
    victims = np.sort(gen.choice(candidates, size=min(wanted, candidates.size), replace=False))
    who = stage.pick_active(gen, thieves, sales.ts[victims] - latest_lead)
    victims, who = victims[who >= 0], who[who >= 0]
    sneaky = evasive[who]
    lead = np.where(
        sneaky,
        _seconds(gen, *_INJECTION_EVASIVE_S, victims.size),
        _seconds(gen, *_INJECTION_PLAIN_S, victims.size),
    )
    thief = thieves[who]
    clicks = stage.add_clicks(gen, sales.ts[victims] - lead, thief, sales.visitor[victims])
    stage.credit[victims] = thief
    stage.stolen[victims] = True
    stage.label(_CLICK, clicks, "click_injection", thief, sneaky)
    stage.label(_ORDER, victims, "click_injection", thief, sneaky)
    active = np.unique(who)
    stage.label(_PARTNER, thieves[active], "click_injection", thieves[active], evasive[active])


def _click_spam(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Clicks fired for existing visitors, so that their later orders credit the spammer.

    Plain spammers fire from a few bot devices (one block of addresses) in bursts of 6-30
    clicks an hour; evasive ones from the visitors' own devices, one click per visitor.
    `SPAM_CONVERSION` of the clicks land, at random, between a visitor's last click and its
    next order; every organic order without a code whose latest click within the cookie
    window is then a spam click is credited to the spammer.
    """
    settings, sales = stage.settings, stage.drafts.sales
    spammers = stage.fraud_accounts(gen, "content")
    evasive = _evasive_flags(gen, spammers.size, share)
    per = _split(round(rate * stage.drafts.traffic.ts.size), spammers.size)
    window = settings.cookie_days * DAY
    # Aimed clicks: between the visitor's latest click (or the cookie window's start) and
    # ten minutes before an order at least two hours later.
    so_far = stage.all_clicks()
    latest = _latest(so_far["visitor"], so_far["ts"], sales.visitor, sales.ts)
    since = np.where(latest >= 0, so_far["ts"][np.maximum(latest, 0)], settings.start_us)
    since = np.maximum(since, sales.ts - window)
    until = sales.ts - 10 * 60 * SECOND
    open_orders = np.flatnonzero(
        (stage.drafts.identities.order_coupon < 0) & ~stage.stolen & (until - since >= 2 * HOUR)
    )
    aims = min(int(np.ceil(SPAM_CONVERSION * per).sum()), open_orders.size)
    aimed = np.sort(gen.choice(open_orders, size=aims, replace=False))
    who = stage.pick_active(gen, spammers, until[aimed] - HOUR)
    aimed, who = aimed[who >= 0], who[who >= 0]
    low = np.maximum(since[aimed], stage.active_from(spammers[who])) + SECOND
    aimed_ts = low + np.floor(gen.random(aimed.size) * (until[aimed] - low)).astype(np.int64)
    end = settings.end_us
    spam_rows = []
    for position, spammer in enumerate(spammers.tolist()):
        mine = who == position
        ts_aimed, visitor_aimed = aimed_ts[mine], sales.visitor[aimed[mine]]
        active = int(stage.active_from(np.array([spammer]))[0])
        rest = max(int(per[position]) - ts_aimed.size, 0)
        if evasive[position]:
            ts = np.concatenate([ts_aimed, gen.integers(active, end, rest)])
            pool = stage.clicking_visitors
            visitor = np.concatenate(
                [visitor_aimed, gen.choice(pool, size=rest, replace=rest > pool)]
                if pool
                else [visitor_aimed, np.zeros(0, np.int64)]
            )
            rows = stage.add_clicks(gen, ts, np.full(ts.size, spammer), visitor)
        else:
            ts, visitor, device, agent, address = _bursts(
                stage, gen, ts_aimed, visitor_aimed, rest, active
            )
            rows = stage.add_clicks(
                gen,
                ts,
                np.full(ts.size, spammer),
                visitor,
                device=device,
                agent=agent,
                address=address,
            )
        flags = np.full(rows.size, evasive[position])
        stage.label(_CLICK, rows, "click_spam", np.full(rows.size, spammer), flags)
        spam_rows.append(rows)
    # Re-credit every organic order whose latest click within the window is now spam.
    everything = stage.all_clicks()
    latest = _latest(everything["visitor"], everything["ts"], sales.visitor, sales.ts)
    seen = np.maximum(latest, 0)
    by = everything["partner"][seen]
    taken = np.flatnonzero(
        (latest >= 0)
        & (sales.ts - everything["ts"][seen] <= window)
        & np.isin(by, spammers)
        & (stage.drafts.identities.order_coupon < 0)
        & ~stage.stolen
    )
    stage.credit[taken] = by[taken]
    stage.stolen[taken] = True
    position_of = np.searchsorted(spammers, by[taken])
    stage.label(_ORDER, taken, "click_spam", by[taken], evasive[position_of])
    clicked = np.array([rows.size > 0 for rows in spam_rows], dtype=bool)
    stage.label(_PARTNER, spammers[clicked], "click_spam", spammers[clicked], evasive[clicked])


def _bursts(
    stage: _Stage,
    gen: np.random.Generator,
    aimed_ts: IntArray,
    aimed_visitor: IntArray,
    rest: int,
    active: int,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """A plain spammer's clicks: bursts of 6-30 clicks within an hour from one bot device.

    Each aimed click sits in a burst of its own; more bursts follow until about ``rest`` more
    clicks are fired. Bots share one block of addresses (a /16); the visitors are real ones.
    """
    end = stage.settings.end_us
    # Bursts hold 18 clicks on average, an aimed one included.
    bursts_free = max(round((rest + aimed_ts.size) / 18) - aimed_ts.size, 0)
    count = aimed_ts.size + bursts_free
    sizes = gen.integers(6, 31, count)
    opening = np.concatenate(
        [
            np.maximum(
                aimed_ts - np.floor(gen.random(aimed_ts.size) * HOUR).astype(np.int64), active
            ),
            gen.integers(active, max(end - 1, active + 1), bursts_free),
        ]
    )
    length = np.minimum(HOUR, end - opening)
    burst = np.repeat(np.arange(count), sizes)
    firsts = np.cumsum(sizes) - sizes
    # The first click of an aimed burst is the aimed one; the others fall anywhere in it.
    ts = opening[burst] + np.floor(gen.random(burst.size) * length[burst]).astype(np.int64)
    aimed_slot = firsts[: aimed_ts.size]
    ts[aimed_slot] = aimed_ts
    pool = max(stage.clicking_visitors, 1)
    visitor = gen.integers(0, pool, burst.size)
    visitor[aimed_slot] = aimed_visitor
    bots = max(2, count // 10)
    bot = gen.integers(0, bots, count)[burst]
    # Bots' devices are numbered after every visitor's once all visitors are known.
    device = -1 - (stage.bots + bot)
    stage.bots += bots
    block = int(_addresses(gen, 1)[0]) >> 16 << 16
    bot_address = block + gen.integers(100, 256, bots) * 256 + gen.integers(100, 256, bots)
    agent = _agents(gen, bots)[bot]
    return ts, visitor, device, agent, bot_address[bot]


def _self_referral(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Active partners buying through their own links: their e-mail or card on the order.

    About 2% of the partners (at least one), among the active ones with ten organic clicks or
    more, add orders credited to themselves, each with the partner's click a few minutes
    before from a device of their own. Plain: the order's e-mail hash is the partner's.
    Evasive: another e-mail, the partner's payment fingerprint, and a new device per order.
    These partners keep their organic traffic: their orders bought by themselves and the
    partners (who broke the programme's terms) are labelled.
    """
    settings, crew = stage.settings, stage.crew
    organic = stage.organic_partners
    clicked = np.bincount(stage.drafts.traffic.partner, minlength=organic)[:organic]
    candidates = np.flatnonzero((crew.status[:organic] == 0) & (clicked >= 10))
    candidates = np.setdiff1d(candidates, np.array(sorted(stage.busy), dtype=np.int64))
    count = min(max(1, round(settings.partners * 0.02)), candidates.size)
    if count == 0:
        return
    chosen = np.sort(gen.choice(candidates, size=count, replace=False))
    stage.busy.update(chosen.tolist())
    evasive = _evasive_flags(gen, count, share)
    per = np.maximum(_split(round(rate * stage.drafts.sales.ts.size), count), 1)
    own = stage.new_customers(count)  # the partner's own customer account
    start, end = settings.start_us, settings.end_us
    for position, partner in enumerate(chosen.tolist()):
        size = int(per[position])
        ts = np.sort(gen.integers(start + 20 * 60 * SECOND, end, size))
        home = np.full(1 if not evasive[position] else size, crew.country[partner])
        visitors = stage.add_visitors(gen, home)
        visitor = np.resize(visitors, size)
        lead = _leads(gen, ts, visitor, 120, 900)
        stage.add_clicks(gen, ts - lead, np.full(size, partner), visitor)
        customer = np.full(size, own[position])
        if evasive[position]:
            email, card_code = (
                None,
                np.full(size, partners_own(stage.partner_card[partner])),
            )
        else:
            email, card_code = (
                np.full(size, partners_own(stage.partner_email[partner])),
                None,
            )
        rows = stage.add_orders(
            gen,
            ts,
            np.full(size, partner),
            visitor,
            customer=customer,
            card=customer * 2,
            email=email,
            card_code=card_code,
        )
        flags = np.full(size, evasive[position])
        stage.label(_ORDER, rows, "self_referral", np.full(size, partner), flags)
    stage.label(_PARTNER, chosen, "self_referral", chosen, evasive)


def _velocity(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Bursts of orders on one card: 5-12 orders within 1-6 hours, each after its own click.

    Plain: one buyer (device, address, e-mail) for the whole burst. Evasive: a new device,
    address and e-mail per order, the same card.
    """
    fraudsters = stage.fraud_accounts(gen, "cashback")
    evasive = _evasive_flags(gen, fraudsters.size, share)
    wanted = round(rate * stage.drafts.sales.ts.size)
    count = max(fraudsters.size, int(np.ceil(wanted / 8.5)))
    owner = np.concatenate(
        [np.arange(fraudsters.size), gen.integers(0, fraudsters.size, count - fraudsters.size)]
    )
    sneaky = evasive[owner]
    sizes = gen.integers(5, 13, count)
    duration = _seconds(gen, 3600, 6 * 3600, count)
    opening = _openings(stage, gen, fraudsters[owner], duration, 15 * 60 * SECOND)
    burst, place = _bursts_of(sizes)
    ts = _spread(gen, burst, place, opening, duration)
    # One buyer a burst, or (evasive) one an order; all of a burst's orders on one card.
    buyers = np.where(sneaky, sizes, 1)
    first = np.cumsum(buyers) - buyers
    buyer = first[burst] + np.where(sneaky[burst], place, 0)
    country = stage.traffic_countries(gen, count)
    visitor = stage.add_visitors(gen, np.repeat(country, buyers))[buyer]
    accounts = stage.new_customers(int(buyers.sum()))
    partner = fraudsters[owner][burst]
    stage.add_clicks(gen, ts - _leads(gen, ts, visitor, 120, 600), partner, visitor)
    rows = stage.add_orders(
        gen, ts, partner, visitor, customer=accounts[buyer], card=accounts[first][burst] * 2
    )
    stage.label(_ORDER, rows, "velocity", partner, sneaky[burst])
    stage.label(_PARTNER, fraudsters, "velocity", fraudsters, evasive)


def _bursts_of(sizes: IntArray) -> tuple[IntArray, IntArray]:
    """Per event of bursts of `sizes` events: its burst, and its place in the burst."""
    burst = np.repeat(np.arange(sizes.size), sizes)
    place = np.arange(burst.size) - (np.cumsum(sizes) - sizes)[burst]
    return burst, place


def _spread(
    gen: np.random.Generator,
    burst: IntArray,
    place: IntArray,
    opening: IntArray,
    duration: IntArray,
) -> IntArray:
    """Instants over each burst's span, in time order, never very close together.

    The k-th of n falls in the middle half of the k-th n-th of the span, so no two are closer
    than half an n-th.
    """
    sizes = np.bincount(burst, minlength=opening.size)[burst]
    slot = (place + gen.uniform(0.25, 0.75, burst.size)) / sizes
    ts: IntArray = opening[burst] + np.floor(slot * duration[burst]).astype(np.int64)
    return ts


def _leads(
    gen: np.random.Generator, ts: IntArray, visitor: IntArray, low: float, high: float
) -> IntArray:
    """How long before each order its click comes: `low`-`high` seconds, after the last order.

    A click never comes before the same visitor's previous order (it then comes a second
    after it), so that every order's latest click is its own.
    """
    lead = _seconds(gen, low, high, ts.size)
    order = np.lexsort((ts, visitor))
    same = visitor[order][1:] == visitor[order][:-1]
    gap = ts[order][1:] - ts[order][:-1]
    cap = np.full(ts.size, np.iinfo(np.int64).max, dtype=np.int64)
    cap[order[1:][same]] = gap[same] - SECOND
    capped: IntArray = np.minimum(lead, cap)
    return capped


def _openings(
    stage: _Stage,
    gen: np.random.Generator,
    partner: IntArray,
    duration: IntArray,
    lead: int,
) -> IntArray:
    """Burst openings: after the partner is active (and a click's `lead`), ending before `end`."""
    low = stage.active_from(partner) + lead
    high = np.maximum(stage.settings.end_us - duration - 1, low)
    opening: IntArray = low + np.floor(gen.random(partner.size) * (high - low)).astype(np.int64)
    return opening


def _brushing(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Fake small orders on a coupon site's own code: many orders, few buyers, within an hour.

    Plain: bursts of 6-20 orders of the cheapest skus from 1-2 buyer accounts (customer,
    e-mail, device) taking turns within 25-59 minutes. Evasive: 3-4 buyers spread over the
    hour, still at least three orders per buyer. Every order redeems the partner's code
    after its click, 30-120 s before it (and after the buyer's previous order).
    """
    settings = stage.settings
    count = max(2, round(settings.partners * 0.01))
    country = stage.traffic_countries(gen, count)
    kinds = np.full(count, _KIND["coupon"], dtype=np.int64)
    fraudsters = stage.add_partners(
        gen, kinds, country, stage.joined(gen, count), code=np.ones(count, dtype=bool)
    )
    evasive = _evasive_flags(gen, count, share)
    wanted = round(rate * stage.drafts.sales.ts.size)
    bursts = max(count, int(np.ceil(wanted / 13)))
    owner = np.concatenate([np.arange(count), gen.integers(0, count, bursts - count)])
    sneaky = evasive[owner]
    buyers = np.where(sneaky, gen.integers(3, 5, bursts), gen.integers(1, 3, bursts))
    sizes = gen.integers(np.maximum(6, 3 * buyers), 21)
    duration = np.where(sneaky, 59 * 60 * SECOND, _seconds(gen, 25 * 60, 59 * 60, bursts))
    opening = _openings(stage, gen, fraudsters[owner], duration, 2 * 60 * SECOND)
    burst, place = _bursts_of(sizes)
    ts = _spread(gen, burst, place, opening, duration)
    # The buyers (visitor and customer account each) take turns.
    first = np.cumsum(buyers) - buyers
    buyer = first[burst] + place % buyers[burst]
    visitor = stage.add_visitors(gen, np.repeat(country[owner], buyers))[buyer]
    accounts = stage.new_customers(int(buyers.sum()))[buyer]
    partner = fraudsters[owner][burst]
    stage.add_clicks(gen, ts - _leads(gen, ts, visitor, 30, 120), partner, visitor)
    rows = stage.add_orders(
        gen,
        ts,
        partner,
        visitor,
        customer=accounts,
        card=accounts * 2,
        coupon=partner,
        cheapest=True,
    )
    stage.label(_ORDER, rows, "brushing", partner, sneaky[burst])
    stage.label(_PARTNER, fraudsters, "brushing", fraudsters, evasive)


def _leaked_coupon(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """More orders redeeming an exclusive code with no click of its owner (deal sites).

    Like the organic leakage: owners by reach, buyers new visitors (60% in the owner's
    country), customers new or returning as the owner's kind has them, a coupon touch
    before each order. The labels are every such order of the final programme.
    """
    settings, crew = stage.settings, stage.crew
    stage.leaked_coupons = True
    organic = np.arange(stage.organic_partners)
    owners = organic[
        np.array([code is not None for code in crew.codes[organic]], dtype=bool)
        & (crew.reach[organic] > 0)
    ]
    count = round(rate * stage.drafts.sales.ts.size) if owners.size else 0
    owner = (
        owners[gen.choice(owners.size, size=count, p=shares(crew.reach[owners]))]
        if count
        else np.zeros(0, np.int64)
    )
    ts = np.sort(gen.integers(settings.start_us, settings.end_us, count))
    home = gen.random(count) < 0.6
    country = np.where(home, crew.country[owner], stage.traffic_countries(gen, count))
    visitor = stage.add_visitors(gen, country)
    new_share = np.array([k.new_customer for k in world.KINDS])[crew.kind[owner]]
    customer, card = stage.customers(gen, ts, country, new_share)
    stage.add_orders(gen, ts, owner, visitor, customer=customer, card=card, coupon=owner)
    applied = np.maximum(ts - _seconds(gen, 10, 300, count), settings.start_us)
    stage.touch(applied, visitor, owner, coupon=True)


def _duplicate_identity(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Second accounts of existing partners: the same payment fingerprint, or the same e-mail.

    Each duplicate joins after its original (shortly before or during the window), with the
    original's kind and country, the original's payout method (plain) or e-mail (evasive),
    and a little traffic of its own: up to six clicks, which now and then bring an order.
    """
    settings, crew = stage.settings, stage.crew
    candidates = np.flatnonzero(crew.status[: stage.organic_partners] == 0)
    count = min(max(1, round(rate * settings.partners)), candidates.size)
    if count == 0:
        return
    original = np.sort(gen.choice(candidates, size=count, replace=False))
    evasive = _evasive_flags(gen, count, share)
    start, end = settings.start_us, settings.end_us
    low = np.maximum(crew.joined_us[original] + DAY, start - 20 * DAY)
    high = np.maximum(start + (end - start) // 2, low + 1)
    joined = low + np.floor(gen.random(count) * (high - low)).astype(np.int64)
    email_of = np.where(evasive, stage.partner_email[original], -1)
    card_of = np.where(evasive, -1, stage.partner_card[original])
    rows = stage.partner_count + np.arange(count)
    copies = stage.add_partners(
        gen,
        crew.kind[original],
        crew.country[original],
        joined,
        email_of=np.where(email_of >= 0, email_of, rows),
        card_of=np.where(card_of >= 0, card_of, rows),
    )
    clicks = gen.integers(0, 7, count)
    partner = np.repeat(copies, clicks)
    active = stage.active_from(partner)
    ts = active + np.floor(gen.random(partner.size) * (end - active)).astype(np.int64)
    pool = max(stage.clicking_visitors, 1)
    visitor = gen.integers(0, pool, partner.size)
    stage.add_clicks(gen, ts, partner, visitor)
    bought = ts + _seconds(gen, 600, 2 * 86400, ts.size)
    converts = (gen.random(ts.size) < 0.15) & (bought < end)
    country = stage.visitor("country", visitor[converts])
    new_share = np.array([k.new_customer for k in world.KINDS])[stage.crew.kind[partner[converts]]]
    customer, card = stage.customers(gen, bought[converts], country, new_share)
    stage.add_orders(
        gen, bought[converts], partner[converts], visitor[converts], customer=customer, card=card
    )
    stage.label(_PARTNER, copies, "duplicate_identity", copies, evasive)


def _reversal_abuse(stage: _Stage, gen: np.random.Generator, rate: float, share: float) -> None:
    """Partners whose orders come back: 40-60% of them refunded or charged back (evasive 20-30%).

    Existing active partners with ten orders or more that can still be reversed (none
    already used by another pattern) get full refunds and chargebacks, 1-20 days after the
    order and inside the window, on orders without a reversal yet, until their reversed
    share reaches its target. The labels are the partner and all its orders: its traffic is
    what comes back, so none of its commission can be trusted until the reversals are in.
    """
    settings, crew = stage.settings, stage.crew
    orders = stage.all_orders()
    credited = orders["partner"]
    end = settings.end_us
    # A reversal comes a day or more after its order, inside the window.
    reversible = orders["ts"] < end - DAY - SECOND
    counts = np.bincount(credited[reversible], minlength=stage.partner_count)
    counts = counts[: stage.organic_partners]
    candidates = np.flatnonzero((crew.status[: stage.organic_partners] == 0) & (counts >= 10))
    candidates = np.setdiff1d(candidates, np.array(sorted(stage.busy), dtype=np.int64))
    count = min(max(1, round(rate * settings.partners)), candidates.size)
    if count == 0:
        return
    chosen = np.sort(gen.choice(candidates, size=count, replace=False))
    stage.busy.update(chosen.tolist())
    evasive = _evasive_flags(gen, count, share)
    target = np.where(evasive, gen.uniform(0.2, 0.3, count), gen.uniform(0.4, 0.6, count))
    reversed_before = np.zeros(orders["ts"].size, dtype=bool)
    reversed_before[stage.drafts.returns.order] = True
    for position, partner in enumerate(chosen.tolist()):
        mine = np.flatnonzero(credited == partner)
        goal = int(np.floor(target[position] * mine.size + 0.5))
        need = goal - int(reversed_before[mine].sum())
        open_rows = mine[~reversed_before[mine] & reversible[mine]]
        picked = np.sort(
            gen.choice(open_rows, size=min(max(need, 0), open_rows.size), replace=False)
        )
        room = (end - 1 - orders["ts"][picked]) / DAY
        delay = gen.uniform(1.0, np.minimum(20.0, room)) * DAY
        kind = np.where(gen.random(picked.size) < 0.3, _CHARGEBACK, _REFUND)
        stage.add_reversals(
            gen,
            picked,
            orders["ts"][picked] + delay.astype(np.int64),
            kind,
            orders["amount"][picked],
        )
        flags = np.full(mine.size, evasive[position])
        stage.label(_ORDER, mine, "reversal_abuse", np.full(mine.size, partner), flags)
    stage.label(_PARTNER, chosen, "reversal_abuse", chosen, evasive)


_PATTERN_STAGES = {
    "click_injection": _click_injection,
    "click_spam": _click_spam,
    "self_referral": _self_referral,
    "velocity": _velocity,
    "brushing": _brushing,
    "leaked_coupon": _leaked_coupon,
    "duplicate_identity": _duplicate_identity,
    "reversal_abuse": _reversal_abuse,
}

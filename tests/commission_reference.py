"""A slow, deliberately simple reference for the commission engine: the oracle of its tests.

Plain Python over `Decimal` and `Fraction`, no numpy, no engine internals. Orders and lines
are put in volume order (order time, order id, line id) once, and one loop walks them, order
by order, carrying the period-to-date facts (tier volume is recounted from the lines already
seen, period caps and subscription payments are kept in dictionaries).

Every value is an exact `Fraction` of a minor unit of the contract currency. The one rounding
is per order: the sum of its lines, rounded with the contract's mode, is split back over the
lines by largest remainder. Inside a plan, the splits that must be whole (a flat fee per order
over its lines, a capped or floored order over its lines) are made in steps of ``1 / scale``
minor units, where ``scale`` is the power of ten the plan's rates and multipliers need: the
granularity the engine works at, so both agree to the cent. Marginal unit tiers split a line's
base over the tiers in whole minor units, as the engine does, so that the base times a rate
stays exact at that granularity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    Inexact,
    localcontext,
)
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from alliance import FxRates, Money, Order, OrderLine, Partner, currency
from alliance.commission import (
    Add,
    Bonus,
    Cap,
    Condition,
    Contract,
    ContractBook,
    DefaultTarget,
    Flat,
    Floor,
    GroupTarget,
    Guarantee,
    Multiplier,
    Override,
    PartnerTarget,
    Percent,
    PerClick,
    PerLead,
    Recurring,
    Tiered,
    When,
)

__all__ = ["ReferenceLine", "ReferenceResult", "reference_compute", "reference_places"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_DECIMAL_MODES = {
    "half_even": ROUND_HALF_EVEN,
    "half_up": ROUND_HALF_UP,
    "half_down": ROUND_HALF_DOWN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
    "floor": ROUND_FLOOR,
    "ceiling": ROUND_CEILING,
}


# -- small exact helpers --------------------------------------------------------------------------


def micros(ts: datetime) -> int:
    """Microseconds since the epoch, UTC."""
    return (ts - _EPOCH) // timedelta(microseconds=1)


def line_sort_key(order: Order, line_id: str | None) -> tuple[int, str, str]:
    """Volume order: order time, then order id, then line id (no line id sorts first)."""
    return (micros(order.ts), order.order_id, "" if line_id is None else line_id)


def round_to_integer(value: Fraction, mode: str) -> int:
    """Round an exact decimal fraction to an integer with a contract rounding mode."""
    with localcontext() as exact:
        exact.prec = 200
        exact.traps[Inexact] = True  # a commission is always a finite decimal
        as_decimal = Decimal(value.numerator) / Decimal(value.denominator)
    with localcontext() as rounding:
        rounding.prec = 200
        return int(as_decimal.quantize(Decimal(1), rounding=_DECIMAL_MODES[mode]))


def largest_remainder(total: int, weights: Sequence[Fraction]) -> list[int]:
    """Split a non-negative integer over weights: floors first, then the largest remainders.

    Ties go to the earlier weight. All-zero weights count as equal weights.
    """
    if total < 0:
        raise ValueError(f"the reference only splits non-negative totals, got {total}")
    usable = list(weights) if sum(weights) > 0 else [Fraction(1)] * len(weights)
    weight_sum = sum(usable)
    shares = [Fraction(total) * weight / weight_sum for weight in usable]
    parts = [math.floor(share) for share in shares]
    left = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for position in by_remainder[:left]:
        parts[position] += 1
    return parts


def split(amount: Fraction, weights: Sequence[Fraction], unit: Fraction) -> list[Fraction]:
    """Split ``amount`` (a whole number of ``unit``) over weights, in whole ``unit`` steps."""
    steps = amount / unit
    if steps.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of {unit}")
    return [part * unit for part in largest_remainder(int(steps), weights)]


def floor_to(value: Fraction, unit: Fraction) -> Fraction:
    """The largest whole number of ``unit`` not above ``value``."""
    return math.floor(value / unit) * unit


def minor_of(money: Money) -> Fraction:
    """A plan amount in minor units of its currency, exactly."""
    return Fraction(money.amount) * Fraction(10) ** currency(money.currency).exponent


def decimal_places(value: Decimal) -> int:
    """Decimal places a rate needs (``0.075`` needs 3, ``1.5`` needs 1, ``100`` needs 0)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def reference_places(rule: Any) -> int:
    """Decimal places of ``1 / scale`` a plan needs: its rates, plus multipliers' factors."""
    if isinstance(rule, Percent):
        return decimal_places(rule.rate)
    if isinstance(rule, Multiplier):
        factors = [decimal_places(f) for f in rule.by_group.values()]
        return max(factors, default=0) + reference_places(rule.rule)
    if isinstance(rule, Tiered):
        return max(reference_places(t.rule) for t in rule.tiers)
    if isinstance(rule, When):
        parts = [reference_places(b.rule) for b in rule.branches]
        if rule.otherwise is not None:
            parts.append(reference_places(rule.otherwise))
        return max(parts)
    if isinstance(rule, Add):
        return max(reference_places(r) for r in rule.rules)
    if isinstance(rule, Cap | Floor | Recurring | Guarantee):
        return reference_places(rule.rule)
    return 0


def period_label(ts: datetime, period: str, tz: str) -> str:
    """The calendar period of ``ts`` in the local calendar of ``tz`` (or ``lifetime``)."""
    if period == "lifetime":
        return "lifetime"
    day = ts.astimezone(ZoneInfo(tz)).date()
    if period == "day":
        return day.isoformat()
    if period == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return f"{day.year}"
    raise ValueError(f"unknown period {period!r}")


def months_later(ts: datetime, months: int, tz: str) -> datetime:
    """The same local wall time ``months`` calendar months later in ``tz``.

    A month after January 31 is the last day of February; a wall time in a DST gap moves
    forward by the gap; a repeated wall time keeps the fold of the start.
    """
    zone = ZoneInfo(tz)
    local = ts.astimezone(zone)
    wall = local.replace(tzinfo=None) + relativedelta(months=months)
    candidate = wall.replace(tzinfo=zone, fold=local.fold)
    if candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        candidate = wall.replace(tzinfo=zone, fold=0)
    return candidate


# -- the lines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """One line that earns under a contract, with its order's facts beside it."""

    position: int
    order: Order
    line_id: str | None
    category: str | None
    sku: str | None
    quantity: int
    base: int
    contract: Contract
    group: str | None
    attributes: Mapping[str, Any]

    @property
    def partner(self) -> str:
        partner_id = self.order.partner_id
        if partner_id is None:  # pragma: no cover - lines without a partner never earn
            raise ValueError("a line without a partner")
        return partner_id


@dataclass(frozen=True)
class ReferenceLine:
    """What the reference says about one line."""

    order_id: str
    line_id: str | None
    contract_id: str
    version: int
    base: int
    exact: Fraction
    commission: int


@dataclass
class ReferenceResult:
    """Per line and per order commission (minor units), and the orders that earn nothing."""

    lines: dict[tuple[str, str | None], ReferenceLine] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _resolve(book: ContractBook, order: Order, group: str | None) -> Contract | None:
    """Partner terms beat group terms beat the default, among versions in force."""
    best: tuple[int, Contract] | None = None
    for contract in book.contracts:
        starts, ends = contract.effective_from, contract.effective_to
        if not (starts <= order.ts and (ends is None or order.ts < ends)):
            continue
        target = contract.applies_to
        if isinstance(target, PartnerTarget) and target.partner_id == order.partner_id:
            rank = 0
        elif isinstance(target, GroupTarget) and group is not None and target.group == group:
            rank = 1
        elif isinstance(target, DefaultTarget):
            rank = 2
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, contract)
    return None if best is None else best[1]


def _amount_minor(value: Decimal | None, code: str) -> int:
    if value is None:
        return 0
    scaled = value * 10 ** currency(code).exponent
    if scaled != scaled.to_integral_value():  # pragma: no cover - the models refuse it
        raise ValueError(f"{value} is finer than {code}'s minor unit")
    return int(scaled)


def _to_contract_currency(minor: int, order: Order, contract: Contract, fx: FxRates | None) -> int:
    if order.currency == contract.currency:
        return minor
    if fx is None:
        raise ValueError(f"order {order.order_id} needs fx to reach {contract.currency}")
    converted = fx.convert(Money.from_minor(minor, order.currency), contract.currency, at=order.ts)
    return converted.minor


def _order_lines(
    order: Order,
    own_lines: Sequence[OrderLine],
    contract: Contract,
    fx: FxRates | None,
) -> list[tuple[str | None, str | None, str | None, int, int]]:
    """``(line_id, category, sku, quantity, base)`` of each line of an order, in line order.

    Without lines, the order is one line: its amount less tax and shipping (when the policy
    excludes them), plus its discount (when the policy includes it). Lines that add up to the
    order's amount include its tax and shipping, which come off by each line's share; an
    included discount is added back by each line's share (largest remainder, in line order).
    """
    code = order.currency
    discount = _amount_minor(order.discount, code)
    if not own_lines:
        base = _amount_minor(order.amount, code)
        if contract.base.tax == "exclude":
            base -= _amount_minor(order.tax, code)
        if contract.base.shipping == "exclude":
            base -= _amount_minor(order.shipping, code)
        if contract.base.discount == "include":
            base += discount
        return [(None, None, None, 1, _to_contract_currency(base, order, contract, fx))]
    ordered = sorted(own_lines, key=lambda line: line.line_id)
    amounts = [_amount_minor(line.amount, code) for line in ordered]
    excluded = 0
    if contract.base.tax == "exclude":
        excluded += _amount_minor(order.tax, code)
    if contract.base.shipping == "exclude":
        excluded += _amount_minor(order.shipping, code)
    if excluded > 0 and sum(amounts) == _amount_minor(order.amount, code):
        # Lines adding up to the order's amount include its tax and shipping.
        shares = largest_remainder(excluded, [Fraction(a) for a in amounts])
        amounts = [a - s for a, s in zip(amounts, shares, strict=True)]
    if contract.base.discount == "include" and discount > 0:
        shares = largest_remainder(discount, [Fraction(a) for a in amounts])
        amounts = [a + s for a, s in zip(amounts, shares, strict=True)]
    return [
        (
            line.line_id,
            line.category,
            line.sku,
            line.quantity,
            _to_contract_currency(amount, order, contract, fx),
        )
        for line, amount in zip(ordered, amounts, strict=True)
    ]


# -- the walk -------------------------------------------------------------------------------------


class _Run:
    """Facts of one walk over the lines: every line in volume order, caps and subscriptions."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        #: Commission paid so far against each period cap (minor units, exact).
        self.paid: dict[tuple[str, str, str, str], Fraction] = {}
        #: Per order with a subscription: its payment number and the subscription's first time.
        self.payment: dict[str, tuple[int, datetime]] = {}
        seen: dict[tuple[str, str], list[Order]] = {}
        for line in lines:
            subscription = line.order.subscription_id
            if subscription is None:
                continue
            orders = seen.setdefault((line.contract.id, subscription), [])
            if line.order.order_id not in (o.order_id for o in orders):
                orders.append(line.order)
                self.payment[line.order.order_id] = (len(orders), orders[0].ts)

    def volume(self, line: _Line, rule: Tiered, tz: str) -> tuple[int, int]:
        """Volume of the line's tier group before the line, and the line's own volume.

        Every earlier line of the same contract id counts, whatever branch pays it. By orders,
        an order counts once per group, and all its lines there see the volume before it.
        """

        def group_of(other: _Line) -> tuple[str, str, str, str]:
            category = (other.category or "") if rule.scope == "partner+category" else ""
            label = period_label(other.order.ts, rule.period, tz)
            return (other.contract.id, other.partner, category, label)

        mine = group_of(line)
        earlier = [
            other
            for other in self.lines[: line.position]
            if other.contract.id == line.contract.id and group_of(other) == mine
        ]
        if rule.basis == "revenue":
            return sum(o.base for o in earlier), line.base
        if rule.basis == "units":
            return sum(o.quantity for o in earlier), line.quantity
        # An order is one unit of volume, and each of its lines sits where its first one does.
        counted = {o.order.order_id for o in earlier} - {line.order.order_id}
        return len(counted), 1


def _matches(condition: Condition, line: _Line) -> bool:
    order = line.order
    checks: list[bool] = []
    if condition.category is not None:
        checks.append(line.category in condition.category)
    if condition.sku is not None:
        checks.append(line.sku in condition.sku)
    if condition.country is not None:
        checks.append(order.country in condition.country)
    if condition.group is not None:
        checks.append(line.group in condition.group)
    if condition.coupon is True:
        checks.append(order.coupon_code is not None)
    elif condition.coupon is False:
        checks.append(order.coupon_code is None)
    elif condition.coupon is not None:
        codes = {code.casefold() for code in condition.coupon}
        checks.append(order.coupon_code is not None and order.coupon_code.casefold() in codes)
    if condition.new_customer is not None:
        checks.append(order.is_new_customer is condition.new_customer)
    if condition.during is not None:
        checks.append(any(w.start <= order.ts < w.end for w in condition.during))
    attributes = dict(condition.attributes or {})
    if condition.device is not None:
        attributes["device"] = condition.device
    for name, wanted in attributes.items():
        value = line.attributes.get(name)
        checks.append(value is not None and str(value) in wanted)
    return all(checks)


def _value(run: _Run, rule: Any, lines: list[_Line], unit: Fraction, path: str) -> list[Fraction]:
    """Exact commission (minor units) of ``rule`` for some lines of one order."""
    if not lines:
        return []
    contract = lines[0].contract
    if isinstance(rule, Percent):
        return [line.base * Fraction(rule.rate) for line in lines]
    if isinstance(rule, Flat | PerLead):
        amount = minor_of(rule.amount)
        per = rule.per if isinstance(rule, Flat) else "order"
        if per == "line":
            return [amount for _ in lines]
        if per == "unit":
            return [amount * line.quantity for line in lines]
        return split(amount, [Fraction(line.base) for line in lines], unit)
    if isinstance(rule, PerClick | Bonus | Override):
        return [Fraction(0) for _ in lines]
    if isinstance(rule, Guarantee):
        return _value(run, rule.rule, lines, unit, f"{path}.rule")
    if isinstance(rule, When):
        values = [Fraction(0) for _ in lines]
        remaining = list(range(len(lines)))
        choices = [(b.condition, b.rule, f"{path}.b{n}") for n, b in enumerate(rule.branches)]
        for condition, branch_rule, branch_path in choices:
            hit = [i for i in remaining if _matches(condition, lines[i])]
            paid = _value(run, branch_rule, [lines[i] for i in hit], unit, branch_path)
            for i, value in zip(hit, paid, strict=True):
                values[i] = value
            remaining = [i for i in remaining if i not in hit]
        if rule.otherwise is not None:
            rest = [lines[i] for i in remaining]
            paid = _value(run, rule.otherwise, rest, unit, f"{path}.otherwise")
            for i, value in zip(remaining, paid, strict=True):
                values[i] = value
        return values
    if isinstance(rule, Add):
        totals = [Fraction(0) for _ in lines]
        for number, part in enumerate(rule.rules):
            paid = _value(run, part, lines, unit, f"{path}.p{number}")
            totals = [t + v for t, v in zip(totals, paid, strict=True)]
        return totals
    if isinstance(rule, Multiplier):
        places = max((decimal_places(f) for f in rule.by_group.values()), default=0)
        inner = _value(run, rule.rule, lines, unit * 10**places, f"{path}.rule")
        scaled = []
        for line, value in zip(lines, inner, strict=True):
            factor = rule.by_group.get(line.group) if line.group is not None else None
            scaled.append(value * (Fraction(1) if factor is None else Fraction(factor)))
        return scaled
    if isinstance(rule, Tiered):
        return _tiered(run, rule, lines, unit, path)
    if isinstance(rule, Cap):
        return _cap(run, rule, lines, unit, path)
    if isinstance(rule, Floor):
        values = _value(run, rule.rule, lines, unit, f"{path}.rule")
        minimum = minor_of(rule.minimum)
        if sum(values) >= minimum:
            return values
        weights = values if sum(values) > 0 else [Fraction(line.base) for line in lines]
        return split(minimum, weights, unit)
    if isinstance(rule, Recurring):
        subscription = lines[0].order.subscription_id
        if subscription is not None:
            number, first = run.payment[lines[0].order.order_id]
            if rule.payments is not None:
                eligible = number <= rule.payments
            else:
                eligible = lines[0].order.ts < months_later(
                    first, rule.months or 0, contract.timezone
                )
            if not eligible:
                return [Fraction(0) for _ in lines]
        return _value(run, rule.rule, lines, unit, f"{path}.rule")
    raise TypeError(f"the reference knows no rule {rule!r}")  # pragma: no cover


def _tiered(
    run: _Run, rule: Tiered, lines: list[_Line], unit: Fraction, path: str
) -> list[Fraction]:
    contract = lines[0].contract
    exponent = currency(contract.currency).exponent
    thresholds = [
        Fraction(t.threshold) * (10**exponent if rule.basis == "revenue" else 1) for t in rule.tiers
    ]
    volumes = [run.volume(line, rule, contract.timezone) for line in lines]
    if rule.mode == "marginal" and rule.basis != "orders":
        values = []
        uppers = [*thresholds[1:], None]
        for line, (before, own) in zip(lines, volumes, strict=True):
            start, end = Fraction(before), Fraction(before + own)
            portions = [
                max(Fraction(0), (end if high is None else min(end, high)) - max(start, low))
                for low, high in zip(thresholds, uppers, strict=True)
            ]
            if rule.basis == "units":
                # The base in whole minor units, by the units that fall in each tier.
                weights = (
                    portions
                    if sum(portions) > 0
                    else [Fraction(1)] + [Fraction(0)] * (len(portions) - 1)
                )
                portions = [Fraction(p) for p in largest_remainder(line.base, weights)]
            rates = [Fraction(t.rule.rate) for t in rule.tiers if isinstance(t.rule, Percent)]
            values.append(sum((p * r for p, r in zip(portions, rates, strict=True)), Fraction(0)))
        return values
    # Forward (and any orders basis but whole): the tier reached before the line;
    # whole: the tier reached with it (provisional until the period closes).
    tier_of = []
    for before, own in volumes:
        volume = before + own if rule.mode == "whole" else before
        tier_of.append(max(n for n, t in enumerate(thresholds) if t <= volume))
    values = [Fraction(0) for _ in lines]
    for number, tier in enumerate(rule.tiers):
        members = [i for i, t in enumerate(tier_of) if t == number]
        paid = _value(run, tier.rule, [lines[i] for i in members], unit, f"{path}.t{number}")
        for i, value in zip(members, paid, strict=True):
            values[i] = value
    return values


def _cap(run: _Run, rule: Cap, lines: list[_Line], unit: Fraction, path: str) -> list[Fraction]:
    values = _value(run, rule.rule, lines, unit, f"{path}.rule")
    if rule.per_line is not None:
        limit = minor_of(rule.per_line)
        values = [min(v, limit) for v in values]
    total = sum(values, Fraction(0))
    capped = total
    if rule.per_order is not None:
        capped = min(capped, minor_of(rule.per_order))
    if rule.per_period is not None:
        first = lines[0]
        label = period_label(first.order.ts, rule.period, first.contract.timezone)
        key = (first.contract.id, path, first.partner, label)
        used = run.paid.get(key, Fraction(0))
        room = floor_to(max(minor_of(rule.per_period) - used, Fraction(0)), unit)
        # A period cap counts whole minor units: each order's capped amount is rounded (the
        # contract's mode) before it is weighed against the room left, so rounding can never
        # take the period past the cap.
        whole = Fraction(round_to_integer(capped, first.contract.rounding))
        capped = min(whole, floor_to(room, Fraction(1)))
        run.paid[key] = used + capped
    if capped == total:
        return values
    return split(capped, values, unit)


def reference_compute(
    orders: Iterable[Order],
    book: ContractBook,
    *,
    lines: Iterable[OrderLine] = (),
    fx: FxRates | None = None,
    partners: Iterable[Partner] = (),
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
) -> ReferenceResult:
    """Commission of every order line under ``book``, the slow and obvious way.

    Args:
        orders: The orders (with their ``partner_id``).
        book: The contracts.
        lines: Order lines; an order without lines is one line.
        fx: Exchange rates for orders in another currency than their contract.
        partners: Partners, for their groups.
        attributes: Extra order columns by order id (what ``Condition.attributes`` match).

    Returns:
        Commission per line and per order in minor units of the contract currency, and the
        skipped orders with their reason.
    """
    result = ReferenceResult()
    group_of = {p.partner_id: p.group for p in partners}
    lines_of: dict[str, list[OrderLine]] = {}
    for line in lines:
        lines_of.setdefault(line.order_id, []).append(line)
    rows: list[tuple[tuple[int, str, str], Order, Contract, tuple[Any, ...]]] = []
    for order in orders:
        if order.partner_id is None:
            result.skipped[order.order_id] = "no partner"
            continue
        contract = _resolve(book, order, group_of.get(order.partner_id))
        if contract is None:
            result.skipped[order.order_id] = "no contract in force"
            continue
        for facts in _order_lines(order, lines_of.get(order.order_id, []), contract, fx):
            rows.append((line_sort_key(order, facts[0]), order, contract, facts))
    rows.sort(key=lambda row: row[0])
    walk = [
        _Line(
            position=position,
            order=order,
            line_id=line_id,
            category=category,
            sku=sku,
            quantity=quantity,
            base=base,
            contract=contract,
            group=group_of.get(order.partner_id or ""),
            attributes=(attributes or {}).get(order.order_id, {}),
        )
        for position, (_, order, contract, (line_id, category, sku, quantity, base)) in enumerate(
            rows
        )
    ]
    run = _Run(walk)
    start = 0
    while start < len(walk):
        end = start
        while end < len(walk) and walk[end].order.order_id == walk[start].order.order_id:
            end += 1
        mine = walk[start:end]
        contract = mine[0].contract
        unit = Fraction(1, 10 ** reference_places(contract.plan))
        exact = _value(run, contract.plan, mine, unit, "plan")
        total = round_to_integer(sum(exact, Fraction(0)), contract.rounding)
        parts = largest_remainder(total, [max(v, Fraction(0)) for v in exact])
        order_id = mine[0].order.order_id
        result.orders[order_id] = total
        for item, value, part in zip(mine, exact, parts, strict=True):
            result.lines[(order_id, item.line_id)] = ReferenceLine(
                order_id=order_id,
                line_id=item.line_id,
                contract_id=contract.id,
                version=contract.version,
                base=item.base,
                exact=value,
                commission=part,
            )
        start = end
    return result

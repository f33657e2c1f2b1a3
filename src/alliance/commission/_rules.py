"""Commission rules as data: small frozen pydantic models in one discriminated union.

A contract's plan is a tree of these nodes. Leaves pay (a percentage of the base, a flat fee,
a fee per lead or click); inner nodes choose (`When`, `Tiered`), combine (`Add`), bound
(`Cap`, `Floor`), scale (`Multiplier`) or restrict (`Recurring`). `Bonus` and `Guarantee` pay
at period close, and `Override` pays parent partners a share of their children's commission.
The builders at the end of this module (`percent`, `tiered`, `when` …) are the way to write
plans by hand; the models are what is stored, diffed and validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from alliance._money import Money, parse_amount
from alliance.errors import ContractError

__all__ = [
    "Add",
    "Basis",
    "Bonus",
    "Branch",
    "Cap",
    "Condition",
    "Flat",
    "Floor",
    "Guarantee",
    "Multiplier",
    "Override",
    "PerClick",
    "PerLead",
    "Percent",
    "Recurring",
    "Rule",
    "Tier",
    "TierMode",
    "TierPeriod",
    "Tiered",
    "When",
    "Window",
    "add",
    "bonus",
    "cap",
    "case",
    "flat",
    "floor",
    "guarantee",
    "multiplier",
    "override",
    "per_click",
    "per_lead",
    "percent",
    "recurring",
    "tiered",
    "when",
]

Basis = Literal["revenue", "orders", "units"]
TierMode = Literal["marginal", "whole", "forward"]
TierPeriod = Literal["day", "week", "month", "quarter", "year", "lifetime"]

_PERCENT = re.compile(r"^\s*([+-]?[0-9]*\.?[0-9]+)\s*%\s*$")


def parse_rate(value: Any) -> Decimal:
    """A rate as an exact fraction: ``"8%"`` is 0.08, ``"0.08"`` and ``Decimal("0.08")`` too.

    Raises:
        FloatNotAllowed: A float, which cannot hold a rate exactly.
        ValueError: Not a number, or negative.
    """
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            rate = parse_amount(match.group(1), what="rate") / 100
        else:
            rate = parse_amount(value, what="rate")
    else:
        rate = parse_amount(value, what="rate")
    if rate < 0:
        raise ValueError(f"a rate cannot be negative, got {value!r}")
    return rate.normalize() if rate else Decimal(0)


def _dump_decimal(value: Decimal) -> str:
    return format(value, "f")


Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(_dump_decimal, return_type=str, when_used="json"),
]


def _parse_quantity(value: Any) -> Decimal:
    amount = parse_amount(value, what="threshold")
    if amount < 0:
        raise ValueError(f"a threshold cannot be negative, got {value!r}")
    return amount


Quantity = Annotated[
    Decimal,
    BeforeValidator(_parse_quantity),
    PlainSerializer(_dump_decimal, return_type=str, when_used="json"),
]


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- leaves ---------------------------------------------------------------------------------------


class Percent(_Node):
    """Pay a share of the commission base: ``rate`` is a fraction (0.08 for 8 %)."""

    kind: Literal["percent"] = "percent"
    rate: Rate


class Flat(_Node):
    """Pay a fixed amount per line, per order (spread over its lines) or per unit sold."""

    kind: Literal["flat"] = "flat"
    amount: Money
    per: Literal["line", "order", "unit"] = "order"


class PerLead(_Node):
    """Pay a fixed amount per conversion (a lead or an order), whatever its value (CPA / CPL)."""

    kind: Literal["per_lead"] = "per_lead"
    amount: Money


class PerClick(_Node):
    """Pay a fixed amount per click (CPC); orders earn nothing from it."""

    kind: Literal["per_click"] = "per_click"
    amount: Money


# -- choosing -------------------------------------------------------------------------------------


class Tier(_Node):
    """One step of a tiered plan: from ``threshold`` of period volume on, ``rule`` applies."""

    threshold: Quantity
    rule: Rule


class Tiered(_Node):
    """Pay by the volume a partner reaches in a period.

    Attributes:
        basis: What volume counts: commission base in the contract currency (``revenue``),
            orders, or units.
        period: The volume resets every period in the contract's time zone (or never).
        mode: ``marginal`` pays each unit of volume at the tier it falls in, splitting a line
            that crosses a threshold; ``whole`` pays all the period's volume at the tier the
            period ends in (provisionally at the tier reached so far, trued up at close);
            ``forward`` pays each line at the tier reached before it.
        tiers: Steps in increasing threshold order, the first at 0.
        scope: Count volume per partner, or per partner and product category.
    """

    kind: Literal["tiered"] = "tiered"
    basis: Basis = "revenue"
    period: TierPeriod = "month"
    mode: TierMode = "marginal"
    tiers: tuple[Tier, ...]
    scope: Literal["partner", "partner+category"] = "partner"

    @model_validator(mode="after")
    def _steps(self) -> Tiered:
        if not self.tiers:
            raise ValueError("a tiered rule needs at least one tier")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds[0] != 0:
            raise ValueError(f"the first tier must start at 0, got {thresholds[0]}")
        for low, high in pairwise(thresholds):
            if high <= low:
                raise ValueError(f"tier thresholds must increase strictly, got {low} then {high}")
        if self.basis != "revenue":
            fractional = [t for t in thresholds if t != t.to_integral_value()]
            if fractional:
                raise ValueError(
                    f"{self.basis} thresholds count whole {self.basis}, got {fractional[0]}"
                )
        if self.mode == "marginal":
            others = [t.rule.kind for t in self.tiers if not isinstance(t.rule, Percent)]
            if others:
                raise ValueError(
                    "marginal tiers split volume between rates, so each tier must be a "
                    f"percent rule, got {others[0]!r}; use mode='whole' or 'forward' for others"
                )
        return self


class Window(_Node):
    """A half-open interval of time ``[start, end)``."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after its start {self.start}")
        return self


def _tuple_of_text(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


TextSet = Annotated[tuple[str, ...], BeforeValidator(_tuple_of_text)]


class Condition(_Node):
    """What a line or its order must match; every field given must match (and).

    Fields holding several values match any of them (or). ``coupon=True`` matches any
    coupon; ``new_customer`` needs the order to say; ``attributes`` match the order's extra
    columns (``{"device": ("mobile",)}``).
    """

    category: TextSet | None = None
    sku: TextSet | None = None
    country: TextSet | None = None
    coupon: TextSet | bool | None = None
    device: TextSet | None = None
    new_customer: bool | None = None
    during: tuple[Window, ...] | None = None
    group: TextSet | None = None
    attributes: Mapping[str, TextSet] | None = None
    label: str | None = None

    @field_validator("during", mode="before")
    @classmethod
    def _one_window(cls, value: Any) -> Any:
        # A single window is a one-window list; a pair of instants is one window.
        if isinstance(value, Window | Mapping):
            return (value,)
        if (
            isinstance(value, tuple | list)
            and len(value) == 2
            and all(isinstance(v, datetime) for v in value)
        ):
            return ({"start": value[0], "end": value[1]},)
        return value

    @model_validator(mode="after")
    def _something(self) -> Condition:
        fields = set(type(self).model_fields) - {"label"}
        if all(getattr(self, name) is None for name in fields):
            raise ValueError("a condition needs at least one field to match")
        return self

    def describe(self) -> str:
        """The condition in words (its label when it has one)."""
        if self.label:
            return self.label
        parts = []
        for name in ("category", "sku", "country", "device", "group"):
            values = getattr(self, name)
            if values is not None:
                parts.append(f"{name} in {{{', '.join(values)}}}")
        if self.coupon is True:
            parts.append("any coupon")
        elif self.coupon is False:
            parts.append("no coupon")
        elif self.coupon is not None:
            parts.append(f"coupon in {{{', '.join(self.coupon)}}}")
        if self.new_customer is not None:
            parts.append("new customer" if self.new_customer else "returning customer")
        if self.during is not None:
            spans = ", ".join(f"{w.start.isoformat()}..{w.end.isoformat()}" for w in self.during)
            parts.append(f"during {spans}")
        for key, values in (self.attributes or {}).items():
            parts.append(f"{key} in {{{', '.join(values)}}}")
        return " and ".join(parts)


class Branch(_Node):
    """One case of a `When`: if ``condition`` matches, ``rule`` pays."""

    condition: Condition
    rule: Rule


class When(_Node):
    """Choose a rule by conditions; the first branch that matches wins, in the order written."""

    kind: Literal["when"] = "when"
    branches: tuple[Branch, ...]
    otherwise: Rule | None = None

    @field_validator("branches")
    @classmethod
    def _some(cls, value: tuple[Branch, ...]) -> tuple[Branch, ...]:
        if not value:
            raise ValueError("when() needs at least one branch")
        return value


# -- combining, bounding, scaling -----------------------------------------------------------------


class Add(_Node):
    """Pay the sum of several rules (a base rate plus a bonus rate, say)."""

    kind: Literal["add"] = "add"
    rules: tuple[Rule, ...]

    @field_validator("rules")
    @classmethod
    def _two(cls, value: tuple[Rule, ...]) -> tuple[Rule, ...]:
        if len(value) < 2:
            raise ValueError("add() needs at least two rules")
        return value


class Cap(_Node):
    """Bound what a rule pays per line, per order and per period.

    The order that crosses a period cap gets the remainder; later orders in the period get
    nothing from this rule.
    """

    kind: Literal["cap"] = "cap"
    rule: Rule
    per_line: Money | None = None
    per_order: Money | None = None
    per_period: Money | None = None
    period: TierPeriod = "month"

    @model_validator(mode="after")
    def _bounded(self) -> Cap:
        limits = [self.per_line, self.per_order, self.per_period]
        if all(limit is None for limit in limits):
            raise ValueError("cap() needs per_line, per_order or per_period")
        for limit in limits:
            if limit is not None and limit.amount < 0:
                raise ValueError(f"a cap cannot be negative, got {limit}")
        return self


class Floor(_Node):
    """Pay at least ``minimum`` per order that earns under ``rule``'s branch."""

    kind: Literal["floor"] = "floor"
    rule: Rule
    minimum: Money


class Multiplier(_Node):
    """Scale a rule by the partner's group (pay better partners more); other groups get 1."""

    kind: Literal["multiplier"] = "multiplier"
    rule: Rule
    by_group: Mapping[str, Rate]


class Recurring(_Node):
    """Pay a rule on subscription payments for a limited time or number of payments.

    The window is half-open from the subscription's first payment: ``months=12`` pays the
    payments in ``[first, first + 12 months)``; ``payments=6`` pays the first six.
    """

    kind: Literal["recurring"] = "recurring"
    rule: Rule
    months: int | None = Field(default=None, ge=1)
    payments: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_limit(self) -> Recurring:
        if (self.months is None) == (self.payments is None):
            raise ValueError("recurring() takes exactly one of months= or payments=")
        return self


# -- paid at close or to others -------------------------------------------------------------------


class Bonus(_Node):
    """At period close, pay ``amount`` (or ``rate`` of the period's base) past a threshold."""

    kind: Literal["bonus"] = "bonus"
    threshold: Quantity
    basis: Basis = "revenue"
    period: TierPeriod = "month"
    amount: Money | None = None
    rate: Rate | None = None

    @model_validator(mode="after")
    def _one_payout(self) -> Bonus:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("bonus() takes exactly one of amount= or rate=")
        return self


class Guarantee(_Node):
    """A guaranteed minimum per period plus commission (保底 + 提成), topped up at close."""

    kind: Literal["guarantee"] = "guarantee"
    rule: Rule
    minimum: Money
    period: TierPeriod = "month"


class Override(_Node):
    """Pay each ancestor a share of a partner's sales commission, up to ``len(rates)`` levels.

    ``rates[0]`` goes to the parent, ``rates[1]`` to the grandparent, and so on. The partner's
    own commission is not reduced. Bonuses and guarantee top-ups do not count.
    """

    kind: Literal["override"] = "override"
    rates: tuple[Rate, ...]

    @field_validator("rates")
    @classmethod
    def _levels(cls, value: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        if not 1 <= len(value) <= 5:
            raise ValueError(f"override depth must be 1 to 5 levels, got {len(value)}")
        return value


Rule = Annotated[
    Percent
    | Flat
    | PerLead
    | PerClick
    | Tiered
    | When
    | Add
    | Cap
    | Floor
    | Multiplier
    | Recurring
    | Bonus
    | Guarantee
    | Override,
    Field(discriminator="kind"),
]

for _model in (Tier, Tiered, Branch, When, Add, Cap, Floor, Multiplier, Recurring, Guarantee):
    _model.model_rebuild()


def walk(rule: Any) -> Iterable[Any]:
    """Every node of a rule tree, depth first, the rule itself first."""
    yield rule
    if isinstance(rule, Tiered):
        for tier in rule.tiers:
            yield from walk(tier.rule)
    elif isinstance(rule, When):
        for branch in rule.branches:
            yield from walk(branch.rule)
        if rule.otherwise is not None:
            yield from walk(rule.otherwise)
    elif isinstance(rule, Add):
        for part in rule.rules:
            yield from walk(part)
    elif isinstance(rule, Cap | Floor | Multiplier | Recurring | Guarantee):
        yield from walk(rule.rule)


def top_level(plan: Any, kind: type) -> list[Any]:
    """Nodes of ``kind`` at the top of a plan or directly inside a top-level `add`."""
    if isinstance(plan, kind):
        return [plan]
    if isinstance(plan, Add):
        return [part for part in plan.rules if isinstance(part, kind)]
    return []


# -- builders -------------------------------------------------------------------------------------


def percent(rate: str | int | Decimal) -> Percent:
    """Pay ``rate`` of the commission base: ``percent("8%")`` or ``percent("0.08")``.

    Examples:
        >>> percent("7.5%").rate
        Decimal('0.075')
    """
    return Percent(rate=rate)


def _money(amount: str | int | Decimal | Money, currency: str | None, what: str) -> Money:
    if isinstance(amount, Money):
        if currency is not None and currency.upper() != amount.currency:
            raise ContractError(f"{what}: amount is {amount.currency}, currency says {currency}")
        return amount
    if currency is None:
        raise ContractError(f"{what} needs a currency, e.g. {what}('2.50', 'USD')")
    return Money(amount, currency)


def flat(
    amount: str | int | Decimal | Money,
    currency: str | None = None,
    *,
    per: Literal["line", "order", "unit"] = "order",
) -> Flat:
    """Pay a fixed amount per order (default), per line or per unit.

    Examples:
        >>> flat("2.50", "USD", per="unit").amount
        Money('2.50', 'USD')
    """
    return Flat(amount=_money(amount, currency, "flat"), per=per)


def per_lead(amount: str | int | Decimal | Money, currency: str | None = None) -> PerLead:
    """Pay a fixed amount per conversion, whatever its value."""
    return PerLead(amount=_money(amount, currency, "per_lead"))


def per_click(amount: str | int | Decimal | Money, currency: str | None = None) -> PerClick:
    """Pay a fixed amount per click."""
    return PerClick(amount=_money(amount, currency, "per_click"))


def _as_rule(value: Any) -> Any:
    """A tier's or branch's rule: a rule model, or a rate written as text or a Decimal."""
    if isinstance(value, _Node):
        return value
    return percent(value)


def tiered(
    *,
    tiers: Iterable[tuple[Any, Any]],
    basis: Basis = "revenue",
    period: TierPeriod = "month",
    mode: TierMode = "marginal",
    scope: Literal["partner", "partner+category"] = "partner",
) -> Tiered:
    """Pay by period volume; ``tiers`` are ``(threshold, rate or rule)`` pairs from 0 up.

    Examples:
        >>> plan = tiered(tiers=[("0", "5%"), ("10000", "7%"), ("50000", "10%")])
        >>> [str(t.threshold) for t in plan.tiers], plan.mode
        (['0', '10000', '50000'], 'marginal')
    """
    steps = [Tier(threshold=threshold, rule=_as_rule(rule)) for threshold, rule in tiers]
    return Tiered(basis=basis, period=period, mode=mode, tiers=tuple(steps), scope=scope)


def case(rule: Any, *, label: str | None = None, **condition: Any) -> Branch:
    """One branch of `when`: ``case(percent("10%"), category="beauty")``."""
    return Branch(condition=Condition(label=label, **condition), rule=_as_rule(rule))


def when(
    *cases: Branch,
    then: Any = None,
    otherwise: Any = None,
    label: str | None = None,
    **condition: Any,
) -> When:
    """Choose by conditions; the first matching branch wins, in the order written.

    Either give branches (``when(case(...), case(...), otherwise=...)``) or one condition
    inline (``when(category="beauty", then="10%", otherwise="5%")``).

    Examples:
        >>> rule = when(category="beauty", then="10%", otherwise="5%")
        >>> rule.branches[0].condition.describe(), rule.otherwise.rate
        ('category in {beauty}', Decimal('0.05'))
    """
    branches = list(cases)
    if condition or then is not None:
        if then is None:
            raise ContractError("when() with an inline condition needs then=")
        branches.append(case(then, label=label, **condition))
    return When(
        branches=tuple(branches),
        otherwise=None if otherwise is None else _as_rule(otherwise),
    )


def add(*rules: Any) -> Add:
    """Pay the sum of rules: ``add(percent("5%"), flat("1", "USD"))``."""
    return Add(rules=tuple(_as_rule(r) for r in rules))


def cap(
    rule: Any,
    *,
    per_line: Money | None = None,
    per_order: Money | None = None,
    per_period: Money | None = None,
    period: TierPeriod = "month",
) -> Cap:
    """Bound what ``rule`` pays per line, per order and per period."""
    return Cap(
        rule=_as_rule(rule),
        per_line=per_line,
        per_order=per_order,
        per_period=per_period,
        period=period,
    )


def floor(rule: Any, minimum: Money) -> Floor:
    """Pay at least ``minimum`` per order."""
    return Floor(rule=_as_rule(rule), minimum=minimum)


def multiplier(rule: Any, *, by_group: Mapping[str, Any]) -> Multiplier:
    """Scale ``rule`` by the partner's group: ``multiplier(r, by_group={"premium": "1.2"})``."""
    return Multiplier(rule=_as_rule(rule), by_group=dict(by_group))


def recurring(rule: Any, *, months: int | None = None, payments: int | None = None) -> Recurring:
    """Pay ``rule`` on the first ``months`` months or ``payments`` payments of a subscription."""
    return Recurring(rule=_as_rule(rule), months=months, payments=payments)


def bonus(
    threshold: Any,
    *,
    amount: Money | None = None,
    rate: Any = None,
    basis: Basis = "revenue",
    period: TierPeriod = "month",
) -> Bonus:
    """At close, pay ``amount`` (or ``rate`` of the base) once period volume reaches ``threshold``.

    A revenue threshold is in the contract currency's units (``"600"`` is 600.00 USD).
    """
    return Bonus(threshold=threshold, amount=amount, rate=rate, basis=basis, period=period)


def guarantee(rule: Any, minimum: Money, *, period: TierPeriod = "month") -> Guarantee:
    """Commission under ``rule``, topped up at close to ``minimum`` per period (保底 + 提成)."""
    return Guarantee(rule=_as_rule(rule), minimum=minimum, period=period)


def override(rate: Any, depth: int = 1) -> Override:
    """Pay ancestors ``rate`` of a partner's sales commission, up to ``depth`` levels.

    ``rate`` may be one rate for every level or one per level (``["10%", "5%"]``).
    """
    rates = list(rate) if isinstance(rate, list | tuple) else [rate] * depth
    if len(rates) != depth:
        raise ContractError(f"override: {len(rates)} rates for depth {depth}")
    return Override(rates=tuple(rates))

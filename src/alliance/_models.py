"""The records of a programme: partners, clicks, orders, lines, reversals, touchpoints.

Each model is frozen and refuses unknown fields. Field types come from `alliance._fields`,
which the columnar tables share, so a record and a table row validate the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alliance._currency import currency as lookup_currency
from alliance._fields import (
    Amount,
    Count,
    Country,
    CurrencyCode,
    Flag,
    Id,
    Ratio,
    Tags,
    Text,
    Timestamp,
)
from alliance._kernels import decimal_to_minor
from alliance._money import Money
from alliance.errors import InvalidAmount

__all__ = [
    "Click",
    "Order",
    "OrderLine",
    "Partner",
    "PartnerKind",
    "PartnerStatus",
    "Reversal",
    "ReversalKind",
    "Touchpoint",
    "TouchpointKind",
]

PartnerKind = Literal["kol", "content", "coupon", "cashback", "agency", "brand", "other"]
PartnerStatus = Literal["pending", "active", "paused", "terminated"]
ReversalKind = Literal["refund", "chargeback", "cancellation", "fraud"]
TouchpointKind = Literal["click", "impression", "coupon"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    #: Money fields checked against the record's currency for minor units.
    _money_fields: ClassVar[tuple[str, ...]] = ()

    def _check_minor_units(self, code: str | None) -> None:
        if code is None:
            return
        exponent = lookup_currency(code).exponent
        for name in self._money_fields:
            value = getattr(self, name)
            if value is None:
                continue
            try:
                decimal_to_minor(value, exponent, None)
            except InvalidAmount:
                raise ValueError(
                    f"{name} {value} is finer than {code}'s minor unit "
                    f"({exponent} decimal place{'s' if exponent != 1 else ''})"
                ) from None


class Partner(_Record):
    """A partner of the programme: a KOL, a content or coupon site, an agency, a brand.

    Attributes:
        partner_id: Identifier.
        name: Display name.
        kind: What sort of partner this is.
        group: Commission group (contracts can apply to a group).
        parent_id: Recruiting partner, for sub-affiliate overrides.
        country: ISO 3166 alpha-2 country.
        payout_currency: Currency the partner is paid in.
        email_hash: Hash of the normalised e-mail, for self-referral checks.
        payment_fingerprint: Fingerprint of the payout method.
        audience_size: Followers or monthly visitors.
        engagement_rate: Share of the audience that engages, between 0 and 1.
        categories: Product categories the partner covers.
        coupon_codes: The partner's exclusive coupon codes (a code belongs to one partner).
        status: Lifecycle status.
        joined_at: When the partner joined.
    """

    partner_id: Id
    name: Text | None = None
    kind: PartnerKind = "other"
    group: Text | None = None
    parent_id: Id | None = None
    country: Country | None = None
    payout_currency: CurrencyCode | None = None
    email_hash: Text | None = None
    payment_fingerprint: Text | None = None
    audience_size: Count | None = Field(default=None, ge=0)
    engagement_rate: Ratio | None = None
    categories: Tags = ()
    coupon_codes: Tags = ()
    status: PartnerStatus = "active"
    joined_at: Timestamp | None = None

    @model_validator(mode="after")
    def _not_own_parent(self) -> Partner:
        if self.parent_id is not None and self.parent_id == self.partner_id:
            raise ValueError(f"partner {self.partner_id!r} cannot be its own parent")
        return self


class Click(_Record):
    """A click on a partner's tracking link.

    Attributes:
        click_id: Identifier.
        ts: When it happened (tz-aware).
        partner_id: Partner whose link was clicked.
        visitor_id: Cookie or device visitor id.
        ip: Client IP address.
        device_id: Device identifier.
        user_agent: Browser user agent.
        country: ISO 3166 alpha-2 country of the visitor.
        sub_id: The partner's own tracking parameter.
    """

    click_id: Id
    ts: Timestamp
    partner_id: Id
    visitor_id: Id | None = None
    ip: Text | None = None
    device_id: Text | None = None
    user_agent: Text | None = None
    country: Country | None = None
    sub_id: Text | None = None


class Order(_Record):
    """A customer order.

    ``amount`` is what the customer paid, in ``currency``, with ``tax`` and ``shipping``
    (when given) included in it and ``discount`` (when given) already taken off. A contract's
    commission base policy says which of them count.

    Attributes:
        order_id: Identifier.
        ts: When the order was placed (tz-aware).
        amount: Order total, exact, not negative.
        currency: ISO 4217 code of every amount of the order.
        visitor_id: Visitor who ordered (joins clicks).
        customer_id: Customer account.
        partner_id: Partner already credited, when attribution happened upstream.
        coupon_code: Coupon redeemed.
        is_new_customer: Whether the customer is new to the brand, when known.
        country: ISO 3166 alpha-2 country of the buyer.
        ip: Client IP address.
        device_id: Device identifier.
        payment_fingerprint: Fingerprint of the payment method.
        email_hash: Hash of the buyer's normalised e-mail.
        subscription_id: Subscription this payment belongs to.
        tax: Tax included in ``amount``.
        shipping: Shipping included in ``amount``.
        discount: Discount already deducted from ``amount``.
    """

    _money_fields: ClassVar[tuple[str, ...]] = ("amount", "tax", "shipping", "discount")

    order_id: Id
    ts: Timestamp
    amount: Amount
    currency: CurrencyCode
    visitor_id: Id | None = None
    customer_id: Id | None = None
    partner_id: Id | None = None
    coupon_code: Text | None = None
    is_new_customer: Flag | None = None
    country: Country | None = None
    ip: Text | None = None
    device_id: Text | None = None
    payment_fingerprint: Text | None = None
    email_hash: Text | None = None
    subscription_id: Id | None = None
    tax: Amount | None = None
    shipping: Amount | None = None
    discount: Amount | None = None

    @model_validator(mode="after")
    def _consistent_amounts(self) -> Order:
        self._check_minor_units(self.currency)
        included = (self.tax or Decimal(0)) + (self.shipping or Decimal(0))
        if included > self.amount:
            raise ValueError(f"tax + shipping ({included}) exceed the order amount ({self.amount})")
        return self

    @property
    def money(self) -> Money:
        """The order total as `Money`."""
        return Money(self.amount, self.currency)


class OrderLine(_Record):
    """One line of an order. An order without lines counts as one line.

    Attributes:
        order_id: Order the line belongs to.
        line_id: Identifier within the order.
        sku: Stock-keeping unit.
        category: Product category.
        amount: Line total (not the unit price), not negative.
        quantity: Units, at least 1.
        currency: ISO 4217 code; when omitted, the order's.
    """

    _money_fields: ClassVar[tuple[str, ...]] = ("amount",)

    order_id: Id
    line_id: Id
    sku: Text | None = None
    category: Text | None = None
    amount: Amount
    quantity: Count = Field(default=1, ge=1)
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _minor_units(self) -> OrderLine:
        self._check_minor_units(self.currency)
        return self


class Reversal(_Record):
    """A refund, chargeback, cancellation or fraud reversal of an order or one of its lines.

    Attributes:
        reversal_id: Identifier.
        order_id: Order reversed.
        line_id: Line reversed; ``None`` for the whole order.
        ts: When the reversal happened (tz-aware).
        amount: Amount reversed, strictly positive; ``None`` reverses all of it.
        currency: ISO 4217 code of ``amount``; when omitted, the order's.
        kind: What sort of reversal.
        reason: Free text from the source system.
    """

    _money_fields: ClassVar[tuple[str, ...]] = ("amount",)

    reversal_id: Id
    order_id: Id
    line_id: Id | None = None
    ts: Timestamp
    amount: Amount | None = None
    currency: CurrencyCode | None = None
    kind: ReversalKind = "refund"
    reason: Text | None = None

    @model_validator(mode="after")
    def _positive_amount(self) -> Reversal:
        if self.amount is not None and self.amount == 0:
            raise ValueError("a reversal amount must be positive; omit it to reverse in full")
        self._check_minor_units(self.currency)
        return self


class Touchpoint(_Record):
    """A partner's touch on a visitor's journey (clicks are touchpoints too).

    Attributes:
        visitor_id: Visitor touched.
        ts: When (tz-aware).
        partner_id: Partner responsible; may be omitted for a coupon touch resolved later.
        kind: Click, impression or coupon.
        coupon_code: Coupon code of a coupon touch.
    """

    visitor_id: Id
    ts: Timestamp
    partner_id: Id | None = None
    kind: TouchpointKind = "click"
    coupon_code: Text | None = None

    @model_validator(mode="after")
    def _attributable(self) -> Touchpoint:
        if self.partner_id is None and self.coupon_code is None:
            raise ValueError("a touchpoint needs a partner_id or a coupon_code")
        if self.kind == "coupon" and self.coupon_code is None:
            raise ValueError("a coupon touchpoint needs its coupon_code")
        return self

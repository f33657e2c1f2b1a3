"""Strategies for the record models: partners, clicks, orders, lines, reversals."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import get_args

import hypothesis.strategies as st
from hypothesis.strategies import SearchStrategy

from alliance._currency import currency as lookup_currency
from alliance._models import (
    Click,
    Order,
    OrderLine,
    Partner,
    PartnerKind,
    PartnerStatus,
    Reversal,
    ReversalKind,
    Touchpoint,
    TouchpointKind,
)
from alliance._money import Money

# -- records ------------------------------------------------------------------------------------
from alliance.testing._common import (
    _CATEGORIES,
    _COUNTRIES,
    _LARGEST_AMOUNT,
    _USER_AGENTS,
    AmountOption,
    CurrencyOption,
    IdOption,
    OptionalIdOption,
    T,
    TimestampOption,
    _choices_option,
    _codes_option,
    _id_option,
)
from alliance.testing._values import (
    _all_codes,
    _code_strategy,
    _money_of,
    _resolve_money,
    _timestamp_option,
    currency_codes,
    timestamps,
)


def ids() -> SearchStrategy[str]:
    """Identifiers the models accept unchanged: 1 to 16 letters, digits, punctuation, symbols.

    Any script may appear (``"注文-7"``), but never surrounding whitespace, which the models
    strip (so two generated ids are different ids after validation too).
    """
    characters = st.characters(codec="utf-8", categories=("L", "N", "P", "S"))
    return st.text(characters, min_size=1, max_size=16).filter(lambda text: text == text.strip())


_TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=24)
_CODES = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=3, max_size=12)
_COUNTRY = st.sampled_from(_COUNTRIES)
_HASHES = st.binary(min_size=32, max_size=32).map(bytes.hex)
_FINGERPRINTS = st.binary(min_size=12, max_size=12).map(bytes.hex)
_IPS = st.ip_addresses().map(str)


def _maybe(strategy: SearchStrategy[T]) -> SearchStrategy[T | None]:
    # None first: failing examples shrink to records with only their required fields.
    return st.none() | strategy


def partners(
    *,
    partner_id: IdOption = None,
    parent_id: OptionalIdOption = None,
    kind: PartnerKind | Iterable[PartnerKind] | None = None,
    status: PartnerStatus | Iterable[PartnerStatus] | None = None,
    payout_currency: CurrencyOption = None,
) -> SearchStrategy[Partner]:
    """`Partner` records with every optional field sometimes filled.

    Field options take a value (pinned), a strategy, or ``None`` for the default strategy;
    pass ``parent_id=st.none()`` for partners without a parent.

    Args:
        partner_id: The partner's id.
        parent_id: The parent's id; a drawn parent equal to the partner's id is dropped.
        kind: Kind(s) to draw from.
        status: Status(es) to draw from.
        payout_currency: Currency code(s) the partner may be paid in.

    Raises:
        InvalidArgument: An empty id, an unknown kind, status or currency.
    """
    own_ids = _id_option(partner_id, "partner_id", ids())
    parents = _id_option(parent_id, "parent_id", _maybe(ids()))
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(PartnerKind)))
    statuses = st.sampled_from(_choices_option(status, "status", get_args(PartnerStatus)))
    codes = _codes_option(payout_currency, "payout_currency")
    payout = _code_strategy(codes) if codes else _maybe(currency_codes())

    @st.composite
    def draw_partner(draw: st.DrawFn) -> Partner:
        own = draw(own_ids)
        parent = draw(parents)
        return Partner(
            partner_id=own,
            name=draw(_maybe(_TEXT)),
            kind=draw(kinds),
            group=draw(_maybe(_TEXT)),
            parent_id=None if parent == own else parent,
            country=draw(_maybe(_COUNTRY)),
            payout_currency=draw(payout),
            email_hash=draw(_maybe(_HASHES)),
            payment_fingerprint=draw(_maybe(_FINGERPRINTS)),
            audience_size=draw(_maybe(st.integers(0, 10**9))),
            engagement_rate=draw(_maybe(st.floats(0, 1))),
            categories=tuple(draw(st.lists(st.sampled_from(_CATEGORIES) | ids(), max_size=3))),
            status=draw(statuses),
            joined_at=draw(_maybe(timestamps())),
        )

    return draw_partner()


def clicks(
    *,
    click_id: IdOption = None,
    partner_id: IdOption = None,
    visitor_id: OptionalIdOption = None,
    ts: TimestampOption = None,
) -> SearchStrategy[Click]:
    """`Click` records.

    Args:
        click_id: The click's id (value, strategy, or ``None`` for any).
        partner_id: The partner whose link was clicked.
        visitor_id: The visitor.
        ts: The instant, or a strategy such as ``timestamps(timezones="Asia/Shanghai")``.

    Raises:
        InvalidArgument: An empty id or a naive ``ts``.
    """
    click_ids = _id_option(click_id, "click_id", ids())
    partner_ids = _id_option(partner_id, "partner_id", ids())
    visitors = _id_option(visitor_id, "visitor_id", _maybe(ids()))
    instants = _timestamp_option(ts, "ts")
    return st.builds(
        Click,
        click_id=click_ids,
        ts=instants,
        partner_id=partner_ids,
        visitor_id=visitors,
        ip=_maybe(_IPS),
        device_id=_maybe(ids()),
        user_agent=_maybe(st.sampled_from(_USER_AGENTS) | _TEXT),
        country=_maybe(_COUNTRY),
        sub_id=_maybe(_TEXT),
    )


def _amounts(
    currency: CurrencyOption, min_amount: AmountOption, max_amount: AmountOption
) -> SearchStrategy[Money]:
    """Record amounts: whole, not negative, checked as the options of `orders`."""
    codes, low, high = _resolve_money(
        currency,
        min_amount,
        max_amount,
        names=("currency", "min_amount", "max_amount"),
        whole=True,
        floor=Fraction(0),
    )
    return _money_of(codes, low, high, True)


def orders(
    *,
    currency: CurrencyOption = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
    order_id: IdOption = None,
    ts: TimestampOption = None,
    partner_id: OptionalIdOption = None,
    visitor_id: OptionalIdOption = None,
    customer_id: OptionalIdOption = None,
) -> SearchStrategy[Order]:
    """`Order` records whose amounts are whole minor units of the order's currency.

    ``tax + shipping`` never exceed ``amount``; each of them, and ``discount``, is sometimes
    absent.

    Args:
        currency: Code(s) of the order; ``None`` for any.
        min_amount: Smallest ``amount`` (not negative). Default 0.
        max_amount: Largest ``amount``. Default 1,000,000,000.
        order_id: The order's id (value, strategy, or ``None`` for any).
        ts: The instant, or a strategy of instants.
        partner_id: Partner already credited (``st.none()`` for never).
        visitor_id: The visitor who ordered.
        customer_id: The customer account.

    Raises:
        InvalidArgument: An unknown currency, a negative or float bound, ``min_amount >
            max_amount``, an empty id, or a naive ``ts``.
    """
    totals = _amounts(currency, min_amount, max_amount)
    order_ids = _id_option(order_id, "order_id", ids())
    instants = _timestamp_option(ts, "ts")
    partner_ids = _id_option(partner_id, "partner_id", _maybe(ids()))
    visitors = _id_option(visitor_id, "visitor_id", _maybe(ids()))
    customers = _id_option(customer_id, "customer_id", _maybe(ids()))

    @st.composite
    def draw_order(draw: st.DrawFn) -> Order:
        total = draw(totals)
        code, minor = total.currency, total.minor

        def part(limit: int) -> Decimal | None:
            units = draw(_maybe(st.integers(0, limit)))
            return None if units is None else Money.from_minor(units, code).amount

        tax = part(minor)
        shipping = part(minor - (Money(tax, code).minor if tax is not None else 0))
        return Order(
            order_id=draw(order_ids),
            ts=draw(instants),
            amount=total.amount,
            currency=code,
            visitor_id=draw(visitors),
            customer_id=draw(customers),
            partner_id=draw(partner_ids),
            coupon_code=draw(_maybe(_CODES)),
            is_new_customer=draw(_maybe(st.booleans())),
            country=draw(_maybe(_COUNTRY)),
            ip=draw(_maybe(_IPS)),
            device_id=draw(_maybe(ids())),
            payment_fingerprint=draw(_maybe(_FINGERPRINTS)),
            email_hash=draw(_maybe(_HASHES)),
            subscription_id=draw(_maybe(ids())),
            tax=tax,
            shipping=shipping,
            discount=part(max(minor, 1)),
        )

    return draw_order()


def order_lines(
    *,
    currency: CurrencyOption = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
    order_id: IdOption = None,
    line_id: IdOption = None,
) -> SearchStrategy[OrderLine]:
    """`OrderLine` records, always with their currency (which `Lines` needs for minor units).

    Args:
        currency: Code(s) of the line; ``None`` for any.
        min_amount: Smallest line total (not negative). Default 0.
        max_amount: Largest line total. Default 1,000,000,000.
        order_id: The order's id (value, strategy, or ``None`` for any).
        line_id: The line's id within the order.

    Raises:
        InvalidArgument: As for `orders`.
    """
    totals = _amounts(currency, min_amount, max_amount)
    line_ids = st.integers(1, 99).map(str) | ids()
    return st.builds(
        lambda total, **fields: OrderLine(amount=total.amount, currency=total.currency, **fields),
        totals,
        order_id=_id_option(order_id, "order_id", ids()),
        line_id=_id_option(line_id, "line_id", line_ids),
        sku=_maybe(_CODES),
        category=_maybe(st.sampled_from(_CATEGORIES) | _TEXT),
        quantity=st.integers(1, 1000),
    )


def reversals(
    *,
    currency: CurrencyOption = None,
    reversal_id: IdOption = None,
    order_id: IdOption = None,
    line_id: OptionalIdOption = None,
    ts: TimestampOption = None,
    kind: ReversalKind | Iterable[ReversalKind] | None = None,
) -> SearchStrategy[Reversal]:
    """`Reversal` records: in full (no amount) or partial, with a positive whole amount.

    A reversal with an amount always carries its currency; one without sometimes does.

    Args:
        currency: Code(s) of the reversal; when given, every reversal carries one.
        reversal_id: The reversal's id (value, strategy, or ``None`` for any).
        order_id: The order reversed.
        line_id: The line reversed (``st.none()`` for whole orders only).
        ts: The instant, or a strategy of instants.
        kind: Kind(s) of reversal to draw from.

    Raises:
        InvalidArgument: An unknown currency or kind, an empty id, or a naive ``ts``.
    """
    codes = _codes_option(currency, "currency")
    code_strategy = _code_strategy(codes or _all_codes())
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(ReversalKind)))
    reversal_ids = _id_option(reversal_id, "reversal_id", ids())
    order_ids = _id_option(order_id, "order_id", ids())
    line_ids = _id_option(line_id, "line_id", _maybe(st.integers(1, 99).map(str) | ids()))
    instants = _timestamp_option(ts, "ts")

    @st.composite
    def draw_reversal(draw: st.DrawFn) -> Reversal:
        code = draw(code_strategy)
        units = draw(
            _maybe(st.integers(1, _LARGEST_AMOUNT * lookup_currency(code).minor_per_major))
        )
        amount = None if units is None else Money.from_minor(units, code).amount
        keep_code = amount is not None or codes is not None or draw(st.booleans())
        return Reversal(
            reversal_id=draw(reversal_ids),
            order_id=draw(order_ids),
            line_id=draw(line_ids),
            ts=draw(instants),
            amount=amount,
            currency=code if keep_code else None,
            kind=draw(kinds),
            reason=draw(_maybe(_TEXT)),
        )

    return draw_reversal()


def touchpoints(
    *,
    visitor_id: IdOption = None,
    partner_id: OptionalIdOption = None,
    ts: TimestampOption = None,
    kind: TouchpointKind | Iterable[TouchpointKind] | None = None,
) -> SearchStrategy[Touchpoint]:
    """`Touchpoint` records: each has a partner or a coupon code, coupon touches a code.

    Args:
        visitor_id: The visitor touched (value, strategy, or ``None`` for any).
        partner_id: The partner (``st.none()`` for coupon-only touches).
        ts: The instant, or a strategy of instants.
        kind: Kind(s) to draw from.

    Raises:
        InvalidArgument: An empty id, an unknown kind, or a naive ``ts``.
    """
    visitors = _id_option(visitor_id, "visitor_id", ids())
    partner_ids = _id_option(partner_id, "partner_id", _maybe(ids()))
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(TouchpointKind)))
    instants = _timestamp_option(ts, "ts")

    @st.composite
    def draw_touchpoint(draw: st.DrawFn) -> Touchpoint:
        chosen = draw(kinds)
        partner = draw(partner_ids)
        needs_coupon = chosen == "coupon" or partner is None
        return Touchpoint(
            visitor_id=draw(visitors),
            ts=draw(instants),
            partner_id=partner,
            kind=chosen,
            coupon_code=draw(_CODES if needs_coupon else _maybe(_CODES)),
        )

    return draw_touchpoint()

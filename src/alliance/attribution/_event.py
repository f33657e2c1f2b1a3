"""Event-level attribution: which partners earned each order, and how much of it.

`attribute` matches touchpoints to orders (same visitor, or same customer across devices,
inside the attribution window), shares each order's credit over its qualifying touches with
an `AttributionModel`, applies the programme's coupon and non-partner rules, and splits each
order's amount over its credits exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance._columns import positions
from alliance._kernels import spread_minor
from alliance._tables import Clicks, Orders, Partners, Touchpoints
from alliance.attribution._channels import Channels, channels_of
from alliance.attribution._credits import (
    BASES,
    REASONS,
    Attribution,
    Credits,
    Unattributed,
)
from alliance.attribution._identity import identities
from alliance.attribution._options import (
    CouponMode,
    Identity,
    NonPartnerRule,
    Options,
    options_of,
)
from alliance.attribution._rules import (
    AttributionModel,
    Touches,
    ZeroWeightJourney,
    last_click,
)
from alliance.attribution._stream import Matches, enumerate_ranges, match
from alliance.commission._contracts import ContractBook
from alliance.commission._lines import _resolve

__all__ = ["CouponMode", "Identity", "NonPartnerRule", "attribute"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


_LAST_CLICK = last_click()
_DEFAULT_WINDOW = timedelta(days=30)
_DAY_US = 86_400_000_000
_COUPON_BASIS = BASES.index("coupon")
_NO_TOUCHPOINT, _OUTSIDE, _NON_PARTNER = range(3)


def attribute(
    touchpoints: Touchpoints | Clicks,
    orders: Orders,
    *,
    model: AttributionModel = _LAST_CLICK,
    window: timedelta | Literal["contract"] = _DEFAULT_WINDOW,
    coupons: CouponMode | None = None,
    coupon_owners: Mapping[str, str] | None = None,
    coupon_share: float | Decimal | str = "0.5",
    identity: Identity = "visitor",
    links: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    non_partner: Iterable[str] | str = (),
    non_partner_rule: NonPartnerRule = "ignore",
    book: ContractBook | None = None,
    partners: Partners | None = None,
) -> Attribution:
    """Credit each order to the partners whose touchpoints qualify for it.

    A touchpoint qualifies for an order when it belongs to the order's visitor (or, with
    ``identity="customer"``, to any visitor of the order's customer) and the order falls in its
    window: ``touch.ts <= order.ts < touch.ts + window`` (half-open, so a touch at the order's
    instant counts and one exactly a window earlier does not). A touch keeps qualifying for
    every order in its window (a cookie is not used up by a conversion). The model shares each
    order's credit over its qualifying touches, oldest first; ties in time keep the input order.

    Coupons (``coupons=``) apply to an order whose ``coupon_code`` has an owner:
    ``"override"`` gives the owner all of it; ``"click_first"`` lets qualifying touches decide
    and gives the owner the order only when none qualify; ``"share"`` gives the owner
    ``coupon_share`` and the touches the rest under the model (all of it when none qualify).
    Coupon touchpoints (kind ``coupon``) are touches like the others; one without a
    ``partner_id`` is credited to its code's owner, and dropped when the code has none (a
    ``partner_id`` on the touch wins over the code's owner).

    Non-partner channels (``non_partner=["direct", "organic"]``, matched on ``partner_id``) are
    dropped before the model with ``"ignore"``; with ``"win"`` they compete like partners and
    the share they earn is reported with ``paid=False``. An order whose credit all goes to
    non-partner channels is unattributed, reason ``"won by a non-partner channel"``.

    Args:
        touchpoints: The touchpoints (``al.Touchpoints``), or clicks (``al.Clicks``, each a
            touch of kind click; clicks without a visitor cannot match an order).
        orders: The orders.
        model: How an order's credit is shared over its touches; `last_click` by default.
        window: A positive `timedelta`, or ``"contract"``: each touch's window is the
            ``cookie_days`` of the contract in force for its partner at the touch's time
            (partner, then group, then programme default); a touch with no contract in force
            qualifies for nothing (a non-partner channel that wins gets the default's window).
        coupons: ``None`` (coupon codes on orders are ignored), ``"override"``,
            ``"click_first"`` or ``"share"``.
        coupon_owners: Coupon code to owning partner_id. Defaults to the partners'
            ``coupon_codes`` when ``partners=`` is given.
        coupon_share: The owner's share with ``coupons="share"``, 0 to 1 (``"0.5"``,
            ``"50%"``, a Decimal or a float).
        identity: ``"visitor"`` matches touches to orders of the same ``visitor_id``;
            ``"customer"`` binds each visitor to the customers of the orders it placed (and
            to ``links``) and matches on the order's ``customer_id`` (an order without one
            matches on its visitor).
        links: More visitor to customer bindings (a mapping, or ``(visitor_id,
            customer_id)`` pairs, for a visitor seen on several accounts); needs
            ``identity="customer"``.
        non_partner: Names of non-partner channels, as they appear in ``partner_id``.
        non_partner_rule: ``"ignore"`` or ``"win"``.
        book: The contract book, for ``window="contract"``.
        partners: The partners, for contracts that target groups and as the default source
            of coupon owners.

    Returns:
        The `Attribution`: credits per order and touch, and the unattributed orders with the
        reason. Every order is in exactly one of the two.

    Raises:
        TypeError: An argument of the wrong type.
        ValueError: An argument out of range or a combination that cannot work (coupons
            without owners, ``window="contract"`` without a book, links without
            ``identity="customer"``).

    Examples:
        >>> import alliance as al
        >>> from alliance import attribution as at
        >>> touches = al.Touchpoints.from_records([
        ...     {"visitor_id": "v1", "ts": "2026-10-01T10:00:00Z", "partner_id": "kol-1"},
        ...     {"visitor_id": "v1", "ts": "2026-10-03T10:00:00Z", "partner_id": "site-9"},
        ... ])
        >>> orders = al.Orders.from_records([
        ...     {"order_id": "o1", "ts": "2026-10-04T10:00:00Z", "amount": "100.00",
        ...      "currency": "USD", "visitor_id": "v1"},
        ...     {"order_id": "o2", "ts": "2026-10-04T11:00:00Z", "amount": "5.00",
        ...      "currency": "USD", "visitor_id": "v2"},
        ... ])
        >>> result = at.attribute(touches, orders)
        >>> result.credits["partner_id"].tolist(), result.credits["credited"].tolist()
        (['site-9'], [10000])
        >>> result.unattributed["reason"].tolist()
        ['no touchpoint']
        >>> linear = at.attribute(touches, orders, model=at.linear())
        >>> linear.credits["partner_id"].tolist(), linear.credits["credited"].tolist()
        (['kol-1', 'site-9'], [5000, 5000])
    """
    options = options_of(
        touchpoints,
        orders,
        model=model,
        window=window,
        coupons=coupons,
        coupon_owners=coupon_owners,
        coupon_share=coupon_share,
        identity=identity,
        links=links,
        non_partner=non_partner,
        non_partner_rule=non_partner_rule,
        book=book,
        partners=partners,
    )
    return _attribute(touchpoints, orders, options, window)


# -- the computation -------------------------------------------------------------------------


def _attribute(
    touchpoints: Touchpoints | Clicks,
    orders: Orders,
    options: Options,
    window: timedelta | Literal["contract"],
) -> Attribution:
    channels = channels_of(touchpoints, orders, options)
    order_ids = orders.codes("order_id")
    kept = channels.usable(drop_unpaid=options.non_partner_rule == "ignore")
    who = identities(touchpoints, orders, kept, options.identity, options.links)
    touch_ts = touchpoints["ts"]
    if who.touch is not None:
        touch_ts = touch_ts[who.touch]
    order_ts = orders["ts"]
    matched = match(
        who.touch_identity,
        touch_ts,
        who.order_identity[who.orders],
        order_ts[who.orders],
        options.reach,
    )
    reason = np.full(len(orders), _NO_TOUCHPOINT, dtype=np.int64)
    reason[who.orders[matched.earlier]] = _OUTSIDE
    order_row, touch_index, weight = _journeys(
        matched, who.orders, touch_ts, order_ts, channels, who.touch, options, order_ids
    )
    rows = _Rows.of_touches(order_row, touch_index, weight, who.touch, touch_ts, channels)
    if options.coupons:
        rows = _with_coupons(rows, channels.order_owner, order_ts, options)
    rows = rows.take(rows.weight > 0)
    paid = channels.paid[rows.channel]
    credited_rows = np.bincount(rows.order, minlength=len(orders))
    paid_rows = np.bincount(rows.order[paid], minlength=len(orders))
    lost = (credited_rows > 0) & (paid_rows == 0)
    if lost.any():
        reason[lost] = _NON_PARTNER
        rows = rows.take(~lost[rows.order])
        paid = channels.paid[rows.channel]
    amount = orders["amount"]
    credited = _split(amount, rows.order, rows.weight)
    currencies = orders.codes("currency")
    credits = Credits(
        {
            "order_id": (order_ids[0][rows.order], order_ids[1]),
            "partner_id": (rows.channel, channels.names),
            "currency": (currencies[0][rows.order], currencies[1]),
            "basis": (rows.basis, np.array(BASES, dtype=object)),
        },
        {
            "paid": paid,
            "weight": rows.weight,
            "credited": credited,
            "ts": rows.ts,
            "touch": rows.touch,
        },
    )
    left = np.ones(len(orders), dtype=bool)
    left[rows.order] = False
    missed = np.flatnonzero(left)
    unattributed = Unattributed(
        {
            "order_id": (order_ids[0][missed], order_ids[1]),
            "reason": (reason[missed], np.array(REASONS, dtype=object)),
            "currency": (currencies[0][missed], currencies[1]),
        },
        {"amount": amount[missed]},
    )
    return Attribution(credits, unattributed, options.model, window)


def _journeys(
    matched: Matches,
    order_rows: Int64Array,
    touch_ts: Int64Array,
    order_ts: Int64Array,
    channels: Channels,
    touch_rows: Int64Array | None,
    options: Options,
    order_ids: tuple[npt.NDArray[np.int32], ObjArray],
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Each order's qualifying touches and their shares: (order row, touch index, share)."""
    low, high = matched.low, matched.high
    kind = options.model.kind
    if not options.contract and kind in ("last_click", "first_click"):
        # Only one touch can earn: no need to enumerate the others.
        has = high > low
        pick = (high - 1 if kind == "last_click" else low)[has]
        touch = matched.touch_order[pick]
        return order_rows[has], touch, np.ones(touch.size, dtype=np.float64)
    owner, position = enumerate_ranges(low, high)
    touch = matched.touch_order[position]
    order = order_rows[owner]
    age = order_ts[order] - touch_ts[touch]
    if options.contract:
        within = age < _cookie_windows(touch, touch_ts, channels, touch_rows, options)
        order, touch, age = order[within], touch[within], age[within]
    lengths = np.bincount(order, minlength=order_ts.size)
    journeys = lengths[lengths > 0]
    touches = Touches.of_lengths(journeys, age=age)
    try:
        shares = options.model.shares(touches)
    except ZeroWeightJourney as error:
        row = int(np.flatnonzero(lengths)[error.journey])
        codes, names = order_ids
        raise ZeroWeightJourney(
            f"model {options.model.name!r} gave every qualifying touch of order "
            f"{names[codes[row]]!r} a weight of 0; an order needs some weight to share its "
            "credit",
            journey=error.journey,
            order_row=row,
        ) from None
    return order, touch, shares


def _cookie_windows(
    touch: Int64Array,
    touch_ts: Int64Array,
    channels: Channels,
    touch_rows: Int64Array | None,
    options: Options,
) -> Int64Array:
    """Each touch's window from the contract in force for its partner at its time (µs)."""
    book = options.book
    if book is None:  # pragma: no cover - checked by _options
        raise ValueError("window='contract' needs book=")
    rows = touch if touch_rows is None else touch_rows[touch]
    group_by_channel = np.full(channels.names.size + 1, None, dtype=object)
    if options.partners is not None:
        partner_ids, groups = options.partners["partner_id"], options.partners["group"]
        found = positions(channels.names, partner_ids.astype(object))
        group_by_channel[found[found >= 0]] = groups[found >= 0]
    chosen, contracts = _resolve(
        book, channels.names, group_by_channel, channels.of(rows), touch_ts[touch]
    )
    days = np.array([c.cookie_days for c in contracts] + [0], dtype=np.int64)
    windows: Int64Array = days[chosen] * _DAY_US
    return windows


@dataclass(frozen=True, slots=True)
class _Rows:
    """Credit rows in progress, grouped by order (orders in table order)."""

    order: Int64Array
    channel: Int64Array
    weight: FloatArray
    basis: Int64Array
    ts: Int64Array
    touch: Int64Array  # touchpoint row, -1 for the order's coupon code

    @classmethod
    def of_touches(
        cls,
        order: Int64Array,
        touch: Int64Array,
        weight: FloatArray,
        touch_rows: Int64Array | None,
        touch_ts: Int64Array,
        channels: Channels,
    ) -> _Rows:
        rows = touch if touch_rows is None else touch_rows[touch]
        return cls(order, channels.of(rows), weight, channels.basis(rows), touch_ts[touch], rows)

    def take(self, picked: npt.NDArray[Any]) -> _Rows:
        if picked.dtype == bool and picked.all():
            return self
        return _Rows(
            self.order[picked],
            self.channel[picked],
            self.weight[picked],
            self.basis[picked],
            self.ts[picked],
            self.touch[picked],
        )


def _with_coupons(rows: _Rows, owner: Int64Array, order_ts: Int64Array, options: Options) -> _Rows:
    """Apply the coupon mode to orders whose coupon code has an owner."""
    has_owner = owner >= 0
    if not has_owner.any():
        return rows
    touched = np.bincount(rows.order, minlength=owner.size) > 0
    coupon_weight = np.zeros(owner.size, dtype=np.float64)
    weight = rows.weight
    if options.coupons == "override":
        rows = rows.take(~has_owner[rows.order])
        coupon_weight[has_owner] = 1.0
    elif options.coupons == "click_first":
        coupon_weight[has_owner & ~touched] = 1.0
    else:
        share = options.coupon_share
        weight = np.where(has_owner[rows.order], rows.weight * (1.0 - share), rows.weight)
        rows = _Rows(rows.order, rows.channel, weight, rows.basis, rows.ts, rows.touch)
        coupon_weight[has_owner] = np.where(touched[has_owner], share, 1.0)
    earning = np.flatnonzero(coupon_weight > 0)
    if earning.size == 0:
        return rows
    combined = _Rows(
        np.concatenate([rows.order, earning]),
        np.concatenate([rows.channel, owner[earning]]),
        np.concatenate([rows.weight, coupon_weight[earning]]),
        np.concatenate([rows.basis, np.full(earning.size, _COUPON_BASIS, dtype=np.int64)]),
        np.concatenate([rows.ts, order_ts[earning]]),
        np.concatenate([rows.touch, np.full(earning.size, -1, dtype=np.int64)]),
    )
    # Stable: an order's touches keep their time order and its coupon credit comes last.
    return combined.take(np.argsort(combined.order, kind="stable"))


def _split(amount: Int64Array, order: Int64Array, weight: FloatArray) -> Int64Array:
    """Each row's part of its order's amount, by largest remainder over integer weights."""
    if order.size == 0:
        return np.zeros(0, dtype=np.int64)
    fresh = np.ones(order.size, dtype=bool)
    fresh[1:] = order[1:] != order[:-1]
    if fresh.all():  # one row per order: it takes the whole amount
        whole: Int64Array = amount[order]
        return whole
    group = np.cumsum(fresh, dtype=np.int64) - 1
    totals = amount[order[fresh]]
    # Integer weights, equal for equal shares, as fine as int64 products allow.
    largest = int(np.abs(totals).max()) if totals.size else 0
    bits = max(20, min(52, 62 - largest.bit_length(), 62 - order.size.bit_length()))
    integral = np.rint(weight * float(2**bits)).astype(np.int64)
    return spread_minor(totals, integral, group)

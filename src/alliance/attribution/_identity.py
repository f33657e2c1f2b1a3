"""Who is who: the identity that links touches to orders (a visitor, or a customer).

Ids are dictionary-encoded in each table, each with its own sorted values; they are matched
through those values (a search per distinct id, never a loop per row). Identities are small
integers shared by touches and orders: with ``identity="visitor"`` the orders' visitor codes;
with ``identity="customer"`` the orders' customers, then one identity per visitor for orders
that carry no customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alliance._columns import positions
from alliance._tables import Clicks, Orders, Touchpoints

__all__ = ["Identities", "identities"]

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Identities:
    """Touches and orders as identities.

    Attributes:
        touch: Per touch, its row in the touchpoints table; ``None`` when every row is a
            touch, in order. A touchpoint of a visitor bound to several customers appears once
            per customer.
        touch_identity: Per touch, its identity.
        order_identity: Per order row, its identity (-1: none, it cannot match a touch).
        orders: The order rows with an identity, ascending.
    """

    touch: Int64Array | None
    touch_identity: Int64Array
    order_identity: Int64Array
    orders: Int64Array


def _extend(mapping: Int64Array) -> Int64Array:
    """``mapping`` with a trailing -1, so that code -1 (missing) maps to -1."""
    return np.append(mapping, np.int64(-1))


def identities(
    touchpoints: Touchpoints | Clicks,
    orders: Orders,
    kept: Int64Array | None,
    identity: str,
    links: list[tuple[str, str]],
) -> Identities:
    """Identities of the touchpoint rows ``kept`` (all when ``None``) and of every order."""
    visitor_codes, visitor_names = touchpoints.codes("visitor_id")
    if kept is not None:
        visitor_codes = visitor_codes[kept]
    order_visitors, order_visitor_names = orders.codes("visitor_id")
    if identity == "visitor":
        to_order = positions(order_visitor_names, visitor_names)
        if to_order.size == order_visitor_names.size and bool(
            (to_order == np.arange(to_order.size)).all()
        ):  # the same visitors in both tables: their codes are the identities
            touch_identity = visitor_codes.astype(np.int64)
        else:
            touch_identity = _extend(to_order)[visitor_codes]
        order_identity = order_visitors.astype(np.int64)
        return _finish(kept, touch_identity, order_identity)
    customers, customer_names = orders.codes("customer_id")
    customer_count = customer_names.size
    visitor_count = visitor_names.size
    # Visitors are numbered by the touchpoints' visitor values; the orders' are mapped there.
    order_visitor = _extend(positions(visitor_names, order_visitor_names))[order_visitors]
    with_customer = customers >= 0
    bound_visitor = [order_visitor[with_customer]]
    bound_customer = [customers[with_customer].astype(np.int64)]
    if links:
        linked = np.array(links, dtype=object).reshape(-1, 2)
        bound_visitor.append(positions(visitor_names, linked[:, 0].copy()))
        bound_customer.append(positions(customer_names, linked[:, 1].copy()))
    visitor = np.concatenate(bound_visitor)
    customer = np.concatenate(bound_customer)
    known = (visitor >= 0) & (customer >= 0)
    pairs = np.unique(visitor[known] * max(customer_count, 1) + customer[known])
    pair_visitor = pairs // max(customer_count, 1)
    pair_customer = pairs % max(customer_count, 1)
    everyone = np.arange(visitor_count, dtype=np.int64)
    first_pair = np.searchsorted(pair_visitor, everyone).astype(np.int64)
    bound = np.searchsorted(pair_visitor, everyone, side="right") - first_pair
    # A visitor with an order that names no customer keeps an identity of its own too.
    alone = np.zeros(visitor_count, dtype=np.int64)
    alone[order_visitor[~with_customer & (order_visitor >= 0)]] = 1
    # Code -1 (no visitor) indexes the trailing 0: such a touch has no identity.
    per_touch = np.append(bound + alone, np.int64(0))[visitor_codes]
    source = np.repeat(np.arange(visitor_codes.size, dtype=np.int64), per_touch)
    offset = np.arange(source.size, dtype=np.int64) - np.repeat(
        np.cumsum(per_touch) - per_touch, per_touch
    )
    touch_visitor = visitor_codes[source].astype(np.int64)
    as_customer = offset < bound[touch_visitor]
    touch_identity = customer_count + touch_visitor
    touch_identity[as_customer] = pair_customer[
        first_pair[touch_visitor[as_customer]] + offset[as_customer]
    ]
    order_identity = np.where(
        with_customer,
        customers.astype(np.int64),
        np.where(order_visitor >= 0, customer_count + order_visitor, -1),
    )
    rows = source if kept is None else kept[source]
    order_rows = np.flatnonzero(order_identity >= 0).astype(np.int64)
    return Identities(rows, touch_identity, order_identity, order_rows)


def _finish(
    kept: Int64Array | None, touch_identity: Int64Array, order_identity: Int64Array
) -> Identities:
    matched = touch_identity >= 0
    if matched.all():
        rows = kept
    else:
        found = np.flatnonzero(matched)
        rows = found if kept is None else kept[found]
        touch_identity = touch_identity[found]
    order_rows = np.flatnonzero(order_identity >= 0).astype(np.int64)
    return Identities(rows, touch_identity.astype(np.int64, copy=False), order_identity, order_rows)

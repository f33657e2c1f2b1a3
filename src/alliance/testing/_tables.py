"""Strategies for whole tables, with unique keys and parents that exist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hypothesis.strategies as st
from hypothesis.strategies import SearchStrategy

from alliance._tables import Clicks, Lines, Orders, Partners, Reversals, Touchpoints

# -- tables -------------------------------------------------------------------------------------
from alliance.testing._common import CurrencyOption, Tab, _check_sizes, _codes_option
from alliance.testing._records import (
    _maybe,
    clicks,
    ids,
    order_lines,
    orders,
    partners,
    reversals,
    touchpoints,
)
from alliance.testing._values import _all_codes, _code_strategy


def _table(kind: type[Tab], records: Sequence[Any]) -> Tab:
    return kind.from_models(records)


def _pool(min_size: int = 1, max_size: int = 5) -> SearchStrategy[list[str]]:
    """A few ids that rows share (the partners of clicks, the visitors of journeys)."""
    return st.lists(ids(), min_size=min_size, max_size=max_size, unique=True)


def partners_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Partners]:
    """`Partners` tables: unique ids; every parent is a partner of the table; no cycles.

    Parents are drawn among the partners placed before, then the rows are shuffled, so a
    parent may come before or after its children and hierarchies can be several levels deep.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Partners:
        own_ids = draw(st.lists(ids(), min_size=min_size, max_size=max_size, unique=True))
        rows = []
        for position, own in enumerate(own_ids):
            earlier = st.sampled_from(own_ids[:position]) if position else st.nothing()
            rows.append(draw(partners(partner_id=own, parent_id=_maybe(earlier))))
        return _table(Partners, draw(st.permutations(rows)))

    return draw_table()


def clicks_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Clicks]:
    """`Clicks` tables with unique click ids; a few partners and visitors recur across rows.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Clicks:
        partner_pool, visitor_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            clicks(
                partner_id=st.sampled_from(partner_pool),
                visitor_id=_maybe(st.sampled_from(visitor_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda click: click.click_id,
        )
        return _table(Clicks, draw(rows))

    return draw_table()


def orders_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Orders]:
    """`Orders` tables with unique order ids, in one currency or several.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the orders may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    _codes_option(currency, "currency")

    @st.composite
    def draw_table(draw: st.DrawFn) -> Orders:
        partner_pool, visitor_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            orders(
                currency=currency,
                partner_id=_maybe(st.sampled_from(partner_pool)),
                visitor_id=_maybe(st.sampled_from(visitor_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda order: order.order_id,
        )
        return _table(Orders, draw(rows))

    return draw_table()


def lines_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Lines]:
    """`Lines` tables: ``(order_id, line_id)`` unique, an order's lines in one currency.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the orders' lines may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    codes = _code_strategy(_codes_option(currency, "currency") or _all_codes())

    @st.composite
    def draw_table(draw: st.DrawFn) -> Lines:
        order_pool = draw(_pool(max_size=max(min_size, 5)))
        line_of = {order: order_lines(order_id=order, currency=draw(codes)) for order in order_pool}
        rows = st.lists(
            st.sampled_from(order_pool).flatmap(line_of.__getitem__),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda line: (line.order_id, line.line_id),
        )
        return _table(Lines, draw(rows))

    return draw_table()


def reversals_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Reversals]:
    """`Reversals` tables with unique reversal ids; an order's reversals share a currency.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the reversals may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    codes = _code_strategy(_codes_option(currency, "currency") or _all_codes())

    @st.composite
    def draw_table(draw: st.DrawFn) -> Reversals:
        order_pool = draw(_pool())
        of_order = {order: reversals(order_id=order, currency=draw(codes)) for order in order_pool}
        rows = st.lists(
            st.sampled_from(order_pool).flatmap(of_order.__getitem__),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda reversal: reversal.reversal_id,
        )
        return _table(Reversals, draw(rows))

    return draw_table()


def touchpoints_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Touchpoints]:
    """`Touchpoints` tables: journeys of a few visitors across a few partners.

    Touchpoints have no key, so rows may repeat (a double-counted click is real data).

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Touchpoints:
        visitor_pool, partner_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            touchpoints(
                visitor_id=st.sampled_from(visitor_pool),
                partner_id=_maybe(st.sampled_from(partner_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
        )
        return _table(Touchpoints, draw(rows))

    return draw_table()

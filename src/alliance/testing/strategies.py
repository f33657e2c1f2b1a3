"""Hypothesis strategies for every public `alliance` type, for property tests downstream.

Every strategy is a function returning a `SearchStrategy`; its options are keyword-only and
checked when it is called, so a bad option fails at once with `InvalidArgument` naming the
option and its value. Records are built through the models' own constructors, and tables
through `Table.from_models`, so everything generated is valid by construction: amounts are
whole minor units of their currency (JPY 0 places, KWD 3, CLF 4), never negative where the
model forbids it, timestamps are aware and in real IANA zones (DST zones included), table keys
are unique and partner parents exist without cycles.

Importing this module registers a strategy with `hypothesis.strategies.register_type_strategy`
for `Money`, `Currency`, `Period`, `PayoutSchedule`, `FxRate`, `FxRates`, each model
(`Partner`, `Click`, `Order`, `OrderLine`, `Reversal`, `Touchpoint`) and each table
(`Partners`, `Clicks`, `Orders`, `Lines`, `Reversals`, `Touchpoints`, and `Table` for any of
them), so ``st.from_type(al.Order)`` and ``@given(order=...)`` inference work. Registration only
stores factories; no strategy is built until one is used.

Examples:
    >>> from hypothesis import find
    >>> from alliance.testing import strategies
    >>> find(strategies.money(currency="KWD", min_value="1"), lambda m: m.amount > 1)
    Money('1.001', 'KWD')
    >>> order = find(strategies.orders(currency="JPY"), lambda o: o.amount >= 500)
    >>> order.money
    Money('500', 'JPY')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import hypothesis.strategies as st
from hypothesis.strategies import SearchStrategy

from alliance._currency import Currency
from alliance._fx import FxRate, FxRates
from alliance._models import (
    Click,
    Order,
    OrderLine,
    Partner,
    Reversal,
    Touchpoint,
)
from alliance._money import Money
from alliance._periods import (
    Period,
)
from alliance._schedules import PayoutSchedule
from alliance._tables import Clicks, Lines, Orders, Partners, Reversals, Table, Touchpoints

__all__ = [
    "clicks",
    "clicks_tables",
    "currencies",
    "currency_codes",
    "fx_rates",
    "ids",
    "lines_tables",
    "money",
    "order_lines",
    "orders",
    "orders_tables",
    "partners",
    "partners_tables",
    "payout_schedules",
    "periods",
    "reversals",
    "reversals_tables",
    "timestamps",
    "touchpoints",
    "touchpoints_tables",
]

# -- registration -------------------------------------------------------------------------------
from alliance.testing._records import (
    clicks,
    ids,
    order_lines,
    orders,
    partners,
    reversals,
    touchpoints,
)
from alliance.testing._tables import (
    clicks_tables,
    lines_tables,
    orders_tables,
    partners_tables,
    reversals_tables,
    touchpoints_tables,
)
from alliance.testing._values import (
    _fx_quote,
    currencies,
    currency_codes,
    fx_rates,
    money,
    payout_schedules,
    periods,
    timestamps,
)


def _any_table() -> SearchStrategy[Table]:
    return st.one_of(
        partners_tables(),
        clicks_tables(),
        orders_tables(),
        lines_tables(),
        reversals_tables(),
        touchpoints_tables(),
    )


_REGISTRY: Final[tuple[tuple[type[Any], Callable[[], SearchStrategy[Any]]], ...]] = (
    (Money, money),
    (Currency, currencies),
    (Period, periods),
    (PayoutSchedule, payout_schedules),
    (FxRate, _fx_quote),
    (FxRates, fx_rates),
    (Partner, partners),
    (Click, clicks),
    (Order, orders),
    (OrderLine, order_lines),
    (Reversal, reversals),
    (Touchpoint, touchpoints),
    (Partners, partners_tables),
    (Clicks, clicks_tables),
    (Orders, orders_tables),
    (Lines, lines_tables),
    (Reversals, reversals_tables),
    (Touchpoints, touchpoints_tables),
    (Table, _any_table),
)


def _factory(make: Callable[[], SearchStrategy[Any]]) -> Callable[[type[Any]], SearchStrategy[Any]]:
    return lambda _type: make()


for _type, _make in _REGISTRY:
    st.register_type_strategy(_type, _factory(_make))
del _type, _make


def _hypothesis_setup_hook() -> None:
    """Entry point Hypothesis calls when it is imported (``[project.entry-points.hypothesis]``).

    Importing this module has already registered the strategies; nothing more to do.
    """

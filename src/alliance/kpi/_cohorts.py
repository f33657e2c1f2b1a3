"""Cohorts: customers grouped by when (and through which partner) they first bought.

A customer's cohort is the calendar period of their first order in the programme's time zone
(and, with ``by``, that first order's partner or other column). Age is counted in whole
periods from it: age 0 is the acquisition period. Cells a cohort has not lived to yet (past
the last period of the data) are not zeros but unknown: NaN in the rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._columns import factorize
from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._periods import PeriodKind, period_index
from alliance._tables import Orders
from alliance.kpi._ratio import ratios
from alliance.kpi._summary import _Money

__all__ = ["Cohorts", "cohorts"]

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]
ObjArray: TypeAlias = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Cohorts:
    """Cohort matrices: one row per cohort, one column per age in periods (0 = acquisition).

    Counts and money are int64 (money in minor units of ``currency``); rates are float64 with
    NaN in the cells a cohort has not reached (``observed`` is false there).

    Attributes:
        period: The period kind (``"month"`` …).
        currency: The currency of the money matrices.
        cohort: Each row's acquisition period label.
        group: Each row's value of ``by`` (the acquiring partner …), or None without ``by``.
        customers: Customers acquired, per row.
        active: Customers with an order at each age.
        orders: Orders at each age.
        revenue: Order amounts at each age, minor units.
        repeaters: Customers with two orders or more by the end of each age.
        observed: Whether the data reaches each cell.
    """

    period: str
    currency: str | None
    cohort: ObjArray
    group: ObjArray
    customers: IntArray
    active: IntArray
    orders: IntArray
    revenue: IntArray
    repeaters: IntArray
    observed: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.customers.size)

    @property
    def ages(self) -> IntArray:
        """The age of each column, in periods from acquisition (0, 1, 2 …)."""
        return np.arange(self.active.shape[1], dtype=np.int64)

    def _per_customer(self, counts: npt.ArrayLike) -> FloatArray:
        rates = ratios(counts, self.customers[:, None])
        rates[~self.observed] = np.nan
        return rates

    @property
    def retention(self) -> FloatArray:
        """Share of each cohort's customers who ordered at each age (1 at age 0)."""
        return self._per_customer(self.active)

    @property
    def repeat_rate(self) -> FloatArray:
        """Share of each cohort's customers with two orders or more by each age."""
        return self._per_customer(self.repeaters)

    @property
    def revenue_per_customer(self) -> FloatArray:
        """Cumulative revenue per acquired customer by each age (historical LTV), minor units."""
        return self._per_customer(np.cumsum(self.revenue, axis=1))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per observed cell: cohort, group, age and every count and rate."""
        retention, repeat, value = self.retention, self.repeat_rate, self.revenue_per_customer
        records = []
        for row, col in zip(*np.nonzero(self.observed), strict=True):
            records.append(
                {
                    "cohort": self.cohort[row],
                    "group": self.group[row],
                    "age": int(col),
                    "customers": int(self.customers[row]),
                    "active": int(self.active[row, col]),
                    "orders": int(self.orders[row, col]),
                    "revenue": int(self.revenue[row, col]),
                    "retention": float(retention[row, col]),
                    "repeat_rate": float(repeat[row, col]),
                    "revenue_per_customer": float(value[row, col]),
                }
            )
        return records

    def to_pandas(self) -> Any:
        """`to_records` as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "Cohorts.to_pandas")
        return pandas.DataFrame(self.to_records())


def cohorts(
    orders: Orders,
    *,
    period: PeriodKind = "month",
    tz: str = "UTC",
    customer: str = "customer_id",
    by: str | None = None,
    currency: str | None = None,
    fx: FxRates | None = None,
) -> Cohorts:
    """Retention, repeat purchase and revenue per customer by acquisition cohort.

    Args:
        orders: The orders; rows without a customer are left out (no cohort to put them in).
        period: The calendar period of cohorts and ages.
        tz: The programme's time zone.
        customer: The column that identifies a customer (``customer_id``, ``email_hash`` …).
        by: A column of the customer's first order to split cohorts by (``"partner_id"``:
            the acquiring partner).
        currency: The currency to report money in; needed (with ``fx``) for several.
        fx: Rates to convert money at each order's time.

    Returns:
        The `Cohorts`, rows ordered by cohort then group.

    Raises:
        ValueError: An unknown column.
        CurrencyMismatch: Several currencies without ``currency`` and ``fx``.

    Examples:
        >>> import alliance as al
        >>> bought = [("o1", "2026-01-05", "a"), ("o2", "2026-02-07", "a"),
        ...           ("o3", "2026-01-09", "b"), ("o4", "2026-02-01", "c")]
        >>> orders = al.Orders.from_records([
        ...     {"order_id": o, "ts": f"{day}T00:00:00Z", "customer_id": c, "amount": "10.00",
        ...      "currency": "USD"} for o, day, c in bought
        ... ])
        >>> table = cohorts(orders)
        >>> table.cohort.tolist(), table.customers.tolist(), table.retention.tolist()
        (['2026-01', '2026-02'], [2, 1], [[1.0, 0.5], [1.0, nan]])
    """
    for name in (customer, by):
        if name is not None and name not in orders:
            raise ValueError(f"orders have no column {name!r}")
    money = _Money(currency, fx, orders, None)
    rows = np.flatnonzero(~orders.missing(customer))
    ts = orders["ts"][rows]
    codes, periods = period_index(ts, period, tz=tz)
    who = np.asarray(orders.codes(customer)[0], dtype=np.int64)[rows]
    # Each customer's first order: earliest, then first in the table.
    order = np.lexsort((rows, ts, who))
    first_of = np.ones(order.size, dtype=bool)
    first_of[1:] = who[order][1:] != who[order][:-1]
    first_row = np.empty(int(who.max()) + 1 if who.size else 0, dtype=np.int64)
    first_row[who[order][first_of]] = order[first_of]
    acquired = first_row[who]  # per order: its customer's first order (a position in rows)
    start = codes[acquired]
    age = codes - start
    group_values: ObjArray = (
        np.asarray(orders[by], dtype=object)[rows][acquired]
        if by is not None
        else np.full(rows.size, None, dtype=object)
    )
    present = np.array([v is not None for v in group_values.tolist()], dtype=bool)
    group_first, group_names = factorize(group_values, present)
    rank = sorted(range(len(group_names)), key=lambda i: str(group_names[i]))
    position = np.empty(len(group_names) + 1, dtype=np.int64)
    position[rank] = np.arange(len(group_names))
    position[-1] = len(group_names)
    group_code = position[group_first]
    groups = len(group_names) + 1
    cohort_key = start * groups + group_code
    used, row_of = np.unique(cohort_key, return_inverse=True)
    shape = (used.size, len(periods))
    cells = row_of * shape[1] + age

    def count(values: npt.ArrayLike | None = None) -> IntArray:
        out = np.zeros(shape[0] * shape[1], dtype=np.int64)
        if values is None:
            np.add.at(out, cells, 1)
        else:
            np.add.at(out, cells, np.asarray(values, dtype=np.int64))
        return out.reshape(shape)

    orders_at = count()
    revenue_at = count(money.order_amounts(orders, rows))
    # Distinct customers per cell, and the age at which each customer's second order falls.
    pair = np.unique(who.astype(np.int64) * (shape[1] + 1) + age)
    customer_of, age_of = pair // (shape[1] + 1), pair % (shape[1] + 1)
    active = np.zeros(shape, dtype=np.int64)
    cohort_of_customer = np.zeros(first_row.size, dtype=np.int64)
    cohort_of_customer[who] = row_of
    np.add.at(active, (cohort_of_customer[customer_of], age_of), 1)
    # Each customer's second order (by time), and its age: from then on, a repeater.
    second = np.full(first_row.size, -1, dtype=np.int64)
    starts = np.flatnonzero(first_of)
    number = np.arange(order.size) - np.repeat(starts, np.diff(np.append(starts, order.size)))
    seconds = order[number == 1]
    second[who[seconds]] = age[seconds]
    repeaters = np.zeros(shape, dtype=np.int64)
    has_second = np.flatnonzero(second >= 0)
    np.add.at(repeaters, (cohort_of_customer[has_second], second[has_second]), 1)
    repeaters = np.cumsum(repeaters, axis=1)
    customers = active[:, 0] if shape[1] else np.zeros(shape[0], dtype=np.int64)
    cohort_start = used // groups
    observed = np.arange(shape[1])[None, :] < (len(periods) - cohort_start)[:, None]
    labels = np.array([p.label for p in periods], dtype=object)
    names = np.array([group_names[i] for i in rank] + [None], dtype=object)
    return Cohorts(
        period=period,
        currency=money.name,
        cohort=labels[cohort_start] if used.size else np.empty(0, dtype=object),
        group=names[used % groups] if used.size else np.empty(0, dtype=object),
        customers=customers,
        active=active,
        orders=orders_at,
        revenue=revenue_at,
        repeaters=repeaters,
        observed=observed,
    )

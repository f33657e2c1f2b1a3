"""`summary`: the programme's metrics grouped by any columns and calendar periods.

Clicks and orders are grouped by their own columns; a period key (``"month"`` …) reads each
row's time in the programme's time zone. Commissions are grouped by the partner that earns
them and their order's time, and by their order's other columns; reversals by their order's.
Money is summed exactly in int64 minor units of one currency, converted at the order's time
when the inputs hold several.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, TypeAlias, get_args

import numpy as np
import numpy.typing as npt

from alliance._columns import factorize
from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._periods import PeriodKind, period_index, to_micros
from alliance._tables import Clicks, Orders, Reversals
from alliance.commission import CommissionTable
from alliance.errors import CurrencyMismatch
from alliance.kpi._metrics import (
    aov,
    conversion_rate,
    cost_of_sale,
    epc,
    epc_100,
    new_customer_share,
    revenue_epc,
    reversal_rate,
    roas,
)

__all__ = ["METRICS", "Summary", "summary"]

IntArray: TypeAlias = npt.NDArray[np.int64]
ObjArray: TypeAlias = npt.NDArray[np.object_]

PERIODS: tuple[str, ...] = get_args(PeriodKind)

#: The metric columns of a `Summary`, in order, with their definitions.
METRICS: Mapping[str, str] = {
    "clicks": "clicks in the group",
    "orders": "orders in the group (conversions)",
    "revenue": "gross revenue (GMV): order amounts, minor units",
    "reversed": "amounts reversed on the group's orders, minor units",
    "net_revenue": "revenue - reversed, minor units",
    "commission": "commission earned, minor units",
    "conversion_rate": "orders / clicks",
    "epc": "commission / clicks, currency units per click",
    "epc_100": "100 * commission / clicks",
    "revenue_epc": "revenue / clicks, currency units per click",
    "aov": "revenue / orders, minor units rounded half to even",
    "cost_of_sale": "commission / revenue",
    "roas": "revenue / commission",
    "reversal_rate": "orders with a reversal / orders",
    "new_customer_share": "orders of new customers / orders that say",
    "small_sample": "fewer than min_clicks clicks or min_orders orders",
}


#: The ratio metrics that need each input: NaN in a summary made without it.
_NEEDS: Mapping[str, tuple[str, ...]] = {
    "clicks": ("conversion_rate", "epc", "epc_100", "revenue_epc"),
    "orders": ("revenue_epc", "aov", "cost_of_sale", "roas", "reversal_rate", "new_customer_share"),
    "commissions": ("epc", "epc_100", "cost_of_sale", "roas"),
}


@dataclass(frozen=True)
class Summary:
    """Metrics per group: the key columns, then `METRICS`, one row per group in key order.

    Money columns are int64 minor units of ``currency``; ratios are float64, NaN where the
    denominator is zero (see `alliance.kpi.Undefined` for the scalar form) and where an input
    they need was not given (no ``commissions``: no EPC, cost of sale or ROAS).

    Attributes:
        by: The key columns.
        currency: The currency of the money columns.
        columns: The arrays by name.
        unmatched: Commission and reversal rows whose order (or click) is not in the input:
            counted here, in no group.
        min_clicks: The clicks under which a group is a ``small_sample``.
        min_orders: The orders under which a group is a ``small_sample``.
    """

    by: tuple[str, ...]
    currency: str | None
    columns: Mapping[str, npt.NDArray[Any]]
    unmatched: Mapping[str, int] = field(default_factory=dict)
    min_clicks: int = 100
    min_orders: int = 10

    def __len__(self) -> int:
        return int(self.columns["clicks"].size)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column by name."""
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(
                f"the summary has no column {name!r}; columns: {', '.join(self.columns)}"
            ) from None

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per group (floats, ints, bools and key values as Python objects)."""
        names = list(self.columns)
        rows = zip(*(self.columns[n].tolist() for n in names), strict=True)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def to_pandas(self) -> Any:
        """The summary as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "Summary.to_pandas")
        return pandas.DataFrame(dict(self.columns))

    def ranked(self, metric: str, *, top: int | None = None) -> Summary:
        """The groups with enough data, best first by ``metric`` (NaN last), at most ``top``."""
        values = self[metric].astype(np.float64)
        keep = np.flatnonzero(~self.columns["small_sample"])
        order = keep[np.argsort(-np.nan_to_num(values[keep], nan=-np.inf), kind="stable")]
        if top is not None:
            order = order[:top]
        return replace(self, columns={n: v[order] for n, v in self.columns.items()})


def summary(
    *,
    orders: Orders | None = None,
    clicks: Clicks | None = None,
    commissions: CommissionTable | None = None,
    reversals: Reversals | None = None,
    by: Sequence[str] = ("partner_id",),
    tz: str = "UTC",
    currency: str | None = None,
    fx: FxRates | None = None,
    min_clicks: int = 100,
    min_orders: int = 10,
    as_of: datetime | None = None,
    window: timedelta | None = None,
    lag: timedelta = timedelta(0),
) -> Summary:
    """The metrics of `METRICS` for each group of ``by``.

    Args:
        orders: Orders (conversions): revenue, AOV, new-customer share.
        clicks: Clicks: the denominators of CR and EPC.
        commissions: Commission rows (`alliance.commission.compute`).
        reversals: Reversals of the orders: the reversed amounts and the reversal rate.
        by: Key columns and calendar periods (``"day"``, ``"week"``, ``"month"``,
            ``"quarter"``, ``"year"``), read in ``tz``. ``[]`` gives one row for everything.
        tz: The programme's time zone, for periods and windows.
        currency: The currency to report money in; needed (with ``fx``) when the inputs hold
            several.
        fx: Rates to convert money at each order's time.
        min_clicks: Fewer clicks than this flags the group ``small_sample``.
        min_orders: Fewer orders than this flags the group ``small_sample``.
        as_of: With ``window``, the instant the window is measured back from.
        window: Keep only events in ``[as_of - lag - window, as_of - lag)``.
        lag: How far before ``as_of`` the window ends (recent orders still convert: EPC over
            the last 90 days excluding the last 7 is ``window=90 days, lag=7 days``).

    Returns:
        The `Summary`.

    Raises:
        ValueError: Nothing to summarise, an unknown key, or a bad window.
        CurrencyMismatch: Several currencies without ``currency`` and ``fx``.
    """
    if orders is None and clicks is None:
        raise ValueError("summary needs orders or clicks (or both)")
    keys = tuple(by)
    if len(set(keys)) != len(keys):
        raise ValueError(f"by lists a key twice: {list(keys)}")
    if min_clicks < 0 or min_orders < 0:
        raise ValueError("min_clicks and min_orders must not be negative")
    start, end = _window(as_of, window, lag)
    order_rows = _rows_in(orders, start, end)
    click_rows = _rows_in(clicks, start, end)
    code = _Money(currency, fx, orders, commissions)

    tables: list[tuple[str, list[Keyed], int]] = []
    if clicks is not None:
        labels = [_key_codes(clicks, k, click_rows, tz) for k in keys]
        tables.append(("clicks", labels, len(click_rows)))
    if orders is not None:
        labels = [_key_codes(orders, k, order_rows, tz) for k in keys]
        tables.append(("orders", labels, len(order_rows)))
    # Commissions: the earning partner and the order's time from the row, the rest from the
    # order (or, for per-click rows, the click).
    unmatched: dict[str, int] = {}
    commission_rows = np.empty(0, dtype=np.intp)
    if commissions is not None:
        commission_rows, commission_labels, missed = _commission_labels(
            commissions, keys, tz, orders, clicks, start, end
        )
        unmatched["commissions"] = missed
        tables.append(("commissions", commission_labels, len(commission_rows)))
    reversal_orders = np.empty(0, dtype=np.intp)
    if reversals is not None:
        reversal_orders, missed = _reversal_orders(reversals, orders, order_rows)
        unmatched["reversals"] = missed

    group_of, key_values = _groups(keys, [t[1] for t in tables], [t[2] for t in tables])
    groups = len(key_values[0]) if keys else 1
    counted = dict(zip([t[0] for t in tables], group_of, strict=True))

    def total(name: str, weights: npt.ArrayLike | None = None) -> IntArray:
        if name not in counted:
            return np.zeros(groups, dtype=np.int64)
        found = counted[name]
        if weights is None:
            return np.bincount(found, minlength=groups).astype(np.int64)
        return _exact_sums(found, np.asarray(weights, dtype=np.int64), groups)

    n_clicks = total("clicks")
    n_orders = total("orders")
    revenue = total("orders", code.order_amounts(orders, order_rows))
    commission = total("commissions", code.commission_amounts(commissions, commission_rows))
    reversed_, reversed_orders = _reversed(
        reversals, reversal_orders, orders, order_rows, counted.get("orders"), groups, code
    )
    new = total("orders", _flag(orders, "is_new_customer", order_rows, 1))
    said = total("orders", _flag(orders, "is_new_customer", order_rows, None))
    unit = 10.0 ** (-code.exponent) if code.name is not None else 1.0

    columns: dict[str, npt.NDArray[Any]] = dict(zip(keys, key_values, strict=True))
    columns.update(
        clicks=n_clicks,
        orders=n_orders,
        revenue=revenue,
        reversed=reversed_,
        net_revenue=revenue - reversed_,
        commission=commission,
        conversion_rate=conversion_rate(n_orders, n_clicks),
        epc=epc(commission, n_clicks) * unit,
        epc_100=epc_100(commission, n_clicks) * unit,
        revenue_epc=revenue_epc(revenue, n_clicks) * unit,
        aov=aov(revenue, n_orders),
        cost_of_sale=cost_of_sale(commission, revenue),
        roas=roas(revenue, commission),
        reversal_rate=reversal_rate(reversed_orders, n_orders),
        new_customer_share=new_customer_share(new, said),
        small_sample=(n_clicks < min_clicks if clicks is not None else np.zeros(groups, bool))
        | (n_orders < min_orders if orders is not None else np.zeros(groups, bool)),
    )
    # A table not given was not measured: its counts read 0, but what needs it is NaN.
    for name, table in (("clicks", clicks), ("orders", orders), ("commissions", commissions)):
        if table is None:
            for metric in _NEEDS[name]:
                columns[metric] = np.full(groups, np.nan)
    return Summary(keys, code.name, columns, unmatched, min_clicks, min_orders)


# -- windows and labels -------------------------------------------------------------------------


def _window(
    as_of: datetime | None, window: timedelta | None, lag: timedelta
) -> tuple[int | None, int | None]:
    if window is None:
        if as_of is not None or lag:
            raise ValueError("as_of and lag go with window: give window=timedelta(days=...)")
        return None, None
    if as_of is None:
        raise ValueError("a window needs as_of, the instant it is measured back from")
    if window <= timedelta(0) or lag < timedelta(0):
        raise ValueError("window must be positive and lag must not be negative")
    end = to_micros(as_of) - lag // timedelta(microseconds=1)
    return end - window // timedelta(microseconds=1), end


def _rows_in(table: Orders | Clicks | None, start: int | None, end: int | None) -> Any:
    if table is None:
        return np.empty(0, dtype=np.intp)
    if start is None or end is None:
        return np.arange(len(table), dtype=np.intp)
    ts = table["ts"]
    return np.flatnonzero((ts >= start) & (ts < end))


Keyed: TypeAlias = tuple[IntArray, list[Any]]  # per row a code (-1: missing), and the values


def _key_codes(table: Any, key: str, rows: npt.NDArray[np.intp], tz: str) -> Keyed:
    """The key's value per row as a code: a period, or the column's value (-1 where missing)."""
    if key in PERIODS:
        codes, periods = period_index(table["ts"][rows], key, tz=tz)  # type: ignore[arg-type]
        return codes, [p.label for p in periods]
    if key not in table:
        raise ValueError(
            f"{table.name} have no column {key!r} to group by; group by a column every table "
            "given has, or a period (" + ", ".join(PERIODS) + ")"
        )
    if key not in table._extras:
        try:
            codes, categories = table.codes(key)
        except TypeError:  # not dictionary-encoded (numbers, times): hash the values
            pass
        else:
            return codes[rows].astype(np.int64), categories.tolist()
    return _hashed(np.asarray(table[key], dtype=object)[rows])


def _hashed(values: ObjArray) -> Keyed:
    present = np.array([v is not None for v in values.tolist()], dtype=bool)
    first, distinct = factorize(values, present)
    return first, distinct


def _groups(
    keys: tuple[str, ...], tables: list[list[Keyed]], sizes: list[int]
) -> tuple[list[IntArray], list[ObjArray]]:
    """Per table, each row's group; and per key, the value of each group (in key order).

    Each key's values get one sorted vocabulary across tables (missing last); the codes of
    all keys combine into one integer per row, counted densely when the combinations are few
    (partners by months) and sorted otherwise.
    """
    if not keys:
        return [np.zeros(size, dtype=np.int64) for size in sizes], []
    combined = [np.zeros(size, dtype=np.int64) for size in sizes]
    vocabularies: list[list[Any]] = []
    for number in range(len(keys)):
        words = sorted({w for table in tables for w in table[number][1]}, key=str)
        index = {word: position for position, word in enumerate(words)}
        vocabularies.append([*words, None])
        radix = len(words) + 1
        for table, out in zip(tables, combined, strict=True):
            codes, values = table[number]
            lookup = np.array([index[v] for v in values] + [len(words)], dtype=np.int64)
            out *= radix
            out += lookup[codes]
    span = int(np.prod([len(v) for v in vocabularies], dtype=object))
    everything = np.concatenate(combined)
    if span <= max(1 << 22, 2 * everything.size):  # few combinations: count them densely
        seen = np.bincount(everything, minlength=span) > 0
        used = np.flatnonzero(seen).astype(np.int64)
        position = np.cumsum(seen) - 1
        group = position[everything]
    else:
        used, group = np.unique(everything, return_inverse=True)
    key_values = []
    for number in reversed(range(len(keys))):
        radix = len(vocabularies[number])
        key_values.append(np.array(vocabularies[number], dtype=object)[used % radix])
        used = used // radix
    key_values.reverse()
    bounds = np.cumsum([0, *sizes])
    return [group[a:b].astype(np.int64) for a, b in pairwise(bounds)], key_values


def _exact_sums(groups: IntArray, amounts: IntArray, size: int) -> IntArray:
    """Per group, the exact int64 sum of its amounts."""
    if amounts.size == 0:
        return np.zeros(size, dtype=np.int64)
    largest = int(np.abs(amounts).max())
    if largest * amounts.size < 1 << 53:  # every partial sum is a whole float64: exact
        return np.rint(np.bincount(groups, weights=amounts, minlength=size)).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, groups, amounts)
    return out


def _flag(table: Orders | None, name: str, rows: Any, value: int | None) -> Any:
    if table is None:
        return np.empty(0, dtype=np.int64)
    column = table[name][rows]
    if value is None:
        return (column >= 0).astype(np.int64)
    return (column == value).astype(np.int64)


# -- money -------------------------------------------------------------------------------------


class _Money:
    """The reporting currency, and each table's amounts in its minor units."""

    def __init__(
        self,
        currency: str | None,
        fx: FxRates | None,
        orders: Orders | None,
        commissions: CommissionTable | None,
    ) -> None:
        seen: set[str] = set()
        if orders is not None:
            seen |= set(orders.codes("currency")[1].tolist())
        if commissions is not None:
            seen |= set(np.unique(commissions["currency"].astype(str)).tolist())
        if currency is None and len(seen) > 1:
            raise CurrencyMismatch(
                f"the inputs hold {', '.join(sorted(seen))}: pass currency= (and fx=) to "
                "report them in one"
            )
        if fx is None and currency is not None and seen - {currency}:
            raise CurrencyMismatch(
                f"the inputs hold {', '.join(sorted(seen - {currency}))}, not {currency}: "
                "pass fx= to convert them"
            )
        self.name = currency if currency is not None else (next(iter(seen)) if seen else None)
        self.fx = fx
        self.exponent = lookup_currency(self.name).exponent if self.name is not None else 0

    def convert(
        self, amounts: IntArray, codes: IntArray, names: list[str], ts: IntArray
    ) -> IntArray:
        """Amounts in the reporting currency; ``codes`` index each row's currency in ``names``."""
        if self.name is None or self.fx is None or names == [self.name]:
            return amounts  # one currency already (checked when the reporter was made)
        out = np.empty(amounts.size, dtype=np.int64)
        for number, name in enumerate(names):
            mine = np.flatnonzero(codes == number)
            if mine.size:
                out[mine] = self.fx.convert_minor(amounts[mine], name, self.name, at=ts[mine])
        return out

    def order_amounts(self, orders: Orders | None, rows: Any) -> IntArray:
        if orders is None:
            return np.empty(0, dtype=np.int64)
        codes, names = orders.codes("currency")
        return self.convert(orders["amount"][rows], codes[rows], names.tolist(), orders["ts"][rows])

    def commission_amounts(self, commissions: CommissionTable | None, rows: Any) -> IntArray:
        if commissions is None:
            return np.empty(0, dtype=np.int64)
        codes, names = _hashed(np.asarray(commissions["currency"], dtype=object)[rows])
        return self.convert(
            np.asarray(commissions["commission"], dtype=np.int64)[rows],
            codes,
            [str(name) for name in names],
            np.asarray(commissions["ts"], dtype=np.int64)[rows],
        )


# -- commissions and reversals -----------------------------------------------------------------


def _row_of(ids: ObjArray, wanted: ObjArray) -> IntArray:
    """The row of each wanted id among ``ids`` (-1 where absent)."""
    index = {value: row for row, value in enumerate(ids.tolist())}
    return np.fromiter((index.get(w, -1) for w in wanted.tolist()), np.int64, wanted.size)


def _commission_labels(
    commissions: CommissionTable,
    keys: tuple[str, ...],
    tz: str,
    orders: Orders | None,
    clicks: Clicks | None,
    start: int | None,
    end: int | None,
) -> tuple[npt.NDArray[np.intp], list[Keyed], int]:
    ts = np.asarray(commissions["ts"], dtype=np.int64)
    inside = np.ones(ts.size, dtype=bool)
    if start is not None and end is not None:
        inside = (ts >= start) & (ts < end)
    source = np.asarray(commissions["source"]).astype(str)
    ids = np.asarray(commissions["order_id"], dtype=object)
    per_click = source == "click"
    via_order = np.full(ts.size, -1, dtype=np.int64)
    via_click = np.full(ts.size, -1, dtype=np.int64)
    if orders is not None:
        via_order = _row_of(np.asarray(orders["order_id"], dtype=object), ids)
    if clicks is not None:
        via_click = _row_of(np.asarray(clicks["click_id"], dtype=object), ids)
    via_order[per_click] = -1
    via_click[~per_click] = -1
    # A row must be found in its table when that table is given; when it is not, the row
    # counts if the keys need nothing but the row itself (its partner and time).
    given = np.where(per_click, clicks is not None, orders is not None)
    own_keys_only = not set(keys) - {"partner_id", *PERIODS}
    matched = np.where(given, (via_order >= 0) | (via_click >= 0), own_keys_only)
    kept = np.flatnonzero(inside & matched)
    missed = int((inside & ~matched).sum())
    labels: list[Keyed] = []
    for key in keys:
        if key in PERIODS:
            codes, periods = period_index(ts[kept], key, tz=tz)  # type: ignore[arg-type]
            labels.append((codes, [p.label for p in periods]))
        elif key == "partner_id":
            labels.append(_hashed(np.asarray(commissions["partner_id"], dtype=object)[kept]))
        else:
            value = np.empty(kept.size, dtype=object)
            order_row, click_row = via_order[kept], via_click[kept]
            if orders is not None and key in orders:
                hit = order_row >= 0
                value[hit] = np.asarray(orders[key], dtype=object)[order_row[hit]]
            if clicks is not None and key in clicks:
                hit = click_row >= 0
                value[hit] = np.asarray(clicks[key], dtype=object)[click_row[hit]]
            labels.append(_hashed(value))
    return kept, labels, missed


def _reversal_orders(
    reversals: Reversals, orders: Orders | None, order_rows: Any
) -> tuple[IntArray, int]:
    """Per reversal, its order's position among the summarised orders (-1: not among them).

    Also returns how many reversals name an order the orders table does not hold.
    """
    if orders is None:
        return np.full(len(reversals), -1, dtype=np.int64), len(reversals)
    row = _row_of(
        np.asarray(orders["order_id"], dtype=object),
        np.asarray(reversals["order_id"], dtype=object),
    )
    position = np.full(len(orders) + 1, -1, dtype=np.int64)  # the last: not in the table
    position[np.asarray(order_rows)] = np.arange(len(order_rows))
    return position[row], int((row < 0).sum())


def _reversed(
    reversals: Reversals | None,
    found: IntArray,
    orders: Orders | None,
    order_rows: Any,
    order_group: IntArray | None,
    groups: int,
    code: _Money,
) -> tuple[IntArray, IntArray]:
    """Per group, the amount reversed (capped at each order's amount) and orders reversed."""
    amount = np.zeros(groups, dtype=np.int64)
    count = np.zeros(groups, dtype=np.int64)
    if reversals is None or orders is None or order_group is None:
        return amount, count
    hit = np.flatnonzero(found >= 0)
    position = found[hit]
    order_rows = np.asarray(order_rows)
    rows = order_rows[position]
    given = ~reversals.missing("amount")[hit]
    ids = np.asarray(reversals["reversal_id"], dtype=object)
    if "line_id" in reversals:
        whole_line = ~reversals.missing("line_id")[hit] & ~given
        if whole_line.any():
            named = ", ".join(ids[hit[whole_line]][:5].tolist())
            raise ValueError(
                f"reversals {named} reverse an order line in full, and summary does not read "
                "order lines: give these reversals their amounts"
            )
    if given.any():
        theirs = np.asarray(reversals["currency"], dtype=object)[hit[given]]
        ours = np.asarray(orders["currency"], dtype=object)[rows[given]]
        differ = theirs != ours
        if differ.any():
            first = int(np.flatnonzero(differ)[0])
            raise CurrencyMismatch(
                f"reversal {ids[hit[given]][first]} is in {theirs[first]} but its order is in "
                f"{ours[first]}: a reversal is in its order's currency"
            )
    part = np.where(given, reversals["amount"][hit], orders["amount"][rows])
    # Per order: what its reversals add up to, never more than the order itself; converted
    # once, at the order's time, as the order's amount is.
    per_order = np.zeros(order_rows.size, dtype=np.int64)
    np.add.at(per_order, position, part)
    touched = np.flatnonzero(per_order > 0)
    capped = np.minimum(per_order[touched], orders["amount"][order_rows[touched]])
    codes, names = orders.codes("currency")
    share = code.convert(
        capped, codes[order_rows[touched]], names.tolist(), orders["ts"][order_rows[touched]]
    )
    np.add.at(amount, order_group[touched], share)
    reversed_any = np.zeros(order_rows.size, dtype=bool)
    reversed_any[position] = True
    np.add.at(count, order_group[np.flatnonzero(reversed_any)], 1)
    return amount, count

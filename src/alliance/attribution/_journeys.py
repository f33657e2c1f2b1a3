"""Visitors' journeys from touchpoints and orders: which touches led to which order.

The rules are `Paths.from_touchpoints`'s; this module does the vectorised work: one sort of
all touches and orders by visitor and time, then each touch looks ahead to its visitor's next
order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._fx import FxRates
from alliance._tables import Orders, Touchpoints
from alliance.errors import CurrencyMismatch

__all__ = ["Journeys", "journeys"]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Journeys:
    """Journeys in CSR form, ready for `Paths`."""

    channels: tuple[str, ...]
    codes: Int64Array
    offsets: Int64Array
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray
    ages: Int64Array
    currency: str | None


def _empty() -> Journeys:
    none_i = np.zeros(0, dtype=np.int64)
    none_f = np.zeros(0, dtype=np.float64)
    return Journeys((), none_i, np.zeros(1, np.int64), none_f, none_f, none_f, none_i, None)


def journeys(
    touchpoints: Touchpoints,
    orders: Orders,
    window_us: int,
    fx: FxRates | None = None,
    target: str | None = None,
) -> Journeys:
    """Each visitor's converting and non-converting journeys (see `Paths.from_touchpoints`).

    With ``target`` (and ``fx``), order values are converted to that currency at the order's
    time; otherwise every converting order must share one currency.
    """
    touch_visitor, visitor_names = touchpoints.codes("visitor_id")
    touch_partner, partner_names = touchpoints.codes("partner_id")
    touch_rows = np.flatnonzero((touch_partner >= 0) & (touch_visitor >= 0))
    if not touch_rows.size:
        return _empty()
    order_visitor_codes, order_visitor_names = orders.codes("visitor_id")
    # Orders' visitors in the touches' code space (-1: no visitor, or one never touched).
    lookup = {name: code for code, name in enumerate(visitor_names.tolist())}
    in_touch_space = np.array(
        [lookup.get(name, -1) for name in order_visitor_names.tolist()] + [-1], dtype=np.int64
    )
    order_visitor = in_touch_space[order_visitor_codes]
    order_rows = np.flatnonzero(order_visitor >= 0)

    touches, placed = touch_rows.size, order_rows.size
    visitor = np.concatenate((touch_visitor[touch_rows], order_visitor[order_rows]))
    ts = np.concatenate((touchpoints["ts"][touch_rows], orders["ts"][order_rows]))
    is_order = np.concatenate((np.zeros(touches, bool), np.ones(placed, bool)))
    source = np.concatenate((touch_rows, order_rows))
    # By visitor, then time; a touch at the very instant of an order comes before it.
    order = np.lexsort((source, is_order, ts, visitor))
    visitor, ts, is_order, source = visitor[order], ts[order], is_order[order], source[order]

    order_at = np.flatnonzero(is_order)
    touch_at = np.flatnonzero(~is_order)
    # Each touch's next order (at or after it), if it is the same visitor's.
    ahead = np.searchsorted(order_at, touch_at)
    next_order = order_at[np.minimum(ahead, max(placed - 1, 0))] if placed else touch_at
    has_next = (ahead < placed) & (visitor[next_order] == visitor[touch_at])
    touch_ts = ts[touch_at]
    converted = has_next & (ts[next_order] - touch_ts < window_us)

    # Journeys: converted touches group by their order; the others by visitor and the gap
    # between two orders, split where `window` or more passes between two touches.
    new = np.ones(touches, dtype=bool)
    same_kind = converted[1:] == converted[:-1]
    same_order = next_order[1:] == next_order[:-1]
    touch_visitor_sorted = visitor[touch_at]
    close = touch_ts[1:] - touch_ts[:-1] < window_us
    continues = same_kind & np.where(
        converted[1:],
        same_order,
        (touch_visitor_sorted[1:] == touch_visitor_sorted[:-1]) & (ahead[1:] == ahead[:-1]) & close,
    )
    new[1:] = ~continues
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, touches))
    ends = starts + lengths - 1
    journey_converts = converted[starts]
    end_ts = np.where(journey_converts, ts[next_order[starts]], touch_ts[ends])
    ages = np.repeat(end_ts, lengths) - touch_ts

    partner = touch_partner[source[touch_at]].astype(np.int64)
    used = np.zeros(len(partner_names), dtype=bool)
    used[partner] = True
    recode = np.cumsum(used) - 1
    channels = tuple(
        name for name, u in zip(partner_names.tolist(), used.tolist(), strict=True) if u
    )

    conversions = journey_converts.astype(np.float64)
    value = np.zeros(starts.size, dtype=np.float64)
    currency = None
    if journey_converts.any():
        order_row = source[next_order[starts[journey_converts]]]
        currency_codes, currency_names = orders.codes("currency")
        used_currencies = np.unique(currency_codes[order_row])
        if target is not None:
            amounts = orders["amount"][order_row]
            if fx is not None:
                amounts = fx.convert_minor(
                    amounts,
                    currency_names[currency_codes[order_row]],
                    target,
                    at=ts[next_order[starts[journey_converts]]],
                )
            elif used_currencies.size and any(
                str(currency_names[c]) != target for c in used_currencies
            ):
                raise CurrencyMismatch(
                    f"orders are not all in {target}; pass fx= to convert their values"
                )
            scale = 10.0 ** lookup_currency(target).exponent
            value[journey_converts] = amounts / scale
            currency = target
        elif used_currencies.size > 1:
            found = ", ".join(str(currency_names[c]) for c in used_currencies)
            raise CurrencyMismatch(
                f"orders with journeys are in several currencies ({found}); pass currency= "
                "and fx= to value them in one currency"
            )
        else:
            currency = str(currency_names[used_currencies[0]])
            scale = 10.0 ** lookup_currency(currency).exponent
            value[journey_converts] = orders["amount"][order_row] / scale
    return Journeys(
        channels,
        recode[partner],
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        conversions,
        1.0 - conversions,
        value,
        ages.astype(np.int64),
        currency,
    )

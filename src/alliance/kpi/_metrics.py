"""The programme's metrics, one definition each, for one value or for arrays of them.

Every function takes plain numbers (ints, floats, Decimals), `Money`, or array-likes of
numbers. Given scalars it returns a float (or `Money`), and `Undefined` when the denominator
is zero; given arrays it returns a float64 array with NaN in those places. Money per unit
(average order value, CAC, CPA) is money again: `Money` rounded half to even for one value,
and for arrays of int64 minor units, float64 holding whole minor units, rounded the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from alliance._kernels import decimal_to_ratio, round_quotient
from alliance._money import Money
from alliance.errors import CurrencyMismatch, FloatNotAllowed
from alliance.kpi._ratio import Undefined, ratio, ratios

__all__ = [
    "FunnelStep",
    "aov",
    "approval_rate",
    "cac",
    "commission_cost",
    "conversion_rate",
    "cost_of_sale",
    "cpa",
    "epc",
    "epc_100",
    "funnel",
    "gmv",
    "net_revenue",
    "new_customer_share",
    "nps",
    "repeat_purchase_rate",
    "revenue_epc",
    "reversal_rate",
    "roas",
    "roi",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
Number: TypeAlias = int | float | Decimal
Amount: TypeAlias = Number | Money


def _scalar(value: Any) -> bool:
    return isinstance(value, Money | int | float | Decimal | np.number) or np.ndim(value) == 0


def _plain(value: Any, currency: list[str]) -> Any:
    """A Money's amount (its currency noted, and checked against the others), else the value."""
    if isinstance(value, str | bool | np.bool_):
        raise TypeError(f"a metric takes numbers or Money, got {value!r}")
    if isinstance(value, Money):
        if currency and currency[0] != value.currency:
            raise CurrencyMismatch(
                f"a metric over {currency[0]} and {value.currency}: currencies differ; "
                "convert with FxRates first"
            )
        currency[:1] = [value.currency]
        return value.amount
    return value


def _counts(*values: Any) -> None:
    """Refuse negative counts (clicks, orders, customers), one value or arrays of them."""
    for value in values:
        if isinstance(value, str | bool | np.bool_ | Money):
            raise TypeError(f"a count is a number, got {value!r}")
        if np.any(np.asarray(value, dtype=np.float64) < 0):
            raise ValueError(f"counts must not be negative, got {value!r}")


def _divide(numerator: Any, denominator: Any, reason: str, scale: float = 1.0) -> Any:
    """``scale * numerator / denominator``: a float or `Undefined`, or an array with NaN."""
    if _scalar(numerator) and _scalar(denominator):
        seen: list[str] = []
        top, bottom = _plain(numerator, seen), _plain(denominator, seen)
        value = ratio(top, bottom, reason)
        return value if isinstance(value, Undefined) else value * scale
    return ratios(numerator, denominator) * scale


def _money_per(amount: Any, count: Any, reason: str) -> Any:
    """Money per unit, rounded half to even to the minor unit (see the module docstring)."""
    if isinstance(amount, Money):
        if not _scalar(count):
            raise TypeError("a Money amount is divided by one count; pass arrays for arrays")
        if isinstance(count, bool | np.bool_) or not isinstance(count, int | np.integer):
            raise TypeError(f"a count is a whole number, got {count!r}")
        if count == 0:
            return Undefined(reason)
        if count < 0:
            raise ValueError(f"a count must not be negative, got {count}")
        numerator, denominator = decimal_to_ratio(amount.amount)
        scale = 10**amount.currency_info.exponent
        minor = round_quotient(numerator * scale, denominator * int(count), "half_even")
        return Money.from_minor(int(minor), amount.currency)
    if _scalar(amount) and _scalar(count):
        raise TypeError(f"{reason.split()[-1]} money per unit needs a Money amount or arrays")
    top, bottom = np.asarray(amount), np.asarray(count)
    if top.dtype.kind not in "iu":
        raise FloatNotAllowed(
            f"money arrays are whole minor units (integers), got dtype {top.dtype}"
        )
    if bottom.dtype.kind not in "iu":
        raise TypeError(f"counts are whole numbers, got dtype {bottom.dtype}")
    top, bottom = np.broadcast_arrays(top.astype(np.int64), bottom.astype(np.int64))
    if (bottom < 0).any():
        raise ValueError("counts must not be negative")
    out = np.full(top.shape, np.nan)
    defined = bottom > 0
    out[defined] = round_quotient(top[defined], bottom[defined], "half_even")
    return out


# -- traffic and conversion --------------------------------------------------------------------


@overload
def conversion_rate(conversions: Number, clicks: Number) -> float: ...
@overload
def conversion_rate(conversions: npt.ArrayLike, clicks: npt.ArrayLike) -> FloatArray: ...
def conversion_rate(conversions: Any, clicks: Any) -> Any:
    """Conversion rate (CR): ``conversions / clicks``, on the click basis.

    A conversion is an attributed order. Undefined (``"no clicks"``) without clicks.

    Examples:
        >>> conversion_rate(3, 120)
        0.025
        >>> conversion_rate(0, 0)
        Undefined('no clicks')
        >>> conversion_rate([3, 1], [120, 0]).tolist()
        [0.025, nan]
    """
    _counts(conversions, clicks)
    return _divide(conversions, clicks, "no clicks")


@overload
def epc(commission: Amount, clicks: Number) -> float: ...
@overload
def epc(commission: npt.ArrayLike, clicks: npt.ArrayLike) -> FloatArray: ...
def epc(commission: Any, clicks: Any) -> Any:
    """Earnings per click (EPC): ``commission / clicks``, on the commission basis.

    What a partner earns per click it sends, in the commission's currency units (a ratio, so a
    float). Undefined (``"no clicks"``) without clicks.

    Examples:
        >>> from alliance import Money
        >>> epc(Money("12.50", "USD"), 250)
        0.05
    """
    _counts(clicks)
    return _divide(commission, clicks, "no clicks")


@overload
def epc_100(commission: Amount, clicks: Number) -> float: ...
@overload
def epc_100(commission: npt.ArrayLike, clicks: npt.ArrayLike) -> FloatArray: ...
def epc_100(commission: Any, clicks: Any) -> Any:
    """Earnings per 100 clicks: ``100 * commission / clicks`` (the networks' usual EPC scale).

    Examples:
        >>> from alliance import Money
        >>> epc_100(Money("12.50", "USD"), 250)
        5.0
    """
    _counts(clicks)
    return _divide(commission, clicks, "no clicks", 100.0)


@overload
def revenue_epc(revenue: Amount, clicks: Number) -> float: ...
@overload
def revenue_epc(revenue: npt.ArrayLike, clicks: npt.ArrayLike) -> FloatArray: ...
def revenue_epc(revenue: Any, clicks: Any) -> Any:
    """Revenue per click, the revenue-basis EPC: ``revenue / clicks``.

    What the brand sells per click a partner sends. Undefined (``"no clicks"``) without
    clicks.

    Examples:
        >>> revenue_epc(500, 250)
        2.0
    """
    _counts(clicks)
    return _divide(revenue, clicks, "no clicks")


# -- money -------------------------------------------------------------------------------------


def _money_sum(amounts: Iterable[Money] | npt.ArrayLike, metric: str) -> Any:
    """Money in one currency summed to `Money`, or whole minor units to their sum."""
    if isinstance(amounts, np.ndarray):
        if amounts.dtype.kind not in "iu":
            raise FloatNotAllowed(f"{metric} sums whole minor units, got dtype {amounts.dtype}")
        return amounts.sum()
    items: list[Any] = list(amounts)  # type: ignore[arg-type]
    if items and all(isinstance(item, Money) for item in items):
        total: Money = items[0]
        for item in items[1:]:
            total = total + item  # CurrencyMismatch names both currencies
        return total
    if any(isinstance(item, Money) for item in items):
        raise TypeError(f"{metric} takes Money only or numbers only, not a mix")
    if any(isinstance(item, float | np.floating) for item in items):
        raise FloatNotAllowed(f"{metric} sums Money or whole minor units, not floats")
    return np.asarray(items).sum() if items else 0


def gmv(amounts: Iterable[Money] | npt.ArrayLike) -> Any:
    """Gross merchandise value: the sum of order amounts, before reversals.

    `Money` in one currency gives `Money` (an empty sequence raises: it has no currency);
    numbers or minor units give their sum.

    Examples:
        >>> from alliance import Money
        >>> gmv([Money("10.00", "EUR"), Money("5.50", "EUR")])
        Money('15.50', 'EUR')
        >>> int(gmv([1000, 550]))
        1550
    """
    return _money_sum(amounts, "gmv")


def commission_cost(commissions: Iterable[Money] | npt.ArrayLike) -> Any:
    """Commission cost: the sum of the commissions earned, pending and approved.

    Before reversals void or claw any back (what `settlement` pays is net of those). Summed
    as `gmv` sums: `Money` in one currency, or whole minor units.

    Examples:
        >>> from alliance import Money
        >>> commission_cost([Money("8.00", "USD"), Money("2.40", "USD")])
        Money('10.40', 'USD')
    """
    return _money_sum(commissions, "commission_cost")


@overload
def net_revenue(gross: Money, reversed: Money) -> Money: ...
@overload
def net_revenue(gross: npt.ArrayLike, reversed: npt.ArrayLike) -> Any: ...
def net_revenue(gross: Any, reversed: Any) -> Any:
    """Net revenue: ``gross - reversed`` (refunds, chargebacks and cancellations taken off).

    Examples:
        >>> from alliance import Money
        >>> net_revenue(Money("100.00", "USD"), Money("12.50", "USD"))
        Money('87.50', 'USD')
    """
    if isinstance(gross, Money) or isinstance(reversed, Money):
        return gross - reversed
    return np.subtract(gross, reversed)


@overload
def aov(revenue: Money, orders: int) -> Money: ...
@overload
def aov(revenue: npt.ArrayLike, orders: npt.ArrayLike) -> FloatArray: ...
def aov(revenue: Any, orders: Any) -> Any:
    """Average order value: ``revenue / orders``, money rounded half to even.

    Undefined (``"no orders"``) without orders.

    Examples:
        >>> from alliance import Money
        >>> aov(Money("100.00", "USD"), 3)
        Money('33.33', 'USD')
        >>> aov([10000, 500], [3, 0]).tolist()  # minor units
        [3333.0, nan]
    """
    return _money_per(revenue, orders, "no orders")


@overload
def cost_of_sale(commission: Amount, revenue: Amount) -> float: ...
@overload
def cost_of_sale(commission: npt.ArrayLike, revenue: npt.ArrayLike) -> FloatArray: ...
def cost_of_sale(commission: Any, revenue: Any) -> Any:
    """Cost of sale (CoS): ``commission / revenue``, the share of revenue paid out.

    Undefined (``"no revenue"``) without revenue.

    Examples:
        >>> from alliance import Money
        >>> cost_of_sale(Money("8.00", "USD"), Money("100.00", "USD"))
        0.08
    """
    return _divide(commission, revenue, "no revenue")


@overload
def roas(revenue: Amount, cost: Amount) -> float: ...
@overload
def roas(revenue: npt.ArrayLike, cost: npt.ArrayLike) -> FloatArray: ...
def roas(revenue: Any, cost: Any) -> Any:
    """Return on ad spend (ROAS): ``revenue / cost``, cost being commissions and fees paid.

    Undefined (``"no cost"``) when nothing was spent.

    Examples:
        >>> roas(1250, 100)
        12.5
    """
    return _divide(revenue, cost, "no cost")


@overload
def roi(revenue: Amount, cost: Amount, margin: Number = 1) -> float: ...
@overload
def roi(revenue: npt.ArrayLike, cost: npt.ArrayLike, margin: Number = 1) -> FloatArray: ...
def roi(revenue: Any, cost: Any, margin: Any = 1) -> Any:
    """Return on investment (ROI): ``(revenue * margin - cost) / cost``.

    ``margin`` is the gross margin on revenue (1 counts all revenue as return; 0.4 counts
    40% of it). Undefined (``"no cost"``) when nothing was spent.

    Examples:
        >>> roi(1250, 100)
        11.5
        >>> roi(1250, 100, margin=0.4)
        4.0
    """
    if not 0 <= float(margin) <= 1:
        raise ValueError(f"margin must be between 0 and 1, got {margin}")
    if _scalar(revenue) and _scalar(cost):
        seen: list[str] = []
        top, bottom = _plain(revenue, seen), _plain(cost, seen)
        if bottom == 0:
            return Undefined("no cost")
        return (float(top) * float(margin) - float(bottom)) / float(bottom)
    gain = np.asarray(revenue, dtype=np.float64) * float(margin)
    spent = np.asarray(cost, dtype=np.float64)
    return ratios(gain - spent, spent)


@overload
def cac(cost: Money, new_customers: int) -> Money: ...
@overload
def cac(cost: npt.ArrayLike, new_customers: npt.ArrayLike) -> FloatArray: ...
def cac(cost: Any, new_customers: Any) -> Any:
    """Customer acquisition cost (CAC): ``cost / new customers``, money rounded half to even.

    Undefined (``"no new customers"``) without new customers.

    Examples:
        >>> from alliance import Money
        >>> cac(Money("90.00", "USD"), 4)
        Money('22.50', 'USD')
    """
    return _money_per(cost, new_customers, "no new customers")


@overload
def cpa(cost: Money, actions: int) -> Money: ...
@overload
def cpa(cost: npt.ArrayLike, actions: npt.ArrayLike) -> FloatArray: ...
def cpa(cost: Any, actions: Any) -> Any:
    """Cost per action (CPA): ``cost / actions`` (conversions), money rounded half to even.

    Undefined (``"no actions"``) without actions.

    Examples:
        >>> from alliance import Money
        >>> cpa(Money("10.00", "USD"), 3)
        Money('3.33', 'USD')
    """
    return _money_per(cost, actions, "no actions")


# -- quality and customers ---------------------------------------------------------------------


@overload
def reversal_rate(reversed: Amount, total: Amount) -> float: ...
@overload
def reversal_rate(reversed: npt.ArrayLike, total: npt.ArrayLike) -> FloatArray: ...
def reversal_rate(reversed: Any, total: Any) -> Any:
    """Reversal rate: ``reversed / total``, of orders (count basis) or of money (amount basis).

    Undefined (``"no orders"``) when there is nothing to reverse.

    Examples:
        >>> reversal_rate(3, 40)
        0.075
    """
    return _divide(reversed, total, "no orders")


@overload
def approval_rate(approved: Number, decided: Number) -> float: ...
@overload
def approval_rate(approved: npt.ArrayLike, decided: npt.ArrayLike) -> FloatArray: ...
def approval_rate(approved: Any, decided: Any) -> Any:
    """Approval rate: ``approved / decided``, of the commissions whose hold is over.

    Decided means approved or rejected (reversed, blocked); pending ones are not counted.
    Undefined (``"nothing decided"``).

    Examples:
        >>> approval_rate(45, 50)
        0.9
    """
    _counts(approved, decided)
    return _divide(approved, decided, "nothing decided")


@overload
def new_customer_share(new_orders: Number, orders: Number) -> float: ...
@overload
def new_customer_share(new_orders: npt.ArrayLike, orders: npt.ArrayLike) -> FloatArray: ...
def new_customer_share(new_orders: Any, orders: Any) -> Any:
    """New-customer share: ``orders by new customers / orders``.

    Undefined (``"no orders"``).

    Examples:
        >>> new_customer_share(12, 48)
        0.25
    """
    _counts(new_orders, orders)
    return _divide(new_orders, orders, "no orders")


@overload
def repeat_purchase_rate(repeat_customers: Number, customers: Number) -> float: ...
@overload
def repeat_purchase_rate(
    repeat_customers: npt.ArrayLike, customers: npt.ArrayLike
) -> FloatArray: ...
def repeat_purchase_rate(repeat_customers: Any, customers: Any) -> Any:
    """Repeat-purchase rate: ``customers with two orders or more / customers``.

    Undefined (``"no customers"``).

    Examples:
        >>> repeat_purchase_rate(30, 120)
        0.25
    """
    _counts(repeat_customers, customers)
    return _divide(repeat_customers, customers, "no customers")


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One step of a funnel.

    Attributes:
        name: The step's name.
        count: How many reached it.
        step_rate: ``count`` over the step before's (1 for the first step).
        overall_rate: ``count`` over the first step's.
    """

    name: str
    count: int
    step_rate: float
    overall_rate: float


def funnel(steps: Mapping[str, int] | Sequence[tuple[str, int]]) -> list[FunnelStep]:
    """Step conversion through a funnel: each step's count over the step before, and the first.

    Counts must not grow from one step to the next (each step is a subset of the one before).

    Examples:
        >>> steps = funnel({"click": 1000, "cart": 120, "order": 30})
        >>> [(s.name, s.count, s.step_rate, s.overall_rate) for s in steps]
        [('click', 1000, 1.0, 1.0), ('cart', 120, 0.12, 0.12), ('order', 30, 0.25, 0.03)]
    """
    pairs = list(steps.items()) if isinstance(steps, Mapping) else list(steps)
    if not pairs:
        raise ValueError("a funnel needs at least one step")
    out: list[FunnelStep] = []
    first = previous = None
    previous_name = ""
    for name, count in pairs:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ValueError(f"funnel step {name!r}: a count is a whole number >= 0, got {count!r}")
        if previous is not None and count > previous:
            raise ValueError(
                f"funnel step {name!r} has {count} but the step before it only {previous}: "
                "each step is a subset of the one before"
            )
        count = int(count)
        if first is None:
            first = count
        before = previous_name if previous is not None else name
        step_rate = ratio(count, previous if previous is not None else count, f"no one at {before}")
        out.append(FunnelStep(str(name), count, step_rate, ratio(count, first, "no one entered")))
        previous, previous_name = count, str(name)
    return out


def nps(scores: npt.ArrayLike) -> float:
    """Net promoter score: ``100 * (promoters - detractors) / responses``, from -100 to 100.

    Scores are whole numbers 0 to 10: 9 and 10 promote, 0 to 6 detract, 7 and 8 are passive.
    Undefined (``"no survey responses"``) without responses.

    Examples:
        >>> nps([10, 9, 8, 7, 6, 0, 10])
        14.285714285714286
    """
    values = np.asarray(scores)
    if values.ndim != 1:
        raise ValueError("scores must be a flat list of survey answers")
    if values.size == 0:
        return Undefined("no survey responses")
    if values.dtype.kind not in "iu" or values.min() < 0 or values.max() > 10:
        raise ValueError("NPS scores are whole numbers from 0 to 10")
    promoters = int((values >= 9).sum())
    detractors = int((values <= 6).sum())
    return 100.0 * (promoters - detractors) / values.size

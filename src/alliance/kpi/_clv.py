"""Customer lifetime value: expected purchases times expected spend, discounted by the month.

The purchases come from a BG/NBD (`BetaGeo`) or Pareto/NBD (`ParetoNBD`) model, the spend per
purchase from a `GammaGamma` model, as in the `lifetimes` package's
``customer_lifetime_value``: over each month ``i`` of the horizon, the purchases expected in
that month (the cumulative expectation at the month's end minus the one at its start) times
the expected spend per purchase, divided by ``(1 + monthly_discount_rate) ** i``. A month is
30 days, or 4.345 weeks.

The value is a model estimate, a float, rounded half-even to minor units of the spend's
currency once per customer (``clv_minor``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance._kernels import INT64_MAX
from alliance._money import Money
from alliance.errors import MoneyOverflow
from alliance.kpi._bgnbd import BetaGeo
from alliance.kpi._clv_checks import Unit
from alliance.kpi._clv_pareto import ParetoNBD
from alliance.kpi._gamma import GammaGamma
from alliance.kpi._rfm import RFMSummary

__all__ = ["PERIODS_PER_MONTH", "CustomerValues", "customer_lifetime_value"]

#: Days or weeks in a month of the discounting (the `lifetimes` package's factors).
PERIODS_PER_MONTH: Mapping[Unit, float] = {"days": 30.0, "weeks": 4.345}
_COLUMNS = (
    "customer_id",
    "p_alive",
    "expected_purchases",
    "discounted_purchases",
    "expected_spend_minor",
    "clv_minor",
)


class CustomerValues:
    """Predicted value per customer (see `customer_lifetime_value`); immutable.

    Columns:

    - ``customer_id``: the customer;
    - ``p_alive``: probability that the customer is still active at the observation end;
    - ``expected_purchases``: purchases expected over the horizon (not discounted);
    - ``discounted_purchases``: the same, each month's share discounted;
    - ``expected_spend_minor``: expected spend per purchase, rounded to minor units (int64);
    - ``clv_minor``: the discounted value, rounded to minor units (int64).

    Attributes:
        currency: The currency of the money columns.
        months: The horizon, in months.
        monthly_discount_rate: The discount rate per month.
        unit: The unit of time of the purchase model.
    """

    __slots__ = ("_columns", "currency", "monthly_discount_rate", "months", "unit")

    _columns: dict[str, npt.NDArray[Any]]
    currency: str
    months: int
    monthly_discount_rate: float
    unit: Unit

    def __init__(
        self,
        columns: Mapping[str, npt.NDArray[Any]],
        *,
        currency: str,
        months: int,
        monthly_discount_rate: float,
        unit: Unit,
    ) -> None:
        frozen = {name: np.array(columns[name]) for name in _COLUMNS}
        for values in frozen.values():
            values.flags.writeable = False
        fields: dict[str, Any] = {
            "_columns": frozen,
            "currency": currency,
            "months": months,
            "monthly_discount_rate": monthly_discount_rate,
            "unit": unit,
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"customer values are immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"customer values are immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        options = {
            "currency": self.currency,
            "months": self.months,
            "monthly_discount_rate": self.monthly_discount_rate,
            "unit": self.unit,
        }
        return _rebuild, (self._columns, options)

    def __len__(self) -> int:
        return int(self._columns["clv_minor"].size)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return _COLUMNS

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column by name (read-only)."""
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(
                f"customer values have no column {name!r}; columns: {_COLUMNS}"
            ) from None

    def total(self) -> Money:
        """The sum of ``clv_minor``, as `Money`."""
        return Money.from_minor(int(self._columns["clv_minor"].sum(dtype=object)), self.currency)

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary of plain Python values per customer."""
        values = [self._columns[name].tolist() for name in _COLUMNS]
        return [dict(zip(_COLUMNS, row, strict=True)) for row in zip(*values, strict=True)]

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "CustomerValues.to_pandas")
        return pandas.DataFrame(dict(self._columns))

    def __repr__(self) -> str:
        return (
            f"CustomerValues({len(self):,} customers; {self.months} months at "
            f"{self.monthly_discount_rate:g} a month; total {self.total()})"
        )


def _rebuild(columns: Mapping[str, npt.NDArray[Any]], options: dict[str, Any]) -> CustomerValues:
    """Unpickled `CustomerValues`."""
    return CustomerValues(columns, **options)


def customer_lifetime_value(
    purchases: BetaGeo | ParetoNBD,
    spend: GammaGamma,
    rfm: RFMSummary,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> CustomerValues:
    """Each customer's discounted value over the next ``months``, from two fitted models.

    CLV = sum over months i = 1 .. ``months`` of

        E[spend per purchase] · (E[Y(30 i)] - E[Y(30 (i - 1))]) / (1 + d)^i

    where Y(t) is the customer's purchases in the ``t`` days after the observation end
    (`BetaGeo.expected_purchases`; 4.345 weeks to the month in weeks), the spend comes from
    `GammaGamma.expected_average_spend` and d is ``monthly_discount_rate``. This is the
    `lifetimes` package's ``customer_lifetime_value`` with ``freq="D"`` (or ``"W"``).

    Args:
        purchases: A fitted (or given) BG/NBD or Pareto/NBD model.
        spend: A Gamma-Gamma model, in the summary's currency.
        rfm: The customers, with spend (``monetary="mean_repeat"``).
        months: The horizon, whole months (1 or more).
        monthly_discount_rate: The discount rate per month (0.01 is about 12.7 % a year).

    Returns:
        One row per customer of ``rfm``, in its order.

    Raises:
        TypeError: A model or the summary of the wrong kind, or a non-integer ``months``.
        ValueError: Units or currencies that do not agree, a summary without spend, or a
            horizon or rate out of range.
        MoneyOverflow: A value past the int64 range of minor units.

    Examples:
        With the CDNOW estimates (in weeks), ann, two repeat purchases averaging $35 and
        probably still active, is worth $51.56 over the next year at 1 % a month; bob, who
        never came back, $8.37:

        >>> rfm = RFMSummary.from_arrays(
        ...     [2, 0], [30.43, 0.0], [38.86, 38.86], customer_id=["ann", "bob"],
        ...     monetary_total_minor=[7000, 0], currency="USD", unit="weeks",
        ... )
        >>> purchases = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> spend = GammaGamma(p=6.25, q=3.74, v=15.44, currency="USD")
        >>> values = customer_lifetime_value(purchases, spend, rfm)
        >>> values["clv_minor"].tolist(), values["expected_spend_minor"].tolist()
        ([5156, 837], [3504, 3522])
        >>> values.total()
        Money('59.93', 'USD')
    """
    if not isinstance(purchases, BetaGeo | ParetoNBD):
        raise TypeError(
            f"purchases must be a BetaGeo or ParetoNBD model, got {type(purchases).__name__}"
        )
    if not isinstance(spend, GammaGamma):
        raise TypeError(f"spend must be a GammaGamma model, got {type(spend).__name__}")
    if not isinstance(rfm, RFMSummary):
        raise TypeError(f"rfm must be an RFMSummary, got {type(rfm).__name__}")
    if isinstance(months, bool) or not isinstance(months, int | np.integer):
        raise TypeError(f"months must be a whole number of months, got {months!r}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    rate = _discount_rate(monthly_discount_rate)
    unit = _unit_of(purchases, rfm)
    currency = _currency_of(spend, rfm)
    frequency = rfm["frequency"].astype(np.float64)
    age = rfm["T"]
    per_month = PERIODS_PER_MONTH[unit]
    alive = purchases.p_alive(frequency, rfm["recency"], age)  # the summary's rows are checked
    discounted = np.zeros(len(rfm))
    before = np.zeros(len(rfm))
    for month in range(1, int(months) + 1):
        horizon = np.full(len(rfm), month * per_month)
        cumulative = purchases._purchases_if_alive(horizon, frequency, age) * alive
        discounted += (cumulative - before) / (1 + rate) ** month
        before = cumulative
    spend_per_purchase = spend.expected_average_spend(
        frequency, np.nan_to_num(rfm["monetary_value"], nan=0.0)
    )
    scale = 10 ** lookup_currency(currency).exponent
    return CustomerValues(
        {
            "customer_id": rfm["customer_id"],
            "p_alive": alive,
            "expected_purchases": before,
            "discounted_purchases": discounted,
            "expected_spend_minor": _to_minor(spend_per_purchase * scale, "expected spend"),
            "clv_minor": _to_minor(spend_per_purchase * discounted * scale, "lifetime value"),
        },
        currency=currency,
        months=int(months),
        monthly_discount_rate=rate,
        unit=unit,
    )


def _discount_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"monthly_discount_rate must be a number, got {value!r}")
    rate = float(value)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"monthly_discount_rate must be finite and not negative, got {value!r}")
    return rate


def _unit_of(purchases: BetaGeo | ParetoNBD, rfm: RFMSummary) -> Unit:
    if purchases.unit is not None and rfm.unit is not None and purchases.unit != rfm.unit:
        raise ValueError(
            f"the purchase model counts time in {purchases.unit} but the RFM summary in "
            f"{rfm.unit}; fit the model to this summary, or summarise in {purchases.unit}"
        )
    unit = purchases.unit or rfm.unit
    if unit is None:
        raise ValueError(
            "neither the purchase model nor the RFM summary states its unit of time ('days' or "
            "'weeks'), which the monthly discounting needs"
        )
    return unit


def _currency_of(spend: GammaGamma, rfm: RFMSummary) -> str:
    if rfm.currency is None:
        raise ValueError("customer lifetime value needs spend: this RFM summary has none")
    if rfm.monetary != "mean_repeat":
        raise ValueError(
            "the Gamma-Gamma spend reads the mean of the repeat purchases; summarise with "
            f"monetary='mean_repeat', not {rfm.monetary!r}"
        )
    if spend.currency is not None and spend.currency != rfm.currency:
        raise ValueError(
            f"the spend model is in {spend.currency} but the RFM summary in {rfm.currency}"
        )
    return rfm.currency


def _to_minor(values: npt.NDArray[np.float64], what: str) -> npt.NDArray[np.int64]:
    """Estimates in minor units (floats) rounded half-even to int64, overflow refused."""
    if bool(np.isnan(values).any()):
        row = int(np.flatnonzero(np.isnan(values))[0])
        raise ValueError(f"the models give no {what} for customer row {row} (NaN)")
    if values.size and not bool((np.abs(values) < INT64_MAX / 2).all()):
        raise MoneyOverflow(f"a customer's {what} does not fit in int64 minor units")
    return np.rint(values).astype(np.int64)

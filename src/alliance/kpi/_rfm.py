"""RFM: each customer's repeat purchases, the age of the last one, their age, and their spend.

The definitions are Fader and Hardie's (and the `lifetimes` package's): a customer's purchases
are grouped by calendar day in the programme's time zone; the first day is their birth and
does not count; ``frequency`` is the number of later days with a purchase (repeat purchases),
``recency`` the customer's age at the last one (0 without one) and ``T`` their age at the end
of the observation. Ages are in days, or in weeks of seven days. The monetary value is the
mean spend per repeat purchase day; money stays exact (integer minor units), and only the
mean, a ratio, is a float (``monetary_value``) or rounded back to minor units
(``monetary_minor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._kernels import INT64_MAX, as_int64, round_quotient
from alliance._money import Money
from alliance._periods import from_micros, period_index, require_aware, to_micros, zone
from alliance._tables import Orders
from alliance.errors import CurrencyMismatch, DataError, MoneyOverflow, Problem
from alliance.kpi._clv_checks import Unit, check_unit, checked_rfm
from alliance.kpi._ratio import ratios

__all__ = ["Monetary", "RFMSummary", "rfm_summary"]

Monetary = Literal["mean_repeat", "mean_all"]
_MONETARY: tuple[Monetary, ...] = ("mean_repeat", "mean_all")
_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_total_minor",
    "monetary_minor",
    "monetary_value",
)
_DAYS_PER_WEEK = 7.0


def _frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values.flags.writeable = False
    return values


class RFMSummary:
    """Frequency, recency, age and spend, one row per customer (see `rfm_summary`).

    Immutable: its attributes cannot be set and its columns are read-only arrays.

    Columns:

    - ``customer_id``: the customer (``str``);
    - ``frequency``: repeat purchase days (int64);
    - ``recency``: age at the last purchase, in `unit` (float64; 0 without a repeat purchase);
    - ``T``: age at the observation end, in `unit` (float64);
    - ``monetary_total_minor``: exact total of the purchases the monetary value averages, in
      minor units of `currency` (int64): the repeat purchases (``monetary="mean_repeat"``) or
      all of them (``"mean_all"``);
    - ``monetary_minor``: their mean per purchase day, rounded half-even to minor units (int64;
      0 when there is none to average);
    - ``monetary_value``: the same mean as a float in major units (``12.5`` for USD 12.50;
      NaN when there is none to average), the input of `GammaGamma`.

    Attributes:
        currency: Currency of the money columns (``None`` when no spend was given).
        unit: ``"days"`` or ``"weeks"`` (``None`` when not stated, for arrays from elsewhere).
        tz: Time zone whose calendar days group the purchases (``None`` for arrays).
        observation_end: The end of the observation (``None`` for arrays).
        monetary: ``"mean_repeat"`` or ``"mean_all"``.
        skipped_without_customer: Orders left out because their customer was missing.
        skipped_after_end: Orders left out because they came after `observation_end`.

    Examples:
        >>> rfm = RFMSummary.from_arrays([2, 0], [30.0, 0.0], [38.0, 12.0])
        >>> len(rfm), rfm["frequency"].tolist(), rfm["customer_id"].tolist()
        (2, [2, 0], ['0', '1'])
    """

    __slots__ = (
        "_columns",
        "_customer_ids",
        "currency",
        "monetary",
        "observation_end",
        "skipped_after_end",
        "skipped_without_customer",
        "tz",
        "unit",
    )

    _columns: dict[str, npt.NDArray[Any]]
    _customer_ids: npt.NDArray[np.object_] | None
    currency: str | None
    unit: Unit | None
    monetary: Monetary
    tz: str | None
    observation_end: datetime | None
    skipped_without_customer: int
    skipped_after_end: int

    def __init__(
        self,
        columns: Mapping[str, npt.NDArray[Any]],
        customer_ids: npt.NDArray[np.object_] | None,
        *,
        currency: str | None,
        unit: Unit | None,
        monetary: Monetary,
        tz: str | None = None,
        observation_end: datetime | None = None,
        skipped_without_customer: int = 0,
        skipped_after_end: int = 0,
    ) -> None:
        fields: dict[str, Any] = {
            "_columns": {name: _frozen(np.asarray(values)) for name, values in columns.items()},
            "_customer_ids": None if customer_ids is None else _frozen(customer_ids),
            "currency": currency,
            "unit": unit,
            "monetary": monetary,
            "tz": tz,
            "observation_end": observation_end,
            "skipped_without_customer": skipped_without_customer,
            "skipped_after_end": skipped_after_end,
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an RFM summary is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"an RFM summary is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        options = {
            "currency": self.currency,
            "unit": self.unit,
            "monetary": self.monetary,
            "tz": self.tz,
            "observation_end": self.observation_end,
            "skipped_without_customer": self.skipped_without_customer,
            "skipped_after_end": self.skipped_after_end,
        }
        return _rebuild, (self._columns, self._customer_ids, options)

    @classmethod
    def from_arrays(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        customer_id: npt.ArrayLike | None = None,
        monetary_total_minor: npt.ArrayLike | None = None,
        currency: str | None = None,
        unit: Unit | None = None,
        monetary: Monetary = "mean_repeat",
    ) -> RFMSummary:
        """An RFM table from arrays computed elsewhere (a data warehouse, a published table).

        Args:
            frequency: Repeat purchases per customer (whole numbers).
            recency: Age at the last repeat purchase (0 without one).
            T: Age at the observation end.
            customer_id: One id per customer, unique; by default ``"0"``, ``"1"``, ….
            monetary_total_minor: Exact total spend of the purchases the monetary value
                averages, integer minor units of ``currency``.
            currency: Currency of ``monetary_total_minor`` (required with it).
            unit: ``"days"`` or ``"weeks"``, the unit of recency and T.
            monetary: Which purchases ``monetary_total_minor`` covers: ``"mean_repeat"``
                (repeat purchases, as `GammaGamma` needs) or ``"mean_all"`` (all of them).

        Raises:
            DataError: Impossible values (negative frequency, recency above T, spend without
                a purchase to average …), every one listed.
            ValueError: Arrays of different lengths, duplicate ids, or spend without currency.
            TypeError: Spend as floats (money must be exact integers of minor units).

        Examples:
            >>> rfm = RFMSummary.from_arrays(
            ...     [2, 0], [30, 0], [38, 12], monetary_total_minor=[2501, 0], currency="USD"
            ... )
            >>> rfm["monetary_minor"].tolist(), rfm["monetary_value"].tolist()
            ([1250, 0], [12.505, nan])
        """
        x, tx, age = checked_rfm(frequency, recency, T)
        if x.ndim != 1:
            raise ValueError(f"frequency, recency and T must be 1-d, got shape {x.shape}")
        size = x.size
        chosen_unit = check_unit(unit, allow_none=True)
        if monetary not in _MONETARY:
            raise ValueError(f"monetary must be 'mean_repeat' or 'mean_all', got {monetary!r}")
        ids: npt.NDArray[np.object_] | None = None
        if customer_id is not None:
            ids = np.asarray(customer_id).astype(str).astype(object).reshape(-1)
            if ids.size != size:
                raise ValueError(
                    f"customer_id must have one id per customer ({size}), got {ids.size}"
                )
            distinct, counts = np.unique(ids.astype(str), return_counts=True)
            if (counts > 1).any():
                repeated = distinct[counts > 1][:5].tolist()
                raise ValueError(f"customer_id must be unique; repeated: {repeated}")
        frequency_int = x.astype(np.int64)
        code = None
        if monetary_total_minor is None:
            if currency is not None:
                raise ValueError("currency is given without monetary_total_minor")
            total = np.zeros(size, dtype=np.int64)
        else:
            if currency is None:
                raise ValueError("monetary_total_minor needs its currency (currency='USD')")
            code = lookup_currency(currency).code
            total = as_int64(monetary_total_minor, "monetary_total_minor").reshape(-1)
            if total.size != size:
                raise ValueError(
                    f"monetary_total_minor must have one value per customer ({size}), "
                    f"got {total.size}"
                )
            averaged = frequency_int if monetary == "mean_repeat" else frequency_int + 1
            problems = [
                Problem(row, "monetary_total_minor", int(total[row]), "spend cannot be negative")
                for row in np.flatnonzero(total < 0).tolist()
            ] + [
                Problem(
                    row,
                    "monetary_total_minor",
                    int(total[row]),
                    "a customer with frequency 0 has no repeat purchase to spend on",
                )
                for row in np.flatnonzero((averaged == 0) & (total != 0)).tolist()
            ]
            if problems:
                raise DataError("customers", sorted(problems, key=lambda p: p.row))
        return cls(
            _columns(frequency_int, tx, age, total, code, monetary),
            ids,
            currency=code,
            unit=chosen_unit,
            monetary=monetary,
        )

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._columns["frequency"].size)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return _COLUMNS

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column by name (read-only)."""
        if name == "customer_id":
            if self._customer_ids is None:
                ids = np.arange(len(self)).astype(str).astype(object)
                return _frozen(ids)
            return self._customer_ids
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"RFM summaries have no column {name!r}; columns: {_COLUMNS}") from None

    @property
    def has_spend(self) -> bool:
        """Whether the table carries spend (a currency and monetary totals)."""
        return self.currency is not None

    def total(self) -> Money:
        """The sum of ``monetary_total_minor`` as `Money`.

        Raises:
            ValueError: The table carries no spend.
        """
        if self.currency is None:
            raise ValueError("this RFM summary carries no spend")
        return Money.from_minor(int(self._columns["monetary_total_minor"].sum()), self.currency)

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary of plain Python values per customer."""
        values = [self[name].tolist() for name in _COLUMNS]
        return [dict(zip(_COLUMNS, row, strict=True)) for row in zip(*values, strict=True)]

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "RFMSummary.to_pandas")
        return pandas.DataFrame({name: self[name] for name in _COLUMNS})

    def __repr__(self) -> str:
        parts = [f"{len(self):,} customers"]
        if self.currency is not None:
            parts.append(f"spend in {self.currency} ({self.monetary})")
        if self.unit is not None:
            parts.append(f"ages in {self.unit}" + (f" of {self.tz}" if self.tz else ""))
        if self.observation_end is not None:
            parts.append(f"observed to {self.observation_end.isoformat()}")
        if self.skipped_without_customer:
            parts.append(f"{self.skipped_without_customer:,} orders without a customer skipped")
        if self.skipped_after_end:
            parts.append(f"{self.skipped_after_end:,} orders after the end skipped")
        return f"RFMSummary({'; '.join(parts)})"


def _rebuild(
    columns: Mapping[str, npt.NDArray[Any]],
    customer_ids: npt.NDArray[np.object_] | None,
    options: dict[str, Any],
) -> RFMSummary:
    """An unpickled `RFMSummary` (its arrays read-only again)."""
    return RFMSummary({k: v.copy() for k, v in columns.items()}, customer_ids, **options)


def _columns(
    frequency: npt.NDArray[np.int64],
    recency: npt.NDArray[np.float64],
    T: npt.NDArray[np.float64],
    total: npt.NDArray[np.int64],
    currency: str | None,
    monetary: Monetary,
) -> dict[str, npt.NDArray[Any]]:
    """The numeric columns, with both forms of the mean spend derived from the exact total."""
    averaged = frequency if monetary == "mean_repeat" else frequency + 1
    mean_minor = round_quotient(total, np.maximum(averaged, 1), "half_even")
    scale = 10 ** lookup_currency(currency).exponent if currency is not None else 1
    return {
        "frequency": frequency,
        "recency": recency,
        "T": T,
        "monetary_total_minor": total,
        "monetary_minor": mean_minor.astype(np.int64, copy=False),
        "monetary_value": ratios(total, averaged * scale),
    }


def rfm_summary(
    orders: Orders,
    *,
    customer: str = "customer_id",
    observation_end: datetime | None = None,
    unit: Unit = "days",
    tz: str = "UTC",
    currency: str | None = None,
    fx: FxRates | None = None,
    monetary: Monetary = "mean_repeat",
) -> RFMSummary:
    """Frequency, recency, age and spend per customer from their orders.

    A customer's orders are grouped by calendar day in ``tz`` (several orders on one day are
    one purchase, their amounts summed). The first day is the customer's birth; then

    - ``frequency`` = the number of later days with a purchase (repeat purchases);
    - ``recency`` = days (or weeks) from the first day to the last one, 0 without a repeat;
    - ``T`` = days (or weeks) from the first day to the day of ``observation_end``;
    - monetary value = the mean spend per repeat purchase day (``monetary="mean_repeat"``,
      the Gamma-Gamma input) or per purchase day including the first (``"mean_all"``).

    Orders without a customer, and orders after ``observation_end``, are left out and
    counted (`RFMSummary.skipped_without_customer`, `RFMSummary.skipped_after_end`). Amounts
    in other currencies are converted at each order's instant with ``fx``, rounding each
    order once; reversals are not taken off (net them first if they should be).

    Args:
        orders: The orders.
        customer: The column that identifies a customer (``customer_id``, ``email_hash``, an
            extra column …).
        observation_end: End of the observation (aware datetime); by default the instant of
            the latest order (with a customer or not: the data run to then).
        unit: ``"days"`` or ``"weeks"`` (7 days) for recency and T.
        tz: The programme's time zone, whose calendar days group the purchases.
        currency: The currency of the result; by default the orders' one currency.
        fx: Rates that convert orders in other currencies to ``currency``.
        monetary: ``"mean_repeat"`` (default) or ``"mean_all"``.

    Returns:
        One row per customer, sorted by customer id.

    Raises:
        TypeError: ``orders`` is not an `Orders` table.
        ValueError: An unknown column, unit or monetary option.
        CurrencyMismatch: Orders in several currencies (or not in ``currency``) without
            ``fx``, or several currencies with ``fx`` but no target ``currency``.
        MissingRate: ``fx`` has no rate for an order.
        TimezoneError: A naive ``observation_end`` or an unknown ``tz``.
        MoneyOverflow: Totals past the int64 range.

    Examples:
        >>> import alliance as al
        >>> orders = al.Orders.from_records([
        ...     {"order_id": "1", "ts": "2026-01-01T10:00:00+00:00", "amount": "30.00",
        ...      "currency": "USD", "customer_id": "ann"},
        ...     {"order_id": "2", "ts": "2026-01-05T09:00:00+00:00", "amount": "20.00",
        ...      "currency": "USD", "customer_id": "ann"},
        ...     {"order_id": "3", "ts": "2026-01-05T18:00:00+00:00", "amount": "5.00",
        ...      "currency": "USD", "customer_id": "ann"},
        ...     {"order_id": "4", "ts": "2026-01-11T12:00:00+00:00", "amount": "40.00",
        ...      "currency": "USD", "customer_id": "bob"},
        ... ])
        >>> rfm = rfm_summary(orders)
        >>> rfm["customer_id"].tolist(), rfm["frequency"].tolist()
        (['ann', 'bob'], [1, 0])
        >>> rfm["recency"].tolist(), rfm["T"].tolist()
        ([4.0, 0.0], [10.0, 0.0])
        >>> rfm["monetary_minor"].tolist(), rfm["monetary_value"].tolist()
        ([2500, 0], [25.0, nan])
    """
    if not isinstance(orders, Orders):
        raise TypeError(f"orders must be an Orders table, got {type(orders).__name__}")
    chosen_unit = check_unit(unit)
    if monetary not in _MONETARY:
        raise ValueError(f"monetary must be 'mean_repeat' or 'mean_all', got {monetary!r}")
    if customer not in orders.columns:
        raise ValueError(
            f"orders have no column {customer!r} to identify customers; columns: "
            f"{', '.join(orders.columns)}"
        )
    if fx is not None and not isinstance(fx, FxRates):
        raise TypeError(f"fx must be FxRates, got {type(fx).__name__}")
    zone(tz)  # an unknown zone fails here, in words
    target = lookup_currency(currency).code if currency is not None else None
    codes, names = _customer_codes(orders, customer)
    stamps = orders["ts"]
    known = codes >= 0
    skipped_without = int(codes.size - np.count_nonzero(known))
    if observation_end is not None:
        end_us = to_micros(require_aware(observation_end, name="observation_end"))
    elif stamps.size:
        end_us = int(stamps.max())
    else:
        end_us = None
    late = known & (stamps > end_us) if end_us is not None else np.zeros(codes.size, bool)
    rows = np.flatnonzero(known & ~late)
    skipped_late = int(np.count_nonzero(late))
    end = from_micros(end_us, tz) if end_us is not None else None
    amounts, result_currency = _amounts(orders, rows, target, fx)
    if rows.size == 0 or end_us is None:
        empty = np.zeros(0, dtype=np.int64)
        return RFMSummary(
            _columns(
                empty, empty.astype(float), empty.astype(float), empty, result_currency, monetary
            ),
            np.zeros(0, dtype=object),
            currency=result_currency,
            unit=chosen_unit,
            monetary=monetary,
            tz=tz,
            observation_end=end,
            skipped_without_customer=skipped_without,
            skipped_after_end=skipped_late,
        )
    day_codes, _ = period_index(np.append(stamps[rows], end_us), "day", tz=tz)
    days, end_day = day_codes[:-1], int(day_codes[-1])
    customer_of = codes[rows].astype(np.int64)
    # One run per (customer, day): sort by customer, then day.
    key = customer_of * (end_day + 1) + days
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    day_total = np.add.reduceat(amounts[order], starts)
    run_customer, run_day = np.divmod(key[starts], end_day + 1)
    first = np.flatnonzero(np.r_[True, run_customer[1:] != run_customer[:-1]])
    runs = np.diff(np.append(first, run_customer.size))
    last = first + runs - 1
    frequency = (runs - 1).astype(np.int64)
    scale = _DAYS_PER_WEEK if chosen_unit == "weeks" else 1.0
    recency = (run_day[last] - run_day[first]).astype(np.float64) / scale
    age = (end_day - run_day[first]).astype(np.float64) / scale
    total = np.add.reduceat(day_total, first)
    if monetary == "mean_repeat":
        total = total - day_total[first]
    return RFMSummary(
        _columns(frequency, recency, age, total, result_currency, monetary),
        names[run_customer[first]],
        currency=result_currency,
        unit=chosen_unit,
        monetary=monetary,
        tz=tz,
        observation_end=end,
        skipped_without_customer=skipped_without,
        skipped_after_end=skipped_late,
    )


def _customer_codes(
    orders: Orders, column: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """Per order, a code of its customer (-1 when missing), and the ids the codes index."""
    try:
        encoded, categories = orders.codes(column)
        return encoded.astype(np.int64), np.asarray(categories, dtype=object)
    except (TypeError, KeyError):
        pass  # not dictionary-encoded (an extra column or a number): factorize it here
    values = orders[column]
    missing = np.fromiter(
        (v is None or (isinstance(v, float) and v != v) for v in values.tolist()),
        dtype=bool,
        count=len(values),
    )
    codes = np.full(len(values), -1, dtype=np.int64)
    present = np.flatnonzero(~missing)
    distinct, inverse = np.unique(values[present].astype(str), return_inverse=True)
    codes[present] = inverse.reshape(-1)
    return codes, distinct.astype(object)


def _amounts(
    orders: Orders, rows: npt.NDArray[np.intp], target: str | None, fx: FxRates | None
) -> tuple[npt.NDArray[np.int64], str | None]:
    """The amounts of ``rows`` in one currency, and that currency."""
    currency_codes, categories = orders.codes("currency")
    used_codes = np.unique(currency_codes[rows]) if rows.size else np.zeros(0, np.int32)
    used = [str(categories[c]) for c in used_codes.tolist()]
    amounts = orders["amount"][rows]
    if amounts.size and float(amounts.sum(dtype=np.float64)) >= INT64_MAX / 2:
        raise MoneyOverflow("the orders' amounts sum past the int64 range of minor units")
    if target is None:
        if len(used) > 1:
            raise CurrencyMismatch(
                f"orders are in {', '.join(used)}: give currency= (and fx= to convert them) "
                "for one customer value in one currency"
            )
        return amounts, (used[0] if used else None)
    if all(code == target for code in used):
        return amounts, target
    if fx is None:
        others = ", ".join(code for code in used if code != target)
        raise CurrencyMismatch(
            f"orders are in {others}, not {target}: give fx= (FxRates) to convert them"
        )
    converted = fx.convert_minor(
        amounts, categories[currency_codes[rows]].astype(str), target, at=orders["ts"][rows]
    )
    if converted.size and float(converted.sum(dtype=np.float64)) >= INT64_MAX / 2:
        raise MoneyOverflow("the converted amounts sum past the int64 range of minor units")
    return converted, target

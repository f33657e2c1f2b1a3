"""Public batch twins of the scalar money operations, on int64 minor units.

Each function here gives, row for row, the cent that the scalar `Money` operation gives:

| batch | scalar |
| --- | --- |
| `multiply_minor(minor, rate)` | ``(Money.from_minor(m, c) * Decimal(rate)).round()`` |
| `rescale_minor(values, exponent=4, to_exponent=2)` | ``Money(Decimal(v).scaleb(-4), c).round()`` |
| `allocate_minor(totals, weights, groups)` | ``allocate(Money.from_minor(t, c), weights)`` |
| `FxRates.convert_minor` | `FxRates.convert` |
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._kernels import (
    allocate_minor as _allocate_minor,
)
from alliance._kernels import (
    as_int64,
    decimal_to_ratio,
    mul_div_round,
    rounding_mode,
)
from alliance._money import parse_amount

__all__ = ["allocate_minor", "multiply_minor", "rescale_minor"]

Int64Array = npt.NDArray[np.int64]


def multiply_minor(
    minor: npt.ArrayLike,
    rate: str | int | Decimal | Sequence[str | int | Decimal],
    *,
    mode: str = "half_even",
) -> Int64Array:
    """Multiply amounts in minor units by an exact decimal rate, rounding each product once.

    Args:
        minor: Amounts in minor units (int64).
        rate: One exact rate for all rows (``"0.075"``, ``Decimal("1.5")``) or one per row.
            Floats are refused.
        mode: Rounding mode (see `alliance.ROUNDING_MODES`).

    Returns:
        The rounded products in the same minor units.

    Raises:
        FloatNotAllowed: A rate is a float.
        MoneyOverflow: A product does not fit in int64.

    Examples:
        >>> multiply_minor([1999, 1000, 5], "0.075").tolist()
        [150, 75, 0]
    """
    amounts = as_int64(minor, "minor")
    chosen = rounding_mode(mode)
    if isinstance(rate, str) or not isinstance(rate, Sequence | np.ndarray):
        numerator, denominator = decimal_to_ratio(parse_amount(rate, what="rate"))
        return mul_div_round(amounts, numerator, denominator, chosen)
    rates = list(rate)
    if len(rates) != amounts.size:
        raise ValueError(f"got {len(rates)} rates for {amounts.size} amounts")
    cache: dict[Any, tuple[int, int]] = {}
    numerators = np.empty(len(rates), dtype=object)
    denominators = np.empty(len(rates), dtype=object)
    for position, value in enumerate(rates):
        key = (type(value), value)
        if key not in cache:
            cache[key] = decimal_to_ratio(parse_amount(value, what=f"rate[{position}]"))
        numerators[position], denominators[position] = cache[key]
    if max(abs(n) for n in numerators) < 2**63 and max(denominators) < 2**63:
        return mul_div_round(
            amounts, numerators.astype(np.int64), denominators.astype(np.int64), chosen
        )
    return mul_div_round(amounts, numerators, denominators, chosen)


def rescale_minor(
    values: npt.ArrayLike, *, exponent: int, to_exponent: int, mode: str = "half_even"
) -> Int64Array:
    """Round amounts held at a finer exponent to a currency's minor unit (or scale up exactly).

    Args:
        values: Amounts as integers at ``exponent`` decimal places (e.g. 4 for 1/10000).
        exponent: Decimal places of ``values``.
        to_exponent: Decimal places wanted (the currency's minor unit).
        mode: Rounding mode, used when ``to_exponent < exponent``.

    Examples:
        >>> rescale_minor([12345, 12350, -12350], exponent=4, to_exponent=2).tolist()
        [123, 124, -124]
    """
    amounts = as_int64(values, "values")
    if to_exponent >= exponent:
        return mul_div_round(amounts, 10 ** (to_exponent - exponent), 1, rounding_mode(mode))
    return mul_div_round(amounts, 1, 10 ** (exponent - to_exponent), rounding_mode(mode))


def allocate_minor(
    totals: npt.ArrayLike, weights: npt.ArrayLike, groups: npt.ArrayLike | None = None
) -> Int64Array:
    """Split totals over rows by largest remainder; each group's parts add up to its total.

    Batch twin of `alliance.allocate`: ``totals[g]`` is split over the rows whose
    ``groups`` value is ``g``, in proportion to their integer ``weights``; ties go to the
    earlier row.

    Args:
        totals: One total per group, in minor units.
        weights: One non-negative integer weight per row.
        groups: Group of each row (``None``: every row is in group 0).

    Returns:
        Each row's part, in minor units.

    Raises:
        ValueError: Negative weights, or a group whose weights are all zero.

    Examples:
        >>> allocate_minor([10000, 7], [1, 1, 1, 2, 1], [0, 0, 0, 1, 1]).tolist()
        [3334, 3333, 3333, 5, 2]
    """
    return _allocate_minor(
        as_int64(totals, "totals"),
        as_int64(weights, "weights"),
        None if groups is None else as_int64(groups, "groups"),
    )

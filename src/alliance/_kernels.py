"""Exact integer primitives shared by the scalar and the batch paths.

Every rounding of money in `alliance` goes through `round_quotient`: the scalar path calls it
with Python integers, the batch path with int64 (or, past int64, object) numpy arrays. The
formula is written once and is generic over both, so a cent computed one order at a time is
the cent computed over ten million rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, Overflow, Underflow
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt

from alliance.errors import InvalidAmount, MoneyOverflow

__all__ = [
    "INT64_MAX",
    "ROUNDING_MODES",
    "RoundingMode",
    "allocate_minor",
    "as_int64",
    "decimal_to_minor",
    "decimal_to_ratio",
    "mul_div_round",
    "round_quotient",
    "rounding_mode",
    "runs",
    "spread_minor",
]

INT64_MAX = 2**63 - 1

RoundingMode = Literal["half_even", "half_up", "half_down", "down", "up", "floor", "ceiling"]

#: The rounding modes, in the names `alliance` uses; `decimal` module constants are accepted too.
ROUNDING_MODES: tuple[RoundingMode, ...] = (
    "half_even",
    "half_up",
    "half_down",
    "down",
    "up",
    "floor",
    "ceiling",
)

_DECIMAL_NAMES: dict[str, RoundingMode] = {
    "ROUND_HALF_EVEN": "half_even",
    "ROUND_HALF_UP": "half_up",
    "ROUND_HALF_DOWN": "half_down",
    "ROUND_DOWN": "down",
    "ROUND_UP": "up",
    "ROUND_FLOOR": "floor",
    "ROUND_CEILING": "ceiling",
}

Int64Array = npt.NDArray[np.int64]
_N = TypeVar("_N", int, npt.NDArray[Any])


def rounding_mode(mode: str) -> RoundingMode:
    """Normalise a rounding mode name.

    Args:
        mode: One of `ROUNDING_MODES` (``"half_even"`` …) or a `decimal` constant such as
            ``decimal.ROUND_HALF_UP``.

    Returns:
        The mode in `alliance` spelling.

    Raises:
        ValueError: The mode is not a known rounding mode.
    """
    if mode in ROUNDING_MODES:
        return mode
    if isinstance(mode, str) and mode in _DECIMAL_NAMES:
        return _DECIMAL_NAMES[mode]
    raise ValueError(f"unknown rounding mode {mode!r}; expected one of {', '.join(ROUNDING_MODES)}")


def round_quotient(numerator: _N, denominator: _N | int, mode: RoundingMode) -> _N:
    """Round ``numerator / denominator`` to an integer, exactly.

    Works elementwise on numpy integer or object arrays and on plain Python integers with the
    same code, which is the point: there is one rounding rule.

    Args:
        numerator: Integer(s) to divide.
        denominator: Strictly positive integer(s).
        mode: How ties and remainders round (see `ROUNDING_MODES`); ``down`` and ``up`` are
            toward and away from zero, ``floor`` and ``ceiling`` toward minus and plus infinity.

    Returns:
        The rounded quotient, of the numerator's kind.
    """
    single = _single(numerator, denominator)
    if single is not None:
        # One value (an order on its own): the same rule on Python integers, which is faster
        # than the array operations on a single element.
        whole = round_quotient(single[0], single[1], mode)
        return cast(_N, np.array([whole], dtype=np.int64))  # type: ignore[redundant-cast]
    if isinstance(numerator, np.ndarray) and numerator.dtype != object:
        quotient, remainder = np.divmod(numerator, denominator)  # one pass for both
    else:  # Python ints, or object arrays of them (np.divmod has no object loop)
        quotient = numerator // denominator
        remainder = numerator - quotient * denominator
    # remainder is in [0, denominator); compare 2r with d as r with d - r to stay in int64.
    above = remainder > denominator - remainder
    tie = remainder == denominator - remainder
    inexact = remainder != 0
    negative = numerator < 0
    non_negative = numerator >= 0  # not `~negative`: on a Python bool `~` is integer negation
    if mode == "half_even":
        bump = above | (tie & ((quotient & 1) == 1))
    elif mode == "half_up":
        bump = above | (tie & non_negative)
    elif mode == "half_down":
        bump = above | (tie & negative)
    elif mode == "down":
        bump = inexact & negative
    elif mode == "up":
        bump = inexact & non_negative
    elif mode == "floor":
        bump = remainder < 0
    else:  # ceiling
        bump = inexact
    if isinstance(quotient, int):
        return cast(_N, quotient + int(bool(bump)))  # type: ignore[redundant-cast]
    return cast(_N, quotient + bump)


def _single(numerator: object, denominator: object) -> tuple[int, int] | None:
    """Both operands as Python integers, when each is a single value; otherwise ``None``.

    A single value is an int64 array shaped ``(1,)``, or for the denominator a Python integer.
    """
    if not (
        isinstance(numerator, np.ndarray)
        and numerator.shape == (1,)
        and numerator.dtype == np.int64
    ):
        return None
    if isinstance(denominator, int) and not isinstance(denominator, bool):
        return int(numerator[0]), denominator
    if (
        isinstance(denominator, np.ndarray)
        and denominator.shape == (1,)
        and denominator.dtype == np.int64
    ):
        return int(numerator[0]), int(denominator[0])
    return None


def decimal_to_ratio(value: Decimal) -> tuple[int, int]:
    """Split a finite decimal into ``(numerator, power_of_ten_denominator)`` exactly."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise InvalidAmount(f"{value!r} is not a finite number")
    numerator = int("".join(map(str, digits)) or "0")
    if sign:
        numerator = -numerator
    if exponent >= 0:
        return numerator * 10**exponent, 1
    return numerator, 10**-exponent


#: Decimal arithmetic that never rounds: an operation that would raises `Inexact` instead.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Overflow, Underflow])


def decimal_to_minor(value: Decimal, exponent: int, mode: RoundingMode | None) -> int:
    """Express a decimal amount in minor units of ``exponent`` decimal places.

    Args:
        value: The amount.
        exponent: The currency's minor unit (2 for USD, 0 for JPY).
        mode: Rounding mode, or ``None`` to require the amount to be exact in minor units.

    Returns:
        The amount in minor units.

    Raises:
        InvalidAmount: ``mode`` is ``None`` and the amount is finer than the minor unit.
    """
    if value.is_finite():
        # The common case, an amount already in whole minor units, without building digits;
        # the context refuses to round, so a result is always exact.
        try:
            scaled = value.scaleb(exponent, context=_EXACT)
            if scaled == scaled.to_integral_value(context=_EXACT):
                return int(scaled)
        except (Inexact, Overflow, Underflow):
            pass
    numerator, denominator = decimal_to_ratio(value)
    scale: int = 10**exponent
    numerator *= scale
    if numerator % denominator == 0:
        return numerator // denominator
    if mode is None:
        raise InvalidAmount(
            f"{value} has more than {exponent} decimal place{'s' if exponent != 1 else ''}; "
            "round it first"
        )
    return round_quotient(numerator, denominator, mode)


def as_int64(values: npt.ArrayLike, name: str) -> Int64Array:
    """Integer minor units (or codes) as int64; floats and out-of-range values refused."""
    array = np.asarray(values)
    if array.size == 0:
        # np.asarray([]) is float64; an empty list is still a valid empty column.
        return np.zeros(array.shape, dtype=np.int64)
    if array.dtype.kind == "f":
        raise TypeError(
            f"{name} must hold integers, got floats ({array.dtype}); "
            "a float cannot hold money exactly"
        )
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.size and int(array.max()) > INT64_MAX:
        raise MoneyOverflow(f"{name} holds values past the int64 range")
    return array.astype(np.int64, copy=False)


def _positions(mask: npt.NDArray[np.bool_], rows: npt.NDArray[np.intp], limit: int = 10) -> str:
    rows = rows[np.flatnonzero(mask)]
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"rows {shown}{more}"


def mul_div_round(
    values: npt.ArrayLike,
    numerator: int | npt.ArrayLike,
    denominator: int | npt.ArrayLike,
    mode: RoundingMode,
    *,
    positions: npt.ArrayLike | None = None,
) -> Int64Array:
    """Exactly ``round(values * numerator / denominator)`` over int64 arrays.

    Rows whose product fits in int64 take the vectorised path; the others (rare: huge amounts
    times many-digit rates) are computed with Python integers, so the result is exact for
    every row. A result that does not fit in int64 is an error, never a wrap-around.

    Args:
        values: Amounts in minor units (int64).
        numerator: Rate numerator(s), scalar or one per row; any sign.
        denominator: Rate denominator(s), strictly positive.
        mode: Rounding mode.
        positions: The caller's row number of each value, for error messages; by default
            the values' own positions.

    Returns:
        The rounded products as int64.

    Raises:
        MoneyOverflow: A result does not fit in int64 (the rows are named).
        ValueError: A denominator is not positive.
    """
    amounts = as_int64(values, "values")
    if amounts.shape == (1,):
        single = _single(amounts, numerator)
        divisor = _single(amounts, denominator)
        if single is not None and divisor is not None and divisor[1] > 0:
            # One value: the same rounding on Python integers, exact; a result past int64
            # takes the general path below, which names the row.
            whole = round_quotient(single[0] * single[1], divisor[1], mode)
            if -INT64_MAX <= whole <= INT64_MAX:
                return np.array([whole], dtype=np.int64)
    rows = np.arange(amounts.size) if positions is None else np.asarray(positions).reshape(-1)
    if _needs_exact(numerator) or _needs_exact(denominator):
        return _mul_div_round_exact(amounts, numerator, denominator, mode, rows)
    num = np.broadcast_to(as_int64(numerator, "numerator"), amounts.shape)
    den = np.broadcast_to(as_int64(denominator, "denominator"), amounts.shape)
    if den.size and int(den.min()) <= 0:
        raise ValueError("denominators must be strictly positive")
    if _products_fit(amounts, num):
        return round_quotient(amounts * num, den, mode)
    abs_num = np.abs(num)
    limit = np.where(abs_num == 0, INT64_MAX, INT64_MAX // np.maximum(abs_num, 1))
    fits = (amounts >= -INT64_MAX) & (np.abs(np.maximum(amounts, -INT64_MAX)) <= limit)
    if bool(fits.all()):
        return round_quotient(amounts * num, den, mode)
    result = np.empty(amounts.shape, dtype=np.int64)
    result[fits] = round_quotient(amounts[fits] * num[fits], den[fits], mode)
    slow = ~fits
    result[slow] = _mul_div_round_exact(
        amounts[slow], num[slow], den[slow], mode, rows[slow.reshape(-1)]
    )
    return result


def _products_fit(amounts: Int64Array, numerators: npt.NDArray[np.int64]) -> bool:
    """Whether every ``amount * numerator`` fits in int64, judged from the extremes alone."""
    if amounts.size == 0:
        return True
    largest_amount = max(abs(int(amounts.max())), abs(int(amounts.min())))
    largest_numerator = max(abs(int(numerators.max())), abs(int(numerators.min())))
    return largest_amount * largest_numerator <= INT64_MAX


def _needs_exact(value: int | npt.ArrayLike) -> bool:
    """Whether a rate part is beyond int64 (a Python int past it, or an object array)."""
    if isinstance(value, int):
        return abs(value) > INT64_MAX
    return np.asarray(value).dtype == object


def _mul_div_round_exact(
    amounts: Int64Array,
    numerator: int | npt.ArrayLike,
    denominator: int | npt.ArrayLike,
    mode: RoundingMode,
    rows: npt.NDArray[np.intp],
) -> Int64Array:
    nums = np.broadcast_to(np.asarray(numerator, dtype=object), amounts.shape)
    dens = np.broadcast_to(np.asarray(denominator, dtype=object), amounts.shape)
    if any(int(d) <= 0 for d in dens.ravel()):
        raise ValueError("denominators must be strictly positive")
    products = amounts.astype(object) * nums
    rounded = round_quotient(products, dens, mode)
    too_big = np.array([abs(int(v)) > INT64_MAX for v in rounded.ravel()], dtype=bool)
    if too_big.any():
        raise MoneyOverflow(
            f"result does not fit in int64 minor units at {_positions(too_big, rows)}; "
            "split the amounts or use the scalar Money path"
        )
    result: Int64Array = rounded.astype(np.int64)
    return result


def allocate_minor(
    totals: npt.ArrayLike,
    weights: npt.ArrayLike,
    groups: npt.ArrayLike | None = None,
) -> Int64Array:
    """Split each group's total over its rows by largest remainder, exactly.

    Each row receives the floor or the ceiling of its exact share ``total * w / sum(w)``; the
    units left after flooring go to the largest remainders, ties to the earlier row. Parts
    always add up to the total. A negative total is split as its magnitude and negated.

    Args:
        totals: One total per group, in minor units (int64).
        weights: One non-negative integer weight per row: int64, or an object array of
            Python integers for weights past int64 (exact, on the slow path).
        groups: Group number of each row, in ``range(len(totals))``; ``None`` means every row
            belongs to the single group 0.

    Returns:
        The part of each row, in minor units, in the order of ``weights``.

    Raises:
        ValueError: Negative weights, a group whose weights are all zero, or a non-zero total
            whose group has no rows.
        MoneyOverflow: A total is -2**63, whose magnitude does not fit in int64.
    """
    total_by_group = as_int64(np.atleast_1d(totals), "totals")
    row_weights = _as_weights(weights)
    if groups is None:
        row_groups = np.zeros(row_weights.shape, dtype=np.int64)
    else:
        row_groups = as_int64(groups, "groups")
    return _allocate(total_by_group, row_weights, row_groups, _Runs.of(row_groups, row_weights))


def _allocate(
    total_by_group: Int64Array,
    row_weights: npt.NDArray[Any],
    row_groups: Int64Array,
    runs: _Runs | None,
) -> Int64Array:
    """`allocate_minor` on checked arrays; ``runs`` when the rows are in group order."""
    if total_by_group.size and int(total_by_group.min()) < -INT64_MAX:
        raise MoneyOverflow("totals hold -2**63, whose magnitude does not fit in int64")
    if row_weights.size and int(row_weights.min()) < 0:
        raise ValueError("weights must be non-negative")
    group_count = total_by_group.size
    if row_groups.shape != row_weights.shape:
        raise ValueError("groups must give one group number per weight")
    # Rows in group order: the runs name the groups present, smallest first.
    named = runs.group if runs is not None else row_groups
    if row_weights.size and (int(named.min()) < 0 or int(named.max()) >= group_count):
        raise ValueError("group numbers must index into totals")
    present = np.zeros(group_count, dtype=bool)
    present[named] = True
    orphaned = ~present & (total_by_group != 0)
    if orphaned.any():
        bad = np.flatnonzero(orphaned)[:10].tolist()
        raise ValueError(f"non-zero total(s) in group(s) {bad} have no rows to allocate to")
    if row_weights.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Integer sums (bincount with weights would go through float64).
    weight_sum = _group_sums(
        row_weights,
        row_groups,
        group_count,
        object if _sum_may_overflow(row_weights) else None,
        runs,
    )
    empty = present & (weight_sum == 0)
    if empty.any():
        bad = np.flatnonzero(empty)[:10].tolist()
        raise ValueError(f"all weights are zero in group(s) {bad}; nothing to allocate by")
    magnitude = np.abs(total_by_group)
    if runs is not None:  # each run's value repeated over its rows reads them in sequence
        row_total = np.repeat(magnitude[runs.group], runs.length)
        row_sum = np.repeat(weight_sum[runs.group], runs.length)
    else:
        row_total = magnitude[row_groups]
        row_sum = weight_sum[row_groups]
    big = weight_sum.dtype == object or (
        int(row_weights.max()) > 0 and int(magnitude.max()) > INT64_MAX // int(row_weights.max())
    )
    if big:
        product = row_total.astype(object) * row_weights.astype(object)
        row_sum = row_sum.astype(object)
    else:
        product = row_total * row_weights
    if big:
        floor_part = product // row_sum
        remainder = product - floor_part * row_sum
    else:
        floor_part, remainder = np.divmod(product, row_sum)
    floored_sum = _group_sums(
        floor_part, row_groups, group_count, object if big else None, None if big else runs
    )
    leftover = (magnitude - floored_sum).astype(np.int64)
    parts = floor_part.astype(np.int64, copy=False)
    # The units left over go to the rows with the largest remainders, earlier rows on ties.
    # Remainders of one group share a denominator, so comparing numerators compares the
    # fractions.
    span = int(weight_sum.max()) if weight_sum.size else 1
    chosen = None if big or runs is None else runs.best(remainder, leftover[runs.group], span)
    if chosen is not None:
        parts += chosen
        index = np.zeros(0, dtype=np.int64)
    else:  # only groups with units left over need their rows ranked
        index = np.flatnonzero(leftover[row_groups] > 0)
    if index.size:
        groups_left, remainder_left = row_groups[index], remainder[index]
        parts[index] += _gets_a_unit(groups_left, remainder_left, leftover, span, group_count, big)
    if bool((total_by_group < 0).any()):
        parts *= np.where(total_by_group < 0, -1, 1)[row_groups]
    result: Int64Array = parts
    return result


def runs(values: npt.NDArray[Any]) -> tuple[Int64Array, Int64Array]:
    """Runs of equal adjacent values: each run's first position, and each position's run."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    fresh = np.ones(values.size, dtype=bool)
    fresh[1:] = values[1:] != values[:-1]
    run_of: Int64Array = np.cumsum(fresh, dtype=np.int64) - 1
    return np.flatnonzero(fresh).astype(np.int64, copy=False), run_of


@dataclass(frozen=True)
class _Runs:
    """Rows in group order (each group's rows adjacent), as the engine keeps order lines.

    Attributes:
        starts: First row of each run (a group with rows).
        group: Group of each run.
        run_of: Run of each row.
        length: Rows in each run.
    """

    starts: Int64Array
    group: Int64Array
    run_of: Int64Array
    length: Int64Array

    @classmethod
    def of(cls, groups: Int64Array, weights: npt.NDArray[Any] | None = None) -> _Runs | None:
        """The runs of ``groups`` when they are in order (int64 weights), else ``None``."""
        if groups.size == 0 or (weights is not None and weights.dtype == object):
            return None
        if not bool(np.all(groups[1:] >= groups[:-1])):
            return None
        starts, run_of = runs(groups)
        return cls(starts, groups[starts], run_of, np.diff(starts, append=groups.size))

    def best(
        self, remainder: Int64Array, count: Int64Array, span: int
    ) -> npt.NDArray[np.bool_] | None:
        """Whether each row is among the ``count`` (per run) best of its run.

        Best: larger remainder (below ``span``), then the earlier row. One stable sort on a
        single key (run, then descending remainder) ranks every row; rows already in run order
        make the key nearly sorted, which the sort handles quickly. ``None`` when the key would
        not fit in int64.
        """
        if self.starts.size > INT64_MAX // max(span, 1):
            return None
        key = self.run_of * span
        key += span - 1
        key -= remainder
        order = np.argsort(key, kind="stable")
        # Sorting by run first keeps every run where it was: the row sorted to position p is
        # ranked p - (its run's start), and its run is the one at p.
        rank = np.arange(key.size, dtype=np.int64)
        rank -= np.repeat(self.starts, self.length)
        chosen: npt.NDArray[np.bool_] = np.empty(key.size, dtype=bool)
        chosen[order] = rank < np.repeat(count, self.length)
        return chosen


def _gets_a_unit(
    groups: Int64Array,
    remainder: npt.NDArray[Any],
    leftover: Int64Array,
    span: int,
    group_count: int,
    big: bool,
) -> npt.NDArray[np.bool_]:
    """Whether each row is among its group's ``leftover`` best: larger remainder, then earlier.

    ``groups`` holds every row of each group it names; ``remainder`` values are below ``span``.
    """
    size = groups.size
    index = np.arange(size)
    if big:
        order = np.asarray(
            sorted(range(size), key=lambda i: (groups[i], -remainder[i], i)), dtype=np.int64
        )
    elif group_count * span <= INT64_MAX:
        # One stable sort on a single key (group, then descending remainder; remainder <
        # span) is several times faster than a three-key lexsort, and keeps earlier rows first.
        order = np.argsort(groups * span + (span - 1 - remainder), kind="stable")
    else:
        order = np.lexsort((index, -remainder, groups))
    sorted_groups = groups[order]
    counts = np.bincount(groups, minlength=group_count)
    group_start = np.cumsum(counts) - counts
    rank = np.empty(size, dtype=np.int64)
    rank[order] = index - group_start[sorted_groups]
    ranked: npt.NDArray[np.bool_] = rank < leftover[groups]
    return ranked


def _group_sums(
    values: npt.NDArray[Any], groups: Int64Array, count: int, dtype: Any, runs: _Runs | None
) -> npt.NDArray[Any]:
    """Per group, the exact sum of its rows' values (int64, or ``dtype=object`` for big ones).

    Rows in group order (``runs`` given) are summed run by run.
    """
    sums = np.zeros(count, dtype=dtype or np.int64)
    if runs is not None and dtype is None:
        sums[runs.group] = np.add.reduceat(values.astype(np.int64, copy=False), runs.starts)
    else:
        np.add.at(sums, groups, values.astype(sums.dtype))
    return sums


def spread_minor(
    totals: npt.ArrayLike, weights: npt.ArrayLike, groups: npt.ArrayLike
) -> Int64Array:
    """`allocate_minor`, with equal weights in a group whose weights are all zero.

    The split of an order-level amount (a fee, a discount, a rounded total) over lines that may
    all weigh nothing: rather than refuse, share it equally, still by largest remainder.
    """
    row_weights = as_int64(weights, "weights")
    row_groups = as_int64(groups, "groups")
    total_by_group = as_int64(np.atleast_1d(totals), "totals")
    if row_groups.shape != row_weights.shape:
        raise ValueError("groups must give one group number per weight")
    runs = _Runs.of(row_groups, row_weights)
    sums = _group_sums(row_weights, row_groups, total_by_group.size, None, runs)
    if bool((sums == 0).any()):
        row_weights = np.where(sums[row_groups] > 0, row_weights, 1)
    return _allocate(total_by_group, row_weights, row_groups, runs)


def _as_weights(weights: npt.ArrayLike) -> npt.NDArray[Any]:
    array = np.asarray(weights)
    if array.dtype != object or array.size == 0:
        return as_int64(array, "weights")
    if not all(isinstance(w, int | np.integer) and not isinstance(w, bool) for w in array.flat):
        raise TypeError("weights of dtype object must all be integers")
    exact = np.array([int(w) for w in array.flat], dtype=object).reshape(array.shape)
    if all(-INT64_MAX <= w <= INT64_MAX for w in exact.flat):
        return exact.astype(np.int64)
    return exact


def _sum_may_overflow(weights: npt.NDArray[Any]) -> bool:
    return weights.size > 0 and int(weights.max()) > INT64_MAX // weights.size

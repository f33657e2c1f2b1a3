"""Rule-based attribution models: how one journey's credit is shared over its touches.

The same models serve event-level attribution (`attribute`, touches that qualify for an order)
and path-level heuristics (journeys of channels). Both flatten their journeys into `Touches`,
journey by journey, oldest touch first, and ask a model for each touch's share. Every model is
vectorised over all journeys at once.

Examples:
    >>> touches = Touches.of_lengths([1, 3])
    >>> last_click().shares(touches).tolist()
    [1.0, 0.0, 0.0, 1.0]
    >>> position_based().shares(touches).round(2).tolist()
    [1.0, 0.4, 0.2, 0.4]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from alliance.errors import AttributionError

__all__ = [
    "AttributionModel",
    "ModelKind",
    "Touches",
    "WeightsFunction",
    "ZeroWeightJourney",
    "custom",
    "first_click",
    "last_click",
    "linear",
    "parse_share",
    "position_based",
    "time_decay",
]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: ``weights_fn(position, length, age)`` of a custom model: a non-negative weight per touch.
WeightsFunction = Callable[[Int64Array, Int64Array, Int64Array | None], npt.ArrayLike]

ModelKind = Literal["last_click", "first_click", "linear", "time_decay", "position_based", "custom"]


def int64_vector(values: npt.ArrayLike, name: str) -> Int64Array:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


@dataclass(frozen=True, slots=True, eq=False)
class Touches:
    """Touches of flattened journeys, journey by journey, oldest touch first.

    Attributes:
        position: Each touch's 0-based index in its journey.
        length: The length of each touch's journey, repeated on each of its touches.
        age: Microseconds from each touch to its journey's conversion (or end), or ``None``
            when the times are unknown.

    Raises:
        ValueError: The columns differ in length, or do not describe whole journeys laid out
            one after the other (positions ``0 .. length - 1``), or an age is negative.
        TypeError: A column does not hold integers.

    Examples:
        >>> touches = Touches.of_lengths([2, 1])
        >>> touches.position.tolist(), touches.length.tolist()
        ([0, 1, 0], [2, 2, 1])
        >>> touches.journeys, touches.journey.tolist()
        (2, [0, 0, 1])
    """

    position: Int64Array
    length: Int64Array
    age: Int64Array | None = None

    def __post_init__(self) -> None:
        position = int64_vector(self.position, "position")
        length = int64_vector(self.length, "length")
        if position.size != length.size:
            raise ValueError(f"position has {position.size} touches but length has {length.size}")
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "length", length)
        if self.age is not None:
            age = int64_vector(self.age, "age")
            if age.size != position.size:
                raise ValueError(f"position has {position.size} touches but age has {age.size}")
            if age.size and age.min() < 0:
                row = int(np.flatnonzero(age < 0)[0])
                raise ValueError(
                    f"age must not be negative (a touch after its conversion), got "
                    f"{int(age[row])} at touch {row}"
                )
            object.__setattr__(self, "age", age)
        starts = np.flatnonzero(position == 0)
        lengths = length[starts]
        if (
            (starts.size and lengths.min() < 1)
            or int(lengths.sum()) != position.size
            or not np.array_equal(np.repeat(lengths, lengths), length)
            or not np.array_equal(position, np.arange(position.size) - np.repeat(starts, lengths))
        ):
            raise ValueError(
                "touches must be whole journeys one after the other: positions 0 .. length - 1 "
                "with the journey's length on each touch"
            )

    @classmethod
    def of_lengths(cls, lengths: npt.ArrayLike, age: npt.ArrayLike | None = None) -> Touches:
        """Touches of journeys with the given lengths (each at least 1).

        Args:
            lengths: The number of touches of each journey, in order.
            age: Optional microseconds from each touch to its conversion, touch by touch.

        Raises:
            ValueError: A journey with no touch.

        Examples:
            >>> Touches.of_lengths([3]).position.tolist()
            [0, 1, 2]
        """
        sizes = int64_vector(lengths, "lengths")
        if sizes.size and sizes.min() < 1:
            journey = int(np.flatnonzero(sizes < 1)[0])
            raise ValueError(
                f"every journey needs at least one touch, journey {journey} has "
                f"{int(sizes[journey])}"
            )
        starts = np.cumsum(sizes) - sizes
        position = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(starts, sizes)
        ages = None if age is None else int64_vector(age, "age")
        return cls(position, np.repeat(sizes, sizes), ages)

    def __len__(self) -> int:
        return int(self.position.size)

    @property
    def starts(self) -> Int64Array:
        """The index of each journey's first touch."""
        return np.flatnonzero(self.position == 0).astype(np.int64)

    @property
    def journeys(self) -> int:
        """The number of journeys."""
        return int(np.count_nonzero(self.position == 0))

    @property
    def journey(self) -> Int64Array:
        """Each touch's journey number (0-based)."""
        return np.cumsum(self.position == 0, dtype=np.int64) - 1


def parse_share(value: Any, name: str = "share") -> Decimal:
    """A share between 0 and 1 as a float, int, Decimal or string (``"0.4"``, ``"40%"``).

    Raises:
        TypeError: Not a number.
        ValueError: Not between 0 and 1.

    Examples:
        >>> parse_share("40%"), parse_share(0.7) + parse_share("0.3")
        (Decimal('0.4'), Decimal('1.0'))
        >>> parse_share(1.5, "first")
        Traceback (most recent call last):
        ...
        ValueError: first must be a number between 0 and 1, got 1.5
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r}")
    try:
        if isinstance(value, str):
            text = value.strip()
            percent = re.fullmatch(r"(.*?)\s*%", text)
            number = Decimal(percent.group(1)) / 100 if percent else Decimal(text)
        elif isinstance(value, float):
            number = Decimal(repr(value))  # the float as written, so 0.7 + 0.3 is 1
        else:
            number = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
    return number


class ZeroWeightJourney(AttributionError):
    """A custom model gave every touch of a journey a weight of 0.

    Attributes:
        journey: The journey's number (0-based).
        order_row: For event-level attribution, the order's row in the orders table.
    """

    def __init__(self, message: str, *, journey: int, order_row: int | None = None) -> None:
        super().__init__(message)
        self.journey = journey
        self.order_row = order_row


@dataclass(frozen=True, slots=True)
class AttributionModel:
    """How a journey's credit is shared over its touches; build one with the functions below.

    `last_click` (the affiliate default), `first_click`, `linear`, `time_decay`,
    `position_based` and `custom` build models; compare them with ``==``.

    Attributes:
        name: A name to show in reports (``"last_click"``, or a custom model's name).
        kind: Which rule the model follows.
        needs_times: Whether `shares` needs the touches' ages.
        half_life: The half-life of a `time_decay` model.
        first: The first touch's share of a `position_based` model.
        last: The last touch's share of a `position_based` model.
        weights_fn: The weight function of a `custom` model.

    Examples:
        >>> linear().shares(Touches.of_lengths([4])).tolist()
        [0.25, 0.25, 0.25, 0.25]
        >>> last_click() == last_click(), last_click().needs_times
        (True, False)
    """

    name: str
    kind: ModelKind
    needs_times: bool = False
    half_life: timedelta | None = None
    first: float | None = None
    last: float | None = None
    weights_fn: WeightsFunction | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        shown = [repr(self.name)]
        if self.kind != self.name:
            shown.append(f"kind={self.kind!r}")
        if self.half_life is not None:
            shown.append(f"half_life={self.half_life!r}")
        if self.first is not None:
            shown.append(f"first={self.first!r}, last={self.last!r}")
        if self.weights_fn is not None:
            shown.append(f"needs_times={self.needs_times!r}")
        return f"AttributionModel({', '.join(shown)})"

    def shares(self, touches: Touches) -> FloatArray:
        """Each touch's share of its journey's credit; a journey's shares sum to 1.

        Single-touch journeys get exactly 1.0; last and first click give exactly one 1.0 per
        journey and 0.0 elsewhere.

        Args:
            touches: The flattened journeys.

        Returns:
            A float64 share per touch.

        Raises:
            TypeError: ``touches`` is not `Touches`.
            ValueError: The model needs times and the touches have none, or a custom weight
                function returned bad weights.

        Examples:
            >>> first_click().shares(Touches.of_lengths([2, 1])).tolist()
            [1.0, 0.0, 1.0]
        """
        if not isinstance(touches, Touches):
            raise TypeError(f"touches must be Touches, got {type(touches).__name__}")
        if self.needs_times and touches.age is None:
            raise ValueError(
                f"the {self.name} model needs each touch's time to its conversion, and these "
                "touches have none"
            )
        position, length = touches.position, touches.length
        if self.kind == "last_click":
            return np.asarray(position == length - 1, dtype=np.float64)
        if self.kind == "first_click":
            return np.asarray(position == 0, dtype=np.float64)
        if self.kind == "linear":
            return 1.0 / length.astype(np.float64)
        if self.kind == "position_based":
            return self._position_based(position, length)
        if self.kind == "time_decay":
            return self._time_decay(touches)
        return self._custom(touches)

    def _position_based(self, position: Int64Array, length: Int64Array) -> FloatArray:
        first = 0.4 if self.first is None else self.first
        last = 0.4 if self.last is None else self.last
        ends = first + last
        middle = max(0.0, 1.0 - ends) / np.maximum(length - 2, 1).astype(np.float64)
        shares = np.where(position == 0, first, np.where(position == length - 1, last, middle))
        if ends > 0:
            # In decimal, so 30% : 50% is exactly 0.375 : 0.625.
            two_first = Decimal(repr(first)) / (Decimal(repr(first)) + Decimal(repr(last)))
            two = length == 2
            shares[two] = np.where(position[two] == 0, float(two_first), float(1 - two_first))
        else:  # nothing to the ends, and no middle: the two touches split evenly
            shares[length == 2] = 0.5
        shares[length == 1] = 1.0
        return shares.astype(np.float64, copy=False)

    def _time_decay(self, touches: Touches) -> FloatArray:
        age = touches.age
        if age is None or self.half_life is None:  # pragma: no cover - checked in shares()
            raise ValueError("time_decay needs ages and a half-life")
        if not age.size:
            return np.zeros(0, dtype=np.float64)
        half_life_us = self.half_life / timedelta(microseconds=1)
        starts = touches.starts
        lengths = touches.length[starts]
        # Relative to the journey's youngest touch, so old journeys do not underflow to 0.
        youngest = np.repeat(np.minimum.reduceat(age, starts), lengths)
        weights = np.exp2(-(age - youngest).astype(np.float64) / half_life_us)
        return _normalise(weights, starts, lengths)

    def _custom(self, touches: Touches) -> FloatArray:
        if self.weights_fn is None:  # pragma: no cover - built by custom()
            raise ValueError("a custom model needs a weight function")
        size = len(touches)
        raw = self.weights_fn(
            touches.position.copy(),
            touches.length.copy(),
            None if touches.age is None else touches.age.copy(),
        )
        try:
            weights = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"the weights of model {self.name!r} must be numbers, got {type(raw).__name__}"
            ) from None
        if weights.shape != (size,):
            raise ValueError(
                f"model {self.name!r} must return one weight per touch, shape ({size},), "
                f"got shape {weights.shape}"
            )
        bad = ~np.isfinite(weights)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"model {self.name!r} returned a weight that is not finite: {weights[row]} at "
                f"touch {row}"
            )
        if size and weights.min() < 0:
            row = int(np.flatnonzero(weights < 0)[0])
            raise ValueError(
                f"model {self.name!r} returned a negative weight {weights[row]} at touch {row}"
            )
        if not size:
            return weights
        starts = touches.starts
        lengths = touches.length[starts]
        totals = np.add.reduceat(weights, starts)
        if (totals <= 0).any():  # weights are non-negative: an all-zero journey
            journey = int(np.flatnonzero(totals <= 0)[0])
            raise ZeroWeightJourney(
                f"model {self.name!r} gave every touch of journey {journey} a weight of 0; "
                "a journey needs some weight to share its credit",
                journey=journey,
            )
        return _normalise(weights, starts, lengths)


def _normalise(weights: FloatArray, starts: Int64Array, lengths: Int64Array) -> FloatArray:
    totals: FloatArray = np.add.reduceat(weights, starts)
    shares: FloatArray = weights / np.repeat(totals, lengths)
    return shares


def last_click() -> AttributionModel:
    """The last touch before the conversion gets all the credit (the affiliate default).

    Examples:
        >>> last_click().shares(Touches.of_lengths([3])).tolist()
        [0.0, 0.0, 1.0]
    """
    return AttributionModel(name="last_click", kind="last_click")


def first_click() -> AttributionModel:
    """The first touch of the journey gets all the credit.

    Examples:
        >>> first_click().shares(Touches.of_lengths([3])).tolist()
        [1.0, 0.0, 0.0]
    """
    return AttributionModel(name="first_click", kind="first_click")


def linear() -> AttributionModel:
    """Every touch gets an equal share; repeats count (``a > a > b`` gives ``a`` 2/3).

    Examples:
        >>> linear().shares(Touches.of_lengths([3])).round(4).tolist()
        [0.3333, 0.3333, 0.3333]
    """
    return AttributionModel(name="linear", kind="linear")


def time_decay(half_life: timedelta) -> AttributionModel:
    """A touch's weight halves with every ``half_life`` between it and the conversion.

    The weight is ``2 ** (-age / half_life)``, normalised over the journey. The touches must
    carry their ages (the times of touch and conversion).

    Args:
        half_life: The time over which a touch's weight halves; positive.

    Raises:
        TypeError: ``half_life`` is not a `timedelta`.
        ValueError: ``half_life`` is not positive.

    Examples:
        >>> from datetime import timedelta
        >>> day = 86_400_000_000
        >>> touches = Touches.of_lengths([3], age=[14 * day, 7 * day, 0])
        >>> (time_decay(timedelta(days=7)).shares(touches) * 7).round(9).tolist()
        [1.0, 2.0, 4.0]
    """
    if not isinstance(half_life, timedelta):
        raise TypeError(f"half_life must be a timedelta, got {half_life!r}")
    if half_life <= timedelta(0):
        raise ValueError(f"half_life must be positive, got {half_life}")
    return AttributionModel(
        name="time_decay", kind="time_decay", needs_times=True, half_life=half_life
    )


def position_based(
    first: float | Decimal | str = 0.4, last: float | Decimal | str = 0.4
) -> AttributionModel:
    """The first and last touches get fixed shares; the middle touches split the rest.

    One touch gets everything; two touches split ``first : last``; three or more give
    ``first`` to the first touch, ``last`` to the last and ``1 - first - last`` in equal parts
    to the touches between (the classic 40 / 20 / 40). With ``first = last = 0`` a two-touch
    journey splits evenly.

    Args:
        first: The first touch's share, 0 to 1 (a float, Decimal, or string like ``"40%"``).
        last: The last touch's share, 0 to 1.

    Raises:
        TypeError: A share is not a number.
        ValueError: A share is outside 0 to 1, or ``first + last`` exceeds 1.

    Examples:
        >>> position_based().shares(Touches.of_lengths([5])).round(4).tolist()
        [0.4, 0.0667, 0.0667, 0.0667, 0.4]
        >>> position_based("30%", "0.5").shares(Touches.of_lengths([2])).tolist()
        [0.375, 0.625]
    """
    first_share = parse_share(first, "first")
    last_share = parse_share(last, "last")
    if first_share + last_share > 1:
        raise ValueError(f"Cannot have first={first} + last={last} > 1")
    return AttributionModel(
        name="position_based",
        kind="position_based",
        first=float(first_share),
        last=float(last_share),
    )


def custom(
    weights_fn: WeightsFunction, *, name: str = "custom", needs_times: bool = False
) -> AttributionModel:
    """A model from a function giving each touch a non-negative weight.

    ``weights_fn(position, length, age)`` receives int64 arrays (``age`` is ``None`` when the
    times are unknown) and returns one finite, non-negative weight per touch, vectorised.
    Weights are normalised per journey; a journey whose weights are all 0 is an error.

    Args:
        weights_fn: The weight function.
        name: The model's name in reports.
        needs_times: Whether the function needs ``age``; the model then refuses touches
            without times.

    Raises:
        TypeError: ``weights_fn`` is not callable or ``name`` is not a string.
        ValueError: ``name`` is empty.

    Examples:
        >>> later = custom(lambda position, length, age: position + 1, name="later")
        >>> later.shares(Touches.of_lengths([3])).round(4).tolist()
        [0.1667, 0.3333, 0.5]
    """
    if not callable(weights_fn):
        raise TypeError(f"weights_fn must be callable, got {weights_fn!r}")
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    if not name.strip():
        raise ValueError("name must not be empty")
    if not isinstance(needs_times, bool):
        raise TypeError(f"needs_times must be True or False, got {needs_times!r}")
    return AttributionModel(
        name=name, kind="custom", needs_times=needs_times, weights_fn=weights_fn
    )

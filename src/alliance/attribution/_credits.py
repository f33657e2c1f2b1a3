"""What `attribute` returns: the credits of attributed orders and the orders left unattributed.

Both tables are columnar and read like the record tables: ``table["partner_id"]`` decodes a
column into a numpy array, ``table.codes(name)`` gives the integer codes and sorted values of a
text column without decoding, ``to_records()`` / ``to_pandas()`` export the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Literal, Self

import numpy as np
import numpy.typing as npt

from alliance._frames import optional_import
from alliance._money import Money
from alliance._periods import from_micros
from alliance.attribution._rules import AttributionModel

__all__ = ["Attribution", "Credits", "Unattributed", "UnattributedReason"]

#: Why an order earned no credit.
UnattributedReason = Literal["no touchpoint", "outside the window", "won by a non-partner channel"]

REASONS: tuple[UnattributedReason, ...] = (
    "no touchpoint",
    "outside the window",
    "won by a non-partner channel",
)

#: What earned a credit: the touchpoint's kind, or ``coupon`` for the order's own coupon code.
BASES: tuple[str, ...] = ("click", "coupon", "impression")

Coded = tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.object_]]


class _Columns:
    """A read-only columnar table: text columns coded, the others plain numpy arrays."""

    COLUMNS: ClassVar[tuple[str, ...]]
    #: Text columns: stored as codes into sorted values (-1 for missing).
    CODED: ClassVar[tuple[str, ...]]
    #: Money columns: int64 minor units of the row's ``currency``.
    MONEY: ClassVar[tuple[str, ...]] = ()
    #: Time columns: int64 µs since the epoch, UTC.
    TIMES: ClassVar[tuple[str, ...]] = ()

    __slots__ = ("_coded", "_plain", "_size")

    def __init__(self, coded: Mapping[str, Coded], plain: Mapping[str, npt.NDArray[Any]]) -> None:
        if set(coded) != set(self.CODED) or set(plain) != set(self.COLUMNS) - set(self.CODED):
            raise ValueError(f"{type(self).__name__} needs the columns {self.COLUMNS}")
        self._coded = {}
        for name, (codes, values) in coded.items():
            codes_array = np.asarray(codes)
            codes_array.flags.writeable = False
            self._coded[name] = (codes_array, np.asarray(values, dtype=object))
        self._plain = {}
        for name, array in plain.items():
            stored = np.asarray(array)
            stored.flags.writeable = False
            self._plain[name] = stored
        sizes = {a.size for a in self._plain.values()} | {c.size for c, _ in self._coded.values()}
        if len(sizes) > 1:
            raise ValueError(f"{type(self).__name__} columns differ in length: {sorted(sizes)}")
        self._size = sizes.pop() if sizes else 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return self.COLUMNS

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[str]:
        return iter(self.COLUMNS)

    def __contains__(self, name: object) -> bool:
        return name in self.COLUMNS

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column as a numpy array; text columns decoded to ``str`` (``None`` if missing)."""
        if name in self._plain:
            return self._plain[name]
        if name in self._coded:
            codes, values = self._coded[name]
            decoded: npt.NDArray[np.object_] = np.append(values, np.array([None], dtype=object))
            return decoded[codes]
        raise KeyError(f"{type(self).__name__} has no column {name!r}; columns: {self.COLUMNS}")

    def codes(self, name: str) -> Coded:
        """Integer codes (-1 where missing) and the sorted values of a text column."""
        if name not in self._coded:
            raise TypeError(f"{type(self).__name__}.{name} is not a text column")
        return self._coded[name]

    def take(self, rows: npt.ArrayLike) -> Self:
        """The rows at the given positions (or where a boolean mask is true), in that order."""
        picked = np.asarray(rows)
        if picked.dtype == bool:
            if picked.shape != (self._size,):
                raise ValueError("a boolean mask must have one value per row")
            picked = np.flatnonzero(picked)
        return type(self)(
            {n: (codes[picked], values) for n, (codes, values) in self._coded.items()},
            {n: array[picked] for n, array in self._plain.items()},
        )

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dictionaries: money as `Money`, times as aware datetimes (UTC)."""
        data = {name: self[name].tolist() for name in self.COLUMNS}
        for name in self.MONEY:
            data[name] = [
                Money.from_minor(minor, code)
                for minor, code in zip(data[name], data["currency"], strict=True)
            ]
        for name in self.TIMES:
            data[name] = [from_micros(us) for us in data[name]]
        return [{name: data[name][row] for name in self.COLUMNS} for row in range(self._size)]

    def to_pandas(self) -> Any:
        """A pandas DataFrame; money stays in int64 minor units (``<name>_minor``)."""
        pd = optional_import("pandas", f"{type(self).__name__}.to_pandas")
        frame = pd.DataFrame(
            {(f"{n}_minor" if n in self.MONEY else n): self[n] for n in self.COLUMNS}
        )
        for name in self.TIMES:
            frame[name] = pd.to_datetime(frame[name], unit="us", utc=True)
        return frame

    def equals(self, other: object) -> bool:
        """Whether ``other`` holds the same rows in the same order."""
        if not isinstance(other, _Columns) or type(other) is not type(self):
            return False
        return len(other) == self._size and all(
            bool(np.array_equal(self[n], other[n])) for n in self.COLUMNS
        )

    def __eq__(self, other: object) -> bool:
        return self.equals(other) if isinstance(other, _Columns) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._size} rows; columns {', '.join(self.COLUMNS)})"


class Credits(_Columns):
    """The credit each attributed order gives, one row per touch (or coupon) that earned some.

    Columns:

    * ``order_id``: the order;
    * ``partner_id``: the partner credited, or the non-partner channel (``"direct"``) that
      earned the share when ``non_partner_rule="win"``;
    * ``paid``: whether the share is paid (``False`` for a non-partner channel's share);
    * ``weight``: the row's share of the order (float64; an order's weights sum to 1);
    * ``credited``: int64 minor units of ``currency``; an order's rows add up exactly to its
      amount (largest-remainder split of the weights);
    * ``currency``: the order's currency;
    * ``ts``: when the touch happened (µs since the epoch, UTC), or the order's time for a
      credit earned by the order's coupon code;
    * ``basis``: what earned it: the touchpoint's kind (``click``, ``impression``,
      ``coupon``), or ``coupon`` for the order's coupon code;
    * ``touch``: the touchpoint's row in the input table, -1 for the order's coupon code.

    An order's rows come together in the order of the orders table, its touches oldest first,
    then its coupon credit. Rows that earn a weight of 0 are left out.

    Examples:
        >>> credits = Credits.empty()
        >>> len(credits), credits.columns[:3]
        (0, ('order_id', 'partner_id', 'paid'))
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "order_id",
        "partner_id",
        "paid",
        "weight",
        "credited",
        "currency",
        "ts",
        "basis",
        "touch",
    )
    CODED: ClassVar[tuple[str, ...]] = ("order_id", "partner_id", "currency", "basis")
    MONEY: ClassVar[tuple[str, ...]] = ("credited",)
    TIMES: ClassVar[tuple[str, ...]] = ("ts",)

    @classmethod
    def empty(cls) -> Credits:
        """No credits."""
        nothing = np.zeros(0, dtype=np.int32)
        texts = np.array([], dtype=object)
        return cls(
            dict.fromkeys(cls.CODED, (nothing, texts)),
            {
                "paid": np.zeros(0, dtype=bool),
                "weight": np.zeros(0, dtype=np.float64),
                "credited": np.zeros(0, dtype=np.int64),
                "ts": np.zeros(0, dtype=np.int64),
                "touch": np.zeros(0, dtype=np.int64),
            },
        )


class Unattributed(_Columns):
    """Orders that no partner earned, each with the reason.

    Columns: ``order_id``; ``reason`` (``"no touchpoint"``: no touchpoint of the visitor or
    customer at or before the order, once non-partner channels are dropped with
    ``non_partner_rule="ignore"``; ``"outside the window"``: touchpoints, none in its
    window; ``"won by a non-partner channel"``: all the credit went to non-partner
    channels); ``amount`` in int64 minor units of ``currency``.

    Examples:
        >>> Unattributed.empty().columns
        ('order_id', 'reason', 'amount', 'currency')
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ("order_id", "reason", "amount", "currency")
    CODED: ClassVar[tuple[str, ...]] = ("order_id", "reason", "currency")
    MONEY: ClassVar[tuple[str, ...]] = ("amount",)

    @classmethod
    def empty(cls) -> Unattributed:
        """No orders."""
        nothing = np.zeros(0, dtype=np.int32)
        texts = np.array([], dtype=object)
        return cls(
            dict.fromkeys(cls.CODED, (nothing, texts)),
            {"amount": np.zeros(0, dtype=np.int64)},
        )


@dataclass(frozen=True, slots=True)
class Attribution:
    """The result of `attribute`: every order is in exactly one of the two tables.

    Attributes:
        credits: One row per credited touch or coupon of each attributed order.
        unattributed: The orders no partner earned, with the reason.
        model: The model that shared each order's credit.
        window: The attribution window, or ``"contract"`` for each partner's cookie days.
    """

    credits: Credits
    unattributed: Unattributed
    model: AttributionModel
    window: timedelta | Literal["contract"]

    def __repr__(self) -> str:
        orders = np.unique(self.credits.codes("order_id")[0]).size
        rows, left = len(self.credits), len(self.unattributed)
        return (
            f"Attribution({orders} order{'s' * (orders != 1)} credited in {rows} "
            f"row{'s' * (rows != 1)}, {left} unattributed; model {self.model.name})"
        )

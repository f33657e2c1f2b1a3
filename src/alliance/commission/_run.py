"""The state of one evaluation run: exact scale, labels, carried facts, small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._kernels import INT64_MAX, decimal_to_ratio, runs
from alliance._memo import IdentityCache
from alliance.commission._contracts import Contract
from alliance.commission._lines import LineFrame
from alliance.commission._rules import (
    Add,
    Cap,
    Floor,
    Guarantee,
    Multiplier,
    Percent,
    Recurring,
    Tiered,
    When,
)
from alliance.errors import ContractError, MoneyOverflow

__all__ = ["Evaluation", "Labels", "RunState", "places_needed"]

IntArray = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


_PLACES = IdentityCache()


def places_needed(rule: Any) -> int:
    """Decimal places of ``1 / scale`` that keep every product of the plan exact."""
    return _PLACES.get(rule, _places_needed)


def _places_needed(rule: Any) -> int:
    if isinstance(rule, Percent):
        return _places(rule.rate)
    if isinstance(rule, Multiplier):
        factor_places = max((_places(f) for f in rule.by_group.values()), default=0)
        return factor_places + places_needed(rule.rule)
    if isinstance(rule, Tiered):
        return max(places_needed(t.rule) for t in rule.tiers)
    if isinstance(rule, When):
        parts = [places_needed(b.rule) for b in rule.branches]
        if rule.otherwise is not None:
            parts.append(places_needed(rule.otherwise))
        return max(parts)
    if isinstance(rule, Add):
        return max(places_needed(r) for r in rule.rules)
    if isinstance(rule, Cap | Floor | Recurring | Guarantee):
        return places_needed(rule.rule)
    return 0


@dataclass
class RunState:
    """Period-to-date facts carried between runs (see `CommissionState`)."""

    volumes: dict[str, int] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)
    subscriptions: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: This run's subscription payments by line: number and first payment (see `_payments`).
    payments: dict[int, tuple[int, int]] | None = None


class Labels:
    """Per-line text (a branch path, notes) kept as codes into the distinct texts.

    Appending to many lines costs one string operation per distinct text among them, not one
    per line.
    """

    def __init__(self, size: int, separator: str) -> None:
        self.codes = np.zeros(size, dtype=np.int64)
        self.texts: list[str] = [""]
        self._index: dict[str, int] = {"": 0}
        self._separator = separator

    def _code(self, text: str) -> int:
        code = self._index.get(text)
        if code is None:
            code = self._index[text] = len(self.texts)
            self.texts.append(text)
        return code

    def append(self, rows: Rows, text: str) -> None:
        """Add ``text`` to the label of every line in ``rows``."""
        if rows.size == 0:
            return
        if rows.size == 1 and rows.dtype != bool:  # one line: no distinct texts to find
            row = int(rows.reshape(-1)[0])
            label = self.texts[int(self.codes[row])]
            self.codes[row] = self._code(f"{label}{self._separator}{text}" if label else text)
            return
        current = self.codes[rows]
        if int(current.min()) == int(current.max()):  # one label before: one to make
            old, inverse = current[:1], np.zeros(rows.size, dtype=np.int64)
        else:
            old, inverse = np.unique(current, return_inverse=True)
        joined = [
            self._code(f"{self.texts[c]}{self._separator}{text}" if self.texts[c] else text)
            for c in old.tolist()
        ]
        self.codes[rows] = np.array(joined, dtype=np.int64)[inverse.reshape(-1)]

    def assign(self, rows: Rows, codes: npt.NDArray[np.integer[Any]], texts: list[str]) -> None:
        """Set the label of each line of ``rows`` to ``texts[code]``, replacing what was there."""
        mapped = np.array([self._code(text) for text in texts] + [0], dtype=np.int64)
        self.codes[rows] = mapped[codes]

    def decoded(self) -> npt.NDArray[np.object_]:
        """The labels as an object array of text, one per line."""
        return np.array(self.texts, dtype=object)[self.codes]


@dataclass
class Evaluation:
    """What evaluating a contract's plan over its lines found, per line."""

    frame: LineFrame
    contract: Contract
    scale: int
    exponent: int
    state: RunState
    branch: Labels
    tier: IntArray
    notes: Labels
    #: Tier volumes by (basis, period, scope), counted once per run (see `_volume.Volume`).
    volume_cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    touched_volumes: dict[str, int] = field(default_factory=dict)
    #: At period close: whole-volume tiers use the period's final volume, net of reversals.
    finalize: bool = False

    def note(self, rows: Rows, text: str) -> None:
        """Add a note (a cap hit, a split) to lines."""
        self.notes.append(np.asarray(rows), text)

    def mark(self, rows: Rows, text: str) -> None:
        """Add a step of the branch taken to lines."""
        self.branch.append(np.asarray(rows), text)

    @property
    def minor_scale(self) -> int:
        """Scaled units per minor unit."""
        return self.scale

    def money_scaled(self, amount: Any) -> int:
        """A Money amount of the contract currency in scaled units."""
        minor = amount.round().minor if not amount.is_whole() else amount.minor
        return int(minor) * self.scale


@lru_cache(maxsize=1024)
def _rate_scaled(rate: Decimal, scale: int) -> int:
    numerator, denominator = decimal_to_ratio(rate)
    scaled, remainder = divmod(numerator * scale, denominator)
    if remainder:  # pragma: no cover - the scale covers every rate's places
        raise ContractError(f"rate {rate} needs more decimal places than the plan allows")
    return scaled


def _checked_product(values: IntArray, factor: int) -> IntArray:
    if values.size and factor and int(np.abs(values).max()) > INT64_MAX // abs(factor):
        raise MoneyOverflow(
            "commission arithmetic past int64: amounts times rates are too large; "
            "split the batch or use fewer decimal places in rates"
        )
    return values * factor


def _by_order(frame: LineFrame, rows: Rows) -> tuple[IntArray, IntArray, IntArray]:
    """For the given lines: the distinct orders, each line's group, each group's first line.

    The orders are order rows; a group's first line is a position among ``rows``.

    ``rows`` are ascending positions, and an order's lines are adjacent in the frame, so an
    order's lines are adjacent among ``rows`` too: one pass finds the groups, no sort.
    """
    order_rows = frame.order_row[rows]
    starts, groups = runs(order_rows)
    return order_rows[starts].astype(np.int64, copy=False), groups, starts

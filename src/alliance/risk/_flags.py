"""Flags: what a check found, one row per subject and reason, with the numbers behind it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._frames import optional_import

__all__ = ["REASONS", "Flag", "Flags", "Reason", "Subject"]

Subject: TypeAlias = Literal["click", "order", "partner", "coupon"]
SUBJECTS: tuple[Subject, ...] = ("click", "order", "partner", "coupon")
Action: TypeAlias = Literal["allow", "review", "block", "discard_click"]

ObjArray: TypeAlias = npt.NDArray[np.object_]
FloatArray: TypeAlias = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Reason:
    """A reason code: the check that raises it, its subject, how it compares, its defaults.

    Attributes:
        code: The reason code, e.g. ``"ctit_too_short"``.
        check: The check that raises it.
        subject: What it flags: a click, an order, a partner or a coupon code.
        summary: One line in domain words.
        op: How the observed value compares with the threshold when the flag is raised
            (``"<"``, ``"<="``, ``">"``, ``">="``, ``"=="``).
        unit: Unit of the observed value and threshold (``"s"``, ``"orders"``, ``"z"``, …).
        action: Default action of `Policy.default`.
        weight: Default contribution to the score, in (0, 1].
    """

    code: str
    check: str
    subject: Subject
    summary: str
    op: str
    unit: str
    action: Action
    weight: float


#: Every reason code, by code; `alliance.risk` checks raise only these.
REASONS: dict[str, Reason] = {}


def reason(
    code: str,
    check: str,
    subject: Subject,
    summary: str,
    *,
    op: str,
    unit: str,
    action: Action,
    weight: float,
) -> Reason:
    """Declare a reason code (once, at import of its check's module)."""
    if code in REASONS:  # pragma: no cover - a programming error caught at import
        raise RuntimeError(f"reason code {code!r} declared twice")
    declared = Reason(code, check, subject, summary, op, unit, action, weight)
    REASONS[code] = declared
    return declared


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


@dataclass(frozen=True)
class Flag:
    """One flag: a subject, the reason it was flagged and the numbers behind the reason.

    Attributes:
        subject: ``"click"``, ``"order"``, ``"partner"`` or ``"coupon"``.
        id: The click, order or partner id, or the coupon code.
        code: The reason code (see `REASONS`).
        check: The check that raised it.
        observed: The value observed (seconds, a count, a rate, a z-score, …).
        threshold: The threshold it crossed.
        peer: The peer statistic it was compared with (a median, a prior mean), or NaN.
        evidence: Ids of the records that show it (the winning click, the other orders, …).
        partner_id: The partner the flag concerns, when there is one.
    """

    subject: Subject
    id: str
    code: str
    check: str
    observed: float
    threshold: float
    peer: float
    evidence: tuple[str, ...]
    partner_id: str | None

    def explain(self) -> str:
        """The flag in one line of domain words.

        Examples:
            >>> flag = Flag("order", "O7", "ctit_too_short", "click_injection", 3.0, 10.0,
            ...             float("nan"), ("C9",), "P2")
            >>> flag.explain()
            'order O7 (partner P2): click to order in under the threshold: 3 s < 10 s [evidence: C9]'
        """  # noqa: E501
        shows_partner = self.partner_id and self.subject != "partner"
        who = f" (partner {self.partner_id})" if shows_partner else ""
        if self.check == "rules":
            text = self.evidence[0] if self.evidence else ""
            return f"{self.subject} {self.id}{who}: rule {self.code} matched: {text}"
        known = REASONS.get(self.code)
        summary = known.summary if known else self.code
        op = known.op if known else "vs"
        unit = f" {known.unit}" if known and known.unit else ""
        text = (
            f"{self.subject} {self.id}{who}: {summary}: "
            f"{_number(self.observed)}{unit} {op} {_number(self.threshold)}{unit}"
        )
        if not math.isnan(self.peer):
            text += f" (peers {_number(self.peer)}{unit})"
        if self.evidence:
            shown = ", ".join(self.evidence[:5]) + (" …" if len(self.evidence) > 5 else "")
            text += f" [evidence: {shown}]"
        return text


_COLUMNS = (
    "subject",
    "id",
    "code",
    "check",
    "observed",
    "threshold",
    "peer",
    "evidence",
    "partner_id",
)


def objects(values: Iterable[Any], size: int) -> ObjArray:
    """An object array of ``size`` items, each item one element (tuples stay whole)."""
    if isinstance(values, np.ndarray):
        array = np.empty(size, dtype=object)
        array[:] = values
        return array
    return np.fromiter(values, dtype=object, count=size)


class Flags:
    """A table of flags, one row per subject and reason (columns as in `Flag`).

    Build one with `Flags.of` (a check's vectorised result) or `Flags.concat`; read it by
    column (``flags["observed"]``), by row (iteration yields `Flag`) or as records.

    Examples:
        >>> import numpy as np
        >>> flags = Flags.of("order", np.array(["O1", "O2"], dtype=object), "ctit_too_short",
        ...                  observed=np.array([2.0, 4.5]), threshold=10.0)
        >>> len(flags), flags["code"].tolist(), flags["observed"].tolist()
        (2, ['ctit_too_short', 'ctit_too_short'], [2.0, 4.5])
    """

    __slots__ = ("_columns", "_rows")

    def __init__(
        self, columns: Mapping[str, npt.NDArray[Any]], rows: npt.NDArray[np.int64] | None = None
    ) -> None:
        sizes = {name: len(columns[name]) for name in _COLUMNS}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"flag columns differ in length: {sizes}")
        self._columns: dict[str, npt.NDArray[Any]] = {name: columns[name] for name in _COLUMNS}
        size = sizes["id"]
        # Per flag, the row of its click or order in the screened table, -1 where unknown:
        # screening matches flags with rows by it rather than by looking ids up.
        self._rows = np.full(size, -1, dtype=np.int64) if rows is None else rows
        if self._rows.shape != (size,):
            raise ValueError("a flag row is needed per flag")

    def _located(self, rows: npt.NDArray[np.integer[Any]]) -> Flags:
        """The same flags, knowing the table row of each flag's click or order (-1 unknown)."""
        return Flags(self._columns, np.asarray(rows, dtype=np.int64))

    @classmethod
    def empty(cls) -> Flags:
        """No flags."""
        return cls.of("order", np.empty(0, dtype=object), "", observed=np.empty(0), threshold=0.0)

    @classmethod
    def of(
        cls,
        subject: Subject,
        ids: npt.NDArray[Any],
        code: str,
        *,
        observed: npt.ArrayLike,
        threshold: npt.ArrayLike,
        peer: npt.ArrayLike = math.nan,
        evidence: Sequence[tuple[str, ...]] | ObjArray | None = None,
        partner_id: npt.NDArray[Any] | None = None,
        check: str | None = None,
    ) -> Flags:
        """Flags of one reason code for some subjects, with per-row or shared numbers.

        Args:
            subject: What is flagged.
            ids: The flagged ids (object array of str).
            code: The reason code; its check comes from `REASONS` unless given.
            observed: The observed values (one per id, or one for all).
            threshold: The thresholds (one per id, or one for all).
            peer: The peer statistics (NaN where none).
            evidence: One tuple of evidence ids per flagged id.
            partner_id: The partner of each flagged id.
            check: The check name, for a code not in `REASONS`.

        Returns:
            The flags.
        """
        size = len(ids)
        known = REASONS.get(code)
        name = check if check is not None else (known.check if known else "")
        empty: tuple[str, ...] = ()
        return cls(
            {
                "subject": np.full(size, subject, dtype=object),
                "id": objects(ids, size),
                "code": np.full(size, code, dtype=object),
                "check": np.full(size, name, dtype=object),
                "observed": np.broadcast_to(np.asarray(observed, dtype=np.float64), size).copy(),
                "threshold": np.broadcast_to(np.asarray(threshold, dtype=np.float64), size).copy(),
                "peer": np.broadcast_to(np.asarray(peer, dtype=np.float64), size).copy(),
                "evidence": objects(evidence if evidence is not None else [empty] * size, size),
                "partner_id": objects(
                    partner_id if partner_id is not None else [None] * size, size
                ),
            }
        )

    @classmethod
    def concat(cls, parts: Iterable[Flags]) -> Flags:
        """The flags of several tables, one after the other."""
        tables = [part for part in parts if len(part)]
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        return cls(
            {name: np.concatenate([t[name] for t in tables]) for name in _COLUMNS},
            np.concatenate([t._rows for t in tables]),
        )

    def __len__(self) -> int:
        return len(self._columns["id"])

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column by name.

        Subject, id, code, check, partner_id and evidence (tuples) come as object arrays;
        observed, threshold and peer as float64.
        """
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"flags have no column {name!r}; columns: {_COLUMNS}") from None

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return _COLUMNS

    def take(self, rows: npt.ArrayLike) -> Flags:
        """The rows at some positions, or where a boolean mask is true."""
        index = np.asarray(rows)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return Flags(
            {name: values[index] for name, values in self._columns.items()}, self._rows[index]
        )

    def where(
        self,
        *,
        subject: Subject | None = None,
        code: str | None = None,
        check: str | None = None,
        partner_id: str | None = None,
    ) -> Flags:
        """The flags of one subject, reason code, check and/or partner."""
        keep = np.ones(len(self), dtype=bool)
        for name, wanted in (
            ("subject", subject),
            ("code", code),
            ("check", check),
            ("partner_id", partner_id),
        ):
            if wanted is not None:
                keep &= self._columns[name] == wanted
        return self.take(keep)

    def __iter__(self) -> Iterator[Flag]:
        columns = [self._columns[name].tolist() for name in _COLUMNS]
        for row in zip(*columns, strict=True):
            yield Flag(*row)

    def __repr__(self) -> str:
        codes, counts = np.unique(self._columns["code"].astype(str), return_counts=True)
        shown = ", ".join(f"{c} {n}" for c, n in zip(codes.tolist(), counts.tolist(), strict=True))
        return f"Flags({len(self)} rows{': ' if shown else ''}{shown})"

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per flag; NaN peers as ``None``, evidence as lists."""
        records = []
        for flag in self:
            record = {name: getattr(flag, name) for name in _COLUMNS}
            record["peer"] = None if math.isnan(flag.peer) else flag.peer
            record["evidence"] = list(flag.evidence)
            records.append(record)
        return records

    def to_pandas(self) -> Any:
        """The flags as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "Flags.to_pandas")
        return pandas.DataFrame({name: self._columns[name] for name in _COLUMNS})

    def explain(self, limit: int = 20) -> str:
        """The first ``limit`` flags, one line each."""
        lines = [flag.explain() for _, flag in zip(range(limit), self, strict=False)]
        if len(self) > limit:
            lines.append(f"… and {len(self) - limit} more")
        return "\n".join(lines)

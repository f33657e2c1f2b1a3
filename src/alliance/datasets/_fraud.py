"""Labelled fraud: the patterns `synthetic_program` can inject, and `FraudLabels`, their answers.

`FraudLabels` is a small columnar table: one row per labelled click, order or partner, with the
pattern that made it fraudulent, the partner who gains from it, and whether the fraudster used
the pattern's evasive variant. The rows themselves are generated in
``alliance.datasets._inject``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from alliance._frames import optional_import

__all__ = ["DEFAULT_FRAUD", "PATTERNS", "SUBJECTS", "FraudLabels", "FraudRecord"]

#: The fraud patterns `synthetic_program` can inject, in the order it injects them.
PATTERNS: tuple[str, ...] = (
    "click_injection",
    "click_spam",
    "self_referral",
    "velocity",
    "brushing",
    "leaked_coupon",
    "duplicate_identity",
    "reversal_abuse",
)
#: What a label is about: a row of the clicks, the orders or the partners.
SUBJECTS: tuple[str, ...] = ("click", "order", "partner")

#: Rates of every pattern that give a few dozen labelled orders per order pattern, and at least
#: two fraudulent partners per partner pattern, in a programme of 200 partners and 50,000
#: clicks (see ``docs/datasets.md``).
DEFAULT_FRAUD: Mapping[str, float] = MappingProxyType(
    {
        "click_injection": 0.02,
        "click_spam": 0.05,
        "self_referral": 0.02,
        "velocity": 0.02,
        "brushing": 0.02,
        "leaked_coupon": 0.02,
        "duplicate_identity": 0.02,
        "reversal_abuse": 0.02,
    }
)

_COLUMNS: tuple[str, ...] = ("subject", "id", "pattern", "partner_id", "evasive")


class FraudRecord(TypedDict):
    """One row of `FraudLabels` as plain data."""

    subject: str
    id: str
    pattern: str
    partner_id: str
    evasive: bool


def _texts(name: str, values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    array = np.array(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not all(isinstance(value, str) for value in array.tolist()):
        raise ValueError(f"{name} must hold text only")
    return array


class FraudLabels:
    """The labelled fraud of a synthetic programme: one row per fraudulent click, order or partner.

    Columns are read-only numpy arrays of equal length, reachable as attributes or by name
    (``labels["pattern"]``). The labels are immutable; `of` returns a new, filtered one. A
    programme generated without fraud has empty labels.

    Attributes:
        subject: ``"click"``, ``"order"`` or ``"partner"``: which table `id` is a row of.
        id: The ``click_id``, ``order_id`` or ``partner_id``.
        pattern: The fraud pattern (one of the keys of ``DEFAULT_FRAUD``).
        partner_id: The partner the fraud credits or benefits: the fraudster.
        evasive: Whether the fraudster used the pattern's evasive variant.

    Examples:
        >>> from alliance.datasets import FraudLabels
        >>> labels = FraudLabels(
        ...     subject=["order", "partner"],
        ...     id=["O0007", "P0201"],
        ...     pattern=["velocity", "velocity"],
        ...     partner_id=["P0201", "P0201"],
        ...     evasive=[False, False],
        ... )
        >>> len(labels), labels.patterns, sorted(labels.ids("order"))
        (2, ('velocity',), ['O0007'])
        >>> labels.of(subject="partner").to_records()[0]["id"]
        'P0201'
    """

    __slots__ = ("_columns",)

    _columns: dict[str, npt.NDArray[Any]]

    def __init__(
        self,
        *,
        subject: npt.ArrayLike,
        id: npt.ArrayLike,
        pattern: npt.ArrayLike,
        partner_id: npt.ArrayLike,
        evasive: npt.ArrayLike,
    ) -> None:
        columns: dict[str, npt.NDArray[Any]] = {
            "subject": _texts("subject", subject),
            "id": _texts("id", id),
            "pattern": _texts("pattern", pattern),
            "partner_id": _texts("partner_id", partner_id),
        }
        flags = np.asarray(evasive)
        if flags.ndim != 1 or (flags.size and flags.dtype != np.bool_):
            raise ValueError(f"evasive must be a one-dimensional array of bools, got {flags!r}")
        columns["evasive"] = flags.astype(np.bool_)
        sizes = {name: column.size for name, column in columns.items()}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"the columns of FraudLabels must have one length, got {sizes}")
        unknown_subjects = sorted(set(columns["subject"].tolist()) - set(SUBJECTS))
        if unknown_subjects:
            raise ValueError(f"subject must be one of {SUBJECTS}, got {unknown_subjects}")
        unknown_patterns = sorted(set(columns["pattern"].tolist()) - set(PATTERNS))
        if unknown_patterns:
            raise ValueError(f"pattern must be one of {PATTERNS}, got {unknown_patterns}")
        for column in columns.values():
            column.flags.writeable = False
        object.__setattr__(self, "_columns", columns)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"FraudLabels is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"FraudLabels is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Callable[..., FraudLabels], tuple[Any, ...]]:
        """Pickle by the columns, so a copy is validated and read-only again."""
        return _unpickle_labels, tuple(self._columns[name] for name in _COLUMNS)

    @property
    def subject(self) -> npt.NDArray[np.object_]:
        """``"click"``, ``"order"`` or ``"partner"`` per row."""
        return self._columns["subject"]

    @property
    def id(self) -> npt.NDArray[np.object_]:
        """The labelled ``click_id``, ``order_id`` or ``partner_id`` per row."""
        return self._columns["id"]

    @property
    def pattern(self) -> npt.NDArray[np.object_]:
        """The fraud pattern per row."""
        return self._columns["pattern"]

    @property
    def partner_id(self) -> npt.NDArray[np.object_]:
        """The partner the fraud benefits, per row."""
        return self._columns["partner_id"]

    @property
    def evasive(self) -> npt.NDArray[np.bool_]:
        """Whether the row comes from the pattern's evasive variant."""
        return self._columns["evasive"]

    @classmethod
    def empty(cls) -> FraudLabels:
        """Labels with no rows: the labels of a programme without fraud."""
        nothing: list[str] = []
        return cls(
            subject=np.array(nothing, dtype=object),
            id=np.array(nothing, dtype=object),
            pattern=np.array(nothing, dtype=object),
            partner_id=np.array(nothing, dtype=object),
            evasive=np.zeros(0, dtype=np.bool_),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return _COLUMNS

    @property
    def patterns(self) -> tuple[str, ...]:
        """The patterns present, sorted."""
        return tuple(sorted(set(self.pattern.tolist())))

    def __len__(self) -> int:
        return int(self.subject.size)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        if name not in _COLUMNS:
            raise KeyError(f"FraudLabels has no column {name!r}; columns: {', '.join(_COLUMNS)}")
        return self._columns[name]

    def of(self, pattern: str | None = None, subject: str | None = None) -> FraudLabels:
        """The rows of one pattern, or about one kind of subject, or both.

        Raises:
            ValueError: `pattern` or `subject` is not a known one.
        """
        keep = np.ones(len(self), dtype=bool)
        if pattern is not None:
            if pattern not in PATTERNS:
                raise ValueError(f"pattern must be one of {PATTERNS}, got {pattern!r}")
            keep &= self.pattern == pattern
        if subject is not None:
            if subject not in SUBJECTS:
                raise ValueError(f"subject must be one of {SUBJECTS}, got {subject!r}")
            keep &= self.subject == subject
        return FraudLabels(
            subject=self.subject[keep],
            id=self.id[keep],
            pattern=self.pattern[keep],
            partner_id=self.partner_id[keep],
            evasive=self.evasive[keep],
        )

    def ids(self, subject: str, pattern: str | None = None) -> frozenset[str]:
        """The labelled ids of one kind of subject, of one pattern or of all.

        Raises:
            ValueError: `subject` or `pattern` is not a known one.
        """
        return frozenset(self.of(pattern, subject).id.tolist())

    def to_records(self) -> list[FraudRecord]:
        """The rows as dictionaries."""
        return [
            {
                "subject": subject,
                "id": label_id,
                "pattern": pattern,
                "partner_id": partner_id,
                "evasive": bool(evasive),
            }
            for subject, label_id, pattern, partner_id, evasive in zip(
                self.subject.tolist(),
                self.id.tolist(),
                self.pattern.tolist(),
                self.partner_id.tolist(),
                self.evasive.tolist(),
                strict=True,
            )
        ]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the rows (``pip install pandas``)."""
        pd = optional_import("pandas", "FraudLabels.to_pandas")
        return pd.DataFrame({name: self[name] for name in _COLUMNS}, columns=list(_COLUMNS))

    def equals(self, other: object) -> bool:
        """Whether two label tables hold the same rows in the same order."""
        return isinstance(other, FraudLabels) and all(
            np.array_equal(self[name], other[name]) for name in _COLUMNS
        )

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{pattern} {int((self.pattern == pattern).sum())}" for pattern in self.patterns
        )
        return f"FraudLabels({len(self)} rows{': ' + counts if counts else ''})"


def _unpickle_labels(
    subject: npt.ArrayLike,
    id: npt.ArrayLike,
    pattern: npt.ArrayLike,
    partner_id: npt.ArrayLike,
    evasive: npt.ArrayLike,
) -> FraudLabels:
    return FraudLabels(
        subject=subject, id=id, pattern=pattern, partner_id=partner_id, evasive=evasive
    )

"""`evaluate`: how well decisions find labelled fraud, per pattern and overall."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliance._frames import optional_import
from alliance._fx import FxRates
from alliance._money import Money
from alliance.risk._decisions import Decisions
from alliance.risk._flags import Subject

__all__ = ["Quality", "Score", "evaluate"]

_LEVELS: tuple[Subject, ...] = ("order", "click", "partner")


@dataclass(frozen=True)
class Score:
    """Detection figures of one pattern (or ``"all"``) at one level.

    Attributes:
        level: ``"order"``, ``"click"`` or ``"partner"``: the subjects counted.
        pattern: The labelled pattern, or ``"all"`` for any fraud.
        labelled: Subjects labelled with the pattern.
        caught: Of those, subjects held, blocked or discarded.
        recall: ``caught / labelled`` (NaN when nothing is labelled).
        flagged: Subjects held, blocked or discarded (``"all"`` rows only; else the caught).
        precision: ``flagged and labelled / flagged`` (``"all"`` rows; NaN when none flagged).
        false_positive_rate: ``flagged and not labelled / not labelled`` (``"all"`` rows).
    """

    level: Subject
    pattern: str
    labelled: int
    caught: int
    recall: float
    flagged: int
    precision: float
    false_positive_rate: float


@dataclass(frozen=True)
class Quality:
    """The result of `evaluate`: one `Score` per level and pattern, and the money saved.

    Attributes:
        scores: Per level, one row per pattern and one ``"all"`` row.
        money_at_risk: Commission earned by labelled fraudulent orders, by currency.
        money_saved: The part of it on orders held or blocked, by currency.
    """

    scores: tuple[Score, ...]
    money_at_risk: Mapping[str, Money] = field(default_factory=dict)
    money_saved: Mapping[str, Money] = field(default_factory=dict)

    def score(self, pattern: str = "all", level: Subject = "order") -> Score:
        """The score of a pattern at a level."""
        for row in self.scores:
            if row.pattern == pattern and row.level == level:
                return row
        known = sorted({(r.level, r.pattern) for r in self.scores})
        raise KeyError(f"no score for pattern {pattern!r} at level {level!r}; known: {known}")

    def recall(self, pattern: str = "all", level: Subject = "order") -> float:
        """Recall of a pattern at a level."""
        return self.score(pattern, level).recall

    def precision(self, level: Subject = "order") -> float:
        """Precision of all decisions at a level."""
        return self.score("all", level).precision

    @property
    def money_recall(self) -> dict[str, float]:
        """Per currency, the share of fraudulent commission held or blocked."""
        return {
            code: (
                float(self.money_saved[code].amount / total.amount) if total.amount else math.nan
            )
            for code, total in self.money_at_risk.items()
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per score."""
        return [dict(row.__dict__) for row in self.scores]

    def to_pandas(self) -> Any:
        """The scores as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "Quality.to_pandas")
        return pandas.DataFrame(self.to_records())

    def __str__(self) -> str:
        lines = [
            f"{'level':<8} {'pattern':<20} {'labelled':>8} {'caught':>7} {'recall':>7} "
            f"{'flagged':>8} {'precision':>9} {'FPR':>8}"
        ]
        for row in self.scores:
            extra = (
                f"{row.flagged:>8} {row.precision:>9.3f} {row.false_positive_rate:>8.4f}"
                if row.pattern == "all"
                else ""
            )
            lines.append(
                f"{row.level:<8} {row.pattern:<20} {row.labelled:>8} {row.caught:>7} "
                f"{row.recall:>7.3f} {extra}".rstrip()
            )
        for code, at_risk in self.money_at_risk.items():
            lines.append(f"commission saved {self.money_saved[code]} of {at_risk} ({code})")
        return "\n".join(lines)


def _label_rows(labels: Any) -> list[tuple[str, str, str]]:
    """(subject, id, pattern) triples from a labels table or records."""
    if hasattr(labels, "__getitem__") and not isinstance(labels, list | tuple):
        try:
            columns = [labels[name] for name in ("subject", "id", "pattern")]
        except (KeyError, TypeError):
            columns = None
        if columns is not None:
            return [
                (str(s), str(i), str(p))
                for s, i, p in zip(*(list(c) for c in columns), strict=True)
            ]
    if isinstance(labels, Iterable):
        rows = []
        for record in labels:
            if not isinstance(record, Mapping) or not {"subject", "id", "pattern"} <= set(record):
                raise TypeError("each label must be a mapping with subject, id and pattern")
            rows.append((str(record["subject"]), str(record["id"]), str(record["pattern"])))
        return rows
    raise TypeError(
        "labels must be a table with subject, id and pattern columns (such as "
        f"Program.labels) or records, got {type(labels).__name__}"
    )


def evaluate(
    decisions: Decisions,
    labels: Any,
    *,
    commissions: Any | None = None,
    fx: FxRates | None = None,
    currency: str | None = None,
) -> Quality:
    """Precision, recall and false-positive rate of decisions against labelled fraud.

    A subject counts as caught when its action is not ``allow``: ``review`` or ``block`` for
    orders and partners (an order inherits its partner's action, as in settlement),
    ``discard_click`` or ``block`` (or ``review``) for clicks. Recall is per labelled pattern
    and overall; precision and the false-positive rate are overall, per level, because a
    decision is about a subject, not about a pattern.

    Args:
        decisions: What `screen` returned.
        labels: Labelled fraud: `alliance.datasets.Program.labels`, or records / a table with
            ``subject`` (click, order, partner), ``id`` and ``pattern``.
        commissions: A `commission.CommissionTable` of the orders, for the commission at risk
            and saved.
        fx: Rates, to add the money up in one `currency` (at each row's order time).
        currency: The currency to add the money up in (with ``fx``).

    Returns:
        The `Quality`.

    Raises:
        TypeError: Decisions or labels of the wrong shape.
        ValueError: ``fx`` without ``currency``.
    """
    if not isinstance(decisions, Decisions):
        raise TypeError(f"decisions must be risk.Decisions, got {type(decisions).__name__}")
    if fx is not None and currency is None:
        raise ValueError("fx= adds the money up in currency=; name the currency")
    rows = _label_rows(labels)
    unknown = sorted({s for s, _, _ in rows} - set(_LEVELS))
    if unknown:
        raise ValueError(f"labels have unknown subjects {unknown}; use click, order or partner")
    scores: list[Score] = []
    for level in _LEVELS:
        flagged = set(decisions.actions(level, include_partner=True))
        by_pattern: dict[str, set[str]] = {}
        for subject, id, pattern in rows:
            if subject == level:
                by_pattern.setdefault(pattern, set()).add(id)
        for pattern in sorted(by_pattern):
            ids = by_pattern[pattern]
            caught = len(ids & flagged)
            scores.append(
                Score(
                    level, pattern, len(ids), caught, caught / len(ids), caught, math.nan, math.nan
                )
            )
        fraud = set().union(*by_pattern.values()) if by_pattern else set()
        caught = len(fraud & flagged)
        clean = decisions.screened.get(level, 0) - len(fraud)
        scores.append(
            Score(
                level,
                "all",
                len(fraud),
                caught,
                caught / len(fraud) if fraud else math.nan,
                len(flagged),
                caught / len(flagged) if flagged else math.nan,
                len(flagged - fraud) / clean if clean > 0 else math.nan,
            )
        )
    at_risk: dict[str, Money] = {}
    saved: dict[str, Money] = {}
    if commissions is not None:
        fraud_orders = {id for subject, id, _ in rows if subject == "order"}
        held = set(decisions.actions("order", include_partner=True))
        order_ids = np.asarray(commissions["order_id"], dtype=object)
        minor = np.asarray(commissions["commission"], dtype=np.int64)
        codes = np.asarray(commissions["currency"], dtype=object)
        if fx is not None and currency is not None:
            minor = fx.convert_minor(minor, codes, currency, at=np.asarray(commissions["ts"]))
            codes = np.full(minor.size, currency, dtype=object)
        is_fraud = np.array([o in fraud_orders for o in order_ids.tolist()], dtype=bool)
        is_held = np.array([o in held for o in order_ids.tolist()], dtype=bool)
        for code in sorted(set(codes[is_fraud].tolist())):
            mine = is_fraud & (codes == code)
            at_risk[code] = Money.from_minor(int(minor[mine].sum()), code)
            saved[code] = Money.from_minor(int(minor[mine & is_held].sum()), code)
    return Quality(tuple(scores), at_risk, saved)

"""Decisions: what a policy makes of the flags, one row per flagged subject."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance._frames import optional_import
from alliance.risk._flags import SUBJECTS, Action, Flag, Flags, Subject, objects
from alliance.risk._policy import STRICTNESS, Policy

__all__ = ["Decision", "Decisions", "decide"]

_BY_STRICTNESS: tuple[Action, ...] = ("allow", "review", "discard_click", "block")
_MAX_WEIGHT = 1 - 1e-12

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Decision:
    """What to do about one subject, and every reason why.

    Attributes:
        subject: ``"click"``, ``"order"``, ``"partner"`` or ``"coupon"``.
        id: Its id (a coupon's code).
        action: ``allow``, ``review`` (hold the commission), ``block`` (reject it) or
            ``discard_click`` (the click may not attribute).
        score: ``1 - prod(1 - weight)`` over the reasons, in [0, 1).
        reasons: Every flag raised for it, the heaviest first.
        partner_id: The partner concerned.
        allowlisted: Whether an allowlist overrode the reasons.
    """

    subject: Subject
    id: str
    action: Action
    score: float
    reasons: tuple[Flag, ...]
    partner_id: str | None
    allowlisted: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, the heaviest first."""
        return tuple(flag.code for flag in self.reasons)

    def explain(self) -> str:
        """The decision and its reasons, one per line."""
        head = f"{self.subject} {self.id}: {self.action} (score {self.score:.2f})"
        if self.allowlisted:
            head += ", allowlisted"
        return "\n".join([head, *(f"  - {flag.explain()}" for flag in self.reasons)])


def decide(
    subject: Subject,
    id: str,
    flags: Sequence[Flag],
    policy: Policy,
    *,
    partner_id: str | None = None,
    allowlisted: bool = False,
) -> Decision:
    """The decision on one subject from its flags (`Decisions` does the same for a batch)."""
    if not flags:
        return _allowed(subject, id, partner_id, allowlisted)
    allow_rules = policy.allow_rules
    if allow_rules and any(f.code in allow_rules for f in flags):
        allowlisted = True
    ranked = sorted(flags, key=lambda f: -policy.weight_of(f.code))
    strictest = max((STRICTNESS[policy.action_of(f.code)] for f in ranked), default=0)
    keep = 0.0
    for flag in ranked:
        keep += math.log1p(-min(policy.weight_of(flag.code), _MAX_WEIGHT))
    score = -math.expm1(keep)
    if strictest == 0 and ranked and score >= policy.review_score:
        strictest = STRICTNESS["review"]
    action: Action = "allow" if allowlisted else _BY_STRICTNESS[strictest]
    return Decision(subject, id, action, score, tuple(ranked), partner_id, allowlisted)


_new = object.__new__


def _allowed(subject: Subject, id: str, partner_id: str | None, allowlisted: bool) -> Decision:
    """``Decision(subject, id, "allow", 0.0, (), partner_id, allowlisted)``, made faster.

    Most events of a stream are allowed without a reason; filling the instance's dict at once
    skips the frozen dataclass's field-by-field ``object.__setattr__`` (half the cost of a
    screened click).
    """
    decision = _new(Decision)
    decision.__dict__.update(
        subject=subject,
        id=id,
        action="allow",
        score=0.0,
        reasons=(),
        partner_id=partner_id,
        allowlisted=allowlisted,
    )
    return decision


_COLUMNS = ("subject", "id", "action", "score", "reasons", "partner_id", "allowlisted")


class Decisions:
    """The decisions of a screening: one row per subject with at least one flag.

    A subject that is not listed was screened and allowed with score 0. Columns: subject,
    id, action, score, reasons (the reason codes, heaviest first), partner_id and allowlisted;
    `flags` keeps every flag with its numbers.

    Attributes:
        flags: Every flag behind the decisions.
        screened: How many clicks, orders, partners and coupon codes were screened.
    """

    __slots__ = ("_columns", "_order_partner", "flags", "policy", "screened")

    def __init__(
        self,
        columns: Mapping[str, npt.NDArray[Any]],
        flags: Flags,
        policy: Policy,
        screened: Mapping[Subject, int],
        order_partner: tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]] | None = None,
    ) -> None:
        self._columns = {name: columns[name] for name in _COLUMNS}
        self.flags = flags
        self.policy = policy
        self.screened: dict[Subject, int] = {s: int(screened.get(s, 0)) for s in SUBJECTS}
        empty = np.empty(0, dtype=object)
        self._order_partner = order_partner if order_partner is not None else (empty, empty)

    @classmethod
    def build(
        cls,
        flags: Flags,
        policy: Policy,
        *,
        allowlisted: npt.NDArray[np.bool_] | None = None,
        screened: Mapping[Subject, int] | None = None,
        order_partner: tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]] | None = None,
    ) -> Decisions:
        """Group flags by subject and id and decide each (see `Policy` for the precedence).

        Args:
            flags: The flags of a screening.
            policy: Actions and weights per reason code.
            allowlisted: Per flag, whether its subject is allowlisted.
            screened: How many subjects of each kind were screened.
            order_partner: Every screened order id and its partner id, so that a partner's
                decision can extend to its orders (`actions`).
        """
        size = len(flags)
        if size == 0:
            empty = {name: np.empty(0, dtype=object) for name in _COLUMNS}
            empty["score"] = np.empty(0, dtype=np.float64)
            empty["allowlisted"] = np.empty(0, dtype=bool)
            return cls(empty, flags, policy, screened or {}, order_partner)
        codes, strict, weight, allowed = _weighed(flags, policy, allowlisted)
        _, subject_index = _few_words(flags["subject"])
        ids, id_index = np.unique(flags["id"].astype(str), return_inverse=True)
        order = np.lexsort((-weight, id_index, subject_index))
        ordered = flags.take(order)
        group_key = subject_index[order] * (ids.size + 1) + id_index[order]
        starts = np.flatnonzero(np.r_[True, group_key[1:] != group_key[:-1]])
        strictness, score, listed = _decide(
            strict[order], weight[order], allowed[order], starts, policy
        )
        action = np.array(_BY_STRICTNESS, dtype=object)[strictness]
        action[listed] = "allow"
        code_lists = ordered["code"].tolist()
        alone = {code: (code,) for code in codes}  # most subjects have one reason
        bounds = zip(starts.tolist(), [*starts[1:].tolist(), size], strict=True)
        columns = {
            "subject": ordered["subject"][starts],
            "id": ordered["id"][starts],
            "action": np.asarray(action, dtype=object),
            "score": score,
            "reasons": _tuples(
                [alone[code_lists[a]] if b - a == 1 else tuple(code_lists[a:b]) for a, b in bounds]
            ),
            "partner_id": ordered["partner_id"][starts],
            "allowlisted": listed,
        }
        return cls(columns, ordered, policy, screened or {}, order_partner)

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._columns["id"])

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        """A column by name."""
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"decisions have no column {name!r}; columns: {_COLUMNS}") from None

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return _COLUMNS

    def _flags_by_subject(self) -> dict[tuple[str, str], list[Flag]]:
        grouped: dict[tuple[str, str], list[Flag]] = {}
        for flag in self.flags:
            grouped.setdefault((flag.subject, flag.id), []).append(flag)
        return grouped

    def __iter__(self) -> Iterator[Decision]:
        grouped = self._flags_by_subject()
        names = ("subject", "id", "action", "score", "partner_id", "allowlisted")
        rows = zip(*(self._columns[n].tolist() for n in names), strict=True)
        for subject, id, action, score, partner, listed in rows:
            reasons = tuple(grouped[(subject, id)])
            yield Decision(subject, id, action, score, reasons, partner, listed)

    def get(self, subject: Subject, id: str) -> Decision:
        """The decision on one subject (``allow`` with score 0 when nothing flagged it)."""
        match = np.flatnonzero((self._columns["subject"] == subject) & (self._columns["id"] == id))
        if match.size == 0:
            return Decision(subject, id, "allow", 0.0, (), None)
        row = int(match[0])
        reasons = tuple(f for f in self.flags.where(subject=subject) if f.id == id)
        return Decision(
            subject,
            id,
            self._columns["action"][row],
            float(self._columns["score"][row]),
            reasons,
            self._columns["partner_id"][row],
            bool(self._columns["allowlisted"][row]),
        )

    def where(self, *, subject: Subject | None = None, action: Action | None = None) -> Decisions:
        """The decisions of one subject and/or action."""
        keep = np.ones(len(self), dtype=bool)
        if subject is not None:
            keep &= self._columns["subject"] == subject
        if action is not None:
            keep &= self._columns["action"] == action
        rows = np.flatnonzero(keep)
        columns = {name: values[rows] for name, values in self._columns.items()}
        pairs = set(zip(columns["subject"].tolist(), columns["id"].tolist(), strict=True))
        flag_keep = np.array(
            [
                (s, i) in pairs
                for s, i in zip(
                    self.flags["subject"].tolist(), self.flags["id"].tolist(), strict=True
                )
            ],
            dtype=bool,
        )
        return Decisions(
            columns, self.flags.take(flag_keep), self.policy, self.screened, self._order_partner
        )

    def actions(
        self, subject: Subject = "order", *, include_partner: bool = True
    ) -> dict[str, Action]:
        """Ids of one subject that are not allowed, with their action.

        Args:
            subject: The subject.
            include_partner: For orders, extend the ``review`` or ``block`` of a partner's
                reasons to each of its orders (the stricter action wins; an allowlisted order
                stays allowed; reasons in ``policy.partner_spares_orders`` do not extend).
        """
        mine = (self._columns["subject"] == subject) & (self._columns["action"] != "allow")
        out: dict[str, Action] = dict(
            zip(
                self._columns["id"][mine].tolist(),
                self._columns["action"][mine].tolist(),
                strict=True,
            )
        )
        if subject != "order" or not include_partner:
            return out
        strict = self._partner_holds()
        if not strict:
            return out
        listed = set(
            self._columns["id"][
                (self._columns["subject"] == "order") & self._columns["allowlisted"]
            ].tolist()
        )
        order_ids, partner_ids = self._order_partner
        for order_id, partner_id in zip(order_ids.tolist(), partner_ids.tolist(), strict=True):
            extended = strict.get(partner_id)
            if extended is None or order_id in listed:
                continue
            own = out.get(order_id, "allow")
            if STRICTNESS[extended] > STRICTNESS[own]:
                out[order_id] = extended
        return out

    def _partner_holds(self) -> dict[str, Action]:
        """Per partner, the action its reasons extend to its orders (review or block)."""
        policy = self.policy
        if not policy.partner_holds_orders:
            return {}
        partners = self._columns["subject"] == "partner"
        listed = set(self._columns["id"][partners & self._columns["allowlisted"]].tolist())
        spared = set(policy.partner_spares_orders)
        holds: dict[str, Action] = {}
        for flag in self.flags.where(subject="partner"):
            if flag.code in spared or flag.id in listed:
                continue
            action = policy.action_of(flag.code)
            if (
                action in ("review", "block")
                and STRICTNESS[action] > STRICTNESS[holds.get(flag.id, "allow")]
            ):
                holds[flag.id] = action
        return holds

    def for_settlement(self) -> dict[str, Literal["review", "block"]]:
        """Order id to ``review`` (hold) or ``block`` (reject), for `settlement.settle`."""
        out: dict[str, Literal["review", "block"]] = {}
        for order_id, action in self.actions("order", include_partner=True).items():
            if action == "review" or action == "block":
                out[order_id] = action
        return out

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts of decisions by subject and action (subjects not listed are allowed)."""
        out: dict[str, dict[str, int]] = {}
        for subject, action in zip(
            self._columns["subject"].tolist(), self._columns["action"].tolist(), strict=True
        ):
            counts = out.setdefault(subject, {})
            counts[action] = counts.get(action, 0) + 1
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per decision, reasons as lists of codes."""
        names = _COLUMNS
        rows = zip(*(self._columns[n].tolist() for n in names), strict=True)
        return [{**dict(zip(names, row, strict=True)), "reasons": list(row[4])} for row in rows]

    def to_pandas(self) -> Any:
        """The decisions as a pandas DataFrame (pandas must be installed)."""
        pandas = optional_import("pandas", "Decisions.to_pandas")
        return pandas.DataFrame({name: self._columns[name] for name in _COLUMNS})

    def explain(self, limit: int = 10) -> str:
        """The strictest decisions first, each with its reasons."""
        order = np.lexsort(
            (
                -self._columns["score"],
                -np.array(
                    [STRICTNESS[a] for a in self._columns["action"].tolist()], dtype=np.int64
                ),
            )
        )
        picked = self.take(order[:limit])
        lines = [decision.explain() for decision in picked]
        if len(self) > limit:
            lines.append(f"… and {len(self) - limit} more")
        return "\n".join(lines)

    def take(self, rows: npt.ArrayLike) -> Decisions:
        """The decisions at some positions."""
        index = np.asarray(rows, dtype=np.intp)
        columns = {name: values[index] for name, values in self._columns.items()}
        return Decisions(columns, self.flags, self.policy, self.screened, self._order_partner)

    def __repr__(self) -> str:
        shown = "; ".join(
            f"{subject}: " + ", ".join(f"{a} {n}" for a, n in sorted(counts.items()))
            for subject, counts in sorted(self.summary().items())
        )
        return f"Decisions({len(self)} flagged{'; ' if shown else ''}{shown})"


def _weighed(
    flags: Flags, policy: Policy, allowlisted: npt.NDArray[np.bool_] | None
) -> tuple[list[str], npt.NDArray[np.int64], FloatArray, BoolArray]:
    """The policy's view of each flag: strictness, weight, and whether its subject is spared.

    Returns the distinct codes and, per flag, the strictness and weight of its code and
    whether an allowlist or an ``allow`` rule spares its subject.
    """
    codes, code_index = _few_words(flags["code"])
    weight = np.array([policy.weight_of(c) for c in codes], dtype=np.float64)
    strict = np.array([STRICTNESS[policy.action_of(c)] for c in codes], dtype=np.int64)
    allowed = np.zeros(len(flags), dtype=bool) if allowlisted is None else allowlisted.copy()
    allow_rules = policy.allow_rules
    allowing = [number for number, code in enumerate(codes) if code in allow_rules]
    if allowing:
        allowed |= np.isin(code_index, allowing)
    return codes, strict[code_index], weight[code_index], allowed


def _decide(
    strict: npt.NDArray[np.int64],
    weight: FloatArray,
    allowed: BoolArray,
    starts: npt.NDArray[np.intp],
    policy: Policy,
) -> tuple[npt.NDArray[np.int64], FloatArray, BoolArray]:
    """Per group of flags (each group's heaviest first), its strictness, score and allowlisting.

    The score is ``1 - prod(1 - weight)``; a group with no stricter action than ``allow``
    whose score reaches ``policy.review_score`` is held for review.
    """
    strictness = np.maximum.reduceat(strict, starts)
    keep = np.add.reduceat(np.log1p(-np.minimum(weight, _MAX_WEIGHT)), starts)
    listed = np.maximum.reduceat(allowed.astype(np.int8), starts).astype(bool)
    score = -np.expm1(keep)
    strictness[(strictness == 0) & (score >= policy.review_score)] = STRICTNESS["review"]
    return strictness, score, listed


def held_rows(
    flags: Flags, policy: Policy, allowlisted: BoolArray, size: int
) -> npt.NDArray[np.bool_]:
    """Per row of the flags' table, whether its decision holds, blocks or discards it.

    What `Decisions.build` decides, for flags that know their rows (`Flags` of a screening's
    checks), without building the table. Flags without a row are left out.
    """
    held = np.zeros(size, dtype=bool)
    _, strict, weight, allowed = _weighed(flags, policy, allowlisted)
    rows = flags._rows
    known = np.flatnonzero(rows >= 0)
    if known.size == 0:
        return held
    order = known[np.lexsort((-weight[known], rows[known]))]
    by_row = rows[order]
    starts = np.flatnonzero(np.r_[True, by_row[1:] != by_row[:-1]])
    strictness, _, listed = _decide(strict[order], weight[order], allowed[order], starts, policy)
    held[by_row[starts]] = (strictness > 0) & ~listed
    return held


def _few_words(values: npt.NDArray[np.object_]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The sorted distinct words of a column with few of them, and each row's index among them.

    Hashing beats sorting when a column holds a handful of words (reason codes, subjects).
    """
    cells = values.tolist()
    words = sorted(set(cells))
    index = {word: number for number, word in enumerate(words)}
    return words, np.fromiter(map(index.__getitem__, cells), np.int64, len(cells))


def _tuples(values: list[tuple[str, ...]]) -> npt.NDArray[np.object_]:
    return objects(values, len(values))

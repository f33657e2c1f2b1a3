"""Rule evaluation over many lines at once, exactly.

Every node returns, for the lines it is given, an exact commission as an integer count of
``1 / scale`` minor units (``scale`` a power of ten large enough for every rate in the plan),
so sums, tiers, caps and multipliers never round. The one rounding happens after the whole
plan, per order (see `_engine.py`). A node also records, per line, the branch taken and the
tier reached, for `explain`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._kernels import INT64_MAX, allocate_minor, decimal_to_ratio, mul_div_round
from alliance._periods import from_micros, period_index, shift
from alliance.commission._contracts import Contract
from alliance.commission._lines import LineFrame
from alliance.commission._rules import (
    Add,
    Bonus,
    Cap,
    Condition,
    Flat,
    Floor,
    Guarantee,
    Multiplier,
    Override,
    Percent,
    PerClick,
    PerLead,
    Recurring,
    Tiered,
    When,
    walk,
)
from alliance.errors import ContractError, MoneyOverflow

__all__ = ["Evaluation", "RunState", "carry_state", "evaluate_plan", "places_needed"]

IntArray = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def places_needed(rule: Any) -> int:
    """Decimal places of ``1 / scale`` that keep every product of the plan exact."""
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
        old, inverse = np.unique(self.codes[rows], return_inverse=True)
        joined = [
            self._code(f"{self.texts[c]}{self._separator}{text}" if self.texts[c] else text)
            for c in old.tolist()
        ]
        self.codes[rows] = np.array(joined, dtype=np.int64)[inverse.reshape(-1)]

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
    volume_cache: dict[tuple[Any, ...], tuple[IntArray, npt.NDArray[np.object_]]] = field(
        default_factory=dict
    )
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


def _by_order(frame: LineFrame, rows: Rows) -> tuple[IntArray, IntArray]:
    """For the given lines: the distinct orders (order rows) and each line's group number.

    ``rows`` are ascending positions, and an order's lines are adjacent in the frame, so an
    order's lines are adjacent among ``rows`` too: one pass finds the groups, no sort.
    """
    order_rows = frame.order_row[rows]
    if order_rows.size == 0:
        return order_rows.astype(np.int64), np.zeros(0, dtype=np.int64)
    starts = np.ones(order_rows.size, dtype=bool)
    starts[1:] = order_rows[1:] != order_rows[:-1]
    groups = np.cumsum(starts) - 1
    return order_rows[starts].astype(np.int64), groups.astype(np.int64)


def _spread(totals: IntArray, weights: IntArray, groups: IntArray) -> IntArray:
    """Allocate per-group totals over lines by weight; equal weights where all are zero."""
    sums = np.zeros(totals.size, dtype=np.int64)
    np.add.at(sums, groups, weights)
    usable = np.where(sums[groups] > 0, weights, 1)
    return allocate_minor(totals, usable, groups)


# -- conditions -----------------------------------------------------------------------------------


def _matches(condition: Condition, run: Evaluation, rows: Rows) -> npt.NDArray[np.bool_]:
    frame = run.frame
    mask = np.ones(rows.size, dtype=bool)

    def within(values: npt.NDArray[np.object_], wanted: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        return np.isin(values[rows], np.array(wanted, dtype=object))

    if condition.category is not None:
        mask &= within(frame.text["category"], condition.category)
    if condition.sku is not None:
        mask &= within(frame.text["sku"], condition.sku)
    if condition.country is not None:
        mask &= within(frame.text["country"], condition.country)
    if condition.group is not None:
        mask &= within(frame.group, condition.group)
    if condition.coupon is True:
        mask &= frame.text["coupon_code"][rows] != None  # noqa: E711
    elif condition.coupon is False:
        mask &= frame.text["coupon_code"][rows] == None  # noqa: E711
    elif condition.coupon is not None:
        mask &= within(frame.text["coupon_code"], condition.coupon)
    if condition.new_customer is not None:
        mask &= frame.new_customer[rows] == (1 if condition.new_customer else 0)
    if condition.during is not None:
        ts = frame.ts[rows]
        inside = np.zeros(rows.size, dtype=bool)
        for window in condition.during:
            inside |= (ts >= _us(window.start)) & (ts < _us(window.end))
        mask &= inside
    attributes = dict(condition.attributes or {})
    if condition.device is not None:
        attributes["device"] = condition.device
    for name, wanted in attributes.items():
        column = frame.text.get(f"attribute:{name}")
        if column is None:
            mask &= False  # the orders do not carry it: nothing matches
        else:
            mask &= np.isin(column[rows].astype(str), np.array(wanted, dtype=str)) & (
                column[rows] != None  # noqa: E711
            )
    return mask


def _us(value: Any) -> int:
    from alliance._periods import to_micros

    return to_micros(value)


# -- volume for tiers, bonuses and period caps ----------------------------------------------------


def _period_labels(run: Evaluation, rows: Rows, period: str) -> npt.NDArray[np.object_]:
    if period == "lifetime":
        return np.full(rows.size, "lifetime", dtype=object)
    codes, periods = period_index(run.frame.ts[rows], period, tz=run.contract.timezone)  # type: ignore[arg-type]
    labels = np.array([p.label for p in periods] + [""], dtype=object)
    return labels[codes]


def _codes(values: npt.NDArray[Any]) -> tuple[IntArray, npt.NDArray[Any]]:
    """Dense codes of an object column (``None`` becomes its own value, ``""``)."""
    text = np.array(["" if v is None else str(v) for v in values], dtype=object)
    distinct, inverse = np.unique(text, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), distinct


def _volume_before(
    run: Evaluation, rows: Rows, basis: str, period: str, scope: str
) -> tuple[IntArray, npt.NDArray[np.object_], IntArray]:
    """Per line: volume reached before it in its group, its group key, and its own volume.

    Volume counts every line of the contract (whatever branch pays it), per partner (and
    category), per period, in the deterministic line order, starting from the carried state.
    """
    frame = run.frame
    cache_key = (basis, period, scope)
    if cache_key not in run.volume_cache:
        # Every version of the contract counts toward the same volume.
        ids = np.array([c.id for c in frame.contracts], dtype=object)[frame.contract]
        everything = np.flatnonzero(ids == run.contract.id)
        partner_code, partners = frame.partner_code[everything], frame.partner_names
        if scope == "partner+category":
            category_code, categories = _codes(frame.text["category"][everything])
        else:
            category_code, categories = np.zeros(everything.size, np.int64), np.array([""], object)
        if period == "lifetime":
            period_code, labels = np.zeros(everything.size, np.int64), ["lifetime"]
        else:
            period_code, periods = period_index(
                frame.ts[everything],
                period,  # type: ignore[arg-type]
                tz=run.contract.timezone,
            )
            labels = [p.label for p in periods]
        combined = (partner_code * len(categories) + category_code) * max(len(labels), 1)
        combined = combined + period_code
        distinct, groups = np.unique(combined, return_inverse=True)
        groups = groups.reshape(-1)
        names = []
        for key in distinct.tolist():
            rest, period_number = divmod(key, max(len(labels), 1))
            partner_number, category_number = divmod(rest, len(categories))
            names.append(
                f"{run.contract.id}|{basis}|{period}|{scope}|{partners[partner_number]}|"
                f"{categories[category_number]}|{labels[period_number]}"
            )
        key_names = np.array(names, dtype=object)
        # Lines are in volume order; a stable sort by group keeps that order within groups.
        order = np.argsort(groups, kind="stable")
        group_sorted = groups[order]
        if basis == "revenue":
            own_sorted = frame.base[everything][order].astype(np.int64)
        elif basis == "units":
            own_sorted = frame.quantity[everything][order].astype(np.int64)
        else:  # orders: an order counts once per group, on its first line there
            order_sorted = frame.order_row[everything][order]
            fresh = np.ones(order.size, dtype=bool)
            fresh[1:] = (group_sorted[1:] != group_sorted[:-1]) | (
                order_sorted[1:] != order_sorted[:-1]
            )
            own_sorted = fresh.astype(np.int64)
            # An order is one unit of volume: each of its lines sits where its first line does.
            first_of_order = np.maximum.accumulate(np.where(fresh, np.arange(order.size), 0))
        if run.finalize:
            # Reversed volume does not count at close: a full reversal removes the line's
            # volume, a partial one its share (rounded down) of revenue.
            numerator = frame.reversed_numerator[everything][order]
            denominator = frame.reversed_denominator[everything][order]
            full = numerator >= denominator
            if basis == "revenue":
                own_sorted = own_sorted - mul_div_round(own_sorted, numerator, denominator, "floor")
            elif basis == "orders":
                # The order still counts while any of its lines is not fully reversed.
                kept = np.zeros(order.size, dtype=bool)
                np.logical_or.at(kept, first_of_order, ~full)
                own_sorted = np.where(fresh & kept, 1, 0).astype(np.int64)
            else:
                own_sorted = np.where(full, 0, own_sorted)
        cumulative = np.cumsum(own_sorted)
        starts = np.searchsorted(group_sorted, np.arange(distinct.size))
        before_start = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0)
        running = np.array([run.state.volumes.get(k, 0) for k in names], dtype=np.int64)
        before_sorted = cumulative - own_sorted - before_start[group_sorted] + running[group_sorted]
        totals = np.zeros(distinct.size, dtype=np.int64)
        np.add.at(totals, group_sorted, own_sorted)
        for name, total, start in zip(names, totals.tolist(), running.tolist(), strict=True):
            run.touched_volumes[name] = start + total
        if basis == "orders":
            before_sorted = before_sorted[first_of_order]
            own_sorted = own_sorted[first_of_order]
        before = np.zeros(frame.order_row.size, dtype=np.int64)
        own = np.zeros(frame.order_row.size, dtype=np.int64)
        keys = np.empty(frame.order_row.size, dtype=object)
        before[everything[order]] = before_sorted
        own[everything[order]] = own_sorted
        keys[everything] = key_names[groups]
        run.volume_cache[cache_key] = (np.stack([before, own]), keys)
    stacked, keys = run.volume_cache[cache_key]
    return stacked[0][rows], keys[rows], stacked[1][rows]


def _thresholds(rule: Tiered, exponent: int) -> IntArray:
    if rule.basis == "revenue":
        values = []
        for tier in rule.tiers:
            numerator, denominator = decimal_to_ratio(tier.threshold * 10**exponent)
            if numerator % denominator:
                raise ContractError(
                    f"tier threshold {tier.threshold} is finer than the contract currency's "
                    "minor unit"
                )
            values.append(numerator // denominator)
        return np.array(values, dtype=np.int64)
    return np.array([int(t.threshold) for t in rule.tiers], dtype=np.int64)


# -- the nodes ------------------------------------------------------------------------------------


def evaluate_plan(run: Evaluation, rule: Any, rows: Rows, path: str = "plan") -> IntArray:
    """Exact scaled commission of ``rule`` for the lines ``rows`` (global line positions)."""
    handler = _HANDLERS.get(type(rule))
    if handler is None:  # pragma: no cover - every rule kind has a handler
        raise ContractError(f"no evaluation for rule kind {rule.kind!r}")
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    return handler(run, rule, rows, path)


def _percent(run: Evaluation, rule: Percent, rows: Rows, path: str) -> IntArray:
    return _checked_product(run.frame.base[rows], _rate_scaled(rule.rate, run.scale))


def _flat(run: Evaluation, rule: Flat | PerLead, rows: Rows, path: str) -> IntArray:
    amount = run.money_scaled(rule.amount)
    per = rule.per if isinstance(rule, Flat) else "order"
    if per == "line":
        return np.full(rows.size, amount, dtype=np.int64)
    if per == "unit":
        return _checked_product(run.frame.quantity[rows], amount)
    distinct, groups = _by_order(run.frame, rows)
    totals = np.full(distinct.size, amount, dtype=np.int64)
    return _spread(totals, run.frame.base[rows].astype(np.int64), groups)


def _nothing(run: Evaluation, rule: Any, rows: Rows, path: str) -> IntArray:
    return np.zeros(rows.size, dtype=np.int64)


def _when(run: Evaluation, rule: When, rows: Rows, path: str) -> IntArray:
    values = np.zeros(rows.size, dtype=np.int64)
    remaining = np.arange(rows.size)
    for number, branch in enumerate(rule.branches):
        if remaining.size == 0:
            break
        hit = _matches(branch.condition, run, rows[remaining])
        chosen = remaining[hit]
        if chosen.size:
            run.mark(rows[chosen], f"when #{number + 1} ({branch.condition.describe()})")
            values[chosen] = evaluate_plan(run, branch.rule, rows[chosen], f"{path}.b{number}")
        remaining = remaining[~hit]
    if remaining.size:
        if rule.otherwise is not None:
            run.mark(rows[remaining], "otherwise")
            values[remaining] = evaluate_plan(
                run, rule.otherwise, rows[remaining], f"{path}.otherwise"
            )
        else:
            run.mark(rows[remaining], "no branch matched")
    return values


def _add(run: Evaluation, rule: Add, rows: Rows, path: str) -> IntArray:
    total = np.zeros(rows.size, dtype=np.int64)
    for number, part in enumerate(rule.rules):
        value = evaluate_plan(run, part, rows, f"{path}.p{number}")
        if total.size and value.size:
            room = INT64_MAX - np.abs(total)
            if bool((np.abs(value) > room).any()):
                raise MoneyOverflow("commission arithmetic past int64 in add()")
        total = total + value
    return total


def _multiplier(run: Evaluation, rule: Multiplier, rows: Rows, path: str) -> IntArray:
    places = max((_places(f) for f in rule.by_group.values()), default=0)
    inner_scale = run.scale // 10**places
    outer_scale = run.scale
    run.scale = inner_scale
    try:
        inner = evaluate_plan(run, rule.rule, rows, f"{path}.rule")
    finally:
        run.scale = outer_scale
    factors = np.full(rows.size, 10**places, dtype=np.int64)
    groups = run.frame.group[rows]
    for name, factor in rule.by_group.items():
        numerator, denominator = decimal_to_ratio(factor * 10**places)
        factors[groups == name] = numerator // denominator
    for name in rule.by_group:
        hit = rows[groups == name]
        if hit.size:
            run.note(hit, f"x{rule.by_group[name]} for group {name}")
    limit = int(np.abs(inner).max()) if inner.size else 0
    if limit and int(factors.max()) > INT64_MAX // limit:
        raise MoneyOverflow("commission arithmetic past int64 in multiplier()")
    return inner * factors


def _tiered(run: Evaluation, rule: Tiered, rows: Rows, path: str) -> IntArray:
    before, _, own = _volume_before(run, rows, rule.basis, rule.period, rule.scope)
    thresholds = _thresholds(rule, run.exponent)
    tiers = len(rule.tiers)
    values = np.zeros(rows.size, dtype=np.int64)
    if rule.mode == "marginal" and rule.basis != "orders":
        upper = np.append(thresholds[1:], INT64_MAX)
        start, end = before, before + own
        base = run.frame.base[rows].astype(np.int64)
        reached = np.zeros(rows.size, dtype=np.int64)
        if rule.basis == "units":
            # Split each line's base over the tiers its units fall in, by largest remainder.
            portions = np.stack(
                [
                    np.clip(np.minimum(end, upper[i]) - np.maximum(start, thresholds[i]), 0, None)
                    for i in range(tiers)
                ],
                axis=1,
            )
            flat_weights = portions.reshape(-1)
            groups = np.repeat(np.arange(rows.size), tiers)
            has_units = portions.sum(axis=1) > 0
            weights = np.where(has_units[groups], flat_weights, 0)
            weights[::tiers] = np.where(has_units, weights[::tiers], 1)
            split = allocate_minor(base, weights, groups).reshape(rows.size, tiers)
        else:
            split = np.stack(
                [
                    np.clip(np.minimum(end, upper[i]) - np.maximum(start, thresholds[i]), 0, None)
                    for i in range(tiers)
                ],
                axis=1,
            )
        for number, tier in enumerate(rule.tiers):
            rule_of_tier = tier.rule
            if not isinstance(rule_of_tier, Percent):  # pragma: no cover - Tiered checks it
                raise ContractError("marginal tiers must be percent rules")
            rate = _rate_scaled(rule_of_tier.rate, run.scale)
            values += _checked_product(split[:, number], rate)
            reached = np.where(split[:, number] > 0, number, reached)
        crossing = (split > 0).sum(axis=1) > 1
        run.tier[rows] = reached
        run.mark(rows, f"tiered {rule.basis} marginal")
        if crossing.any():
            run.note(rows[crossing], "crosses a tier threshold: split between tiers")
        return values
    # forward (and orders basis): the tier reached before the line; whole: after it.
    volume = before + own if rule.mode == "whole" else before
    if rule.mode == "whole" and run.finalize:
        _, keys, _ = _volume_before(run, rows, rule.basis, rule.period, rule.scope)
        volume = np.array([run.touched_volumes[str(k)] for k in keys], dtype=np.int64)
    tier_of = np.searchsorted(thresholds, volume, side="right") - 1
    if rule.mode == "whole":
        run.note(rows, "provisional tier; trued up at period close")
    run.tier[rows] = tier_of
    run.mark(rows, f"tiered {rule.basis} {rule.mode}")
    for number, tier in enumerate(rule.tiers):
        members = np.flatnonzero(tier_of == number)
        if members.size:
            values[members] = evaluate_plan(run, tier.rule, rows[members], f"{path}.t{number}")
    return values


def _cap(run: Evaluation, rule: Cap, rows: Rows, path: str) -> IntArray:
    values = evaluate_plan(run, rule.rule, rows, f"{path}.rule")
    if rule.per_line is not None:
        limit = run.money_scaled(rule.per_line)
        hit = values > limit
        if hit.any():
            run.note(rows[hit], f"per-line cap {rule.per_line} hit")
        values = np.minimum(values, limit)
    if rule.per_order is None and rule.per_period is None:
        return values
    distinct, groups = _by_order(run.frame, rows)
    totals = np.zeros(distinct.size, dtype=np.int64)
    np.add.at(totals, groups, values)
    capped = totals.copy()
    if rule.per_order is not None:
        limit = run.money_scaled(rule.per_order)
        over = capped > limit
        if over.any():
            run.note(rows[over[groups]], f"per-order cap {rule.per_order} hit")
        capped = np.minimum(capped, limit)
    if rule.per_period is not None:
        capped = _period_cap(run, rule, rows, path, distinct, groups, capped)
    changed = capped != totals
    if not changed.any():
        return values
    lines = changed[groups]
    result = values.copy()
    result[lines] = _spread(
        capped[changed], values[lines], np.searchsorted(np.flatnonzero(changed), groups[lines])
    )
    return result


def _period_cap(
    run: Evaluation,
    rule: Cap,
    rows: Rows,
    path: str,
    distinct: IntArray,
    groups: IntArray,
    totals: IntArray,
) -> IntArray:
    """Orders in volume order; the one that crosses the cap gets the remainder."""
    if rule.per_period is None:  # pragma: no cover - the caller checks
        return totals
    frame = run.frame
    first_line = np.zeros(distinct.size, dtype=np.intp)
    first_line[groups[::-1]] = np.arange(rows.size)[::-1]
    order_rows = rows[first_line]
    labels = _period_labels(run, order_rows, rule.period)
    keys = np.array(
        [
            f"cap|{run.contract.id}|{path}|{p}|{label}"
            for p, label in zip(frame.partner[order_rows], labels, strict=True)
        ],
        dtype=object,
    )
    limit = run.money_scaled(rule.per_period)
    paid = totals.copy()
    # Orders are visited in line order (ts, id), which the frame is sorted by.
    used: dict[str, int] = {}
    for position in np.argsort(first_line, kind="stable"):
        key = str(keys[position])
        if key not in used:
            carried = run.state.paid.get(key, Decimal(0))
            # Rounded up: paid at a finer scale (an earlier version), the room left must not
            # round past the cap.
            used[key] = math.ceil(carried * 10**run.exponent * run.scale)
        room = max(limit - used[key], 0)
        paid[position] = min(int(totals[position]), room)
        if paid[position] < totals[position]:
            run.note(rows[groups == position], f"per-period cap {rule.per_period} reached")
        used[key] += int(paid[position])
    for key, value in used.items():
        run.state.paid[key] = Decimal(value) / (run.scale * 10**run.exponent)
    return paid


def _floor(run: Evaluation, rule: Floor, rows: Rows, path: str) -> IntArray:
    values = evaluate_plan(run, rule.rule, rows, f"{path}.rule")
    distinct, groups = _by_order(run.frame, rows)
    totals = np.zeros(distinct.size, dtype=np.int64)
    np.add.at(totals, groups, values)
    minimum = run.money_scaled(rule.minimum)
    raised = totals < minimum
    if not raised.any():
        return values
    lines = raised[groups]
    run.note(rows[lines], f"raised to the floor of {rule.minimum} per order")
    result = values.copy()
    # By what the rule paid each line; an order it paid nothing splits by base instead (never
    # a mix of the two, which are in different units).
    paid_something = (totals > 0)[groups][lines]
    weights = np.where(paid_something, np.maximum(values[lines], 0), run.frame.base[rows][lines])
    result[lines] = _spread(
        np.full(int(raised.sum()), minimum, dtype=np.int64),
        weights.astype(np.int64),
        np.searchsorted(np.flatnonzero(raised), groups[lines]),
    )
    return result


def _payments(run: Evaluation) -> dict[int, tuple[int, int]]:
    """Per line paid on a subscription: its payment number and the subscription's first payment.

    Payments are numbered once per run, per contract id and subscription, over every line of
    the contracts with a recurring rule (whatever branch or version pays it), in line order,
    from the carried state: every recurring rule, and every version, sees the same numbers.
    """
    if run.state.payments is None:
        frame = run.frame
        recurring_ids = {
            c.id for c in frame.contracts if any(isinstance(n, Recurring) for n in walk(c.plan))
        }
        ids = [c.id for c in frame.contracts]
        numbers: dict[int, tuple[int, int]] = {}
        last_order: dict[str, int] = {}
        for row in range(len(frame)):
            sub, contract_id = frame.subscription[row], ids[int(frame.contract[row])]
            if sub is None or contract_id not in recurring_ids:
                continue
            key = f"{contract_id}|{sub}"
            ts, order = int(frame.ts[row]), int(frame.order_row[row])
            first_ts, number = run.state.subscriptions.get(key, (ts, 0))
            if last_order.get(key) != order:
                number += 1
                last_order[key] = order
            first_ts = min(first_ts, ts)
            run.state.subscriptions[key] = (first_ts, number)
            numbers[row] = (number, first_ts)
        run.state.payments = numbers
    return run.state.payments


def _recurring(run: Evaluation, rule: Recurring, rows: Rows, path: str) -> IntArray:
    frame = run.frame
    payments = _payments(run)
    eligible = np.ones(rows.size, dtype=bool)
    for position, row in enumerate(rows.tolist()):
        if row not in payments:
            continue
        number, first_ts = payments[row]
        if rule.payments is not None:
            eligible[position] = number <= rule.payments
        else:
            until = shift(from_micros(first_ts), tz=run.contract.timezone, months=rule.months or 0)
            eligible[position] = int(frame.ts[row]) < _us(until)
    # Payments past the limit are not the rule's to pay: they use none of its caps either.
    values = np.zeros(rows.size, dtype=np.int64)
    values[eligible] = evaluate_plan(run, rule.rule, rows[eligible], f"{path}.rule")
    if (~eligible).any():
        run.note(rows[~eligible], "subscription past its recurring limit")
    run.mark(rows, "recurring")
    return values


def carry_state(run: Evaluation) -> None:
    """Count the volume and payments of every line of the contract into the state carried on.

    Tier volume and subscription payments count every line of a contract id, whatever pays
    it; a run in which no line reaches a tiered or recurring rule (another branch, another
    version) must carry them all the same, or the next run would start short.
    """
    numbers = [n for n, c in enumerate(run.frame.contracts) if c.id == run.contract.id]
    rows = np.flatnonzero(np.isin(run.frame.contract, numbers))
    if rows.size == 0:
        return
    for number in numbers:
        for node in walk(run.frame.contracts[number].plan):
            if isinstance(node, Tiered):
                _volume_before(run, rows, node.basis, node.period, node.scope)
            elif isinstance(node, Recurring):
                _payments(run)


def _guarantee(run: Evaluation, rule: Guarantee, rows: Rows, path: str) -> IntArray:
    run.mark(rows, f"guarantee {rule.minimum} per {rule.period} (topped up at close)")
    return evaluate_plan(run, rule.rule, rows, f"{path}.rule")


_HANDLERS: dict[type, Callable[..., IntArray]] = {
    Percent: _percent,
    Flat: _flat,
    PerLead: _flat,
    PerClick: _nothing,
    Bonus: _nothing,
    Override: _nothing,
    When: _when,
    Add: _add,
    Multiplier: _multiplier,
    Tiered: _tiered,
    Cap: _cap,
    Floor: _floor,
    Recurring: _recurring,
    Guarantee: _guarantee,
}


def exponent_of(contract: Contract) -> int:
    """Minor-unit exponent of the contract currency."""
    return lookup_currency(contract.currency).exponent

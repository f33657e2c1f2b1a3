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
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._currency import currency as lookup_currency
from alliance._kernels import (
    INT64_MAX,
    allocate_minor,
    decimal_to_ratio,
    round_quotient,
    spread_minor,
)
from alliance._memo import IdentityCache
from alliance._periods import from_micros, shift
from alliance.commission._contracts import Contract
from alliance.commission._lines import with_missing
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
from alliance.commission._run import (
    Evaluation,
    _by_order,
    _checked_product,
    _places,
    _rate_scaled,
)
from alliance.commission._volume import (
    period_labels,
    tier_thresholds,
    volume_before,
    volume_keys,
)
from alliance.errors import ContractError, MoneyOverflow

__all__ = ["carry_state", "evaluate_plan", "exponent_of"]

IntArray = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]


# -- conditions -----------------------------------------------------------------------------------


def _matches(condition: Condition, run: Evaluation, rows: Rows) -> npt.NDArray[np.bool_]:
    frame = run.frame
    facts = frame.text
    mask = np.ones(rows.size, dtype=bool)
    if condition.category is not None:
        mask &= facts.isin("category", condition.category, rows)
    if condition.sku is not None:
        mask &= facts.isin("sku", condition.sku, rows)
    if condition.country is not None:
        mask &= facts.isin("country", condition.country, rows)
    if condition.group is not None:
        mask &= frame.group_in(condition.group, rows)
    if condition.coupon is True:
        mask &= facts.present("coupon_code", rows)
    elif condition.coupon is False:
        mask &= ~facts.present("coupon_code", rows)
    elif condition.coupon is not None:
        # Shoppers type codes in any case: SAVE10 and save10 are the same coupon.
        mask &= facts.isin("coupon_code", condition.coupon, rows, fold_case=True)
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
        try:
            mask &= facts.isin(f"attribute:{name}", wanted, rows)
        except KeyError:
            mask &= False  # the orders do not carry it: nothing matches
    return mask


def _order_sums(values: IntArray, starts: IntArray) -> IntArray:
    """Per order, the sum of its lines' values (an order's lines are adjacent, see `_by_order`)."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.add.reduceat(values, starts).astype(np.int64, copy=False)


def _us(value: Any) -> int:
    from alliance._periods import to_micros

    return to_micros(value)


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
    distinct, groups, _ = _by_order(run.frame, rows)
    totals = np.full(distinct.size, amount, dtype=np.int64)
    return spread_minor(totals, run.frame.base[rows].astype(np.int64, copy=False), groups)


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
    for name, factor in rule.by_group.items():
        numerator, denominator = decimal_to_ratio(factor * 10**places)
        in_group = run.frame.group_in((name,), rows)
        factors[in_group] = numerator // denominator
        if in_group.any():
            run.note(rows[in_group], f"x{factor} for group {name}")
    limit = int(np.abs(inner).max()) if inner.size else 0
    if limit and int(factors.max()) > INT64_MAX // limit:
        raise MoneyOverflow("commission arithmetic past int64 in multiplier()")
    return inner * factors


def _tiered(run: Evaluation, rule: Tiered, rows: Rows, path: str) -> IntArray:
    before, own = volume_before(run, rows, rule.basis, rule.period, rule.scope)
    thresholds = tier_thresholds(rule, run.exponent)
    tiers = len(rule.tiers)
    values = np.zeros(rows.size, dtype=np.int64)
    if rule.mode == "marginal" and rule.basis != "orders":
        upper = np.append(thresholds[1:], INT64_MAX)
        start, end = before, before + own
        base = run.frame.base[rows].astype(np.int64, copy=False)
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
        keys = volume_keys(run, rows, rule.basis, rule.period, rule.scope)
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
    _, groups, starts = _by_order(run.frame, rows)
    totals = _order_sums(values, starts)
    capped = totals.copy()
    if rule.per_order is not None:
        limit = run.money_scaled(rule.per_order)
        over = capped > limit
        if over.any():
            run.note(rows[over[groups]], f"per-order cap {rule.per_order} hit")
        capped = np.minimum(capped, limit)
    if rule.per_period is not None:
        capped = _period_cap(run, rule, rows, path, starts, groups, capped)
    changed = capped != totals
    if not changed.any():
        return values
    lines = changed[groups]
    result = values.copy()
    result[lines] = spread_minor(
        capped[changed], values[lines], np.searchsorted(np.flatnonzero(changed), groups[lines])
    )
    return result


def _period_cap(
    run: Evaluation,
    rule: Cap,
    rows: Rows,
    path: str,
    starts: IntArray,
    groups: IntArray,
    totals: IntArray,
) -> IntArray:
    """Orders in volume order; the one that crosses the cap gets the remainder."""
    if rule.per_period is None:  # pragma: no cover - the caller checks
        return totals
    frame = run.frame
    order_rows = rows[starts]  # each order's first line
    labels = period_labels(run, order_rows, rule.period)
    partners = with_missing(frame.partner_names)[frame.partner_code[order_rows]]
    keys = np.array(
        [
            f"cap|{run.contract.id}|{path}|{p}|{label}"
            for p, label in zip(partners, labels, strict=True)
        ],
        dtype=object,
    )
    limit = run.money_scaled(rule.per_period)
    paid = totals.copy()
    # Orders are visited in line order (ts, id), which the frame is sorted by.
    used: dict[str, int] = {}
    for position in range(starts.size):
        key = str(keys[position])
        if key not in used:
            carried = run.state.paid.get(key, Decimal(0))
            # Rounded up: paid at a finer scale (an earlier version), the room left must not
            # round past the cap.
            used[key] = math.ceil(carried * 10**run.exponent * run.scale)
        room = max(limit - used[key], 0)
        # Whole minor units: the order's capped amount is rounded (the contract's mode) before
        # it is weighed against the room left, so per-order rounding never passes the cap.
        whole = int(round_quotient(int(totals[position]), run.scale, run.contract.rounding))
        room_whole = (room // run.scale) * run.scale
        paid[position] = min(whole * run.scale, room_whole)
        if whole * run.scale > room_whole:
            run.note(rows[groups == position], f"per-period cap {rule.per_period} reached")
        used[key] += int(paid[position])
    for key, value in used.items():
        run.state.paid[key] = Decimal(value) / (run.scale * 10**run.exponent)
    return paid


def _floor(run: Evaluation, rule: Floor, rows: Rows, path: str) -> IntArray:
    values = evaluate_plan(run, rule.rule, rows, f"{path}.rule")
    _, groups, starts = _by_order(run.frame, rows)
    totals = _order_sums(values, starts)
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
    result[lines] = spread_minor(
        np.full(int(raised.sum()), minimum, dtype=np.int64),
        weights.astype(np.int64, copy=False),
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
    in_contract = np.zeros(len(run.frame), dtype=bool)
    for number in numbers:
        in_contract |= run.frame.contract == number
    rows = np.flatnonzero(in_contract)
    if rows.size == 0:
        return
    for number in numbers:
        version = run.frame.contracts[number]
        for node in _STATE_NODES.get(version.plan, _state_nodes):
            if isinstance(node, Tiered):
                # In the zone of the version whose rule counts, as its own run counts it.
                volume_before(run, rows, node.basis, node.period, node.scope, version.timezone)
            elif isinstance(node, Recurring):
                _payments(run)


def _state_nodes(plan: Any) -> tuple[Any, ...]:
    """The nodes of a plan that carry state on: tiered and recurring rules, in walk order."""
    return tuple(node for node in walk(plan) if isinstance(node, Tiered | Recurring))


_STATE_NODES = IdentityCache()


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

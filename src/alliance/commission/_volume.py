"""Volume for tiers and period caps: per partner (and category) and period, in line order."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._kernels import decimal_to_ratio, mul_div_round
from alliance._periods import period_index
from alliance.commission._rules import (
    Tiered,
)
from alliance.commission._run import Evaluation
from alliance.errors import ContractError

__all__ = ["period_labels", "tier_thresholds", "volume_before"]

IntArray = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]


def period_labels(run: Evaluation, rows: Rows, period: str) -> npt.NDArray[np.object_]:
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


def volume_before(
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
        distinct, groups = _dense(combined)
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
        # Few groups sort fastest as 16-bit keys (numpy radix-sorts those, stably).
        keys16 = groups.astype(np.uint16) if distinct.size <= 1 << 16 else groups
        order = np.argsort(keys16, kind="stable")
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


def tier_thresholds(rule: Tiered, exponent: int) -> IntArray:
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


def _dense(keys: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct keys, sorted, and each key's position among them.

    Like ``np.unique(keys, return_inverse=True)``, without a sort when the keys span a small
    range.
    """
    if keys.size and int(keys.min()) >= 0 and int(keys.max()) < max(4 * keys.size, 1 << 20):
        present = np.zeros(int(keys.max()) + 1, dtype=bool)
        present[keys] = True
        position = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), position[keys].astype(np.int64)
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct.astype(np.int64), inverse.reshape(-1).astype(np.int64)

"""Volume for tiers and period caps: per partner (and category) and period, in line order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from alliance._kernels import decimal_to_ratio, mul_div_round, runs
from alliance._memo import IdentityCache
from alliance._periods import period_index
from alliance.commission._rules import (
    Tiered,
)
from alliance.commission._run import Evaluation
from alliance.errors import ContractError

__all__ = ["Volume", "period_labels", "tier_thresholds", "volume_before", "volume_keys"]

IntArray = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]


def period_labels(run: Evaluation, rows: Rows, period: str) -> npt.NDArray[np.object_]:
    if period == "lifetime":
        return np.full(rows.size, "lifetime", dtype=object)
    codes, periods = period_index(run.frame.ts[rows], period, tz=run.contract.timezone)  # type: ignore[arg-type]
    labels = np.array([p.label for p in periods] + [""], dtype=object)
    return labels[codes]


@dataclass(frozen=True)
class Volume:
    """Tier volume of one contract id, per line of the frame (zero for other contracts' lines).

    Attributes:
        before: Volume reached in the line's group before the line.
        own: The line's own volume.
        group: The line's group, as an index into ``names`` (-1 for other contracts' lines).
        names: Each group's key in `CommissionState.volumes`.
    """

    before: IntArray
    own: IntArray
    group: IntArray
    names: npt.NDArray[np.object_]


def volume_before(
    run: Evaluation, rows: Rows, basis: str, period: str, scope: str, tz: str | None = None
) -> tuple[IntArray, IntArray]:
    """Per line: volume reached before it in its group, and its own volume.

    Volume counts every line of the contract (whatever branch pays it), per partner (and
    category), per period, in the deterministic line order, starting from the carried state.
    Periods are read in ``tz``: the zone of the contract version whose rule counts (by
    default, the version being evaluated).
    """
    volume = _volume(run, basis, period, scope, tz or run.contract.timezone)
    return volume.before[rows], volume.own[rows]


def volume_keys(
    run: Evaluation, rows: Rows, basis: str, period: str, scope: str
) -> npt.NDArray[np.object_]:
    """Per line, the key of its volume group (see `volume_before`)."""
    volume = _volume(run, basis, period, scope, run.contract.timezone)
    return volume.names[volume.group[rows]]


def _volume(run: Evaluation, basis: str, period: str, scope: str, tz: str) -> Volume:
    cache_key = (basis, period, scope, tz)
    cached = run.volume_cache.get(cache_key)
    if cached is None:
        cached = run.volume_cache[cache_key] = _count(run, basis, period, scope, tz)
    return cast(Volume, cached)


def _count(run: Evaluation, basis: str, period: str, scope: str, tz: str) -> Volume:
    frame = run.frame
    # Every version of the contract counts toward the same volume.
    versions = [n for n, c in enumerate(frame.contracts) if c.id == run.contract.id]
    everything: Rows | slice
    if len(versions) == len(frame.contracts):  # every line: views, not copies
        everything, count = slice(None), len(frame)
    else:
        everything = np.flatnonzero(np.isin(frame.contract, versions))
        count = everything.size
    partner_code, partners = frame.partner_code[everything], frame.partner_names
    if scope == "partner+category":
        coded = frame.text.coded("category", None if isinstance(everything, slice) else everything)
        if coded is None:  # pragma: no cover - categories are the lines' own, always coded
            raise TypeError("line categories are not dictionary-encoded")
        # A line without a category is in the category "" (code -1 reads the last name).
        category_code = np.where(coded[0] < 0, coded[1].size, coded[0])
        categories = np.append(coded[1], "")
    else:
        category_code, categories = np.zeros(count, np.int64), np.array([""], object)
    if period == "lifetime":
        period_code, labels = np.zeros(count, np.int64), ["lifetime"]
    else:
        period_code, periods = period_index(
            frame.ts[everything],
            period,  # type: ignore[arg-type]
            tz=tz,
        )
        labels = [p.label for p in periods]
    width = max(len(labels), 1)
    combined = (partner_code * len(categories) + category_code) * width + period_code
    distinct, groups = _dense(combined)
    names = []
    for key in distinct.tolist():
        rest, period_number = divmod(key, width)
        partner_number, category_number = divmod(rest, len(categories))
        names.append(
            f"{run.contract.id}|{basis}|{period}|{scope}|{partners[partner_number]}|"
            f"{categories[category_number]}|{labels[period_number]}"
        )
    own, first = _own_volume(run, everything, groups, basis)
    before, totals = _accumulate(own, groups, distinct.size)
    running = np.array([run.state.volumes.get(k, 0) for k in names], dtype=np.int64)
    before += running[groups]
    for name, total, start in zip(names, totals.tolist(), running.tolist(), strict=True):
        run.touched_volumes[name] = start + total
    if first is not None:
        # An order is one unit of volume: each of its lines sits where its first line does.
        before, own = before[first], own[first]
    if isinstance(everything, slice):
        return Volume(before=before, own=own, group=groups, names=np.array(names, dtype=object))
    size = len(frame)
    volume = Volume(
        before=np.zeros(size, dtype=np.int64),
        own=np.zeros(size, dtype=np.int64),
        group=np.full(size, -1, dtype=np.int64),
        names=np.array(names, dtype=object),
    )
    volume.before[everything] = before
    volume.own[everything] = own
    volume.group[everything] = groups
    return volume


def _own_volume(
    run: Evaluation, everything: Rows | slice, groups: IntArray, basis: str
) -> tuple[IntArray, IntArray | None]:
    """Each line's volume; for the orders basis also each line's first line of its order.

    For the orders basis an order counts once per group, on its first line there (its other
    lines count zero). At period close, reversed volume does not count: a full reversal
    removes the line's volume, a partial one its share (rounded down) of revenue, and an order
    still counts while any of its lines is not fully reversed.
    """
    frame = run.frame
    if run.finalize:
        numerator = frame.reversed_numerator[everything]
        denominator = frame.reversed_denominator[everything]
        full = numerator >= denominator
    if basis == "revenue":
        own = frame.base[everything].astype(np.int64, copy=False)
        if run.finalize:
            own = own - mul_div_round(own, numerator, denominator, "floor")
        return own, None
    if basis == "units":
        own = frame.quantity[everything].astype(np.int64, copy=False)
        return (np.where(full, 0, own) if run.finalize else own), None
    # Orders: one unit per (order, group) pair. An order's lines are adjacent in the frame,
    # and usually share their group, so pairs are found in one pass.
    order_starts, order_of = runs(frame.order_row[everything])
    if bool(np.all(groups == groups[order_starts][order_of])):
        pair_first, pair_of = order_starts, order_of
    else:  # categories within one order: a pair per (order, category)
        keys = order_of * (int(groups.max()) + 1) + groups
        _, pair_first, pair_of = np.unique(keys, return_index=True, return_inverse=True)
        pair_of = pair_of.reshape(-1)
    own = np.zeros(groups.size, dtype=np.int64)
    counted = np.ones(pair_first.size, dtype=bool)
    if run.finalize:
        counted = np.zeros(pair_first.size, dtype=bool)
        np.logical_or.at(counted, pair_of, ~full)
    own[pair_first] = counted
    return own, pair_first[pair_of].astype(np.int64, copy=False)


def _accumulate(own: IntArray, groups: IntArray, count: int) -> tuple[IntArray, IntArray]:
    """Per line, the sum of ``own`` over earlier lines of its group; and each group's total.

    Adjacent lines of one group (an order's lines, a partner's consecutive orders) form runs;
    only the runs are sorted by group, which keeps their order within a group.
    """
    starts, run_of = runs(groups)
    run_total = np.add.reduceat(own, starts) if own.size else np.zeros(0, np.int64)
    run_group = groups[starts]
    # Few groups sort fastest as 16-bit keys (numpy radix-sorts those, stably).
    keys = run_group.astype(np.uint16) if count <= 1 << 16 else run_group
    order = np.argsort(keys, kind="stable")
    sorted_group, sorted_total = run_group[order], run_total[order]
    cumulative = np.cumsum(sorted_total)
    first = np.searchsorted(sorted_group, np.arange(count))
    group_start = np.where(first > 0, cumulative[np.maximum(first - 1, 0)], 0)
    run_before = np.empty(starts.size, dtype=np.int64)
    run_before[order] = cumulative - sorted_total - group_start[sorted_group]
    line_cumulative = np.cumsum(own)
    within = line_cumulative - own - (line_cumulative[starts] - own[starts])[run_of]
    totals = np.zeros(count, dtype=np.int64)
    np.add.at(totals, run_group, run_total)
    return run_before[run_of] + within, totals


def tier_thresholds(rule: Tiered, exponent: int) -> IntArray:
    """The tiers' thresholds in volume units (minor units of revenue); read-only, shared."""
    return _THRESHOLDS.get(rule, lambda tiered: _thresholds(tiered, exponent), exponent)


_THRESHOLDS = IdentityCache()


def _thresholds(rule: Tiered, exponent: int) -> IntArray:
    values = _threshold_values(rule, exponent)
    values.flags.writeable = False
    return values


def _threshold_values(rule: Tiered, exponent: int) -> IntArray:
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
        return np.flatnonzero(present).astype(np.int64, copy=False), position[keys].astype(
            np.int64, copy=False
        )
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct.astype(np.int64, copy=False), inverse.reshape(-1).astype(np.int64, copy=False)

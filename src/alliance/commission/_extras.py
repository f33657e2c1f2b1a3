"""Rows beyond a partner's own sales: overrides to parent partners, and pay per click."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from alliance._periods import period_index
from alliance._tables import Clicks, Partners
from alliance.commission._contracts import Contract, ContractBook
from alliance.commission._lines import LineFrame, resolve_contracts
from alliance.commission._rules import Override, PerClick, top_level

__all__ = ["click_rows", "override_rows", "top_level"]

IntArray = npt.NDArray[np.int64]


def _empty_like(columns: Mapping[str, npt.NDArray[Any]], size: int) -> dict[str, Any]:
    return {name: np.empty(size, dtype=values.dtype) for name, values in columns.items()}


def override_rows(
    frame: LineFrame,
    columns: Mapping[str, npt.NDArray[Any]],
    partners: Partners | None,
    round_per_order: Any,
) -> list[dict[str, npt.NDArray[Any]]]:
    """Rows paying each ancestor its share of a partner's sales commission, level by level.

    The share is exact (commission x rate) until one rounding per order and ancestor, with
    the contract's rounding mode; the rows carry the child's order and line ids, the
    ancestor as partner, the child's commission as base, and ``source="override"``.
    """
    blocks: list[dict[str, npt.NDArray[Any]]] = []
    plans = [(n, top_level(c.plan, Override)) for n, c in enumerate(frame.contracts)]
    if not any(nodes for _, nodes in plans):
        return blocks
    if partners is None:
        raise ValueError("a plan pays overrides to parent partners; pass partners= with parent_id")
    parent_of = {
        p: parent
        for p, parent in zip(partners["partner_id"], partners["parent_id"], strict=True)
        if parent is not None
    }
    for number, nodes in plans:
        if not nodes:
            continue
        contract: Contract = frame.contracts[number]
        rows = np.flatnonzero(frame.contract == number)
        child = frame.partner[rows]
        for node in nodes:
            current_rows, current_child, seller = rows, child, child
            for level, rate in enumerate(node.rates, start=1):
                ancestors = np.array([parent_of.get(p) for p in current_child], dtype=object)
                has = ancestors != None  # noqa: E711
                if not has.any():
                    break
                picked = current_rows[has]
                places = max(0, -int(rate.normalize().as_tuple().exponent))
                scale = 10**places
                factor = int(rate * scale)
                exact = columns["commission"][picked].astype(np.int64) * factor
                paid = round_per_order(frame, picked, exact, scale, contract.rounding)
                block = {name: values[picked].copy() for name, values in columns.items()}
                block["partner_id"] = ancestors[has]
                block["base"] = columns["commission"][picked].copy()
                block["commission"] = paid
                block["tier"] = np.full(picked.size, -1, dtype=np.int64)
                block["reversed_base"] = np.zeros(picked.size, dtype=np.int64)
                block["branch"] = np.array(
                    [f"override level {level} ({rate:%}) on {s}'s sale" for s in seller[has]],
                    dtype=object,
                )
                block["notes"] = np.full(picked.size, "", dtype=object)
                block["source"] = np.full(picked.size, "override", dtype=object)
                with np.errstate(divide="ignore", invalid="ignore"):
                    base = block["base"]
                    block["rate"] = np.where(base != 0, paid / np.where(base != 0, base, 1), 0.0)
                blocks.append(block)
                current_rows, current_child, seller = picked, ancestors[has], seller[has]
    return blocks


def click_rows(
    clicks: Clicks,
    book: ContractBook,
    partners: Partners | None,
    template: Mapping[str, npt.NDArray[Any]],
) -> tuple[dict[str, npt.NDArray[Any]] | None, list[tuple[str, str]]]:
    """Rows paying per-click rules: one row per paid click, ``source="click"``.

    The click's id stands in the ``order_id`` column; base is 0.
    """
    if not isinstance(clicks, Clicks):
        raise TypeError(f"clicks must be an al.Clicks table, got {type(clicks).__name__}")
    if not any(top_level(c.plan, PerClick) for c in book.contracts):
        return None, []
    group_of: dict[str, Any] = {}
    if partners is not None:
        group_of = dict(zip(partners["partner_id"], partners["group"], strict=True))
    partner = clicks["partner_id"]
    group = np.array([group_of.get(p) for p in partner], dtype=object)
    ts = clicks["ts"].astype(np.int64)
    chosen, contracts = resolve_contracts(book, partner, group, ts)
    amount = np.zeros(len(clicks), dtype=np.int64)
    period = np.full(len(clicks), "", dtype=object)
    for number, contract in enumerate(contracts):
        rows = np.flatnonzero(chosen == number)
        nodes = top_level(contract.plan, PerClick)
        if rows.size == 0 or not nodes:
            continue
        amount[rows] = sum(node.amount.minor for node in nodes)
        codes, periods = period_index(ts[rows], contract.period, tz=contract.timezone)
        period[rows] = np.array([p.label for p in periods], dtype=object)[codes]
    paid = amount > 0
    rows = np.flatnonzero(paid)
    contract_ids = np.array([c.id for c in contracts] + [None], dtype=object)
    versions = np.array([c.version for c in contracts] + [0], dtype=np.int64)
    currencies = np.array([c.currency for c in contracts] + [None], dtype=object)
    block = _empty_like(template, rows.size)
    block.update(
        {
            "order_id": clicks["click_id"][rows],
            "line_id": np.full(rows.size, None, dtype=object),
            "partner_id": partner[rows],
            "contract_id": contract_ids[chosen[rows]],
            "version": versions[chosen[rows]],
            "currency": currencies[chosen[rows]],
            "ts": ts[rows],
            "period": period[rows],
            "branch": np.full(rows.size, "per click", dtype=object),
            "tier": np.full(rows.size, -1, dtype=np.int64),
            "rate": np.zeros(rows.size),
            "base": np.zeros(rows.size, dtype=np.int64),
            "commission": amount[rows],
            "quantity": np.ones(rows.size, dtype=np.int64),
            "reversed_base": np.zeros(rows.size, dtype=np.int64),
            "notes": np.full(rows.size, "", dtype=object),
            "source": np.full(rows.size, "click", dtype=object),
        }
    )
    return block, []

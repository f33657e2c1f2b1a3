"""Commission in words, and what-if: the same orders under a proposed book."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from alliance._fx import FxRates
from alliance._money import Money
from alliance._tables import Lines, Orders, Partners
from alliance.commission._contracts import ContractBook
from alliance.commission._engine import Commission, CommissionTable, compute

__all__ = ["PartnerDiff", "explain", "simulate"]


def _rate(commission: int, base: int) -> str:
    if base == 0:
        return "n/a (no base)"
    return f"{commission / base:.2%}"


def _describe(
    *,
    order_id: str,
    line_id: Any,
    partner: str,
    contract: str,
    version: int,
    base: Money,
    amount: Money,
    branch: str,
    tier: int,
    notes: str,
    period: str,
) -> str:
    line = f", line {line_id}" if line_id is not None else ""
    parts = [
        f"Order {order_id}{line} for partner {partner}: {contract} v{version}, period {period}.",
        f"Branch: {branch or 'the plan'}" + (f"; tier {tier + 1}." if tier >= 0 else "."),
        f"Base {base}; commission {amount} (effective rate {_rate(amount.minor, base.minor)}).",
    ]
    if notes:
        parts.append(f"Notes: {notes}.")
    return " ".join(parts)


def explain(commission: Commission | CommissionTable, row: int | None = None) -> str:
    """Why a commission is what it is, for a person.

    Args:
        commission: A `Commission` from `evaluate`, or a `CommissionTable` with ``row``.
        row: The table row to explain.

    Returns:
        Contract and version, branch taken, base, tier, effective rate, caps hit and other
        notes; one paragraph per line.
    """
    if isinstance(commission, CommissionTable):
        if row is None:
            raise ValueError("explain(table, row=...) needs the row to explain")
        if not 0 <= row < len(commission):
            raise IndexError(f"row {row} is outside the table's {len(commission)} rows")
        code = str(commission["currency"][row])
        return _describe(
            order_id=str(commission["order_id"][row]),
            line_id=commission["line_id"][row],
            partner=str(commission["partner_id"][row]),
            contract=str(commission["contract_id"][row]),
            version=int(commission["version"][row]),
            base=Money.from_minor(int(commission["base"][row]), code),
            amount=Money.from_minor(int(commission["commission"][row]), code),
            branch=str(commission["branch"][row]),
            tier=int(commission["tier"][row]),
            notes=str(commission["notes"][row]),
            period=str(commission["period"][row]),
        )
    if not isinstance(commission, Commission):
        raise TypeError(f"cannot explain a {type(commission).__name__}")
    if commission.skipped is not None:
        return f"Order {commission.order_id} earns nothing: {commission.skipped}."
    return "\n".join(
        _describe(
            order_id=commission.order_id,
            line_id=line.line_id,
            partner=str(commission.partner_id),
            contract=str(commission.contract_id),
            version=int(commission.version or 0),
            base=line.base,
            amount=line.commission,
            branch=line.branch,
            tier=line.tier,
            notes=line.notes,
            period=str(commission.period),
        )
        for line in commission.lines
    )


class PartnerDiff(BaseModel):
    """How one partner's commission changes under a proposed book.

    Attributes:
        partner_id: The partner.
        currency: Currency of both amounts.
        current: Commission under the current book.
        proposed: Commission under the proposed book.
        change: ``proposed - current``.
        lines: Lines that earn under either book.
        tier_changes: Lines whose tier differs between the books.
        caps_hit_current: Lines capped under the current book.
        caps_hit_proposed: Lines capped under the proposed book.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner_id: str
    currency: str
    current: Money
    proposed: Money
    change: Money
    lines: int
    tier_changes: int
    caps_hit_current: int
    caps_hit_proposed: int


def simulate(
    orders: Orders,
    current_book: ContractBook,
    proposed_book: ContractBook,
    *,
    lines: Lines | None = None,
    fx: FxRates | None = None,
    partners: Partners | None = None,
) -> list[PartnerDiff]:
    """Replay orders under a proposed book and compare, partner by partner.

    Both runs go through `compute`, so the figures are exactly what each book would pay.

    Returns:
        One `PartnerDiff` per partner and currency, largest absolute change first.
    """
    before = compute(orders, current_book, lines=lines, fx=fx, partners=partners)
    after = compute(orders, proposed_book, lines=lines, fx=fx, partners=partners)
    keys = sorted(
        set(zip(before["partner_id"].tolist(), before["currency"].tolist(), strict=True))
        | set(zip(after["partner_id"].tolist(), after["currency"].tolist(), strict=True))
    )
    before_index = _line_index(before)
    after_index = _line_index(after)
    diffs = []
    for partner, code in keys:
        mine_before = (before["partner_id"] == partner) & (before["currency"] == code)
        mine_after = (after["partner_id"] == partner) & (after["currency"] == code)
        current = int(before["commission"][mine_before].sum())
        proposed = int(after["commission"][mine_after].sum())
        shared = set(before_index[partner]) & set(after_index[partner])
        tier_changes = sum(
            1 for key in shared if before_index[partner][key] != after_index[partner][key]
        )
        diffs.append(
            PartnerDiff(
                partner_id=partner,
                currency=code,
                current=Money.from_minor(current, code),
                proposed=Money.from_minor(proposed, code),
                change=Money.from_minor(proposed - current, code),
                lines=len(set(before_index[partner]) | set(after_index[partner])),
                tier_changes=tier_changes,
                caps_hit_current=_caps(before, mine_before),
                caps_hit_proposed=_caps(after, mine_after),
            )
        )
    diffs.sort(key=lambda d: (-abs(d.change.amount), d.partner_id))
    return diffs


def _line_index(table: CommissionTable) -> dict[str, dict[tuple[str, str], int]]:
    index: dict[str, dict[tuple[str, str], int]] = {}
    for partner, order, line, tier in zip(
        table["partner_id"], table["order_id"], table["line_id"], table["tier"], strict=True
    ):
        index.setdefault(str(partner), {})[(str(order), str(line))] = int(tier)
    return index


def _caps(table: CommissionTable, rows: Any) -> int:
    notes = table["notes"][rows]
    return int(np.sum([("cap" in str(n)) for n in notes])) if notes.size else 0

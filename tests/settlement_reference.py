"""A plain reference of settlement: one commission line at a time, no arrays, no ledger.

It follows the rules as the settlement guide states them, to hold `settlement.settle` to:

* a line accrues once placed; a reversal takes the line's share of its order, cumulatively,
  rounded half to even: voided while the line is not approved, clawed back once it is;
* a line of an order blocked by risk loses what is left (voided or clawed back), and one held
  for review is not approved;
* a line is approved when its hold is over by the period's end and something is left of it;
* a partner's statement opens with what the last one carried, adds what was approved, takes
  off what was clawed back, and pays when the balance is positive and reaches the minimum
  payout, otherwise carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction


@dataclass
class Line:
    """One commission line: its order, partner, time and commission in minor units."""

    order_id: str
    partner_id: str
    ts: datetime
    amount: int
    approved: bool = False
    rejected: bool = False
    reversed: int = 0


@dataclass
class Refund:
    """A reversal of an order: in full (``amount`` None) or of an amount in minor units."""

    order_id: str
    ts: datetime
    amount: int | None


@dataclass
class Figures:
    """A statement's figures in minor units, and the lines it locked."""

    opening: int = 0
    approved: int = 0
    voided: int = 0
    clawbacks: int = 0
    closing: int = 0
    paid: int = 0
    carried: int = 0
    commissions: int = 0


@dataclass
class Reference:
    """The programme's lines and terms, settled month after month by `settle`."""

    lines: list[Line]
    order_amount: dict[str, int]
    refunds: list[Refund]
    hold_days: int
    minimum: int
    decisions: dict[str, str] = field(default_factory=dict)
    carried: dict[str, int] = field(default_factory=dict)

    def settle(self, end: datetime) -> dict[str, Figures]:
        """Settle the period ending at ``end``: each partner's statement figures."""
        found: dict[str, Figures] = {}

        def figures(partner_id: str) -> Figures:
            return found.setdefault(partner_id, Figures())

        for line in self.lines:
            if line.ts >= end:
                continue
            if line.amount == 0:
                continue
            if not line.rejected:
                due = self._reversed_due(line, end)
                delta = due - line.reversed
                if delta:
                    if line.approved:
                        figures(line.partner_id).clawbacks -= delta
                    else:
                        figures(line.partner_id).voided += delta
                    line.reversed = due
            if self.decisions.get(line.order_id) == "block" and not line.rejected:
                left = line.amount - line.reversed
                if left:
                    if line.approved:
                        figures(line.partner_id).clawbacks -= left
                    else:
                        figures(line.partner_id).voided += left
                line.reversed = line.amount
                line.rejected = True
            held = self.decisions.get(line.order_id) == "review"
            if line.approved or line.rejected or held:
                continue
            if line.ts + timedelta(days=self.hold_days) > end:
                continue
            net = line.amount - line.reversed
            if net:
                line.approved = True
                figures(line.partner_id).approved += net
                figures(line.partner_id).commissions += 1
        for partner_id, carried in self.carried.items():
            if carried:
                figures(partner_id)
        for partner_id, statement in found.items():
            statement.opening = self.carried.get(partner_id, 0)
            statement.closing = statement.opening + statement.approved + statement.clawbacks
            if statement.closing > 0 and statement.closing >= self.minimum:
                statement.paid = statement.closing
            else:
                statement.carried = statement.closing
            self.carried[partner_id] = statement.carried
        return found

    def _reversed_due(self, line: Line, end: datetime) -> int:
        """What the reversals placed before ``end`` take of the line, in total."""
        mine = [r for r in self.refunds if r.order_id == line.order_id and r.ts < end]
        if not mine:
            return line.reversed
        whole = self.order_amount[line.order_id]
        if any(r.amount is None for r in mine) or whole <= 0:
            share = Fraction(1)
        else:
            share = Fraction(sum(r.amount or 0 for r in mine), whole)
        return round(line.amount * share)  # round() on a Fraction rounds half to even

"""Period close: whole-volume true-ups, performance bonuses and guaranteed minimums."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from alliance._currency import currency as lookup_currency
from alliance._kernels import decimal_to_minor, decimal_to_ratio, round_quotient
from alliance._money import Money
from alliance._periods import Period, to_micros
from alliance._tables import Partners, Reversals
from alliance.commission._contracts import Contract, ContractBook, PartnerTarget
from alliance.commission._engine import CommissionTable, _compute
from alliance.commission._lines import resolve_contracts
from alliance.commission._rules import Bonus, Guarantee, Tiered, walk

__all__ = ["Adjustment", "close_period"]


class Adjustment(BaseModel):
    """One amount owed (or taken back) at period close, with its reason.

    Attributes:
        partner_id: Partner concerned.
        contract_id: Contract whose terms call for it.
        version: Contract version.
        kind: ``true_up`` (whole-volume tiers), ``bonus`` or ``guarantee`` (top-up).
        amount: Signed amount in the contract currency; a negative true-up takes back.
        period: Period label.
        reason: Why, in words.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner_id: str
    contract_id: str
    version: int
    kind: Literal["true_up", "bonus", "guarantee"]
    amount: Money
    period: str
    reason: str


def _nodes(contract: Contract, kind: type, period: str) -> list[Any]:
    return [
        node
        for node in walk(contract.plan)
        if isinstance(node, kind) and getattr(node, "period", None) == period
    ]


def close_period(
    commissions: CommissionTable,
    book: ContractBook,
    period: Period,
    *,
    reversals: Reversals | None = None,
) -> list[Adjustment]:
    """The adjustments due at the end of a period, each with its reason.

    1. **True-ups** for whole-volume tiers: the period's lines are re-priced at the tier the
       period ended in (net of ``reversals``), and the difference from what was paid
       provisionally is owed (or taken back).
    2. **Bonuses** whose period volume reached their threshold.
    3. **Guarantee top-ups**: what commission (with its true-up) falls short of the minimum.

    Args:
        commissions: What `compute` returned for the orders of (at least) this period.
        book: The contracts (the same book).
        period: The calendar period being closed; rules whose period is of the same kind
            settle.
        reversals: Reversals to take out of the final volume.

    Returns:
        Adjustments in partner, contract, kind order; none when nothing is due.
    """
    if not isinstance(commissions, CommissionTable):
        kind_given = type(commissions).__name__
        raise TypeError(f"commissions must be a CommissionTable from compute(), got {kind_given}")
    if not isinstance(book, ContractBook):
        raise TypeError(f"book must be a commission.ContractBook, got {type(book).__name__}")
    if not isinstance(period, Period):
        raise TypeError(f"period must be an al.Period, got {type(period).__name__}")
    inputs = commissions.inputs
    if not inputs:
        raise ValueError("close_period needs a CommissionTable made by compute()")
    in_period = (commissions["ts"] >= period.start_us) & (commissions["ts"] < period.end_us)
    kind = period.kind
    adjustments: list[Adjustment] = []
    true_up: dict[tuple[str, str, int], int] = {}

    def rows_of(contract: Contract, partner: str | None = None) -> Any:
        picked = (
            in_period
            & (commissions["source"] == "sale")
            & (commissions["contract_id"] == contract.id)
            & (commissions["version"] == contract.version)
        )
        if partner is not None:
            picked &= commissions["partner_id"] == partner
        return picked

    reversals = _netted(commissions, book, reversals)

    # 1. True-ups.
    whole = [c for c in book.contracts if any(t.mode == "whole" for t in _nodes(c, Tiered, kind))]
    if whole:
        final = _rerun(inputs, finalize=True, reversals=reversals)
        for contract in whole:
            picked = rows_of(contract)
            for partner in sorted(set(commissions["partner_id"][picked].tolist())):
                mine = picked & (commissions["partner_id"] == partner)
                # Only the volume kept is re-priced: the reversed share of a line is taken
                # back with its provisional commission, so it owes no true-up either way.
                exact_paid = _kept(final, mine, commissions["commission"])
                exact_due = _kept(final, mine, final["commission"])
                difference = exact_due - exact_paid
                change = round_quotient(
                    difference.numerator, difference.denominator, contract.rounding
                )
                due = round_quotient(exact_due.numerator, exact_due.denominator, contract.rounding)
                paid = due - change
                if change:
                    true_up[(partner, contract.id, contract.version)] = change
                    tiers = sorted(set(final["tier"][mine].tolist()))
                    adjustments.append(
                        Adjustment(
                            partner_id=partner,
                            contract_id=contract.id,
                            version=contract.version,
                            kind="true_up",
                            amount=Money.from_minor(change, contract.currency),
                            period=period.label,
                            reason=(
                                f"whole-volume tiers: the period ended in tier "
                                f"{', '.join(str(t + 1) for t in tiers)}; lines re-priced at it "
                                f"({Money.from_minor(due, contract.currency)} due, "
                                f"{Money.from_minor(paid, contract.currency)} paid)"
                            ),
                        )
                    )

    # 2. Bonuses and 3. guarantees, per partner of each contract. Reversed volume does not
    # count toward a bonus either.
    net: CommissionTable | None = None  # re-run net of reversals only when a rule needs it
    # Bonuses and guarantees settle once per contract and period, on the terms of the version
    # in force at the period's end, over the sales of every version in the period.
    for contract_id in dict.fromkeys(c.id for c in book.contracts):
        terms = _governing(book, contract_id, period)
        if terms is None:
            continue
        bonuses = _nodes(terms, Bonus, kind)
        guarantees = _nodes(terms, Guarantee, kind)
        if not bonuses and not guarantees:
            continue
        if net is None:
            net = commissions
            if reversals is not None:
                net = _rerun(inputs, finalize=False, reversals=reversals)
        of_contract = (
            in_period
            & (commissions["source"] == "sale")
            & (commissions["contract_id"] == contract_id)
        )
        partners = set(commissions["partner_id"][of_contract].tolist())
        if guarantees:
            # A guaranteed minimum is owed even without a sale.
            partners |= _covered(book, terms, period, inputs.get("partners"))
        for partner in sorted(partners):
            mine = of_contract & (commissions["partner_id"] == partner)
            for rule in bonuses:
                volume = _volume(net, mine, rule.basis)
                threshold = _threshold(rule, terms)
                if volume < threshold:
                    continue
                if rule.amount is not None:
                    amount = Money.from_minor(rule.amount.minor, terms.currency)
                    how = str(amount)
                else:
                    base = int((net["base"] - net["reversed_base"])[mine].sum())
                    numerator, denominator = decimal_to_ratio(rule.rate or Decimal(0))
                    minor = round_quotient(base * numerator, denominator, terms.rounding)
                    amount = Money.from_minor(minor, terms.currency)
                    how = f"{rule.rate:%} of {Money.from_minor(base, terms.currency)}"
                adjustments.append(
                    Adjustment(
                        partner_id=partner,
                        contract_id=terms.id,
                        version=terms.version,
                        kind="bonus",
                        amount=amount,
                        period=period.label,
                        reason=(
                            f"bonus: {rule.basis} volume {_show(volume, rule, terms)} reached "
                            f"the threshold {_show(threshold, rule, terms)}; pays {how}"
                        ),
                    )
                )
            for rule in guarantees:
                # Reversed commission is taken back, so it does not count toward the minimum.
                kept = _kept(net, mine, commissions["commission"])
                paid = round_quotient(kept.numerator, kept.denominator, terms.rounding)
                paid += sum(
                    change
                    for (who, which, _), change in true_up.items()
                    if who == partner and which == contract_id
                )
                minimum = rule.minimum.minor
                if paid >= minimum:
                    continue
                adjustments.append(
                    Adjustment(
                        partner_id=partner,
                        contract_id=terms.id,
                        version=terms.version,
                        kind="guarantee",
                        amount=Money.from_minor(minimum - paid, terms.currency),
                        period=period.label,
                        reason=(
                            f"guaranteed minimum {rule.minimum} per {rule.period}; commission "
                            f"came to {Money.from_minor(paid, terms.currency)}"
                        ),
                    )
                )
    order = {"true_up": 0, "bonus": 1, "guarantee": 2}
    adjustments.sort(key=lambda a: (a.partner_id, a.contract_id, a.version, order[a.kind]))
    return adjustments


def _rerun(
    inputs: Mapping[str, Any], *, finalize: bool, reversals: Reversals | None
) -> CommissionTable:
    """`compute` again on the table's own inputs, at close or net of reversals."""
    return _compute(
        inputs["orders"],
        inputs["book"],
        lines=inputs["lines"],
        fx=inputs["fx"],
        partners=inputs["partners"],
        state=inputs["state"],
        clicks=inputs["clicks"],
        finalize=finalize,
        reversals=reversals,
    )


def _governing(book: ContractBook, contract_id: str, period: Period) -> Contract | None:
    """The version in force at the period's last instant, else the last one in the period."""
    versions = [c for c in book.contracts if c.id == contract_id and _overlaps(c, period)]
    if not versions:
        return None
    last = period.end - timedelta(microseconds=1)
    for version in versions:
        if version.in_force(last):
            return version
    return max(versions, key=lambda c: c.effective_from)


def _covered(
    book: ContractBook, terms: Contract, period: Period, partners: Partners | None
) -> set[str]:
    """Partners whose terms at the period's end are ``terms``, sales or not."""
    target = terms.applies_to
    if isinstance(target, PartnerTarget):
        return {target.partner_id}
    if partners is None:
        return set()
    ids = partners["partner_id"]
    groups = partners["group"]
    last = to_micros(period.end) - 1
    chosen, contracts = resolve_contracts(
        book, ids, groups, np.full(len(partners), last, dtype=np.int64)
    )
    picked = [
        str(p)
        for p, number in zip(ids, chosen.tolist(), strict=True)
        if number >= 0 and contracts[number] is terms
    ]
    return set(picked)


def _overlaps(contract: Contract, period: Period) -> bool:
    end = contract.effective_to
    return contract.effective_from < period.end and (end is None or period.start < end)


def _kept(table: CommissionTable, rows: Any, amounts: Any) -> Fraction:
    """The exact sum of per-line ``amounts`` on the share of each line not reversed."""
    total = Fraction(0)
    for amount, base, gone in zip(
        amounts[rows].tolist(),
        table["base"][rows].tolist(),
        table["reversed_base"][rows].tolist(),
        strict=True,
    ):
        total += Fraction(amount * (base - gone), base) if base > 0 else Fraction(amount)
    return total


def _netted(
    commissions: CommissionTable, book: ContractBook, reversals: Reversals | None
) -> Reversals | None:
    """The reversals that leave the close volume: not those of contracts that count them."""
    counted = {c.id for c in book.contracts if c.reversed_volume == "counted"}
    if reversals is None or not counted:
        return reversals
    under = np.isin(commissions["contract_id"], sorted(counted))
    gross_orders = set(commissions["order_id"][under].tolist())
    keep = np.array([str(o) not in gross_orders for o in reversals["order_id"]], dtype=bool)
    return reversals.take(keep)


def _volume(commissions: CommissionTable, rows: Any, basis: str) -> int:
    """Period volume net of reversals: reversed revenue, fully reversed lines and orders out."""
    kept = rows & (commissions["reversed_base"] < commissions["base"])
    if basis == "revenue":
        return int((commissions["base"] - commissions["reversed_base"])[rows].sum())
    if basis == "units":
        return int(commissions["quantity"][kept].sum())
    return len(set(commissions["order_id"][kept].tolist()))


def _threshold(rule: Bonus, contract: Contract) -> int:
    if rule.basis == "revenue":
        return decimal_to_minor(rule.threshold, lookup_currency(contract.currency).exponent, None)
    return int(rule.threshold)


def _show(volume: int, rule: Bonus, contract: Contract) -> str:
    if rule.basis == "revenue":
        return str(Money.from_minor(volume, contract.currency))
    return str(volume)

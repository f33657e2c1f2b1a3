"""The demo's building blocks and its first sections: the programme, commission and close.

``alliance demo`` is a list of sections (`alliance.cli.DEMO_SECTIONS`): each turns the
programme (and what earlier sections computed) into a titled table (`Block`). This module
holds the blocks, the context the sections share, and the sections up to the period close;
the settlement and attribution sections live beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from alliance import Money, Period, periods_between
from alliance import commission as cm
from alliance.datasets import Program, ProgramSummary


@dataclass(frozen=True)
class Block:
    """One section of output: a titled table of text cells.

    Attributes:
        title: Heading of the section.
        headers: Column headings; the first column is left-aligned, the others right-aligned.
        rows: The cells, one tuple per row.
        note: A line printed under the table (assumptions, how a figure was computed).
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass
class DemoContext:
    """What the demo's sections read: the programme, its summary, and earlier results.

    Attributes:
        program: The generated programme.
        summary: ``program.summary()``, computed once.
        results: Whatever a section computes for the sections after it, by name.
    """

    program: Program
    summary: ProgramSummary
    results: dict[str, Any] = field(default_factory=dict)


Section = Callable[[DemoContext], Block]


def _count(value: int) -> str:
    return f"{value:,}"


def _amount(text: str, code: str) -> str:
    return f"{Decimal(text):,} {code}"


def _percent(value: float) -> str:
    return f"{value:.2%}"


def programme_section(context: DemoContext) -> Block:
    """Size of the programme, traffic, conversion and GMV."""
    summary = context.summary
    rows = (
        ("Window", f"{summary['start'][:10]} to {summary['end'][:10]} ({summary['timezone']})"),
        ("Partners", _count(summary["partners"]["total"])),
        ("Clicks", _count(summary["clicks"])),
        ("Visitors", _count(summary["visitors"])),
        ("Orders", _count(summary["orders"])),
        ("Conversion rate (orders / clicks)", _percent(summary["conversion_rate"])),
        ("Order lines", _count(summary["lines"])),
        ("Customers", _count(summary["customers"])),
        ("New-customer orders", _percent(summary["new_customer_share"])),
        ("Orders with a partner's code", _count(summary["coupon_orders"])),
        ("GMV", _amount(summary["gmv_usd"], "USD")),
        ("Average order value", _amount(summary["aov_usd"], "USD")),
    )
    return Block("Programme", ("Measure", "Value"), rows)


def partners_section(context: DemoContext) -> Block:
    """Partners by kind, with the KOL pyramid's tiers."""
    counts = context.summary["partners"]
    total = counts["total"]
    rows: list[tuple[str, ...]] = []
    tiers = {"head": "≥ 1M", "mid": "50k-1M", "nano": "10k-50k"}
    for kind, number in counts["by_kind"].items():
        rows.append((kind, _count(number), _percent(number / total if total else 0.0)))
        if kind == "kol":
            for tier, reach in tiers.items():
                size = counts["kol_tiers"][tier]
                share = _percent(size / total if total else 0.0)
                rows.append((f"  {tier} ({reach} followers)", _count(size), share))
    rows.append(("total", _count(total), _percent(1.0 if total else 0.0)))
    groups = ", ".join(f"{name} {number}" for name, number in counts["by_group"].items())
    statuses = ", ".join(f"{name} {number}" for name, number in counts["by_status"].items())
    note = f"Groups: {groups}. Status: {statuses}. Sub-affiliates: {counts['sub_affiliates']}."
    return Block("Partners by kind", ("Kind", "Partners", "Share"), tuple(rows), note)


def gmv_section(context: DemoContext) -> Block:
    """GMV by order currency, exact, and in US dollars at each order's rate."""
    summary = context.summary
    total = Decimal(summary["gmv_usd"])
    rows = tuple(
        (
            row["currency"],
            _count(row["orders"]),
            _amount(row["amount"], row["currency"]),
            _amount(row["usd"], "USD"),
            _percent(float(Decimal(row["usd"]) / total) if total else 0.0),
        )
        for row in summary["gmv"]
    )
    footer = ("total", _count(summary["orders"]), "", _amount(summary["gmv_usd"], "USD"), "")
    note = (
        "Each order is converted at the rate in force at its own time (FxRates.convert_minor), "
        "rounded once, then added up."
    )
    return Block(
        "GMV by currency", ("Currency", "Orders", "GMV", "In USD", "Share"), (*rows, footer), note
    )


def reversals_section(context: DemoContext) -> Block:
    """Refunds, chargebacks and cancellations: counts, full or partial, value."""
    summary = context.summary
    rows = tuple(
        (
            row["kind"],
            _count(row["count"]),
            _count(row["full"]),
            _count(row["partial"]),
            _amount(row["usd"], "USD"),
            _percent(row["share_of_gmv"]),
        )
        for row in summary["reversals"]
    )
    count = sum(row["count"] for row in summary["reversals"])
    share = sum(row["share_of_gmv"] for row in summary["reversals"])
    footer = ("total", _count(count), "", "", _amount(summary["reversed_usd"], "USD"))
    return Block(
        "Reversals",
        ("Kind", "Count", "Full", "Partial", "Value", "Of GMV"),
        (*rows, (*footer, _percent(share))),
        "Valued in USD at the reversed order's rate; a full reversal is the order's amount.",
    )


def rates_section(context: DemoContext) -> Block:
    """Exchange rates per US dollar on the first and the last day."""
    rows = tuple(
        (row["currency"], row["first"], row["last"], f"{row['change']:+.2%}")
        for row in context.summary["fx"]
    )
    return Block(
        "Exchange rates (units per USD)",
        ("Currency", "First day", "Last day", "Change"),
        rows,
        "A daily random walk at each currency's volatility, six significant digits.",
    )


def commission_book(program: Program) -> cm.ContractBook:
    """The demo's contracts: a realistic book for the synthetic programme, in US dollars.

    Every contract holds commission for 14 days (the refund window) and pays from 50 USD.

    - ``standard``, the programme default: marginal monthly revenue tiers, 5% and 7% from
      500 USD (content sites, KOLs, cashback sites, agencies, brands).
    - ``premium``, for the ``premium`` group: whole-volume monthly tiers, 6%, 8% from 1,000 USD
      and 10% from 10,000 USD, paid provisionally and trued up at close.
    - ``coupon-<partner>``, one per coupon site: 3% of the base, since a coupon often lands on
      a sale that would have happened anyway. Coupon sites are a partner *kind*, not a group,
      so each gets a partner contract (which also wins over ``premium``).
    - ``kol-head-<partner>``, one per partner in the ``kol-head`` group: 10% with 1,500 USD a
      month guaranteed (保底 + 提成). A partner contract, so the minimum is owed in a month
      without sales too.
    """
    terms: dict[str, Any] = {
        "version": 1,
        "currency": "USD",
        "timezone": program.timezone,
        "effective_from": program.start,
        "hold_days": 14,
        "minimum_payout": Money("50.00", "USD"),
    }
    contracts = [
        cm.Contract(
            id="standard",
            applies_to=cm.default(),
            plan=cm.tiered(tiers=[("0", "5%"), ("500", "7%")]),
            **terms,
        ),
        cm.Contract(
            id="premium",
            applies_to=cm.group("premium"),
            plan=cm.tiered(mode="whole", tiers=[("0", "6%"), ("1000", "8%"), ("10000", "10%")]),
            **terms,
        ),
    ]
    partners = program.partners
    for partner_id, kind, group in zip(
        partners["partner_id"], partners["kind"], partners["group"], strict=True
    ):
        if kind == "coupon":
            contracts.append(
                cm.Contract(
                    id=f"coupon-{partner_id}",
                    applies_to=cm.partner(partner_id),
                    plan=cm.percent("3%"),
                    **terms,
                )
            )
        elif group == "kol-head":
            minimum = Money("1500.00", "USD")
            contracts.append(
                cm.Contract(
                    id=f"kol-head-{partner_id}",
                    applies_to=cm.partner(partner_id),
                    plan=cm.guarantee(cm.percent("10%"), minimum),
                    **terms,
                )
            )
    return cm.ContractBook(contracts)


def _usd(minor: int) -> str:
    return f"{Money.from_minor(minor, 'USD').amount:,} USD"


def _plain_usd(minor: int) -> str:
    """US dollars without the code, for tables whose note says the currency."""
    return f"{Money.from_minor(minor, 'USD').amount:,}"


def commission_section(context: DemoContext) -> Block:
    """Commission under the demo's book (`commission_book`), by partner kind, in US dollars."""
    program = context.program
    book = commission_book(program)
    table = cm.compute(program.orders, book, fx=program.fx, partners=program.partners)
    context.results["commission_book"] = book
    context.results["commission"] = table
    kind_of = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    kinds = np.array([kind_of[p] for p in table["partner_id"]], dtype=object)
    rows: list[tuple[str, ...]] = []
    for kind in context.summary["partners"]["by_kind"]:
        mine = kinds == kind
        base = int(table["base"][mine].sum())
        commission = int(table["commission"][mine].sum())
        rows.append(
            (
                kind,
                _count(len(set(table["partner_id"][mine].tolist()))),
                _count(len(set(table["order_id"][mine].tolist()))),
                _usd(base),
                _usd(commission),
                _percent(commission / base if base else 0.0),
            )
        )
    base = int(table["base"].sum())
    total = table.total().get("USD", Money("0.00", "USD"))
    footer = (
        "total",
        _count(len(set(table["partner_id"].tolist()))),
        _count(len(set(table["order_id"].tolist()))),
        _usd(base),
        _usd(total.minor),
        _percent(total.minor / base if base else 0.0),
    )
    note = (
        "Contracts: standard (default) 5%, 7% from 500 USD a month, marginal; premium group 6%, "
        "8% from 1,000 USD, 10% from 10,000 USD, whole volume; coupon sites 3%; head KOLs 10% "
        "with 1,500 USD a month guaranteed. Base: order amount less tax, in USD at the order's "
        "rate; one rounding per order."
    )
    return Block(
        "Commission by partner kind",
        ("Kind", "Partners", "Orders", "Base", "Commission", "Rate"),
        (*rows, footer),
        note,
    )


def priced(context: DemoContext) -> tuple[cm.CommissionTable, cm.ContractBook]:
    """The commission table and book of `commission_section`, computing them once."""
    if "commission" not in context.results:
        commission_section(context)
    return context.results["commission"], context.results["commission_book"]


def closing_month(program: Program) -> Period:
    """The last calendar month wholly inside the programme's window (else its first month)."""
    months = periods_between(program.start, program.end, "month", tz=program.timezone)
    whole = [m for m in months if m.start >= program.start and m.end <= program.end]
    return whole[-1] if whole else months[0]


def close_section(context: DemoContext) -> Block:
    """`close_period` for one month, net of reversals: true-ups and guarantee top-ups."""
    program = context.program
    table, book = priced(context)
    month = closing_month(program)
    adjustments = cm.close_period(table, book, month, reversals=program.reversals)
    kind_of = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    rows = tuple(
        (
            adjustment.partner_id,
            kind_of[adjustment.partner_id],
            adjustment.contract_id,
            adjustment.kind,
            _usd(adjustment.amount.minor),
        )
        for adjustment in adjustments
    )
    footer = ("total", "", "", "", _usd(sum(a.amount.minor for a in adjustments)))
    note = (
        f"Owed at the close of {month.label} ({program.timezone}), net of reversals: premium "
        "partners' lines re-priced at the tier their month ended in (true_up), and head KOLs' "
        "guaranteed minimums (guarantee)."
    )
    return Block(
        f"Period close, {month.label}",
        ("Partner", "Kind", "Contract", "Adjustment", "Amount"),
        (*rows, footer),
        note,
    )


# -- settlement -------------------------------------------------------------------------------

#: The folder, under the current directory, that holds the demo's ledgers.

"""The demo's KPI section: the partners that earn the most, with their scoreboard."""

from __future__ import annotations

import math

from alliance import kpi
from alliance._demo import Block, DemoContext, _count, _percent, _plain_usd, priced

TOP = 10


def _ratio(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def kpi_section(context: DemoContext) -> Block:
    """The top partners by commission, with CR, EPC, AOV, ROAS and reversal rate (USD)."""
    program = context.program
    commissions, _ = priced(context)
    table = kpi.summary(
        orders=program.orders,
        clicks=program.clicks,
        commissions=commissions,
        reversals=program.reversals,
        by=["partner_id"],
        tz=program.timezone,
        currency="USD",
        fx=program.fx,
    )
    context.results["kpi"] = table
    top = table.ranked("commission", top=TOP)
    rows = tuple(
        (
            str(partner),
            _count(orders),
            _percent(cr),
            _ratio(epc_value, 3),
            _plain_usd(round(aov)),
            _ratio(roas),
            _percent(reversal),
            _plain_usd(commission),
        )
        for partner, orders, cr, epc_value, aov, roas, reversal, commission in zip(
            top["partner_id"].tolist(),
            top["orders"].tolist(),
            top["conversion_rate"].tolist(),
            top["epc"].tolist(),
            top["aov"].tolist(),
            top["roas"].tolist(),
            top["reversal_rate"].tolist(),
            top["commission"].tolist(),
            strict=True,
        )
    )
    small = int(table["small_sample"].sum())
    note = (
        f"Money in USD at each order's rate. CR = orders / clicks; EPC = commission / clicks; "
        f"AOV = revenue / orders; ROAS = revenue / commission; reversal rate = orders with a "
        f"reversal / orders. {small:,} of {len(table):,} partners have under 100 clicks or "
        "10 orders and are not ranked (kpi.summary, Summary.ranked)."
    )
    return Block(
        "KPIs: top partners by commission",
        ("Partner", "Orders", "CR", "EPC", "AOV", "ROAS", "Reversed", "Commission"),
        rows,
        note,
    )  # fmt: skip

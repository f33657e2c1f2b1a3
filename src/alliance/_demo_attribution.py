"""The demo's attribution section: who earned the orders, under last click and under Markov.

Last click pays the partner of each order's last qualifying touch: the affiliate default, and
what the programme's commission is computed on. The order-1 Markov chain over the same
touchpoints credits every partner by its removal effect: how many conversions would be lost
without it. Side by side they show which partners open journeys that others close.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np

from alliance import attribution as at
from alliance._demo import Block, DemoContext, _count, _percent, _plain_usd

#: The cookie window of the demo's attribution (the contracts' default).
WINDOW = timedelta(days=30)


def attribution_section(context: DemoContext, top: int = 10) -> Block:
    """Credit by partner under last click and under an order-1 Markov chain, in US dollars."""
    program = context.program
    credited = at.attribute(
        program.touchpoints,
        program.orders,
        model=at.last_click(),
        window=WINDOW,
        coupons="click_first",
        partners=program.partners,
    )
    context.results["attribution"] = credited
    orders = program.orders
    row_of = {order_id: row for row, order_id in enumerate(orders["order_id"].tolist())}
    credits = credited.credits
    rows = np.array([row_of[o] for o in credits["order_id"].tolist()], dtype=np.int64)
    usd = program.fx.convert_minor(
        credits["credited"], credits["currency"], "USD", at=orders["ts"][rows]
    )
    recorded = orders["partner_id"][rows]
    agree = int(np.count_nonzero((recorded == credits["partner_id"]) & (credits["weight"] == 1)))
    last_orders: dict[str, float] = defaultdict(float)
    last_usd: dict[str, int] = defaultdict(int)
    for partner, weight, cents in zip(
        credits["partner_id"].tolist(), credits["weight"].tolist(), usd.tolist(), strict=True
    ):
        last_orders[partner] += weight
        last_usd[partner] += cents

    paths = at.Paths.from_touchpoints(
        program.touchpoints, orders, window=WINDOW, currency="USD", fx=program.fx
    )
    if paths.total_conversions > 0:
        chain = at.markov(paths.aggregate())
        markov_conversions = chain.to_dict("conversions")
        markov_value = chain.to_dict("value")
        effects = chain.to_dict("removal_effect")
        markov = (
            f"order-1 chain over {_count(len(paths))} journeys (P(conversion) "
            f"{chain.conversion_probability:.2%}); credit = conversions x removal effect / sum "
            "of removal effects (an estimate, not money paid)"
        )
    else:  # no journey converts: removal effects are undefined
        markov_conversions, markov_value, effects = {}, {}, {}
        markov = f"no conversion among {_count(len(paths))} journeys, so no chain"

    ranked = sorted(last_usd, key=lambda p: (-last_usd[p], p))[:top]
    table_rows = tuple(
        (
            partner,
            f"{last_orders[partner]:,.0f}",
            _plain_usd(last_usd[partner]),
            f"{markov_conversions.get(partner, 0.0):,.1f}",
            f"{markov_value.get(partner, 0.0):,.2f}",
            _percent(effects.get(partner, 0.0)),
        )
        for partner in ranked
    )
    reasons: dict[str, int] = defaultdict(int)
    for reason in credited.unattributed["reason"].tolist():
        reasons[reason] += 1
    unattributed = ", ".join(f"{n:,} {reason}" for reason, n in sorted(reasons.items()))
    note = (
        f"Top {len(ranked)} partners by last-click credit. Last click: {_count(len(orders))} "
        f"orders, each to its visitor's last click, coupon or impression within "
        f"{WINDOW.days} days (an owned coupon code when no touch qualifies); unattributed: "
        f"{unattributed or 'none'}; the winner is the partner recorded on the order for "
        f"{_count(agree)} of them. Markov: {markov}; amounts in USD at each order's rate."
    )
    return Block(
        "Attribution: last click and Markov, by partner",
        ("Partner", "Last-click orders", "Last-click USD", "Markov conv.", "Markov USD", "RE"),
        table_rows,
        note,
    )

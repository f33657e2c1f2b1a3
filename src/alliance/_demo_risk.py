"""The demo's fraud sections: the default policy over the programme with labelled fraud in it.

The demo's programme is clean apart from the leaked codes every programme has; to show what
screening finds, these sections generate the same programme again with `DEFAULT_FRAUD`
injected (labelled), screen it with `risk.Policy.default`, and print what was flagged, why,
and how it compares with the labels.
"""

from __future__ import annotations

from collections import Counter

from alliance import risk
from alliance._demo import Block, DemoContext, _count, _percent
from alliance._periods import to_micros
from alliance.datasets import DEFAULT_FRAUD, Program, synthetic_program

_DAY_US = 86_400_000_000


def _with_fraud(program: Program) -> Program:
    """The demo's programme generated again, the same apart from the injected fraud."""
    days = (to_micros(program.end) - to_micros(program.start)) // _DAY_US
    return synthetic_program(
        seed=program.seed,
        partners=len(program.partners),
        clicks=len(program.clicks),
        days=int(days),
        start=program.start,
        currencies=program.currencies,
        timezone=program.timezone,
        fraud=DEFAULT_FRAUD,
    )


def screened(context: DemoContext) -> tuple[Program, risk.Decisions]:
    """The programme with fraud and its decisions, computed once."""
    if "risk" not in context.results:
        program = _with_fraud(context.program)
        decisions = risk.screen(
            orders=program.orders,
            clicks=program.clicks,
            partners=program.partners,
            reversals=program.reversals,
        )
        context.results["risk"] = (program, decisions)
    found: tuple[Program, risk.Decisions] = context.results["risk"]
    return found


def fraud_section(context: DemoContext) -> Block:
    """Flags of the default policy by reason code, and its precision and recall."""
    program, decisions = screened(context)
    flags = decisions.flags
    counts = Counter(zip(flags["code"].tolist(), flags["subject"].tolist(), strict=True))
    policy = decisions.policy
    rows = tuple(
        (code, subject, policy.action_of(code), _count(n))
        for (code, subject), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    quality = risk.evaluate(decisions, program.labels)
    orders, partners = quality.score("all", "order"), quality.score("all", "partner")
    stopped = decisions.summary()
    note = (
        f"The programme again with labelled fraud injected ({len(program.labels):,} labels): "
        f"{_count(stopped.get('order', {}).get('block', 0))} orders blocked, "
        f"{_count(stopped.get('order', {}).get('review', 0))} held for review, "
        f"{_count(stopped.get('click', {}).get('discard_click', 0))} clicks discarded. "
        f"Orders: precision {_percent(orders.precision)}, recall {_percent(orders.recall)}; "
        f"partners: precision {_percent(partners.precision)}, "
        f"recall {_percent(partners.recall)} (an order inherits its partner's hold)."
    )
    return Block(
        "Fraud screening, default policy", ("Reason", "Subject", "Action", "Flags"), rows, note
    )


def flagged_partners_section(context: DemoContext, top: int = 10) -> Block:
    """The partners with the highest scores, their action and their reasons."""
    program, decisions = screened(context)
    partners = decisions.where(subject="partner")
    order = sorted(range(len(partners)), key=lambda i: -float(partners["score"][i]))[:top]
    labelled = {
        partner: pattern
        for partner, pattern, subject in zip(
            program.labels["partner_id"].tolist(),
            program.labels["pattern"].tolist(),
            program.labels["subject"].tolist(),
            strict=True,
        )
        if subject == "partner"
    }
    rows = tuple(
        (
            str(partners["id"][i]),
            str(partners["action"][i]),
            f"{float(partners['score'][i]):.2f}",
            ", ".join(partners["reasons"][i][:3]),
            labelled.get(str(partners["id"][i]), "-"),
        )
        for i in order
    )
    note = "Score: 1 - product of (1 - weight) over the reasons. Label: the injected pattern."
    return Block(
        "Flagged partners", ("Partner", "Action", "Score", "Top reasons", "Label"), rows, note
    )

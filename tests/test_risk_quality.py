"""The default policy on labelled synthetic fraud, and the screener against the batch."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance import risk
from alliance.datasets import DEFAULT_FRAUD, Program, synthetic_program

SEEDS = range(5)
ORDER_PATTERNS = (
    "brushing",
    "click_injection",
    "click_spam",
    "leaked_coupon",
    "reversal_abuse",
    "self_referral",
    "velocity",
)


@cache
def _pooled() -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], Counter[str]]:
    """Labelled and caught subjects by (level, pattern), and flagged by level, over the seeds."""
    labelled: Counter[tuple[str, str]] = Counter()
    caught: Counter[tuple[str, str]] = Counter()
    flagged: Counter[str] = Counter()
    for seed in SEEDS:
        program = synthetic_program(seed=seed, partners=200, clicks=50_000, fraud=DEFAULT_FRAUD)
        decisions = risk.screen(
            orders=program.orders,
            clicks=program.clicks,
            partners=program.partners,
            reversals=program.reversals,
        )
        for score in risk.evaluate(decisions, program.labels).scores:
            labelled[(score.level, score.pattern)] += score.labelled
            caught[(score.level, score.pattern)] += score.caught
            if score.pattern == "all":
                flagged[score.level] += score.flagged
    return labelled, caught, flagged


@pytest.mark.parametrize("pattern", ORDER_PATTERNS)
def test_default_policy_recalls_nine_in_ten_orders_of_every_pattern(pattern: str) -> None:
    labelled, caught, _ = _pooled()
    # Evasive variants included (30% of the fraudsters), five programmes pooled.
    assert labelled[("order", pattern)] >= 100
    assert caught[("order", pattern)] / labelled[("order", pattern)] >= 0.9


def test_default_policy_is_precise_on_orders_and_partners() -> None:
    labelled, caught, flagged = _pooled()
    order_precision = caught[("order", "all")] / flagged["order"]
    partner_precision = caught[("partner", "all")] / flagged["partner"]
    assert order_precision >= 0.95
    assert partner_precision >= 0.95
    assert caught[("partner", "all")] / labelled[("partner", "all")] >= 0.9
    # Every duplicate account is found: it shares a payout method or e-mail with an older one.
    assert caught[("partner", "duplicate_identity")] == labelled[("partner", "duplicate_identity")]


def test_default_policy_saves_the_commission_of_stopped_orders() -> None:
    program = synthetic_program(seed=0, partners=200, clicks=50_000, fraud=DEFAULT_FRAUD)
    decisions = risk.screen(
        orders=program.orders,
        clicks=program.clicks,
        partners=program.partners,
        reversals=program.reversals,
    )
    labels = program.labels.of(subject="order")
    rows = labels["id"].tolist()
    # A stand-in commission of 1.00 USD per order: money-weighted recall is then order recall.
    commissions: dict[str, Any] = {
        "order_id": labels["id"],
        "commission": [100] * len(rows),
        "currency": ["USD"] * len(rows),
        "ts": [0] * len(rows),
    }
    quality = risk.evaluate(decisions, program.labels, commissions=commissions)
    held = set(decisions.actions("order"))
    # Rows of an order labelled with two patterns count twice, in both sums.
    counted = Counter(rows)
    expected = sum(100 * n for order, n in counted.items() if order in held)
    at_risk = 100 * len(rows)
    assert quality.money_saved["USD"].minor == expected
    assert quality.money_at_risk["USD"].minor == at_risk
    assert quality.money_recall["USD"] == pytest.approx(expected / at_risk)


# --- batch and streaming agree ------------------------------------------------------------------


def _streamed(program: Program, policy: risk.Policy) -> set[tuple[str, str, str, tuple[str, ...]]]:
    screener = risk.Screener(policy, partners=program.partners)
    clicks = [(c.ts, 0, i, c) for i, c in enumerate(program.clicks.to_models())]
    orders = [(o.ts, 1, i, o) for i, o in enumerate(program.orders.to_models())]
    found: set[tuple[str, str, str, tuple[str, ...]]] = set()
    for _, kind, _, record in sorted(clicks + orders, key=lambda e: e[:3]):
        decision = screener.click(record) if kind == 0 else screener.order(record)
        if decision.reasons:
            found.add(
                (decision.subject, decision.id, decision.action, tuple(sorted(decision.codes)))
            )
    return found


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_the_screener_agrees_with_the_batch_on_random_programmes(seed: int) -> None:
    program = synthetic_program(seed=seed, partners=20, clicks=1_500, days=20, fraud=DEFAULT_FRAUD)
    policy = risk.Policy.default().with_rules(
        "review if :orders_per_ip_daily: > 2",
        "discard_click if :clicks_per_visitor_hourly: > 3",
    )
    batch = risk.screen(
        orders=program.orders, clicks=program.clicks, partners=program.partners, policy=policy
    )
    expected = {
        (d.subject, d.id, d.action, tuple(sorted(d.codes)))
        for d in batch
        if d.subject in ("click", "order")
    }
    assert _streamed(program, policy) == expected

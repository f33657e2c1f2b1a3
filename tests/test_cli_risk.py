"""The demo's fraud sections: the default policy over the programme with labelled fraud."""

from __future__ import annotations

from collections import Counter

import pytest

from alliance import _demo as demo
from alliance import _demo_attribution as demo_attribution
from alliance import _demo_risk as demo_risk
from alliance import cli, risk
from alliance.datasets import DEFAULT_FRAUD, Program, synthetic_program


@pytest.fixture(scope="module")
def program() -> Program:
    return synthetic_program(seed=2, partners=60, clicks=8_000, days=60)


def test_fraud_sections_sit_between_attribution_and_commission() -> None:
    sections = cli.DEMO_SECTIONS
    at = sections.index(demo_attribution.attribution_section)
    assert sections[at + 1 : at + 3] == [
        demo_risk.fraud_section,
        demo_risk.flagged_partners_section,
    ]
    assert sections[at + 3] is demo.commission_section


def test_the_section_counts_each_reason_of_the_same_programme_with_fraud(
    program: Program,
) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo_risk.fraud_section(context)
    # Built independently: the same arguments, with the default fraud injected.
    again = synthetic_program(seed=2, partners=60, clicks=8_000, days=60, fraud=DEFAULT_FRAUD)
    assert len(again.labels) > 0
    decisions = risk.screen(
        orders=again.orders,
        clicks=again.clicks,
        partners=again.partners,
        reversals=again.reversals,
    )
    counts = Counter(
        zip(decisions.flags["code"].tolist(), decisions.flags["subject"].tolist(), strict=True)
    )
    assert {(row[0], row[1]): int(row[3].replace(",", "")) for row in block.rows} == dict(counts)
    assert all(row[2] == decisions.policy.action_of(row[0]) for row in block.rows)
    quality = risk.evaluate(decisions, again.labels)
    assert f"precision {quality.precision('order'):.2%}" in block.note
    assert f"({len(again.labels):,} labels)" in block.note


def test_flagged_partners_are_the_highest_scores_with_their_labels(program: Program) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo_risk.flagged_partners_section(context, top=3)
    again, decisions = demo_risk.screened(context)
    partners = decisions.where(subject="partner")
    scores = sorted((float(s) for s in partners["score"].tolist()), reverse=True)[:3]
    assert [float(row[2]) for row in block.rows] == [round(s, 2) for s in scores]
    labelled = again.labels.of(subject="partner")
    pattern_of = dict(zip(labelled["id"].tolist(), labelled["pattern"].tolist(), strict=True))
    for row in block.rows:
        assert row[4] == pattern_of.get(row[0], "-")

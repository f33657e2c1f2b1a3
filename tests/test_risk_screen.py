"""Screening: windows, flags, policies, decisions, `screen`, `Screener` and `evaluate`."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import alliance as al
from alliance import risk
from alliance.datasets import DEFAULT_FRAUD, synthetic_program
from alliance.errors import RuleSyntaxError
from alliance.risk._decisions import held_rows
from alliance.risk._events import TrailingWindow
from alliance.risk._frame import Frame
from alliance.risk._screen import _located, _stopped_clicks, _won_by_discarded
from alliance.risk._windows import (
    joint_codes,
    last_at_or_before,
    shared_codes,
    stable_order,
    trailing_count,
    trailing_distinct,
)
from alliance.settlement._settle import _checked_decisions

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- window kernels ---------------------------------------------------------------------------

events = st.lists(
    st.tuples(st.integers(-1, 2), st.integers(-1, 3), st.integers(0, 40)), min_size=1, max_size=40
)


def _brute(rows: list[tuple[int, int, int]], width: int) -> tuple[list[int], list[int]]:
    counts, distinct = [], []
    for i, (key, _, ts) in enumerate(rows):
        if key < 0:
            counts.append(0)
            distinct.append(0)
            continue
        inside = [
            j
            for j, (k, _, t) in enumerate(rows)
            if k == key and ts - width < t <= ts and (t < ts or j <= i)
        ]
        counts.append(len(inside))
        distinct.append(len({rows[j][1] for j in inside if rows[j][1] >= 0}))
    return counts, distinct


@given(events, st.integers(1, 15))
def test_window_kernels_equal_a_brute_force_count(rows: list[Any], width: int) -> None:
    key, value, ts = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    counts, distinct = _brute(rows, width)
    assert trailing_count(key, ts, width).tolist() == counts
    assert trailing_distinct(key, value, ts, width).tolist() == distinct


@given(events, st.integers(1, 15))
def test_trailing_window_streams_the_same_counts(rows: list[Any], width: int) -> None:
    ordered = sorted(range(len(rows)), key=lambda i: (rows[i][2], i))
    window = TrailingWindow(width)
    streamed: dict[int, tuple[int, int]] = {}
    for i in ordered:
        key, value, ts = rows[i]
        if key >= 0:
            streamed[i] = window.add(key, ts, None if value < 0 else value)
    counts, distinct = _brute(rows, width)
    for i, (count, kinds) in streamed.items():
        assert (count, kinds) == (counts[i], distinct[i])
    window.sweep(10_000)
    assert len(window) == 0


def test_last_event_at_or_before_and_joint_codes() -> None:
    found = last_at_or_before(
        np.array([3, 3, 3, 5]),
        np.array([10, 20, 20, 5]),
        np.array([3, 3, 3, 5, -1]),
        np.array([9, 20, 25, 4, 50]),
    )
    # At instant 20 two events tie: the later row (2) wins.
    assert found.tolist() == [-1, 2, 2, -1, -1]
    codes, vocabulary = joint_codes(
        (np.array([1, 0, -1]), np.array(["x", "y"], dtype=object)),
        (np.array([0]), np.array(["a"], dtype=object)),
    )
    assert vocabulary.tolist() == ["a", "x", "y"]
    assert [c.tolist() for c in codes] == [[2, 1, -1], [0]]


# --- flags ------------------------------------------------------------------------------------


def test_flags_concatenate_filter_and_explain() -> None:
    first = risk.Flags.of(
        "order",
        np.array(["o1"], dtype=object),
        "ctit_too_short",
        observed=4.0,
        threshold=10.0,
        evidence=[("c1",)],
        partner_id=np.array(["P1"], dtype=object),
    )
    second = risk.Flags.of(
        "partner",
        np.array(["P1"], dtype=object),
        "flagged_share",
        observed=0.5,
        threshold=0.5,
        partner_id=np.array(["P1"], dtype=object),
    )
    both = risk.Flags.concat([first, risk.Flags.empty(), second])
    assert len(both) == 2
    assert both["check"].tolist() == ["click_injection", "screen"]
    assert len(both.where(subject="partner")) == 1
    assert both.to_records()[0] == {
        "subject": "order",
        "id": "o1",
        "code": "ctit_too_short",
        "check": "click_injection",
        "observed": 4.0,
        "threshold": 10.0,
        "peer": None,
        "evidence": ["c1"],
        "partner_id": "P1",
    }
    assert next(iter(both)).explain() == (
        "order o1 (partner P1): click to order in under the threshold: 4 s < 10 s [evidence: c1]"
    )
    assert "flagged_share 1" in repr(both)
    with pytest.raises(KeyError, match="no column 'nope'"):
        both["nope"]


# --- a small programme ------------------------------------------------------------------------


def _partners() -> al.Partners:
    return al.Partners.from_records(
        [
            {"partner_id": "P1", "kind": "content", "email_hash": "e-p1"},
            {"partner_id": "P2", "kind": "kol", "email_hash": "e-p2"},
        ]
    )


CLICKS = [
    {"click_id": "c3", "ts": at(-3600), "partner_id": "P1", "visitor_id": "v3", "ip": "1.1.1.3"},
    {"click_id": "c1", "ts": at(0), "partner_id": "P1", "visitor_id": "v1", "ip": "1.1.1.1"},
    {"click_id": "c2", "ts": at(0), "partner_id": "P2", "visitor_id": "v2", "ip": "1.1.1.2"},
]
ORDERS = [
    {"order_id": "o3", "ts": at(0), "visitor_id": "v3", "partner_id": "P1", "ip": "1.1.1.3"},
    {"order_id": "o1", "ts": at(4), "visitor_id": "v1", "partner_id": "P1", "ip": "1.1.1.1"},
    {"order_id": "o2", "ts": at(3600), "visitor_id": "v2", "partner_id": "P2", "ip": "1.1.1.2"},
]


def _screen(policy: risk.Policy) -> risk.Decisions:
    orders = al.Orders.from_records([{**o, "amount": "10.00", "currency": "USD"} for o in ORDERS])
    return risk.screen(
        orders=orders,
        clicks=al.Clicks.from_records(CLICKS),
        partners=_partners(),
        policy=policy,
    )


INJECTION_ONLY = risk.Policy(checks=[risk.ClickInjection()])


def test_screen_decides_on_each_flagged_order_with_its_numbers() -> None:
    decisions = _screen(INJECTION_ONLY)
    assert decisions.to_records() == [
        {
            "subject": "order",
            "id": "o1",
            "action": "block",
            "score": pytest.approx(0.9),
            "reasons": ["ctit_too_short"],
            "partner_id": "P1",
            "allowlisted": False,
        }
    ]
    (flag,) = decisions.flags
    assert (flag.observed, flag.threshold, flag.evidence) == (4.0, 10.0, ("c1",))
    assert decisions.screened == {"click": 3, "order": 3, "partner": 2, "coupon": 0}
    assert decisions.get("order", "o2").action == "allow"
    assert decisions.get("order", "o1").codes == ("ctit_too_short",)


def test_reasons_add_up_into_the_score_and_the_strictest_action_wins() -> None:
    policy = INJECTION_ONLY.with_rules("review if :ctit_seconds: < 5")
    (decision,) = _screen(policy)
    # 1 - (1 - 0.9)(1 - 0.5) = 0.95; block outranks review.
    assert decision.action == "block"
    assert decision.score == pytest.approx(0.95)
    assert decision.codes == ("ctit_too_short", "rule_1")
    assert "rule rule_1 matched: review if :ctit_seconds: < 5" in decision.explain()


def test_allowlists_override_every_reason_but_keep_them() -> None:
    for allow in ({"partner_id": ("P1",)}, {"ip": ("1.1.1.1",)}, {"order_id": ("o1",)}):
        (decision,) = _screen(INJECTION_ONLY.model_copy(update={"allow": allow}))
        assert (decision.action, decision.allowlisted) == ("allow", True)
        assert decision.codes == ("ctit_too_short",)
    (kept,) = _screen(INJECTION_ONLY.model_copy(update={"allow": {"ip": ("9.9.9.9",)}}))
    assert kept.action == "block"


def test_an_order_won_by_a_discarded_click_is_held() -> None:
    policy = risk.Policy(rules=["discard_click if :click_partner_id: == 'P2'"])
    decisions = _screen(policy)
    assert decisions.actions("click") == {"c2": "discard_click"}
    held = decisions.get("order", "o2")
    assert (held.action, held.codes) == ("review", ("won_by_discarded_click",))
    assert held.reasons[0].evidence == ("c2",)


def test_flags_without_rows_find_their_clicks_and_orders_by_id() -> None:
    # A check that builds its flags from ids alone (as a custom check may) still stops the
    # click it names, and so the order that click won.
    orders = al.Orders.from_records([{**o, "amount": "10.00", "currency": "USD"} for o in ORDERS])
    frame = Frame(orders=orders, clicks=al.Clicks.from_records(CLICKS))
    flags = risk.Flags.concat(
        [
            risk.Flags.of(
                "click",
                np.array(["c2", "c9"], dtype=object),
                "click_flood",
                observed=6.0,
                threshold=5.0,
            ),
            risk.Flags.of(
                "order",
                np.array(["o1"], dtype=object),
                "ctit_too_short",
                observed=4.0,
                threshold=10.0,
            ),
            risk.Flags.of(
                "partner",
                np.array(["P1"], dtype=object),
                "flagged_share",
                observed=0.5,
                threshold=0.4,
            ),
        ]
    )
    assert flags._rows.tolist() == [-1, -1, -1, -1]
    with pytest.raises(ValueError, match="a flag row is needed per flag"):
        flags._located(np.array([1]))
    located = _located(frame, flags)
    assert located._rows.tolist() == [2, -1, 1, -1]  # c2 is row 2; c9 is no click here
    repeated = np.array(["c2", "c9", "c2", "c1", "c3"], dtype=object)
    assert frame.rows_of("click", repeated).tolist() == [2, -1, 2, 1, 0]
    assert frame.rows_of("order", np.array(["o2"], dtype=object)).tolist() == [2]
    clicks = located.where(subject="click")
    policy = risk.Policy.default()
    stopped = _stopped_clicks(frame, clicks, policy, np.zeros(2, dtype=bool))
    assert stopped.tolist() == [False, False, True]
    assert _won_by_discarded(frame, stopped)["id"].tolist() == ["o2"]
    # An allowlisted flag spares its click.
    spared = _stopped_clicks(frame, clicks, policy, np.array([True, False]))
    assert not spared.any()
    assert len(_won_by_discarded(frame, spared)) == 0


def test_every_check_knows_the_rows_of_the_clicks_and_orders_it_flags() -> None:
    program = synthetic_program(seed=3, partners=60, clicks=6_000, fraud=DEFAULT_FRAUD)
    frame = Frame(
        orders=program.orders,
        clicks=program.clicks,
        partners=program.partners,
        reversals=program.reversals,
    )
    for check in risk.Policy.default().checks:
        flags = check.run(frame)
        for mine, ids_of in (
            (flags.where(subject="click"), frame.click_ids),
            (flags.where(subject="order"), frame.order_ids),
        ):
            assert (mine._rows >= 0).all(), check.check
            assert ids_of(mine._rows).tolist() == mine["id"].tolist(), check.check


@pytest.mark.parametrize("review_score", [0.8, 0.3])
def test_held_rows_decide_orders_as_the_decisions_table_does(review_score: float) -> None:
    program = synthetic_program(seed=4, partners=60, clicks=6_000, fraud=DEFAULT_FRAUD)
    decisions = risk.screen(
        orders=program.orders,
        clicks=program.clicks,
        partners=program.partners,
        reversals=program.reversals,
    )
    orders = decisions.flags.where(subject="order")
    listed = orders["partner_id"][0]  # allowlisted: its flagged orders are not held
    policy = risk.Policy.default().model_copy(
        update={"review_score": review_score, "allow": {"partner_id": (listed,)}}
    )
    allowlisted = orders["partner_id"] == listed
    held = held_rows(orders, policy, allowlisted, len(program.orders))
    table = risk.Decisions.build(orders, policy, allowlisted=allowlisted)
    expected = {i for i, a in zip(table["id"], table["action"], strict=True) if a != "allow"}
    assert set(program.orders["order_id"][held].tolist()) == expected
    assert 0 < len(expected) < len(table)


def test_a_partner_with_half_its_orders_stopped_is_flagged_and_its_orders_held() -> None:
    policy = INJECTION_ONLY.model_copy(update={"partner_min_orders": 1})
    decisions = _screen(policy)
    partner = decisions.get("partner", "P1")
    assert (partner.action, partner.codes) == ("review", ("flagged_share",))
    assert partner.reasons[0].observed == 0.5  # o1 of o1, o3
    assert partner.reasons[0].evidence == ("1 of 2 orders",)
    assert decisions.actions("order") == {"o1": "block", "o3": "review"}
    assert decisions.actions("order", include_partner=False) == {"o1": "block"}
    assert decisions.for_settlement() == {"o1": "block", "o3": "review"}
    assert _checked_decisions(decisions) == {"o1": "block", "o3": "review"}
    # Two orders is under the default minimum of five: no partner flag.
    assert _screen(INJECTION_ONLY).get("partner", "P1").action == "allow"


def test_the_screener_decides_as_the_batch_does() -> None:
    policy = INJECTION_ONLY.with_rules("discard_click if :click_partner_id: == 'P2'")
    batch = _screen(policy)
    screener = risk.Screener(policy, partners=_partners())
    streamed = {}
    for kind, record in sorted(
        [("click", c) for c in CLICKS] + [("order", o) for o in ORDERS],
        key=lambda item: (item[1]["ts"], item[0] != "click"),
    ):
        if kind == "click":
            decision = screener.click(al.Click(**record))
        else:
            decision = screener.order({**record, "amount": "10.00", "currency": "USD"})
        if decision.action != "allow":
            streamed[(decision.subject, decision.id)] = (decision.action, decision.codes)
    expected = {(d.subject, d.id): (d.action, d.codes) for d in batch}
    assert (
        streamed
        == expected
        == {
            ("order", "o1"): ("block", ("ctit_too_short",)),
            ("click", "c2"): ("discard_click", ("rule_1",)),
            ("order", "o2"): ("review", ("won_by_discarded_click",)),
        }
    )


def test_the_screener_refuses_events_out_of_time_order_and_bad_input() -> None:
    screener = risk.Screener(INJECTION_ONLY)
    screener.click(al.Click(click_id="a", ts=at(10), partner_id="P1"))
    with pytest.raises(ValueError, match="events must come in time order: this one is 5 s older"):
        screener.click(al.Click(click_id="b", ts=at(5), partner_id="P1"))
    with pytest.raises(TypeError, match=r"expected an al\.Order or a mapping, got int"):
        screener.order(3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        screener.order({"order_id": "o", "ts": at(20)})
    with pytest.raises(TypeError, match=r"policy must be a risk\.Policy"):
        risk.Screener("default")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sweep_every must be at least 1"):
        risk.Screener(sweep_every=0)


def test_the_screener_forgets_expired_clicks() -> None:
    screener = risk.Screener(INJECTION_ONLY, sweep_every=1)
    screener.click(al.Click(click_id="a", ts=at(0), partner_id="P1", visitor_id="v"))
    assert screener.state_size == 2
    screener.click(al.Click(click_id="b", ts=at(31 * 86_400), partner_id="P1"))
    assert screener.state_size == 0


# --- policies ---------------------------------------------------------------------------------


def test_the_default_policy_runs_every_check_and_round_trips_through_json() -> None:
    policy = risk.Policy.default()
    names = {check.check for check in policy.checks}
    assert names == set(risk.Check.registered())
    assert "click_injection" in names
    again = risk.Policy.model_validate_json(policy.model_dump_json())
    assert again == policy
    dumped = json.loads(policy.model_dump_json())
    injection = next(c for c in dumped["checks"] if c["check"] == "click_injection")
    assert injection["max_seconds"] == 10.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"checks": [{"check": "nope"}]}, "unknown check 'nope'"),
        ({"checks": [risk.ClickInjection(), risk.ClickInjection()]}, "checks listed twice"),
        ({"checks": [3]}, "a check must be a risk check, got int"),
        ({"actions": {"nope": "review"}}, "actions name unknown reason codes: \\['nope'\\]"),
        ({"actions": {"ctit_too_short": "discard_click"}}, "discard_click applies to clicks"),
        ({"weights": {"ctit_too_short": 1.5}}, "weights must be in \\(0, 1\\]"),
        ({"rules": ["review if :ctit_seconds: < 1", "block if :has_click: == 0"] * 1}, None),
        ({"lookback_days": 0}, "greater than or equal to 1"),
        ({"allow": {"name": ("x",)}}, "allow"),
    ],
)
def test_policies_are_validated(changes: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert len(risk.Policy(**changes).rules) == 2
        return
    with pytest.raises(ValidationError, match=message):
        risk.Policy(**changes)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "review if :ctit_second: < 5",
            "unknown attribute 'ctit_second'",
        ),
        (
            "review if :ctit_seconds: < 5 and :click_country: == 'US'",
            "a rule cannot mix order and click attributes",
        ),
        ("discard_click if :ctit_seconds: < 5", "discard_click applies to clicks"),
        ("review if :country: in @markets", "unknown list 'markets'"),
        (
            "review if :ctit_seconds: == 'x'",
            "at position 10: :ctit_seconds: \\(number\\) cannot be compared",
        ),
    ],
)
def test_rules_are_checked_against_the_registry(rule: str, message: str) -> None:
    with pytest.raises((RuleSyntaxError, ValidationError), match=message):
        risk.Policy(rules=[rule])


def test_rule_names_must_be_unique_and_not_reason_codes() -> None:
    with pytest.raises(ValidationError, match="rule names must be unique"):
        risk.Policy(rules=[{"name": "ctit_too_short", "rule": "review if :has_click: == 0"}])


def test_every_feature_has_a_window_or_is_plain_and_counts_trail() -> None:
    hourly = risk.FEATURES["orders_per_ip_hourly"]
    assert (hourly.subject, hourly.kind, hourly.window, hourly.key) == (
        "order",
        "number",
        "hourly",
        "ip",
    )
    assert risk.WINDOWS["daily"] == 24 * 3_600_000_000
    assert risk.FEATURES["cards_per_ip_daily"].value == "card"
    assert risk.FEATURES["click_country"].window is None


def test_windowed_rule_features_count_exactly() -> None:
    # Three orders from one IP: at 0, 30 min and 61 min. Hourly counts 1, 2, 2.
    orders = al.Orders.from_records(
        [
            {"order_id": f"o{i}", "ts": at(s), "amount": "1.00", "currency": "USD", "ip": "9.9.9.9"}
            for i, s in enumerate([0, 1800, 3660])
        ]
    )
    policy = risk.Policy(rules=["review if :orders_per_ip_hourly: >= 2"])
    decisions = risk.screen(orders=orders, policy=policy)
    assert sorted(decisions.actions("order")) == ["o1", "o2"]


# --- evaluation -------------------------------------------------------------------------------


def test_evaluate_counts_recall_precision_and_false_positives_by_hand() -> None:
    decisions = _screen(INJECTION_ONLY.model_copy(update={"partner_min_orders": 1}))
    labels = [
        {"subject": "order", "id": "o1", "pattern": "click_injection"},
        {"subject": "order", "id": "o2", "pattern": "velocity"},
        {"subject": "partner", "id": "P1", "pattern": "click_injection"},
    ]
    commissions = {
        "order_id": np.array(["o1", "o2", "o3"], dtype=object),
        "commission": np.array([500, 300, 200]),
        "currency": np.array(["USD", "USD", "USD"], dtype=object),
        "ts": np.zeros(3, dtype=np.int64),
    }
    quality = risk.evaluate(decisions, labels, commissions=commissions)
    # Orders: labelled {o1, o2}, stopped {o1, o3 (its partner is held)}.
    assert quality.recall("click_injection") == 1.0
    assert quality.recall("velocity") == 0.0
    overall = quality.score("all", "order")
    assert (overall.labelled, overall.caught, overall.flagged) == (2, 1, 2)
    assert overall.precision == 0.5
    assert overall.false_positive_rate == 1.0  # o3 is the one clean order, and it is held
    partners = quality.score("all", "partner")
    assert (partners.recall, partners.precision, partners.false_positive_rate) == (1.0, 1.0, 0.0)
    assert math.isnan(quality.score("all", "click").recall)
    # Fraud earned 5.00 + 3.00; o1's 5.00 is stopped.
    assert str(quality.money_at_risk["USD"]) == "8.00 USD"
    assert str(quality.money_saved["USD"]) == "5.00 USD"
    assert quality.money_recall == {"USD": 0.625}
    assert "click_injection" in str(quality)


def test_evaluate_refuses_bad_labels() -> None:
    decisions = _screen(INJECTION_ONLY)
    with pytest.raises(TypeError, match=r"must be risk\.Decisions"):
        risk.evaluate([], [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping with subject, id and pattern"):
        risk.evaluate(decisions, [{"id": "o1"}])
    with pytest.raises(ValueError, match="unknown subjects \\['shop'\\]"):
        risk.evaluate(decisions, [{"subject": "shop", "id": "s", "pattern": "x"}])
    with pytest.raises(ValueError, match="name the currency"):
        risk.evaluate(decisions, [], fx=al.FxRates.from_records([]))


def test_an_allow_rule_overrides_every_other_reason_in_batch_and_stream() -> None:
    policy = INJECTION_ONLY.with_rules("allow if :partner_id: == 'P1'")
    decisions = _screen(policy)
    # o3 (P1) matches the rule alone; o1 is also injected, and still allowed.
    assert decisions.actions("order") == {}
    decision = decisions.get("order", "o1")
    assert (decision.action, decision.allowlisted) == ("allow", True)
    assert decision.codes == ("ctit_too_short", "rule_1")
    screener = risk.Screener(policy, partners=_partners())
    screener.click(al.Click(**CLICKS[1]))
    streamed = screener.order({**ORDERS[1], "amount": "10.00", "currency": "USD"})
    assert (streamed.action, streamed.allowlisted, streamed.codes) == decision_tuple(decision)


def decision_tuple(decision: risk.Decision) -> tuple[str, bool, tuple[str, ...]]:
    return decision.action, decision.allowlisted, decision.codes


words = st.sampled_from(["a", "bb", "ccc", "d", "eeeeee", "zz"])
encoded = st.lists(words, max_size=5, unique=True).flatmap(
    lambda cats: st.tuples(
        st.lists(st.integers(-1, len(cats) - 1), max_size=8), st.just(sorted(cats))
    )
)


@given(st.lists(encoded, min_size=1, max_size=3))
def test_shared_and_joint_codes_keep_equality_of_words(columns: list[Any]) -> None:
    arrays = [
        (np.array(codes, dtype=np.int64), np.array(cats, dtype=object)) for codes, cats in columns
    ]
    words_of = [[None if c < 0 else cats[c] for c in codes] for codes, cats in columns]
    joint, vocabulary = joint_codes(*arrays)
    assert vocabulary.tolist() == sorted({w for _, cats in columns for w in cats})
    for codes, decoded in zip(joint, words_of, strict=True):
        assert [None if c < 0 else vocabulary[c] for c in codes.tolist()] == decoded
    shared = shared_codes(*arrays)
    pairs = [
        (word, code)
        for decoded, codes in zip(words_of, shared, strict=True)
        for word, code in zip(decoded, codes.tolist(), strict=True)
    ]
    for word, code in pairs:
        assert (word is None) == (code < 0)
        for other, other_code in pairs:
            if word is not None and other is not None:
                assert (word == other) == (code == other_code)
    # Words the largest column lacks get the codes after its own, densely and in sorted order.
    every_word = [(np.arange(cats.size), cats) for _, cats in arrays]
    big = max(cats.size for _, cats in arrays)
    extra = sorted(
        {
            (code, word)
            for (_, cats), codes in zip(every_word, shared_codes(*every_word), strict=True)
            for word, code in zip(cats.tolist(), codes.tolist(), strict=True)
            if code >= big
        }
    )
    assert [code for code, _ in extra] == list(range(big, big + len(extra)))
    assert [word for _, word in extra] == sorted(word for _, word in extra)


@given(
    st.lists(st.integers(-1, 5), max_size=30).flatmap(
        lambda keys: st.tuples(
            st.just(keys), st.lists(st.integers(0, 9), min_size=len(keys), max_size=len(keys))
        )
    ),
    st.booleans(),
    st.sampled_from([1, 1 << 50]),
)
def test_stable_order_is_lexsort_by_key_then_time_then_row(
    rows: tuple[list[int], list[int]], time_ordered: bool, scale: int
) -> None:
    keys, times = rows
    key = np.array(keys, dtype=np.int64) * scale  # far-apart keys take the plain stable sort
    ts = np.array(sorted(times) if time_ordered else times, dtype=np.int64)
    expected = sorted(range(len(keys)), key=lambda i: (key[i], ts[i], i))
    assert stable_order(key, ts).tolist() == expected
    if time_ordered:
        assert stable_order(key).tolist() == expected

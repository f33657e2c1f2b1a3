"""The risk rule language: parsing, checking against a registry, and compiled evaluation."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.errors import AllianceError
from alliance.risk._compile import Registry, check, compile_one, compile_rule
from alliance.risk._language import (
    ACTIONS,
    MAX_DEPTH,
    And,
    AttributeRef,
    Compare,
    Condition,
    Member,
    Missing,
    Not,
    Or,
    Rule,
    RuleInputError,
    RuleSyntaxError,
    parse_rule,
    render,
)

EXAMPLE = "review if :orders_per_ip_hourly: > 5 and :country: not in @target_markets"

REGISTRY = Registry(
    {
        "orders_per_ip_hourly": "number",
        "amount": "number",
        "ctit_seconds": "number",
        "country": "text",
        "billing_country": "text",
        "is_vpn": "flag",
    },
    lists={"target_markets": ["US", "CA"]},
)


# --- parsing ----------------------------------------------------------------------------------


def test_issue_example_parses_into_the_exact_tree() -> None:
    rule = parse_rule(EXAMPLE)
    assert rule == Rule(
        "review",
        And(
            (
                Compare("orders_per_ip_hourly", ">", 5.0),
                Member("country", list_name="target_markets", negated=True),
            )
        ),
    )
    assert rule.text == EXAMPLE


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (Compare(name, ">", 1.0) for name in "abc")
    assert parse_rule("block if :a: > 1 or :b: > 1 and :c: > 1").condition == Or((a, And((b, c))))
    assert parse_rule("block if :a: > 1 and :b: > 1 or :c: > 1").condition == Or((And((a, b)), c))
    assert parse_rule("block if (:a: > 1 or :b: > 1) and :c: > 1").condition == And((Or((a, b)), c))


def test_not_binds_tighter_than_and_and_nests() -> None:
    a, b = Compare("a", ">", 1.0), Compare("b", ">", 1.0)
    assert parse_rule("block if not :a: > 1 and :b: > 1").condition == And((Not(a), b))
    assert parse_rule("block if not (:a: > 1 and :b: > 1)").condition == Not(And((a, b)))
    assert parse_rule("block if not not :a: > 1").condition == Not(Not(a))


def test_chains_are_flat() -> None:
    a, b, c = (Compare(name, "<", 2.5) for name in "abc")
    assert parse_rule("allow if :a: < 2.5 or :b: < 2.5 or :c: < 2.5").condition == Or((a, b, c))


def test_keywords_are_case_insensitive() -> None:
    assert parse_rule(
        "BLOCK IF :a: IS NOT MISSING AND NOT :b: NOT IN ('x') Or :c: In @l"
    ) == parse_rule("block if :a: is not missing and not :b: not in ('x') or :c: in @l")
    assert parse_rule("Discard_Click If :a: Is Missing").action == "discard_click"


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("allow if :a: < -3", Compare("a", "<", -3.0)),
        ("allow if :a: <= 0.25", Compare("a", "<=", 0.25)),
        ("allow if :a: >= 1e3", Compare("a", ">=", 1000.0)),
        ("allow if :a: == 'x'", Compare("a", "==", "x")),
        ('allow if :a: != "say \\"hi\\" \\\\"', Compare("a", "!=", 'say "hi" \\')),
        ("allow if :a: != :b:", Compare("a", "!=", AttributeRef("b"))),
        ("allow if :a: in (1, 2)", Member("a", values=(1.0, 2.0))),
        ("allow if :a: not in ('US','CA')", Member("a", values=("US", "CA"), negated=True)),
        ("allow if :a: in @markets", Member("a", list_name="markets")),
        ("allow if :a: is missing", Missing("a")),
        ("allow if :a: is not missing", Missing("a", negated=True)),
    ],
)
def test_each_comparison_form(text: str, condition: Condition) -> None:
    assert parse_rule(text).condition == condition


def test_numbers_at_the_limits_are_accepted() -> None:
    assert parse_rule("allow if :a: > 1e15").condition == Compare("a", ">", 1e15)
    assert parse_rule("allow if :a: > -1000000000000000").condition == Compare("a", ">", -1e15)
    assert parse_rule("allow if :a: > 123456789012345678e-3").condition == Compare(
        "a", ">", 123456789012345.678
    )


# --- refusals -----------------------------------------------------------------------------------

_DEEP_PARENS = "review if " + "(" * (MAX_DEPTH + 1) + ":a: > 1" + ")" * (MAX_DEPTH + 1)
_DEEP_NOTS = "review if " + "not " * (MAX_DEPTH + 1) + ":a: > 1"


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty rule"),
        ("   ", 3, "empty rule"),
        ("permit if :a: > 1", 0, "unknown action 'permit'; expected one of allow, review, block"),
        ("review :a: > 1", 7, "expected 'if' after the action, found ':a:'"),
        (
            "review if",
            9,
            "expected a condition such as ':attribute: > 5', found the end of the rule",
        ),
        ("review if :a: foo 5", 14, "expected a comparison operator, 'in', 'not in' or 'is'"),
        ("review if :a: > ", 16, "expected a number, string or :attribute: after '>'"),
        ("review if :a: > 1 :b: > 2", 18, "unexpected ':b:' after the condition"),
        ("review if :a: > 1 and", 21, "found the end of the rule"),
        ("review if :a: == 'abc", 17, "unterminated string"),
        ("review if :a: == 'a\\n'", 19, "unknown escape"),
        ("review if :a: == 'a\nb'", 19, "control character inside a string"),
        ("review if :a: == '" + "x" * 201 + "'", 17, "string is longer than 200 characters"),
        ("review if (:a: > 1", 18, "expected ')' to close the '(' at position 10"),
        ("review if :a: in ()", 18, "expected a number or string in the list, found ')'"),
        ("review if :a: in (1 2)", 20, "expected ',' or ')' in the list, found '2'"),
        ("review if :a: in (1, 'x')", 17, "a list mixes numbers and strings"),
        ("review if :a: in", 16, "expected '(' or @list after 'in'"),
        ("review if :a: not 1", 18, "expected 'in' after 'not'"),
        ("review if :a: is not", 20, "expected 'missing' after 'is not'"),
        ("review if :a: = 1", 14, "unknown operator '='"),
        ("review if :a: > 1.", 16, "malformed number '1.'"),
        ("review if :a: > 0x10", 16, "malformed number '0x10'"),
        ("review if 5 < :a:", 10, "a comparison starts with an :attribute:, found '5'"),
        ("review if :A: > 1", 10, "malformed attribute"),
        ("review if :a: in @Foo", 17, "malformed list reference"),
        ("review if :" + "a" * 65 + ": > 1", 10, "name is longer than 64 characters"),
        (_DEEP_PARENS, 10 + MAX_DEPTH, "nesting deeper than 32 levels"),
        (_DEEP_NOTS, 10 + 4 * MAX_DEPTH, "nesting deeper than 32 levels"),
        ("review if :a: > " + "1" * 1990, 2000, "rule is 2006 characters long (limit 2000)"),
    ],
)
def test_malformed_rules_name_position_and_reason(text: str, position: int, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(text)
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert f"at position {position}: " in str(caught.value)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("review if __import__('os')", 10, "found '__import__'"),
        ("review if :a: == __import__('os')", 17, "found '__import__'"),
        ("review if :a:.__class__", 13, "unexpected character '.'"),
        ("review if :a: > 1 and :a:.__class__.__bases__", 25, "unexpected character '.'"),
        ("review if eval(:a:)", 10, "found 'eval'"),
        ("review if exec('x') or :a: > 1", 10, "found 'exec'"),
        ("review if `:a:`", 10, "unexpected character '`'"),
        ("review if :a: > 1; import os", 17, "unexpected character ';'"),
        ("review if :a: > 1e400", 16, "number 1e400 is too large (limit ±1e15)"),
        ("review if :a: > 1e999999999999", 16, "is too large"),
        ("review if :a: > 99999999999999999999", 16, "has 20 significant digits (limit 18)"),
        ("review if :a: > 1e16", 16, "number 1e16 is too large"),
        ("review if :a: > 1000000000000000.5", 16, "is too large"),
        ("review if :a: > True", 16, "found 'True'"),
        ("review if :a: > None", 16, "found 'None'"),
        ("review if lambda: 1", 16, "malformed attribute"),
        ("review if lambda :a: > 1", 10, "found 'lambda'"),
        ("review if :a: > 1 if :b: else 2", 18, "unexpected 'if' after the condition"),
        ("review if {:a:}", 10, "unexpected character '{'"),
        ("review if :a: == 'x' + 'y'", 21, "unexpected character '+'"),
        ("review if :a: == f'{x}'", 17, "found 'f'"),
        ("review if :a: > 1\x00", 17, "unexpected character '\\x00'"),
        ("review if :\u0430: > 1", 10, "malformed attribute"),  # Cyrillic a
    ],
)
def test_hostile_input_is_refused(text: str, position: int, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(text)
    assert (caught.value.position, reason in caught.value.reason) == (position, True), caught.value


def test_error_message_quotes_the_rule_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="at position") as caught:
        parse_rule("review if :orders: foo 5")
    assert isinstance(caught.value, AllianceError)
    assert str(caught.value) == (
        "rule 'review if :orders: foo 5': at position 19: "
        "expected a comparison operator, 'in', 'not in' or 'is', found 'foo'"
    )


def test_error_survives_pickling() -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule("review if :a: > 1e400")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.text, copy.position, copy.reason, str(copy)) == (
        caught.value.text,
        16,
        caught.value.reason,
        str(caught.value),
    )


def test_non_string_rule_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="text must be a str, not int"):
        parse_rule(5)  # type: ignore[arg-type]


# --- checking against the registry ----------------------------------------------------------------


def test_issue_example_fits_the_registry() -> None:
    check(parse_rule(EXAMPLE), REGISTRY)


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        (
            "review if :orders_per_ip_hourli: > 5",
            10,
            "unknown attribute 'orders_per_ip_hourli'; did you mean 'orders_per_ip_hourly'?",
        ),
        ("review if :zzz: > 5", 10, "unknown attribute 'zzz' (known: amount, billing_country,"),
        ("review if :amount: > :zzz:", 21, "unknown attribute 'zzz'"),
        ("review if :zzz: is missing", 10, "unknown attribute 'zzz'"),
        (
            "review if :country: in @target_market",
            10,
            "unknown list 'target_market'; did you mean 'target_markets'? (known: target_markets)",
        ),
        ("review if :country: > 5", 10, ":country: (text) cannot be compared with the number 5.0"),
        ("review if :country: > 'US'", 10, ":country: (text) supports only == and !=, not '>'"),
        ("review if :amount: == 'US'", 10, ":amount: (number) cannot be compared with the string"),
        ("review if :amount: > :country:", 10, "cannot be compared with :country: (text)"),
        ("review if :amount: in @target_markets", 10, "cannot be looked up in a list of text"),
        ("review if :amount: in ('US')", 10, "cannot be looked up in a list of text"),
        ("review if :country: in (1, 2)", 10, "cannot be looked up in a list of numbers"),
        ("review if :is_vpn: > 0", 10, ":is_vpn: (flag) supports only == and !="),
        ("review if :is_vpn: == 2", 10, ":is_vpn: (flag) can only equal 0 or 1, not 2.0"),
        ("review if :is_vpn: in (1)", 10, "cannot be looked up"),
        ("review if :amount: > 1 and not (:country: >= 'x')", 32, "supports only == and !="),
    ],
)
def test_check_refuses_what_the_registry_does_not_allow(
    text: str, position: int, reason: str
) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        check(parse_rule(text), REGISTRY)
    assert caught.value.position == position
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("attributes", "lists", "message"),
    [
        ({"Bad-Name": "number"}, None, "attribute name 'Bad-Name' must use a-z, 0-9 and _"),
        ({"x": "money"}, None, "attribute 'x' has kind 'money'"),
        ({}, {"Markets": ["US"]}, "list name 'Markets' must use a-z, 0-9 and _"),
        ({}, {"markets": ["US", 1]}, "list 'markets' must hold strings only"),
    ],
)
def test_registry_refuses_bad_declarations(
    attributes: Mapping[str, Any], lists: Mapping[str, Any] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Registry(attributes, lists=lists)


# --- compiled evaluation ----------------------------------------------------------------------

NAN = math.nan
COLUMNS: dict[str, Any] = {
    "amount": np.array([1.0, 5.0, 9.0, NAN]),
    "ctit_seconds": np.array([3, 30, 300, 3000], dtype=np.int64),
    "country": np.array(["US", "FR", None, "CA"], dtype=object),
    "billing_country": np.array(["US", "DE", "DE", None], dtype=object),
    "is_vpn": np.array([1, 0, -1, 1], dtype=np.int8),
}


def _mask(text: str, columns: Mapping[str, Any] = COLUMNS) -> list[bool]:
    result = compile_rule(text, REGISTRY)(columns)
    assert result.dtype == np.bool_
    return [bool(v) for v in result]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (":amount: < 5", [True, False, False, False]),
        (":amount: <= 5", [True, True, False, False]),
        (":amount: > 5", [False, False, True, False]),
        (":amount: >= 5", [False, True, True, False]),
        (":amount: == 5", [False, True, False, False]),
        (":amount: != 5", [True, False, True, False]),
        (":ctit_seconds: < 10", [True, False, False, False]),
        (":country: == 'US'", [True, False, False, False]),
        (":country: != 'US'", [False, True, False, True]),
        (":country: != :billing_country:", [False, True, False, False]),
        (":country: == :billing_country:", [True, False, False, False]),
        (":is_vpn: == 1", [True, False, False, True]),
        (":is_vpn: != 1", [False, True, False, False]),
        (":amount: in (1, 9)", [True, False, True, False]),
        (":amount: not in (1, 9)", [False, True, False, False]),
        (":country: in ('US', 'FR')", [True, True, False, False]),
        (":country: not in ('US', 'FR')", [False, False, False, True]),
        (":country: in @target_markets", [True, False, False, True]),
        (":country: not in @target_markets", [False, True, False, False]),
        (":amount: is missing", [False, False, False, True]),
        (":amount: is not missing", [True, True, True, False]),
        (":country: is missing", [False, False, True, False]),
        (":is_vpn: is missing", [False, False, True, False]),
    ],
)
def test_each_operator_and_missing_never_matches(condition: str, expected: list[bool]) -> None:
    assert _mask(f"review if {condition}") == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # Missing stays unmatched under not: rows 3 (amount) and 2 (country) are unknown.
        ("not :amount: > 5", [True, True, False, False]),
        ("not not :amount: > 5", [False, False, True, False]),
        ("not :country: in @target_markets", [False, True, False, False]),
        ("not (:amount: > 5 or :country: == 'FR')", [True, False, False, False]),
        # Kleene: unknown and false is false, unknown or true is true.
        ("not (:amount: > 100 and :country: == 'US')", [True, True, True, True]),
        (":amount: > 100 or :country: == 'CA'", [False, False, False, True]),
        ("not (:amount: > 0 or :country: == 'CA')", [False, False, False, False]),
        ("(:amount: > 5 or :amount: is missing) and :is_vpn: == 1", [False, False, False, True]),
    ],
)
def test_three_valued_logic(condition: str, expected: list[bool]) -> None:
    assert _mask(f"review if {condition}") == expected


def test_issue_example_on_columns() -> None:
    columns = {
        "orders_per_ip_hourly": np.array([6.0, 6.0, 5.0, NAN, 7.0]),
        "country": np.array(["FR", "US", "FR", "FR", None], dtype=object),
    }
    assert compile_rule(EXAMPLE, REGISTRY)(columns).tolist() == [True, False, False, False, False]


def test_text_nan_and_bool_flags_are_accepted() -> None:
    columns = {
        "country": np.array(["US", NAN], dtype=object),
        "is_vpn": np.array([True, False]),
    }
    assert compile_rule("block if :country: != 'FR'", REGISTRY)(columns).tolist() == [True, False]
    assert compile_rule("block if :is_vpn: == 0", REGISTRY)(columns).tolist() == [False, True]


def test_compiled_rule_refuses_bad_columns() -> None:
    matches = compile_rule("review if :amount: > 1 and :country: == 'US'", REGISTRY)
    with pytest.raises(RuleInputError, match="needs column 'country' \\(text\\)"):
        matches({"amount": np.array([1.0])})
    with pytest.raises(RuleInputError, match="columns differ in length"):
        matches({"amount": np.array([1.0]), "country": np.array(["US", "FR"], dtype=object)})
    with pytest.raises(RuleInputError, match="number column 'amount' must be numeric"):
        matches({"amount": np.array(["1"]), "country": np.array(["US"], dtype=object)})
    with pytest.raises(RuleInputError, match="must be one-dimensional"):
        matches({"amount": np.ones((1, 1)), "country": np.array(["US"], dtype=object)})


def test_check_refuses_a_hand_built_empty_list() -> None:
    rule = Rule("review", Member("amount", values=()))
    with pytest.raises(RuleSyntaxError, match="a list needs an item"):
        check(rule, REGISTRY)


def test_compile_checks_the_rule_first() -> None:
    with pytest.raises(RuleSyntaxError, match="unknown attribute 'nope'"):
        compile_rule("review if :nope: > 1", REGISTRY)


# --- properties ---------------------------------------------------------------------------

_NUMBER_ATTRS = ("n1", "n2")
_TEXT_ATTRS = ("t1", "t2")
PROPERTY_REGISTRY = Registry(
    {"n1": "number", "n2": "number", "t1": "text", "t2": "text", "f1": "flag"},
    lists={"markets": ["a", "b"]},
)
_TEXT_VALUES = ("a", "b", "c")

numbers = st.sampled_from([-2.0, -0.5, 0.0, 1.0, 2.5, 3.0, 1e15, 1e-7])
texts = st.sampled_from(_TEXT_VALUES) | st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=8
)
ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
equality = st.sampled_from(["==", "!="])

leaves: st.SearchStrategy[Condition] = st.one_of(
    st.builds(Compare, st.sampled_from(_NUMBER_ATTRS), ops, numbers),
    st.builds(
        Compare,
        st.sampled_from(_NUMBER_ATTRS),
        ops,
        st.builds(AttributeRef, st.sampled_from(_NUMBER_ATTRS)),
    ),
    st.builds(Compare, st.sampled_from(_TEXT_ATTRS), equality, texts),
    st.builds(
        Compare, st.just("t1"), equality, st.builds(AttributeRef, st.sampled_from(_TEXT_ATTRS))
    ),
    st.builds(Compare, st.just("f1"), equality, st.sampled_from([0.0, 1.0])),
    st.builds(
        Member,
        st.sampled_from(_NUMBER_ATTRS),
        st.lists(numbers, min_size=1, max_size=3).map(tuple),
        st.none(),
        st.booleans(),
    ),
    st.builds(
        Member,
        st.sampled_from(_TEXT_ATTRS),
        st.lists(texts, min_size=1, max_size=3).map(tuple),
        st.none(),
        st.booleans(),
    ),
    st.builds(Member, st.sampled_from(_TEXT_ATTRS), st.none(), st.just("markets"), st.booleans()),
    st.builds(Missing, st.sampled_from([*_NUMBER_ATTRS, *_TEXT_ATTRS, "f1"]), st.booleans()),
)

conditions: st.SearchStrategy[Condition] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(And, st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(children, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=10,
)
rules = st.builds(Rule, st.sampled_from(ACTIONS), conditions)


def _depth(condition: Condition) -> int:
    if isinstance(condition, Not):
        return 1 + _depth(condition.operand)
    if isinstance(condition, And | Or):
        return 1 + max(_depth(c) for c in condition.operands)
    return 0


@given(rules)
def test_render_then_parse_round_trips(rule: Rule) -> None:
    text = render(rule)
    assert parse_rule(text) == rule
    assert render(parse_rule(text)) == text


# The oracle: a slow per-row evaluator in plain Python, with None for missing and None as the
# "unknown" truth value.


def _row_truth(condition: Condition, row: Mapping[str, Any]) -> bool | None:
    if isinstance(condition, Not):
        inner = _row_truth(condition.operand, row)
        return None if inner is None else not inner
    if isinstance(condition, And):
        values = [_row_truth(c, row) for c in condition.operands]
        if False in values:
            return False
        return None if None in values else True
    if isinstance(condition, Or):
        values = [_row_truth(c, row) for c in condition.operands]
        if True in values:
            return True
        return None if None in values else False
    left = row[condition.attribute]
    if isinstance(condition, Missing):
        return (left is not None) if condition.negated else (left is None)
    if left is None:
        return None
    if isinstance(condition, Member):
        pool = PROPERTY_REGISTRY.lists["markets"] if condition.list_name else condition.values
        assert pool is not None
        return (left in pool) != condition.negated
    right = (
        row[condition.value.name] if isinstance(condition.value, AttributeRef) else condition.value
    )
    if right is None:
        return None
    outcome: bool = {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "==": left == right,
        "!=": left != right,
    }[condition.op]
    return outcome


row_values = st.fixed_dictionaries(
    {
        "n1": st.none() | numbers,
        "n2": st.none() | numbers,
        "t1": st.none() | st.sampled_from(_TEXT_VALUES),
        "t2": st.none() | st.sampled_from(_TEXT_VALUES),
        "f1": st.none() | st.booleans(),
    }
)


@given(rules, st.lists(row_values, min_size=1, max_size=12))
def test_compiled_mask_agrees_with_the_row_oracle(rule: Rule, rows: list[dict[str, Any]]) -> None:
    columns = {
        "n1": np.array([NAN if r["n1"] is None else r["n1"] for r in rows], dtype=np.float64),
        "n2": np.array([NAN if r["n2"] is None else r["n2"] for r in rows], dtype=np.float64),
        "t1": np.array([r["t1"] for r in rows], dtype=object),
        "t2": np.array([r["t2"] for r in rows], dtype=object),
        "f1": np.array([-1 if r["f1"] is None else int(r["f1"]) for r in rows], dtype=np.int8),
    }
    oracle_rows = [{**r, "f1": None if r["f1"] is None else float(r["f1"])} for r in rows]
    expected = [_row_truth(rule.condition, row) is True for row in oracle_rows]
    assert compile_rule(rule, PROPERTY_REGISTRY)(columns).tolist() == expected


@given(rules, st.lists(row_values, min_size=1, max_size=12))
def test_one_event_evaluation_agrees_with_the_masks(rule: Rule, rows: list[dict[str, Any]]) -> None:
    masks = compile_rule(rule, PROPERTY_REGISTRY)
    one = compile_one(rule, PROPERTY_REGISTRY)
    columns = {
        "n1": np.array([NAN if r["n1"] is None else r["n1"] for r in rows], dtype=np.float64),
        "n2": np.array([NAN if r["n2"] is None else r["n2"] for r in rows], dtype=np.float64),
        "t1": np.array([r["t1"] for r in rows], dtype=object),
        "t2": np.array([r["t2"] for r in rows], dtype=object),
        "f1": np.array([-1 if r["f1"] is None else int(r["f1"]) for r in rows], dtype=np.int8),
    }
    assert [one(row) for row in rows] == masks(columns).tolist()


def test_one_event_evaluation_refuses_a_missing_attribute() -> None:
    one = compile_one("review if :n1: > 1", PROPERTY_REGISTRY)
    with pytest.raises(RuleInputError, match="needs attribute 'n1'"):
        one({"n2": 3.0})
    assert one({"n1": float("nan")}) is False
    assert one({"n1": 2}) is True


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_fails_cleanly(text: str) -> None:
    outcome: Rule | RuleSyntaxError
    try:
        outcome = parse_rule(text)
    except RuleSyntaxError as error:
        outcome = error
    if isinstance(outcome, RuleSyntaxError):
        assert 0 <= outcome.position <= len(text)
    else:
        assert _depth(outcome.condition) <= MAX_DEPTH

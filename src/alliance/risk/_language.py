r"""A small, safe rule language for fraud screening, in the spirit of Stripe Radar.

A rule names an outcome and the condition that triggers it::

    review if :orders_per_ip_hourly: > 5 and :country: not in @target_markets

The text is read by a hand-written tokenizer and recursive-descent parser into a tree of frozen
dataclasses; nothing is ever handed to ``eval``, ``exec``, ``compile`` or ``ast``. `check`
validates the tree against a `Registry` of declared attributes and named lists, and
`compile_rule` turns it into a function from columns to a boolean numpy mask.

Grammar (EBNF; keywords are case-insensitive, whitespace separates tokens)::

    rule       = action "if" expr ;
    action     = "allow" | "review" | "block" | "discard_click" ;
    expr       = or_expr ;
    or_expr    = and_expr { "or" and_expr } ;
    and_expr   = not_expr { "and" not_expr } ;
    not_expr   = "not" not_expr | "(" expr ")" | comparison ;
    comparison = attribute op ( number | string | attribute )
               | attribute [ "not" ] "in" ( list | list_ref )
               | attribute "is" [ "not" ] "missing" ;
    op         = "<" | "<=" | ">" | ">=" | "==" | "!=" ;
    list       = "(" item { "," item } ")" ;
    item       = number | string ;
    attribute  = ":" name ":" ;
    list_ref   = "@" name ;
    name       = ( "a".."z" | "0".."9" | "_" ) { "a".."z" | "0".."9" | "_" } ;
    number     = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
    string     = '"' { char | '\\"' | '\\\\' } '"' | "'" { char | "\\'" | '\\\\' } "'" ;

Limits: a rule has at most 2,000 characters and 32 levels of ``not`` / parentheses; a number
has at most 18 significant digits and an absolute value of at most 1e15; a string has at most
200 characters; a name at most 64. Anything else is refused with `RuleSyntaxError`, which
carries the position (a 0-based character offset into the rule text) and the reason.

Missing values follow three-valued (Kleene) logic in which *unknown counts as not matched*: a
comparison or membership test involving a missing value is unknown, ``not unknown`` is still
unknown, ``unknown and false`` is false, ``unknown or true`` is true, and the final mask is
true only where the condition is definitely true. ``is missing`` is the only way to match a
missing value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from alliance.errors import RuleInputError, RuleSyntaxError

__all__ = [
    "ACTIONS",
    "MAX_DEPTH",
    "MAX_RULE_LENGTH",
    "And",
    "AttributeRef",
    "Compare",
    "Condition",
    "Member",
    "Missing",
    "Not",
    "Or",
    "Rule",
    "RuleInputError",
    "RuleSyntaxError",
    "parse_rule",
    "render",
]

Action: TypeAlias = Literal["allow", "review", "block", "discard_click"]
Op: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
Kind: TypeAlias = Literal["number", "text", "flag"]
Mask: TypeAlias = npt.NDArray[np.bool_]

#: The outcomes a rule may name, from most to least lenient.
ACTIONS: tuple[Action, ...] = ("allow", "review", "block", "discard_click")
#: Longest rule text accepted, in characters.
MAX_RULE_LENGTH = 2000
#: Deepest nesting of ``not`` and parentheses accepted.
MAX_DEPTH = 32
MAX_STRING_LENGTH = 200
MAX_NAME_LENGTH = 64
MAX_SIGNIFICANT_DIGITS = 18
MAX_MAGNITUDE = Decimal("1e15")

_KEYWORDS = frozenset({"if", "and", "or", "not", "in", "is", "missing", *ACTIONS})
_OPS: tuple[Op, ...] = ("<=", ">=", "==", "!=", "<", ">")
_KINDS: tuple[Kind, ...] = ("number", "text", "flag")
_ACTION_BY_NAME: Mapping[str, Action] = {action: action for action in ACTIONS}
_OP_BY_TEXT: Mapping[str, Op] = {op: op for op in _OPS}


# --- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeRef:
    """An attribute on the right-hand side of a comparison (``:a: != :b:``)."""

    name: str
    position: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Compare:
    """``:attribute: op value``; false wherever either side is missing."""

    attribute: str
    op: Op
    value: float | str | AttributeRef
    position: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Member:
    """``:attribute: [not] in (...)`` or ``:attribute: [not] in @list``.

    Exactly one of `values` (an inline list) and `list_name` (a registry list) is set.
    """

    attribute: str
    values: tuple[float, ...] | tuple[str, ...] | None = None
    list_name: str | None = None
    negated: bool = False
    position: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Missing:
    """``:attribute: is [not] missing``; the only test that matches a missing value."""

    attribute: str
    negated: bool = False
    position: int = field(default=-1, compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    """Negation; the negation of an unknown is still unknown (and so does not match)."""

    operand: Condition


@dataclass(frozen=True)
class And:
    """All of two or more conditions."""

    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """Any of two or more conditions."""

    operands: tuple[Condition, ...]


Condition: TypeAlias = Compare | Member | Missing | Not | And | Or


@dataclass(frozen=True)
class Rule:
    """A parsed rule: the outcome, its condition and the text it was read from."""

    action: Action
    condition: Condition
    text: str = field(default="", compare=False)


# --- tokenizer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: Literal["word", "attribute", "list_ref", "number", "string", "op", "punct", "end"]
    text: str
    position: int
    value: float | str | None = None


_NAME = r"[a-z0-9_]+"
_ATTRIBUTE = re.compile(rf":({_NAME}):")
_LIST_REF = re.compile(rf"@({_NAME})")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_.]")


def _check_name(text: str, name: str, position: int) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise RuleSyntaxError(text, position, f"name is longer than {MAX_NAME_LENGTH} characters")


def _number(text: str, literal: str, position: int) -> float:
    mantissa, _, exponent = literal.lower().partition("e")
    if len(exponent.lstrip("+-").lstrip("0")) > 3:
        raise RuleSyntaxError(text, position, f"number {literal} is too large (limit ±1e15)")
    try:
        exact = Decimal(literal)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise RuleSyntaxError(text, position, f"malformed number {literal!r}") from None
    digits = mantissa.lstrip("-").replace(".", "").lstrip("0")
    if "." in mantissa:
        digits = digits.rstrip("0")
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        raise RuleSyntaxError(
            text,
            position,
            f"number {literal} has {len(digits)} significant digits "
            f"(limit {MAX_SIGNIFICANT_DIGITS})",
        )
    if abs(exact) > MAX_MAGNITUDE:
        raise RuleSyntaxError(text, position, f"number {literal} is too large (limit ±1e15)")
    return float(exact)


def _string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == quote:
            return "".join(chars), index + 1
        if char == "\\":
            following = text[index + 1 : index + 2]
            if following not in ("\\", quote):
                raise RuleSyntaxError(
                    text, index, f"unknown escape '\\{following}'; only \\\\ and \\{quote} allowed"
                )
            chars.append(following)
            index += 2
        elif ord(char) < 32:
            raise RuleSyntaxError(text, index, "control character inside a string")
        else:
            chars.append(char)
            index += 1
        if len(chars) > MAX_STRING_LENGTH:
            raise RuleSyntaxError(
                text, start, f"string is longer than {MAX_STRING_LENGTH} characters"
            )
    raise RuleSyntaxError(text, start, "unterminated string")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
            continue
        if char == ":":
            match = _ATTRIBUTE.match(text, index)
            if match is None:
                raise RuleSyntaxError(
                    text, index, "malformed attribute; expected ':name:' using a-z, 0-9 and _"
                )
            _check_name(text, match.group(1), index)
            tokens.append(_Token("attribute", match.group(0), index, match.group(1)))
            index = match.end()
        elif char == "@":
            match = _LIST_REF.match(text, index)
            if match is None:
                raise RuleSyntaxError(
                    text, index, "malformed list reference; expected '@name' using a-z, 0-9 and _"
                )
            _check_name(text, match.group(1), index)
            tokens.append(_Token("list_ref", match.group(0), index, match.group(1)))
            index = match.end()
        elif char.isdigit() or (char == "-" and text[index + 1 : index + 2].isdigit()):
            match = _NUMBER.match(text, index)
            literal = match.group(0) if match else char
            end = index + len(literal)
            if _NAME_CHAR.match(text, end):
                raise RuleSyntaxError(text, index, f"malformed number {text[index : index + 24]!r}")
            tokens.append(_Token("number", literal, index, _number(text, literal, index)))
            index = end
        elif char in "'\"":
            value, end = _string(text, index)
            tokens.append(_Token("string", text[index:end], index, value))
            index = end
        elif char in "<>=!":
            op = next((op for op in _OPS if text.startswith(op, index)), None)
            if op is None:
                raise RuleSyntaxError(text, index, f"unknown operator {char!r}")
            tokens.append(_Token("op", op, index))
            index += len(op)
        elif char in "(),":
            tokens.append(_Token("punct", char, index))
            index += 1
        elif char.isascii() and (char.isalpha() or char == "_"):
            match = _WORD.match(text, index)
            word = match.group(0) if match else char
            tokens.append(_Token("word", word, index, word.lower()))
            index += len(word)
        else:
            raise RuleSyntaxError(text, index, f"unexpected character {char!r}")
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --- parser ---------------------------------------------------------------------------------


def _shown(token: _Token) -> str:
    return "the end of the rule" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, token: _Token, reason: str) -> RuleSyntaxError:
        return RuleSyntaxError(self.text, token.position, reason)

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.value == word

    def expect_word(self, word: str, what: str) -> None:
        token = self.advance()
        if not (token.kind == "word" and token.value == word):
            raise self.fail(token, f"expected {what}, found {_shown(token)}")

    def expect_punct(self, char: str, what: str) -> None:
        token = self.advance()
        if not (token.kind == "punct" and token.text == char):
            raise self.fail(token, f"expected {what}, found {_shown(token)}")

    def rule(self) -> Rule:
        token = self.advance()
        if token.kind == "end":
            raise self.fail(token, "empty rule; expected an action such as 'review if ...'")
        if not (token.kind == "word" and token.value in ACTIONS):
            raise self.fail(
                token, f"unknown action {_shown(token)}; expected one of {', '.join(ACTIONS)}"
            )
        action = _ACTION_BY_NAME[str(token.value)]
        self.expect_word("if", "'if' after the action")
        condition = self.or_expr()
        trailing = self.peek()
        if trailing.kind != "end":
            raise self.fail(trailing, f"unexpected {_shown(trailing)} after the condition")
        return Rule(action, condition, self.text)

    def or_expr(self) -> Condition:
        operands = [self.and_expr()]
        while self.is_word("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Condition:
        operands = [self.not_expr()]
        while self.is_word("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def nest(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(token, f"nesting deeper than {MAX_DEPTH} levels")

    def not_expr(self) -> Condition:
        token = self.peek()
        if token.kind == "word" and token.value == "not":
            self.advance()
            self.nest(token)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand)
        if token.kind == "punct" and token.text == "(":
            self.advance()
            self.nest(token)
            inner = self.or_expr()
            self.expect_punct(")", "')' to close the '(' at position " + str(token.position))
            self.depth -= 1
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        token = self.advance()
        if token.kind != "attribute":
            if token.kind in ("number", "string", "list_ref"):
                reason = f"a comparison starts with an :attribute:, found {_shown(token)}"
            else:
                reason = f"expected a condition such as ':attribute: > 5', found {_shown(token)}"
            raise self.fail(token, reason)
        attribute = str(token.value)
        following = self.advance()
        if following.kind == "op":
            value_token = self.advance()
            value: float | str | AttributeRef
            if value_token.kind in ("number", "string") and value_token.value is not None:
                value = value_token.value
            elif value_token.kind == "attribute":
                value = AttributeRef(str(value_token.value), value_token.position)
            else:
                raise self.fail(
                    value_token,
                    f"expected a number, string or :attribute: after {following.text!r}, "
                    f"found {_shown(value_token)}",
                )
            return Compare(attribute, _OP_BY_TEXT[following.text], value, token.position)
        if following.kind == "word" and following.value in ("not", "in"):
            negated = following.value == "not"
            if negated:
                self.expect_word("in", "'in' after 'not'")
            return self.membership(attribute, negated, token.position)
        if following.kind == "word" and following.value == "is":
            negated = self.is_word("not")
            if negated:
                self.advance()
            self.expect_word(
                "missing", "'missing' after 'is not'" if negated else "'missing' after 'is'"
            )
            return Missing(attribute, negated, token.position)
        raise self.fail(
            following,
            f"expected a comparison operator, 'in', 'not in' or 'is', found {_shown(following)}",
        )

    def membership(self, attribute: str, negated: bool, position: int) -> Member:
        token = self.advance()
        if token.kind == "list_ref":
            return Member(attribute, list_name=str(token.value), negated=negated, position=position)
        if not (token.kind == "punct" and token.text == "("):
            raise self.fail(token, f"expected '(' or @list after 'in', found {_shown(token)}")
        items: list[_Token] = []
        while True:
            item = self.advance()
            if item.kind not in ("number", "string"):
                raise self.fail(
                    item, f"expected a number or string in the list, found {_shown(item)}"
                )
            items.append(item)
            separator = self.advance()
            if separator.kind == "punct" and separator.text == ")":
                break
            if not (separator.kind == "punct" and separator.text == ","):
                raise self.fail(
                    separator, f"expected ',' or ')' in the list, found {_shown(separator)}"
                )
        if len({item.kind for item in items}) > 1:
            raise self.fail(token, "a list mixes numbers and strings")
        values = tuple(item.value for item in items)
        return Member(attribute, values=values, negated=negated, position=position)  # type: ignore[arg-type]


def parse_rule(text: str) -> Rule:
    """Read a rule into its typed tree, without evaluating anything.

    Args:
        text: The rule, e.g. ``"review if :orders_per_ip_hourly: > 5"``.

    Returns:
        The parsed `Rule`; its `condition` is a tree of `Compare`, `Member`, `Missing`, `Not`,
        `And` and `Or` nodes.

    Raises:
        RuleSyntaxError: If the text is too long, too deeply nested or not in the grammar; the
            error names the position and the reason.

    Examples:
        >>> from alliance.risk._language import parse_rule
        >>> rule = parse_rule("REVIEW if :orders_per_ip_hourly: > 5")
        >>> rule.action, rule.condition
        ('review', Compare(attribute='orders_per_ip_hourly', op='>', value=5.0))
        >>> parse_rule("review if __import__('os')")
        Traceback (most recent call last):
        ...
        alliance.errors.RuleSyntaxError: rule "review if __import__('os')": at position 10: expected a condition such as ':attribute: > 5', found '__import__'
    """  # noqa: E501
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            text, MAX_RULE_LENGTH, f"rule is {len(text)} characters long (limit {MAX_RULE_LENGTH})"
        )
    return _Parser(text).rule()


# --- rendering ------------------------------------------------------------------------------


def _literal(value: float | str) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(float(value))


def _render(condition: Condition, *, nested: bool) -> str:
    if isinstance(condition, Compare):
        value = condition.value
        right = f":{value.name}:" if isinstance(value, AttributeRef) else _literal(value)
        return f":{condition.attribute}: {condition.op} {right}"
    if isinstance(condition, Member):
        keyword = "not in" if condition.negated else "in"
        if condition.list_name is not None:
            return f":{condition.attribute}: {keyword} @{condition.list_name}"
        items = ", ".join(_literal(v) for v in condition.values or ())
        return f":{condition.attribute}: {keyword} ({items})"
    if isinstance(condition, Missing):
        return f":{condition.attribute}: is {'not ' if condition.negated else ''}missing"
    if isinstance(condition, Not):
        return "not " + _render(condition.operand, nested=True)
    joiner = " and " if isinstance(condition, And) else " or "
    text = joiner.join(_render(operand, nested=True) for operand in condition.operands)
    return f"({text})" if nested else text


def render(rule: Rule) -> str:
    """Write a rule back as canonical text; `parse_rule` reads it back to an equal tree.

    Examples:
        >>> from alliance.risk._language import parse_rule, render
        >>> render(parse_rule("block if not (:a: > 1 or :b: is missing) and :c: in ('x')"))
        'block if not (:a: > 1.0 or :b: is missing) and :c: in ("x")'
    """
    return f"{rule.action} if {_render(rule.condition, nested=False)}"
